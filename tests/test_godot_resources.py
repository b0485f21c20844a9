"""Tests for mockingbot.runtime.godot_resources (the AudioStreamRandomizer .tres writer) and
mockingbot.runtime.godot_text (the Godot text parser), checked against the facts in
../shared/reference/godot4.md."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import synth_meow
from mockingbot.errors import ParameterError
from mockingbot.runtime.godot_resources import (
    randomizer_problems,
    randomizer_stream_paths,
    randomizer_tres,
)
from mockingbot.runtime.godot_text import (
    Call,
    GodotTextError,
    Ident,
    godot_string,
    parse_godot_text,
)

# ------------------------------------------------------------------------- helpers


def _sections(text: str, tag: str):
    return [s for s in parse_godot_text(text) if s.tag == tag]


def _check_randomizer_by_hand(text: str, n: int) -> None:
    """An independent check of the godot4.md shape (not via randomizer_problems)."""
    lines = text.splitlines()
    assert re.fullmatch(
        r'\[gd_resource type="AudioStreamRandomizer" load_steps=(\d+) format=3\]', lines[0]
    )
    sections = parse_godot_text(text)
    assert [s.tag for s in sections] == ["gd_resource"] + ["ext_resource"] * n + ["resource"]
    head, *exts, res = sections
    assert head.attrs["load_steps"] == len(exts) + 1
    ids = [e.attrs["id"] for e in exts]
    assert len(set(ids)) == n and all(isinstance(i, str) and i for i in ids)
    assert all(e.attrs["type"].startswith("AudioStream") for e in exts)
    assert res.get("streams_count") == n
    keys = res.names()
    for i in range(n):
        ref = res.get(f"stream_{i}/stream")
        assert isinstance(ref, Call) and ref.name == "ExtResource" and ref.args[0] in ids
        assert isinstance(res.get(f"stream_{i}/weight"), float)
        assert keys.index(f"stream_{i}/stream") < keys.index(f"stream_{i}/weight")
    assert not any(k.startswith(f"stream_{n}/") for k in keys)
    assert "streams" not in keys  # Godot serialises no streams array


def _write_audio(folder: Path, names: list[str]) -> None:
    for i, name in enumerate(names):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, synth_meow(seconds=0.1, seed=i), 8000, subtype="PCM_16")


# ------------------------------------------------------------------------- writing


def test_two_streams_give_exactly_the_reference_text() -> None:
    text = randomizer_tres(
        ["audio/a.wav", "audio/b.wav"], random_pitch=1.05, random_volume_offset_db=1.5
    )
    assert text == (
        '[gd_resource type="AudioStreamRandomizer" load_steps=3 format=3]\n'
        "\n"
        '[ext_resource type="AudioStreamWAV" path="audio/a.wav" id="1"]\n'
        '[ext_resource type="AudioStreamWAV" path="audio/b.wav" id="2"]\n'
        "\n"
        "[resource]\n"
        "playback_mode = 0\n"
        "random_pitch = 1.05\n"
        "random_volume_offset_db = 1.5\n"
        "streams_count = 2\n"
        'stream_0/stream = ExtResource("1")\n'
        "stream_0/weight = 1.0\n"
        'stream_1/stream = ExtResource("2")\n'
        "stream_1/weight = 1.0\n"
    )


@pytest.mark.parametrize("n", [1, 2, 7, 40])
def test_resource_has_header_load_steps_unique_ids_and_stream_keys(n: int) -> None:
    paths = [f"audio/creature_000_v{i:02d}.wav" for i in range(n)]
    text = randomizer_tres(paths, random_pitch=1.1, random_volume_offset_db=2.0)
    _check_randomizer_by_hand(text, n)
    assert randomizer_stream_paths(parse_godot_text(text)) == paths
    assert randomizer_problems(text) == []


def test_ext_resource_type_follows_the_audio_extension() -> None:
    text = randomizer_tres(["a.wav", "b.ogg", "c.OGG", "d.mp3", "e.flac"])
    types = [s.attrs["type"] for s in _sections(text, "ext_resource")]
    assert types == [
        "AudioStreamWAV",
        "AudioStreamOggVorbis",
        "AudioStreamOggVorbis",
        "AudioStreamMP3",
        "AudioStream",
    ]


def test_paths_are_relative_and_resolve_to_the_files_beside_the_tres(tmp_path: Path) -> None:
    names = ["audio/creature_001_v00.wav", "audio/creature_001_v01.wav", "audio/deep/x.wav"]
    _write_audio(tmp_path, names)
    tres = tmp_path / "creature_001.tres"
    tres.write_text(randomizer_tres(names), encoding="utf-8")
    text = tres.read_text(encoding="utf-8")
    for p in randomizer_stream_paths(parse_godot_text(text)):
        assert not p.startswith(("/", "res://")) and "\\" not in p
        assert (tres.parent / p).is_file()
    assert randomizer_problems(text, folder=tmp_path) == []
    (tmp_path / names[1]).unlink()
    problems = randomizer_problems(text, folder=tmp_path)
    assert len(problems) == 1 and names[1] in problems[0]


def test_res_paths_and_parent_relative_paths_are_accepted() -> None:
    text = randomizer_tres(["res://sfx/a.wav", "../shared/b.wav"])
    assert randomizer_stream_paths(parse_godot_text(text)) == ["res://sfx/a.wav", "../shared/b.wav"]


def test_quotes_and_backslash_free_odd_names_round_trip_through_the_parser() -> None:
    odd = ['audio/say "meow".wav', "audio/sp ace.wav", "audio/ünï.wav", "audio/semi;colon.wav"]
    text = randomizer_tres(odd)
    assert '\\"meow\\"' in text
    assert randomizer_stream_paths(parse_godot_text(text)) == odd
    assert randomizer_problems(text) == []


def test_settings_and_weights_are_written_as_given() -> None:
    text = randomizer_tres(
        ["a.wav", "b.wav", "c.wav"],
        random_pitch=1,
        random_volume_offset_db=0,
        playback_mode=2,
        weights=[1, 2.5, 100],
    )
    res = _sections(text, "resource")[0]
    assert res.get("playback_mode") == 2
    assert res.get("random_pitch") == 1.0 and "random_pitch = 1.0\n" in text
    assert res.get("random_volume_offset_db") == 0.0
    assert [res.get(f"stream_{i}/weight") for i in range(3)] == [1.0, 2.5, 100.0]


def test_output_is_deterministic() -> None:
    args = (["x/a.wav", "x/b.wav"],)
    assert randomizer_tres(*args, random_pitch=1.2) == randomizer_tres(*args, random_pitch=1.2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stream_paths": []}, "empty"),
        ({"stream_paths": "audio/a.wav"}, "not one string"),
        ({"stream_paths": [""]}, "non-empty"),
        ({"stream_paths": [3]}, "non-empty string"),
        ({"stream_paths": ["audio\\a.wav"]}, "backslashes"),
        ({"stream_paths": ["/abs/a.wav"]}, "absolute"),
        ({"stream_paths": ["C:/snd/a.wav"]}, "absolute"),
        ({"stream_paths": ["user://a.wav"]}, "res://"),
        ({"stream_paths": ["audio/"]}, "folder"),
        ({"stream_paths": ["a.wav", "a.wav"]}, "twice"),
        ({"stream_paths": ["a\nb.wav"]}, "control"),
        ({"random_pitch": 0.99}, "random_pitch"),
        ({"random_pitch": math.nan}, "random_pitch"),
        ({"random_pitch": math.inf}, "random_pitch"),
        ({"random_volume_offset_db": -0.1}, "random_volume_offset_db"),
        ({"random_volume_offset_db": math.inf}, "random_volume_offset_db"),
        ({"playback_mode": 3}, "playback_mode"),
        ({"playback_mode": True}, "playback_mode"),
        ({"weights": [1.0]}, "weights has 1"),
        ({"weights": [1.0, 0.0]}, "weights[1]"),
        ({"weights": [-1.0, 1.0]}, "weights[0]"),
        ({"weights": [1.0, 101.0]}, "weights[1]"),
        ({"weights": [1.0, math.nan]}, "weights[1]"),
    ],
)
def test_bad_arguments_raise_parameter_error_naming_them(kwargs: dict, message: str) -> None:
    args = {"stream_paths": ["a.wav", "b.wav"], **kwargs}
    with pytest.raises(ParameterError, match=re.escape(message)):
        randomizer_tres(args.pop("stream_paths"), **args)


def test_godot_string_escapes_backslash_and_quote_and_refuses_control_characters() -> None:
    assert godot_string('a\\b"c') == '"a\\\\b\\"c"'
    with pytest.raises(ParameterError):
        godot_string("tab\there")


_SAFE_NAME = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N"), include_characters=' _-."()'),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip(".") != "")


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(_SAFE_NAME, min_size=1, max_size=12, unique=True),
    pitch=st.floats(min_value=1.0, max_value=4.0),
    volume=st.floats(min_value=0.0, max_value=24.0),
)
def test_any_valid_input_parses_back_to_the_same_streams_and_values(
    names: list[str], pitch: float, volume: float
) -> None:
    paths = [f"audio/{n}.wav" for n in names]
    text = randomizer_tres(paths, random_pitch=pitch, random_volume_offset_db=volume)
    assert randomizer_problems(text) == []
    res = _sections(text, "resource")[0]
    assert res.get("random_pitch") == pitch and res.get("random_volume_offset_db") == volume
    assert randomizer_stream_paths(parse_godot_text(text)) == paths


# ------------------------------------------------------------------------- checking


_GOOD = randomizer_tres(["a.wav", "b.wav"])


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("load_steps=3", "load_steps=2", "load_steps=2"),
        ('id="2"]', 'id="1"]', "not unique"),
        ("stream_1/weight = 1.0\n", "", "stream_1/weight"),
        ("streams_count = 2", "streams_count = 1", "beyond streams_count"),
        ("streams_count = 2", "streams_count = 3", "stream_2/stream is missing"),
        ('stream_1/stream = ExtResource("2")', 'stream_1/stream = ExtResource("9")', "undeclared"),
        ("random_pitch = 1.0", "random_pitch = 0.5", "random_pitch"),
        ("playback_mode = 0", "playback_mode = 7", "playback_mode"),
        ('type="AudioStreamRandomizer"', 'type="AudioStreamPlaylist"', "type is"),
        ("format=3", "format=2", "format is"),
        ("[resource]", "[resource", "not parseable"),
    ],
)
def test_problems_are_found_in_broken_resources(old: str, new: str, message: str) -> None:
    assert old in _GOOD
    problems = randomizer_problems(_GOOD.replace(old, new, 1))
    assert any(message in p for p in problems), problems


# ------------------------------------------------------------------------- parsing

_PROJECT = """; Engine configuration file.
; It's best edited using the editor UI and not directly,

