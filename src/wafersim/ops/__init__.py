"""Operator graphs: a model and a phase lowered once into operators with FLOPs, bytes and shapes."""

from wafersim.ops.graph import Graph, Op, lower

__all__ = ["Graph", "Op", "lower"]
