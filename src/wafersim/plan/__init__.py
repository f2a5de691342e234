"""Parallel training plans: what a plan is, and which plans a model and a cluster admit."""

from wafersim.plan.train import Constraints, Plan, PlanSpace
from wafersim.plan.train_grid import enumerate_plans

__all__ = ["Constraints", "Plan", "PlanSpace", "enumerate_plans"]
