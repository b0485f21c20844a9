"""ModelMeta: the mbot.* metadata schema, spectrogram and waveform models, old models."""

from __future__ import annotations

import pytest

from conftest import TINY_SPEC
from mockingbot.errors import ModelError
from mockingbot.model_meta import OUTPUTS, PREFIX, ModelMeta

WAVE = dict(
    spec=TINY_SPEC,
    latent_dim=8,
    output="waveform",
    output_name="audio",
    noise_input_name="noise",
    phase="none",
)


def test_output_kinds_are_spectrogram_and_waveform() -> None:
    assert OUTPUTS == ("spectrogram", "waveform")


def test_a_spectrogram_model_writes_no_noise_input_key() -> None:
    """So a spectrogram model exports to exactly the metadata (and bytes) it had before."""
    meta = ModelMeta(spec=TINY_SPEC, latent_dim=8)
    props = meta.to_props()
    assert PREFIX + "noise_input_name" not in props
    assert not meta.is_waveform and meta.noise_input_name == ""
    assert ModelMeta.from_props(props) == meta


def test_old_metadata_without_the_new_key_loads_unchanged() -> None:
    # The keys a model exported before waveform models existed carries (format version 1).
    old = {
        "mbot.format_version": "1",
        "mbot.spec": TINY_SPEC.to_json(),
        "mbot.latent_dim": "8",
        "mbot.latent_distribution": "normal",
        "mbot.input_name": "z",
        "mbot.output_name": "spectrogram",
        "mbot.output": "spectrogram",
        "mbot.phase": "pghi",
        "mbot.model_name": "old",
    }
    meta = ModelMeta.from_props(old)
    assert (meta.output, meta.phase, meta.noise_input_name) == ("spectrogram", "pghi", "")
    assert not meta.is_waveform
    assert {k: v for k, v in meta.to_props().items() if k in old} == old


def test_the_shipped_default_model_reads_as_a_spectrogram_model() -> None:
    from mockingbot.runtime.model import default_model_path
    from mockingbot.runtime.protowire import read_model_summary

    summary = read_model_summary(default_model_path().read_bytes())
    meta = ModelMeta.from_props(summary.metadata)
    assert (meta.output, meta.phase, meta.is_waveform) == ("spectrogram", "pghi", False)
    # the full-resolution generator: texture draws on the spec's grid as a second input
    assert meta.takes_noise and meta.noise_input_name == "noise"
    assert meta.noise_shape == (*meta.spec.shape, 2)


