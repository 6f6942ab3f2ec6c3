"""Formulas in derive's own prose are set in math in LaTeX (italic n, K beside the steps'
italic n, K) and read as plain text everywhere else."""

from __future__ import annotations

import pytest

from derive.model import Formula, Precision, Prose, Relation, prose
from derive.render.escape import math_latex
from derive.render.latex import _escape_filter, _note_clauses, relation_latex


def test_prose_splits_at_dollars():
    p = prose("so $Z = n·K$ with $K = 12$ per example")
    assert p == "so Z = n·K with K = 12 per example"  # the plain text: text, JSON
    assert p.parts == ("so ", "Z = n·K", " with ", "K = 12", " per example")
    assert [type(part) for part in p.parts] == [str, Formula, str, Formula, str]
    assert prose("no formula") == "no formula" and type(prose("no formula")) is str
    with pytest.raises(ValueError, match="unpaired"):
        prose("a $n")


@pytest.mark.parametrize("formula, tex", [
    ("n·K > C ⇔ n > C/K", r"n\cdot K > C \Leftrightarrow n > C/K"),
    ("N/(N − 1)·σ²", r"N/(N - 1)\cdot\sigma^{2}"),
    ("mᵢ² = mᵢ", "m_{i}^{2} = m_{i}"),
    ("x̂ᵢ", r"\hat{x}_{i}"),
    ("ẑᵢ", r"\hat{z}_{i}"),
    ("z₁…z₁₀", r"z_{1}\dots z_{10}"),
    ("2²⁰", "2^{20}"),
    ("‖θ‖² ≤ 1", r"\|\theta\|^{2} \leq 1"),
    ("λI", r"\lambda I"),
    ("√(σ² + ε)", r"\sqrt{\sigma^{2} + \epsilon}"),  # a radical over its argument, as the steps set it
    ("x̂ = 0/√0", r"\hat{x} = 0/\sqrt{0}"),
    ("0/√ε = 0", r"0/\sqrt{\epsilon} = 0"),
    ("√(W(F − 1))·2", r"\sqrt{W(F - 1)}\cdot2"),
    ("θ* = argmin CE", r"\theta^{*} = \operatorname{argmin} \operatorname{CE}"),  # a star and operator words
    ("adj M(λ)/det M(λ)", r"\operatorname{adj} M(\lambda)/\det M(\lambda)"),
    ("θ_λ, θ_sep", r"\theta_{\lambda}, \theta_{\text{sep}}"),  # an index; a word of it upright
    ("Σᵢ wᵢxᵢ", r"\sum_{i} w_{i}x_{i}"),  # Σ in derive's formulas is a sum
])
def test_math_latex(formula, tex):
    assert math_latex(formula) == tex


@pytest.mark.parametrize("bad", ["a_", "a_ b", "x^2", "\\input", "{", "$", "50%", "a & b", "#1", "~", "层"])
def test_math_latex_refuses_what_is_no_formula(bad):
    """TeX's special characters never reach math from here: derive writes no such formula."""
    with pytest.raises(ValueError, match="no math for|no index"):
        math_latex(bad)


def test_prose_in_latex_sets_formulas_in_math():
    assert _escape_filter(prose("so $Z = n·K$ with 5% more")) == r"so \ensuremath{Z = n\cdot K} with 5\% more"
    assert _escape_filter("so Z = n·K") == r"so Z = n\ensuremath{\cdot}K"  # plain text as before


def test_a_long_prose_note_is_cut_in_its_text_only():
    note = prose("the smallest whole $n$ with $n·K > C$; by the note before; and $a; b$ kept")
    assert _note_clauses(note) == [r"the smallest whole \ensuremath{n} with \ensuremath{n\cdot K > C}",
                                   "by the note before", r"and \ensuremath{a; b} kept"]
    assert _note_clauses(prose("$p = 3/4$")) == [r"\ensuremath{p = 3/4}"]
    rows = relation_latex(Relation(1, (2,), note=prose("$p = 3/4$")), Precision())
    assert rows == [r"1 &= 2 && \text{\ensuremath{p = 3/4}}"]


def test_prose_keeps_symbols_and_formulas():
    from derive.forms import Sym

    p = Prose("so ", Sym("y_corr", r"y_{\text{corr}}"), " and ", Formula("1 − p > 0"))
    assert p == "so y_corr and 1 − p > 0"
    assert _escape_filter(p) == r"so \ensuremath{y_{\text{corr}}} and \ensuremath{1 - p > 0}"


def test_a_run_of_symbols_and_formulas_is_one_math_group():
    from derive.forms import Sym

    y_corr, y_orig = Sym("y_corr", r"y_{\text{corr}}"), Sym("y_orig", r"y_{\text{orig}}")
    p = Prose("Here ", Formula("|"), y_corr, Formula(" − "), y_orig, Formula("| = 0"), ", so")
    assert p == "Here |y_corr − y_orig| = 0, so"
    assert _escape_filter(p) == r"Here \ensuremath{|y_{\text{corr}} - y_{\text{orig}}| = 0}, so"
