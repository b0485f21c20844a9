"""``mbot evaluate`` run for real on temporary folders of synthetic audio.

Reference: 5 synthetic cats × 8 calls, named like CatMeows files so each cat is a group.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from conftest import burst_then_hiss, synth_meow, write_fake_pack
from mockingbot.cli.main import app
from mockingbot.evaluation.report import FLOOR_REPEATS, MIN_CLIPS

SR = 8000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

runner = CliRunner()


def _write_cats(folder: Path, *, seed: int, cats: int = 5, per_cat: int = 8) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for c in range(cats):
        for k in range(per_cat):
            y = synth_meow(
                sr=SR,
                seconds=(0.5 + 0.1 * c) * rng.uniform(0.9, 1.1),
                f0=(400.0 + 80.0 * c) * rng.uniform(0.93, 1.07),
                seed=int(rng.integers(1 << 31)),
            )
            path = folder / f"I_CAT{c:02d}_EU_FN_OWN01_{k + 101}.wav"
            sf.write(path, y, SR, subtype="PCM_16")
            paths.append(path)
    return paths


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("eval")
    _write_cats(root / "data", seed=1)
    _write_cats(root / "renders", seed=2)
    return {"data": root / "data", "renders": root / "renders", "root": root}


def _run(*args: str):
    return runner.invoke(app, ["evaluate", *args])


def _one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    return lines[0]


def test_json_report_of_a_fresh_draw_and_its_plot(folders: dict[str, Path]) -> None:
    result = _run(
        str(folders["renders"]),
        "--reference",
        str(folders["data"]),
        "--json",
        "--floor-repeats",
        "2",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["generated"] == 40
    assert data["counts"]["reference"] == 40
    assert data["counts"]["reference_groups"] == 5
    assert set(data["metrics"]) >= {"c2st", "frechet", "novelty", "diversity"}
    assert len(data["floors"]["c2st"]["values"]) == 2
    assert 0.25 <= data["metrics"]["c2st"] <= 0.75
    assert 0.5 <= data["metrics"]["novelty"] <= 1.5
    assert 0.75 <= data["metrics"]["diversity"] <= 1.3
    assert data["features"]["sr"] == SR
    plot = Path(data["plot"])
    assert plot == folders["renders"] / "evaluation.png"
    assert plot.read_bytes()[:8] == PNG_SIGNATURE


def test_a_set_against_itself_is_flagged_as_copies_in_the_table(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    plot = tmp_path / "self.png"
    result = _run(
        str(folders["data"]),
        "-r",
        str(folders["data"]),
        "--plot",
        str(plot),
        "--floor-repeats",
        "1",
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "C2ST accuracy" in out and "Novelty ratio" in out and "Diversity ratio" in out
    novelty_row = next(line for line in out.splitlines() if "Novelty ratio" in line)
    assert "0.000" in novelty_row
    assert "40 clips from 5 recording groups" in out
    assert plot.read_bytes()[:8] == PNG_SIGNATURE
    assert not (folders["data"] / "evaluation.png").exists()


def test_pack_manifest_decides_which_files_count(folders: dict[str, Path]) -> None:
    pack = folders["root"] / "pack"
    renders = sorted(folders["renders"].glob("*.wav"))[:12]
    write_fake_pack(pack, renders, spec={}, sample_rate=SR)
    sf.write(pack / "audio" / "stray.wav", synth_meow(seed=99), SR)  # not in the manifest
    result = _run(
        str(pack),
        "--reference",
        str(folders["data"]),
        "--json",
        "--no-plot",
        "--floor-repeats",
        "1",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["generated"] == 12
    assert data["plot"] is None
    assert not (pack / "evaluation.png").exists()


def test_burst_hiss_share_is_in_the_table_and_the_json(folders: dict[str, Path]) -> None:
    mixed = folders["root"] / "mixed"
    mixed.mkdir()
    for i in range(12):  # 4 of 12 are a short burst and a long quiet tail
        y = burst_then_hiss(SR, seed=i) if i % 3 == 0 else synth_meow(seed=100 + i)
        sf.write(mixed / f"g{i:02d}.wav", y, SR, subtype="PCM_16")
    args = (str(mixed), "-r", str(folders["data"]), "--no-plot", "--floor-repeats", "1")
    table = _run(*args)
    assert table.exit_code == 0, table.output
    line = next(x for x in table.stdout.splitlines() if x.startswith("Burst + hiss share"))
    assert "generated 0.33  real 0.00" in line
    data = json.loads(_run(*args, "--json").stdout)
    assert data["burst_hiss"]["generated"] == pytest.approx(4 / 12)
    assert data["burst_hiss"]["reference"] == 0.0
    assert data["burst_hiss"]["max_loud_fraction"] == 0.25


def test_missing_folders_fail_with_one_line(folders: dict[str, Path], tmp_path: Path) -> None:
    line = _one_error_line(_run(str(tmp_path / "nope"), "--reference", str(folders["data"])))
    assert "does not exist" in line
    line = _one_error_line(_run(str(folders["renders"]), "--reference", str(tmp_path / "gone")))
    assert "does not exist" in line


def test_too_few_usable_clips_fail_with_one_line(folders: dict[str, Path], tmp_path: Path) -> None:
    few = tmp_path / "few"
    few.mkdir()
    for i in range(MIN_CLIPS - 2):
        sf.write(few / f"m{i}.wav", synth_meow(seed=i), SR)
    sf.write(few / "silent.wav", np.zeros(4000), SR)
    sf.write(few / "silent2.wav", np.zeros(4000), SR)
    line = _one_error_line(_run(str(few), "--reference", str(folders["data"])))
    assert f"at least {MIN_CLIPS}" in line and "silent" in line
    assert not (few / "evaluation.png").exists()


def test_broken_manifest_and_bad_plot_folder_fail_with_one_line(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    pack = tmp_path / "broken"
    pack.mkdir()
    (pack / "manifest.json").write_text("{ not json")
    assert "manifest" in _one_error_line(_run(str(pack), "--reference", str(folders["data"])))
    # read by the runtime's reader: a manifest whose sounds point outside the pack is damaged
    outside = {"format": "mockingbot-pack", "format_version": 1, "sounds": [{"file": "../x.wav"}]}
    (pack / "manifest.json").write_text(json.dumps(outside))
    assert "manifest" in _one_error_line(_run(str(pack), "--reference", str(folders["data"])))
    line = _one_error_line(
        _run(
            str(folders["renders"]),
            "--reference",
            str(folders["data"]),
            "--plot",
            str(tmp_path / "no" / "such" / "dir.png"),
        )
    )
    assert "--plot" in line


def test_help_lists_examples_and_the_floor_default() -> None:
    result = runner.invoke(app, ["evaluate", "--help"])
    assert result.exit_code == 0
    assert "mbot evaluate packs/demo --reference" in result.stdout
    assert f"default {FLOOR_REPEATS}" in result.stdout


@pytest.mark.parametrize("name", ["report.md", "fake.png", "folder"])
def test_plot_never_overwrites_a_file_that_is_not_a_png(
    folders: dict[str, Path], tmp_path: Path, name: str
) -> None:
    target = tmp_path / name
    if name == "folder":
        target.mkdir()
    else:
        target.write_text("# my notes, not a plot\n")
    args = [str(folders["renders"]), "--reference", str(folders["data"]), "--plot", str(target)]
    line = _one_error_line(_run(*args))
    assert "--plot" in line and str(target) in line
    if name != "folder":
        assert target.read_text() == "# my notes, not a plot\n"
        assert "is not a PNG image" in line


def test_plot_replaces_an_earlier_plot(folders: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "eval.png"
    target.write_bytes(PNG_SIGNATURE + b"an old plot")
    args = [str(folders["renders"]), "--reference", str(folders["data"]), "--plot", str(target)]
    result = _run(*args, "--floor-repeats", "1", "--json")
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and b"an old plot" not in data
