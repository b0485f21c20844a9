"""The trainer: config layering and checks, the harmonic renderer, real training steps,
checkpoint/resume, Ctrl-C, and the CLI's error paths."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
sf = pytest.importorskip("soundfile")

from typer.testing import CliRunner  # noqa: E402

from conftest import tiny_train_toml, write_meows  # noqa: E402
from mockingbot.cli.main import app  # noqa: E402
from mockingbot.errors import ParameterError  # noqa: E402
from mockingbot.trainer.config import TrainConfig, resolve_config  # noqa: E402

pytestmark = pytest.mark.train

TINY_TOML = tiny_train_toml(
    steps=6, batch_size=4, checkpoint_every=3, sample_every=3, log_every=1, r1_every=2
)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_meows(tmp_path_factory.mktemp("meows"), 12)


@pytest.fixture(scope="module")
def tiny_toml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cfg") / "tiny.toml"
    path.write_text(TINY_TOML)
    return path


def _mbot(*args: str, timeout: float = 240.0) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-m", "mockingbot.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


# ---------------------------------------------------------------------------- config
def test_default_preset_resolves_with_the_shared_spec() -> None:
    from mockingbot.spec import PRESETS

    cfg = resolve_config()
    assert cfg.spec == PRESETS["default"]
    assert cfg.model.generator == "fullres"
    assert resolve_config(preset="harmonic").model.generator == "harmonic"
    assert resolve_config(preset="harmonic").spec == cfg.spec
    assert resolve_config(preset="seed-2022").spec == PRESETS["seed-2022"]


def test_runs_from_before_the_data_section_load_with_call_context() -> None:
    old = resolve_config().to_dict()
    del old["data"]
    assert TrainConfig.from_dict(old).data.context == "call"


def test_the_default_recipe_learns_calls_with_what_follows_them() -> None:
    """The default preset says "onset" (its clips' own C2ST against CatMeows is 0.52, the
    call cuts' 0.64); the harmonic recipe keeps the call cuts it was measured with."""
    from mockingbot.trainer.config import default_context

    assert default_context() == resolve_config().data.context == "onset"
    assert resolve_config(preset="harmonic").data.context == "call"
    assert resolve_config(preset="waveform").data.context == "call"


def test_data_context_changes_the_feature_cache_key(tmp_path: Path) -> None:
    from mockingbot.dataset import load_dataset
    from mockingbot.spec import PRESETS
    from mockingbot.trainer.data import _cache_key

    ds = load_dataset(write_meows(tmp_path / "m", 2), spec=PRESETS["default"])
    keys = {c: _cache_key(ds, PRESETS["default"], c) for c in ("call", "recording")}
    assert keys["call"] != keys["recording"]


def _flat(tree: dict, prefix: str = "") -> dict:
    """``{"model": {"output": x}}`` → ``{"model.output": x}``."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_harmonic_and_waveform_presets_change_only_their_own_keys() -> None:
    """harmonic = default + its generator; waveform (its stage 2) = harmonic + its own keys."""
    from importlib import resources

    from mockingbot.trainer.config import load_preset, tomllib

    def own(name: str) -> tuple[str, dict]:
        text = (resources.files("mockingbot.trainer") / "presets" / f"{name}.toml").read_text()
        data = tomllib.loads(text)
        return data.pop("base"), data

    for name, expected_base in (("harmonic", "default"), ("waveform", "harmonic")):
        base_name, keys = own(name)
        assert base_name == expected_base
        assert _flat(load_preset(name)) == _flat(load_preset(base_name)) | _flat(keys)
        base = resolve_config(preset=base_name).to_dict()
        assert _flat(resolve_config(preset=name).to_dict()) == _flat(base) | _flat(keys)
    wave = resolve_config(preset="waveform").to_dict()["model"]
    assert (wave["generator"], wave["output"], wave["channel_eq"]) == ("harmonic", "waveform", True)


@pytest.mark.parametrize(
    ("presets", "fragments"),
    [
        ({"a": 'base = "b"', "b": 'base = "a"'}, ["a → b → a", "loop"]),
        ({"a": 'base = "nope"'}, ["unknown preset 'nope'", "available: a"]),
    ],
)
def test_preset_base_loops_and_unknown_bases_are_refused_naming_the_presets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, presets: dict, fragments: list
) -> None:
    from types import SimpleNamespace

    from mockingbot.trainer import config

    folder = tmp_path / "presets"
    folder.mkdir()
    for name, text in presets.items():
        (folder / f"{name}.toml").write_text(f'{text}\nname = "{name}"\n')
    # presets are package data found through importlib.resources: point it at our folder
    monkeypatch.setattr(config, "resources", SimpleNamespace(files=lambda _package: tmp_path))
    with pytest.raises(ParameterError) as caught:
        resolve_config(preset="a")
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_config_round_trips_through_json() -> None:
    cfg = resolve_config(overrides={"train": {"steps": 7}})
    again = TrainConfig.from_dict(json.loads(cfg.to_json()))
    assert again == cfg and again.train.steps == 7


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"train": {"steps": 0}}, "train.steps"),
        ({"train": {"stepz": 3}}, "unknown key"),
        ({"spec": {"hop_length": 512}}, "hop_length"),
        ({"model": {"generator": "wavenet"}}, "model.generator"),
        ({"model": {"gen_base_frames": 4}}, "spec.n_frames"),
        ({"train": {"g_lr": 5.0}}, "train.g_lr"),
        ({"train": {"batch_size": "big"}}, "integer"),
        ({"data": {"context": "file"}}, "data.context"),
        ({"data": {"contxt": "call"}}, "unknown key"),
    ],
)
def test_impossible_configs_name_the_key(overrides: dict, fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment):
        resolve_config(overrides=overrides)


# ---------------------------------------------------------------------------- model
def test_generator_output_matches_spec_shape_and_range() -> None:
    from mockingbot.trainer.models import build_discriminator, build_generator

    cfg = resolve_config()
    G, D = build_generator(cfg), build_discriminator(cfg)
    noise = tf.random.normal([3, *cfg.spec.shape, 2])  # the texture draws
    x = G([tf.random.normal([3, cfg.model.latent_dim]), noise]).numpy()
    assert x.shape == (3, *cfg.spec.shape)
    assert x.min() >= -1.0 and x.max() <= 1.0
    assert D(x).shape == (3, 1)


@pytest.mark.parametrize("shape", ["gaussian", "rational"])
def test_harmonic_renderer_matches_a_direct_sum_over_all_harmonics(shape: str) -> None:
    """The three-nearest-harmonics shortcut matches summing every harmonic's peak."""
    from mockingbot.trainer.synth import HarmonicNoiseSynth, main_lobe_half_width_bins

    cfg = resolve_config()
    spec, m = cfg.spec, cfg.model
    synth = HarmonicNoiseSynth(
        spec.to_dict(),
        n_harmonics=m.n_harmonics,
        n_noise_bands=m.n_noise_bands,
        f0_min_hz=m.f0_min_hz,
        f0_max_hz=m.f0_max_hz,
        peak_shape=shape,
    )
    rng = np.random.default_rng(0)
    f0 = rng.uniform(m.f0_min_hz, m.f0_max_hz, (2, 5, 1)).astype(np.float32)
    amp = rng.uniform(0, 1, (2, 5, m.n_harmonics)).astype(np.float32)
    fast = synth._harmonic_peaks(tf.constant(f0), tf.constant(amp)).numpy()
    bin_hz = spec.sr / spec.n_fft
    bins = np.arange(spec.n_bins) * bin_hz
    k = np.arange(1, m.n_harmonics + 1)
    width = bin_hz * main_lobe_half_width_bins(spec)
    delta = (bins[None, None, None, :] - (f0 * k)[..., None]) / width
    profiles = {"rational": 1.0 / (1.0 + delta**4), "gaussian": np.exp(-np.log(2.0) * delta**2)}
    direct = np.sum(amp[..., None] * profiles[shape], axis=-2)
    # Harmonics beyond the nearest three contribute < 0.3 % of a unit peak (> 50 dB down).
    assert np.allclose(fast, direct, atol=3e-3)
    assert np.abs(fast - direct).mean() < 1e-4


def test_main_lobe_width_follows_the_window() -> None:
    from mockingbot.spec import PRESETS
    from mockingbot.trainer.synth import main_lobe_sigma_bins

    # Hann of n_fft samples halves at one bin: sigma = 1 / sqrt(2 ln 2).
    assert main_lobe_sigma_bins(PRESETS["default"]) == pytest.approx(0.8493, abs=2e-3)
    # A 513-sample window zero-padded to 1024 has a main lobe twice as wide in bins.
    assert main_lobe_sigma_bins(PRESETS["seed-2022"]) == pytest.approx(1.696, abs=1e-2)


def test_seeded_runs_repeat_their_first_losses(tmp_path: Path, tiny_toml: Path) -> None:
    from mockingbot.trainer.loop import GanTrainer

    cfg = resolve_config(config_file=tiny_toml)
    feats = np.random.default_rng(0).uniform(-1, 1, (8, *cfg.spec.shape)).astype(np.float32)
    losses = []
    for i in range(2):
        tf.keras.utils.set_random_seed(cfg.train.seed)
        trainer = GanTrainer(cfg, tmp_path / f"r{i}", strategy=tf.distribute.get_strategy())
        batches = trainer.dataset(feats, start_step=0)
        losses.append([trainer.train_step(next(batches)).__dict__ for _ in range(3)])
    assert losses[0] == losses[1]


# ---------------------------------------------------------------------------- CLI runs
def test_train_then_resume_continues_the_step_count(
    tmp_path: Path, data_dir: Path, tiny_toml: Path
) -> None:
    run = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["train", str(data_dir), "--out", str(run), "--config", str(tiny_toml)]
    )
    assert result.exit_code == 0, result.output
    info = json.loads((run / "run.json").read_text())
    assert info["steps"] == 6
    assert (run / "generator.keras").is_file()
    assert (run / "samples" / "step-000006" / "sample_00.wav").is_file()
    assert (run / "samples" / "step-000003" / "spectrograms.png").is_file()
    assert list((run / "logs").glob("events.out.tfevents.*"))
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["spec"]["n_fft"] == 128  # the resolved spec is stored with the run

    result = CliRunner().invoke(app, ["train", "--resume", str(run), "--steps", "9"])
    assert result.exit_code == 0, result.output
    info = json.loads((run / "run.json").read_text())
    assert info["steps"] == 9
    assert (run / "checkpoints" / "ckpt-9.index").is_file()

    from mockingbot.trainer.load import load_generator

    model, cfg_obj, _, step = load_generator(run)
    assert step == 9
    noise = tf.zeros([2, 128, 64, 2])  # the default generator's texture draws
    assert model([tf.zeros([2, cfg_obj.model.latent_dim]), noise]).shape == (2, 128, 64)


