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
