"""Published measurements: reading them, predicting them, and fitting efficiencies on a subset."""
