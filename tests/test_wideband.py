"""Wideband: the spec ladder, sizes that follow the spec, the rate chosen from the data."""

from __future__ import annotations

import pytest

from conftest import tone_stack, upsampled, write_wav
from mockingbot.errors import ParameterError
from mockingbot.spec import LADDER, PRESETS, SpectrogramSpec, ladder_preset
from mockingbot.trainer.config import base_frames_for, resolve_config

RUNGS = [rate for rate, _ in LADDER]


# ---------------------------------------------------------------------------- the ladder
def test_default_spec_is_unchanged() -> None:
    """The shipped model's metadata depends on these exact numbers."""
    assert PRESETS["default"] == SpectrogramSpec(
        sr=8000, n_fft=256, win_length=256, hop_length=64, clip_samples=16384,
        n_frames=256, n_bins=128,
    )  # fmt: skip
    assert ladder_preset(8000) == "default"


@pytest.mark.parametrize("rate", RUNGS)
def test_every_rung_keeps_redundancy_4_and_a_whole_call(rate: int) -> None:
    spec = PRESETS[ladder_preset(rate)]
    assert spec.sr == rate
    assert spec.n_fft // spec.hop_length == 4 and spec.win_length == spec.n_fft
    assert 2.0 <= spec.duration_s <= 2.3
    assert spec.n_frames * spec.hop_length <= spec.clip_samples
    assert spec.n_bins == spec.n_fft // 2  # only the Nyquist bin dropped: the full band
    assert 0.023 <= spec.n_fft / spec.sr <= 0.033  # window 23–32 ms at every rung


def test_ladder_rates_rise_and_unknown_rate_is_one_clear_error() -> None:
    assert sorted(RUNGS) == RUNGS and RUNGS[0] == 8000
    with pytest.raises(ParameterError, match=r"not on the ladder.*8000, 16000"):
        ladder_preset(44100)


# ---------------------------------------------------------------------------- sizes from the spec
@pytest.mark.parametrize("rate", RUNGS)
def test_generator_base_frames_follow_the_spec(rate: int) -> None:
    cfg = resolve_config(overrides={"spec": {"preset": ladder_preset(rate)}})
    m = cfg.model
    assert m.gen_base_frames * 2 ** len(m.gen_channels) == cfg.spec.n_frames


def test_default_config_still_starts_from_8_frames() -> None:
    assert resolve_config().model.gen_base_frames == 8


def test_frames_not_base_times_power_of_two_is_one_clear_error() -> None:
    with pytest.raises(ParameterError, match=r"n_frames = 250 .* 2\^5.*224 or 256"):
        resolve_config(overrides={"spec": {"n_frames": 250}})
    assert base_frames_for(352, 5) == 11


def test_explicit_gen_base_frames_must_still_match() -> None:
    with pytest.raises(ParameterError, match=r"spec\.n_frames"):
        resolve_config(overrides={"model": {"gen_base_frames": 4}})


@pytest.mark.parametrize("rate", [16000, 22050])
def test_networks_build_at_wideband_rungs(rate: int) -> None:
    pytest.importorskip("keras")
    import numpy as np

    from mockingbot.texture import noise_shape
    from mockingbot.trainer.models import build_discriminator, build_generator

    overrides = {
        "spec": {"preset": ladder_preset(rate)},
        "model": {"gen_channels": [8, 8, 8, 8, 8], "disc_channels": [4, 4], "refine_channels": []},
    }
    cfg = resolve_config(overrides=overrides)
    gen, disc = build_generator(cfg), build_discriminator(cfg)
    T, F = cfg.spec.shape
    z = np.zeros((1, cfg.model.latent_dim), np.float32)
    x = np.asarray(gen([z, np.zeros((1, *noise_shape(T, F)), np.float32)]))
    assert x.shape == (1, T, F)
    assert np.asarray(disc(x)).shape == (1, 1)


