"""``mbot godot``: put the Godot 4 addon, and a sound pack, into a Godot project.

``mbot godot install PROJECT_DIR`` copies the addon to ``PROJECT_DIR/addons/mockingbot`` and
enables it in ``project.godot``; ``--pack DIR`` also copies a pack made by ``mbot render-pack``
to ``PROJECT_DIR/packs/<name>``. The work is done by
:func:`mockingbot.runtime.godot_install.install`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..runtime.godot_install import DEFAULT_PACKS_FOLDER, InstallReport, install
from ..runtime.godot_project import addon_source_dir
from ._output import console, print_json, warn

__all__ = ["addon_path_command", "install_command", "register"]

_INSTALL_EPILOG = """
Examples:

  mbot godot install ~/games/forest

  mbot godot install ~/games/forest --pack packs/meows

  mbot godot install godot_addon/demo --pack packs/demo

  mbot godot install ~/games/forest --pack packs/meows --force --json

Running it again changes nothing.

Files that differ from what would be installed (an edited or older addon
copy, another pack of the same name) are only replaced with --force, which
also removes addon scripts this version no longer ships.

Other settings and enabled plugins in project.godot are kept.
The addon needs Godot 4.4 or newer.
"""

_ADDON_PATH_EPILOG = """
Examples:

  mbot godot addon-path

  cp -r "$(mbot godot addon-path)" ~/games/forest/addons/
"""

godot_app = typer.Typer(
    name="godot",
    help="Use MockingBot packs in Godot 4: install the addon into a project.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_report(report: InstallReport) -> None:
    for warning in report.warnings:
        warn(warning)
    addon = f"{len(report.addon_written)} files written, {report.addon_unchanged} unchanged"
    if report.addon_removed:
        addon += f", {len(report.addon_removed)} old files removed"
    console.print(f"addon   {addon} → {report.addon_dir}", highlight=False)
    state = "enabled" if report.plugin_enabled else "already enabled"
    console.print(f"plugin  {state} in {report.project / 'project.godot'}", highlight=False)
    if report.pack_dir is not None:
        pack = f"{len(report.pack_written)} files written, {report.pack_unchanged} unchanged"
        if report.tres_generated:
            pack += f" ({len(report.tres_generated)} .tres rebuilt from the manifest)"
        console.print(f"pack    {pack} → {report.pack_res_path}", highlight=False)
    where = report.pack_res_path or "res://packs/<your pack>"
    summary = "done" if report.changed else "already up to date"
    console.print(
        f"{summary}: open the project in Godot 4.4+, add a CreatureVoice2D/3D node and set "
        f"its pack to {where}",
        highlight=False,
    )


@godot_app.command("install", epilog=_INSTALL_EPILOG, no_args_is_help=True)
def install_command(
    project_dir: Path = typer.Argument(
        ..., help="The Godot project folder (the one holding project.godot)."
    ),
    pack: Path | None = typer.Option(
        None, "--pack", help="Also copy this pack folder (made by mbot render-pack)."
    ),
    packs_dir: str = typer.Option(
        DEFAULT_PACKS_FOLDER, "--packs-dir", help="Project folder that receives packs."
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace addon/pack files that differ from the ones installed."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Copy the MockingBot addon (and a pack) into a Godot 4 project and enable the plugin."""
    report = install(project_dir, pack=pack, packs_folder=packs_dir, force=force)
    if as_json:
        print_json(report.to_json())
    else:
        _print_report(report)


@godot_app.command("addon-path", epilog=_ADDON_PATH_EPILOG)
def addon_path_command() -> None:
    """Print the folder holding the addon files (to copy them by hand)."""
    typer.echo(str(addon_source_dir()))


def register(app: typer.Typer) -> None:
    app.add_typer(godot_app, name="godot")
