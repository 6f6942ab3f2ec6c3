"""Ridge regression, exactly: θ(λ) = (XᵀX + cλD)⁻¹Xᵀy as rational functions of λ.

The regularized matrix M(λ) = XᵀX + cλD has polynomial entries, so its adjugate and
determinant are polynomials (SymPy's DomainMatrix over ℚ[λ]) and every entry of θ(λ) is
Pᵢ(λ)/Q(λ) with Q = det M.  Everything the solution claims is computed from these:

- the limits λ → 0 (least squares, or the minimum-norm solution when XᵀX is singular)
  and λ → ∞ (θ → 0) from the lowest and highest coefficients of Pᵢ and Q;
- d/dλ ‖Dθ‖² = −2c·R(λ)/Q(λ)³ with R = (DP)ᵀ adj M (DP), checked as a polynomial identity
  against the quotient rule, and the training error's derivative, 2c²λ·R/Q³;
- when XᵀX has rational eigenvalues eⱼ, the eigen form ‖θ(λ)‖² = Σⱼ sⱼ/(eⱼ + cλ)².

c and D carry the conventions: c = 1 for ‖Xθ − y‖² + λ‖θ‖², ½ for the (λ/2) penalty, n
for the mean squared error; D = I, or I with a 0 for an unpenalized bias.

>>> path = ridge_path(((1, 0), (0, 1), (1, 1)), (1, 2, 4), (1, 1), Fraction(1))
>>> path.det.as_expr(), [p.as_expr() for p in path.num]
(λ**2 + 4*λ + 3, [5*λ + 4, 6*λ + 7])
>>> theta_at(path, Fraction(0)), limit_inf(path)
((Fraction(4, 3), Fraction(7, 3)), (Fraction(0, 1), Fraction(0, 1)))
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy.polys.matrices import DomainMatrix

__all__ = [
    "LAM", "RidgePath", "ridge_path", "theta_at", "limit_zero", "limit_inf", "lam_theta_limit",
    "Monotonicity", "monotonicity", "eigen_form", "rank", "mse", "penalized_norm2", "poly_at",
]


class _Lambda(sympy.Symbol):
    """The symbol λ: `lambda` to SymPy's LaTeX printer (\\lambda), λ in plain text."""

    def _sympystr(self, printer):
        return "λ"


LAM = _Lambda("lambda", nonnegative=True)


def _q(x) -> sympy.Rational:
    x = Fraction(x)
    return sympy.Rational(x.numerator, x.denominator)


def _f(x) -> Fraction:
    return Fraction(int(x.p), int(x.q))


@dataclass(frozen=True)
class RidgePath:
    X: tuple[tuple[Fraction, ...], ...]     # the design matrix (with the bias column, if any)
    y: tuple[Fraction, ...]
    D: tuple[int, ...]                      # penalty diagonal: 1 penalized, 0 not
    c: Fraction                             # M(λ) = A + cλD
    A: tuple[tuple[Fraction, ...], ...]     # XᵀX
    b: tuple[Fraction, ...]                 # Xᵀy
    det: sympy.Poly                         # Q(λ) = det M(λ)
    adj: tuple[tuple[sympy.Poly, ...], ...]
    num: tuple[sympy.Poly, ...]             # P(λ) = adj M(λ)·Xᵀy, so θ(λ) = P/Q

    @property
    def d(self) -> int:
        return len(self.b)

    def M(self):
        """M(λ) as a SymPy matrix (for display)."""
        return tuple(tuple(_q(self.A[i][j]) + (self.c * self.D[i] * LAM if i == j else 0)
                           for j in range(self.d)) for i in range(self.d))

    def theta_exprs(self):
        """θ(λ) entry by entry, each Pᵢ/Q in lowest terms (polynomial gcd, no expression simplification)."""
        out = []
        for p in self.num:
            if p.is_zero:
                out.append(sympy.Integer(0))
                continue
            coeff, num, den = p.cancel(self.det)
            out.append(coeff * num.as_expr() / den.as_expr())
        return tuple(out)


