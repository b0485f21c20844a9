"""The one spectrogram specification every stage shares.

A :class:`SpectrogramSpec` says exactly how audio becomes the array a model sees
and how that array becomes a magnitude spectrogram again. It is frozen and
JSON-serialisable: the trainer writes it into its run folder and checkpoints,
the exporter copies it into the ONNX model's metadata, and the runtime reads it
back from there. No STFT parameter is typed anywhere else in the project: code
that needs ``n_fft`` or ``hop_length`` asks a spec.

Contents:

- :class:`SpectrogramSpec` — the parameters, validation, JSON round trip.
- :meth:`SpectrogramSpec.features` — audio → normalised array ``[n_frames, n_bins]``.
- :meth:`SpectrogramSpec.magnitude` — normalised array → linear magnitude ``S``.
- :meth:`SpectrogramSpec.full_magnitude` — pad ``S`` back to the full STFT grid
  that phase retrieval and the inverse STFT work on.

Presets live in :data:`PRESETS`: ``"default"`` (MockingBot's representation, 8 kHz),
``"seed-2022"`` (the 2022 prototype's, kept so it can be measured side by side) and the
wideband rungs ``"16k"``, ``"22k"``, ``"32k"`` of :data:`LADDER`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import spectral
from .errors import ParameterError

__all__ = [
    "LADDER",
    "MAX_CLIP_S",
    "MAX_N_FFT",
    "MAX_STFT_CELLS",
    "MIN_CLIP_S",
    "PRESETS",
    "SPEC_FORMAT_VERSION",
    "SR_RANGE",
    "SpectrogramSpec",
    "ladder_preset",
]

#: Version of the spec's JSON layout. Bumped when a field changes meaning.
SPEC_FORMAT_VERSION = 1

# Bounds on every size a spec sets. A spec arrives from a model file's metadata, so it may
# lie; each of these values becomes an allocation or a resampling ratio further on (a batch
# of clips, the STFT grid phase retrieval works on, soxr's filter), and past them a render
# crashed (bad_alloc, OverflowError), asked for TiB, or wrote sounds of 0 samples.
#: Sample rates a model may work at (Hz), the range audio is decoded and written at.
SR_RANGE = (1000, 192_000)
#: Longest FFT (samples): 1.4 s at 48 kHz, far beyond any sound model's window.
MAX_N_FFT = 1 << 16
#: Shortest and longest clip (seconds): a creature call is tenths of a second to seconds.
MIN_CLIP_S = 0.01
MAX_CLIP_S = 60.0
#: Most cells (frames × bins) of one clip's full STFT grid: 16 MiB of float32 per sound
#: (the default spec uses 33 153).
MAX_STFT_CELLS = 1 << 22

_SCALES = ("log", "linear")
_WINDOWS = ("hann", "hamming", "blackman")


@dataclasses.dataclass(frozen=True)
class SpectrogramSpec:
    """How audio maps to the model's spectrogram and back.

    Attributes:
        sr: sample rate in Hz of the audio the model learns and emits.
        n_fft: FFT length in samples.
        win_length: analysis window length in samples (≤ ``n_fft``; centred, zero-padded).
        hop_length: samples between frames (≤ ``win_length``). ``n_fft / hop_length`` is the
            redundancy; 4 gives phase retrieval a good chance.
        window: window name (``"hann"``, ``"hamming"``, ``"blackman"``), periodic.
        center: pad ``win_length // 2`` zeros at both ends before framing (librosa's convention
            when ``win_length == n_fft``), so frame ``m`` is centred on sample ``m * hop_length``.
        clip_samples: length in samples of one training clip / one generated sound.
        n_frames: time frames the model sees (the first ``n_frames`` of the clip's STFT).
        n_bins: frequency bins the model sees (the lowest ``n_bins``; dropping the Nyquist bin
            makes power-of-two shapes).
        scale: ``"log"`` maps magnitude to decibels relative to a full-scale sinusoid and then
            linearly to [-1, 1] over ``top_db``; ``"linear"`` keeps raw magnitudes (the 2022
            prototype's choice, kept for comparison).
        top_db: dynamic range in dB mapped onto [-1, 1] by the log scale: -top_db dB → -1,
            0 dB (a full-scale sinusoid) → +1. Quieter bins clip at -1.
        version: layout version of this record (:data:`SPEC_FORMAT_VERSION`).
    """

    sr: int = 8000
    n_fft: int = 256
    win_length: int = 256
    hop_length: int = 64
    window: str = "hann"
    center: bool = True
    clip_samples: int = 16384
    n_frames: int = 256
    n_bins: int = 128
    scale: str = "log"
    top_db: float = 80.0
    version: int = SPEC_FORMAT_VERSION

    def __post_init__(self) -> None:
        self.validate()

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        """Raise :class:`ParameterError` naming the first impossible value."""
        ints = ("sr", "n_fft", "win_length", "hop_length", "clip_samples", "n_frames", "n_bins")
        for name in ints:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ParameterError(f"spec.{name} must be a positive integer, got {value!r}")
        if not SR_RANGE[0] <= self.sr <= SR_RANGE[1]:
            raise ParameterError(
                f"spec.sr must be between {SR_RANGE[0]} and {SR_RANGE[1]} Hz, got {self.sr}"
            )
        if self.n_fft > MAX_N_FFT:
            raise ParameterError(f"spec.n_fft must be at most {MAX_N_FFT}, got {self.n_fft}")
        if not MIN_CLIP_S * self.sr <= self.clip_samples <= MAX_CLIP_S * self.sr:
            raise ParameterError(
                f"spec.clip_samples must give a clip of {MIN_CLIP_S:g} to {MAX_CLIP_S:g} s at "
                f"sr={self.sr}, got {self.clip_samples} samples"
            )
        if self.version != SPEC_FORMAT_VERSION:
            raise ParameterError(
                f"spec.version {self.version!r} is not supported (this mbot reads version "
                f"{SPEC_FORMAT_VERSION}); upgrade mockingbot"
            )
        if self.win_length > self.n_fft:
            raise ParameterError(
                f"spec.win_length ({self.win_length}) must not exceed spec.n_fft ({self.n_fft})"
            )
        if self.hop_length > self.win_length:
            raise ParameterError(
                f"spec.hop_length ({self.hop_length}) must not exceed spec.win_length "
                f"({self.win_length}): frames would leave gaps"
            )
        if self.window not in _WINDOWS:
            raise ParameterError(f"spec.window must be one of {_WINDOWS}, got {self.window!r}")
        if self.scale not in _SCALES:
            raise ParameterError(f"spec.scale must be one of {_SCALES}, got {self.scale!r}")
        if not isinstance(self.center, bool):
            raise ParameterError(f"spec.center must be true or false, got {self.center!r}")
        if not (isinstance(self.top_db, (int, float)) and 10.0 <= float(self.top_db) <= 200.0):
            raise ParameterError(f"spec.top_db must be between 10 and 200 dB, got {self.top_db!r}")
        if self.n_bins > self.n_fft // 2 + 1:
            raise ParameterError(
                f"spec.n_bins ({self.n_bins}) exceeds the {self.n_fft // 2 + 1} bins of an "
                f"n_fft={self.n_fft} STFT"
            )
        if self.total_frames * self.total_bins > MAX_STFT_CELLS:
            raise ParameterError(
                f"spec: a clip's STFT grid of {self.total_frames} frames × {self.total_bins} "
                f"bins exceeds {MAX_STFT_CELLS} cells (clip_samples={self.clip_samples}, "
                f"hop_length={self.hop_length}, n_fft={self.n_fft})"
            )
        if self.n_frames > self.total_frames:
            raise ParameterError(
                f"spec.n_frames ({self.n_frames}) exceeds the {self.total_frames} frames that "
                f"clip_samples={self.clip_samples} gives at hop_length={self.hop_length}"
            )

    # ------------------------------------------------------------------ derived facts
    @property
    def total_frames(self) -> int:
        """Frames of the full STFT of one clip (before keeping ``n_frames``)."""
        return spectral.n_frames(
            self.clip_samples,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            center=self.center,
            win_length=self.win_length,
        )

    @property
    def total_bins(self) -> int:
        """Bins of the full one-sided STFT (``n_fft // 2 + 1``)."""
        return self.n_fft // 2 + 1

    @property
    def shape(self) -> tuple[int, int]:
        """Shape ``(n_frames, n_bins)`` of one model output."""
        return (self.n_frames, self.n_bins)

    @property
    def max_hz(self) -> float:
        """Upper edge of the highest bin the model sees (Hz): its bandwidth.

        ``n_bins · sr / n_fft``, at most ``sr / 2``: 4 kHz for the default spec. A pack written
        at 48 kHz from a model holds nothing above this, whatever its file's rate says.
        """
        return min(self.n_bins * self.sr / self.n_fft, self.sr / 2)

    @property
    def duration_s(self) -> float:
        """Length of one clip in seconds."""
        return self.clip_samples / self.sr

    @property
    def amplitude_ref(self) -> float:
        """STFT magnitude of a full-scale sinusoid centred on a bin (0 dB on the log scale)."""
        return float(self.window_array().sum() / 2.0)

    def window_array(self) -> np.ndarray:
        """The analysis window, ``win_length`` samples, float64."""
        return spectral.get_window(self.window, self.win_length)

    # ------------------------------------------------------------------ transforms
    def stft(self, y: np.ndarray) -> np.ndarray:
        """Full complex STFT ``D`` of ``y`` with this spec's parameters.

        Args:
            y: audio, shape [..., samples].

        Returns:
            complex array [..., total_frames_of_y, n_fft // 2 + 1].
        """
        return spectral.stft(
            y,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=self.window,
            center=self.center,
        )

    def istft(self, D: np.ndarray, *, length: int | None = None) -> np.ndarray:
        """Inverse of :meth:`stft` (least-squares overlap-add); ``length`` defaults to a clip."""
        return spectral.istft(
            D,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=self.window,
            center=self.center,
            length=self.clip_samples if length is None else length,
        )

    def fit_clip(self, y: np.ndarray) -> np.ndarray:
        """Zero-pad or cut ``y`` (last axis) to exactly ``clip_samples``."""
        y = np.asarray(y)
        n = y.shape[-1]
        if n >= self.clip_samples:
            return y[..., : self.clip_samples]
        pad = [(0, 0)] * (y.ndim - 1) + [(0, self.clip_samples - n)]
        return np.pad(y, pad)

    def normalize(self, S: np.ndarray) -> np.ndarray:
        """Linear magnitude → the model's scale (float32). Pure function of ``S``."""
        S = np.asarray(S, dtype=np.float64)
        if self.scale == "linear":
            return S.astype(np.float32)
        floor = 10.0 ** (-self.top_db / 20.0)
        db = 20.0 * np.log10(np.maximum(S / self.amplitude_ref, floor))
        return np.clip(1.0 + 2.0 * db / self.top_db, -1.0, 1.0).astype(np.float32)

    def magnitude(self, X: np.ndarray) -> np.ndarray:
        """The model's scale → linear magnitude ``S`` (float32); inverse of :meth:`normalize`.

        Values at -1 (the floor) map to exactly zero so silence stays silent. Computed in
        float32 with one ``exp``: the runtime calls this on every generated batch, and float64
        ``10 ** x`` cost a third as much as phase retrieval.
        """
        X = np.asarray(X, dtype=np.float32)
        if self.scale == "linear":
            return np.maximum(X, np.float32(0.0))
        X = np.clip(X, np.float32(-1.0), np.float32(1.0))
        # S = ref · 10^(db / 20) with db = (X - 1) · top_db / 2
        scale = np.float32(self.top_db / 2.0 * np.log(10.0) / 20.0)
        S = np.exp((X - np.float32(1.0)) * scale)
        S *= np.float32(self.amplitude_ref)
        S[np.less_equal(X, np.float32(-1.0 + 1e-6))] = 0.0
        return S

    def features(self, y: np.ndarray) -> np.ndarray:
        """Audio clip(s) → normalised spectrogram ``[..., n_frames, n_bins]`` (float32).

        ``y`` is padded or cut to ``clip_samples`` first.
        """
        D = self.stft(self.fit_clip(np.asarray(y, dtype=np.float64)))
        return self.normalize(np.abs(D[..., : self.n_frames, : self.n_bins]))

    def full_magnitude(self, S: np.ndarray) -> np.ndarray:
        """Pad model-sized magnitudes ``[..., n_frames, n_bins]`` with zeros to the full STFT grid.

        Returns:
            float32 array [..., total_frames, total_bins], the grid :meth:`istft` inverts.
        """
        S = np.asarray(S, dtype=np.float32)
        if S.shape[-2:] != self.shape:
            raise ParameterError(f"expected spectrograms of shape {self.shape}, got {S.shape[-2:]}")
        pad = [(0, 0)] * (S.ndim - 2) + [
            (0, self.total_frames - self.n_frames),
            (0, self.total_bins - self.n_bins),
        ]
        return np.pad(S, pad)

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every field (JSON-ready)."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """Compact, key-sorted JSON: the exact text stored in checkpoints and ONNX metadata."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SpectrogramSpec:
        """Build a spec from a mapping, rejecting unknown keys with a clear message."""
        if not isinstance(data, Mapping):
            raise ParameterError(f"a spectrogram spec must be a mapping, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ParameterError(
                f"unknown spectrogram spec key(s) {', '.join(unknown)}; known keys: "
                f"{', '.join(sorted(known))}"
            )
        try:
            return cls(**dict(data))
        except TypeError as exc:  # wrong value types that dataclasses reject
            raise ParameterError(f"invalid spectrogram spec: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> SpectrogramSpec:
        """Inverse of :meth:`to_json`."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"spectrogram spec is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> SpectrogramSpec:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)


def _rung(sr: int, *, n_fft: int, n_frames: int) -> SpectrogramSpec:
    """A ladder rung's spec: the default spec's rules at another rate.

    hop = n_fft / 4 (redundancy 4 for phase retrieval), a clip of exactly ``n_frames`` hops,
    every bin but the Nyquist one; window, centring, scale and range as the default spec.
    """
    hop = n_fft // 4
    return SpectrogramSpec(
        sr=sr,
        n_fft=n_fft,
        win_length=n_fft,
        hop_length=hop,
        clip_samples=n_frames * hop,
        n_frames=n_frames,
        n_bins=n_fft // 2,
    )


#: Named specs. ``default``: 8 kHz, n_fft 256 / hop 64 (redundancy 4, what phase-gradient
#: phase retrieval wants), 2.05 s clips, 256 × 128 log-magnitude in an 80 dB range.
#: ``seed-2022``: the 2022 prototype's frame 513 / step 74 / FFT 1024, uncentred, 10 000-sample
#: clips, 128 × 512 linear magnitudes.
#: ``16k``, ``22k``, ``32k``: the wideband rungs of :data:`LADDER`. Each keeps what the default
#: spec got right at 8 kHz: redundancy 4 (n_fft / hop), a clip of about 2 s so one clip holds a
#: whole call, and the Nyquist bin dropped so n_bins is a power of two. n_fft grows with the
#: rate so the window stays 23–32 ms (31–43 Hz bins: a 120 Hz f0's harmonics stay resolved).
#: At 22.05 kHz 2 s is 344 hops of 128; 352 = 11 × 32 frames (2.04 s) keeps n_frames a whole
#: number times a power of two, which the generator's ×2 upsampling blocks need.
PRESETS: dict[str, SpectrogramSpec] = {
    "default": SpectrogramSpec(),
    "seed-2022": SpectrogramSpec(
        sr=8000,
        n_fft=1024,
        win_length=513,
        hop_length=74,
        window="hann",
        center=False,
        clip_samples=10000,
        n_frames=128,
        n_bins=512,
        scale="linear",
        top_db=80.0,
    ),
    "16k": _rung(16000, n_fft=512, n_frames=256),
    "22k": _rung(22050, n_fft=512, n_frames=352),
    "32k": _rung(32000, n_fft=1024, n_frames=256),
}

#: The sample-rate ladder, lowest first: (rate in Hz, name of its spec in :data:`PRESETS`).
#: ``mbot train`` picks a rung from the data (:mod:`mockingbot.bandwidth`); 8 kHz is the
#: ``default`` spec itself, so a data set of 8 kHz files trains exactly as before. The top
#: rung is 32 kHz, not 44.1/48: above 16 kHz animal calls carry little a game needs, and the
#: spectrogram (and every step of training) would double again; packs are resampled to
#: 44.1/48 kHz on the way out whatever the rung.
LADDER: tuple[tuple[int, str], ...] = (
    (8000, "default"),
    (16000, "16k"),
    (22050, "22k"),
    (32000, "32k"),
)


def ladder_preset(sr: int) -> str:
    """Name of the :data:`PRESETS` spec of ladder rung ``sr`` (Hz).

    Raises:
        ParameterError: ``sr`` is not a rung; the message lists the rungs.
    """
    for rate, name in LADDER:
        if rate == sr:
            return name
    rungs = ", ".join(str(r) for r, _ in LADDER)
    raise ParameterError(f"sample rate {sr} Hz is not on the ladder; choose one of {rungs}")
