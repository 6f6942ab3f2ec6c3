"""Fast paths of the LaTeX rendering (second round) against the plain paths they replace."""

from __future__ import annotations

import random

import pytest

from test_speed_render import _number, _tree


def _relation(rng):
    from derive import forms as F
    from derive.model import Relation

    k = rng.randrange(4)
    forms = tuple(rng.choice([_tree(rng, 3), _number(rng)]) for _ in range(rng.choice([1, 1, 2, 3, 5])))
    if k == 0:  # repeated forms, printed once
        forms = forms[:1] * rng.randint(1, 3) + forms
    lhs = rng.choice([None, F.Sym("y", "y"), _tree(rng, 2)])
    return Relation(lhs, forms, approx=rng.random() < 0.7,
                    note=rng.choice(["", "", "Linear1 weights & biases", "50% of 2^3"]))


def _precision(rng):
    from derive.model import Precision

    return rng.choice([Precision(), Precision(decimals=rng.randint(0, 6)), Precision(sigfigs=rng.randint(1, 5))])


@pytest.mark.parametrize("seed", range(4))
def test_kept_relation_rows_are_relation_latex(seed):
    """Rows kept by the relation's identity are what relation_latex renders, for the same
    relation again, an equal copy of it, and the same relation at another precision."""
    from dataclasses import replace

    from derive.errors import InputError
    from derive.render.latex import _relation_rows, relation_latex

    rng = random.Random(seed)
    for _ in range(300):
        rel, precision = _relation(rng), _precision(rng)
        try:
            expected = relation_latex(rel, precision)
        except InputError:  # a SymPy float after ≈: refused, and not kept
            with pytest.raises(InputError):
                _relation_rows(rel, precision)
            continue
        assert _relation_rows(rel, precision) == expected
        assert _relation_rows(rel, precision) == expected  # kept
        assert _relation_rows(replace(rel), precision) == expected
        other = _precision(rng)
        try:
            assert _relation_rows(rel, other) == relation_latex(rel, other)
        except InputError:
            pass


def _outcome(fn, *args):
    """fn(*args), or the type of the exception it raises."""
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - both paths must refuse alike
        return type(e)


def _approx_form(rng):
    from derive.forms import Mat, Vec, Words
    from test_speed_render import _leaf

    def entry():
        return _number(rng) if rng.random() < 0.8 else _leaf(rng)

    k = rng.randrange(4)
    if k == 0:
        return Vec(tuple(entry() for _ in range(rng.choice([0, 1, 3, 12, 13]))))
    if k == 1:
        cols = rng.choice([1, 3, 12, 13])
        return Mat(tuple(tuple(entry() for _ in range(cols)) for _ in range(rng.choice([1, 2, 12, 13]))))
    if k == 2:
        return entry()
    return rng.choice([Words("not a number"), _tree(rng, 2)])


@pytest.mark.parametrize("seed", range(4))
def test_approx_latex_is_the_latex_of_approx_display(seed):
    """The ≈ decimals printed directly (scalars, short vectors, matrices shown whole) are the
    LaTeX of the Dec forms, for every kind of entry and at any precision."""
    from derive.render.latex import _approx_latex
    from derive.render.printers import latex
    from derive.render.values import approx_display

    def plain(form, precision):
        shown = approx_display(form, precision)
        return None if shown is None else latex(shown)

    rng = random.Random(seed)
    for _ in range(500):
        form, precision = _approx_form(rng), _precision(rng)
        assert _outcome(_approx_latex, form, precision) == _outcome(plain, form, precision), form


@pytest.mark.parametrize("seed", range(3))
def test_decimal_entries_are_the_decs_texts(seed):
    from derive.render.printers import Dec
    from derive.render.values import _scalar_decimal, decimal_entries

    rng = random.Random(seed)
    for _ in range(300):
        items = tuple(_number(rng) for _ in range(rng.randint(0, 8)))
        precision = _precision(rng)
        expected = [Dec(x, lambda v: _scalar_decimal(v, precision)).text for x in items]
        assert decimal_entries(items, precision) == expected
        assert decimal_entries(items, precision) == expected  # from the kept decimals


