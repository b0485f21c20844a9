"""The full-resolution generator (the default): its renderer against the NumPy definition,
its starting point, training state files across runs and backends, export with texture noise,
and byte-identical renders."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
pytest.importorskip("tf2onnx")

from typer.testing import CliRunner  # noqa: E402

from conftest import tiny_train_toml, write_meows  # noqa: E402
from mockingbot import texture  # noqa: E402
from mockingbot.cli.main import app  # noqa: E402
from mockingbot.errors import ParameterError  # noqa: E402
from mockingbot.runtime.model import GeneratorModel  # noqa: E402
from mockingbot.trainer.config import TrainConfig, load_preset  # noqa: E402
from mockingbot.trainer.fullres import FrameNoise, FullResSynth  # noqa: E402
from mockingbot.trainer.models import build_discriminator, build_generator  # noqa: E402
from mockingbot.trainer.state import apply_state, read_state, state_arrays, write_state  # noqa: E402

pytestmark = pytest.mark.train
ROOT = Path(__file__).resolve().parents[1]
# with frame noise, so training, the state, export and rendering all carry it
TINY_TOML = tiny_train_toml(
    steps=3, batch_size=4, checkpoint_every=1, sample_every=1000, log_every=1, r1_every=2
).replace("[model]\n", "[model]\nframe_noise = 4\n")


def _cfg(**model) -> TrainConfig:
    data = load_preset("default")
    data["model"].update(model)
    return TrainConfig.from_dict(data)


def test_renderer_matches_the_numpy_definition_of_the_texture() -> None:
    """Harmonics and the tonal map off: the output is exactly the band envelope with the
    texture drawn from the noise input, as mockingbot.texture composes it."""
    cfg = _cfg()
    spec, m = cfg.spec, cfg.model
    synth = FullResSynth(
        spec=spec.to_dict(),
        n_harmonics=m.n_harmonics,
        n_noise_bands=m.n_noise_bands,
        f0_min_hz=m.f0_min_hz,
        f0_max_hz=m.f0_max_hz,
    )
    T, F = spec.shape
    rng = np.random.default_rng(0)
    controls = np.zeros((2, T, synth.n_controls), np.float32)
    controls[..., 1 : 1 + m.n_harmonics] = 30.0  # harmonics at −100 dB
    maps = np.zeros((2, T, F, 2), np.float32)
    maps[..., 0] = 30.0  # tonal map off
    noise = rng.standard_normal((2, T, F, 2)).astype(np.float32)
    out = synth([controls, maps, noise]).numpy()
    # every band logit 0 → −50 dB; the band matrix interpolates, so every bin is at −50 dB
    envelope = np.full((2, T, F), 10 ** (-50.0 / 20.0))
    S_rel = texture.compose_magnitude(np.zeros_like(envelope), envelope, noise)
    expected = spec.normalize(S_rel * spec.amplitude_ref)
    sounding = expected > -0.5  # 20 dB above the floor, where the smooth floor bends it
    assert sounding.mean() > 0.5
    np.testing.assert_allclose(out[sounding], expected[sounding], atol=2e-3)
    # and the texture is really drawn: another noise gives another picture
    other = synth([controls, maps, noise[::-1]]).numpy()
    assert np.abs(other - out).mean() > 0.05


def test_untrained_generator_is_the_harmonic_generator_with_texture() -> None:
    """The new heads start at zero, so the network starts as the harmonic generator (whose
    weights it shares by path) with a unit texture."""
    full = build_generator(_cfg())
    harmonic = build_generator(_cfg(generator="harmonic"))
    ours = {v.path: v for v in full.weights}
    for v in harmonic.weights:
        ours[v.path].assign(v)  # trunk and controls have the same paths and shapes
    z = np.random.default_rng(1).standard_normal((3, 64)).astype(np.float32)
    T, F = full.inputs[1].shape[1:3]
    unit = np.full((3, T, F, 2), 1.0, np.float32)  # (1² + 1²) / 2 = 1: no texture
    np.testing.assert_allclose(full([z, unit]).numpy(), harmonic(z).numpy(), atol=1e-4)


def test_frame_noise_is_unit_gaussian_per_frame_and_starts_small() -> None:
    """The per-frame channels come from the one noise input, are N(0, 1) and independent
    from frame to frame; a network with them starts close to the network without (a small
    projection, not zero: at zero its expected gradient is zero), and they act once grown."""
    cfg = _cfg()
    T, F = cfg.spec.shape
    noise = np.random.default_rng(1).standard_normal((8, T, F, 2)).astype(np.float32)
    frames = FrameNoise(5)(noise).numpy()
    assert frames.shape == (8, T, 5)
    assert abs(frames.mean()) < 0.05 and abs(frames.std() - 1.0) < 0.05
    assert abs(np.corrcoef(frames[:, 1:, 0].ravel(), frames[:, :-1, 0].ravel())[0, 1]) < 0.05
    plain, with_frames = build_generator(cfg), build_generator(_cfg(frame_noise=5))
    arrays = state_arrays({"generator": plain}, dtype="float32")
    apply_state({"generator": with_frames}, arrays, new_parts=True)
    z = np.random.default_rng(2).standard_normal((8, cfg.model.latent_dim)).astype(np.float32)
    before = plain([z, noise]).numpy()
    start = np.abs(with_frames([z, noise]).numpy() - before).mean()
    assert 0.0 < start < 0.01  # under 0.4 dB on the spec's 80 dB range
    kernel = with_frames.get_layer("frame_noise").kernel
    kernel.assign(np.full(kernel.shape, 0.5, np.float32))
    assert np.abs(with_frames([z, noise]).numpy() - before).mean() > 10 * start


@pytest.mark.parametrize(
    "model, match",
    [
        ({"frame_noise": -1}, "between 0"),
        ({"frame_noise": 129}, "between 0"),
        ({"frame_noise": 2.5}, "integer"),
    ],
)
def test_a_bad_frame_noise_setting_names_the_key(model: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        _cfg(**model)


def test_state_round_trip_and_refusal(tmp_path: Path) -> None:
    cfg = _cfg()
    G = build_generator(cfg)
    arrays = state_arrays({"generator": G})
    path = write_state(tmp_path / "s.npz", arrays, {"steps": 7, "config": cfg.to_dict()})
    back, info = read_state(path)
    assert info["steps"] == 7 and info["format"] == 1
    assert set(back) == set(arrays) and all(a.dtype == np.float16 for a in back.values())
    fresh = build_generator(cfg, name="other")
    apply_state({"ema": fresh}, back)  # a state without an EMA starts the EMA at G
    np.testing.assert_allclose(fresh.weights[0].numpy(), G.weights[0].numpy(), atol=1e-2)
    harmonic = build_generator(_cfg(generator="harmonic"))
    with pytest.raises(ValueError, match="no weight"):
        apply_state({"generator": build_generator(_cfg(refine_channels=[4]))}, back)
    apply_state({"generator": harmonic}, back)  # a subset of the paths is fine
    # a part added to the recipe since (frame noise) starts fresh, only when asked for
    with_frames = build_generator(_cfg(frame_noise=4))
    with pytest.raises(ValueError, match="frame_noise"):
        apply_state({"generator": with_frames}, back)
    left = apply_state({"generator": with_frames}, back, new_parts=True)
    assert left == ["generator/frame_noise/kernel"]
    fresh = with_frames.get_layer("frame_noise").kernel.numpy()
    assert 0.0 < np.sqrt(np.mean(np.square(fresh))) < 0.02  # its small initial draw
    discriminator = build_discriminator(cfg)
    with pytest.raises(ValueError, match="none of the weights"):
        apply_state({"discriminator": discriminator}, back, new_parts=True)
    (tmp_path / "junk.npz").write_bytes(b"not a state")
    with pytest.raises(ValueError, match="not a MockingBot training state"):
        read_state(tmp_path / "junk.npz")
    assert not list(tmp_path.glob(".*.tmp")), "a temporary file was left behind"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny fullres run with a state file, continued by a second run from that state."""
    root = tmp_path_factory.mktemp("fullres")
    data = write_meows(root / "meows", 8)
    cfg = root / "tiny.toml"
    cfg.write_text(TINY_TOML)
    state = root / "state.npz"
    runner = CliRunner()
    for out, extra in ((root / "a", []), (root / "b", ["--init-from", str(state)])):
        args = ["train", str(data), "--out", str(out), "--config", str(cfg)]
        result = runner.invoke(app, [*args, "--save-state", str(state), *extra])
        assert result.exit_code == 0, result.output
    onnx = root / "b.onnx"
    result = runner.invoke(app, ["export", "onnx", str(root / "b"), "-o", str(onnx)])
    assert result.exit_code == 0, result.output
    return {"root": root, "data": data, "state": state, "onnx": onnx, "config": cfg}