# ---------------------------------------------------------------------------- bandwidth
def test_wideband_file_measures_wide_and_is_not_flagged() -> None:
    from mockingbot.bandwidth import effective_bandwidth, upsampled_from

    y = tone_stack(44100, 15000)
    assert 15000 <= effective_bandwidth(y, 44100) <= 15500
    assert upsampled_from(y, 44100) is None


def test_8k_file_upsampled_to_44k_measures_4k_and_is_flagged() -> None:
    from mockingbot.bandwidth import effective_bandwidth, upsampled_from

    y = upsampled(tone_stack(8000, 3900), 8000, 44100)
    assert 3500 <= effective_bandwidth(y, 44100) <= 4250
    assert upsampled_from(y, 44100) == 8000


def test_native_8k_and_16k_files_are_not_flagged() -> None:
    from mockingbot.bandwidth import upsampled_from

    assert upsampled_from(tone_stack(8000, 3900), 8000) is None
    assert upsampled_from(tone_stack(16000, 7800), 16000) is None


def test_silence_has_no_bandwidth() -> None:
    import numpy as np

    from mockingbot.bandwidth import effective_bandwidth, upsampled_from

    assert effective_bandwidth(np.zeros(4000), 44100) == 0.0
    assert upsampled_from(np.zeros(4000), 44100) is None


@pytest.mark.parametrize(
    ("sr", "bandwidth", "rate"),
    [
        (8000, 4000, 8000),
        (44100, 4000, 8000),  # upsampled 8 kHz: its real bandwidth decides
        (44100, 7000, 16000),
        (44100, 10000, 22050),
        (44100, 20000, 32000),  # capped by the ladder
        (22050, 20000, 22050),  # capped by the file's own rate
        (11025, 5000, 8000),
    ],
)
def test_reachable_rate(sr: int, bandwidth: float, rate: int) -> None:
    from mockingbot.bandwidth import reachable_rate

    assert reachable_rate(sr, bandwidth) == rate


# ---------------------------------------------------------------------------- rate choice
def _folder(root, counts: dict[str, int]):
    """A folder of ``counts[kind]`` files of each kind: wide44 (harmonics to 15 kHz at
    44.1 kHz), up44 (8 kHz upsampled to 44.1 kHz), n8, n16, n22 (native at that rate)."""
    makers = {
        "wide44": lambda s: (tone_stack(44100, 15000, seed=s), 44100),
        "up44": lambda s: (upsampled(tone_stack(8000, 3900, seed=s), 8000, 44100), 44100),
        "n8": lambda s: (tone_stack(8000, 3900, seed=s), 8000),
        "n16": lambda s: (tone_stack(16000, 7800, seed=s), 16000),
        "n22": lambda s: (tone_stack(22050, 10500, seed=s), 22050),
    }
    for kind, n in counts.items():
        for i in range(n):
            y, sr = makers[kind](i)
            write_wav(root / kind / f"{i}.wav", y, sr)
    return root


@pytest.mark.parametrize(
    ("counts", "rate", "reached"),
    [
        ({"wide44": 3, "n8": 2}, 32000, 3),
        ({"wide44": 2, "n8": 3}, 8000, 5),
        ({"wide44": 1, "n16": 2, "n8": 2}, 16000, 3),  # most files reach 16 kHz, not 32
        ({"wide44": 1, "n22": 2, "n8": 1}, 22050, 3),
        ({"up44": 4, "wide44": 1}, 8000, 5),  # upsampled files do not fool it
    ],
)
def test_rate_choice_on_mixed_folders(tmp_path, counts: dict, rate: int, reached: int) -> None:
    from mockingbot.bandwidth import choose_rate, measure_files
    from mockingbot.datascan import scan_audio_files

    files = measure_files(scan_audio_files(_folder(tmp_path, counts)))
    choice = choose_rate(files)
    assert (choice.rate, choice.reached, choice.files) == (rate, reached, sum(counts.values()))
    assert choice.upsampled == counts.get("up44", 0)


