"""Keras 3 generators and discriminators, built from a :class:`TrainConfig`.

Generators map a latent ``z`` [batch, latent_dim] to the spec's normalised spectrogram
[batch, n_frames, n_bins] — or, with ``model.output = "waveform"``, ``(z, noise)`` to audio
[batch, clip_samples] — and discriminators map a spectrogram to one logit per example.

- ``harmonic`` generator: dense → ``gen_base_frames`` frames, then 1-D conv blocks
  that double the frame count, then a 1×1 conv to the synth controls, rendered by
  :class:`~mockingbot.trainer.synth.HarmonicNoiseSynth`. Convolving along time only keeps it
  small (≈1.3 M parameters) and fast on a CPU; the harmonic structure is built in. With
  ``output = "waveform"`` the same controls are played by
  :class:`~mockingbot.trainer.wavesynth.HarmonicNoiseWaveSynth` instead (same weights).
- ``fullres`` generator (default): the harmonic generator's trunk and controls as the
  coarse path, plus full-resolution maps (a tonal map on every bin, a per-bin noise
  correction) and texture drawn from a ``noise`` input, rendered by
  :class:`~mockingbot.trainer.fullres.FullResSynth`: ``(z, noise)`` → spectrogram.
- ``dense2022`` generator: the 2022 prototype's dense 25-100-200-300-400-(T+F)-(T·F) stack.
- ``conv`` discriminator: 5×5 stride-2 convolutions with LeakyReLU, a minibatch-stddev
  feature (so the discriminator can see a collapsed batch) and a dense logit; with
  ``model.disc_stats`` a second logit from clip-level statistics is added to it.
- ``conv2022`` discriminator: the prototype's two conv layers with dropout 0.3.
"""

from __future__ import annotations

# TensorFlow-only renderers (harmonic, waveform, clip statistics) are imported where they are
# used, so the full-resolution generator and the conv discriminator build with any Keras
# backend (scripts/gpu_train.py trains them with JAX).
import keras
import numpy as np
from keras import layers, ops, saving

from mockingbot.texture import NOISE_CHANNELS, noise_shape

from .config import TrainConfig
from .fullres import FrameNoise, FullResSynth

__all__ = ["MinibatchStd", "build_discriminator", "build_generator"]

_LEAK = 0.2  # LeakyReLU slope used throughout (SpecGAN/DCGAN practice)
_KERNEL_T = 5  # temporal kernel of the generator's 1-D convolutions
_KERNEL_D = 5  # discriminator's 2-D kernel
#: Initial logit of the full-resolution tonal map: −(top_db + 20)·sigmoid(4) ≈ −98 dB, i.e. off.
_TONAL_OFF = 4.0
#: Initial standard deviation of the frame-noise projection (see :func:`_frame_trunk`).
_FRAME_NOISE_INIT = 0.005


def build_generator(cfg: TrainConfig, *, name: str = "generator") -> keras.Model:
    """The generator named by ``cfg.model.generator``."""
    if cfg.model.generator == "fullres":
        return _fullres_generator(cfg, name)
    if cfg.model.generator == "harmonic":
        return _harmonic_generator(cfg, name)
    return _dense2022_generator(cfg, name)


def build_discriminator(cfg: TrainConfig, *, name: str = "discriminator") -> keras.Model:
    """The discriminator named by ``cfg.model.discriminator``."""
    if cfg.model.discriminator == "conv":
        return _conv_discriminator(cfg, name)
    return _conv2022_discriminator(cfg, name)


