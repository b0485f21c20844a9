"""The discriminator's clip-statistics view (``model.disc_stats``) and weight transfer by path."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from conftest import tiny_train_toml, write_meows  # noqa: E402
from mockingbot.errors import ParameterError  # noqa: E402
from mockingbot.spec import PRESETS  # noqa: E402
from mockingbot.trainer.clipstats import (  # noqa: E402
    PEAK_BLOCKS,
    ClipStats,
    band_matrix,
    bin_roughness,
    clip_peaks,
    clip_statistics,
    loud_fraction,
    moment_gap,
    quantile_gap,
)
from mockingbot.trainer.config import TrainConfig, load_preset, resolve_config  # noqa: E402
from mockingbot.trainer.models import build_discriminator  # noqa: E402

SPEC = PRESETS["default"]
BANDS = 8


def _cfg(*, stats_match: float | None = None, **model: object) -> TrainConfig:
    data = load_preset("default")
    data["model"].update(model)
    if stats_match is not None:
        data["train"]["stats_match"] = stats_match
    return TrainConfig.from_dict(data)


def _stats(x: np.ndarray) -> np.ndarray:
    bands = tf.constant(band_matrix(SPEC, BANDS))
    return clip_statistics(tf.constant(x, tf.float32), bands, top_db=SPEC.top_db).numpy()


def test_band_matrix_averages_mel_spaced_bands() -> None:
    m = band_matrix(SPEC, BANDS)
    assert m.shape == (SPEC.n_bins, BANDS)
    np.testing.assert_allclose(m.sum(axis=0), 1.0, rtol=1e-6)
    widths = (m > 0).sum(axis=0)
    assert widths[-1] > 2 * widths[0]  # mel: the top band is much wider than the bottom


def test_statistics_of_a_steady_sound_after_silence() -> None:
    frames, bins = SPEC.n_frames, SPEC.n_bins
    x = np.full((1, frames, bins), -1.0)  # silence
    x[0, frames // 4 :] = 0.25  # a steady sound in the last three quarters
    s = _stats(x)[0]
    mean, std, dstd, frac = s[:BANDS], s[BANDS : 2 * BANDS], s[2 * BANDS : 3 * BANDS], s[-1]
    np.testing.assert_allclose(mean, 0.25, atol=1e-5)  # the silence does not dilute it
    assert np.all(std < 0.02) and np.all(dstd < 0.02)
    assert frac == pytest.approx(math.log(0.75), abs=1e-4)


def test_statistics_see_variation_and_roughness() -> None:
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, SPEC.n_frames)[None, :, None]
    smooth = np.broadcast_to(-0.5 + 0.4 * np.sin(2 * np.pi * t), (1, SPEC.n_frames, SPEC.n_bins))
    rough = smooth + 0.1 * rng.standard_normal(smooth.shape)
    a, b = _stats(smooth)[0], _stats(rough)[0]
    assert np.all(a[BANDS : 2 * BANDS] > 0.5)  # a slow swell varies (× the spread gain)
    assert np.all(b[2 * BANDS : 3 * BANDS] > 3 * a[2 * BANDS : 3 * BANDS])  # frame jitter


def test_moment_gap_is_zero_for_equal_moments_and_grows_with_the_gap() -> None:
    rng = np.random.default_rng(2)
    a = rng.standard_normal((64, 5)).astype(np.float32)
    b = a[rng.permutation(64)]  # same batch, other order: same moments
    assert float(moment_gap(a, b)) == pytest.approx(0.0, abs=1e-6)
    shifted = float(moment_gap(a, a + 0.5))
    assert shifted == pytest.approx(0.25, rel=1e-4)  # mean gap 0.5 in every feature
    spread = float(moment_gap(a, 2.0 * (a - a.mean(0)) + a.mean(0)))
    assert spread == pytest.approx(np.mean(a.std(0) ** 2), rel=1e-3)  # spread doubled


def test_bin_roughness_sees_one_rough_bin_among_smooth_ones() -> None:
    """The statistic the discriminator cannot see: one bin's jitter, bin by bin, over the
    active frames only (the silence before the sound neither adds to it nor dilutes it)."""
    rng = np.random.default_rng(4)
    frames, bins = SPEC.n_frames, SPEC.n_bins
    x = np.full((2, frames, bins), -1.0, np.float32)
    x[:, frames // 2 :] = 0.5 + 0.01 * rng.standard_normal((2, frames - frames // 2, bins))
    x[1, frames // 2 :, 7] += 0.1 * rng.standard_normal(frames - frames // 2)
    r = bin_roughness(tf.constant(x), top_db=SPEC.top_db).numpy()
    assert r.shape == (2, bins)
    expected = 4.0 * 0.01 * math.sqrt(2.0)  # spread gain × std of a difference of two draws
    np.testing.assert_allclose(np.median(r[0]), expected, rtol=0.15)
    assert r[1, 7] > 5 * np.median(r[1])
    others = np.delete(r[1], 7)
    np.testing.assert_allclose(np.median(others), expected, rtol=0.15)


def test_roughness_matching_term_has_gradients_that_smooth_a_rough_bin() -> None:
    from mockingbot.trainer.losses import roughness_gap

    rng = np.random.default_rng(6)
    shape = (8, SPEC.n_frames, SPEC.n_bins)
    real = tf.constant(-0.3 + 0.02 * rng.standard_normal(shape), tf.float32)
    noisy = -0.3 + 0.02 * rng.standard_normal(shape)
    noisy[..., 3] += 0.2 * rng.standard_normal(shape[:2])
    fake = tf.Variable(noisy, dtype=tf.float32)
    with tf.GradientTape() as tape:
        gap = roughness_gap(real, fake, top_db=SPEC.top_db)
    grad = tape.gradient(gap, fake).numpy()
    one_bin = (4.0 * 0.2 * math.sqrt(2.0)) ** 2 / SPEC.n_bins  # its mean gap, over all bins
    assert float(gap) > 0.5 * one_bin
    assert float(roughness_gap(real, real, top_db=SPEC.top_db)) == pytest.approx(0.0, abs=1e-6)
    energy = np.abs(grad).sum(axis=(0, 1))
    assert np.argmax(energy) == 3 and energy[3] > 10 * np.median(energy)


def test_clip_peaks_measure_how_far_the_loudest_bins_stand_out() -> None:
    """A flat frame has no crest; one loud bin per frame raises the frame's maximum, its
    crest and its own block's crest, not the other blocks'; silent frames count for nothing."""
    frames, bins = SPEC.n_frames, SPEC.n_bins
    x = np.full((2, frames, bins), -1.0, np.float32)
    x[:, frames // 2 :] = 0.2  # a flat sound after silence
    x[1, frames // 2 :, 5] = 0.6  # clip 1: the same with one bin 16 dB up
    p = clip_peaks(tf.constant(x), top_db=SPEC.top_db).numpy()
    assert p.shape == (2, 2 + PEAK_BLOCKS)
    np.testing.assert_allclose(p[0], [0.2, 0.0] + [0.0] * PEAK_BLOCKS, atol=1e-5)
    width = bins // PEAK_BLOCKS
    assert p[1, 0] == pytest.approx(0.6, abs=1e-5)
    assert p[1, 1] == pytest.approx(0.4 * (1 - 1 / bins), abs=1e-4)
    assert p[1, 2] == pytest.approx(0.4 * (1 - 1 / width), abs=1e-4)  # bin 5's block
    np.testing.assert_allclose(p[1, 3:], 0.0, atol=1e-5)


def test_peak_matching_term_lowers_peaks_that_stand_too_high() -> None:
    """Generated frames whose loudest bins stand higher than the real ones': the gap is
    positive (zero against itself), and its gradient lowers exactly those bins."""
    from mockingbot.trainer.losses import peak_gap

    rng = np.random.default_rng(8)
    shape = (8, SPEC.n_frames, SPEC.n_bins)
    base = -0.3 + 0.02 * rng.standard_normal(shape)
    real = base.copy()
    real[..., 20] += 0.2
    peaky = base.copy()
    peaky[..., 20] += 0.5
    fake = tf.Variable(peaky, dtype=tf.float32)
    real = tf.constant(real, tf.float32)
    with tf.GradientTape() as tape:
        gap = peak_gap(real, fake, top_db=SPEC.top_db)
    grad = tape.gradient(gap, fake).numpy()
    assert float(gap) > 1e-3
    assert float(peak_gap(real, real, top_db=SPEC.top_db)) == pytest.approx(0.0, abs=1e-6)
    assert grad[..., 20].mean() > 0  # descending the gap lowers the peak bin
    energy = np.abs(grad).sum(axis=(0, 1))
    assert np.argmax(energy) == 20 and energy[20] > 10 * np.median(energy)


def test_clip_stats_layer_round_trips_its_config() -> None:
    layer = ClipStats(SPEC.to_dict(), BANDS)
    again = ClipStats.from_config(layer.get_config())
    x = tf.random.uniform([2, SPEC.n_frames, SPEC.n_bins], -1.0, 1.0, seed=3)
    np.testing.assert_array_equal(layer(x).numpy(), again(x).numpy())
    assert layer(x).shape == (2, layer.n_features) == (2, 3 * BANDS + 1)


def test_statistics_head_starts_silent_and_learns() -> None:
    """Zero-initialised, the head adds nothing; it has gradients to learn from."""
    x = tf.random.uniform([4, SPEC.n_frames, SPEC.n_bins], -1.0, 1.0, seed=1)
    plain, with_stats = build_discriminator(_cfg()), build_discriminator(_cfg(disc_stats=True))
    by_path = {v.path: v for v in plain.weights}
    for v in with_stats.weights:
        if v.path in by_path:
            v.assign(by_path[v.path])
    np.testing.assert_allclose(with_stats(x).numpy(), plain(x).numpy(), atol=1e-6)
    head = [v for v in with_stats.trainable_variables if v.path.startswith("stats_")]
    assert len(head) == 6
    with tf.GradientTape() as tape:
        out = tf.reduce_sum(with_stats(x))
    grads = tape.gradient(out, head)
    assert all(g is not None for g in grads)
    assert float(tf.reduce_sum(tf.abs(grads[-2]))) > 0  # the last layer's kernel moves


@pytest.mark.parametrize(
    ("model", "fragment"),
    [
        ({"disc_stats": True, "discriminator": "conv2022"}, "model.disc_stats needs"),
        ({"disc_stats": True, "stats_bands": 1}, "model.stats_bands"),
        ({"disc_stats": True, "stats_bands": 65}, "model.stats_bands"),
        ({"disc_stats": True, "stats_bands": True}, "stats_bands must be an integer"),
        ({"stats_bands": 65}, "model.stats_bands"),  # the default recipe matches statistics
        ({"stats_bands": 100, "stats_match": 0.0}, None),  # unused without either: fine
    ],
)
def test_impossible_statistics_settings_name_the_key(model: dict, fragment: str | None) -> None:
    if fragment is None:
        assert _cfg(**model).model.stats_bands == 100
        return
    with pytest.raises(ParameterError, match=fragment):
        _cfg(**model)


def test_clip_peaks_leave_out_the_bins_beyond_whole_blocks() -> None:
    """100 bins make 8 blocks of 12; the top 4 bins count for the frame, not for a block."""
    x = np.full((1, 16, 100), 0.1, np.float32)
    x[0, :, 98] = 0.5
    p = clip_peaks(tf.constant(x), top_db=SPEC.top_db).numpy()[0]
    assert p.shape == (2 + PEAK_BLOCKS,) and p[0] == pytest.approx(0.5, abs=1e-5)
    np.testing.assert_allclose(p[2:], 0.0, atol=1e-6)


def _x(db: np.ndarray) -> np.ndarray:
    """Normalised log-magnitudes from levels in dB re the reference (-top_db → -1)."""
    return (1.0 + 2.0 * np.maximum(db, -SPEC.top_db) / SPEC.top_db).astype(np.float32)


def _clip(loud: int, tail: int, *, tail_db: float = -30.0, bins: int = 1) -> np.ndarray:
    """[frames, bins] dB: ``loud`` frames at 0 dB in one bin, then ``tail`` frames at
    ``tail_db`` in ``bins`` bins, then silence."""
    db = np.full((SPEC.n_frames, SPEC.n_bins), -SPEC.top_db)
    db[:loud, 10] = 0.0
    db[loud : loud + tail, 10 : 10 + bins] = tail_db
    return db


def test_loud_fraction_is_the_loud_share_of_the_sounding_frames_by_energy() -> None:
    """40 loud frames then 120 frames 30 dB down: a quarter loud, silence not counted. A
    tail whose loudest bin is 30 dB down but spread over 100 bins carries 20 dB more energy:
    loud, as ``mbot evaluate`` (which measures frame energy) hears it."""
    clips = np.stack([_clip(40, 120), _clip(40, 120, bins=100), _clip(40, 120, tail_db=-60.0)])
    f = loud_fraction(tf.constant(_x(clips)), top_db=SPEC.top_db).numpy()
    assert f.shape == (3,)
    assert f[0] == pytest.approx(0.25, abs=0.01)
    assert f[1] == pytest.approx(1.0, abs=0.01)
    assert f[2] == pytest.approx(1.0, abs=0.01)  # below the sounding range: trimmed away


def test_quantile_gap_compares_sorted_values() -> None:
    a = tf.constant([0.1, 0.5, 0.9])
    assert float(quantile_gap(a, tf.constant([0.9, 0.1, 0.5]))) == pytest.approx(0.0)
    gap = float(quantile_gap(a, tf.constant([0.7, 0.2, 0.3])))
    assert gap == pytest.approx(((0.1 - 0.2) ** 2 + (0.5 - 0.3) ** 2 + (0.9 - 0.7) ** 2) / 3)


def test_loud_matching_term_raises_the_loud_share_of_clips_with_long_tails() -> None:
    """Real clips loud for most of their span, generated ones a burst and a long tail 30 dB
    down: the gap is positive (zero against the same clips reordered), and one step down its
    gradient raises every generated clip's loud fraction, lifting every tail frame."""
    from mockingbot.trainer.losses import loud_gap

    real = tf.constant(_x(np.stack([_clip(100 + 10 * k, 20) for k in range(4)])))
    fake = tf.Variable(_x(np.stack([_clip(20 + 5 * k, 120) for k in range(4)])))
    with tf.GradientTape() as tape:
        gap = loud_gap(real, fake, top_db=SPEC.top_db)
    grad = tape.gradient(gap, fake).numpy()
    assert float(gap) > 0.1
    again = loud_gap(real, tf.reverse(real, axis=[0]), top_db=SPEC.top_db)
    assert float(again) == pytest.approx(0.0, abs=1e-9)
    before = loud_fraction(fake, top_db=SPEC.top_db).numpy()
    after = loud_fraction(fake - 0.05 * grad / np.abs(grad).max(), top_db=SPEC.top_db).numpy()
    assert np.all(after > before)
    for k in range(4):
        loud = 20 + 5 * k
        assert np.all(grad[k, loud : loud + 120, 10] < 0)  # descending lifts the tail


