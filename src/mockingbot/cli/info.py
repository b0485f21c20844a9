"""``mbot info``: show what an exported ONNX generator says about itself.

Runtime-only: reads the file with :func:`mockingbot.runtime.onnx_info.model_info` (no TensorFlow,
no ``onnx`` package, no inference session).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ._output import console, print_json, warn

__all__ = ["register"]

_EPILOG = """
Examples:

  mbot info meows.onnx

  mbot info meows.onnx --json > meows-info.json

  mbot info runs/meows/meows.onnx --json | jq '.mockingbot.spec'

A model without MockingBot metadata still gets its structure shown, with a warning.
"""

#: Spec fields in the order a reader wants them.
_SPEC_ORDER = (
    "sr",
    "n_fft",
    "win_length",
    "hop_length",
    "window",
    "center",
    "clip_samples",
    "n_frames",
    "n_bins",
    "scale",
    "top_db",
    "version",
)


def _shape(shape: list[Any]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.2f} MiB ({n:,} bytes)"


def _output_kind(meta: dict[str, Any]) -> str:
    """What the model emits, e.g. ``waveform (audio at 8000 Hz; noise input 'noise')``."""
    if meta["output"] == "waveform":
        sr = meta["spec"].get("sr", "?")
        noise = meta.get("noise_input_name", "?")
        return f"waveform (audio at {sr} Hz, no phase retrieval; noise input {noise!r})"
    if meta.get("noise_input_name"):  # a full-resolution model: texture drawn per sound
        noise = meta["noise_input_name"]
        return f"{meta['output']} (normalised, see spec; texture noise input {noise!r})"
    return f"{meta['output']} (normalised, see spec)"


def _rate(spec: dict[str, Any]) -> str:
    """``22050 Hz (spectrogram up to 11.0 kHz)``: the rate and the band the model covers.

    The band is what a listener gets: render-pack writes 44.1/48 kHz files from any model,
    and an 8 kHz model's files hold nothing above 4 kHz.
    """
    from mockingbot.spec import SpectrogramSpec

    s = SpectrogramSpec.from_dict(spec)
    return f"{s.sr} Hz (spectrogram up to {s.max_hz / 1000:.1f} kHz)"


def _floor(dataset: dict) -> str:
    """The recordings' noise floor the runtime plays under each call (mockingbot.noisefloor)."""
    levels = (dataset.get("noise_floor") or {}).get("levels_db")
    if not isinstance(levels, list) or not levels:
        return "none (the model carries no noise floor; its sounds are rendered clean)"
    median = levels[len(levels) // 2]
    return f"the recordings' floor under each call (median {median:.1f} dB below its peak frame)"


def _context(meta: dict[str, Any]) -> str:
    context = meta.get("data_context", "call")
    if context == "recording":
        return "whole recordings (render-pack cuts the room tone around each call)"
    if context == "onset":
        return "calls from their onset, with the recording after each (decay, room tone)"
    return "calls cut at their onset and offset"


def _print_info(info: dict[str, Any]) -> None:
    from rich.table import Table

    from mockingbot.runtime.phase import describe

    model = Table(title=f"mbot info: {info['path']}", title_justify="left")
    model.add_column("")
    model.add_column("value", overflow="fold")
    meta = info["mockingbot"]
    if meta is not None:
        ds = meta.get("dataset", {})
        rows = [
            ("model name", meta["model_name"]),
            ("format version", str(meta["format_version"])),
            ("preset", meta["preset"]),
            ("training steps", f"{meta['training_steps']:,}"),
            ("latent", f"{meta['latent_dim']} × {meta['latent_distribution']}"),
            ("sample rate", _rate(meta["spec"])),
            ("output", _output_kind(meta)),
            ("phase recovery", describe(meta["phase"], meta.get("phase_iterations"))),
            ("data set", f"{ds.get('name', '?')} ({ds.get('clips', '?')} clips)"),
            ("learnt from", _context(meta)),
            ("noise floor", _floor(ds)),
            ("license", ds.get("license") or "-"),
            ("attribution", ds.get("attribution") or "-"),
        ]
        for key, value in rows:
            model.add_row(key, str(value))
    for t in info["inputs"]:
        model.add_row("input", f"{t['name']}  {t['dtype']} {_shape(t['shape'])}")
    for t in info["outputs"]:
        model.add_row("output tensor", f"{t['name']}  {t['dtype']} {_shape(t['shape'])}")
    model.add_row("opset", f"{info['opset']} (IR version {info['ir_version']})")
    model.add_row("size", _size(info["size_bytes"]))
    by_dtype = ", ".join(f"{k} {v:,}" for k, v in info["parameters_by_dtype"].items())
    model.add_row("parameters", f"{info['parameters']:,}  ({by_dtype})")
    model.add_row("producer", info["producer"] or "-")
    if meta is not None:
        ex = meta.get("exporter", {})
        tools = ", ".join(
            f"{k} {ex[k]}" for k in ("mockingbot", "tensorflow", "tf2onnx", "onnx") if k in ex
        )
        model.add_row("exported with", tools or "-")
        if "precision" in ex:
            model.add_row("weight storage", str(ex["precision"]))
    hash_ok = info["content_hash_ok"]
    model.add_row(
        "content hash",
        "not stored"
        if hash_ok is None
        else f"{info['content_hash'][:16]}… {'matches' if hash_ok else 'DOES NOT MATCH'}",
    )
    model.add_row("sha256 (file)", info["sha256"])
    console.print(model, highlight=False)

    if meta is not None:
        spec = Table(title="spectrogram spec", title_justify="left")
        spec.add_column("field")
        spec.add_column("value", justify="right")
        s = meta["spec"]
        for key in [*_SPEC_ORDER, *sorted(set(s) - set(_SPEC_ORDER))]:
            if key in s:
                spec.add_row(key, str(s[key]))
        console.print(spec, highlight=False)


def info(
    model: Path = typer.Argument(..., help="An ONNX model file.", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print everything as JSON."),
) -> None:
    """Show a model's metadata, spectrogram spec, inputs/output (kind and shapes), opset, size."""
    from mockingbot.runtime.onnx_info import model_info

    facts = model_info(model)
    if as_json:
        print_json(facts)
    else:
        _print_info(facts)
    if facts["mockingbot_error"]:
        warn(facts["mockingbot_error"])
    if facts["content_hash_ok"] is False:
        warn("the graph or weights changed after export (mbot.content_hash does not match)")


def register(app: typer.Typer) -> None:
    app.command("info", epilog=_EPILOG, no_args_is_help=True)(info)
