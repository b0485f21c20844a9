"""Fuzz campaign: hostile audio inputs through ``mbot dataset inspect`` (and a 2-step train).

Run: ``python benchmarks/fuzz_inputs.py --count 10000 [--seed 0] [--per-folder 100]
[--train-sample 1]``.

Generates ``--count`` hostile inputs spread over the classes of issue 16 (:data:`CLASSES`),
``--per-folder`` of one class per folder next to three good clips (ten in a folder that is
also trained on), and runs
``mbot dataset inspect FOLDER --json`` on each folder in its own process (60 s limit). For
``--train-sample`` folders per class it also runs ``mbot train FOLDER`` for 2 steps of a tiny
config. Per class it prints:

- ``tried``: hostile inputs generated;
- ``crashed``: inputs in a folder whose command printed a traceback or exited with a code
  other than 0 (done) or 2 (refused with one line);
- ``hung``: inputs in a folder whose command ran past 60 s;
- ``unclear``: inputs not accounted for in the report (neither usable, nor rejected with a
  known reason, nor skipped with a why), or good clips lost because of their neighbours.

Exit 1 when anything crashed, hung or was unclear. The generators (:func:`make_input`) are
shared with the hypothesis slice in tests/test_audio_fuzz.py.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: Audio extensions hostile bytes hide behind.
_EXTS = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")
#: Good clips per folder: the report must still count them usable.
GOOD_PER_FOLDER = 3
#: Good clips in a folder that is also trained on (train refuses fewer than 8 clips).
TRAIN_GOOD = 10
#: The limit of one command before it counts as hung.
HANG_S = 60.0


def _meow(sr: int, seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(max(1, int(sr * seconds))) / sr
    f0 = 300 + 400 * rng.random()
    y = 0.4 * np.sin(2 * np.pi * f0 * t) * np.sin(np.pi * t / max(seconds, 1e-3)) ** 2
    return (y + 0.003 * rng.standard_normal(t.size)).astype(np.float32)


def _encode(y: np.ndarray, sr: int, fmt: str = "WAV", subtype: str = "PCM_16") -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, y, sr, format=fmt, subtype=subtype)
    return buf.getvalue()


_FORMATS = [("WAV", "PCM_16", ".wav"), ("FLAC", "PCM_16", ".flac"), ("OGG", "VORBIS", ".ogg")]
_FORMATS += [
    ("AIFF", "PCM_16", ".aiff"),
    ("WAV", "FLOAT", ".wav"),
    ("MP3", "MPEG_LAYER_III", ".mp3"),
]


def _valid(rng: np.random.Generator) -> tuple[bytes, str]:
    import soundfile as sf

    fmt, subtype, ext = _FORMATS[int(rng.integers(len(_FORMATS)))]
    if not sf.check_format(fmt, subtype):
        fmt, subtype, ext = _FORMATS[0]
    y = _meow(8000, 0.3 + 0.5 * rng.random(), int(rng.integers(1 << 30)))
    return _encode(y, 8000, fmt, subtype), ext


# ---------------------------------------------------------------------------- classes
# Each maker writes one hostile entry named ``stem`` (plus its extension) into ``folder``.
def _truncated(folder: Path, stem: str, rng: np.random.Generator) -> None:
    data, ext = _valid(rng)
    (folder / f"{stem}{ext}").write_bytes(data[: int(rng.integers(0, len(data)))])


def _lying_header(folder: Path, stem: str, rng: np.random.Generator) -> None:
    data = bytearray(_encode(_meow(8000, 0.5, int(rng.integers(1 << 30))), 8000))
    # RIFF size, fmt size, format tag, channels, rate, byte rate, block align, bits, data size
    fields = [(4, "<I"), (16, "<I"), (20, "<H"), (22, "<H"), (24, "<I"), (28, "<I")]
    fields += [(32, "<H"), (34, "<H"), (40, "<I")]
    for _ in range(int(rng.integers(1, 4))):
        offset, code = fields[int(rng.integers(len(fields)))]
        bits = 8 * struct.calcsize(code)
        value = int(rng.choice([0, 1, 2, 3, 7, 255, 65535, (1 << bits) - 1, rng.integers(1 << 16)]))
        struct.pack_into(code, data, offset, value % (1 << bits))
    (folder / f"{stem}.wav").write_bytes(bytes(data))


def _random_bytes(folder: Path, stem: str, rng: np.random.Generator) -> None:
    prefixes = [b"", b"RIFF", b"RIFF\xff\xff\xff\xffWAVEfmt ", b"fLaC", b"OggS\x00\x02", b"ID3"]
    prefixes += [b"FORM\x00\x00\x10\x00AIFF", b"\xff\xfb\x90\x64"]
    body = rng.bytes(int(rng.integers(1, 65536)))
    ext = _EXTS[int(rng.integers(len(_EXTS)))]
    (folder / f"{stem}{ext}").write_bytes(prefixes[int(rng.integers(len(prefixes)))] + body)


def _zero_length(folder: Path, stem: str, rng: np.random.Generator) -> None:
    (folder / f"{stem}{_EXTS[int(rng.integers(len(_EXTS)))]}").write_bytes(b"")


def _nan_inf(folder: Path, stem: str, rng: np.random.Generator) -> None:
    y = _meow(8000, 0.5, int(rng.integers(1 << 30)))
    kind = int(rng.integers(4))
    if kind == 0:
        y[:] = np.nan
    elif kind == 1:
        y[rng.integers(0, y.size, 5)] = np.inf
    elif kind == 2:
        y[rng.integers(0, y.size, 5)] = -np.inf
    else:
        y[:: int(rng.integers(2, 50))] = np.nan
    subtype = "FLOAT" if rng.random() < 0.5 else "DOUBLE"
    (folder / f"{stem}.wav").write_bytes(_encode(y, 8000, "WAV", subtype))


def _one_sample(folder: Path, stem: str, rng: np.random.Generator) -> None:
    sr = int(rng.choice([8000, 22050, 44100, 48000]))
    y = np.array([float(rng.uniform(-1, 1))], np.float32)
    (folder / f"{stem}.wav").write_bytes(_encode(y, sr))


def _ten_minutes(folder: Path, stem: str, rng: np.random.Generator) -> None:
    y = 0.2 * np.sin(np.arange(8000 * 600) * (2 * np.pi * (200 + 600 * rng.random()) / 8000))
    y += 0.01 * rng.standard_normal(y.size)
    (folder / f"{stem}.wav").write_bytes(_encode(y.astype(np.float32), 8000))


def _rate_0_1(folder: Path, stem: str, rng: np.random.Generator) -> None:
    data = bytearray(_encode(_meow(8000, 0.3, int(rng.integers(1 << 30))), 8000))
    rate = int(rng.integers(0, 2))
    struct.pack_into("<I", data, 24, rate)
    struct.pack_into("<I", data, 28, rate * 2)  # byte rate agrees: only the rate lies
    (folder / f"{stem}.wav").write_bytes(bytes(data))


def _rate_384k(folder: Path, stem: str, rng: np.random.Generator) -> None:
    y = _meow(384000, 0.2 + 0.3 * rng.random(), int(rng.integers(1 << 30)))
    (folder / f"{stem}.wav").write_bytes(_encode(y, 384000))


def _eight_channels(folder: Path, stem: str, rng: np.random.Generator) -> None:
    y = _meow(8000, 0.5, int(rng.integers(1 << 30)))
    chans = np.stack([y * rng.uniform(0, 1) for _ in range(8)], axis=1)
    (folder / f"{stem}.wav").write_bytes(_encode(chans, 8000))


def _symlink_loop(folder: Path, stem: str, rng: np.random.Generator) -> None:
    if rng.random() < 0.5:
        os.symlink(f"{stem}.wav", folder / f"{stem}.wav")  # points at itself
    else:
        os.symlink(f"{stem}-b.wav", folder / f"{stem}-a.wav")
        os.symlink(f"{stem}-a.wav", folder / f"{stem}-b.wav")


def _dir_named_like_file(folder: Path, stem: str, rng: np.random.Generator) -> None:
    d = folder / f"{stem}{_EXTS[int(rng.integers(len(_EXTS)))]}"
    d.mkdir()
    if rng.random() < 0.5:
        (d / "readme.txt").write_text("not audio")


def _non_utf8_name(folder: Path, stem: str, rng: np.random.Generator) -> None:
    data, ext = _valid(rng)
    name = os.fsencode(folder) + b"/" + stem.encode() + b"-caf\xe9\xff" + ext.encode()
    with open(name, "wb") as fh:
        fh.write(data)


#: Class name → maker. ``ten-minutes`` is the costly one (9.6 MB each): see --long-max.
CLASSES: dict[str, Callable[[Path, str, np.random.Generator], None]] = {
    "truncated": _truncated,
    "lying-header": _lying_header,
    "random-bytes": _random_bytes,
    "zero-length": _zero_length,
    "nan-inf": _nan_inf,
    "one-sample": _one_sample,
    "ten-minutes": _ten_minutes,
    "rate-0-or-1-hz": _rate_0_1,
    "rate-384k": _rate_384k,
    "eight-channels": _eight_channels,
    "symlink-loop": _symlink_loop,
    "dir-named-like-file": _dir_named_like_file,
    "non-utf8-name": _non_utf8_name,
}


def make_input(kind: str, folder: Path, stem: str, seed: int) -> None:
    """Write one hostile input of class ``kind`` into ``folder`` (deterministic in ``seed``)."""
    CLASSES[kind](folder, stem, np.random.default_rng(seed))


def write_good(folder: Path, count: int = GOOD_PER_FOLDER) -> None:
    """``count`` good 8 kHz clips (``good_NN.wav``) the report must count as usable."""
    for i in range(count):
        (folder / f"good_{i:02d}.wav").write_bytes(_encode(_meow(8000, 0.6, 1000 + i), 8000))


def entries(folder: Path) -> int:
    """Entries a scan of ``folder`` must account for: every non-folder entry at any depth
    (files, links, link loops) and every link to a folder; folders themselves are walked."""
    n = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        n += len(filenames) + sum(os.path.islink(os.path.join(dirpath, d)) for d in dirnames)
    return n


def account(summary: dict, n_entries: int, good: int) -> int:
    """Entries the report leaves unexplained (0 when every entry is usable, rejected with a
    known reason, skipped with a why or ignored as non-audio), plus good clips it lost.

    A folder named like a file (``x.wav/``) is walked like any folder: its contents count,
    it does not.
    """
    from mockingbot.audio import REASONS

    explained = summary["usable"] + summary["ignored"] + len(summary["skipped"])
    explained += sum(1 for r in summary["rejected_files"] if r["reason"] in REASONS)
    lost = max(0, good - summary["usable"])
    return max(0, n_entries - explained) + lost


def _run(cmd: list[str], timeout: float) -> tuple[str, subprocess.CompletedProcess | None]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", COLUMNS="200")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return "hung", None
    bad = "Traceback" in proc.stderr or proc.returncode not in (0, 2)
    if not bad and proc.returncode == 2:  # refused: one "error:" line, the last one
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("error:")]
        bad = len(errors) != 1 or lines[-1] != errors[0]
    return ("crashed" if bad else "ok"), proc


def _mbot(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "mockingbot.cli.main", *map(str, args)]


def _tiny_config(folder: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest import tiny_train_toml

    path = folder / "tiny.toml"
    path.write_text(tiny_train_toml(steps=2, batch_size=4, checkpoint_every=2, sample_every=2))
    return path


def shares(count: int, kinds: list[str], long_max: int) -> dict[str, int]:
    """Inputs per class: ``count`` split evenly, the ten-minute class capped at ``long_max``
    (each is a 9.6 MB file that takes seconds to read) and its shortfall spread over the
    other classes, so ``--count N`` always tries N inputs.

    >>> shares(10, ["a", "b", "ten-minutes"], 1)
    {'a': 5, 'b': 4, 'ten-minutes': 1}
    """

    def even(n: int, names: list[str]) -> dict[str, int]:
        return {k: n // len(names) + (i < n % len(names)) for i, k in enumerate(names)}

    share = even(count, kinds)
    if share.get("ten-minutes", 0) > long_max:  # (alone, the class cannot make up the rest)
        others = [k for k in kinds if k != "ten-minutes"]
        share = {**(even(count - long_max, others) if others else {}), "ten-minutes": long_max}
    return {k: share[k] for k in kinds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1000, help="hostile inputs in all")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-folder", type=int, default=100)
    ap.add_argument("--long-max", type=int, default=20, help="most ten-minute files in all")
    ap.add_argument("--train-sample", type=int, default=1, help="folders per class to train")
    ap.add_argument("--classes", default=",".join(CLASSES), help="comma-separated subset")
    args = ap.parse_args(argv)
    kinds = [k.strip() for k in args.classes.split(",") if k.strip()]
    unknown = set(kinds) - set(CLASSES)
    if unknown:
        ap.error(f"unknown classes: {', '.join(sorted(unknown))}")
    share = shares(args.count, kinds, args.long_max)
    stats = {k: {"tried": 0, "crashed": 0, "hung": 0, "unclear": 0, "trained": 0} for k in kinds}
    train_problems: list[str] = []
    started = time.perf_counter()
    seed = args.seed
    with tempfile.TemporaryDirectory(prefix="mbot-fuzz-") as tmp:
        config = _tiny_config(Path(tmp))
        for kind in kinds:
            left, folder_no = share[kind], 0
            per_folder = 5 if kind == "ten-minutes" else args.per_folder
            while left > 0:
                n = min(per_folder, left)
                folder = Path(tmp) / f"{kind}-{folder_no}"
                folder.mkdir()
                train = folder_no < args.train_sample
                good = TRAIN_GOOD if train else GOOD_PER_FOLDER  # a GAN needs 8 clips or more
                write_good(folder, good)
                for i in range(n):
                    seed += 1
                    make_input(kind, folder, f"{kind}_{i:04d}", seed)
                outcome, proc = _run(_mbot("dataset", "inspect", folder, "--json"), HANG_S)
                s = stats[kind]
                s["tried"] += n
                if outcome != "ok":
                    s[outcome] += n
                elif proc is not None and proc.returncode == 0:
                    s["unclear"] += min(n, account(json.loads(proc.stdout), entries(folder), good))
                if train:
                    run = Path(tmp) / f"run-{kind}-{folder_no}"
                    cmd = _mbot("train", folder, "--out", run, "--config", config)
                    t_outcome, t_proc = _run(cmd, 600)
                    s["trained"] += 1
                    if t_outcome != "ok":
                        tail = t_proc.stderr.strip().splitlines()[-1:] if t_proc else ["(hung)"]
                        train_problems.append(f"{kind}: train {t_outcome}: {tail}")
                    shutil.rmtree(run, ignore_errors=True)
                shutil.rmtree(folder, ignore_errors=True)
                print(f"{kind} folder {folder_no}: {s}", file=sys.stderr, flush=True)
                left -= n
                folder_no += 1
    width = max(len(k) for k in kinds)
    print(f"{'class':<{width}}  tried  crashed  hung  unclear  2-step trains")
    for kind, s in stats.items():
        print(
            f"{kind:<{width}}  {s['tried']:5d}  {s['crashed']:7d}  {s['hung']:4d}  "
            f"{s['unclear']:7d}  {s['trained']:d}"
        )
    total = {key: sum(s[key] for s in stats.values()) for key in ("tried", "crashed", "hung")}
    unclear = sum(s["unclear"] for s in stats.values())
    print(
        f"total: {total['tried']} tried, {total['crashed']} crashed, {total['hung']} hung, "
        f"{unclear} unclear; {len(train_problems)} train problems; "
        f"{time.perf_counter() - started:.0f} s"
    )
    for line in train_problems:
        print(f"  {line}")
    return 1 if total["crashed"] or total["hung"] or unclear or train_problems else 0


if __name__ == "__main__":
    sys.exit(main())
