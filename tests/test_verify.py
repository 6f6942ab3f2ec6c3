"""Verdicts: tolerance modes decided exactly, per-entry reasons, shapes, rounding."""

import time
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Integer, Rational, pi, sqrt

from derive.answers import parse_answer
from derive.errors import InputError
from derive.verify import (
    DEFAULT_TOLERANCE,
    PRAIRIELEARN,
    WEBWORK,
    EntryVerdict,
    Tolerance,
    Verdict,
    judge,
    judge_entry,
    round_half_away,
    round_sigfigs,
)

S3 = sqrt(3)
SEED_ANSWER = "[[-1,-3,4,4],[-1,-1.66,0.01,6.68],[-0.58,-2.16,-0.74,6.92]]"
SEED_EXACT = [
    [-1, -3, 4, 4],
    [-1, Rational(-5, 3), 0, Rational(20, 3)],
    [-S3 / 3, -1 - 2 * S3 / 3, 1 - S3, 4 * S3],
]


def test_seed_worksheet_implied():
    verdict = judge(parse_answer(SEED_ANSWER), SEED_EXACT)
    wrong = {e.answer.text for e in verdict.wrong}
    assert wrong == {"-1.66", "0.01", "6.68", "-2.16", "-0.74", "6.92"}
    assert [e.index for e in verdict.wrong] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
    assert not verdict.correct
    assert verdict.score == Fraction(1, 2)
    assert verdict.shape == verdict.answer_shape == (3, 4)
    assert verdict.tolerance == DEFAULT_TOLERANCE
    assert "6 of 12 entries wrong" in verdict.reason
    by_text = {e.answer.text: e for e in verdict.entries}
    assert by_text["-1.66"].error == Rational(1, 150)
    assert by_text["0.01"].error == Rational(1, 100)
    assert by_text["-2.16"].error == Rational(-54, 25) + 1 + 2 * S3 / 3
    assert "-2.15470" in by_text["-2.16"].reason
    assert by_text["-0.58"].correct and by_text["-0.58"].reason.startswith("within half a unit")


def test_seed_worksheet_as_matrix_and_bmatrix():
    text = ("\\begin{bmatrix} -1 & -3 & 4 & 4 \\\\ -1 & -\\frac{5}{3} & 0 & \\frac{20}{3} \\\\ "
            "-\\frac{\\sqrt{3}}{3} & -2.15 & -0.73 & 6.93 \\end{bmatrix}")
    verdict = judge(text, sympy.Matrix(SEED_EXACT))
    assert verdict.correct and verdict.score == 1
    assert verdict.reason == "all 12 entries correct"


@pytest.mark.parametrize(
    "typed, exact, correct",
    [
        ("1.67", Rational(5, 3), True),
        ("1.66", Rational(5, 3), False),
        ("1.7", Rational(5, 3), True),
        ("1.6667", Rational(5, 3), True),
        ("1.6666", Rational(5, 3), False),
        ("2", Rational(5, 3), False),  # an integer is an exact form
        ("5/3", Rational(5, 3), True),
        ("\\frac{10}{6}", Rational(5, 3), True),
        ("0.01", 0, False),
        ("0.00", 0, True),
        ("0", 0, True),
        ("-2.15", -1 - 2 * S3 / 3, True),
        ("-2.16", -1 - 2 * S3 / 3, False),
        ("-2.155", -1 - 2 * S3 / 3, True),
        ("-0.73", 1 - S3, True),
        ("-0.74", 1 - S3, False),
        ("6.93", 4 * S3, True),
        ("6.92", 4 * S3, False),
        ("7", 4 * S3, False),
        ("4√3", 4 * S3, True),
        ("√48", 4 * S3, True),
        ("-1/sqrt(3)", -S3 / 3, True),
        ("(1+sqrt(2))^2", 3 + 2 * sqrt(2), True),
        ("(1+sqrt(2))^2", 3 + 2 * sqrt(3), False),
        ("3.14", pi, True),
        ("3.15", pi, False),
        ("3.1416", pi, True),
        ("pi", pi, True),
        ("22/7", pi, False),
        ("0.12", Rational(1, 8), True),  # the half-unit bound is inclusive: both
        ("0.13", Rational(1, 8), True),  # neighbours of an exact tie are accepted
        ("0.14", Rational(1, 8), False),
        ("2.5e2", 254, True),  # last typed digit is the tens: ±5
        ("2.5e2", 256, False),
        ("1e-3", Rational(1, 1000), True),
        ("1e-3", Rational(16, 10000), False),
        ("1.5*10^3", 1549, True),  # a compound keeps its significant figures
        ("1.5*10^3", 1551, False),
    ],
)
def test_implied_mode(typed, exact, correct):
    verdict = judge_entry(parse_answer(typed).entries, exact)
    assert verdict.correct is correct, verdict.reason
    assert isinstance(verdict, EntryVerdict)
    assert verdict.error == verdict.answer.value - verdict.exact


