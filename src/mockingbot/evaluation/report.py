"""Evaluate a folder of generated sounds against a reference data folder: metrics and floors.

:func:`evaluate` is what ``mbot evaluate`` runs: it finds the clips (a pack's
``manifest.json`` or any folder of audio), computes the fixed features of
:mod:`~mockingbot.evaluation.features`, every metric of
:mod:`~mockingbot.evaluation.metrics` between the generated set and the whole reference,
and the real-vs-real floor of each metric (random halves of the reference, repeated), plus
the share of "burst + hiss" clips in each set (:func:`~mockingbot.evaluation.metrics.
burst_hiss_share`).
Which clips and at what rate come from :mod:`~mockingbot.evaluation.inputs` (a pack is
judged at its model's rate, capped by the reference's); :func:`evaluate_features` does the
same on feature matrices already in memory (the benchmarks use it);
:func:`mockingbot.evaluation.plot.plot` draws a result as a PNG.

Contents: :class:`EvaluationResult`, :data:`METRIC_INFO`, :func:`evaluate`,
:func:`evaluate_features`, :func:`metric_values`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..datascan import group_of
from ..errors import DataError, ParameterError
from . import features, metrics
from .inputs import AnalysisRate, analysis_rate, generated_files, reference_files

__all__ = [
    "FLOOR_REPEATS",
    "METRIC_INFO",
    "MIN_CLIPS",
    "EvaluationResult",
    "MetricInfo",
    "evaluate",
    "evaluate_features",
    "metric_values",
]

#: A set with fewer usable clips than this gives metrics too noisy to read (a 5-fold C2ST
#: on 2 × 10 clips tests on 4 clips per fold).
MIN_CLIPS = 10
#: Random reference splits averaged for the real-vs-real floor.
FLOOR_REPEATS = 5

ProgressFn = Callable[[str, int, int], None]


@dataclasses.dataclass(frozen=True)
class MetricInfo:
    """How to read one metric.

    Attributes:
        label: short human name.
        ideal: the value a perfect generator approaches (None: read it against the floor).
        good: one-line meaning of good and bad values.
    """

    label: str
    ideal: float | None
    good: str


#: The metrics an evaluation reports, in display order.
METRIC_INFO: dict[str, MetricInfo] = {
    "c2st": MetricInfo("C2ST accuracy", 0.5, "0.5 ideal; 1.0 = told apart"),
    "c2st_logistic": MetricInfo("  logistic", 0.5, "linear classifier"),
    "c2st_forest": MetricInfo("  forest", 0.5, "random forest"),
    "frechet": MetricInfo("Fréchet dist.", 0.0, "lower; ≈ floor is good"),
    "novelty": MetricInfo("Novelty ratio", 1.0, "≈ 1; ≪ 1 copies; ≫ 1 off"),
    "diversity": MetricInfo("Diversity ratio", 1.0, "≈ 1; ≪ 1 mode collapse"),
}


@dataclasses.dataclass(frozen=True)
class EvaluationResult:
    """Everything one evaluation measured.

    Attributes:
        generated: the generated folder (or a label when built from arrays).
        reference: the reference folder (or a label).
        seed: the seed every random choice derived from.
        n_generated: usable generated clips.
        n_reference: usable reference clips.
        n_groups: distinct recording groups (cats) in the reference.
        rejected_generated: ``(path, reason)`` of generated files that could not be used.
        rejected_reference: the same for the reference.
        metrics: generated vs the whole reference, keys of :data:`METRIC_INFO`.
        floors: each metric between random halves of the reference
            (:func:`mockingbot.evaluation.metrics.real_floor`).
        features: the feature settings (:func:`mockingbot.evaluation.features.describe`).
        X_generated: generated features [n_generated, dims] (for plots; not serialised).
        X_reference: reference features [n_reference, dims] (not serialised).
        burst_hiss: share of "burst + hiss" clips, ``{"generated": g, "reference": r}``
            (:func:`mockingbot.evaluation.metrics.burst_hiss_share`); the reference's own
            share, not a split floor: real calls have some too. ``None`` when the per-clip
            loud fractions were not given to :func:`evaluate_features`.
        analysis_rate_choice: why the clips were compared at ``features["sr"]`` Hz
            (:meth:`AnalysisRate.reason`); empty when the caller gave no reason.
    """

    generated: str
    reference: str
    seed: int
    n_generated: int
    n_reference: int
    n_groups: int
    rejected_generated: tuple[tuple[str, str], ...]
    rejected_reference: tuple[tuple[str, str], ...]
    metrics: dict[str, float]
    floors: dict[str, metrics.FloorEstimate]
    features: dict[str, Any]
    X_generated: np.ndarray = dataclasses.field(repr=False, compare=False)
    X_reference: np.ndarray = dataclasses.field(repr=False, compare=False)
    burst_hiss: dict[str, float] | None = None
    analysis_rate_choice: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no feature matrices)."""
        return {
            "generated": self.generated,
            "reference": self.reference,
            "seed": self.seed,
            "analysis_rate": self.features.get("sr"),
            "analysis_rate_choice": self.analysis_rate_choice,
            "counts": {
                "generated": self.n_generated,
                "reference": self.n_reference,
                "reference_groups": self.n_groups,
                "rejected_generated": len(self.rejected_generated),
                "rejected_reference": len(self.rejected_reference),
            },
            "metrics": dict(self.metrics),
            "floors": {k: v.to_dict() for k, v in self.floors.items()},
            "ideal": {k: METRIC_INFO[k].ideal for k in self.metrics if k in METRIC_INFO},
            "burst_hiss": None
            if self.burst_hiss is None
            else {
                **self.burst_hiss,
                "loud_range_db": features.LOUD_RANGE_DB,
                "max_loud_fraction": features.BURST_HISS_MAX_LOUD,
            },
            "rejected": {
                "generated": [{"path": p, "reason": r} for p, r in self.rejected_generated],
                "reference": [{"path": p, "reason": r} for p, r in self.rejected_reference],
            },
            "features": dict(self.features),
        }


