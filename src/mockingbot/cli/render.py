"""``mbot render-pack``, ``mbot mutate`` and ``mbot pack merge|verify``: make sound packs.

The commands parse options and call the runtime (:mod:`mockingbot.runtime.pack`,
:mod:`~mockingbot.runtime.mutate`, :mod:`~mockingbot.runtime.shards`,
:mod:`~mockingbot.runtime.verify`); onnxruntime, numpy and the DSP load inside the command
functions so ``mbot --help`` stays fast (defaults come from the numpy-free
:mod:`mockingbot.defaults`). Progress (sounds/s, ETA) goes to stderr, the one-line summary,
built from the command's result object alone, to stdout.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ..defaults import (
    AUDIO_FORMATS,
    DEFAULT_BATCH_SIZE,
    DEFAULT_COUNT,
    DEFAULT_LOUDNESS_LUFS,
    DEFAULT_MUTATE_SPREAD,
    DEFAULT_OUTPUT_RATE_HZ,
    DEFAULT_SIZE_RANGE,
    DEFAULT_SPREAD,
    DEFAULT_VARIATIONS,
    MAX_DEFAULT_THREADS,
    SIZE_LIMITS,
)
from ._output import console, err_console, fail, progress

__all__ = ["merge_command", "mutate_command", "register", "render_pack_command", "verify_command"]

#: Folder packs go to when --out is not given: ``packs/<name>`` under the working directory.
DEFAULT_PACKS_DIR = "packs"
_SIZES = f"{DEFAULT_SIZE_RANGE[0]:g}:{DEFAULT_SIZE_RANGE[1]:g}"
_SIZE_LOW, _SIZE_HIGH = SIZE_LIMITS

_RENDER_EPILOG = f"""
Examples:

  mbot render-pack --count 500 --out packs/demo

  mbot render-pack --creatures 8 --variations 12 --seed 7 --name forest-cats

  mbot render-pack --model meows.onnx --format ogg --sample-rate 48000

  mbot render-pack --count 200 --size-range 1:1 --out packs/natural

  mbot render-pack --count 10000 --out packs/big --shard 2/4

  mbot render-pack --count 500 --out packs/demo --resume

The same model and arguments always give a byte-identical pack.

Without --out the pack goes to packs/<name>.

--size-range MIN:MAX: creature sizes, log-uniform (default {_SIZES}).

1:1 renders every creature at the model's natural size (e.g. to evaluate);
0.5:2 spans an octave higher to an octave lower (allowed: {_SIZE_LOW:g} to {_SIZE_HIGH:g}).

--resume completes an interrupted render (same arguments); --force replaces an existing pack.
mbot never deletes files it did not write.

Shards (--shard I/N, 1-based) are joined with: mbot pack merge FOLDER...
"""

_MUTATE_EPILOG = """
Examples:

  mbot mutate creature_003_v07 --pack packs/demo --count 10

  mbot mutate creature_003_v07 --pack packs/demo --count 5 --spread 0.1

Adds a new creature (its own .tres) whose sounds vary the chosen one.

index.html, the contact sheet and manifest.json are updated.

Use the model the pack was rendered with.
"""

_MERGE_EPILOG = """
Examples:

  mbot pack merge packs/big

  mbot pack merge shard1/ shard2/ shard3/ --out packs/big

With one folder (all shards rendered into it) the pack is merged in place.

The merged pack is byte-identical to rendering it without --shard.
"""

_VERIFY_EPILOG = """
Examples:

  mbot pack verify packs/demo
