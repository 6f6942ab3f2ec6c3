"""BatchNorm against exact answers worked by hand (the seed worksheet, section 3)."""

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings, strategies as st
from sympy import Rational as R, sqrt

import derive
from derive.errors import InputError
from derive.exact import Surd

SEED = dict(X=[[2, 2, 1, 1], [2, 5, 4, 1], [5, 5, 10, 10]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0], eps=0)


def _column(j, values):
    return sympy.Matrix(values)


SEED_EXACT = sympy.Matrix([
    [-sqrt(2) / 2, -2 * sqrt(2) - 1, 1 - 12 / sqrt(14), -2 * sqrt(2)],
    [-sqrt(2) / 2, sqrt(2) - 1, 1 - 3 / sqrt(14), -2 * sqrt(2)],
    [sqrt(2), sqrt(2) - 1, 1 + 15 / sqrt(14), 4 * sqrt(2)],
])


def test_seed_answer_is_exact():
    sol = derive.solve("batchnorm", **SEED)
    assert (sol.answer - SEED_EXACT).applyfunc(sympy.simplify) == sympy.zeros(3, 4)


def test_seed_statistics():
    sol = derive.solve("batchnorm", **SEED)
    values = [r.forms[-1] for r in sol.steps[0].relations]
    assert values[0::2] == [3, 4, 5, 4]
    assert values[1::2] == [2, 2, 14, 18]


def test_seed_decimals_expose_the_worksheet_errors():
    dec = derive.solve("batchnorm", **SEED).to_dict()["answer"]["decimal"]
    # The worksheet prints -3.82, 0.42, 0.19, 5.02, -2.84 and 5.64.
    assert [row[1] for row in dec] == ["-3.83", "0.41", "0.41"]
    assert [row[2] for row in dec] == ["-2.21", "0.20", "5.01"]
    assert [row[3] for row in dec] == ["-2.83", "-2.83", "5.66"]


def test_running_statistics_use_unbiased_variance():
    sol = derive.solve("batchnorm", **SEED)
    answers = sol.answers
    assert answers["running_mean"] == sympy.Matrix([[R(3, 10), R(2, 5), R(1, 2), R(2, 5)]])
    # unbiased variances 3, 3, 21, 27; 0.9·1 + 0.1·s²
    assert answers["running_var"] == sympy.Matrix([[R(6, 5), R(6, 5), 3, R(18, 5)]])


def test_momentum_and_initial_running_stats():
    sol = derive.solve("batchnorm", X=[[0], [2]], running_mean=[10], running_var=[4], momentum="0.5")
    assert sol.answers["running_mean"] == sympy.Matrix([[R(11, 2)]])   # 0.5·10 + 0.5·1
    assert sol.answers["running_var"] == sympy.Matrix([[3]])          # 0.5·4 + 0.5·2


def test_eval_mode_uses_running_statistics():
    sol = derive.solve("batchnorm", X=[[2, 2], [5, 8]], mode="eval", running_mean=[2, 0], running_var=[9, 3],
                       gamma=[2, 1], beta=[1, 0], eps=1)
    # column 1: (x − 2)/√10·2 + 1; column 2: x/2
    expected = sympy.Matrix([[1, 1], [1 + 6 / sqrt(10), 4]])
    assert (sol.answer - expected).applyfunc(sympy.simplify) == sympy.zeros(2, 2)
    assert [r.name for r in sol.results] == ["output"]


def test_batch_size_one_zero_eps_is_undefined():
    sol = derive.solve("batchnorm", X=[[1, 2, 3]], eps=0)
    assert sol.to_dict()["answer"]["exact"] == [["undefined"] * 3]
    assert any("Batch size 1" in n and "undefined" in n for n in sol.notes)


def test_batch_size_one_positive_eps_outputs_beta():
    sol = derive.solve("batchnorm", X=[[1, 2, 3]], beta=[7, -1, 0], eps="0.001")
    assert sol.answer == sympy.Matrix([[7, -1, 0]])
    assert any("every output equals β" in n for n in sol.notes)
    assert sol.to_dict()["answers"]["running_var"]["exact"] == ["undefined"] * 3


@pytest.mark.requires_module("torch")
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_torch_batchnorm_agrees(mode):
    sol = derive.solve("batchnorm", mode=mode, running_mean=[1, 2, 3, 4], running_var=[1, 2, 3, 4],
                       checks=("numpy", "torch"), **SEED)
    torch_checks = [c for c in sol.checks if c.backend.startswith("torch")]
    assert len(torch_checks) == (3 if mode == "train" else 1)
    assert all(c.ok and c.max_abs_error < 1e-12 for c in torch_checks)


@pytest.mark.parametrize("params, field", [
    (dict(X=[[1, 2]], mode="training"), "mode"),
    (dict(X=[[1, 2]], running_var=[1]), "running_var"),
    (dict(X=[[1, 2]], running_var=[1, -1]), "running_var"),
    (dict(X=[[1, 2]], momentum=2), "momentum"),
    (dict(X=[[1, 2]], gamma=[1, 2, 3]), "gamma"),
])
def test_bad_input_names_the_field(params, field):
    with pytest.raises(InputError) as e:
        derive.solve("batchnorm", **params)
    assert str(e.value).startswith(field + ":")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(-9, 9), min_size=3, max_size=3), min_size=2, max_size=5))
def test_columns_have_mean_zero_and_variance_one(rows):
    sol = derive.solve("batchnorm", X=rows, checks="none")
    out = sol.results[0].value
    for j in range(3):
        col = [Fraction(r[j]) for r in rows]
        if len(set(col)) == 1:
            continue
        values = [row[j] for row in out]
        assert sum(values, Surd(0)) == 0
        assert sum((v * v for v in values), Surd(0)) / len(values) == 1


@settings(max_examples=60, deadline=None)
@given(st.fractions(min_value=-50, max_value=50, max_denominator=40),
       st.fractions(min_value=-50, max_value=50, max_denominator=40),
       st.fractions(min_value=0, max_value=1, max_denominator=20))
def test_running_blend_is_the_momentum_average(old, batch, m):
    """The running update built from integers equals (1 − m)·old + m·batch in Fractions."""
    from derive.kinds.batchnorm import _blend

    assert _blend(old, batch, m) == (1 - m) * old + m * batch


def test_generated_draw_is_solved_once():
    """generate solves its draw to check the level; the variant reuses that solution
    (same params object), while equal but distinct params are solved afresh."""
    import random

    from derive.api import make_params
    from derive.kinds import batchnorm

    p = batchnorm.generate(random.Random(3), "hard")
    assert batchnorm.solve(p) is batchnorm.solve(p)
    q = make_params("batchnorm", X=[list(r) for r in p.X], gamma=list(p.gamma), beta=list(p.beta))
    assert q == p and q is not p
    fresh = batchnorm.solve(q)
    assert fresh is not batchnorm.solve(p) and fresh.results == batchnorm.solve(p).results
    batchnorm.solve.clear()
    assert batchnorm.solve(p) is not fresh and batchnorm.solve(p).results == fresh.results
