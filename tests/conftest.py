"""Shared fixtures: seeded randomness, synthetic audio and a tiny ONNX generator.

Unit tests never read ../shared: they make their own audio and models.
"""

from __future__ import annotations

import os
from pathlib import Path

# pytest-xdist workers start with COLUMNS=80 in their environment, and rich fixes a console's
# width for good when it is created with COLUMNS set. The CLI's consoles are module-level, so
# tests that widen the terminal (CliRunner(env={"COLUMNS": ...})) would see 80 columns under
# xdist and the terminal's own width in a plain run. Without it, every console asks anew.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

import numpy as np
import pytest

from mockingbot.spec import SpectrogramSpec

#: A small spec that keeps tests fast: 8 kHz, n_fft 128 / hop 32, 0.5 s clips, 128 × 64.
TINY_SPEC = SpectrogramSpec(
    sr=8000, n_fft=128, win_length=128, hop_length=32, clip_samples=4096, n_frames=128, n_bins=64
)

#: Model metadata that is valid JSON of the wrong type: (key, value) for make_tiny_onnx.
WRONG_JSON_METADATA = [
    ("mbot.dataset", "[1,2]"),
    ("mbot.dataset", '"hello"'),
    ("mbot.exporter", "123"),
]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def tiny_spec() -> SpectrogramSpec:
    return TINY_SPEC


def synth_meow(
    sr: int = 8000, seconds: float = 1.0, f0: float = 500.0, seed: int = 0
) -> np.ndarray:
    """A meow-like test call: gliding harmonic stack with an envelope and a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    glide = f0 * (1.0 + 0.3 * np.sin(np.pi * t / seconds))
    phase = 2 * np.pi * np.cumsum(glide) / sr
    y = sum((0.6 / k) * np.sin(k * phase) for k in range(1, 6) if k * glide.max() < sr / 2)
    env = np.sin(np.pi * t / seconds) ** 2
    return (0.5 * env * y + 0.005 * rng.standard_normal(t.size)).astype(np.float32)


def burst_then_hiss(
    sr: int = 8000,
    *,
    burst_s: float = 0.15,
    hiss_s: float = 1.5,
    hiss_db: float = 30.0,
    f0: float = 600.0,
    seed: int = 0,
) -> np.ndarray:
    """A short tone burst followed by a long noise tail ``hiss_db`` below the burst (RMS).

    The shape a generator makes when it paints a quiet noise floor where a call should go on.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * burst_s)) / sr
    burst = 0.5 * np.sin(2 * np.pi * f0 * t)
    hiss_rms = 0.5 / np.sqrt(2.0) * 10.0 ** (-hiss_db / 20.0)
    hiss = hiss_rms * rng.standard_normal(int(sr * hiss_s))
    return np.concatenate([burst, hiss]).astype(np.float32)


