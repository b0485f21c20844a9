"""Checks a model file must pass before anything opens it for real.

onnxruntime validates a graph when it builds a session, but by then it has already read the
whole file into memory and followed every external-data path the file names. A hostile or
damaged file must be refused before that, with one line that names the problem:

- a missing path, a folder, an empty (0-byte) file;
- a file over :data:`MAX_MODEL_BYTES` (external data included): a MockingBot generator is a
  few MiB (the shipped one 5.2 MiB), so a file of gigabytes is the wrong file, and reading it
  would only exhaust memory;
- bytes that are not an ONNX ``ModelProto`` (read with the pure-Python wire reader
  :mod:`mockingbot.runtime.protowire`, no session, no ``onnx`` package);
- external-data ``location`` entries that are absolute, contain ``..`` or resolve (through
  symlinks) outside the model's folder (``../../etc/passwd``), or name files that are missing.

:func:`check_model_file` is shared by ``mbot info`` and
:meth:`mockingbot.runtime.model.GeneratorModel.load` (hence ``render-pack``, ``mutate``,
``evaluate``): both refuse the same files with the same line.

Contents: :data:`MAX_MODEL_BYTES`, :func:`check_model_file`.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from mockingbot.errors import ModelError
from mockingbot.runtime.protowire import ModelSummary, read_model_summary

__all__ = ["MAX_MODEL_BYTES", "check_model_file"]

#: Largest model (file plus its external data) the runtime opens: 512 MiB, about 100× the
#: shipped generator and 2× the largest model a 2 GiB protobuf could hold in half precision.
MAX_MODEL_BYTES = 512 * 1024 * 1024


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MiB"


def _too_big(path: Path, size: int, what: str) -> ModelError:
    return ModelError(
        f"{path} is {_mib(size)}{what}, over the {_mib(MAX_MODEL_BYTES)} limit for a model "
        "(a MockingBot generator is a few MiB); check that this is the right file"
    )


def _external_file(path: Path, location: str) -> Path:
    """The file an external-data ``location`` names, refused unless it stays in the folder."""
    folder = path.resolve().parent
    shown = location if len(location) <= 80 else location[:77] + "..."
    if (
        not location
        or "\0" in location
        or PurePosixPath(location).is_absolute()
        or PureWindowsPath(location).is_absolute()
        or PureWindowsPath(location).drive
        or ".." in PurePosixPath(location.replace("\\", "/")).parts
    ):
        raise ModelError(
            f"{path} names external data at {shown!r}, outside the model's folder; refusing "
            "to read it (a model's external data must sit beside it)"
        )
    target = (folder / location).resolve()
    if not target.is_relative_to(folder):
        raise ModelError(
            f"{path} names external data {shown!r} that leads outside the model's folder "
            f"(to {target}); refusing to read it"
        )
    if not target.is_file():
        raise ModelError(
            f"{path} names external data {shown!r}, which is missing beside it; copy it next "
            "to the model"
        )
    return target


def check_model_file(path: str | os.PathLike[str]) -> tuple[bytes, ModelSummary]:
    """Refuse a model file that must not be opened; return its bytes and structure.

    Raises:
        ModelError: one line naming ``path`` and the problem (see the module docstring).
    """
    path = Path(path)
    if not path.exists():
        raise ModelError(f"model file not found: {path}")
    if not path.is_file():
        raise ModelError(f"model path is not a file: {path}")
    try:
        size = path.stat().st_size
        if size == 0:
            raise ModelError(f"{path} is empty (0 bytes), not an ONNX model; re-export it")
        if size > MAX_MODEL_BYTES:
            raise _too_big(path, size, "")
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc.strerror or exc}") from None
    summary = read_model_summary(data, source=str(path))
    total = size
    for location in dict.fromkeys(summary.external_data):
        total += _external_file(path, location).stat().st_size
        if total > MAX_MODEL_BYTES:
            raise _too_big(path, total, " with its external data")
    return data, summary
