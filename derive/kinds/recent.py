"""A tiny memo of a kind's most recent solutions, keyed by the params object itself.

A kind's `generate` solves its draw to check the difficulty level; the variant then
solves the very same (frozen, immutable) params object again.  Remembering the last few
solutions by identity removes that second solve.  Identity, not equality: equal but
distinct params are solved afresh, so a caller that builds new params (the API, the
benchmarks) always gets a cold solve, and nothing is kept alive beyond a handful.

>>> calls = []
>>> @remember_recent
... def solve(p):
...     calls.append(p)
...     return [p]
>>> p = (1, 2)
>>> solve(p) is solve(p), len(calls)
(True, 1)
>>> solve((1, 2)) is solve(p), len(calls)
(False, 2)
"""

from __future__ import annotations

import functools

from ..memo import KeptByIdentity

__all__ = ["remember_recent", "clear_recent"]

RECENT = 4  # a variant draws each kind once, then solves it: a few entries are plenty

_memos: list = []


def remember_recent(solve):
    """`solve` returning the same Solution for the same params object (the last RECENT of them)."""
    kept = KeptByIdentity(RECENT)

    @functools.wraps(solve)
    def remembered(params):
        return kept.get(params, lambda: solve(params))

    remembered.clear = kept.clear
    _memos.append(kept.clear)
    return remembered


def clear_recent() -> None:
    """Forget every remembered solution (benchmarks timing cold solves call this)."""
    for clear in _memos:
        clear()
