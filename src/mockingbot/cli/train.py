"""``mbot train``: learn a class of sounds from a folder of audio (needs the ``[train]`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ._output import err_console, fail, progress

__all__ = ["register"]

_EPILOG = """
Examples:

  mbot train ~/sounds/meows --out runs/meows

  mbot train ~/sounds/meows --out runs/quick --steps 200 --batch-size 16

  mbot train --resume runs/meows            # continue after Ctrl-C, a crash or kill -9

  mbot train --resume runs/meows --steps 20000   # train an old run further

  mbot train ~/sounds/meows --out runs/seed --preset seed-2022   # the 2022 recipe

  mbot train ~/sounds/growls --out runs/growls --sample-rate 16000   # not the rate the data earns

  mbot train ~/sounds/growls --out runs/growls --max-sample-rate 16000   # at most 16 kHz

  tensorboard --logdir runs/meows/logs
"""


def _overrides(
    steps: int | None, batch_size: int | None, seed: int | None, strategy: str | None
) -> dict:
    train: dict[str, Any] = {}
    if steps is not None:
        train["steps"] = steps
    if batch_size is not None:
        train["batch_size"] = batch_size
    if seed is not None:
        train["seed"] = seed
    if strategy is not None:
        train["strategy"] = strategy
    return {"train": train} if train else {}


def _merge_overrides(a: dict, b: dict) -> dict:
    """``a`` with ``b``'s tables merged in (one level: ``{"spec": {...}}``)."""
    out = {k: dict(v) for k, v in a.items()}
    for key, table in b.items():
        out.setdefault(key, {}).update(table)
    return out


