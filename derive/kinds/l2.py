"""L2 regularization: the seed's claims about λ‖θ‖², shown exactly on ridge regression and
numerically on logistic regression (cross-entropy, as the seed asks).

Ridge: θ(λ) = (XᵀX + cλD)⁻¹Xᵀy as exact rational functions of λ (`l2_ridge`), its limits,
the monotonicity of ‖θ(λ)‖² and of the training error, a λ sweep on a train/test split and
one exact weight-decay SGD step.  Logistic regression: Newton's method over the same λ grid
(`l2_logistic`).  The seed's multiple-choice answers are read off these numbers.

The sweep is also drawn: with pgfplots in the LaTeX/PDF, and as a PNG by `save_plot` when
matplotlib is installed (`derive.kinds.l2.save_plot(solution, "sweep.png")`).

>>> from derive.params import build
>>> sol = solve(build(L2Params, {"X": [[1, 0], [0, 1], [1, 1]], "y": [1, 2, 4], "lam": "1/2"}))
>>> sol.results[0].value, sol.result("theta_0").value
((Fraction(26, 21), Fraction(40, 21)), (Fraction(4, 3), Fraction(7, 3)))
"""

from __future__ import annotations

import dataclasses
import random
from fractions import Fraction

from .. import definitions
from ..errors import InputError
from ..exact import solve_linear
from ..forms import Add, Call, Div, Mat, Pow, Sym
from ..model import Relation, Result, Solution, Step, prose
from ..params import build
from ..registry import Kind, MistakeAnswer
from . import l2_logistic as logistic
from .l2_numeric import evaluate, reference, save_plot, torch_reference
from .l2_params import DEFAULT_GRID, MAX_FEATURES, L2Params, Setup, setup
from .l2_ridge import (LAM, eigen_form, limit_inf, limit_zero, monotonicity, mse, penalized_norm2, rank,
                       ridge_path, theta_at)
from .l2_steps import (THETA, XTX, XTY, col, conventions, data_term, data_term_name, limits_step, logistic_step,
                       monotone_step, norm2_sym, notes, objective_step, seed_step, sgd_step, sweep_step,
                       sweep_table, system_step)

__all__ = ["L2Params", "Setup", "setup", "solve", "reference", "torch_reference", "evaluate", "mistakes", "generate",
           "save_plot", "KIND", "DEFAULT_GRID", "MAX_FEATURES"]


