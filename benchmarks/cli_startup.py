"""How fast does ``mbot`` answer, and what does its start-up import?

Run: ``python benchmarks/cli_startup.py [--runs N]`` (a few seconds).

It times, best of N subprocess runs each, in the same process run:

- ``mbot --help``, started as the console script starts it;
- ``python -c "import scipy.signal, matplotlib, sklearn, onnxruntime"``: the baseline of what
  every command paid at start-up before #14 (``import scipy.signal`` alone was ~1.3 s);

prints both, their ratio, and the heavy modules ``mbot --help`` imports (read from
``python -X importtime``). Exit status 1 if it imports a forbidden one (scipy.signal,
matplotlib, sklearn, onnxruntime, TensorFlow): issue #14 asks ``mbot --help`` and the parsing
of every command to import none of them. Best of N, not the median: start-up noise on a
shared machine only ever adds time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

#: Modules ``mbot --help`` must not import (top-level names, or a dotted sub-module).
FORBIDDEN = ("scipy.signal", "matplotlib", "sklearn", "onnxruntime", "tensorflow")
#: Heavy modules worth listing when they appear, forbidden or not.
HEAVY = (*FORBIDDEN, "numpy", "scipy", "soundfile", "onnx", "PIL", "keras", "tf2onnx")

#: What the ``mbot`` console script runs (pyproject ``[project.scripts]``).
MBOT = "import sys\nfrom mockingbot.cli.main import main\nsys.argv[0] = 'mbot'\nmain()\n"
BASELINE = "import scipy.signal, matplotlib, sklearn, onnxruntime"


def best_time(argv: list[str], runs: int) -> float:
    """Fastest wall time of ``runs`` runs of ``argv``, in seconds."""
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def imported_modules(args: list[str]) -> list[str]:
    """Every module ``mbot ARGS`` imports, in import order, from ``-X importtime``."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", MBOT, *args],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    # lines read "import time:  self [us] | cumulative | <indent>package"
    return [
        line.rsplit("|", 1)[1].strip()
        for line in err.splitlines()
        if line.startswith("import time:") and "|" in line and "[us]" not in line
    ]


def matches(module: str, names: tuple[str, ...]) -> bool:
    """Whether ``module`` is one of ``names`` or inside one of them."""
    return any(module == n or module.startswith(n + ".") for n in names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (best of)")
    runs = parser.parse_args(argv).runs

    help_s = best_time([sys.executable, "-c", MBOT, "--help"], runs)
    base_s = best_time([sys.executable, "-c", BASELINE], runs)
    modules = imported_modules(["--help"])
    heavy = sorted(set(modules) & set(HEAVY))
    forbidden = [name for name in FORBIDDEN if any(matches(m, (name,)) for m in modules)]

    print(
        f"mbot --help                                  : {help_s * 1000:7.1f} ms (best of {runs})"
    )
    print(f"import scipy.signal, matplotlib, sklearn, ort: {base_s * 1000:7.1f} ms (before #14)")
    print(f"ratio                                        : {help_s / base_s:7.2f}")
    print(f"heavy modules mbot --help imports            : {', '.join(heavy) or 'none'}")
    if forbidden:
        print(f"FORBIDDEN at start-up: {', '.join(forbidden)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
