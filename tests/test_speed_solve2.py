"""Fast paths in drawing, solving and checking a variant (second round), each against the
plain path it replaces.

Every fast path must give the very same values (Fractions equal, floats bit for bit, −0.0
kept apart from +0.0), since the key, the solutions and the numeric checks' printed errors
come from them.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pytest

from derive import definitions
from derive.exact import products, total
from derive.kinds import dropout as D
from derive.params import build
from test_speed_solve import assert_monte_carlo_is_plain


def _same_floats(a, b) -> bool:
    """Bit for bit, as arrays of float64 of the same shape (a scalar is a 0-d array)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


# -- dropout's numeric path ---------------------------------------------------------------
def _unit_floats(rng: np.random.Generator, n: int) -> np.ndarray:
    """n floats of the kinds that matter for rounding: fractions, whole numbers, ±0.0, large."""
    pick = rng.integers(0, 4)
    if pick == 0:
        v = rng.normal(size=n) * 10.0 ** rng.integers(-3, 4)
    elif pick == 1:
        v = rng.integers(-9, 10, size=n).astype(float)
    elif pick == 2:
        v = rng.choice([1 / 3, -2 / 7, 0.1, -0.0, 0.0, 5.0, 1e16, -1e-8], size=n)
    else:
        v = rng.integers(0, 10, size=n) / rng.integers(1, 8, size=n)
    if rng.random() < 0.3:
        v[rng.integers(0, n)] = -0.0
    return v


@pytest.mark.parametrize("seed", range(400))
def test_dropout_definitions_on_columns_are_the_definitions(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 13))
    x, w = _unit_floats(rng, n), _unit_floats(rng, n)
    if seed % 10 == 0:
        x[:] = -0.0  # every product ±0: Python's sum turns −0.0 into +0.0
    masks, _ = D._all_masks(n)
    p = np.float64(rng.choice([0.25, 0.75, 1 / 3, 0.1, 5 / 6, 0.5, 0.0]))
    y, y_corr = D._definitions_on_columns(x, w, masks, p)
    assert _same_floats(y, definitions.dropout(x, masks, w))
    assert _same_floats(y_corr, definitions.dropout_corrected(x, masks, w, p))


def test_dropout_row_sum_is_pythons_sum():
    rng = np.random.default_rng(1)
    for n in range(1, 14):
        rows = rng.normal(size=(n, 5)) * 10.0 ** rng.integers(-8, 9, size=(n, 1))
        rows[0, 0] = -0.0
        rows[:, 1] = -0.0
        assert _same_floats(D._row_sum(rows), sum(rows[i] for i in range(n)))


def test_dropout_sum_is_np_sum():
    rng = np.random.default_rng(2)
    for n in (1, 2, 7, 8, 9, 100, 256, 4096):
        a = rng.normal(size=n) * 10.0 ** rng.integers(-8, 9, size=n)
        got = D._sum(a)
        assert type(got) is type(np.sum(a)) and _same_floats(got, np.sum(a))


def _whole_nonnegative_numpy(a) -> bool:
    """The numpy version `_whole_nonnegative` replaced."""
    return bool(not np.signbit(a).any() and (a == np.floor(a)).all() and a.sum() < D._EXACT_FLOATS)


def test_dropout_whole_nonnegative_is_the_numpy_test():
    rng = random.Random(3)
    pool = [0.0, -0.0, 1.0, 7.0, 2.5, -3.0, 1 / 3, 2.0**52, 2.0**53, 2.0**53 - 1, 1e300, math.inf, -math.inf,
            math.nan, 4.0, 9.0]
    for _ in range(5000):
        a = np.array([rng.choice(pool) for _ in range(rng.randint(1, 12))])
        assert D._whole_nonnegative(a) == _whole_nonnegative_numpy(a), a
    assert D._whole_nonnegative(np.array([2.0**52, 2.0**52])) is False   # the sum reaches 2⁵³
    assert D._whole_nonnegative(np.array([2.0, 6.0, 0.0])) is True


