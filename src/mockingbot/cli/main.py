"""``mbot``: the root of the command line. It only wires command groups together.

Examples:
    mbot render-pack --count 500 --out packs/demo
    mbot dataset inspect ~/sounds/meows
    mbot train ~/sounds/meows --out runs/meows
    mbot export onnx runs/meows -o meows.onnx
    mbot evaluate packs/demo --reference ~/sounds/meows

Errors a user can fix (a :class:`~mockingbot.errors.MockingBotError`) print one line and
exit with code 2 (bad input or usage) or 1 (work stopped, e.g. a full disk:
:class:`~mockingbot.errors.WorkError`); set ``MBOT_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import os
import sys

import typer

from .. import __version__
from ..errors import MockingBotError
from . import commands
from ._output import err_console, fail

__all__ = ["app", "main"]


class _Group(typer.core.TyperGroup):
    """Root command group that turns user errors into one line + exit 2, however it is invoked
    (console script, ``python -m``, or a test's ``CliRunner``)."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except MockingBotError as exc:
            if os.environ.get("MBOT_DEBUG", "") not in ("", "0"):
                raise
            fail(str(exc), code=exc.exit_code)


app = typer.Typer(
    name="mbot",
    cls=_Group,
    help="MockingBot: learn a class of creature sounds and render endless game-ready packs.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mbot {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """MockingBot: learn a class of creature sounds and render endless game-ready packs."""


commands.register_all(app)


def main() -> None:
    """Console-script entry point: run the app, turning user errors into one line."""
    debug = os.environ.get("MBOT_DEBUG", "") not in ("", "0")
    try:
        app()
    except MockingBotError as exc:
        if debug:
            raise
        fail(str(exc), code=exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
