"""Audio decoding: the format matrix, channels, resampling, and every rejection reason.

The format matrix writes ONE synthetic call (conftest.synth_meow, 1 s at 8 kHz) in each
container/sub-format with soundfile and checks that ``load_audio`` gives back the same signal
within a tolerance that fits the codec (see :data:`TOLERANCES`, values measured with
libsndfile 1.2.2 and given a margin):

- ``hi``: 24/32-bit PCM, float, double, ALAC — waveform SNR ≥ 100 dB (measured ≥ 109 dB).
- ``pcm16``: 16-bit PCM, FLAC 16 — SNR ≥ 80 dB (16-bit quantisation gives 85 dB here).
- ``8bit``: 8-bit PCM (signed or unsigned), µ-law, A-law — SNR ≥ 33 dB (measured 37 dB).
- ``adpcm``: IMA/MS/NMS ADPCM, G.72x — 2–5 bit waveform coders: correlation ≥ 0.92 and
  spectral convergence ≤ -8 dB (measured 0.94 / -10 dB at worst).
- ``gsm``: GSM 6.10 (a 13 kbit/s speech codec) — correlation ≥ 0.97, convergence ≤ -14 dB
  (measured 0.986 / -17.7 dB).
- ``perceptual``: Vorbis, Opus, MP3 — they keep the spectrum, not the waveform: after aligning
  by cross-correlation (±25 ms) spectral convergence ≤ -18 dB (measured -24.6 dB at worst).

A wrong signal (another pitch, silence, a shifted copy) fails every one of these checks.
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import TINY_SPEC, synth_meow
from mockingbot import audio
from mockingbot.audio import REASONS, AudioInfo, load_audio, probe, read_audio
from mockingbot.audioformat import sniff_audio
from mockingbot.clips import remove_dc
from mockingbot.errors import AudioLoadError, MockingBotError
from mockingbot.spectral import spectral_convergence

SR = 8000
_MAX_LAG_S = 0.025

TOLERANCES = {
    "hi": {"snr_db": 100.0},
    "pcm16": {"snr_db": 80.0},
    "8bit": {"snr_db": 33.0},
    "adpcm": {"corr": 0.92, "sc_db": -8.0},
    "gsm": {"corr": 0.97, "sc_db": -14.0},
    "perceptual": {"sc_db": -18.0, "align": True},
}

# (container, subtype, extension, tolerance class). The list first, then the other
# encodings this libsndfile writes, so a regression in any of them shows up.
MATRIX = [
    ("WAV", "PCM_U8", "wav", "8bit"),
    ("WAV", "PCM_16", "wav", "pcm16"),
    ("WAV", "PCM_24", "wav", "hi"),
    ("WAV", "PCM_32", "wav", "hi"),
    ("WAV", "FLOAT", "wav", "hi"),
    ("WAV", "DOUBLE", "wav", "hi"),
    ("WAV", "ALAW", "wav", "8bit"),
    ("WAV", "ULAW", "wav", "8bit"),
    ("WAV", "IMA_ADPCM", "wav", "adpcm"),
    ("WAV", "MS_ADPCM", "wav", "adpcm"),
    ("WAV", "GSM610", "wav", "gsm"),
    ("WAVEX", "PCM_16", "wav", "pcm16"),
    ("WAVEX", "PCM_24", "wav", "hi"),
    ("WAVEX", "FLOAT", "wav", "hi"),
    ("WAVEX", "ULAW", "wav", "8bit"),
    ("FLAC", "PCM_16", "flac", "pcm16"),
    ("FLAC", "PCM_24", "flac", "hi"),
    ("FLAC", "PCM_S8", "flac", "8bit"),
    ("OGG", "VORBIS", "ogg", "perceptual"),
    ("AIFF", "PCM_16", "aiff", "pcm16"),
    ("AIFF", "PCM_24", "aiff", "hi"),
    ("AIFF", "PCM_S8", "aiff", "8bit"),
    ("AIFF", "FLOAT", "aifc", "hi"),
    ("AIFF", "ULAW", "aifc", "8bit"),
    ("AIFF", "IMA_ADPCM", "aifc", "adpcm"),
    ("AIFF", "GSM610", "aifc", "gsm"),
    ("MP3", "MPEG_LAYER_III", "mp3", "perceptual"),
    # Beyond the list:
    ("WAV", "G721_32", "wav", "adpcm"),
    ("WAV", "NMS_ADPCM_32", "wav", "adpcm"),
    ("OGG", "OPUS", "opus", "perceptual"),
    ("W64", "PCM_16", "w64", "pcm16"),
    ("RF64", "FLOAT", "wav", "hi"),
    ("CAF", "ALAC_16", "caf", "pcm16"),
    ("AU", "PCM_16", "au", "pcm16"),
]

#: Formats the issue requires; the others are skipped if this libsndfile lacks them.
REQUIRED = {"WAV", "WAVEX", "FLAC", "OGG", "AIFF"}


@pytest.fixture(scope="module")
def meow() -> np.ndarray:
    return synth_meow(sr=SR, seconds=1.0)


def _snr_db(ref: np.ndarray, est: np.ndarray) -> float:
    err = np.sum((est - ref) ** 2, dtype=np.float64)
    return float("inf") if err == 0 else float(10 * np.log10(np.sum(ref**2) / err))


def _align(est: np.ndarray, ref: np.ndarray, max_lag: int) -> np.ndarray:
    """Shift ``est`` by the lag (|lag| ≤ max_lag) that best matches ``ref``."""
    n = 2 * max(est.size, ref.size)
    xc = np.fft.irfft(np.fft.rfft(est, n) * np.conj(np.fft.rfft(ref, n)), n)
    lags = np.r_[np.arange(max_lag + 1), np.arange(-max_lag, 0)]
    lag = int(lags[np.argmax(np.r_[xc[: max_lag + 1], xc[-max_lag:]])])
    return est[lag:] if lag >= 0 else np.pad(est, (-lag, 0))


def _assert_same_signal(got: np.ndarray, ref: np.ndarray, tolerance: str) -> None:
    tol = TOLERANCES[tolerance]
    assert got.dtype == np.float32 and got.ndim == 1
    # Block codecs pad the end to a whole block (GSM: 320 samples); none may lose samples.
    assert ref.size <= got.size <= ref.size + 0.05 * SR, got.size
    if tol.get("align"):
        got = _align(got, ref, int(_MAX_LAG_S * SR))
    got = np.pad(got, (0, max(0, ref.size - got.size)))[: ref.size]
    if "snr_db" in tol:
        assert _snr_db(ref, got) >= tol["snr_db"]
    if "corr" in tol:
        assert np.corrcoef(ref, got)[0, 1] >= tol["corr"]
    if "sc_db" in tol:
        S_ref = np.abs(TINY_SPEC.stft(ref))
        S_got = np.abs(TINY_SPEC.stft(got))
        assert float(spectral_convergence(S_ref, S_got)) <= tol["sc_db"]


# ---------------------------------------------------------------------------- format matrix
@pytest.mark.parametrize(
    ("fmt", "subtype", "ext", "tolerance"),
    MATRIX,
    ids=[f"{f}-{s}" for f, s, _, _ in MATRIX],
)
def test_every_format_loads_to_the_same_signal(
    tmp_path: Path, meow: np.ndarray, fmt: str, subtype: str, ext: str, tolerance: str
) -> None:
    if not sf.check_format(fmt, subtype):
        if fmt in REQUIRED:
            pytest.fail(f"libsndfile {sf.__libsndfile_version__} cannot write {fmt}/{subtype}")
        pytest.skip(f"libsndfile {sf.__libsndfile_version__} lacks {fmt}/{subtype}")
    path = tmp_path / f"meow.{ext}"
    sf.write(path, meow, SR, format=fmt, subtype=subtype)

    info = probe(path)
    assert (info.format, info.subtype) == (fmt, subtype)
    assert (info.samplerate, info.channels) == (SR, 1)

    loaded = read_audio(path, sr=SR)
    assert loaded.info == info
    _assert_same_signal(loaded.y, remove_dc(meow), tolerance)
    assert abs(float(loaded.y.mean())) < 1e-6  # DC removed


def test_wavex_files_really_use_wave_format_extensible(tmp_path: Path, meow: np.ndarray) -> None:
    path = tmp_path / "x.wav"
    sf.write(path, meow, SR, format="WAVEX", subtype="PCM_16")
    data = path.read_bytes()
    fmt_at = data.index(b"fmt ") + 8
    assert struct.unpack_from("<H", data, fmt_at)[0] == 0xFFFE
    _assert_same_signal(load_audio(path, sr=SR), remove_dc(meow), "pcm16")


def _chunk(tag: bytes, payload: bytes) -> bytes:
    pad = b"\0" if len(payload) % 2 else b""
    return tag + struct.pack("<I", len(payload)) + payload + pad


def _splice_chunks(wav: bytes, before_data: list[bytes], after_data: list[bytes]) -> bytes:
    """Insert chunks before the 'data' chunk and after it, then fix the RIFF size."""
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    data_at = wav.index(b"data")
    data_size = struct.unpack_from("<I", wav, data_at + 4)[0]
    data_end = data_at + 8 + data_size + (data_size % 2)
    body = wav[12:data_at] + b"".join(before_data) + wav[data_at:data_end] + b"".join(after_data)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def test_wav_with_pad_list_smpl_cue_and_odd_chunks_loads_like_the_plain_file(
    tmp_path: Path, meow: np.ndarray
) -> None:
    plain = tmp_path / "plain.wav"
    sf.write(plain, meow, SR, subtype="PCM_16")
    info_list = b"INFO" + _chunk(b"INAM", b"meow\0") + _chunk(b"ISFT", b"mbot test\0")
    smpl = struct.pack("<9I", 0, 0, 125000, 60, 0, 0, 0, 1, 0) + struct.pack(
        "<6I", 0, 0, 100, 7000, 0, 0
    )
    cue = struct.pack("<I", 2) + b"".join(
        struct.pack("<II4sIII", i, pos, b"data", 0, 0, pos) for i, pos in ((1, 0), (2, 4000))
    )
    fancy = tmp_path / "fancy.wav"
    fancy.write_bytes(
        _splice_chunks(
            plain.read_bytes(),
            before_data=[
                _chunk(b"PAD ", b"\0" * 100),
                _chunk(b"LIST", info_list),
                _chunk(b"smpl", smpl),
                _chunk(b"cue ", cue),
                _chunk(b"junk", b"odd"),  # odd size: followed by a pad byte
            ],
            after_data=[_chunk(b"LIST", info_list), _chunk(b"id3 ", b"\0" * 10)],
        )
    )
    assert fancy.stat().st_size > plain.stat().st_size + 200
    np.testing.assert_array_equal(load_audio(fancy, sr=SR), load_audio(plain, sr=SR))
    assert probe(fancy).frames == meow.size


# ---------------------------------------------------------------------------- channels
@pytest.mark.parametrize(
    ("fmt", "subtype", "ext", "tolerance"),
    [
        ("WAV", "PCM_16", "wav", "pcm16"),
        ("WAVEX", "FLOAT", "wav", "hi"),
        ("FLAC", "PCM_24", "flac", "hi"),
        ("OGG", "VORBIS", "ogg", "perceptual"),
    ],
)
def test_stereo_with_identical_channels_loads_as_the_mono_signal(
    tmp_path: Path, meow: np.ndarray, fmt: str, subtype: str, ext: str, tolerance: str
) -> None:
    path = tmp_path / f"stereo.{ext}"
    sf.write(path, np.stack([meow, meow], axis=1), SR, format=fmt, subtype=subtype)
    assert probe(path).channels == 2
    _assert_same_signal(load_audio(path, sr=SR), remove_dc(meow), tolerance)


def test_channels_are_averaged(tmp_path: Path, meow: np.ndarray) -> None:
    weights = np.array([1.0, 0.0, 0.5, -0.25, 2.0, 0.75], dtype=np.float32)
    path = tmp_path / "surround.wav"
    sf.write(path, meow[:, None] * weights[None, :] * 0.4, SR, format="WAVEX", subtype="FLOAT")
    info = probe(path)
    assert (info.format, info.channels) == ("WAVEX", 6)
    expected = remove_dc(meow * np.float32(weights.mean() * 0.4))
    np.testing.assert_allclose(load_audio(path, sr=SR), expected, atol=1e-6)


def test_peak_is_measured_over_all_channels_before_mixing(tmp_path: Path) -> None:
    y = np.zeros((SR, 2), dtype=np.float32)
    y[:, 0] = 0.5 * np.sin(2 * np.pi * 300 * np.arange(SR) / SR)
    path = tmp_path / "left.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    loaded = read_audio(path, sr=SR)
    assert loaded.peak_dbfs == pytest.approx(20 * np.log10(0.5), abs=0.01)
    assert np.max(np.abs(loaded.y)) == pytest.approx(0.25, abs=1e-3)


# ---------------------------------------------------------------------------- resampling
def _tone_call(sr: int, seconds: float = 1.0) -> np.ndarray:
    """A noiseless harmonic call (partials at 400..2800 Hz, inside every rate's passband)."""
    t = np.arange(round(sr * seconds)) / sr
    env = np.sin(np.pi * t / seconds) ** 2
    y = sum((0.5 / k) * np.sin(2 * np.pi * 400 * k * t) for k in range(1, 8))
    return (0.6 * env * y).astype(np.float32)


@pytest.mark.parametrize(("file_sr", "sr"), [(44100, 8000), (48000, 16000), (8000, 22050)])
def test_other_sample_rates_are_resampled_to_the_requested_rate(
    tmp_path: Path, file_sr: int, sr: int
) -> None:
    path = tmp_path / f"call_{file_sr}.wav"
    sf.write(path, _tone_call(file_sr), file_sr, subtype="FLOAT")
    got = load_audio(path, sr=sr)
    ref = remove_dc(_tone_call(sr))
    assert abs(got.size - ref.size) <= 1
    n = min(got.size, ref.size)
    assert _snr_db(ref[:n], got[:n]) >= 40.0


def test_resampling_removes_content_above_the_new_nyquist(tmp_path: Path) -> None:
    file_sr, sr = 44100, 8000
    t = np.arange(file_sr) / file_sr
    low = 0.3 * np.sin(2 * np.pi * 1000 * t)
    high = 0.3 * np.sin(2 * np.pi * 6000 * t)  # would alias to 2000 Hz at 8 kHz
    path = tmp_path / "mix.wav"
    sf.write(path, (low + high).astype(np.float32), file_sr, subtype="FLOAT")
    got = load_audio(path, sr=sr)
    spectrum = np.abs(np.fft.rfft(got[sr // 4 : 3 * sr // 4]))
    freqs = np.fft.rfftfreq(sr // 2, 1 / sr)
    at = {f: spectrum[np.argmin(np.abs(freqs - f))] for f in (1000, 2000)}
    assert 20 * np.log10(at[1000] / at[2000]) > 80


def test_streamed_blocks_give_the_same_result_as_one_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "long.wav"
    sf.write(path, np.tile(_tone_call(44100), 3), 44100, subtype="PCM_24")
    whole = load_audio(path, sr=SR)
    monkeypatch.setattr(audio, "BLOCK_SAMPLES", 1000)
    blocks = load_audio(path, sr=SR)
    assert blocks.size == whole.size
    np.testing.assert_allclose(blocks, whole, atol=1e-5)


def test_files_longer_than_the_cap_are_truncated_and_flagged(
    tmp_path: Path, meow: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "long.wav"
    sf.write(path, meow, SR, subtype="PCM_16")
    assert read_audio(path, sr=SR).truncated is False
    monkeypatch.setattr(audio, "MAX_DURATION_S", 0.5)
    loaded = read_audio(path, sr=SR)
    assert loaded.truncated is True
    assert loaded.y.size == SR // 2


# ---------------------------------------------------------------------------- probe
def test_probe_reports_header_facts(tmp_path: Path, meow: np.ndarray) -> None:
    path = tmp_path / "a.flac"
    sf.write(path, np.stack([meow, meow], 1), 16000, subtype="PCM_24")
    info = probe(path)
    assert isinstance(info, AudioInfo)
    assert (info.format, info.subtype, info.samplerate, info.channels, info.frames) == (
        "FLAC",
        "PCM_24",
        16000,
        2,
        meow.size,
    )
    assert info.duration_s == pytest.approx(meow.size / 16000)
    assert "FLAC" in info.format_info and "24" in info.subtype_info
    assert info.to_dict()["duration_s"] == pytest.approx(info.duration_s)


def test_probe_does_not_decode_so_a_nan_file_still_probes(tmp_path: Path) -> None:
    path = tmp_path / "nan.wav"
    sf.write(path, np.full(SR, np.nan, dtype=np.float32), SR, subtype="FLOAT")
    assert probe(path).frames == SR
    with pytest.raises(AudioLoadError) as err:
        load_audio(path, sr=SR)
    assert err.value.reason == "non-finite"


# ---------------------------------------------------------------------------- rejections
def _reason(path: Path, **kwargs) -> str:
    with pytest.raises(AudioLoadError) as err:
        load_audio(path, sr=SR, **kwargs)
    assert isinstance(err.value, MockingBotError)
    assert err.value.path == str(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert err.value.reason in REASONS
    return err.value.reason


def test_zero_byte_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "zero.wav"
    path.write_bytes(b"")
    assert _reason(path) == "empty"


def test_header_without_frames_is_empty(tmp_path: Path, meow: np.ndarray) -> None:
    path = tmp_path / "hdr.wav"
    sf.write(path, meow, SR, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:44])
    assert probe(path).frames == 0
    assert _reason(path) == "empty"


def test_renamed_text_file_is_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("these are my meow recording notes\n" * 20)
    assert _reason(path) == "not audio"
    assert not sniff_audio(path)


def test_damaged_wav_is_unreadable_not_not_audio(tmp_path: Path, rng) -> None:
    path = tmp_path / "damaged.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 4000) + b"WAVE" + rng.bytes(4000))
    assert sniff_audio(path)
    assert _reason(path) == "unreadable"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_float_samples_are_rejected(tmp_path: Path, meow: np.ndarray, bad) -> None:
    y = meow.copy()
    y[100] = bad
    path = tmp_path / "bad.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    assert _reason(path) == "non-finite"


def test_all_zero_audio_is_silent(tmp_path: Path) -> None:
    path = tmp_path / "zeros.wav"
    sf.write(path, np.zeros(SR, dtype=np.float32), SR, subtype="PCM_16")
    assert _reason(path) == "silent"


def test_pure_dc_offset_is_silent(tmp_path: Path) -> None:
    path = tmp_path / "dc.wav"
    sf.write(path, np.full(SR, 0.3, dtype=np.float32), SR, subtype="FLOAT")
    assert _reason(path) == "silent"


def test_quiet_but_real_audio_is_not_silent(tmp_path: Path, meow: np.ndarray) -> None:
    path = tmp_path / "quiet.wav"
    sf.write(path, meow * 10 ** (-50 / 20), SR, subtype="PCM_24")
    assert read_audio(path, sr=SR).peak_dbfs < -45


def test_very_short_file_is_too_short(tmp_path: Path, meow: np.ndarray) -> None:
    path = tmp_path / "blip.wav"
    sf.write(path, meow[: int(0.05 * SR)] + 0.1, SR, subtype="PCM_16")
    assert _reason(path) == "too short"
    assert load_audio(path, sr=SR, min_duration_s=0.01).size == int(0.05 * SR)


def test_missing_file_and_folder_are_unreadable(tmp_path: Path) -> None:
    assert _reason(tmp_path / "nope.wav") == "unreadable"
    assert _reason(tmp_path) == "unreadable"


def test_lying_sample_rate_is_unreadable(tmp_path: Path, meow: np.ndarray) -> None:
    path = tmp_path / "fast.wav"
    sf.write(path, meow, SR, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    fmt_at = data.index(b"fmt ") + 8
    struct.pack_into("<I", data, fmt_at + 4, 50_000_000)
    path.write_bytes(bytes(data))
    assert _reason(path) == "unreadable"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_unpermitted_file_is_unreadable(tmp_path: Path, meow: np.ndarray) -> None:
    path = tmp_path / "secret.wav"
    sf.write(path, meow, SR)
    path.chmod(0)
    try:
        assert _reason(path) == "unreadable"
    finally:
        path.chmod(0o644)


def test_every_reason_is_documented() -> None:
    assert set(REASONS) == {"unreadable", "empty", "silent", "non-finite", "too short", "not audio"}
    for reason in REASONS:
        assert f"``{reason!r}``".replace("'", '"') in audio.__doc__


def test_bad_sample_rate_argument_is_a_parameter_error(tmp_path: Path) -> None:
    from mockingbot.errors import ParameterError

    with pytest.raises(ParameterError):
        load_audio(tmp_path / "x.wav", sr=0)


def test_permission_denied_is_unreadable_even_as_root(
    tmp_path: Path, meow: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "secret.wav"
    sf.write(path, meow, SR)
    real_open = open

    def sound_file(*args, **kwargs):  # libsndfile's answer to EACCES
        raise sf.LibsndfileError(2, prefix=f"Error opening {str(path)!r}: ")

    def guarded_open(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(audio.sf, "SoundFile", sound_file)
    monkeypatch.setattr(audio.os, "access", lambda p, mode: Path(p) != path)
    monkeypatch.setattr("builtins.open", guarded_open)
    with pytest.raises(AudioLoadError) as err:
        load_audio(path, sr=SR)
    assert (err.value.reason, err.value.detail) == ("unreadable", "permission denied")


# ---------------------------------------------------------------------------- hostile names
def test_a_latin1_file_name_decodes_like_any_other(tmp_path: Path, meow: np.ndarray) -> None:
    """Linux file names are bytes; a Latin-1 ``café.wav`` reads back with a surrogate."""
    raw = os.fsencode(tmp_path) + b"/caf\xe9.wav"
    with open(raw, "wb") as fh:
        sf.write(fh, meow, SR, format="WAV", subtype="PCM_16")
    path = Path(os.fsdecode(raw))
    assert "\udce9" in str(path)
    assert probe(path).frames == meow.size
    y = load_audio(path, sr=SR)
    assert y.size == meow.size and np.corrcoef(y, remove_dc(meow))[0, 1] > 0.999


def _wav_with_fmt(tmp_path: Path, meow: np.ndarray, *, channels: int, rate: int) -> Path:
    path = tmp_path / f"c{channels}-r{rate}.wav"
    sf.write(path, meow, SR, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    fmt_at = data.index(b"fmt ") + 8
    struct.pack_into("<HI", data, fmt_at + 2, channels, rate)
    path.write_bytes(bytes(data))
    return path


def test_a_0_hz_header_says_so(tmp_path: Path, meow: np.ndarray) -> None:
    path = _wav_with_fmt(tmp_path, meow, channels=1, rate=0)
    with pytest.raises(AudioLoadError) as err:
        load_audio(path, sr=SR)
    assert err.value.reason == "unreadable"
    assert err.value.detail == "the header declares a sample rate of 0 Hz"
    assert "SF_INFO" not in str(err.value)


@pytest.mark.skipif("MP3" not in sf.available_formats(), reason="libsndfile without MP3")
def test_a_damaged_mp3_is_judged_without_decoder_noise_on_stderr(
    tmp_path: Path, meow: np.ndarray, capfd: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.mp3"
    sf.write(good, meow, SR, format="MP3")
    data = good.read_bytes()
    damaged = tmp_path / "damaged.mp3"  # the second half is noise: libmpg123 resyncs, loudly
    damaged.write_bytes(data[: len(data) // 2] + np.random.default_rng(1).bytes(3000))
    garbage = tmp_path / "garbage.mp3"  # an ID3 tag, then nothing MPEG
    garbage.write_bytes(b"ID3" + bytes(7) + np.random.default_rng(0).bytes(20000))
    capfd.readouterr()
    for path in (damaged, garbage):  # usable or not: the verdict is the only output
        with contextlib.suppress(AudioLoadError):
            load_audio(path, sr=SR)
    with pytest.raises(AudioLoadError) as err:
        load_audio(garbage, sr=SR)
    assert err.value.reason == "unreadable"
    assert "regular file" not in err.value.detail  # libsndfile's "(possibly a pipe?)"
    assert capfd.readouterr().err == ""
    print("still here", file=sys.stderr)  # fd 2 works again afterwards
    assert "still here" in capfd.readouterr().err
