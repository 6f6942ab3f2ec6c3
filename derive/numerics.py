"""The numeric cross-check: evaluate the same definition in floats and compare.

Each kind supplies `reference(params)` (numpy float64 through the definition the
solution displays) and optionally `torch_reference(params)` (the framework's own
layers).  Exact values are converted to floats only here, for comparison.
"""

from __future__ import annotations

import importlib.util

from .errors import BackendUnavailable, InputError
from .model import Check

__all__ = ["BACKENDS", "run_checks", "compare", "available_backends", "resolve_backends"]

BACKENDS = ("numpy", "torch")

# A float64 result agrees when its error is within this many ulps-ish of the value's scale.
RELATIVE_TOLERANCE = 1e-9


def available_backends() -> tuple[str, ...]:
    return tuple(b for b in BACKENDS if importlib.util.find_spec(b) is not None)


def resolve_backends(spec) -> tuple[str, ...]:
    """'numpy,torch' | 'all' | 'none' | a sequence → backend names, checked."""
    if spec is None:
        return ("numpy",)
    if isinstance(spec, str):
        spec = [s.strip() for s in spec.split(",") if s.strip()]
    spec = list(spec)
    if spec in (["all"], ["auto"]):
        return available_backends()
    if spec == ["none"]:
        return ()
    for name in spec:
        if name not in BACKENDS:
            raise InputError("check", f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}, all, none")
        if importlib.util.find_spec(name) is None:
            raise BackendUnavailable(f"check: backend {name!r} is not installed (pip install 'derive[{name}]')")
    return tuple(spec)


def _flatten(value):
    if isinstance(value, tuple):
        for v in value:
            yield from _flatten(v)
    else:
        yield value


def compare(exact_value, numeric) -> tuple[float, bool, str]:
    """Max |exact − numeric| over all entries; undefined entries must be non-finite there."""
    import math

    import numpy as np

    from .exact import to_float
    from .render.values import is_exact_scalar

    flat_num = np.asarray(numeric, dtype=float).ravel()
    flat_exact = list(_flatten(exact_value))
    if len(flat_exact) != flat_num.size:
        return math.inf, False, f"shape mismatch: {len(flat_exact)} exact entries, {flat_num.size} numeric"
    worst, ok, undefined = 0.0, True, 0
    for e, x in zip(flat_exact, flat_num):
        if not is_exact_scalar(e):
            if type(e).__name__ == "Undefined":
                undefined += 1
                ok &= not math.isfinite(x)
                continue
            e = float(e)  # SymPy number
        f = to_float(e) if not isinstance(e, float) else e
        err = abs(f - float(x))
        worst = max(worst, err)
        ok &= err <= RELATIVE_TOLERANCE * max(1.0, abs(f))
    note = f"{undefined} undefined entries are non-finite numerically, as expected" if undefined else ""
    return worst, ok, note


def run_checks(kind, params, solution, backends=("numpy",)) -> tuple[Check, ...]:
    checks = []
    results = {r.name: r.value for r in solution.results}
    for backend in backends:
        fn = kind.reference if backend == "numpy" else kind.torch_reference
        if fn is None:
            continue
        values = dict(fn(params))
        # A reference may explain itself ("_note") or decline ("torch refuses batch size 1").
        note_all = values.pop("_note", "")
        if not values and note_all:
            checks.append(Check(backend, f"{backend} reference", None, True, note_all))
        for name, numeric in values.items():
            if isinstance(numeric, Check):  # the kind's own statistical check (a Monte Carlo estimate)
                checks.append(numeric)
                continue
            if name not in results:
                continue
            err, ok, note = compare(results[name], numeric)
            detail = {"numpy": "numpy float64 (same definition)", "torch": "torch float64 layer"}[backend]
            label = backend if len(values) == 1 else f"{backend}:{name}"
            checks.append(Check(label, f"{detail}, {name}", err, ok, "; ".join(x for x in (note, note_all) if x)))
    return tuple(checks)