def test_a_waveform_model_round_trips_through_its_props() -> None:
    meta = ModelMeta(**WAVE)
    props = meta.to_props()
    assert props[PREFIX + "output"] == "waveform"
    assert props[PREFIX + "output_name"] == "audio"
    assert props[PREFIX + "noise_input_name"] == "noise"
    assert props[PREFIX + "phase"] == "none"
    assert meta.is_waveform
    assert ModelMeta.from_props(props) == meta


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"noise_input_name": ""}, "waveform model needs mbot.noise_input_name"),
        ({"phase": "pghi"}, "phase method 'pghi' does not fit a waveform model"),
        ({"noise_input_name": "z"}, "both named 'z'"),
        ({"output": "mel"}, "unknown output kind 'mel'"),
    ],
)
def test_malformed_waveform_metadata_is_refused(changes: dict, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        ModelMeta(**{**WAVE, **changes})


def test_phase_none_belongs_to_waveform_models_only() -> None:
    with pytest.raises(ModelError, match="phase method 'none' does not fit a spectrogram model"):
        ModelMeta(spec=TINY_SPEC, latent_dim=8, phase="none")


def test_a_spectrogram_model_may_take_texture_noise_on_its_grid() -> None:
    plain = ModelMeta(spec=TINY_SPEC, latent_dim=8)
    assert not plain.takes_noise and plain.noise_shape is None
    textured = ModelMeta(spec=TINY_SPEC, latent_dim=8, noise_input_name="noise")
    assert textured.takes_noise and textured.noise_shape == (*TINY_SPEC.shape, 2)
    props = textured.to_props()
    assert ModelMeta.from_props(props) == textured
    with pytest.raises(ModelError, match="both named"):
        ModelMeta(spec=TINY_SPEC, latent_dim=8, noise_input_name="z")


def test_from_props_refuses_a_waveform_model_without_its_noise_input_in_one_line() -> None:
    props = ModelMeta(**WAVE).to_props()
    del props[PREFIX + "noise_input_name"]
    with pytest.raises(ModelError, match="noise_input_name") as info:
        ModelMeta.from_props(props, source="wave.onnx")
    assert "\n" not in str(info.value)


def test_data_context_round_trips_and_call_writes_no_key() -> None:
    call = ModelMeta(spec=TINY_SPEC, latent_dim=8)
    assert call.data_context == "call"
    assert PREFIX + "data_context" not in call.to_props()
    rec = ModelMeta(spec=TINY_SPEC, latent_dim=8, data_context="recording")
    props = rec.to_props()
    assert props[PREFIX + "data_context"] == "recording"
    assert ModelMeta.from_props(props) == rec
    # a model from before the key existed learnt from calls
    del props[PREFIX + "data_context"]
    assert ModelMeta.from_props(props).data_context == "call"
    onset = ModelMeta(spec=TINY_SPEC, latent_dim=8, data_context="onset")
    assert ModelMeta.from_props(onset.to_props()) == onset
    assert not onset.learnt_room_tone  # its sounds start at their onset: nothing to cut


def test_unknown_data_context_is_refused_by_name() -> None:
    props = ModelMeta(spec=TINY_SPEC, latent_dim=8).to_props()
    props[PREFIX + "data_context"] = "forest"
    with pytest.raises(ModelError, match="data context 'forest'"):
        ModelMeta.from_props(props, source="m.onnx")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("dataset", "[1,2]", "mbot.dataset must be a JSON object, got a list"),
        ("dataset", '"hello"', "mbot.dataset must be a JSON object, got text"),
        ("dataset", "null", "mbot.dataset must be a JSON object, got null"),
        ("exporter", "123", "mbot.exporter must be a JSON object, got a number"),
        ("dataset", '{"name": ["x"]}', "mbot.dataset field 'name' must be text"),
        ("dataset", '{"attribution": {"by": "x"}}', "field 'attribution' must be text"),
        ("dataset", '{"clips": "many"}', "field 'clips' must be a non-negative integer"),
        ("dataset", '{"clips": -3}', "field 'clips' must be a non-negative integer"),
        ("exporter", '{"mockingbot": 1}', "mbot.exporter field 'mockingbot' must be text"),
        ("training_steps", "-5", "training_steps must be a non-negative integer"),
        ("latent_dim", "1000000000", "latent_dim must be between 1 and"),
    ],
)
def test_metadata_of_the_wrong_json_type_is_refused_at_load(
    key: str, value: str, message: str
) -> None:
    props = ModelMeta(spec=TINY_SPEC, latent_dim=8).to_props()
    props[PREFIX + key] = value
    with pytest.raises(ModelError, match=message) as info:
        ModelMeta.from_props(props, source="m.onnx")
    assert str(info.value).startswith("m.onnx: ") and "\n" not in str(info.value)


def test_known_record_fields_of_the_right_types_and_free_extras_load() -> None:
    props = ModelMeta(spec=TINY_SPEC, latent_dim=8).to_props()
    props[PREFIX + "dataset"] = '{"name": "n", "clips": 3, "files": 0, "notes": [1, 2]}'
    props[PREFIX + "exporter"] = '{"opset": 17, "ema": true, "precision": "fp32"}'
    meta = ModelMeta.from_props(props)
    assert meta.dataset["notes"] == [1, 2] and meta.exporter["ema"] is True


def test_phase_iterations_round_trip_and_the_default_writes_no_key() -> None:
    """A model that keeps its method's default iterations exports to the same bytes as before
    the key existed; one that asks for its own count reads it back."""
    plain = ModelMeta(spec=TINY_SPEC, latent_dim=8)
    assert plain.phase_iterations is None
    assert PREFIX + "phase_iterations" not in plain.to_props()
    own = ModelMeta(spec=TINY_SPEC, latent_dim=8, phase_iterations=0)
    props = own.to_props()
    assert props[PREFIX + "phase_iterations"] == "0"
    assert ModelMeta.from_props(props) == own


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "phase_iterations must be an integer from 0 to 1000, got -1"),
        ("100000", "phase_iterations must be an integer from 0 to 1000, got 100000"),
        ("many", "malformed MockingBot metadata"),
    ],
)
def test_a_bad_phase_iteration_count_is_refused_by_name(value: str, message: str) -> None:
    props = ModelMeta(spec=TINY_SPEC, latent_dim=8).to_props()
    props[PREFIX + "phase_iterations"] = value
    with pytest.raises(ModelError, match=message) as info:
        ModelMeta.from_props(props, source="m.onnx")
    assert str(info.value).startswith("m.onnx")


def test_a_waveform_model_cannot_ask_for_phase_iterations() -> None:
    with pytest.raises(ModelError, match="waveform model recovers no phase"):
        ModelMeta(**WAVE, phase_iterations=0)
