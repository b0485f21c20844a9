"""Training configuration: presets, config files and command-line overrides in layers.

A run's configuration is resolved once — preset TOML, then the user's ``--config`` TOML,
then command-line flags, later layers winning — validated, and written to
``RUN_DIR/config.json``. Resume and export read that file back, so a run is always
reproduced with exactly the settings it was trained with, spectrogram spec included.

This module is pure Python (no TensorFlow): the CLI validates a config before paying for
the TensorFlow import.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import sys
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from mockingbot.defaults import CONTEXTS, LATENT_DISTRIBUTIONS, PHASE_METHODS
from mockingbot.errors import ParameterError
from mockingbot.model_meta import MAX_PHASE_ITERATIONS
from mockingbot.spec import PRESETS as SPEC_PRESETS
from mockingbot.spec import SpectrogramSpec, ladder_preset
from mockingbot.validation import as_float, as_int, one_of

from .augment import AUGMENTS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "AUTO_SPEC",
    "ModelConfig",
    "TrainConfig",
    "TrainSettings",
    "available_presets",
    "base_frames_for",
    "default_context",
    "load_preset",
    "merge_config",
    "resolve_config",
]

#: ``[spec] preset = "auto"``: the ladder rung the data earns (mbot train measures it,
#: :mod:`mockingbot.bandwidth`); ``[spec] sr = RATE`` picks a rung by hand; with neither and
#: no data at hand (benchmarks, tests, ``resolve_config()``), the 8 kHz ``default`` spec.
AUTO_SPEC = "auto"

_GENERATORS = ("fullres", "harmonic", "dense2022")
_OUTPUTS = ("spectrogram", "waveform")
_DISCRIMINATORS = ("conv", "conv2022")
_LOSSES = ("hinge", "bce")
_STRATEGIES = ("default", "mirrored", "multiworker")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Architecture settings (the preset ``default.toml`` says what each means and why)."""

    generator: str = "harmonic"
    output: str = "spectrogram"
    channel_eq: bool = False
    discriminator: str = "conv"
    latent_dim: int = 64
    latent_distribution: str = "normal"
    gen_channels: tuple[int, ...] = (256, 256, 192, 128, 128)
    #: 0 (the default): spec.n_frames / 2^len(gen_channels), filled in by TrainConfig.
    gen_base_frames: int = 0
    refine_channels: tuple[int, ...] = (8, 8)
    #: fullres: per-frame noise channels into the trunk's last block (0: none; other
    #: generators ignore it, as they do ``refine_channels``).
    frame_noise: int = 0
    n_harmonics: int = 20
    n_noise_bands: int = 32
    f0_min_hz: float = 120.0
    f0_max_hz: float = 1600.0
    noise_texture: bool = False
    peak_shape: str = "gaussian"
    disc_channels: tuple[int, ...] = (16, 32, 64, 128, 128)
    disc_stats: bool = False
    stats_bands: int = 32
    phase: str = "pghi"
    #: Fast Griffin-Lim iterations the exported model asks its phase recovery to run after
    #: the start (``mbot.phase_iterations``); -1: the method's default.
    phase_iterations: int = -1

    @property
    def phase_n_iter(self) -> int | None:
        """``phase_iterations`` as the runtime takes it (``None``: the method's default)."""
        return None if self.phase_iterations < 0 else self.phase_iterations


