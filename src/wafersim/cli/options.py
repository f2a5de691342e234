"""Options that `wafersim infer` and `wafersim serve` share: model, system, formats, plan, draft."""

from __future__ import annotations

import typer

from wafersim.api import model_list
from wafersim.cost.infer.common import DEFAULT_ACCEPTANCE
from wafersim.cost.infer.scenario import check_context

MODEL = typer.Option(..., "--model", help="Model id or config.json path; on CS systems a list "
                     "a,b serves the models resident together.")
SYSTEM = typer.Option(..., "--system", help="System id (chip, node or cluster).")
COUNT = typer.Option(None, "--count", min=1, help="Devices (wafers for CS systems); default: the "
                     "system as catalogued, or the fewest wafers that fit.")
PIPELINE_WAFERS = typer.Option(None, "--pipeline-wafers", help="Wafers one pipeline spans (CS "
                               "systems); default: the fewest holding the model and its batch. "
                               "--count wafers run whole pipelines as replicas.")
PRECISION = typer.Option("bf16", "--precision", help="Weights: bf16, fp8, int8, int4, fp4, or weight-only "
                         "w4a16, w8a16 (dequantised to fp16 for fp16 matmuls).")
KV_PRECISION = typer.Option("bf16", "--kv-precision", help="KV cache: bf16, fp8, ...")
TP = typer.Option(None, "--tp", help="Tensor-parallel degree (HBM systems).")
PP = typer.Option(None, "--pp", help="Pipeline-parallel degree (HBM systems).")
EP = typer.Option(None, "--ep", help="Expert-parallel degree (MoE, HBM systems).")
ATTENTION_DP = typer.Option(None, "--attention-dp", help="Data-parallel attention replicas per "
                            "tensor group (MoE, HBM systems; 1: off).")
DRAFT = typer.Option(None, "--draft", help="Draft model for speculative decoding (wafers), or "
                     "mtp: the model's own multi-token-prediction module (HBM systems).")
ACCEPTANCE = typer.Option(DEFAULT_ACCEPTANCE, "--acceptance", help="Draft token acceptance rate.")
LOOKAHEAD = typer.Option(4, "--lookahead", help="Drafted tokens per verify step.")
DISAGGREGATE = typer.Option(None, "--disaggregate", help="Prefill and decode on separate pools: "
                            "PREFILL:DECODE devices, e.g. 16:16 (HBM systems).")
STACK = typer.Option(None, "--stack", help="Serving stack from the catalog (wafersim systems "
                     "--kind stack); default: the chip's calibrated one.")
JSON = typer.Option(False, "--json", help="Machine output in SI units.")


def _cost_basis(pricing: str) -> str:
    """Refuse an unknown basis before any system is costed (as `System.priced` would)."""
    from wafersim.catalog.system import cost_basis

    return cost_basis(pricing)


PRICING = typer.Option("tco", "--pricing", callback=_cost_basis, help="Cost basis of every $ "
                       "figure: tco (own the hardware: purchase over its life, facility, "
                       "electricity) or rental (hourly cloud prices); one basis per table.")


def check_contexts(models: str, input_tokens: int, output_tokens: int) -> None:
    """Each model's context holds a request's prompt and output (as serving engines refuse)."""
    for spec in model_list(models):
        check_context(spec, input_tokens, output_tokens)
