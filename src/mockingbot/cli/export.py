"""``mbot export onnx``: turn a trained run into one self-describing ONNX file.

Needs the ``[train]`` extra (TensorFlow, tf2onnx, onnx); the library code is
:func:`mockingbot.export.onnx_export.export_onnx`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ._output import console, err_console, fail, print_json

__all__ = ["register"]

_TRAIN_EXTRA = ("tensorflow", "tf2onnx", "onnx")

_EPILOG = """
Examples:

  mbot export onnx runs/meows                    # → runs/meows/meows.onnx

  mbot export onnx runs/meows -o meows.onnx

  mbot export onnx runs/meows -o meows.onnx --force --checkpoint 5000

  mbot export onnx runs/meows -o meows-small.onnx --fp16   # half the size, same speed

  mbot export onnx runs/meows --phase-iterations 0   # phase-gradient start alone

  mbot info meows.onnx

The export runs the generator in TensorFlow and in onnxruntime on the same 64 latents and
fails (writing nothing) if they differ by more than 1e-4 (fp32) or 5e-2 (--fp16), scaled
up for models whose output exceeds [-1, 1]. See docs/export.md.

A waveform run (model.output = "waveform") exports a generator with two inputs (z, noise)
and an audio output; its parity also feeds the same seeded noise and allows 2e-2 (audio
samples, scaled by the output peak). --fp16 is not offered for waveform runs.
"""

export_app = typer.Typer(
    name="export",
    help="Export a trained generator for the runtime.",
    epilog="Example:\n\n  mbot export onnx runs/meows -o meows.onnx",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _missing_train_extra() -> list[str]:
    """Modules of the ``[train]`` extra that are not importable (checked without importing)."""
    import importlib.util

    missing = []
    for name in _TRAIN_EXTRA:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def _human_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def _print_summary(result) -> None:
    from rich.table import Table

    from mockingbot.export.parity import N_PARITY
    from mockingbot.runtime.phase import describe

    meta = result.meta
    p = result.parity
    table = Table(title=f"mbot export onnx → {result.path}", title_justify="left")
    table.add_column("")
    table.add_column("value", overflow="fold")
    rows = [
        ("model name", meta.model_name),
        ("preset", meta.preset),
        ("checkpoint step", str(result.step)),
        ("weights", f"{'EMA' if result.ema else 'raw'} generator, {result.precision} storage"),
        ("opset", str(result.opset)),
        ("latent", f"{meta.latent_dim} × {meta.latent_distribution}"),
    ]
    if meta.is_waveform:
        n = meta.spec.clip_samples
        rows += [
            ("noise input", f"{meta.noise_input_name} [batch, {n}], N(0, 1)"),
            (
                "output",
                f"waveform {meta.output_name} [batch, {n}] at {meta.spec.sr} Hz"
                " (no phase retrieval)",
            ),
        ]
        detail = f"relative RMS {p['rel_rms']:.2g}"
    else:
        shape = f"[batch, {meta.spec.n_frames}, {meta.spec.n_bins}]"
        if meta.takes_noise:
            dims = ", ".join(map(str, meta.noise_shape))
            rows.append(("noise input", f"{meta.noise_input_name} [batch, {dims}], N(0, 1)"))
        rows.append(("output", f"spectrogram {shape}"))
        rows.append(("phase recovery", describe(meta.phase, meta.phase_iterations)))
        detail = f"max {p['max_db']:.3g} dB"
    rows += [
        ("size", _human_bytes(result.size_bytes)),
        ("parameters", f"{result.parameters:,}"),
        (
            "parity (max abs)",
            f"{p['max_abs']:.3g} ≤ {result.tolerance:.3g}  (mean {p['mean_abs']:.2g}; {detail})",
        ),
        ("conversion", f"{result.convert_seconds:.1f} s (total {result.total_seconds:.1f} s)"),
        ("sha256", result.sha256),
    ]
    for key, value in rows:
        table.add_row(key, value)
    console.print(table, highlight=False)
    scaled = f", scaled by the output peak {p['output_peak']:.3g}" if p["output_peak"] > 1 else ""
    inputs = "latents and noise rows" if meta.is_waveform else "latents"
    console.print(
        f"parity: max |TensorFlow − onnxruntime| = {p['max_abs']:.3g} on {N_PARITY} {inputs} "
        f"(limit {result.tolerance:.3g}{scaled})",
        highlight=False,
    )


def onnx(
    run_dir: Path = typer.Argument(
        ...,
        help="Run folder written by mbot train, or a training state file (--save-state).",
        show_default=False,
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="ONNX file to write [default: RUN_DIR/<name>.onnx]."
    ),
    checkpoint: str = typer.Option(
        "latest", "--checkpoint", help="'latest' or the step of a kept checkpoint."
    ),
    opset: int = typer.Option(17, "--opset", help="ONNX opset (13–18)."),
    ema: bool = typer.Option(
        True, "--ema/--no-ema", help="Export the EMA (smoothed) generator weights."
    ),
    fp16: bool = typer.Option(
        False,
        "--fp16",
        help="Store weights as float16: half the size, same speed, ≤ 1 dB in any bin.",
    ),
    name: str | None = typer.Option(
        None, "--name", help="Model name in the metadata [default: the run folder's name]."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing output file."),
    parity_tolerance: float | None = typer.Option(
        None,
        "--parity-tolerance",
        help="Max |TF − ONNX| allowed [default: 1e-4, 5e-2 with --fp16, 2e-2 for waveform runs].",
    ),
    phase_iterations: int | None = typer.Option(
        None,
        "--phase-iterations",
        help=(
            "Griffin-Lim iterations the model asks render-pack to run after its phase start "
            "(0: the start alone) [default: the run's model.phase_iterations]."
        ),
        show_default=False,
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Convert RUN_DIR's generator to ONNX, embed its metadata and check parity."""
    import os

    missing = _missing_train_extra()
    if missing:
        fail(
            f"mbot export onnx needs the train extra ({', '.join(missing)} not installed): "
            f"pip install 'mockingbot[train]'"
        )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ chatter out

    from mockingbot.export.onnx_export import export_onnx

    precision = "fp16" if fp16 else "fp32"
    result = export_onnx(
        run_dir,
        output,
        checkpoint=checkpoint,
        opset=opset,
        ema=ema,
        precision=precision,
        name=name,
        force=force,
        parity_tolerance=parity_tolerance,
        phase_iterations=phase_iterations,
        log=lambda m: err_console.print(m, highlight=False),
    )
    if as_json:
        print_json(result.to_dict())
    else:
        _print_summary(result)


def register(app: typer.Typer) -> None:
    export_app.command("onnx", epilog=_EPILOG, no_args_is_help=True)(onnx)
    app.add_typer(export_app, name="export")