@dataclasses.dataclass(frozen=True)
class DataSettings:
    """How the audio folder becomes training clips (see ``mockingbot.defaults.CONTEXTS``)."""

    context: str = CONTEXTS[0]
    #: Why spec.sr is what it is, when mbot train chose it (``"the data: 87 of 100 files
    #: reach 22.05 kHz"``, ``"--sample-rate"``); empty when the preset or config file set it.
    rate_choice: str = ""


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """Optimisation and bookkeeping settings."""

    steps: int = 10000
    batch_size: int = 32
    loss: str = "hinge"
    g_lr: float = 2e-4
    d_lr: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.9
    r1_gamma: float = 1.0
    r1_every: int = 4
    ema_decay: float = 0.999
    augment: tuple[str, ...] = ("shift", "gain", "cutout")
    checkpoint_every: int = 250
    sample_every: int = 500
    log_every: int = 25
    keep_checkpoints: int = 3
    seed: int = 0
    strategy: str = "default"
    stats_match: float = 0.0
    #: Feature matching on how far each frame's loudest bins stand out (clipstats.clip_peaks).
    peak_match: float = 0.0
    #: Distribution matching of how long clips stay near their peak (clipstats.loud_fraction).
    loud_match: float = 0.0
    roughness_match: float = 0.0
    #: The discriminator and the matching terms see generated clips after phase retrieval
    #: (src/mockingbot/trainer/heard.py); TensorFlow loop only.
    judge_heard: bool = False


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything a run needs: preset name, spectrogram spec, model and training settings."""

    name: str
    spec: SpectrogramSpec
    model: ModelConfig
    train: TrainSettings
    data: DataSettings = DataSettings()

    def __post_init__(self) -> None:
        # The generator's size follows the spec: gen_base_frames = 0 means "whatever makes
        # n_frames", so a wideband spec needs no matching number typed by hand. The value is
        # filled in here (and so written to config.json) because the trunk's first Dense layer
        # has that many frames: a stored run must rebuild exactly the networks it trained.
        if self.model.gen_base_frames == 0 and self.model.generator in ("harmonic", "fullres"):
            base = base_frames_for(self.spec.n_frames, len(self.model.gen_channels))
            object.__setattr__(self, "model", dataclasses.replace(self.model, gen_base_frames=base))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        return {
            "name": self.name,
            "spec": self.spec.to_dict(),
            "model": _plain(dataclasses.asdict(self.model)),
            "train": _plain(dataclasses.asdict(self.train)),
            "data": _plain(dataclasses.asdict(self.data)),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "config") -> TrainConfig:
        """Build and validate a config; unknown keys anywhere are an error naming them."""
        _check_keys(data, {"name", "spec", "model", "train", "data"}, source)
        spec = _resolve_spec(data.get("spec", {}), f"{source} [spec]")
        model = _build(ModelConfig, data.get("model", {}), f"{source} [model]")
        train = _build(TrainSettings, data.get("train", {}), f"{source} [train]")
        data_settings = _build(DataSettings, data.get("data", {}), f"{source} [data]")
        cfg = cls(
            name=str(data.get("name", "custom")),
            spec=spec,
            model=model,
            train=train,
            data=data_settings,
        )
        cfg.validate()
        return cfg

    def validate(self) -> None:
        """Raise :class:`ParameterError` for impossible combinations, naming the key."""
        m, t = self.model, self.train
        one_of("model.generator", m.generator, _GENERATORS)
        one_of("model.discriminator", m.discriminator, _DISCRIMINATORS)
        one_of("model.output", m.output, _OUTPUTS)
        one_of("model.latent_distribution", m.latent_distribution, LATENT_DISTRIBUTIONS)
        one_of("model.phase", m.phase, PHASE_METHODS)
        as_int("model.phase_iterations", m.phase_iterations, low=-1, high=MAX_PHASE_ITERATIONS)
        one_of("model.peak_shape", m.peak_shape, ("rational", "gaussian"))
        one_of("train.loss", t.loss, _LOSSES)
        one_of("train.strategy", t.strategy, _STRATEGIES)
        one_of("data.context", self.data.context, CONTEXTS)
        for a in t.augment:
            one_of("train.augment", a, AUGMENTS)
        for key, value in [
            ("model.latent_dim", m.latent_dim),
            ("model.n_harmonics", m.n_harmonics),
            ("model.n_noise_bands", m.n_noise_bands),
            ("train.steps", t.steps),
            ("train.batch_size", t.batch_size),
            ("train.r1_every", t.r1_every),
            ("train.checkpoint_every", t.checkpoint_every),
            ("train.sample_every", t.sample_every),
            ("train.log_every", t.log_every),
            ("train.keep_checkpoints", t.keep_checkpoints),
        ]:
            as_int(key, value, low=1)
        for key, value in [("train.g_lr", t.g_lr), ("train.d_lr", t.d_lr)]:
            if not (0.0 < float(value) <= 1.0):
                raise ParameterError(f"{key} must be in (0, 1], got {value!r}")
        if not (0.0 <= t.ema_decay < 1.0):
            raise ParameterError(f"train.ema_decay must be in [0, 1), got {t.ema_decay!r}")
        as_float("train.r1_gamma", t.r1_gamma, low=0.0)
        if not (0 < m.f0_min_hz < m.f0_max_hz < self.spec.sr / 2):
            raise ParameterError(
                f"model.f0_min_hz/f0_max_hz must satisfy 0 < min < max < sr/2 = "
                f"{self.spec.sr / 2:g}, got {m.f0_min_hz}/{m.f0_max_hz}"
            )
        if m.generator in ("harmonic", "fullres"):
            if self.spec.scale != "log":
                raise ParameterError(f"the {m.generator} generator needs spec.scale = 'log'")
            if isinstance(m.gen_base_frames, bool) or m.gen_base_frames <= 0:
                raise ParameterError(
                    f"model.gen_base_frames must be a positive integer (or 0: from the spec), "
                    f"got {m.gen_base_frames!r}"
                )
            frames = m.gen_base_frames * 2 ** len(m.gen_channels)
            if frames != self.spec.n_frames:
                raise ParameterError(
                    f"model.gen_base_frames × 2^len(model.gen_channels) = {frames} must equal "
                    f"spec.n_frames = {self.spec.n_frames}"
                )
        if any(isinstance(c, bool) or not isinstance(c, int) or c <= 0 for c in m.refine_channels):
            raise ParameterError(
                f"model.refine_channels must be positive integers, got {list(m.refine_channels)}"
            )
        as_int("model.frame_noise", m.frame_noise, low=0, high=self.spec.n_bins)
        if m.output == "waveform" and m.generator != "harmonic":
            raise ParameterError("model.output = 'waveform' needs model.generator = 'harmonic'")
        if m.channel_eq and m.generator != "harmonic":
            raise ParameterError("model.channel_eq needs model.generator = 'harmonic'")
        if m.output == "waveform":
            s = self.spec
            if s.n_frames * s.hop_length != s.clip_samples:
                raise ParameterError(
                    f"model.output = 'waveform' needs spec.n_frames × spec.hop_length "
                    f"({s.n_frames} × {s.hop_length}) = spec.clip_samples ({s.clip_samples})"
                )
        if m.disc_stats and m.discriminator != "conv":
            raise ParameterError("model.disc_stats needs model.discriminator = 'conv'")
        as_float("train.stats_match", t.stats_match, low=0.0)
        as_float("train.peak_match", t.peak_match, low=0.0)
        as_float("train.loud_match", t.loud_match, low=0.0)
        as_float("train.roughness_match", t.roughness_match, low=0.0)
        if t.judge_heard and (m.output != "spectrogram" or self.spec.scale != "log"):
            raise ParameterError(
                "train.judge_heard needs a spectrogram model on a log-magnitude spec "
                f"(model.output = {m.output!r}, spec.scale = {self.spec.scale!r})"
            )
        if (m.disc_stats or t.stats_match > 0) and not 2 <= m.stats_bands <= self.spec.n_bins // 2:
            raise ParameterError(
                f"model.stats_bands must be an integer in [2, {self.spec.n_bins // 2}] "
                f"(spec.n_bins / 2), got {m.stats_bands!r}"
            )
        if m.discriminator == "conv" and len(m.disc_channels) < 1:
            raise ParameterError("model.disc_channels needs at least one layer")


def base_frames_for(n_frames: int, n_blocks: int) -> int:
    """Frames the generator's trunk starts from so ``n_blocks`` ×2 blocks reach ``n_frames``.

    Raises:
        ParameterError: ``n_frames`` is not a whole number times ``2**n_blocks``; the message
            names the nearest frame counts that work.
    """
    step = 2**n_blocks
    if n_blocks < 0 or n_frames % step:
        lower, upper = max(step, n_frames // step * step), (n_frames // step + 1) * step
        raise ParameterError(
            f"spec.n_frames = {n_frames} is not a whole number × 2^{n_blocks} (the generator "
            f"has {n_blocks} ×2 upsampling blocks, one per model.gen_channels entry): use "
            f"spec.n_frames = {lower} or {upper}, or change the number of blocks"
        )
    return n_frames // step


def _resolve_spec(data: Mapping[str, Any], where: str) -> SpectrogramSpec:
    """``[spec]``: ``preset = NAME`` picks a spec from :data:`mockingbot.spec.PRESETS`; other keys
    override single fields. A full spec (as stored in ``config.json``) needs no preset."""
    if not isinstance(data, Mapping):
        raise ParameterError(f"{where} must be a table of settings")
    fields = dict(data)
    name = fields.pop("preset", None)
    if name is None:
        return SpectrogramSpec.from_dict(fields)
    if name == AUTO_SPEC:
        try:
            name = ladder_preset(fields["sr"]) if "sr" in fields else "default"
        except ParameterError as exc:
            raise ParameterError(f"{where} sr: {exc}") from None
    if name not in SPEC_PRESETS:
        raise ParameterError(
            f"{where}: unknown spec preset {name!r}; known: {', '.join(sorted(SPEC_PRESETS))}"
        )
    return SpectrogramSpec.from_dict(SPEC_PRESETS[name].to_dict() | fields)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _check_keys(data: Mapping[str, Any], known: set[str], where: str) -> None:
    if not isinstance(data, Mapping):
        raise ParameterError(f"{where} must be a table of settings, got {type(data).__name__}")
    unknown = sorted(set(data) - known)
    if unknown:
        raise ParameterError(
            f"unknown key(s) in {where}: {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )


def _build(cls: type, data: Mapping[str, Any], where: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _check_keys(data, set(fields), where)
    values: dict[str, Any] = {}
    for key, raw in data.items():
        default = getattr(cls(), key)
        values[key] = _coerce(raw, default, f"{where} {key}")
    return cls(**values)


def _coerce(raw: Any, default: Any, where: str) -> Any:
    """Coerce TOML/JSON values to the type of the default, with a clear message on mismatch."""
    if isinstance(default, tuple):
        if not isinstance(raw, (list, tuple)):
            raise ParameterError(f"{where} must be a list, got {raw!r}")
        return tuple(raw)
    if isinstance(default, bool):
        if not isinstance(raw, bool):
            raise ParameterError(f"{where} must be true or false, got {raw!r}")
        return raw
    if isinstance(default, int):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ParameterError(f"{where} must be an integer, got {raw!r}")
        return raw
    if isinstance(default, float):
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ParameterError(f"{where} must be a number, got {raw!r}")
        return float(raw)
    if isinstance(default, str):
        if not isinstance(raw, str):
            raise ParameterError(f"{where} must be a string, got {raw!r}")
        return raw
    return raw


def available_presets() -> list[str]:
    """Names of the presets shipped with the package."""
    folder = resources.files("mockingbot.trainer") / "presets"
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def default_context() -> str:
    """The default recipe's ``[data] context``: what ``mbot train`` cuts clips by when a
    config does not say, so ``mbot dataset inspect`` shows the same clips by default."""
    return resolve_config().data.context


def load_preset(name: str, *, _seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """The raw settings of a shipped preset (a nested dict).

    A preset may start from another with ``base = "NAME"`` and list only what it changes, so
    a recipe's stages cannot drift apart (``waveform`` is ``default`` with another renderer).
    """
    names = available_presets()
    if name not in names:
        raise ParameterError(f"unknown preset {name!r}; available: {', '.join(names)}")
    if name in _seen:
        raise ParameterError(f"presets {' → '.join((*_seen, name))} form a loop")
    text = (resources.files("mockingbot.trainer") / "presets" / f"{name}.toml").read_text()
    data = tomllib.loads(text)
    base = data.pop("base", None)
    if base is None:
        return data
    return merge_config(load_preset(str(base), _seen=(*_seen, name)), data)


def merge_config(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base`` key by key (nested tables merged, values replaced); copies."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merge_config(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_config(
    *,
    preset: str = "default",
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    data_rate: Callable[[], tuple[int, str]] | None = None,
) -> TrainConfig:
    """Preset → config file → overrides (``{"train": {"steps": 10}}``), validated.

    ``data_rate`` is asked for ``(rate, why)`` only when the merged ``[spec]`` is
    ``preset = "auto"`` without an ``sr`` (measuring a data set costs a decode of every
    file): its rate picks the ladder rung and ``why`` is kept as ``data.rate_choice``.

    Raises:
        ParameterError: unknown preset, unreadable or invalid TOML, unknown keys, impossible
            values — each message names the file and the key.
    """
    data = load_preset(preset)
    source = f"preset {preset!r}"
    if config_file is not None:
        path = Path(config_file)
        try:
            user = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ParameterError(f"config file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ParameterError(f"cannot read config file {path}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ParameterError(f"config file {path} is not valid TOML: {exc}") from None
        data = merge_config(data, user)
        source = f"config {path}"
    if overrides:
        data = merge_config(data, overrides)
    spec = data.get("spec", {})
    if (
        data_rate is not None
        and isinstance(spec, Mapping)
        and spec.get("preset") == AUTO_SPEC
        and "sr" not in spec
    ):
        rate, why = data_rate()
        data = merge_config(
            data, {"spec": {"preset": ladder_preset(rate)}, "data": {"rate_choice": why}}
        )
    return TrainConfig.from_dict(data, source=source)