@pytest.mark.parametrize(
    "x, places, rounded",
    [
        (Rational(2675, 1000), 2, Rational(268, 100)),  # round(2.675, 2) gives 2.67
        (Rational(1, 8), 2, Rational(13, 100)),  # round(0.125, 2) gives 0.12
        (Rational(-1, 8), 2, Rational(-13, 100)),
        (Rational(5, 3), 2, Rational(167, 100)),
        (Rational(-5, 3), 0, Integer(-2)),
        (Rational(1, 2), 0, Integer(1)),
        (Rational(-1, 2), 0, Integer(-1)),
        (Integer(0), 3, Integer(0)),
        (Integer(1250), -2, Integer(1300)),
        (1 - S3, 4, Rational(-7321, 10000)),  # SymPy's evalf(4) prints -0.7320
        (-1 - 2 * S3 / 3, 2, Rational(-215, 100)),
        (4 * S3, 2, Rational(693, 100)),
        (-2 * sqrt(2) - 1, 2, Rational(-383, 100)),
        (pi, 4, Rational(31416, 10000)),
        (sqrt(2) * 10**30, 0, Integer(1414213562373095048801688724210)),
        ((1 + sqrt(2)) ** 2 - 3 - 2 * sqrt(2) + Rational(1, 8), 2, Rational(13, 100)),
        (sympy.Pow(2, Rational(1, 3)), 5, Rational(125992, 100000)),
        (Fraction(-1, 8), 1, Rational(-1, 10)),
        (7, 2, Integer(7)),
    ],
)
def test_round_half_away(x, places, rounded):
    assert round_half_away(x, places) == rounded


@pytest.mark.parametrize(
    "x, digits, rounded",
    [
        (Rational(2, 3) * 1000, 2, Integer(670)),
        (-sqrt(2) / 1000, 3, Rational(-141, 100000)),
        (Rational(9996, 1000), 3, Integer(10)),
        (Rational(1, 8), 2, Rational(13, 100)),
        (pi * 10**5, 4, Integer(314200)),
        (Integer(0), 3, Integer(0)),
        (4 * S3, 1, Integer(7)),
    ],
)
def test_round_sigfigs(x, digits, rounded):
    assert round_sigfigs(x, digits) == rounded


