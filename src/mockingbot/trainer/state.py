"""A model's training state in one small file that any machine and any Keras backend can read.

Why: sessions end and machines change, so the shipped model's training must continue where
it stopped, on a fresh CPU machine (``scripts/train-default-model.sh``) or on a borrowed GPU
machine where TensorFlow is not installed (``scripts/gpu_train.py``, Keras on JAX). A
TensorFlow checkpoint serves neither, and it is too big to keep in the repository. A state
file is a compressed ``.npz``:

- one array per network weight, keyed ``"<network>/<variable path>"`` (``generator``,
  ``ema``, ``discriminator``; paths like ``conv3/kernel`` are the same under every backend),
  stored as float16 by default (the three networks of the default recipe take ≈ 7 MB);
- ``__info__``: JSON with the format version, the run config (spec included), the data
  credit, and the cumulative cost: ``steps``, ``cpu_seconds``, ``gpu_seconds``, plus a
  history of who trained it where.

Optimiser state is not kept: Adam's moments re-estimate themselves within a few hundred
steps, and leaving them out halves the file.

The file is written to a temporary name and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mockingbot.fileio import atomic_write_bytes

__all__ = ["NETWORKS", "STATE_FORMAT", "apply_state", "read_state", "state_arrays", "write_state"]

#: Version of the state file's layout.
STATE_FORMAT = 1
#: Networks a state holds, in this order.
NETWORKS = ("generator", "ema", "discriminator")
_INFO = "__info__"


def state_arrays(networks: Mapping[str, Any], *, dtype: str = "float16") -> dict[str, np.ndarray]:
    """``{"<network>/<path>": array}`` for every weight of every given Keras model."""
    out = {}
    for name, model in networks.items():
        for v in model.weights:
            out[f"{name}/{v.path}"] = np.asarray(v.numpy() if hasattr(v, "numpy") else v).astype(
                dtype
            )
    return out


def write_state(path: Path, arrays: Mapping[str, np.ndarray], info: Mapping[str, Any]) -> Path:
    """Write ``arrays`` and ``info`` to ``path`` atomically; returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {**arrays, _INFO: np.array(json.dumps({**info, "format": STATE_FORMAT}))}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **payload)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def read_state(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(arrays, info) of a state file.

    Raises:
        ValueError: not a state file, or one of a newer format.
    """
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files if k != _INFO}
            info = json.loads(str(data[_INFO])) if _INFO in data.files else None
    except (OSError, ValueError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a MockingBot training state ({exc})") from None
    if not isinstance(info, dict) or info.get("format") != STATE_FORMAT:
        raise ValueError(f"{path} is not a MockingBot training state of format {STATE_FORMAT}")
    return arrays, info


def apply_state(
    networks: Mapping[str, Any], arrays: Mapping[str, np.ndarray], *, new_parts: bool = False
) -> list[str]:
    """Assign every weight of the given models from ``arrays`` (matched by path and shape).

    A network missing from the state takes ``generator``'s weights when it is ``ema`` (a
    state without an EMA starts the EMA at the generator).

    Args:
        networks: ``{"generator": model, ...}``.
        arrays: the state's arrays (:func:`read_state`).
        new_parts: let the models have weights the state lacks (a part added to the recipe
            since, such as ``model.frame_noise``, that starts from its initial value, as
            ``--init-from`` a run folder allows). A network must still take some of its
            weights from the state, so an unrelated state is refused. Weights of the state
            that the models lack are ignored either way (a harmonic generator takes its part
            of a full-resolution state).

    Returns:
        the ``"<network>/<path>"`` of the weights left at their initial values.

    Raises:
        ValueError: a weight has no array of its path in the state (without ``new_parts``)
            or one of another shape, or a network takes none of its weights from it.
    """
    left: list[str] = []
    for name, model in networks.items():
        source = name if any(k.startswith(f"{name}/") for k in arrays) else None
        if source is None and name == "ema":
            source = "generator"
        took_any = False
        for v in model.weights:
            key = f"{source}/{v.path}"
            value = arrays.get(key)
            if value is None and new_parts:
                left.append(f"{name}/{v.path}")
                continue
            if value is None or tuple(value.shape) != tuple(v.shape):
                found = "missing" if value is None else f"shape {tuple(value.shape)}"
                raise ValueError(
                    f"the state has no weight {name}/{v.path} of shape {tuple(v.shape)} ({found})"
                )
            v.assign(value.astype("float32"))
            took_any = True
        if model.weights and not took_any:
            raise ValueError(f"the state has none of the weights of {name}")
    return left