def test_sigint_leaves_a_checkpoint_that_resumes(
    tmp_path: Path, data_dir: Path, tiny_toml: Path
) -> None:
    run = tmp_path / "run"
    cfg = tmp_path / "long.toml"
    cfg.write_text(
        TINY_TOML.replace("steps = 6", "steps = 100000")
        .replace("checkpoint_every = 3", "checkpoint_every = 100000")
        .replace("sample_every = 3", "sample_every = 100000")
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockingbot.cli.main",
            "train",
            str(data_dir),
            "--out",
            str(run),
            "--config",
            str(cfg),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.time() + 180
    while time.time() < deadline and not list(run.glob("logs/events.out.tfevents.*")):
        time.sleep(0.5)
    time.sleep(3.0)  # a few steps in
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Resume with: mbot train --resume" in err
    assert "Traceback" not in err
    steps = json.loads((run / "run.json").read_text())["steps"]
    assert steps > 0
    assert (run / "checkpoints" / f"ckpt-{steps}.index").is_file()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["train", "{empty}", "--out", "{out}"], "no usable audio"),
        (["train", "{missing}", "--out", "{out}"], "does not exist"),
        (["train", "{data}", "--out", "{out}", "--steps", "0"], "--steps"),
        (["train", "{data}", "--out", "{out}", "--batch-size", "64"], "larger than the data set"),
        (["train", "{data}", "--out", "{out}", "--config", "{badcfg}"], "unknown key"),
        (["train", "{data}", "--out", "{existing}"], "already exists"),
        (["train", "--resume", "{existing}"], "not a MockingBot run folder"),
        (["train", "{data}", "--out", "{out}", "--preset", "nope"], "unknown preset"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, data_dir: Path, tiny_toml: Path, args: list[str], fragment: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "existing").mkdir()
    (tmp_path / "existing" / "keep.txt").write_text("user data")
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY_TOML + "\nbogus = 1\n")
    subst = {
        "{empty}": str(tmp_path / "empty"),
        "{missing}": str(tmp_path / "missing"),
        "{data}": str(data_dir),
        "{out}": str(tmp_path / "out"),
        "{existing}": str(tmp_path / "existing"),
        "{badcfg}": str(bad),
    }
    argv = [subst.get(a, a) for a in args]
    if "--config" not in argv and argv[0] == "train" and "--resume" not in argv:
        argv += ["--config", str(tiny_toml)] if "--preset" not in argv else []
    result = CliRunner().invoke(app, argv, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.strip().splitlines() if ln.strip()]
    assert any(fragment in ln for ln in lines), result.output
    assert lines[-1].startswith("error:"), result.output
    assert (tmp_path / "existing" / "keep.txt").read_text() == "user data"


def test_minibatch_std_has_finite_gradients_when_the_whole_batch_agrees() -> None:
    """A feature equal across the batch (silence; a batch of 2 often has it) has std 0, and
    sqrt's gradient there is infinite: `mbot train --batch-size 2` crashed on NaN f0 from it."""
    from mockingbot.trainer.models import MinibatchStd

    x = tf.ones([2, 4, 4, 3])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(MinibatchStd()(x))
    assert np.all(np.isfinite(tape.gradient(y, x).numpy()))