def make_tiny_onnx(
    path: Path,
    *,
    spec: SpectrogramSpec = TINY_SPEC,
    latent_dim: int = 8,
    phase: str | None = None,
    seed: int = 0,
    output: str = "spectrogram",
    metadata: dict[str, str] | None = None,
) -> Path:
    """Write a small MockingBot-shaped ONNX generator, built with onnx.helper (no TensorFlow).

    ``output="spectrogram"``: z → tanh(zW + b) → spectrogram [batch, n_frames, n_bins].
    ``output="waveform"``: inputs ``z`` and ``noise`` [batch, clip_samples]; a toy oscillator
    ``audio = 0.5·sin(cumsum(0.2 + 0.1·tanh(zW + b))) + 0.05·noise`` [batch, clip_samples].
    ``phase`` defaults to the output kind's usual method (``pghi`` / ``none``). ``metadata``
    overrides or removes (value ``None``) individual ``mbot.*`` keys to test the runtime's
    checks.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from mockingbot.model_meta import ModelMeta

    r = np.random.default_rng(seed)
    T, F = spec.shape
    names: dict[str, str] = {}
    if output == "spectrogram":
        W = (r.standard_normal((latent_dim, T * F)) * 0.3).astype(np.float32)
        b = np.linspace(0.2, -0.9, F, dtype=np.float32)[None, :].repeat(T, 0).reshape(-1)
        nodes = [
            helper.make_node("MatMul", ["z", "W"], ["h"]),
            helper.make_node("Add", ["h", "b"], ["h2"]),
            helper.make_node("Tanh", ["h2"], ["t"]),
            helper.make_node("Reshape", ["t", "shape"], ["spectrogram"]),
        ]
        inputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", latent_dim])]
        outputs = [helper.make_tensor_value_info("spectrogram", TensorProto.FLOAT, ["batch", T, F])]
        inits = [
            numpy_helper.from_array(W, "W"),
            numpy_helper.from_array(b, "b"),
            numpy_helper.from_array(np.array([-1, T, F], dtype=np.int64), "shape"),
        ]
    elif output == "waveform":
        n = spec.clip_samples
        W = (r.standard_normal((latent_dim, n)) * 0.3).astype(np.float32)
        b = np.zeros(n, dtype=np.float32)

        def const(name: str, value: float) -> onnx.TensorProto:
            return numpy_helper.from_array(np.array(value, dtype=np.float32), name)

        nodes = [
            helper.make_node("MatMul", ["z", "W"], ["h"]),
            helper.make_node("Add", ["h", "b"], ["h2"]),
            helper.make_node("Tanh", ["h2"], ["t"]),
            helper.make_node("Mul", ["t", "c_depth"], ["t2"]),
            helper.make_node("Add", ["t2", "c_step"], ["step"]),
            helper.make_node("CumSum", ["step", "axis"], ["phase"]),
            helper.make_node("Sin", ["phase"], ["osc"]),
            helper.make_node("Mul", ["osc", "c_amp"], ["tone"]),
            helper.make_node("Mul", ["noise", "c_noise"], ["hiss"]),
            helper.make_node("Add", ["tone", "hiss"], ["audio"]),
        ]
        inputs = [
            helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", latent_dim]),
            helper.make_tensor_value_info("noise", TensorProto.FLOAT, ["batch", n]),
        ]
        outputs = [helper.make_tensor_value_info("audio", TensorProto.FLOAT, ["batch", n])]
        inits = [
            numpy_helper.from_array(W, "W"),
            numpy_helper.from_array(b, "b"),
            const("c_depth", 0.1),
            const("c_step", 0.2),
            const("c_amp", 0.5),
            const("c_noise", 0.05),
            numpy_helper.from_array(np.array(1, dtype=np.int64), "axis"),
        ]
        names = {"output_name": "audio", "noise_input_name": "noise"}
    else:
        raise ValueError(f"unknown output kind {output!r}")
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if phase is None:
        phase = "none" if output == "waveform" else "pghi"
    meta = ModelMeta(
        spec=spec,
        latent_dim=latent_dim,
        output=output,
        phase=phase,
        model_name="tiny",
        training_steps=1,
        dataset={
            "name": "synthetic",
            "clips": 4,
            "license": "CC0",
            "attribution": "synthetic test data",
        },
        **names,
    ).to_props()
    for k, v in (metadata or {}).items():
        if v is None:
            meta.pop(k, None)
        else:
            meta[k] = v
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    path = Path(path)
    onnx.save(model, str(path))
    return path


#: Spec and networks small enough to train a step in well under a second: the TINY_SPEC grid
#: (128 frames × 64 bins) with narrow networks. Add a ``[train]`` table with
#: :func:`tiny_train_toml`.
_TINY_MODEL_TOML = """
[spec]
preset = "default"
n_fft = 128
win_length = 128
hop_length = 32
clip_samples = 4096
n_frames = 128
n_bins = 64

[model]
gen_channels = [32, 32, 32, 32]
n_harmonics = 8
n_noise_bands = 8
disc_channels = [8, 16]
"""


#: ``[train]`` settings for a few tiny steps: a checkpoint after each, no samples on the way.
TINY_STEPS: dict[str, int] = dict(
    steps=3, batch_size=4, checkpoint_every=1, sample_every=1000, log_every=1, r1_every=2
)


def tiny_train_toml(
    *, output: str = "spectrogram", spec_preset: str | None = "default", **train: int
) -> str:
    """A complete tiny training config (TOML text) with the given ``[train]`` settings.

    ``output="waveform"`` makes the generator render audio (``model.output``); the tiny spec
    already satisfies its n_frames × hop_length = clip_samples rule. ``spec_preset=None``
    leaves the rate to the recipe (the data, or ``--sample-rate``); the tiny sizes still apply.
    """
    lines = "\n".join(f"{key} = {value}" for key, value in train.items())
    model = _TINY_MODEL_TOML
    if spec_preset != "default":
        preset = "" if spec_preset is None else f'preset = "{spec_preset}"\n'
        model = model.replace('preset = "default"\n', preset)
    if output != "spectrogram":
        model = model.replace(
            "[model]\n", f'[model]\ngenerator = "harmonic"\noutput = "{output}"\n'
        )
    return f"{model}\n[train]\n{lines}\n"


def tone_stack(
    sr: int, top_hz: float, *, seconds: float = 1.0, f0: float = 300.0, seed: int = 0
) -> np.ndarray:
    """Wideband test audio: harmonics of ``f0`` up to ``top_hz``, a swelling envelope and a
    faint noise floor (-80 dBFS), so its bandwidth is the harmonics' and nothing else's."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    y = sum(
        np.sin(2 * np.pi * k * f0 * t + k) / np.sqrt(k) for k in range(1, int(top_hz // f0) + 1)
    )
    y = y * np.hanning(t.size)
    return (0.5 * y / np.abs(y).max() + 1e-4 * rng.standard_normal(t.size)).astype(np.float32)


def upsampled(y: np.ndarray, sr: int, to: int) -> np.ndarray:
    """``y`` at ``sr`` resampled to ``to`` as any audio editor would (soxr, high quality)."""
    import soxr

    return np.asarray(soxr.resample(y, sr, to), dtype=np.float32)


def write_wav(path: Path, y: np.ndarray, sr: int) -> Path:
    """Write ``y`` as a 16-bit WAV (folders made as needed), as a recorder would."""
    import soundfile as sf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y, sr, subtype="PCM_16")
    return path


