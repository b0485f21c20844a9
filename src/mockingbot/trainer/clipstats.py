"""Clip-level statistics of a spectrogram batch, for the discriminator's second view.

Why: a convolutional discriminator judges local patches well, but what makes a call sound
recorded rather than generated is partly *clip-level*: how much each band varies over the
call, how rough it is from frame to frame, how long the sound lasts. Per-band features of
each patch reach the final dense layer only after five stride-2 convolutions, and with 440
clips and heavy augmentation the discriminator never learns to add them up. The measured
result was a generator whose every clip was a little off in many such statistics at once
(docs/model-card.md, *Where the gap comes from*). Handing the discriminator those sums
directly (``model.disc_stats = true``) is the same idea as ProGAN's minibatch-stddev
feature, one level up: a summary the network could compute but does not.

The statistics are computed on the *normalised* log-magnitude the discriminator sees
(after augmentation, for real and generated clips alike), over the frames that are within
:data:`ACTIVE_RANGE_DB` of the clip's loudest frame — so a clip's leading and trailing
silence do not dilute them, the way a listener (or a trimmer) would ignore it.

The same statistics serve the generator directly (``train.stats_match``): feature matching
(Salimans et al. 2016) on fixed features, via :func:`moment_gap`. The discriminator
separates real from generated clips easily, yet the generator does not follow on these
clip-level statistics; the matching term points it there explicitly.

The maths is ``keras.ops``, so the same functions serve the TensorFlow loop and the JAX
one (:mod:`~mockingbot.trainer.jax_loop`) alike.

A finer statistic serves the generator only (``train.roughness_match``):
:func:`bin_roughness`, each STFT bin's frame-to-frame roughness. In a recording every bin is
about equally rough (6.5 dB on CatMeows, bin after bin); the full-resolution generator's
bins ranged from 4.2 to 8.6 dB in an irregular per-bin pattern that a convolutional
discriminator, which treats every frequency alike, cannot see, while ``mbot evaluate``'s
low mel bands (one or two bins each) see it at once (docs/model-card.md, *Bin by bin*).

And one more (``train.peak_match``): :func:`clip_peaks`, how far each frame's loudest bin
stands above the rest. Band statistics average log-magnitudes over a band's bins, so a band
with higher peaks and deeper valleys has the same mean as a flat one: the generator matched
them while its frames' loudest bins stood 3 dB higher than the recordings' (0.51 against
0.43 in normalised units, batch moment gap 0.0097 against 0.0025 between two real batches).
Played back and peak-normalised, that leaves everything else in a frame lower, which
``mbot evaluate`` reads as too tonal, too periodic and too quiet in the mel bands
(docs/model-card.md, session 14).

And one about a clip's shape in time (``train.loud_match``): :func:`loud_fraction`, the share
of a clip's sounding frames that are loud — what ``mbot evaluate``'s "burst + hiss" figure
thresholds. The generator's tails were too broadband: by frame energy its clips carried long
stretches 20-40 dB below their peak, so 13 % of its training-window clips were loud for
under a quarter of their sounding span against 5 % of the recordings' (docs/model-card.md,
session 15). Band and peak statistics are means over the active frames, blind to how long a
clip stays near its peak.

Contents: :func:`band_matrix`, :func:`clip_statistics`, :func:`clip_peaks`,
:func:`bin_roughness`, :func:`loud_fraction`, :func:`moment_gap`, :func:`quantile_gap`,
:class:`ClipStats`.
"""

from __future__ import annotations

import numpy as np
from keras import layers, ops, saving

from mockingbot.evaluation.features import LOUD_RANGE_DB, TRIM_TOP_DB
from mockingbot.spec import SpectrogramSpec
from mockingbot.spectral import mel_filterbank

__all__ = [
    "ACTIVE_RANGE_DB",
    "PEAK_BLOCKS",
    "ClipStats",
    "band_matrix",
    "bin_roughness",
    "clip_peaks",
    "clip_statistics",
    "loud_fraction",
    "moment_gap",
    "quantile_gap",
]

#: Frames this far below the clip's loudest frame (dB) count as outside the sound.
ACTIVE_RANGE_DB = 40.0
#: Equal blocks of bins whose crest (loudest bin above the block's mean) :func:`clip_peaks`
#: measures, besides the whole frame's.
PEAK_BLOCKS = 8
#: Width (dB) of the sigmoids that make :func:`loud_fraction`'s frame counts differentiable.
LOUD_SOFTNESS_DB = 2.0
#: Scale of the spread features, so that all three groups start at a similar size.
_SPREAD_GAIN = 4.0
_EPS = 1e-6


