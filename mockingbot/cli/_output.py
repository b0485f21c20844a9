"""One place for everything the CLI prints.

Results go to stdout, errors, hints and progress to stderr. Rich tables and progress bars
are for humans; ``--json`` commands print plain JSON on stdout and nothing decorative.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from rich.console import Console

__all__ = ["console", "err_console", "fail", "print_json", "progress", "stage_bars"]

console = Console()
err_console = Console(stderr=True)


def fail(message: str, *, code: int = 2) -> NoReturn:
    """Print ``error: message`` on one line to stderr and exit with ``code``."""
    from rich.markup import escape

    # Messages quote user input, paths and shapes ("[batch, 64]", "mockingbot[train]"):
    # escape them so rich does not read brackets as markup and silently drop them.
    line = escape(" ".join(str(message).split()))
    err_console.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
    raise SystemExit(code)


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