def _dropout_params(rng: random.Random) -> D.DropoutParams:
    n = rng.randint(1, 12)
    whole = rng.random() < 0.5
    x = [rng.randint(-9, 9) if whole else rng.choice((rng.randint(-9, 9), Fraction(rng.randint(-20, 20),
                                                                                   rng.randint(1, 7))))
         for _ in range(n)]
    w = [rng.choice((1, 0, -1, -2, 3) if whole else (1, -2, Fraction(1, 3), Fraction(-5, 2))) for _ in range(n)]
    p = rng.choice((Fraction(1, 2), Fraction(3, 4), Fraction(1, 3), Fraction(1, 10), Fraction(0), Fraction(1)))
    mask = [1] * n if p == 0 else [0] * n if p == 1 else [rng.randint(0, 1) for _ in range(n)]
    return build(D.DropoutParams, {"x": x, "w": w, "p": p, "mask": mask})


def test_dropout_exact_E_corr_is_the_sum_of_products():
    rng = random.Random(4)
    for _ in range(3000):
        p = _dropout_params(rng)
        got = D._exact_E_corr(p)
        if D.drop_probability(p) == 1:
            assert got is None
            continue
        want = total(products(p.w, p.x))
        assert type(got) is Fraction and (got.numerator, got.denominator) == (want.numerator, want.denominator)


@pytest.mark.parametrize("seed", range(120))
def test_dropout_monte_carlo_outputs_are_the_sums_over_keep(seed):
    """`_mc_sums(..., keep)` against `kept @ a` divided by keep afterwards, as it was."""
    rng = random.Random(seed)
    n = rng.randint(1, 12)
    drop = rng.choice((Fraction(1, 2), Fraction(3, 4), Fraction(1, 3), Fraction(9, 10), Fraction(1, 10)))
    keep = 1 - float(drop)
    if seed % 2:  # the cached table's domain: whole numbers ≥ 0
        a = np.array([float(rng.randint(0, 30)) for _ in range(n)])
    else:
        a = np.array([rng.choice((-3.0, -0.0, 0.0, 2.5, 7.0, 1 / 3)) for _ in range(n)])
    fast = list(D._mc_sums(a, drop, D.MC_SAMPLES, n, D.MC_SEED, keep))
    plain = [kept @ a / keep for kept in D._mc_masks(drop, D.MC_SAMPLES, n, D.MC_SEED)]
    assert len(fast) == len(plain) and all(_same_floats(f, g) for f, g in zip(fast, plain))


