"""The L2 solution's steps: display forms built from the exact (and, for logistic regression,
float) values that `derive.kinds.l2` computes.  Nothing here decides a number; it arranges them."""

from __future__ import annotations

import math
from fractions import Fraction

import sympy

from .. import definitions
from ..exact import approx, approx_relation, exact_str, is_terminating, round_sigfigs
from ..forms import Add, Call, Div, Mat, Mul, Pow, Sub, Sym, Vec, superscript
from ..model import Prose, Relation, Step, prose
from . import l2_logistic as logistic
from .l2_params import L2Params, Setup
from .l2_ridge import LAM, lam_theta_limit, mse, penalized_norm2, theta_at

__all__ = ["THETA", "XTX", "XTY", "col", "dec", "norm2_sym", "data_term", "data_term_name", "sweep_table", "verdict",
           "objective_step", "system_step", "limits_step", "monotone_step", "sweep_step", "logistic_step",
           "seed_step", "sgd_step", "conventions", "notes"]

THETA = Sym("θ", r"\theta")
XTX, XTY = Sym("XᵀX", r"X^\top X"), Sym("Xᵀy", r"X^\top y")


def col(values):
    return Mat(tuple((v,) for v in values))


def dec(x, figures: int = 4):
    """A correctly rounded decimal of an exact value (or a float) as a number the printers show plainly."""
    text = round_sigfigs(x, figures) if not isinstance(x, float) else f"{x:.{figures}g}"
    if "e" in text or "." in text:
        return sympy.Float(text, figures)
    return sympy.Integer(text)


def exact_and_approx(x) -> str:
    """An exact value for prose, with its rounded decimal when it has more places: "31/32 ≈ 0.97"."""
    return exact_str(x) if is_terminating(x, 2) else f"{exact_str(x)} ≈ {approx(x)}"


def _q(x):
    x = Fraction(x)
    return sympy.Rational(x.numerator, x.denominator)


def norm2_sym():
    return Sym("‖θ‖²", r"\|\theta\|^2")


def _c_lam(c: Fraction):
    return _q(c) * LAM


def objective_forms(p: L2Params, S: Setup):
    data_t, data_l = "‖Xθ − y‖²", r"\|X\theta - y\|^2"
    if p.loss == "mean":
        data_t, data_l = "(1/n)‖Xθ − y‖²", r"\tfrac{1}{n}\|X\theta - y\|^2"
    pen = "w" if 0 in S.D else "θ"
    pen_l = "w" if 0 in S.D else r"\theta"
    lam_t, lam_l = ("(λ/2)", r"\tfrac{\lambda}{2}") if p.penalty == "half" else ("λ", r"\lambda")
    return Sym(f"{data_t} + {lam_t}‖{pen}‖²", rf"{data_l} + {lam_l}\|{pen_l}\|^2")


def _data_term_markup(p: L2Params) -> str:
    return "sum of squared errors $‖Xθ − y‖²$" if p.loss == "sum" else "mean squared error $‖Xθ − y‖²/n$"


def data_term(p: L2Params) -> Prose:
    """The data term in words and its formula ("mean squared error ‖Xθ − y‖²/n")."""
    return prose(_data_term_markup(p))


def data_term_name(p: L2Params) -> str:
    """`data_term` as plain text (a result's description)."""
    return str(data_term(p))


def objective_step(p: L2Params, S: Setup) -> Step:
    J = Call(Sym("J", "J"), (THETA,))
    I = Sym("D", "D") if 0 in S.D else Sym("I", "I")
    system = Mul(Add((XTX, Mul(_c_lam(S.c), I, "juxtapose"))), THETA, "juxtapose")
    why = ("Setting $∇J(θ) = 2s·Xᵀ(Xθ − y) + 2t·λ·Dθ$ to zero gives the normal equations below, with "
           f"$s = {S.s}$ (data term) and $t = {S.t}$ (penalty), so $λ$ is scaled by $c = t/s = {S.c}$.")
    if 0 in S.D:
        why += " $D$ is the identity with a 0 for the bias $b$, which is not penalized."
    return Step("Objective and normal equations", (
        Relation(J, (objective_forms(p, S),), approx=False),
        Relation(system, (XTY,), approx=False),
        Relation(Call(THETA, (LAM,)), (Mul(Pow(Add((XTX, Mul(_c_lam(S.c), I, "juxtapose"))), -1), XTY, "juxtapose"),),
                 approx=False),
    ), prose(why))


