"""L2 regularization: the exact ridge path against hand-worked values, SymPy's own matrix
inverse and numpy's lstsq; logistic regression's limits; the SGD weight-decay step against
torch.optim.SGD; conventions, bad input, CLI and PDF."""

import json
import random
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import assume, given, settings, strategies as st

import derive
from derive.errors import InputError
from derive.kinds import l2 as L2
from derive.kinds.l2_ridge import LAM, monotonicity, ridge_path
from derive.params import build

F = Fraction
EX = dict(X=[[1, 0], [0, 1], [1, 1]], y=[1, 2, 4], lam="1/2", X_test=[[1, 2], [2, 1]], y_test=[5, 4])
EX_CLI = ["--X", "[[1,0],[0,1],[1,1]]", "--y", "[1,2,4]", "--lam", "1/2",
          "--X_test", "[[1,2],[2,1]]", "--y_test", "[5,4]"]


def solve(**raw):
    return derive.solve("l2", checks="none", **raw)


def values(sol):
    return {r.name: r.value for r in sol.results}


def derive_cli(*args):
    return subprocess.run([sys.executable, "-m", "derive.cli", *args], capture_output=True, text=True, timeout=120)


# -- the worked example, by hand ----------------------------------------------------------
def test_worked_example_by_hand():
    # XᵀX = [[2, 1], [1, 2]], Xᵀy = [5, 6], det(XᵀX + λI) = (λ + 1)(λ + 3),
    # adj·Xᵀy = [(λ + 2)·5 − 6, −5 + 6(λ + 2)] = [5λ + 4, 6λ + 7]
    v = values(solve(**EX))
    lam = sympy.Symbol("lam")
    hand = [(5 * lam + 4) / ((lam + 1) * (lam + 3)), (6 * lam + 7) / ((lam + 1) * (lam + 3))]
    got = [e.subs(LAM, lam) for e in v["theta_lambda"]]
    assert [sympy.simplify(g - h) for g, h in zip(got, hand)] == [0, 0]
    assert v["theta"] == (F(26, 21), F(40, 21))                  # (13/2)/(21/4), 10/(21/4)
    assert v["theta_0"] == (F(4, 3), F(7, 3)) and v["theta_inf"] == (0, 0)
    assert v["norm2"] == F(26, 21) ** 2 + F(40, 21) ** 2
    assert v["train_error"] == (F(26, 21) - 1) ** 2 + (F(40, 21) - 2) ** 2 + (F(66, 21) - 4) ** 2


def test_worked_example_steps():
    sol = solve(**EX)
    text = sol.to_text()
    assert "det M(λ) = λ² + 4λ + 3 = (λ + 1)(λ + 3)" in text
    assert "‖θ‖² = 121/(2(λ + 3)²) + 1/(2(λ + 1)²)" in text          # eigenvalues 1 and 3
    assert "R(λ) = 61λ³ + 186λ² + 195λ + 74" in text
    assert "Test error improved" in text and "λ = 1, has test MSE 0.2031" in text
    assert "Answers: for a very large λ, θ = 0; for a very small λ, θ = θ*; for a moderate λ, ‖θ‖₂ < ‖θ*‖₂" in text
    assert "weight_decay = 2λ = 1" in text


def test_theta_lambda_equals_sympys_own_inverse():
    X = sympy.Matrix([[1, 2, 0], [0, 1, 1], [1, 0, 3], [2, 1, 1]])
    y = sympy.Matrix([1, -1, 2, 0])
    lam = sympy.Symbol("lam")
    want = (X.T * X + lam * sympy.eye(3)).inv() * X.T * y
    v = values(solve(X=X.tolist(), y=list(y), lam=2))
    got = [e.subs(LAM, lam) for e in v["theta_lambda"]]
    assert all(sympy.cancel(g - w) == 0 for g, w in zip(got, want))
    assert v["theta"] == tuple(F(str(e.subs(lam, 2))) for e in want)


# -- against numpy ------------------------------------------------------------------------
def np_solution(X, y, kappa, D=None):
    X, y = np.array(X, float), np.array(y, float)
    D = np.eye(X.shape[1]) if D is None else np.diag(D)
    return np.linalg.solve(X.T @ X + kappa * D, X.T @ y)