# -- solve ------------------------------------------------------------------------------
def solve(p: L2Params) -> Solution:
    S = setup(p)
    try:
        path = ridge_path(S.X, S.y, S.D, S.c)
    except ValueError:
        raise InputError("X", "XᵀX + λD is singular for every λ: a direction the penalty leaves free is not "
                         "determined by X (e.g. a constant column together with an unpenalized bias)") from None
    d, lam0 = path.d, p.lam
    r = rank(path.A)
    th0 = limit_zero(path)
    th_inf = limit_inf(path)
    theta = theta_at(path, lam0)
    at_zero_singular = theta is None
    if theta is None:
        theta = th0
    mono = monotonicity(path)
    theta_lambda = path.theta_exprs()
    eig = eigen_form(path) if d <= 6 else None
    err = lambda th: mse(S.X, S.y, th) * (len(S.y) if p.loss == "sum" else 1)   # noqa: E731  the data term
    E0, E_lam = err(th0), err(theta)
    E_inf = err(th_inf)
    sweep = sweep_table(S, path)
    lpath = logistic.logistic_path(S.X, S.labels, S.grid, S.D, float(S.s), float(S.t), S.X_test, S.test_labels)
    step, w1 = sgd_step(p, S)

    steps = (
        objective_step(p, S),
        Step("XᵀX and Xᵀy", (
            *((Relation(Sym("X", "X"), (Mat(S.X),), approx=False, note=prose("with a column of ones for the bias $b$")),)
              if p.intercept else ()),
            Relation(XTX, (Mat(path.A),), approx=False),
            Relation(XTY, (col(path.b),), approx=False)),
             prose(f"$n = {len(S.y)}$ training examples, $d = {d}$ parameters; $XᵀX$ has rank {r}.")),
        system_step(path),
        Step("θ(λ) exactly", (Relation(Call(THETA, (LAM,)), (
            Div(col(p_.as_expr() for p_ in path.num), path.det.as_expr()), col(theta_lambda)), approx=False),),
             prose("$θ(λ) = adj M(λ)·Xᵀy / det M(λ)$; each entry is a rational function of $λ$, in lowest terms.")),
        Step(f"At λ = {lam0}", (
            Relation(Call(THETA, (lam0,)), (col(theta),)),
            Relation(norm2_sym(), (Add(tuple(Pow(v, 2) for v, k in zip(theta, S.D) if k)), penalized_norm2(theta, S.D)),
                     note="penalized entries" if 0 in S.D else ""),
            Relation(Sym("E_train", r"E_{\text{train}}"), (E_lam,), note=data_term(p))),
             prose("Substitute $λ$ into $θ(λ)$."
                   + (" At $λ = 0$ with $XᵀX$ singular, $θ(0)$ is the limit below." if at_zero_singular else ""))),
        limits_step(p, S, path, r, th0, th_inf),
        monotone_step(p, S, path, mono, eig, E0, E_lam, E_inf),
        sweep_step(S, sweep, th0),
        logistic_step(S, lpath),
        seed_step(p, S, path, th0, theta, E0, E_lam, sweep, lpath),
        step,
    )
    results = (
        Result("theta", Call(THETA, (lam0,)), theta, f"ridge solution at λ = {lam0}"),
        Result("theta_lambda", Call(THETA, (LAM,)), theta_lambda, "θ(λ) as exact rational functions of λ"),
        Result("norm2", norm2_sym(), penalized_norm2(theta, S.D), f"‖θ(λ)‖² at λ = {lam0} (penalized entries)"),
        Result("train_error", Sym("E_train", r"E_{\text{train}}"), E_lam, f"{data_term_name(p)} at λ = {lam0}"),
        Result("theta_0", Sym("θ*", r"\theta^*"), th0, "lim θ(λ) as λ → 0: " + (
            "the least-squares solution" if r == d else "the minimum-norm least-squares solution")),
        Result("theta_inf", Sym("θ(∞)", r"\theta(\infty)"), th_inf, "lim θ(λ) as λ → ∞"),
        Result("w_step", Sym("θ₁", r"\theta_1"), w1, "θ after one SGD step with weight decay"),
        Result("sweep", Sym("sweep", r"\text{sweep}"), sweep,
               "rows: λ, training MSE, " + ("test MSE, " if S.X_test is not None else "") + "‖θ‖² (penalized)",
               shown=False),  # plotted and tabulated in the steps; too long for the Answer
    )
    return Solution(kind="l2", params=p, results=results, steps=steps, conventions=conventions(p, S),
                    notes=notes(p, S, lpath), definition=definitions.ridge)


# -- wrong methods, for diagnosis ---------------------------------------------------
def _theta_with(S: Setup, lam, c, D):
    A = [[sum((r[i] * r[j] for r in S.X), Fraction(0)) + (c * lam * D[i] if i == j else 0)
          for j in range(len(D))] for i in range(len(D))]
    b = [sum((r[i] * t for r, t in zip(S.X, S.y)), Fraction(0)) for i in range(len(D))]
    return solve_linear(A, b)


