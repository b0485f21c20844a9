"""The GAN's losses, per example, in ``keras.ops``: one definition for both training loops.

Why here: the TensorFlow loop (:mod:`~mockingbot.trainer.loop`) and the JAX loop
(:mod:`~mockingbot.trainer.jax_loop`) train the same networks with the same objective; when
each wrote its losses inline, a recipe change in one (a loss kind, the R1 scale, the
statistics term) could silently miss the other. ``keras.ops`` runs on whichever backend
Keras was started with, and on TensorFlow it calls exactly the ``tf.nn`` functions the loop
used before, so results are unchanged bit for bit.

What stays in each loop: the *reduction* (TensorFlow divides by the global batch across
replicas with ``tf.nn.compute_average_loss``; JAX takes a plain mean on one device) and the
*gradient* R1 penalises (``tf.GradientTape`` vs ``jax.grad``: ``keras.ops`` has no gradient
operation), so :func:`r1_penalty` takes the gradient already computed.

Contents: :func:`discriminator_loss`, :func:`generator_loss`,
:func:`r1_penalty`, :func:`stats_gap`, :func:`peak_gap`, :func:`roughness_gap`,
:func:`loud_gap`, and :func:`matching_loss`, the recipe's weighted sum of the four: each loop
calls it once, so a new matching term is wired into both by adding it there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from keras import ops

from .clipstats import (
    bin_roughness,
    clip_peaks,
    clip_statistics,
    loud_fraction,
    moment_gap,
    quantile_gap,
)

if TYPE_CHECKING:
    from .config import TrainSettings

__all__ = [
    "discriminator_loss",
    "generator_loss",
    "loud_gap",
    "matching_loss",
    "peak_gap",
    "r1_penalty",
    "roughness_gap",
    "stats_gap",
]


def discriminator_loss(d_real: Any, d_fake: Any, kind: str) -> Any:
    """Per-example discriminator loss on logits of real and generated clips.

    ``kind`` is the recipe's ``train.loss`` (checked by :mod:`~mockingbot.trainer.config`).

    ``hinge`` (the recipe's): relu(1 − real) + relu(1 + fake), which stops pushing a clip
    once it is judged with margin 1 — with R1 it keeps D from running away at a 1:1
    schedule. ``bce``: the original GAN's cross-entropy on logits.
    """
    if kind == "hinge":
        return ops.relu(1.0 - d_real) + ops.relu(1.0 + d_fake)
    return ops.binary_crossentropy(
        ops.ones_like(d_real), d_real, from_logits=True
    ) + ops.binary_crossentropy(ops.zeros_like(d_fake), d_fake, from_logits=True)


def generator_loss(d_fake: Any, kind: str) -> Any:
    """Per-example generator loss on the discriminator's logits for generated clips.

    ``hinge``: −fake (raise the logit without a margin); ``bce``: the non-saturating
    cross-entropy against the "real" label, which keeps gradients alive early on.
    """
    if kind == "hinge":
        return -d_fake
    return ops.binary_crossentropy(ops.ones_like(d_fake), d_fake, from_logits=True)


def r1_penalty(grad: Any, gamma: float, every: int) -> Any:
    """Per-example R1 penalty from ∂D/∂real (a [batch, frames, bins] gradient).

    R1 (Mescheder et al. 2018) penalises the discriminator's gradient on real data, the
    regulariser that lets hinge loss train stably. It is computed lazily, every ``every``
    steps, so it is scaled by ``every`` to keep its average weight ``gamma``.
    """
    per_ex = ops.sum(ops.square(grad), axis=[1, 2])
    return 0.5 * gamma * every * per_ex


def stats_gap(real: Any, fake: Any, bands: Any, *, top_db: float) -> Any:
    """The clip-statistics matching term (``train.stats_match``) between two batches.

    Feature matching on the fixed statistics of :mod:`~mockingbot.trainer.clipstats`: how
    far the generated batch's moments are from the real batch's. A scalar for the batch
    (the moments are batch statistics, not per-example).
    """
    return moment_gap(
        clip_statistics(real, bands, top_db=top_db), clip_statistics(fake, bands, top_db=top_db)
    )


def peak_gap(real: Any, fake: Any, *, top_db: float) -> Any:
    """The peak matching term (``train.peak_match``) between two batches.

    Feature matching on :func:`~mockingbot.trainer.clipstats.clip_peaks`: the batch mean
    and spread of how far each frame's loudest bins stand above the rest, which the band
    statistics (means of log-magnitudes) cannot see.
    """
    return moment_gap(clip_peaks(real, top_db=top_db), clip_peaks(fake, top_db=top_db))


def roughness_gap(real: Any, fake: Any, *, top_db: float) -> Any:
    """The per-bin roughness matching term (``train.roughness_match``) between two batches.

    Feature matching on :func:`~mockingbot.trainer.clipstats.bin_roughness`: a scalar, the
    mean over bins of the squared gaps in batch mean and spread. It reaches each bin
    directly, which the discriminator's convolutions, alike at every frequency, do not.
    """
    return moment_gap(bin_roughness(real, top_db=top_db), bin_roughness(fake, top_db=top_db))


def loud_gap(real: Any, fake: Any, *, top_db: float) -> Any:
    """The loud-fraction matching term (``train.loud_match``) between two batches.

    :func:`~mockingbot.trainer.clipstats.quantile_gap` on each clip's
    :func:`~mockingbot.trainer.clipstats.loud_fraction`: the generated batch's distribution
    of how long clips stay near their peak, its low tail (a burst, then a long tail 20-40 dB
    down) included, pulled to the real batch's.
    """
    return quantile_gap(loud_fraction(real, top_db=top_db), loud_fraction(fake, top_db=top_db))


def matching_loss(t: TrainSettings, real: Any, fake: Any, bands: Any, *, top_db: float) -> Any:
    """The generator's matching terms, each times its recipe weight, summed (a scalar).

    Why one function: the TensorFlow and the JAX loop add exactly these terms to the
    adversarial loss; written out in each loop, a term added to one could miss the other.
    A term whose weight is 0 is not computed at all.

    Args:
        t: the recipe's ``[train]`` settings (``stats_match``, ``peak_match``,
            ``loud_match``, ``roughness_match``).
        real, fake: normalised spectrogram batches [batch, frames, bins] of the same size.
        bands: :func:`~mockingbot.trainer.clipstats.band_matrix` weights; only read when
            ``stats_match > 0`` (``None`` otherwise).
        top_db: the spec's dynamic range.

    Returns:
        the weighted sum, 0.0 when every weight is 0.
    """
    loss = 0.0
    if t.stats_match > 0:
        loss += t.stats_match * stats_gap(real, fake, bands, top_db=top_db)
    if t.peak_match > 0:
        loss += t.peak_match * peak_gap(real, fake, top_db=top_db)
    if t.loud_match > 0:
        loss += t.loud_match * loud_gap(real, fake, top_db=top_db)
    if t.roughness_match > 0:
        loss += t.roughness_match * roughness_gap(real, fake, top_db=top_db)
    return loss