def system_step(path) -> Step:
    M = Call(Sym("M", "M"), (LAM,))
    det = path.det.as_expr()
    factored = sympy.factor(det)
    rels = [Relation(M, (Mat(path.M()),), approx=False),
            Relation(Call(Sym("det M", r"\det M"), (LAM,)), (det,) + ((factored,) if factored != det else ()),
                     approx=False)]
    if path.d <= 4:
        rels.append(Relation(Call(Sym("adj M", r"\operatorname{adj} M"), (LAM,)),
                             (Mat(tuple(tuple(e.as_expr() for e in row) for row in path.adj)),), approx=False))
    return Step("The regularized system", tuple(rels),
                prose("$M(λ) = XᵀX + cλD$; its inverse is $adj M(λ)/det M(λ)$."
                      + ("" if path.d <= 4 else " (The adjugate is not printed for $d > 4$.)")))


def limits_step(p, S, path, r, th0, th_inf) -> Step:
    zero = Relation(Sym("θ*", r"\theta^*"), (Sym("lim_{λ→0} θ(λ)", r"\lim_{\lambda \to 0^+} \theta(\lambda)"), col(th0)))
    inf = Relation(Sym("θ(∞)", r"\theta(\infty)"), (Sym("lim_{λ→∞} θ(λ)", r"\lim_{\lambda \to \infty} \theta(\lambda)"),
                                                     col(th_inf)))
    rels = [zero, inf]
    if all(S.D):
        rels.append(Relation(Sym("lim λ·θ(λ)", r"\lim_{\lambda \to \infty} \lambda\,\theta(\lambda)"),
                             (Div(XTY, _q(S.c)) if S.c != 1 else XTY, col(lam_theta_limit(path))),
                             note=prose("$θ$ shrinks like $Xᵀy/(cλ)$")))
    if r == path.d:
        why = ("$λ → 0$: $det M(0) = det XᵀX ≠ 0$, so $θ(0) = (XᵀX)⁻¹Xᵀy$, the ordinary least-squares solution $θ*$.")
    else:
        why = (f"$λ → 0$: $XᵀX$ is singular (rank ${r} < {path.d}$), so least squares has infinitely many solutions; "
               "$θ(λ)$ still has a limit ($det M(λ)$ and every numerator share the factor λ^k), and it is the "
               + ("minimum-norm least-squares solution $X⁺y$." if all(S.D)
                  else "least-squares solution with the smallest penalized norm."))
    why += (" $λ → ∞$: $det M(λ)$ has higher degree than every numerator of a penalized entry, so those entries tend to 0"
            + (" while the unpenalized bias tends to the mean of $y$." if 0 in S.D else "."))
    return Step("Limits", tuple(rels), prose(why))


def monotone_step(p, S, path, mono, eig, E0, E_lam, E_inf) -> Step:
    Q, R = Sym("Q(λ)", r"Q(\lambda)"), Sym("R(λ)", r"R(\lambda)")
    dN = Sym("d‖θ‖²/dλ", r"\frac{d\|\theta\|^2}{d\lambda}")
    dE = Sym("dE_train/dλ", r"\frac{dE_{\text{train}}}{d\lambda}")
    c = _q(S.c)
    rels = []
    if eig:
        terms = [_q(sj) / (_q(ej) + c * LAM) ** 2 for ej, sj in eig if sj]
        rels.append(Relation(norm2_sym(), (sympy.Add(*terms),) if terms else (0,), approx=False,
                             note=prose("eigen form: eigenvalues " + ", ".join(str(e) for e, _ in eig) + " of $XᵀX$")))
    rels.append(Relation(dN, (Div(Mul(-2 * c, R), Pow(Q, 3)),), approx=False, note="quotient rule, checked exactly"))
    if mono.R.degree() <= 12:
        rels.append(Relation(R, (mono.R.as_expr(),), approx=False, note=prose("$R = (DP)ᵀ adj M (DP)$")))
    rels.append(Relation(dE, (Mul(-c * LAM, dN), Div(Mul(2 * c**2 * LAM, R), Pow(Q, 3))), approx=False,
                         note=prose("because $Xᵀ(Xθ − y) = −cλDθ$")))
    E_train = Sym("E_train", r"E_{\text{train}}")
    rels += [Relation(Call(E_train, (0,)), (E0,), note="the limit λ → 0"),
             Relation(Call(E_train, (p.lam,)), (E_lam,), note="this problem's λ"),
             Relation(Call(E_train, (Sym("∞", r"\infty"),)), (E_inf,), note="the limit λ → ∞")]
    if mono.R_zero:
        why = "$R ≡ 0$: $θ(λ) = 0$ for every $λ$ ($Xᵀy = 0$), so nothing changes with $λ$."
    elif mono.R_nonnegative and mono.Q_nonnegative:
        why = (f"Every coefficient of $R(λ)$ (degree {mono.R.degree()}) and of $Q(λ) = det M(λ)$ is $≥ 0$, so for "
               "$λ > 0$ the derivative of $‖θ(λ)‖²$ is negative ($‖θ‖$ strictly decreases) and that of the training "
               "error is $≥ 0$ (it never decreases).")
    else:
        why = ("$R(λ) = vᵀ adj M(λ) v$ with $v = DP(λ)$, and $adj M = det M · M⁻¹$ is positive definite for $λ > 0$, "
               "so $R > 0$: $‖θ(λ)‖$ strictly decreases and the training error never decreases.")
    if eig:
        why += " In the eigen form every term $sⱼ/(eⱼ + cλ)²$ decreases in $λ$, the same conclusion."
    return Step("‖θ(λ)‖ decreases, training error increases", tuple(rels), prose(why))


