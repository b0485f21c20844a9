"""From a folder of audio to batches of normalised spectrograms.

Loading goes through :func:`mockingbot.dataset.load_dataset` (the same decoder, trimming and
windowing ``mbot dataset inspect`` reports on); features are the spec's normalised
log-magnitudes, computed once and cached in the run folder keyed by the file list and spec,
so a resumed run starts training in seconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mockingbot.dataset import Dataset, load_dataset
from mockingbot.errors import DataError
from mockingbot.fileio import atomic_path
from mockingbot.noisefloor import NoiseFloor
from mockingbot.spec import SpectrogramSpec

__all__ = ["MIN_CLIPS", "FeatureSet", "load_features"]

#: Fewer clips than this cannot train a GAN to anything useful.
MIN_CLIPS = 8
_FEATURE_BATCH = 64


class FeatureSet:
    """Normalised spectrograms [clips, n_frames, n_bins] plus what they came from."""

    def __init__(
        self,
        features: np.ndarray,
        summary: dict,
        sources: list[str],
        noise_floor: NoiseFloor | None = None,
    ) -> None:
        self.features = features
        self.summary = summary
        self.sources = sources
        #: the recordings' noise floor (:mod:`mockingbot.noisefloor`), for the model to carry
        self.noise_floor = noise_floor

    def __len__(self) -> int:
        return int(self.features.shape[0])


def _cache_key(dataset: Dataset, spec: SpectrogramSpec, context: str) -> str:
    h = hashlib.sha256(spec.to_json().encode())
    if context != "call":  # "call" keys stay as they were, so old caches still match
        h.update(f"context={context}|".encode())
    for clip in dataset.clips:
        # surrogateescape: a file name that is not UTF-8 hashes as its bytes (same key as
        # before for every UTF-8 name) instead of raising UnicodeEncodeError
        h.update(f"{clip.source}|{clip.start_s:.6f}|".encode("utf-8", "surrogateescape"))
        h.update(np.ascontiguousarray(clip.y[:: max(1, clip.y.size // 64)]).tobytes())
    return h.hexdigest()[:16]


def load_features(
    data_dir: Path,
    *,
    spec: SpectrogramSpec,
    cache_dir: Path | None = None,
    strict: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    context: str = "call",
) -> FeatureSet:
    """Load ``data_dir`` and return its clips' features (cached in ``cache_dir`` when given).

    Raises:
        DataError: the folder is missing or yields fewer than :data:`MIN_CLIPS` clips.
    """
    dataset = load_dataset(
        Path(data_dir), spec=spec, strict=strict, on_progress=on_progress, context=context
    )
    if len(dataset.clips) < MIN_CLIPS:
        raise DataError(
            f"{data_dir} yields only {len(dataset.clips)} usable clip(s); a GAN needs at least "
            f"{MIN_CLIPS} (a few hundred is better)"
        )
    summary = dataset.summary()
    sources = [str(c.source) for c in dataset.clips]
    key = _cache_key(dataset, spec, context)
    cached = cache_dir / f"features-{key}.npy" if cache_dir is not None else None
    if cached is not None and cached.exists():
        return FeatureSet(np.load(cached), summary, sources, dataset.noise_floor)
    clips = np.stack([c.y for c in dataset.clips]).astype(np.float32)
    feats = np.concatenate(
        [spec.features(clips[i : i + _FEATURE_BATCH]) for i in range(0, len(clips), _FEATURE_BATCH)]
    )
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(cached) as tmp, open(tmp, "wb") as fh:
            np.save(fh, feats)
        (cache_dir / f"features-{key}.json").write_text(json.dumps({"sources": sources}))
    return FeatureSet(feats, summary, sources, dataset.noise_floor)
