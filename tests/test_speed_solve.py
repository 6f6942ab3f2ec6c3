"""Fast paths in drawing, solving and checking a variant, each against the plain path it replaces.

Every fast path must give the very same values (Fractions equal, floats bit for bit), since
the key, the solutions and the numeric checks' printed errors come from them.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pytest

from derive.kinds import dropout as D
from derive.params import build


def _same_float(a, b) -> bool:
    """Bit for bit (NaN equal to NaN, −0.0 unequal to +0.0), and the same kind of number."""
    return type(a) is type(b) and np.array_equal(np.float64(a).view(np.int64), np.float64(b).view(np.int64))


def _dropout_params(rng: random.Random) -> D.DropoutParams:
    n = rng.randint(1, 12)
    x = [rng.choice((rng.randint(-9, 9), Fraction(rng.randint(-20, 20), rng.randint(1, 7)))) for _ in range(n)]
    w = [rng.choice((1, 0, -1, -2, 3, Fraction(1, 3))) for _ in range(n)]
    p = rng.choice((Fraction(1, 2), Fraction(3, 4), Fraction(1, 3), Fraction(1, 10), Fraction(5, 6), Fraction(0),
                    Fraction(1)))
    mask = [rng.randint(0, 1) for _ in range(n)]
    if p == 0:
        mask = [1] * n
    if p == 1:
        mask = [0] * n
    return build(D.DropoutParams, {"x": x, "w": w, "p": p, "mask": mask})


@pytest.mark.parametrize("seed", range(300))
def test_dropout_reference_by_every_mask_is_the_given_masks_path(seed):
    p = _dropout_params(random.Random(seed))
    x, m, w, drop = D._arrays(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        fast = D._by_every_mask(x, w, drop, p.mask)
        plain = D._by_given_masks(x, m, w, drop)
    if fast is None:
        assert not 0 < drop < 1 or len(x) > 12
        return
    assert fast.keys() == plain.keys()
    for k in plain:
        assert _same_float(fast[k], plain[k]), (k, fast[k], plain[k])


def test_dropout_mask_column_is_the_enumeration_column():
    for n in range(1, 8):
        masks, _ = D._all_masks(n)
        for k in range(2**n):
            assert D._mask_column([int(v) for v in masks[:, k]]) == k


@pytest.mark.parametrize("seed", range(200))
def test_dropout_monte_carlo_sums_by_column_are_the_matrix_product(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 12)
    drop = rng.choice((Fraction(1, 2), Fraction(3, 4), Fraction(1, 3), Fraction(9, 10)))
    pick = rng.random()
    if pick < 0.5:  # the fast path's domain: whole numbers ≥ 0
        a = np.array([float(rng.randint(0, 30)) for _ in range(n)])
    elif pick < 0.8:  # outside it: negative, −0.0, fractional
        a = np.array([rng.choice((-3.0, -0.0, 0.0, 2.5, 7.0, 1 / 3)) for _ in range(n)])
    else:
        a = np.array([2.0**60, 2.0**60] + [1.0] * (n - 2))[:n]
    fast = list(D._mc_sums(a, drop, D.MC_SAMPLES, n, D.MC_SEED))
    plain = [kept @ a for kept in D._mc_masks(drop, D.MC_SAMPLES, n, D.MC_SEED)]
    assert len(fast) == len(plain)
    for f, g in zip(fast, plain):
        assert f.dtype == g.dtype and np.array_equal(f.view(np.int64), g.view(np.int64))


def plain_monte_carlo(p: D.DropoutParams, detail: str):
    """Dropout's Monte Carlo check as the product-based loop computes it, sample by sample
    (None where the check is skipped: no exact expectation to compare with)."""
    x, _, w, drop = D._arrays(p)
    n = len(x)
    samples = max(1000, min(D.MC_SAMPLES, D._MC_MAX_DRAWS // max(n, 1)))
    exact = D._exact_E_corr(p)
    if exact is None:
        return None
    total = total_sq = 0.0
    for kept in D._mc_masks(D.drop_probability(p), samples, n, D.MC_SEED):
        y = kept @ (w * x) / (1 - drop)
        total += y.sum()
        total_sq += (y * y).sum()
    mean = total / samples
    se = math.sqrt(max(total_sq / samples - mean * mean, 0.0) / samples)
    return D._mc_check("numpy:monte_carlo", detail, samples, exact, mean, se, D.MC_SEED)


def assert_monte_carlo_is_plain(got, p: D.DropoutParams) -> None:
    expected = plain_monte_carlo(p, got.detail)
    if expected is None:
        assert got.note.startswith("skipped")
    else:
        assert got == expected


@pytest.mark.parametrize("seed", range(40))
def test_dropout_monte_carlo_check_is_unchanged(seed):
    """The whole check (its printed estimate included) against the product-based loop."""
    p = _dropout_params(random.Random(1000 + seed))
    assert_monte_carlo_is_plain(D.monte_carlo(p), p)


# -- Fractions built from integers ------------------------------------------------------
def test_rational_is_the_fraction():
    from derive.exact import rational

    rng = random.Random(5)
    for _ in range(20_000):
        n = rng.choice((0, rng.randint(-50, 50), rng.randint(-10**30, 10**30)))
        d = rng.choice((1, rng.randint(1, 60), rng.randint(1, 10**25)))
        got, want = rational(n, d), Fraction(n, d)
        assert type(got) is Fraction
        assert (got.numerator, got.denominator) == (want.numerator, want.denominator)
        assert got == want and hash(got) == hash(want) and repr(got) == repr(want)
    assert rational(7) == Fraction(7) and rational(7).denominator == 1


def test_dropout_over_keep_is_the_division():
    rng = random.Random(6)
    for _ in range(5000):
        q = Fraction(rng.randint(-99, 99), rng.randint(1, 12))
        keep = Fraction(rng.randint(1, 30), rng.randint(1, 30))
        got = D._over(q, keep)
        assert type(got) is Fraction and (got.numerator, got.denominator) == ((q / keep).numerator, (q / keep).denominator)


def test_solution_level_denominators_are_the_fractions():
    from derive.exact import Surd
    from derive.kinds.sampling import _denominator

    rng = random.Random(7)
    for _ in range(3000):
        b = Fraction(rng.randint(-20, 20), rng.randint(1, 9))
        v = rng.choice((b, Surd(b, Fraction(rng.randint(-5, 5), rng.randint(1, 4)), rng.choice((2, 3, 5))),
                        rng.randint(-9, 9)))
        assert _denominator(v) == Fraction(v.b if isinstance(v, Surd) else v).denominator


# -- the numeric path ----------------------------------------------------------------
@pytest.mark.parametrize("seed", range(100))
def test_definitions_mean_is_numpy_mean(seed):
    from derive import definitions

    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 9, size=rng.integers(1, 4)))
    x = rng.normal(size=shape) * 10.0 ** rng.integers(-5, 6)
    if seed % 3 == 0:
        x = np.round(x) / 7
    for axis in range(-len(shape), len(shape)):
        for got, want in ((definitions.mu(x, axis), np.mean(x, axis=axis, keepdims=True)),
                          (definitions.Var(x, axis),
                           np.mean((x - np.mean(x, axis=axis, keepdims=True)) ** 2, axis=axis, keepdims=True))):
            assert got.shape == want.shape and np.array_equal(got.view(np.int64), want.view(np.int64))


def test_floats_and_to_float_as_through_a_surd():
    from derive.exact import Surd, _as_surd, floats, to_float

    rng = random.Random(8)
    values = [Fraction(rng.randint(-10**20, 10**20), rng.randint(1, 10**15)) for _ in range(2000)]
    values += [rng.randint(-10**20, 10**20) for _ in range(200)]
    surds = [Surd(v, Fraction(rng.randint(-9, 9), rng.randint(1, 9)), rng.choice((2, 3, 7))) for v in values[:500]]
    assert floats(values) == [to_float(_as_surd(v)) for v in values]
    assert floats(surds) == [to_float(s) for s in surds]


def test_compare_flattening_is_nested_flatten():
    from derive.nested import flatten
    from derive.numerics import _flat

    cases = [Fraction(1), (Fraction(1), 2), ((1, 2), (3, 4)), ((1, (2, 3)), (4,)), (), ((),), (((1,),),)]
    for value in cases:
        assert _flat(value) == list(flatten(value))


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_model_size_reference_in_one_array_is_tensor_by_tensor(difficulty):
    from derive.kinds import model_size

    for seed in range(200, 400):
        p = model_size.generate(random.Random(seed), difficulty)
        fast, slow = model_size.reference(p), model_size._reference_by_tensor(p)
        assert fast.keys() == slow.keys()
        for k in slow:
            assert type(fast[k]) is type(slow[k]) and np.asarray(fast[k]).shape == np.asarray(slow[k]).shape
            assert np.array_equal(np.asarray(fast[k]).view(np.int64), np.asarray(slow[k]).view(np.int64))


# -- hand-written dataclass __init__s ----------------------------------------------------
@pytest.mark.parametrize("name", ["Relation", "Step", "Result", "Check", "Solution"])
def test_model_inits_are_the_dataclass_fields(name):
    import dataclasses
    import inspect

    from derive import model

    cls = getattr(model, name)
    fields = dataclasses.fields(cls)
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields):
        want = f.default if f.default is not dataclasses.MISSING else inspect.Parameter.empty
        assert p.default == want
    values = [(f.name, (f.name, k)) for k, f in enumerate(fields)]
    if name == "Relation":
        values[1] = ("forms", ("a", "b"))
    by_position = cls(*(v for _, v in values))
    by_keyword = cls(**dict(values))
    assert by_position == by_keyword and [getattr(by_keyword, k) for k, _ in values] == [v for _, v in values]
    assert dataclasses.replace(by_keyword) == by_keyword and hash(by_keyword) == hash(by_position)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(by_keyword, fields[0].name, 1)


def test_relation_still_refuses_forms_that_are_not_a_tuple():
    from derive.model import Relation

    for bad in ([1], (), None):
        with pytest.raises(TypeError):
            Relation("x", bad)


def test_moments_init_is_the_dataclass_fields():
    import dataclasses
    import inspect

    from derive.kinds.normalization import Moments, moments

    params = list(inspect.signature(Moments.__init__).parameters)[1:]
    assert params == [f.name for f in dataclasses.fields(Moments)]
    m = moments((Fraction(1), Fraction(2), Fraction(4)))
    assert dataclasses.replace(m) == m and m.deviations == (Fraction(-4, 3), Fraction(-1, 3), Fraction(5, 3))


@pytest.mark.parametrize("seed", range(50))
def test_layer_hashes_agree_with_equality(seed):
    from derive.modelsize.layers import BatchNorm1d, BatchNorm2d, LayerNorm

    rng = random.Random(seed)
    eps = [Fraction(1, 100000), Fraction(1, 10), 0, Fraction(2, 4), Fraction(1, 2)]
    for cls in (LayerNorm, BatchNorm1d, BatchNorm2d):
        made = []
        for _ in range(20):
            kw = {"eps": rng.choice(eps)}
            if cls is LayerNorm:
                kw.update(normalized_shape=rng.choice((4, 8)), elementwise_affine=rng.random() < 0.5)
            else:
                kw.update(num_features=rng.choice((4, 8)), momentum=rng.choice((None, Fraction(1, 10), 0)))
            made.append(cls(**kw, name=rng.choice((None, "a", "b"))))
        for a in made:
            for b in made:
                assert (a == b) <= (hash(a) == hash(b))
    assert LayerNorm.__hash__ is not BatchNorm1d.__hash__ and BatchNorm1d.__hash__ is BatchNorm2d.__hash__
