"""Differentiable augmentation of spectrogram batches (DiffAugment, Zhao et al. 2020).

Applied to real and generated batches alike before the discriminator sees them, so the
discriminator cannot memorise 440 clips and the generator is not taught the augmentations
(they happen on both sides). All operations act on the spec's normalised log-magnitude, where
-1 is silence: translation fills with silence, gain is a shift in dB, cut-out silences a span.

``binshift`` translates along frequency by up to :data:`BIN_SHIFT` bins (edge bins repeated).
Why: the discriminator's first convolution has stride 2, so it looks at even and odd bins
from different kernel positions and can be blind to a difference between them. The
full-resolution generator exploited exactly that: at 61 728 steps its even bins moved
1.5 dB more from frame to frame than its odd bins (real clips: no difference), a pattern
that survives phase retrieval and that ``mbot evaluate``'s roughness features catch. A
random one-bin shift of real and fake batches alike shows the discriminator both parities.
Time already has this (``shift`` moves by any whole number of frames).

Randomness is stateless and keyed by an explicit seed tensor so a run repeats exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported in augment(): the constants are shared with the JAX loop
    import tensorflow as tf

__all__ = ["AUGMENTS", "BIN_SHIFT", "CUTOUT_FRACTION", "GAIN_DB", "SHIFT_FRACTION", "augment"]

SHIFT_FRACTION = 0.125  # max time translation, fraction of the frames
GAIN_DB = 6.0  # max gain change in dB
CUTOUT_FRACTION = 0.125  # length of the silenced time span, fraction of the frames
BIN_SHIFT = 1  # max frequency translation, in bins
#: Every augmentation :func:`augment` knows, in the order a recipe usually lists them.
AUGMENTS = ("shift", "gain", "cutout", "binshift")


def augment(x: tf.Tensor, seed: tf.Tensor, *, ops: Sequence[str], top_db: float) -> tf.Tensor:
    """Augment ``x`` [batch, frames, bins] with the named ``ops`` (:data:`AUGMENTS`).

    Args:
        x: normalised spectrograms in [-1, 1].
        seed: int32/int64 tensor of shape [2] for the stateless random ops.
        ops: which augmentations to apply, in order.
        top_db: the spec's dynamic range (to express gain in dB).
    """
    import tensorflow as tf

    if not ops:
        return x
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=len(ops))
    batch, frames = tf.shape(x)[0], tf.shape(x)[1]
    t = tf.range(frames)[None, :]
    for op, s in zip(ops, tf.unstack(seeds)):
        if op == "shift":
            limit = max(1, round(SHIFT_FRACTION * x.shape[1]))
            shift = tf.random.stateless_uniform([batch, 1], s, -limit, limit + 1, dtype=tf.int32)
            src = t - shift
            valid = (src >= 0) & (src < frames)
            moved = tf.gather(x, tf.clip_by_value(src, 0, frames - 1), batch_dims=1)
            x = tf.where(valid[..., None], moved, -tf.ones_like(x))
        elif op == "gain":
            gain = tf.random.stateless_uniform([batch, 1, 1], s, -GAIN_DB, GAIN_DB)
            x = tf.clip_by_value(x + 2.0 * gain / top_db, -1.0, 1.0)
        elif op == "cutout":
            length = max(1, round(CUTOUT_FRACTION * x.shape[1]))
            start = tf.random.stateless_uniform(
                [batch, 1], s, 0, tf.maximum(frames - length, 1), dtype=tf.int32
            )
            inside = (t >= start) & (t < start + length)
            x = tf.where(inside[..., None], -tf.ones_like(x), x)
        elif op == "binshift":
            bins = x.shape[2]
            shift = tf.random.stateless_uniform(
                [batch, 1], s, -BIN_SHIFT, BIN_SHIFT + 1, dtype=tf.int32
            )
            src = tf.clip_by_value(tf.range(bins)[None, :] - shift, 0, bins - 1)  # [batch, bins]
            x = tf.gather(x, src, batch_dims=1, axis=2)
        else:  # validated in config; unreachable for a checked config
            raise ValueError(f"unknown augmentation {op!r}")
    return x