config_version=5

[application]

config/name="Forest \\"deluxe\\""
config/features=PackedStringArray("4.4", "Forward Plus")
run/main_scene="uid://b3x7q"

[autoload]

Sfx="*res://sfx.gd"

[input]

jump={
"deadzone": 0.5,
"events": [EVENT
]
}

[layer_names]

2d_physics/layer_1="world"

[rendering]

textures/canvas_textures/default_texture_filter=0
environment/defaults/default_clear_color=Color(0.1, 0.1, 0.12, 1)
misc=[1, -2.5, 3e-05, true, null, &"name", ^"Path/To", Vector2i(3, -4)]
typed=Array[int]([1, 2])
dict=Dictionary[String, int]({"a": 1})
special=[inf, -inf, nan]
""".replace(
    "EVENT",
    'Object(InputEventKey,"resource_local_to_scene":false,"keycode":0,'
    '"physical_keycode":32,"unicode":32,"script":null)',
)


def test_project_godot_with_multiline_input_and_many_value_kinds_parses() -> None:
    sections = parse_godot_text(_PROJECT)
    assert [s.tag for s in sections] == [
        "",
        "application",
        "autoload",
        "input",
        "layer_names",
        "rendering",
    ]
    top, app, autoload, inp, _, rendering = sections
    assert top.get("config_version") == 5
    assert app.get("config/name") == 'Forest "deluxe"'
    assert app.get("config/features") == Call("PackedStringArray", ("4.4", "Forward Plus"))
    assert autoload.get("Sfx") == "*res://sfx.gd"
    event = inp.get("jump")["events"][0]
    assert event.name == "Object" and event.args[0] == Ident("InputEventKey")
    assert ("physical_keycode", 32) in event.args
    assert inp.entry("jump").line == 18
    misc = rendering.get("misc")
    assert misc[:5] == [1, -2.5, 3e-05, True, None]
    assert misc[5:] == [
        Call("StringName", ("name",)),
        Call("NodePath", ("Path/To",)),
        Call("Vector2i", (3, -4)),
    ]
    assert rendering.get("typed") == Call("Array[int]", ([1, 2],))
    assert rendering.get("dict").name == "Dictionary[String, int]"
    inf, ninf, nan = rendering.get("special")
    assert inf == math.inf and ninf == -math.inf and math.isnan(nan)


def test_entry_spans_let_one_value_be_replaced_without_touching_the_rest() -> None:
    sections = parse_godot_text(_PROJECT)
    entry = sections[1].entry("config/name")
    start, end = entry.span
    assert _PROJECT[start:end] == 'config/name="Forest \\"deluxe\\""'
    edited = _PROJECT[:start] + 'config/name="Glade"' + _PROJECT[end:]
    assert parse_godot_text(edited)[1].get("config/name") == "Glade"
    assert edited.replace('config/name="Glade"', "") == _PROJECT.replace(_PROJECT[start:end], "")


def test_scene_headers_with_attribute_values_parse() -> None:
    text = (
        '[gd_scene load_steps=2 format=3 uid="uid://abc"]\n\n'
        '[ext_resource type="PackedScene" path="res://a.tscn" id="1_x"]\n\n'
        '[node name="A" parent="." instance=ExtResource("1_x") groups=["g", "h"]]\n'
        "position = Vector2(1, 2)\n\n"
        '[connection signal="pressed" from="B" to="." method="_on_b"]\n'
    )
    a = parse_godot_text(text)[2]
    assert a.attrs == {
        "name": "A",
        "parent": ".",
        "instance": Call("ExtResource", ("1_x",)),
        "groups": ["g", "h"],
    }


def test_plugin_cfg_style_without_spaces_and_crlf_parses() -> None:
    text = '[plugin]\r\nname="X"\r\nscript="plugin.gd"\r\n'
    (plugin,) = parse_godot_text(text)
    assert plugin.get("name") == "X" and plugin.get("script") == "plugin.gd"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('[resource]\nname = "unterminated\n', 2),
        ("[resource]\nx = 1 2\n", 2),
        ("[resource]\n\njust words\n", 3),
        ("[resource\nx = 1\n", 1),
        ("[resource]\nx = [1, 2\n", 3),
        ('[resource]\nx = "bad \\q escape"\n', 2),
        ("[resource]\nx = @\n", 2),
        ('[a b="1" b="2"]\n', 1),
    ],
)
def test_malformed_text_raises_with_the_line_number(text: str, line: int) -> None:
    with pytest.raises(GodotTextError, match=rf"^line {line}:"):
        parse_godot_text(text)
