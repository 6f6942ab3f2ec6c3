"""Plain text writes SymPy products and powers as the steps do (4λ, p(1 - p), λ², √2),
not as SymPy's str does (4*λ, p*(1 - p), λ**2, sqrt(2)), and still means the same value."""

from __future__ import annotations

import re

import pytest
import sympy
from hypothesis import given, settings, strategies as st
from sympy.parsing.sympy_parser import (
    implicit_multiplication, parse_expr, split_symbols, standard_transformations,
)

from derive.render.printers import text

LAM, P, X = sympy.symbols("λ p x")
Y_ORIG = sympy.Symbol("y_orig")
_NAMES = {"λ": LAM, "p": P, "x": X, "y_orig": Y_ORIG}
_FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def read_back(shown: str):
    """The value a reader takes from the text: factors side by side multiply (test-only
    parsing of derive's own output, never of user text)."""
    t = shown.replace(" · ", "*")
    t = re.sub(r"√(\d+|[^\W\d_])", r"sqrt(\1)", t).replace("√(", "sqrt(")
    t = re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: "**(" + m.group().translate(_FROM_SUPERSCRIPT) + ")", t)
    t = t.replace("y_orig", "Y_ORIG")  # split_symbols would split the name
    names = {**_NAMES, "Y_ORIG": Y_ORIG}
    return parse_expr(t, local_dict=names, transformations=standard_transformations + (split_symbols, implicit_multiplication))


@pytest.mark.parametrize(("expr", "shown"), [
    (LAM**2 + 4 * LAM + 3, "λ² + 4λ + 3"),
    ((LAM + 1) * (LAM + 3), "(λ + 1)(λ + 3)"),
    (32 - 32 * P, "32 - 32p"),
    (P * (1 - P), "p(1 - p)"),
    (138 * P / (1 - P), "138p/(1 - p)"),
    (121 / (2 * (LAM + 3) ** 2), "121/(2(λ + 3)²)"),
    (sympy.Rational(3, 2) * LAM, "3λ/2"),
    (2 * sympy.sqrt(3), "2√3"),
    (sympy.sqrt(X + 1), "√(x + 1)"),
    (sympy.sqrt(2) * X, "√2 · x"),  # not √2x, which reads as √(2x)
    (7 * sympy.exp(P), "7 · exp(p)"),
    (3 * Y_ORIG, "3 · y_orig"),  # a longer name keeps its dot
    (LAM**-2, "λ⁻²"),
    (1 / LAM, "1/λ"),
    (X * P, "px"),
])
def test_known_texts(expr, shown):
    assert text(expr) == shown
    assert read_back(shown) == expr


_atoms = st.sampled_from([LAM, P, X, Y_ORIG, sympy.Integer(2), sympy.Integer(3), sympy.Rational(1, 2),
                          sympy.sqrt(2), sympy.sqrt(X)])


def _combine(children):
    pair = st.tuples(children, children)
    return st.one_of(
        pair.map(lambda ab: ab[0] + ab[1]),
        pair.map(lambda ab: ab[0] * ab[1]),
        pair.map(lambda ab: ab[0] - ab[1]),
        st.tuples(children, st.integers(-3, 4)).map(lambda be: be[0] ** be[1]),
        st.tuples(children, st.integers(-50, 50)).map(lambda bk: bk[1] * bk[0]),
        st.tuples(children, children).filter(lambda ab: ab[1] != 0).map(lambda ab: ab[0] / ab[1]),
    )


@settings(max_examples=300, deadline=None)
@given(st.recursive(_atoms, _combine, max_leaves=6))
def test_every_product_reads_back_as_its_value(expr):
    shown = text(expr)
    assert re.search(r"(?<!\*)\*(?!\*)", shown) is None, shown  # no SymPy product star left
    if "**" not in shown and "zoo" not in shown and "nan" not in shown:  # SymPy's own fallbacks
        assert sympy.simplify(read_back(shown) - expr) == 0, (expr, shown)


def test_a_quotient_of_quotients_shows_its_grouping():
    """Dropout's Var[y_corr] = p/(1 − p) · Σ(wᵢxᵢ)² at p = 3/4 printed 3/4/(1/4) · 138."""
    from fractions import Fraction

    from derive.forms import Add, Div, Mul, Sym

    p = Sym("p", "p")
    assert text(Div(Fraction(3, 4), Fraction(1, 4))) == "(3/4)/(1/4)"
    assert text(Mul(Div(Fraction(3, 4), Fraction(1, 4)), 138)) == "(3/4)/(1/4) · 138"
    assert text(Div(Div(Add((1, p)), p), 2)) == "((1 + p)/p)/2"
    assert text(Div(3, 4)) == "3/4" and text(Div(Add((1, p)), 2)) == "(1 + p)/2"
    assert text(Div(Mul(2, p), 3)) == "2 · p/3"  # a product over a number needs no parentheses
