"""Set-versus-set metrics on per-clip feature matrices: pure functions, seeded.

Each function takes feature matrices ``X`` of shape [clips, dims] (from
:mod:`mockingbot.evaluation.features`) and returns a number whose ideal value is stated
below. "Reference" or "real" is the data set a model learned from; "generated" is what it
rendered. Features are standardised with the mean and standard deviation of the
*reference* set, so every dimension counts about equally and a model cannot move the
yardstick.

- :func:`c2st_accuracy` / :func:`c2st_scores` — classifier two-sample test (Lopez-Paz &
  Oquab 2017): cross-validated accuracy of simple classifiers telling the sets apart.
  0.5 = indistinguishable, 1.0 = trivially separable.
- :func:`frechet_distance` — Fréchet distance between Gaussian fits of the two sets
  (the FID/FAD formula) in a PCA space of the reference. 0 = same mean and covariance.
- :func:`novelty_ratio` — how far generated clips sit from their nearest training clip,
  relative to how far a real clip sits from the nearest real clip of *another* recording
  group (another cat). ≈ 1: as new as a new cat; far below 1: copies of training clips;
  far above 1: off the data's manifold.
- :func:`diversity_ratio` — mean pairwise distance within the generated set over the same
  within the real set. ≈ 1: as varied as the data; far below 1: mode collapse.
- :func:`burst_hiss_share` — the share of a set's clips that are "burst + hiss" (their loud
  part covers under a quarter of the trimmed clip: :func:`~mockingbot.evaluation.features.
  loud_fraction`). Not a two-set metric: it is read beside the same share of the reference.
- :func:`real_floor` — every metric between two random halves of the reference, repeated
  over several splits: what a perfect generator (fresh recordings of the same sources)
  would score with this many clips.

Contents: the functions above, :func:`split_halves`, :class:`FloorEstimate`,
:data:`C2ST_CLASSIFIERS`.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence

import numpy as np
import scipy.linalg
from scipy.spatial.distance import cdist, pdist

from ..errors import ParameterError
from .features import BURST_HISS_MAX_LOUD

__all__ = [
    "C2ST_CLASSIFIERS",
    "FloorEstimate",
    "burst_hiss_share",
    "c2st_accuracy",
    "c2st_scores",
    "diversity_ratio",
    "frechet_distance",
    "novelty_ratio",
    "real_floor",
    "split_halves",
]

#: The classifiers of the two-sample test. A linear model catches shifted averages; a
#: random forest catches non-linear, few-feature differences. :func:`c2st_accuracy`
#: reports the better of the two: if *any* simple classifier can tell the sets apart,
#: they are distinguishable.
C2ST_CLASSIFIERS: tuple[str, ...] = ("logistic", "forest")

#: Inverse L2 regularisation of the logistic regression (scikit-learn's default).
LOGISTIC_C = 1.0
#: Trees of the random forest (accuracy is stable to ±0.01 beyond ~100).
FOREST_TREES = 100
#: Default PCA dimensions of the Fréchet distance: a covariance of 16 dims is well estimated
#: from ~200 clips (the size of a reference half), 125 dims is not.
FRECHET_COMPONENTS = 16
#: Standard deviations below this are treated as 1 (constant features carry no scale).
_MIN_STD = 1e-8
#: Fréchet distances below this are floating-point round-off of identical statistics.
_ROUND_OFF = 1e-9


# --------------------------------------------------------------------------- helpers
def _check_matrix(X: np.ndarray, name: str, *, min_rows: int = 2) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ParameterError(f"{name} must be a 2-D matrix [clips, dims], got shape {X.shape}")
    if X.shape[0] < min_rows:
        raise ParameterError(f"{name} needs at least {min_rows} clips, got {X.shape[0]}")
    if not np.all(np.isfinite(X)):
        raise ParameterError(f"{name} contains non-finite values")
    return X


def _check_pair(
    X_a: np.ndarray, X_b: np.ndarray, names: tuple[str, str], *, min_rows: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    X_a = _check_matrix(X_a, names[0], min_rows=min_rows)
    X_b = _check_matrix(X_b, names[1], min_rows=min_rows)
    if X_a.shape[1] != X_b.shape[1]:
        raise ParameterError(
            f"{names[0]} has {X_a.shape[1]} feature dims but {names[1]} has {X_b.shape[1]}"
        )
    return X_a, X_b


def _standardizer(X_ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = X_ref.mean(axis=0)
    sd = X_ref.std(axis=0)
    return mu, np.where(sd < _MIN_STD, 1.0, sd)


# --------------------------------------------------------------------------- C2ST
def _classifier(name: str, seed: int):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(C=LOGISTIC_C, max_iter=2000))
    if name == "forest":
        return RandomForestClassifier(n_estimators=FOREST_TREES, random_state=seed, n_jobs=1)
    raise ParameterError(f"unknown classifier {name!r}; choose from {C2ST_CLASSIFIERS}")


def c2st_scores(
    X_real: np.ndarray,
    X_gen: np.ndarray,
    *,
    folds: int = 5,
    seed: int = 0,
    classifiers: Sequence[str] = C2ST_CLASSIFIERS,
) -> dict[str, float]:
    """Cross-validated accuracy of each classifier telling ``X_real`` from ``X_gen``.

    The larger set is randomly subsampled to the size of the smaller, so chance is exactly
    0.5. Features are standardised inside each training fold (no leakage). Folds are
    stratified and shuffled with ``seed``.

    Values below 0.5 carry no evidence of a difference: with (near-)identical sets a
    flexible classifier finds each test clip's twin in the training folds with the
    opposite label and scores *under* chance.

    Args:
        X_real: [n_real, dims].
        X_gen: [n_gen, dims].
        folds: cross-validation folds (≥ 2; each set needs at least ``folds`` clips).
        seed: seeds the subsampling, the fold split and the forest.
        classifiers: names from :data:`C2ST_CLASSIFIERS`.

    Returns:
        ``{classifier name: accuracy in [0, 1]}``.

    Examples:
        >>> r = np.random.default_rng(0)
        >>> s = c2st_scores(r.normal(size=(60, 4)), r.normal(3.0, size=(60, 4)))
        >>> s["logistic"] > 0.9
        True
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    if int(folds) != folds or folds < 2:
        raise ParameterError(f"folds must be an integer >= 2, got {folds!r}")
    X_real, X_gen = _check_pair(X_real, X_gen, ("X_real", "X_gen"), min_rows=folds)
    rng = np.random.default_rng(seed)
    n = min(len(X_real), len(X_gen))
    X_real = X_real[np.sort(rng.choice(len(X_real), n, replace=False))]
    X_gen = X_gen[np.sort(rng.choice(len(X_gen), n, replace=False))]
    X = np.concatenate([X_real, X_gen])
    labels = np.repeat([0, 1], n)
    cv = StratifiedKFold(n_splits=int(folds), shuffle=True, random_state=seed)
    return {
        name: float(cross_val_score(_classifier(name, seed), X, labels, cv=cv).mean())
        for name in classifiers
    }


