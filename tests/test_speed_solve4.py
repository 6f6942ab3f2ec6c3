"""Fast paths of solving and checking a variant give exactly what the plain paths give."""

from __future__ import annotations

import dataclasses
import math
import pickle
import random
from fractions import Fraction

import numpy as np
import pytest

from derive import forms, model
from derive.exact import Surd
from derive.kinds.normalization import Moments, moments
from derive.numerics import compare

# -- hand-written __init__ of the frozen dataclasses: the instance dict, as the generated one --
_CLASSES = [forms.Sym, forms.Add, forms.Sub, forms.Mul, forms.Div, forms.Sqrt, forms.Pow, forms.Vec,
            forms.Mat, forms.Call, forms.Words, model.Relation, model.Step, model.Result, model.Check,
            model.Solution, Moments]


def _plain(cls, values: dict):
    """What the dataclass-generated frozen __init__ does: object.__setattr__ per field, in order."""
    obj = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


def _random_value(rng):
    return rng.choice([rng.randint(-9, 9), Fraction(rng.randint(-9, 9), rng.randint(1, 9)), "x", None,
                       (rng.randint(0, 3), "y")])


@pytest.mark.parametrize("cls", _CLASSES, ids=lambda c: c.__name__)
def test_hand_written_init_stores_what_the_plain_init_stores(cls):
    rng = random.Random(cls.__name__)
    names = [f.name for f in dataclasses.fields(cls)]
    for _ in range(200):
        values = {n: _random_value(rng) for n in names}
        if cls is model.Relation:
            values["forms"] = (values["forms"],)
        fast = cls(**values)
        plain = _plain(cls, values)
        assert vars(fast) == vars(plain) and list(vars(fast)) == names  # the same fields, in order
        assert fast == plain and repr(fast) == repr(plain)
        if cls is not model.Solution:  # its params may be unhashable in general; here all are hashable
            assert hash(fast) == hash(plain)
        assert dataclasses.replace(fast) == fast and pickle.loads(pickle.dumps(fast)) == fast
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(fast, names[0], 1)


def test_hand_written_init_keeps_defaults_and_checks():
    assert vars(forms.Mul(1, 2)) == {"left": 1, "right": 2, "op": "dot"}
    assert vars(model.Relation(None, (1,))) == {"lhs": None, "forms": (1,), "approx": True, "note": "",
                                                   "stacked": False}
    with pytest.raises(TypeError):
        model.Relation(None, [1])
    with pytest.raises(TypeError):
        model.Relation(None, ())
    m = moments((Fraction(1), Fraction(2), Fraction(6)))
    assert m.deviations == (Fraction(-2), Fraction(-1), Fraction(3))  # the cached property still caches
    assert "deviations" in vars(m)


# -- compare: the slot reads and the inlined max give the plain formula's verdict --------------
def _plain_compare(exact_values, numeric, rtol=1e-9):
    worst, ok = 0.0, True
    for e, x in zip(exact_values, np.asarray(numeric, dtype=float).ravel().tolist()):
        f = float(e) if not isinstance(e, Surd) else float(e.b) + float(e.c) * math.sqrt(e.r)
        err = abs(f - x)
        worst = max(worst, err)
        ok = ok and err <= rtol * max(1.0, abs(f))
    return worst, ok


def test_compare_on_rationals_and_ints_is_the_plain_comparison():
    rng = random.Random(4)
    for _ in range(2000):
        values = tuple(rng.choice([Fraction(rng.randint(-10**6, 10**6), rng.randint(1, 10**3)),
                                   rng.randint(-10**9, 10**9)]) for _ in range(rng.randint(1, 6)))
        numeric = [float(v) * (1 + rng.choice([0.0, 1e-12, -3e-10, 2e-9, 1e-6])) for v in values]
        worst, ok, note = compare(values, numeric)
        assert (worst, ok, note) == (*_plain_compare(values, numeric), "")


def test_compare_on_surds_agrees_with_the_plain_comparison():
    rng = random.Random(5)
    for _ in range(500):
        s = Surd(Fraction(rng.randint(-50, 50), rng.randint(1, 9)), Fraction(rng.randint(-50, 50), rng.randint(1, 9)),
                 rng.choice([2, 3, 5, 7]))
        exact = float(s.b) + float(s.c) * math.sqrt(s.r)
        for rel in (0.0, 1e-7):
            worst, ok, _ = compare((s,), [exact * (1 + rel) + rel])
            plain_worst, plain_ok = _plain_compare((s,), [exact * (1 + rel) + rel])
            assert ok == plain_ok and math.isclose(worst, plain_worst, rel_tol=1e-6, abs_tol=1e-13 * max(1.0, abs(exact)))


# -- sampling: the integer level of a drawn vector is `_vector_level`'s ------------------------
def test_integer_vector_level_is_the_exact_level():
    import itertools

    from derive.kinds.sampling import _int_vector_level, _vector_level

    def plain(ints):
        return _vector_level(tuple(Fraction(x) for x in ints))

    fast = _int_vector_level.__wrapped__  # not the memo: every vector computed here
    for length in (3, 4):
        for ints in itertools.product(range(11), repeat=length):
            assert fast(ints) == plain(ints), ints
    rng = random.Random(8)
    for _ in range(3000):
        ints = tuple(rng.randint(-30, 30) for _ in range(rng.randint(1, 9)))
        assert fast(ints) == plain(ints), ints


