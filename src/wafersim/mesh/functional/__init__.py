"""Functional runs on simulated wafers: a tiny GPT trained by weight streaming (MemoryX, SwarmX,
N data-parallel wafers) and a tiny Llama decoded on a multi-wafer layer pipeline, both checked
against plain NumPy and timed with the mesh kernels' cycles. See docs/mesh-functional.md."""

from wafersim.mesh.functional.config import GPTConfig, LlamaConfig
from wafersim.mesh.functional.llama import greedy_reference
from wafersim.mesh.functional.pipeline import DecodeRun, decode_pipeline
from wafersim.mesh.functional.reference import train_reference
from wafersim.mesh.functional.results import TrainingRun
from wafersim.mesh.functional.training import train_streaming

__all__ = ["DecodeRun", "GPTConfig", "LlamaConfig", "TrainingRun", "decode_pipeline",
           "greedy_reference", "train_reference", "train_streaming"]
