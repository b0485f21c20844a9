"""Differentiable harmonic-plus-noise rendering into the spec's normalised log-magnitude.

The harmonic generator does not paint spectrogram pixels; it predicts per-frame controls
(f0, harmonic amplitudes, a noise envelope) and this layer renders them as the magnitude
spectrogram a real harmonic sound would have under the spec's STFT: each harmonic k·f0 is a
window-shaped peak (the analysis window's main lobe, approximated by a Gaussian whose width is
measured from the spec's window), the noise envelope is interpolated from a few bands to every
bin, and the two add in power. The result goes through :func:`normalize_relative`, the
TensorFlow twin of :meth:`mockingbot.spec.SpectrogramSpec.normalize`, so the discriminator and
the runtime see exactly the representation real clips have.

TensorFlow only; training-time code (the runtime never imports it).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from keras import layers, saving

from mockingbot.spec import SpectrogramSpec

__all__ = [
    "EQ_SCALE_DB",
    "HarmonicNoiseSynth",
    "decode_controls",
    "eq_gains",
    "main_lobe_half_width_bins",
    "main_lobe_sigma_bins",
    "noise_band_matrix",
    "normalize_relative",
    "peak_profile",
    "rayleigh_texture",
]


#: Levels may go this far below the spec's floor so that silence is reachable.
LEVEL_HEADROOM_DB = 20.0

#: The channel EQ's trainable value 1.0 means this many dB. Adam moves a weight by about its
#: learning rate per step whatever the gradient's size, so the scale sets how fast the EQ can
#: learn: 2e-4 × 50 = 0.01 dB per step, 10 dB in 1000 steps.
EQ_SCALE_DB = 50.0


def _db_to_amp(db: tf.Tensor) -> tf.Tensor:
    return tf.exp(db * (np.log(10.0) / 20.0))


def decode_controls(
    controls: tf.Tensor,
    *,
    spec: SpectrogramSpec,
    n_harmonics: int,
    f0_min_hz: float,
    f0_max_hz: float,
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
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
    f0 = tf.exp(log_lo + tf.sigmoid(controls[..., :1]) * (log_hi - log_lo))
    level_range = spec.top_db + LEVEL_HEADROOM_DB
    bin_hz = spec.sr / spec.n_fft
    k = tf.constant(np.arange(1, K + 1), tf.float32)
    alias = tf.sigmoid((spec.sr / 2.0 - bin_hz - f0 * k) / bin_hz)
    amp = _db_to_amp(-level_range * tf.sigmoid(controls[..., 1 : 1 + K])) * alias
    bands = _db_to_amp(-level_range * tf.sigmoid(controls[..., 1 + K :]))
    return f0, amp, bands


def eq_gains(eq: tf.Tensor) -> tf.Tensor:
    """Channel EQ weights → linear gains per band (a weight of 1 is ``EQ_SCALE_DB``)."""
    return _db_to_amp(eq * EQ_SCALE_DB)


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


def peak_profile(delta: tf.Tensor, shape: str) -> tf.Tensor:
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
        return tf.exp(-float(np.log(2.0)) * tf.square(delta))
    return 1.0 / (1.0 + tf.square(tf.square(delta)))


def noise_band_matrix(n_bands: int, n_bins: int) -> np.ndarray:
    """[n_bands, n_bins] linear-interpolation weights from band centres to every bin."""
    centres = np.linspace(0.0, n_bins - 1.0, n_bands)
    bins = np.arange(n_bins, dtype=np.float64)
    eye = np.eye(n_bands)
    return np.stack([np.interp(bins, centres, eye[i]) for i in range(n_bands)]).astype(np.float32)


def rayleigh_texture(shape: tf.Tensor) -> tf.Tensor:
    """Random per-cell magnitude factors with mean 1, distributed like |complex Gaussian|.

    A real noise floor is not a smooth envelope: each STFT cell of noise has a Rayleigh-
    distributed magnitude. Without this texture the discriminator can tell generated noise by
    its smoothness alone, whatever its level, and the generator gets no useful signal about
    how loud the noise should be. With it (training only) the two differ only in level.
    """
    u = tf.random.uniform(shape, minval=1e-7, maxval=1.0)
    return tf.sqrt(-(4.0 / np.pi) * tf.math.log(u))  # Rayleigh with E = 1


def normalize_relative(S_rel: tf.Tensor, spec: SpectrogramSpec) -> tf.Tensor:
    """TF twin of :meth:`SpectrogramSpec.normalize` for magnitudes relative to a full-scale sine.

    ``S_rel = S / spec.amplitude_ref``. The floor is applied smoothly (power addition instead of
    a hard maximum) so gradients reach quiet bins; above the floor both agree to within 0.5 dB.
    """
    floor_power = 10.0 ** (-spec.top_db / 10.0)
    db = 10.0 * tf.math.log(tf.square(S_rel) + floor_power) / np.log(10.0)
    return tf.clip_by_value(1.0 + 2.0 * db / spec.top_db, -1.0, 1.0)


@saving.register_keras_serializable(package="mockingbot")
class HarmonicNoiseSynth(layers.Layer):
    """Controls [batch, frames, 1 + K + B] → normalised log-magnitude [batch, frames, bins].

    Channel layout of the controls: f0 logit (1), harmonic level logits (K), noise band level
    logits (B). Levels are bounded in dB: ``-(top_db + LEVEL_HEADROOM_DB) · sigmoid(x)``, so
    nothing can blow up, the initial output (logits ≈ 0) sits in the middle of the dynamic
    range, and the generator can reach true silence (-1) as the padded ends of real clips do.

    Args:
        spec: the spectrogram spec as a dict (layer configs must be JSON).
        n_harmonics: K.
        n_noise_bands: B.
        f0_min_hz, f0_max_hz: f0 range; the f0 logit maps log-linearly onto it.
        noise_texture: in training, multiply the noise by a random Rayleigh texture (see
            :func:`rayleigh_texture`); at inference the smooth expected magnitude is emitted.
        peak_shape: ``"rational"`` or ``"gaussian"`` harmonic peaks (see :func:`peak_profile`).
        channel_eq: learn one equaliser for the whole data set, ``n_noise_bands`` gains on the
            noise bands' triangles (see
            :class:`~mockingbot.trainer.wavesynth.HarmonicNoiseWaveSynth`, which has the same
            weight, so it carries over between the two renderers).
    """

    def __init__(
        self,
        spec: dict,
        n_harmonics: int,
        n_noise_bands: int,
        f0_min_hz: float,
        f0_max_hz: float,
        noise_texture: bool = False,
        peak_shape: str = "gaussian",
        channel_eq: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.channel_eq = bool(channel_eq)
        self.noise_texture = bool(noise_texture)
        self.peak_shape = str(peak_shape)
        self.spec_dict = dict(spec)
        self.spec = SpectrogramSpec.from_dict(spec)
        self.n_harmonics = int(n_harmonics)
        self.n_noise_bands = int(n_noise_bands)
        self.f0_min_hz = float(f0_min_hz)
        self.f0_max_hz = float(f0_max_hz)
        s = self.spec
        self._bin_hz = s.sr / s.n_fft
        self._half_width = main_lobe_half_width_bins(s)
        self._bins_hz = tf.constant(np.arange(s.n_bins) * self._bin_hz, tf.float32)
        self._band = tf.constant(noise_band_matrix(self.n_noise_bands, s.n_bins))
        if self.channel_eq:
            self.eq = self.add_weight(
                name="eq", shape=(self.n_noise_bands,), initializer="zeros", trainable=True
            )

    @property
    def n_controls(self) -> int:
        return 1 + self.n_harmonics + self.n_noise_bands

    def call(self, controls: tf.Tensor, training: bool | None = None) -> tf.Tensor:
        s = self.spec
        f0, amp, noise_band = decode_controls(
            controls,
            spec=s,
            n_harmonics=self.n_harmonics,
            f0_min_hz=self.f0_min_hz,
            f0_max_hz=self.f0_max_hz,
        )
        harm = self._harmonic_peaks(f0, amp)
        noise = tf.tensordot(noise_band, self._band, axes=1)  # [B, T, F]
        if training and self.noise_texture:
            noise = noise * rayleigh_texture(tf.shape(noise))
        S_rel = tf.sqrt(tf.square(harm) + tf.square(noise) + 1e-12)
        if self.channel_eq:  # [F], the same for every sound
            S_rel = S_rel * tf.tensordot(eq_gains(self.eq), self._band, axes=1)
        return normalize_relative(S_rel, s)

    def _harmonic_peaks(self, f0: tf.Tensor, amp: tf.Tensor) -> tf.Tensor:
        """Sum of window-shaped peaks of height ``amp[k]`` at ``(k+1)·f0``, per bin.

        Harmonics are at least ``f0_min_hz`` apart (several bins), so each bin mostly feels the
        nearest harmonic and its two neighbours (the next ones are > 50 dB down with the
        rational profile); gathering those three instead of summing all K keeps the cost at
        3 × [B, T, F] rather than K × [B, T, F] (≈6× faster to train).

        Args:
            f0: [B, T, 1] in Hz.  amp: [B, T, K] linear, relative to full scale.
        Returns:
            [B, T, F] relative magnitude.
        """
        K = self.n_harmonics
        shape = tf.shape(amp)
        rows = shape[0] * shape[1]
        flat_amp = tf.reshape(amp, [-1])  # [B*T*K]
        row_offset = tf.reshape(tf.range(rows) * K, [shape[0], shape[1], 1])
        k_near = tf.floor(self._bins_hz / f0 + 0.5)  # nearest harmonic number, [B, T, F]
        width = self._bin_hz * self._half_width
        harm = tf.zeros_like(k_near)
        for d in (-1.0, 0.0, 1.0):
            k = k_near + d
            valid = tf.logical_and(k >= 1.0, k <= float(K))
            idx = tf.cast(tf.clip_by_value(k, 1.0, float(K)), tf.int32) - 1 + row_offset
            a = tf.gather(flat_amp, idx)
            delta = (self._bins_hz - k * f0) / width
            harm += tf.where(valid, a * peak_profile(delta, self.peak_shape), 0.0)
        return harm

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            spec=self.spec_dict,
            n_harmonics=self.n_harmonics,
            n_noise_bands=self.n_noise_bands,
            f0_min_hz=self.f0_min_hz,
            f0_max_hz=self.f0_max_hz,
            noise_texture=self.noise_texture,
            peak_shape=self.peak_shape,
            channel_eq=self.channel_eq,
        )
        return config