def ridge_path(X, y, D, c) -> RidgePath:
    """The exact ridge path for design X, targets y, penalty diagonal D and scale c.

    Raises ValueError when det M(λ) is identically zero (the system is singular for every
    λ: an unpenalized direction that X cannot see).
    """
    X = tuple(tuple(Fraction(v) for v in r) for r in X)
    y = tuple(Fraction(v) for v in y)
    d = len(X[0])
    A = tuple(tuple(sum((r[i] * r[j] for r in X), Fraction(0)) for j in range(d)) for i in range(d))
    b = tuple(sum((r[i] * t for r, t in zip(X, y)), Fraction(0)) for i in range(d))
    K = sympy.QQ[LAM]
    lam = K.gens[0]
    rows = [[K.convert(_q(A[i][j])) + (K.convert(_q(c * D[i])) * lam if i == j else K.zero)
             for j in range(d)] for i in range(d)]
    M = DomainMatrix(rows, (d, d), K)
    adj, det = M.adj_det()
    det_poly = sympy.Poly(K.to_sympy(det), LAM, domain="QQ")
    if det_poly.is_zero:
        raise ValueError("XᵀX + λD is singular for every λ")
    adj_rows = adj.to_Matrix()
    adj_polys = tuple(tuple(sympy.Poly(adj_rows[i, j], LAM, domain="QQ") for j in range(d)) for i in range(d))
    num = tuple(sum((adj_polys[i][j] * _q(b[j]) for j in range(d)), sympy.Poly(0, LAM, domain="QQ"))
                for i in range(d))
    return RidgePath(X, y, tuple(D), Fraction(c), A, b, det_poly, adj_polys, num)


def poly_at(poly: sympy.Poly, x) -> Fraction:
    """A polynomial with rational coefficients at a rational point, by Horner in Fractions."""
    out = Fraction(0)
    for coeff in poly.all_coeffs():
        out = out * x + _f(coeff)
    return out


def theta_at(path: RidgePath, lam) -> tuple[Fraction, ...] | None:
    """θ at one λ, exactly; None where M(λ) is singular (only λ = 0 with XᵀX singular)."""
    q = poly_at(path.det, Fraction(lam))
    if q == 0:
        return None
    return tuple(poly_at(p, Fraction(lam)) / q for p in path.num)


def _coeff(poly: sympy.Poly, k: int) -> Fraction:
    """The coefficient of λᵏ."""
    return _f(poly.coeff_monomial(LAM**k)) if k >= 0 else Fraction(0)


def _order_at_zero(poly: sympy.Poly) -> int:
    return min(m[0] for m in poly.monoms())


def limit_zero(path: RidgePath) -> tuple[Fraction, ...]:
    """lim θ(λ) as λ → 0⁺: with Q = λᵏ(q_k + …), each Pᵢ has the same factor λᵏ and the limit
    is the ratio of the λᵏ coefficients — A⁻¹Xᵀy when k = 0, the minimum-(penalized-)norm
    least-squares solution otherwise."""
    k = _order_at_zero(path.det)
    for p in path.num:
        if not p.is_zero and _order_at_zero(p) < k:
            raise ArithmeticError("internal: θ(λ) is unbounded as λ → 0")
    qk = _coeff(path.det, k)
    return tuple(_coeff(p, k) / qk for p in path.num)


def limit_inf(path: RidgePath) -> tuple[Fraction, ...]:
    """lim θ(λ) as λ → ∞: the ratio of the λᵐ coefficients, m = deg Q (0 for every penalized entry)."""
    m = path.det.degree()
    qm = _coeff(path.det, m)
    return tuple(_coeff(p, m) / qm for p in path.num)


def lam_theta_limit(path: RidgePath) -> tuple[Fraction, ...]:
    """lim λ·θ(λ) as λ → ∞ (= Xᵀy/c when D = I): θ shrinks like 1/λ."""
    m = path.det.degree()
    qm = _coeff(path.det, m)
    return tuple(_coeff(p, m - 1) / qm for p in path.num)


def rank(A) -> int:
    """The rank of a rational matrix: Gaussian elimination in Fractions, exact (and ~50× quicker
    than sympy.Matrix.rank, which the generator called once per draw).

    >>> rank(((1, 2), (2, 4), (0, 0))), rank(((1, 0), (0, 1), (1, 1)))
    (1, 2)
    """
    rows = [[Fraction(v) for v in r] for r in A]
    done = 0
    for c in range(len(rows[0]) if rows else 0):
        pivot = next((i for i in range(done, len(rows)) if rows[i][c]), None)
        if pivot is None:
            continue
        rows[done], rows[pivot] = rows[pivot], rows[done]
        top = rows[done]
        for i in range(done + 1, len(rows)):
            if rows[i][c]:
                f = rows[i][c] / top[c]
                rows[i] = [a - f * b for a, b in zip(rows[i], top)]
        done += 1
    return done


