"""LayerNorm against exact answers worked by hand (the seed worksheet, section 2)."""

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings, strategies as st
from sympy import Rational as R, sqrt

import derive
from derive.errors import InputError, UndefinedError
from derive.exact import Surd

SEED = dict(X=[[4, 4, 8, 8], [0, 2, 2, 8], [1, 1, 1, 5]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0], eps=0)
SEED_EXACT = sympy.Matrix([
    [-1, -3, 4, 4],
    [-1, R(-5, 3), 0, R(20, 3)],
    [-sqrt(3) / 3, -1 - 2 * sqrt(3) / 3, 1 - sqrt(3), 4 * sqrt(3)],
])


def test_seed_answer_is_exact():
    sol = derive.solve("layernorm", **SEED)
    assert (sol.answer - SEED_EXACT).applyfunc(sympy.simplify) == sympy.zeros(3, 4)


def test_seed_statistics_are_the_worked_ones():
    sol = derive.solve("layernorm", **SEED)
    stats = {str(r.lhs.text): r.forms[-1] for r in sol.steps[0].relations}
    assert [stats[f"μ{s}"] for s in "₁₂₃"] == [6, 3, 2]
    assert [stats[f"σ{s}²"] for s in "₁₂₃"] == [4, 9, 3]


def test_seed_decimals_are_correctly_rounded_and_expose_the_worksheet_errors():
    decimals = derive.solve("layernorm", **SEED).to_dict()["answer"]["decimal"]
    # The worksheet prints -1.66, 0.01, 6.68 and -2.16, -0.74, 6.92 (rounded x̂ before scaling).
    assert decimals[1] == ["-1", "-1.67", "0", "6.67"]
    assert decimals[2] == ["-0.58", "-2.15", "-0.73", "6.93"]


def test_numeric_checks_agree():
    sol = derive.solve("layernorm", **SEED)
    (check,) = sol.checks
    assert check.backend == "numpy" and check.ok and check.max_abs_error < 1e-14


@pytest.mark.requires_module("torch")
def test_torch_layernorm_agrees():
    sol = derive.solve("layernorm", checks=("numpy", "torch"), **SEED)
    torch_check = [c for c in sol.checks if c.backend == "torch"][0]
    assert torch_check.ok and torch_check.max_abs_error < 1e-14


def test_eps_is_taken_exactly():
    sol = derive.solve("layernorm", X=[[0, 2]], eps="1e-5")
    assert sol.params.eps == Fraction(1, 100000)
    # (x - 1)/sqrt(1 + 1/100000) = ±sqrt(100000/100001)
    assert sympy.simplify(sol.answer[1] - sqrt(R(100000, 100001))) == 0


def test_constant_row_with_zero_eps_is_undefined_not_nan():
    sol = derive.solve("layernorm", X=[[1, 2], [3, 3]], eps=0)
    assert "undefined" in sol.to_text()
    assert sol.to_dict()["answer"]["exact"][1] == ["undefined", "undefined"]
    assert any("Row 2" in n and "division by zero" in n for n in sol.notes)
    with pytest.raises(UndefinedError):
        sol.answer
    assert all(c.ok for c in sol.checks)  # numpy's nan there is expected


def test_batch_size_one_works():
    sol = derive.solve("layernorm", X=[[1, 1, 1, 5]])
    assert sol.answer == sympy.Matrix([[-sqrt(3) / 3] * 3 + [sqrt(3)]])


@pytest.mark.parametrize("params, field", [
    (dict(X=[[1, 2], [3]]), "X"),
    (dict(X=[]), "X"),
    (dict(X=[[1, "a"]]), "X[0][1]"),
    (dict(X=[[1, float("nan")]]), "X[0][1]"),
    (dict(X=[[1, 2]], gamma=[1]), "gamma"),
    (dict(X=[[1, 2]], beta=[1, 2, 3]), "beta"),
    (dict(X=[[1, 2]], eps=-1), "eps"),
    (dict(X=[[1, 2]], epsilon=0), "epsilon"),
    (dict(), "X"),
])
def test_bad_input_names_the_field(params, field):
    with pytest.raises(InputError) as e:
        derive.solve("layernorm", **params)
    assert str(e.value).startswith(field + ":")


def test_size_limit():
    with pytest.raises(InputError, match="more than"):
        derive.make_params("layernorm", X=[[0] * 1001] * 1001)


small_ints = st.integers(-20, 20)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(small_ints, min_size=2, max_size=6), min_size=1, max_size=4).filter(
    lambda rows: len({len(r) for r in rows}) == 1),
    st.sampled_from([Fraction(0), Fraction(1, 10), Fraction(3)]))