def _data_rate(data_dir: Path, max_rate: int | None = None) -> tuple[int, str]:
    """The ladder rate ``data_dir`` earns and why (:func:`mockingbot.bandwidth.choose_rate`).

    Each file is decoded at its own rate and its real bandwidth measured, so a folder of
    44.1 kHz files upsampled from 8 kHz trains at 8 kHz, not at four times the cost;
    ``max_rate`` (``--max-sample-rate``) caps the rung, and the reason says so.
    """
    from ..bandwidth import choose_rate, measure_files
    from ..datascan import scan_audio_files

    with progress(transient=True) as bar:
        task = bar.add_task("measuring bandwidth", total=None, rate="", status="")
        files = measure_files(
            scan_audio_files(data_dir),
            on_progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    choice = choose_rate(files, max_rate=max_rate)
    return choice.rate, f"from the data: {choice.reason()}"


def train(
    data_dir: Path | None = typer.Argument(
        None,
        help="Folder of audio clips (searched recursively). With --resume, may be the run folder.",
        show_default=False,
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Run folder to create (or resume)."),
    config: Path | None = typer.Option(None, "--config", help="TOML file overriding the preset."),
    preset: str = typer.Option(
        "default",
        "--preset",
        help="Recipe: default (full-resolution), harmonic (the earlier default), waveform "
        "(stage 2 of harmonic, with --init-from), seed-2022.",
    ),
    steps: int | None = typer.Option(None, "--steps", help="Total generator steps to train to."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Global batch size."),
    seed: int | None = typer.Option(None, "--seed", help="Seed for weights, latents, shuffling."),
    strategy: str | None = typer.Option(
        None, "--strategy", help="default | mirrored (all local GPUs) | multiworker (TF_CONFIG)."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out (or DATA_DIR)."),
    force: bool = typer.Option(False, "--force", help="Delete an existing run folder and restart."),
    init_from: Path | None = typer.Option(
        None,
        "--init-from",
        help="Start a new run from another run's trained networks (fine-tuning), or from a "
        "training state file (.npz, see --save-state).",
    ),
    save_state: Path | None = typer.Option(
        None,
        "--save-state",
        help="Keep a small training state file (.npz: networks and cumulative cost) here, "
        "refreshed at every checkpoint; continue on any machine with --init-from FILE.",
    ),
    sample_rate: int | None = typer.Option(
        None,
        "--sample-rate",
        help="Train at this ladder rate (8000, 16000, 22050, 32000 Hz) instead of the one the "
        "data earns (the rate most files really reach, see mbot dataset inspect).",
    ),
    max_sample_rate: int | None = typer.Option(
        None,
        "--max-sample-rate",
        help="Highest rate the automatic choice may pick (Hz; e.g. 16000 on a laptop: each "
        "rung costs more per step, see the user guide). Default: the top rung, 32000.",
        show_default=False,
    ),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first unusable audio file."),
    dataset_name: str | None = typer.Option(None, "--dataset-name", help="Name of the data set."),
    license_: str | None = typer.Option(
        None, "--license", help="License of the data (carried into models)."
    ),
    attribution: str | None = typer.Option(
        None, "--attribution", help="Attribution text for the data (carried into every pack)."
    ),
) -> None:
    """Train a spectrogram GAN on DATA_DIR and write checkpoints, samples and logs to --out."""
    import os

    from ..errors import DataError, ParameterError
    from ..validation import as_int

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ chatter out
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        fail("mbot train needs the train extra: pip install 'mockingbot[train]'")

    overrides = _overrides(steps, batch_size, seed, strategy)
    try:
        for option, value in (("--steps", steps), ("--batch-size", batch_size)):
            if value is not None:
                as_int(option, value, low=1)
    except ParameterError as exc:
        fail(str(exc))

    from mockingbot.trainer.config import TrainConfig, resolve_config
    from mockingbot.trainer.run import train as train_run
    from mockingbot.trainer.rundir import is_run_dir, prepare_run_dir, read_run

    if resume and init_from is not None:
        fail("--init-from starts a new run; it cannot be combined with --resume")
    if sample_rate is not None:
        from ..spec import ladder_preset

        if resume:
            fail("--sample-rate cannot change a run being resumed; start a new run instead")
        try:
            rung = ladder_preset(sample_rate)
        except ParameterError as exc:
            fail(f"--sample-rate: {exc}")
        overrides = _merge_overrides(
            overrides, {"spec": {"preset": rung}, "data": {"rate_choice": "--sample-rate"}}
        )
    if max_sample_rate is not None:
        from ..spec import LADDER

        if sample_rate is not None or resume:
            fail(
                "--max-sample-rate caps the automatic rate; it cannot go with --sample-rate "
                "or --resume"
            )
        if max_sample_rate < LADDER[0][0]:
            fail(f"--max-sample-rate must be at least the lowest rung, {LADDER[0][0]} Hz")
    if init_from is not None and not (is_run_dir(init_from) or init_from.is_file()):
        fail(
            f"--init-from {init_from} is neither a MockingBot run folder (no config.json of "
            "ours) nor a training state file"
        )
    if resume:
        if out is None and data_dir is not None:
            out, data_dir = data_dir, None  # `mbot train --resume RUN_DIR`
        if out is None:
            fail("--resume needs the run folder: mbot train --resume RUN_DIR")
        prepare_run_dir(out, resume=True, force=False)
        cfg, info = read_run(out)
        if config is not None:
            fail("--config cannot change a run being resumed; start a new run instead")
        if overrides:
            merged = cfg.to_dict()
            merged["train"].update(overrides["train"])
            cfg = TrainConfig.from_dict(merged, source="--resume overrides")
        if data_dir is None:
            stored = info.get("data_dir")
            if not stored:
                fail(f"{out} does not record its data folder; pass DATA_DIR")
            data_dir = Path(stored)
        meta = dict(info.get("dataset", {}))
    else:
        if data_dir is None:
            fail("missing DATA_DIR: mbot train DATA_DIR --out RUN_DIR")
        if out is None:
            fail("missing --out RUN_DIR: where should checkpoints and samples go?")
        if not Path(data_dir).is_dir():
            raise DataError(f"data folder {data_dir} does not exist or is not a folder")
        cfg = resolve_config(
            preset=preset,
            config_file=config,
            overrides=overrides,
            data_rate=lambda: _data_rate(Path(data_dir), max_sample_rate),
        )
        meta = {}
    if not Path(data_dir).is_dir():
        raise DataError(f"data folder {data_dir} does not exist or is not a folder")
    for key, value in (("name", dataset_name), ("license", license_), ("attribution", attribution)):
        if value is not None:
            meta[key] = value

    if not resume:
        prepare_run_dir(out, resume=False, force=force)
    rate_note = f" ({cfg.data.rate_choice})" if cfg.data.rate_choice else ""
    err_console.print(
        f"mbot train preset={cfg.name} sample_rate={cfg.spec.sr}{rate_note} "
        f"generator={cfg.model.generator} "
        f"output={cfg.model.output} data={cfg.data.context} "
        f"steps={cfg.train.steps} batch={cfg.train.batch_size} → {out}",
        highlight=False,
    )
    with progress() as bar:
        result = train_run(
            out,
            cfg=cfg,
            data_dir=Path(data_dir),
            resume=resume,
            init_from=init_from,
            save_state=save_state,
            dataset_meta=meta,
            strict=strict,
            progress=bar,
            log=lambda m: err_console.print(m, highlight=False),
        )
    steps_done = result["steps"]
    if result["stop"] == "interrupted":
        err_console.print(
            f"stopped at step {steps_done}; checkpoint saved. "
            f"Resume with: mbot train --resume {out}",
            highlight=False,
        )
        raise typer.Exit(130 if result["signal"] == 2 else 143)
    err_console.print(
        f"trained to step {steps_done} ({result['wall_seconds'] / 60:.1f} min wall, "
        f"{result['cpu_seconds'] / 60:.1f} min CPU in total). Export with: "
        f"mbot export onnx {out}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("train", epilog=_EPILOG, no_args_is_help=True)(train)
