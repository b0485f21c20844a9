"""Static checks of the Godot addon and its demo (no Godot binary exists here): every .gd
parses, lints and is formatted (gdtoolkit), is statically typed, and every path it preloads
exists; plugin.cfg, the demo's project.godot and main.tscn are well formed; the wheel ships
every addon file."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest
import tomllib

import mockingbot
from mockingbot.runtime.godot_project import PLUGIN_CFG_RES, addon_files, enabled_plugins
from mockingbot.runtime.godot_text import Call, parse_godot_text

ROOT = Path(__file__).resolve().parent.parent
GODOT = ROOT / "godot_addon"
ADDON = GODOT / "addons" / "mockingbot"
DEMO = GODOT / "demo"
# demo/addons holds a copy made by `mbot godot install`, if any: the original is checked.
SCRIPTS = sorted(
    p
    for p in GODOT.rglob("*.gd")
    if ".godot" not in p.parts and not p.is_relative_to(DEMO / "addons")
)


def _tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def _run_tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    exe = _tool(name)
    if exe is None:
        pytest.skip(f"{name} not installed (pip install 'gdtoolkit>=4.2,<5', in the [dev] extra)")
    return subprocess.run(
        [exe, *map(str, args)], capture_output=True, text=True, timeout=300, cwd=GODOT
    )


def _res_to_file(res_path: str, project: Path) -> Path:
    rel = res_path.removeprefix("res://")
    if rel.startswith("addons/mockingbot/"):
        return ADDON / rel.removeprefix("addons/mockingbot/")
    return project / rel


# ------------------------------------------------------------------------- gdtoolkit


def test_there_are_scripts_to_check() -> None:
    names = {p.relative_to(GODOT).as_posix() for p in SCRIPTS}
    assert {"addons/mockingbot/plugin.gd", "addons/mockingbot/pack.gd", "demo/main.gd"} <= names


def test_gdparse_accepts_every_script() -> None:
    result = _run_tool("gdparse", *SCRIPTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_gdparse_rejects_a_broken_script(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gd"
    broken.write_text("extends Node\nfunc f(:\n\tpass\n", encoding="utf-8")
    assert _run_tool("gdparse", broken).returncode != 0


def test_gdlint_is_clean() -> None:
    result = _run_tool("gdlint", *SCRIPTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_gdformat_would_change_nothing() -> None:
    result = _run_tool("gdformat", "--check", *SCRIPTS)
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------------------- typing and paths

_FUNC = re.compile(r"^(?:static\s+)?func\s+(\w+)\((.*?)\)\s*(->\s*[\w.\[\]]+)?\s*:", re.M | re.S)
_UNTYPED_VAR = re.compile(r"^\s*(?:static\s+)?var\s+\w+\s*=(?!=)", re.M)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(GODOT).as_posix())
def test_scripts_are_statically_typed(script: Path) -> None:
    text = script.read_text(encoding="utf-8")
    functions = _FUNC.findall(text)
    assert functions, "no functions found"
    for name, params, returns in functions:
        assert returns, f"{script.name}: func {name} has no return type"
        for param in filter(None, (p.strip() for p in params.split(","))):
            assert ":" in param, f"{script.name}: func {name} parameter {param!r} is untyped"
    assert not _UNTYPED_VAR.findall(text), f"{script.name}: untyped var"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(GODOT).as_posix())
def test_every_preloaded_or_res_path_exists(script: Path) -> None:
    text = script.read_text(encoding="utf-8")
    project = DEMO if script.is_relative_to(DEMO) else GODOT
    for path in re.findall(r'(?:preload|load)\("([^"]+)"\)', text):
        target = _res_to_file(path, project) if path.startswith("res://") else script.parent / path
        assert target.is_file(), f"{script.name}: {path} does not exist"
    for path in re.findall(r'"(res://addons/mockingbot/[^"]+)"', text):
        assert _res_to_file(path, project).is_file(), f"{script.name}: {path} does not exist"


def test_every_addon_script_runs_in_the_editor() -> None:
    # Scripts used by the dock or by @tool nodes must be @tool themselves, or the editor
    # gives them placeholder instances whose methods never run.
    for script in ADDON.rglob("*.gd"):
        assert script.read_text(encoding="utf-8").startswith("@tool\n"), script.name


def test_3d_voice_is_the_2d_voice_with_its_base_class_swapped() -> None:
    two = (ADDON / "creature_voice_2d.gd").read_text(encoding="utf-8")
    three = (ADDON / "creature_voice_3d.gd").read_text(encoding="utf-8")
    expected = (
        two.replace("CreatureVoice2D", "CreatureVoice3D")
        .replace("AudioStreamPlayer2D", "AudioStreamPlayer3D")
        .replace("positional 2D", "positional 3D")
        .replace("[CreatureVoice3D] is the same for 3D.", "[CreatureVoice2D] is the same for 2D.")
    )
    assert three == expected


# ------------------------------------------------------------------------- plugin.cfg


def test_plugin_cfg_has_the_keys_godot_needs() -> None:
    sections = parse_godot_text((ADDON / "plugin.cfg").read_text(encoding="utf-8"))
    assert [s.tag for s in sections] == ["plugin"]
    plugin = sections[0]
    assert set(plugin.names()) == {"name", "description", "author", "version", "script"}
    assert all(isinstance(plugin.get(k), str) and plugin.get(k) for k in plugin.names())
    assert plugin.get("version") == mockingbot.__version__
    script = ADDON / plugin.get("script")
    assert script.is_file()
    assert re.search(r"^extends EditorPlugin$", script.read_text(encoding="utf-8"), re.M)


def test_wheel_package_data_covers_every_addon_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    assert setuptools["package-dir"]["mockingbot.godot_addon"] == "godot_addon/addons/mockingbot"
    assert "mockingbot.godot_addon" in setuptools["packages"]
    globs = setuptools["package-data"]["mockingbot.godot_addon"]
    files = addon_files(ADDON)
    assert set(files) >= {"plugin.cfg", "plugin.gd", "pack.gd", "editor/dock.gd"}
    for rel in files:
        assert any(fnmatch(rel, g) and rel.count("/") == g.count("/") for g in globs), rel


# ------------------------------------------------------------------------- the demo


def test_demo_project_enables_the_plugin_and_runs_main_scene() -> None:
    text = (DEMO / "project.godot").read_text(encoding="utf-8")
    assert enabled_plugins(text) == [PLUGIN_CFG_RES]
    sections = {s.tag: s for s in parse_godot_text(text)}
    assert sections[""].get("config_version") == 5
    main = sections["application"].get("run/main_scene")
    assert (DEMO / main.removeprefix("res://")).is_file()
    features = sections["application"].get("config/features")
    assert isinstance(features, Call) and "4.4" in features.args


def test_demo_scene_is_well_formed_and_its_voices_use_the_demo_pack() -> None:
    sections = parse_godot_text((DEMO / "main.tscn").read_text(encoding="utf-8"))
    head = sections[0]
    assert head.tag == "gd_scene" and head.attrs["format"] == 3
    exts = {s.attrs["id"]: s for s in sections if s.tag == "ext_resource"}
    subs = {s.attrs["id"]: s for s in sections if s.tag == "sub_resource"}
    n_ext = sum(s.tag == "ext_resource" for s in sections)
    n_sub = sum(s.tag == "sub_resource" for s in sections)
    assert len(exts) == n_ext and len(subs) == n_sub, "duplicate ids"
    assert head.attrs["load_steps"] == n_ext + n_sub + 1
    for ext in exts.values():
        assert _res_to_file(ext.attrs["path"], DEMO).is_file(), ext.attrs["path"]
    paths: set[str] = set()
    voices = []
    for node in (s for s in sections if s.tag == "node"):
        parent = node.attrs.get("parent")
        name = node.attrs["name"]
        if parent is None:
            paths.add(".")
        else:
            assert parent in paths, f"{name}: parent {parent} is not declared before it"
            paths.add(name if parent == "." else f"{parent}/{name}")
        for entry in node.entries:
            if isinstance(entry.value, Call) and entry.value.name in ("ExtResource", "SubResource"):
                table = exts if entry.value.name == "ExtResource" else subs
                assert entry.value.args[0] in table, f"{name}.{entry.key}"
        script = node.get("script")
        if script is not None and exts[script.args[0]].attrs["path"].endswith("voice_2d.gd"):
            voices.append(node)
    assert len(voices) == 3
    assert {v.get("pack") for v in voices} == {"res://packs/demo"}
    assert {v.get("creature") for v in voices} == {"0", "1", "random"}
