"""Tracing records spans and changes nothing else: a traced run (the kernels' general paths, with
spans) gives the cycles, breakdown, counters and output of the untraced run (their short
paths: SUMMA's panels, the chain reduction without spans)."""

import pytest

from wafersim.mesh import decode_layer, gemm, gemv


def _figures(r):  # type: ignore[no-untyped-def]
    return [r.cycles, r.breakdown, r.wavelets_sent, r.wavelets_received, r.link_util.tobytes(),
            r.compute_util.tobytes(), r.output.tobytes()]


@pytest.mark.parametrize("run", [
    lambda trace: gemm(19, 23, 17, (3, 5), trace=trace),
    lambda trace: gemm(7, 40, 9, (6, 2), trace=trace, link_wavelets_per_cycle=0.75),
    lambda trace: gemv(37, 29, (5, 7), trace=trace),
    lambda trace: gemv(37, 29, (5, 7), reduction="tree", trace=trace),
    lambda trace: decode_layer(d_model=64, n_heads=8, seq_len=5, grid=(4, 6), trace=trace),
])
def test_traced_run_equals_untraced(run) -> None:  # type: ignore[no-untyped-def]
    traced = run(True)
    assert traced.spans  # the traced run did record spans
    assert _figures(traced) == _figures(run(False))
