"""Dropout parameters and the mask they describe (given, by dropped indices, or sampled from a seed).

>>> from derive.params import build
>>> build(DropoutParams, {"x": [1, 2, 3], "p": "1/2", "dropped": [1]}).mask
(1, 0, 1)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

from ..errors import InputError
from ..params import Vector, param

__all__ = ["DropoutParams", "drop_probability", "sample_mask", "below", "MAX_UNITS"]

MAX_UNITS = 100_000


@dataclass(frozen=True)
class DropoutParams:
    x: Vector = param("vector", "input x, e.g. [2,6,4,4,5,3,4,4]")
    p: Fraction = param("scalar", "drop probability p in [0, 1] (keep probability with --convention keep), "
                        "taken exactly: 0.75 is 3/4")
    w: Vector | None = param("vector", "weights w, one per input (default all ones)", None)
    mask: tuple[int, ...] | None = param("int_vector", "the mask m, 1 = kept, 0 = dropped, e.g. [0,0,0,0,0,0,1,1]", None)
    dropped: tuple[int, ...] | None = param("int_vector", "0-based indices of the dropped units, e.g. [0,1,2,3,4,5]", None)
    seed: int | None = param("int", "sample the mask reproducibly: unit i is dropped when the i-th draw of "
                             "random.Random(seed) is below the drop probability", None)
    convention: str = param("choice", "what p means: drop (PyTorch nn.Dropout, Keras rate; default) or keep "
                            "(CS231n, TF1 keep_prob)", "drop", choices=("drop", "keep"))

    def __post_init__(self):
        n = len(self.x)
        if n > MAX_UNITS:
            raise InputError("x", f"has {n} entries; dropout problems are limited to {MAX_UNITS}")
        w = self.w if self.w is not None else (Fraction(1),) * n
        if len(w) != n:
            raise InputError("w", f"has {len(w)} entries but x has {n}")
        object.__setattr__(self, "w", w)
        if not 0 <= self.p <= 1:
            raise InputError("p", f"is a probability and must be in [0, 1], got {self.p}")
        object.__setattr__(self, "mask", _resolve_mask(self, n))


def _resolve_mask(p: DropoutParams, n: int) -> tuple[int, ...]:
    """The one mask that `mask`, `dropped` and `seed` describe; they must agree when several are given."""
    candidates = []
    if p.mask is not None:
        if len(p.mask) != n:
            raise InputError("mask", f"has {len(p.mask)} entries but x has {n}")
        bad = [i for i, v in enumerate(p.mask) if v not in (0, 1)]
        if bad:
            raise InputError("mask", f"entries must be 0 (dropped) or 1 (kept); entry {bad[0]} is {p.mask[bad[0]]}")
        candidates.append(("mask", tuple(p.mask)))
    if p.dropped is not None:
        for i in p.dropped:
            if not 0 <= i < n:
                raise InputError("dropped", f"index {i} is out of range: x has {n} entries, indices 0 to {n - 1}")
        if len(set(p.dropped)) != len(p.dropped):
            raise InputError("dropped", "lists an index twice")
        gone = set(p.dropped)
        candidates.append(("dropped", tuple(0 if i in gone else 1 for i in range(n))))
    if p.seed is not None:
        candidates.append(("seed", sample_mask(n, drop_probability(p), p.seed)))
    if not candidates:
        raise InputError("mask", "give the mask (--mask, 1 = kept), the dropped indices (--dropped) or a --seed to sample it")
    for name, m in candidates[1:]:
        if m != candidates[0][1]:
            raise InputError(name, f"describes a different mask than {candidates[0][0]}: "
                             f"{list(m)} versus {list(candidates[0][1])}")
    mask = candidates[0][1]
    drop = drop_probability(p)
    if drop == 1 and any(mask):
        raise InputError("mask", "keeps units, but with drop probability 1 every unit is dropped")
    if drop == 0 and not all(mask):
        raise InputError("mask", "drops units, but with drop probability 0 no unit is dropped")
    return mask


def drop_probability(p: DropoutParams) -> Fraction:
    return p.p if p.convention == "drop" else 1 - p.p


def sample_mask(n: int, drop: Fraction, seed: int) -> tuple[int, ...]:
    """m_i = 0 when the i-th uniform draw u_i of random.Random(seed) has u_i < drop.

    The draw is compared with the exact drop probability (Fraction(u) is the float's
    exact value), so P(m_i = 0) = drop up to the 2⁻⁵³ grid of `random()`.
    """
    rng = random.Random(seed)
    return tuple(0 if below(rng.random(), drop) else 1 for _ in range(n))


def below(u: float, p: Fraction) -> bool:
    """u < p exactly (as `Fraction(u) < p` decides it: a float is an exact binary
    fraction), in integers."""
    n, d = u.as_integer_ratio()
    if type(p) is Fraction:  # its slots: `numerator` is a Python property (see derive.exact)
        return n * p._denominator < p._numerator * d
    return n * p.denominator < p.numerator * d
