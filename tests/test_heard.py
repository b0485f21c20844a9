"""``train.judge_heard``: generated clips judged after phase retrieval, as a listener hears them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from conftest import TINY_STEPS, tiny_train_toml, write_meows  # noqa: E402
from mockingbot.errors import ParameterError  # noqa: E402
from mockingbot.runtime import phase  # noqa: E402
from mockingbot.spec import PRESETS  # noqa: E402
from mockingbot.trainer.config import TrainConfig, load_preset  # noqa: E402
from mockingbot.trainer.heard import HeardProjection  # noqa: E402

SPEC = PRESETS["default"]


def _call(seed: int) -> np.ndarray:
    """A gliding harmonic call in a little noise: a consistent spectrogram, like a recording."""
    rng = np.random.default_rng(seed)
    t = np.arange(SPEC.clip_samples) / SPEC.sr
    f0 = 400.0 + 150.0 * np.sin(2 * np.pi * 0.7 * t)
    ph = 2 * np.pi * np.cumsum(f0) / SPEC.sr
    y = sum(np.sin(k * ph) / k for k in range(1, 6)) * np.hanning(t.size)
    return 0.5 * y + 0.01 * rng.standard_normal(t.size)


def _roughness(X: np.ndarray) -> float:
    """Median frame-to-frame std (dB) of the loud frames' bins."""
    L = X * SPEC.top_db / 2.0
    loud = L.max(-1) > L.max() - 30.0
    d = (L[1:] - L[:-1])[loud[1:] & loud[:-1]]
    return float(np.median(d.std(axis=0)))


def test_the_projection_is_the_runtimes_phase_retrieval_reanalysed() -> None:
    X = SPEC.features(np.stack([_call(0), _call(1)]))
    X[1, :, 40:] += np.random.default_rng(2).normal(0.0, 0.05, X[1, :, 40:].shape)
    X = np.clip(X, -1.0, 1.0).astype(np.float32)
    ours = HeardProjection(SPEC)(tf.constant(X)).numpy()
    y = phase.reconstruct(
        SPEC.full_magnitude(SPEC.magnitude(X)), spec=SPEC, method="pghi", n_iter=0
    )
    np.testing.assert_allclose(ours, SPEC.features(y), atol=1e-3)


def test_a_recording_passes_and_painted_texture_is_smoothed() -> None:
    """Why judge as heard: a consistent spectrogram is nearly a fixed point; i.i.d. per-cell
    texture painted on it is not (phase retrieval smooths it away), so judging magnitudes
    as painted would credit the generator with roughness no listener hears."""
    X = SPEC.features(_call(3)[None]).astype(np.float32)
    heard = HeardProjection(SPEC)
    again = heard(tf.constant(X)).numpy()
    loud = X[0] > -0.5
    assert np.abs(again - X)[0][loud].mean() < 0.08  # within ~3 dB where it is loud
    jitter = np.random.default_rng(4).normal(0.0, 0.15, X.shape).astype(np.float32)
    painted = np.clip(X + jitter * (X > -0.5), -1.0, 1.0)
    after = heard(tf.constant(painted)).numpy()
    assert _roughness(after[0]) < 0.8 * _roughness(painted[0])
    assert abs(_roughness(again[0]) - _roughness(X[0])) < 0.15 * _roughness(X[0])


def test_gradients_reach_every_painted_cell() -> None:
    X = tf.Variable(SPEC.features(_call(5)[None]).astype(np.float32))
    with tf.GradientTape() as tape:
        out = tf.reduce_mean(HeardProjection(SPEC)(X))
    g = tape.gradient(out, X).numpy()
    assert np.isfinite(g).all()
    assert (np.abs(g[0][X.numpy()[0] > -0.5]) > 0).mean() > 0.9


def test_judge_heard_needs_a_log_spectrogram_model() -> None:
    data = load_preset("default")
    data["train"]["judge_heard"] = True
    assert TrainConfig.from_dict(data).train.judge_heard is True
    data["model"].update(generator="harmonic", output="waveform")
    with pytest.raises(ParameterError, match=r"train\.judge_heard"):
        TrainConfig.from_dict(data)


def test_a_tiny_run_judged_as_heard_trains_and_records_it(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mockingbot.cli.main import app

    cfg = tmp_path / "heard.toml"
    cfg.write_text(
        tiny_train_toml(**TINY_STEPS).replace("[train]\n", "[train]\njudge_heard = true\n")
    )
    data, run = write_meows(tmp_path / "meows", 8), tmp_path / "run"
    r = CliRunner().invoke(app, ["train", str(data), "-o", str(run), "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    assert json.loads((run / "config.json").read_text())["train"]["judge_heard"] is True
    assert json.loads((run / "run.json").read_text())["steps"] == TINY_STEPS["steps"]
