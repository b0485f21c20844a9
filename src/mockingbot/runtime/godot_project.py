"""A Godot 4 project as ``mbot godot install`` sees it: the addon's files and ``project.godot``.

Runtime-only (the Godot side of a rendered pack), so it lives in the runtime; the install
itself, packs included, is :mod:`mockingbot.runtime.godot_install`.

Contents:

- Where the addon is: :func:`addon_source_dir` (package data of a normal ``pip install``,
  or ``godot_addon/addons/mockingbot`` of a source checkout) and :func:`addon_files`.
- ``project.godot``: :func:`read_project_text` (UTF-8, one clear error otherwise),
  :func:`check_project_text` (a Godot 4 project?), :func:`enabled_plugins`,
  :func:`enable_plugin` (pure text → text: adds the addon to ``[editor_plugins]
  enabled=PackedStringArray(...)``, keeping every other byte of the file) and
  :func:`godot_version_warning`.
- :class:`GodotProjectError`: the folder is not a usable Godot 4 project, or installing would
  lose changes.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from mockingbot.errors import MockingBotError

from .godot_text import Call, GodotTextError, Section, godot_string, parse_godot_text

__all__ = [
    "ADDON_NAME",
    "ADDON_SUFFIXES",
    "MIN_GODOT_VERSION",
    "PLUGIN_CFG_RES",
    "PROJECT_FILE",
    "GodotProjectError",
    "addon_files",
    "addon_source_dir",
    "check_project_text",
    "enable_plugin",
    "enabled_plugins",
    "godot_version_warning",
    "is_hidden_or_temp",
    "read_project_text",
]


ADDON_NAME = "mockingbot"
PLUGIN_CFG_RES = f"res://addons/{ADDON_NAME}/plugin.cfg"
PROJECT_FILE = "project.godot"
#: ``config_version`` of Godot 4 projects (Godot 3 wrote 4).
GODOT4_CONFIG_VERSION = 5
#: The addon uses AudioStreamWAV.load_from_file, new in Godot 4.4.
MIN_GODOT_VERSION = (4, 4)

#: Files that make up the addon (also the package-data globs in pyproject.toml).
ADDON_SUFFIXES = (".gd", ".cfg", ".tscn", ".svg", ".md")


_FEATURE_VERSION = re.compile(r"^(\d+)\.(\d+)$")
#: The UTF-8 byte-order mark some editors put at the start of project.godot.
_BOM = "\ufeff"
_SECTION_ORDER_KEY = "editor_plugins"


class GodotProjectError(MockingBotError):
    """The target folder is not a usable Godot 4 project, or installing would lose changes."""


# --------------------------------------------------------------------------------------------
# The addon's files
# --------------------------------------------------------------------------------------------


def addon_source_dir() -> Path:
    """The folder holding the addon's ``plugin.cfg`` in this installation.

    A normal (wheel) install ships it as package data of ``mockingbot.godot_addon``; a
    source checkout (editable install, whose import hook does not resolve the data-only
    package) has it at ``godot_addon/addons/mockingbot`` beside ``src/``.

    Raises:
        GodotProjectError: when neither exists (a broken installation).
    """
    candidates: list[Path] = []
    try:
        spec = importlib.util.find_spec("mockingbot.godot_addon")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) for p in spec.submodule_search_locations]
    checkout = Path(__file__).resolve().parents[3]  # src/mockingbot/runtime/ → the root
    candidates.append(checkout / "godot_addon" / "addons" / ADDON_NAME)
    for folder in candidates:
        if (folder / "plugin.cfg").is_file():
            return folder
    raise GodotProjectError(
        "the Godot addon files are missing from this mockingbot installation; reinstall it "
        "(pip install --force-reinstall mockingbot)"
    )


def is_hidden_or_temp(rel: str) -> bool:
    """True for a relative path that is hidden, a ``__pycache__`` or a ``.tmp`` file.

    Such files belong to whoever made them (an editor, Python, an interrupted write), never
    to the addon or a pack, so an install neither copies nor compares them.
    """
    parts = rel.split("/")
    return any(p.startswith(".") or p == "__pycache__" for p in parts) or rel.endswith(".tmp")


def addon_files(source: Path | None = None) -> list[str]:
    """Relative POSIX paths of the addon's files (scripts, config, scenes, icons, docs)."""
    source = addon_source_dir() if source is None else source
    files = []
    for path in source.rglob("*"):
        rel = path.relative_to(source).as_posix()
        if path.is_file() and path.suffix in ADDON_SUFFIXES and not is_hidden_or_temp(rel):
            files.append(rel)
    return sorted(files)


# --------------------------------------------------------------------------------------------
# project.godot
# --------------------------------------------------------------------------------------------


def check_project_text(text: str, where: str) -> list[Section]:
    """The parsed sections of ``project.godot`` text, if it is a Godot 4 project.

    Checked before anything is written, so that an install into a Godot 3 project (whose
    ``config_version`` is 4) or an unreadable file is refused, not half done.

    Raises:
        GodotProjectError: unparseable text, or ``config_version`` below 5; ``where`` names
            the file in the message.
    """
    try:
        sections = parse_godot_text(text)
    except GodotTextError as exc:
        raise GodotProjectError(f"{where} is not readable: {exc}") from exc
    top = next((s for s in sections if s.tag == ""), None)
    version = top.get("config_version") if top is not None else None
    if not isinstance(version, int) or version < GODOT4_CONFIG_VERSION:
        raise GodotProjectError(
            f"{where} has config_version={version}: not a Godot 4 project (the addon needs "
            f"Godot {'.'.join(map(str, MIN_GODOT_VERSION))} or newer)"
        )
    return sections


