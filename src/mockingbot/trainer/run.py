"""The training driver: train (or continue) the run in a run folder up to its step count.

:func:`train` loads the data, records ``run.json``, builds the
:class:`~mockingbot.trainer.loop.GanTrainer`, and loops: steps, TensorBoard scalars, the
progress bar, checkpoints (with the run's cost and an optional training state), samples,
and a clean stop on SIGINT/SIGTERM. The run folder's layout and checks are
:mod:`~mockingbot.trainer.rundir`; what ``run.json`` records about data and lineage is
:mod:`~mockingbot.trainer.runinfo`; loading a generator back for export is
:mod:`~mockingbot.trainer.load`.

Contents: :func:`train`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mockingbot import __version__
from mockingbot.errors import ModelError, ParameterError, WorkError
from mockingbot.fileio import atomic_write_text

from .config import TrainConfig
from .rundir import (
    CONFIG_FILE,
    RUN_FILE,
    writing,
)
from .runinfo import (
    dataset_info,
    inherit_credit,
    skipped_files_note,
    write_run_state,
)
from .runinfo import init_from as _init_from

__all__ = ["train"]


def train(
    run_dir: Path,
    *,
    cfg: TrainConfig,
    data_dir: Path,
    resume: bool,
    init_from: Path | None = None,
    save_state: Path | None = None,
    dataset_meta: Mapping[str, str] | None = None,
    strict: bool = False,
    progress: Any = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train (or continue training) the run in ``run_dir`` up to ``cfg.train.steps``.

    Args:
        run_dir: prepared with :func:`prepare_run_dir`.
        cfg: resolved config (for a resumed run: the stored one, possibly with more steps).
        data_dir: the audio folder.
        resume: continue from the latest checkpoint.
        init_from: for a new run, another run folder whose latest networks and optimiser state
            to start from (same spec and network shapes). Its CPU and wall time are recorded
            in ``run.json`` so the total cost of the model stays on record. May also be a
            training state file (:mod:`~mockingbot.trainer.state`): its networks, with
            fresh optimisers.
        save_state: keep a training state file here, refreshed at every checkpoint, with
            the cumulative steps and cost of this run and the one it started from. Recorded
            in ``run.json``, so a resumed run keeps refreshing it.
        dataset_meta: ``name``, ``license``, ``attribution`` of the data, carried into exports.
        progress: a rich ``Progress`` (or None for no bar).
        log: where one-line status messages go.

    Returns:
        a summary dict (steps, seconds, steps/s, last losses, stop reason).
    """
    import numpy as np
    import tensorflow as tf

    from . import samples as sample_io
    from .data import load_features
    from .loop import GanTrainer, StopSignal, make_strategy

    run_dir = Path(run_dir)
    t = cfg.train
    tf.keras.utils.set_random_seed(t.seed)
    features = load_features(
        data_dir,
        spec=cfg.spec,
        cache_dir=run_dir / "cache",
        strict=strict,
        context=cfg.data.context,
    )
    if note := skipped_files_note(features.summary, Path(data_dir), context=cfg.data.context):
        log(note)
    if t.batch_size > len(features):
        raise ParameterError(
            f"train.batch_size ({t.batch_size}) is larger than the data set ({len(features)} "
            f"clips); use --batch-size {max(1, len(features) // 4)} or add data"
        )
    atomic_write_text(run_dir / CONFIG_FILE, cfg.to_json())
    info = {
        "mockingbot": __version__,
        "data_dir": str(Path(data_dir).resolve()),
        "dataset": dataset_info(Path(data_dir), features.summary, dataset_meta or {}),
    }
    if features.noise_floor is not None:  # travels with the credit into the exported model
        info["dataset"]["noise_floor"] = features.noise_floor.to_dict()
    old = json.loads((run_dir / RUN_FILE).read_text()) if (run_dir / RUN_FILE).is_file() else {}
    info["cpu_seconds"] = float(old.get("cpu_seconds", 0.0))
    info["wall_seconds"] = float(old.get("wall_seconds", 0.0))
    info["history"] = list(old.get("history", []))  # (step, CPU, wall) at every checkpoint
    if "init_from" in old:
        info["init_from"] = old["init_from"]
    # An --init-from run killed before it recorded what it started from must, on --resume,
    # start from it again rather than from random networks, which its first checkpoint would
    # then write over the state file (found by benchmarks/kill_train.py --from init).
    pending = None if "init_from" in old else old.get("init_from_request")
    if init_from is not None and not resume:
        pending = str(Path(init_from).resolve())
    if pending is not None:
        info["init_from_request"] = pending
    if save_state is None and old.get("save_state"):
        save_state = Path(old["save_state"])
    if save_state is not None:
        info["save_state"] = str(Path(save_state).resolve())
    # Before the first step: a run killed before its first checkpoint must still say where its
    # data is, or `mbot train --resume RUN` cannot continue it (found by benchmarks/kill_train).
    info["steps"] = int(old.get("steps", 0))
    with writing(run_dir, "run.json"):
        atomic_write_text(run_dir / RUN_FILE, json.dumps(info, indent=2, sort_keys=True))

    strategy = make_strategy(t.strategy)
    trainer = GanTrainer(cfg, run_dir, strategy=strategy)
    try:
        start = trainer.restore() if resume else 0
    except (tf.errors.OpError, ValueError, AssertionError, IndexError) as exc:
        raise ModelError(
            f"the latest checkpoint in {run_dir} is unreadable or corrupt ({type(exc).__name__}); "
            f"delete it from {run_dir}/checkpoints to resume from the one before"
        ) from None
    if resume and start == 0 and trainer.manager.latest_checkpoint is None:
        log("no checkpoint found in the run folder; starting from step 0")
    if pending is not None and start == 0 and trainer.manager.latest_checkpoint is None:
        info["init_from"] = _init_from(trainer, cfg, Path(pending))
        info.pop("init_from_request")
        log(f"initialised from {pending} (its step {info['init_from']['step']})")
        if info["init_from"].get("new_weights"):
            fresh = info["init_from"]["new_weights"]
            log(f"{len(fresh)} weights new to this recipe start fresh: {', '.join(fresh[:4])}")
        # Recorded before the first step, so no checkpoint exists without it.
        with writing(run_dir, "run.json"):
            atomic_write_text(run_dir / RUN_FILE, json.dumps(info, indent=2, sort_keys=True))
    if "init_from" in info:
        info["dataset"] = inherit_credit(info["dataset"], info["init_from"].get("dataset") or {})
    writer = tf.summary.create_file_writer(str(run_dir / "logs"))
    z_fixed = sample_io.fixed_latents(
        cfg.model.latent_dim, seed=t.seed, distribution=cfg.model.latent_distribution
    )
    batches = trainer.dataset(features.features, start_step=start)

    task = None
    if progress is not None:
        task = progress.add_task("training", total=t.steps, completed=start, rate="", status="")
    step = start
    last = None
    stop_reason = "done"
    wall0, cpu0 = time.perf_counter(), time.process_time()
    started = wall0
    rate_t0, rate_s0 = wall0, start
    interactive = progress is not None and progress.console.is_terminal

    def book_time() -> None:
        nonlocal wall0, cpu0
        now_w, now_c = time.perf_counter(), time.process_time()
        info["wall_seconds"] += now_w - wall0
        info["cpu_seconds"] += now_c - cpu0
        wall0, cpu0 = now_w, now_c

    # The step of the last complete checkpoint, None before this run wrote one.
    saved = start if trainer.manager.latest_checkpoint is not None else None

    def checkpoint() -> None:
        nonlocal saved
        with writing(run_dir, f"the checkpoint of step {step}"):
            trainer.save()
            saved = step
            book_time()
            info["steps"] = step
            if save_state is not None:
                write_run_state(Path(save_state), trainer, cfg, info, step)
            history = info.setdefault("history", [])
            if not history or history[-1]["step"] != step:
                history.append(
                    {
                        "step": step,
                        "cpu_seconds": round(info["cpu_seconds"], 1),
                        "wall_seconds": round(info["wall_seconds"], 1),
                    }
                )
            atomic_write_text(run_dir / RUN_FILE, json.dumps(info, indent=2, sort_keys=True))

    def write_samples() -> None:
        with writing(run_dir, f"the samples of step {step}"):
            render_samples()

    def render_samples() -> None:
        X, y = trainer.sample(z_fixed)
        if y is None:
            y = sample_io.render_audio(
                X, spec=cfg.spec, phase=cfg.model.phase, n_iter=cfg.model.phase_n_iter
            )
        else:
            y = sample_io.peak_normalize(y)
        sample_io.write_samples(X, y, run_dir / "samples" / f"step-{step:06d}", spec=cfg.spec)
        with writer.as_default(step=step):
            img = np.flip(np.transpose((X + 1.0) / 2.0, (0, 2, 1)), axis=1)[..., None]
            tf.summary.image("spectrograms", img, max_outputs=len(X))
            tf.summary.audio("samples", y[..., None], sample_rate=cfg.spec.sr, max_outputs=4)

    with StopSignal() as stop:
        while step < t.steps:
            try:
                last = trainer.train_step(next(batches))
            except tf.errors.InvalidArgumentError:
                # NaN weights make the harmonic renderer gather at index NaN → INT_MAX on CPU.
                if trainer.weights_finite():
                    raise
                raise _diverged(run_dir, step + 1, saved, "the networks' weights are NaN") from None
            step = last.step
            if not (math.isfinite(last.d_loss) and math.isfinite(last.g_loss)):
                losses = f"D loss {last.d_loss}, G loss {last.g_loss}"
                raise _diverged(run_dir, step, saved, losses)
            if step % t.log_every == 0 or step == t.steps:
                with writer.as_default(step=step):
                    tf.summary.scalar("loss/discriminator", last.d_loss)
                    tf.summary.scalar("loss/generator", last.g_loss)
                    tf.summary.scalar("loss/r1", last.r1)
                    tf.summary.scalar("logits/real", last.d_real)
                    tf.summary.scalar("logits/fake", last.d_fake)
                    now = time.perf_counter()
                    tf.summary.scalar("speed/steps_per_second", (step - rate_s0) / (now - rate_t0))
                    rate_t0, rate_s0 = now, step
            if progress is not None:
                elapsed = max(time.perf_counter() - started, 1e-9)
                progress.update(
                    task,
                    completed=step,
                    rate=f"{(step - start) / elapsed if step > start else 0:.2f} step/s",
                    status=f"D {last.d_loss:.3f}  G {last.g_loss:.3f}",
                )
            if not interactive and step % (t.log_every * 8) == 0:
                rate = (step - start) / max(time.perf_counter() - started, 1e-9)
                log(
                    f"step {step}/{t.steps}  D {last.d_loss:.3f}  G {last.g_loss:.3f}  "
                    f"R1 {last.r1:.4f}  {rate:.2f} step/s"
                )
            if step % t.checkpoint_every == 0:
                checkpoint()
            if step % t.sample_every == 0:
                write_samples()
            if stop.received is not None:
                stop_reason = "interrupted"
                break
    if last is None and step >= t.steps:
        stop_reason = "already complete"
    checkpoint()
    if stop_reason == "done" and step % t.sample_every != 0:
        write_samples()
    writer.flush()
    return {
        "steps": step,
        "target_steps": t.steps,
        "stop": stop_reason,
        "signal": stop.received,
        "wall_seconds": info["wall_seconds"],
        "cpu_seconds": info["cpu_seconds"],
        "last": None if last is None else last.__dict__,
    }


def _diverged(run_dir: Path, step: int, saved: int | None, what: str) -> WorkError:
    """The one line for a run whose losses or weights went non-finite at ``step``.

    Nothing is checkpointed after it (a NaN checkpoint, or a NaN training state written over
    the one it started from, would lose what was learned); the line says what is kept and how
    to go on from there.
    """
    if saved is None:
        return WorkError(
            f"training diverged at step {step} in {run_dir} ({what}); nothing was saved. "
            "Lower train.g_lr and train.d_lr in a --config TOML and start again"
        )
    return WorkError(
        f"training diverged at step {step} in {run_dir} ({what}); its last checkpoint "
        f"(step {saved}) is kept. Continue from it with lower train.g_lr and train.d_lr: "
        f"mbot train DATA --out NEW_RUN --init-from {run_dir} --config LOWER_LR.toml"
    )
