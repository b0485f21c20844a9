"""Exception types shared by every stage, and the exit code each kind means.

The CLI (:mod:`mockingbot.cli.main`, the one place that catches them) turns any
:class:`MockingBotError` into one line on stderr and its :attr:`~MockingBotError.exit_code`:
:data:`EXIT_USAGE` (2) for a *user* mistake (bad file, bad option, missing model),
:data:`EXIT_WORK` (1) for :class:`WorkError`, work the machine stopped (a full disk while
training); Ctrl-C exits :data:`EXIT_INTERRUPTED` (130, the shell's 128 + SIGINT). Why by
kind: a script or CI job can tell "fix the command" from "fix the machine and run again".
Programming errors stay ordinary exceptions and keep their tracebacks.

Contents: the exit codes, :class:`MockingBotError` and its subclasses :class:`WorkError`,
:class:`ParameterError`, :class:`AudioLoadError`, :class:`DataError`, :class:`ModelError`,
:class:`PackError`.

>>> WorkError("disk full").exit_code, PackError("bad manifest").exit_code
(1, 2)
"""

from __future__ import annotations

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "EXIT_WORK",
    "AudioLoadError",
    "DataError",
    "MockingBotError",
    "ModelError",
    "PackError",
    "ParameterError",
    "WorkError",
]

#: Exit code of a failure while working (:class:`WorkError`).
EXIT_WORK = 1
#: Exit code of bad usage or bad input (every other :class:`MockingBotError`, and click's
#: usage errors, which use 2 too).
EXIT_USAGE = 2
#: Exit code after Ctrl-C: 128 + SIGINT, what a shell reports for a process SIGINT killed.
EXIT_INTERRUPTED = 130


class MockingBotError(Exception):
    """Root of the project's errors: a user-facing problem with a one-line message."""

    #: What the CLI exits with: bad input or usage.
    exit_code = EXIT_USAGE


class WorkError(MockingBotError):
    """Work that was going well stopped for a reason outside the input (disk full, quota,
    a folder that vanished). Exit code 1: the same command may succeed once that is fixed,
    and the message says how to continue without losing what was done."""

    exit_code = EXIT_WORK


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