def _frame_trunk(
    cfg: TrainConfig, z: keras.KerasTensor, frame_noise: keras.KerasTensor | None = None
) -> keras.KerasTensor:
    """Latent → per-frame features [batch, n_frames, gen_channels[-1]].

    Dense to ``gen_base_frames`` frames, then 1-D conv blocks that double the frame count:
    convolving along time only keeps the network small and fast on a CPU.

    ``frame_noise`` [batch, n_frames, groups], when given, is added to the last block's
    input through a learned per-channel projection (StyleGAN's noise inputs), so the network
    learns how much frame-to-frame randomness each channel takes. The projection starts
    small (:data:`_FRAME_NOISE_INIT`), not at zero: at zero the noise is independent of
    everything the loss sees, so its expected gradient is exactly zero and the weights only
    random-walk (measured: rms 0.002 after 500 steps). Small, the network starts close to
    the one without it (the jitter is a fifth of the trunk's own frame-to-frame change), so
    a state trained without it continues from where it was.
    """
    m = cfg.model
    ch0 = m.gen_channels[0]
    h = layers.Dense(m.gen_base_frames * ch0, name="project")(z)
    h = layers.Reshape((m.gen_base_frames, ch0))(h)
    h = layers.LeakyReLU(_LEAK)(h)
    last = len(m.gen_channels) - 1
    for i, ch in enumerate(m.gen_channels):
        h = layers.UpSampling1D(2, name=f"up{i}")(h)
        if frame_noise is not None and i == last:
            inject = layers.Dense(
                h.shape[-1],
                use_bias=False,
                kernel_initializer=keras.initializers.RandomNormal(stddev=_FRAME_NOISE_INIT),
                name="frame_noise",
            )(frame_noise)
            h = layers.Add(name="with_frame_noise")([h, inject])
        h = layers.Conv1D(ch, _KERNEL_T, padding="same", name=f"conv{i}")(h)
        h = layers.LeakyReLU(_LEAK)(h)
    return h


def _voice(cfg: TrainConfig) -> dict:
    """The voice arguments every renderer takes (:class:`~.render_ops.VoiceLayer`)."""
    m = cfg.model
    return dict(
        spec=cfg.spec.to_dict(),
        n_harmonics=m.n_harmonics,
        n_noise_bands=m.n_noise_bands,
        f0_min_hz=m.f0_min_hz,
        f0_max_hz=m.f0_max_hz,
    )


def _fullres_generator(cfg: TrainConfig, name: str) -> keras.Model:
    """``(z, noise)`` → normalised log-magnitude (:mod:`~mockingbot.trainer.fullres`).

    The harmonic generator's trunk and controls (the coarse path), plus a per-frame head that
    gives every bin of the tonal map and the noise correction, and an optional 2-D
    refinement of both maps. The new heads' last kernels start at zero (and the tonal map
    ~100 dB down), so an untrained network is the harmonic generator with drawn texture.
    With ``model.frame_noise`` the trunk's last block also takes per-frame noise channels
    drawn from the same ``noise`` input (:class:`~mockingbot.trainer.fullres.FrameNoise`).
    """
    m, spec = cfg.model, cfg.spec
    T, F = spec.shape
    z = keras.Input((m.latent_dim,), name="z")
    noise = keras.Input(noise_shape(T, F), name="noise")
    frame_noise = FrameNoise(m.frame_noise, name="frame_groups")(noise) if m.frame_noise else None
    h = _frame_trunk(cfg, z, frame_noise)
    synth = FullResSynth(**_voice(cfg), peak_shape=m.peak_shape, name="synth")
    controls = layers.Conv1D(synth.n_controls, 3, padding="same", name="controls")(h)
    maps = layers.Conv1D(
        NOISE_CHANNELS * F,
        3,
        padding="same",
        kernel_initializer="zeros",
        bias_initializer=keras.initializers.Constant(np.tile([_TONAL_OFF, 0.0], F)),
        name="fine",
    )(h)
    maps = layers.Reshape((T, F, NOISE_CHANNELS))(maps)
    if m.refine_channels:
        r = maps
        for i, ch in enumerate(m.refine_channels):
            r = layers.Conv2D(ch, 3, padding="same", name=f"refine{i}")(r)
            r = layers.LeakyReLU(_LEAK)(r)
        r = layers.Conv2D(
            NOISE_CHANNELS, 3, padding="same", kernel_initializer="zeros", name="refine_out"
        )(r)
        maps = layers.Add(name="maps")([maps, r])
    return keras.Model([z, noise], synth([controls, maps, noise]), name=name)


def _harmonic_generator(cfg: TrainConfig, name: str) -> keras.Model:
    m = cfg.model
    z = keras.Input((m.latent_dim,), name="z")
    h = _frame_trunk(cfg, z)
    # the same controls either way, so a spectrogram run's weights fit a waveform run
    voice = dict(**_voice(cfg), channel_eq=m.channel_eq, name="synth")
    if m.output == "waveform":
        from .wavesynth import HarmonicNoiseWaveSynth

        wave = HarmonicNoiseWaveSynth(**voice)
        noise = keras.Input((wave.n_samples,), name="noise")
        controls = layers.Conv1D(wave.n_controls, 3, padding="same", name="controls")(h)
        return keras.Model([z, noise], wave([controls, noise]), name=name)
    from .synth import HarmonicNoiseSynth

    synth = HarmonicNoiseSynth(**voice, noise_texture=m.noise_texture, peak_shape=m.peak_shape)
    controls = layers.Conv1D(synth.n_controls, 3, padding="same", name="controls")(h)
    out = synth(controls)
    return keras.Model(z, out, name=name)


