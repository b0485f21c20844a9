"""The model shipped in the package: present, small, self-describing, credited, and it renders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mockingbot.runtime.model import GeneratorModel, default_model_path
from mockingbot.spec import PRESETS

MAX_BYTES = 10 * 1024 * 1024


def test_the_default_model_is_shipped_and_small() -> None:
    path = default_model_path()
    assert path.is_file()
    assert path.stat().st_size <= MAX_BYTES


def test_its_metadata_names_the_data_set_and_license() -> None:
    model = GeneratorModel.load(None)
    meta = model.meta
    assert meta.spec == PRESETS["default"]
    assert meta.model_name == "catmeows"
    assert meta.preset == "default"
    assert meta.training_steps > 0
    assert meta.dataset["name"] == "CatMeows"
    assert meta.dataset["license"] == "CC BY 4.0"
    assert "Ludovico" in meta.attribution and "10.5281/zenodo.4008297" in meta.attribution
    assert meta.dataset["clips"] >= 440
    assert meta.dataset["files"] == 440  # issue 17 item 13: it once said 0


def test_its_training_state_is_beside_it_small_and_not_behind_it() -> None:
    """The state training continues from (scripts/train-default-model.sh) is the model's own
    or, when training went on after the model was last exported, ahead of it."""
    import numpy as np

    # the repository's copy: the state is for training, so the wheel does not ship it
    state = Path(__file__).resolve().parents[1] / "src/mockingbot/runtime/models/default-state.npz"
    assert state.is_file() and state.stat().st_size <= 15 * 1024 * 1024
    with np.load(state) as data:
        info = json.loads(str(data["__info__"]))
        names = set(data.files)
    assert info["steps"] >= GeneratorModel.load(None).meta.training_steps
    assert info["dataset"]["name"] == "CatMeows"
    for network in ("generator", "ema", "discriminator"):
        assert any(n.startswith(f"{network}/") for n in names), network


def test_render_pack_without_model_uses_it_and_credits_the_data(tmp_path: Path) -> None:
    out = tmp_path / "pack"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mockingbot.cli.main",
            "render-pack",
            "--count",
            "6",
            "--creatures",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"]["name"] == "catmeows"
    assert len(manifest["sounds"]) == 6
    assert "CatMeows" in (out / "ATTRIBUTION.txt").read_text()
    assert "CC BY 4.0" in manifest["attribution"]