@pytest.mark.parametrize("seed", range(60))
def test_dropout_reference_is_the_definitions_on_every_mask(seed):
    """The whole reference against the definitions evaluated mask by mask (`_by_given_masks`)
    and the Monte Carlo check as it was computed before (the table divided per sample)."""
    p = _dropout_params(random.Random(500 + seed))
    got = D.reference(p)
    x, m, w, drop = D._arrays(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        plain = D._by_given_masks(x, m, w, drop)
    for k, v in plain.items():
        assert _same_floats(got[k], v), (k, got[k], v)
    assert_monte_carlo_is_plain(got["monte_carlo"], p)


# -- model size's numeric path --------------------------------------------------------------
def _row_products(shapes):
    """The product of each shape (1 for []), as float64: the shapes padded with ones, as one array."""
    width = max((len(s) for s in shapes), default=0)
    rows = np.array([(*s, *(1,) * (width - len(s))) for s in shapes] if width else [], dtype=float)
    return rows.reshape(len(shapes), width).prod(axis=1)


def test_row_products_of_padded_shapes():
    assert _row_products([(2, 3), (), (4,)]).tolist() == [6.0, 1.0, 4.0]
    assert _row_products([]).shape == (0,)
    assert _row_products([(), ()]).tolist() == [1.0, 1.0]


def _model_size_reference_in_numpy(p) -> dict:
    """The array version `reference` replaced: one padded array of shapes, one `prod`, four sums."""
    import itertools

    m = p.model
    params, buffers = [], []
    for k, layer in enumerate(m.layers):
        for t in layer.tensors():
            if t.kind == "buffer":
                buffers.append(t.shape)
            elif not (t.tied_to is not None and k in m.ties):
                params.append(t.shape)
    groups = (params, buffers, m.all_shapes, [s[1:] for s in m.shapes])
    products = _row_products([s for g in groups for s in g])
    ends = list(itertools.accumulate(len(g) for g in groups))
    sizes = products[ends[1]:ends[2]]
    out = {"params": products[:ends[0]].sum(), "buffers": products[ends[0]:ends[1]].sum(),
           "K": products[ends[2]:].sum(), "activations": sizes[: len(m.shapes)].sum(), "activation_sizes": sizes}
    if not buffers:  # no buffer tensors: no B to check (test_model_size)
        del out["buffers"]
    return out


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_model_size_reference_in_python_floats_is_the_numpy_arrays(difficulty):
    from derive.kinds import model_size as MS

    for seed in range(300):
        p = MS.generate(random.Random(seed), difficulty)
        fast, slow = MS.reference(p), _model_size_reference_in_numpy(p)
        assert fast.keys() == slow.keys()
        for k in slow:
            assert type(fast[k]) is type(slow[k]) and _same_floats(fast[k], slow[k]), (k, fast[k], slow[k])


def test_model_size_reference_big_models_fall_back_or_agree():
    """Specs whose counts approach 2⁵³: either the float path is exact or it hands over."""
    from derive.kinds import model_size as MS

    paths = set()
    for width in (2**20, 2**25, 2**26, 2**26 + 3, 94_906_264, 94_906_265, 94_906_266, 2**27):
        p = build(MS.ModelSizeParams, {"layers": [f"Linear(?, {width})", "ReLU", f"Linear(?, {width})"],
                                       "input_shape": [2, 3], "num_classes": width})
        fast, slow = MS.reference(p), MS._reference_by_tensor(p)
        paths.add(MS._float_exact([t.shape for layer in p.model.layers for t in layer.tensors()]))
        for k in slow:
            assert type(fast[k]) is type(slow[k]) and _same_floats(fast[k], slow[k]), (width, k)
    assert paths == {True, False}  # both routes were taken
    assert MS._float_sizes([(2**27, 2**26)]) is None and MS._float_sizes([(3, 0)]) is None
    assert MS._float_sizes([(2**26, 2**26 - 1), ()]) == [float(2**26 * (2**26 - 1)), 1.0]
    assert MS._float_sizes([(2**52,), (2**52,)]) is None and MS._float_sizes([(2**52,), (2**52 - 1,)]) is not None


# -- batch norm's numeric path ----------------------------------------------------------------
@pytest.mark.parametrize("seed", range(150))
def test_batchnorm_column_statistics_are_numpys_mean_and_var(seed):
    from derive.kinds import batchnorm as B

    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(2, 12)), int(rng.integers(1, 9)))
    X = rng.normal(size=shape) * 10.0 ** rng.integers(-6, 7)
    if seed % 3 == 0:
        X = np.round(X) / rng.integers(1, 8)
    if seed % 5 == 0:
        X[:, 0] = X[0, 0]  # a constant column
    assert _same_floats(B._column_means(np, X), X.mean(axis=0))
    assert _same_floats(B._column_variances_unbiased(np, X), X.var(axis=0, ddof=1))
    assert _same_floats(B._column_means(np, X[:1]), X[:1].mean(axis=0))


def test_layer_tensors_are_the_layers_own():
    """Kept per equal layer: equal layers (a name aside) list equal tensors, names and ties included."""
    from derive.kinds import model_size as MS
    from derive.modelsize.layers import Linear, layer_tensors

    for difficulty in ("easy", "medium", "hard"):
        for seed in range(100):
            for layer in MS.generate(random.Random(seed), difficulty).model.layers:
                assert layer_tensors(layer) == layer.tensors()
    a, b = Linear(3, 4, tie="emb"), Linear(3, 4)
    assert layer_tensors(a) == a.tensors() != layer_tensors(b) == b.tensors()
    assert layer_tensors(a)[0].tied_to == "emb" and layer_tensors(Linear(3, 4, bias=False)) == (layer_tensors(b)[0],)


def test_dropout_sympy_rationals_kept_by_their_integers():
    import sympy

    rng = random.Random(9)
    for _ in range(2000):
        q = Fraction(rng.randint(-10**12, 10**12), rng.randint(1, 10**6))
        got = D._sym(q)
        assert got == sympy.Rational(q.numerator, q.denominator) and type(got) is type(sympy.Rational(
            q.numerator, q.denominator))
    assert D._sym(7) == sympy.Integer(7) and D._sym(Fraction(4, 2)) is sympy.Integer(2)


