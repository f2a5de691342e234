"""Weight streaming on simulated wafers equals a plain NumPy loop and agrees with the model."""

import numpy as np
import pytest

from wafersim.errors import ConfigError, ParameterError
from wafersim.mesh.functional import GPTConfig, gpt, train_reference, train_streaming
from wafersim.mesh.functional.reference import loss_and_grads
from wafersim.mesh.functional.swarmx import Tree
from wafersim.validate.functional import TIME_TOLERANCE, agreement

CONFIG = GPTConfig()
STEPS = 3


@pytest.fixture(scope="module")
def reference():
    return train_reference(CONFIG, STEPS, seed=0)


@pytest.fixture(scope="module", params=[1, 2, 4])
def run(request):
    return train_streaming(CONFIG, wafers=request.param, steps=STEPS, seed=0)


def test_backward_matches_finite_differences():
    config = GPTConfig(d_model=16, n_heads=2, seq_len=5, batch=2, vocab=11)
    params = gpt.init_params(config, 3)
    ids, targets = gpt.batches(config, 1, 3)[0]
    _, grads = loss_and_grads(config, params, ids, targets)
    for unit, name in (("embed", "tok"), ("layer1", "wqkv"), ("layer0", "ln2_g"), ("head", "w")):
        w, eps = params[unit][name], 1e-6
        idx = np.unravel_index(int(np.argmax(np.abs(grads[unit][name]))), w.shape)
        w[idx] += eps
        up, _ = loss_and_grads(config, params, ids, targets)
        w[idx] -= 2 * eps
        down, _ = loss_and_grads(config, params, ids, targets)
        w[idx] += eps
        assert (up - down) / (2 * eps) == pytest.approx(grads[unit][name][idx], rel=1e-5)


def test_losses_and_weights_equal_numpy(run, reference):
    np.testing.assert_allclose(run.losses, reference.losses, rtol=1e-10)
    for unit, params in reference.weights.items():
        for name, w in params.items():
            np.testing.assert_allclose(run.weights[unit][name], w, rtol=1e-9, atol=1e-12)


def test_training_lowers_the_loss():
    losses = train_reference(CONFIG, 12, seed=0).losses
    assert np.mean(losses[-3:]) < losses[0] - 0.3


def test_breakdowns_add_up(run):
    for a in run.accounts:
        assert sum(a.breakdown_s.values()) == pytest.approx(a.time_s, rel=1e-12)
        assert a.compute_cycles == sum(p.compute_cycles for p in run.passes)
    assert run.time_s == pytest.approx(sum(a.time_s for a in run.accounts))
    assert run.peak_sram_bytes_per_wafer <= run.sram_capacity_bytes_per_wafer


def test_bytes_equal_the_analytical_model_and_time_agrees(run):
    check = agreement(run)
    assert check.weight_bytes_sim == check.weight_bytes_model == 2 * run.params * 2
    assert check.gradient_bytes_sim == check.gradient_bytes_model
    assert abs(check.compute_error) < 0.01
    assert abs(check.time_error) < TIME_TOLERANCE


def test_more_wafers_shrink_the_compute_per_wafer():
    one, four = (train_streaming(CONFIG, wafers=n, steps=1) for n in (1, 4))
    assert four.compute_cycles < one.compute_cycles / 2
    assert four.accounts[0].tree_hops == Tree(4, 4).depth == 1
    assert one.accounts[0].tree_hops == 0


def test_activations_beyond_the_sram_name_the_grid():
    with pytest.raises(ParameterError, match="activations need .* wafer SRAM"):
        train_streaming(GPTConfig(grid=(1, 1), batch=2, seq_len=16, d_model=32, n_heads=2),
                        wafers=1, steps=1)


def test_wafers_must_divide_the_batch():
    with pytest.raises(ParameterError, match="divide"):
        train_streaming(CONFIG, wafers=3, steps=1)


@pytest.mark.parametrize(("field", "value", "named"), [
    ("weight_decay", -0.1, "weight_decay"), ("weight_decay", float("nan"), "weight_decay"),
    ("precision", "bf8", "precision 'bf8'")])
def test_config_refuses_a_bad_weight_decay_or_precision(field, value, named):
    with pytest.raises(ConfigError, match=named):
        GPTConfig(**{field: value})