@pytest.mark.parametrize("penalty, loss, scale", [("full", "sum", 1), ("half", "sum", F(1, 2)),
                                                   ("full", "mean", 4), ("half", "mean", 2)])
def test_conventions_scale_lambda(penalty, loss, scale):
    X, y = [[1, 2], [0, 1], [3, 1], [1, 1]], [1, 0, 2, 1]
    v = values(solve(X=X, y=y, lam=3, penalty=penalty, loss=loss))
    assert np.allclose([float(t) for t in v["theta"]], np_solution(X, y, float(3 * scale)), rtol=1e-12)


def test_unpenalized_bias():
    X, y = [[1], [2], [4], [5]], [1, 3, 2, 6]
    v = values(solve(X=X, y=y, lam=2, intercept=True))
    Xa = [[1, 1], [2, 1], [4, 1], [5, 1]]
    assert np.allclose([float(t) for t in v["theta"]], np_solution(Xa, y, 2.0, [1, 0]), rtol=1e-12)
    assert v["theta_inf"] == (0, F(3))                              # the bias tends to the mean of y
    assert v["theta_0"] == tuple(F(t).limit_denominator(1000) for t in np.linalg.lstsq(
        np.array(Xa, float), np.array(y, float), rcond=None)[0])
    penalized = values(solve(X=X, y=y, lam=2, intercept=True, penalize_bias=True))
    assert np.allclose([float(t) for t in penalized["theta"]], np_solution(Xa, y, 2.0), rtol=1e-12)
    assert penalized["theta_inf"] == (0, 0)


def test_singular_gram_gives_the_minimum_norm_limit():
    X, y = [[1, 1], [2, 2], [1, 1]], [1, 2, 4]
    sol = solve(X=X, y=y, lam=0)
    v = values(sol)
    pinv = sympy.Matrix(X).pinv() * sympy.Matrix(y)
    assert v["theta_0"] == v["theta"] == tuple(F(str(e)) for e in pinv) == (F(3, 4), F(3, 4))
    assert "rank 1 < 2" in sol.to_text() and "minimum-norm" in sol.to_text()
    assert all(c.ok for c in derive.solve("l2", X=X, y=y, lam=0).checks)


def test_numeric_checks_all_agree():
    sol = derive.solve("l2", **EX)
    assert {c.backend for c in sol.checks} >= {"numpy:theta", "numpy:theta_0", "numpy:sweep", "numpy:w_step"}
    assert all(c.ok for c in sol.checks)


# -- monotonicity ------------------------------------------------------------------------
small = st.integers(-4, 4)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3).flatmap(lambda d: st.tuples(
    st.lists(st.lists(small, min_size=d, max_size=d), min_size=d + 1, max_size=d + 3),
    st.lists(small, min_size=d + 3, max_size=d + 3))))
def test_norm_never_increases_with_lambda(data):
    X, y = data
    y = y[:len(X)]
    assume(sympy.Matrix(X).rank() == len(X[0]))
    path = ridge_path(X, y, (1,) * len(X[0]), F(1))
    mono = monotonicity(path)                         # raises if the derivative identities fail
    assert mono.R_nonnegative and mono.Q_nonnegative
    sweep = values(solve(X=X, y=y, lam=1))["sweep"]
    norms = [row[-1] for row in sweep]
    train = [row[1] for row in sweep]
    assert all(a >= b for a, b in zip(norms, norms[1:]))
    assert all(a <= b for a, b in zip(train, train[1:]))


def test_sweep_rows_are_exact():
    sweep = values(solve(**EX, lam_grid=["1/10", 1, 10]))["sweep"]
    th = (F(9, 8), F(13, 8))                      # λ = 1: [(5 + 4)/8, (6 + 7)/8]
    X, y, Xt, yt = EX["X"], EX["y"], EX["X_test"], EX["y_test"]
    train = sum((a * th[0] + b * th[1] - t) ** 2 for (a, b), t in zip(X, y)) / 3
    test = sum((a * th[0] + b * th[1] - t) ** 2 for (a, b), t in zip(Xt, yt)) / 2
    assert sweep[1] == (1, train, test, th[0] ** 2 + th[1] ** 2)


