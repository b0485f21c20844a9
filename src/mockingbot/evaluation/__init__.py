"""Offline evaluation of generated sounds: fixed features, set metrics, a report and a plot.

No pretrained embedding is downloaded: clips are described by the fixed, documented
features of :mod:`~mockingbot.evaluation.features` (log-mel statistics, duration,
flatness, periodicity at 8 kHz), compared by the metrics of
:mod:`~mockingbot.evaluation.metrics` (classifier two-sample test, Fréchet distance,
novelty and diversity ratios, each with its real-vs-real floor), and reported by
:mod:`~mockingbot.evaluation.report` (``mbot evaluate``).
"""

from __future__ import annotations

from .plot import plot
from .report import EvaluationResult, evaluate, evaluate_features

__all__ = ["EvaluationResult", "evaluate", "evaluate_features", "plot"]