def test_state_carries_cumulative_steps_into_the_next_run_and_the_model(trained) -> None:
    _, info = read_state(trained["state"])
    assert info["steps"] == 6  # 3 + 3
    assert [s["steps"] for s in info["sittings"]] == [3, 3]
    assert info["dataset"], "the state lost its data credit"
    model = GeneratorModel.load(trained["onnx"])
    assert model.meta.training_steps == 6
    assert model.takes_noise and model.meta.noise_shape == (128, 64, 2)
    # the recordings' noise floor, measured by mbot train, travels through the state into
    # the model (the synthetic meows hold a floor of 0.005-std noise under 0.5-peak calls)
    assert info["dataset"]["noise_floor"]["levels_db"]
    floor = model.meta.noise_floor
    assert floor is not None and -70.0 < floor.median_db < -20.0


def test_a_state_file_exports_directly(trained, tmp_path: Path) -> None:
    out = tmp_path / "from-state.onnx"
    result = CliRunner().invoke(app, ["export", "onnx", str(trained["state"]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert GeneratorModel.load(out).meta.training_steps == 6


def test_model_needs_its_texture_noise_and_renders_byte_identical_packs(
    trained, tmp_path: Path
) -> None:
    model = GeneratorModel.load(trained["onnx"])
    z = np.zeros((2, model.latent_dim), np.float32)
    with pytest.raises(Exception, match="noise"):
        model.generate(z)
    runner = CliRunner()
    digests = []
    for name in ("p1", "p2"):
        out = tmp_path / name
        args = ["render-pack", "--model", str(trained["onnx"]), "--count", "6", "--seed", "5"]
        result = runner.invoke(app, [*args, "--out", str(out)])
        assert result.exit_code == 0, result.output
        manifest = json.loads((out / "manifest.json").read_text())
        digests.append(sorted(s["sha256"] for s in manifest["sounds"]))
    assert digests[0] == digests[1]
    other = tmp_path / "p3"
    args = ["render-pack", "--model", str(trained["onnx"]), "--count", "6", "--seed", "6"]
    assert runner.invoke(app, [*args, "--out", str(other)]).exit_code == 0
    third = json.loads((other / "manifest.json").read_text())
    assert sorted(s["sha256"] for s in third["sounds"]) != digests[0]


def _jax_available() -> bool:
    code = "import jax, optax, keras"
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
    return done.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _jax_available(), reason="JAX and optax are not installed")
def test_jax_loop_trains_the_same_networks_and_tensorflow_continues(
    trained, tmp_path: Path
) -> None:
    """The GPU path: Keras on JAX trains a state; TensorFlow computes the same generator
    output from it; the result exports with parity."""
    feats = tmp_path / "feats.npy"
    script = ROOT / "scripts" / "gpu_train.py"
    prep = [sys.executable, str(script), "prepare", str(trained["data"]), "--state"]
    subprocess.run([*prep, str(trained["state"]), "--out", str(feats)], check=True)
    out = tmp_path / "jax-state.npz"
    probe = tmp_path / "probe.npy"
    train = [sys.executable, str(script), "train", "--state", str(trained["state"])]
    train += ["--features", str(feats), "--out", str(out), "--max-steps", "2", "--device", "cpu"]
    # the feature-matching terms run under jit too
    train += ["--set", "train.stats_match=10", "--set", "train.roughness_match=10"]
    train += ["--set", "train.peak_match=10", "--set", "train.loud_match=10"]
    done = subprocess.run(train, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2 steps" in done.stdout
    arrays, info = read_state(out)
    assert info["steps"] == 8 and info["sittings"][-1]["device"] == "cpu"
    assert info["config"]["train"]["stats_match"] == 10  # the recipe change is carried on
    assert info["config"]["train"]["roughness_match"] == 10
    before, _ = read_state(trained["state"])
    changed = [k for k in before if k.startswith("generator/") and (before[k] != arrays[k]).any()]
    assert changed, "the JAX loop did not move the generator"
    # the same network under both backends: same weights and inputs → same output
    cfg = TrainConfig.from_dict(info["config"])
    rng = np.random.default_rng(3)
    z = rng.standard_normal((2, 64)).astype(np.float32)
    noise = rng.standard_normal((2, *texture.noise_shape(*cfg.spec.shape))).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "noise.npy", noise)
    code = f"""
import numpy as np
from mockingbot.trainer.config import TrainConfig
from mockingbot.trainer.models import build_generator
from mockingbot.trainer.state import apply_state, read_state
arrays, info = read_state({str(out)!r})
G = build_generator(TrainConfig.from_dict(info["config"]))
apply_state({{"ema": G}}, arrays)
y = G([np.load({str(tmp_path / "z.npy")!r}), np.load({str(tmp_path / "noise.npy")!r})])
np.save({str(probe)!r}, np.asarray(y))
"""
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300)
    G = build_generator(cfg)
    apply_state({"ema": G}, arrays)
    np.testing.assert_allclose(np.load(probe), G([z, noise]).numpy(), atol=2e-4)
    result = CliRunner().invoke(app, ["export", "onnx", str(out), "-o", str(tmp_path / "j.onnx")])
    assert result.exit_code == 0, result.output


def test_gpu_train_set_parses_values_as_toml_and_refuses_malformed_ones() -> None:
    spec = importlib.util.spec_from_file_location("gpu_train", ROOT / "scripts" / "gpu_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sets = ["train.stats_match=100", "train.augment=['gain']", "model.phase = 'pghi'"]
    assert module.parse_sets(sets) == {
        "train": {"stats_match": 100, "augment": ["gain"]},
        "model": {"phase": "pghi"},
    }
    for bad in ("stats_match=100", "train.stats_match", ".x=1"):
        with pytest.raises(SystemExit, match=r"SECTION\.KEY=VALUE"):
            module.parse_sets([bad])


@pytest.mark.parametrize("value", [-2, 1001, 2.5, True])
def test_a_bad_phase_iteration_count_names_the_key(value: object) -> None:
    from mockingbot.errors import ParameterError

    with pytest.raises(ParameterError, match=r"model\]? ?\.?phase_iterations"):
        _cfg(phase_iterations=value)


def test_the_default_preset_asks_for_the_phase_gradient_start_alone() -> None:
    """Measured on CatMeows (docs/model-card.md): the full-resolution model's packs score no
    worse without Griffin-Lim iterations, and render faster."""
    model = _cfg().model
    assert (model.phase, model.phase_iterations, model.phase_n_iter) == ("pghi", 0, 0)
    harmonic = TrainConfig.from_dict(load_preset("harmonic")).model
    assert harmonic.phase_n_iter is None  # the painted model keeps its 16 iterations
