"""The list of command modules ``mbot`` is built from (one module per command group).

Each module defines ``register(app: typer.Typer) -> None``. Keep this list in the order
the commands should appear in ``mbot --help``.
"""

from __future__ import annotations

import importlib

import typer

__all__ = ["MODULES", "register_all"]

MODULES: tuple[str, ...] = (
    # --- command modules: one line each ---
    "dataset",
    "train",
    "export",
    "info",
    "evaluate",
    "godot",
    "render",
)


def register_all(app: typer.Typer) -> None:
    """Import each command module and let it add its commands to ``app``."""
    for name in MODULES:
        importlib.import_module(f"{__package__}.{name}").register(app)
