"""Phase recovery: turn a batch of magnitude spectrograms into audio, fast and reproducibly.

The generator emits magnitudes only; this module finds a phase that makes them a consistent
STFT. It runs inside the render budget (≤ 10 ms per 2-s clip, batched, on two cores), so it
is numpy/scipy only: no numba (its JIT start-up alone would eat the budget), no TensorFlow.

Methods (:data:`mockingbot.defaults.PHASE_METHODS`):

- ``"pghi"`` (default): a phase-gradient initial phase (:func:`~.pghi.pghi_phase`) refined by fast
  Griffin-Lim. A good start is what makes the budget possible: from a random start fast
  Griffin-Lim needs ~100 iterations to reach −30 dB spectral convergence on CatMeows, from the
  phase-gradient start about 12 (see ``benchmarks/phase_bench.py``).
- ``"fgla"``: fast Griffin-Lim alone, from a fixed pseudo-random start (:func:`random_phase`).
- ``"zero"``: zero phase, the 2022 prototype's approach, kept to measure against.

Pieces: :func:`random_phase`, :func:`fast_griffin_lim`, :func:`reconstruct` (the composition
the runtime calls) and :func:`reconstruction_error` (spectral convergence in dB per item, the
number reports quote). The phase-gradient start, and why it is vectorised the way it is, is
:mod:`mockingbot.runtime.pghi`; one clip's STFT on the fixed grid and the per-clip thread
pool are :mod:`mockingbot.runtime.phase_grid`.

Determinism: every transcendental function and FFT runs per clip, on arrays of one fixed
shape, and the batched frame loop uses only exactly rounded additions and a gather, so a
clip's output is bit-identical whatever the batch size, its position in the batch or the
number of threads. There is no unseeded randomness.

Speed: clips are processed one at a time (a 2-s clip's STFT fits in the L2 cache) by a
thread pool with one thread per available core; numpy and scipy.fft release the GIL for the
heavy work. Memory stays bounded: at most :data:`~.pghi.BLOCK` clips are in flight.
"""

from __future__ import annotations

import numpy as np

from mockingbot import spectral
from mockingbot.defaults import PHASE_METHODS
from mockingbot.errors import ParameterError
from mockingbot.spec import SpectrogramSpec
from mockingbot.validation import as_float, as_int, one_of

from . import pghi
from .phase_grid import (
    Plan,
    analyse,
    check_magnitudes,
    check_spec,
    per_clip,
    plan_for,
    polar,
    set_magnitude,
    synthesise,
    to_audio,
)

__all__ = [
    "DEFAULT_MOMENTUM",
    "DEFAULT_N_ITER",
    "PGHI_MOMENTUM",
    "RANDOM_PHASE_SEED",
    "describe",
    "fast_griffin_lim",
    "random_phase",
    "reconstruct",
    "reconstruction_error",
]

#: Fast Griffin-Lim iterations each method runs when ``n_iter`` is not given, chosen with
#: ``benchmarks/phase_bench.py`` on 64 real CatMeows clips: ``pghi`` reaches a median spectral
#: convergence of about −31.7 dB at 16 iterations (−32.9 at 20; the bar is −30 dB), ``fgla``
#: needs ~100. On generated magnitudes (not consistent STFTs) every method levels off near
#: −16 dB after ~10 iterations, so 16 buys the render budget back where it no longer helps.
DEFAULT_N_ITER: dict[str, int] = {"pghi": 16, "fgla": 100, "zero": 0}

#: Fast Griffin-Lim momentum from a random start (Perraudin, Balazs & Søndergaard 2013).
DEFAULT_MOMENTUM = 0.99

#: Momentum after the phase-gradient start: measured best on CatMeows (0.95 beats 0.99 by
#: 0.5–0.7 dB at 16–32 iterations; a good start needs less extrapolation).
PGHI_MOMENTUM = 0.95

#: Seed of the pseudo-random start of ``method="fgla"``: one fixed phase pattern, the same for
#: every item, so an item's result never depends on its batch.
RANDOM_PHASE_SEED = 20_220_513

_TWO_PI = 2.0 * np.pi


