"""Analytical cost models: GEMM efficiency, collectives, accelerator clusters, wafers."""
