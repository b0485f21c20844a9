"""The rendering maths of the harmonic and full-resolution generators, backend-neutral.

Written with ``keras.ops`` only (no TensorFlow import), so one implementation serves
TensorFlow training on a CPU, the ONNX export (traced through TensorFlow) and
``scripts/gpu_train.py``, which trains the same Keras networks on a GPU machine with the
JAX backend where TensorFlow is not installed.

Contents: level mapping (:func:`db_to_amp`, :func:`decode_controls`), harmonic peaks
(:func:`main_lobe_half_width_bins`, :func:`main_lobe_sigma_bins`, :func:`peak_profile`,
:func:`harmonic_peaks`), the band envelope (:func:`noise_band_matrix`) and the spec's
normalisation (:func:`normalize_relative`), and :class:`VoiceLayer`, the base of every
renderer (the voice arguments, stored and serialised once).
"""

from __future__ import annotations

import numpy as np
from keras import layers, ops

from mockingbot.spec import SpectrogramSpec

__all__ = [
    "LEVEL_HEADROOM_DB",
    "VoiceLayer",
    "db_to_amp",
    "decode_controls",
    "harmonic_peaks",
    "main_lobe_half_width_bins",
    "main_lobe_sigma_bins",
    "noise_band_matrix",
    "normalize_relative",
    "peak_profile",
]

#: Levels may go this far below the spec's floor so that silence is reachable.
LEVEL_HEADROOM_DB = 20.0


def db_to_amp(db):
    """Decibels to linear amplitude."""
    return ops.exp(db * (np.log(10.0) / 20.0))


def decode_controls(
    controls,
    *,
    spec: SpectrogramSpec,
    n_harmonics: int,
    f0_min_hz: float,
    f0_max_hz: float,
) -> tuple:
    """What the control channels mean, for every renderer: (f0 Hz, harmonic amps, band amps).

    Channels: f0 logit (1) mapped log-linearly onto [f0_min_hz, f0_max_hz]; K harmonic and B
    noise-band level logits mapped onto ``-(top_db + LEVEL_HEADROOM_DB) · sigmoid(x)`` dB.
    Harmonics near or above Nyquist fade out smoothly. One definition, so the spectrogram
    and the waveform renderer give the same weights the same meaning.

    Returns:
        f0 [B, T, 1] in Hz; harmonic amplitudes [B, T, K] and noise-band amplitudes
        [B, T, Bn], linear, relative to a full-scale sinusoid.
    """
    K = n_harmonics
    log_lo, log_hi = np.log(f0_min_hz), np.log(f0_max_hz)
    f0 = ops.exp(log_lo + ops.sigmoid(controls[..., :1]) * (log_hi - log_lo))
    level_range = spec.top_db + LEVEL_HEADROOM_DB
    bin_hz = spec.sr / spec.n_fft
    k = np.arange(1, K + 1, dtype=np.float32)
    alias = ops.sigmoid((spec.sr / 2.0 - bin_hz - f0 * k) / bin_hz)
    amp = db_to_amp(-level_range * ops.sigmoid(controls[..., 1 : 1 + K])) * alias
    bands = db_to_amp(-level_range * ops.sigmoid(controls[..., 1 + K :]))
    return f0, amp, bands


def main_lobe_half_width_bins(spec: SpectrogramSpec) -> float:
    """Offset (in bins) at which the window's transform falls to half its peak amplitude.

    A sinusoid between bins leaks into its neighbours by the window's transform; measuring the
    width from the spec's own window keeps the rendered peaks consistent with the STFT the
    real clips went through, whatever the window or zero padding.
    """
    w = spec.window_array()
    n = np.arange(w.size)
    offsets = np.linspace(0.0, 4.0, 4001)
    resp = np.abs(np.exp(-2j * np.pi * offsets[:, None] * n[None, :] / spec.n_fft) @ w) / w.sum()
    return float(offsets[np.argmax(resp <= 0.5)])


def main_lobe_sigma_bins(spec: SpectrogramSpec) -> float:
    """Std (in bins) of the Gaussian matching the window's main lobe at half amplitude."""
    return main_lobe_half_width_bins(spec) / float(np.sqrt(2.0 * np.log(2.0)))


def peak_profile(delta, shape: str):
    """Relative amplitude of a harmonic's peak at ``delta`` half-widths from its centre.

    ``"rational"``: 1 / (1 + delta⁴) — the main lobe plus tails that fall 24 dB per octave,
    close to a Hann window's side-lobe envelope. Its log-slope is bounded (≤ ~2.3 nepers per
    half-width), so float rounding in f0 moves the output by ≲ 1e-5, well inside the export's
    parity limit. ``"gaussian"``: exp(-ln2 · delta²) — same half width, tails that fall ever
    faster, whose log-slope grows without bound: rounding-level differences between
    TensorFlow and onnxruntime reach 1e-4 on the flanks. Kept so runs trained with it export
    unchanged.
    """
    if shape == "gaussian":
        return ops.exp(-float(np.log(2.0)) * ops.square(delta))
    return 1.0 / (1.0 + ops.square(ops.square(delta)))


