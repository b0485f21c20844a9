"""The training step on Keras's JAX backend: the GPU path where TensorFlow is not installed.

Why: a borrowed GPU machine may have JAX and no TensorFlow (the project's H200 image has
exactly that), and a 2-core CPU gives the default recipe about 0.8 steps/s. The networks are
backend-neutral Keras (:mod:`~mockingbot.trainer.models`, :mod:`~mockingbot.trainer.fullres`),
so the same generator and discriminator train here as in :mod:`~mockingbot.trainer.loop`, and
the result goes back as a training state file (:mod:`~mockingbot.trainer.state`) that
``mbot train --init-from`` continues on a CPU and ``mbot export`` ships.

The step is :class:`~mockingbot.trainer.loop.GanTrainer`'s, with the same loss functions
(:mod:`~mockingbot.trainer.losses`, ``keras.ops`` on the JAX backend; only the mean and the
R1 gradient, ``jax.grad``, are written here): one discriminator update (the recipe's
``train.loss``, differentiable augmentation of real and fake, lazy R1 every ``r1_every``
steps) and one generator update on the same latents and texture noise, Adam with the
recipe's rates, and an EMA of the generator. What differs: batches are drawn with
replacement (not shuffled epochs), randomness comes from JAX's generator, and the
optimisers start fresh (a state keeps no Adam moments).

Needs ``KERAS_BACKEND=jax`` set before Keras is first imported; ``scripts/gpu_train.py`` is
the command that does so. Only generators without a waveform renderer qualify (the
harmonic and waveform renderers are TensorFlow code).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .augment import BIN_SHIFT, CUTOUT_FRACTION, GAIN_DB, SHIFT_FRACTION
from .clipstats import band_matrix
from .config import TrainConfig, merge_config
from .losses import discriminator_loss, generator_loss, matching_loss, r1_penalty
from .models import build_discriminator, build_generator
from .state import apply_state, read_state, write_state

__all__ = ["train_state"]


def _augment(x, key, *, ops: tuple[str, ...], top_db: float):
    """:func:`mockingbot.trainer.augment.augment` in JAX (same operations and ranges)."""
    import jax
    import jax.numpy as jnp

    batch, frames = x.shape[0], x.shape[1]
    t = jnp.arange(frames)[None, :]
    for op, k in zip(ops, jax.random.split(key, max(len(ops), 1))):
        if op == "shift":
            limit = max(1, round(SHIFT_FRACTION * frames))
            shift = jax.random.randint(k, (batch, 1), -limit, limit + 1)
            src = t - shift
            valid = (src >= 0) & (src < frames)
            moved = jnp.take_along_axis(x, jnp.clip(src, 0, frames - 1)[..., None], axis=1)
            x = jnp.where(valid[..., None], moved, -1.0)
        elif op == "gain":
            gain = jax.random.uniform(k, (batch, 1, 1), minval=-GAIN_DB, maxval=GAIN_DB)
            x = jnp.clip(x + 2.0 * gain / top_db, -1.0, 1.0)
        elif op == "cutout":
            length = max(1, round(CUTOUT_FRACTION * frames))
            start = jax.random.randint(k, (batch, 1), 0, max(frames - length, 1))
            inside = (t >= start) & (t < start + length)
            x = jnp.where(inside[..., None], -1.0, x)
        elif op == "binshift":
            bins = x.shape[2]
            shift = jax.random.randint(k, (batch, 1), -BIN_SHIFT, BIN_SHIFT + 1)
            src = jnp.clip(jnp.arange(bins)[None, :] - shift, 0, bins - 1)
            x = jnp.take_along_axis(x, src[:, None, :], axis=2)
    return x


def _make_step(cfg: TrainConfig, G: Any, D: Any, g_tx: Any, d_tx: Any) -> Callable:
    """The jitted step ``(params, real bank, key, with_r1) → (params, losses)``."""
    import jax
    import jax.numpy as jnp
    import optax

    t, m = cfg.train, cfg.model
    ops, top_db = tuple(t.augment), cfg.spec.top_db
    noise_dims = tuple(int(d) for d in G.inputs[1].shape[1:])
    bands = band_matrix(cfg.spec, m.stats_bands) if t.stats_match > 0 else None
    g_fixed = [v.value for v in G.non_trainable_variables]
    d_fixed = [v.value for v in D.non_trainable_variables]

    def gen(gp, z, noise):
        out, _ = G.stateless_call(gp, g_fixed, [z, noise], training=True)
        return out

    def disc(dp, x):
        out, _ = D.stateless_call(dp, d_fixed, x, training=True)
        return out[:, 0]

    def step(params, bank, key, with_r1: bool):
        gp, dp, g_opt, d_opt, ema = params
        k_idx, k_z, k_n, k_real, k_fake, k_gen = jax.random.split(key, 6)
        batch = t.batch_size
        real = bank[jax.random.randint(k_idx, (batch,), 0, bank.shape[0])].astype(jnp.float32)
        z = jax.random.normal(k_z, (batch, m.latent_dim))
        noise = jax.random.normal(k_n, (batch, *noise_dims))

        def d_loss_fn(dp):
            fake = gen(gp, z, noise)
            real_aug = _augment(real, k_real, ops=ops, top_db=top_db)
            d_real = disc(dp, real_aug)
            d_fake = disc(dp, _augment(fake, k_fake, ops=ops, top_db=top_db))
            loss = jnp.mean(discriminator_loss(d_real, d_fake, t.loss))
            r1 = 0.0
            if with_r1:
                grad = jax.grad(lambda x: jnp.sum(disc(dp, x)))(real_aug)
                r1 = jnp.mean(r1_penalty(grad, t.r1_gamma, t.r1_every))
            return loss + r1, (loss, r1, jnp.mean(d_real), jnp.mean(d_fake))

        (_, (d_loss, r1, d_real, d_fake)), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(dp)
        updates, d_opt = d_tx.update(d_grads, d_opt, dp)
        dp = optax.apply_updates(dp, updates)

        def g_loss_fn(gp):
            fake = gen(gp, z, noise)
            d_gen = disc(dp, _augment(fake, k_gen, ops=ops, top_db=top_db))
            loss = jnp.mean(generator_loss(d_gen, t.loss))
            return loss + matching_loss(t, real, fake, bands, top_db=top_db)

        g_loss, g_grads = jax.value_and_grad(g_loss_fn)(gp)
        updates, g_opt = g_tx.update(g_grads, g_opt, gp)
        gp = optax.apply_updates(gp, updates)
        decay = t.ema_decay
        ema = jax.tree_util.tree_map(lambda e, w: decay * e + (1.0 - decay) * w, ema, gp)
        return (gp, dp, g_opt, d_opt, ema), (d_loss, g_loss, r1, d_real, d_fake)

    return jax.jit(step, static_argnums=(3,), donate_argnums=(0,))


def train_state(
    state_path: Path,
    features: np.ndarray,
    out_path: Path,
    *,
    seconds: float,
    max_steps: int | None = None,
    save_every_s: float = 60.0,
    device: str = "gpu",
    seed: int = 0,
    overrides: dict[str, Any] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train the state in ``state_path`` for ``seconds`` (or ``max_steps``) and write it out.

    Args:
        state_path: a training state file (its config says what to build).
        features: the training clips as the spec's normalised arrays [n, frames, bins]
            (what :func:`mockingbot.trainer.data.load_features` gives; float16 is fine).
        out_path: the state to write (rewritten every ``save_every_s`` seconds and at the
            end, atomically, so a machine taken back mid-run still leaves a whole state).
        seconds: wall-clock budget for the training loop (compilation included).
        max_steps: stop after this many steps even if time is left.
        device: what the ``sittings`` history calls the machine.
        seed: seed of this sitting's random stream (combined with the state's step count).
        overrides: recipe changes for this sitting and after (``{"train": {"stats_match":
            100.0}}``); the state written records the changed config, so a later sitting
            continues the same recipe.

    Returns:
        a summary: steps done, steps/s, the last losses, the state's cumulative steps.
    """
    import jax
    import jax.numpy as jnp
    import keras
    import optax

    if keras.backend.backend() != "jax":
        raise RuntimeError("train_state needs KERAS_BACKEND=jax set before keras is imported")
    t0 = time.perf_counter()
    arrays, info = read_state(state_path)
    config = merge_config(info["config"], overrides) if overrides else info["config"]
    cfg = TrainConfig.from_dict(config, source=f"state {state_path}")
    info = {**info, "config": cfg.to_dict()}
    if features.shape[1:] != cfg.spec.shape:
        raise ValueError(f"features have shape {features.shape[1:]}, the spec {cfg.spec.shape}")
    G, D = build_generator(cfg), build_discriminator(cfg)
    ema = build_generator(cfg, name="generator_ema")
    apply_state({"generator": G, "discriminator": D, "ema": ema}, arrays, new_parts=True)
    if len(G.inputs) != 2:
        raise ValueError("the JAX loop trains generators with a noise input (fullres)")
    if cfg.train.judge_heard:
        raise ValueError(
            "train.judge_heard runs in the TensorFlow loop only (its phase retrieval is NumPy); "
            "continue this state with mbot train --init-from, or --set train.judge_heard=false"
        )
    tr = cfg.train
    g_tx = optax.adam(tr.g_lr, b1=tr.beta_1, b2=tr.beta_2, eps=1e-7)
    d_tx = optax.adam(tr.d_lr, b1=tr.beta_1, b2=tr.beta_2, eps=1e-7)
    gp = [v.value for v in G.trainable_variables]
    dp = [v.value for v in D.trainable_variables]
    params = (gp, dp, g_tx.init(gp), d_tx.init(dp), [v.value for v in ema.trainable_variables])
    bank = jnp.asarray(features, dtype=jnp.float16)
    step_fn = _make_step(cfg, G, D, g_tx, d_tx)
    start_steps = int(info.get("steps", 0))
    base = jax.random.PRNGKey(seed)
    base = jax.random.fold_in(base, start_steps % (2**31 - 1))

    def save(params, done: int, train_seconds: float) -> None:
        gp, dp, _, _, ema_p = params
        out = dict(arrays)
        for name, model, values in (("generator", G, gp), ("discriminator", D, dp)):
            for v, value in zip(model.trainable_variables, values):
                out[f"{name}/{v.path}"] = np.asarray(value, dtype=np.float16)
        for v, value in zip(ema.trainable_variables, ema_p):
            out[f"ema/{v.path}"] = np.asarray(value, dtype=np.float16)
        sitting = {"device": device, "steps": done, "wall_seconds": round(train_seconds, 1)}
        new = {
            **info,
            "steps": start_steps + done,
            "gpu_seconds": float(info.get("gpu_seconds", 0.0)) + train_seconds,
            "wall_seconds": float(info.get("wall_seconds", 0.0)) + train_seconds,
            "sittings": [*info.get("sittings", []), sitting],
        }
        write_state(out_path, out, new)

    done, last, rate = 0, None, 0.0
    last_save = time.perf_counter()
    rate_t, rate_s = time.perf_counter(), 0
    limit = max_steps if max_steps is not None else 2**62
    while done < limit and time.perf_counter() - t0 < seconds:
        with_r1 = tr.r1_gamma > 0 and (start_steps + done) % tr.r1_every == 0
        params, losses = step_fn(params, bank, jax.random.fold_in(base, done), with_r1)
        done += 1
        if done % 500 == 0 or done == limit:
            last = [float(x) for x in losses]
            now = time.perf_counter()
            rate = (done - rate_s) / (now - rate_t)
            rate_t, rate_s = now, done
            log(
                f"step {start_steps + done}  D {last[0]:.3f}  G {last[1]:.3f}  R1 {last[2]:.4f}"
                f"  real {last[3]:+.2f} fake {last[4]:+.2f}  {rate:.1f} step/s"
            )
        if time.perf_counter() - last_save > save_every_s:
            jax.block_until_ready(params)
            save(params, done, time.perf_counter() - t0)
            last_save = time.perf_counter()
    jax.block_until_ready(params)
    elapsed = time.perf_counter() - t0
    save(params, done, elapsed)
    return {
        "steps": done,
        "total_steps": start_steps + done,
        "seconds": elapsed,
        "steps_per_second": rate,
        "last": last,
    }