def sweep_table(S: Setup, path):
    rows = []
    for lam in S.grid:
        th = theta_at(path, lam)
        row = [lam, mse(S.X, S.y, th)]
        if S.X_test is not None:
            row.append(mse(S.X_test, S.y_test, th))
        row.append(penalized_norm2(th, S.D))
        rows.append(tuple(row))
    return tuple(rows)


def verdict(S: Setup, sweep, th0) -> str:
    if S.X_test is None:
        return ("No test set was given, so the test error is not available; the training "
                "error rises with λ as shown above.")
    base = mse(S.X_test, S.y_test, th0)
    best = min(sweep, key=lambda row: row[2])
    if best[2] < base:
        return (f"Test error improved: the least-squares θ* has test MSE {approx(base, sigfigs=4)}; the best λ on the "
                f"grid, λ = {best[0]}, has test MSE {approx(best[2], sigfigs=4)} (training MSE "
                f"{approx(best[1], sigfigs=4)} instead of {approx(mse(S.X, S.y, th0), sigfigs=4)}).")
    return (f"Test error did not improve on these data: θ* has test MSE {approx(base, sigfigs=4)} and no λ on the grid "
            f"does better (best: {approx(best[2], sigfigs=4)} at λ = {best[0]}). Regularization is not guaranteed to help.")


def sweep_step(S: Setup, sweep, th0) -> Step:
    head = [Sym("λ", r"\lambda"), Sym("train MSE", r"\text{train MSE}")]
    if S.X_test is not None:
        head.append(Sym("test MSE", r"\text{test MSE}"))
    head.append(norm2_sym())
    table = Mat((tuple(head),) + tuple((row[0],) + tuple(dec(v) for v in row[1:]) for row in sweep))
    return Step("λ sweep", (Relation(Sym("sweep", r"\text{sweep}"), (table,), approx=False),),
                prose("Exact values at each $λ$ of a log grid, shown to 4 significant figures ($MSE = ‖Xθ − y‖²/n$). ")
                + verdict(S, sweep, th0))


def logistic_step(S: Setup, lp) -> Step:
    has_test = S.X_test is not None and S.test_labels is not None
    head = [Sym("λ", r"\lambda"), Sym("‖θ_λ‖", r"\|\theta_\lambda\|")]
    if lp.star:
        head.append(Sym("‖θ_λ − θ*‖", r"\|\theta_\lambda - \theta^*\|"))
    head += [Sym("train acc", r"\text{train acc}"), Sym("train CE", r"\text{train CE}")]
    if has_test:
        head.append(Sym("test acc", r"\text{test acc}"))
    rows = [tuple(head)]
    for f in lp.fits:
        row = [f.lam, dec(f.norm)]
        if lp.star:
            row.append(dec(sum((a - b) ** 2 for a, b in zip(f.theta, lp.star.theta)) ** 0.5))
        row += [dec(f.accuracy), dec(f.loss)]
        if has_test:
            row.append(dec(f.test_accuracy))
        rows.append(tuple(row))
    rels = [Relation(Sym("logistic", r"\text{logistic}"), (Mat(tuple(rows)),), approx=False)]
    if lp.star:
        rels.append(Relation(Sym("θ*", r"\theta^*"), (Vec(tuple(dec(v, 6) for v in lp.star.theta)),), approx=False,
                             note=f"λ = 0, {lp.star.iterations} Newton step{'s' if lp.star.iterations != 1 else ''}"))
        status = prose("At $λ = 0$ Newton's method converges: the unregularized minimizer $θ*$ exists.")
    elif lp.status == "separable":
        short = max(v.denominator for v in lp.certificate) <= logistic.SHORT_DENOMINATORS[-1]
        shown = Vec(lp.certificate if short else tuple(dec(float(v), 6) for v in lp.certificate))
        rels.append(Relation(Sym("θ_sep", r"\theta_{\text{sep}}"), (shown,), approx=short,
                             note="every margin > 0, checked exactly"))
        status = prose("The classes are linearly separable ($θ_sep$ classifies every training example correctly, "
                       "checked in exact arithmetic): scaling $θ_sep$ up drives the cross-entropy to 0, so $θ*$ does not "
                       "exist — $‖θ_λ‖$ grows without bound as $λ → 0$.")
    else:
        status = prose("At $λ = 0$ Newton's method does not converge ($‖θ‖$ keeps growing): the classes are "
                       "(quasi-)separable and $θ*$ does not exist.")
    return Step("Logistic regression (cross-entropy, numerical)", tuple(rels),
                Prose(*_parts(prose("The cross-entropy objective $Σ CE(σ(Xθ), y) + λ‖θ‖²$ (same conventions) has no "
                                    "closed form: Newton's method in numpy float64, labels ")),
                      S.label_rule,  # the user's label column may be named in it: text
                      *_parts(prose(f", stopped when every entry of $∇J$ is below "
                                    f"${_power_of_ten(logistic.GRADIENT_TOL)}$ in size. ")), *_parts(status)))


