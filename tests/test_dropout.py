"""Dropout against the seed worksheet (section 4) and against an independent oracle:
every mask enumerated with its probability, in Fractions, with no SymPy."""

import itertools
import json
import random
import subprocess
import sys
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import derive
from derive.errors import InputError
from derive.kinds import dropout as D
from derive.kinds.normalization import Undefined
from derive.params import build

SEED = dict(x=[2, 6, 4, 4, 5, 3, 4, 4], p="0.75", dropped=[0, 1, 2, 3, 4, 5])
SEED_CLI = ["--x", "[2,6,4,4,5,3,4,4]", "--p", "0.75", "--dropped", "[0,1,2,3,4,5]"]


def params(**raw):
    return build(D.DropoutParams, raw)


def values(sol):
    return {r.name: r.value for r in sol.results}


def enumerate_moments(x, w, keep):
    """E[y_drop], E[y_corr], Var[y_corr] by summing over all 2ⁿ masks: the oracle."""
    a = [Fraction(wi) * Fraction(xi) for wi, xi in zip(w, x)]
    e_drop = e_corr = e_corr2 = Fraction(0)
    for bits in itertools.product((0, 1), repeat=len(a)):
        prob = Fraction(1)
        for b in bits:
            prob *= keep if b else 1 - keep
        y = sum((ai for ai, b in zip(a, bits) if b), Fraction(0))
        e_drop += prob * y
        if keep:
            e_corr += prob * y / keep
            e_corr2 += prob * (y / keep) ** 2
    return e_drop, e_corr, e_corr2 - e_corr**2


# -- the seed -----------------------------------------------------------------------
def test_seed_values_are_exact():
    v = values(derive.solve("dropout", **SEED, checks="none"))
    assert (v["y_drop"], v["y_corr"], v["y_orig"]) == (8, 32, 32)
    assert v["mask"] == (0, 0, 0, 0, 0, 0, 1, 1)


def test_seed_expectations_match_enumeration_and_closed_forms():
    v = values(derive.solve("dropout", **SEED, checks="none"))
    e_drop, e_corr, var_corr = enumerate_moments(SEED["x"], [1] * 8, Fraction(1, 4))
    assert (v["E_y_drop"], v["E_y_corr"], v["Var_y_corr"]) == (e_drop, e_corr, var_corr)
    # by hand: E[y_drop] = (1 − p)·32, E[y_corr] = 32, Var = p/(1 − p)·Σ(wᵢxᵢ)² = 3·138
    assert (e_drop, e_corr, var_corr) == (8, 32, 414)


def test_seed_steps_are_written_out_like_the_worksheet():
    text = derive.solve("dropout", **SEED, checks="none").to_text()
    assert "= 1 · 0 + 1 · 0 + 1 · 0 + 1 · 0 + 1 · 0 + 1 · 0 + 1 · 4 + 1 · 4" in text
    assert "1 · 4 · (1/(1 - 3/4)) + 1 · 4 · (1/(1 - 3/4))" in text
    assert "= 0 + 0 + 0 + 0 + 0 + 0 + 16 + 16" in text
    assert "= 2 + 6 + 4 + 4 + 5 + 3 + 4 + 4" in text
    assert "E[y_corr] = Σᵢ wᵢxᵢ · (E[mᵢ]/(1 - p)) = Σᵢ wᵢxᵢ · ((1 - p)/(1 - p)) = y_orig" in text
    assert "E[y_drop] = 32 - 32p = 1/4 · 32 = 8" in text
    assert "Var[y_corr] = 138p/(1 - p) = (3/4)/(1/4) · 138 = 414" in text
    assert "BatchNorm. Of the common layers" in text
    assert "running averages" in text


def test_a_quotient_of_probabilities_is_one_fraction_bar_in_latex():
    """p/(1 − p) at p = 3/4: \\frac{3/4}{1/4}, not a fraction of two small fractions."""
    latex = derive.solve("dropout", **SEED, checks="none").to_latex()
    assert r"= \frac{3/4}{1/4} \cdot 138 = 414" in latex
    assert r"\frac{\frac" not in latex


