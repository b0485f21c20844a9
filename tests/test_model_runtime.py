"""The onnxruntime generator: loading, refusing unusable models, batched deterministic inference."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from conftest import TINY_SPEC, make_tiny_onnx
from mockingbot.defaults import MAX_DEFAULT_THREADS
from mockingbot.errors import ModelError, ParameterError
from mockingbot.runtime import model as model_mod
from mockingbot.runtime.model import GeneratorModel, default_model_path
from mockingbot.runtime.threads import default_threads


def _conv_generator(path: Path, *, latent_dim: int = 8, seed: int = 0) -> Path:
    """A small transposed-convolution generator of TINY_SPEC's shape, like the trained ones."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from mockingbot.model_meta import ModelMeta

    r = np.random.default_rng(seed)
    T, F = TINY_SPEC.shape
    c0, h0, w0 = 16, T // 8, F // 8
    inits = [
        numpy_helper.from_array(
            (r.standard_normal((latent_dim, c0 * h0 * w0)) * 0.3).astype(np.float32), "W"
        ),
        numpy_helper.from_array(np.array([-1, c0, h0, w0], np.int64), "s0"),
        numpy_helper.from_array(np.array([-1, T, F], np.int64), "s1"),
    ]
    nodes = [
        helper.make_node("MatMul", ["z", "W"], ["h"]),
        helper.make_node("Reshape", ["h", "s0"], ["x0"]),
        helper.make_node("Relu", ["x0"], ["a0"]),
    ]
    channels = [c0, 8, 4, 1]
    for i in range(3):
        cin, cout = channels[i], channels[i + 1]
        inits.append(
            numpy_helper.from_array(
                (r.standard_normal((cin, cout, 4, 4)) * 0.2).astype(np.float32), f"k{i}"
            )
        )
        nodes.append(
            helper.make_node(
                "ConvTranspose", [f"a{i}", f"k{i}"], [f"c{i}"], strides=[2, 2], pads=[1, 1, 1, 1]
            )
        )
        nodes.append(helper.make_node("Tanh" if i == 2 else "Relu", [f"c{i}"], [f"a{i + 1}"]))
    nodes.append(helper.make_node("Reshape", ["a3", "s1"], ["spectrogram"]))
    graph = helper.make_graph(
        nodes,
        "conv",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", latent_dim])],
        [helper.make_tensor_value_info("spectrogram", TensorProto.FLOAT, ["batch", T, F])],
        initializer=inits,
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    helper.set_model_props(m, ModelMeta(spec=TINY_SPEC, latent_dim=latent_dim).to_props())
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
    return path


def test_load_reads_the_metadata_and_generates_the_spec_shape(tiny_model: Path) -> None:
    model = GeneratorModel.load(tiny_model, threads=1)
    assert model.spec == TINY_SPEC
    assert model.latent_dim == 8
    assert model.meta.model_name == "tiny"
    assert model.sha256 == hashlib.sha256(tiny_model.read_bytes()).hexdigest()
    X = model.generate(np.zeros((3, 8), np.float32))
    assert X.shape == (3, *TINY_SPEC.shape) and X.dtype == np.float32
    assert np.all(np.abs(X) <= 1.0)
    assert model.generate(np.zeros((0, 8), np.float32)).shape == (0, *TINY_SPEC.shape)


@pytest.mark.parametrize("builder", ["matmul", "convtranspose"])
def test_rows_are_bit_identical_whatever_threads_batch_size_or_position(
    tmp_path: Path, builder: str
) -> None:
    path = (
        make_tiny_onnx(tmp_path / "m.onnx")
        if builder == "matmul"
        else _conv_generator(tmp_path / "m.onnx")
    )
    z = np.random.default_rng(0).standard_normal((40, 8)).astype(np.float32)
    one = GeneratorModel.load(path, threads=1)
    two = GeneratorModel.load(path, threads=2)
    ref = one.generate(z)
    np.testing.assert_array_equal(two.generate(z), ref)
    np.testing.assert_array_equal(one.generate(z[5:12]), ref[5:12])
    np.testing.assert_array_equal(two.generate(z[17:18]), ref[17:18])
    np.testing.assert_array_equal(one.generate(z[::-1])[::-1], ref)


def test_generate_refuses_latents_of_the_wrong_shape_or_non_finite(tiny_model: Path) -> None:
    model = GeneratorModel.load(tiny_model)
    with pytest.raises(ParameterError, match=r"\[batch, 8\]"):
        model.generate(np.zeros((2, 7), np.float32))
    with pytest.raises(ParameterError, match=r"\[batch, 8\]"):
        model.generate(np.zeros(8, np.float32))
    with pytest.raises(ParameterError, match="NaN"):
        model.generate(np.full((1, 8), np.nan, np.float32))


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"mbot.spec": None}, "not a MockingBot model.*mbot.spec"),
        ({"mbot.format_version": "7"}, "format version 7"),
        ({"mbot.latent_dim": "12"}, r"expected \[batch, 12\]"),
        ({"mbot.input_name": "noise"}, "input is named 'z'"),
        ({"mbot.output_name": "mel"}, "no output named 'mel'"),
        ({"mbot.spec": TINY_SPEC.replace(n_bins=32).to_json()}, r"expected \[batch, 128, 32\]"),
        ({"mbot.latent_distribution": "cauchy"}, "unknown latent distribution"),
        ({"mbot.spec": "{not json"}, "not valid JSON"),
    ],
)
def test_a_model_with_unusable_metadata_is_refused_in_one_line(
    tmp_path: Path, metadata: dict, message: str
) -> None:
    path = make_tiny_onnx(tmp_path / "bad.onnx", metadata=metadata)
    with pytest.raises(ModelError, match=message) as info:
        GeneratorModel.load(path)
    assert "\n" not in str(info.value)