def mistakes(p: L2Params) -> tuple[MistakeAnswer, ...]:
    S = setup(p)
    lam, right = p.lam, _theta_with(S, p.lam, S.c, S.D)
    n = len(S.y)
    out = []

    def add(name, message, theta, step="Objective and normal equations"):
        if theta is not None and theta != right:
            out.append(MistakeAnswer(name, message, {"theta": theta}, step))

    other_c = S.c * 2 if p.penalty == "half" else S.c / 2
    add("half_convention", ("Used the other penalty convention: " + (
        "λ‖θ‖² gives (XᵀX + λI)θ = Xᵀy; this problem's (λ/2)‖θ‖² gives (XᵀX + (λ/2)I)θ = Xᵀy."
        if p.penalty == "half" else "this problem's λ‖θ‖² gives (XᵀX + λI)θ = Xᵀy; (XᵀX + (λ/2)I) belongs to (λ/2)‖θ‖².")),
        _theta_with(S, lam, other_c, S.D))
    if lam:
        add("forgot_lambda", "Forgot the penalty: that is the least-squares θ*, the λ → 0 limit.",
            _theta_with(S, 0, S.c, S.D))
    if n > 1:
        add("loss_scaling", "Mixed up the sum and the mean of the squared errors: with ‖Xθ − y‖²/n the penalty "
            "enters as nλ, with the sum as λ.", _theta_with(S, lam, S.c * n if p.loss == "sum" else S.c / n, S.D))
    if p.intercept and not p.penalize_bias:
        add("regularized_bias", "Penalized the bias b; here only the weights are penalized (D has a 0 for b).",
            _theta_with(S, lam, S.c, (1,) * len(S.D)))
    if p.intercept and p.penalize_bias:
        add("unregularized_bias", "Left the bias b out of the penalty; this problem penalizes it too.",
            _theta_with(S, lam, S.c, S.D[:-1] + (0,)))
    if lam:
        wrong = dataclasses.replace(p, penalty="half" if p.penalty == "full" else "full")
        _, w_wrong = sgd_step(wrong, setup(wrong))
        _, w_right = sgd_step(p, S)
        if w_wrong != w_right:
            out.append(MistakeAnswer("weight_decay_factor", "SGD's weight_decay = wd is the gradient of (wd/2)‖θ‖²: "
                                     f"for {'λ' if p.penalty == 'full' else '(λ/2)'}‖θ‖² use weight_decay = "
                                     f"{'2λ' if p.penalty == 'full' else 'λ'}.", {"w_step": w_wrong},
                                     "One SGD step with weight decay"))
    return tuple(out)


# -- randomized variants ------------------------------------------------------------
def generate(rng: random.Random, difficulty: str = "easy") -> L2Params:
    """A seeded variant with small integers: a full-rank X, y = Xθ + noise, a test set, a nice λ."""
    levels = {"easy": (2, 4, False, "full"), "medium": (2, 6, True, "full"), "hard": (3, 6, False, "half")}
    if difficulty not in levels:
        raise InputError("difficulty", f"must be one of {', '.join(levels)}, got {difficulty!r}")
    d, n, intercept, penalty = levels[difficulty]
    true = [rng.randint(-3, 3) or 1 for _ in range(d)]
    while True:
        X = [[rng.randint(-3, 3) for _ in range(d)] for _ in range(n + 3)]
        raw = {"X": X[:n], "y": [sum(a * b for a, b in zip(r, true)) + rng.randint(-2, 2) for r in X[:n]]}
        if intercept:
            raw["intercept"] = True
        try:
            p = build(L2Params, {**raw, "lam": rng.choice(("1/2", "1", "2")), "penalty": penalty,
                                 "X_test": X[n:], "y_test": [sum(a * b for a, b in zip(r, true)) + rng.randint(-2, 2)
                                                             for r in X[n:]]})
        except InputError:
            continue
        if rank(setup(p).X) == d + intercept:  # the design (bias column included) has full column rank:
            return p                           # rank X = rank XᵀX, so XᵀX is invertible


KIND = Kind(
    name="l2",
    title="L2 regularization",
    params=L2Params,
    solve=solve,
    reference=reference,
    torch_reference=torch_reference,
    mistakes=mistakes,
    generate=generate,
    template="l2.tex.j2",
    plot=save_plot,
)
