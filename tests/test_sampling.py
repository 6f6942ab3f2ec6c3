"""Seeded LayerNorm/BatchNorm variants: reproducible, distinct, and as nice as promised."""

import random

import pytest
from hypothesis import given, settings, strategies as st

from derive.errors import InputError
from derive.exact import Surd
from derive.kinds import batchnorm, layernorm
from derive.kinds.normalization import Undefined, moments

KINDS = [layernorm, batchnorm]


def _flat(rows):
    return [v for row in rows for v in row]


def _is_surd(v):
    return isinstance(v, Surd) and v.c != 0


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_problem(kind):
    assert kind.generate(random.Random(7), "hard") == kind.generate(random.Random(7), "hard")
    assert kind.generate(random.Random(7), "hard") != kind.generate(random.Random(8), "hard")


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**9), difficulty=st.sampled_from(["easy", "medium", "hard"]),
       kind=st.sampled_from(KINDS))
def test_variants_keep_their_promise(seed, difficulty, kind):
    p = kind.generate(random.Random(seed), difficulty)
    out = _flat(kind.solve(p).results[0].value)
    vectors = p.X if kind is layernorm else tuple(zip(*p.X))
    assert len(set(vectors)) == len(vectors)                      # distinct rows / columns
    assert all(moments(v).var > 0 for v in vectors)               # never a zero variance with ε = 0
    assert not any(isinstance(v, Undefined) for v in out)
    if difficulty == "easy":
        assert not any(_is_surd(v) for v in out)
        assert all(v.b.denominator == 1 for v in out)             # integers: integer means, square variances
    elif difficulty == "medium":
        assert not any(_is_surd(v) for v in out)
        assert any(v.b.denominator != 1 for v in out)
    else:
        assert any(_is_surd(v) for v in out)


def test_unknown_difficulty_is_an_input_error():
    with pytest.raises(InputError, match="difficulty: must be one of easy, medium, hard"):
        layernorm.generate(random.Random(0), "brutal")


@pytest.mark.parametrize("length", [3, 4, 5])
def test_easy_table_is_exactly_the_easy_vectors(length):
    # the directly built table equals brute force over every vector in [0, 10]^length
    import itertools
    from fractions import Fraction

    from derive.kinds.sampling import _easy_vectors, _vector_level

    brute = [v for v in (tuple(map(Fraction, x)) for x in itertools.product(range(11), repeat=length))
             if _vector_level(v) == "easy"]
    assert list(_easy_vectors(length, 0, 10)) == sorted(brute)
    assert (length == 4) == bool(brute)      # odd lengths never do: Σeᵢ and Σeᵢ² have the same parity