def test_missing_and_corrupt_files_are_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        GeneratorModel.load(tmp_path / "nope.onnx")
    with pytest.raises(ModelError, match="not a file"):
        GeneratorModel.load(tmp_path)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"this is not a protobuf" * 10)
    with pytest.raises(ModelError, match="not an ONNX model") as info:
        GeneratorModel.load(junk)
    assert "\n" not in str(info.value)


def test_bad_thread_counts_are_refused(tiny_model: Path) -> None:
    with pytest.raises(ParameterError, match="threads"):
        GeneratorModel.load(tiny_model, threads=0)
    assert 1 <= default_threads() <= MAX_DEFAULT_THREADS


def test_without_a_default_model_the_message_says_to_pass_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_mod, "_DEFAULT_MODEL", tmp_path / "models" / "default.onnx")
    with pytest.raises(ModelError, match=r"no default model is installed; pass --model PATH"):
        default_model_path()
    with pytest.raises(ModelError, match="no default model"):
        GeneratorModel.load(None)


def test_the_default_model_path_is_package_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert model_mod._DEFAULT_MODEL.parent.name == "models"
    assert model_mod._DEFAULT_MODEL.parent.parent == Path(model_mod.__file__).resolve().parent
    installed = make_tiny_onnx(tmp_path / "default.onnx")
    monkeypatch.setattr(model_mod, "_DEFAULT_MODEL", installed)
    assert GeneratorModel.load(None).path == installed


