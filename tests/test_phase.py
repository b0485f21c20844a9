"""Phase recovery: shapes, determinism, reconstruction quality, presets, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import TINY_SPEC, synth_meow
from mockingbot.defaults import PHASE_METHODS
from mockingbot.errors import ParameterError
from mockingbot.runtime import pghi, phase, phase_grid
from mockingbot.spec import PRESETS, SpectrogramSpec

# Thresholds for a meow-like harmonic test call (gliding harmonic stack + white noise 40 dB
# down). The phase-gradient relations are exact for slowly varying sinusoids, so the start
# alone already reaches about −35 dB (measured on the tiny, default and seed-2022 specs) and
# the iterations about −41 to −48 dB; zero phase stays near −1 dB. The bars leave ~5 dB of
# slack for platform differences, and the gap between them (25 dB) is what the test checks.
PGHI_START_BAR_DB = -28.0
PGHI_BAR_DB = -33.0
ZERO_PHASE_FLOOR_DB = -10.0


def _calls(spec: SpectrogramSpec, n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """n test calls of 90 % of a clip each, and their magnitudes on the spec's full grid."""
    seconds = 0.9 * spec.clip_samples / spec.sr
    y = np.stack(
        [
            spec.fit_clip(synth_meow(sr=spec.sr, seconds=seconds, f0=300.0 + 150.0 * i, seed=i))
            for i in range(n)
        ]
    )
    return y, np.abs(spec.stft(y)).astype(np.float32)


@pytest.mark.parametrize("method", PHASE_METHODS)
def test_reconstruct_returns_one_float32_clip_per_item(method: str) -> None:
    _, S = _calls(TINY_SPEC, n=2)
    y = phase.reconstruct(S, spec=TINY_SPEC, method=method, n_iter=2)
    assert y.dtype == np.float32
    assert y.shape == (2, TINY_SPEC.clip_samples)
    assert np.isfinite(y).all()


def test_empty_batch_gives_empty_audio() -> None:
    S = np.zeros((0, TINY_SPEC.total_frames, TINY_SPEC.total_bins), np.float32)
    assert phase.reconstruct(S, spec=TINY_SPEC).shape == (0, TINY_SPEC.clip_samples)


@pytest.mark.parametrize("method", ["pghi", "fgla"])
def test_items_do_not_depend_on_batch_size_or_position(method: str) -> None:
    _, S = _calls(TINY_SPEC, n=5)
    whole = phase.reconstruct(S, spec=TINY_SPEC, method=method, n_iter=3)
    for i in (0, 3):
        alone = phase.reconstruct(S[i : i + 1], spec=TINY_SPEC, method=method, n_iter=3)
        assert alone[0].tobytes() == whole[i].tobytes()
    shifted = phase.reconstruct(S[2:], spec=TINY_SPEC, method=method, n_iter=3)
    assert shifted.tobytes() == whole[2:].tobytes()


def test_items_do_not_depend_on_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    _, S = _calls(TINY_SPEC, n=4)
    monkeypatch.setattr(phase_grid, "default_threads", lambda **_: 1)
    serial = phase.reconstruct(S, spec=TINY_SPEC, n_iter=3)
    monkeypatch.setattr(phase_grid, "default_threads", lambda **_: 3)
    threaded = phase.reconstruct(S, spec=TINY_SPEC, n_iter=3)
    assert serial.tobytes() == threaded.tobytes()


def test_blocks_of_the_phase_gradient_start_do_not_change_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, S = _calls(TINY_SPEC, n=5)
    whole = phase.reconstruct(S, spec=TINY_SPEC, n_iter=1)
    monkeypatch.setattr(pghi, "BLOCK", 2)
    assert phase.reconstruct(S, spec=TINY_SPEC, n_iter=1).tobytes() == whole.tobytes()


@pytest.mark.parametrize("spec", [TINY_SPEC, PRESETS["default"]], ids=["tiny", "default"])
def test_pghi_reconstructs_a_harmonic_call_and_zero_phase_does_not(spec: SpectrogramSpec) -> None:
    _, S = _calls(spec)
    start_only = phase.reconstruct(S, spec=spec, method="pghi", n_iter=0)
    best = phase.reconstruct(S, spec=spec, method="pghi")
    zero = phase.reconstruct(S, spec=spec, method="zero")
    assert np.all(phase.reconstruction_error(S, start_only, spec=spec) < PGHI_START_BAR_DB)
    assert np.all(phase.reconstruction_error(S, best, spec=spec) < PGHI_BAR_DB)
    assert np.all(phase.reconstruction_error(S, zero, spec=spec) > ZERO_PHASE_FLOOR_DB)


def test_phase_gradient_start_beats_the_random_start() -> None:
    _, S = _calls(TINY_SPEC)
    pghi = phase.reconstruct(S, spec=TINY_SPEC, method="pghi", n_iter=4)
    fgla = phase.reconstruct(S, spec=TINY_SPEC, method="fgla", n_iter=4)
    gap = phase.reconstruction_error(S, fgla, spec=TINY_SPEC) - phase.reconstruction_error(
        S, pghi, spec=TINY_SPEC
    )
    assert np.all(gap > 10.0)


