"""The fast paths that print answers (exact and decimal strings, key.json's text) give
exactly what the plain paths give."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy

from derive.exact import Surd, approx, exact_str
from derive.forms import Words
from derive.model import Precision
from derive.modelsize.steps import Label
from derive.render import values

PRECISIONS = [Precision(), Precision(0), Precision(4), Precision(7), Precision(sigfigs=1), Precision(sigfigs=3),
              Precision(2, 5)]
SQUAREFREE = [2, 3, 5, 6, 7, 10, 11, 13, 15, 30, 101]


def _fraction(rng: random.Random) -> Fraction:
    size = rng.choice([3, 10, 1000, 10**9])
    return Fraction(rng.randint(-size, size), rng.choice([1, 1, 2, 3, 4, 7, 8, 10, 25, 40, 64, 99, rng.randint(1, size)]))


def _scalar(rng: random.Random):
    pick = rng.random()
    if pick < 0.15:
        return rng.randint(-50, 50)
    if pick < 0.5:
        return _fraction(rng)
    c = Fraction(0) if rng.random() < 0.1 else _fraction(rng)
    return Surd(Fraction(0) if rng.random() < 0.2 else _fraction(rng), c, rng.choice(SQUAREFREE))


def _plain_exact(x):
    if type(x) in (int, Fraction, Surd):
        return exact_str(x)
    return values._scalar_exact_str(x)


def _plain_decimal(x, precision: Precision):
    if type(x) in (int, Fraction, Surd):
        return approx(x, precision.decimals, precision.sigfigs)  # uncached
    return values._scalar_decimal(x, precision)


def _shaped(fn, value):
    return [_shaped(fn, v) for v in value] if isinstance(value, tuple) else fn(value)


def _value(rng: random.Random):
    shape = rng.choice(["scalar", "vector", "matrix"])
    if shape == "scalar":
        return _scalar(rng)
    if shape == "vector":
        return tuple(_scalar(rng) for _ in range(rng.randint(1, 6)))
    cols = rng.randint(1, 4)
    return tuple(tuple(_scalar(rng) for _ in range(cols)) for _ in range(rng.randint(1, 4)))


@pytest.mark.parametrize("seed", range(20))
def test_json_strings_equal_exact_and_decimal_strings(seed):
    rng = random.Random(seed)
    for _ in range(300):
        value, precision = _value(rng), rng.choice(PRECISIONS)
        want = (_shaped(_plain_exact, value), _shaped(lambda x: _plain_decimal(x, precision), value))
        for _ in range(2):  # printed, then read back from the kept decimals
            assert values.json_strings(value, precision) == want
            assert (values.exact_strings(value), values.decimal_strings(value, precision)) == want


def test_surd_str_prints_the_number_sympy_reads():
    """exact_str prints a Surd through surd_str, which json_strings calls with integers it
    holds: the text is what SymPy reads as the same number, in exact_str's known forms."""
    import sympy

    from derive.exact import surd_str, to_sympy

    rng = random.Random(5)
    for _ in range(600):
        x = _scalar(rng)
        x = x if type(x) is Surd else Surd(x)
        (bn, bd), (cn, cd) = x.b.as_integer_ratio(), x.c.as_integer_ratio()
        text = surd_str(bn, bd, cn, cd, x.r)
        assert text == exact_str(x)
        assert sympy.sympify(text) == to_sympy(x)
    for b, c, want in [(0, 1, "sqrt(3)"), (0, -1, "-sqrt(3)"), (1, 1, "1 + sqrt(3)"), (-1, -1, "-1 - sqrt(3)"),
                       (Fraction(1, 2), Fraction(-3, 4), "1/2 - 3*sqrt(3)/4"), (0, Fraction(1, 3), "sqrt(3)/3"),
                       (Fraction(-5, 2), 0, "-5/2")]:
        x = Surd(b, c, 3)
        (bn, bd), (cn, cd) = x.b.as_integer_ratio(), x.c.as_integer_ratio()
        assert surd_str(bn, bd, cn, cd, 3) == exact_str(x) == want


