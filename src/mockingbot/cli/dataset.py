"""``mbot dataset``: look at a folder of sounds the way the trainer will see it.

``mbot dataset inspect DIR`` decodes every audio file under DIR with the same code the trainer
uses (:func:`mockingbot.dataset.load_dataset`) and prints what it found: containers and
encodings, sample rates, channels, durations, levels, the clips training would get, and every
rejected file with its reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ..defaults import CONTEXTS
from ._output import console, print_json, progress

__all__ = ["inspect", "register"]

_PRESET_DEFAULT = "default"

_EPILOG = """
Examples:

  mbot dataset inspect ~/sounds/meows

  mbot dataset inspect ~/sounds/meows --json > report.json

  mbot dataset inspect field-recordings/ --strict

  mbot dataset inspect ~/sounds/meows --preset seed-2022

Sub-folders are searched too. Hidden files and non-audio files (README, images) are ignored.
Links to folders, dangling links, pipes and devices are named but never opened.

Rejection reasons: unreadable, empty, silent, non-finite, too short, not audio.

--strict stops at the first unusable file instead (exit code 2).
"""

dataset_app = typer.Typer(
    name="dataset",
    help="Inspect a folder of training sounds.",
    epilog="Example:\n\n  mbot dataset inspect ~/sounds/meows",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _fmt_stats(stats: dict[str, float] | None, unit: str, digits: int) -> list[str]:
    if stats is None:
        return ["-", "-", "-"]
    return [f"{stats[k]:.{digits}f}{unit}" for k in ("min", "median", "max")]


def _count_table(title: str, header: str, counts: dict[str, int], describe: dict[str, str]):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column(header)
    table.add_column("files", justify="right")
    for key, n in counts.items():
        table.add_row(describe.get(key, key), str(n))
    return table


def _print_report(summary: dict[str, Any], descriptions: dict[str, str]) -> None:
    from rich.table import Table

    overview = Table(title=f"mbot dataset inspect: {summary['root']}", title_justify="left")
    overview.add_column("")
    overview.add_column("value", justify="right")
    overview.add_row("audio files found", str(summary["files_found"]))
    overview.add_row("usable", str(summary["usable"]))
    overview.add_row("rejected", str(summary["rejected"]))
    overview.add_row("non-audio files ignored", str(summary["ignored"]))
    if summary["skipped"]:
        overview.add_row("other entries skipped", str(len(summary["skipped"])))
    overview.add_row(
        "clips it would yield",
        f"{summary['clips']} × {summary['clip_s']:.3f} s @ {summary['sr']} Hz",
    )
    overview.add_row("recording groups", str(summary["groups"]))
    console.print(overview)

    stats = Table(title="Usable files", title_justify="left")
    stats.add_column("")
    for col in ("min", "median", "max"):
        stats.add_column(col, justify="right")
    stats.add_row("duration", *_fmt_stats(summary["duration_s"], " s", 3))
    stats.add_row("peak level", *_fmt_stats(summary["peak_dbfs"], " dBFS", 1))
    console.print(stats)

    if summary["format_subtypes"]:
        formats = Table(title="Formats", title_justify="left")
        formats.add_column("container")
        formats.add_column("sub-format")
        formats.add_column("files", justify="right")
        for key, n in summary["format_subtypes"].items():
            container, subtype = key.split("/", 1)
            formats.add_row(
                descriptions.get(container, container), descriptions.get(subtype, subtype), str(n)
            )
        console.print(formats)
        rates = {k: f"{k} Hz" for k in summary["sample_rates"]}
        console.print(_count_table("Sample rates", "rate", summary["sample_rates"], rates))
        channels = {k: ("mono" if k == "1" else f"{k} channels") for k in summary["channels"]}
        console.print(_count_table("Channels", "channels", summary["channels"], channels))

    if summary["truncated"]:
        console.print(
            f"note: only the first hour of {len(summary['truncated'])} long file(s) is used: "
            + ", ".join(summary["truncated"]),
            highlight=False,
        )
    if summary["rejected_files"]:
        rejected = Table(title="Rejected files", title_justify="left")
        rejected.add_column("file", overflow="fold")
        rejected.add_column("reason")
        rejected.add_column("detail", overflow="fold")
        for r in summary["rejected_files"]:
            rejected.add_row(r["path"], r["reason"], r["detail"])
        console.print(rejected)
    if summary["skipped"]:
        skipped = Table(title="Skipped (not files)", title_justify="left")
        skipped.add_column("entry", overflow="fold")
        skipped.add_column("what it is", overflow="fold")
        for k in summary["skipped"]:
            skipped.add_row(k["path"], k["why"])
        console.print(skipped)


@dataset_app.command("inspect", epilog=_EPILOG, no_args_is_help=True)
def inspect(
    directory: Path = typer.Argument(
        ..., metavar="DIR", help="Folder of audio files (searched recursively).", show_default=False
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
    strict: bool = typer.Option(
        False, "--strict", help="Stop with an error at the first unusable file."
    ),
    preset: str = typer.Option(
        _PRESET_DEFAULT,
        "--preset",
        help="Spectrogram preset that sets the sample rate and clip length.",
    ),
    context: str | None = typer.Option(
        None,
        "--context",
        help=f"{CONTEXTS[0]} (cut every call), {CONTEXTS[1]} (one clip per file) or"
        f" {CONTEXTS[2]} (every call from its onset, with what follows it), as the [data]"
        " context setting of a training config. Default: the default recipe's.",
        show_default=False,
    ),
) -> None:
    """Report what the trainer would get from DIR: formats, levels, clips, rejected files."""
    from ..dataset import load_dataset
    from ..errors import ParameterError
    from ..spec import PRESETS
    from ..validation import one_of

    if context is None:
        from ..trainer.config import default_context

        context = default_context()
    one_of("--context", context, CONTEXTS)
    if preset not in PRESETS:
        raise ParameterError(
            f"--preset: unknown preset {preset!r} (choose from {', '.join(sorted(PRESETS))})"
        )
    spec = PRESETS[preset]
    if json_out:
        ds = load_dataset(directory, spec=spec, strict=strict, context=context)
    else:
        with progress(transient=True) as bar:
            task = bar.add_task("decoding", total=None, rate="", status="")

            def on_progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            ds = load_dataset(
                directory, spec=spec, strict=strict, on_progress=on_progress, context=context
            )
    summary = ds.summary()
    summary["bandwidth"] = _bandwidth_report(ds, quiet=json_out)
    if json_out:
        print_json(summary)
        return
    descriptions: dict[str, str] = {}
    for f in ds.files:
        descriptions[f.info.format] = f"{f.info.format} — {f.info.format_info}"
        descriptions[f.info.subtype] = f"{f.info.subtype} — {f.info.subtype_info}"
    _print_report(summary, descriptions)
    _print_bandwidth(summary["bandwidth"])


def _bandwidth_report(ds: Any, *, quiet: bool) -> dict[str, Any]:
    """Each usable file's effective bandwidth and the rate ``mbot train`` would choose.

    A second decode, at each file's own rate: the training clips are already resampled
    to the preset's rate, which hides what lies above it (:mod:`mockingbot.bandwidth`).
    """
    from ..bandwidth import BANDWIDTH_DB, choose_rate, measure_files

    paths = [f.path for f in ds.files]
    if quiet:
        files = measure_files(paths)
    else:
        with progress(transient=True) as bar:
            task = bar.add_task("measuring bandwidth", total=len(paths), rate="", status="")
            files = measure_files(paths, on_progress=lambda d, _t: bar.update(task, completed=d))
    choice = choose_rate(files)
    return {
        "measure": f"upper edge of the highest 250 Hz band within {BANDWIDTH_DB:g} dB of the "
        "strongest band",
        "train_rate": choice.rate,
        "train_rate_why": choice.reason(),
        "files": [f.to_dict(ds.root) for f in files],
    }


def _print_bandwidth(report: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(
        title=f"Bandwidth ({report['measure']})", title_justify="left", caption_justify="left"
    )
    for col, justify in (("file", "left"), ("rate", "right"), ("bandwidth", "right")):
        table.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]
    table.add_column("reaches", justify="right")
    table.add_column("note")
    for f in report["files"]:
        note = ""
        if f["upsampled_from"]:
            note = f"upsampled from {f['upsampled_from'] / 1000:g} kHz?"
        table.add_row(
            f["path"],
            f"{f['sr']} Hz",
            f"{f['bandwidth_hz'] / 1000:.2f} kHz",
            f"{f['reaches'] / 1000:g} kHz",
            note,
        )
    table.caption = (
        f"mbot train would train at {report['train_rate']} Hz: {report['train_rate_why']}"
    )
    console.print(table, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(dataset_app, name="dataset")
