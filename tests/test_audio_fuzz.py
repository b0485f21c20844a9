"""Hostile bytes: whatever a file holds, the loader raises AudioLoadError or returns audio.

hypothesis feeds ``load_audio`` and ``probe`` random bytes, random bytes behind real audio
signatures, valid files truncated anywhere, WAV headers whose size/format fields lie, and valid
files with bytes overwritten. The only exception allowed to escape is
:class:`mockingbot.errors.AudioLoadError`; anything that does load must be finite float32
mono audio.
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import synth_meow
from mockingbot.audio import REASONS, load_audio, probe
from mockingbot.errors import AudioLoadError

SR = 8000
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Valid files to damage: one per codec family (PCM, ADPCM, GSM, float, FLAC, Vorbis, MP3, AIFF).
_SOURCES = [
    ("WAV", "PCM_16"),
    ("WAV", "IMA_ADPCM"),
    ("WAV", "MS_ADPCM"),
    ("WAV", "GSM610"),
    ("WAVEX", "FLOAT"),
    ("FLAC", "PCM_16"),
    ("OGG", "VORBIS"),
    ("AIFF", "PCM_16"),
    ("MP3", "MPEG_LAYER_III"),
]


def _encode(fmt: str, subtype: str, channels: int = 1) -> bytes:
    y = synth_meow(sr=SR, seconds=0.5)
    if channels > 1:
        y = np.stack([y] * channels, axis=1)
    buf = io.BytesIO()
    sf.write(buf, y, SR, format=fmt, subtype=subtype)
    return buf.getvalue()


@pytest.fixture(scope="module")
def valid_files() -> list[bytes]:
    return [_encode(f, s) for f, s in _SOURCES if sf.check_format(f, s)] + [
        _encode("WAV", "PCM_16", channels=2)
    ]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "input.wav"


def _check(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``; decoding must succeed cleanly or raise AudioLoadError."""
    path.write_bytes(data)
    try:
        probe(path)
    except AudioLoadError as exc:
        assert exc.reason in REASONS
    try:
        y = load_audio(path, sr=SR)
    except AudioLoadError as exc:
        assert exc.reason in REASONS
        assert "\n" not in str(exc)
    else:
        assert y.dtype == np.float32 and y.ndim == 1 and y.size > 0
        assert np.isfinite(y).all()


_SIGNATURES = [
    b"",
    b"RIFF\xff\xff\xff\xffWAVE",
    b"RIFF\x24\x00\x00\x00WAVEfmt ",
    b"RF64\xff\xff\xff\xffWAVEds64",
    b"FORM\x00\x00\x10\x00AIFFCOMM",
    b"FORM\x00\x00\x10\x00AIFC",
    b"fLaC",
    b"OggS\x00\x02",
    b"ID3\x03\x00\x00\x00\x00\x00\x00",
    b"\xff\xfb\x90\x64",
    b".snd",
    b"caff\x00\x01",
]


@FUZZ
@given(head=st.sampled_from(_SIGNATURES), body=st.binary(max_size=3000))
def test_random_bytes_behind_any_signature_raise_only_audio_load_error(
    target: Path, head: bytes, body: bytes
) -> None:
    _check(target, head + body)


@FUZZ
@given(data=st.data())
def test_truncated_valid_files_raise_only_audio_load_error(
    target: Path, valid_files: list[bytes], data: st.DataObject
) -> None:
    blob = data.draw(st.sampled_from(valid_files))
    cut = data.draw(st.integers(0, len(blob) - 1))
    _check(target, blob[:cut])


# Fields of a canonical 44-byte PCM WAV header: (offset, struct format).
_WAV_FIELDS = {
    "riff_size": (4, "<I"),
    "fmt_size": (16, "<I"),
    "format_tag": (20, "<H"),
    "channels": (22, "<H"),
    "sample_rate": (24, "<I"),
    "byte_rate": (28, "<I"),
    "block_align": (32, "<H"),
    "bits": (34, "<H"),
    "data_size": (40, "<I"),
}
_INTERESTING = [0, 1, 2, 3, 7, 8, 16, 24, 32, 64, 0xFF, 0xFFFE, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]


