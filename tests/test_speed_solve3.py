"""Fast paths of drawing and solving a variant give exactly what the plain paths give."""

from __future__ import annotations

import random

import pytest

from derive.kinds.sampling import randints


@pytest.mark.parametrize("low, high", [(0, 10), (0, 9), (1, 4), (-2, 2), (5, 5), (0, 1), (-7, 100), (0, 2**40)])
def test_randints_draws_what_randint_draws(low, high):
    for seed in range(300):
        plain, fast = random.Random(seed), random.Random(seed)
        count = seed % 13
        assert randints(fast, low, high, count) == [plain.randint(low, high) for _ in range(count)]
        assert fast.getstate() == plain.getstate()  # the same bits used: later draws agree too


def test_randints_falls_back_for_other_generators():
    class Counting(random.Random):
        calls = 0

        def randint(self, a, b):
            Counting.calls += 1
            return super().randint(a, b)

    assert randints(Counting(3), 0, 10, 5) == randints(random.Random(3), 0, 10, 5)
    assert Counting.calls == 5
    with pytest.raises(ValueError):
        randints(random.Random(1), 3, 2, 1)  # an empty range fails as randint fails


# -- exact.py: slot reads and rational() in the float, rounding and square-root paths ---------
from decimal import ROUND_HALF_UP, Decimal, localcontext  # noqa: E402
from fractions import Fraction  # noqa: E402
from math import isqrt  # noqa: E402

from derive.exact import (  # noqa: E402
    Surd, _new, _ZERO, floats, inv_sqrt_parts, round_decimal, sqrt_rational, squarefree_split, to_float,
)


def _random_fraction(rng, big=False):
    top = 10**40 if big else 10**6
    return Fraction(rng.randint(-top, top), rng.randint(1, 10**4 if not big else 10**30))


def test_floats_and_to_float_are_the_correctly_rounded_floats():
    rng = random.Random(11)
    for _ in range(3000):
        q = _random_fraction(rng, big=rng.random() < 0.2)
        n = rng.randint(-10**30, 10**30)
        assert to_float(q) == float(q) and to_float(n) == float(n) and to_float(Surd(q)) == float(q)
        r = rng.choice([2, 3, 5, 6, 7, 10, 1155])
        c = _random_fraction(rng)
        root = Fraction(isqrt(r << 128), 1 << 64)
        s = Surd(q, c, r)
        assert to_float(s) == float(q + c * root) if c else float(q)
        assert floats((q, n, s)) == [float(q), float(n), to_float(s)]


def test_new_surd_with_a_zero_coefficient_is_the_rational():
    rng = random.Random(12)
    for _ in range(500):
        b = _random_fraction(rng)
        x = _new(b, Fraction(0), rng.choice([2, 3, 5]))
        assert (x.b, x.c, x.r) == (b, _ZERO, 1) and x == Surd(b)
        c = _random_fraction(rng) or Fraction(1)
        y = _new(b, c, 3)
        assert (y.b, y.c, y.r) == (b, c, 3) and y == Surd(b, c, 3)


def test_square_roots_are_the_plain_fraction_formulas():
    rng = random.Random(13)
    for _ in range(3000):
        v = abs(_random_fraction(rng)) or Fraction(1)  # small: squarefree_split factors n·d
        s, r = squarefree_split(v.numerator * v.denominator)
        c, r2 = inv_sqrt_parts(v)
        assert (c, r2) == (Fraction(v.denominator, s * r), r) and type(c) is Fraction
        root = sqrt_rational(v)
        assert root == (Surd(0, Fraction(s, v.denominator), r) if r != 1 else Surd(Fraction(s, v.denominator)))
        assert (root.c * r if r != 1 else root.b) * c == 1  # √v · (1/√v)


def test_rounding_reads_the_same_terms():
    rng = random.Random(14)
    with localcontext() as ctx:
        ctx.prec = 90
        for _ in range(2000):
            b, c = _random_fraction(rng), _random_fraction(rng) if rng.random() < 0.7 else Fraction(0)
            r = rng.choice([2, 3, 5, 6, 7, 10, 1155])
            x = Surd(b, c, r)
            places = rng.randint(0, 8)
            exact = Decimal(b.numerator) / Decimal(b.denominator) + \
                Decimal(c.numerator) / Decimal(c.denominator) * Decimal(r).sqrt()
            expected = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
            got = Decimal(round_decimal(x, places))
            assert got == expected or (got == 0 and expected == 0)


def test_square_root_signs_and_rational_parts_from_the_slots():
    from derive.exact import _rational_parts

    rng = random.Random(16)
    for _ in range(1000):
        q = _random_fraction(rng) or Fraction(-1, 3)
        if q < 0:
            with pytest.raises(ValueError):
                sqrt_rational(q)
            with pytest.raises(ZeroDivisionError):
                inv_sqrt_parts(q)
        n = rng.randint(-10**20, 10**20)
        assert _rational_parts(q) == (q.numerator, q.denominator) and _rational_parts(n) == (n, 1)
        assert _rational_parts(Surd(q)) == (q.numerator, q.denominator)
        assert _rational_parts(Surd(q, q, 5)) is None
    assert sqrt_rational(Fraction(0)) == Surd(0) and sqrt_rational(0) == Surd(0)
    with pytest.raises(ZeroDivisionError):
        inv_sqrt_parts(Fraction(0))