def enabled_plugins(text: str) -> list[str]:
    """The ``plugin.cfg`` paths ``project.godot`` text enables (empty when none)."""
    sections = [s for s in parse_godot_text(text) if s.tag == "editor_plugins"]
    value = sections[-1].get("enabled") if sections else None
    if isinstance(value, Call) and value.name == "PackedStringArray":
        return [a for a in value.args if isinstance(a, str)]
    return []


def enable_plugin(text: str, plugin_cfg: str = PLUGIN_CFG_RES) -> str:
    """``project.godot`` text with ``plugin_cfg`` added to ``[editor_plugins] enabled``.

    Every other byte stays as it was: other settings, comments, other enabled plugins (in
    their order, the new one appended) and the file's line endings. The section is created
    where Godot itself would put it (sections sorted by name) when it is absent. Returns
    ``text`` unchanged when the plugin is already enabled, so the edit is idempotent.

    Raises:
        GodotProjectError: for text that is not a Godot 4 ``project.godot``, or an
            ``enabled`` value that is not a PackedStringArray.

    Examples:
        >>> out = enable_plugin('config_version=5\\n\\n[application]\\n\\nconfig/name="x"\\n')
        >>> out.endswith('[editor_plugins]\\n\\nenabled=PackedStringArray('
        ...              '"res://addons/mockingbot/plugin.cfg")\\n')
        True
    """
    # A UTF-8 byte-order mark stays where it is. The parser skips it, so the spans it
    # reports count from after it: edit the text without it (with it, an edit landed one
    # character early, eating a newline and doubling a ")").
    bom = _BOM if text.startswith(_BOM) else ""
    return bom + _enable_plugin(text[len(bom) :], plugin_cfg)


def _enable_plugin(text: str, plugin_cfg: str) -> str:
    """:func:`enable_plugin` on text without a byte-order mark."""
    sections = check_project_text(text, PROJECT_FILE)
    nl = "\r\n" if "\r\n" in text else "\n"
    plugin_sections = [s for s in sections if s.tag == "editor_plugins"]
    if not plugin_sections:
        entry = _enabled_line([plugin_cfg])
        block = f"[editor_plugins]{nl}{nl}{entry}{nl}"
        after = next((s for s in sections if s.tag > _SECTION_ORDER_KEY), None)
        if after is not None:
            pos = after.span[0]
            return text[:pos] + block + nl + text[pos:]
        body = text if text.endswith(("\n", "\r")) or not text else text + nl
        gap = "" if not body or body.endswith(nl + nl) else nl
        return body + gap + block
    section = plugin_sections[-1]
    current = section.entry("enabled")
    if current is None:
        entry = _enabled_line([plugin_cfg])
        if section.entries:
            pos = section.entries[-1].span[1]
            return text[:pos] + nl + entry + text[pos:]
        pos = section.span[1]
        return text[:pos] + nl + nl + entry + text[pos:]
    value = current.value
    if not (isinstance(value, Call) and value.name == "PackedStringArray"):
        raise GodotProjectError(
            f"{PROJECT_FILE} line {current.line}: [editor_plugins] enabled is {current.raw!r}, "
            "not a PackedStringArray; fix it in Godot (Project Settings > Plugins)"
        )
    plugins = [a for a in value.args if isinstance(a, str)]
    if plugin_cfg in plugins:
        return text
    start, end = current.span
    return text[:start] + _enabled_line([*plugins, plugin_cfg]) + text[end:]


def _enabled_line(plugins: list[str]) -> str:
    return f"enabled=PackedStringArray({', '.join(godot_string(p) for p in plugins)})"


def godot_version_warning(sections: list[Section]) -> str | None:
    """A warning when ``[application] config/features`` says Godot older than 4.4, else None.

    Only a warning: the features list records the editor that last saved the project, and
    opening it in a newer Godot is exactly what the user should do.
    """
    app = next((s for s in reversed(sections) if s.tag == "application"), None)
    features = app.get("config/features") if app is not None else None
    if not isinstance(features, Call):
        return None
    for f in features.args:
        m = _FEATURE_VERSION.match(f) if isinstance(f, str) else None
        if m and (int(m.group(1)), int(m.group(2))) < MIN_GODOT_VERSION:
            need = ".".join(map(str, MIN_GODOT_VERSION))
            return f"the project was last saved by Godot {f}; the addon needs Godot {need}+"
    return None


def read_project_text(project_file: Path) -> str:
    """``project.godot`` as text, line endings kept; one clear error when it is not UTF-8.

    Godot reads and writes the file as UTF-8, so a file in another encoding (Latin-1 from
    an old editor) would be misread by Godot too; it is refused, not guessed at.
    """
    data = project_file.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise GodotProjectError(
            f"{project_file} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            "Godot reads project.godot as UTF-8: re-save it in Godot, or convert it (for "
            "Latin-1: iconv -f latin1 -t utf-8)"
        ) from None
