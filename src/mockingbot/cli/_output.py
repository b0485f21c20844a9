"""One place for everything the CLI prints.

Results go to stdout, errors, hints and progress to stderr. Rich tables and progress bars
are for humans; ``--json`` commands print plain JSON on stdout and nothing decorative.

Every string these consoles print is shown exactly as it is: rich markup (``[red]``,
``[/]``, ``[link=...]``) and emoji codes (``:cat:``) are not interpreted, because the
strings are mostly user input (file and folder names, model names from metadata) and a
name such as ``[/]x.wav`` would otherwise crash the output or vanish from it. Our own
styling is built from :class:`rich.text.Text` pieces (:func:`fail`, :func:`warn`). Names
holding bytes that are not UTF-8 (a Latin-1 file name on Linux) are shown with those bytes
as ``\\xe9`` escapes instead of crashing the terminal's encoder.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from rich.console import Console
from rich.text import Text

__all__ = [
    "console",
    "err_console",
    "fail",
    "print_json",
    "printable",
    "progress",
    "stage_bars",
    "warn",
]


def printable(text: object) -> str:
    """``text`` as a string any UTF-8 terminal can show.

    File names read from disk carry undecodable bytes as lone surrogates
    (``os.fsdecode``); writing those to a UTF-8 stream raises. They become ``\\xNN``.

    Examples:
        >>> printable("caf\\udce9.wav")
        'caf\\\\xe9.wav'
        >>> printable("[/]x.wav")
        '[/]x.wav'
    """
    text = str(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate that no file name decoding made
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class _LiteralConsole(Console):
    """A console that prints every string literally: no markup, no emoji codes."""

    def render_str(self, text: str, **kwargs: Any) -> Text:  # type: ignore[override]
        # Every string a table cell, title or print() holds passes through here.
        kwargs["markup"] = False
        kwargs["emoji"] = False
        return super().render_str(printable(text), **kwargs)


console: Console = _LiteralConsole(markup=False, emoji=False)
err_console: Console = _LiteralConsole(stderr=True, markup=False, emoji=False)


def _labelled(label: str, style: str, message: object) -> Text:
    return Text.assemble((label, style), " ", printable(" ".join(str(message).split())))


def fail(message: str, *, code: int = 2) -> NoReturn:
    """Print ``error: message`` on one line to stderr and exit with ``code``.

    :mod:`mockingbot.cli.main` calls it for every error that reaches it; a command should
    raise a :class:`~mockingbot.errors.MockingBotError` (its class decides the exit code)
    rather than catch one and call this, which would turn a
    :class:`~mockingbot.errors.WorkError`'s exit code 1 into 2.
    """
    err_console.print(_labelled("error:", "bold red", message), highlight=False, soft_wrap=True)
    raise SystemExit(code)


def warn(message: str) -> None:
    """Print ``warning: message`` on one line to stderr (the command goes on)."""
    err_console.print(_labelled("warning:", "yellow", message), highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to stdout (no colour, no wrapping)."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def progress(*, transient: bool = False):  # -> rich.progress.Progress
    """A rich progress bar on stderr with count, rate and ETA columns.

    Callers add tasks and advance them; the bar disappears from non-terminals gracefully.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=err_console,
        transient=transient,
    )


def stage_bars(bar) -> Callable[[str, int, int], None]:
    """An ``on_progress(stage, done, total)`` callback drawing one bar per stage on ``bar``.

    Long jobs report several stages (files featurised, then metrics ...); each gets its own
    row the first time it reports, so the user sees which part is slow.
    """
    tasks: dict[str, Any] = {}

    def on_progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total, rate="", status="")
        bar.update(tasks[stage], completed=done)

    return on_progress
