"""Hostile model files: ``mbot info`` and ``render-pack --model`` refuse them before any work.

One test per class of issue 16's list, each run through both commands: a file that is not a
model (random bytes, 0 bytes, truncated, far over the size limit), external data that leaves
the model's folder, and metadata that lies about the graph (inputs, outputs, spec). A lying
spec field by itself (``sr=10**12``, ``n_fft=2**31`` ...) is covered by test_render_cli's
``test_a_lying_spec_fails_in_one_line_before_the_pack_folder_exists``.

``render-pack`` must exit 2 with one ``error:`` line and never create the pack folder.
``mbot info`` is the tool that diagnoses a model: a file it cannot read at all is refused the
same way; a readable model whose metadata disagrees with its graph is shown, with the line
render-pack would refuse it with as the one warning.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import TINY_SPEC, make_tiny_onnx
from mockingbot.cli.main import app
from mockingbot.errors import ModelError
from mockingbot.runtime.model import GeneratorModel
from mockingbot.runtime.preflight import MAX_MODEL_BYTES, check_model_file

runner = CliRunner()


def _render(model: Path, out: Path):
    return runner.invoke(
        app, ["render-pack", "--count", "2", "--model", str(model), "--out", str(out)]
    )


def _refused_by_render(model: Path, tmp_path: Path) -> str:
    """render-pack's one error line; the pack folder must not exist afterwards."""
    out = tmp_path / "pack"
    result = _render(model, out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert not out.exists()
    return lines[0]


def _refused_by_info(model: Path) -> str:
    result = runner.invoke(app, ["info", str(model)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    return lines[0]


def _warned_by_info(model: Path) -> str:
    result = runner.invoke(app, ["info", str(model)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, result.stderr
    return warnings[0]


# ---------------------------------------------------------------------------- not a model
def _random_bytes(path: Path) -> Path:
    path.write_bytes(np.random.default_rng(7).bytes(4096))
    return path


def _zero_bytes(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _truncated(path: Path) -> Path:
    data = make_tiny_onnx(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _oversized(path: Path) -> Path:
    """A sparse file one byte over the limit: costs no disk, must never be read."""
    with open(path, "wb") as fh:
        fh.truncate(MAX_MODEL_BYTES + 1)
    return path


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (_random_bytes, "not an ONNX model"),
        (_zero_bytes, "is empty (0 bytes)"),
        (_truncated, "not an ONNX model"),
        (_oversized, "over the 512 MiB limit"),
    ],
    ids=["random-bytes", "zero-bytes", "truncated", "oversized"],
)
def test_a_file_that_is_not_a_usable_model_is_refused_by_info_and_render(
    tmp_path: Path, make, fragment: str
) -> None:
    model = make(tmp_path / "m.onnx")
    for line in (_refused_by_info(model), _refused_by_render(model, tmp_path)):
        assert str(model) in line and fragment in line


def test_an_oversized_file_is_refused_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _oversized(tmp_path / "big.onnx")

    def no_reading(self: Path) -> bytes:
        raise AssertionError(f"read {self}")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(ModelError, match="over the 512 MiB limit"):
        check_model_file(model)


# ---------------------------------------------------------------------------- external data
def _with_external_data(folder: Path, location: str) -> Path:
    """The tiny model with its weight ``W`` stored externally at ``location`` (as written)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(make_tiny_onnx(folder / "base.onnx")))
    (w,) = [t for t in model.graph.initializer if t.name == "W"]
    values = numpy_helper.to_array(w)
    (folder / "weights.bin").write_bytes(values.tobytes())
    w.ClearField("raw_data")
    w.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(values.nbytes))):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    path = folder / "ext.onnx"
    path.write_bytes(model.SerializeToString())
    return path


def test_external_data_beside_the_model_is_accepted(tmp_path: Path) -> None:
    model = _with_external_data(tmp_path, "weights.bin")
    loaded = GeneratorModel.load(model, threads=1)
    assert loaded.generate(np.zeros((1, 8), np.float32)).shape == (1, *TINY_SPEC.shape)
    assert runner.invoke(app, ["info", str(model)]).exit_code == 0


@pytest.mark.parametrize(
    ("location", "fragment"),
    [
        ("../../etc/passwd", "outside the model's folder"),
        ("/etc/passwd", "outside the model's folder"),
        ("sub/../../weights.bin", "outside the model's folder"),
        ("C:\\Windows\\win.ini", "outside the model's folder"),
        ("link.bin", "leads outside the model's folder"),
        ("missing.bin", "missing beside it"),
        ("huge.bin", "with its external data, over the 512 MiB limit"),
    ],
    ids=["dotdot", "absolute", "inner-dotdot", "windows-drive", "symlink-out", "missing", "huge"],
)
def test_external_data_that_leaves_the_folder_or_is_absurd_is_refused(
    tmp_path: Path, location: str, fragment: str
) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (tmp_path / "secret.bin").write_bytes(b"\0" * 4096)
    os.symlink(tmp_path / "secret.bin", folder / "link.bin")
    with open(folder / "huge.bin", "wb") as fh:
        fh.truncate(MAX_MODEL_BYTES)
    model = _with_external_data(folder, location)
    for line in (_refused_by_info(model), _refused_by_render(model, tmp_path)):
        assert str(model) in line and fragment in line


def test_external_data_inside_a_subgraph_is_found(tmp_path: Path) -> None:
    """An If node's branch holding an external constant: the check walks nested graphs."""
    from onnx import TensorProto, helper

    const = helper.make_tensor("c", TensorProto.FLOAT, [1], [0.0])
    const.ClearField("float_data")
    const.data_location = TensorProto.EXTERNAL
    entry = const.external_data.add()
    entry.key, entry.value = "location", "/etc/shadow"
    branch = helper.make_graph(
        [helper.make_node("Constant", [], ["y"], value=const)],
        "branch",
        [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    graph = helper.make_graph(
        [helper.make_node("If", ["cond"], ["y"], then_branch=branch, else_branch=branch)],
        "g",
        [helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    path = tmp_path / "nested.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(ModelError, match="'/etc/shadow', outside the model's folder"):
        check_model_file(path)


# ---------------------------------------------------------------------------- lying metadata
def _spec_json(**changes: object) -> str:
    return json.dumps({**TINY_SPEC.to_dict(), **changes}, sort_keys=True)


def _with_noise_input(path: Path, shape: list) -> Path:
    """The tiny spectrogram model plus an (unused) texture-noise input of ``shape``."""
    import onnx
    from onnx import TensorProto, helper

    make_tiny_onnx(path, metadata={"mbot.noise_input_name": "noise"})
    model = onnx.load(str(path))
    model.graph.input.append(helper.make_tensor_value_info("noise", TensorProto.FLOAT, shape))
    onnx.save(model, str(path))
    return path


def test_a_full_resolution_model_with_the_right_noise_input_is_accepted(tmp_path: Path) -> None:
    model = _with_noise_input(tmp_path / "m.onnx", ["batch", *TINY_SPEC.shape, 2])
    assert GeneratorModel.load(model, threads=1).takes_noise


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda p: make_tiny_onnx(p, metadata={"mbot.spec": None}), "metadata lacks mbot.spec"),
        (
            lambda p: make_tiny_onnx(p, metadata={"mbot.spec": _spec_json(hop_length=-32)}),
            "spec.hop_length must be a positive integer",
        ),
        (
            lambda p: make_tiny_onnx(p, metadata={"mbot.spec": _spec_json(n_frames=64)}),
            r"has shape ['batch', 128, 64], expected [batch, 64, 64]",
        ),
        (
            lambda p: make_tiny_onnx(p, metadata={"mbot.latent_dim": "16"}),
            "input 'z' has shape ['batch', 8], expected [batch, 16]",
        ),
        (
            lambda p: make_tiny_onnx(p, metadata={"mbot.latent_dim": str(10**9)}),
            "latent_dim must be between 1 and 65536",
        ),
        (
            lambda p: make_tiny_onnx(p, metadata={"mbot.noise_input_name": "noise"}),
            "has exactly 2 input(s) ('z' and 'noise'), this model has: z",
        ),
        (
            lambda p: _with_noise_input(p, ["batch", *TINY_SPEC.shape, 3]),
            "input 'noise' has shape ['batch', 128, 64, 3], expected [batch, 128, 64, 2]",
        ),
        (
            lambda p: _with_noise_input(p, ["batch", 4096]),
            "input 'noise' has shape ['batch', 4096], expected [batch, 128, 64, 2]",
        ),
    ],
    ids=[
        "no-spec",
        "negative-hop",
        "spec-vs-output",
        "latent-vs-input",
        "huge-latent",
        "missing-noise-input",
        "noise-channels",
        "noise-rank",
    ],
)
def test_metadata_that_lies_about_the_graph_is_refused_by_render_and_named_by_info(
    tmp_path: Path, build, fragment: str
) -> None:
    model = build(tmp_path / "liar.onnx")
    line = _refused_by_render(model, tmp_path)
    assert str(model) in line and fragment in line
    warning = _warned_by_info(model)
    assert fragment in warning


def test_the_graph_is_judged_before_onnxruntime_builds_a_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import onnxruntime

    def no_session(*args: object, **kwargs: object) -> None:
        raise AssertionError("a session was built for a model the file already condemns")

    monkeypatch.setattr(onnxruntime, "InferenceSession", no_session)
    model = make_tiny_onnx(tmp_path / "m.onnx", metadata={"mbot.latent_dim": "16"})
    with pytest.raises(ModelError, match=r"expected \[batch, 16\]"):
        GeneratorModel.load(model)
