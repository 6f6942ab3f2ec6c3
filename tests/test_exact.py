"""Exact numbers: Surd arithmetic, square roots and correct rounding against independent oracles."""

from decimal import Decimal, ROUND_HALF_UP, getcontext
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings, strategies as st

from derive.errors import InputError
from derive.exact import (
    Surd, approx, exact_str, floor_exact, inv_sqrt, inv_sqrt_parts, is_terminating, round_decimal, round_sigfigs, sign,
    sqrt_rational, squarefree_split, to_float, to_fraction, to_sympy,
)

rationals = st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**4)
radicands = st.sampled_from([2, 3, 5, 6, 7, 10, 14, 15, 21, 30, 105, 1155, 999983])


def surds():
    return st.builds(Surd, rationals, rationals, radicands)


@pytest.mark.parametrize("value, places, expected", [
    (Fraction(2675, 1000), 2, "2.68"),      # round(2.675, 2) gives 2.67 in floats
    (Fraction(-2675, 1000), 2, "-2.68"),    # half away from zero
    (Fraction(1, 8), 2, "0.13"),            # round(0.125, 2) gives 0.12 (ties to even)
    (Fraction(5, 3), 2, "1.67"),
    (Fraction(-5, 3), 2, "-1.67"),
    (Fraction(20, 3), 2, "6.67"),
    (Fraction(-1, 1000), 2, "0.00"),
    (Surd(1, -1, 3), 4, "-0.7321"),         # SymPy's evalf(4) prints -0.7320
    (Surd(-1, Fraction(-2, 3), 3), 2, "-2.15"),
    (Surd(-1, -2, 2), 2, "-3.83"),          # the seed prints -3.82
    (Surd(1, Fraction(15, 14), 14), 2, "5.01"),  # the seed prints 5.02
    (Surd(0, 4, 2), 2, "5.66"),             # the seed prints 5.64
    (Fraction(7, 2), 0, "4"),
    (Fraction(123456), -2, "123500"),
])
def test_round_decimal_known_values(value, places, expected):
    assert round_decimal(value, places) == expected


@pytest.mark.parametrize("value, figures, expected", [
    (Fraction(20, 3), 3, "6.67"), (Fraction(9996, 1000), 3, "10.0"), (Fraction(-1, 700), 2, "-0.0014"),
    (Fraction(123456), 2, "120000"), (Surd(0, 1, 2), 5, "1.4142"),
])
def test_round_sigfigs_known_values(value, figures, expected):
    assert round_sigfigs(value, figures) == expected


@settings(deadline=None)
@given(surds(), st.integers(0, 12))
def test_round_decimal_matches_high_precision_decimal(x, places):
    getcontext().prec = 80
    exact = Decimal(x.b.numerator) / Decimal(x.b.denominator) + \
        Decimal(x.c.numerator) / Decimal(x.c.denominator) * Decimal(x.r).sqrt()
    q = Decimal(1).scaleb(-places)
    expected = exact.quantize(q, rounding=ROUND_HALF_UP)  # half away from zero in Decimal
    got = Decimal(round_decimal(x, places))
    assert got == expected or (got == 0 and expected == 0)


@settings(deadline=None)
@given(surds())
def test_floor_and_sign_match_sympy(x):
    s = to_sympy(x)
    assert floor_exact(x) == int(sympy.floor(s))
    assert sign(x) == int(sympy.sign(s))


@settings(deadline=None)
@given(surds(), surds())
def test_arithmetic_matches_sympy(a, b):
    if a.r != b.r and a.c != 0 and b.c != 0:
        return
    sa, sb = to_sympy(a), to_sympy(b)
    assert sympy.simplify(to_sympy(a + b) - (sa + sb)) == 0
    assert sympy.simplify(to_sympy(a * b) - (sa * sb)) == 0
    if sign(b) != 0:
        assert sympy.simplify(to_sympy(a / b) - sa / sb) == 0


@settings(deadline=None)
@given(st.fractions(min_value=Fraction(1, 10**6), max_value=10**9, max_denominator=10**6))
def test_sqrt_and_inverse_sqrt(v):
    root = sqrt_rational(v)
    assert root * root == Surd(v)
    assert inv_sqrt(v) * root == Surd(1)
    s, r = squarefree_split(v.numerator * v.denominator)
    assert sympy.factorint(r) == {p: 1 for p in sympy.factorint(r)}