@pytest.mark.parametrize("seed", range(4))
def test_latex_vectors_and_surds_print_as_the_generic_rules(seed):
    """The LaTeX printer's own `_print_Vec` and `_print_Call`, its surds printed in `_node`, and its rationals
    in `_p` and `_term`, against the mixin's rules (dispatch for every node)."""
    from test_speed_render import _plain_latex_printer, assert_latex_prints_as

    from derive.render.printers import _FormsMixin

    plain = _plain_latex_printer()
    type(plain)._print_Vec = _FormsMixin._print_Vec
    type(plain)._print_Call = _FormsMixin._print_Call
    assert_latex_prints_as(plain, seed)


def _value(rng):
    """A scalar, vector or matrix value of exact numbers (what results hold)."""
    k = rng.randrange(3)
    if k == 0:
        return _number(rng)
    if k == 1:
        return tuple(_number(rng) for _ in range(rng.randint(1, 6)))
    cols = rng.randint(1, 4)
    return tuple(tuple(_number(rng) for _ in range(cols)) for _ in range(rng.randint(1, 4)))


@pytest.mark.parametrize("seed", range(3))
def test_numbers_read_from_their_slots(seed):
    """The values' fast paths that read a Fraction's integers from its slots give what the
    plain definitions give: decimals, exact strings, and whether a value is shown exactly."""
    from derive.exact import approx
    from derive.forms import Mat, Vec
    from derive.render.printers import _fraction_latex, _frac_text
    from derive.render.values import (
        _exact_decimal, _shown_exactly, decimal_strings, display, exact_strings, flatten, is_exactly_shown,
        json_strings,
    )

    rng = random.Random(seed)
    for _ in range(400):
        value, precision = _value(rng), _precision(rng)
        assert json_strings(value, precision) == (exact_strings(value), decimal_strings(value, precision))
        form = display(value)
        assert isinstance(form, (Vec, Mat)) or form is value
        assert is_exactly_shown(form, precision) == all(_shown_exactly(x, precision) for x in flatten(value))
        for x in flatten(value):
            assert _exact_decimal(x, precision) == approx(x, precision.decimals, precision.sigfigs)
            if type(x) is not int and not hasattr(x, "r"):
                assert _fraction_latex(x) == _frac_text(*x.as_integer_ratio())


@pytest.mark.parametrize("seed", range(2))
def test_step_align_is_the_rows_joined_by_the_template_filter(seed):
    """A step's `align`, joined in Python, is what the template's join filter made of its
    rows, and empty exactly when there are no rows (the template tests it)."""
    from derive.model import Step
    from derive.render.latex import _step, environment, relation_latex

    join = environment().from_string('\\VAR{rows | join(" \\\\\\\\\\n")}')
    rng = random.Random(seed)
    for _ in range(100):
        relations, precision, size = [], _precision(rng), rng.choice([0, 1, 2, 5])
        while len(relations) < size:
            rel = _relation(rng)
            try:
                relation_latex(rel, precision)
            except Exception:  # noqa: BLE001 - a SymPy float after ≈ is refused
                continue
            relations.append(rel)
        step = _step(Step("A title", tuple(relations), "An explanation."), precision)
        rows = [row for rel in relations for row in relation_latex(rel, precision)]
        assert step.rows == rows
        assert step.align == join.render(rows=rows)
        assert bool(step.align) == bool(rows)


def test_templates_looked_up_once_are_jinja_s():
    """The environment's get_template keeps each template it loads: the same object each time,
    from the same source as Jinja's own lookup; a lookup with globals is Jinja's."""
    import jinja2

    from derive.render.latex import environment

    env = environment()
    for name in env.list_templates():
        template = env.get_template(name)
        assert env.get_template(name) is template
        assert template.name == name == jinja2.Environment.get_template(env, name).name
        assert env.get_template(name, parent="solution_body.tex.j2") is not None
    with_globals = env.get_template("document.tex.j2", globals={"unused": 1})
    assert with_globals.name == "document.tex.j2"
