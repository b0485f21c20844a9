"""Run folders: what is in one, whether a folder is one, and making one ready to train in.

Layout of ``RUN_DIR``::

    config.json          resolved TrainConfig (spectrogram spec included) — the source of truth
    run.json             data folder, data set summary (name, clips, license, attribution)
    checkpoints/         tf.train checkpoints: networks, EMA generator, optimisers, step
    generator.keras      the sampling (EMA) generator in Keras format, refreshed per checkpoint
    samples/step-NNNNNN/ sample WAVs + spectrograms.png
    logs/                TensorBoard event files (losses, spectrogram images, audio)
    cache/               cached features

Users never need to know this layout: ``mbot train --resume RUN_DIR`` and
``mbot export onnx RUN_DIR`` read it. Callers: :mod:`~mockingbot.trainer.run` (the training
driver), :mod:`~mockingbot.trainer.load` (export), ``mbot train``.

Contents: :data:`CONFIG_FILE`, :data:`RUN_FILE`, :func:`is_run_dir`, :func:`read_run`,
:func:`prepare_run_dir`, :func:`writing` (a failed write as one resumable line).
"""

from __future__ import annotations

import contextlib
import errno
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mockingbot.errors import ModelError, ParameterError, WorkError

from .config import TrainConfig

__all__ = ["CONFIG_FILE", "RUN_FILE", "is_run_dir", "prepare_run_dir", "read_run", "writing"]

CONFIG_FILE = "config.json"
RUN_FILE = "run.json"
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
def writing(run_dir: Path, what: str) -> Iterator[None]:
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
