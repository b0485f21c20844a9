"""What the CLI prints shows user strings literally (issue 17, items 1 and 2).

File, folder and model names can hold anything a file system allows, including rich markup
(``[/]``, ``[red]``, ``[link=...]``), emoji codes (``:cat:``) and bytes that are not UTF-8.
Every command must print them as they are: no crash, no vanished or restyled text.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from conftest import make_tiny_onnx, synth_meow
from mockingbot.cli.main import app

runner = CliRunner()
#: Wide enough that rich tables never wrap a name across lines.
WIDE = {"COLUMNS": "250"}
#: Names rich would read as markup or emoji codes.
HOSTILE = ["[red]x.wav", "[link=http:]y.wav", "[bold]z[/bold].wav", ":cat:.wav"]


def _mbot(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args], env=WIDE)


def _silent(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(800, np.float32), 8000)


def test_printable_shows_undecodable_bytes_as_escapes() -> None:
    from mockingbot.cli._output import printable

    assert printable("caf\udce9.wav") == "caf\\xe9.wav"
    assert printable("[/]x.wav") == "[/]x.wav"
    assert printable("ünïcødé") == "ünïcødé"


def test_the_rejected_table_shows_markup_like_names_literally(tmp_path: Path) -> None:
    data = tmp_path / "data"
    sf.write(tmp_path / "ok.wav", synth_meow(seconds=0.5), 8000)
    data.mkdir()
    (data / "good.wav").write_bytes((tmp_path / "ok.wav").read_bytes())
    for name in HOSTILE:
        _silent(data / name)
    _silent(data / "[" / "]x.wav")  # the relative path reads "[/]x.wav"
    result = _mbot("dataset", "inspect", data)
    assert result.exit_code == 0, result.output
    for name in [*HOSTILE, "[/]x.wav"]:
        line = next((ln for ln in result.stdout.splitlines() if name in ln), None)
        assert line is not None and "silent" in line, (name, result.stdout)


def test_a_folder_named_like_markup_is_shown_in_the_title(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a short relative name: the title is as wide as the table
    data = Path("br[/]data")
    data.mkdir(parents=True)
    sf.write(data / "a.wav", synth_meow(seconds=0.5), 8000)
    result = _mbot("dataset", "inspect", data)
    assert result.exit_code == 0, result.output
    assert "mbot dataset inspect: br[/]data" in result.stdout


def test_info_on_a_markup_path_and_a_markup_model_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("br[").mkdir()
    path = make_tiny_onnx(Path("br[/]m.onnx"), metadata={"mbot.model_name": "[/]evil"})
    result = _mbot("info", path)
    assert result.exit_code == 0, result.output
    assert "mbot info: br[/]m.onnx" in result.stdout
    assert "[/]evil" in result.stdout


def test_render_pack_into_a_markup_folder_prints_its_summary(tmp_path: Path) -> None:
    model = make_tiny_onnx(tmp_path / "m.onnx", metadata={"mbot.model_name": "[/]evil"})
    out = tmp_path / "br[/]pk"
    result = _mbot("render-pack", "--count", "2", "--model", model, "--out", out)
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout.replace("\n", "")
    assert json.loads((out / "manifest.json").read_text())["name"] == "[-]evil"
    verify = _mbot("pack", "verify", out)
    assert verify.exit_code == 0 and f"{out}: ok" in verify.stdout


def test_error_lines_keep_brackets_and_emoji_codes(tmp_path: Path) -> None:
    missing = tmp_path / "[red]:cat:[/]" / "m.onnx"
    result = _mbot("info", missing)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: model file not found: {missing}"


def test_a_latin1_folder_name_is_shown_not_a_crash(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/donn\xe9es"
    os.mkdir(raw)
    sf.write(raw + b"/a.wav", synth_meow(seconds=0.5), 8000)
    result = _mbot("dataset", "inspect", os.fsdecode(raw))
    assert result.exit_code == 0, result.output
    assert "donn\\xe9es" in result.stdout


@pytest.mark.train
def test_train_into_a_markup_run_folder_names_it(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    data = tmp_path / "data"
    data.mkdir()
    sf.write(data / "a.wav", synth_meow(seconds=0.5), 8000)
    out = tmp_path / "runs[/]r"
    result = _mbot("train", data, "--out", out, "--steps", "1")
    # one clip cannot train a GAN: the run stops with a clean error after naming its folder
    assert result.exit_code == 2, result.output
    assert f"→ {out}" in result.stderr.replace("\n", "")
    assert result.stderr.strip().splitlines()[-1].startswith("error:")