def _fgla_one(S: np.ndarray, D: np.ndarray, plan: Plan, n_iter: int, momentum: float) -> np.ndarray:
    """Fast Griffin-Lim for one clip S [T, K] from the complex start D; returns audio [clip].

    Iteration (Perraudin et al. 2013): c_n = P_C(P_A(t_{n−1})), t_n = c_n + α (c_n − c_{n−1}),
    where P_A sets the magnitude to ``S`` and P_C = STFT ∘ ISTFT projects onto consistent STFTs.
    The start plays c_0 and t_0, so the first step already extrapolates away from it. P_A only
    keeps t's direction, so t is computed as c_n − α/(1+α)·c_{n−1} = t_n / (1 + α), which
    takes two array operations instead of three (librosa's formulation).
    """
    beta = np.float32(momentum / (1.0 + momentum))
    t = D
    c_prev = D.copy()
    for _ in range(n_iter):
        c = analyse(synthesise(set_magnitude(t, S), plan), plan)
        c_prev *= beta
        np.subtract(c, c_prev, out=c_prev)
        t, c_prev = c_prev, c
    return to_audio(set_magnitude(t, S), plan)


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
def _check_n_iter(n_iter: object) -> int:
    return as_int("n_iter", n_iter, low=0)


def _check_momentum(momentum: object) -> float:
    momentum = as_float("momentum", momentum, low=0.0)
    if momentum >= 1.0:
        raise ParameterError(f"momentum must be in [0, 1) (1 or more diverges), got {momentum!r}")
    return momentum


def random_phase(*, spec: SpectrogramSpec, seed: int = RANDOM_PHASE_SEED) -> np.ndarray:
    """A fixed pseudo-random phase [total_frames, total_bins] (float32 radians in [0, 2π)).

    The same pattern serves every item, so results never depend on batch composition.
    """
    check_spec(spec)
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, _TWO_PI, (spec.total_frames, spec.total_bins)).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Fast Griffin-Lim and the composition
# ---------------------------------------------------------------------------------------------
def fast_griffin_lim(
    S: np.ndarray,
    *,
    spec: SpectrogramSpec,
    n_iter: int,
    momentum: float = DEFAULT_MOMENTUM,
    init_phase: np.ndarray | None = None,
) -> np.ndarray:
    """Fast Griffin-Lim (Griffin-Lim with momentum) over a batch of magnitudes.

    Args:
        S: linear magnitudes [batch, total_frames, total_bins] (``spec.full_magnitude`` output).
        spec: the spectrogram spec; every STFT parameter comes from it.
        n_iter: iterations, ≥ 0 (0 just inverts ``S`` with the initial phase).
        momentum: α in t_n = c_n + α (c_n − c_{n−1}), in [0, 1); 0 is plain Griffin-Lim, 0.99
            the usual fast setting from a random start.
        init_phase: starting phase in radians, [batch, T, K] or [T, K] (broadcast); default
            :func:`random_phase`.

    Returns:
        float32 audio [batch, spec.clip_samples].

    Raises:
        ParameterError: bad shapes, negative or non-finite magnitudes, bad ``n_iter`` or
            ``momentum``.

    Examples:
        >>> from mockingbot.spec import PRESETS
        >>> spec = PRESETS["default"]
        >>> S = np.zeros((2, spec.total_frames, spec.total_bins), np.float32)
        >>> fast_griffin_lim(S, spec=spec, n_iter=2).shape
        (2, 16384)
    """
    S = check_magnitudes(S, spec)
    n_iter = _check_n_iter(n_iter)
    momentum = _check_momentum(momentum)
    grid = S.shape[1:]
    if init_phase is None:
        init_phase = random_phase(spec=spec)
    init_phase = np.asarray(init_phase)
    if init_phase.shape not in (grid, S.shape):
        raise ParameterError(
            f"init_phase must have shape {list(grid)} or {list(S.shape)}, "
            f"got {list(init_phase.shape)}"
        )
    init_phase = init_phase.astype(np.float32)
    if not np.isfinite(init_phase).all():
        raise ParameterError("init_phase contains NaN or infinite values")
    plan = plan_for(spec)
    out = np.empty((S.shape[0], plan.clip), dtype=np.float32)

    def one(i: int) -> None:
        phase = init_phase if init_phase.ndim == 2 else init_phase[i]
        out[i] = _fgla_one(S[i], polar(S[i], phase), plan, n_iter, momentum)

    per_clip(one, S.shape[0])
    return out