def test_kept_decimals_tell_values_and_precisions_apart():
    """A rational Surd, its Fraction and its int share a value but not a key; precisions neither."""
    values._DECIMALS.clear()
    rng = random.Random(11)
    xs = [Fraction(1, 3), Surd(Fraction(1, 3)), Surd(0, Fraction(1, 3), 3), Surd(Fraction(1, 3), 0, 1), 2, Fraction(2),
          Surd(2), Fraction(-7, 8), Surd(Fraction(-7, 8), Fraction(1, 8), 2)] + [_scalar(rng) for _ in range(3000)]
    for _ in range(2):
        for x in xs:
            for p in PRECISIONS:
                want = approx(x, p.decimals, p.sigfigs)
                assert values._scalar_decimal(x, p) == want
                assert values._exact_decimal(x, p) == want
                assert values.json_strings(x, p) == (exact_str(x), want)


def test_json_strings_of_words_formulas_and_undefined():
    from derive.kinds.normalization import Undefined

    n = sympy.Symbol("n")
    others = [Label("Linear(52, 128)"), Words("scalar"), 772 * n, n, sympy.Rational(5, 3), sympy.sqrt(2),
              sympy.Integer(4), Undefined("0/0"), "text", True]
    rng = random.Random(3)
    for p in PRECISIONS:
        for x in others:
            assert values.json_strings(x, p) == (values._scalar_exact_str(x), values._scalar_decimal(x, p))
        for _ in range(50):
            row = tuple(rng.choice(others + [_scalar(rng)]) for _ in range(4))
            value = rng.choice([row, (row, row), tuple((x,) for x in row)])
            assert values.json_strings(value, p) == (values.exact_strings(value), values.decimal_strings(value, p))
        listed = [Fraction(1, 3), (Surd(1, 1, 2), 3)]
        assert values.json_strings(listed, p) == (values.exact_strings(listed), values.decimal_strings(listed, p))


def _plain_is_exactly_shown(form, precision: Precision) -> bool:
    """is_exactly_shown as it was: every scalar through `_shown_exactly`, a matrix flattened."""
    from derive.forms import Mat, Vec
    from derive.nested import flatten

    if isinstance(form, Vec):
        return all(values._shown_exactly(x, precision) for x in form.items)
    if isinstance(form, Mat):
        return all(values._shown_exactly(x, precision) for x in flatten(form.rows))
    if values.is_exact_scalar(form) or hasattr(form, "is_number"):
        return values._shown_exactly(form, precision)
    return True


def _terminating_scalar(rng: random.Random):
    """Scalars that often terminate within a few decimals (so both answers are tested)."""
    pick = rng.random()
    if pick < 0.3:
        return Fraction(rng.randint(-999, 999), rng.choice([1, 2, 4, 5, 8, 10, 20, 100, 1000, 3]))
    if pick < 0.45:
        return rng.randint(-9, 9)
    if pick < 0.6:
        return Surd(Fraction(rng.randint(-99, 99), rng.choice([1, 2, 4, 3])), 0, 1)
    return _scalar(rng)


@pytest.mark.parametrize("seed", range(10))
def test_is_exactly_shown_equals_the_plain_walk(seed):
    from derive.forms import Mat, Vec

    rng = random.Random(seed)
    n = sympy.Symbol("n")
    others = [Label("a"), 3 * n, sympy.Rational(1, 4), sympy.Rational(1, 3), sympy.sqrt(2), True, (Fraction(1, 3),)]
    for _ in range(400):
        p = rng.choice(PRECISIONS)
        pick = rng.random()
        entry = (lambda: rng.choice(others)) if pick < 0.1 else (lambda: _terminating_scalar(rng))
        if pick < 0.05:
            entry = lambda: _terminating_scalar(rng)  # noqa: E731
        k = rng.choice([1, 1, 2, 3])
        forms = [entry(), Vec(tuple(entry() for _ in range(rng.randint(0, 5)))),
                 Mat(tuple(tuple(entry() for _ in range(k)) for _ in range(rng.randint(1, 3)))),
                 Mat(((_terminating_scalar(rng), (_terminating_scalar(rng), Fraction(1, 2))),)),
                 Vec(((Fraction(1, 3),), Fraction(1, 2)))]
        for form in forms:
            assert values.is_exactly_shown(form, p) == _plain_is_exactly_shown(form, p), (form, p)


