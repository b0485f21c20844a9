"""Sound packs: layout and manifest schema, byte-identical renders, resume, shards, mutate.

Every pack here comes from the tiny ONNX generator of conftest (0.5-s clips), so a render
takes a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import shutil
import stat
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from conftest import make_tiny_onnx
from mockingbot.defaults import DEFAULT_SIZE_RANGE, MAX_COUNT
from mockingbot.errors import ModelError, PackError, ParameterError
from mockingbot.fileio import sha256_file
from mockingbot.runtime import latents as lat
from mockingbot.runtime import pack as P
from mockingbot.runtime import pack_folder
from mockingbot.runtime import pack_format as fmt
from mockingbot.runtime import pack_settings as S
from mockingbot.runtime import render as R
from mockingbot.runtime.godot_resources import randomizer_problems, randomizer_stream_paths
from mockingbot.runtime.godot_text import parse_godot_text
from mockingbot.runtime.model import GeneratorModel
from mockingbot.runtime.mutate import mutate_sound
from mockingbot.runtime.shards import merge_shards
from mockingbot.runtime.thumbnails import THUMB_HEIGHT, THUMB_WIDTH
from mockingbot.runtime.verify import verify_pack

#: 14 sounds as 3 creatures of 5, 5 and 4 variations.
SETTINGS = S.PackSettings(count=14, creatures=3, seed=5, output_rate=16000)

MANIFEST_KEYS = [
    "format",
    "format_version",
    "name",
    "created_by",
    "model",
    "seed",
    "arguments",
    "spec",
    "sample_rate",
    "audio_format",
    "loudness_lufs",
    "attribution",
    "creatures",
    "sounds",
]
CREATURE_KEYS = [
    "id",
    "index",
    "size",
    "random_pitch",
    "random_volume_offset_db",
    "resource",
    "sounds",
]
SOUND_KEYS = [
    "id",
    "file",
    "creature",
    "variation",
    "latent_seed",
    "duration_s",
    "lufs",
    "peak_dbfs",
    "phase_sc_db",
    "sha256",
]


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative posix path → bytes)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _assert_same_tree(a: Path, b: Path) -> None:
    ta, tb = _tree(a), _tree(b)
    assert sorted(ta) == sorted(tb)
    different = [k for k in ta if ta[k] != tb[k]]
    assert not different, f"files differ: {different}"


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_onnx(tmp_path_factory.mktemp("model") / "tiny.onnx")


@pytest.fixture(scope="module")
def model(model_path: Path) -> GeneratorModel:
    return GeneratorModel.load(model_path, threads=2)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, model: GeneratorModel) -> Path:
    out = tmp_path_factory.mktemp("ref") / "pack"
    result = P.render_pack(model, out, SETTINGS)
    assert result.complete and result.rendered == 14 and result.reused == 0
    return out


def test_render_sounds_without_a_folder_gives_the_bytes_the_pack_holds(
    reference: Path, model: GeneratorModel, tmp_path: Path
) -> None:
    """The per-sound chain is public and is the pack's: same latents, same DSP, same bytes."""
    (tmp_path / "audio").mkdir()
    (tmp_path / "thumbs").mkdir()
    m = fmt.read_manifest(reference / "manifest.json")
    sizes = {c["index"]: c["size"] for c in m["creatures"]}
    items = [(0, 4), (2, 0), (2, 3)]
    sounds = list(
        R.render_sounds(model, 5, items, sizes=sizes, output_rate=16000, batch_size=2, spread=0.35)
    )
    entries = {s["id"]: s for s in m["sounds"]}
    assert [s.sound_id for s in sounds] == [
        "creature_000_v04",
        "creature_002_v00",
        "creature_002_v03",
    ]
    for sound in sounds:
        entry = entries[sound.sound_id]
        assert sound.data == (reference / entry["file"]).read_bytes()
        assert P.write_sound(tmp_path, sound)[0] == entry
    with pytest.raises(ParameterError, match="batch size"):
        R.render_sounds(model, 5, items, batch_size=0)


