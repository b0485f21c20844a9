"""How fast does ``mbot`` answer? Wall time of ``mbot --help`` vs a bare Python start.

Run: ``python benchmarks/cli_startup.py``. Prints the median of several runs of each and the
ratio, plus whether TensorFlow was imported (it must not be).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 7


def _time(argv: list[str]) -> float:
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    bare = _time([sys.executable, "-c", "pass"])
    help_ = _time([sys.executable, "-m", "mockingbot.cli.main", "--help"])
    probe = (
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys\nfrom mockingbot.cli.main import app\n"
                "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
                "print(any(m.startswith('tensorflow') for m in sys.modules))",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    print(f"python -c pass     : {bare * 1000:7.1f} ms (baseline)")
    print(f"mbot --help        : {help_ * 1000:7.1f} ms  ({help_ / bare:.1f}x baseline)")
    print(f"imports tensorflow : {probe}")


if __name__ == "__main__":
    main()
