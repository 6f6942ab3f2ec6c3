"""Logistic regression with an L2 penalty, solved numerically (Newton's method / IRLS in numpy).

The seed's question is about cross-entropy plus λ‖θ‖², which has no closed form, so this is
the one numeric part of the L2 solution: float64, stated as such.  The objective uses the
same conventions as the ridge part,

    J(θ) = s · Σᵢ CE(σ(xᵢᵀθ), yᵢ) + t · λ · θᵀDθ,   s = 1 (sum) or 1/n (mean), t = 1 or ½,

which is strictly convex for λ > 0 (when D = I), so Newton's method with a backtracking line
search converges from θ = 0.  At λ = 0 the minimizer θ* exists only when the classes overlap:
if some θ separates them, the cross-entropy tends to 0 as ‖θ‖ → ∞ and θ* does not exist.
Separability is certified exactly — the separating θ found by the iteration is converted to
Fractions and every margin is checked with exact arithmetic.

>>> import numpy as np
>>> path = logistic_path([[1, 0], [1, 1], [1, 2], [1, 3]], [0, 1, 0, 1], [Fraction(1)], (1, 1), 1, 1)
>>> path.status, path.fits[0].converged
('converged', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

__all__ = ["LogisticFit", "LogisticPath", "fit", "logistic_path", "GRADIENT_TOL", "MAX_ITER"]

GRADIENT_TOL = 1e-10     # stop when ‖∇J‖∞ is below this (relative to the data scale)
MAX_ITER = 100           # Newton steps for one λ (λ = 0 gets 2× to see divergence)


@dataclass(frozen=True)
class LogisticFit:
    lam: Fraction
    theta: tuple[float, ...]
    norm: float              # ‖Dθ‖, the penalized part
    loss: float              # mean cross-entropy on the training set
    accuracy: float          # training accuracy (threshold σ = 1/2)
    test_accuracy: float | None
    test_loss: float | None
    converged: bool
    iterations: int


@dataclass(frozen=True)
class LogisticPath:
    fits: tuple[LogisticFit, ...]         # one per λ of the grid, in the grid's order
    star: LogisticFit | None              # the unregularized minimizer θ*, when it exists
    status: str                           # "converged" | "separable" | "no_convergence"
    certificate: tuple[Fraction, ...] | None = None   # a θ with every margin > 0 (exact)


def _np():
    import numpy as np

    return np


def _objective(X, y, theta, lam, D, s, t):
    np = _np()
    z = X @ theta
    ce = np.logaddexp(0.0, z) - y * z          # −log σ(z) or −log(1 − σ(z)), without overflow
    return s * ce.sum() + t * lam * float(theta @ (D * theta))


def _sigmoid(z):
    np = _np()
    return np.exp(-np.logaddexp(0.0, -z))


def _metrics(X, y, theta):
    np = _np()
    if X is None or len(X) == 0:
        return None, None
    z = X @ theta
    loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
    acc = float(np.mean((z > 0) == (y > 0.5)))
    return acc, loss


def fit(X, y, lam, D, s, t, theta0=None, max_iter=MAX_ITER, X_test=None, y_test=None,
        watch_separation=False):
    """Minimize J(θ) by damped Newton steps; returns (LogisticFit, separating θ or None)."""
    np = _np()
    n, d = X.shape
    Dv = np.asarray(D, dtype=float)
    lam_f = float(lam)
    theta = np.zeros(d) if theta0 is None else np.array(theta0, dtype=float)
    scale = max(1.0, float(np.abs(X).max()))
    converged, it, separating = False, 0, None
    J = _objective(X, y, theta, lam_f, Dv, s, t)
    for it in range(1, max_iter + 1):
        z = X @ theta
        p = _sigmoid(z)
        g = s * (X.T @ (p - y)) + 2 * t * lam_f * Dv * theta
        if np.abs(g).max() <= GRADIENT_TOL * scale * max(1.0, s * n):
            converged = True
            break
        if watch_separation and np.all((2 * y - 1) * z > 0):
            separating = theta.copy()
            break
        H = s * (X.T * (p * (1 - p))) @ X + np.diag(2 * t * lam_f * Dv)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        decrement = float(g @ step)           # Newton decrement²: J − min of the local quadratic = ½·this
        if decrement <= 1e-15 * max(1.0, abs(J)):
            theta = theta - step               # at float precision the minimum is reached
            converged = True
            break
        alpha = 1.0
        while True:  # backtracking (Armijo): J must drop by a fraction of the predicted decrease
            new = theta - alpha * step
            J_new = _objective(X, y, new, lam_f, Dv, s, t)
            if J_new <= J - 1e-4 * alpha * decrement or alpha < 1e-12:
                break
            alpha /= 2
        if J_new > J:          # no descent possible at float precision: at the minimum
            converged = True
            break
        theta, J = new, J_new
    acc, loss = _metrics(X, y, theta)
    test_acc, test_loss = _metrics(X_test, y_test, theta) if X_test is not None else (None, None)
    norm = float(np.sqrt(theta @ (Dv * theta)))
    return (LogisticFit(Fraction(lam), tuple(float(v) for v in theta), norm, loss, acc, test_acc, test_loss,
                        converged, it), separating)


# Denominators tried for a short separating θ near the float one, before the float itself.
SHORT_DENOMINATORS = (1, 10, 100, 1000)


def _separates_exactly(X_exact, y, theta) -> tuple[Fraction, ...] | None:
    """An exact θ near the float one with every margin (2yᵢ − 1)·xᵢᵀθ > 0, or None.

    The simplest nearby rationals come first, which a reader can check by hand: on the seed's
    data the iterate [-1.3333…, 2.6666…] becomes [-1, 3]; the float's own exact value last."""
    exact = tuple(Fraction(float(v)) for v in theta)
    for th in [tuple(v.limit_denominator(d) for v in exact) for d in SHORT_DENOMINATORS] + [exact]:
        margins = (sum((Fraction(a) * b for a, b in zip(row, th)), Fraction(0)) for row in X_exact)
        if all(m > 0 if label else m < 0 for m, label in zip(margins, y)):
            return th
    return None


def logistic_path(X, y, grid, D, s, t, X_test=None, y_test=None) -> LogisticPath:
    """Fits along the λ grid (largest λ first, each warm-starting the next) and at λ = 0."""
    np = _np()
    Xf = np.array([[float(v) for v in r] for r in X])
    yf = np.array([float(v) for v in y])
    has_test = X_test is not None and y_test is not None       # test labels may be unknown
    Xt = np.array([[float(v) for v in r] for r in X_test]) if has_test else None
    yt = np.array([float(v) for v in y_test]) if has_test else None
    order = sorted(range(len(grid)), key=lambda i: grid[i], reverse=True)
    fits = [None] * len(grid)
    theta = None
    for i in order:
        f, _ = fit(Xf, yf, grid[i], D, s, t, theta0=theta, X_test=Xt, y_test=yt)
        fits[i] = f
        theta = f.theta
    star, separating = fit(Xf, yf, 0, D, s, t, theta0=None, max_iter=2 * MAX_ITER,
                           X_test=Xt, y_test=yt, watch_separation=True)
    if separating is not None:
        cert = _separates_exactly(X, y, separating)
        if cert is not None:
            return LogisticPath(tuple(fits), None, "separable", cert)
    if not star.converged:
        return LogisticPath(tuple(fits), None, "no_convergence")
    return LogisticPath(tuple(fits), star, "converged")
