"""Unevaluated display forms: how a step shows a substitution before it is simplified.

`μ₃ = (1 + 1 + 1 + 5)/4 = 2` needs the sum *unevaluated*.  SymPy's `evaluate=False`
reorders and re-flattens terms when printed, so steps use these small immutable nodes
instead; values inside them stay exact (int, Fraction, Surd, SymPy).  The printers in
`derive.render.printers` turn them into text and LaTeX; nothing here formats strings.

>>> Div(Add((1, 1, 1, 5)), 4)
Div(num=Add(terms=(1, 1, 1, 5)), den=4)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Sym", "Add", "Sub", "Mul", "Div", "Sqrt", "Pow", "Vec", "Mat", "Call", "Words",
    "vec", "mat",
]


@dataclass(frozen=True)
class Sym:
    """A named quantity, written `text` in plain text and `latex` in LaTeX."""

    text: str
    latex: str


@dataclass(frozen=True)
class Add:
    """t₁ + t₂ + …, with negative terms shown as subtraction."""

    terms: tuple[Any, ...]


@dataclass(frozen=True)
class Sub:
    left: Any
    right: Any


@dataclass(frozen=True)
class Mul:
    """left op right; op is "dot" (·), "hadamard" (⊙), "times" (×) or "juxtapose"."""

    left: Any
    right: Any
    op: str = "dot"


@dataclass(frozen=True)
class Div:
    num: Any
    den: Any


@dataclass(frozen=True)
class Sqrt:
    arg: Any


@dataclass(frozen=True)
class Pow:
    base: Any
    exp: Any


@dataclass(frozen=True)
class Vec:
    """A row vector [a, b, c]."""

    items: tuple[Any, ...]


@dataclass(frozen=True)
class Mat:
    """A matrix, rows of equal length."""

    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Call:
    """f(args…) with f a Sym, e.g. E[y_corr] or LayerNorm(X)."""

    func: Sym
    args: tuple[Any, ...]
    brackets: str = "()"


@dataclass(frozen=True)
class Words:
    """A short phrase inside a relation ("undefined", "scalar"); escaped when rendered."""

    text: str


def vec(items) -> Vec:
    return Vec(tuple(items))


def mat(rows) -> Mat:
    return Mat(tuple(tuple(r) for r in rows))