@pytest.mark.parametrize("key", ["stats_match", "peak_match", "roughness_match", "loud_match"])
def test_negative_matching_weight_is_refused(key: str) -> None:
    data = load_preset("default")
    data["train"][key] = -1.0
    with pytest.raises(ParameterError, match=rf"train\.{key}"):
        TrainConfig.from_dict(data)


def test_init_from_places_weights_by_path_when_a_branch_reorders_them(tmp_path: Path) -> None:
    """The statistics head sits between conv layers in the variable list: a positional
    restore would put ``conv_final``'s kernel into ``stats_dense0``. Matched by path, every
    weight and Adam moment of the source lands on its namesake."""
    from typer.testing import CliRunner

    from mockingbot.cli.main import app
    from mockingbot.trainer.loop import GanTrainer
    from mockingbot.trainer.rundir import read_run

    plain = tmp_path / "plain.toml"
    plain.write_text(tiny_train_toml(steps=4, batch_size=4, checkpoint_every=2, sample_every=100))
    stats = tmp_path / "stats.toml"
    head = "[model]\ndisc_stats = true\nstats_bands = 8\n"
    text = plain.read_text().replace("[model]\n", head)
    text = text.replace("[train]\n", "[train]\nstats_match = 50.0\n")
    stats.write_text(text)
    src, data_dir = tmp_path / "src", write_meows(tmp_path / "meows", 8)
    r = CliRunner().invoke(app, ["train", str(data_dir), "-o", str(src), "--config", str(plain)])
    assert r.exit_code == 0, r.output

    strategy = tf.distribute.get_strategy()
    fresh = GanTrainer(resolve_config(config_file=stats), tmp_path / "scratch", strategy=strategy)
    names = [v.path for v in fresh.discriminator.trainable_variables]
    assert names.index("stats_dense0/kernel") < names.index("conv_final/kernel")
    assert fresh.init_from(src, read_run(src)[0]) == 4
    source = GanTrainer(read_run(src)[0], src, strategy=strategy)
    source.restore()
    ours = {v.path: v.numpy() for v in fresh.discriminator.trainable_variables}
    for v in source.discriminator.trainable_variables:
        np.testing.assert_array_equal(ours[v.path], v.numpy())
    np.testing.assert_array_equal(ours["stats_logit/kernel"], 0.0)
    their_slots = {v.path.split("/", 1)[-1]: v.numpy() for v in source.d_opt.variables}
    our_slots = {v.path.split("/", 1)[-1]: v.numpy() for v in fresh.d_opt.variables}
    moved = [p for p in their_slots if "conv_final" in p]
    assert moved
    for p in moved:
        np.testing.assert_array_equal(our_slots[p], their_slots[p])
    assert int(fresh.d_opt.iterations.numpy()) == int(source.d_opt.iterations.numpy()) == 4

    # and a real run with both statistics options trains from it
    dst = tmp_path / "dst"
    argv = ["train", str(data_dir), "-o", str(dst), "--config", str(stats), "--init-from", str(src)]
    r = CliRunner().invoke(app, argv)
    assert r.exit_code == 0, r.output
    info = json.loads((dst / "run.json").read_text())
    assert info["steps"] == 4 and info["init_from"]["step"] == 4
    assert json.loads((dst / "config.json").read_text())["train"]["stats_match"] == 50.0


