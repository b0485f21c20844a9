"""Fixed, documented per-clip features for offline evaluation (no downloaded models).

Every clip, real or generated, becomes one vector of the same fixed features so that the
metrics in :mod:`mockingbot.evaluation.metrics` can compare sets of clips. Nothing here is
learned and nothing is downloaded: the numbers a model card quotes can be recomputed
anywhere from this file alone. The constants below are the *metric's* own analysis
settings. They deliberately do not come from a :class:`~mockingbot.spec.SpectrogramSpec`:
the yardstick must not change when a model's representation changes.

Pipeline for one clip (:func:`clip_features`):

1. Resample to the analysis rate: :data:`ANALYSIS_SR` (8 kHz) unless another is asked for
   (:func:`settings_for`); packs rendered at 44.1/48 kHz are resampled down. A wideband
   model is judged at its own rate (``mbot evaluate --analysis-rate``): at rate ``r`` every
   length below (FFT, hop, shortest clip, periodicity lags) is scaled by ``r / 8000`` and the
   40 mel bands span 0 to :data:`BAND_FRACTION` of ``r / 2``: the vector keeps its layout.
2. Remove DC (subtract the mean), trim leading/trailing silence (frames more than
   :data:`TRIM_TOP_DB` below the loudest frame), normalise the peak to 1. Level and padding
   are a pack's mastering choices, not what a sound *is*.
3. Power STFT (:data:`N_FFT`, :data:`HOP_LENGTH`, Hann) → :data:`N_MELS` Slaney-scale mel
   bands from 0 to :data:`FMAX_HZ` → decibels relative to a full-scale sinusoid, floored at
   :data:`LOG_FLOOR_DB`. All features stop at :data:`FMAX_HZ`: a resampled clip (a 44.1 kHz
   pack) has lost the band's top to the resampler (docs/evaluation.md, version 2).
4. Summaries over time (the layout of the vector, see :data:`FEATURE_NAMES`):

   - ``mel_mean[40]``: average spectrum (timbre, formants, noise colour);
   - ``mel_std[40]``: how much each band varies over the call (envelope, pitch glides);
   - ``mel_dstd[40]``: standard deviation of the frame-to-frame difference (roughness,
     tremolo, clicks, frame-rate artefacts);
   - ``log_duration``: natural log of the trimmed duration in seconds;
   - ``flatness_mean``, ``flatness_std``: spectral flatness (geometric / arithmetic mean of
     the power spectrum) per frame — tonal versus noisy;
   - ``harmonicity_mean``, ``harmonicity_std``: per frame, the highest normalised
     autocorrelation at lags between :data:`F0_MAX_HZ` and :data:`F0_MIN_HZ`. Band energies
     cannot see phase; periodicity can. Phase-retrieval artefacts (a buzz at the frame rate,
     smeared partials) change it while leaving band energies almost untouched.

Beside the vector, one per-clip measure that is not a feature (so it moves no metric):
the *loud fraction* (:func:`loud_fraction`), the share of the trimmed clip's frames within
:data:`LOUD_RANGE_DB` of its loudest frame. A clip whose loud part covers less than
:data:`BURST_HISS_MAX_LOUD` of it is a "burst + hiss" clip: a short burst followed by a long
quiet tail (a generator that paints noise where a call should go on makes these). Set
averages of 125 numbers can hide such a shape; a count of clips cannot.

Contents: :func:`clip_features`, :func:`features_for_files`, :func:`measure_files`,
:func:`mel_filterbank` (the metric's settings of :func:`mockingbot.spectral.mel_filterbank`),
:func:`preprocess`, :func:`frame_levels_db`, :func:`loud_fraction`,
:func:`clip_loud_fraction`, the constants, :data:`FEATURE_NAMES`, :data:`FEATURE_VERSION`,
:func:`describe`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import spectral
from ..audio import load_audio
from ..errors import AudioLoadError, ParameterError

__all__ = [
    "ANALYSIS_SR",
    "BAND_FRACTION",
    "BURST_HISS_MAX_LOUD",
    "FEATURE_NAMES",
    "FEATURE_VERSION",
    "FMAX_HZ",
    "HOP_LENGTH",
    "LOUD_RANGE_DB",
    "N_FFT",
    "N_MELS",
    "AnalysisSettings",
    "FileMeasures",
    "clip_features",
    "clip_loud_fraction",
    "describe",
    "features_for_files",
    "frame_levels_db",
    "load_clip",
    "loud_fraction",
    "measure_files",
    "mel_filterbank",
    "preprocess",
    "settings_for",
]

#: Bumped whenever a constant or the layout below changes: numbers of different versions
#: are not comparable.
FEATURE_VERSION = 2

#: Analysis sample rate in Hz. CatMeows is 8 kHz; higher-rate audio is resampled down.
ANALYSIS_SR = 8000
#: FFT length in samples (32 ms at 8 kHz: resolves cat-call harmonics ≥ 250 Hz apart).
N_FFT = 256
#: Samples between analysis frames (8 ms at 8 kHz; 4× overlap).
HOP_LENGTH = 64
#: Analysis window.
WINDOW = "hann"
#: Mel bands (Slaney scale: linear below 1 kHz, logarithmic above; no empty bands at N_FFT).
N_MELS = 40
#: Share of the Nyquist frequency the features see: what every clip carries, resampled or not.
BAND_FRACTION = 0.9
#: Lowest and highest mel band edges in Hz at 8 kHz; flatness and harmonicity stop there too.
FMIN_HZ = 0.0
FMAX_HZ = BAND_FRACTION * ANALYSIS_SR / 2
#: Band energies below this level (dB re a full-scale sinusoid, after peak normalisation)
#: count as silence; keeps recording noise floors and digital silence from dominating.
LOG_FLOOR_DB = -80.0
#: Frames quieter than the loudest frame by more than this are trimmed from both ends.
TRIM_TOP_DB = 40.0
#: Periodicity search range of the harmonicity feature (a cat's f0 is ~ 200–1200 Hz).
F0_MIN_HZ = 100.0
F0_MAX_HZ = 1600.0
#: A clip must keep at least this many samples after trimming (one analysis frame).
MIN_SAMPLES = N_FFT
#: Peaks at or below this are silence (float audio in [-1, 1]; 16-bit LSB is 3e-5).
SILENCE_PEAK = 1e-6
#: A frame belongs to a clip's loud part when its level is within this of the loudest frame.
LOUD_RANGE_DB = 20.0
#: A clip whose loud part covers less than this share of its trimmed frames is
#: "burst + hiss": most of what is left after trimming is a tail 20-40 dB down.
BURST_HISS_MAX_LOUD = 0.25

_EPS = 1e-12


@dataclasses.dataclass(frozen=True)
class AnalysisSettings:
    """The analysis lengths at one rate: the 8 kHz constants above scaled by ``sr / 8000``.

    Attributes:
        sr: analysis sample rate (Hz).
        n_fft: FFT length (4 hops: the 8 kHz overlap).
        hop_length: samples between frames (the 8 ms of :data:`HOP_LENGTH` at 8 kHz).
        fmax_hz: top of the analysed band, :data:`BAND_FRACTION` of ``sr / 2``.
    """

    sr: int
    n_fft: int
    hop_length: int
    fmax_hz: float

    @property
    def min_samples(self) -> int:
        """Shortest usable clip after trimming: one analysis frame."""
        return self.n_fft

    @property
    def n_band_bins(self) -> int:
        """STFT bins (from DC) at or below :attr:`fmax_hz`: what flatness and harmonicity see."""
        return int(np.floor(self.fmax_hz * self.n_fft / self.sr)) + 1

    @property
    def lags(self) -> slice:
        """Autocorrelation lags of harmonicity (:data:`F0_MAX_HZ` … :data:`F0_MIN_HZ`)."""
        return slice(int(self.sr // F0_MAX_HZ), int(self.sr // F0_MIN_HZ) + 1)


def settings_for(sr: int = ANALYSIS_SR) -> AnalysisSettings:
    """The analysis settings at ``sr`` Hz (the 8 kHz constants at ``ANALYSIS_SR``).

    Raises:
        ParameterError: ``sr`` is not an integer from 4 kHz to 192 kHz.

    Examples:
        >>> settings_for(8000)
        AnalysisSettings(sr=8000, n_fft=256, hop_length=64, fmax_hz=3600.0)
        >>> settings_for(32000)
        AnalysisSettings(sr=32000, n_fft=1024, hop_length=256, fmax_hz=14400.0)
    """
    if isinstance(sr, bool) or int(sr) != sr or not 4000 <= sr <= 192_000:
        raise ParameterError(f"analysis rate must be an integer from 4000 to 192000 Hz, got {sr!r}")
    sr = int(sr)
    hop = round(HOP_LENGTH * sr / ANALYSIS_SR)
    return AnalysisSettings(
        sr=sr,
        n_fft=hop * (N_FFT // HOP_LENGTH),
        hop_length=hop,
        fmax_hz=FMAX_HZ * sr / ANALYSIS_SR,
    )


_DEFAULT = settings_for(ANALYSIS_SR)

FEATURE_NAMES: tuple[str, ...] = (
    *(f"mel_mean_{i:02d}" for i in range(N_MELS)),
    *(f"mel_std_{i:02d}" for i in range(N_MELS)),
    *(f"mel_dstd_{i:02d}" for i in range(N_MELS)),
    "log_duration",
    "flatness_mean",
    "flatness_std",
    "harmonicity_mean",
    "harmonicity_std",
)


def describe(sr: int = ANALYSIS_SR) -> dict[str, Any]:
    """The feature settings at analysis rate ``sr`` as a JSON-ready dict (stored with every
    evaluation result)."""
    a = settings_for(sr)
    return {
        "version": FEATURE_VERSION,
        "sr": a.sr,
        "n_fft": a.n_fft,
        "hop_length": a.hop_length,
        "window": WINDOW,
        "n_mels": N_MELS,
        "fmin_hz": FMIN_HZ,
        "fmax_hz": a.fmax_hz,
        "log_floor_db": LOG_FLOOR_DB,
        "trim_top_db": TRIM_TOP_DB,
        "f0_range_hz": [F0_MIN_HZ, F0_MAX_HZ],
        "dims": len(FEATURE_NAMES),
    }


# --------------------------------------------------------------------------- filterbank
def mel_filterbank(
    *,
    sr: int = ANALYSIS_SR,
    n_fft: int = N_FFT,
    n_mels: int = N_MELS,
    fmin: float = FMIN_HZ,
    fmax: float = FMAX_HZ,
) -> np.ndarray:
    """The metric's mel filterbank: :func:`mockingbot.spectral.mel_filterbank` with the
    analysis settings above as defaults (cached, read-only).

    Examples:
        >>> mel_filterbank().shape
        (40, 129)
    """
    return spectral.mel_filterbank(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)


# --------------------------------------------------------------------------- one clip
def frame_levels_db(y: np.ndarray, analysis: AnalysisSettings = _DEFAULT) -> np.ndarray:
    """RMS level in dB of every full :data:`N_FFT`-sample frame at :data:`HOP_LENGTH` hops.

    The frames :func:`preprocess` trims by and :func:`loud_fraction` counts: one framing, so
    "loud" and "trimmed" mean the same frames. No centring or padding: a padded edge frame
    would read quieter than the audio it holds.

    Args:
        y: mono audio [samples], at least :data:`N_FFT` long.
        analysis: the framing (default: 8 kHz's).

    Returns:
        float64 [1 + (samples - N_FFT) // HOP_LENGTH] levels (dB re full-scale RMS 1).

    Examples:
        >>> frame_levels_db(np.ones(N_FFT + 2 * HOP_LENGTH)).round(6)
        array([0., 0., 0.])
    """
    y = np.asarray(y, dtype=np.float64)
    n_fft = analysis.n_fft
    if y.ndim != 1 or y.size < n_fft:
        raise ParameterError(f"expected mono audio of at least {n_fft} samples, got {y.shape}")
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[:: analysis.hop_length]
    return 10.0 * np.log10(np.mean(frames**2, axis=1) + _EPS)


def loud_fraction(
    y: np.ndarray, *, range_db: float = LOUD_RANGE_DB, analysis: AnalysisSettings = _DEFAULT
) -> float:
    """Share of a trimmed clip's frames within ``range_db`` of its loudest frame.

    A sustained call is loud most of its length (near 1); a short burst followed by a long
    quiet tail is not (a clip below :data:`BURST_HISS_MAX_LOUD` counts as "burst + hiss").
    Trimming first matters: leading and trailing silence would otherwise count as quiet.

    Args:
        y: audio already through :func:`preprocess` (8 kHz, silence trimmed).
        range_db: how far below the loudest frame a frame still counts as loud.
        analysis: the framing (default: 8 kHz's).

    Returns:
        The fraction in (0, 1] (the loudest frame always counts).

    Examples:
        >>> t = np.arange(8000) / 8000
        >>> loud_fraction(np.sin(2 * np.pi * 440 * t))
        1.0
    """
    levels = frame_levels_db(y, analysis)
    return float(np.mean(levels >= levels.max() - range_db))


def _analysis_audio(y: np.ndarray, sr: int, analysis: AnalysisSettings = _DEFAULT) -> np.ndarray:
    """Check ``sr`` and ``y``, resample to the analysis rate, :func:`preprocess`."""
    if int(sr) != sr or sr <= 0:
        raise ParameterError(f"sr must be a positive integer, got {sr!r}")
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ParameterError(f"expected mono audio [samples], got shape {y.shape}")
    if sr != analysis.sr and y.size:
        import soxr

        y = soxr.resample(y, int(sr), analysis.sr, quality="HQ")
    return preprocess(y, analysis=analysis)


def clip_loud_fraction(y: np.ndarray, sr: int, *, analysis_sr: int = ANALYSIS_SR) -> float:
    """:func:`loud_fraction` of one clip, prepared exactly as :func:`clip_features` prepares it.

    Raises:
        ParameterError: ``sr`` is not a positive integer or ``y`` is not 1-D.
        AudioLoadError: the clip is empty, non-finite, silent or too short.

    Examples:
        >>> sr = 8000
        >>> burst = np.sin(2 * np.pi * 600 * np.arange(sr // 10) / sr)
        >>> hiss = 0.03 * np.random.default_rng(0).standard_normal(sr)
        >>> clip_loud_fraction(np.concatenate([burst, hiss]), sr) < BURST_HISS_MAX_LOUD
        True
    """
    a = settings_for(analysis_sr)
    return loud_fraction(_analysis_audio(y, sr, a), analysis=a)


def preprocess(
    y: np.ndarray, *, path: object = "<array>", analysis: AnalysisSettings = _DEFAULT
) -> np.ndarray:
    """DC removal, silence trim and peak normalisation of mono audio at the analysis rate.

    Args:
        y: mono audio [samples] at ``analysis.sr`` (default :data:`ANALYSIS_SR`).
        path: name used in error messages.
        analysis: the framing the trim uses (default: 8 kHz's).

    Returns:
        float64 audio [trimmed samples] with peak 1.

    Raises:
        AudioLoadError: the clip is empty, non-finite, silent or too short after trimming.
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ParameterError(f"expected mono audio [samples], got shape {y.shape}")
    if y.size == 0:
        raise AudioLoadError(path, "empty")
    if not np.all(np.isfinite(y)):
        raise AudioLoadError(path, "non-finite")
    y = y - y.mean()
    peak = float(np.max(np.abs(y)))
    if peak <= SILENCE_PEAK:
        raise AudioLoadError(path, "silent")
    y = y / peak
    hop, n_fft, need = analysis.hop_length, analysis.n_fft, analysis.min_samples
    if y.size >= n_fft:
        rms_db = frame_levels_db(y, analysis)
        loud = np.flatnonzero(rms_db >= rms_db.max() - TRIM_TOP_DB)
        y = y[loud[0] * hop : loud[-1] * hop + n_fft]
    if y.size < need:
        raise AudioLoadError(
            path, "too short", f"{y.size} samples after trimming silence, need {need}"
        )
    return y / np.max(np.abs(y))


def _summary(x: np.ndarray) -> tuple[float, float]:
    return float(np.mean(x)), float(np.std(x))


def clip_features(y: np.ndarray, sr: int, *, analysis_sr: int = ANALYSIS_SR) -> np.ndarray:
    """The fixed feature vector of one clip (see the module docstring for the layout).

    Args:
        y: mono audio [samples], float, any level.
        sr: its sample rate in Hz; anything other than the analysis rate is resampled.
        analysis_sr: the analysis rate (:func:`settings_for`; default :data:`ANALYSIS_SR`).

    Returns:
        float64 array [len(FEATURE_NAMES)] (125 values).

    Raises:
        ParameterError: ``sr`` is not a positive integer or ``y`` is not 1-D.
        AudioLoadError: the clip is empty, non-finite, silent or too short.

    Examples:
        >>> t = np.arange(8000) / 8000
        >>> clip_features(np.sin(2 * np.pi * 440 * t), 8000).shape
        (125,)
    """
    a = settings_for(analysis_sr)
    return _features_of(_analysis_audio(y, sr, a), a)


def _features_of(y: np.ndarray, analysis: AnalysisSettings = _DEFAULT) -> np.ndarray:
    """The feature vector of audio already through :func:`preprocess`."""
    n_fft = analysis.n_fft
    D = spectral.stft(y, n_fft=n_fft, hop_length=analysis.hop_length, window=WINDOW, center=True)
    P = np.abs(D) ** 2  # [frames, bins]
    ref = (spectral.get_window(WINDOW, n_fft).sum() / 2.0) ** 2
    fb = mel_filterbank(sr=analysis.sr, n_fft=n_fft, fmax=analysis.fmax_hz)
    mel_db = 10.0 * np.log10(np.maximum(P @ fb.T / ref, 10 ** (LOG_FLOOR_DB / 10)))
    dmel = np.diff(mel_db, axis=0)

    P = P[:, : analysis.n_band_bins]  # the band every clip carries (step 3 above)
    Pb = P[:, 1:]  # no DC bin: it is zero after DC removal and would zero the geometric mean
    flatness = np.exp(np.mean(np.log(Pb + _EPS), axis=1)) / (np.mean(Pb, axis=1) + _EPS)
    acf = np.fft.irfft(P, n=n_fft, axis=1)  # bins above the band count as zero
    harmonicity = np.max(acf[:, analysis.lags], axis=1) / (acf[:, 0] + _EPS)

    return np.concatenate(
        [
            mel_db.mean(axis=0),
            mel_db.std(axis=0),
            dmel.std(axis=0),
            [np.log(y.size / analysis.sr)],
            _summary(flatness),
            _summary(harmonicity),
        ]
    )


# --------------------------------------------------------------------------- files
def load_clip(path: Path, *, analysis_sr: int = ANALYSIS_SR) -> np.ndarray:
    """Read ``path`` as mono float32 audio at the analysis rate (DC removed).

    Raises:
        AudioLoadError: the file cannot be used (see :func:`mockingbot.audio.load_audio`).
    """
    return load_audio(path, sr=analysis_sr)


@dataclasses.dataclass(frozen=True)
class FileMeasures:
    """What :func:`measure_files` found in a list of files.

    Attributes:
        X: features, float64 [len(kept), 125], in the order of ``kept``.
        loud: :func:`loud_fraction` of each kept file, float64 [len(kept)].
        kept: the files that could be used.
        rejected: ``(path, reason)`` of files that could not (unreadable, silent, too short ...).
    """

    X: np.ndarray
    loud: np.ndarray
    kept: list[Path]
    rejected: list[tuple[Path, str]]


def measure_files(
    paths: Sequence[Path],
    on_progress: Callable[[int, int], None] | None = None,
    *,
    analysis_sr: int = ANALYSIS_SR,
) -> FileMeasures:
    """Features and loud fraction of many files, each decoded and trimmed once.

    Unusable files are set aside with a reason, never fatal.

    Args:
        paths: audio files in any format :func:`mockingbot.audio.load_audio` reads (it
            rejects files shorter than 0.1 s or quieter than -70 dBFS).
        on_progress: called as ``on_progress(done, total)`` after each file.
        analysis_sr: the rate the files are compared at (:func:`settings_for`).
    """
    a = settings_for(analysis_sr)
    rows: list[np.ndarray] = []
    loud: list[float] = []
    kept: list[Path] = []
    rejected: list[tuple[Path, str]] = []
    total = len(paths)
    for i, path in enumerate(paths, 1):
        path = Path(path)
        try:
            y = _analysis_audio(load_clip(path, analysis_sr=a.sr), a.sr, a)
            rows.append(_features_of(y, a))
            loud.append(loud_fraction(y, analysis=a))
            kept.append(path)
        except AudioLoadError as exc:
            reason = exc.reason + (f" ({exc.detail})" if exc.detail else "")
            rejected.append((path, reason))
        if on_progress is not None:
            on_progress(i, total)
    X = np.stack(rows) if rows else np.zeros((0, len(FEATURE_NAMES)))
    return FileMeasures(X, np.asarray(loud, dtype=np.float64), kept, rejected)


def features_for_files(
    paths: Sequence[Path],
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, list[Path], list[tuple[Path, str]]]:
    """Features of many files; unusable files are set aside with a reason, never fatal.

    :func:`measure_files` without the loud fractions.

    Returns:
        ``(X, kept_paths, rejected)``: ``X`` float64 [len(kept_paths), 125] in the order of
        ``kept_paths``; ``rejected`` lists ``(path, reason)`` for files that could not be
        used (unreadable, silent, too short ...).
    """
    m = measure_files(paths, on_progress)
    return m.X, m.kept, m.rejected