def penalized_norm2(theta, D) -> Fraction:
    return sum((t * t for t, keep in zip(theta, D) if keep), Fraction(0))


def mse(X, y, theta) -> Fraction:
    """Mean squared error ‖Xθ − y‖²/n, exactly."""
    total = Fraction(0)
    for r, t in zip(X, y):
        e = sum((a * b for a, b in zip(r, theta)), Fraction(0)) - t
        total += e * e
    return total / len(y)


@dataclass(frozen=True)
class Monotonicity:
    """d/dλ ‖Dθ‖² = −2c·R/Q³ and dE/dλ = 2c²λ·R/Q³, with the polynomials that prove the signs."""

    S: sympy.Poly            # ‖Dθ‖² = S/Q²
    R: sympy.Poly
    T: sympy.Poly            # E(λ) = ‖Xθ − y‖² = T/Q²
    R_nonnegative: bool      # every coefficient of R is ≥ 0
    Q_nonnegative: bool
    R_zero: bool


def monotonicity(path: RidgePath) -> Monotonicity:
    """The derivative identities, checked exactly with SymPy's polynomial arithmetic."""
    zero = sympy.Poly(0, LAM, domain="QQ")
    P, Q, d = path.num, path.det, path.d
    DP = [P[i] if path.D[i] else zero for i in range(d)]
    S = sum((p * p for p in DP), zero)
    R = sum((DP[i] * path.adj[i][j] * DP[j] for i in range(d) for j in range(d)), zero)
    c = _q(path.c)
    if S.diff(LAM) * Q - 2 * S * Q.diff(LAM) != -2 * c * R:
        raise ArithmeticError("internal: d‖θ‖²/dλ does not match −2c·R/Q³")
    AP = [sum((P[j] * _q(path.A[i][j]) for j in range(d)), zero) for i in range(d)]
    PAP = sum((P[i] * AP[i] for i in range(d)), zero)
    bP = sum((P[i] * _q(path.b[i]) for i in range(d)), zero)
    yy = _q(sum((t * t for t in path.y), Fraction(0)))
    T = PAP - 2 * bP * Q + yy * Q * Q
    if T.diff(LAM) * Q - 2 * T * Q.diff(LAM) != 2 * c * c * sympy.Poly(LAM, LAM, domain="QQ") * R:
        raise ArithmeticError("internal: dE/dλ does not match 2c²λ·R/Q³")
    return Monotonicity(S, R, T, all(v >= 0 for v in R.all_coeffs()),
                        all(v >= 0 for v in Q.all_coeffs()), R.is_zero)


def eigen_form(path: RidgePath):
    """[(eⱼ, sⱼ)] with ‖θ(λ)‖² = Σ sⱼ/(eⱼ + cλ)², when D = I and XᵀX has rational eigenvalues.

    sⱼ = bᵀPⱼb = ‖Pⱼ Xᵀy‖² for the spectral projector Pⱼ = Πₖ≠ⱼ (A − eₖI)/(eⱼ − eₖ) of the
    eigenvalue eⱼ.  None when an eigenvalue is irrational or D ≠ I.  The sum is checked
    against S/Q² before it is returned.
    """
    if not all(path.D):
        return None
    t = sympy.Symbol("t")
    A = sympy.Matrix([[_q(v) for v in r] for r in path.A])
    _, factors = sympy.factor_list(A.charpoly(t).as_expr(), t)
    if any(sympy.degree(f, t) != 1 for f, _ in factors):
        return None
    eig = sorted({sympy.solve(f, t)[0] for f, _ in factors})
    b = sympy.Matrix([_q(v) for v in path.b])
    eye = sympy.eye(path.d)
    out = []
    for j, e in enumerate(eig):
        proj = eye
        for k, other in enumerate(eig):
            if k != j:
                proj = proj * (A - other * eye) / (e - other)
        out.append((_f(e), _f((b.T * proj * b)[0])))
    c = _q(path.c)
    total = sum((_q(s) / (_q(e) + c * LAM) ** 2 for e, s in out), sympy.Integer(0))
    mono_S = sum((p * p for p, keep in zip(path.num, path.D) if keep), sympy.Poly(0, LAM, domain="QQ"))
    if sympy.cancel(total - mono_S.as_expr() / path.det.as_expr() ** 2) != 0:
        raise ArithmeticError("internal: the eigen form of ‖θ(λ)‖² does not match")
    return out