def test_seed_acceptance_through_the_cli():
    out = subprocess.run([sys.executable, "-m", "derive.cli", "solve", "dropout", *SEED_CLI, "--format", "json"],
                         capture_output=True, text=True, timeout=120, check=True)
    data = json.loads(out.stdout)
    exact = {k: v["exact"] for k, v in data["answers"].items()}
    assert (exact["y_drop"], exact["y_corr"], exact["y_orig"]) == ("8", "32", "32")
    assert (exact["E_y_drop"], exact["E_y_corr"], exact["Var_y_corr"]) == ("8", "32", "414")
    assert data["params"]["p"] == "3/4"
    assert all(c["ok"] for c in data["checks"].values())
    assert "numpy:monte_carlo" in data["checks"]
    expect = next(s for s in data["steps"] if s["title"] == "Expectation over the mask")
    assert "linearity of expectation" in expect["text"]


# -- the expectation, symbolically and as a property -----------------------------------
@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize("convention", ["drop", "keep"])
def test_general_identities_hold_with_symbolic_weights(n, convention):
    g = D.verify_identities(n, convention)
    a = sympy.symbols(f"a1:{n + 1}")
    assert sympy.cancel(g.E_y_corr - sum(a)) == 0
    assert sympy.cancel(g.E_y_drop - g.keep * sum(a)) == 0


fractions = st.fractions(min_value=-20, max_value=20, max_denominator=12)


def _by_full_substitution(a, convention):
    """The expectations as solve used to build them: every aᵢ substituted into the n-unit forms."""
    g = D.verify_identities(len(a), convention)
    values = {t: D._sym(v) for t, v in zip(sympy.symbols(f"a1:{len(a) + 1}"), a)}
    return (g.E_y_drop.xreplace(values), g.E_y_corr.xreplace(values),
            sympy.factor_terms(g.Var_y_corr.xreplace(values)))


@settings(max_examples=60, deadline=None)
@given(st.lists(fractions | st.integers(-9, 9).map(Fraction) | st.just(Fraction(0)), min_size=1, max_size=9),
       st.sampled_from(["drop", "keep"]))
def test_sums_into_one_unit_forms_give_the_same_sympy_trees(a, convention):
    # solve substitutes Σaᵢ and Σaᵢ² into the one-unit identities; the printed expressions
    # must be exactly those of substituting every aᵢ (same trees, so the same text and LaTeX)
    fast = D.expectations(a, convention)
    slow = _by_full_substitution(a, convention)
    assert [sympy.srepr(e) for e in (fast.E_y_drop, fast.E_y_corr, fast.Var_y_corr)] == \
        [sympy.srepr(e) for e in slow]
    g = D.verify_identities(len(a), convention)
    assert (fast.symbol, fast.keep, fast.drop, fast.E_m, fast.Var_m) == (g.symbol, g.keep, g.drop, g.E_m, g.Var_m)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(fractions, fractions), min_size=1, max_size=6),
       st.fractions(min_value=0, max_value=Fraction(49, 50), max_denominator=50),
       st.integers(0, 10**6))
def test_inverted_dropout_preserves_the_expectation(xw, p, seed):
    x, w = [a for a, _ in xw], [b for _, b in xw]
    v = values(derive.solve("dropout", x=x, w=w, p=p, seed=seed, checks="none"))
    y_orig = sum((a * b for a, b in xw), Fraction(0))
    assert v["E_y_corr"] == v["y_orig"] == y_orig
    e_drop, e_corr, var_corr = enumerate_moments(x, w, 1 - p)
    assert (v["E_y_drop"], v["E_y_corr"], v["Var_y_corr"]) == (e_drop, e_corr, var_corr)
    kept = sum((a * b for (a, b), m in zip(xw, v["mask"]) if m), Fraction(0))
    assert v["y_drop"] == kept and v["y_corr"] == kept / (1 - p)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(-9, 9), min_size=1, max_size=6), st.fractions(0, 1, max_denominator=10),
       st.integers(0, 1000))
def test_keep_wording_is_the_same_problem(x, q, seed):
    mask = [random.Random(seed + i).randint(0, 1) for i in range(len(x))]
    if q == 0:
        mask = [0] * len(x)
    if q == 1:
        mask = [1] * len(x)
    keep = derive.solve("dropout", x=x, p=q, mask=mask, convention="keep", checks="none")
    drop = derive.solve("dropout", x=x, p=1 - q, mask=mask, checks="none")
    assert values(keep) == values(drop)