# ---------------------------------------------------------------------------- planning
@pytest.mark.parametrize(
    ("count", "creatures", "variations", "plan"),
    [
        (None, None, None, (10,) * 50),
        (25, None, None, (10, 10, 5)),
        (3, None, None, (3,)),
        (10, 4, None, (3, 3, 2, 2)),
        (None, 4, None, (125,) * 4),
        (None, 2, 3, (3, 3)),
        (6, 2, 3, (3, 3)),
        (7, None, 3, (3, 3, 1)),
    ],
)
def test_plan_pack_splits_the_count_into_creatures(count, creatures, variations, plan) -> None:
    got = S.plan_pack(count, creatures, variations)
    assert got == plan
    assert sum(got) == (count or sum(plan))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, None, None), "count"),
        ((-3, None, None), "count"),
        ((None, 0, None), "creatures"),
        ((None, None, -1), "variations"),
        ((5, 2, 2), "give two of the three"),
        ((2, 5, None), "cannot exceed"),
        ((MAX_COUNT + 1, None, None), "count"),
        ((1.5, None, None), "count"),
    ],
)
def test_plan_pack_refuses_impossible_counts(args, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        S.plan_pack(*args)


def test_shards_partition_the_creatures_contiguously() -> None:
    for k in (1, 3, 7, 50):
        for n in range(1, k + 1):
            parts = [S.shard_creatures(k, (i, n)) for i in range(1, n + 1)]
            assert [c for part in parts for c in part] == list(range(k))
            assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert S.parse_shard("2/4") == (2, 4)
    assert S.parse_shard(" 1 / 1 ") == (1, 1)
    assert S.parse_shard(None) is None
    for bad in ("3/2", "0/2", "x", "1/0", "-1/2", "2"):
        with pytest.raises(ParameterError, match="shard"):
            S.parse_shard(bad)
    with pytest.raises(ParameterError, match="at most 3 shards"):
        S.shard_creatures(3, (1, 4))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"audio_format": "mp3"}, "audio format must be one of wav, ogg"),
        ({"output_rate": 100}, "sample rate"),
        ({"output_rate": "fast"}, "sample rate"),
        ({"loudness_lufs": 3.0}, "loudness"),
        ({"loudness_lufs": float("nan")}, "loudness"),
        ({"spread": 1.5}, "spread"),
        ({"seed": -1}, "seed"),
        ({"name": "a/b"}, "folder name"),
        ({"count": 0}, "count"),
        ({"size_range": (2.0, 1.0)}, "MIN must not exceed MAX"),
        ({"size_range": (0.1, 1.0)}, "between 0.25 and 4"),
        ({"size_range": (1.0, 8.0)}, "between 0.25 and 4"),
        ({"size_range": "1:1"}, "two"),
    ],
)
def test_settings_refuse_bad_values(changes: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        S.PackSettings(**{"count": 4, **changes})


def test_the_default_size_range_leaves_the_arguments_record_as_it_was() -> None:
    # Exactly the record packs had before --size-range existed: their bytes must not change.
    assert SETTINGS.arguments() == {
        "name": "",
        "count": 14,
        "creatures": 3,
        "variations": None,
        "seed": 5,
        "spread": 0.35,
        "sample_rate": 16000,
        "format": "wav",
        "loudness": -18.0,
    }
    assert S.PackSettings(size_range=(0.75, 1.4)) == S.PackSettings()


def test_a_size_range_is_recorded_and_read_back_and_an_old_manifest_means_the_default() -> None:
    natural = S.PackSettings(count=4, size_range=[1, 1])  # as JSON gives it back
    assert natural.size_range == (1.0, 1.0)
    args = natural.arguments()
    assert list(args)[-1] == "size_range" and args["size_range"] == [1.0, 1.0]
    assert S.PackSettings.from_arguments(json.loads(json.dumps(args))) == natural
    old = SETTINGS.arguments()
    assert "size_range" not in old
    assert S.PackSettings.from_arguments(old).size_range == DEFAULT_SIZE_RANGE


def test_parse_size_range_reads_min_colon_max() -> None:
    assert S.parse_size_range("1:1") == (1.0, 1.0)
    assert S.parse_size_range(" 0.5 : 2 ") == (0.5, 2.0)
    assert S.parse_size_range(None) == DEFAULT_SIZE_RANGE
    for bad, message in [
        ("2:1", "MIN must not exceed MAX"),
        ("0:1", "between 0.25 and 4"),
        ("abc", "MIN:MAX"),
        ("1", "MIN:MAX"),
        ("1:2:3", "MIN:MAX"),
        ("", "MIN:MAX"),
        ("nan:1", "between 0.25 and 4"),
    ]:
        with pytest.raises(ParameterError, match=message):
            S.parse_size_range(bad)


# ---------------------------------------------------------------------------- structure
def test_pack_layout_and_manifest_schema(reference: Path, model: GeneratorModel) -> None:
    names = {p.relative_to(reference).as_posix() for p in reference.rglob("*") if p.is_file()}
    sounds = [f"creature_{c:03d}_v{v:02d}" for c, n in enumerate((5, 5, 4)) for v in range(n)]
    expected = {
        "manifest.json",
        "index.html",
        "contact_sheet.png",
        "ATTRIBUTION.txt",
        "creature_000.tres",
        "creature_001.tres",
        "creature_002.tres",
        *(f"audio/{s}.wav" for s in sounds),
        *(f"thumbs/{s}.png" for s in sounds),
    }
    assert names == expected  # no journal, no temporary files, nothing else

    m = json.loads((reference / "manifest.json").read_text())
    assert list(m) == MANIFEST_KEYS
    assert (m["format"], m["format_version"]) == ("mockingbot-pack", 1)
    assert m["name"] == "tiny" and m["created_by"].startswith("mockingbot ")
    assert m["model"] == {
        "name": "tiny",
        "sha256": model.sha256,
        "content_hash": "",
        "preset": "default",
        "training_steps": 1,
    }
    assert m["seed"] == 5 and m["sample_rate"] == 16000 and m["audio_format"] == "wav"
    assert m["arguments"] == {**SETTINGS.arguments(), "name": "tiny"}
    assert m["spec"] == model.spec.to_dict()
    assert m["loudness_lufs"] == -18.0
    assert "synthetic" in m["attribution"] and "CC0" in m["attribution"]
    assert [c["id"] for c in m["creatures"]] == ["creature_000", "creature_001", "creature_002"]
    for i, c in enumerate(m["creatures"]):
        assert list(c) == CREATURE_KEYS
        traits = lat.creature_traits(5, i)
        assert c["index"] == i and c["resource"] == f"creature_{i:03d}.tres"
        assert (c["size"], c["random_pitch"]) == (traits.size, traits.random_pitch)
    assert [s["id"] for s in m["sounds"]] == sounds
    for s in m["sounds"]:
        assert list(s) == SOUND_KEYS
        c, v = int(s["id"][9:12]), int(s["id"][-2:])
        assert s["creature"] == f"creature_{c:03d}" and s["variation"] == v
        assert s["latent_seed"] == lat.latent_seed(5, c, v)
        info = sf.info(reference / s["file"])
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        assert s["duration_s"] == pytest.approx(info.frames / 16000, abs=1e-6)
        size = m["creatures"][c]["size"]  # a larger creature is slower, hence longer
        assert 0 < s["duration_s"] <= model.spec.duration_s * size + 0.01
        assert s["peak_dbfs"] <= -0.9
        assert -60.0 < s["phase_sc_db"] < 0.0


def test_every_file_matches_the_manifest_and_every_tres_resolves(reference: Path) -> None:
    assert verify_pack(reference) == []
    m = fmt.read_manifest(reference / "manifest.json")
    for c in m["creatures"]:
        text = (reference / c["resource"]).read_text()
        assert randomizer_problems(text, folder=reference) == []
        paths = randomizer_stream_paths(parse_godot_text(text))
        assert paths == [f"audio/{sid}.wav" for sid in c["sounds"]]
        assert f"random_pitch = {c['random_pitch']}" in text
    for s in m["sounds"]:
        img = Image.open(reference / "thumbs" / f"{s['id']}.png")
        assert img.size == (THUMB_WIDTH, THUMB_HEIGHT)


def test_verify_pack_notices_a_changed_file(reference: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(reference, copy)
    (copy / "audio" / "creature_001_v02.wav").write_bytes(b"RIFF")
    (copy / "creature_002.tres").unlink()
    problems = verify_pack(copy)
    assert any("creature_001_v02.wav does not match" in p for p in problems)
    assert any("creature_002.tres is missing" in p for p in problems)


def test_index_html_is_self_contained_and_lists_every_sound(reference: Path) -> None:
    html = (reference / "index.html").read_text()
    m = fmt.read_manifest(reference / "manifest.json")
    for s in m["sounds"]:
        assert f'src="{s["file"]}"' in html
        assert f'src="thumbs/{s["id"]}.png"' in html
    for c in m["creatures"]:
        assert f'<section class="creature" id="{c["id"]}">' in html
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "synthetic test data" in html
    attribution = (reference / "ATTRIBUTION.txt").read_text()
    assert "synthetic test data" in attribution and "CC0" in attribution
    sheet = Image.open(reference / "contact_sheet.png")
    assert sheet.height >= 3 * THUMB_HEIGHT and sheet.width >= 5 * THUMB_WIDTH


def test_pack_files_get_normal_permissions_not_private_temp_ones(reference: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    for name in ("manifest.json", "audio/creature_000_v00.wav", "creature_000.tres"):
        mode = stat.S_IMODE((reference / name).stat().st_mode)
        assert mode == 0o666 & ~umask


# ---------------------------------------------------------------------------- determinism
def test_two_renders_are_byte_identical_whatever_batch_size_and_threads(
    reference: Path, model_path: Path, tmp_path: Path
) -> None:
    one_thread = GeneratorModel.load(model_path, threads=1)
    P.render_pack(one_thread, tmp_path / "again", SETTINGS, batch_size=3)
    _assert_same_tree(reference, tmp_path / "again")


def test_a_different_seed_gives_different_sounds(model: GeneratorModel, tmp_path: Path) -> None:
    a = P.render_pack(model, tmp_path / "a", S.PackSettings(count=2, seed=1))
    b = P.render_pack(model, tmp_path / "b", S.PackSettings(count=2, seed=2))
    ma, mb = (json.loads(r.manifest.read_text()) for r in (a, b))
    assert {s["sha256"] for s in ma["sounds"]}.isdisjoint(s["sha256"] for s in mb["sounds"])


def test_ogg_packs_are_reproducible_and_decode(model: GeneratorModel, tmp_path: Path) -> None:
    settings = S.PackSettings(count=3, audio_format="ogg", output_rate="native")
    P.render_pack(model, tmp_path / "a", settings)
    P.render_pack(model, tmp_path / "b", settings, batch_size=1)
    _assert_same_tree(tmp_path / "a", tmp_path / "b")
    m = fmt.read_manifest(tmp_path / "a" / "manifest.json")
    assert m["sample_rate"] == model.spec.sr and m["audio_format"] == "ogg"
    y, sr = sf.read(io.BytesIO((tmp_path / "a" / m["sounds"][0]["file"]).read_bytes()))
    assert sr == model.spec.sr and np.abs(y).max() > 0.1
    assert 'type="AudioStreamOggVorbis"' in (tmp_path / "a" / "creature_000.tres").read_text()
    assert verify_pack(tmp_path / "a") == []


# ---------------------------------------------------------------------------- never lose work
def _journal_line(entry: dict) -> str:
    return json.dumps(entry) + "\n"


def test_resume_after_a_crash_equals_an_uninterrupted_render(
    reference: Path, model: GeneratorModel, tmp_path: Path
) -> None:
    out = tmp_path / "crashed"
    shutil.copytree(reference, out)
    m = fmt.read_manifest(out / "manifest.json")
    # What a kill -9 can leave: no manifest or index files, a journal listing some finished
    # sounds with a torn last line, files not yet in the journal, a missing file the journal
    # lists, a damaged one, and a temporary file from an interrupted atomic write.
    for name in ("manifest.json", "index.html", "contact_sheet.png", "ATTRIBUTION.txt"):
        (out / name).unlink()
    for tres in out.glob("*.tres"):
        tres.unlink()
    settings = S.PackSettings(**{**SETTINGS.__dict__, "name": "tiny"})
    header = pack_folder.journal_header(settings, model, None)
    listed = m["sounds"][:9]
    journal = out / ".mbot-progress.jsonl"
    lines = [
        {"sound": s, "thumb_sha256": sha256_file(out / "thumbs" / f"{s['id']}.png")} for s in listed
    ]
    journal.write_text(
        _journal_line(header) + "".join(map(_journal_line, lines)) + '{"sound": {"id": "crea'
    )
    (out / listed[2]["file"]).unlink()
    (out / listed[4]["file"]).write_bytes(b"RIFF....garbage")
    (out / "thumbs" / f"{listed[6]['id']}.png").unlink()
    (out / "thumbs" / f"{listed[7]['id']}.png").write_bytes(b"")  # lost in a power cut
    for s in m["sounds"][11:]:
        (out / s["file"]).unlink()
    (out / "audio" / ".creature_000_v01.k3j2l1.wav.tmp").write_bytes(b"half")

    with pytest.raises(PackError, match="--resume"):
        P.render_pack(model, out, SETTINGS)
    result = P.render_pack(model, out, SETTINGS, resume=True)
    assert result.complete
    assert result.reused == 5  # 9 listed, 4 of them damaged
    assert result.rendered == 14 - 5
    _assert_same_tree(reference, out)


def test_resume_of_a_finished_pack_does_nothing_and_other_arguments_are_refused(
    reference: Path, model: GeneratorModel, tmp_path: Path
) -> None:
    out = tmp_path / "done"
    shutil.copytree(reference, out)
    result = P.render_pack(model, out, SETTINGS, resume=True)
    assert (result.rendered, result.reused, result.complete) == (0, 14, True)
    _assert_same_tree(reference, out)
    other = S.PackSettings(**{**SETTINGS.__dict__, "seed": 6})
    with pytest.raises(PackError, match="seed 5 vs 6"):
        P.render_pack(model, out, other, resume=True)
    # Resuming into a missing folder simply renders (handy for batch schedulers).
    fresh = P.render_pack(model, tmp_path / "new", SETTINGS, resume=True)
    assert fresh.rendered == 14


def test_resume_with_other_arguments_than_the_interrupted_render_is_refused(
    model: GeneratorModel, tmp_path: Path
) -> None:
    out = tmp_path / "pack"
    P.render_pack(model, out, S.PackSettings(count=2))
    (out / "manifest.json").unlink()
    settings = S.PackSettings(count=2, name="tiny")
    (out / ".mbot-progress.jsonl").write_text(
        _journal_line(pack_folder.journal_header(settings, model, None))
    )
    with pytest.raises(PackError, match="count 2 vs 3"):
        P.render_pack(model, out, S.PackSettings(count=3), resume=True)


def test_an_existing_pack_is_refused_without_resume_or_force(
    reference: Path, model: GeneratorModel, tmp_path: Path
) -> None:
    out = tmp_path / "p"
    shutil.copytree(reference, out)
    with pytest.raises(PackError, match="--force"):
        P.render_pack(model, out, SETTINGS)
    with pytest.raises(ParameterError, match="exclude each other"):
        P.render_pack(model, out, SETTINGS, resume=True, force=True)
    # --force replaces the pack, Godot's .import sidecars and stale files included.
    (out / "audio" / "creature_000_v00.wav.import").write_text("[remap]\n")
    (out / "creature_099.tres").write_text("stale")
    result = P.render_pack(model, out, S.PackSettings(count=2, seed=9), force=True)
    assert result.rendered == 2
    assert not (out / "creature_099.tres").exists()
    assert not (out / "audio" / "creature_000_v00.wav.import").exists()
    assert sorted(p.name for p in (out / "audio").iterdir()) == [
        "creature_000_v00.wav",
        "creature_000_v01.wav",
    ]


def test_a_folder_with_other_files_is_never_touched_even_with_force(
    model: GeneratorModel, tmp_path: Path
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("precious")
    for force in (False, True):
        with pytest.raises(PackError, match="not a MockingBot pack"):
            P.render_pack(model, out, S.PackSettings(count=1), force=force)
    assert (out / "thesis.txt").read_text() == "precious"
    # An empty folder (or one with only OS clutter) is fine.
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".DS_Store").write_bytes(b"x")
    assert P.render_pack(model, empty, S.PackSettings(count=1)).rendered == 1


def test_pack_like_names_without_a_pack_marker_are_never_touched(
    model: GeneratorModel, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>my page</h1>")
    with pytest.raises(PackError, match="not a MockingBot pack"):
        P.render_pack(model, site, S.PackSettings(count=1), force=True)
    assert (site / "index.html").read_text() == "<h1>my page</h1>"
    (site / "manifest.json").write_text('{"name": "my web app"}')
    with pytest.raises(PackError, match="not a MockingBot pack manifest"):
        P.render_pack(model, site, S.PackSettings(count=1), force=True)
    assert (site / "manifest.json").exists() and (site / "index.html").exists()


def test_resume_refuses_a_render_started_by_another_mbot_version(
    model: GeneratorModel, tmp_path: Path
) -> None:
    out = tmp_path / "pack"
    P.render_pack(model, out, S.PackSettings(count=2))
    (out / "manifest.json").unlink()
    header = pack_folder.journal_header(S.PackSettings(count=2, name="tiny"), model, None)
    header["created_by"] = "mockingbot 0.0.1"
    (out / ".mbot-progress.jsonl").write_text(_journal_line(header))
    with pytest.raises(PackError, match=r"started by mockingbot 0\.0\.1"):
        P.render_pack(model, out, S.PackSettings(count=2), resume=True)


def test_an_unwritable_place_is_a_pack_error(model: GeneratorModel, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(PackError, match="cannot create"):
        P.render_pack(model, blocker / "pack", S.PackSettings(count=1))
    with pytest.raises(PackError, match="is a file"):
        P.render_pack(model, blocker, S.PackSettings(count=1))


# ---------------------------------------------------------------------------- size range
NATURAL = S.PackSettings(**{**SETTINGS.__dict__, "size_range": (1.0, 1.0)})


@pytest.fixture(scope="module")
def natural(tmp_path_factory: pytest.TempPathFactory, model: GeneratorModel) -> Path:
    """The reference pack with every creature at the model's natural size."""
    out = tmp_path_factory.mktemp("natural") / "pack"
    P.render_pack(model, out, NATURAL)
    return out


def test_size_range_1_1_puts_every_creature_at_natural_size_and_keeps_voices_and_jitter(
    reference: Path, natural: Path, model: GeneratorModel
) -> None:
    ref = fmt.read_manifest(reference / "manifest.json")
    m = fmt.read_manifest(natural / "manifest.json")
    assert m["arguments"] == {**ref["arguments"], "size_range": [1.0, 1.0]}
    assert [c["size"] for c in m["creatures"]] == [1.0, 1.0, 1.0]
    assert any(c["size"] != 1.0 for c in ref["creatures"])
    keep = ("id", "random_pitch", "random_volume_offset_db", "resource", "sounds")
    assert [[c[k] for k in keep] for c in m["creatures"]] == [
        [c[k] for k in keep] for c in ref["creatures"]
    ]
    # Same latent for every sound; only the post-processing size differs.
    assert [s["latent_seed"] for s in m["sounds"]] == [s["latent_seed"] for s in ref["sounds"]]
    d = model.latent_dim
    for s in m["sounds"]:
        np.testing.assert_array_equal(
            lat.latent_from_manifest(m, s["id"], latent_dim=d),
            lat.latent_from_manifest(ref, s["id"], latent_dim=d),
        )
        assert s["duration_s"] <= model.spec.duration_s + 0.01  # not stretched
    assert {s["sha256"] for s in m["sounds"]}.isdisjoint(s["sha256"] for s in ref["sounds"])
    assert verify_pack(natural) == []


def test_a_pack_with_a_size_range_resumes_merges_and_mutates(
    natural: Path, model: GeneratorModel, tmp_path: Path
) -> None:
    # Resume after a crash: journal header (with size_range) and half the sounds survive.
    out = tmp_path / "crashed"
    shutil.copytree(natural, out)
    m = fmt.read_manifest(out / "manifest.json")
    for name in ("manifest.json", "index.html", "contact_sheet.png", "ATTRIBUTION.txt"):
        (out / name).unlink()
    header = pack_folder.journal_header(dataclasses.replace(NATURAL, name="tiny"), model, None)
    assert header["arguments"]["size_range"] == [1.0, 1.0]
    lines = [
        {"sound": s, "thumb_sha256": sha256_file(out / "thumbs" / f"{s['id']}.png")}
        for s in m["sounds"][:7]
    ]
    (out / ".mbot-progress.jsonl").write_text("".join(map(_journal_line, [header, *lines])))
    for s in m["sounds"][7:]:
        (out / s["file"]).unlink()
    with pytest.raises(PackError, match=r"size_range \[1\.0, 1\.0\] vs \[0\.75, 1\.4\]"):
        P.render_pack(model, out, SETTINGS, resume=True)  # the default range is another pack
    result = P.render_pack(model, out, NATURAL, resume=True)
    assert (result.reused, result.rendered) == (7, 7)
    _assert_same_tree(natural, out)
    # Shards merge (the merge reads the size range back from the shard manifests).
    for i in (1, 2):
        P.render_pack(model, tmp_path / "shards", NATURAL, shard=(i, 2))
    merge_shards([tmp_path / "shards"])
    _assert_same_tree(natural, tmp_path / "shards")
    # Mutate keeps the parent's (natural) size.
    mutate_sound(model, out, "creature_002_v01", count=2)
    assert fmt.read_manifest(out / "manifest.json")["creatures"][-1]["size"] == 1.0


# ---------------------------------------------------------------------------- shards
def test_shards_in_separate_folders_merge_into_the_whole_pack(
    reference: Path, model: GeneratorModel, tmp_path: Path
) -> None:
    folders = []
    for i in (1, 2, 3):
        folder = tmp_path / f"machine{i}"
        result = P.render_pack(model, folder, SETTINGS, shard=(i, 3))
        assert not result.complete and result.manifest.name == f"manifest.shard-{i}-of-3.json"
        assert not (folder / "manifest.json").exists() and not (folder / "index.html").exists()
        folders.append(folder)
    with pytest.raises(PackError, match="missing shard"):
        merge_shards(folders[:2], tmp_path / "merged")
    merged = merge_shards(folders[::-1], tmp_path / "merged")
    assert merged.complete and merged.total == 14
    _assert_same_tree(reference, tmp_path / "merged")
    assert (folders[0] / "manifest.shard-1-of-3.json").exists()  # inputs are left alone


def test_shards_sharing_one_folder_merge_in_place(
    reference: Path, model: GeneratorModel, tmp_path: Path
) -> None:
    out = tmp_path / "shared"
    P.render_pack(model, out, SETTINGS, shard=(2, 2))
    with pytest.raises(PackError, match="different pack"):
        P.render_pack(model, out, S.PackSettings(count=14, creatures=3, seed=6), shard=(1, 2))
    P.render_pack(model, out, SETTINGS, shard=(1, 2))
    with pytest.raises(PackError, match="--force"):
        P.render_pack(model, out, SETTINGS, shard=(1, 2))
    merge_shards([out])
    _assert_same_tree(reference, out)


def test_merge_refuses_altered_files_and_mixed_packs(model: GeneratorModel, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    P.render_pack(model, a, SETTINGS, shard=(1, 2))
    P.render_pack(model, b, S.PackSettings(count=14, creatures=3, seed=6), shard=(2, 2))
    with pytest.raises(PackError, match="different pack"):
        merge_shards([a, b], tmp_path / "m")
    P.render_pack(model, b, SETTINGS, shard=(2, 2), force=True)
    (b / "audio" / "creature_002_v00.wav").write_bytes(b"RIFF")
    with pytest.raises(PackError, match="does not match its manifest"):
        merge_shards([a, b], tmp_path / "m2")
    with pytest.raises(PackError, match="no shard manifests"):
        merge_shards([tmp_path / "m2"])


# ---------------------------------------------------------------------------- mutate
def test_mutate_adds_a_creature_of_variations_near_the_chosen_sound(
    reference: Path, model: GeneratorModel, tmp_path: Path
) -> None:
    out = tmp_path / "p"
    shutil.copytree(reference, out)
    result = mutate_sound(model, out, "creature_001_v03", count=4, spread=0.2)
    assert result.rendered == 4
    m = fmt.read_manifest(out / "manifest.json")
    new = m["creatures"][-1]
    parent = m["creatures"][1]
    assert new["id"] == "creature_003" and new["index"] == 3
    assert new["parent"] == "creature_001_v03" and new["spread"] == 0.2
    assert new["size"] == parent["size"] and new["random_pitch"] == parent["random_pitch"]
    assert new["sounds"] == [f"creature_003_v{v:02d}" for v in range(4)]
    assert [s["id"] for s in m["sounds"][:14]] == [
        s["id"] for s in fmt.read_manifest(reference / "manifest.json")["sounds"]
    ]
    assert verify_pack(out) == []
    # The new latents sit next to the parent's: correlation sqrt(1 - 0.2²) ≈ 0.98.
    d = model.latent_dim
    z_parent = lat.latent_from_manifest(m, "creature_001_v03", latent_dim=d)
    for sid in new["sounds"]:
        z = lat.latent_from_manifest(m, sid, latent_dim=d)
        assert np.linalg.norm(z - z_parent) < np.linalg.norm(z_parent)
    # Same pack, same mutate → same bytes.
    twin = tmp_path / "twin"
    shutil.copytree(reference, twin)
    mutate_sound(model, twin, "creature_001_v03", count=4, spread=0.2, batch_size=1)
    _assert_same_tree(out, twin)


def test_mutate_refuses_unknown_sounds_other_models_and_unfinished_packs(
    reference: Path, model: GeneratorModel, tmp_path: Path
) -> None:
    out = tmp_path / "p"
    shutil.copytree(reference, out)
    with pytest.raises(PackError, match="no sound 'creature_042_v00'"):
        mutate_sound(model, out, "creature_042_v00", count=2)
    with pytest.raises(ParameterError, match="count"):
        mutate_sound(model, out, "creature_000_v00", count=0)
    other = GeneratorModel.load(make_tiny_onnx(tmp_path / "other.onnx", seed=3))
    with pytest.raises(ModelError, match="--model"):
        mutate_sound(other, out, "creature_000_v00", count=2)
    (out / ".mbot-progress.jsonl").write_text("{}\n")
    with pytest.raises(PackError, match="unfinished"):
        mutate_sound(model, out, "creature_000_v00", count=2)
    with pytest.raises(PackError, match="not found"):
        mutate_sound(model, tmp_path, "creature_000_v00", count=2)


# ---------------------------------------------------------------------------- memory
def _peak_bytes(model: GeneratorModel, out: Path, count: int) -> int:
    tracemalloc.start()
    try:
        P.render_pack(model, out, S.PackSettings(count=count, output_rate="native"), batch_size=8)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_count_grows(model: GeneratorModel, tmp_path: Path) -> None:
    _peak_bytes(model, tmp_path / "warm-up", 1)  # one-time caches (filters, plans) first
    small = _peak_bytes(model, tmp_path / "small", 16)
    large = _peak_bytes(model, tmp_path / "large", 144)
    # Holding the audio of 128 more sounds would add > 2 MB (≥ 0.5 s at 8 kHz, float32);
    # what may grow is the manifest entries and the index page (a few kB per sound).
    assert large - small < 1_000_000, (small, large)


def test_force_treats_the_evaluation_plot_as_part_of_the_pack() -> None:
    """`mbot evaluate PACK` writes evaluation.png into the pack; `--force` must not then
    mistake the pack for a user's folder."""
    from mockingbot.runtime.pack_format import is_pack_file

    assert is_pack_file("evaluation.png")
    assert not is_pack_file("notes.png")


# ---------------------------------------------------------------------------- waveform models
@pytest.fixture(scope="module")
def wave_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_onnx(tmp_path_factory.mktemp("wave") / "tiny-wave.onnx", output="waveform")


@pytest.fixture(scope="module")
def wave_reference(tmp_path_factory: pytest.TempPathFactory, wave_model_path: Path) -> Path:
    out = tmp_path_factory.mktemp("wave-ref") / "pack"
    model = GeneratorModel.load(wave_model_path, threads=2)
    result = P.render_pack(model, out, SETTINGS)
    assert result.complete and result.rendered == 14
    return out


def test_a_waveform_pack_skips_phase_retrieval_and_records_null_phase_quality(
    wave_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockingbot.runtime import phase

    def no_phase(*args, **kwargs):
        raise AssertionError("phase retrieval ran for a waveform model")

    monkeypatch.setattr(phase, "reconstruct", no_phase)
    monkeypatch.setattr(phase, "reconstruction_error", no_phase)
    model = GeneratorModel.load(wave_model_path)
    P.render_pack(model, tmp_path / "p", SETTINGS)
    assert verify_pack(tmp_path / "p") == []
    m = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert list(m) == MANIFEST_KEYS and len(m["sounds"]) == 14
    for s in m["sounds"]:
        assert list(s) == SOUND_KEYS
        assert s["phase_sc_db"] is None
        assert s["peak_dbfs"] <= -0.9 and s["duration_s"] > 0
    assert '"phase_sc_db": null' in (tmp_path / "p" / "manifest.json").read_text()


def test_a_waveform_sound_is_the_model_fed_its_latent_and_its_own_texture_noise(
    wave_model_path: Path, tmp_path: Path
) -> None:
    model = GeneratorModel.load(wave_model_path)
    d, n = model.latent_dim, model.spec.clip_samples
    items = [(0, 0), (2, 3)]
    seeds = [lat.latent_seed(5, c, v) for c, v in items]
    z = lat.sound_latents(5, items, latent_dim=d, spread=0.35)
    S_, Y = R.synthesize(model, z, seeds)
    assert S_ is None
    noise = np.stack([lat.texture_noise(seed, n) for seed in seeds])
    np.testing.assert_array_equal(Y, model.generate_audio(z, noise))


def test_waveform_packs_are_byte_identical_across_batch_sizes_threads_and_shards(
    wave_reference: Path, wave_model_path: Path, tmp_path: Path
) -> None:
    one_thread = GeneratorModel.load(wave_model_path, threads=1)
    P.render_pack(one_thread, tmp_path / "again", SETTINGS, batch_size=3)
    _assert_same_tree(wave_reference, tmp_path / "again")
    for i in (1, 2):
        P.render_pack(one_thread, tmp_path / "shards", SETTINGS, shard=(i, 2), batch_size=5)
    merge_shards([tmp_path / "shards"])
    _assert_same_tree(wave_reference, tmp_path / "shards")


def test_an_interrupted_waveform_pack_resumes_to_the_same_bytes(
    wave_reference: Path, wave_model_path: Path, tmp_path: Path
) -> None:
    model = GeneratorModel.load(wave_model_path)
    out = tmp_path / "crashed"
    shutil.copytree(wave_reference, out)
    m = fmt.read_manifest(out / "manifest.json")
    for name in ("manifest.json", "index.html", "contact_sheet.png", "ATTRIBUTION.txt"):
        (out / name).unlink()
    settings = S.PackSettings(**{**SETTINGS.__dict__, "name": "tiny"})
    header = pack_folder.journal_header(settings, model, None)
    lines = [
        {"sound": s, "thumb_sha256": sha256_file(out / "thumbs" / f"{s['id']}.png")}
        for s in m["sounds"][:6]
    ]
    (out / ".mbot-progress.jsonl").write_text("".join(map(_journal_line, [header, *lines])))
    for s in m["sounds"][6:]:
        (out / s["file"]).unlink()
    result = P.render_pack(model, out, SETTINGS, resume=True)
    assert (result.reused, result.rendered) == (6, 8)
    _assert_same_tree(wave_reference, out)


def test_mutate_works_on_a_waveform_pack_and_repeats_its_bytes(
    wave_reference: Path, wave_model_path: Path, tmp_path: Path
) -> None:
    model = GeneratorModel.load(wave_model_path)
    for name, batch in (("a", 32), ("b", 1)):
        shutil.copytree(wave_reference, tmp_path / name)
        mutate_sound(model, tmp_path / name, "creature_001_v03", count=3, batch_size=batch)
    _assert_same_tree(tmp_path / "a", tmp_path / "b")
    m = fmt.read_manifest(tmp_path / "a" / "manifest.json")
    assert [s["phase_sc_db"] for s in m["sounds"][-3:]] == [None] * 3
    assert verify_pack(tmp_path / "a") == []


# ---------------------------------------------------------------------------- data context
@pytest.mark.parametrize(("context", "cut"), [(None, False), ("recording", True), ("onset", False)])
def test_sounds_of_recording_context_models_are_cut_to_their_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, context: str | None, cut: bool
) -> None:
    """The model's metadata, not a pack argument, decides: a user rendering a model that
    learnt whole recordings gets sounds that start at once without knowing about it."""
    from mockingbot.runtime import postprocess

    path = make_tiny_onnx(tmp_path / "m.onnx", metadata={"mbot.data_context": context})
    seen: list[bool] = []
    real = postprocess.finalize

    def spy(y: np.ndarray, **kwargs) -> np.ndarray:
        seen.append(kwargs.get("cut_calls", False))
        return real(y, **kwargs)

    monkeypatch.setattr(postprocess, "finalize", spy)
    model = GeneratorModel.load(path)
    assert model.meta.data_context == (context or "call")
    P.render_pack(model, tmp_path / "pack", S.PackSettings(count=3))
    assert seen == [cut] * 3


@pytest.mark.parametrize("n_iter", [None, 0, 3])
def test_the_model_says_how_many_phase_iterations_its_sounds_get(
    tmp_path: Path, n_iter: int | None
) -> None:
    """``mbot.phase_iterations`` is the model's own recommendation (the default model's
    sounds measure no worse with the phase-gradient start alone, and render faster); a model
    without the key gets its method's default, as every model before the key did."""
    from mockingbot.runtime import phase

    key = None if n_iter is None else str(n_iter)
    model = GeneratorModel.load(
        make_tiny_onnx(tmp_path / "m.onnx", metadata={"mbot.phase_iterations": key})
    )
    assert model.meta.phase_iterations == n_iter
    seeds = [lat.latent_seed(0, 0, v) for v in range(2)]
    z = lat.sound_latents(0, [(0, 0), (0, 1)], latent_dim=model.latent_dim, spread=0.3)
    S, y = R.synthesize(model, z, seeds)
    want = phase.DEFAULT_N_ITER["pghi"] if n_iter is None else n_iter
    np.testing.assert_array_equal(y, phase.reconstruct(S, spec=model.spec, n_iter=want))
    other = phase.reconstruct(S, spec=model.spec, n_iter=want + 5)
    assert not np.array_equal(y, other)  # the count reaches the audio


# ---------------------------------------------------------------------------- damaged manifests
def _damage(manifest: dict, how: str) -> None:
    """Break one field of a parsed manifest the way a hand edit or a bad tool would."""
    if how == "sounds-text":
        manifest["sounds"] = "x"
    elif how == "creatures-object":
        manifest["creatures"] = {"id": "creature_000"}
    elif how == "sound-text":
        manifest["sounds"][0] = "creature_000_v00"
    elif how == "sound-no-sha":
        del manifest["sounds"][1]["sha256"]
    elif how == "file-outside":
        manifest["sounds"][0]["file"] = "../../outside.wav"
    elif how == "creature-sounds-text":
        manifest["creatures"][0]["sounds"] = "all"
    elif how == "size-text":
        manifest["creatures"][0]["size"] = "big"
    elif how == "model-text":
        manifest["model"] = "tiny"
    elif how == "sample-rate-float":
        manifest["sample_rate"] = 16000.5
    elif how == "phase-text":
        manifest["sounds"][0]["phase_sc_db"] = "good"


DAMAGE = [
    ("sounds-text", "the manifest 'sounds' must be a list"),
    ("creatures-object", "the manifest 'creatures' must be a list"),
    ("sound-text", 'sounds[0] is "creature_000_v00", not an object'),
    ("sound-no-sha", "sounds[1] lacks 'sha256'"),
    ("file-outside", "are not a pack's names"),
    ("creature-sounds-text", "creatures[0] 'sounds' must be a list"),
    ("size-text", "creatures[0] 'size' must be a number"),
    ("model-text", "'model' must be an object"),
    ("sample-rate-float", "'sample_rate' must be an integer"),
    ("phase-text", "sounds[0] 'phase_sc_db' must be a number or null"),
]


@pytest.mark.parametrize(("how", "message"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_a_damaged_manifest_is_refused_in_one_line_by_every_reader(
    reference: Path, tmp_path: Path, model: GeneratorModel, how: str, message: str
) -> None:
    out = tmp_path / "pack"
    shutil.copytree(reference, out)
    manifest = json.loads((out / "manifest.json").read_text())
    _damage(manifest, how)
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(fmt.DamagedManifestError, match=re.escape(message)) as err:
        fmt.read_manifest(out / "manifest.json")
    assert "\n" not in str(err.value) and str(out / "manifest.json") in str(err.value)
    with pytest.raises(PackError, match=f"{re.escape(message)}.*pass --force"):
        P.render_pack(model, out, SETTINGS, resume=True)
    with pytest.raises(PackError, match=re.escape(message)):
        mutate_sound(model, out, "creature_000_v01", count=1)
    (problem,) = verify_pack(out)
    assert message in problem
    assert not (tmp_path / "outside.wav").exists()
    # --force knows the damaged manifest is ours and renders the pack again
    P.render_pack(model, out, SETTINGS, force=True)
    assert verify_pack(out) == []
    assert _tree(out) == _tree(reference)
