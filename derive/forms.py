"""Unevaluated display forms: how a step shows a substitution before it is simplified.

`μ₃ = (1 + 1 + 1 + 5)/4 = 2` needs the sum *unevaluated*.  SymPy's `evaluate=False`
reorders and re-flattens terms when printed, so steps use these small immutable nodes
instead; values inside them stay exact (int, Fraction, Surd, SymPy).  The printers in
`derive.render.printers` turn them into text and LaTeX; nothing here prints a form.

>>> Div(Add((1, 1, 1, 5)), 4)
Div(num=Add(terms=(1, 1, 1, 5)), den=4)

Steps build these by the hundred per problem, so each class writes its own __init__,
storing the fields in the new instance's __dict__: the generated frozen one calls
`object.__setattr__` per field, about three times slower (the store it ends in is the
same).  Everything else (eq, hash, repr, the refusal to assign, dataclasses.replace)
is the dataclass's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Sym", "Add", "Sub", "Mul", "Div", "Sqrt", "Pow", "Vec", "Mat", "Call", "Words",
    "vec", "mat", "subscript", "superscript",
]

_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPT_DIGITS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def subscript(i: int) -> str:
    """An index as Unicode subscript digits, for a symbol's plain text (10 → "₁₀" in z₁₀)."""
    return str(i).translate(_SUBSCRIPT_DIGITS)


def superscript(i: int) -> str:
    """An integer exponent as Unicode superscripts, for plain text (-10 → "⁻¹⁰" in 10⁻¹⁰)."""
    return str(i).translate(_SUPERSCRIPT_DIGITS)


@dataclass(frozen=True)
class Sym:
    """A named quantity, written `text` in plain text and `latex` in LaTeX."""

    text: str
    latex: str

    def __init__(self, text, latex):
        d = self.__dict__
        d["text"] = text
        d["latex"] = latex


@dataclass(frozen=True)
class Add:
    """t₁ + t₂ + …, with negative terms shown as subtraction."""

    terms: tuple[Any, ...]

    def __init__(self, terms):
        self.__dict__["terms"] = terms


@dataclass(frozen=True)
class Sub:
    left: Any
    right: Any

    def __init__(self, left, right):
        d = self.__dict__
        d["left"] = left
        d["right"] = right


@dataclass(frozen=True)
class Mul:
    """left op right; op is "dot" (·), "hadamard" (⊙), "times" (×) or "juxtapose"."""

    left: Any
    right: Any
    op: str = "dot"

    def __init__(self, left, right, op="dot"):
        d = self.__dict__
        d["left"] = left
        d["right"] = right
        d["op"] = op


@dataclass(frozen=True)
class Div:
    num: Any
    den: Any

    def __init__(self, num, den):
        d = self.__dict__
        d["num"] = num
        d["den"] = den


@dataclass(frozen=True)
class Sqrt:
    arg: Any

    def __init__(self, arg):
        self.__dict__["arg"] = arg


@dataclass(frozen=True)
class Pow:
    base: Any
    exp: Any

    def __init__(self, base, exp):
        d = self.__dict__
        d["base"] = base
        d["exp"] = exp


@dataclass(frozen=True)
class Vec:
    """A row vector [a, b, c]."""

    items: tuple[Any, ...]

    def __init__(self, items):
        self.__dict__["items"] = items


@dataclass(frozen=True)
class Mat:
    """A matrix, rows of equal length."""

    rows: tuple[tuple[Any, ...], ...]

    def __init__(self, rows):
        self.__dict__["rows"] = rows


@dataclass(frozen=True)
class Call:
    """f(args…) with f a Sym, e.g. E[y_corr] or LayerNorm(X)."""

    func: Sym
    args: tuple[Any, ...]
    brackets: str = "()"

    def __init__(self, func, args, brackets="()"):
        d = self.__dict__
        d["func"] = func
        d["args"] = args
        d["brackets"] = brackets


@dataclass(frozen=True)
class Words:
    """A short phrase inside a relation ("undefined", "scalar"); escaped when rendered."""

    text: str

    def __init__(self, text):
        self.__dict__["text"] = text


def vec(items) -> Vec:
    return Vec(tuple(items))


def mat(rows) -> Mat:
    return Mat(tuple(tuple(r) for r in rows))
