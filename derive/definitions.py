"""The definitions, written once as small array functions.

Each function here is the single source of truth for a formula: latexify-py renders
it as the LaTeX definition shown in solutions, its `return` line is the plain-text
definition, and the numeric path runs it on float arrays (numpy, torch, CuPy) to
cross-check the exact answers.  The helpers `mu`, `Var` and `sqrt` dispatch on the
array's own namespace (`derive.backends.namespace_of`), so the same code runs on numpy,
torch (CPU/CUDA), CuPy, and exactly on object arrays of Fractions.
"""

from __future__ import annotations

import inspect
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from .backends import namespace_of  # here, not in `_xp`: an import in a function costs ~1 us a call

__all__ = [
    "layer_norm", "batch_norm", "batch_norm_eval", "running_update", "mu_row", "Var_row", "mu_col", "Var_col",
    "definition_latex", "definition_text", "variance_formula", "Var_naive",
]


def _xp(x):
    """The array namespace of x: numpy, CuPy, torch (adapted) or exact (object arrays)."""
    return namespace_of(x)


# The float-error oracle (derive.oracle) swaps the variance formula and records each
# variance a definition computes; both default to off, so plain evaluation is unchanged.
_VARIANCE = ContextVar("derive_variance_formula", default=("two-pass", None))


@contextmanager
def variance_formula(formula: str = "two-pass", trace: list | None = None):
    """Evaluate `Var` as "two-pass" (the definition) or "naive" (E[x²] − E[x]²) inside
    this block, appending (x, axis, σ²) for each distinct Var call to `trace` if given."""
    if formula not in ("two-pass", "naive"):
        raise ValueError(f"unknown variance formula {formula!r}")
    token = _VARIANCE.set((formula, trace))
    try:
        yield trace
    finally:
        _VARIANCE.reset(token)


def mu(x, axis=-1):
    """Mean along `axis`, kept as a broadcastable dimension."""
    return _mean(x, axis)


def _mean(x, axis):
    """xp.mean(x, axis, keepdims=True).  For a non-empty numpy float64 array, what np.mean
    computes (add.reduce, then a division by the count) without its Python wrapper, which
    costs more than the arithmetic on a worksheet's 3×4 array (tests: bit for bit the same)."""
    np = sys.modules.get("numpy")
    if np is not None and type(x) is np.ndarray and x.dtype.type is np.float64 and x.size:
        return np.add.reduce(x, axis=axis, keepdims=True) / x.shape[axis]
    return _xp(x).mean(x, axis=axis, keepdims=True)


def Var(x, axis=-1):
    """Biased (population) variance along `axis`: divide by N, as PyTorch normalizes.

    Two-pass on purpose: E[(x − μ)²], never E[x²] − μ², which cancels catastrophically.
    """
    formula, trace = _VARIANCE.get()
    v = Var_naive(x, axis) if formula == "naive" else _mean((x - mu(x, axis)) ** 2, axis)
    if trace is not None and not any(t[0] is x and t[1] == axis for t in trace):
        trace.append((x, axis, v))
    return v


def Var_naive(x, axis=-1):
    """E[x²] − E[x]²: equal to Var exactly, but in floats it subtracts two nearly equal
    large numbers (catastrophic cancellation); only the oracle uses it, to show that."""
    return mu(x ** 2, axis) - mu(x, axis) ** 2


def sqrt(x):
    return _xp(x).sqrt(x)


# The statistics each normalization takes, named for the axis they run over: latexify drops
# keyword arguments, so `mu(X, axis=0)` printed as μ(X) and BatchNorm's definition read
# exactly like LayerNorm's.  Named, they print as μ_row(X) and μ_col(X).
def mu_row(x):
    """Each row's mean: an example over its own features (LayerNorm)."""
    return mu(x, -1)


def Var_row(x):
    """Each row's (population) variance (LayerNorm)."""
    return Var(x, -1)


def mu_col(x):
    """Each column's mean: a feature across the batch (BatchNorm)."""
    return mu(x, 0)


def Var_col(x):
    """Each column's (population) variance (BatchNorm)."""
    return Var(x, 0)


def layer_norm(X, gamma, beta, epsilon):
    return (X - mu_row(X)) / sqrt(Var_row(X) + epsilon) * gamma + beta


def batch_norm(X, gamma, beta, epsilon):
    return (X - mu_col(X)) / sqrt(Var_col(X) + epsilon) * gamma + beta


def batch_norm_eval(X, mu_running, sigma2_running, gamma, beta, epsilon):
    return (X - mu_running) / sqrt(sigma2_running + epsilon) * gamma + beta


def running_update(running, batch_stat, momentum):
    return (1 - momentum) * running + momentum * batch_stat


# -- dropout and L2 regularization (derive.kinds.dropout, derive.kinds.l2) ------------
def dropout(x, m, w):
    return sum(w[i] * m[i] * x[i] for i in range(len(x)))


def dropout_corrected(x, m, w, p):
    return sum(w[i] * m[i] * x[i] / (1 - p) for i in range(len(x)))


def transpose(X):
    return X.T


def solve(A, b):
    """The solution of A·θ = b (numpy/torch/CuPy linalg.solve)."""
    return _xp(A).linalg.solve(A, b)


def ridge(X, y, lam, D):
    return solve(transpose(X) @ X + lam * D, transpose(X) @ y)


def weight_decay_step(w, grad, eta, lam):
    return w - eta * (grad + lam * w)


_DISPLAY_NAMES = {
    "layer_norm": "LayerNorm",
    "batch_norm": "BatchNorm",
    "batch_norm_eval": "BatchNorm_eval",
    "mu_running": "mu_running",
    "sigma2_running": "sigma2_running",
}


@lru_cache(maxsize=None)
def definition_latex(fn) -> str:
    """The definition as LaTeX, generated by latexify-py from the function itself."""
    import latexify

    names = {k: v for k, v in _DISPLAY_NAMES.items() if k == fn.__name__}
    latex = latexify.get_latex(fn, use_math_symbols=True, identifiers=names)
    # latexify writes identifiers with underscores as \mathrm{a\_b}; show them as subscripts.
    for axis in ("row", "col"):
        latex = (latex.replace(rf"\mathrm{{mu\_{axis}}}", rf"\mu_{{\mathrm{{{axis}}}}}")
                      .replace(rf"\mathrm{{Var\_{axis}}}", rf"\mathrm{{Var}}_{{\mathrm{{{axis}}}}}"))
    return (latex.replace(r"\mathrm{mu\_running}", r"\mu_{\mathrm{run}}")
                 .replace(r"\mathrm{sigma2\_running}", r"\sigma^2_{\mathrm{run}}")
                 .replace(r"\mathrm{BatchNorm\_eval}", r"\mathrm{BatchNorm}_{\mathrm{eval}}")
                 .replace(r"\mathrm{lam}", r"\lambda")
                 # latexify sets a transpose's matrix in bold (X is not bold beside it): X^⊤.
                 .replace(r"\mathbf{X}^\intercal", r"X^{\top}"))


@lru_cache(maxsize=None)
def definition_text(fn) -> str:
    """The definition as plain text: the function's own signature and return expression."""
    source = inspect.getsource(fn)
    body = source.split("return", 1)[1].strip()
    params = ", ".join(inspect.signature(fn).parameters)
    return f"{_DISPLAY_NAMES.get(fn.__name__, fn.__name__)}({params}) = {body}"
