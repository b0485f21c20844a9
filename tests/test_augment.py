"""Differentiable augmentation (:mod:`mockingbot.trainer.augment`), above all the bin shift."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from mockingbot.errors import ParameterError  # noqa: E402
from mockingbot.trainer.augment import AUGMENTS, BIN_SHIFT, augment  # noqa: E402
from mockingbot.trainer.config import TrainConfig  # noqa: E402


def _batch(n: int = 64, frames: int = 6, bins: int = 10) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.uniform(-1.0, 1.0, (n, frames, bins)).astype(np.float32)


def _shift_of(row_in: np.ndarray, row_out: np.ndarray) -> int:
    """The frequency translation that turned one example into the other (edges repeated)."""
    bins = row_in.shape[-1]
    for s in range(-BIN_SHIFT, BIN_SHIFT + 1):
        src = np.clip(np.arange(bins) - s, 0, bins - 1)
        if np.allclose(row_in[:, src], row_out):
            return s
    raise AssertionError("output is not a frequency translation of the input")


def test_binshift_translates_each_example_by_at_most_one_bin_and_shows_both_parities() -> None:
    x = _batch()
    y = augment(tf.constant(x), tf.constant([3, 1]), ops=["binshift"], top_db=80.0).numpy()
    shifts = [_shift_of(a, b) for a, b in zip(x, y)]
    assert set(shifts) == set(range(-BIN_SHIFT, BIN_SHIFT + 1))
    # an odd shift swaps what sits on the discriminator's even and odd bins
    assert any(s % 2 for s in shifts) and any(s % 2 == 0 for s in shifts)


def test_binshift_is_keyed_by_its_seed_and_passes_gradients() -> None:
    x = tf.Variable(_batch(8))
    a = augment(x, tf.constant([5, 2]), ops=["binshift"], top_db=80.0)
    b = augment(x, tf.constant([5, 2]), ops=["binshift"], top_db=80.0)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(augment(x, tf.constant([5, 2]), ops=["binshift"], top_db=80.0))
    grad = tape.gradient(loss, x).numpy()
    # every output cell came from one input cell: the gradients count the copies
    assert grad.sum() == pytest.approx(x.numpy().size)
    assert (grad >= 0).all()


def test_every_listed_augmentation_runs_and_the_config_knows_them() -> None:
    x = tf.constant(_batch(4))
    y = augment(x, tf.constant([1, 1]), ops=list(AUGMENTS), top_db=80.0).numpy()
    assert y.shape == x.shape and np.isfinite(y).all() and (np.abs(y) <= 1.0).all()
    TrainConfig.from_dict({"train": {"augment": list(AUGMENTS)}}).validate()
    with pytest.raises(ParameterError, match=r"train\.augment"):
        TrainConfig.from_dict({"train": {"augment": ["pitch"]}}).validate()