def _dense2022_generator(cfg: TrainConfig, name: str) -> keras.Model:
    T, F = cfg.spec.shape
    z = keras.Input((cfg.model.latent_dim,), name="z")
    h = z
    for units in (25, 100, 200, 300, 400, T + F):
        h = layers.Dense(units)(h)
        h = layers.LeakyReLU(_LEAK)(h)
    h = layers.Dense(T * F)(h)
    out = layers.Reshape((T, F))(h)
    return keras.Model(z, out, name=name)


@saving.register_keras_serializable(package="mockingbot")
class MinibatchStd(layers.Layer):
    """Append the batch's mean feature std as one extra channel (ProGAN).

    A generator that makes the same sound for every latent gives a batch with ~0 spread; this
    channel lets the discriminator notice, which pushes the generator towards diversity.
    """

    def call(self, x):
        # sqrt(var + ε), as in ProGAN: where every example of the batch has the same feature
        # (silence; a batch of 2 often does) the std is 0 and sqrt's gradient is infinite,
        # which turned the whole step's gradients into NaN
        var = ops.var(x, axis=0, keepdims=True)
        std = ops.sqrt(var + 1e-8)
        mean_std = ops.mean(std, axis=[1, 2, 3], keepdims=True)
        return ops.concatenate([x, ops.zeros_like(x[..., :1]) + mean_std], axis=-1)


def _conv_discriminator(cfg: TrainConfig, name: str) -> keras.Model:
    T, F = cfg.spec.shape
    x_in = keras.Input((T, F), name="spectrogram")
    h = layers.Reshape((T, F, 1))(x_in)
    for i, ch in enumerate(cfg.model.disc_channels):
        h = layers.Conv2D(ch, _KERNEL_D, strides=2, padding="same", name=f"conv{i}")(h)
        h = layers.LeakyReLU(_LEAK)(h)
    h = MinibatchStd(name="mbstd")(h)
    h = layers.Conv2D(cfg.model.disc_channels[-1], 3, padding="same", name="conv_final")(h)
    h = layers.LeakyReLU(_LEAK)(h)
    h = layers.Flatten()(h)
    out = layers.Dense(1, name="logit")(h)
    if cfg.model.disc_stats:
        out = layers.Add(name="logit_sum")([out, _stats_head(cfg, x_in)])
    return keras.Model(x_in, out, name=name)


def _stats_head(cfg: TrainConfig, x_in: keras.KerasTensor) -> keras.KerasTensor:
    """A second logit from clip-level statistics (:mod:`~mockingbot.trainer.clipstats`).

    It is added to the convolutional logit rather than concatenated before it, so the conv
    layers and their ``logit`` keep their shapes: a run with ``disc_stats`` can start from
    one without it (``--init-from``), and the zero-initialised last layer makes it start as
    exactly that discriminator.
    """
    from .clipstats import ClipStats

    s = ClipStats(cfg.spec.to_dict(), cfg.model.stats_bands, name="clip_stats")(x_in)
    for i, units in enumerate((128, 64)):
        s = layers.Dense(units, name=f"stats_dense{i}")(s)
        s = layers.LeakyReLU(_LEAK)(s)
    return layers.Dense(1, kernel_initializer="zeros", name="stats_logit")(s)


def _conv2022_discriminator(cfg: TrainConfig, name: str) -> keras.Model:
    T, F = cfg.spec.shape
    x_in = keras.Input((T, F), name="spectrogram")
    h = layers.Reshape((T, F, 1))(x_in)
    for ch in (16, 128):
        h = layers.Conv2D(ch, _KERNEL_D, strides=2, padding="same")(h)
        h = layers.LeakyReLU(_LEAK)(h)
        h = layers.Dropout(0.3)(h)
    h = layers.Flatten()(h)
    out = layers.Dense(1)(h)
    return keras.Model(x_in, out, name=name)