def _parts(text) -> tuple:
    """A Prose's parts, or a plain str as one part: for joining prose pieces into one Prose."""
    return text.parts if isinstance(text, Prose) else (text,)


def _power_of_ten(x: float) -> str:
    """1e-10 as 10⁻¹⁰ (prose for students, not a float literal); any other number as %g."""
    exponent = round(math.log10(x))
    return "10" + superscript(exponent) if 10.0**exponent == x else f"{x:g}"


def seed_step(p, S, path, th0, theta, E0, E_lam, sweep, lp) -> Step:
    """The seed's multiple-choice answers, each with the numbers of this problem that support it."""
    import math

    big, small = sweep[-1], sweep[0]          # the grid is sorted
    gap = sum(((a - b) ** 2 for a, b in zip(theta_at(path, small[0]), th0)), Fraction(0))
    n_lam, n_star = penalized_norm2(theta, S.D), penalized_norm2(th0, S.D)
    lg_big, lg_small = lp.fits[-1], lp.fits[0]
    target = math.log(float(p.lam)) if p.lam else -math.inf
    lg_mid = min(lp.fits, key=lambda f: abs(math.log(float(f.lam)) - target))
    star_text = (f"‖θ*‖ ≈ {lp.star.norm:.4g}" if lp.star else "θ* does not exist for these data: ‖θ_λ‖ keeps growing")
    # Labelled by what they ask, not by the seed's numbers: a worksheet letters its parts its own way.
    answers = ("Answers: for a very large λ, θ = 0; for a very small λ, θ = θ*; for a moderate λ, ‖θ‖₂ < ‖θ*‖₂, "
               "a little worse on training metrics and hopefully better on test metrics. ")
    # The sweep's step says why there is no test error; this one only answers.
    test = ("Test error: not available, as no test set was given." if S.X_test is None
            else f"Test error: {verdict(S, sweep, th0)}")
    if n_star == 0:
        return Step("Very large, very small and moderate λ", (), answers + (
            "On these data Xᵀy gives θ* = 0 (penalized part), so θ(λ) = 0 for every λ and the comparisons are all "
            "equalities. " + test))
    moderate = (f"ridge ‖θ‖² = {exact_and_approx(n_lam)} at λ = {p.lam} against {exact_and_approx(n_star)} for θ*"
                if p.lam else "at λ = 0 the solution is θ* itself; take a λ > 0 to compare")
    text = (answers +
            f"Very large λ: at λ = {big[0]} the ridge ‖θ‖² {approx_relation(big[-1], sigfigs=3)} and the logistic ‖θ_λ‖ ≈ "
            f"{lg_big.norm:.3g}; both tend to 0 as λ → ∞. "
            f"Very small λ: at λ = {small[0]} the ridge θ is within ‖θ − θ*‖² {approx_relation(gap, sigfigs=3)} of θ*; "
            f"the logistic ‖θ_λ‖ ≈ {lg_small.norm:.4g} ({star_text}). "
            f"Moderate λ: {moderate}. Training error {exact_and_approx(E_lam)} against {exact_and_approx(E0)} for θ* "
            f"(never lower, by the derivative above); logistic training cross-entropy {lg_mid.loss:.4g} at "
            f"λ = {lg_mid.lam} against {lg_small.loss:.4g} at λ = {lg_small.lam}. " + test)
    return Step("Very large, very small and moderate λ", (), text)


