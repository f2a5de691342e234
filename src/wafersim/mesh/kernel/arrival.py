"""What a stream delivered: per-PE timing (the fabric's `Delivery`) and the data each PE got."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wafersim.mesh.fabric import Delivery, common_sender
from wafersim.mesh.orient import orient


@dataclass(frozen=True)
class Arrival:
    """`delivery` says when and how many wavelets reached each core; `data` (rows, cols, ...) is
    what each receiving PE got (its source's values), None for a stream that carries no data."""

    delivery: Delivery
    data: np.ndarray | None

    @property
    def got(self) -> np.ndarray:
        return self.delivery.wavelets > 0


def source_data(values: np.ndarray, senders: np.ndarray, got: np.ndarray, d: str) -> np.ndarray:
    """Each receiver's copy of the values of the nearest sender upstream in direction `d`."""
    so = orient(senders, d)
    vo = orient(values, d)
    keep = orient(got, d).reshape(*so.shape, *([1] * (vo.ndim - 2)))
    out = np.zeros_like(values)
    column = common_sender(so)
    if column is not None:  # every line's one sender at the same place: no gather
        got_o = orient(got, d)
        if got_o[:, column + 1:].all() and not got_o[:, :column + 1].any():  # all past it got it
            orient(out, d)[:, column + 1:] = vo[:, column:column + 1]
        else:
            np.copyto(orient(out, d), vo[:, column:column + 1], where=keep)
        return out
    idx = np.arange(so.shape[1])
    before = np.full(so.shape, -1)
    before[:, 1:] = np.maximum.accumulate(np.where(so, idx, -1), axis=1)[:, :-1]
    src_o = np.maximum(before, 0)
    picked = np.take_along_axis(vo, src_o.reshape(*src_o.shape, *([1] * (vo.ndim - 2))), axis=1)
    orient(out, d)[...] = np.where(keep, picked, 0)
    return out