def write_meows(folder: Path, count: int) -> Path:
    """Write ``count`` short synthetic meows (different pitch and length) as 8 kHz WAVs."""
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        y = synth_meow(seconds=0.4 + 0.02 * i, f0=300.0 + 40.0 * i, seed=i)
        sf.write(folder / f"call_{i:02d}.wav", y, 8000, subtype="PCM_16")
    return folder


@pytest.fixture
def tiny_model(tmp_path: Path) -> Path:
    return make_tiny_onnx(tmp_path / "tiny.onnx")


@pytest.fixture
def tiny_wave_model(tmp_path: Path) -> Path:
    """A tiny waveform generator (inputs z and noise, output audio), see make_tiny_onnx."""
    return make_tiny_onnx(tmp_path / "tiny-wave.onnx", output="waveform")


def write_fake_pack(
    folder: Path, sources: list[Path], *, spec: dict, sample_rate: int
) -> list[dict]:
    """A pack folder holding copies of ``sources`` as its sounds (one creature each), with a
    valid manifest whose model spec is ``spec``: for commands that read a pack's manifest
    without rendering one. Returns the manifest's sound entries."""
    from mockingbot.runtime import pack_format

    (folder / "audio").mkdir(parents=True)
    sounds = []
    for i, src in enumerate(sources):
        entry = pack_format.sound_entry(
            creature=i, variation=0, audio_format="wav", latent_seed=i, duration_s=1.0,
            lufs=-18.0, peak_dbfs=-1.0, sha256="0" * 64, phase_sc_db=None,
        )  # fmt: skip
        (folder / entry["file"]).write_bytes(src.read_bytes())
        sounds.append(entry)
    creatures = [
        pack_format.creature_entry(
            index=i, size=1.0, random_pitch=0.0, random_volume_offset_db=0.0, sounds=[s["id"]]
        )
        for i, s in enumerate(sounds)
    ]
    manifest = pack_format.build_manifest(
        name="pack", created_by="test", model={"name": "m", "sha256": "0" * 64,
        "content_hash": "", "preset": "", "training_steps": 0}, seed=0, arguments={},
        spec=spec, sample_rate=sample_rate, audio_format="wav", loudness_lufs=-18.0,
        attribution="", creatures=creatures, sounds=sounds,
    )  # fmt: skip
    (folder / "manifest.json").write_text(pack_format.dumps(manifest))
    return sounds


def assert_pack_godot_resources(pack_dir: Path) -> None:
    """Every creature's randomizer resource in a pack is valid Godot 4 text (godot4.md) and
    names exactly its sounds' files, which exist beside it."""
    import json

    from mockingbot.runtime.godot_resources import randomizer_problems, randomizer_stream_paths
    from mockingbot.runtime.godot_text import parse_godot_text

    manifest = json.loads((pack_dir / "manifest.json").read_text(encoding="utf-8"))
    files = {s["id"]: s["file"] for s in manifest["sounds"]}
    for c in manifest["creatures"]:
        tres = pack_dir / c["resource"]
        text = tres.read_text(encoding="utf-8")
        assert randomizer_problems(text, folder=tres.parent) == []
        paths = randomizer_stream_paths(parse_godot_text(text))
        assert paths == [files[i] for i in c["sounds"]]
        assert all((tres.parent / p).is_file() for p in paths)