def band_matrix(spec: SpectrogramSpec, n_bands: int) -> np.ndarray:
    """[n_bins, n_bands] averaging weights: mel-spaced triangles over the spec's bins.

    Mel spacing because that is how pitch and timbre are heard: the low bands, where a
    cat's fundamental and first harmonics live, get more resolution than the top octave.
    Each column sums to 1, so a band value is a weighted mean of normalised log-magnitudes.
    """
    fb = mel_filterbank(sr=spec.sr, n_fft=spec.n_fft, n_mels=n_bands, fmin=0.0, fmax=spec.sr / 2.0)[
        :, : spec.n_bins
    ]
    fb = fb / np.maximum(fb.sum(axis=1, keepdims=True), 1e-12)
    return fb.T.astype(np.float32)


def clip_statistics(x, bands, *, top_db: float):
    """Per-clip summary of normalised spectrograms ``x`` [batch, frames, bins].

    Args:
        x: normalised log-magnitudes in [-1, 1] (-1 is ``top_db`` below the reference).
        bands: [bins, n_bands] averaging weights (:func:`band_matrix`).
        top_db: the spec's dynamic range, to express :data:`ACTIVE_RANGE_DB` in x's units.

    Returns:
        [batch, 3 · n_bands + 1]: per band the mean, the standard deviation over time and the
        standard deviation of the frame-to-frame difference (over the active frames), then
        the log of the active fraction of the clip.
    """
    b = ops.einsum("btf,fk->btk", x, ops.cast(bands, x.dtype))
    active = _active_frames(x, top_db=top_db)
    n = ops.sum(active, axis=1) + _EPS  # [batch, 1]
    mean = ops.sum(active * b, axis=1) / n
    std = ops.sqrt(ops.sum(active * ops.square(b - mean[:, None]), axis=1) / n + _EPS)
    dstd = _difference_std(b, active)
    frac = ops.log(n / ops.cast(ops.shape(x)[1], x.dtype))
    return ops.concatenate([mean, _SPREAD_GAIN * std, _SPREAD_GAIN * dstd, frac], axis=1)


def clip_peaks(x, *, top_db: float):
    """Per-clip peakiness of normalised spectrograms ``x`` [batch, frames, bins].

    Args:
        x: normalised log-magnitudes in [-1, 1], at least :data:`PEAK_BLOCKS` bins.
        top_db: the spec's dynamic range, to express :data:`ACTIVE_RANGE_DB` in x's units.

    Returns:
        [batch, 2 + PEAK_BLOCKS], means over the active frames of: each frame's loudest bin,
        its height above the frame's mean, and in each of :data:`PEAK_BLOCKS` equal blocks of
        bins (the top ``bins % PEAK_BLOCKS`` bins left out) the loudest bin's height above
        the block's mean.
    """
    frame_max = ops.max(x, axis=2)  # [batch, frames]
    active = _active_levels(frame_max, top_db=top_db)
    n = ops.sum(active, axis=1, keepdims=True) + _EPS
    width = x.shape[2] // PEAK_BLOCKS
    blocks = ops.reshape(x[:, :, : PEAK_BLOCKS * width], (-1, x.shape[1], PEAK_BLOCKS, width))
    block_crest = ops.max(blocks, axis=3) - ops.mean(blocks, axis=3)
    per_frame = ops.concatenate(
        [frame_max[..., None], (frame_max - ops.mean(x, axis=2))[..., None], block_crest], axis=2
    )
    return ops.sum(active[..., None] * per_frame, axis=1) / n


def bin_roughness(x, *, top_db: float):
    """Per-clip, per-bin frame-to-frame roughness of normalised spectrograms ``x``.

    Args:
        x: normalised log-magnitudes [batch, frames, bins] in [-1, 1].
        top_db: the spec's dynamic range, to express :data:`ACTIVE_RANGE_DB` in x's units.

    Returns:
        [batch, bins]: the standard deviation of each bin's change from one active frame to
        the next, scaled like :func:`clip_statistics`' spreads.
    """
    return _SPREAD_GAIN * _difference_std(x, _active_frames(x, top_db=top_db))


