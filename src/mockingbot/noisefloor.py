"""The recordings' noise floor: measured once from a data set, played under every generated call.

Why: every recording has a floor of room noise, microphone hiss and handling under its
calls; a generated call has almost none. On CatMeows that one difference is most of what
gives the full-resolution model away: its calls are too tonal (spectral flatness 0.044
against 0.112), too periodic and too smooth from frame to frame in the bands below the
voice. Adding a floor with the data's own spectrum and level, under the call only, took
``mbot evaluate``'s C2ST from 0.945 to 0.868 on the same 500 sounds (docs/model-card.md).
Like the recording chain's EQ, the floor is a property of the whole data set, not of a
call, so it is measured once from the data rather than learnt by the generator.

Measurement (:func:`file_floor`, then :func:`combine`): in each recording, on the model's
STFT grid, the quietest :data:`FLOOR_SHARE` of the frames give the floor's power spectrum
and its level relative to the loudest frame. The data set's floor is the median spectrum
(stored on :data:`SHAPE_POINTS` frequencies from 0 to Nyquist) and the distribution of
levels (:data:`LEVEL_QUANTILES` quantiles).

Playback (:func:`floor_noise`): white noise shaped by that spectrum, at a level drawn from
the distribution with the sound's own seed, relative to the sound's loudest frame, and
gated to the span of frames within :data:`GATE_DB` of it with :data:`RAMP_S` ramps, so the
sound's silence before and after the call stays silent (no "burst + hiss").

NumPy only: the trainer measures it (stored in the run's data-set record, which travels into
the exported model's ``mbot.dataset``), the runtime plays it.

Contents: :class:`NoiseFloor`, :func:`file_floor`, :func:`combine`, :func:`floor_noise`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from mockingbot import spectral

__all__ = [
    "FLOOR_SHARE",
    "GATE_DB",
    "LEVEL_QUANTILES",
    "RAMP_S",
    "SHAPE_POINTS",
    "NoiseFloor",
    "combine",
    "file_floor",
    "floor_noise",
]

#: Share of a recording's frames, the quietest, that measure its floor.
FLOOR_SHARE = 0.1
#: The floor plays under the frames within this many dB of the sound's loudest frame.
GATE_DB = 40.0
#: Fade in and out of the floor at the gate's edges, seconds.
RAMP_S = 0.03
#: Frequencies (0 to Nyquist, evenly spaced) the floor's spectrum is stored at.
SHAPE_POINTS = 64
#: Quantiles (0, 1/20, …, 1) of the per-recording floor levels that are stored.
LEVEL_QUANTILES = 21
#: Lowest stored spectrum value, dB below its maximum.
_SHAPE_FLOOR_DB = -100.0
#: A recording needs this many frames for its quietest tenth to mean anything.
_MIN_FRAMES = 10
#: A floor further below the loudest frame than this is numerical silence, not a floor.
_MIN_FLOOR_DB = -120.0
#: Salt of the floor's random stream, so it is independent of the latents and texture.
_SALT = 0x4E46


@dataclasses.dataclass(frozen=True)
class NoiseFloor:
    """A data set's noise floor.

    Attributes:
        shape_db: power spectrum of the floor at :data:`SHAPE_POINTS` frequencies from 0 to
            the Nyquist frequency of the model's rate, dB relative to its maximum (≤ 0).
        levels_db: :data:`LEVEL_QUANTILES` quantiles of the floor's frame power relative to
            the loudest frame of its recording, dB, non-decreasing.
    """

    shape_db: tuple[float, ...]
    levels_db: tuple[float, ...]

    def __post_init__(self) -> None:
        shape, levels = np.asarray(self.shape_db, float), np.asarray(self.levels_db, float)
        if shape.shape != (SHAPE_POINTS,) or not np.isfinite(shape).all() or shape.max() > 1e-6:
            raise ValueError(f"noise floor shape must be {SHAPE_POINTS} finite dB values ≤ 0")
        if levels.shape != (LEVEL_QUANTILES,) or not np.isfinite(levels).all():
            raise ValueError(f"noise floor levels must be {LEVEL_QUANTILES} finite dB values")
        if (np.diff(levels) < 0).any() or levels.max() > 0 or levels.min() < -200:
            raise ValueError("noise floor levels must be non-decreasing, between -200 and 0 dB")

    @property
    def median_db(self) -> float:
        """The median recording's floor, dB below its loudest frame."""
        return float(self.levels_db[LEVEL_QUANTILES // 2])

    def to_dict(self) -> dict[str, list[float]]:
        """JSON form, rounded to 0.1 dB (what run.json and model metadata store)."""
        return {
            "shape_db": [round(float(v), 1) for v in self.shape_db],
            "levels_db": [round(float(v), 1) for v in self.levels_db],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NoiseFloor:
        """Parse :meth:`to_dict`'s form.

        Raises:
            ValueError: a field is missing or not a list of the right numbers.
        """
        try:
            shape = tuple(float(v) for v in data["shape_db"])
            levels = tuple(float(v) for v in data["levels_db"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"noise floor must hold shape_db and levels_db lists ({exc})"
            ) from None
        return cls(shape, levels)


def file_floor(y: np.ndarray, *, n_fft: int, hop_length: int) -> tuple[np.ndarray, float] | None:
    """One recording's floor: (power spectrum summing to 1 [n_fft // 2 + 1], level in dB).

    The level is the mean power of the quietest :data:`FLOOR_SHARE` of the frames relative to
    the loudest frame. ``None`` for a recording too short or silent to tell.
    """
    y = np.asarray(y, np.float64)
    P = np.abs(spectral.stft(y - y.mean(), n_fft=n_fft, hop_length=hop_length)) ** 2
    energy = P.sum(axis=1)
    if P.shape[0] < _MIN_FRAMES or not energy.max() > 0:
        return None
    quiet = np.argsort(energy, kind="stable")[: max(3, int(FLOOR_SHARE * P.shape[0]))]
    floor_energy = energy[quiet].mean()
    if not floor_energy > 0:  # digital silence: no floor to learn from this file
        return None
    level_db = 10.0 * math.log10(floor_energy / energy.max())
    if level_db < _MIN_FLOOR_DB:
        return None
    return P[quiet].mean(axis=0) / floor_energy, level_db


def combine(floors: Iterable[tuple[np.ndarray, float] | None]) -> NoiseFloor | None:
    """The data set's :class:`NoiseFloor` from its recordings' :func:`file_floor` (None skipped)."""
    kept = [f for f in floors if f is not None]
    if not kept:
        return None
    shape = np.median(np.stack([s for s, _ in kept]), axis=0)
    grid = np.linspace(0.0, 1.0, SHAPE_POINTS)
    shape = np.interp(grid, np.linspace(0.0, 1.0, shape.size), shape)
    shape_db = 10.0 * np.log10(np.maximum(shape / shape.max(), 10 ** (_SHAPE_FLOOR_DB / 10)))
    levels = np.quantile([lv for _, lv in kept], np.linspace(0.0, 1.0, LEVEL_QUANTILES))
    return NoiseFloor(tuple(shape_db.tolist()), tuple(levels.tolist()))


def _frame_energy(x: np.ndarray, *, n_fft: int, hop_length: int) -> np.ndarray:
    """Energy of each Hann-windowed, centred frame: by Parseval, proportional to the frame's
    STFT power summed over bins, at a fraction of the cost (the runtime does this per sound)."""
    padded = np.pad(x, n_fft // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length]
    window = np.hanning(n_fft + 1)[:-1]
    return np.square(frames * window).sum(axis=1)


def _gate(energy_db: np.ndarray, n_samples: int, *, hop_length: int, n_fft: int, sr: int):
    """1 over the frames within :data:`GATE_DB` of the loudest, 0 elsewhere, ramped."""
    on = np.flatnonzero(energy_db > energy_db.max() - GATE_DB)
    start = max(0, on[0] * hop_length - n_fft // 2)  # centred frames
    end = min(n_samples, on[-1] * hop_length + n_fft // 2)
    # the rectangle [start, end) smoothed by a Hann kernel, written as the difference of the
    # kernel's running sum at the two edges (a convolution costs 30× more per sound)
    ramp = max(1, int(RAMP_S * sr))
    kernel = np.hanning(2 * ramp + 1)
    rise = np.cumsum(kernel / kernel.sum())
    offsets = np.arange(-ramp, ramp + 1)
    t = np.arange(n_samples)
    up = np.interp(t - start, offsets, rise, left=0.0, right=1.0)
    down = np.interp(t - end, offsets, rise, left=0.0, right=1.0)
    return np.clip(up - down, 0.0, 1.0)


def floor_noise(
    y: np.ndarray, floor: NoiseFloor, *, seed: int, sr: int, n_fft: int, hop_length: int
) -> np.ndarray:
    """The floor to add under sound ``y`` (same length, float32): zero where ``y`` is silent.

    Deterministic: the same ``seed`` (a pack uses each sound's latent seed) gives the same
    noise.

    Examples:
        >>> fl = NoiseFloor((0.0,) * SHAPE_POINTS, tuple(np.linspace(-50, -40, LEVEL_QUANTILES)))
        >>> y = np.zeros(8000, np.float32)
        >>> y[2000:4000] = np.sin(np.arange(2000) * 0.3)
        >>> n = floor_noise(y, fl, seed=1, sr=8000, n_fft=256, hop_length=64)
        >>> bool(np.abs(n[:1000]).max() == 0 and np.abs(n[2500:3500]).max() > 0)
        True
    """
    y = np.asarray(y, np.float64)
    if y.size < n_fft:
        return np.zeros(y.shape, np.float32)
    energy = _frame_energy(y, n_fft=n_fft, hop_length=hop_length)
    if not energy.max() > 0:
        return np.zeros(y.shape, np.float32)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFFFFFFFFFF, _SALT])
    level_db = float(
        np.interp(rng.uniform(), np.linspace(0.0, 1.0, LEVEL_QUANTILES), floor.levels_db)
    )
    white = np.fft.rfft(rng.standard_normal(y.size))
    freqs = np.linspace(0.0, 1.0, white.size)
    amp = 10.0 ** (np.interp(freqs, np.linspace(0.0, 1.0, SHAPE_POINTS), floor.shape_db) / 20.0)
    noise = np.fft.irfft(white * amp, y.size)
    noise_energy = _frame_energy(noise, n_fft=n_fft, hop_length=hop_length)
    noise *= math.sqrt(energy.max() * 10.0 ** (level_db / 10.0) / max(noise_energy.mean(), 1e-30))
    energy_db = 10.0 * np.log10(np.maximum(energy, 1e-30))
    gate = _gate(energy_db, y.size, hop_length=hop_length, n_fft=n_fft, sr=sr)
    return (noise * gate).astype(np.float32)
