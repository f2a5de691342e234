"""A buffer write on some PEs stores exactly what a boolean-indexed assignment stores, whatever
the mask (whole rows of PEs, scattered PEs, none, all) and whether the values broadcast."""

import numpy as np

from wafersim.mesh.kernel.buffer import Buffer


def test_masked_writes_equal_boolean_indexing() -> None:
    rng = np.random.default_rng(0)
    for trial in range(300):
        rows, cols = (int(v) for v in rng.integers(1, 6, 2))
        shape = tuple(int(v) for v in rng.integers(1, 4, int(rng.integers(0, 3))))
        buf = Buffer("t", (rows, cols), shape, "fp16")
        buf.values[...] = rng.standard_normal(buf.values.shape)
        want = buf.values.copy()
        where = rng.random((rows, cols)) < rng.choice([0.0, 0.3, 0.9, 1.0])
        if rng.random() < 0.3:
            where[rng.integers(0, rows)] = True
        values = (rng.standard_normal((rows, cols, *shape)).astype(np.float16)
                  if rng.random() < 0.7 else np.float16(2.5))
        full = np.broadcast_to(np.asarray(values, np.float16), want.shape)
        want[where] = full[where]
        buf.write(values, where)
        assert np.array_equal(buf.values, want), trial
        assert np.array_equal(buf.written, where), trial
