"""What a run records about where it came from: data credit, skipped files, lineage, cost.

Why one module: ``run.json`` and a training state file carry the same story (which data the
networks learnt from, under which licence, which run or state they started from, and the
CPU, wall and GPU seconds all of it cost), and every way of starting a run (new,
``--init-from`` a run folder, ``--init-from`` a state) must tell it the same way, or the
credit CC BY requires stops reaching the packs.

Contents: :func:`dataset_info`, :func:`skipped_files_note`, :func:`inherit_credit`,
:func:`init_from` (a run folder or a state), :func:`write_run_state`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockingbot.errors import ModelError, ParameterError

from .config import TrainConfig
from .rundir import read_run

__all__ = [
    "SKIPPED_SHOWN",
    "dataset_info",
    "inherit_credit",
    "init_from",
    "skipped_files_note",
    "write_run_state",
]

#: Skipped files named one by one in train's note; the rest are counted.
SKIPPED_SHOWN = 10


def dataset_info(data_dir: Path, summary: Mapping[str, Any], meta: Mapping[str, str]) -> dict:
    """The ``dataset`` entry of ``run.json``: name, counts and the credit exports carry."""
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


def init_from(trainer: Any, cfg: TrainConfig, other: Path) -> dict[str, Any]:
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
    """:func:`init_from` for a training state file."""
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
        new = trainer.init_from_state(path).get("new_weights", [])
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
        **({"new_weights": new} if new else {}),
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
