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
``mbot.output_name``        name of the output, ``"spectrogram"``
``mbot.output``             ``"spectrogram"``: normalised per the spec, [batch, n_frames, n_bins]
``mbot.phase``              recommended phase recovery: ``"pghi"`` (phase-gradient start +
                            fast Griffin-Lim) or ``"zero"`` (the 2022 prototype's zero phase)
``mbot.model_name``         human name, e.g. ``"catmeows"``
``mbot.preset``             training preset, e.g. ``"default"`` or ``"seed-2022"``
``mbot.training_steps``     generator steps trained
``mbot.dataset``            JSON: ``name``, ``clips``, ``license``, ``attribution``
``mbot.exporter``           JSON: versions of mockingbot, tensorflow, tf2onnx, onnx (no time:
                            the same checkpoint exports to the same bytes)
``mbot.content_hash``       sha256 of the graph and weights (metadata excluded)
==========================  ====================================================
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from .errors import ModelError
from .spec import SpectrogramSpec

__all__ = ["MODEL_FORMAT_VERSION", "PREFIX", "ModelMeta"]

MODEL_FORMAT_VERSION = 1
PREFIX = "mbot."
_DISTRIBUTIONS = ("normal", "uniform")
_PHASES = ("pghi", "zero")
_REQUIRED = ("format_version", "spec", "latent_dim", "latent_distribution", "output", "phase")


@dataclasses.dataclass(frozen=True)
class ModelMeta:
    """Everything the runtime needs to know about a generator, parsed and validated."""

    spec: SpectrogramSpec
    latent_dim: int
    latent_distribution: str = "normal"
    input_name: str = "z"
    output_name: str = "spectrogram"
    output: str = "spectrogram"
    phase: str = "pghi"
    model_name: str = "unnamed"
    preset: str = "default"
    training_steps: int = 0
    dataset: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    exporter: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    content_hash: str = ""
    format_version: int = MODEL_FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.format_version != MODEL_FORMAT_VERSION:
            raise ModelError(
                f"model format version {self.format_version} is not supported by this mbot "
                f"(it reads version {MODEL_FORMAT_VERSION}); upgrade mockingbot or re-export"
            )
        if self.latent_dim <= 0:
            raise ModelError(f"model metadata: latent_dim must be positive, got {self.latent_dim}")
        if self.latent_distribution not in _DISTRIBUTIONS:
            raise ModelError(
                f"model metadata: unknown latent distribution {self.latent_distribution!r} "
                f"(known: {', '.join(_DISTRIBUTIONS)})"
            )
        if self.output != "spectrogram":
            raise ModelError(f"model metadata: unknown output kind {self.output!r}")
        if self.phase not in _PHASES:
            raise ModelError(
                f"model metadata: unknown phase method {self.phase!r} (known: {', '.join(_PHASES)})"
            )

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
                output=raw["output"],
                phase=raw["phase"],
                model_name=raw.get("model_name", "unnamed"),
                preset=raw.get("preset", "default"),
                training_steps=int(raw.get("training_steps", "0")),
                dataset=json.loads(raw.get("dataset", "{}")),
                exporter=json.loads(raw.get("exporter", "{}")),
                content_hash=raw.get("content_hash", ""),
                format_version=fmt,
            )
        except ModelError:
            raise
        except (ValueError, TypeError) as exc:
            raise ModelError(f"{source}: malformed MockingBot metadata ({exc})") from None
