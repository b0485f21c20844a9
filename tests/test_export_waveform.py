"""A waveform run end to end: tiny training → `mbot export onnx` (two inputs, audio output,
metadata, parity on seeded latents and noise) → `mbot info` → `render-pack` with it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
pytest.importorskip("tf2onnx")
onnx = pytest.importorskip("onnx")
pytest.importorskip("soundfile")

from typer.testing import CliRunner  # noqa: E402

from conftest import tiny_train_toml, write_meows  # noqa: E402
from mockingbot.cli.main import app  # noqa: E402
from mockingbot.export import parity as parity_mod  # noqa: E402
from mockingbot.export.onnx_export import export_onnx  # noqa: E402
from mockingbot.runtime import pack as P  # noqa: E402
from mockingbot.runtime.model import GeneratorModel  # noqa: E402
from mockingbot.runtime.onnx_info import model_info  # noqa: E402
from mockingbot.runtime.pack_settings import PackSettings  # noqa: E402
from mockingbot.runtime.protowire import content_hash  # noqa: E402
from mockingbot.runtime.verify import verify_pack  # noqa: E402

pytestmark = pytest.mark.train

#: Two steps with a checkpoint after each, no intermediate samples.
WAVE_TOML = tiny_train_toml(
    output="waveform",
    steps=2,
    batch_size=4,
    checkpoint_every=1,
    sample_every=1000,
    log_every=1,
    r1_every=2,
)
N_SAMPLES = 4096  # the tiny spec's clip_samples


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def wave_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = write_meows(tmp_path_factory.mktemp("meows"), 8)
    cfg = tmp_path_factory.mktemp("cfg") / "wave.toml"
    cfg.write_text(WAVE_TOML)
    run = tmp_path_factory.mktemp("runs") / "tinywave"
    args = ["train", str(data), "--out", str(run), "--config", str(cfg), "--license", "CC0-1.0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return run


@pytest.fixture(scope="module")
def exported(wave_run: Path, tmp_path_factory: pytest.TempPathFactory):
    return export_onnx(wave_run, tmp_path_factory.mktemp("export") / "wave.onnx", name="wave")


def test_a_waveform_run_exports_z_and_noise_to_audio_with_waveform_metadata(exported) -> None:
    meta = exported.meta
    assert (meta.output, meta.output_name, meta.noise_input_name) == ("waveform", "audio", "noise")
    assert (meta.input_name, meta.phase, meta.model_name) == ("z", "none", "wave")
    assert meta.spec.clip_samples == N_SAMPLES and meta.training_steps == 2
    model = onnx.load(str(exported.path))
    onnx.checker.check_model(model, full_check=True)
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa: E731
    assert [(v.name, dims(v)) for v in model.graph.input] == [
        ("z", ["batch", 64]),
        ("noise", ["batch", N_SAMPLES]),
    ]
    assert [(v.name, dims(v)) for v in model.graph.output] == [("audio", ["batch", N_SAMPLES])]
    props = {p.key: p.value for p in model.metadata_props}
    assert props["mbot.noise_input_name"] == "noise" and props["mbot.output"] == "waveform"
    assert content_hash(exported.path.read_bytes()) == meta.content_hash
    info = model_info(exported.path)
    assert info["content_hash_ok"] is True and info["mockingbot"]["phase"] == "none"


def test_parity_uses_seeded_noise_and_holds_at_other_batch_sizes(exported, wave_run: Path) -> None:
    from mockingbot.trainer.load import load_generator

    p = exported.parity
    assert set(p) == {"max_abs", "mean_abs", "rel_rms", "output_peak"}
    limit = parity_mod.WAVEFORM_TOLERANCE["fp32"] * max(1.0, p["output_peak"])
    assert exported.tolerance == pytest.approx(limit)
    assert 0.0 <= p["max_abs"] <= exported.tolerance and p["output_peak"] > 0
    keras_model, *_ = load_generator(wave_run)
    runtime = GeneratorModel.load(exported.path)
    assert runtime.is_waveform
    for batch in (1, 5):
        rng = np.random.default_rng(batch)
        z = rng.standard_normal((batch, 64)).astype(np.float32)
        noise = rng.standard_normal((batch, N_SAMPLES)).astype(np.float32)
        ref = keras_model([z, noise], training=False).numpy()
        np.testing.assert_allclose(runtime.generate_audio(z, noise), ref, atol=limit, rtol=0)


def test_same_waveform_checkpoint_exports_identical_bytes(
    exported, wave_run: Path, tmp_path: Path
) -> None:
    again = export_onnx(wave_run, tmp_path / "again.onnx", name="wave")
    assert again.path.read_bytes() == exported.path.read_bytes()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--fp16"], "--fp16 is not offered for waveform models"),
        (["--phase-iterations", "0"], "recovers no phase, so --phase-iterations does not apply"),
    ],
)
def test_an_option_a_waveform_run_does_not_take_is_refused_in_one_line(
    wave_run: Path, tmp_path: Path, option: list[str], message: str
) -> None:
    out = tmp_path / "m.onnx"
    result = CliRunner().invoke(app, ["export", "onnx", str(wave_run), "-o", str(out), *option])
    assert result.exit_code == 2, result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_cli_summary_names_the_noise_input_and_the_waveform_output(
    wave_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cli.onnx"
    result = CliRunner().invoke(
        app, ["export", "onnx", str(wave_run), "-o", str(out)], env={"COLUMNS": "160"}
    )
    assert result.exit_code == 0, result.output
    assert f"noise [batch, {N_SAMPLES}], N(0, 1)" in result.output
    assert f"waveform audio [batch, {N_SAMPLES}] at 8000 Hz" in result.output
    assert "on 64 latents and noise rows" in result.output
    assert "relative RMS" in result.output


def test_render_pack_with_the_exported_model_is_deterministic_and_skips_phase(
    exported, tmp_path: Path
) -> None:
    settings = PackSettings(count=6, creatures=2, seed=3, output_rate=16000)
    a = P.render_pack(GeneratorModel.load(exported.path, threads=2), tmp_path / "a", settings)
    P.render_pack(
        GeneratorModel.load(exported.path, threads=1), tmp_path / "b", settings, batch_size=1
    )
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert verify_pack(tmp_path / "a") == []
    manifest = json.loads(a.manifest.read_text())
    assert manifest["model"]["content_hash"] == exported.meta.content_hash
    assert [s["phase_sc_db"] for s in manifest["sounds"]] == [None] * 6
    assert all(s["duration_s"] > 0 for s in manifest["sounds"])


def test_the_runtime_renders_the_waveform_model_with_tensorflow_absent(exported) -> None:
    code = (
        "import json, sys\n"
        "import numpy as np\n"
        "from mockingbot.runtime.model import GeneratorModel\n"
        f"m = GeneratorModel.load({str(exported.path)!r})\n"
        "n = m.spec.clip_samples\n"
        "y = m.generate_audio(np.zeros((3, m.latent_dim), np.float32), "
        "np.ones((3, n), np.float32))\n"
        "heavy = [k for k in ('tensorflow', 'keras', 'tf2onnx') if k in sys.modules]\n"
        "print(json.dumps({'shape': list(y.shape), 'heavy': heavy}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(proc.stdout) == {"shape": [3, N_SAMPLES], "heavy": []}
