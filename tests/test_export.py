"""`mbot export onnx`: a tiny run trained here, exported, read back by the runtime, parity
checked; variants; determinism; every bad-input path (one line, exit 2, no partial file)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
pytest.importorskip("tf2onnx")
onnx = pytest.importorskip("onnx")
sf = pytest.importorskip("soundfile")

from typer.testing import CliRunner  # noqa: E402

from conftest import tiny_train_toml, write_meows  # noqa: E402
from mockingbot.cli.main import app  # noqa: E402
from mockingbot.errors import ModelError, ParameterError  # noqa: E402
from mockingbot.export import parity as parity_mod  # noqa: E402
from mockingbot.export.onnx_export import default_output, export_onnx  # noqa: E402
from mockingbot.model_meta import PREFIX, ModelMeta  # noqa: E402
from mockingbot.runtime.model import GeneratorModel  # noqa: E402
from mockingbot.runtime.onnx_info import model_info  # noqa: E402
from mockingbot.runtime.protowire import content_hash  # noqa: E402

pytestmark = pytest.mark.train

#: Two steps with a checkpoint after each, no intermediate samples.
TINY_TOML = tiny_train_toml(
    steps=2, batch_size=4, checkpoint_every=1, sample_every=1000, log_every=1, r1_every=2
)
LICENSE = "CC0-1.0"
ATTRIBUTION = "synthetic meows made by the test suite"


def _one_line_error(result) -> str:
    """The CLI's error output for a failed command: exactly one line starting 'error:'."""
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    return errors[0]


def _no_onnx_left(folder: Path) -> None:
    leftovers = [p.name for p in folder.iterdir() if ".onnx" in p.name]
    assert leftovers == [], leftovers


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = write_meows(tmp_path_factory.mktemp("meows"), 8)
    cfg = tmp_path_factory.mktemp("cfg") / "tiny.toml"
    cfg.write_text(TINY_TOML)
    run = tmp_path_factory.mktemp("runs") / "tinymeows"
    result = CliRunner().invoke(
        app,
        [
            "train",
            str(data),
            "--out",
            str(run),
            "--config",
            str(cfg),
            "--dataset-name",
            "SynthMeows",
            "--license",
            LICENSE,
            "--attribution",
            ATTRIBUTION,
        ],
    )
    assert result.exit_code == 0, result.output
    return run