def _activation_groups_one_by_one(model):
    """The version `activation_groups` replaced: a new group object per activation."""
    from derive.modelsize.count import ActGroup

    groups = []
    for i, (shape, label) in enumerate(zip(model.shapes, model.labels), 1):
        per = tuple(shape[1:])
        if groups and groups[-1].shape == per:
            g = groups[-1]
            groups[-1] = ActGroup(g.first, i, per, g.labels + (label,))
        else:
            groups.append(ActGroup(i, i, per, (label,)))
    return tuple(groups)


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_model_size_counts_as_before(difficulty):
    from derive.kinds import model_size as MS
    from derive.modelsize import count as cnt

    for seed in range(150):
        p = MS.generate(random.Random(seed), difficulty)
        m = p.model
        assert cnt.activation_groups(m) == _activation_groups_one_by_one(m)
        C, Z = 1000 + seed, 77 * seed
        for dtype in ("fp32", "fp16", "bf16", "fp64"):
            for opt in ("none", "sgd", "adam"):
                assert cnt.memory(m, C, Z, dtype, opt, cnt.buffer_lines(m)) == cnt.memory(m, C, Z, dtype, opt)
    spec = build(MS.ModelSizeParams, {"layers": ["Linear(8, 8)", "BatchNorm1d(8)", "Linear(8, 8)", "BatchNorm1d"],
                                      "input_shape": [4, 8]})
    m = spec.model
    assert cnt.memory(m, 10, 10, "fp16", "adam", cnt.buffer_lines(m)).buffers == cnt.memory(m, 10, 10, "fp16",
                                                                                             "adam").buffers > 0


def test_model_size_shape_labels_are_the_shape_texts():
    from derive.kinds import model_size as MS

    for seed in range(100):
        for s in MS.generate(random.Random(seed), "hard").model.all_shapes:
            assert MS._shape_label(s) == MS._label("[" + ", ".join(str(d) for d in s) + "]")
            assert MS._shape_text(s) == "[" + ", ".join(str(d) for d in s) + "]"
    assert MS._shape_text(()) == "[]" and str(MS._shape_label((4, 10))) == "[4, 10]"


def test_build_specs_kept_per_class_are_the_field_specs():
    from derive.errors import InputError
    from derive.kinds.batchnorm import BatchNormParams
    from derive.kinds.model_size import ModelSizeParams
    from derive.params import _specs_by_name, field_specs

    for cls in (D.DropoutParams, BatchNormParams, ModelSizeParams):
        assert list(_specs_by_name(cls).items()) == [(f.name, f) for f in field_specs(cls)]
    p = build(BatchNormParams, {"X": [[1, 2], [3, 5]]})
    assert p.running_var == (Fraction(1), Fraction(1)) and p.running_mean == (Fraction(0), Fraction(0))
    with pytest.raises(InputError, match="did you mean 'mask'"):
        build(D.DropoutParams, {"x": [1], "p": "1/2", "masc": [1]})
    with pytest.raises(InputError, match="is required"):
        build(D.DropoutParams, {"x": [1]})


def _parse_layers_general(source):
    """`parse_layers` with its fast path for short one-layer texts turned off."""
    from unittest import mock

    from derive.modelsize import spec

    with mock.patch.object(spec, "_short_texts_layers", lambda source: None):
        return spec.parse_layers(source)


def _outcome(fn, source):
    from derive.errors import InputError

    try:
        return fn(source)
    except InputError as e:
        return ("error", e.field, e.problem)


def test_parse_layers_short_texts_as_the_general_path():
    from derive.kinds import model_size as MS
    from derive.modelsize.spec import parse_layers

    rng = random.Random(10)
    pool = ["Linear(52, ?)", "LayerNorm", "ReLU", "Linear(?, 20)", "nn.GELU()", "Dropout(0.1)", "BatchNorm1d",
            "Linear(128, 256); ReLU", "", "  ", "Linear(52, ?", "Foo(3)", "CrossEntropyLoss(reduction='sum')",
            "MSELoss", "Linear(\u22123, 4)", "Linear(3, 4)  # a comment", "emb = Embedding(10, 4)", "Conv2d(3, 6, 5)",
            "x" * 250, "Linear(4, 4)\nReLU"]
    sources = [[rng.choice(pool) for _ in range(rng.randint(0, 8))] for _ in range(600)]
    sources += [tuple(s) for s in sources[:50]] + ["Linear(3, 4); ReLU", ["Linear(3, 4)", MS.Linear(4, 5)]]
    for seed in range(50):
        sources.append(list(MS.generate(random.Random(seed), "hard").layers))
    for source in sources:
        assert _outcome(parse_layers, source) == _outcome(_parse_layers_general, source), source
