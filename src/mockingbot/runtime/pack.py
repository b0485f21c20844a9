"""Render a sound pack into a folder: plan, render, write, side files, manifest last.

This is the runtime's main loop. :func:`render_pack` plans a pack of K creatures × M
variations (:mod:`.pack_settings`), prepares the folder (:mod:`.pack_folder`: ownership,
lock, ``--resume``/``--force``), streams the sounds out of :func:`.render.render_sounds`
(latents → generator → phase → post-processing → encoded bytes) and writes each one's
audio and thumbnail, a journal line after them; then the creatures' ``.tres`` files, the
attribution, audition page and contact sheet, and last ``manifest.json``, whose presence
means the pack is complete. Memory stays flat as the count grows: only one or two batches
of audio exist at a time; a finished sound leaves behind one small manifest entry.

Reproducibility. Every sound is a pure function of (model, pack arguments, creature index,
variation index), and no file holds a date, so the same model and arguments give
byte-identical packs however the work is batched, sharded, resumed or threaded.

Sharding. ``--shard I/N`` (1-based) renders the I-th of N contiguous ranges of creatures
(:func:`.pack_settings.shard_creatures`) and writes ``manifest.shard-I-of-N.json`` instead
of the pack's index files; :func:`.shards.merge_shards` joins them.

Contents: :class:`PackResult`, :func:`render_pack`, and the writers the commands that change
a pack share (:mod:`.shards`, :mod:`.mutate`): :func:`write_sound`, :func:`write_tres`,
:func:`finish_pack`, :func:`write_manifest`, :func:`model_record`, :func:`attribution`,
:func:`median_phase_sc`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from mockingbot.defaults import DEFAULT_BATCH_SIZE
from mockingbot.errors import PackError
from mockingbot.fileio import atomic_write_bytes, atomic_write_text
from mockingbot.model_meta import ModelMeta
from mockingbot.validation import as_int

from . import latents as lat
from . import pack_format as fmt
from .model import GeneratorModel
from .pack_folder import (
    Journal,
    created_by,
    damage_to_finished,
    describe_difference,
    disk_errors,
    folder_kind,
    journal_header,
    make_folder,
    pack_lock,
    prepare_folder,
    remove_temp_files,
    verified_sounds,
)
from .pack_settings import PackSettings, folder_name, plan_pack, shard_creatures
from .render import RenderedSound, check_model_output, render_sounds

__all__ = ["PackResult", "render_pack"]

#: The contact sheet shows at most this many creatures (rows) × variations (columns);
#: index.html shows everything.
CONTACT_SHEET_MAX_CREATURES = 100
CONTACT_SHEET_MAX_COLUMNS = 16


@dataclasses.dataclass(frozen=True)
class PackResult:
    """What a render, merge or mutate did: what the CLI reports, without reading files back.

    Attributes:
        path: the pack folder.
        total: sounds this command is responsible for (the shard's part when sharded).
        rendered: sounds rendered now.
        reused: sounds found finished from an earlier, interrupted run (``--resume``).
        seconds: wall time of the command's work.
        complete: the folder now holds a complete pack (``manifest.json``); False for a shard.
        manifest: the manifest file written (pack or shard manifest).
        phase_sc_db: median phase-retrieval quality (spectral convergence, dB) of the sounds
            that manifest lists; ``None`` when none recorded one (a waveform model).
        creature: the creature entry ``mbot mutate`` added (``None`` for other commands).
    """

    path: Path
    total: int
    rendered: int
    reused: int
    seconds: float
    complete: bool
    manifest: Path
    phase_sc_db: float | None = None
    creature: Mapping[str, Any] | None = None


def median_phase_sc(sounds: Iterable[Mapping[str, Any]]) -> float | None:
    """Median ``phase_sc_db`` of manifest entries (``None`` when none has one)."""
    values = [s["phase_sc_db"] for s in sounds if s.get("phase_sc_db") is not None]
    return statistics.median(values) if values else None


# ============================================================================ writing files
def write_sound(out: Path, sound: RenderedSound) -> tuple[dict[str, Any], str]:
    """Write one sound's audio and thumbnail into the pack ``out``.

    Returns its manifest entry and the thumbnail's sha256 (for the journal). No fsync per
    file: resume re-checks every sha256, and one ``os.sync()`` precedes the manifest, so a
    finished pack is durable without paying 1–10 ms per file.
    """
    from .thumbnails import thumbnail_png

    entry = fmt.sound_entry(
        creature=sound.creature,
        variation=sound.variation,
        audio_format=sound.audio_format,
        latent_seed=sound.latent_seed,
        duration_s=sound.duration_s,
        lufs=sound.lufs,
        peak_dbfs=sound.peak_dbfs,
        sha256=hashlib.sha256(sound.data).hexdigest(),
        phase_sc_db=sound.phase_sc_db,
    )
    atomic_write_bytes(out / entry["file"], sound.data, fsync=False)
    png = thumbnail_png(sound.audio, sr=sound.sample_rate)
    atomic_write_bytes(out / fmt.THUMBS_DIR / f"{sound.sound_id}.png", png, fsync=False)
    return entry, hashlib.sha256(png).hexdigest()


def model_record(model: GeneratorModel) -> dict[str, Any]:
    meta = model.meta
    return {
        "name": meta.model_name,
        "sha256": model.sha256,
        "content_hash": meta.content_hash,
        "preset": meta.preset,
        "training_steps": meta.training_steps,
    }


def attribution(meta: ModelMeta) -> str:
    """The manifest's ``attribution``: training data name, license and the credit it asks for."""
    data = meta.dataset
    parts = []
    if data.get("name") or data.get("license"):
        name = data.get("name", "an unnamed data set")
        lic = data.get("license", "license not stated")
        clips = data.get("clips")
        extra = f", {clips} clips" if clips else ""
        parts.append(f"Training data: {name} ({lic}{extra}).")
    if meta.attribution.strip():
        parts.append(meta.attribution.strip())
    return "\n".join(parts)


def attribution_text(manifest: Mapping[str, Any]) -> str:
    """ATTRIBUTION.txt: what made the pack and whom its training data asks to credit."""
    model = manifest["model"]
    lines = [
        f"{manifest['name']}: {len(manifest['sounds'])} sounds made with {manifest['created_by']}",
        f"by the generator {model['name']!r} (sha256 {model['sha256']}).",
        "",
        manifest["attribution"]
        or "The model carries no information about its training data or its license.",
    ]
    return "\n".join(lines) + "\n"


def write_tres(out: Path, creature: Mapping[str, Any], sounds: Mapping[str, Any]) -> None:
    from .godot_resources import randomizer_tres

    text = randomizer_tres(
        [sounds[sid]["file"] for sid in creature["sounds"]],
        random_pitch=creature["random_pitch"],
        random_volume_offset_db=creature["random_volume_offset_db"],
    )
    atomic_write_text(out / creature["resource"], text, fsync=False)


def finish_pack(out: Path, manifest: Mapping[str, Any], *, only_missing: bool = False) -> Path:
    """Write attribution, audition page, contact sheet and, last, the manifest.

    ``only_missing`` (``--resume`` repairing a finished pack) writes only the files that are
    not there, so a side file the user edited is never overwritten.
    """
    from .audition import index_html
    from .thumbnails import contact_sheet

    def wanted(name: str) -> bool:
        return not (only_missing and (out / name).is_file())

    if wanted(fmt.ATTRIBUTION):
        atomic_write_text(out / fmt.ATTRIBUTION, attribution_text(manifest), fsync=False)
    if wanted(fmt.INDEX):
        atomic_write_text(out / fmt.INDEX, index_html(manifest), fsync=False)
    rows = [
        (c["id"], [out / fmt.THUMBS_DIR / f"{sid}.png" for sid in c["sounds"]])
        for c in manifest["creatures"][:CONTACT_SHEET_MAX_CREATURES]
    ]
    if wanted(fmt.CONTACT_SHEET):
        atomic_write_bytes(
            out / fmt.CONTACT_SHEET,
            contact_sheet(rows, max_columns=CONTACT_SHEET_MAX_COLUMNS),
            fsync=False,
        )
    if not wanted(fmt.MANIFEST):
        return out / fmt.MANIFEST
    return write_manifest(out / fmt.MANIFEST, manifest)


def write_manifest(path: Path, manifest: Mapping[str, Any]) -> Path:
    """Make everything written so far durable, then write the manifest (the "done" mark)."""
    os.sync()
    atomic_write_text(path, fmt.dumps(manifest))
    return path


# ============================================================================ render
def render_pack(
    model: GeneratorModel,
    out: str | os.PathLike[str],
    settings: PackSettings,
    *,
    shard: tuple[int, int] | None = None,
    resume: bool = False,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int, int], None] | None = None,
) -> PackResult:
    """Render a pack (or one shard of it) into ``out``.

    Args:
        model: the loaded generator.
        out: the pack folder: created if missing; an existing one must be empty, or a pack
            folder with ``resume``/``force`` (see the module docstring).
        settings: the pack arguments; ``settings.name`` empty → the model's name.
        shard: ``(I, N)`` to render only shard I of N (1-based).
        resume: complete an interrupted render (or do nothing if the pack is complete).
        force: replace an existing pack in ``out`` (only files the pack format defines).
        batch_size: sounds per inference/phase batch; does not change any output byte.
        on_progress: called as ``on_progress(done, total)`` after each finished sound (and
            once at the start, counting sounds reused from an interrupted run).

    Returns:
        A :class:`PackResult`.

    Raises:
        ParameterError, PackError, ModelError: with a one-line message.
    """
    started = time.perf_counter()
    out = Path(out)
    batch_size = as_int("batch size", batch_size, low=1)
    if not settings.name:
        settings = dataclasses.replace(settings, name=folder_name(model.meta.model_name))
    sizes = plan_pack(settings.count, settings.creatures, settings.variations)
    ours = shard_creatures(len(sizes), shard)
    header = journal_header(settings, model, shard)
    check_model_output(model)
    folder_kind(out)  # a file where the folder should be: say so before locking
    with pack_lock(out, shard):
        state = prepare_folder(
            out, header=header, shard=shard, creatures=ours, resume=resume, force=force
        )
        total = sum(sizes[c] for c in ours)
        marker = out / (fmt.MANIFEST if shard is None else fmt.shard_manifest_name(*shard))
        finished: dict[str, Any] = {}  # a finished pack's manifest, when --resume repairs it
        done: dict[str, dict[str, Any]] = {}
        if state == "complete":
            with contextlib.suppress(FileNotFoundError):  # killed between manifest and cleanup
                (out / fmt.journal_name(shard)).unlink()
            planned = {fmt.sound_id(c, v) for c in ours for v in range(sizes[c])}
            damage = damage_to_finished(out, marker, shard, planned) if marker.exists() else None
            if damage is None:
                if on_progress:
                    on_progress(total, total)
                seconds = time.perf_counter() - started
                sc = (
                    None
                    if not marker.exists()
                    else median_phase_sc(fmt.read_manifest(marker)["sounds"])
                )
                return PackResult(out, total, 0, total, seconds, True, marker, sc)
            finished, done = damage
            state = "repair"

        with disk_errors(out, again="run the same command with --resume to finish it"):
            make_folder(out)
            remove_temp_files(out)
            journal = Journal(out / fmt.journal_name(shard))
            if state == "resume":
                old_header, entries = journal.load()
                if old_header != header:
                    journal.close()
                    raise PackError(
                        f"cannot resume {out}: {describe_difference(old_header, header)}; pass "
                        "the same arguments as the interrupted render, or --force to start over"
                    )
                done = verified_sounds(out, entries)
            else:
                journal.start(header)

            traits = {
                c: lat.creature_traits(settings.seed, c, size_range=settings.size_range)
                for c in ours
            }
            jobs = [(c, v) for c in ours for v in range(sizes[c]) if fmt.sound_id(c, v) not in done]
            reused = total - len(jobs)
            count_done = reused
            if on_progress:
                on_progress(count_done, total)
            output_rate = settings.output_rate_hz(model.spec.sr)
            stream = render_sounds(
                model,
                settings.seed,
                jobs,
                spread=settings.spread,
                sizes={c: traits[c].size for c in ours},
                output_rate=output_rate,
                audio_format=settings.audio_format,
                loudness_lufs=float(settings.loudness_lufs),
                batch_size=batch_size,
            )
            try:
                with contextlib.closing(stream):
                    for sound in stream:
                        entry, thumb_sha256 = write_sound(out, sound)
                        journal.append({"sound": entry, "thumb_sha256": thumb_sha256})
                        done[entry["id"]] = entry
                        count_done += 1
                        if on_progress:
                            on_progress(count_done, total)
            finally:
                journal.close()

            creatures = [
                fmt.creature_entry(
                    index=c,
                    size=traits[c].size,
                    random_pitch=traits[c].random_pitch,
                    random_volume_offset_db=traits[c].random_volume_offset_db,
                    sounds=[fmt.sound_id(c, v) for v in range(sizes[c])],
                )
                for c in ours
            ]
            sounds = [done[sid] for c in creatures for sid in c["sounds"]]
            if finished:  # repairing: write only what is missing, from the pack's own manifest
                every = {s["id"]: s for s in finished["sounds"]}
                for c in finished["creatures"]:
                    if not (out / c["resource"]).is_file():
                        write_tres(out, c, every)
            else:
                for c in creatures:
                    write_tres(out, c, done)
            manifest = fmt.build_manifest(
                name=settings.name,
                created_by=created_by(),
                model=model_record(model),
                seed=settings.seed,
                arguments=settings.arguments(),
                spec=model.spec.to_dict(),
                sample_rate=output_rate,
                audio_format=settings.audio_format,
                loudness_lufs=float(settings.loudness_lufs),
                attribution=attribution(model.meta),
                creatures=creatures,
                sounds=sounds,
                shard=shard,
            )
            if finished:
                path = finish_pack(out, finished, only_missing=True) if shard is None else marker
                os.sync()  # the sounds rendered again are durable before the journal goes
            elif shard is None:
                path = finish_pack(out, manifest)
            else:
                path = write_manifest(out / fmt.shard_manifest_name(*shard), manifest)
            journal.remove()
            seconds = time.perf_counter() - started
            sc = median_phase_sc((finished or manifest)["sounds"])
            return PackResult(out, total, len(jobs), reused, seconds, shard is None, path, sc)
