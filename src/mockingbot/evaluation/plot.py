"""The picture of an evaluation: real and generated clips on two axes, and the metrics.

``mbot evaluate`` writes it beside its table (people would rather see a cloud of orange dots
apart from the blue ones than read "C2ST 0.95"). matplotlib is imported when a plot is drawn,
never at import, so the CLI does not pay for it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..fileio import atomic_path
from .report import METRIC_INFO, EvaluationResult

__all__ = ["PLOT_METRICS", "plot"]


# --------------------------------------------------------------------------- plot
#: Metrics drawn as bar panels by :func:`plot`.
PLOT_METRICS: tuple[str, ...] = ("c2st", "frechet", "novelty", "diversity")
_REAL_COLOUR = "#4C72B0"
_GEN_COLOUR = "#DD8452"


def _projection(X_ref: np.ndarray, X_gen: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple]:
    """First two principal axes of the standardised reference; both sets projected on them."""
    mu = X_ref.mean(axis=0)
    sd = X_ref.std(axis=0)
    sd = np.where(sd < 1e-8, 1.0, sd)
    Zr, Zg = (X_ref - mu) / sd, (X_gen - mu) / sd
    _, s, Vt = np.linalg.svd(Zr, full_matrices=False)
    explained = (s**2) / np.sum(s**2)
    return Zr @ Vt[:2].T, Zg @ Vt[:2].T, (float(explained[0]), float(explained[1]))


def plot(result: EvaluationResult, path: Path, *, dpi: int = 120) -> Path:
    """Write a PNG: real vs generated clips on the reference's 2 main axes, and the metrics.

    Left: every clip projected on the first two principal components of the standardised
    reference features (a linear projection: distances are honest, clusters are not
    invented). Right: one small bar chart per metric, generated vs the real-vs-real floor
    (error bar: spread over splits), dashed line at the ideal value. Far right, when the
    result has them: the share of "burst + hiss" clips in the generated set and in the real
    set (the real set's own share: it is not a metric with a floor). Written atomically;
    an existing file at ``path`` is replaced (it is a regenerated artefact).

    Args:
        result: from :func:`evaluate` or :func:`evaluate_features`.
        path: the PNG to write; its folder must exist.
        dpi: resolution.

    Returns:
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    Pr, Pg, explained = _projection(result.X_reference, result.X_generated)
    n_cols = 4 if result.burst_hiss is None else 5
    fig = plt.figure(figsize=(3.0 * n_cols, 5.5), layout="constrained")
    grid = fig.add_gridspec(2, n_cols)
    ax = fig.add_subplot(grid[:, :2])
    ax.scatter(Pr[:, 0], Pr[:, 1], s=12, alpha=0.6, c=_REAL_COLOUR, label="reference (real)")
    ax.scatter(Pg[:, 0], Pg[:, 1], s=12, alpha=0.6, c=_GEN_COLOUR, label="generated")
    ax.set_xlabel(f"PC 1 of reference ({explained[0]:.0%} of variance)")
    ax.set_ylabel(f"PC 2 of reference ({explained[1]:.0%} of variance)")
    ax.set_title(f"{result.n_generated} generated vs {result.n_reference} reference clips")
    ax.legend(loc="best")
    for i, key in enumerate(PLOT_METRICS):
        bar_ax = fig.add_subplot(grid[i // 2, 2 + i % 2])
        floor = result.floors[key]
        info = METRIC_INFO[key]
        bar_ax.bar(
            ["generated", "real floor"],
            [result.metrics[key], floor.mean],
            yerr=[0.0, floor.std],
            color=[_GEN_COLOUR, _REAL_COLOUR],
            capsize=4,
        )
        if info.ideal is not None:
            bar_ax.axhline(info.ideal, color="black", linestyle="--", linewidth=1)
        bar_ax.set_title(f"{info.label.strip()}: {result.metrics[key]:.3g}", fontsize=10)
    if result.burst_hiss is not None:
        _burst_hiss_panel(fig.add_subplot(grid[:, 4]), result.burst_hiss)
    fig.suptitle("mbot evaluate  (dashed: ideal value)", fontsize=11)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    plt.close(fig)
    return path


def _burst_hiss_panel(ax, shares: dict[str, float]) -> None:
    """Bars of the burst + hiss share: generated beside the real set's own share."""
    bars = ax.bar(
        ["generated", "real set"],
        [shares["generated"], shares["reference"]],
        color=[_GEN_COLOUR, _REAL_COLOUR],
    )
    ax.bar_label(bars, fmt="%.2f")
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("share of clips")
    ax.set_title(f"Burst + hiss share: {shares['generated']:.2f}\n(lower or ≈ real)", fontsize=10)