def c2st_accuracy(X_real: np.ndarray, X_gen: np.ndarray, *, folds: int = 5, seed: int = 0) -> float:
    """Classifier two-sample test accuracy: the best of :data:`C2ST_CLASSIFIERS`.

    0.5 means no simple classifier can tell generated from real clips; 1.0 means they are
    trivially separable. The maximum is the conservative choice (a generator passes only if
    *every* classifier fails); it is biased slightly above 0.5 for identical distributions,
    which is why the real-vs-real floor (:func:`real_floor`) is reported beside it.
    See :func:`c2st_scores` for arguments.
    """
    return max(c2st_scores(X_real, X_gen, folds=folds, seed=seed).values())


# --------------------------------------------------------------------------- Fréchet
def frechet_distance(
    X_a: np.ndarray, X_b: np.ndarray, *, n_components: int = FRECHET_COMPONENTS
) -> float:
    """Fréchet distance between Gaussian fits of two sets, in the reference's PCA space.

    ``X_a`` is the reference: the standardisation and the principal axes are fitted on it
    alone, so scores of different generated sets against one reference are comparable.
    ``d² = |μa − μb|² + tr(Ca + Cb − 2 (Ca Cb)^½)``; tiny imaginary parts that
    ``scipy.linalg.sqrtm`` returns for nearly singular products are dropped, and a small
    diagonal offset is added if the square root is not finite.

    Args:
        X_a: reference features [n_a, dims].
        X_b: other features [n_b, dims].
        n_components: PCA dimensions kept (capped at ``dims`` and ``n_a - 1``).

    Returns:
        the squared-distance form ``d²`` (≥ 0; the FID convention), in squared units of
        reference standard deviations. Round-off below 1e-9 is returned as 0.

    Examples:
        >>> X = np.random.default_rng(0).normal(size=(100, 8))
        >>> frechet_distance(X, X) < 1e-6
        True
    """
    X_a, X_b = _check_pair(X_a, X_b, ("X_a", "X_b"))
    if int(n_components) != n_components or n_components < 1:
        raise ParameterError(f"n_components must be a positive integer, got {n_components!r}")
    mu, sd = _standardizer(X_a)
    Za, Zb = (X_a - mu) / sd, (X_b - mu) / sd
    k = int(min(n_components, Za.shape[1], Za.shape[0] - 1))
    _, _, Vt = np.linalg.svd(Za - Za.mean(axis=0), full_matrices=False)
    Pa, Pb = Za @ Vt[:k].T, Zb @ Vt[:k].T
    mu_a, mu_b = Pa.mean(axis=0), Pb.mean(axis=0)
    Ca = np.atleast_2d(np.cov(Pa, rowvar=False))
    Cb = np.atleast_2d(np.cov(Pb, rowvar=False))
    with warnings.catch_warnings():  # singular products are expected and handled below
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(Ca @ Cb)
        if not np.all(np.isfinite(covmean)):
            offset = np.eye(k) * 1e-6
            covmean = scipy.linalg.sqrtm((Ca + offset) @ (Cb + offset))
    covmean = np.real(covmean)
    d2 = float(np.sum((mu_a - mu_b) ** 2) + np.trace(Ca) + np.trace(Cb) - 2.0 * np.trace(covmean))
    return d2 if d2 > _ROUND_OFF else 0.0


