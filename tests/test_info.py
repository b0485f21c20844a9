"""`mbot info` / model_info: metadata, spec, shapes, opset, size, parameters, hash check —
in a runtime-only process (no TensorFlow, no onnx package)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import TINY_SPEC, WRONG_JSON_METADATA, make_tiny_onnx
from mockingbot.cli.main import app
from mockingbot.errors import ModelError
from mockingbot.runtime.onnx_info import model_info
from mockingbot.runtime.protowire import content_hash

onnx = pytest.importorskip("onnx")


def _with_hash(path: Path, *, tamper: bool = False) -> Path:
    """The tiny model with a correct ``mbot.content_hash`` (weights changed after, if tamper)."""
    make_tiny_onnx(path, metadata={"mbot.content_hash": "0" * 64})
    digest = content_hash(path.read_bytes())
    model = onnx.load(str(path))
    for p in model.metadata_props:
        if p.key == "mbot.content_hash":
            p.value = digest
    if tamper:
        w = model.graph.initializer[0]
        w.raw_data = bytes(len(w.raw_data))
    path.write_bytes(model.SerializeToString())
    return path


def test_model_info_reports_metadata_shapes_opset_size_and_parameters(tmp_path: Path) -> None:
    path = _with_hash(tmp_path / "tiny.onnx")
    info = model_info(path)
    meta = info["mockingbot"]
    assert meta["spec"] == TINY_SPEC.to_dict()
    assert (meta["latent_dim"], meta["model_name"], meta["training_steps"]) == (8, "tiny", 1)
    assert meta["dataset"]["license"] == "CC0"
    assert info["inputs"] == [{"name": "z", "dtype": "float", "shape": ["batch", 8]}]
    assert info["outputs"] == [
        {"name": "spectrogram", "dtype": "float", "shape": ["batch", 128, 64]}
    ]
    assert info["opset"] == 17 and info["size_bytes"] == path.stat().st_size
    T, F = TINY_SPEC.shape
    assert info["parameters"] == 8 * T * F + T * F + 3  # W, b, the reshape target
    assert info["content_hash_ok"] is True and info["mockingbot_error"] is None
    json.dumps(info)  # JSON-ready


def test_changed_weights_are_detected_by_the_content_hash(tmp_path: Path) -> None:
    path = _with_hash(tmp_path / "tampered.onnx", tamper=True)
    assert model_info(path)["content_hash_ok"] is False
    result = CliRunner().invoke(app, ["info", str(path)])
    assert result.exit_code == 0
    assert "DOES NOT MATCH" in result.output and "changed after export" in result.output


def test_cli_table_shows_spec_shapes_and_parameters(tiny_model: Path) -> None:
    result = CliRunner().invoke(app, ["info", str(tiny_model)])
    assert result.exit_code == 0, result.output
    for text in ("tiny", "[batch, 8]", "[batch, 128, 64]", "hop_length", "17 (IR version", "CC0"):
        assert text in result.output
    assert "not stored" in result.output  # the fixture model carries no content hash


def test_cli_json_is_plain_json(tiny_model: Path) -> None:
    result = CliRunner().invoke(app, ["info", str(tiny_model), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["mockingbot"]["spec"]["n_fft"] == TINY_SPEC.n_fft
    assert data["metadata"]["mbot.latent_dim"] == "8"


def test_a_waveform_model_shows_both_inputs_and_its_output_kind(tiny_wave_model: Path) -> None:
    info = model_info(tiny_wave_model)
    n = TINY_SPEC.clip_samples
    assert info["inputs"] == [
        {"name": "z", "dtype": "float", "shape": ["batch", 8]},
        {"name": "noise", "dtype": "float", "shape": ["batch", n]},
    ]
    assert info["outputs"] == [{"name": "audio", "dtype": "float", "shape": ["batch", n]}]
    meta = info["mockingbot"]
    assert (meta["output"], meta["phase"], meta["noise_input_name"]) == (
        "waveform",
        "none",
        "noise",
    )
    result = CliRunner().invoke(app, ["info", str(tiny_wave_model)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "waveform (audio at 8000 Hz, no phase retrieval; noise input 'noise')" in result.output
    assert f"noise  float [batch, {n}]" in result.output
    assert f"audio  float [batch, {n}]" in result.output
    assert "warning" not in result.output


def test_plain_onnx_model_shows_structure_with_a_warning(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "plain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
    )
    path = tmp_path / "plain.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    info = model_info(path)
    assert info["mockingbot"] is None and "not a MockingBot model" in info["mockingbot_error"]
    result = CliRunner().invoke(app, ["info", str(path)])
    assert result.exit_code == 0
    assert "[N, 4]" in result.output and "warning:" in result.output


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(None, "not found"), (b"", "not an ONNX model"), (b"RIFF$\0\0\0WAVEfmt ", "not an ONNX")],
)
def test_missing_or_non_onnx_files_fail_in_one_line(
    tmp_path: Path, content: bytes | None, fragment: str
) -> None:
    path = tmp_path / "x.onnx"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelError, match=fragment):
        model_info(path)
    result = CliRunner().invoke(app, ["info", str(path)])
    assert result.exit_code == 2
    assert result.output.count("error:") == 1 and fragment in result.output


def test_info_runs_without_tensorflow_or_onnx(tiny_model: Path) -> None:
    code = (
        "import sys, runpy\n"
        "for name in ('tensorflow', 'onnx', 'tf2onnx', 'keras'):\n"
        "    sys.modules[name] = None  # any import of them now fails\n"
        f"sys.argv = ['mbot', 'info', {str(tiny_model)!r}, '--json']\n"
        "runpy.run_module('mockingbot.cli.main', run_name='__main__')\n"
    )
    env = dict(os.environ, COLUMNS="100")
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["mockingbot"]["latent_dim"] == 8


@pytest.mark.parametrize(("key", "value"), WRONG_JSON_METADATA)
def test_metadata_of_the_wrong_json_type_is_a_warning_not_a_traceback(
    tmp_path: Path, key: str, value: str
) -> None:
    path = make_tiny_onnx(tmp_path / "odd.onnx", metadata={key: value})
    for args in ([], ["--json"]):
        result = CliRunner().invoke(app, ["info", str(path), *args])
        assert result.exit_code == 0, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        warning = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
        assert len(warning) == 1 and f"{key} must be a JSON object" in warning[0]


@pytest.mark.parametrize(
    ("context", "says"),
    [
        (None, "calls cut at their onset and offset"),
        ("recording", "whole recordings"),
        ("onset", "calls from their onset, with the recording after"),
    ],
)
def test_info_says_what_the_model_learnt_from(
    tmp_path: Path, context: str | None, says: str
) -> None:
    path = make_tiny_onnx(tmp_path / "m.onnx", metadata={"mbot.data_context": context})
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["info", str(path)])
    assert result.exit_code == 0, result.output
    assert says in result.output
