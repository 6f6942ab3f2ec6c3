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
            expected = tuple(relation_latex(rel, precision))
        except InputError:  # a SymPy float after ≈: refused, and not kept
            with pytest.raises(InputError):
                _relation_rows(rel, precision)
            continue
        assert _relation_rows(rel, precision) == expected
        assert _relation_rows(rel, precision) == expected  # kept
        assert _relation_rows(replace(rel), precision) == expected
        other = _precision(rng)
        try:
            assert _relation_rows(rel, other) == tuple(relation_latex(rel, other))
        except InputError:
            pass