# --------------------------------------------------------------------------- distances
def novelty_ratio(X_gen: np.ndarray, X_train: np.ndarray, groups_train: Sequence[str]) -> float:
    """Median nearest-training-clip distance of generated clips, relative to real ones.

    Numerator: median over generated clips of the Euclidean distance to the nearest
    training clip. Denominator: median over training clips of the distance to the nearest
    training clip of a *different* group (another cat, see
    :func:`mockingbot.datascan.group_of`). Distances are in features standardised on the
    training set.

    Args:
        X_gen: generated features [n_gen, dims].
        X_train: training (reference) features [n_train, dims].
        groups_train: one group label per training clip; at least two distinct groups.

    Returns:
        the ratio (≥ 0): 0 for exact copies, ≈ 1 for clips as new as another group's,
        ≫ 1 for clips unlike any training clip.

    Raises:
        ParameterError: shapes disagree, fewer than two groups, or clips of different
            groups are identical (the denominator is 0).
    """
    X_gen, X_train = _check_pair(X_gen, X_train, ("X_gen", "X_train"), min_rows=1)
    groups = np.asarray([str(g) for g in groups_train])
    if groups.shape != (len(X_train),):
        raise ParameterError(
            f"groups_train needs one label per training clip ({len(X_train)}), got {groups.size}"
        )
    if np.unique(groups).size < 2:
        raise ParameterError("novelty_ratio needs training clips from at least two groups")
    mu, sd = _standardizer(X_train)
    Zg, Zt = (X_gen - mu) / sd, (X_train - mu) / sd
    gen_nn = cdist(Zg, Zt).min(axis=1)
    within = cdist(Zt, Zt)
    within[groups[:, None] == groups[None, :]] = np.inf
    real_nn = within.min(axis=1)
    denom = float(np.median(real_nn))
    if denom <= 0.0:
        raise ParameterError("clips of different groups are identical; novelty is undefined")
    return float(np.median(gen_nn)) / denom


def diversity_ratio(X_gen: np.ndarray, X_real: np.ndarray) -> float:
    """Mean pairwise distance within the generated set over the same within the real set.

    Distances are Euclidean in features standardised on ``X_real``. 1 means as varied as
    the data; a generator that collapses to a few outputs scores near 0.

    Args:
        X_gen: generated features [n_gen ≥ 2, dims].
        X_real: real features [n_real ≥ 2, dims].

    Returns:
        the ratio (≥ 0).
    """
    X_gen, X_real = _check_pair(X_gen, X_real, ("X_gen", "X_real"))
    mu, sd = _standardizer(X_real)
    real = float(pdist((X_real - mu) / sd).mean())
    if real <= 0.0:
        raise ParameterError("all real clips have identical features; diversity is undefined")
    return float(pdist((X_gen - mu) / sd).mean()) / real


