"""Fast paths of the LaTeX rendering (third round) against the plain paths they replace."""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

import pytest


def _words(rng):
    """Words and labels (model-size's layers and shapes), and Words subclasses that do have
    a number's attributes, which must take the general path."""
    from derive import forms as F
    from derive.modelsize.steps import Label

    @dataclass(frozen=True)
    class NumberWords(F.Words):
        is_number = False

    @dataclass(frozen=True)
    class RationalWords(F.Words):
        is_Rational = False  # the general path: not shown exactly

    @dataclass(frozen=True)
    class SymbolWords(F.Words):
        free_symbols = frozenset({"x"})

    text = rng.choice(["ReLU", "Linear(16, ?)", "[32, 128]", "[]", "LayerNorm(64)", "50% of x_1 & y"])
    kind = rng.choice([Label, Label, F.Words, NumberWords, RationalWords, SymbolWords])
    return kind(text)


def _value(rng):
    """A scalar, vector or matrix of words, mixed with exact numbers now and then."""
    from derive.exact import Surd

    def scalar():
        if rng.random() < 0.7:
            return _words(rng)
        return rng.choice([rng.randint(-9, 9), Fraction(rng.randint(-9, 9), rng.randint(1, 9)),
                           Surd(Fraction(rng.randint(-3, 3)), Fraction(rng.randint(-3, 3), rng.randint(1, 4)), 3)])

    shape = rng.choice(["scalar", "vector", "matrix"])
    if shape == "scalar":
        return scalar()
    if shape == "vector":
        return tuple(scalar() for _ in range(rng.randint(1, 14)))
    cols = rng.randint(1, 3)
    return tuple(tuple(scalar() for _ in range(cols)) for _ in range(rng.randint(1, 14)))


def _precision(rng):
    from derive.model import Precision

    return rng.choice([Precision(), Precision(decimals=rng.randint(0, 6)), Precision(sigfigs=rng.randint(1, 5))])


def _general_shown_exactly(x, precision) -> bool:
    """`_shown_exactly`'s general path for a value that is not an exact number (what it did
    for words before they were told apart by type)."""
    if type(x).__name__ == "Undefined":
        return True
    if getattr(x, "free_symbols", None):
        return True
    if hasattr(x, "is_Rational"):
        return bool(x.is_Rational) and (x * 10**precision.decimals).is_Integer
    return True


@pytest.mark.parametrize("seed", range(4))
def test_words_strings_and_shown_exactly_match_the_general_paths(seed):
    """Words' exact and decimal strings are what the general walks give, and a vector or
    matrix of words is shown exactly when the general test says so for each entry."""
    from derive.render.values import (
        _is_words,
        _shown_exactly,
        decimal_strings,
        display,
        exact_strings,
        flatten,
        is_exactly_shown,
        json_strings,
    )

    rng = random.Random(seed)
    for _ in range(400):
        value, precision = _value(rng), _precision(rng)
        try:
            expected = (exact_strings(value), decimal_strings(value, precision))
        except Exception as e:  # noqa: BLE001 - a words subclass with a number's attributes may fail: so must the fast path
            with pytest.raises(type(e)):
                json_strings(value, precision)
            continue
        assert json_strings(value, precision) == expected
        for x in flatten(value):
            if _is_words(type(x)):
                assert _shown_exactly(x, precision) is True
                assert _general_shown_exactly(x, precision) is True
        if not isinstance(value, tuple):
            continue  # a scalar form: is_exactly_shown asks only numbers and SymPy
        form = display(value)
        general = all(_shown_exactly(x, precision) for x in flatten(value))
        assert is_exactly_shown(form, precision) == general
        if any(type(x).__name__ == "RationalWords" for x in flatten(value)):
            assert not general


def test_only_plain_words_are_words():
    """The fast path takes Words and its subclasses without a number's attributes, nothing else."""
    from derive import forms as F
    from derive.exact import Surd
    from derive.modelsize.steps import Label
    from derive.render.values import _is_words

    rng = random.Random(0)
    kinds = {type(_words(rng)) for _ in range(200)}
    for kind in kinds:
        plain = not any(hasattr(kind, a) for a in ("is_number", "is_Rational", "free_symbols"))
        assert _is_words(kind) == plain, kind
    assert _is_words(Label) and _is_words(F.Words)
    for kind in (int, Fraction, Surd, str, tuple, F.Sym, F.Vec, type(None)):
        assert not _is_words(kind)
