"""The waveform renderer: oscillator bank and noise bands against direct numpy references,
the TensorFlow spectrogram twin, and real training steps of a waveform run, including one
that starts from a spectrogram run's weights (``--init-from``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from typer.testing import CliRunner  # noqa: E402

from conftest import tiny_train_toml, write_meows  # noqa: E402
from mockingbot.cli.main import app  # noqa: E402
from mockingbot.errors import ParameterError  # noqa: E402
from mockingbot.spec import PRESETS  # noqa: E402
from mockingbot.trainer.config import TrainConfig, resolve_config  # noqa: E402
from mockingbot.trainer.synth import LEVEL_HEADROOM_DB  # noqa: E402
from mockingbot.trainer.wavesynth import (  # noqa: E402
    HarmonicNoiseWaveSynth,
    noise_filter_bank,
    spectrogram_of,
    upsample_frames,
)

pytestmark = pytest.mark.train

SPEC = PRESETS["default"]
K, BANDS, F0_MIN, F0_MAX = 6, 8, 120.0, 1600.0
SILENT, LOUD = 30.0, -30.0  # level logits: sigmoid → 1 (−100 dB) and → 0 (0 dB)

TRAIN = {"steps": 4, "batch_size": 4, "checkpoint_every": 2, "sample_every": 2, "log_every": 1}


def _synth() -> HarmonicNoiseWaveSynth:
    return HarmonicNoiseWaveSynth(SPEC.to_dict(), K, BANDS, F0_MIN, F0_MAX)


def _f0_logit(f0: np.ndarray) -> np.ndarray:
    u = (np.log(f0) - np.log(F0_MIN)) / (np.log(F0_MAX) - np.log(F0_MIN))
    return np.log(u / (1.0 - u))


def _level_logit(db: np.ndarray) -> np.ndarray:
    u = np.maximum(-np.asarray(db, dtype=np.float64) / (SPEC.top_db + LEVEL_HEADROOM_DB), 1e-12)
    return np.log(u / (1.0 - u))


def _controls(f0: np.ndarray, harm_db: list[float], noise: float = SILENT) -> np.ndarray:
    """[1, T, 1 + K + BANDS] controls: per-frame f0, constant harmonic levels, noise logit."""
    T = SPEC.n_frames
    c = np.full((1, T, 1 + K + BANDS), noise, np.float64)
    c[0, :, 0] = _f0_logit(np.broadcast_to(f0, (T,)))
    c[0, :, 1 : 1 + K] = SILENT
    for k, db in enumerate(harm_db):
        c[0, :, 1 + k] = _level_logit(db)
    return c.astype(np.float32)


def _render(controls: np.ndarray, noise: np.ndarray | None = None) -> np.ndarray:
    if noise is None:
        noise = np.zeros((len(controls), SPEC.clip_samples), np.float32)
    return _synth()([tf.constant(controls), tf.constant(noise)]).numpy()


# ---------------------------------------------------------------------------- renderer
def test_harmonics_match_a_direct_sum_of_sinusoids() -> None:
    f0, levels = 330.0, [0.0, -6.0, -12.0]
    y = _render(_controls(np.array(f0), levels))[0]
    n = np.arange(SPEC.clip_samples)
    ref = sum(
        10 ** (db / 20) * np.sin(2 * np.pi * (k + 1) * f0 * n / SPEC.sr)
        for k, db in enumerate(levels)
    )
    assert np.max(np.abs(y - ref)) < 2e-3


def test_gliding_pitch_keeps_a_continuous_phase() -> None:
    """A glide 200 → 800 Hz must equal the float64 integral of its frequency, sample by sample:
    the frame-wise phase accumulation may not drop or add cycles at frame boundaries."""
    T, hop = SPEC.n_frames, SPEC.hop_length
    f0_frames = np.geomspace(200.0, 800.0, T)
    y = _render(_controls(f0_frames, [0.0]))[0]
    f0_samples = np.interp(np.arange(SPEC.clip_samples) / hop, np.arange(T), f0_frames)
    phase = 2 * np.pi * np.concatenate([[0.0], np.cumsum(f0_samples[:-1])]) / SPEC.sr
    assert np.max(np.abs(y - np.sin(phase))) < 5e-3


def test_a_full_scale_harmonic_reads_0_db_in_the_spec() -> None:
    y = _render(_controls(np.array(440.0), [0.0]))[0]
    X = SPEC.features(y)
    assert X[SPEC.n_frames // 2].max() == pytest.approx(1.0, abs=0.01)


def test_harmonics_above_nyquist_are_silenced() -> None:
    f0 = 1500.0  # harmonics 3.. fall above 4 kHz
    y = _render(_controls(np.array(f0), [-6.0] * K))[0]
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    freqs = np.fft.rfftfreq(y.size, 1 / SPEC.sr)
    aliased = spectrum[(freqs > 100) & (freqs < 1400)].max()  # 3·1500 − 8000 = −3500 … folds
    assert aliased < 1e-3 * spectrum.max()


def test_equal_noise_bands_give_white_noise_at_the_painted_level() -> None:
    rng = np.random.default_rng(0)
    c = _controls(np.array(300.0), [], noise=LOUD)
    noise = rng.standard_normal((8, SPEC.clip_samples)).astype(np.float32)
    y = _render(np.repeat(c, 8, 0), noise)
    D = np.abs(SPEC.stft(y))[:, 8:-8, :120] / SPEC.amplitude_ref
    power = np.mean(D**2, axis=(0, 1)).reshape(15, 8).mean(axis=1)  # 15 groups of 8 bins
    assert np.max(np.abs(10 * np.log10(power))) < 0.4  # 0 dB everywhere, ±0.4 dB


def test_one_noise_band_stays_near_its_centre() -> None:
    bank = noise_filter_bank(SPEC, BANDS)[:, 0, :]  # [taps, bands]
    H = np.abs(np.fft.rfft(bank, n=SPEC.n_fft, axis=0))  # [bins, bands]
    centres = np.linspace(0, SPEC.n_bins - 1, BANDS)
    for b, c in enumerate(centres):
        assert abs(np.argmax(H[:, b]) - c) <= 1.0
        far = np.abs(np.arange(H.shape[0]) - c) > 2 * (centres[1] - centres[0])
        assert H[far, b].max() < 0.05 * H[:, b].max()


def test_channel_eq_starts_flat_and_shapes_the_whole_output() -> None:
    synth = HarmonicNoiseWaveSynth(SPEC.to_dict(), K, BANDS, F0_MIN, F0_MAX, channel_eq=True)
    rng = np.random.default_rng(3)
    c = tf.constant(_controls(np.array(300.0), [-6.0, -6.0], noise=_level_logit(-20.0)))
    noise = tf.constant(rng.standard_normal((1, SPEC.clip_samples)).astype(np.float32))
    flat = synth([c, noise]).numpy()
    np.testing.assert_allclose(flat, _render(c.numpy(), noise.numpy()), atol=1e-5)
    synth.eq.assign(np.r_[np.zeros(BANDS - 2), -1.0, -1.0].astype(np.float32))  # top bands −50 dB
    cut = synth([c, noise]).numpy()
    P_flat, P_cut = (np.mean(np.abs(SPEC.stft(y[0])) ** 2, axis=0) for y in (flat, cut))
    top = slice(SPEC.n_bins - 4, SPEC.n_bins)
    assert 10 * np.log10(P_cut[top].sum() / P_flat[top].sum()) < -30
    low = slice(2, SPEC.n_bins // 2)
    assert abs(10 * np.log10(P_cut[low].sum() / P_flat[low].sum())) < 0.1


def test_spectrogram_renderer_channel_eq_starts_flat_and_lowers_its_bands() -> None:
    from mockingbot.trainer.synth import HarmonicNoiseSynth

    args = (SPEC.to_dict(), K, BANDS, F0_MIN, F0_MAX)
    plain, eq = HarmonicNoiseSynth(*args), HarmonicNoiseSynth(*args, channel_eq=True)
    c = tf.constant(_controls(np.array(300.0), [-6.0, -6.0], noise=_level_logit(-20.0)))
    np.testing.assert_array_equal(eq(c).numpy(), plain(c).numpy())
    eq.eq.assign(np.r_[np.zeros(BANDS - 1), -0.4].astype(np.float32))  # top band −20 dB
    drop = (eq(c).numpy() - plain(c).numpy())[0].mean(axis=0) * SPEC.top_db / 2  # dB per bin
    assert drop[-1] == pytest.approx(-20.0, abs=0.5)
    assert np.all(drop[: SPEC.n_bins * (BANDS - 2) // (BANDS - 1)] == 0.0)


def test_upsampling_interpolates_between_frame_centres() -> None:
    x = tf.constant([[[0.0], [4.0], [8.0]]])
    y = upsample_frames(x, 4).numpy()[0, :, 0]
    np.testing.assert_allclose(y, [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8])


def test_tf_spectrogram_matches_the_spec_features() -> None:
    rng = np.random.default_rng(1)
    y = (0.3 * rng.standard_normal((2, SPEC.clip_samples))).astype(np.float32)
    y[1, : SPEC.clip_samples // 2] = 0.0  # silence reaches the floor in both
    ours = spectrogram_of(tf.constant(y), SPEC).numpy()
    ref = SPEC.features(y)
    assert ours.shape == ref.shape
    above = ref > -0.5  # 40 dB over the floor, where the smooth floor adds < 0.05 dB
    assert np.max(np.abs(ours - ref)[above]) < 2e-3
    assert np.all(ours[1, : SPEC.n_frames // 2 - 4] == -1.0)


# ---------------------------------------------------------------------------- config
@pytest.mark.parametrize(
    ("model", "fragment"),
    [
        ({"output": "audio"}, "model.output"),
        ({"output": "waveform", "generator": "dense2022"}, "model.generator"),
        ({"channel_eq": True, "generator": "dense2022"}, "model.channel_eq"),
    ],
)
def test_bad_waveform_configs_name_the_key(model: dict, fragment: str) -> None:
    base = resolve_config().to_dict()
    base["model"].update(model)
    with pytest.raises(ParameterError, match=fragment):
        TrainConfig.from_dict(base)


def test_waveform_needs_frames_times_hop_to_cover_the_clip() -> None:
    base = resolve_config(preset="harmonic").to_dict()
    base["model"]["output"] = "waveform"
    base["spec"]["clip_samples"] = SPEC.clip_samples + 64
    with pytest.raises(ParameterError, match="clip_samples"):
        TrainConfig.from_dict(base)


# ---------------------------------------------------------------------------- training
@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_meows(tmp_path_factory.mktemp("meows"), 8)


def _toml(tmp: Path, name: str, *, output: str, eq: bool = False) -> Path:
    # the waveform renderer is the harmonic recipe's stage 2
    head = f'[model]\ngenerator = "harmonic"\noutput = "{output}"\nchannel_eq = {str(eq).lower()}\n'
    text = tiny_train_toml(**TRAIN).replace("[model]\n", head)
    path = tmp / name
    path.write_text(text)
    return path


def test_waveform_run_trains_writes_audio_samples_and_loads(tmp_path: Path, data_dir: Path) -> None:
    run = tmp_path / "wave"
    cfg = _toml(tmp_path, "wave.toml", output="waveform")
    result = CliRunner().invoke(
        app, ["train", str(data_dir), "--out", str(run), "--config", str(cfg)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((run / "config.json").read_text())["model"]["output"] == "waveform"
    assert (run / "samples" / "step-000004" / "sample_00.wav").is_file()

    from mockingbot.trainer.load import load_generator

    model, c, _, step = load_generator(run)
    assert step == 4
    assert [i.name for i in model.inputs] == ["z", "noise"]
    z = tf.zeros([2, c.model.latent_dim])
    audio = model([z, tf.zeros([2, c.spec.clip_samples])]).numpy()
    assert audio.shape == (2, c.spec.clip_samples) and np.all(np.isfinite(audio))
    noisy = model([z, tf.random.normal([2, c.spec.clip_samples], seed=1)]).numpy()
    assert not np.allclose(audio, noisy)  # the noise input reaches the output


@pytest.fixture(scope="module")
def spectrogram_run(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A finished stage-1 (spectrogram) run, read-only: the source of both stage-2 starts."""
    tmp = tmp_path_factory.mktemp("stage1")
    src = tmp / "spec"
    spec_cfg = _toml(tmp, "spec.toml", output="spectrogram")
    r = CliRunner().invoke(app, ["train", str(data_dir), "-o", str(src), "--config", str(spec_cfg)])
    assert r.exit_code == 0, r.output
    return src