def test_squarefree_split_large_numbers():
    assert squarefree_split(2**2 * 3**3 * 1_000_003**2 * 999_983) == (2 * 3 * 1_000_003, 3 * 999_983)
    assert squarefree_split(10**30 * 7) == (10**15, 7)


@settings(deadline=None)
@given(surds())
def test_exact_str_is_sympy_parsable_and_equal(x):
    assert sympy.simplify(sympy.sympify(exact_str(x)) - to_sympy(x)) == 0


@settings(deadline=None)
@given(surds())
def test_to_float_is_close(x):
    assert to_float(x) == pytest.approx(float(to_sympy(x).evalf(30)), rel=1e-15, abs=1e-300)


@pytest.mark.parametrize("text, expected", [
    ("0.75", Fraction(3, 4)), ("1e-5", Fraction(1, 100000)), ("-5/3", Fraction(-5, 3)),
    ("\u22122.5", Fraction(-5, 2)), (0.1, Fraction(1, 10)), (3, Fraction(3)), (" 7 ", Fraction(7)),
])
def test_to_fraction_reads_decimals_exactly(text, expected):
    assert to_fraction(text, "x") == expected


@pytest.mark.parametrize("bad", [True, None, float("nan"), float("inf"), "abc", "1/0", "", "nan", "1e999999",
                                 "__import__('os')", [1]])
def test_to_fraction_rejects_with_field_name(bad):
    with pytest.raises(InputError, match=r"^eps: "):
        to_fraction(bad, "eps")


def test_approx_shows_terminating_values_exactly():
    assert [approx(v) for v in (Fraction(1, 2), 4, Fraction(-1, 4), Fraction(1, 3))] == ["0.5", "4", "-0.25", "0.33"]


@settings(deadline=None)
@given(st.one_of(rationals, surds(), st.integers(-10**6, 10**6)), st.integers(0, 6))
def test_approx_fast_paths_agree_with_the_surd_path(x, places):
    """Fractions, ints and rational Surds skip the Surd coercion; the text must not change."""
    s = Surd(x) if not isinstance(x, Surd) else x
    terminating = s.is_rational and 10**places % s.b.denominator == 0
    if terminating:  # shown exactly, without trailing zeros
        getcontext().prec = 80
        exact = Decimal(s.b.numerator) / Decimal(s.b.denominator)
        assert approx(x, places) == format(exact.normalize(), "f")
    else:
        assert approx(x, places) == round_decimal(s, places)
    assert is_terminating(x, places) == terminating


def test_inv_sqrt_parts():
    assert inv_sqrt_parts(Fraction(3)) == (Fraction(1, 3), 3)      # 1/√3 = √3/3
    assert inv_sqrt_parts(Fraction(9, 4)) == (Fraction(2, 3), 1)   # rational root
    with pytest.raises(ZeroDivisionError):
        inv_sqrt_parts(Fraction(0))


def test_surd_is_immutable_and_refuses_mixed_radicals():
    x = Surd(1, 1, 2)
    with pytest.raises(AttributeError):
        x.b = 3
    with pytest.raises(ValueError):
        Surd(0, 1, 2) + Surd(0, 1, 3)


@settings(max_examples=300, deadline=None)
@given(st.fractions(), st.fractions(), st.sampled_from([2, 3, 5, 6, 7, 14, 15, 1234567]))
def test_to_float_is_the_bracketed_sum_rounded_once(b, c, r):
    """to_float's integer quotient is the float of the same rational b + c·⌊√r·2⁶⁴⌋/2⁶⁴."""
    from math import isqrt

    from derive.exact import to_float

    root = Fraction(isqrt(r << 128), 1 << 64)
    assert to_float(Surd(b, c, r)) == float(b + c * root)
    assert to_float(b) == float(b) and to_float(Surd(b)) == float(b)


def test_fraction_keeps_its_terms_in_the_slots_the_printers_read():
    """render/printers.py and render/values.py read a Fraction's `_numerator` and
    `_denominator` slots (CPython's layout) instead of calling its properties."""
    from fractions import Fraction

    for x in (Fraction(-6, 4), Fraction(0), Fraction(7), Fraction(10**30 + 1, 3)):
        assert (x._numerator, x._denominator) == (x.numerator, x.denominator)
