"""The rendering fast paths print exactly what the plain paths print."""

from __future__ import annotations

import random

import pytest
import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

P = sympy.Symbol("p", nonnegative=True)
Q = sympy.Symbol("q", nonnegative=True)
X = sympy.Symbol("x")


def _fraction_form(k, numerator, denominator):
    """k·numerator/denominator as dropout builds Var[y_corr]: SymPy's arguments as given."""
    return sympy.Mul._from_args((sympy.Integer(k), numerator, sympy.Pow(denominator, -1)))


def _shapes(k: int, m: int):
    return [
        k - k * P, k + m * P, m * P - k, k * P, sympy.Integer(k), k * Q, k * (1 - P) / P,
        _fraction_form(k, P, 1 - P), _fraction_form(k, 1 - Q, Q), k * P**2 + m * P + 3,
        k * X * P + m, sympy.Rational(k, 3) * P, k * sympy.sqrt(2) + m, k * sympy.exp(P) - m * X**2,
        sympy.Mul(k, X + 1, evaluate=False), k * P / (1 + m * P), k * sympy.pi + m * X,
        k * sympy.sqrt(2) * X + m * X, k * X + m * Q + 2 * k * P, k * P * (1 - P) + m, sympy.Rational(1, 2) + k * P,
        k * X + m * X**2 + k * P + m * Q + 5 * X * P, -k * P - m * Q, k * sympy.sqrt(X) - m, (k * X + m) ** 2,
    ]


@pytest.mark.parametrize("seed", range(4))
def test_sympy_texts_by_shape_are_sympy_s_texts(seed):
    """A shape's text with new coefficients is what SymPy's own printers print, for any
    size and sign of the coefficients (±1 and 0 included, which SymPy prints otherwise)."""
    from derive.render.printers import latex, text

    rng = random.Random(seed)
    for _ in range(150):
        k, m = (rng.choice([rng.randint(-12, 12), rng.randint(-10**9, 10**9), 7919, -6977, 79197919])
                for _ in range(2))
        for expr in _shapes(k, m):
            assert latex(expr) == LatexPrinter().doprint(expr), expr
            assert text(expr) == StrPrinter().doprint(expr), expr


def test_dropout_s_expectations_print_as_sympy_prints_them():
    from derive.kinds.dropout import expectations
    from derive.render.printers import latex

    rng = random.Random(5)
    for convention in ("drop", "keep"):
        for _ in range(20):
            ex = expectations([rng.randint(-9, 9) for _ in range(rng.randint(1, 8))], convention)
            for expr in (ex.E_y_drop, ex.E_y_corr, ex.Var_y_corr):
                assert latex(expr) == LatexPrinter().doprint(expr), expr


def test_a_shape_whose_text_holds_a_stand_in_s_digits_is_printed_by_sympy():
    from derive.render.printers import CoefficientShape, DeriveLatexPrinter, latex

    expr = 3 * X**7919
    assert latex(expr) == LatexPrinter().doprint(expr)
    assert DeriveLatexPrinter._shape_texts[CoefficientShape.of(expr).key] is None


def test_coefficient_shapes():
    from derive.render.printers import CoefficientShape

    a, b = CoefficientShape.of(36 - 36 * P), CoefficientShape.of(5 - 2 * P)
    assert a.key == b.key and (a.coefficients, b.coefficients) == ((36, 36), (5, 2))
    assert CoefficientShape.of(36 + 36 * P).key != a.key  # the signs are part of the shape
    assert CoefficientShape.of(1 - P) is None  # no coefficient to cut out
    assert CoefficientShape.of(P) is None and CoefficientShape.of(sympy.Rational(3, 4)) is None
    assert CoefficientShape.of(a.standing_in((7, 9))) == CoefficientShape(a.key, (7, 9))
