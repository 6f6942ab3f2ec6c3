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


def _plain_text_printer():
    from derive.render.printers import TextPrinter

    class PlainText(TextPrinter):
        """The text printer with SymPy's own route for every SymPy node: no shapes, and
        nothing shared with the printer under test."""

        _dispatch: dict = {}
        _sympy_texts: dict = {}
        _shape_texts: dict = {}

        def _by_shape(self, expr):
            return StrPrinter._print(self, expr)

    return PlainText


def _PlainText():
    return _plain_text_printer()()


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
            assert text(expr) == _PlainText().doprint(expr), expr


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


# ---------------------------------------------------------------------------------
# The LaTeX printer's own `_node`, `_p`, `_term` and `_entries` against the mixin's
# generic rules (dispatch for every node, `_prec` and negation for every operand).

def _plain_latex_printer():
    from sympy.printing.latex import LatexPrinter as SymPyLatex

    from derive.render.printers import DeriveLatexPrinter, _FormsMixin

    class Plain(DeriveLatexPrinter):
        _dispatch: dict = {}
        _sympy_texts: dict = {}
        _node = _FormsMixin._node
        _p = _FormsMixin._p
        _term = _FormsMixin._term
        _entries = _FormsMixin._entries

        def _by_shape(self, expr):
            return SymPyLatex._print(self, expr)

    return Plain()


def _leaf(rng):
    from fractions import Fraction

    from derive import forms as F
    from derive.exact import Surd
    from derive.render.printers import Dec

    k = rng.randrange(11)
    if k == 0:
        return rng.randint(-20, 20)
    if k == 1:
        return Fraction(rng.randint(-20, 20), rng.randint(1, 6))
    if k == 2:
        return Surd(Fraction(rng.choice([0, 0, rng.randint(-5, 5)]), rng.randint(1, 3)),
                    Fraction(rng.randint(-4, 4), rng.randint(1, 3)), rng.choice([2, 3, 5, 6]))
    if k == 3:
        return F.Sym("a", r"\alpha")
    if k == 4:
        return Dec(rng.choice(["-0.25", "0.5", "12", "-3"]))
    if k == 5:
        return rng.choice([X, 1 - X, X / 2, sympy.Integer(-3), sympy.Rational(-1, 2), sympy.Float(2.5), X**2 + Q,
                           sympy.sqrt(2), rng.randint(-30, 30) * P - rng.randint(-9, 9)])
    if k == 6:
        return True
    if k == 7:
        return F.Words("some words & 5%")
    if k == 8:
        return Fraction(rng.randint(-3, 3))
    if k == 9:
        return Surd(0, Fraction(rng.choice([-1, 1, -2, 3]), rng.choice([1, 2])), rng.choice([2, 3]))
    return F.Sym("x_1", "x_{1}")


def _tree(rng, depth):
    from derive import forms as F

    if depth <= 0 or rng.random() < 0.3:
        return _leaf(rng)
    k = rng.randrange(10)
    n = rng.choice([0, 1, 2, 3, 5, 12, 13, 20])
    if k == 0:
        return F.Add(tuple(_tree(rng, depth - 1) for _ in range(n)))
    if k == 1:
        return F.Sub(_tree(rng, depth - 1), _tree(rng, depth - 1))
    if k == 2:
        return F.Mul(_tree(rng, depth - 1), _tree(rng, depth - 1), rng.choice(["dot", "hadamard", "times", "juxtapose"]))
    if k == 3:
        return F.Div(_tree(rng, depth - 1), _tree(rng, depth - 1))
    if k == 4:
        return F.Sqrt(_tree(rng, depth - 1))
    if k == 5:
        return F.Pow(_tree(rng, depth - 1), rng.choice([2, 3, -1, _tree(rng, depth - 1)]))
    if k == 6:
        return F.Vec(tuple(_tree(rng, depth - 2) for _ in range(n)))
    if k == 7:
        return F.Mat(tuple(tuple(_leaf(rng) for _ in range(rng.choice([1, 3, 14])))
                           for _ in range(rng.choice([1, 2, 13]))))
    if k == 8:
        return F.Call(F.Sym("f", r"\mathrm{f}"), tuple(_tree(rng, depth - 1) for _ in range(rng.randint(0, 3))),
                      rng.choice(["()", "[]", "{}"]))
    return _leaf(rng)


def assert_latex_prints_as(plain, seed: int) -> None:
    """`latex` of 2,000 random trees against `plain`, a printer that dispatches every node."""
    from derive.render.printers import latex

    rng = random.Random(seed)
    for _ in range(2000):
        tree = _tree(rng, 4)
        assert latex(tree) == plain.doprint(tree), tree


@pytest.mark.parametrize("seed", range(6))
def test_latex_fast_paths_print_as_the_generic_rules(seed):
    assert_latex_prints_as(_plain_latex_printer(), seed)


def _number(rng):
    from fractions import Fraction

    from derive.exact import Surd

    k = rng.randrange(4)
    if k == 0:
        return rng.randint(-10**6, 10**6)
    if k == 1:
        return Fraction(rng.randint(-999, 999), rng.randint(1, 64))
    if k == 2:
        return Surd(Fraction(rng.randint(-9, 9), rng.randint(1, 4)), Fraction(rng.randint(-9, 9), rng.randint(1, 30)),
                    rng.choice([2, 3, 5, 46, 51]))
    return Fraction(rng.randint(-9, 9), rng.choice([1, 2, 4, 5, 8]))  # shown exactly


@pytest.mark.parametrize("seed", range(4))
def test_approx_rows_print_as_their_dec_forms(seed):
    """A short vector's ≈ decimals joined directly are the LaTeX of its Dec form, at any precision."""
    from derive.forms import Mat, Vec, Words
    from derive.model import Precision
    from derive.render.latex import _approx_latex
    from derive.render.printers import Dec, latex, vector_latex
    from derive.render.values import approx_display

    rng = random.Random(seed)
    for _ in range(400):
        precision = rng.choice([Precision(), Precision(decimals=rng.randint(0, 6)), Precision(sigfigs=rng.randint(1, 5))])
        n = rng.choice([0, 1, 3, 4, 11, 12, 13, 20])
        form = rng.choice([Vec(tuple(_number(rng) for _ in range(n))), _number(rng),
                           Mat(tuple(tuple(_number(rng) for _ in range(3)) for _ in range(2))), Words("not a number")])
        shown = approx_display(form, precision)
        assert _approx_latex(form, precision) == (None if shown is None else latex(shown))
    assert vector_latex(["1.5", "-2"]) == latex(Vec((Dec("1.5"), Dec("-2"))))
    assert vector_latex([]) == latex(Vec(()))
