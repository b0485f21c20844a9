"""``mbot``: the root of the command line. It wires command groups together and is the one
place where an error becomes the one line a user reads and the exit code a script tests.

Examples:
    mbot render-pack --count 500 --out packs/demo
    mbot dataset inspect ~/sounds/meows
    mbot train ~/sounds/meows --out runs/meows
    mbot export onnx runs/meows -o meows.onnx
    mbot evaluate packs/demo --reference ~/sounds/meows

Exit codes, by kind (the numbers live in :mod:`mockingbot.errors`):

=====  ==================================================================================
0      done
1      a failure while working (:class:`~mockingbot.errors.WorkError`: a full disk, a
       folder that vanished); the same command may succeed once that is fixed
2      bad usage or bad input (an unknown option, a missing file, a value out of range:
       every other :class:`~mockingbot.errors.MockingBotError`)
130    interrupted (Ctrl-C)
=====  ==================================================================================

Each prints one ``error: ...`` line on stderr; set ``MBOT_DEBUG=1`` to see the traceback
instead. Programming errors are not caught and keep their tracebacks.

Contents: :data:`app`, :func:`main`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import typer

from .. import __version__
from ..errors import EXIT_INTERRUPTED, EXIT_USAGE, EXIT_WORK, MockingBotError
from . import commands
from ._output import fail

__all__ = ["app", "main"]

#: Click's usage error: typer vendors click from 0.2x on (``typer._click``); older releases
#: (``typer>=0.12`` is allowed) use the ``click`` distribution.
_UsageError: type[Exception] = (
    getattr(typer.core, "_click", None) or getattr(typer.core, "click")  # noqa: B009
).exceptions.UsageError

_EXIT_CODES_EPILOG = (
    f"Exit codes: 0 done; {EXIT_WORK} failed while working (e.g. a full disk: fix it and run"
    f" again); {EXIT_USAGE} bad usage or bad input; {EXIT_INTERRUPTED} interrupted (Ctrl-C)."
    " Errors print one line; MBOT_DEBUG=1 shows the traceback."
)


def _debug() -> bool:
    """``MBOT_DEBUG`` set (and not ``0``): let errors raise with their tracebacks."""
    return os.environ.get("MBOT_DEBUG", "") not in ("", "0")


@contextlib.contextmanager
def _one_line() -> Iterator[None]:
    """Turn what stops a command into one ``error:`` line and its exit code.

    The only place that does: commands raise :class:`~mockingbot.errors.MockingBotError`
    subclasses and let them come here, so a :class:`~mockingbot.errors.WorkError` keeps its
    exit code 1 however deep it was raised. Click's usage errors (an unknown option, a
    value that does not parse) get one line too, instead of a framed box, with a pointer
    to the command's help. A bare ``mbot`` or command group still prints its help.
    """
    try:
        yield
    except _UsageError as exc:
        # NoArgsIsHelpError (click ≥ 8.2) is the help of a bare ``mbot`` or group, not an error
        if _debug() or type(exc).__name__ == "NoArgsIsHelpError":
            raise
        hint = f"; see {exc.ctx.command_path} --help" if exc.ctx is not None else ""
        fail(exc.format_message().rstrip(".") + hint, code=exc.exit_code)
    except MockingBotError as exc:
        if _debug():
            raise
        fail(str(exc), code=exc.exit_code)
    except KeyboardInterrupt:
        if _debug():
            raise
        fail("interrupted", code=EXIT_INTERRUPTED)


class _Group(typer.core.TyperGroup):
    """Root command group that routes every error through :func:`_one_line`, however
    ``mbot`` is invoked (console script, ``python -m``, or a test's ``CliRunner``).

    ``parse_args`` covers the root's own options (``mbot --bogus``); ``invoke`` covers the
    rest, since sub-commands parse their arguments inside the root's ``invoke``.
    """

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        with _one_line():
            return super().parse_args(ctx, args)

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        with _one_line():
            return super().invoke(ctx)


app = typer.Typer(
    name="mbot",
    cls=_Group,
    help="MockingBot: learn a class of creature sounds and render endless game-ready packs.",
    epilog=_EXIT_CODES_EPILOG,
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
    """Console-script entry point (``mbot``): errors are handled by the app itself."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