def test_no_test_set_is_said_so():
    sol = solve(X=EX["X"], y=EX["y"], lam=1)
    assert "test error is not available" in sol.to_text()
    assert len(values(sol)["sweep"][0]) == 3


def test_holdout_split():
    sol = solve(X=[[1], [2], [3], [4], [5]], y=[1, 2, 2, 4, 5], intercept=True, holdout=2)
    assert len(values(sol)["sweep"][0]) == 4
    assert any("last 2 rows" in n for n in sol.notes)


# -- logistic regression -------------------------------------------------------------------
def test_logistic_separable_data_are_detected():
    sol = solve(X=[[1], [2], [3], [4], [5], [6]], y=[0, 0, 0, 1, 1, 1], intercept=True)
    step = next(s for s in sol.steps if s.title.startswith("Logistic"))
    assert "linearly separable" in step.explanation and "θ* does not exist" in step.explanation


def test_logistic_limits():
    from derive.kinds import l2_logistic as LG

    X = [[1, 0], [1, 1], [1, 2], [1, 3], [1, 4], [1, 5]]
    y = [0, 0, 1, 0, 1, 1]
    grid = [F(1, 10**6), F(1, 100), F(1), F(100), F(10**4)]
    path = LG.logistic_path(X, y, grid, (1, 1), 1, 1)
    assert path.status == "converged"
    star = np.array(path.star.theta)
    Xf, yf = np.array(X, float), np.array(y, float)
    grad = Xf.T @ (1 / (1 + np.exp(-Xf @ star)) - yf)
    assert np.abs(grad).max() < 1e-8                                   # θ* is the minimizer
    norms = [f.norm for f in path.fits]
    assert all(a >= b - 1e-12 for a, b in zip(norms, norms[1:]))          # ‖θ_λ‖ shrinks with λ
    assert np.linalg.norm(np.array(path.fits[0].theta) - star) < 1e-4    # λ → 0: θ*
    assert path.fits[-1].norm < 1e-3                                     # λ → ∞: 0


# -- SGD with weight decay -----------------------------------------------------------------
def test_weight_decay_step_by_hand():
    # θ₀ = [1, 1]: residuals Xθ₀ − y = [0, −1, −2], ∇ = 2Xᵀr = [−4, −6], wd = 2λ = 1
    v = values(solve(**EX, eta="1/10"))
    assert v["w_step"] == (1 - F(1, 10) * (-4 + 1), 1 - F(1, 10) * (-6 + 1))


def test_weight_decay_step_matches_torch_sgd(require_module):
    require_module("torch")
    for extra in ({}, {"penalty": "half"}, {"intercept": True}, {"loss": "mean", "w0": [2, -1]}):
        sol = derive.solve("l2", **{**EX, **extra}, checks="torch")
        torch_checks = {c.backend: c for c in sol.checks}
        assert torch_checks["torch:w_step"].ok and torch_checks["torch:theta"].ok


# -- mistakes ----------------------------------------------------------------------------------
def test_mistakes():
    p = build(L2.L2Params, {**EX, "intercept": True})
    found = {m.name: m.results for m in L2.mistakes(p)}
    assert set(found) >= {"half_convention", "forgot_lambda", "loss_scaling", "regularized_bias", "weight_decay_factor"}
    S = L2.setup(p)
    assert found["forgot_lambda"]["theta"] == values(solve(**EX, intercept=True))["theta_0"]
    half = values(solve(**EX, intercept=True, penalty="half"))["theta"]
    assert found["half_convention"]["theta"] == half
    assert found["regularized_bias"]["theta"] == values(solve(**EX, intercept=True, penalize_bias=True))["theta"]
    assert S.c == 1


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, field", [
    (dict(X=[[1, 2], [3, 4]], y=[1, 2], lam=-1), "lam"),
    (dict(X=[[1, 2], [3, 4]], y=[1, 2, 3]), "y"),
    (dict(X=[[1, 2], [3, 4]], y=[1, "b"]), "y[1]"),
    (dict(X=[[1, 2], [3]], y=[1, 2]), "X"),
    (dict(X=[[1, 2], [3, 4]], y=[1, 2], X_test=[[1, 2]]), "y_test"),
    (dict(X=[[1, 2], [3, 4]], y=[1, 2], X_test=[[1]], y_test=[1]), "X_test"),
    (dict(X=[[1, 2], [3, 4]], y=[1, 2], holdout=2), "holdout"),
    (dict(X=[[1, 2], [3, 4]], y=[1, 2], y_class=[0, 2]), "y_class"),
    (dict(X=[[1, 2], [3, 4]], y=[1, 2], lam_grid=[0, 1]), "lam_grid"),
    (dict(X=[[1, 2], [3, 4]], y=[1, 2], w0=[1]), "w0"),
    (dict(X=[[1, 2], [3, 4]], y=[1, 2], eta=0), "eta"),
    (dict(X=[list(range(9))], y=[1]), "X"),
    (dict(X=[list(range(8))], y=[1], intercept=True), "X"),
])
def test_bad_input_names_the_field(raw, field):
    with pytest.raises(InputError) as e:
        solve(**raw)
    assert e.value.field == field


