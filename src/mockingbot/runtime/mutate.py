"""``mbot mutate``: grow a finished pack by a new creature that varies one liked sound.

The new creature's center is the chosen sound's latent, rebuilt from the manifest alone
(:func:`~.latents.latent_from_manifest`), so mutate needs nothing but the pack and its
model; the new sounds go through the same chain as a render (:func:`.render.render_sounds`)
and the same writers (:mod:`.pack`).

Contents: :func:`mutate_sound`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mockingbot.defaults import DEFAULT_BATCH_SIZE, DEFAULT_MUTATE_SPREAD
from mockingbot.errors import ModelError, PackError
from mockingbot.validation import as_int

from . import latents as lat
from . import pack_format as fmt
from .model import GeneratorModel
from .pack import PackResult, finish_pack, median_phase_sc, write_sound, write_tres
from .pack_folder import disk_errors, pack_lock
from .pack_settings import check_count
from .render import check_model_output, render_sounds

__all__ = ["mutate_sound"]


def mutate_sound(
    model: GeneratorModel,
    pack: str | os.PathLike[str],
    sound_id: str,
    *,
    count: int,
    spread: float = DEFAULT_MUTATE_SPREAD,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int, int], None] | None = None,
) -> PackResult:
    """Add a new creature to a finished pack: ``count`` variations of one sound.

    The new creature's center is the chosen sound's latent (rebuilt from the manifest with
    :func:`~mockingbot.runtime.latents.latent_from_manifest`), its variations sit ``spread``
    around it, and it keeps the parent creature's size and play-time jitter, so the new
    sounds are recognisably the one the user liked. The pack gains ``creature_<K>.tres``,
    the new audio and thumbnails; index, contact sheet and manifest are rewritten (manifest
    last). Running the same mutate twice adds two different creatures; an interrupted mutate
    leaves the pack as it was (its orphan files are overwritten by the next attempt).

    Raises:
        PackError: not a finished pack, or no such sound.
        ModelError: ``model`` is not the model the pack was rendered with.
    """
    started = time.perf_counter()
    out = Path(pack)
    count = check_count("count", as_int("count", count))  # required here: None is refused
    spread = lat.validate_spread(spread)
    batch_size = as_int("batch size", batch_size, low=1)
    if not out.is_dir():
        raise PackError(f"{out} is not a pack folder")
    manifest = fmt.read_manifest(out / fmt.MANIFEST)
    if any(p.name.startswith(".mbot-progress") for p in out.iterdir()):
        raise PackError(f"{out} has an unfinished render; complete it with --resume first")
    if model.sha256 != manifest["model"]["sha256"]:
        raise ModelError(
            f"{out} was rendered with the model {manifest['model']['name']!r} (sha256 "
            f"{manifest['model']['sha256'][:12]}…); pass that file with --model"
        )
    check_model_output(model)
    sounds = {s["id"]: s for s in manifest["sounds"]}
    if sound_id not in sounds:
        raise PackError(f"{out} has no sound {sound_id!r} (ids look like creature_000_v00)")
    parent = next(c for c in manifest["creatures"] if c["id"] == sounds[sound_id]["creature"])
    index = max(c["index"] for c in manifest["creatures"]) + 1
    center = lat.latent_from_manifest(manifest, sound_id, latent_dim=model.latent_dim)
    entries: list[dict[str, Any]] = []
    # a render (or another mutate) writing here meanwhile would mix its files with these
    with pack_lock(out, None), disk_errors(out, again="run mutate again"):
        stream = render_sounds(
            model,
            int(manifest["seed"]),
            [(index, v) for v in range(count)],
            spread=spread,
            sizes={index: parent["size"]},
            centers={index: center},
            output_rate=int(manifest["sample_rate"]),
            audio_format=manifest["audio_format"],
            loudness_lufs=float(manifest["loudness_lufs"]),
            batch_size=batch_size,
        )
        with contextlib.closing(stream):
            for sound in stream:
                entries.append(write_sound(out, sound)[0])
                if on_progress:
                    on_progress(len(entries), count)
        creature = fmt.creature_entry(
            index=index,
            size=parent["size"],
            random_pitch=parent["random_pitch"],
            random_volume_offset_db=parent["random_volume_offset_db"],
            sounds=[e["id"] for e in entries],
            parent=sound_id,
            spread=spread,
        )
        write_tres(out, creature, {e["id"]: e for e in entries})
        manifest = dict(manifest)
        manifest["creatures"] = [*manifest["creatures"], creature]
        manifest["sounds"] = [*manifest["sounds"], *entries]
        path = finish_pack(out, manifest)
    seconds = time.perf_counter() - started
    sc = median_phase_sc(manifest["sounds"])
    return PackResult(out, count, count, 0, seconds, True, path, sc, creature)
