"""Crash points for the crash-safety tests; inert unless ``LATSAR_FAILPOINT`` is set.

``LATSAR_FAILPOINT=NAME`` (or ``NAME@N`` for the N-th time the point is reached)
makes the process kill its whole process group with SIGKILL there, as a power
cut or the OOM killer would: no ``finally``, no ``atexit``.  Only points that an
outside observer cannot hit reliably are marked this way (see tests/test_crash.py);
the others are hit by killing the run from outside.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "LATSAR_FAILPOINT"
_hits: dict[str, int] = {}


def hit(name: str) -> None:
    wanted = os.environ.get(VARIABLE)
    if not wanted:
        return
    point, _, nth = wanted.partition("@")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(nth or 1):
        os.killpg(os.getpgid(0), signal.SIGKILL)


def fails(name: str) -> bool:
    """Whether the step ``name`` must fail as if the OS refused it (``LATSAR_FAILPOINT=fail:NAME``).

    Used by the fail-closed tests: a failure injected here must make grading refuse, never
    fall back to something weaker."""
    return os.environ.get(VARIABLE) == f"fail:{name}"