# ---------------------------------------------------------------------------- waveform models
def _noise(batch: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((batch, TINY_SPEC.clip_samples), np.float32)


def test_a_waveform_model_loads_and_generates_audio_of_the_clip_length(
    tiny_wave_model: Path,
) -> None:
    model = GeneratorModel.load(tiny_wave_model, threads=1)
    assert model.is_waveform and model.meta.phase == "none"
    assert (model.meta.input_name, model.meta.noise_input_name) == ("z", "noise")
    z = np.random.default_rng(1).standard_normal((3, 8)).astype(np.float32)
    y = model.generate_audio(z, _noise(3))
    assert y.shape == (3, TINY_SPEC.clip_samples) and y.dtype == np.float32
    assert np.all(np.abs(y) < 1.0)
    # The noise input reaches the output: other noise, other audio (same latents).
    assert not np.array_equal(model.generate_audio(z, _noise(3, seed=1)), y)
    assert model.generate_audio(z[:0], _noise(0)).shape == (0, TINY_SPEC.clip_samples)


def test_each_model_kind_refuses_the_other_kinds_call(
    tiny_model: Path, tiny_wave_model: Path
) -> None:
    wave = GeneratorModel.load(tiny_wave_model)
    spec = GeneratorModel.load(tiny_model)
    assert not spec.is_waveform
    with pytest.raises(ModelError, match="generate_audio"):
        wave.generate(np.zeros((1, 8), np.float32))
    with pytest.raises(ModelError, match="recover the phase"):
        spec.generate_audio(np.zeros((1, 8), np.float32), _noise(1))


def test_waveform_rows_are_bit_identical_whatever_threads_batch_size_or_position(
    tiny_wave_model: Path,
) -> None:
    z = np.random.default_rng(0).standard_normal((40, 8)).astype(np.float32)
    noise = _noise(40)
    one = GeneratorModel.load(tiny_wave_model, threads=1)
    two = GeneratorModel.load(tiny_wave_model, threads=2)
    ref = one.generate_audio(z, noise)
    np.testing.assert_array_equal(two.generate_audio(z, noise), ref)
    np.testing.assert_array_equal(one.generate_audio(z[5:12], noise[5:12]), ref[5:12])
    np.testing.assert_array_equal(two.generate_audio(z[17:18], noise[17:18]), ref[17:18])


def test_generate_audio_refuses_bad_latents_and_noise(tiny_wave_model: Path) -> None:
    model = GeneratorModel.load(tiny_wave_model)
    z = np.zeros((2, 8), np.float32)
    with pytest.raises(ParameterError, match=r"\[batch, 8\]"):
        model.generate_audio(np.zeros((2, 7), np.float32), _noise(2))
    with pytest.raises(ParameterError, match=r"noise must have shape \[2, 4096\]"):
        model.generate_audio(z, _noise(3))
    with pytest.raises(ParameterError, match=r"noise must have shape \[2, 4096\]"):
        model.generate_audio(z, np.zeros((2, 100), np.float32))
    bad = _noise(2)
    bad[1, 7] = np.inf
    with pytest.raises(ParameterError, match="noise contains NaN"):
        model.generate_audio(z, bad)


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"mbot.noise_input_name": None}, "waveform model needs mbot.noise_input_name"),
        ({"mbot.noise_input_name": "hiss"}, "no input named 'hiss'"),
        ({"mbot.phase": "pghi"}, "does not fit a waveform model"),
        ({"mbot.output_name": "spectrogram"}, "no output named 'spectrogram'"),
        ({"mbot.spec": TINY_SPEC.replace(clip_samples=8192).to_json()}, r"\[batch, 8192\]"),
        (
            {"mbot.output": "spectrogram", "mbot.phase": "pghi", "mbot.noise_input_name": None},
            "spectrogram generator has exactly 1 input",
        ),
    ],
)
def test_a_waveform_model_whose_signature_disagrees_is_refused_in_one_line(
    tmp_path: Path, metadata: dict, message: str
) -> None:
    path = make_tiny_onnx(tmp_path / "bad.onnx", output="waveform", metadata=metadata)
    with pytest.raises(ModelError, match=message) as info:
        GeneratorModel.load(path)
    assert "\n" not in str(info.value)


def test_a_spectrogram_model_declared_as_waveform_is_refused(tmp_path: Path) -> None:
    path = make_tiny_onnx(
        tmp_path / "bad.onnx",
        metadata={
            "mbot.output": "waveform",
            "mbot.phase": "none",
            "mbot.noise_input_name": "noise",
        },
    )
    with pytest.raises(ModelError, match="waveform generator has exactly 2 input"):
        GeneratorModel.load(path)