def test_rows_have_mean_zero_and_variance_one(rows, eps):
    """With γ = 1, β = 0 each non-constant row of the output has mean exactly 0 and
    variance exactly σ²/(σ² + ε) — exactly 1 when ε = 0."""
    sol = derive.solve("layernorm", X=rows, eps=eps, checks="none")
    for x, out in zip(rows, sol.results[0].value):
        n = len(x)
        mean = Fraction(sum(x), n)
        var = sum((v - mean) ** 2 for v in x) / n
        if var + eps == 0:
            continue
        total = sum(out, Surd(0))
        assert total == 0
        assert sum((v * v for v in out), Surd(0)) / n == Surd(var / (var + eps))



fractions_ = st.fractions(min_value=-20, max_value=20, max_denominator=12)


@settings(max_examples=80, deadline=None)
@given(st.lists(fractions_, min_size=1, max_size=6), st.data(),
       st.sampled_from([Fraction(0), Fraction(1, 10), Fraction(5, 7)]))
def test_integer_fast_path_matches_plain_fraction_arithmetic(x, data, eps):
    """moments/normalize_shown work in integers over a common denominator; the values
    must be exactly those of the textbook formulas in Fractions and Surds."""
    from derive.exact import inv_sqrt
    from derive.kinds.normalization import (
        Undefined, moments, moments_about, normalize, normalize_affine, normalize_shown,
    )

    n = len(x)
    gamma = data.draw(st.lists(fractions_, min_size=n, max_size=n))
    beta = data.draw(st.lists(fractions_, min_size=n, max_size=n))
    mean = sum(x, Fraction(0)) / n
    var = sum((v - mean) ** 2 for v in x) / n
    m = moments(x)
    assert (m.mean, m.var, m.deviations) == (mean, var, tuple(v - mean for v in x))
    assert m.var_unbiased == (var * n / (n - 1) if n > 1 else None)
    xhat, scaled, out = normalize_shown(m, eps, gamma, beta)
    if var + eps == 0:
        assert scaled is None and all(isinstance(v, Undefined) for v in xhat + out)
        return
    k = inv_sqrt(var + eps)
    assert xhat == normalize(m, eps) == tuple(k * (v - mean) for v in x)
    assert scaled == tuple(k * (v - mean) * g for v, g in zip(x, gamma))
    assert out == normalize_affine(m, eps, gamma, beta) == tuple(k * (v - mean) * g + b
                                                                 for v, g, b in zip(x, gamma, beta))
    about = moments_about(x, gamma[0], var)  # any given mean, as BatchNorm's eval mode uses
    assert about.deviations == tuple(v - gamma[0] for v in x)

def test_forgotten_eps_is_diagnosed():
    """A student who drops ε = 1/10 gets √3-based values; the checker names the ε convention."""
    r = derive.check("layernorm", "[-0.58, -0.58, -0.58, 1.73]", X=[[1, 1, 1, 5]], eps="0.1")
    assert not r.correct
    assert r.diagnosis.name == "eps_convention" and r.diagnosis.step == "Normalize"


def test_generated_draw_is_solved_once():
    """The memo of recent solutions is by identity: the same params object gives the same
    Solution, equal params built anew a fresh one, and clear_recent forgets them."""
    import random

    from derive.api import make_params
    from derive.kinds import layernorm
    from derive.kinds.recent import clear_recent

    p = layernorm.generate(random.Random(5), "hard")
    first = layernorm.solve(p)
    assert layernorm.solve(p) is first
    q = make_params("layernorm", X=[list(r) for r in p.X], gamma=list(p.gamma), beta=list(p.beta))
    assert q == p and q is not p
    assert layernorm.solve(q) is not first and layernorm.solve(q).results == first.results
    clear_recent()
    assert layernorm.solve(p) is not first


def test_recent_doctests():
    import doctest

    from derive import memo
    from derive.kinds import recent

    assert doctest.testmod(recent).failed == 0
    assert doctest.testmod(memo).failed == 0


def test_kept_by_identity_drops_the_least_recently_used():
    from derive.memo import KeptByIdentity

    kept, a, b, c = KeptByIdentity(2), [1], [2], [3]
    for x in (a, b, a, c):  # a used again after b: b goes when c comes
        kept.get(x, lambda x=x: x[0])
    assert kept.get(a, lambda: "again") == 1 and kept.get(c, lambda: "again") == 3
    assert kept.get(b, lambda: "again") == "again"
    assert kept.get([1], lambda: "equal, not the same") == "equal, not the same"
    assert kept.get(c, lambda: "again", "other key") == "again"


def test_kept_by_identity_of_several_objects():
    from derive.memo import KeptByIdentity

    kept, a, b = KeptByIdentity(2), [1], [2]
    assert kept.get_all((a, b), lambda: "made", "k") == "made"
    assert kept.get_all((a, b), lambda: "again", "k") == "made"
    assert kept.get_all((a, [2]), lambda: "equal, not the same") == "equal, not the same"
    assert kept.get_all((a, b), lambda: "other key", "j") == "other key"
    assert kept.get_all((b, a), lambda: "other order", "k") == "other order"
    assert kept.get_all((a, b), lambda: "dropped", "k") == "dropped"  # two newer entries since