def harmonic_peaks(f0, amp, *, spec: SpectrogramSpec, peak_shape: str):
    """Sum of window-shaped peaks of height ``amp[k]`` at ``(k+1)·f0``, on every bin.

    Harmonics are at least ``f0_min_hz`` apart (several bins), so each bin mostly feels the
    nearest harmonic and its two neighbours (the next ones are > 50 dB down with the
    rational profile); gathering those three instead of summing all K keeps the cost at
    3 × [B, T, F] rather than K × [B, T, F] (≈6× faster to train).

    Args:
        f0: [B, T, 1] in Hz.  amp: [B, T, K] linear, relative to full scale.
    Returns:
        [B, T, F] relative magnitude.
    """
    K = int(amp.shape[-1])
    bin_hz = spec.sr / spec.n_fft
    bins_hz = np.arange(spec.n_bins, dtype=np.float32) * np.float32(bin_hz)
    width = bin_hz * main_lobe_half_width_bins(spec)
    k_near = ops.floor(bins_hz / f0 + 0.5)  # nearest harmonic number, [B, T, F]
    harm = ops.zeros_like(k_near)
    for d in (-1.0, 0.0, 1.0):
        k = k_near + d
        valid = ops.logical_and(k >= 1.0, k <= float(K))
        idx = ops.cast(ops.clip(k, 1.0, float(K)), "int32") - 1
        a = ops.take_along_axis(amp, idx, axis=-1)
        delta = (bins_hz - k * f0) / width
        harm = harm + ops.where(valid, a * peak_profile(delta, peak_shape), 0.0)
    return harm


def noise_band_matrix(n_bands: int, n_bins: int) -> np.ndarray:
    """[n_bands, n_bins] linear-interpolation weights from band centres to every bin."""
    centres = np.linspace(0.0, n_bins - 1.0, n_bands)
    bins = np.arange(n_bins, dtype=np.float64)
    eye = np.eye(n_bands)
    return np.stack([np.interp(bins, centres, eye[i]) for i in range(n_bands)]).astype(np.float32)


def normalize_relative(S_rel, spec: SpectrogramSpec):
    """Twin of :meth:`SpectrogramSpec.normalize` for magnitudes relative to a full-scale sine.

    ``S_rel = S / spec.amplitude_ref``. The floor is applied smoothly (power addition instead of
    a hard maximum) so gradients reach quiet bins; above the floor both agree to within 0.5 dB.
    """
    floor_power = 10.0 ** (-spec.top_db / 10.0)
    db = 10.0 * ops.log(ops.square(S_rel) + floor_power) / np.log(10.0)
    return ops.clip(1.0 + 2.0 * db / spec.top_db, -1.0, 1.0)


class VoiceLayer(layers.Layer):
    """Base of the renderers: the voice every one of them plays, stored and serialised once.

    The harmonic, waveform and full-resolution renderers read the same control channels
    (:func:`decode_controls`), so the voice arguments and their config live here.

    Args:
        spec: the spectrogram spec as a dict (layer configs must be JSON).
        n_harmonics: K.
        n_noise_bands: B.
        f0_min_hz, f0_max_hz: f0 range; the f0 logit maps log-linearly onto it.
    """

    def __init__(
        self,
        spec: dict,
        n_harmonics: int,
        n_noise_bands: int,
        f0_min_hz: float,
        f0_max_hz: float,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.spec_dict = dict(spec)
        self.spec = SpectrogramSpec.from_dict(spec)
        self.n_harmonics = int(n_harmonics)
        self.n_noise_bands = int(n_noise_bands)
        self.f0_min_hz = float(f0_min_hz)
        self.f0_max_hz = float(f0_max_hz)

    @property
    def n_controls(self) -> int:
        """Control channels per frame: f0, K harmonic levels, B noise-band levels."""
        return 1 + self.n_harmonics + self.n_noise_bands

    def decode(self, controls) -> tuple:
        """:func:`decode_controls` with this voice's arguments."""
        return decode_controls(
            controls,
            spec=self.spec,
            n_harmonics=self.n_harmonics,
            f0_min_hz=self.f0_min_hz,
            f0_max_hz=self.f0_max_hz,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            spec=self.spec_dict,
            n_harmonics=self.n_harmonics,
            n_noise_bands=self.n_noise_bands,
            f0_min_hz=self.f0_min_hz,
            f0_max_hz=self.f0_max_hz,
        )
        return config
