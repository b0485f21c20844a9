"""How many threads the runtime starts by default: the cores this process may use, capped.

One helper for inference (onnxruntime's intra-op threads, capped at
:data:`~mockingbot.defaults.MAX_DEFAULT_THREADS`: small generators stop scaling there) and
for phase recovery (one thread per clip, as many as there are cores: ``cap=None``). It counts
the cores the process may run on (``sched_getaffinity``: a container's or ``taskset``'s
limit), not the machine's, so a process pinned to two cores does not start sixteen threads.
Outputs never depend on the count; only speed does.

Contents: :func:`default_threads`.
"""

from __future__ import annotations

import os

from mockingbot.defaults import MAX_DEFAULT_THREADS

__all__ = ["default_threads"]


def default_threads(*, cap: int | None = MAX_DEFAULT_THREADS) -> int:
    """The cores this process may use, at least 1 and at most ``cap`` (None: no cap).

    Examples:
        >>> 1 <= default_threads() <= MAX_DEFAULT_THREADS
        True
    """
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, n if cap is None else min(n, cap))