def reconstruct(
    S: np.ndarray,
    *,
    spec: SpectrogramSpec,
    method: str = "pghi",
    n_iter: int | None = None,
) -> np.ndarray:
    """Audio whose STFT magnitude is as close as possible to ``S``.

    Args:
        S: linear magnitudes on the full STFT grid, float32 [batch, total_frames, total_bins];
            from model output ``X`` use ``spec.full_magnitude(spec.magnitude(X))``.
        spec: the spectrogram spec the magnitudes use.
        method: ``"pghi"`` (phase-gradient start, then fast Griffin-Lim with momentum
            :data:`PGHI_MOMENTUM`; the default and the best), ``"fgla"`` (fast Griffin-Lim
            with momentum :data:`DEFAULT_MOMENTUM` from :func:`random_phase`) or ``"zero"``
            (zero phase, the 2022 prototype's approach).
        n_iter: fast Griffin-Lim iterations, ≥ 0; default :data:`DEFAULT_N_ITER` for the
            method. ``"zero"`` ignores it.

    Returns:
        float32 audio [batch, spec.clip_samples]. Same input → same bytes, whatever the batch
        size or the number of threads.

    Raises:
        ParameterError: unknown method, bad ``n_iter``, or ``S`` of the wrong shape, negative
            or not finite.

    Examples:
        >>> from mockingbot.spec import PRESETS
        >>> spec = PRESETS["default"]
        >>> y = np.sin(2 * np.pi * 440 * np.arange(spec.clip_samples) / spec.sr)
        >>> S = np.abs(spec.stft(y))[None].astype(np.float32)
        >>> audio = reconstruct(S, spec=spec)
        >>> audio.shape, bool(reconstruction_error(S, audio, spec=spec)[0] < -30.0)
        ((1, 16384), True)
    """
    one_of("phase method", method, PHASE_METHODS)
    S = check_magnitudes(S, spec)
    n_iter = DEFAULT_N_ITER[method] if n_iter is None else _check_n_iter(n_iter)
    plan = plan_for(spec)
    if method == "fgla":
        return fast_griffin_lim(S, spec=spec, n_iter=n_iter)
    out = np.empty((S.shape[0], plan.clip), dtype=np.float32)
    if method == "zero":

        def zero(i: int) -> None:
            out[i] = to_audio(S[i].astype(np.complex64), plan)

        per_clip(zero, S.shape[0])
        return out
    for b0 in range(0, S.shape[0], pghi.BLOCK):
        block = S[b0 : b0 + pghi.BLOCK]
        phase = pghi.pghi_block(block, spec)

        def one(i: int, block: np.ndarray = block, phase: np.ndarray = phase, b0: int = b0) -> None:
            start = polar(block[i], phase[:, i])
            out[b0 + i] = _fgla_one(block[i], start, plan, n_iter, PGHI_MOMENTUM)

        per_clip(one, block.shape[0])
    return out


def describe(method: str, n_iter: int | None = None) -> str:
    """What a model's phase recovery runs, in words (``mbot info``, ``mbot export``).

    Examples:
        >>> describe("pghi", 0)
        'pghi (phase-gradient start alone)'
        >>> describe("pghi")
        'pghi (phase-gradient start + 16 fast Griffin-Lim iterations)'
    """
    if method not in DEFAULT_N_ITER:  # "none": a waveform model
        return f"{method} (the model emits audio)"
    if method == "zero":
        return "zero (zero phase, the 2022 prototype's)"
    n = DEFAULT_N_ITER[method] if n_iter is None else int(n_iter)
    start = "phase-gradient start" if method == "pghi" else "random start"
    if n == 0:
        return f"{method} ({start} alone)"
    return f"{method} ({start} + {n} fast Griffin-Lim iteration{'s' if n != 1 else ''})"


def reconstruction_error(S: np.ndarray, y: np.ndarray, *, spec: SpectrogramSpec) -> np.ndarray:
    """Spectral convergence (dB, lower is better) of audio ``y`` against target magnitudes ``S``.

    Both sides use the spec's STFT; ``y`` is cut or zero-padded to ``spec.clip_samples``.

    Args:
        S: target magnitudes [batch, total_frames, total_bins].
        y: audio [batch, samples].
        spec: the spectrogram spec.

    Returns:
        float64 [batch]: 20·log10(‖|STFT(y)| − S‖_F / ‖S‖_F) per item
        (:func:`mockingbot.spectral.spectral_convergence`).

    Raises:
        ParameterError: shapes that do not match the spec or each other.
    """
    S = check_magnitudes(S, spec)
    y = np.asarray(y)
    if y.ndim != 2 or y.shape[0] != S.shape[0]:
        raise ParameterError(f"y must have shape [{S.shape[0]}, samples], got {list(y.shape)}")
    S_est = np.abs(spec.stft(spec.fit_clip(y.astype(np.float64))))
    return spectral.spectral_convergence(S, S_est)
