"""What an exported MockingBot model says about itself (ONNX ``metadata_props``).

The exporter writes a :class:`ModelMeta` into the ONNX file; the runtime reads it back and
needs nothing else. Every key is prefixed ``mbot.`` and every value is a string (ONNX
metadata is string → string), JSON where the value is structured.

Keys (format version 1):

==========================  ====================================================
``mbot.format_version``     ``"1"``; the runtime refuses versions it does not know
``mbot.spec``               the :class:`~mockingbot.spec.SpectrogramSpec` as JSON
``mbot.latent_dim``         size of the latent vector, e.g. ``"64"``
``mbot.latent_distribution`` ``"normal"`` (N(0, I)) or ``"uniform"`` (U(-1, 1))
``mbot.input_name``         name of the latent input, ``"z"``
``mbot.noise_input_name``   models with a noise input only: its name, ``"noise"``, i.i.d.
                            N(0, 1): [batch, clip_samples] for waveform models, [batch,
                            n_frames, n_bins, 2] texture draws for full-resolution
                            spectrogram models (:mod:`mockingbot.texture`); absent
                            otherwise
``mbot.output_name``        name of the output, ``"spectrogram"`` or ``"audio"``
``mbot.output``             ``"spectrogram"``: normalised per the spec, [batch, n_frames,
                            n_bins]; or ``"waveform"``: audio [batch, clip_samples] at the
                            spec's ``sr``, roughly in [-1, 1] (no phase retrieval needed)
``mbot.phase``              recommended phase recovery, one of
                            :data:`~mockingbot.defaults.PHASE_METHODS` for spectrogram
                            models: ``"pghi"`` (phase-gradient start + fast Griffin-Lim, what
                            exports write), ``"fgla"`` or ``"zero"`` (the 2022 prototype's
                            zero phase); ``"none"`` for (and only for) waveform models
``mbot.phase_iterations``   spectrogram models only, optional: the fast Griffin-Lim
                            iterations the model's phase recovery runs (``"0"``: the
                            phase-gradient start alone); absent: the method's default
                            (:data:`mockingbot.runtime.phase.DEFAULT_N_ITER`)
``mbot.model_name``         human name, e.g. ``"catmeows"``
``mbot.preset``             training preset, e.g. ``"default"`` or ``"seed-2022"``
``mbot.training_steps``     generator steps trained
``mbot.dataset``            JSON: ``name``, ``clips``, ``license``, ``attribution``, and
                            ``noise_floor`` (the recordings' floor the runtime plays under
                            each call, :mod:`mockingbot.noisefloor`; absent in older models)
``mbot.data_context``       ``"recording"`` when the model learnt from whole recordings
                            (room tone included, so the runtime cuts its sounds to the
                            call), ``"onset"`` when it learnt calls with what follows them;
                            absent for ``"call"`` (calls cut at their onset and offset)
``mbot.exporter``           JSON: versions of mockingbot, tensorflow, tf2onnx, onnx (no time:
                            the same checkpoint exports to the same bytes)
``mbot.content_hash``       sha256 of the graph and weights (metadata excluded)
==========================  ====================================================

``mbot.noise_input_name`` came after the first models shipped: it is written only when it
is set, so a spectrogram model exports to the same bytes as before, and a model without the
key reads as a spectrogram model with one input (still format version 1).
``mbot.data_context`` came later still, in the same way: a call-context model (every model
shipped before it) has no such key and reads as ``"call"``. So did ``mbot.phase_iterations``:
a model without it runs its method's default iterations, as every model before it did.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .defaults import CONTEXTS, LATENT_DISTRIBUTIONS, PHASE_METHODS
from .errors import ModelError
from .spec import SpectrogramSpec
from .texture import noise_shape

if TYPE_CHECKING:
    from .noisefloor import NoiseFloor

__all__ = ["MAX_PHASE_ITERATIONS", "MODEL_FORMAT_VERSION", "OUTPUTS", "PREFIX", "ModelMeta"]

MODEL_FORMAT_VERSION = 1
PREFIX = "mbot."
#: Output kinds: a normalised log-magnitude spectrogram, or audio samples.
OUTPUTS = ("spectrogram", "waveform")
#: Phase methods per output kind (a waveform needs none).
_PHASES = {"spectrogram": PHASE_METHODS, "waveform": ("none",)}
_REQUIRED = ("format_version", "spec", "latent_dim", "latent_distribution", "output", "phase")
#: Most phase iterations a model may ask for: fast Griffin-Lim levels off after ~100 even from
#: a random start, and a lying value would stall every render.
MAX_PHASE_ITERATIONS = 1000
#: Largest latent vector a model may declare: real generators use 64-512; a lying value would
#: make every batch of latents an absurd allocation.
MAX_LATENT_DIM = 65536
#: Types the keys of ``mbot.dataset`` / ``mbot.exporter`` must have when present. Readers
#: (``mbot info``, a pack's ATTRIBUTION.txt) format them; a list where text belongs crashed
#: them after a whole pack was rendered. Other keys are free (JSON scalars).
_DATASET_TYPES: dict[str, type] = {
    "name": str,
    "license": str,
    "attribution": str,
    "clips": int,
    "files": int,
    "noise_floor": dict,
}
_EXPORTER_TYPES: dict[str, type] = {
    "mockingbot": str,
    "tensorflow": str,
    "tf2onnx": str,
    "onnx": str,
    "keras": str,
    "precision": str,
    "tool": str,
}


def _check_record(key: str, value: object, types: Mapping[str, type]) -> None:
    """``mbot.<key>`` must be a JSON object whose known fields have their types."""
    if not isinstance(value, Mapping):
        raise ModelError(
            f"model metadata: {PREFIX}{key} must be a JSON object, got "
            f"{_json_kind(value)} {json.dumps(value, default=str)[:60]}"
        )
    for field, kind in types.items():
        if field not in value:
            continue
        v = value[field]
        ok = isinstance(v, kind) and not isinstance(v, bool)
        if ok and kind is int and v < 0:
            ok = False
        if not ok:
            want = "a non-negative integer" if kind is int else "text"
            raise ModelError(
                f"model metadata: {PREFIX}{key} field {field!r} must be {want}, got "
                f"{json.dumps(v, default=str)[:60]}"
            )


def _json_kind(value: object) -> str:
    """The JSON name of a parsed value's type (``a list``, ``text`` ...)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