def test_cli_bad_input_exits_2_with_one_line(tmp_path):
    target = tmp_path / "x.pdf"
    for args in (["--X", "[[1,2],[3,4]]", "--y", "[1,2]", "--lam", "-1"],
                 ["--X", "[[1,2],[3,4]]", "--y", "[1,x]"]):
        out = derive_cli("solve", "l2", *args, "--format", "pdf", "-o", str(target))
        assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
        assert not target.exists()


# -- output ------------------------------------------------------------------------------------
def test_cli_json_contract():
    out = derive_cli("solve", "l2", *EX_CLI, "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["answer"]["exact"] == ["26/21", "40/21"]
    lam = sympy.Symbol("λ")
    parsed = [sympy.sympify(s) for s in data["answers"]["theta_lambda"]["exact"]]
    assert sympy.simplify(parsed[0] - (5 * lam + 4) / (lam**2 + 4 * lam + 3)) == 0
    assert data["answers"]["theta_0"]["exact"] == ["4/3", "7/3"]
    assert data["answers"]["sweep"]["exact"][5] == ["1", "55/96", "13/64", "125/32"]
    assert all(c["ok"] for c in data["checks"].values())


def test_pdf_has_the_path_the_limits_and_the_plot(tmp_path, require_tool):
    require_tool("pdflatex")
    tex = solve(**EX).to_latex()
    assert r"\lim_{\lambda \to 0^+} \theta(\lambda)" in tex and r"\lim_{\lambda \to \infty} \theta(\lambda)" in tex
    assert r"\frac{5 \lambda + 4}{\lambda^{2} + 4 \lambda + 3}" in tex
    assert tex.count(r"\begin{semilogxaxis}") == 2 and "(0.001, " in tex
    target = tmp_path / "l2.pdf"
    out = derive_cli("solve", "l2", *EX_CLI, "--format", "pdf", "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert target.read_bytes().startswith(b"%PDF")


def test_png_plot(tmp_path, require_module):
    require_module("matplotlib")
    target = tmp_path / "sweep.png"
    L2.save_plot(solve(**EX), target)
    assert target.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_generate_is_seeded_and_full_rank(difficulty):
    a, b = L2.generate(random.Random(11), difficulty), L2.generate(random.Random(11), difficulty)
    assert a == b
    sol = derive.solve("l2", **{f: getattr(a, f) for f in ("X", "y", "lam", "penalty", "intercept", "X_test", "y_test")})
    assert all(c.ok for c in sol.checks)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.fractions(min_value=-3, max_value=3, max_denominator=3) | st.just(Fraction(0)),
                         min_size=3, max_size=3), min_size=1, max_size=5))
def test_exact_rank_agrees_with_sympy(rows):
    from derive.kinds.l2_ridge import rank

    dependent = rows + [[a - 2 * b for a, b in zip(rows[0], rows[-1])]]  # a combination adds no rank
    for A in (rows, dependent, [r[:2] for r in rows]):
        assert rank(A) == sympy.Matrix(A).rank()
    assert rank(dependent) == rank(rows)


def test_grid_is_sorted_and_the_degenerate_case_is_said():
    sol = solve(X=[[1], [2], [3]], y=[0, 0, 0], lam_grid=[10, "0.1", 1, 10])
    assert [row[0] for row in values(sol)["sweep"]] == [F(1, 10), 1, 10]
    assert values(sol)["theta_lambda"] == (0,)
    seed = next(s for s in sol.steps if s.title == "Very large, very small and moderate λ")
    assert "θ(λ) = 0 for every λ" in seed.explanation


