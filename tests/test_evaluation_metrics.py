"""Evaluation features and metrics on synthetic sets whose answer is known.

The "data" are synthetic cats: each group (cat) has its own pitch and call length; clips
vary around them. A fresh draw from the same recipe plays a perfect generator, noise and
pure tones play hopeless ones, real clips plus a whisper of noise play a copying one, and
one clip repeated plays a collapsed one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import burst_then_hiss, synth_meow
from mockingbot.errors import AudioLoadError, ParameterError
from mockingbot.evaluation import features as F
from mockingbot.evaluation import metrics as M
from mockingbot.evaluation.report import evaluate_features

SR = F.ANALYSIS_SR
N_GROUPS = 6
PER_GROUP = 8  # 48 clips per set


def _cats(seed: int) -> tuple[list[np.ndarray], list[str]]:
    """One draw of synthetic cats: N_GROUPS groups × PER_GROUP calls."""
    rng = np.random.default_rng(seed)
    clips, groups = [], []
    for g in range(N_GROUPS):
        f0 = 380.0 + 70.0 * g
        seconds = 0.5 + 0.12 * g
        for _ in range(PER_GROUP):
            clips.append(
                synth_meow(
                    sr=SR,
                    seconds=seconds * rng.uniform(0.85, 1.15),
                    f0=f0 * rng.uniform(0.92, 1.08),
                    seed=int(rng.integers(1 << 31)),
                )
            )
            groups.append(f"CAT{g:02d}")
    return clips, groups


def _feats(clips: list[np.ndarray], sr: int = SR) -> np.ndarray:
    return np.stack([F.clip_features(y, sr) for y in clips])


@pytest.fixture(scope="module")
def train() -> tuple[list[np.ndarray], np.ndarray, list[str]]:
    clips, groups = _cats(seed=1)
    return clips, _feats(clips), groups


@pytest.fixture(scope="module")
def fresh() -> np.ndarray:
    return _feats(_cats(seed=2)[0])


@pytest.fixture(scope="module")
def noise() -> np.ndarray:
    rng = np.random.default_rng(3)
    return _feats([rng.standard_normal(int(SR * rng.uniform(0.5, 1.2))) for _ in range(48)])


@pytest.fixture(scope="module")
def tones() -> np.ndarray:
    rng = np.random.default_rng(4)
    out = []
    for _ in range(48):
        t = np.arange(int(SR * rng.uniform(0.5, 1.2))) / SR
        out.append(np.sin(2 * np.pi * rng.uniform(300, 1500) * t))
    return _feats(out)


# --------------------------------------------------------------------------- features
def test_feature_vector_has_the_documented_layout() -> None:
    x = F.clip_features(synth_meow(seed=0), SR)
    assert x.shape == (len(F.FEATURE_NAMES),) == (3 * F.N_MELS + 5,)
    assert np.all(np.isfinite(x))
    assert F.describe()["dims"] == x.size


def test_mel_filterbank_matches_librosa() -> None:
    librosa = pytest.importorskip("librosa")
    ref = librosa.filters.mel(
        sr=SR, n_fft=F.N_FFT, n_mels=F.N_MELS, fmin=F.FMIN_HZ, fmax=F.FMAX_HZ, norm=None
    )
    np.testing.assert_allclose(F.mel_filterbank(), ref, atol=1e-6)


def _chord(sr: int, *, extra_hz: float | None = None) -> np.ndarray:
    t = np.arange(sr) / sr
    y = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((450.0, 900.0, 1350.0), 1))
    if extra_hz is not None:
        y = y + 0.5 * np.sin(2 * np.pi * extra_hz * t)
    return y * np.hanning(t.size)


def test_features_ignore_level_dc_and_silence_padding() -> None:
    y = _chord(SR)
    base = F.clip_features(y, SR)
    lead = 60 * F.HOP_LENGTH  # frame-aligned, so the trimmed frames are the same samples
    padded = np.concatenate([np.zeros(lead), 0.1 * y, np.zeros(SR // 3)]) + 0.01
    np.testing.assert_allclose(F.clip_features(padded, SR), base, atol=0.05)


def test_higher_rate_audio_is_compared_below_4_khz() -> None:
    x48 = F.clip_features(_chord(48000, extra_hz=9000.0), 48000)  # 9 kHz: above the band
    x8 = F.clip_features(_chord(8000), 8000)
    mel = slice(0, F.N_MELS)
    assert np.max(np.abs(x48[mel] - x8[mel])) < 2.0  # dB, band averages
    assert abs(x48[3 * F.N_MELS] - x8[3 * F.N_MELS]) < 0.02  # log duration


@pytest.mark.parametrize(
    ("y", "reason"),
    [
        (np.zeros(4000), "silent"),
        (np.array([]), "empty"),
        (np.full(4000, np.nan), "non-finite"),
        (np.hanning(100), "too short"),
    ],
)
def test_unusable_clips_raise_audio_load_error(y: np.ndarray, reason: str) -> None:
    with pytest.raises(AudioLoadError) as info:
        F.clip_features(y, SR)
    assert info.value.reason == reason


def test_bad_arguments_raise_parameter_error() -> None:
    with pytest.raises(ParameterError, match="sr"):
        F.clip_features(np.ones(1000), 0)
    with pytest.raises(ParameterError, match="mono"):
        F.clip_features(np.ones((2, 1000)), SR)


def test_features_for_files_sets_aside_unusable_files(tmp_path: Path) -> None:
    good = [tmp_path / f"m{i}.wav" for i in range(3)]
    for i, p in enumerate(good):
        sf.write(p, synth_meow(seed=i), SR)
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(4000), SR)
    junk = tmp_path / "junk.wav"
    junk.write_text("not audio at all")
    calls: list[tuple[int, int]] = []
    X, kept, rejected = F.features_for_files(
        [good[0], silent, good[1], junk, good[2]], on_progress=lambda d, t: calls.append((d, t))
    )
    assert X.shape == (3, len(F.FEATURE_NAMES))
    assert kept == good
    assert [p for p, _ in rejected] == [silent, junk]
    assert rejected[0][1].startswith("silent")
    assert calls[-1] == (5, 5) and len(calls) == 5


# --------------------------------------------------------------------------- burst + hiss
@pytest.mark.parametrize("hiss_db", [25.0, 30.0, 35.0])
def test_a_short_burst_then_quiet_noise_is_burst_hiss(hiss_db: float) -> None:
    y = burst_then_hiss(SR, burst_s=0.15, hiss_s=1.5, hiss_db=hiss_db, seed=int(hiss_db))
    frac = F.clip_loud_fraction(y, SR)
    # the tail is kept by the 40-dB trim, so the burst's ~0.15 s + one frame is ~1/9 of it
    assert 0.05 < frac < F.BURST_HISS_MAX_LOUD
    assert M.burst_hiss_share(np.array([frac])) == 1.0


def test_a_sustained_tone_and_a_meow_are_not_burst_hiss() -> None:
    t = np.arange(int(1.5 * SR)) / SR
    tone = np.sin(2 * np.pi * 500 * t) * np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.02)
    assert F.clip_loud_fraction(tone, SR) > 0.95
    assert F.clip_loud_fraction(synth_meow(seconds=1.0, seed=3), SR) > 0.6


def test_loud_fraction_ignores_silence_padding_and_level() -> None:
    y = burst_then_hiss(SR, seed=1)
    padded = np.concatenate([np.zeros(SR), 0.01 * y, np.zeros(2 * SR)])
    assert F.clip_loud_fraction(padded, SR) == pytest.approx(F.clip_loud_fraction(y, SR), abs=0.02)


def test_burst_hiss_share_over_a_set(tmp_path: Path) -> None:
    paths = []
    for i in range(10):
        y = burst_then_hiss(SR, seed=i) if i % 4 == 0 else synth_meow(seed=i)  # i = 0, 4, 8
        paths.append(tmp_path / f"c{i}.wav")
        sf.write(paths[-1], y, SR)
    measured = F.measure_files(paths)
    assert M.burst_hiss_share(measured.loud) == pytest.approx(0.3)
    assert measured.loud[4] == pytest.approx(F.clip_loud_fraction(F.load_clip(paths[4]), SR))
    np.testing.assert_array_equal(measured.X[4], F.clip_features(F.load_clip(paths[4]), SR))


def test_burst_hiss_share_rejects_empty_or_broken_input() -> None:
    with pytest.raises(ParameterError):
        M.burst_hiss_share(np.array([]))
    with pytest.raises(ParameterError):
        M.burst_hiss_share(np.array([0.1, np.nan]))


def test_evaluate_features_reports_burst_hiss_beside_the_real_share(train, fresh) -> None:
    _, X, groups = train
    loud_ref = np.full(len(X), 0.9)
    loud_ref[:6] = 0.1  # 6 of 48 real clips
    loud_gen = np.full(len(fresh), 0.1)
    r = evaluate_features(
        fresh, X, groups, floor_repeats=1, loud_generated=loud_gen, loud_reference=loud_ref
    )
    assert r.burst_hiss == {"generated": 1.0, "reference": 0.125}
    assert r.to_dict()["burst_hiss"]["reference"] == 0.125
    plain = evaluate_features(fresh, X, groups, floor_repeats=1)
    assert plain.burst_hiss is None and plain.to_dict()["burst_hiss"] is None
    assert plain.metrics == r.metrics  # the share moves no other number
    with pytest.raises(ParameterError, match="together"):
        evaluate_features(fresh, X, groups, floor_repeats=1, loud_generated=loud_gen)
    with pytest.raises(ParameterError, match="one value per clip"):
        evaluate_features(
            fresh, X, groups, floor_repeats=1, loud_generated=loud_gen[:5], loud_reference=loud_ref
        )


# --------------------------------------------------------------------------- C2ST
def test_c2st_separates_noise_from_tones(noise: np.ndarray, tones: np.ndarray) -> None:
    assert M.c2st_accuracy(noise, tones) >= 0.95


def test_c2st_of_a_set_against_itself_shows_no_difference(train) -> None:
    _, X, _ = train
    scores = M.c2st_scores(X, X)
    assert set(scores) == set(M.C2ST_CLASSIFIERS)
    assert M.c2st_accuracy(X, X) <= 0.55


def test_c2st_of_a_fresh_draw_is_near_chance(train, fresh: np.ndarray) -> None:
    _, X, _ = train
    assert 0.3 <= M.c2st_accuracy(X, fresh) <= 0.7


def test_c2st_balances_unequal_sets_and_is_seeded(noise: np.ndarray, tones: np.ndarray) -> None:
    a = M.c2st_scores(noise, tones[:20], seed=3)
    assert a == M.c2st_scores(noise, tones[:20], seed=3)
    assert min(a.values()) >= 0.9


# --------------------------------------------------------------------------- Fréchet
def test_frechet_is_zero_for_identical_sets_and_grows_with_difference(
    train, fresh: np.ndarray, noise: np.ndarray
) -> None:
    _, X, _ = train
    assert M.frechet_distance(X, X) == 0.0
    near = M.frechet_distance(X, fresh, n_components=8)
    far = M.frechet_distance(X, noise, n_components=8)
    assert 0.0 < near < far / 10


def test_frechet_survives_rank_deficient_covariances() -> None:
    X = np.zeros((30, 5))
    X[:, 0] = np.arange(30)
    d = M.frechet_distance(X, X + 1.0)
    assert np.isfinite(d) and d > 0


# --------------------------------------------------------------------------- novelty
def test_novelty_of_the_training_set_itself_is_zero(train) -> None:
    _, X, groups = train
    assert M.novelty_ratio(X, X, groups) == 0.0


def test_novelty_flags_near_copies(train) -> None:
    clips, X, groups = train
    rng = np.random.default_rng(7)
    copies = _feats([y + 1e-4 * rng.standard_normal(y.size) for y in clips])
    assert M.novelty_ratio(copies, X, groups) < 0.3


def test_novelty_of_a_fresh_draw_matches_the_real_floor(train, fresh: np.ndarray) -> None:
    _, X, groups = train
    value = M.novelty_ratio(fresh, X, groups)
    ia, ib = M.split_halves(groups, seed=0)
    floor = M.novelty_ratio(X[ia], X[ib], [groups[i] for i in ib])
    assert 0.5 <= value <= 1.5
    assert abs(value - floor) < 0.35


def test_novelty_of_off_manifold_sounds_is_far_above_one(train, noise: np.ndarray) -> None:
    _, X, groups = train
    assert M.novelty_ratio(noise, X, groups) > 2.0


def test_novelty_needs_two_groups(train) -> None:
    _, X, _ = train
    with pytest.raises(ParameterError, match="two groups"):
        M.novelty_ratio(X, X, ["one"] * len(X))


# --------------------------------------------------------------------------- diversity
def test_diversity_of_a_collapsed_generator_is_far_below_one(train) -> None:
    clips, X, _ = train
    rng = np.random.default_rng(8)
    collapsed = _feats([clips[0] + 1e-4 * rng.standard_normal(clips[0].size) for _ in range(20)])
    assert M.diversity_ratio(collapsed, X) < 0.1


def test_diversity_of_a_fresh_draw_is_near_one(train, fresh: np.ndarray) -> None:
    _, X, _ = train
    assert M.diversity_ratio(X, X) == pytest.approx(1.0)
    assert 0.8 <= M.diversity_ratio(fresh, X) <= 1.25


# --------------------------------------------------------------------------- floor
def test_split_halves_partition_every_group_evenly() -> None:
    groups = ["a"] * 7 + ["b"] * 4 + ["c"] * 5
    ia, ib = M.split_halves(groups, seed=0)
    assert sorted([*ia, *ib]) == list(range(len(groups)))
    for g in "abc":
        na = sum(groups[i] == g for i in ia)
        nb = sum(groups[i] == g for i in ib)
        assert abs(na - nb) <= 1
    assert abs(len(ia) - len(ib)) <= 1
    again = M.split_halves(groups, seed=0)
    assert all(np.array_equal(x, y) for x, y in zip(again, (ia, ib), strict=True))


def test_real_floor_reports_every_metric_with_its_spread(train) -> None:
    _, X, groups = train
    floor = M.real_floor(X, groups, repeats=2, seed=0)
    assert set(floor) == {"c2st", "c2st_logistic", "c2st_forest", "frechet", "novelty", "diversity"}
    assert all(len(f.values) == 2 for f in floor.values())
    assert 0.3 <= floor["c2st"].mean <= 0.7
    assert 0.7 <= floor["diversity"].mean <= 1.3
    assert floor["c2st"].mean == pytest.approx(np.mean(floor["c2st"].values))


# --------------------------------------------------------------------------- validation
def test_metrics_reject_mismatched_or_broken_inputs() -> None:
    a = np.zeros((20, 4))
    with pytest.raises(ParameterError, match="feature dims"):
        M.frechet_distance(a, np.zeros((20, 5)))
    with pytest.raises(ParameterError, match="2-D"):
        M.diversity_ratio(np.zeros(20), a)
    with pytest.raises(ParameterError, match="non-finite"):
        M.c2st_accuracy(a, np.full((20, 4), np.nan))
    with pytest.raises(ParameterError, match="folds"):
        M.c2st_accuracy(a, a, folds=1)
    with pytest.raises(ParameterError, match="one label"):
        M.novelty_ratio(a, a, ["x", "y"])
