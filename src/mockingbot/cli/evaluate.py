"""``mbot evaluate``: measure generated sounds against the real data they should pass for.

Prints a table of offline metrics (classifier two-sample test, Fréchet distance, novelty
and diversity ratios), each beside its real-vs-real floor, then the share of "burst + hiss"
clips (a short burst, then a long quiet tail) in each set, and writes a PNG plot.
The features and metrics are documented in :mod:`mockingbot.evaluation`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ._output import console, err_console, fail, print_json, progress, stage_bars

__all__ = ["evaluate", "register"]

#: Name of the plot written inside GENERATED unless --plot says otherwise.
DEFAULT_PLOT_NAME = "evaluation.png"
#: The first bytes of every PNG file: an existing --plot target must start with them.
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: A best-classifier accuracy this far below 0.5 means the classifiers were fooled by
#: twins: generated clips nearly identical to reference clips.
_BELOW_CHANCE = 0.1

_EPILOG = """
Examples:

  mbot evaluate packs/demo --reference ~/sounds/catmeows

  mbot evaluate packs/demo --reference ~/sounds/catmeows --json > metrics.json

  mbot evaluate renders/ --reference data/ --plot docs/eval.png --seed 1

  mbot evaluate packs/demo --reference data/ --no-plot

  mbot evaluate packs/growls --reference ~/sounds/growls --analysis-rate 8000   # telephone band

The clips are compared at the pack's model rate (capped by the rate the reference files
hold; a plain folder: the reference's rate). --analysis-rate sets it; the table and the JSON
say which rate was used and why.

GENERATED is a pack folder (its manifest.json lists the sounds) or any folder of audio.
The plot is a regenerated artefact: an existing PNG at the plot path is replaced; any
other existing file there is refused, never overwritten.
"""


def _check_plot_path(path: Path) -> None:
    """Refuse a plot path that holds something other than an earlier plot (a PNG).

    The plot is regenerated, so an old PNG may be replaced; a typo such as
    ``--plot report.md`` must not silently destroy the user's file.
    """
    if path.is_dir():
        fail(f"--plot: {path} is a folder; give the PNG file to write, e.g. {path / 'eval.png'}")
    if path.exists():
        try:
            with open(path, "rb") as fh:
                head = fh.read(len(_PNG_SIGNATURE))
        except OSError as exc:
            fail(f"--plot: cannot read the existing {path} ({exc.strerror or exc})")
        if head != _PNG_SIGNATURE:
            fail(
                f"--plot: {path} exists and is not a PNG image; mbot replaces only an earlier "
                "plot: choose another path or move that file"
            )


def _fmt(value: float) -> str:
    return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"


def _burst_hiss_line(shares: dict[str, float]) -> str:
    """The burst + hiss shares as one labelled line (the real set's own share: no floor)."""
    return (
        f"Burst + hiss share  generated {shares['generated']:.2f}  real "
        f"{shares['reference']:.2f} (lower or ≈ real is good; loud part under a quarter of "
        f"the trimmed clip)"
    )


def _print_table(result, plot_path: Path | None) -> None:
    from rich.table import Table

    from ..evaluation.report import METRIC_INFO

    table = Table(title="mbot evaluate", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("real floor", justify="right")
    table.add_column("good means")
    for key, info in METRIC_INFO.items():
        if key not in result.metrics:
            continue
        floor = result.floors[key]
        style = "dim" if info.label.startswith(" ") else None
        table.add_row(
            info.label,
            _fmt(result.metrics[key]),
            f"{_fmt(floor.mean)} ± {_fmt(floor.std)}",
            info.good,
            style=style,
        )
    console.print(table)
    if result.burst_hiss is not None:
        console.print(_burst_hiss_line(result.burst_hiss), highlight=False)
    rej_g, rej_r = len(result.rejected_generated), len(result.rejected_reference)
    console.print(
        f"generated: {result.n_generated} clips ({rej_g} unusable) from {result.generated}\n"
        f"reference: {result.n_reference} clips from {result.n_groups} recording groups "
        f"({rej_r} unusable) from {result.reference}\n"
        f"floor: {len(result.floors['c2st'].values)} random half/half splits of the reference "
        f"(mean ± std); seed {result.seed}\n"
        f"analysis rate: {result.features['sr']} Hz, features up to "
        f"{result.features['fmax_hz'] / 1000:g} kHz"
        + (f" ({result.analysis_rate_choice})" if result.analysis_rate_choice else ""),
        highlight=False,
        soft_wrap=True,
    )
    if result.metrics["c2st"] < 0.5 - _BELOW_CHANCE:
        console.print(
            "note: C2ST below chance — generated clips look like near-copies of reference "
            "clips (see the novelty ratio).",
            highlight=False,
        )
    for path, reason in (*result.rejected_generated, *result.rejected_reference)[:5]:
        err_console.print(f"skipped {path}: {reason}", highlight=False)
    if plot_path is not None:
        console.print(f"plot: {plot_path}", highlight=False)


def evaluate(
    generated: Path = typer.Argument(
        ..., help="Pack folder or folder of generated audio.", show_default=False
    ),
    reference: Path = typer.Option(
        ..., "--reference", "-r", help="Data folder of real clips (e.g. the training data)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout."),
    plot_path: Path | None = typer.Option(
        None, "--plot", help=f"PNG to write (default: GENERATED/{DEFAULT_PLOT_NAME})."
    ),
    no_plot: bool = typer.Option(False, "--no-plot", help="Do not write a plot."),
    seed: int = typer.Option(0, "--seed", help="Seed of the classifiers' folds and the floor."),
    floor_repeats: int | None = typer.Option(
        None,
        "--floor-repeats",
        min=1,
        help="Random half/half splits of the reference averaged for the floor "
        "(default 5; fewer = faster).",
        show_default=False,
    ),
    analysis_rate: int | None = typer.Option(
        None,
        "--analysis-rate",
        min=4000,
        max=192000,
        help="Compare the clips at this sample rate (Hz). Default: the pack's model rate, "
        "capped by the reference files' rate (a plain folder: the reference's rate).",
        show_default=False,
    ),
) -> None:
    """Compare GENERATED sounds with the real clips in --reference: table, JSON and plot."""
    from ..evaluation.plot import plot
    from ..evaluation.report import FLOOR_REPEATS
    from ..evaluation.report import evaluate as run_evaluation

    if floor_repeats is None:
        floor_repeats = FLOOR_REPEATS

    if plot_path is not None and not plot_path.parent.is_dir():
        fail(f"--plot: folder {plot_path.parent} does not exist")
    if not no_plot and plot_path is None:
        plot_path = Path(generated) / DEFAULT_PLOT_NAME
    if not no_plot:
        _check_plot_path(plot_path)
    with progress(transient=True) as bar:
        result = run_evaluation(
            Path(generated),
            Path(reference),
            seed=seed,
            floor_repeats=floor_repeats,
            on_progress=stage_bars(bar),
            analysis_sr=analysis_rate,
        )
    if not no_plot:
        plot(result, plot_path)
    if json_out:
        data = result.to_dict()
        data["plot"] = None if no_plot else str(plot_path)
        print_json(data)
    else:
        _print_table(result, None if no_plot else plot_path)


def register(app: typer.Typer) -> None:
    app.command("evaluate", epilog=_EPILOG, no_args_is_help=True)(evaluate)