def test_params_round_trip_through_json():
    from derive.render.json import jsonable

    p = L2.generate(random.Random(4), "medium")
    assert build(L2.L2Params, json.loads(json.dumps(jsonable(p)))) == p


def test_explicit_labels_with_a_test_set_without_test_labels():
    sol = solve(X=[[1], [2], [3], [4], [5], [6]], y=[1, "2.5", 2, "4.5", 4, "6.5"], intercept=True,
                y_class=[0, 0, 1, 0, 1, 1], X_test=[["1.5"], ["3.5"], [7]], y_test=["1.5", "3.5", 7])
    step = next(s for s in sol.steps if s.title.startswith("Logistic"))
    assert "θ* exists" in step.explanation and "labels as given (y_class)" in step.explanation


def test_cli_plot_writes_a_png(tmp_path, require_module):
    """`derive solve l2 --plot FILE.png` draws the sweep; a kind without a figure says so (exit 2)."""
    import subprocess
    import sys

    require_module("matplotlib")
    target = tmp_path / "sweep.png"
    done = subprocess.run([sys.executable, "-m", "derive.cli", "solve", "l2", "--X", "[[1,0],[0,1],[1,1]]",
                           "--y", "[1,2,4]", "--lam", "1/2", "--plot", str(target)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert target.read_bytes().startswith(b"\x89PNG")
    refused = subprocess.run([sys.executable, "-m", "derive.cli", "solve", "layernorm", "--X", "[[1,2]]",
                              "--plot", str(tmp_path / "x.png")], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "plot: layernorm solutions have no figure" in refused.stderr
    assert not (tmp_path / "x.png").exists()


def test_the_seed_problem_states_its_errors_exactly():
    # X = rows (1, 0), (0, 1), (1, 1), y = (1, 2, 2), λ = 1: E_train(θ*) = 1/3, E_train(θ(1)) = 31/32
    # and E_train(∞) = ‖y‖² = 9; decimals only beside values that do not terminate.
    text = solve(X=[[1, 0], [0, 1], [1, 1]], y=[1, 2, 2], lam=1).to_text()
    assert ("E_train(0) = 1/3 ≈ 0.33    (the limit λ → 0)\n  E_train(1) = 31/32 ≈ 0.97    (this problem's λ)\n"
            "  E_train(∞) = 9    (the limit λ → ∞)") in text
    assert "ridge ‖θ‖² = 53/32 ≈ 1.66 at λ = 1 against 29/9 ≈ 3.22 for θ*" in text
    assert "Training error 31/32 ≈ 0.97 against 1/3 ≈ 0.33 for θ*" in text
    # Labels (0, 1, 1): margins −1, 3 and 2 for θ = (−1, 3), a certificate checkable by hand.
    assert "θ_sep = [-1, 3]    (every margin > 0, checked exactly)" in text
    # Floats from Newton's method are written with ≈, its tolerance as a power of ten.
    assert "the logistic ‖θ_λ‖ ≈ 0.0005;" in text and "below 10⁻¹⁰ in size" in text and "1e-10" not in text
    assert "seed" not in text
    assert text.count("No test set was given") == 1 and "Test error: not available, as no test set was given." in text


def test_a_tolerance_is_written_as_a_power_of_ten_only_when_it_is_one():
    from derive.kinds.l2_steps import _power_of_ten

    assert (_power_of_ten(1e-10), _power_of_ten(1e-3), _power_of_ten(100.0)) == ("10⁻¹⁰", "10⁻³", "10²")
    assert _power_of_ten(5e-11) == "5e-11"


def test_without_a_test_set_the_answers_say_so_once_when_theta_star_is_zero_too():
    # Xᵀy = 0: θ* = 0 takes the short answer; it repeated the sweep's "No test set was given" sentence.
    text = solve(X=[[1, 0], [0, 1], [1, 1]], y=[0, 0, 0], lam=1).to_text()
    assert "the comparisons are all equalities. Test error: not available, as no test set was given." in text
    assert text.count("No test set was given") == 1
