"""``kill -9`` of ``mbot train`` at random moments, then ``--resume``: does it continue?

Run: ``python benchmarks/kill_train.py [--trials 10] [--seed 0] [--max-delay 8]
[--from start|config|checkpoint|init]``.

Each trial trains a tiny config (the test suite's spec and networks, a checkpoint every 2
steps) on synthetic meows in a fresh run folder, kills the process with SIGKILL after a
random delay, uniform in [0, max-delay] s after it starts (``--from start``: before
TensorFlow is up, while the data is cached), after it wrote its config (``--from config``:
while the first steps are traced) or after its first checkpoint (``--from checkpoint``:
mid-step, mid-checkpoint, between checkpoints); ``--from init`` starts each run from a training
state with ``--init-from STATE --save-state STATE`` (as ``scripts/train-default-model.sh``
does) and kills it after it wrote its config, mostly before its first checkpoint, then:

- reads the last complete checkpoint from the run's ``checkpoints/checkpoint`` index (what
  TensorFlow names only after the checkpoint's files are complete);
- runs ``mbot train --resume RUN --steps LAST+2`` (or, when the run had not written its
  config yet, the original command again) and requires exit 0, no traceback, ``run.json``
  at LAST+2 steps and a ``ckpt-(LAST+2)`` checkpoint: the run continued from the last
  complete checkpoint; a half-written one would fail the restore;
- for ``--from init``, also requires that the run recorded the state it started from and
  that the state file's cumulative steps are the state's own plus the run's: a resumed run
  that forgot its start would have trained random networks and written them over the state.

Prints one line per trial and a summary; exit 1 if any trial failed. The test suite runs two
trials (tests/test_train_faults.py); this runs the ten of issue 16.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1] / "tests"


def _mbot(*args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [sys.executable, "-m", "mockingbot.cli.main", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def last_complete_step(run: Path) -> int | None:
    """The step of the checkpoint TensorFlow's index names, read without TensorFlow."""
    index = run / "checkpoints" / "checkpoint"
    if not index.is_file():
        return None
    m = re.search(r'^model_checkpoint_path:\s*"ckpt-(\d+)"', index.read_text(), re.MULTILINE)
    return int(m.group(1)) if m else None


def setup(folder: Path) -> tuple[Path, Path]:
    """Synthetic data and a tiny endless config (checkpoint every 2 steps) in ``folder``."""
    sys.path.insert(0, str(_TESTS))
    from conftest import tiny_train_toml, write_meows

    data = write_meows(folder / "meows", 12)
    config = folder / "tiny.toml"
    config.write_text(
        tiny_train_toml(
            steps=100000, batch_size=4, checkpoint_every=2, sample_every=100000, log_every=1
        )
    )
    return data, config


def make_state(folder: Path, data: Path, config: Path) -> tuple[Path, int]:
    """A training state of a 2-step tiny run, for ``--from init``; (path, its steps)."""
    state = folder / "start-state.npz"
    made = _mbot(
        *("train", data, "--out", folder / "state-run", "--config", config, "--force"),
        *("--steps", 2, "--save-state", state),
    )
    if made.returncode != 0 or not state.is_file():
        raise SystemExit(f"could not make the start state: {made.stderr.strip()[-300:]}")
    return state, _state_steps(state)


def _state_steps(path: Path) -> int:
    import json

    import numpy as np

    with np.load(path) as z:
        return int(json.loads(str(z["__info__"]))["steps"])


def kill_trial(
    run: Path,
    data: Path,
    config: Path,
    delay: float,
    *,
    origin: str = "start",
    state: Path | None = None,
) -> dict:
    """One kill -9 at ``delay`` s after ``origin`` (``"start"`` of the process, the run's
    ``"config"`` written, i.e. training begins, or its first ``"checkpoint"``; ``"init"``:
    after the config of a run started from the training state ``state``), then the resume;
    a dict of what happened.

    ``ok`` is True when the resume continued from the last complete checkpoint to two steps
    past it; ``problem`` says why not.
    """
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    start = [sys.executable, "-m", "mockingbot.cli.main", "train", str(data)]
    start += ["--out", str(run), "--config", str(config)]
    own_state = base_steps = None
    if origin == "init":
        assert state is not None, "--from init needs a start state"
        own_state = run.parent / f"{run.name}-state.npz"
        own_state.write_bytes(state.read_bytes())
        base_steps = _state_steps(state)
        start += ["--init-from", str(own_state), "--save-state", str(own_state)]
    proc = subprocess.Popen(start, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    marks = {"config": run / "config.json", "checkpoint": run / "checkpoints" / "checkpoint"}
    marks["init"] = marks["config"]
    wait_for = marks.get(origin)
    while wait_for is not None and proc.poll() is None and not wait_for.is_file():
        time.sleep(0.01)
    time.sleep(delay)
    alive = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    last = last_complete_step(run)
    target = (last or 0) + 2
    if (run / "config.json").is_file():
        again = _mbot("train", "--resume", run, "--steps", target)
    else:  # killed before the run existed: starting it again must work
        again = _mbot("train", *start[start.index(str(data)) :], "--steps", target)
    result = {"delay": round(delay, 2), "killed_alive": alive, "last": last, "target": target}
    problem = ""
    if again.returncode != 0 or "Traceback" in again.stderr:
        lines = again.stderr.strip().splitlines()
        problem = f"exit {again.returncode}: {lines[-1] if lines else ''}"
    elif not (run / "checkpoints" / f"ckpt-{target}.index").is_file():
        problem = f"no checkpoint at step {target}"
    elif last is not None and "no checkpoint found" in again.stderr:
        problem = f"restarted from step 0 instead of {last}"
    else:
        import json

        info = json.loads((run / "run.json").read_text())
        steps = info.get("steps")
        if steps != target:
            problem = f"run.json says {steps} steps, expected {target}"
        elif own_state is not None:
            began = (info.get("init_from") or {}).get("step")
            now = _state_steps(own_state)
            if began != base_steps:
                problem = f"run.json says it started from step {began}, not {base_steps}"
            elif now != base_steps + target:
                problem = f"state file says {now} steps, expected {base_steps} + {target}"
    return {**result, "ok": not problem, "problem": problem}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-delay", type=float, default=8.0)
    origins = ("start", "config", "checkpoint", "init")
    ap.add_argument("--from", dest="origin", choices=origins, default="start")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="mbot-kill-") as tmp:
        data, config = setup(Path(tmp))
        state = make_state(Path(tmp), data, config)[0] if args.origin == "init" else None
        for i in range(args.trials):
            delay = rng.uniform(0, args.max_delay)
            run = Path(tmp) / f"run{i}"
            r = kill_trial(run, data, config, delay, origin=args.origin, state=state)
            failed += not r["ok"]
            status = "ok" if r["ok"] else f"FAILED ({r['problem']})"
            print(
                f"trial {i + 1}: kill -9 {r['delay']:.2f} s after {args.origin} "
                f"(alive: {r['killed_alive']}), "
                f"last complete checkpoint {r['last']}, resumed to {r['target']}: {status}",
                flush=True,
            )
    print(f"{args.trials} trials, {args.trials - failed} resumed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
