"""numerics.compare: exact entries against floats, with the float conversion `to_float` defines."""

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy

from derive.exact import Surd, to_float
from derive.kinds.normalization import Undefined
from derive.numerics import compare

_EXACT = (
    (Fraction(1, 3), Fraction(-7, 2)),
    (3, Surd(1, Fraction(-2, 3), 3)),
    (Surd(Fraction(5, 4)), sympy.Rational(2, 7)),
)


def _slow(exact, numeric, rtol=1e-9):
    """The comparison written plainly: every entry through to_float."""
    worst, ok = 0.0, True
    for e, x in zip([v for row in exact for v in row], np.ravel(numeric)):
        f = float(e) if isinstance(e, sympy.Basic) else to_float(e)
        err = abs(f - float(x))
        worst = max(worst, err)
        ok &= err <= rtol * max(1.0, abs(f))
    return worst, bool(ok)


@pytest.mark.parametrize("shift", [0.0, 1e-12, 1e-6, -3.0])
def test_compare_matches_the_plain_loop(shift):
    numeric = [[to_float(v) if not isinstance(v, sympy.Basic) else float(v) for v in row] for row in _EXACT]
    numeric = np.array(numeric) + shift
    worst, ok, note = compare(_EXACT, numeric)
    assert (worst, ok) == _slow(_EXACT, numeric) and note == ""
    assert type(worst) is float and type(ok) is bool


def test_undefined_entries_must_be_non_finite():
    exact = (Fraction(1, 2), Undefined("σ² = 0"))
    assert compare(exact, [0.5, math.nan]) == (0.0, True, "1 undefined entries are non-finite numerically, as expected")
    assert compare(exact, [0.5, 1.0])[1] is False


def test_nan_numeric_fails_and_shape_mismatch_is_reported():
    worst, ok, _ = compare((Fraction(1, 2), 3), [math.nan, 3.0])
    assert not ok and worst == 0.0  # max(worst, nan) keeps worst, as before
    assert compare((1, 2), [1.0])[:2] == (math.inf, False)