# --------------------------------------------------------------------------- evaluation
def _require(n: int, what: str, where: object, rejected: Sequence[tuple[Path, str]]) -> None:
    if n >= MIN_CLIPS:
        return
    extra = ""
    if rejected:
        path, reason = rejected[0]
        extra = f"; {len(rejected)} rejected, e.g. {Path(path).name}: {reason}"
    raise DataError(
        f"{what} {where} has {n} usable audio clips, at least {MIN_CLIPS} are needed{extra}"
    )


def metric_values(
    X_gen: np.ndarray, X_ref: np.ndarray, groups_ref: Sequence[str], *, seed: int = 0
) -> dict[str, float]:
    """Every metric of :data:`METRIC_INFO` between a generated set and the reference.

    The numbers :func:`evaluate_features` reports, without the floors: a benchmark scoring
    several generated sets against one reference computes the floors once
    (:func:`mockingbot.evaluation.metrics.real_floor` with ``seed`` gives the same ones).

    Args:
        X_gen: generated features [n_gen, dims].
        X_ref: reference features [n_ref, dims].
        groups_ref: one recording-group label per reference clip.
        seed: seeds the C2ST subsampling and folds.
    """
    groups = [str(g) for g in groups_ref]
    scores = metrics.c2st_scores(X_ref, X_gen, seed=seed)
    return {
        "c2st": max(scores.values()),
        **{f"c2st_{k}": v for k, v in scores.items()},
        "frechet": metrics.frechet_distance(X_ref, X_gen),
        "novelty": metrics.novelty_ratio(X_gen, X_ref, groups),
        "diversity": metrics.diversity_ratio(X_gen, X_ref),
    }


def evaluate_features(
    X_gen: np.ndarray,
    X_ref: np.ndarray,
    groups_ref: Sequence[str],
    *,
    seed: int = 0,
    floor_repeats: int = FLOOR_REPEATS,
    generated: str = "<generated>",
    reference: str = "<reference>",
    on_progress: ProgressFn | None = None,
    loud_generated: np.ndarray | None = None,
    loud_reference: np.ndarray | None = None,
    analysis_sr: int = features.ANALYSIS_SR,
) -> EvaluationResult:
    """All metrics and floors from feature matrices already computed.

    Args:
        X_gen: generated features [n_gen, dims].
        X_ref: reference features [n_ref, dims].
        groups_ref: one recording-group label per reference clip.
        seed: seeds the C2ST subsampling and folds and the floor's splits.
        floor_repeats: random reference splits averaged for the floors.
        generated: label stored in the result.
        reference: label stored in the result.
        on_progress: called as ``on_progress("metrics", done, total)``.
        loud_generated: per-clip :func:`~mockingbot.evaluation.features.loud_fraction` of
            the generated set, in the rows' order; with ``loud_reference`` it gives the
            result's ``burst_hiss`` shares (both or neither).
        loud_reference: the same for the reference.
        analysis_sr: the rate the features were computed at (recorded in the result).

    Raises:
        DataError: a set has fewer than :data:`MIN_CLIPS` clips, or the reference has fewer
            than two groups.
        ParameterError: only one of the loud fractions is given, or its length does not
            match its feature matrix.
    """
    X_gen = np.asarray(X_gen, dtype=np.float64)
    X_ref = np.asarray(X_ref, dtype=np.float64)
    _require(len(X_gen), "generated set", generated, ())
    _require(len(X_ref), "reference", reference, ())
    groups = [str(g) for g in groups_ref]
    if len(set(groups)) < 2:
        raise DataError(f"reference {reference} needs clips from at least two recording groups")
    burst_hiss = _burst_hiss(loud_generated, loud_reference, len(X_gen), len(X_ref))
    total = 1 + floor_repeats
    values = metric_values(X_gen, X_ref, groups, seed=seed)
    if on_progress is not None:
        on_progress("metrics", 1, total)
    per_split: list[dict[str, metrics.FloorEstimate]] = []
    for r in range(floor_repeats):
        per_split.append(metrics.real_floor(X_ref, groups, seed=seed + r, repeats=1))
        if on_progress is not None:
            on_progress("metrics", 2 + r, total)
    floors = {
        k: metrics.FloorEstimate.of([v for split in per_split for v in split[k].values])
        for k in per_split[0]
    }
    return EvaluationResult(
        generated=generated,
        reference=reference,
        seed=seed,
        n_generated=len(X_gen),
        n_reference=len(X_ref),
        n_groups=len(set(groups)),
        rejected_generated=(),
        rejected_reference=(),
        metrics=values,
        floors=floors,
        features=features.describe(analysis_sr),
        X_generated=X_gen,
        X_reference=X_ref,
        burst_hiss=burst_hiss,
    )


