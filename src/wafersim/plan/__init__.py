"""Parallel training plans: what a plan is, and which plans a model and a cluster admit."""

from wafersim.plan.train import Constraints, ParallelPlan, Plan, PlanSpace, StreamingPlan, TrainPlan
from wafersim.plan.train_grid import enumerate_plans

__all__ = ["Constraints", "ParallelPlan", "Plan", "PlanSpace", "StreamingPlan", "TrainPlan",
           "enumerate_plans"]