@pytest.mark.parametrize("eq", [False, True])
def test_init_from_starts_a_waveform_run_with_a_spectrogram_runs_weights(
    tmp_path: Path, data_dir: Path, spectrogram_run: Path, eq: bool
) -> None:
    src, dst = spectrogram_run, tmp_path / "wave"
    wave_cfg = _toml(tmp_path, "wave.toml", output="waveform", eq=eq)

    from mockingbot.trainer.loop import GanTrainer
    from mockingbot.trainer.rundir import read_run

    cfg = resolve_config(config_file=wave_cfg)
    fresh = GanTrainer(cfg, tmp_path / "scratch", strategy=tf.distribute.get_strategy())
    assert fresh.init_from(src, read_run(src)[0]) == 4
    source = GanTrainer(read_run(src)[0], src, strategy=tf.distribute.get_strategy())
    source.restore()
    for a, b in zip(fresh.generator.weights, source.generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(fresh.discriminator.weights, source.discriminator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # optimiser moments land on the same variables (the EQ, new, has none to take)
    theirs = {v.path.split("/", 1)[-1]: v.numpy() for v in source.g_opt.variables}
    ours = {v.path.split("/", 1)[-1]: v.numpy() for v in fresh.g_opt.variables}
    assert len(ours) == len(theirs) + (2 if eq else 0)
    for path, value in theirs.items():
        if path.endswith("iteration") or "learning_rate" in path:
            continue
        np.testing.assert_array_equal(ours[path], value)
    if eq:
        np.testing.assert_array_equal(fresh.generator.get_layer("synth").eq.numpy(), 0.0)

    argv = ["train", str(data_dir), "-o", str(dst), "--config", str(wave_cfg), "--init-from"]
    r = CliRunner().invoke(app, [*argv, str(src)])
    assert r.exit_code == 0, r.output
    info = json.loads((dst / "run.json").read_text())
    assert info["steps"] == 4  # its own step counter starts at 0
    assert info["init_from"]["step"] == 4
    assert info["init_from"]["run"] == str(src.resolve())


def test_a_fine_tuned_run_keeps_the_credit_of_the_data_it_started_from() -> None:
    from mockingbot.trainer.runinfo import inherit_credit

    cats = {"name": "CatMeows", "license": "CC BY 4.0", "attribution": "CatMeows by L. A. L."}
    mine = {"name": "growls", "license": "CC0", "attribution": ""}
    merged = inherit_credit(mine, cats)
    assert merged["name"] == "growls"
    assert merged["license"] == "CC0; CC BY 4.0"
    assert merged["attribution"] == "Fine-tuned from a model trained on: CatMeows by L. A. L."
    assert inherit_credit(cats, cats) == cats  # same data: nothing repeated
    assert inherit_credit(mine, {}) == mine


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--init-from", "{data}"], "is neither a MockingBot run folder"),
        (["--init-from", "{src}", "--resume"], "cannot be combined with --resume"),
        (["--init-from", "{other}"], "another spectrogram spec"),
    ],
)
def test_bad_init_from_is_one_line_and_exit_2(
    tmp_path: Path, data_dir: Path, extra: list[str], fragment: str
) -> None:
    src = tmp_path / "src"
    (src / "checkpoints").mkdir(parents=True)
    (src / "config.json").write_text(
        resolve_config(config_file=_toml(tmp_path, "t.toml", output="spectrogram")).to_json()
    )
    (src / "run.json").write_text("{}")
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text(resolve_config().to_json())
    (other / "run.json").write_text("{}")
    subst = {"{data}": str(data_dir), "{src}": str(src), "{other}": str(other)}
    argv = [
        "train",
        str(data_dir),
        "-o",
        str(tmp_path / "out"),
        "--config",
        str(_toml(tmp_path, "w.toml", output="waveform")),
    ]
    argv += [subst.get(a, a) for a in extra]
    result = CliRunner().invoke(app, argv, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.strip().splitlines() if ln.strip()]
    assert any(fragment in ln for ln in lines), result.output
    assert lines[-1].startswith("error:"), result.output
