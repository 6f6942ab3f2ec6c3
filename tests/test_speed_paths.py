"""The fast paths of the solve and check stages give exactly what the plain paths give."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest

from derive.exact import Surd, exact_str, floats, to_float
from derive.kinds import dropout, model_size
from derive.numerics import compare


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_model_size_reference_batched_equals_tensor_by_tensor(difficulty):
    for seed in range(150):
        p = model_size.generate(random.Random(seed), difficulty)
        fast, slow = model_size.reference(p), model_size._reference_by_tensor(p)
        assert fast.keys() == slow.keys()
        for k in slow:
            assert type(fast[k]) is type(slow[k])
            assert np.asarray(fast[k]).shape == np.asarray(slow[k]).shape
            assert np.array_equal(fast[k], slow[k])


def test_model_size_reference_falls_back_beyond_exact_floats():
    assert not model_size._float_exact([(2**30, 2**30)])
    assert not model_size._float_exact([(3, 0)])
    assert model_size._float_exact([(52, 128), (128,)], [], [(4, 52)])


def test_exact_str_and_to_float_of_rationals_as_through_a_surd():
    for q in (Fraction(0), Fraction(-5, 3), Fraction(7), Fraction(1, 10**30 + 7)):
        assert exact_str(q) == exact_str(Surd(q))
        assert to_float(q) == float(q) == to_float(Surd(q))
    assert exact_str(12) == "12" and to_float(12) == 12.0
    assert floats([Fraction(1, 3), 2]) == [float(Fraction(1, 3)), 2.0]


def test_compare_scalar_path_as_array_path():
    for exact, num in ((Fraction(1, 3), 1 / 3), (Fraction(1, 3), np.float64(0.3)), (5, 5.0),
                       (Fraction(2), float("nan"))):
        fast = compare(exact, num)
        slow = compare((exact,), np.array([num]))
        assert fast[1:] == slow[1:] and (fast[0] == slow[0] or (fast[0] != fast[0] and slow[0] != slow[0]))


def test_dropout_substitutions_are_the_one_unit_forms():
    for convention in ("drop", "keep"):
        g = dropout.verify_identities(1, convention)
        for total, total_sq in ((Fraction(32), Fraction(138)), (Fraction(-7, 3), Fraction(49, 9)),
                                (Fraction(0), Fraction(0)), (Fraction(1), Fraction(1))):
            ex = dropout._substituted_sums(total, total_sq, convention)
            a1 = g.E_y_corr
            assert ex.E_y_drop == g.E_y_drop.xreplace({a1: dropout._sym(total)})
            assert ex.Var_y_corr == g.Var_y_corr.xreplace({a1**2: dropout._sym(total_sq)})


@pytest.mark.parametrize("convention", ["drop", "keep"])
def test_dropout_variance_built_from_its_factors_is_the_substitution(convention):
    import sympy

    g = dropout.verify_identities(1, convention)
    values = [Fraction(v) for v in range(0, 700)] + [Fraction(n, d) for n in range(1, 60) for d in (2, 3, 4, 9, 25)]
    for total_sq in values:
        got = dropout._Var_corr_at(total_sq, convention)
        want = g.Var_y_corr.xreplace({g.E_y_corr**2: dropout._sym(total_sq)})
        assert got == want and sympy.srepr(got) == sympy.srepr(want)
        assert str(got) == str(want) and sympy.latex(got) == sympy.latex(want)


def test_dropout_below_is_the_exact_comparison():
    import math

    from derive.kinds.dropout_params import below

    rng = random.Random(5)
    ps = [p for level in dropout._NICE_P.values() for p in level]
    for i in range(20_000):
        u, p = rng.random(), ps[i % len(ps)]
        assert below(u, p) == (u < p)
    for p in ps:
        for u in (float(p), math.nextafter(float(p), 0), math.nextafter(float(p), 1)):
            assert below(u, p) == (u < p)


def test_int_vector_level_is_the_level_of_the_fractions():
    from derive.kinds.sampling import _int_vector_level, _vector_level

    rng = random.Random(11)
    for _ in range(500):
        ints = tuple(rng.randint(0, 10) for _ in range(rng.choice((3, 4))))
        assert _int_vector_level(ints) == _vector_level(tuple(Fraction(i) for i in ints))


def test_model_size_K_times_n_is_the_sympy_product():
    import sympy

    n = model_size._batch_symbol()
    for K in list(range(0, 3000, 7)) + [1, 2, 3, 10**12 + 39]:
        got, want = model_size._times_batch(K), K * n
        assert got == want and sympy.srepr(got) == sympy.srepr(want) and str(got) == str(want)
        assert sympy.latex(got) == sympy.latex(want) and got.is_commutative == want.is_commutative


def test_filled_layers_keep_their_handle():
    from derive.modelsize.spec import parse_layer

    a, b = parse_layer("Linear(52, ?)"), parse_layer("enc = Linear(52, ?)")
    fa, fb = a.filled(out_features=128), b.filled(out_features=128)
    assert fa == fb and fa.name is None and fb.name == "enc" and fa.out_features == 128
    assert a.filled(out_features=128) is fa  # remembered