@dataclasses.dataclass(frozen=True)
class ModelMeta:
    """Everything the runtime needs to know about a generator, parsed and validated."""

    spec: SpectrogramSpec
    latent_dim: int
    latent_distribution: str = "normal"
    input_name: str = "z"
    output_name: str = "spectrogram"
    noise_input_name: str = ""
    output: str = "spectrogram"
    phase: str = "pghi"
    #: Fast Griffin-Lim iterations after the phase start; ``None``: the method's default.
    phase_iterations: int | None = None
    model_name: str = "unnamed"
    preset: str = "default"
    training_steps: int = 0
    dataset: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    data_context: str = CONTEXTS[0]
    exporter: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    content_hash: str = ""
    format_version: int = MODEL_FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.format_version != MODEL_FORMAT_VERSION:
            raise ModelError(
                f"model format version {self.format_version} is not supported by this mbot "
                f"(it reads version {MODEL_FORMAT_VERSION}); upgrade mockingbot or re-export"
            )
        if isinstance(self.latent_dim, bool) or not isinstance(self.latent_dim, int):
            raise ModelError(
                f"model metadata: latent_dim must be an integer, got {self.latent_dim!r}"
            )
        if not 0 < self.latent_dim <= MAX_LATENT_DIM:
            raise ModelError(
                f"model metadata: latent_dim must be between 1 and {MAX_LATENT_DIM}, got "
                f"{self.latent_dim}"
            )
        if (
            isinstance(self.training_steps, bool)
            or not isinstance(self.training_steps, int)
            or self.training_steps < 0
        ):
            raise ModelError(
                "model metadata: training_steps must be a non-negative integer, got "
                f"{self.training_steps!r}"
            )
        for name in ("input_name", "output_name", "model_name", "preset", "content_hash"):
            if not isinstance(getattr(self, name), str):
                raise ModelError(
                    f"model metadata: {name} must be text, got {getattr(self, name)!r}"
                )
        _check_record("dataset", self.dataset, _DATASET_TYPES)
        self.noise_floor  # noqa: B018  (a floor that does not parse is refused at load)
        _check_record("exporter", self.exporter, _EXPORTER_TYPES)
        if self.latent_distribution not in LATENT_DISTRIBUTIONS:
            raise ModelError(
                f"model metadata: unknown latent distribution {self.latent_distribution!r} "
                f"(known: {', '.join(LATENT_DISTRIBUTIONS)})"
            )
        if self.output not in OUTPUTS:
            raise ModelError(
                f"model metadata: unknown output kind {self.output!r} (known: {', '.join(OUTPUTS)})"
            )
        phases = _PHASES[self.output]
        if self.phase not in phases:
            raise ModelError(
                f"model metadata: phase method {self.phase!r} does not fit a {self.output} "
                f"model (known: {', '.join(phases)})"
            )
        if self.phase_iterations is not None:
            n = self.phase_iterations
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_PHASE_ITERATIONS:
                raise ModelError(
                    f"model metadata: phase_iterations must be an integer from 0 to "
                    f"{MAX_PHASE_ITERATIONS}, got {n!r}"
                )
            if self.is_waveform:
                raise ModelError(
                    "model metadata: a waveform model recovers no phase, so it cannot set "
                    "phase_iterations"
                )
        if self.is_waveform and not self.noise_input_name:
            raise ModelError(
                "model metadata: a waveform model needs mbot.noise_input_name (the name of "
                "its noise input)"
            )
        if self.data_context not in CONTEXTS:
            raise ModelError(
                f"model metadata: unknown data context {self.data_context!r} "
                f"(known: {', '.join(CONTEXTS)})"
            )
        if self.noise_input_name and self.noise_input_name == self.input_name:
            raise ModelError(
                f"model metadata: the latent and noise inputs are both named {self.input_name!r}"
            )

    @property
    def is_waveform(self) -> bool:
        """True when the model outputs audio samples (no phase retrieval)."""
        return self.output == "waveform"

    @property
    def takes_noise(self) -> bool:
        """True when the model has a noise input (waveform and full-resolution models)."""
        return bool(self.noise_input_name)

    @property
    def noise_shape(self) -> tuple[int, ...] | None:
        """Per-sound shape of the noise input; ``None`` for a model without one.

        A waveform model's noise branch takes white noise [clip_samples]; a spectrogram model
        takes texture draws on its grid (:func:`mockingbot.texture.noise_shape`).
        """
        if not self.takes_noise:
            return None
        if self.is_waveform:
            return (self.spec.clip_samples,)
        return noise_shape(*self.spec.shape)

    @property
    def learnt_room_tone(self) -> bool:
        """True when the model learnt whole recordings, room tone included: the runtime then
        cuts its sounds to their calls (one place that says so, for the pack writer and CLI)."""
        return self.data_context == "recording"

    @property
    def noise_floor(self) -> NoiseFloor | None:
        """The training recordings' noise floor, or None (older models, silent data).

        Raises:
            ModelError: ``mbot.dataset.noise_floor`` is there but malformed.
        """
        raw = self.dataset.get("noise_floor")
        if raw is None:
            return None
        from .noisefloor import NoiseFloor  # numpy; not needed to read the other fields

        try:
            return NoiseFloor.from_dict(raw)
        except ValueError as exc:
            raise ModelError(f"model metadata: {PREFIX}dataset.noise_floor: {exc}") from None

    @property
    def attribution(self) -> str:
        """Attribution text for the training data (empty when the model carries none)."""
        return str(self.dataset.get("attribution", ""))

    def to_props(self) -> dict[str, str]:
        """All metadata as ONNX ``metadata_props`` (string → string, ``mbot.``-prefixed)."""
        values: dict[str, str] = {
            "format_version": str(self.format_version),
            "spec": self.spec.to_json(),
            "latent_dim": str(self.latent_dim),
            "latent_distribution": self.latent_distribution,
            "input_name": self.input_name,
            "output_name": self.output_name,
            "output": self.output,
            "phase": self.phase,
            "model_name": self.model_name,
            "preset": self.preset,
            "training_steps": str(self.training_steps),
            "dataset": json.dumps(dict(self.dataset), sort_keys=True),
            "exporter": json.dumps(dict(self.exporter), sort_keys=True),
            "content_hash": self.content_hash,
        }
        if self.noise_input_name:  # only then: spectrogram models keep their exact bytes
            values["noise_input_name"] = self.noise_input_name
        if self.data_context != CONTEXTS[0]:  # the same for call-context models
            values["data_context"] = self.data_context
        if self.phase_iterations is not None:  # and for models that keep the default
            values["phase_iterations"] = str(self.phase_iterations)
        return {PREFIX + k: v for k, v in values.items()}

    @classmethod
    def from_props(cls, props: Mapping[str, str], *, source: str = "model") -> ModelMeta:
        """Parse ``metadata_props`` (e.g. onnxruntime's ``custom_metadata_map``).

        Raises:
            ModelError: a required key is missing or a value is malformed; the message names
                ``source`` and the key.
        """
        raw = {k[len(PREFIX) :]: v for k, v in props.items() if k.startswith(PREFIX)}
        missing = [k for k in _REQUIRED if k not in raw]
        if missing:
            raise ModelError(
                f"{source} is not a MockingBot model: metadata lacks "
                f"{', '.join(PREFIX + k for k in missing)}; export it with `mbot export onnx`"
            )
        try:
            fmt = int(raw["format_version"])
            if fmt != MODEL_FORMAT_VERSION:
                raise ModelError(
                    f"{source}: model format version {fmt} is not supported by this mbot "
                    f"(it reads version {MODEL_FORMAT_VERSION})"
                )
            return cls(
                spec=SpectrogramSpec.from_json(raw["spec"]),
                latent_dim=int(raw["latent_dim"]),
                latent_distribution=raw["latent_distribution"],
                input_name=raw.get("input_name", "z"),
                output_name=raw.get("output_name", "spectrogram"),
                noise_input_name=raw.get("noise_input_name", ""),
                output=raw["output"],
                phase=raw["phase"],
                phase_iterations=(
                    int(raw["phase_iterations"]) if "phase_iterations" in raw else None
                ),
                model_name=raw.get("model_name", "unnamed"),
                preset=raw.get("preset", "default"),
                training_steps=int(raw.get("training_steps", "0")),
                dataset=json.loads(raw.get("dataset", "{}")),
                data_context=raw.get("data_context", CONTEXTS[0]),
                exporter=json.loads(raw.get("exporter", "{}")),
                content_hash=raw.get("content_hash", ""),
                format_version=fmt,
            )
        except ModelError as exc:  # name the file: "model metadata: ..." alone does not
            text = str(exc)
            raise ModelError(text if text.startswith(source) else f"{source}: {text}") from None
        except (ValueError, TypeError) as exc:
            raise ModelError(f"{source}: malformed MockingBot metadata ({exc})") from None
