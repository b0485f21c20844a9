"""Load a trained generator back from a run folder or a training state file, for export.

Why apart from training: ``mbot export`` needs the networks of one checkpoint and the run's
config and credit, and none of the training driver's data loading or bookkeeping.

Contents: :func:`load_generator`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mockingbot.errors import DataError, ModelError, ParameterError

from .config import TrainConfig
from .rundir import RUN_FILE, read_run

__all__ = ["load_generator"]


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
