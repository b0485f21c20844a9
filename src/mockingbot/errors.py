"""Exception types shared by every stage.

The CLI turns any :class:`MockingBotError` into one line on stderr and its
:attr:`~MockingBotError.exit_code`: 2 for a *user* mistake (bad file, bad option, missing
model), 1 for :class:`WorkError`, work the machine stopped (a full disk while training).
Programming errors stay ordinary exceptions and keep their tracebacks.
"""

from __future__ import annotations

__all__ = [
    "AudioLoadError",
    "DataError",
    "MockingBotError",
    "ModelError",
    "PackError",
    "ParameterError",
    "WorkError",
]


class MockingBotError(Exception):
    """Root of the project's errors: a user-facing problem with a one-line message."""

    #: What the CLI exits with: 2, bad input or usage.
    exit_code = 2


class WorkError(MockingBotError):
    """Work that was going well stopped for a reason outside the input (disk full, quota,
    a folder that vanished). Exit code 1: the same command may succeed once that is fixed,
    and the message says how to continue without losing what was done."""

    exit_code = 1


class ParameterError(MockingBotError, ValueError):
    """A parameter or configuration value is malformed or out of range."""


class AudioLoadError(MockingBotError):
    """One audio file cannot be used (unreadable, empty, silent, non-finite ...).

    Attributes:
        path: the offending file, as given.
        reason: a short machine-friendly reason (``"unreadable"``, ``"empty"``,
            ``"silent"``, ``"non-finite"``, ``"too short"``, ``"not audio"``).
    """

    def __init__(self, path: object, reason: str, detail: str = "") -> None:
        self.path = str(path)
        self.reason = reason
        self.detail = detail
        msg = f"{self.path}: {reason}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


class DataError(MockingBotError):
    """A data folder as a whole is unusable (missing, not a folder, no usable audio)."""


class ModelError(MockingBotError):
    """A model file or run folder is missing, corrupt, or lacks metadata the caller needs."""


class PackError(MockingBotError):
    """A sound pack cannot be written, resumed or read."""
