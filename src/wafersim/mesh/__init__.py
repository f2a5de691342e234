"""Cycle-level simulator of a wafer's processing-element mesh running real kernels on real data.

Layer "mesh": imports units/errors, catalog, models, ops and cost; imported only by sweep,
validate, report, api and cli. See docs/mesh.md.
"""

from wafersim.mesh.gemv import gemv
from wafersim.mesh.machine import PEMachine, machine_of, parse_grid
from wafersim.mesh.result import MeshResult

__all__ = ["MeshResult", "PEMachine", "gemv", "machine_of", "parse_grid"]
