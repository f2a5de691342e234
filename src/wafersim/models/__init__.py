"""Model catalog: HF-style config.json files read into frozen `ModelSpec` objects."""

from wafersim.models.hf import from_hf_config
from wafersim.models.registry import load_model, model_ids, published_params
from wafersim.models.spec import ModelSpec

__all__ = ["ModelSpec", "from_hf_config", "load_model", "model_ids", "published_params"]