def _burst_hiss(
    loud_gen: np.ndarray | None, loud_ref: np.ndarray | None, n_gen: int, n_ref: int
) -> dict[str, float] | None:
    """``{"generated": share, "reference": share}`` or ``None`` when neither set is given."""
    if loud_gen is None and loud_ref is None:
        return None
    if loud_gen is None or loud_ref is None:
        raise ParameterError("give loud_generated and loud_reference together, or neither")
    for loud, n, name in ((loud_gen, n_gen, "loud_generated"), (loud_ref, n_ref, "loud_reference")):
        if np.shape(loud) != (n,):
            raise ParameterError(f"{name} must have one value per clip ({n}), got {np.shape(loud)}")
    return {
        "generated": metrics.burst_hiss_share(loud_gen),
        "reference": metrics.burst_hiss_share(loud_ref),
    }


def evaluate(
    generated: Path,
    reference: Path,
    *,
    seed: int = 0,
    floor_repeats: int = FLOOR_REPEATS,
    on_progress: ProgressFn | None = None,
    analysis_sr: int | None = None,
) -> EvaluationResult:
    """Measure a generated set against the reference data it should sound like.

    Args:
        generated: a pack folder (its ``manifest.json`` lists the sounds) or any folder of
            audio files.
        reference: the data folder (e.g. the training data); audio found recursively.
            Recording groups (cats) come from :func:`mockingbot.datascan.group_of`.
        seed: seeds every random choice; the same inputs and seed give the same numbers.
        floor_repeats: random reference splits averaged for the real-vs-real floors.
        on_progress: called as ``on_progress(stage, done, total)`` with stages
            ``"generated"``, ``"reference"`` (files featurised) and ``"metrics"``.
        analysis_sr: compare the clips at this rate (Hz); default :func:`analysis_rate`.

    Returns:
        :class:`EvaluationResult`.

    Raises:
        DataError: a folder is missing, or a set has fewer than :data:`MIN_CLIPS` usable clips.
        ParameterError: ``analysis_sr`` is outside 4–192 kHz.
        PackError: the pack's manifest is unreadable.

    Examples:
        >>> r = evaluate(Path("packs/demo"), Path("data/catmeows"))  # doctest: +SKIP
        >>> round(r.metrics["c2st"], 2), round(r.floors["c2st"].mean, 2)  # doctest: +SKIP
        (0.62, 0.5)
    """
    generated, reference = Path(generated), Path(reference)
    gen_paths = generated_files(generated)
    ref_paths = reference_files(reference)
    if analysis_sr is None:
        rate = analysis_rate(generated, ref_paths)
    else:
        rate = AnalysisRate(features.settings_for(analysis_sr).sr, "--analysis-rate")

    def stage(name: str) -> Callable[[int, int], None] | None:
        if on_progress is None:
            return None
        return lambda done, total: on_progress(name, done, total)

    gen = features.measure_files(gen_paths, stage("generated"), analysis_sr=rate.rate)
    _require(len(gen.X), "generated folder", generated, gen.rejected)
    ref = features.measure_files(ref_paths, stage("reference"), analysis_sr=rate.rate)
    _require(len(ref.X), "reference folder", reference, ref.rejected)
    groups = [group_of(p, reference) for p in ref.kept]
    result = evaluate_features(
        gen.X,
        ref.X,
        groups,
        seed=seed,
        floor_repeats=floor_repeats,
        generated=str(generated),
        reference=str(reference),
        on_progress=on_progress,
        loud_generated=gen.loud,
        loud_reference=ref.loud,
        analysis_sr=rate.rate,
    )
    return dataclasses.replace(
        result,
        rejected_generated=tuple((str(p), r) for p, r in gen.rejected),
        rejected_reference=tuple((str(p), r) for p, r in ref.rejected),
        analysis_rate_choice=rate.reason(),
    )