def test_clip_statistics_are_the_same_under_jax(tmp_path: Path) -> None:
    """The JAX training loop (the GPU path) matches on the very statistics TensorFlow does."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "KERAS_BACKEND": "jax"}
    if subprocess.run([sys.executable, "-c", "import jax, keras"], env=env).returncode:
        pytest.skip("JAX is not installed")
    rng = np.random.default_rng(5)
    x = np.clip(rng.normal(-0.3, 0.4, (3, SPEC.n_frames, SPEC.n_bins)), -1, 1).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    code = f"""
import numpy as np
from mockingbot.spec import PRESETS
from mockingbot.trainer.clipstats import band_matrix, clip_statistics, moment_gap
spec = PRESETS["default"]
x = np.load({str(tmp_path / "x.npy")!r})
s = clip_statistics(x, band_matrix(spec, {BANDS}), top_db=spec.top_db)
np.save({str(tmp_path / "s.npy")!r}, np.asarray(s))
np.save({str(tmp_path / "g.npy")!r}, np.asarray(moment_gap(s, s[::-1] * 1.1)))
"""
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300)
    ours = _stats(x)
    np.testing.assert_allclose(np.load(tmp_path / "s.npy"), ours, atol=1e-5)
    gap = moment_gap(tf.constant(ours), tf.constant(ours[::-1] * 1.1)).numpy()
    np.testing.assert_allclose(np.load(tmp_path / "g.npy"), gap, rtol=1e-5)