@FUZZ
@given(
    fields=st.lists(
        st.tuples(
            st.sampled_from(sorted(_WAV_FIELDS)),
            st.one_of(st.sampled_from(_INTERESTING), st.integers(0, 0xFFFFFFFF)),
        ),
        min_size=1,
        max_size=4,
    ),
    cut=st.one_of(st.none(), st.integers(44, 8044)),
)
def test_wav_headers_with_lying_fields_raise_only_audio_load_error(
    target: Path, fields: list[tuple[str, int]], cut: int | None
) -> None:
    buf = io.BytesIO()
    sf.write(buf, synth_meow(sr=SR, seconds=0.5), SR, format="WAV", subtype="PCM_16")
    data = bytearray(buf.getvalue())
    assert data[36:40] == b"data"  # canonical layout: the offsets above apply
    for name, value in fields:
        offset, fmt = _WAV_FIELDS[name]
        struct.pack_into(fmt, data, offset, value & (0xFFFF if fmt == "<H" else 0xFFFFFFFF))
    _check(target, bytes(data[:cut]))


@FUZZ
@given(data=st.data())
def test_valid_files_with_overwritten_bytes_raise_only_audio_load_error(
    target: Path, valid_files: list[bytes], data: st.DataObject
) -> None:
    blob = bytearray(data.draw(st.sampled_from(valid_files)))
    edits = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(blob) - 1), st.integers(0, 255)), min_size=1, max_size=8
        )
    )
    # Bias half the edits into the first 64 bytes, where the headers live.
    for i, (pos, value) in enumerate(edits):
        blob[pos % 64 if i % 2 == 0 else pos] = value
    _check(target, bytes(blob))


def test_the_checker_does_fail_on_foreign_exceptions(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The property above could not fail if _check swallowed everything: it does not."""
    import mockingbot.audio as audio

    def boom(*args, **kwargs):
        raise KeyError("not converted")

    monkeypatch.setattr(audio.sf, "SoundFile", boom)
    with pytest.raises(KeyError):
        _check(target, b"RIFF")


# ---------------------------------------------------------------------------- the campaign's slice
# benchmarks/fuzz_inputs.py generates issue 16's classes of hostile inputs and runs them through
# `mbot dataset inspect` by the thousand; here hypothesis draws a few of each, in process, through
# the same load_dataset the command uses. Every entry must be accounted for (usable, rejected with
# a known reason, skipped with a why, or ignored), and the good clips beside it must survive.
def _campaign():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "fuzz_inputs.py"
    spec = importlib.util.spec_from_file_location("fuzz_inputs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CAMPAIGN = _campaign()
#: Ten-minute files cost seconds each; the campaign covers them.
_SLICE_CLASSES = sorted(k for k in CAMPAIGN.CLASSES if k != "ten-minutes")


@FUZZ
@given(kind=st.sampled_from(_SLICE_CLASSES), seed=st.integers(0, 2**31))
def test_campaign_inputs_next_to_good_clips_are_all_accounted_for(
    tmp_path_factory: pytest.TempPathFactory, kind: str, seed: int
) -> None:
    from conftest import TINY_SPEC
    from mockingbot.dataset import load_dataset

    folder = tmp_path_factory.mktemp("mix")
    CAMPAIGN.write_good(folder, 2)
    CAMPAIGN.make_input(kind, folder, "hostile", seed)
    summary = load_dataset(folder, spec=TINY_SPEC).summary()
    json.dumps(summary)  # the --json report must be writable, whatever the names
    assert CAMPAIGN.account(summary, CAMPAIGN.entries(folder), good=2) == 0, summary


def test_the_campaign_counts_an_input_the_report_forgot_as_unclear(tmp_path: Path) -> None:
    """account() could hide a vanished file if it only counted what the report lists."""
    from conftest import TINY_SPEC
    from mockingbot.dataset import load_dataset

    CAMPAIGN.write_good(tmp_path, 2)
    CAMPAIGN.make_input("zero-length", tmp_path, "hostile", 0)
    summary = load_dataset(tmp_path, spec=TINY_SPEC).summary()
    assert CAMPAIGN.account(summary, CAMPAIGN.entries(tmp_path), good=2) == 0
    forgot = {**summary, "rejected_files": [], "rejected": 0}
    assert CAMPAIGN.account(forgot, CAMPAIGN.entries(tmp_path), good=2) == 1
    lost_good = {**summary, "usable": 1}
    assert CAMPAIGN.account(lost_good, CAMPAIGN.entries(tmp_path), good=2) == 2
