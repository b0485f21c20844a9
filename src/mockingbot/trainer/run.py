"""Run folders: create, resume, train, and load a trained generator back.

Layout of ``RUN_DIR``::

    config.json          resolved TrainConfig (spectrogram spec included) — the source of truth
    run.json             data folder, data set summary (name, clips, license, attribution)
    checkpoints/         tf.train checkpoints: networks, EMA generator, optimisers, step
    generator.keras      the sampling (EMA) generator in Keras format, refreshed per checkpoint
    samples/step-NNNNNN/ sample WAVs + spectrograms.png
    logs/                TensorBoard event files (losses, spectrogram images, audio)
    cache/               cached features

Users never need to know this layout: ``mbot train --resume RUN_DIR`` and
``mbot export onnx RUN_DIR`` read it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from mockingbot import __version__
from mockingbot.errors import DataError, ModelError, ParameterError, WorkError
from mockingbot.fileio import atomic_write_text

from .config import TrainConfig

__all__ = [
    "CONFIG_FILE",
    "RUN_FILE",
    "is_run_dir",
    "load_generator",
    "prepare_run_dir",
    "read_run",
    "skipped_files_note",
    "train",
]

CONFIG_FILE = "config.json"
RUN_FILE = "run.json"
#: Skipped files named one by one in train's note; the rest are counted.
SKIPPED_SHOWN = 10
_MARKER_KEYS = {"name", "spec", "model", "train"}


def is_run_dir(path: Path) -> bool:
    """True when ``path`` holds a MockingBot run (a readable ``config.json`` of ours)."""
    cfg = Path(path) / CONFIG_FILE
    if not cfg.is_file():
        return False
    try:
        data = json.loads(cfg.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and set(data) >= _MARKER_KEYS


def read_run(run_dir: Path) -> tuple[TrainConfig, dict[str, Any]]:
    """The run's config and run info (data folder, data set summary).

    ``run_dir`` may also be a training state file (:mod:`~mockingbot.trainer.state`): its
    config, and its info (cumulative ``steps`` and cost, data credit) as the run info.
    """
    run_dir = Path(run_dir)
    if run_dir.is_file():
        from .state import read_state

        try:
            _, info = read_state(run_dir)
            return TrainConfig.from_dict(info["config"], source=str(run_dir)), info
        except (ValueError, KeyError) as exc:
            raise ModelError(str(exc).splitlines()[0] if str(exc) else repr(exc)) from None
    if not run_dir.is_dir():
        raise ModelError(f"run folder {run_dir} does not exist")
    if not is_run_dir(run_dir):
        raise ModelError(f"{run_dir} is not a MockingBot run folder (no valid {CONFIG_FILE})")
    cfg = TrainConfig.from_dict(
        json.loads((run_dir / CONFIG_FILE).read_text()), source=str(run_dir)
    )
    info_path = run_dir / RUN_FILE
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    return cfg, info


#: What a new run writes before its config.json: the features cache. A run killed (kill -9)
#: in that window left a folder that neither --resume (no config) nor --force (not ours)
#: would take; such a folder is an unstarted run and a new run may use it.
_STARTUP_LEFTOVERS = frozenset({"cache"})


def _unstarted(run_dir: Path) -> bool:
    """True when ``run_dir`` holds only what a run killed before its first write leaves."""
    return not is_run_dir(run_dir) and all(p.name in _STARTUP_LEFTOVERS for p in run_dir.iterdir())


def prepare_run_dir(run_dir: Path, *, resume: bool, force: bool) -> None:
    """Check (and with ``force`` clear) the run folder before any work starts.

    A new run needs an empty or missing folder; ``force`` clears only a previous MockingBot
    run folder, never an arbitrary folder of the user's.
    """
    run_dir = Path(run_dir)
    if resume:
        if not is_run_dir(run_dir):
            raise ParameterError(
                f"cannot resume: {run_dir} is not a MockingBot run folder; start a new run with "
                f"--out {run_dir}"
            )
        return
    if run_dir.exists() and not run_dir.is_dir():
        raise ParameterError(f"--out {run_dir} exists and is not a folder")
    if run_dir.is_dir() and any(run_dir.iterdir()) and not _unstarted(run_dir):
        if not force:
            raise ParameterError(
                f"run folder {run_dir} already exists; pass --resume to continue it or --force "
                f"to start over (deletes it)"
            )
        if not is_run_dir(run_dir):
            raise ParameterError(
                f"refusing to delete {run_dir}: it is not a MockingBot run folder; "
                f"choose another --out"
            )
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)


def _dataset_info(data_dir: Path, summary: Mapping[str, Any], meta: Mapping[str, str]) -> dict:
    info = {
        "name": meta.get("name") or data_dir.name,
        "clips": int(summary.get("clips", 0)),
        # Dataset.summary() calls the usable files "usable" (it read "usable_files"/"files",
        # keys no summary has, so every run.json and model said 0 files)
        "files": int(summary.get("usable", 0)),
        "license": meta.get("license", ""),
        "attribution": meta.get("attribution", ""),
    }
    attribution_file = data_dir / "ATTRIBUTION.txt"
    if not info["attribution"] and attribution_file.is_file():
        info["attribution"] = attribution_file.read_text(encoding="utf-8", errors="replace").strip()
    return info


def skipped_files_note(
    summary: Mapping[str, Any], data_dir: Path, *, context: str = "call"
) -> str | None:
    """One line naming the files training will not use, and why (None when there are none).

    ``summary`` is :meth:`mockingbot.dataset.Dataset.summary`. In a real folder most files
    may be rejected (233 of 289 in one user's mix) and the trainer used to say nothing:
    the line names the first :data:`SKIPPED_SHOWN` of them with their reasons, counts the
    rest and points at ``mbot dataset inspect`` for the full table.
    """
    rejected = list(summary.get("rejected_files", []))
    others = list(summary.get("skipped", []))
    if not rejected and not others:
        return None
    entries = [f"{r['path']} ({r['reason']})" for r in rejected]
    entries += [f"{k['path']} ({k['why']})" for k in others]
    named = ", ".join(entries[:SKIPPED_SHOWN])
    if len(entries) > SKIPPED_SHOWN:
        named += f" and {len(entries) - SKIPPED_SHOWN} more"
    parts = []
    if rejected:
        reasons = ", ".join(f"{n} {r}" for r, n in summary.get("rejected_reasons", {}).items())
        parts.append(
            f"{len(rejected)} of {summary.get('files_found', '?')} audio files ({reasons})"
        )
    if others:
        parts.append(f"{len(others)} entries that are not files")
    inspect = f"mbot dataset inspect {data_dir}" + (
        f" --context {context}" if context != "call" else ""
    )
    return f"skipped {' and '.join(parts)}: {named}. Every file and why: {inspect}"


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
        "dataset": _dataset_info(Path(data_dir), features.summary, dataset_meta or {}),
    }
    old = json.loads((run_dir / RUN_FILE).read_text()) if (run_dir / RUN_FILE).is_file() else {}
    info["cpu_seconds"] = float(old.get("cpu_seconds", 0.0))
    info["wall_seconds"] = float(old.get("wall_seconds", 0.0))
    info["history"] = list(old.get("history", []))  # (step, CPU, wall) at every checkpoint
    if "init_from" in old:
        info["init_from"] = old["init_from"]
    if save_state is None and old.get("save_state"):
        save_state = Path(old["save_state"])
    if save_state is not None:
        info["save_state"] = str(Path(save_state).resolve())
    # Before the first step: a run killed before its first checkpoint must still say where its
    # data is, or `mbot train --resume RUN` cannot continue it (found by benchmarks/kill_train).
    info["steps"] = int(old.get("steps", 0))
    with _writing(run_dir, "run.json"):
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
    if init_from is not None and not resume:
        info["init_from"] = _init_from(trainer, cfg, Path(init_from))
        log(f"initialised from {init_from} (its step {info['init_from']['step']})")
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

    def checkpoint() -> None:
        with _writing(run_dir, f"the checkpoint of step {step}"):
            trainer.save()
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
        with _writing(run_dir, f"the samples of step {step}"):
            render_samples()

    def render_samples() -> None:
        X, y = trainer.sample(z_fixed)
        if y is None:
            y = sample_io.render_audio(X, spec=cfg.spec, phase=cfg.model.phase)
        else:
            y = sample_io.peak_normalize(y)
        sample_io.write_samples(X, y, run_dir / "samples" / f"step-{step:06d}", spec=cfg.spec)
        with writer.as_default(step=step):
            img = np.flip(np.transpose((X + 1.0) / 2.0, (0, 2, 1)), axis=1)[..., None]
            tf.summary.image("spectrograms", img, max_outputs=len(X))
            tf.summary.audio("samples", y[..., None], sample_rate=cfg.spec.sr, max_outputs=4)

    with StopSignal() as stop:
        while step < t.steps:
            last = trainer.train_step(next(batches))
            step = last.step
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


def _last_complete_step(run_dir: Path) -> int | None:
    """Step of the checkpoint the run folder's index names (what ``--resume`` restores)."""
    import tensorflow as tf

    latest = tf.train.latest_checkpoint(str(run_dir / "checkpoints"))
    if latest is None:
        return None
    try:
        return int(latest.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return None


@contextlib.contextmanager
def _writing(run_dir: Path, what: str) -> Iterator[None]:
    """Turn a failed write into ``run_dir`` (a full disk, a quota, a vanished folder) into
    one :class:`WorkError` line that says what to do and where ``--resume`` will continue.

    Why it is safe to continue: TensorFlow's checkpoint manager names a checkpoint in its
    index only after the checkpoint's files are complete, and every other file of a run is
    written atomically, so a failed write leaves at worst unreferenced partial files that the
    next save of that step overwrites.
    """
    import tensorflow as tf

    try:
        yield
    except (OSError, tf.errors.OpError) as exc:
        text = getattr(exc, "strerror", None) or getattr(exc, "message", None) or str(exc)
        text = (text.strip().splitlines() or [type(exc).__name__])[0]
        full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or (
            "No space left" in text or "quota" in text.lower()
        )
        last = _last_complete_step(run_dir)
        since = f"its last complete checkpoint (step {last})" if last else "step 0"
        raise WorkError(
            f"cannot write {what} in {run_dir}: {text}; "
            f"{'free some space' if full else 'fix that'}, then run "
            f"`mbot train --resume {run_dir}` (it continues from {since})"
        ) from None


def inherit_credit(own: Mapping[str, Any], earlier: Mapping[str, Any]) -> dict[str, Any]:
    """A fine-tuned run's data credit: its own data's, plus the data its start was trained on.

    A model fine-tuned from one trained on CatMeows still carries what it learnt from
    CatMeows, so CC BY 4.0 requires that credit to reach every pack made with it.
    """
    out = dict(own)
    extra = str(earlier.get("attribution", "")).strip()
    if extra and extra not in str(out.get("attribution", "")):
        mine = str(out.get("attribution", "")).strip()
        note = f"Fine-tuned from a model trained on: {extra}"
        out["attribution"] = f"{mine}\n{note}" if mine else note
    licenses = [str(x).strip() for x in (out.get("license", ""), earlier.get("license", ""))]
    licenses = [x for i, x in enumerate(licenses) if x and x not in licenses[:i]]
    out["license"] = "; ".join(licenses)
    return out


def _init_from(trainer: Any, cfg: TrainConfig, other: Path) -> dict[str, Any]:
    """Load ``other``'s networks into ``trainer``; what to record about it in ``run.json``.

    ``other`` is a run folder or a training state file (:mod:`~mockingbot.trainer.state`).
    """
    if Path(other).is_file():
        return _init_from_state(trainer, cfg, Path(other))
    other_cfg, other_info = read_run(other)
    if other_cfg.spec != cfg.spec:
        raise ParameterError(
            f"--init-from {other} uses another spectrogram spec; fine-tuning needs the same one"
        )
    try:
        step = trainer.init_from(other, other_cfg)
    except (ValueError, AssertionError, KeyError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelError(
            f"--init-from {other}: its networks do not fit this run's config ({first[:160]})"
        ) from None
    return {
        "run": str(Path(other).resolve()),
        "step": step,
        "dataset": other_info.get("dataset") or {},
        "cpu_seconds": float(other_info.get("cpu_seconds", 0.0)),
        "wall_seconds": float(other_info.get("wall_seconds", 0.0)),
    }


def _init_from_state(trainer: Any, cfg: TrainConfig, path: Path) -> dict[str, Any]:
    """:func:`_init_from` for a training state file."""
    from .state import read_state

    try:
        _, state = read_state(path)
        state_cfg = TrainConfig.from_dict(state["config"], source=f"state {path}")
    except (ValueError, KeyError, ParameterError) as exc:
        raise ModelError(f"--init-from {path}: {str(exc).splitlines()[0][:200]}") from None
    if state_cfg.spec != cfg.spec:
        raise ParameterError(
            f"--init-from {path} uses another spectrogram spec; fine-tuning needs the same one"
        )
    try:
        trainer.init_from_state(path)
    except ValueError as exc:
        raise ModelError(
            f"--init-from {path}: its networks do not fit this run's config ({str(exc)[:160]})"
        ) from None
    return {
        "state": str(Path(path).resolve()),
        "step": int(state.get("steps", 0)),
        "dataset": state.get("dataset") or {},
        "cpu_seconds": float(state.get("cpu_seconds", 0.0)),
        "wall_seconds": float(state.get("wall_seconds", 0.0)),
        "gpu_seconds": float(state.get("gpu_seconds", 0.0)),
        "sittings": list(state.get("sittings", [])),
    }


def write_run_state(
    path: Path, trainer: Any, cfg: TrainConfig, info: Mapping[str, Any], step: int
) -> Path:
    """Write the run's networks and cumulative cost as a training state file.

    Cumulative: the steps, CPU, wall and GPU seconds of the run it started from (a state
    or a run, ``info["init_from"]``) plus this run's, and one ``sittings`` entry for this run.
    """
    from .state import state_arrays, write_state

    earlier = info.get("init_from") or {}
    sitting = {
        "device": "cpu",
        "steps": int(step),
        "cpu_seconds": round(float(info.get("cpu_seconds", 0.0)), 1),
        "wall_seconds": round(float(info.get("wall_seconds", 0.0)), 1),
        "run": Path(trainer.run_dir).name,
    }
    state = {
        "config": cfg.to_dict(),
        "dataset": info.get("dataset") or {},
        "steps": int(earlier.get("step", 0)) + int(step),
        "cpu_seconds": float(earlier.get("cpu_seconds", 0.0)) + float(info.get("cpu_seconds", 0)),
        "wall_seconds": float(earlier.get("wall_seconds", 0.0))
        + float(info.get("wall_seconds", 0.0)),
        "gpu_seconds": float(earlier.get("gpu_seconds", 0.0)),
        "sittings": [*earlier.get("sittings", []), sitting],
    }
    return write_state(path, state_arrays(trainer.networks), state)


def load_generator(run_dir: Path, *, checkpoint: str = "latest", ema: bool = True) -> tuple:
    """Rebuild a run's generator and load trained weights (for export).

    Args:
        run_dir: a run folder.
        checkpoint: ``"latest"`` or a step number (as text) of a kept checkpoint.
        ema: take the EMA generator when the run has one.

    Returns:
        (keras generator, TrainConfig, run info dict, step)

    Raises:
        ModelError: not a run folder, no checkpoint, unknown step, or unreadable checkpoint.
    """
    import tensorflow as tf

    from .loop import GanTrainer, make_strategy

    cfg, info = read_run(run_dir)
    if Path(run_dir).is_file():  # a training state: its (EMA) generator at its step count
        return _state_generator(Path(run_dir), cfg, info, checkpoint=checkpoint, ema=ema)
    trainer = GanTrainer(cfg, Path(run_dir), strategy=make_strategy("default"))
    available = list(trainer.manager.checkpoints)
    if not available:
        raise ModelError(f"{run_dir} has no checkpoint yet; train it first (mbot train)")
    if checkpoint == "latest":
        path = available[-1]
    else:
        try:
            wanted = int(checkpoint)
        except ValueError:
            raise ParameterError(
                f"--checkpoint must be 'latest' or a step number, got {checkpoint!r}"
            ) from None
        matches = [p for p in available if p.endswith(f"ckpt-{wanted}")]
        if not matches:
            steps = ", ".join(p.rsplit("-", 1)[-1] for p in available)
            raise ModelError(f"{run_dir} has no checkpoint at step {wanted} (kept: {steps})")
        path = matches[0]
    try:
        step = trainer.restore(path)
    except (tf.errors.OpError, ValueError, AssertionError, IndexError) as exc:
        raise ModelError(
            f"checkpoint {path} is unreadable or corrupt ({type(exc).__name__})"
        ) from None
    model = trainer.ema if (ema and trainer.ema is not None) else trainer.generator
    if info.get("dataset") is None:
        raise DataError(f"{run_dir}/{RUN_FILE} is missing; the run never finished loading its data")
    return model, cfg, info, step


def _state_generator(
    path: Path, cfg: TrainConfig, info: dict[str, Any], *, checkpoint: str, ema: bool
) -> tuple:
    """:func:`load_generator` for a training state file (which holds one step: its last)."""
    from .models import build_generator
    from .state import apply_state, read_state

    if checkpoint != "latest":
        raise ParameterError(f"{path} is a training state: it holds its latest step only")
    arrays, _ = read_state(path)
    model = build_generator(cfg)
    apply_state({"ema" if ema else "generator": model}, arrays)
    if not info.get("dataset"):
        raise DataError(f"{path} records no data set; it cannot be exported with credit")
    return model, cfg, info, int(info.get("steps", 0))
