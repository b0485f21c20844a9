"""Tests for mockingbot.runtime.godot_install, runtime.godot_project and ``mbot godot install``:
the addon and a pack land in a Godot 4 project, the plugin is enabled, nothing else in
project.godot changes, and a second run changes nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image
from typer.testing import CliRunner

from conftest import assert_pack_godot_resources, synth_meow
from mockingbot.errors import PackError
from mockingbot.runtime.godot_install import install
from mockingbot.runtime.godot_project import (
    PLUGIN_CFG_RES,
    GodotProjectError,
    addon_files,
    addon_source_dir,
    enable_plugin,
    enabled_plugins,
)
from mockingbot.runtime.godot_resources import (
    randomizer_tres,
)
from mockingbot.runtime.godot_text import parse_godot_text

MINIMAL = (
    "; Engine configuration file.\n"
    "\n"
    "config_version=5\n"
    "\n"
    "[application]\n"
    "\n"
    'config/name="Forest"\n'
    'config/features=PackedStringArray("4.4", "Forward Plus")\n'
    "\n"
    "[rendering]\n"
    "\n"
    'renderer/rendering_method="mobile"\n'
)
OTHER_PLUGINS = '"res://addons/gut/plugin.cfg", "res://addons/dialogic/plugin.cfg"'
WITH_PLUGINS = MINIMAL.replace(
    "[rendering]", f"[editor_plugins]\n\nenabled=PackedStringArray({OTHER_PLUGINS})\n\n[rendering]"
)


# ------------------------------------------------------------------------- fixtures


def make_project(folder: Path, text: str = MINIMAL) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.godot").write_bytes(text.encode("utf-8"))
    return folder


def make_pack(
    folder: Path,
    *,
    creatures: int = 2,
    variations: int = 3,
    tres: str = "fresh",
    format_version: object = 1,
) -> Path:
    """A small pack in the render-pack layout, with real 16-bit WAVs and PNG thumbnails."""
    (folder / "audio").mkdir(parents=True)
    (folder / "thumbs").mkdir()
    sounds, entries = [], []
    for c in range(creatures):
        cid = f"creature_{c:03d}"
        ids = []
        for v in range(variations):
            sid = f"{cid}_v{v:02d}"
            sf.write(folder / "audio" / f"{sid}.wav", synth_meow(seconds=0.1, seed=v), 8000)
            Image.fromarray(np.full((4, 8), 40 * v, np.uint8)).save(
                folder / "thumbs" / f"{sid}.png"
            )
            sounds.append({"id": sid, "file": f"audio/{sid}.wav", "creature": cid, "variation": v})
            ids.append(sid)
        files = [f"audio/{i}.wav" for i in ids]
        if tres == "fresh":
            text = randomizer_tres(files, random_pitch=1.05, random_volume_offset_db=1.5)
            (folder / f"{cid}.tres").write_text(text, encoding="utf-8")
        elif tres == "stale":  # an older .tres that lacks the newest variations
            (folder / f"{cid}.tres").write_text(randomizer_tres(files[:1]), encoding="utf-8")
        entries.append(
            {
                "id": cid,
                "index": c,
                "size": 1.0 + c / 10,
                "random_pitch": 1.05,
                "random_volume_offset_db": 1.5,
                "resource": f"{cid}.tres",
                "sounds": ids,
                "a_future_key": {"ignored": True},
            }
        )
    manifest = {
        "format": "mockingbot-pack",
        "format_version": format_version,
        "name": folder.name,
        "sample_rate": 8000,
        "attribution": "test audio, CC0",
        "creatures": entries,
        "sounds": sounds,
        "another_future_key": [1, 2, 3],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    (folder / "index.html").write_text("<html></html>", encoding="utf-8")
    (folder / "ATTRIBUTION.txt").write_text("test audio, CC0\n", encoding="utf-8")
    return folder


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _enabled_line(text: str) -> str:
    (line,) = [ln for ln in text.splitlines() if ln.startswith("enabled=")]
    return line


# ------------------------------------------------------------------------- project.godot


def test_fresh_project_gets_the_addon_and_the_plugin_enabled(tmp_path: Path) -> None:
    project = make_project(tmp_path / "game")
    report = install(project)
    text = (project / "project.godot").read_text(encoding="utf-8")
    assert enabled_plugins(text) == [PLUGIN_CFG_RES]
    assert report.plugin_enabled and report.changed
    source = addon_source_dir()
    for rel in addon_files(source):
        assert (project / "addons/mockingbot" / rel).read_bytes() == (source / rel).read_bytes()
    assert sorted(report.addon_written) == addon_files(source)
    # Everything but the new section is the original text, in Godot's section order.
    sections = parse_godot_text(text)
    assert [s.tag for s in sections] == ["", "application", "editor_plugins", "rendering"]
    block = (
        '[editor_plugins]\n\nenabled=PackedStringArray("res://addons/mockingbot/plugin.cfg")\n\n'
    )
    assert text.replace(block, "") == MINIMAL


def test_installed_plugin_cfg_names_an_existing_script(tmp_path: Path) -> None:
    project = make_project(tmp_path / "game")
    install(project)
    cfg_path = project / PLUGIN_CFG_RES.removeprefix("res://")
    (plugin,) = parse_godot_text(cfg_path.read_text(encoding="utf-8"))
    assert plugin.tag == "plugin"
    assert {"name", "description", "author", "version", "script"} <= set(plugin.names())
    assert (cfg_path.parent / plugin.get("script")).is_file()


def test_other_plugins_and_settings_are_kept(tmp_path: Path) -> None:
    project = make_project(tmp_path / "game", WITH_PLUGINS)
    install(project)
    text = (project / "project.godot").read_text(encoding="utf-8")
    assert enabled_plugins(text) == [
        "res://addons/gut/plugin.cfg",
        "res://addons/dialogic/plugin.cfg",
        PLUGIN_CFG_RES,
    ]
    assert text.replace(_enabled_line(text), _enabled_line(WITH_PLUGINS)) == WITH_PLUGINS


def test_second_run_changes_no_byte_and_rewrites_no_file(tmp_path: Path) -> None:
    project = make_project(tmp_path / "game", WITH_PLUGINS)
    pack = make_pack(tmp_path / "demo")
    install(project, pack=pack)
    before = _snapshot(project)
    report = install(project, pack=pack)
    assert _snapshot(project) == before
    assert not report.changed and not report.plugin_enabled
    assert report.addon_written == [] and report.pack_written == []
    assert report.addon_unchanged == len(addon_files())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # no section after editor_plugins: appended after one blank line
        (
            'config_version=5\n\n[application]\n\nconfig/name="A"\n',
            'config_version=5\n\n[application]\n\nconfig/name="A"\n\n[editor_plugins]\n\nE\n',
        ),
        # no final newline
        ("config_version=5", "config_version=5\n\n[editor_plugins]\n\nE\n"),
        # section present without an enabled key
        (
            "config_version=5\n\n[editor_plugins]\n\n[rendering]\n\nx=1\n",
            "config_version=5\n\n[editor_plugins]\n\nE\n\n[rendering]\n\nx=1\n",
        ),
        (
            "config_version=5\n\n[editor_plugins]\n\nother=1\n",
            "config_version=5\n\n[editor_plugins]\n\nother=1\nE\n",
        ),
        # an empty list
        (
            "config_version=5\n\n[editor_plugins]\n\nenabled=PackedStringArray()\n",
            "config_version=5\n\n[editor_plugins]\n\nE\n",
        ),
    ],
)
def test_enable_plugin_edits_only_what_it_must(text: str, expected: str) -> None:
    line = 'enabled=PackedStringArray("res://addons/mockingbot/plugin.cfg")'
    out = enable_plugin(text)
    assert out == expected.replace("E", line)
    assert enable_plugin(out) == out


def test_windows_line_endings_are_kept(tmp_path: Path) -> None:
    project = make_project(tmp_path / "game", WITH_PLUGINS.replace("\n", "\r\n"))
    install(project)
    data = (project / "project.godot").read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")
    assert PLUGIN_CFG_RES in enabled_plugins(data.decode())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('config_version=4\n\n[application]\n\nconfig/name="Old"\n', "not a Godot 4 project"),
        ("[application]\n\nconfig/name=1\n", "not a Godot 4 project"),
        ("config_version=5\n\n[editor_plugins]\n\nenabled=1\n", "not a PackedStringArray"),
        ('config_version=5\n\n[application\nconfig/name="x"\n', "not readable"),
    ],
)
def test_unusable_projects_are_refused_before_anything_is_written(
    tmp_path: Path, text: str, message: str
) -> None:
    project = make_project(tmp_path / "game", text)
    with pytest.raises(GodotProjectError, match=message):
        install(project)
    assert not (project / "addons").exists()
    assert (project / "project.godot").read_text(encoding="utf-8") == text


def test_old_godot_version_is_a_warning(tmp_path: Path) -> None:
    project = make_project(tmp_path / "game", MINIMAL.replace('"4.4"', '"4.2"'))
    report = install(project)
    assert any("4.2" in w and "4.4" in w for w in report.warnings)


# ------------------------------------------------------------------------- the addon copy


def test_a_different_addon_copy_is_replaced_only_with_force(tmp_path: Path) -> None:
    project = make_project(tmp_path / "game")
    install(project)
    addon = project / "addons/mockingbot"
    (addon / "pack.gd").write_text("# edited by hand\n", encoding="utf-8")
    (addon / "pack.gd.uid").write_text("uid://keepme\n", encoding="utf-8")
    (addon / "retired.gd").write_text("extends Node\n", encoding="utf-8")
    (addon / "retired.gd.uid").write_text("uid://old\n", encoding="utf-8")
    with pytest.raises(GodotProjectError, match="--force") as err:
        install(project)
    assert "pack.gd" in str(err.value) and "retired.gd" in str(err.value)
    assert (addon / "pack.gd").read_text(encoding="utf-8") == "# edited by hand\n"
    report = install(project, force=True)
    assert report.addon_written == ["pack.gd"] and report.addon_removed == ["retired.gd"]
    assert (addon / "pack.gd").read_bytes() == (addon_source_dir() / "pack.gd").read_bytes()
    assert not (addon / "retired.gd").exists() and not (addon / "retired.gd.uid").exists()
    assert (addon / "pack.gd.uid").read_text(encoding="utf-8") == "uid://keepme\n"


# ------------------------------------------------------------------------- packs


def test_pack_is_copied_with_well_formed_resources(tmp_path: Path) -> None:
    project = make_project(tmp_path / "game")
    pack = make_pack(tmp_path / "renders" / "meows")
    (pack / "audio" / "creature_000_v00.wav.import").write_text("[remap]\n", encoding="utf-8")
    (pack / "audio" / ".creature_000_v09.wav.tmp").write_bytes(b"partial")
    report = install(project, pack=pack)
    dest = project / "packs" / "meows"
    assert report.pack_dir == dest and report.pack_res_path == "res://packs/meows"
    for rel in ("manifest.json", "index.html", "ATTRIBUTION.txt", "creature_001.tres"):
        assert (dest / rel).read_bytes() == (pack / rel).read_bytes()
    assert len(list((dest / "audio").glob("*.wav"))) == 6
    assert not list(dest.rglob("*.import")) and not list(dest.rglob("*.tmp"))
    assert len(list((dest / "thumbs").glob("*.png"))) == 6
    assert report.tres_generated == []
    assert_pack_godot_resources(dest)


@pytest.mark.parametrize("state", ["stale", "missing"])
def test_stale_or_missing_tres_is_rebuilt_in_the_copy_only(tmp_path: Path, state: str) -> None:
    project = make_project(tmp_path / "game")
    pack = make_pack(tmp_path / "demo", tres=state)
    source_before = _snapshot(pack)
    report = install(project, pack=pack, packs_folder="sfx/packs")
    dest = project / "sfx" / "packs" / "demo"
    assert sorted(report.tres_generated) == ["creature_000.tres", "creature_001.tres"]
    assert_pack_godot_resources(dest)
    res = next(
        s for s in parse_godot_text((dest / "creature_000.tres").read_text()) if s.tag == "resource"
    )
    assert res.get("random_pitch") == 1.05 and res.get("random_volume_offset_db") == 1.5
    assert _snapshot(pack) == source_before
    assert not install(project, pack=pack, packs_folder="sfx/packs").changed


def test_a_different_pack_of_the_same_name_needs_force(tmp_path: Path) -> None:
    project = make_project(tmp_path / "game")
    install(project, pack=make_pack(tmp_path / "a" / "demo", variations=2))
    newer = make_pack(tmp_path / "b" / "demo", variations=3)
    with pytest.raises(GodotProjectError, match="different pack"):
        install(project, pack=newer)
    install(project, pack=newer, force=True)
    assert_pack_godot_resources(project / "packs" / "demo")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: _edit_manifest(p, format_version=2), "format_version 2"),
        (lambda p: _edit_manifest(p, format="something-else"), "not a MockingBot pack"),
        (lambda p: (p / "manifest.json").unlink(), "no manifest.json"),
        (lambda p: (p / "manifest.json").write_text("{nope"), "not readable JSON"),
        (lambda p: (p / "audio" / "creature_001_v02.wav").unlink(), "incomplete"),
        (lambda p: _edit_manifest(p, creatures=[]), "creatures"),
        (lambda p: _edit_manifest(p, sounds=[{"id": "x", "file": "/etc/passwd"}]), "bad relative"),
    ],
)
def test_bad_packs_are_refused_before_anything_is_written(
    tmp_path: Path, damage, message: str
) -> None:
    project = make_project(tmp_path / "game")
    pack = make_pack(tmp_path / "demo")
    damage(pack)
    with pytest.raises(PackError, match=message):
        install(project, pack=pack)
    assert not (project / "addons").exists() and not (project / "packs").exists()


def _edit_manifest(pack: Path, **changes: object) -> None:
    path = pack / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


# ------------------------------------------------------------------------- the command


def _app():
    from mockingbot.cli.main import app

    return app


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error:") and "Traceback" not in stderr
    return lines[0]


def test_cli_installs_then_reports_up_to_date(tmp_path: Path) -> None:
    runner = CliRunner()
    project = make_project(tmp_path / "game")
    pack = make_pack(tmp_path / "demo")
    args = ["godot", "install", str(project), "--pack", str(pack)]
    first = runner.invoke(_app(), args, env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    assert "plugin  enabled" in first.stdout and "res://packs/demo" in first.stdout
    second = runner.invoke(_app(), args, env={"COLUMNS": "200"})
    assert second.exit_code == 0 and "already up to date" in second.stdout
    as_json = runner.invoke(_app(), [*args, "--json"])
    data = json.loads(as_json.stdout)
    assert data["changed"] is False and data["pack_res_path"] == "res://packs/demo"


def test_cli_refuses_a_folder_without_project_godot_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["godot", "install", str(tmp_path)])
    assert result.exit_code == 2
    assert "project.godot" in _one_error_line(result.stderr)
    assert not (tmp_path / "addons").exists()


def test_cli_addon_path_points_at_plugin_cfg() -> None:
    result = CliRunner().invoke(_app(), ["godot", "addon-path"])
    assert result.exit_code == 0
    assert (Path(result.stdout.strip()) / "plugin.cfg").is_file()


def _mbot() -> str:
    exe = Path(sys.executable).parent / "mbot"
    return str(exe) if exe.exists() else (shutil.which("mbot") or "mbot")


def test_mbot_subprocess_installs_and_fails_cleanly(tmp_path: Path) -> None:
    project = make_project(tmp_path / "game")
    pack = make_pack(tmp_path / "demo")
    ok = subprocess.run(
        [_mbot(), "godot", "install", str(project), "--pack", str(pack)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert enabled_plugins((project / "project.godot").read_text()) == [PLUGIN_CFG_RES]
    assert_pack_godot_resources(project / "packs" / "demo")
    bad = subprocess.run(
        [_mbot(), "godot", "install", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert "project.godot" in _one_error_line(bad.stderr)


# ------------------------------------------------------------------------- odd project files
BOM = "\ufeff"


@pytest.mark.parametrize(
    "plugins",
    [OTHER_PLUGINS, ""],
    ids=["other-plugins", "empty-list"],
)
def test_a_byte_order_mark_and_an_editor_plugins_section_are_kept(
    tmp_path: Path, plugins: str
) -> None:
    """With a BOM the edit landed one character early: a newline eaten, a ')' doubled."""
    text = BOM + MINIMAL.replace(
        "[rendering]", f"[editor_plugins]\n\nenabled=PackedStringArray({plugins})\n\n[rendering]"
    )
    project = make_project(tmp_path / "game", text)
    install(project)
    data = (project / "project.godot").read_bytes()
    new = ", ".join(p for p in (plugins, f'"{PLUGIN_CFG_RES}"') if p)
    assert data.decode("utf-8") == text.replace(
        f"PackedStringArray({plugins})", f"PackedStringArray({new})"
    )
    assert data.startswith(BOM.encode("utf-8"))
    report = install(project)  # the next run reads the file and changes nothing
    assert not report.changed and (project / "project.godot").read_bytes() == data


def test_a_latin1_project_godot_is_refused_in_one_line(tmp_path: Path) -> None:
    project = tmp_path / "game"
    project.mkdir()
    raw = MINIMAL.replace('"Forest"', '"Forêt"').encode("latin-1")
    (project / "project.godot").write_bytes(raw)
    result = CliRunner().invoke(_app(), ["godot", "install", str(project)])
    assert result.exit_code == 2
    line = _one_error_line(result.stderr)
    assert "is not UTF-8 text (byte 0xea on line 7)" in line and "iconv" in line
    assert not (project / "addons").exists()
    assert (project / "project.godot").read_bytes() == raw


def test_a_symlinked_project_godot_stays_a_link_and_its_target_is_updated(
    tmp_path: Path,
) -> None:
    real = tmp_path / "dotfiles" / "forest.godot"
    real.parent.mkdir()
    real.write_text(MINIMAL, encoding="utf-8")
    real.chmod(0o640)
    project = tmp_path / "game"
    project.mkdir()
    (project / "project.godot").symlink_to(real)
    report = install(project)
    assert report.plugin_enabled
    assert (project / "project.godot").is_symlink()
    assert (project / "project.godot").resolve() == real.resolve()
    assert PLUGIN_CFG_RES in enabled_plugins(real.read_text(encoding="utf-8"))
    assert real.stat().st_mode & 0o777 == 0o640
    assert not [p for p in real.parent.iterdir() if p != real]  # no temporary file left
