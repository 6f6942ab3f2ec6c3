"""JSON read from users (CLI matrices, answer keys), with one nesting limit on every Python.

`json`'s C scanner stops deep nesting with a RecursionError on Python 3.11, but not on
3.12 and later, whose C recursion limit is separate and far larger: there a 5,000-deep
list parsed, and the code walking it either named an inner entry or ran out of stack
itself.  Measuring the depth before parsing gives the same answer everywhere.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

__all__ = ["MAX_DEPTH", "TooDeep", "loads", "nesting_depth"]

MAX_DEPTH = 32  # a key nests 5 deep, a matrix 2: far above any real input

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class TooDeep(ValueError):
    """The text nests lists or objects more than MAX_DEPTH deep."""


def nesting_depth(text: str) -> int:
    """The deepest nesting of [ ] and { } outside strings (0 for a bare number)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets.encode("ascii"))), default=0)


def loads(text: str, *, max_depth: int = MAX_DEPTH, **options):
    """`json.loads`, refusing text nested deeper than `max_depth` (TooDeep) before parsing.

    Counting brackets first is cheap: only text with more than `max_depth` of them is scanned.
    """
    if text.count("[") + text.count("{") > max_depth and nesting_depth(text) > max_depth:
        raise TooDeep(f"nested more than {max_depth} levels deep")
    return json.loads(text, **options)