def test_deviations_are_computed_once_and_equal_the_plain_ones():
    rng = random.Random(9)
    for _ in range(500):
        values = tuple(Fraction(rng.randint(-20, 20), rng.randint(1, 6)) for _ in range(rng.randint(1, 6)))
        m = moments(values)
        first = m.deviations
        assert first == tuple(v - m.mean for v in values)
        assert m.deviations is first and vars(m)["deviations"] is first  # read from the instance dict
    assert Moments.deviations.name == "deviations"


# -- Fractions' slot reads in place of the numerator/denominator properties ----------------------
def _entry(rng):
    """An int, a whole Fraction or a proper one."""
    k = rng.randint(-12, 12)
    return rng.choice([k, Fraction(k), Fraction(k, rng.randint(1, 7))])


def test_products_and_total_with_ints_and_fractions_are_plain_arithmetic():
    from derive.exact import products, total

    rng = random.Random(12)
    for _ in range(3000):
        u = [_entry(rng) for _ in range(rng.randint(0, 6))]
        v = [_entry(rng) for _ in u]
        got = products(u, v)
        assert got == tuple(Fraction(a) * b for a, b in zip(u, v)) and all(type(g) is Fraction for g in got)
        s = total(u)
        assert s == sum(u, Fraction(0)) and type(s) is Fraction


def test_common_denominator_and_scaled_entries_are_plain_arithmetic():
    from derive.kinds.normalization import _over_common_denominator, _scaled

    rng = random.Random(13)
    for _ in range(2000):
        values = [_entry(rng) for _ in range(rng.randint(1, 6))]
        a, D = _over_common_denominator(values)
        assert all(Fraction(n, D) == v for n, v in zip(a, values))
        assert all(v.denominator == 1 or D % v.denominator == 0 for v in map(Fraction, values))
        m = moments(tuple(map(Fraction, values)))
        c = Fraction(rng.randint(1, 9), rng.randint(1, 9))
        gamma = [_entry(rng) for _ in values]
        assert _scaled(m, c, gamma) == [Fraction(e, m.scale) * c * g for e, g in zip(m.centered, gamma)]


def test_dropout_and_batchnorm_helpers_read_the_same_integers():
    from derive.kinds.batchnorm import _blend
    from derive.kinds.dropout import _over
    from derive.kinds.dropout_params import below

    rng = random.Random(14)
    for _ in range(3000):
        q, keep = _entry(rng), Fraction(rng.randint(1, 9), rng.randint(1, 9))
        assert _over(q, keep) == Fraction(q) / keep
        assert _over(Fraction(q), int(keep.numerator)) == Fraction(q) / keep.numerator
        old, batch, m = _entry(rng), _entry(rng), rng.choice([Fraction(1, 10), Fraction(rng.randint(0, 5), 5), 1])
        assert _blend(old, batch, m) == (1 - m) * old + m * batch
        u = rng.random()
        p = rng.choice([Fraction(rng.randint(0, 9), 9), rng.randint(0, 1)])
        assert below(u, p) == (Fraction(u) < p)


def test_layernorm_layer_hash_is_the_hash_of_its_fields():
    from derive.modelsize.layers import LayerNorm

    for eps in (Fraction(1, 100000), Fraction(0), Fraction(3, 7), 2):
        layer = LayerNorm(64, eps=eps)
        e = Fraction(eps)
        assert hash(layer) == hash((64, e.numerator, e.denominator, True, True))
        assert layer == LayerNorm(64, eps=Fraction(eps)) and hash(layer) == hash(LayerNorm(64, eps=Fraction(eps)))


def test_exact_expectation_of_the_corrected_output_is_the_sum_of_products():
    from derive.kinds import dropout as D
    from derive.params import build

    rng = random.Random(15)
    for _ in range(300):
        n = rng.randint(1, 8)
        x = [_entry(rng) for _ in range(n)]
        w = [_entry(rng) for _ in range(n)]
        drop = Fraction(rng.randint(0, 4), 4)
        mask = [int(drop < 1) if drop in (0, 1) else rng.randint(0, 1) for _ in range(n)]
        p = build(D.DropoutParams, {"x": x, "w": w, "p": drop, "mask": mask})
        expected = None if D.drop_probability(p) == 1 else sum((Fraction(a) * b for a, b in zip(w, x)), Fraction(0))
        assert D._exact_E_corr(p) == expected


def test_shifted_rational_entries_are_plain_sums():
    from derive.kinds.normalization import _plus, _shifted

    rng = random.Random(16)
    for _ in range(3000):
        a, b = _entry(rng), _entry(rng)
        got = _plus(a, b)
        assert got == a + b and type(got) is type(a + b)
        scaled = [Fraction(rng.randint(-30, 30), rng.randint(1, 12)) for _ in range(4)]
        beta = [_entry(rng) for _ in scaled]
        assert _shifted(scaled, beta, 1) == tuple(Surd(b + s) for s, b in zip(scaled, beta))
        assert _shifted(scaled, beta, 3) == tuple(Surd(b, s, 3) for s, b in zip(scaled, beta))