@pytest.fixture(scope="module")
def exported(run_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("export") / "tiny.onnx"
    return export_onnx(run_dir, out, name="tiny-meows")


# ---------------------------------------------------------------------------- the model
def test_metadata_reads_back_through_onnxruntime(exported, run_dir: Path) -> None:
    import onnxruntime as ort

    from mockingbot.trainer.rundir import read_run

    cfg, _ = read_run(run_dir)
    session = ort.InferenceSession(str(exported.path), providers=["CPUExecutionProvider"])
    props = session.get_modelmeta().custom_metadata_map
    meta = ModelMeta.from_props(props)
    assert meta == exported.meta
    assert meta.spec == cfg.spec
    assert (meta.latent_dim, meta.latent_distribution) == (64, "normal")
    assert (meta.model_name, meta.preset, meta.training_steps) == ("tiny-meows", "default", 2)
    assert meta.phase == cfg.model.phase
    assert meta.phase_iterations == cfg.model.phase_n_iter
    assert meta.dataset["name"] == "SynthMeows"
    assert meta.dataset["clips"] > 0
    assert (meta.dataset["license"], meta.attribution) == (LICENSE, ATTRIBUTION)
    assert meta.exporter["tf2onnx"] and meta.exporter["tensorflow"] == tf.__version__
    assert meta.exporter["opset"] == 17 and meta.exporter["precision"] == "fp32"
    assert not any("time" in k or "date" in k for k in meta.exporter)
    # every key is set exactly once, all mbot.-prefixed
    assert set(props) == set(meta.to_props())
    # the default recipe learns calls with what follows them, and the model says so
    assert meta.data_context == cfg.data.context == "onset"
    assert props[PREFIX + "data_context"] == "onset"


def test_a_recording_context_run_says_so_in_its_metadata(
    exported, run_dir: Path, tmp_path: Path
) -> None:
    """The runtime cuts room tone only for models that learnt it; export is where it learns
    which kind it has, from the run's resolved config."""
    run = tmp_path / "rec-run"
    shutil.copytree(run_dir, run)
    config = json.loads((run / "config.json").read_text())
    config["data"]["context"] = "recording"
    (run / "config.json").write_text(json.dumps(config))
    res = export_onnx(run, tmp_path / "rec.onnx", name="tiny-meows")
    assert res.meta.data_context == "recording"
    assert res.meta.to_props()[PREFIX + "data_context"] == "recording"
    # same weights, same graph: only the metadata differs
    assert res.meta.content_hash == exported.meta.content_hash
    # a call-context run (every run before the key existed) writes no key: older bytes stay
    config["data"]["context"] = "call"
    (run / "config.json").write_text(json.dumps(config))
    call = export_onnx(run, tmp_path / "call.onnx", name="tiny-meows")
    assert call.meta.data_context == "call"
    assert PREFIX + "data_context" not in call.meta.to_props()


def test_phase_iterations_come_from_the_run_or_the_export_option(
    exported, run_dir: Path, tmp_path: Path
) -> None:
    """The run's ``model.phase_iterations`` is the model's recommendation (the tiny run's
    default preset: 0); ``--phase-iterations`` overrides it, e.g. for a run trained before
    the setting existed. Only metadata changes: the content hash stays. (A model with no
    recommendation writes no key: tests/test_model_meta.py.)"""
    assert exported.meta.phase_iterations == 0
    out = tmp_path / "three.onnx"
    result = CliRunner().invoke(
        app,
        ["export", "onnx", str(run_dir), "-o", str(out), "--phase-iterations", "3"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "phase-gradient start + 3 fast Griffin-Lim iterations" in result.output
    three = GeneratorModel.load(out).meta
    assert three.phase_iterations == 3
    assert three.content_hash == exported.meta.content_hash
    info = CliRunner().invoke(app, ["info", str(out)], env={"COLUMNS": "200"})
    assert "phase-gradient start + 3 fast Griffin-Lim iterations" in info.output


def test_content_hash_is_sha256_of_the_model_without_metadata(exported) -> None:
    model = onnx.load(str(exported.path))
    del model.metadata_props[:]
    expected = hashlib.sha256(model.SerializeToString()).hexdigest()
    assert exported.meta.content_hash == expected
    assert content_hash(exported.path.read_bytes()) == expected


def test_graph_has_named_input_output_and_dynamic_batch(exported) -> None:
    model = onnx.load(str(exported.path))
    onnx.checker.check_model(model, full_check=True)
    (inp, noise), (out,) = model.graph.input, model.graph.output
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa: E731
    assert (inp.name, dims(inp)) == ("z", ["batch", 64])
    assert (noise.name, dims(noise)) == ("noise", ["batch", 128, 64, 2])  # the texture draws
    assert (out.name, dims(out)) == ("spectrogram", ["batch", 128, 64])
    assert {o.version for o in model.opset_import if o.domain in ("", "ai.onnx")} == {17}


def test_parity_is_reported_and_holds_at_other_batch_sizes(exported, run_dir: Path) -> None:
    from mockingbot.runtime.model import GeneratorModel
    from mockingbot.trainer.load import load_generator

    assert 0.0 <= exported.parity["max_abs"] <= 1e-4 == exported.tolerance
    keras_model, *_ = load_generator(run_dir)
    runtime = GeneratorModel.load(exported.path)
    for batch in (1, 5):
        z = np.random.default_rng(batch).standard_normal((batch, 64)).astype(np.float32)
        noise = runtime.noise_for(range(batch))  # the default generator's texture draws
        ref = keras_model([z, noise], training=False).numpy()
        np.testing.assert_allclose(runtime.generate(z, noise), ref, atol=1e-4, rtol=0)


def test_same_checkpoint_exports_identical_bytes(exported, run_dir: Path, tmp_path: Path) -> None:
    again = export_onnx(run_dir, tmp_path / "again.onnx", name="tiny-meows")
    assert again.sha256 == exported.sha256
    assert again.path.read_bytes() == exported.path.read_bytes()


def test_runtime_loads_the_model_with_tensorflow_absent(exported) -> None:
    code = (
        "import json, sys\n"
        "import numpy as np\n"
        "from mockingbot.runtime.model import GeneratorModel\n"
        f"m = GeneratorModel.load({str(exported.path)!r})\n"
        "x = m.generate(np.zeros((3, m.latent_dim), np.float32), m.noise_for([0, 1, 2]))\n"
        "heavy = [k for k in ('tensorflow', 'keras', 'tf2onnx') if k in sys.modules]\n"
        "print(json.dumps({'shape': list(x.shape), 'heavy': heavy, "
        "'name': m.meta.model_name}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    out = json.loads(proc.stdout)
    assert out == {"shape": [3, 128, 64], "heavy": [], "name": "tiny-meows"}


def test_older_checkpoint_and_raw_weights_can_be_exported(run_dir: Path, tmp_path: Path) -> None:
    res = export_onnx(run_dir, tmp_path / "step1.onnx", checkpoint="1", ema=False)
    assert res.meta.training_steps == 1 and res.step == 1
    assert res.meta.exporter["ema"] is False
    assert res.meta.model_name == "tinymeows"  # default: the run folder's name


@pytest.mark.parametrize(("precision", "stored", "max_ratio"), [("fp16", "float16", 0.6)])
def test_smaller_weight_storage_keeps_parity_within_its_own_tolerance(
    exported, run_dir: Path, tmp_path: Path, precision: str, stored: str, max_ratio: float
) -> None:
    res = export_onnx(run_dir, tmp_path / f"{precision}.onnx", precision=precision)
    assert res.tolerance == parity_mod.TOLERANCE[precision]
    assert res.parity["max_abs"] <= res.tolerance
    assert res.size_bytes < max_ratio * exported.size_bytes
    info = model_info(res.path)
    assert info["parameters_by_dtype"].get(stored, 0) > 0
    assert info["mockingbot"]["exporter"]["precision"] == precision
    assert info["content_hash_ok"] is True


# ---------------------------------------------------------------------------- CLI
def test_cli_prints_summary_table_and_parity_figure(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli.onnx"
    result = CliRunner().invoke(app, ["export", "onnx", str(run_dir), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "parity: max |TensorFlow − onnxruntime| =" in result.output
    assert "tinymeows" in result.output
    assert out.is_file()
    info = CliRunner().invoke(app, ["info", str(out)])
    assert info.exit_code == 0, info.output
    for text in ("tinymeows", "[batch, 64]", "[batch, 128, 64]", "hop_length", "matches"):
        assert text in info.output


def test_default_output_goes_into_the_run_folder(run_dir: Path, tmp_path: Path) -> None:
    assert default_output(run_dir) == run_dir / "tinymeows.onnx"
    assert default_output(run_dir, "cat") == run_dir / "cat.onnx"


def test_existing_output_needs_force(exported, run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "taken.onnx"
    out.write_bytes(b"user data")
    result = CliRunner().invoke(app, ["export", "onnx", str(run_dir), "-o", str(out)])
    assert "already exists" in _one_line_error(result) and "--force" in result.output
    assert out.read_bytes() == b"user data"
    forced = CliRunner().invoke(app, ["export", "onnx", str(run_dir), "-o", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert out.read_bytes()[:1] != b"u"


def _broken_runs(run_dir: Path, root: Path) -> dict[str, Path]:
    empty = root / "empty"
    empty.mkdir()
    no_ckpt = root / "no_ckpt"
    no_ckpt.mkdir()
    for name in ("config.json", "run.json"):
        shutil.copy(run_dir / name, no_ckpt / name)
    corrupt = root / "corrupt"
    shutil.copytree(run_dir, corrupt, ignore=shutil.ignore_patterns("*.onnx"))
    for data in (corrupt / "checkpoints").glob("ckpt-*.data-*"):
        with open(data, "r+b") as fh:
            fh.truncate(data.stat().st_size // 3)
    return {"empty": empty, "no_ckpt": no_ckpt, "corrupt": corrupt}


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("empty", "not a MockingBot run folder"),
        ("missing", "does not exist"),
        ("no_ckpt", "no checkpoint"),
        ("corrupt", "unreadable or corrupt"),
    ],
)
def test_bad_run_folders_fail_in_one_line(
    run_dir: Path, tmp_path: Path, case: str, fragment: str
) -> None:
    runs = _broken_runs(run_dir, tmp_path)
    target = runs.get(case, tmp_path / "missing")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = CliRunner().invoke(app, ["export", "onnx", str(target), "-o", str(out_dir / "m.onnx")])
    assert fragment in _one_line_error(result)
    _no_onnx_left(out_dir)


def test_unknown_checkpoint_step_lists_the_kept_ones(run_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["export", "onnx", str(run_dir), "-o", str(tmp_path / "m.onnx"), "--checkpoint", "7"]
    )
    assert "kept: 1, 2" in _one_line_error(result)
    _no_onnx_left(tmp_path)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["-o", "{tmp}/nowhere/m.onnx"], "does not exist"),
        (["-o", "/sys/m.onnx"], "not writable"),
        (["-o", "{tmp}/m.txt"], "must end in .onnx"),
        (["-o", "{tmp}/m.onnx", "--opset", "9"], "--opset must be between"),
        (["-o", "{tmp}/m.onnx", "--name", " "], "--name must not be empty"),
        (["-o", "{tmp}/m.onnx", "--parity-tolerance", "0"], "must be a positive number"),
        (["-o", "{tmp}/m.onnx", "--phase-iterations", "-1"], "--phase-iterations must be"),
        (["-o", "{tmp}/m.onnx", "--phase-iterations", "5000"], "--phase-iterations must be"),
    ],
)
def test_bad_output_and_options_fail_in_one_line(
    run_dir: Path, tmp_path: Path, args: list[str], fragment: str
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(app, ["export", "onnx", str(run_dir), *args])
    assert fragment in _one_line_error(result)
    _no_onnx_left(tmp_path)


def test_unoffered_precision_is_refused_before_any_work(run_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="precision must be one of fp32, fp16"):
        export_onnx(run_dir, tmp_path / "m.onnx", precision="int8")
    _no_onnx_left(tmp_path)


def test_failed_parity_writes_nothing(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(parity_mod.TOLERANCE, "fp32", -1.0)
    with pytest.raises(ModelError, match="parity check failed"):
        export_onnx(run_dir, tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []  # not even the temporary file


def test_missing_train_extra_is_one_line(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    result = CliRunner().invoke(
        app, ["export", "onnx", str(run_dir), "-o", str(tmp_path / "m.onnx")]
    )
    assert "pip install 'mockingbot[train]'" in _one_line_error(result)
    _no_onnx_left(tmp_path)


def test_export_help_has_examples() -> None:
    result = CliRunner().invoke(app, ["export", "onnx", "--help"])
    assert result.exit_code == 0
    assert "mbot export onnx runs/meows -o meows.onnx" in result.output
    env = dict(os.environ, COLUMNS="120")
    proc = subprocess.run(
        [sys.executable, "-m", "mockingbot.cli.main", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert " export " in proc.stdout and " info " in proc.stdout
