"""Cycle-level simulator of a wafer's processing-element mesh running real kernels on real data.

Layer "mesh": imports units/errors, catalog and models (never cost); imported only by
validate, report, api and cli. The analytical kernels are checked against it in
validate/kernels.py. See docs/mesh.md.
"""

from wafersim.mesh.collectives import allreduce, broadcast
from wafersim.mesh.decode import decode_layer
from wafersim.mesh.gemm import gemm
from wafersim.mesh.gemv import gemv
from wafersim.mesh.machine import PEMachine, machine_of, parse_grid
from wafersim.mesh.norms import layernorm, softmax
from wafersim.mesh.result import MeshResult
from wafersim.mesh.stream_gemm import stream_gemm

__all__ = ["MeshResult", "PEMachine", "allreduce", "broadcast", "decode_layer", "gemm", "gemv",
           "layernorm", "machine_of", "parse_grid", "softmax", "stream_gemm"]
