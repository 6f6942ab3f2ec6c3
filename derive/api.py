"""The public API: solve a problem by kind name, with exact answers and numeric checks."""

from __future__ import annotations

from .numerics import resolve_backends, run_checks
from .params import build
from .registry import get_kind

__all__ = ["solve", "make_params", "solve_params"]


def make_params(kind: str, **raw):
    """Validated, exact parameters for `kind` from raw user values."""
    return build(get_kind(kind).params, raw)


def solve_params(kind: str, params, checks=("numpy",)):
    """Solve already-built params; `checks` names the numeric backends to cross-check with."""
    k = get_kind(kind)
    solution = k.solve(params)
    backends = resolve_backends(checks)
    if backends:
        solution = solution.with_checks(run_checks(k, params, solution, backends))
    return solution


def solve(kind: str, *, checks=("numpy",), **params):
    """Solve one problem exactly, step by step.

    >>> sol = solve("layernorm", X=[[1, 1, 1, 5]], eps=0)
    >>> sol.answer
    Matrix([[-sqrt(3)/3, -sqrt(3)/3, -sqrt(3)/3, sqrt(3)]])

    `checks`: numeric backends to cross-check with ("numpy", "torch", "all", "none").
    torch is opt-in so that plain solves never pay for importing it.
    """
    return solve_params(kind, make_params(kind, **params), checks)
