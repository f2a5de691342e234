"""The seed claims (../shared/seeds/claims.md), each computed from the catalog, the models and the
cost models, with its verdict, assumptions and what would flip it."""

from wafersim.claims.claim import Evaluation, Figure, Verdict
from wafersim.claims.evaluate import ClaimResult, evaluate_claims

__all__ = ["ClaimResult", "Evaluation", "Figure", "Verdict", "evaluate_claims"]
