"""Short-time Fourier transform math in numpy/scipy: pure functions over arrays.

These functions take every parameter as a keyword; callers normally pass them from a
:class:`mockingbot.spec.SpectrogramSpec` rather than typing numbers. Everything is
batched over leading axes, because the runtime recovers phase for a whole batch of
spectrograms at once (one FFT call over a 3-D array is far cheaper than a loop).

Conventions (librosa's names): ``y`` audio, ``D`` complex STFT, ``S`` magnitude.
A frame is ``win_length`` samples, windowed, zero-padded at the end to ``n_fft``.
With ``center=True`` the signal is padded with ``win_length // 2`` zeros at both ends
so that frame ``m`` is centred on sample ``m * hop_length``.

One implementation: :func:`stft` and :func:`istft` are built from :func:`windowed_rfft`,
:func:`windowed_irfft` and :func:`overlap_add`, and those are what the runtime's phase
recovery (one clip's STFT on a fixed grid, single-threaded) and the pack thumbnails (frames
at pixel columns, a symmetric window) call too, so every STFT in the project windows and
transforms its frames the same way.

Contents: :func:`get_window`, :func:`n_frames`, :func:`frame`, :func:`windowed_rfft`,
:func:`windowed_irfft`, :func:`overlap_add`, :func:`stft`, :func:`istft`,
:func:`spectral_convergence`, :func:`mel_filterbank`.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.fft

from .errors import ParameterError

__all__ = [
    "frame",
    "get_window",
    "istft",
    "mel_filterbank",
    "n_frames",
    "overlap_add",
    "spectral_convergence",
    "stft",
    "window_sumsquare",
    "windowed_irfft",
    "windowed_rfft",
]

_FFT_WORKERS = -1  # scipy.fft: use every core the process may use


@functools.lru_cache(maxsize=32)
def _window(name: str, length: int, symmetric: bool) -> np.ndarray:
    # Imported here, once per window: scipy.signal costs about a second to import, and most
    # importers of this module (the spec, the thumbnails, the CLI) never build a window.
    import scipy.signal

    w = scipy.signal.get_window(name, length, fftbins=not symmetric).astype(np.float64)
    w.setflags(write=False)
    return w


def get_window(name: str, length: int, *, symmetric: bool = False) -> np.ndarray:
    """Analysis window ``name`` of ``length`` samples (float64, cached, read-only).

    Periodic by default (``fftbins=True``), the window an STFT that is inverted needs: its
    shifted copies sum to a constant. ``symmetric=True`` gives the filter-design form
    (``numpy.hanning`` for ``"hann"``), which the thumbnails use: they are never inverted.
    """
    if length <= 0:
        raise ParameterError(f"window length must be positive, got {length}")
    return _window(name, int(length), bool(symmetric))


def n_frames(
    n_samples: int, *, n_fft: int, hop_length: int, center: bool, win_length: int | None = None
) -> int:
    """Number of STFT frames :func:`stft` produces for ``n_samples`` samples."""
    win = n_fft if win_length is None else win_length
    if center:
        n_samples = n_samples + 2 * (win // 2)
    if n_samples < win:
        return 0
    return 1 + (n_samples - win) // hop_length


def stft(
    y: np.ndarray,
    *,
    n_fft: int,
    hop_length: int,
    win_length: int | None = None,
    window: str = "hann",
    center: bool = True,
) -> np.ndarray:
    """Complex STFT of ``y``.

    Args:
        y: real audio [..., samples].
        n_fft: FFT length.
        hop_length: samples between frames.
        win_length: frame/window length (default ``n_fft``).
        window: window name for :func:`get_window`.
        center: pad ``win_length // 2`` zeros at both ends first.

    Returns:
        complex128 (or complex64 for float32 input) array [..., frames, n_fft // 2 + 1].

    Examples:
        >>> D = stft(np.zeros(16384), n_fft=256, hop_length=64)
        >>> D.shape
        (257, 129)
    """
    win = n_fft if win_length is None else int(win_length)
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.floating):
        y = y.astype(np.float64)
    if center:
        pad = [(0, 0)] * (y.ndim - 1) + [(win // 2, win // 2)]
        y = np.pad(y, pad)
    if y.shape[-1] < win:
        raise ParameterError(f"signal of {y.shape[-1]} samples is shorter than one frame ({win})")
    frames = frame(y, frame_length=win, hop_length=hop_length)
    return windowed_rfft(frames, get_window(window, win), n_fft=n_fft)


def frame(y: np.ndarray, *, frame_length: int, hop_length: int) -> np.ndarray:
    """Frames [..., T, frame_length] of ``y`` [..., samples], ``hop_length`` apart (a view).

    Only whole frames: T = 1 + (samples − frame_length) // hop_length.
    """
    view = np.lib.stride_tricks.sliding_window_view(y, frame_length, axis=-1)
    return view[..., ::hop_length, :]


def windowed_rfft(
    frames: np.ndarray, window: np.ndarray, *, n_fft: int, workers: int | None = _FFT_WORKERS
) -> np.ndarray:
    """The analysis step of an STFT: ``rfft(frames · window)``, zero-padded to ``n_fft``.

    Args:
        frames: real frames [..., T, L] (from :func:`frame`, or cut some other way).
        window: [L]; cast to the frames' dtype, so float32 frames stay float32.
        n_fft: FFT length ≥ L.
        workers: scipy.fft threads; the phase recovery passes 1 (it threads per clip).
            Results do not depend on it.

    Returns:
        complex [..., T, n_fft // 2 + 1].
    """
    w = window.astype(frames.dtype, copy=False)
    return scipy.fft.rfft(frames * w, n=n_fft, axis=-1, workers=workers)


def windowed_irfft(
    D: np.ndarray, window: np.ndarray, *, n_fft: int, workers: int | None = _FFT_WORKERS
) -> np.ndarray:
    """The synthesis step of an ISTFT: ``irfft(D)`` cut to the window's length, windowed.

    Args:
        D: complex STFT [..., T, n_fft // 2 + 1].
        window: [L] with L ≤ n_fft; cast to the frames' dtype (float32 for complex64 ``D``).

    Returns:
        real frames [..., T, L], ready for :func:`overlap_add`.
    """
    frames = scipy.fft.irfft(D, n=n_fft, axis=-1, workers=workers)[..., : window.shape[-1]]
    return frames * window.astype(frames.dtype, copy=False)


def overlap_add(frames: np.ndarray, hop_length: int) -> np.ndarray:
    """Sum frames [..., T, L] placed ``hop_length`` apart → signal [..., (T-1)*hop + L].

    Adds one hop-sized chunk of every frame at a time (``ceil(L / hop)`` vectorised adds
    instead of T), in the frames' dtype.
    """
    T, L = frames.shape[-2], frames.shape[-1]
    r = -(-L // hop_length)  # chunks per frame
    if r * hop_length != L:
        pad = [(0, 0)] * (frames.ndim - 1) + [(0, r * hop_length - L)]
        frames = np.pad(frames, pad)
    chunks = frames.reshape(*frames.shape[:-1], r, hop_length)
    out = np.zeros((*frames.shape[:-2], T + r - 1, hop_length), dtype=frames.dtype)
    for j in range(r):
        out[..., j : j + T, :] += chunks[..., :, j, :]
    out = out.reshape(*out.shape[:-2], (T + r - 1) * hop_length)
    return out[..., : (T - 1) * hop_length + L]


@functools.lru_cache(maxsize=32)
def window_sumsquare(window: str, win: int, hop_length: int, frames: int) -> np.ndarray:
    """Σ window² of ``frames`` frames placed ``hop_length`` apart (read-only): what the
    least-squares inverse STFT divides by."""
    w2 = get_window(window, win) ** 2
    ws = overlap_add(np.broadcast_to(w2, (frames, win)).copy(), hop_length)
    ws.setflags(write=False)
    return ws


def istft(
    D: np.ndarray,
    *,
    n_fft: int,
    hop_length: int,
    win_length: int | None = None,
    window: str = "hann",
    center: bool = True,
    length: int | None = None,
) -> np.ndarray:
    """Least-squares inverse of :func:`stft` (windowed overlap-add / Σ window²).

    Args:
        D: complex STFT [..., frames, n_fft // 2 + 1].
        length: samples to return (zero-padded or cut); default: all the frames cover.

    Returns:
        real array [..., length].
    """
    win = n_fft if win_length is None else int(win_length)
    D = np.asarray(D)
    y = overlap_add(windowed_irfft(D, get_window(window, win), n_fft=n_fft), hop_length)
    ws = window_sumsquare(window, win, hop_length, D.shape[-2])
    tiny = np.finfo(np.float32).tiny * 1e3
    y = y / np.where(ws > tiny, ws, 1.0).astype(y.dtype)
    if center:
        y = y[..., win // 2 :]
    if length is not None:
        if y.shape[-1] >= length:
            y = y[..., :length]
        else:
            pad = [(0, 0)] * (y.ndim - 1) + [(0, length - y.shape[-1])]
            y = np.pad(y, pad)
    return y


def spectral_convergence(
    S: np.ndarray, S_est: np.ndarray, *, axis: tuple[int, int] = (-2, -1)
) -> np.ndarray:
    """Spectral convergence in dB: 20·log10(‖S_est − S‖_F / ‖S‖_F), lower is better.

    Args:
        S: target magnitudes [..., frames, bins].
        S_est: magnitudes of the reconstruction, same shape.

    Returns:
        one value per leading index (a float for 2-D input).
    """
    S = np.asarray(S, dtype=np.float64)
    S_est = np.asarray(S_est, dtype=np.float64)
    num = np.sqrt(np.sum((S_est - S) ** 2, axis=axis))
    den = np.sqrt(np.sum(S**2, axis=axis))
    return 20.0 * np.log10(np.maximum(num, 1e-12) / np.maximum(den, 1e-12))


# Slaney mel scale (librosa's default, ``htk=False``): linear below 1 kHz, log above.
_MEL_HZ_PER_MEL = 200.0 / 3.0
_MEL_MIN_LOG_HZ = 1000.0
_MEL_MIN_LOG_MEL = _MEL_MIN_LOG_HZ / _MEL_HZ_PER_MEL
_MEL_LOGSTEP = np.log(6.4) / 27.0


def _hz_to_mel(f_hz: np.ndarray) -> np.ndarray:
    f_hz = np.asarray(f_hz, dtype=np.float64)
    log_part = np.log(np.maximum(f_hz, 1e-12) / _MEL_MIN_LOG_HZ) / _MEL_LOGSTEP
    return np.where(f_hz >= _MEL_MIN_LOG_HZ, _MEL_MIN_LOG_MEL + log_part, f_hz / _MEL_HZ_PER_MEL)


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.asarray(mels, dtype=np.float64)
    log_part = _MEL_MIN_LOG_HZ * np.exp(_MEL_LOGSTEP * (mels - _MEL_MIN_LOG_MEL))
    return np.where(mels >= _MEL_MIN_LOG_MEL, log_part, _MEL_HZ_PER_MEL * mels)


@functools.lru_cache(maxsize=16)
def mel_filterbank(*, sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """Triangular mel filterbank, built once and cached (read-only).

    Same construction as ``librosa.filters.mel(..., htk=False, norm=None)``: triangles with
    peak 1 whose edges are equally spaced on the Slaney mel scale. Shared by the evaluation
    features and the trainer's clip statistics.

    Args:
        sr: sample rate in Hz.
        n_fft: FFT length; the bank has ``n_fft // 2 + 1`` columns.
        n_mels: number of bands.
        fmin: lowest band edge in Hz (≥ 0).
        fmax: highest band edge in Hz (≤ sr / 2).

    Returns:
        float64 array [n_mels, n_fft // 2 + 1].

    Raises:
        ParameterError: a band edge is out of range or a band covers no FFT bin.

    Examples:
        >>> mel_filterbank(sr=8000, n_fft=256, n_mels=40, fmin=0.0, fmax=4000.0).shape
        (40, 129)
    """
    if not 0.0 <= fmin < fmax <= sr / 2:
        raise ParameterError(f"need 0 <= fmin < fmax <= sr/2, got fmin={fmin}, fmax={fmax}")
    fft_hz = np.linspace(0.0, sr / 2, n_fft // 2 + 1)
    edges_hz = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(edges_hz)
    ramps = edges_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    bank = np.maximum(0.0, np.minimum(lower, upper))
    if np.any(bank.max(axis=1) <= 0.0):
        raise ParameterError(f"{n_mels} mel bands are too narrow for n_fft={n_fft} at sr={sr}")
    bank.setflags(write=False)
    return bank