"""

pack_app = typer.Typer(
    name="pack",
    help="Work with finished sound packs: merge shards, verify files.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _sample_rate(text: str) -> int | str:
    from ..errors import ParameterError

    value = text.strip().lower()
    if value == "native":
        return "native"
    try:
        return int(value)
    except ValueError:
        raise ParameterError(
            "--sample-rate must be 'native' or a rate in Hz such as "
            f"{DEFAULT_OUTPUT_RATE_HZ}, got {text!r}"
        ) from None


class _Bar:
    """Rich progress bar with sounds/s; the rate counts only sounds rendered in this run."""

    def __init__(self, description: str) -> None:
        self.description = description
        self._progress = progress()
        self._task = None
        self._t0 = time.perf_counter()
        self._first: int | None = None

    def __enter__(self) -> _Bar:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(*exc)

    def __call__(self, done: int, total: int) -> None:
        if self._task is None:
            self._first = done
            self._t0 = time.perf_counter()
            self._task = self._progress.add_task(
                self.description, total=total, completed=done, rate="", status=""
            )
            return
        elapsed = time.perf_counter() - self._t0
        rate = (done - (self._first or 0)) / elapsed if elapsed > 0 else 0.0
        self._progress.update(self._task, completed=done, rate=f"{rate:.1f} sounds/s")


def _usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    from ..runtime.threads import default_threads

    return default_threads(cap=None)


def _cap_threads(threads: int | None) -> int | None:
    """``--threads`` capped at the usable cores, with a note when it was more.

    onnxruntime starts every thread it is given: 1000 threads took 20 s to render 4
    sounds and 100000 hung, while more threads than cores never made a render faster.
    Values below 1 pass through for :meth:`GeneratorModel.load` to refuse.
    """
    cores = _usable_cores()
    if threads is not None and threads > cores:
        err_console.print(
            f"note: --threads {threads} is more than the {cores} usable CPU cores; using {cores}",
            highlight=False,
        )
        return cores
    return threads


def _load_model(model: Path | None, threads: int | None):
    from ..runtime.model import GeneratorModel

    return GeneratorModel.load(model, threads=_cap_threads(threads))


def render_pack_command(
    count: int | None = typer.Option(
        None,
        "--count",
        "-n",
        help=f"Sounds in the pack (default {DEFAULT_COUNT}).",
        show_default=False,
    ),
    model: Path | None = typer.Option(
        None, "--model", "-m", help="ONNX generator (default: the model shipped with mbot)."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Pack folder (default packs/<name>).", show_default=False
    ),
    name: str | None = typer.Option(
        None, "--name", help="Pack name (default: the model's name).", show_default=False
    ),
    seed: int = typer.Option(0, "--seed", help="Pack seed: same seed, same pack."),
    creatures: int | None = typer.Option(
        None, "--creatures", "-k", help="Creatures (distinct voices).", show_default=False
    ),
    variations: int | None = typer.Option(
        None,
        "--variations",
        "-v",
        help=f"Variations per creature (default {DEFAULT_VARIATIONS}, or count / creatures).",
        show_default=False,
    ),
    sample_rate: str = typer.Option(
        str(DEFAULT_OUTPUT_RATE_HZ), "--sample-rate", help="Output rate in Hz, or 'native'."
    ),
    audio_format: str = typer.Option(
        AUDIO_FORMATS[0], "--format", help="wav (16-bit PCM) or ogg (Vorbis)."
    ),
    loudness: float = typer.Option(
        DEFAULT_LOUDNESS_LUFS, "--loudness", help="Loudness target in LUFS."
    ),
    spread: float = typer.Option(
        DEFAULT_SPREAD, "--spread", help="How far variations stray from their creature (0–1)."
    ),
    size_range: str | None = typer.Option(
        None,
        "--size-range",
        metavar="MIN:MAX",
        help=f"Creature sizes, log-uniform (default {_SIZES}; 1:1 = the model's natural size; "
        f"> 1 larger and lower, < 1 smaller and higher; {_SIZE_LOW:g}–{_SIZE_HIGH:g}).",
        show_default=False,
    ),
    shard: str | None = typer.Option(
        None, "--shard", help="Render only part I of N (1-based), e.g. 2/4.", show_default=False
    ),
    resume: bool = typer.Option(False, "--resume", help="Complete an interrupted render."),
    force: bool = typer.Option(False, "--force", help="Replace an existing pack in --out."),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", help="Sounds per inference batch."
    ),
    threads: int | None = typer.Option(
        None,
        "--threads",
        help=f"onnxruntime threads (default: usable cores, at most {MAX_DEFAULT_THREADS}; more "
        "than the usable cores is capped to them). Output does not depend on it.",
        show_default=False,
    ),
) -> None:
    """Render a pack of game-ready creature sounds: audio, Godot .tres, index.html, manifest."""
    _render(**locals())


def _render(
    *,
    count: int | None,
    model: Path | None,
    out: Path | None,
    name: str | None,
    seed: int,
    creatures: int | None,
    variations: int | None,
    sample_rate: str,
    audio_format: str,
    loudness: float,
    spread: float,
    size_range: str | None,
    shard: str | None,
    resume: bool,
    force: bool,
    batch_size: int,
    threads: int | None,
) -> None:
    from ..runtime.pack import render_pack
    from ..runtime.pack_settings import PackSettings, folder_name, parse_shard, parse_size_range

    t0 = time.perf_counter()
    shard_spec = parse_shard(shard)
    settings = PackSettings(
        name=name or "",
        count=count,
        creatures=creatures,
        variations=variations,
        seed=seed,
        spread=spread,
        output_rate=_sample_rate(sample_rate),
        audio_format=audio_format.strip().lower(),
        loudness_lufs=loudness,
        size_range=parse_size_range(size_range),
    )
    gen = _load_model(model, threads)
    if out is None:
        out = Path(DEFAULT_PACKS_DIR) / folder_name(settings.name or gen.meta.model_name)
    with _Bar("rendering") as bar:
        result = render_pack(
            gen,
            out,
            settings,
            shard=shard_spec,
            resume=resume,
            force=force,
            batch_size=batch_size,
            on_progress=bar,
        )
    seconds = time.perf_counter() - t0
    rate = result.rendered / result.seconds if result.seconds > 0 else 0.0
    part = f" (shard {shard_spec[0]}/{shard_spec[1]})" if shard_spec else ""
    reused = f", {result.reused} already done" if result.reused else ""
    # the median phase-retrieval quality; none for a waveform model (no phase was recovered)
    sc = "" if result.phase_sc_db is None else f", phase SC {result.phase_sc_db:.1f} dB"
    # say so: the files are shorter than the model's clips, and a user should know why
    cut = "; room tone cut to the calls" if gen.meta.learnt_room_tone else ""
    console.print(
        f"{result.rendered} sounds rendered{part}{reused} in {seconds:.1f} s "
        f"({rate:.1f} sounds/s{sc}{cut}) → {result.path}",
        highlight=False,
        soft_wrap=True,
    )
    if shard_spec and not result.complete:
        err_console.print(
            f"when all {shard_spec[1]} shards are done: mbot pack merge <their folders>",
            highlight=False,
        )


def mutate_command(
    sound_id: str = typer.Argument(..., help="The sound to vary, e.g. creature_003_v07."),
    pack: Path = typer.Option(..., "--pack", "-p", help="The pack folder that holds it."),
    count: int = typer.Option(DEFAULT_VARIATIONS, "--count", "-n", help="New variations to make."),
    spread: float = typer.Option(
        DEFAULT_MUTATE_SPREAD, "--spread", help="How far the new sounds stray from it (0–1)."
    ),
    model: Path | None = typer.Option(
        None, "--model", "-m", help="The pack's model (default: the model shipped with mbot)."
    ),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", help="Sounds per inference batch."
    ),
    threads: int | None = typer.Option(
        None,
        "--threads",
        help="onnxruntime threads (at most the usable cores; more is capped to them).",
        show_default=False,
    ),
) -> None:
    """Make more sounds like SOUND_ID: a new creature in the same pack."""
    from ..runtime.mutate import mutate_sound

    gen = _load_model(model, threads)
    with _Bar("mutating") as bar:
        result = mutate_sound(
            gen,
            pack,
            sound_id,
            count=count,
            spread=spread,
            batch_size=batch_size,
            on_progress=bar,
        )
    new = result.creature
    console.print(
        f"{result.rendered} variations of {sound_id} → {new['id']} ({new['resource']}) in "
        f"{result.path} ({result.seconds:.1f} s)",
        highlight=False,
        soft_wrap=True,
    )


@pack_app.command("merge", epilog=_MERGE_EPILOG, no_args_is_help=True)
def merge_command(
    folders: list[Path] = typer.Argument(..., help="Folders holding the shards."),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Merged pack folder (default: the first folder).",
        show_default=False,
    ),
) -> None:
    """Merge the shards of a pack (rendered with --shard I/N) into one complete pack."""
    from ..runtime.shards import merge_shards

    with _Bar("merging") as bar:
        result = merge_shards(folders, out, on_progress=bar)
    console.print(
        f"{result.total} sounds merged in {result.seconds:.1f} s → {result.path}",
        highlight=False,
        soft_wrap=True,
    )


@pack_app.command("verify", epilog=_VERIFY_EPILOG, no_args_is_help=True)
def verify_command(
    pack: Path = typer.Argument(..., help="The pack folder."),
) -> None:
    """Check every file of a pack against its manifest (sha256, .tres, side files)."""
    from ..runtime.verify import verify_pack

    problems = verify_pack(pack)
    if problems:
        for p in problems:
            console.print(p, highlight=False, soft_wrap=True)
        fail(f"{pack}: {len(problems)} problem(s)", code=1)
    console.print(f"{pack}: ok", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("render-pack", epilog=_RENDER_EPILOG)(render_pack_command)
    app.command("mutate", epilog=_MUTATE_EPILOG, no_args_is_help=True)(mutate_command)
    app.add_typer(pack_app)