def _decimal_round(value: Fraction, places: int) -> Fraction:
    with localcontext() as ctx:
        ctx.prec = 200
        d = Decimal(value.numerator) / Decimal(value.denominator)
        return Fraction(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


@given(st.fractions(max_denominator=10**6).filter(lambda f: abs(f) < 10**9), st.integers(0, 8))
def test_round_half_away_matches_decimal_on_rationals(f, places):
    # Decimal's ROUND_HALF_UP is half away from zero; with prec 200 the division of
    # these small rationals is exact enough to settle the ties the way we do.
    expected = _decimal_round(f, places) if f.denominator in (1, 2, 4, 5, 8) else None
    got = round_half_away(Rational(f.numerator, f.denominator), places)
    if expected is not None:
        assert got == Rational(expected.numerator, expected.denominator)
    scale = Fraction(10) ** places
    g = Fraction(got.p, got.q)
    assert abs(f - g) <= Fraction(1, 2) / scale
    assert (g * scale).denominator == 1


@settings(max_examples=200)
@given(st.fractions(max_denominator=1000).filter(lambda f: abs(f) < 1000),
       st.fractions(max_denominator=1000).filter(lambda f: 0 < abs(f) < 1000),
       st.sampled_from([2, 3, 5, 6, 7, 10, 11, 13, 15]), st.integers(0, 6))
def test_round_half_away_surds_match_high_precision(b, c, r, places):
    x = Rational(b.numerator, b.denominator) + Rational(c.numerator, c.denominator) * sqrt(r)
    with localcontext() as ctx:
        ctx.prec = 120
        approx = (Decimal(b.numerator) / b.denominator
                  + Decimal(c.numerator) / c.denominator * Decimal(r).sqrt())
        expected = approx.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    assert round_half_away(x, places) == Rational(str(expected))


@given(st.fractions(max_denominator=10**4).filter(lambda f: abs(f) < 10**6), st.integers(0, 5))
def test_rounded_value_is_accepted_and_neighbours_rejected(f, places):
    exact = Rational(f.numerator, f.denominator)
    r = Fraction(*round_half_away(exact, places).as_numer_denom())
    unit = Fraction(1, 10**places)

    def typed(v: Fraction) -> str:
        n = v / unit
        assert n.denominator == 1
        digits = str(abs(n.numerator)).rjust(places + 1, "0")
        return ("-" if v < 0 else "") + (digits[:-places] + "." + digits[-places:] if places
                                         else digits + ".")

    assert judge_entry(typed(r), exact).correct
    dec = Tolerance("decimals", digits=places)
    assert judge_entry(typed(r), exact, dec).correct
    for neighbour in (r - unit, r + unit):
        # more than half a unit away unless the exact value is a tie
        if abs(neighbour - f) > unit / 2:
            assert not judge_entry(typed(neighbour), exact).correct
        assert not judge_entry(typed(neighbour), exact, dec).correct
        assert judge_entry(typed(neighbour), exact,
                           Tolerance("decimals", digits=places, last_place_slack=True)).correct


def test_decimals_mode():
    dec2 = Tolerance("decimals", digits=2)
    assert judge_entry("1.67", Rational(5, 3), dec2).correct
    assert not judge_entry("1.66", Rational(5, 3), dec2).correct
    assert not judge_entry("1.667", Rational(5, 3), dec2).correct  # not rounded to 2
    assert judge_entry("5/3", Rational(5, 3), dec2).correct  # exactly equal always passes
    assert judge_entry("1.670", Rational(5, 3), dec2).correct  # values compare, not digits
    assert "expected 1.67" in judge_entry("1.66", Rational(5, 3), dec2).reason
    assert judge_entry("-2.15", -1 - 2 * S3 / 3, dec2).correct
    assert not judge_entry("-2.16", -1 - 2 * S3 / 3, dec2).correct
    slack = Tolerance("decimals", digits=2, last_place_slack=True)
    assert judge_entry("-2.16", -1 - 2 * S3 / 3, slack).correct
    assert not judge_entry("-2.17", -1 - 2 * S3 / 3, slack).correct
    assert "expected 0.13" in judge_entry("0.12", Rational(1, 8), dec2).reason


def test_sigfigs_mode():
    sig3 = Tolerance("sigfigs", digits=3)
    assert judge_entry("1.67", Rational(5, 3), sig3).correct
    assert not judge_entry("1.7", Rational(5, 3), sig3).correct
    assert judge_entry("0.00167", Rational(5, 3000), sig3).correct
    assert judge_entry("6.93", 4 * S3, sig3).correct
    assert judge_entry("10.0", Rational(9996, 1000), sig3).correct
    assert "expected 10.0" in judge_entry("9.99", Rational(9996, 1000), sig3).reason
    slack = Tolerance("sigfigs", digits=3, last_place_slack=True)
    assert judge_entry("6.92", 4 * S3, slack).correct
    assert not judge_entry("6.91", 4 * S3, slack).correct


def test_relative_mode():
    assert PRAIRIELEARN == Tolerance("relative")
    assert (PRAIRIELEARN.rtol, PRAIRIELEARN.atol) == (Fraction(1, 100), Fraction(1, 10**8))
    assert (WEBWORK.rtol, WEBWORK.atol) == (Fraction(1, 1000), Fraction(1, 10**12))
    assert judge_entry("101", 100, PRAIRIELEARN).correct  # boundary is inclusive
    assert not judge_entry("101.01", 100, PRAIRIELEARN).correct
    assert judge_entry("-99", -100, PRAIRIELEARN).correct
    assert judge_entry("1e-9", 0, PRAIRIELEARN).correct  # atol near zero
    assert not judge_entry("1e-7", 0, PRAIRIELEARN).correct
    assert judge_entry("6.93", 4 * S3, WEBWORK).correct
    assert not judge_entry("6.92", 4 * S3, WEBWORK).correct
    assert judge_entry("3.14", pi, PRAIRIELEARN).correct
    assert judge_entry("3.14", pi, WEBWORK).correct  # 0.0016 <= 0.001·π
    assert not judge_entry("3.135", pi, WEBWORK).correct
    assert judge_entry("3.135", pi, PRAIRIELEARN).correct
    # mixed radicands and pi go through the general path
    assert judge_entry("1.41", sqrt(2), PRAIRIELEARN).correct
    assert not judge_entry("sqrt(3)", sqrt(2), PRAIRIELEARN).correct


def test_exact_mode():
    ex = Tolerance("exact")
    assert judge_entry("-\\frac{\\sqrt{3}}{3}", -1 / S3, ex).correct
    assert not judge_entry("-0.577350269", -S3 / 3, ex).correct
    assert judge_entry("1.5", Rational(3, 2), ex).correct
    assert "must equal" in judge_entry("1.66", Rational(5, 3), ex).reason


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"mode": "fuzzy"}, "tolerance"),
        ({"mode": "decimals"}, "digits"),
        ({"mode": "decimals", "digits": -1}, "digits"),
        ({"mode": "sigfigs", "digits": 0}, "digits"),
        ({"mode": "sigfigs", "digits": 2.0}, "digits"),
        ({"mode": "decimals", "digits": True}, "digits"),
        ({"mode": "implied", "digits": 2}, "digits"),
        ({"mode": "relative", "rtol": -0.1}, "rtol"),
        ({"mode": "relative", "rtol": float("nan")}, "rtol"),
        ({"mode": "relative", "atol": "abc"}, "atol"),
        ({"mode": "relative", "atol": [1]}, "atol"),
        ({"mode": "implied", "rtol": 0.1}, "tolerance"),
        ({"mode": "relative", "last_place_slack": True}, "last_place_slack"),
    ],
)
def test_tolerance_validation(kwargs, field):
    with pytest.raises(InputError) as err:
        Tolerance(**kwargs)
    assert err.value.field == field


