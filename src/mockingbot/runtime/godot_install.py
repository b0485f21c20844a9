"""Put the MockingBot Godot addon, and optionally a sound pack, into a Godot 4 project.

``mbot godot install`` is a thin wrapper around :func:`install`. Runtime-only: it reads packs
the runtime wrote and regenerates their ``.tres`` with the runtime's writer, so it lives in
the runtime (the core never imports the runtime). The pieces:

- The addon and ``project.godot``: :mod:`mockingbot.runtime.godot_project`.
- Packs: :func:`read_pack_manifest` validates a pack's ``manifest.json``;
  :func:`pack_install_plan` says what goes where (:class:`PlannedFile`), regenerating a
  creature's ``.tres`` with :func:`mockingbot.runtime.godot_resources.randomizer_tres` when
  the pack's copy is missing or stale.
- :func:`install` and its :class:`InstallReport`.

Policy (see docs/godot.md): nothing that differs is overwritten without ``force`` (the user
may have edited the addon or the pack in place); running twice changes nothing the second
time; every file is written atomically, ``project.godot`` last, so a refused or failed run
leaves the project as it was or with the addon copied but not yet enabled.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockingbot.errors import PackError
from mockingbot.fileio import atomic_path, atomic_write_bytes, atomic_write_text

from .godot_project import (
    ADDON_NAME,
    ADDON_SUFFIXES,
    PROJECT_FILE,
    GodotProjectError,
    addon_files,
    addon_source_dir,
    check_project_text,
    enable_plugin,
    godot_version_warning,
    is_hidden_or_temp,
    read_project_text,
)
from .godot_resources import randomizer_problems, randomizer_stream_paths, randomizer_tres
from .godot_text import parse_godot_text
from .pack_format import MANIFEST, PACK_FORMAT, PACK_FORMAT_VERSION

__all__ = [
    "DEFAULT_PACKS_FOLDER",
    "InstallReport",
    "PlannedFile",
    "install",
    "pack_install_plan",
    "read_pack_manifest",
]

DEFAULT_PACKS_FOLDER = "packs"
# The pack format's name, version and manifest file are defined once, by the pack writer.
MANIFEST_FILE = MANIFEST
#: Files Godot writes beside project files; never copied, kept when updating.
GODOT_SIDECAR_SUFFIXES = (".import", ".uid")


# --------------------------------------------------------------------------------------------
# Packs
# --------------------------------------------------------------------------------------------


def read_pack_manifest(pack_dir: str | Path) -> dict[str, Any]:
    """Read and check a pack's ``manifest.json`` (format, version, creatures and sounds).

    Unknown extra keys are fine; a ``format_version`` other than 1 is refused, since a newer
    layout may mean something this version cannot know.

    Raises:
        PackError: no manifest, not JSON, not a MockingBot pack, an unknown version, or a
            creature/sound entry that is malformed or names a file that is not there.
    """
    pack_dir = Path(pack_dir)
    path = pack_dir / MANIFEST_FILE
    if not path.is_file():
        raise PackError(f"{pack_dir} is not a MockingBot pack: it has no {MANIFEST_FILE}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackError(f"{path} is not readable JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != PACK_FORMAT:
        raise PackError(f"{path} is not a MockingBot pack manifest (no format={PACK_FORMAT!r})")
    version = data.get("format_version")
    if version != PACK_FORMAT_VERSION or isinstance(version, bool):
        raise PackError(
            f"{path} has format_version {version!r}; this mockingbot reads version "
            f"{PACK_FORMAT_VERSION} (upgrade mockingbot for newer packs)"
        )
    sounds = data.get("sounds")
    creatures = data.get("creatures")
    if not isinstance(sounds, list) or not isinstance(creatures, list) or not creatures:
        raise PackError(f"{path} needs non-empty 'creatures' and a 'sounds' list")
    files = {}
    for s in sounds:
        if not (isinstance(s, dict) and isinstance(s.get("id"), str)):
            raise PackError(f"{path}: a 'sounds' entry has no id")
        files[s["id"]] = _pack_relative(path, s.get("file"), f"sound {s['id']}")
    for c in creatures:
        cid = c.get("id") if isinstance(c, dict) else None
        if not isinstance(cid, str) or not cid:
            raise PackError(f"{path}: a 'creatures' entry has no id")
        ids = c.get("sounds")
        if not isinstance(ids, list) or not ids or any(i not in files for i in ids):
            raise PackError(f"{path}: creature {cid} lists no sounds, or sounds not in 'sounds'")
        if c.get("resource") is not None:
            _pack_relative(path, c["resource"], f"creature {cid} resource")
    for sid, rel in files.items():
        if not (pack_dir / rel).is_file():
            raise PackError(f"pack {pack_dir} is incomplete: {rel} (sound {sid}) is missing")
    return data


def _pack_relative(manifest: Path, rel: object, what: str) -> str:
    ok = isinstance(rel, str) and rel and "\\" not in rel and not rel.startswith("/")
    if not ok or ":" in rel or posixpath.normpath(rel).startswith(".."):
        raise PackError(f"{manifest}: {what} has a bad relative path {rel!r}")
    return posixpath.normpath(rel)


@dataclass(frozen=True)
class PlannedFile:
    """One file an install wants at ``dest`` (relative POSIX path in its target folder).

    Exactly one of ``source`` (copy that file) and ``content`` (write these bytes) is set.
    ``generated`` marks a creature ``.tres`` rebuilt from the manifest.
    """

    dest: str
    source: Path | None = None
    content: bytes | None = None
    generated: bool = False

    def data(self) -> bytes:
        return self.content if self.content is not None else Path(self.source).read_bytes()

    def matches(self, target: Path) -> bool:
        """True when ``target`` already holds exactly these bytes."""
        return target.is_file() and target.read_bytes() == self.data()


def _tres_is_fresh(pack_dir: Path, resource: str, files: list[str]) -> bool:
    path = pack_dir / resource
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8", errors="replace")
    if randomizer_problems(text, folder=path.parent):
        return False
    base = posixpath.dirname(resource)
    paths = randomizer_stream_paths(parse_godot_text(text))
    return [posixpath.normpath(posixpath.join(base, p)) for p in paths] == files


def pack_install_plan(pack_dir: str | Path) -> list[PlannedFile]:
    """What installing ``pack_dir`` writes: its files, plus rebuilt ``.tres`` where needed.

    Hidden and temporary files and Godot's ``.import``/``.uid`` sidecars (which belong to
    the project the pack was rendered in) are left out. A creature ``.tres`` that is missing
    or does not list exactly the manifest's sounds is generated from the manifest.
    """
    pack_dir = Path(pack_dir)
    manifest = read_pack_manifest(pack_dir)
    files = {s["id"]: posixpath.normpath(s["file"]) for s in manifest["sounds"]}
    plan: dict[str, PlannedFile] = {}
    for path in sorted(pack_dir.rglob("*")):
        rel = path.relative_to(pack_dir).as_posix()
        wanted = not (is_hidden_or_temp(rel) or rel.endswith(GODOT_SIDECAR_SUFFIXES))
        if wanted and path.is_file():
            plan[rel] = PlannedFile(rel, source=path)
    for c in manifest["creatures"]:
        resource = c.get("resource")
        if resource is None:
            continue
        resource = posixpath.normpath(resource)
        sound_files = [files[i] for i in c["sounds"]]
        if _tres_is_fresh(pack_dir, resource, sound_files):
            continue
        base = posixpath.dirname(resource)
        text = randomizer_tres(
            [posixpath.relpath(f, base or ".") for f in sound_files],
            random_pitch=max(1.0, float(c.get("random_pitch", 1.0))),
            random_volume_offset_db=max(0.0, float(c.get("random_volume_offset_db", 0.0))),
        )
        plan[resource] = PlannedFile(resource, content=text.encode("utf-8"), generated=True)
    return [plan[k] for k in sorted(plan)]


# --------------------------------------------------------------------------------------------
# Installing
# --------------------------------------------------------------------------------------------


@dataclass
class InstallReport:
    """What :func:`install` did; every path list is relative to its target folder."""

    project: Path
    addon_dir: Path
    addon_written: list[str] = field(default_factory=list)
    addon_unchanged: int = 0
    addon_removed: list[str] = field(default_factory=list)
    plugin_enabled: bool = False
    pack_dir: Path | None = None
    pack_res_path: str | None = None
    pack_written: list[str] = field(default_factory=list)
    pack_unchanged: int = 0
    tres_generated: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.addon_written or self.addon_removed or self.plugin_enabled or self.pack_written
        )

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for key in ("project", "addon_dir", "pack_dir"):
            out[key] = None if out[key] is None else str(out[key])
        out["changed"] = self.changed
        return out


def _copy(item: PlannedFile, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if item.source is not None:
        with atomic_path(target) as tmp:
            shutil.copyfile(item.source, tmp)
    else:
        atomic_write_bytes(target, item.content or b"")


def _stale_addon_files(addon_dir: Path, shipped: set[str]) -> list[str]:
    if not addon_dir.is_dir():
        return []
    stale = []
    for path in addon_dir.rglob("*"):
        rel = path.relative_to(addon_dir).as_posix()
        if path.is_file() and path.suffix in ADDON_SUFFIXES and rel not in shipped:
            stale.append(rel)
    return sorted(stale)


def _refuse(what: str, differing: list[str], folder: Path) -> GodotProjectError:
    shown = ", ".join(differing[:3]) + (" ..." if len(differing) > 3 else "")
    return GodotProjectError(
        f"{folder} already holds a different {what} ({len(differing)} files differ: {shown}); "
        "pass --force to replace them"
    )


def install(
    project_dir: str | Path,
    *,
    pack: str | Path | None = None,
    packs_folder: str = DEFAULT_PACKS_FOLDER,
    force: bool = False,
) -> InstallReport:
    """Copy the addon (and ``pack``) into a Godot 4 project and enable the plugin.

    Args:
        project_dir: the folder holding ``project.godot``.
        pack: a pack folder (from ``mbot render-pack``) to copy to
            ``<project>/<packs_folder>/<pack folder name>``.
        packs_folder: project-relative folder for packs.
        force: replace addon or pack files that differ from what would be installed (and
            remove addon scripts this version no longer ships). Without it such a difference
            is refused before anything is written.

    Returns:
        An :class:`InstallReport`; ``report.changed`` is False on a second identical run.

    Raises:
        GodotProjectError: no ``project.godot``, not a Godot 4 project, or differing files
            without ``force``.
        PackError: ``pack`` is not a valid pack.
    """
    project = Path(project_dir).expanduser()
    project_file = project / PROJECT_FILE
    if not project_file.is_file():
        raise GodotProjectError(
            f"{project} has no {PROJECT_FILE}: not a Godot project folder (create the project "
            "in Godot first, or pass the folder that holds project.godot)"
        )
    project_text = read_project_text(project_file)
    sections = check_project_text(project_text, str(project_file))
    new_project_text = enable_plugin(project_text)

    source = addon_source_dir()
    addon_dir = project / "addons" / ADDON_NAME
    report = InstallReport(project=project, addon_dir=addon_dir)
    if warning := godot_version_warning(sections):
        report.warnings.append(warning)

    addon_plan = [PlannedFile(rel, source=source / rel) for rel in addon_files(source)]
    stale = _stale_addon_files(addon_dir, {p.dest for p in addon_plan})
    addon_todo = [p for p in addon_plan if not p.matches(addon_dir / p.dest)]
    differing = [p.dest for p in addon_todo if (addon_dir / p.dest).exists()] + stale
    if differing and not force:
        raise _refuse("copy of the addon", differing, addon_dir)

    pack_todo: list[PlannedFile] = []
    pack_plan: list[PlannedFile] = []
    if pack is not None:
        pack_src = Path(pack).expanduser()
        if not pack_src.is_dir():
            raise PackError(f"{pack_src} is not a folder")
        pack_plan = pack_install_plan(pack_src)
        pack_rel = posixpath.normpath(f"{packs_folder.strip('/')}/{pack_src.resolve().name}")
        if pack_rel.startswith("..") or ":" in pack_rel:
            raise GodotProjectError(f"--packs-dir {packs_folder!r} must stay inside the project")
        report.pack_dir = project / pack_rel
        report.pack_res_path = f"res://{pack_rel}"
        if pack_src.resolve() == report.pack_dir.resolve():
            pack_plan = []  # the pack already lives in the project: nothing to copy
        pack_todo = [p for p in pack_plan if not p.matches(report.pack_dir / p.dest)]
        pack_differing = [p.dest for p in pack_todo if (report.pack_dir / p.dest).exists()]
        if pack_differing and not force:
            raise _refuse("pack", pack_differing, report.pack_dir)

    # Everything is checked; now write. project.godot goes last.
    for item in addon_todo:
        _copy(item, addon_dir / item.dest)
    for rel in stale:
        for victim in (addon_dir / rel, addon_dir / f"{rel}.uid"):
            victim.unlink(missing_ok=True)
    report.addon_written = [p.dest for p in addon_todo]
    report.addon_removed = stale
    report.addon_unchanged = len(addon_plan) - len(addon_todo)
    if report.pack_dir is not None:
        for item in pack_todo:
            _copy(item, report.pack_dir / item.dest)
        report.pack_written = [p.dest for p in pack_todo]
        report.pack_unchanged = len(pack_plan) - len(pack_todo)
        report.tres_generated = [p.dest for p in pack_todo if p.generated]
    if new_project_text != project_text:
        # A symlinked project.godot (a project kept in a dotfiles repo, say) stays a link:
        # the file it points to is what gets updated, atomically, beside itself.
        atomic_write_text(project_file.resolve(), new_project_text)
        report.plugin_enabled = True
    return report