def _json_tree(rng: random.Random, depth: int = 0):
    pick = rng.random()
    if depth < 3 and pick < 0.25:
        return {rng.choice(["a", "b", "é", 'q"', "x\\y", "1"]) + str(i): _json_tree(rng, depth + 1) for i in range(rng.randint(0, 4))}
    if depth < 3 and pick < 0.45:
        seq = [_json_tree(rng, depth + 1) for _ in range(rng.randint(0, 4))]
        return tuple(seq) if rng.random() < 0.3 else seq
    return rng.choice([None, True, False, rng.randint(-10**20, 10**20), rng.random() * 10**rng.randint(-5, 5), 0.5, -0.0,
                       "", "plain", "é ünïcode ≈ √", 'quote " and \\ backslash', "tab\tnew\nline\x01", "\\frac{1}{3}"])


def test_json_line_equals_json_dumps():
    import json

    from derive.key_json import json_line, json_name

    rng = random.Random(2)
    for _ in range(3000):
        tree = _json_tree(rng)
        want = json.dumps(tree, ensure_ascii=False, separators=(", ", ": "))
        assert json_line(tree) == want
        if isinstance(tree, str):
            assert json_name(tree) == want
    with pytest.raises(TypeError):
        json_line({"a": object()})


def _plain_fill(pieces: tuple, values: dict) -> str:
    pieces = list(pieces)
    for i in range(1, len(pieces), 2):
        pieces[i] = values[pieces[i]]
    return "".join(pieces)


def test_layout_fill_equals_the_plain_loop():
    from derive.documents import _MARK, _Layout

    rng = random.Random(4)
    for _ in range(500):
        names = [f"{rng.randint(0, 3)}.answer{rng.randint(0, 9)}" for _ in range(rng.choice([0, 1, 2, 3, 10, 40]))]
        texts = ["".join(rng.choice("ab \\{}\n") for _ in range(rng.randint(0, 5))) for _ in range(len(names) + 1)]
        text = texts[0] + "".join(f"{_MARK}{name}{_MARK}{t}" for name, t in zip(names, texts[1:]))
        values = {name: rng.choice(["", "x", "\\frac{1}{2}", name * 2]) for name in names}
        layout = _Layout.of(text)
        assert layout.fill(values) == _plain_fill(layout.pieces, values)
        assert layout.pieces[1::2] == tuple(names)
        if names:
            with pytest.raises(KeyError):
                layout.fill({})


def test_csv_cell_is_what_a_student_types():
    """key.csv's cells: scalars as they are, vectors and matrices bracketed, at any depth."""
    from derive.variant_output import _cell

    assert _cell("5/3") == "5/3" and _cell(7) == "7"
    assert _cell(["1", "-sqrt(3)"]) == "[1, -sqrt(3)]"
    assert _cell([["1", "2"], ["3", "4"]]) == "[[1, 2], [3, 4]]"
    assert _cell([]) == "[]" and _cell([[]]) == "[[]]"
    assert _cell([["1", "2"], "3", [], [["4"]]]) == "[[1, 2], 3, [], [[4]]]"
    assert _cell(["3", ["4"]]) == "[3, [4]]"  # a list inside a vector is bracketed too, not repr'd


def test_params_json_fractions_as_exact_str():
    from derive.render.json import _fraction_str, jsonable

    rng = random.Random(9)
    for _ in range(3000):
        q = _fraction(rng)
        assert _fraction_str(q) == exact_str(q)
        assert jsonable((q, [q, 2], ((q,),))) == [exact_str(q), [exact_str(q), 2], [[exact_str(q)]]]


def test_approx_display_rounds_each_entry_as_approx():
    from derive.forms import Mat, Vec

    rng = random.Random(12)
    for _ in range(300):
        p = rng.choice(PRECISIONS)
        row = tuple(_scalar(rng) for _ in range(rng.randint(1, 5)))
        want = [approx(x, p.decimals, p.sigfigs) for x in row]
        assert [d.text for d in values.approx_display(Vec(row), p).items] == want
        assert [[d.text for d in r] for r in values.approx_display(Mat((row, row)), p).rows] == [want, want]
        assert values.approx_display(row[0], p).text == want[0]
    assert values.approx_display(Label("a"), Precision()) is None
