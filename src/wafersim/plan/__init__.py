"""Parallel training plans: what a plan is, and which plans a model and a cluster admit."""

from wafersim.plan.enumerate import enumerate_plans
from wafersim.plan.plan import Constraints, Plan, PlanSpace

__all__ = ["Constraints", "Plan", "PlanSpace", "enumerate_plans"]
