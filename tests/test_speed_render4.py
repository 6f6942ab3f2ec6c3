"""The rendering fast paths of the fourth speed pass against their plain rules."""

from __future__ import annotations

import random

import pytest

from test_speed_render import _plain_latex_printer, _tree, assert_latex_prints_as


@pytest.mark.parametrize("seed", range(100, 106))
def test_forms_add_mul_pow_print_as_the_generic_rules(seed):
    """The forms' own Add, Mul and Pow entries in the LaTeX printer's dispatch (and `_term`'s
    form operands, parenthesized by their precedence) print as the mixin's rules, which the
    plain printer finds by name for every node."""
    from derive import forms as F
    from derive.render.printers import DeriveLatexPrinter

    assert DeriveLatexPrinter._dispatch[F.Mul] is DeriveLatexPrinter._print_form_Mul
    assert_latex_prints_as(_plain_latex_printer(), seed)


def _plain_relation_latex(rel, precision, printed=None):
    """relation_latex as written before its inline `_distinct`: every form's text, then the
    ones equal to the text before them dropped."""
    from derive.render import latex as L
    from derive.render.breaking import break_sum, visible_length
    from derive.render.printers import latex
    from derive.render.text import _distinct

    lhs = latex(rel.lhs) if rel.lhs is not None else ""
    parts = _distinct(["= " + text for text in (printed if printed is not None else map(latex, rel.forms))])
    last = rel.forms[-1]
    if rel.approx and not L.is_exactly_shown(last, precision):
        shown = L._approx_latex(last, precision)
        if shown is not None:
            parts.append(r"\approx " + shown)
    broken = []  # each long sum over rows (derive.render.breaking)
    for part in parts:
        relation, _, form = part.partition(" ")
        first, *more = break_sum(form)
        broken += [f"{relation} {first}", *(rf"\quad {row}" for row in more)]
    one_row = len(rel.forms) == 1 or (sum(map(len, parts)) <= L.SHORT_RELATION_LATEX and not rel.stacked
                                      and sum(visible_length(p) for p in parts) <= L.SHORT_RELATION_VISIBLE)
    parts, one_row = broken, one_row and len(broken) == len(parts)
    if one_row:
        rows = [f"{lhs} &" + " ".join(parts)]
    else:
        rows = [f"{lhs if i == 0 else ''} &{part}" for i, part in enumerate(parts)]
    if rel.note:
        rows[0] += rf" && \text{{{L.escape_latex(rel.note)}}}"
    return rows


@pytest.mark.parametrize("seed", range(4))
def test_relation_rows_drop_repeated_forms_as_distinct_does(seed):
    """Relations of one form, of forms that print alike (next to each other or not), long and
    short, with and without a left side, a note or decimals, and with their texts given."""
    from derive import forms as F
    from derive.model import Precision, Relation
    from derive.render.latex import relation_latex
    from derive.render.printers import latex

    rng = random.Random(seed)
    for _ in range(1500):
        pool = [_tree(rng, 3) for _ in range(3)]
        forms = tuple(rng.choice(pool) for _ in range(rng.choice([1, 1, 2, 3, 4, 6])))
        lhs = rng.choice([None, F.Sym("y", "y"), F.Call(F.Sym("f", r"\mathrm{f}"), (F.Sym("x", "x"),))])
        rel = Relation(lhs, forms, approx=rng.random() < 0.7, note=rng.choice(["", "a note & 5%"]),
                       stacked=rng.random() < 0.2)
        precision = rng.choice([Precision(), Precision(4), Precision(2, 3)])
        printed = tuple(latex(f) for f in forms)
        try:
            plain = _plain_relation_latex(rel, precision)
        except Exception as e:  # a float's decimals (refused): refused alike
            with pytest.raises(type(e)):
                relation_latex(rel, precision)
            continue
        assert relation_latex(rel, precision) == plain, rel
        assert relation_latex(rel, precision, printed=printed) == _plain_relation_latex(rel, precision, printed)
