"""Printed answers against exact ones: the seed's rounding errors, found and explained.

The exact values are computed here independently, with SymPy straight from the
definitions (row/column mean, population variance), not through derive's kinds.
"""

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import sympy
from sympy import Matrix, Rational, sqrt

from derive.compare import (compare_printed, erratum_notes, load_printed, parse_printed, report_dict,
                            report_text)
from derive.errors import InputError
from derive.worksheet import load_worksheet, solve_worksheet

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "normalization-regularization.toml"
PRINTED = ROOT / "examples" / "seed-printed.toml"


def normalize_rows(X, gamma, beta):
    out = []
    for row in X.tolist():
        n = len(row)
        mu = Rational(sum(row), n)
        var = sum((x - mu) ** 2 for x in row) / n
        out.append([sympy.radsimp((x - mu) / sqrt(var) * g + b) for x, g, b in zip(row, gamma, beta)])
    return Matrix(out)


LN = normalize_rows(Matrix([[4, 4, 8, 8], [0, 2, 2, 8], [1, 1, 1, 5]]), [1, 2, 3, 4], [0, -1, 1, 0])
BN = normalize_rows(Matrix([[2, 2, 1, 1], [2, 5, 4, 1], [5, 5, 10, 10]]).T, [1] * 3, [0] * 3)
BN = Matrix([[sympy.radsimp(BN[j, i] * g + b) for j, (g, b) in enumerate(zip([1, 2, 3, 4], [0, -1, 1, 0]))]
             for i in range(3)])

LN_PRINTED = [["-1", "-3", "4", "4"], ["-1", "-1.66", "0.01", "6.68"], ["-0.58", "-2.16", "-0.74", "6.92"]]
BN_PRINTED = [["-0.71", "-3.82", "-2.21", "-2.84"], ["-0.71", "0.42", "0.19", "-2.84"],
              ["1.41", "0.42", "5.02", "5.64"]]


def rounded(x, places: int) -> Decimal:
    """Half-up rounding of the exact value, from 60 correct digits (no ties occur here)."""
    return Decimal(str(sympy.N(x, 60))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def expected(exact: Matrix, printed):
    out = {}
    for i, row in enumerate(printed):
        for j, p in enumerate(row):
            places = max(0, -Decimal(p).as_tuple().exponent)
            if rounded(exact[i, j], places) != Decimal(p):
                out[(i, j)] = (p, exact[i, j], rounded(exact[i, j], places))
    return out


@pytest.fixture(scope="module")
def solved():
    return solve_worksheet(load_worksheet(SEED), checks="none")


@pytest.fixture(scope="module")
def comparisons(solved):
    return {c.label: c for c in compare_printed(solved, load_printed(PRINTED))}


def test_the_independent_values_are_the_seed_problems():
    assert LN[1, :].tolist() == [[-1, Rational(-5, 3), 0, Rational(20, 3)]]
    assert sympy.simplify(BN[0, 1] - (-2 * sqrt(2) - 1)) == 0


@pytest.mark.parametrize("label, exact, printed", [("2a", LN, LN_PRINTED), ("3a", BN, BN_PRINTED)])
def test_every_discrepancy_is_found_with_exact_value_and_correct_rounding(comparisons, label, exact, printed):
    want = expected(exact, printed)
    got = comparisons[label]
    assert got.entries == 12
    assert {d.index: d for d in got.discrepancies}.keys() == want.keys()
    for d in got.discrepancies:
        p, x, r = want[d.index]
        assert d.printed == p
        assert sympy.simplify(sympy.sympify(d.exact) - x) == 0
        assert Decimal(d.rounded) == r
        assert d.mistake == "rounded_intermediates" and "Rounded x̂ to 2 decimals" in d.cause


def test_the_known_seed_errors_are_reported(comparisons):
    ln = {d.index: (d.printed, d.rounded) for d in comparisons["2a"].discrepancies}
    assert ln[(1, 2)] == ("0.01", "0.00") and ln[(1, 3)] == ("6.68", "6.67")
    assert ln[(2, 1)] == ("-2.16", "-2.15") and ln[(2, 2)] == ("-0.74", "-0.73") and ln[(2, 3)] == ("6.92", "6.93")
    bn = {d.index: (d.printed, d.rounded) for d in comparisons["3a"].discrepancies}
    assert bn[(0, 1)] == ("-3.82", "-3.83") and bn[(2, 2)] == ("5.02", "5.01")
    assert bn[(1, 1)] == ("0.42", "0.41") and bn[(1, 2)] == ("0.19", "0.20")
    assert bn[(0, 3)] == ("-2.84", "-2.83") and bn[(2, 3)] == ("5.64", "5.66")


def test_correct_printed_answers_agree(comparisons):
    for label in ("1c", "1d", "4a", "4b", "4c"):
        assert comparisons[label].discrepancies == ()


def test_reports(comparisons):
    text = report_text(tuple(comparisons.values()), "seed-printed.toml")
    assert "2a  LayerNorm(X) (output): 12 entries, 6 differ" in text
    assert "row 2, column 4: printed 6.68, exact 20/3 ≈ 6.67" in text
    assert "row 1, column 2: printed -3.82, exact -1 - 2√2 ≈ -3.83" in text
    assert "likely cause (all): Rounded x̂" in text and "[rounded_intermediates]" in text
    assert "14 printed values differ" in text
    data = report_dict(tuple(comparisons.values()))
    assert data["discrepancies"] == 14
    notes = erratum_notes(tuple(comparisons.values()))
    assert set(notes) == {"2a", "3a"} and "6.68 (row 2, column 4)" in notes["2a"][0]


def test_generic_causes(solved):
    printed = parse_printed('''
[[answers]]
part = "2a"
value = [[-1, -3, 4, 4], [-1, -1.66, 0, "6.66"], [-0.57, -2.15, -0.73, "5/3"]]
''')
    (c,) = compare_printed(solved, printed)
    causes = {d.index: d.cause for d in c.discrepancies}
    assert causes[(1, 3)].startswith("Truncated instead of rounded")  # 20/3 → 6.66
    assert causes[(2, 0)].startswith("Truncated")                     # −0.577… → −0.57
    assert causes[(2, 3)].startswith("No known mistake")              # 5/3 vs 4√3, exact form


@pytest.mark.parametrize("text, message", [
    ('[[answers]]\npart = "9z"\nvalue = 1', "the worksheet has no such part"),
    ('[[answers]]\npart = "2b"\nvalue = 1', "is not a computed part"),
    ('[[answers]]\npart = "2a"\nvalue = [1, 2]', "has shape [2] but output has shape [3, 4]"),
    ('[[answers]]\npart = "4a"\nresult = "y_dorp"\nvalue = 8', "unknown result 'y_dorp'"),
    ('[[answers]]\npart = "4a"\nvalue = true', "expected a number, got true"),
    ('[[answers]]\npart = "4a"\nvalue = "eight"', "not a number"),
    ('[[answers]]\npart = "4a"\nvalue = nan', "must be a finite number"),
    ('[[answers]]\npart = "4a"\nvaleu = 8', "unknown key 'valeu' (did you mean 'value'?)"),
    ('answers = []', "add at least one [[answers]]"),
])
def test_bad_printed_files(solved, text, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
                       .replace(")", r"\)").replace("?", r"\?")):
        compare_printed(solved, parse_printed(text))