def test_tolerance_numbers_are_exact():
    tol = Tolerance("relative", rtol=0.001, atol="1e-12")
    assert tol.rtol == Fraction(1, 1000) and tol.atol == Fraction(1, 10**12)
    assert Tolerance("relative", rtol=Rational(1, 50)).rtol == Fraction(1, 50)
    with pytest.raises(AttributeError):
        tol.mode = "exact"


def test_shape_mismatch_is_a_verdict():
    verdict = judge("[1, 2, 3]", [[1, 2], [3, 4]])
    assert isinstance(verdict, Verdict)
    assert not verdict.correct and verdict.score == 0 and verdict.entries == ()
    assert verdict.reason == ("shape mismatch: the answer has shape (3,), "
                              "the exact answer has shape (2, 2)")
    assert judge("[[1, 2]]", [[1, 2], [3, 4]]).reason.startswith("shape mismatch")
    assert judge("5", [5, 6]).reason.startswith("shape mismatch")


def test_vectors_may_be_rows_or_columns():
    assert judge("[[1, 2, 3]]", [1, 2, 3]).correct
    assert judge("\\begin{bmatrix} 1 \\\\ 2 \\\\ 3 \\end{bmatrix}", [1, 2, 3]).correct
    verdict = judge("[1, 2.1, 3]", sympy.Matrix([[1, 2, 3]]))
    assert [e.index for e in verdict.wrong] == [(0, 1)]
    assert judge("[5]", 5).correct
    assert judge("5", Integer(5)).reason == "correct"


def test_exact_inputs():
    assert judge("[0.33]", ["1/3"]).correct  # exact text goes through the safe parser
    assert judge("0.5", Fraction(1, 2)).correct
    assert judge("[1, 2]", (1, 2)).correct
    assert judge("[1, 2]", sympy.ImmutableMatrix([1, 2])).correct
    with pytest.raises(InputError):
        judge("0.5", 0.5)  # floats are not exact values
    with pytest.raises(InputError):
        judge("0.5", sympy.Float(0.5))
    with pytest.raises(InputError):
        judge("[1, 2]", [[1, 2], [3]])
    with pytest.raises(InputError):
        judge("1", sympy.Symbol("x"))


def test_judge_entry_accepts_plain_values():
    assert judge_entry(Rational(5, 3), Rational(5, 3)).correct
    assert judge_entry(2, 2).correct
    assert not judge_entry(Fraction(166, 100), Rational(5, 3)).correct  # exact, not decimal
    assert judge_entry("1.67", "5/3").correct


def test_frozen_verdicts():
    verdict = judge(SEED_ANSWER, SEED_EXACT)
    with pytest.raises(AttributeError):
        verdict.correct = True
    with pytest.raises(AttributeError):
        verdict.entries[0].correct = False


def test_judging_is_fast():
    answer = parse_answer(SEED_ANSWER)
    judge(answer, SEED_EXACT)
    start = time.perf_counter()
    for _ in range(20):
        judge(answer, SEED_EXACT)
    per_entry = (time.perf_counter() - start) / (20 * 12)
    assert per_entry < 0.002  # ~0.05 ms measured; generous for loaded CI machines