def sgd_step(p: L2Params, S: Setup):
    """One exact step θ₁ = θ₀ − η(∇L(θ₀) + wd·Dθ₀), wd = 2tλ (SGD's weight_decay for this penalty)."""
    d = len(S.D)
    w0 = tuple(p.w0) if p.w0 is not None else (Fraction(1),) * d
    resid = tuple(sum((a * b for a, b in zip(r, w0)), Fraction(0)) - t for r, t in zip(S.X, S.y))
    grad = tuple(2 * S.s * sum((r[j] * e for r, e in zip(S.X, resid)), Fraction(0)) for j in range(d))
    wd = 2 * S.t * p.lam
    w1 = definitions.weight_decay_step(_vec(w0), _vec(grad), p.eta, wd * _vec(S.D))
    w1 = tuple(w1.items)
    G = Sym("∇L(θ₀)", r"\nabla L(\theta_0)")
    rels = (
        Relation(Sym("θ₀", r"\theta_0"), (col(w0),), approx=False),
        Relation(G, (Mul(2 * S.s, Mul(Sym("Xᵀ", r"X^\top"), Sym("(Xθ₀ − y)", r"(X\theta_0 - y)"), "juxtapose")),
                     col(grad)), approx=False),
        Relation(Sym("θ₁", r"\theta_1"), (
            Sub(Sym("θ₀", r"\theta_0"), Mul(p.eta, Add((G, Mul(wd, Sym("Dθ₀" if 0 in S.D else "θ₀",
                                                                      r"D\theta_0" if 0 in S.D else r"\theta_0")))))),
            col(w1))),
    )
    why = (f"torch.optim.SGD(weight_decay=wd) adds $wd·θ$ to the gradient, the gradient of $(wd/2)‖θ‖²$. This "
           f"problem's penalty ${'(λ/2)' if p.penalty == 'half' else 'λ'}‖θ‖²$ therefore means weight_decay "
           f"${'= λ' if p.penalty == 'half' else '= 2λ'} = {wd}$; with the other convention it would be "
           f"${'2λ' if p.penalty == 'half' else 'λ'} = {p.lam * (2 if p.penalty == 'half' else 1)}$. "
           f"$η = {p.eta}$; $L$ is the data term ({_data_term_markup(p)}). (Adam's L2 term differs from AdamW's "
           "decoupled decay.)")
    return Step("One SGD step with weight decay", rels, prose(why)), w1


class _vec:
    """Exact elementwise arithmetic, so `definitions.weight_decay_step` runs on Fractions."""

    def __init__(self, items):
        self.items = tuple(items)

    def _op(self, other, f):
        o = other.items if isinstance(other, _vec) else (other,) * len(self.items)
        return _vec(f(a, b) for a, b in zip(self.items, o))

    __add__ = lambda self, o: self._op(o, lambda a, b: a + b)        # noqa: E731
    __sub__ = lambda self, o: self._op(o, lambda a, b: a - b)        # noqa: E731
    __mul__ = lambda self, o: self._op(o, lambda a, b: a * b)        # noqa: E731
    __rmul__ = __mul__


def conventions(p: L2Params, S: Setup) -> tuple[str, ...]:
    out = [prose(f"Objective: {_data_term_markup(p)} plus "
                 + ("$(λ/2)‖θ‖²$ (the ½ convention)." if p.penalty == "half" else "$λ‖θ‖²$.")),
           prose(f"Hence $(XᵀX + {S.c}·λ·D)θ = Xᵀy$: the $λ$ of this problem enters the normal equations scaled "
                 f"by {S.c}.")]
    if p.intercept:
        out.append(prose("$θ$ = (weights, $b$): a bias column of ones is appended to $X$; $b$ is "
                         + ("penalized too." if p.penalize_bias else "not penalized ($D$ has a 0 for it), as is usual.")))
    else:
        out.append("No separate bias: every entry of θ is penalized.")
    out.append("Decimals are correctly rounded from the exact values; the logistic part is float64.")
    return tuple(out)


def notes(p: L2Params, S: Setup, lp) -> tuple[str, ...]:
    out = []
    if p.holdout:
        rows = "row" if p.holdout == 1 else f"{p.holdout} rows"
        out.append(f"The last {rows} of X, y are held out as the test set; the ridge problem uses the first "
                   f"{len(S.y)} rows.")
    if lp.status != "converged":
        out.append(prose("For logistic regression $θ* = argmin CE$ does not exist on these data (see its step); the "
                         "answer $θ = θ*$ for a very small $λ$ then means $θ_λ$ follows the ever-growing unregularized "
                         "iterates."))
    return tuple(out)