def test_works_for_the_uncentred_seed_2022_grid() -> None:
    spec = PRESETS["seed-2022"]  # n_fft 1024, window 513, hop 74, uncentred
    _, S = _calls(spec, n=2)
    y = phase.reconstruct(S, spec=spec, n_iter=4)
    assert y.shape == (2, spec.clip_samples)
    assert np.all(phase.reconstruction_error(S, y, spec=spec) < PGHI_START_BAR_DB)


@pytest.mark.parametrize("spec", [TINY_SPEC, PRESETS["seed-2022"]], ids=["tiny", "seed-2022"])
def test_griffin_lim_with_the_true_phase_and_no_iterations_inverts_the_stft(
    spec: SpectrogramSpec,
) -> None:
    y, _ = _calls(spec, n=2)
    D = spec.stft(y)
    out = phase.fast_griffin_lim(
        np.abs(D).astype(np.float32), spec=spec, n_iter=0, init_phase=np.angle(D)
    )
    # Compare where at least two frames overlap: uncentred frames leave the clip's ends
    # (where the window is near zero) and tail uncovered.
    covered = (spec.total_frames - 1) * spec.hop_length + spec.win_length
    lo, hi = spec.win_length // 2, min(covered, spec.clip_samples) - spec.win_length // 2
    assert np.allclose(out[:, lo:hi], y[:, lo:hi], atol=1e-4)
    assert np.allclose(out, spec.istft(D), atol=1e-4)


def test_zero_phase_equals_the_inverse_stft_of_the_real_magnitude() -> None:
    _, S = _calls(TINY_SPEC, n=2)
    expected = TINY_SPEC.istft(S.astype(np.complex128))
    assert np.allclose(phase.reconstruct(S, spec=TINY_SPEC, method="zero"), expected, atol=1e-5)


def test_pghi_phase_shape_and_range() -> None:
    _, S = _calls(TINY_SPEC, n=2)
    ph = pghi.pghi_phase(S, spec=TINY_SPEC)
    assert ph.shape == S.shape and ph.dtype == np.float32
    assert ph.min() >= 0.0 and ph.max() <= 2 * np.pi


def test_fast_griffin_lim_accepts_a_per_item_start_and_is_repeatable() -> None:
    _, S = _calls(TINY_SPEC, n=2)
    start = np.stack([phase.random_phase(spec=TINY_SPEC, seed=s) for s in (1, 2)])
    a = phase.fast_griffin_lim(S, spec=TINY_SPEC, n_iter=3, momentum=0.5, init_phase=start)
    b = phase.fast_griffin_lim(S, spec=TINY_SPEC, n_iter=3, momentum=0.5, init_phase=start)
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("method", PHASE_METHODS)
def test_silence_stays_silent(method: str) -> None:
    S = np.zeros((2, TINY_SPEC.total_frames, TINY_SPEC.total_bins), np.float32)
    y = phase.reconstruct(S, spec=TINY_SPEC, method=method, n_iter=2)
    assert np.all(y == 0.0)


def test_reconstruction_error_of_the_original_audio_is_tiny() -> None:
    y, S = _calls(TINY_SPEC, n=2)
    assert np.all(phase.reconstruction_error(S, y, spec=TINY_SPEC) < -60.0)


@pytest.mark.parametrize(
    "shape",
    [
        (TINY_SPEC.total_frames, TINY_SPEC.total_bins),  # no batch axis
        (1, TINY_SPEC.n_frames, TINY_SPEC.n_bins),  # model grid, not the full grid
        (1, TINY_SPEC.total_frames + 1, TINY_SPEC.total_bins),
    ],
)
def test_wrong_shapes_are_rejected(shape: tuple[int, ...]) -> None:
    with pytest.raises(ParameterError, match="full_magnitude"):
        phase.reconstruct(np.ones(shape, np.float32), spec=TINY_SPEC)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"method": "vocoder"}, "phase method must be one of"),
        ({"n_iter": -1}, "n_iter"),
        ({"n_iter": 2.5}, "n_iter"),
    ],
)
def test_bad_options_are_rejected(kwargs: dict, fragment: str) -> None:
    S = np.ones((1, TINY_SPEC.total_frames, TINY_SPEC.total_bins), np.float32)
    with pytest.raises(ParameterError, match=fragment):
        phase.reconstruct(S, spec=TINY_SPEC, **kwargs)


@pytest.mark.parametrize(("value", "fragment"), [(-1.0, "negative"), (np.nan, "NaN")])
def test_bad_magnitudes_are_rejected(value: float, fragment: str) -> None:
    S = np.ones((1, TINY_SPEC.total_frames, TINY_SPEC.total_bins), np.float32)
    S[0, 3, 4] = value
    with pytest.raises(ParameterError, match=fragment):
        phase.reconstruct(S, spec=TINY_SPEC)


def test_bad_griffin_lim_arguments_are_rejected() -> None:
    S = np.ones((2, TINY_SPEC.total_frames, TINY_SPEC.total_bins), np.float32)
    with pytest.raises(ParameterError, match="momentum"):
        phase.fast_griffin_lim(S, spec=TINY_SPEC, n_iter=1, momentum=1.0)
    with pytest.raises(ParameterError, match="init_phase"):
        phase.fast_griffin_lim(S, spec=TINY_SPEC, n_iter=1, init_phase=np.zeros((3, 3)))
    with pytest.raises(ParameterError, match="SpectrogramSpec"):
        phase.fast_griffin_lim(S, spec="default", n_iter=1)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="samples"):
        phase.reconstruction_error(S, np.zeros((3, 10)), spec=TINY_SPEC)