def loud_fraction(x, *, top_db: float):
    """Per-clip share of the sounding frames that are loud, of normalised spectrograms ``x``.

    The training-time twin of :func:`mockingbot.evaluation.features.loud_fraction`: a frame's
    level is its energy (the sum of its bins' power, not its loudest bin: a broadband tail is
    louder than its peak bin says), a frame is loud within ``LOUD_RANGE_DB`` of the clip's
    loudest frame and sounding within ``TRIM_TOP_DB`` (the constants ``mbot evaluate`` uses).
    Both counts are soft (sigmoids :data:`LOUD_SOFTNESS_DB` wide), so the gradient can both
    lift a tail into the loud part and sink it below the sounding range.

    Args:
        x: normalised log-magnitudes [batch, frames, bins] in [-1, 1].
        top_db: the spec's dynamic range (x = -1 is ``top_db`` below x = 1).

    Returns:
        [batch] fractions in (0, 1].
    """
    db = (x - 1.0) * (top_db / 2.0)  # magnitude in dB re the normalisation reference
    to_nat = float(np.log(10.0) / 10.0)  # power dB → natural log of power
    energy = ops.logsumexp(db * to_nat, axis=2) / to_nat  # [batch, frames] frame energy, dB
    rel = energy - ops.max(energy, axis=1, keepdims=True)
    loud = ops.sigmoid((rel + LOUD_RANGE_DB) / LOUD_SOFTNESS_DB)
    sounding = ops.sigmoid((rel + TRIM_TOP_DB) / LOUD_SOFTNESS_DB)
    return ops.sum(loud, axis=1) / (ops.sum(sounding, axis=1) + _EPS)


def _active_frames(x, *, top_db: float):
    """[batch, frames, 1] mask (no gradient) of the frames within :data:`ACTIVE_RANGE_DB` of
    the clip's loudest frame, a frame's level being its loudest bin."""
    return _active_levels(ops.max(x, axis=2), top_db=top_db)[..., None]


def _active_levels(level, *, top_db: float):
    """:func:`_active_frames` [batch, frames] from the frames' levels (their loudest bins)."""
    threshold = ops.max(level, axis=1, keepdims=True) - 2.0 * ACTIVE_RANGE_DB / top_db
    return ops.stop_gradient(ops.cast(level >= threshold, level.dtype))


def _difference_std(b, active):
    """[batch, channels]: std of ``b``'s frame-to-frame change over pairs of active frames."""
    pair = active[:, 1:] * active[:, :-1]
    diff = b[:, 1:] - b[:, :-1]
    n_pair = ops.sum(pair, axis=1) + _EPS
    d_mean = ops.sum(pair * diff, axis=1) / n_pair
    return ops.sqrt(ops.sum(pair * ops.square(diff - d_mean[:, None]), axis=1) / n_pair + _EPS)


def moment_gap(a, b):
    """Mean over features of the squared gaps in batch mean and batch spread of ``a``, ``b``.

    Args:
        a, b: statistics [batch, features] of two batches (real and generated).

    Returns:
        a scalar ≥ 0, zero when both batches have the same means and standard deviations.
    """
    m_a, v_a = ops.mean(a, axis=0), ops.var(a, axis=0)
    m_b, v_b = ops.mean(b, axis=0), ops.var(b, axis=0)
    spread = ops.sqrt(v_a + _EPS) - ops.sqrt(v_b + _EPS)
    return ops.mean(ops.square(m_a - m_b) + ops.square(spread))


def quantile_gap(a, b):
    """Mean squared gap between the sorted values of ``a`` and ``b`` (equal-size batches).

    The one-dimensional optimal-transport distance between two batches' distributions of a
    per-clip scalar. Unlike matching the share below a threshold, every clip gets a gradient
    (towards the real clip of the same rank), and the term's expected gradient vanishes
    when the two distributions are the same: the tail of the distribution is matched, not
    only its mean and spread as :func:`moment_gap` does.

    Args:
        a, b: [batch] values of two batches of the same size.

    Returns:
        a scalar ≥ 0, zero when the batches hold the same values in any order.
    """
    return ops.mean(ops.square(ops.sort(a) - ops.sort(b)))


@saving.register_keras_serializable(package="mockingbot")
class ClipStats(layers.Layer):
    """:func:`clip_statistics` as a layer (the band matrix is a constant, not a weight)."""

    def __init__(self, spec: dict, n_bands: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.spec = dict(spec)
        self.n_bands = int(n_bands)
        s = SpectrogramSpec.from_dict(self.spec)
        self._bands = band_matrix(s, self.n_bands)
        self._top_db = float(s.top_db)

    @property
    def n_features(self) -> int:
        """Length of the statistics vector."""
        return 3 * self.n_bands + 1

    def call(self, x):
        return clip_statistics(x, self._bands, top_db=self._top_db)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self.n_features)

    def get_config(self) -> dict:
        return {**super().get_config(), "spec": self.spec, "n_bands": self.n_bands}
