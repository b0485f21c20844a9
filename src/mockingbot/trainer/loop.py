"""The GAN training loop: steps, checkpoints, samples, TensorBoard, signals.

One :class:`GanTrainer` owns the networks, optimisers and step counter of a run folder.
A step is one discriminator update and one generator update on the same global batch
(1:1 works with hinge loss + R1 and halves the cost of the classic 5:1 WGAN schedule).
The losses themselves are :mod:`~mockingbot.trainer.losses`, shared with the JAX loop.

Reliability:
- Checkpoints (networks, EMA generator, optimiser state, step) go through
  ``tf.train.CheckpointManager``, which writes data files first and swaps the ``checkpoint``
  index atomically, so a run killed at any instant (even SIGKILL) resumes from the last
  complete checkpoint and loses at most ``checkpoint_every`` steps.
- SIGINT and SIGTERM finish the current step, save a checkpoint and stop cleanly.
- Randomness is keyed by (seed, step): latents and augmentation are stateless functions of
  the step number, so a CPU run repeats its losses and a resumed run draws what the
  uninterrupted run would have drawn.

Scale: everything is built under a ``tf.distribute`` strategy; the global batch is split
across replicas and per-example losses are averaged over the global batch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .augment import augment
from .clipstats import band_matrix
from .config import TrainConfig
from .heard import HeardProjection
from .losses import discriminator_loss, generator_loss, matching_loss, r1_penalty
from .models import build_discriminator, build_generator
from .state import apply_state, read_state
from .wavesynth import spectrogram_of

__all__ = ["GanTrainer", "StepStats", "StopSignal", "make_strategy", "steps_per_second"]

_CKPT_DIR = "checkpoints"
_GENERATOR_FILE = "generator.keras"
_LOG_DIR = "logs"


def make_strategy(name: str) -> tf.distribute.Strategy:
    """``default`` (one device: the GPU if TensorFlow sees one, else the CPU), ``mirrored``
    (all local GPUs), ``multiworker`` (several machines, configured by ``TF_CONFIG``)."""
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


@dataclasses.dataclass
class StepStats:
    """Losses of one step (host floats)."""

    step: int
    d_loss: float
    g_loss: float
    r1: float
    d_real: float
    d_fake: float


class GanTrainer:
    """Networks, optimisers, checkpoints and the step function of one run."""

    def __init__(self, cfg: TrainConfig, run_dir: Path, *, strategy: tf.distribute.Strategy):
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.strategy = strategy
        t = cfg.train
        with strategy.scope():
            self.generator = build_generator(cfg)
            self.discriminator = build_discriminator(cfg)
            self.ema = build_generator(cfg, name="generator_ema") if t.ema_decay > 0 else None
            self.g_opt = keras.optimizers.Adam(t.g_lr, beta_1=t.beta_1, beta_2=t.beta_2)
            self.d_opt = keras.optimizers.Adam(t.d_lr, beta_1=t.beta_1, beta_2=t.beta_2)
            self.g_opt.build(self.generator.trainable_variables)
            self.d_opt.build(self.discriminator.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        if self.ema is not None:
            self.ema.set_weights(self.generator.get_weights())
        objects = {
            "generator": self.generator,
            "discriminator": self.discriminator,
            "g_opt": self.g_opt,
            "d_opt": self.d_opt,
            "step": self.step,
        }
        if self.ema is not None:
            objects["ema"] = self.ema
        self.checkpoint = tf.train.Checkpoint(**objects)
        self.manager = tf.train.CheckpointManager(
            self.checkpoint, str(self.run_dir / _CKPT_DIR), max_to_keep=t.keep_checkpoints
        )
        self._step_plain = self._make_train_step(with_r1=False)
        self._step_r1 = self._make_train_step(with_r1=True) if t.r1_gamma > 0 else None

    # ------------------------------------------------------------------ checkpoints
    @property
    def sampling_generator(self) -> keras.Model:
        """The EMA generator when the run keeps one (better samples), else the generator."""
        return self.ema if self.ema is not None else self.generator

    def restore(self, checkpoint: str | None = None) -> int:
        """Restore ``checkpoint`` (default: the latest); returns the restored step (0 if none)."""
        path = checkpoint or self.manager.latest_checkpoint
        if path is None:
            return 0
        self.checkpoint.restore(path).expect_partial()
        return int(self.step.numpy())

    def save(self) -> str:
        """Write a checkpoint and the sampling generator in Keras format (both atomic)."""
        path = self.manager.save(checkpoint_number=int(self.step.numpy()))
        self._save_keras_generator()
        return path

    def _save_keras_generator(self) -> None:
        target = self.run_dir / _GENERATOR_FILE
        tmp_dir = Path(tempfile.mkdtemp(prefix=".generator-", dir=self.run_dir))
        try:
            tmp = tmp_dir / _GENERATOR_FILE
            self.sampling_generator.save(tmp)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)

    @property
    def is_waveform(self) -> bool:
        """The generator emits audio (``model.output = "waveform"``), judged by its spectrogram."""
        return self.cfg.model.output == "waveform"

    @property
    def noise_shape(self) -> tuple[int, ...] | None:
        """Per-example shape of the generator's noise input; ``None`` when it takes none.

        Waveform generators take white noise [clip_samples] for their noise branch;
        full-resolution generators take texture draws [n_frames, n_bins, 2].
        """
        inputs = self.generator.inputs
        return tuple(int(d) for d in inputs[1].shape[1:]) if len(inputs) > 1 else None

    def noise_for(self, batch: int, key: tf.Tensor) -> tf.Tensor:
        """Seeded N(0, 1) noise [batch, *noise_shape] for the generator's noise input."""
        return tf.random.stateless_normal([batch, *self.noise_shape], key)

    def generate(self, G: keras.Model, z: tf.Tensor, key: tf.Tensor, training: bool) -> tf.Tensor:
        """``G``'s output as the normalised spectrogram the discriminator judges.

        A generator with a noise input gets seeded noise (``key``); a waveform generator's
        audio is analysed with the spec's STFT, exactly as real clips were.
        """
        if self.noise_shape is None:
            return G(z, training=training)
        out = G([z, self.noise_for(tf.shape(z)[0], key)], training=training)
        return spectrogram_of(out, self.cfg.spec) if self.is_waveform else out

    def init_from(self, other_run: Path, other_cfg: TrainConfig) -> int:
        """Start from another run's latest networks and optimiser state (not its step).

        Lets a run fine-tune a trained model: on new data, with the same controls rendered
        another way (a spectrogram run's weights fit ``output = "waveform"`` unchanged), or
        with extra parts (a channel EQ, a discriminator statistics head) that start from
        their initial values.

        Weights are matched by variable path ("conv3/kernel"), not by position: adding a
        branch to a functional model changes the order of its variables, and a positional
        restore would then pour one layer's weights into another. Networks built from
        unnamed layers (the 2022 preset) have no stable paths; they are matched by position
        when both runs have exactly the same variable shapes.

        Args:
            other_run: the run folder to start from.
            other_cfg: its config (to rebuild its networks before reading the checkpoint).

        Returns:
            the step the other run's checkpoint was taken at.

        Raises:
            ValueError: the other run has no checkpoint, or one of its weights has no place
                of the same shape in this run.
        """
        path = tf.train.latest_checkpoint(str(Path(other_run) / _CKPT_DIR))
        if path is None:
            raise ValueError(f"{other_run} has no checkpoint")
        source = GanTrainer(other_cfg, Path(other_run), strategy=self.strategy)
        step = source.restore(path)
        pairs = [
            (self.generator, source.generator, self.g_opt, source.g_opt),
            (self.discriminator, source.discriminator, self.d_opt, source.d_opt),
        ]
        if self.ema is not None:
            their_ema = source.ema if source.ema is not None else source.generator
            pairs.append((self.ema, their_ema, None, None))
        for ours, theirs, opt, their_opt in pairs:
            matched = _match_variables(ours.trainable_variables, theirs.trainable_variables)
            if matched is None:
                raise ValueError(f"{other_run}'s {theirs.name} has weights this run cannot take")
            for i, j in matched:
                ours.trainable_variables[i].assign(theirs.trainable_variables[j])
            if opt is not None:
                for slots, their_slots in _adam_slots(opt, their_opt):
                    for i, j in matched:
                        slots[i].assign(their_slots[j])
                opt.iterations.assign(their_opt.iterations)
        return step

    @property
    def networks(self) -> dict[str, keras.Model]:
        """The networks a training state holds (:mod:`~mockingbot.trainer.state`)."""
        nets = {"generator": self.generator, "discriminator": self.discriminator}
        if self.ema is not None:
            nets["ema"] = self.ema
        return nets

    def weights_finite(self) -> bool:
        """Whether every weight of every network is finite: False once training has diverged.

        A NaN reaches the weights through one bad gradient and then every output; checked only
        when a step has failed (to tell divergence from a real bug), so it costs nothing while
        training.
        """
        return all(
            bool(np.isfinite(w.numpy()).all())
            for net in self.networks.values()
            for w in net.weights
        )

    def init_from_state(self, path: Path) -> dict:
        """Start from a training state file's networks (optimisers start fresh).

        Parts this run's config adds to the state's networks (``model.frame_noise``) start
        from their initial values, small enough that the network starts close to the
        state's.

        Returns:
            the state's info (cumulative steps and cost, config, data credit), with
            ``"new_weights"`` listing the weights that started fresh, if any.

        Raises:
            ValueError: not a state file, or its networks do not fit this run's config.
        """
        arrays, info = read_state(path)
        new = apply_state(self.networks, arrays, new_parts=True)
        return {**info, "new_weights": new} if new else info

    # ------------------------------------------------------------------ data
    def dataset(self, features: np.ndarray, *, start_step: int) -> Iterator:
        """Distributed iterator of (real batch, latent batch, step seed) from ``start_step``."""
        t, m = self.cfg.train, self.cfg.model
        real = (
            tf.data.Dataset.from_tensor_slices(features)
            .shuffle(len(features), seed=t.seed + start_step, reshuffle_each_iteration=True)
            .repeat()
            .batch(t.batch_size, drop_remainder=True)
        )
        seed, dim, dist, batch = t.seed, m.latent_dim, m.latent_distribution, t.batch_size

        def latents(step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            key = tf.stack([tf.constant(seed, tf.int64), step])
            if dist == "uniform":
                z = tf.random.stateless_uniform([batch, dim], key, -1.0, 1.0)
            else:
                z = tf.random.stateless_normal([batch, dim], key)
            return z, key

        steps = tf.data.Dataset.range(start_step, 2**62).map(latents)
        ds = tf.data.Dataset.zip((real, steps)).map(lambda r, zk: (r, zk[0], zk[1]))
        ds = ds.prefetch(tf.data.AUTOTUNE)
        return iter(self.strategy.experimental_distribute_dataset(ds))

    # ------------------------------------------------------------------ the step
    def _make_train_step(self, *, with_r1: bool) -> Callable:
        """Compile one step; lazy R1 (every ``r1_every`` steps) uses the ``with_r1`` variant."""
        cfg, t = self.cfg, self.cfg.train
        G, D, ema = self.generator, self.discriminator, self.ema
        generate = self.generate
        g_opt, d_opt = self.g_opt, self.d_opt
        step_var, strategy = self.step, self.strategy
        ops, top_db, global_batch = tuple(t.augment), cfg.spec.top_db, t.batch_size

        def avg(per_example: tf.Tensor) -> tf.Tensor:
            return tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)

        replicas = strategy.num_replicas_in_sync
        bands = None
        if t.stats_match > 0:  # only then: the band layout must fit the spec
            bands = tf.constant(band_matrix(cfg.spec, cfg.model.stats_bands))
        heard = HeardProjection(cfg.spec) if t.judge_heard else None

        def as_heard(fake: tf.Tensor) -> tf.Tensor:
            """What the discriminator and the matching terms judge: as heard, if asked."""
            return fake if heard is None else heard(fake)

        def replica_step(real: tf.Tensor, z: tf.Tensor, key: tf.Tensor) -> tuple[tf.Tensor, ...]:
            replica = tf.cast(
                tf.distribute.get_replica_context().replica_id_in_sync_group, tf.int64
            )
            key = key + tf.stack([replica * 7919, tf.constant(0, tf.int64)])
            k_real, k_fake, k_gen = tf.unstack(tf.random.experimental.stateless_split(key, 3))
            k_noise = tf.random.experimental.stateless_fold_in(k_gen, 1)
            # --- discriminator
            with tf.GradientTape() as tape:
                fake = as_heard(generate(G, z, k_noise, True))
                real_aug = augment(real, k_real, ops=ops, top_db=top_db)
                fake_aug = augment(fake, k_fake, ops=ops, top_db=top_db)
                d_real = D(real_aug, training=True)[:, 0]
                d_fake = D(fake_aug, training=True)[:, 0]
                d_loss = avg(discriminator_loss(d_real, d_fake, t.loss))
                r1 = tf.constant(0.0)
                if with_r1:
                    with tf.GradientTape() as r1_tape:
                        r1_tape.watch(real_aug)
                        out = tf.reduce_sum(D(real_aug, training=True))
                    grad = r1_tape.gradient(out, real_aug)
                    r1 = avg(r1_penalty(grad, t.r1_gamma, t.r1_every))
                total = d_loss + r1
            grads = tape.gradient(total, D.trainable_variables)
            d_opt.apply_gradients(zip(grads, D.trainable_variables))
            # --- generator
            with tf.GradientTape() as tape:
                fake = as_heard(generate(G, z, k_noise, True))
                d_gen = D(augment(fake, k_gen, ops=ops, top_db=top_db), training=True)[:, 0]
                g_loss = avg(generator_loss(d_gen, t.loss))
                # batch statistics, one per replica: summed over replicas by the reduce
                g_loss += matching_loss(t, real, fake, bands, top_db=top_db) / replicas
            grads = tape.gradient(g_loss, G.trainable_variables)
            g_opt.apply_gradients(zip(grads, G.trainable_variables))
            return d_loss, g_loss, r1, avg(d_real), avg(d_fake)

        @tf.function
        def train_step(real: tf.Tensor, z: tf.Tensor, key: tf.Tensor) -> tuple[tf.Tensor, ...]:
            outs = strategy.run(replica_step, args=(real, z, key))
            outs = tuple(strategy.reduce(tf.distribute.ReduceOp.SUM, o, axis=None) for o in outs)
            if ema is not None:
                decay = t.ema_decay
                for w_ema, w in zip(ema.weights, G.weights):
                    w_ema.assign(decay * w_ema + (1.0 - decay) * w)
            step_var.assign_add(1)
            return outs

        return train_step

    def train_step(self, batch: tuple) -> StepStats:
        """Run one step on a batch from :meth:`dataset`; returns its losses."""
        use_r1 = self._step_r1 is not None and int(self.step.numpy()) % self.cfg.train.r1_every == 0
        step_fn = self._step_r1 if use_r1 else self._step_plain
        d_loss, g_loss, r1, d_real, d_fake = step_fn(*batch)
        return StepStats(
            step=int(self.step.numpy()),
            d_loss=float(d_loss),
            g_loss=float(g_loss),
            r1=float(r1),
            d_real=float(d_real),
            d_fake=float(d_fake),
        )

    # ------------------------------------------------------------------ sampling
    def sample(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Sampling generator output for latents ``z``: (normalised spectrograms, audio).

        Audio is ``None`` for spectrogram generators (the caller recovers phase). Generators
        with a noise input get fixed-seed noise so successive sample steps stay comparable.
        """
        G, zt = self.sampling_generator, tf.constant(z, tf.float32)
        if self.noise_shape is None:
            return G(zt, training=False).numpy(), None
        noise = self.noise_for(len(z), tf.constant([self.cfg.train.seed, 0x5A3F], tf.int64))
        out = G([zt, noise], training=False)
        if not self.is_waveform:
            return out.numpy(), None
        return spectrogram_of(out, self.cfg.spec).numpy(), out.numpy()


def _match_variables(ours: list, theirs: list) -> list[tuple[int, int]] | None:
    """Index pairs (ours, theirs) placing every one of ``theirs``; ``None`` if impossible.

    By path when all of ``theirs`` have a same-shaped namesake in ``ours``; else by position
    when the two lists have exactly the same shapes (unnamed layers get counter-suffixed
    names that differ from build to build).
    """
    by_path = {v.path: i for i, v in enumerate(ours)}
    pairs = []
    for j, v in enumerate(theirs):
        i = by_path.get(v.path)
        if i is None or tuple(ours[i].shape) != tuple(v.shape):
            break
        pairs.append((i, j))
    else:
        return pairs
    if [tuple(v.shape) for v in ours] == [tuple(v.shape) for v in theirs]:
        return [(i, i) for i in range(len(ours))]
    return None


def _adam_slots(ours: keras.optimizers.Optimizer, theirs: keras.optimizers.Optimizer) -> list:
    """(our slot list, their slot list) for each per-variable Adam state."""
    return [
        (getattr(ours, name), getattr(theirs, name))
        for name in ("_momentums", "_velocities")
        if hasattr(ours, name) and hasattr(theirs, name)
    ]


class StopSignal:
    """Context manager that turns SIGINT/SIGTERM into a flag the loop checks between steps."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def _handler(self, signum: int, _frame: object) -> None:
        if self.received is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # second Ctrl-C: stop now
        self.received = signum

    def __enter__(self) -> StopSignal:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError):  # not in the main thread
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def steps_per_second(start: float, steps: int) -> float:
    """Average rate since ``start`` (a ``time.perf_counter`` value)."""
    elapsed = time.perf_counter() - start
    return steps / elapsed if elapsed > 0 else 0.0