def test_auto_spec_takes_the_data_rate_and_says_why() -> None:
    asked = []

    def data_rate() -> tuple[int, str]:
        asked.append(1)
        return 22050, "from the data: 3 of 4 files reach 22.05 kHz"

    cfg = resolve_config(data_rate=data_rate)
    assert cfg.spec == PRESETS["22k"] and cfg.data.rate_choice.startswith("from the data")
    assert cfg.model.gen_base_frames == 11


def test_explicit_spec_is_not_measured_and_overrides_the_data() -> None:
    def data_rate() -> tuple[int, str]:
        raise AssertionError("an explicit spec must not decode the data set")

    assert resolve_config(preset="seed-2022", data_rate=data_rate).spec == PRESETS["seed-2022"]
    cfg = resolve_config(overrides={"spec": {"sr": 16000}}, data_rate=data_rate)
    assert cfg.spec == PRESETS["16k"] and cfg.data.rate_choice == ""
    assert resolve_config().spec == PRESETS["default"]  # no data at hand: the 8 kHz default


def test_spec_sr_off_the_ladder_is_one_clear_error() -> None:
    with pytest.raises(ParameterError, match=r"\[spec\] sr: sample rate 44100 Hz is not on"):
        resolve_config(overrides={"spec": {"sr": 44100}})


def test_data_rate_of_a_folder_names_the_count(tmp_path) -> None:
    from mockingbot.cli.train import _data_rate

    rate, why = _data_rate(_folder(tmp_path, {"wide44": 2, "up44": 1}))
    assert rate == 32000
    assert why == (
        "from the data: 2 of 3 files reach 32 kHz; 1 looks upsampled (counted at their real "
        "bandwidth)"
    )


def test_sample_rate_off_the_ladder_exits_2(tmp_path) -> None:
    pytest.importorskip("tensorflow")
    from typer.testing import CliRunner

    from mockingbot.cli.main import app

    data = _folder(tmp_path / "data", {"n8": 1})
    r = CliRunner().invoke(
        app, ["train", str(data), "-o", str(tmp_path / "run"), "--sample-rate", "44100"]
    )
    assert r.exit_code == 2
    assert "--sample-rate: sample rate 44100 Hz is not on the ladder" in r.output
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------------------- dataset inspect
def test_inspect_reports_bandwidth_and_flags_the_upsampled_file(tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from mockingbot.cli.main import app

    folder = _folder(tmp_path, {"wide44": 2, "up44": 1})
    r = CliRunner().invoke(app, ["dataset", "inspect", str(folder), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)["bandwidth"]
    by_path = {f["path"]: f for f in report["files"]}
    assert by_path["up44/0.wav"]["upsampled_from"] == 8000
    assert by_path["up44/0.wav"]["bandwidth_hz"] <= 4250
    assert by_path["wide44/0.wav"]["upsampled_from"] is None
    assert by_path["wide44/0.wav"]["bandwidth_hz"] >= 15000
    assert report["train_rate"] == 32000

    r = CliRunner().invoke(app, ["dataset", "inspect", str(folder)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    line = next(ln for ln in r.stdout.splitlines() if "up44/0.wav" in ln)
    assert "4.00 kHz" in line and "upsampled from 8 kHz?" in line
    assert "mbot train would train at 32000 Hz: 2 of 3 files reach 32 kHz" in r.stdout


def test_max_hz_is_the_band_the_model_covers() -> None:
    assert PRESETS["default"].max_hz == 4000.0
    assert PRESETS["22k"].max_hz == 11025.0
    assert PRESETS["seed-2022"].max_hz == 4000.0


def test_info_shows_rate_and_bandwidth(tiny_model) -> None:
    from typer.testing import CliRunner

    from mockingbot.cli.main import app

    r = CliRunner().invoke(app, ["info", str(tiny_model)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "8000 Hz (spectrogram up to 4.0 kHz)" in r.output