# -- masks ------------------------------------------------------------------------------
def test_seeded_mask_is_reproducible_and_recorded():
    a = params(x=list(range(10)), p="1/2", seed=42)
    b = params(x=list(range(10)), p="1/2", seed=42)
    rng = random.Random(42)
    assert a.mask == b.mask == tuple(0 if rng.random() < 0.5 else 1 for _ in range(10))
    sol = derive.solve("dropout", x=list(range(10)), p="1/2", seed=42, checks="none")
    assert sol.to_dict()["params"]["seed"] == 42
    assert "random.Random(42)" in sol.steps[0].explanation
    # the recorded params round-trip: mask and seed together must agree
    assert params(x=list(range(10)), p="1/2", seed=42, mask=list(a.mask)).mask == a.mask


def test_mask_and_dropped_describe_the_same_mask():
    assert params(x=[1, 2, 3], p="1/2", mask=[0, 1, 0]).mask == params(x=[1, 2, 3], p="1/2", dropped=[0, 2]).mask


# -- edge cases ---------------------------------------------------------------------------
def test_p_zero_is_the_identity():
    v = values(derive.solve("dropout", x=[3, -1, 2], w=[1, 2, 3], p=0, mask=[1, 1, 1], checks="none"))
    assert v["y_drop"] == v["y_corr"] == v["y_orig"] == v["E_y_corr"] == v["E_y_drop"] == 7
    assert v["Var_y_corr"] == 0


def test_p_one_reports_the_correction_as_undefined():
    sol = derive.solve("dropout", x=[3, 1], p=1, mask=[0, 0])
    v = values(sol)
    assert v["y_drop"] == 0 and v["E_y_drop"] == 0 and v["y_orig"] == 4
    assert all(isinstance(v[k], Undefined) for k in ("y_corr", "E_y_corr", "Var_y_corr"))
    data = sol.to_dict()
    assert data["answers"]["y_corr"]["exact"] == "undefined"
    assert any("p = 1" in n for n in data["notes"])
    assert all(c["ok"] for c in data["checks"].values())


@pytest.mark.parametrize("raw, field", [
    (dict(x=[1, 2, 3], p="1/2", mask=[1, 0]), "mask"),
    (dict(x=[1, 2, 3], p="1/2", mask=[1, 0, 2]), "mask"),
    (dict(x=[1, 2, 3], p="3/2", mask=[1, 0, 1]), "p"),
    (dict(x=[1, 2, 3], p="-0.1", mask=[1, 0, 1]), "p"),
    (dict(x=[1, 2, 3], p="1/2", dropped=[3]), "dropped"),
    (dict(x=[1, 2, 3], p="1/2", dropped=[-1]), "dropped"),
    (dict(x=[1, 2, 3], p="1/2", dropped=[1, 1]), "dropped"),
    (dict(x=[1, 2, 3], p="1/2"), "mask"),
    (dict(x=[1, 2, 3], p="1/2", mask=[1, 1, 1], dropped=[0]), "dropped"),
    (dict(x=[1, 2, 3], w=[1, 2], p="1/2", mask=[1, 1, 1]), "w"),
    (dict(x=[1, "a", 3], p="1/2", mask=[1, 1, 1]), "x[1]"),
    (dict(x=[1, 2], p="abc", mask=[1, 1]), "p"),
    (dict(x=[1, 2], p=1, mask=[1, 0]), "mask"),
    (dict(x=[1, 2], p=0, mask=[1, 0]), "mask"),
    (dict(x=[1, 2], p="1/2", mask=[1, 0], convention="both"), "convention"),
])
def test_bad_input_names_the_field(raw, field):
    with pytest.raises(InputError) as e:
        derive.solve("dropout", **raw)
    assert e.value.field == field