def burst_hiss_share(loud: np.ndarray, *, max_loud: float = BURST_HISS_MAX_LOUD) -> float:
    """Share of clips whose loud fraction is below ``max_loud``: the "burst + hiss" clips.

    A generator that makes a short burst and then paints a long quiet noise tail can match
    set averages of spectral features while few of its clips sound like a sustained call;
    the count of such clips, next to the same count in the real set, shows it directly.

    Args:
        loud: per-clip :func:`~mockingbot.evaluation.features.loud_fraction` values [clips].
        max_loud: a clip below this loud fraction counts.

    Returns:
        the share in [0, 1].

    Examples:
        >>> burst_hiss_share(np.array([0.1, 0.9, 0.8, 0.2]))
        0.5
    """
    loud = np.asarray(loud, dtype=np.float64)
    if loud.ndim != 1 or loud.size == 0:
        raise ParameterError(f"loud must be a non-empty 1-D array, got shape {loud.shape}")
    if not np.all(np.isfinite(loud)):
        raise ParameterError("loud fractions must be finite")
    return float(np.mean(loud < max_loud))


# --------------------------------------------------------------------------- floor
@dataclasses.dataclass(frozen=True)
class FloorEstimate:
    """One metric between random halves of the reference, over several splits.

    Attributes:
        mean: average over the splits.
        std: standard deviation over the splits (0 for one split).
        values: the value of each split.
    """

    mean: float
    std: float
    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Sequence[float]) -> FloorEstimate:
        v = np.asarray(values, dtype=np.float64)
        return cls(float(v.mean()), float(v.std()), tuple(float(x) for x in v))

    def to_dict(self) -> dict[str, object]:
        return {"mean": self.mean, "std": self.std, "values": list(self.values)}


def split_halves(groups: Sequence[str], *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of two random halves that each hold about half of every group's clips.

    Stratifying by group keeps both halves the same mixture of sources (cats), so they are
    two samples of one distribution — which is what a perfect generator's output is. A
    group with an odd count gives its extra clip to whichever half is currently smaller.

    Returns:
        ``(idx_a, idx_b)``, sorted integer index arrays that partition ``range(len(groups))``.
    """
    rng = np.random.default_rng(seed)
    labels = np.asarray([str(g) for g in groups])
    a: list[int] = []
    b: list[int] = []
    for g in rng.permutation(np.unique(labels)):
        idx = rng.permutation(np.flatnonzero(labels == g))
        half = idx.size // 2
        first, second = (a, b) if len(a) <= len(b) else (b, a)
        first.extend(idx[: idx.size - half])
        second.extend(idx[idx.size - half :])
    return np.sort(np.asarray(a, dtype=int)), np.sort(np.asarray(b, dtype=int))


def real_floor(
    X_real: np.ndarray,
    groups: Sequence[str],
    *,
    seed: int = 0,
    repeats: int = 5,
    folds: int = 5,
    n_components: int = FRECHET_COMPONENTS,
) -> dict[str, FloorEstimate]:
    """Each metric between two random halves of the reference (see :func:`split_halves`).

    Half A plays "generated", half B plays "reference/training" (novelty uses B's groups).
    This is what a perfect generator would score at half the clip count, so it is the
    value to read every metric against. Repeating over ``repeats`` splits gives its spread.

    Note: half A shares sources (cats) with half B, so its novelty floor is *below* 1 — a
    new recording of a known cat sits nearer its siblings than a clip of another cat does.

    Args:
        X_real: reference features [n, dims] (at least ``2 * folds`` clips).
        groups: one group label per clip.
        seed: seeds the splits and every metric.
        repeats: number of random splits (≥ 1).
        folds: C2ST folds.
        n_components: Fréchet PCA dimensions.

    Returns:
        ``{"c2st", "c2st_logistic", "c2st_forest", "frechet", "novelty", "diversity"}`` →
        :class:`FloorEstimate`.
    """
    X_real = _check_matrix(X_real, "X_real", min_rows=2 * folds)
    if len(groups) != len(X_real):
        raise ParameterError(f"need one group per clip ({len(X_real)}), got {len(groups)}")
    if int(repeats) != repeats or repeats < 1:
        raise ParameterError(f"repeats must be a positive integer, got {repeats!r}")
    groups = [str(g) for g in groups]
    vals: dict[str, list[float]] = {}
    for r in range(int(repeats)):
        s = seed + r
        ia, ib = split_halves(groups, seed=s)
        A, B = X_real[ia], X_real[ib]
        scores = c2st_scores(B, A, folds=folds, seed=s)
        one = {
            "c2st": max(scores.values()),
            **{f"c2st_{k}": v for k, v in scores.items()},
            "frechet": frechet_distance(B, A, n_components=n_components),
            "novelty": novelty_ratio(A, B, [groups[i] for i in ib]),
            "diversity": diversity_ratio(A, B),
        }
        for k, v in one.items():
            vals.setdefault(k, []).append(v)
    return {k: FloorEstimate.of(v) for k, v in vals.items()}