@pytest.mark.parametrize("args, field", [
    (["--x", "[1,2,3]", "--p", "0.5", "--mask", "[1,0]"], "mask"),
    (["--x", "[1,2,3]", "--p", "1.5", "--mask", "[1,0,1]"], "p"),
    (["--x", "[1,two,3]", "--p", "0.5", "--mask", "[1,0,1]"], "x"),
])
def test_cli_bad_input_is_one_line_and_exit_2(args, field, tmp_path):
    target = tmp_path / "out.json"
    out = subprocess.run([sys.executable, "-m", "derive.cli", "solve", "dropout", *args, "-o", str(target)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert f"error: {field}" in out.stderr
    assert not target.exists()


# -- numeric references -------------------------------------------------------------
def test_reference_and_monte_carlo_agree():
    p = params(**SEED)
    ref = D.reference(p)
    assert [float(ref[k]) for k in ("y_drop", "y_corr", "y_orig", "E_y_drop", "E_y_corr", "Var_y_corr")] == \
        [8, 32, 32, 8, 32, 414]
    mc = ref["monte_carlo"]
    assert mc.ok and f"allowed {D.MC_SIGMAS}" in mc.note and f"{D.MC_SAMPLES} masks" in mc.note
    # SE = sqrt(Var[y_corr] / samples) = sqrt(414 / 10,000) ≈ 0.2
    assert mc.max_abs_error < D.MC_SIGMAS * (414 / D.MC_SAMPLES) ** 0.5


def test_monte_carlo_catches_a_wrong_expectation():
    # the p = 1/2 estimate of E[y_corr] is tested against a deliberately wrong exact value
    p = params(x=[1, 2, 3, 4], p="1/2", mask=[1, 0, 1, 0])
    mean_check = D.monte_carlo(p)
    assert mean_check.ok
    wrong = D._mc_check("test", "wrong", 1000, Fraction(11), 10.0, 0.1, 0)
    assert not wrong.ok


@pytest.mark.parametrize("p", ["3/4", "1/3", "9/10", "1/10"])
def test_monte_carlo_rejects_the_known_wrong_expectations(monkeypatch, p):
    # with the real estimate: E[y_drop] = (1 − p)·y_orig or the 1/p scaling in place of y_orig fail
    prob = params(x=[2, 6, 4, 4, 5, 3, 4, 4, 1, 7], p=p, seed=1)
    y_orig, drop = Fraction(40), Fraction(p)
    assert D.monte_carlo(prob).ok
    for wrong in ((1 - drop) * y_orig, y_orig * (1 - drop) / drop):
        monkeypatch.setattr(D, "_exact_E_corr", lambda _p, wrong=wrong: wrong)
        assert not D.monte_carlo(prob).ok


@pytest.mark.parametrize("drop", [Fraction(1, 2), Fraction(3, 4), Fraction(1, 3), Fraction(9, 10),
                                  Fraction(123, 1000), Fraction(1, 70_000), Fraction(2**64 + 1, 2**65 + 7)])
def test_monte_carlo_masks_drop_with_the_exact_probability(drop):
    import numpy as np

    kept = D._kept(np.random.default_rng(0), drop, (40_000, 10))
    rate = 1 - kept.mean()
    se = float(drop * (1 - drop) / kept.size) ** 0.5
    assert abs(rate - float(drop)) < 5 * se
    assert not D._kept(np.random.default_rng(0), Fraction(0), (10, 3)).__invert__().any()


def test_long_inputs_use_linearity_in_the_reference():
    x = list(range(1, 31))
    sol = derive.solve("dropout", x=x, p="1/3", seed=1)
    assert all(c.ok for c in sol.checks)
    assert values(sol)["E_y_corr"] == sum(x)


def test_torch_dropout_agrees(require_module):
    require_module("torch")
    sol = derive.solve("dropout", **SEED, checks="torch")
    labels = {c.backend: c for c in sol.checks}
    assert labels["torch:y_orig"].ok and labels["torch:monte_carlo"].ok
    assert "torch.nn.Dropout" in labels["torch:monte_carlo"].detail


# -- mistakes and variants --------------------------------------------------------------
def test_mistakes_reproduce_the_wrong_answers():
    found = {m.name: m.results for m in D.mistakes(params(**SEED))}
    assert found["no_correction"] == {"y_corr": 8}
    assert found["scaled_by_inverse_p"] == {"y_corr": Fraction(32, 3)}
    assert found["mask_swapped"] == {"y_drop": 24, "y_corr": 96}
    assert found["keep_drop_swapped"] == {"E_y_drop": 24, "Var_y_corr": 46}


def test_mistakes_that_coincide_with_the_answer_are_left_out():
    names = {m.name for m in D.mistakes(params(x=[1, 2], p="1/2", mask=[1, 0]))}
    assert "scaled_by_inverse_p" not in names      # 1/p = 1/(1 − p) when p = 1/2


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_generate_is_seeded_and_solvable(difficulty):
    a = D.generate(random.Random(5), difficulty)
    b = D.generate(random.Random(5), difficulty)
    assert a == b and 0 < sum(a.mask) < len(a.x)
    assert values(D.solve(a))["E_y_corr"] == values(D.solve(a))["y_orig"]


# -- rendering ----------------------------------------------------------------------------
def test_pdf_compiles(tmp_path, require_tool):
    require_tool("pdflatex")
    target = tmp_path / "dropout.pdf"
    subprocess.run([sys.executable, "-m", "derive.cli", "solve", "dropout", *SEED_CLI, "--convention", "drop",
                    "--format", "pdf", "-o", str(target)], check=True, capture_output=True, timeout=120)
    assert target.read_bytes().startswith(b"%PDF")


def test_latex_states_the_keep_wording():
    tex = derive.solve("dropout", x=[1, 2], p="1/4", mask=[1, 0], convention="keep", checks="none").to_latex()
    assert r"\emph{keep} probability $q = \frac{1}{4}$" in tex


def test_params_round_trip_through_json():
    from derive.render.json import jsonable

    p = D.generate(random.Random(3), "medium")
    assert params(**json.loads(json.dumps(jsonable(p)))) == p
    q = params(x=[1, 2, 3, 4], p="1/3", seed=9)
    assert params(**json.loads(json.dumps(jsonable(q)))) == q      # recorded seed and mask agree


def test_a_rounded_distance_is_written_with_approx_not_equals():
    # |y_corr − y_orig| = 140/3 is not 46.67; |y_drop − y_orig| = 58 is exact.
    text = D._why_correction(Fraction(-18), Fraction(260, 3), Fraction(40), Fraction(3, 4), "drop")
    assert text.startswith("Here |y_corr − y_orig| ≈ 46.67 and |y_drop − y_orig| = 58, so y_corr is the closer one.")


def test_the_expectation_step_says_its_conditions_in_the_problems_own_symbols():
    # It said "every p with P(keep) > 0", a name the sheet never defines, and "the first five
    # lines hold for every x and w" over eight displayed rows.
    text = derive.solve("dropout", checks="none", x=[1, 2, 3, 4], w=[1, 1, 1, 1], p="1/2",
                        mask=[1, 0, 1, 1]).to_text()
    assert "(every p with 1 − p > 0)" in text and "P(keep)" not in text
    assert "the general lines, written with Σᵢ, hold for every x and w" in text and "first five" not in text


def test_step_titles_do_not_carry_the_seeds_part_letters():
    # "(d) Why the correction" named the seed's part (d); a worksheet letters its parts its own way.
    sol = derive.solve("dropout", checks="none", x=[1, 2, 3, 4], w=[1, 1, 1, 1], p="1/2", mask=[1, 0, 1, 1])
    titles = [s.title for s in sol.steps]
    assert "Why the correction" in titles and "Dropout without correction" in titles
    assert not [t for t in titles if t.startswith("(")]


def test_the_prose_sets_y_corr_as_math_in_latex_and_plain_in_text():
    """y_corr in the explanation and notes printed a text underscore (y\\_corr) beside the math."""
    import pickle

    from derive.model import Prose

    sol = derive.solve("dropout", x=[2, 6, 4, 4, 5, 3, 4, 4], mask=[0, 0, 0, 0, 0, 0, 1, 1], p="3/4")
    why = next(s for s in sol.steps if s.title == "Why the correction").explanation
    assert why.startswith("Here |y_corr − y_orig| = 0 and |y_drop − y_orig| = 24, so y_corr is the closer one.")
    tex = sol.to_latex()
    # each formula one math group, symbols and all (it set | and − as text between them)
    assert r"Here \ensuremath{|y_{\text{corr}} - y_{\text{orig}}| = 0} and" in tex
    assert r"to \ensuremath{(1 - p)\cdot y_{\text{orig}}} during" in tex
    assert r"makes \ensuremath{\mathbb{E}\left[y_{\text{corr}}\right] = y_{\text{orig}}}," in tex
    assert r"y\_" not in tex
    assert pickle.loads(pickle.dumps(why)).parts == why.parts and isinstance(why, Prose)
    edge = derive.solve("dropout", x=[2, 6], mask=[1, 1], p=0).to_latex()
    assert r"\ensuremath{p = 0} keeps every unit" in edge
    assert r"the identity and \ensuremath{y_{\text{drop}} = y_{\text{corr}} = y_{\text{orig}}}." in edge
