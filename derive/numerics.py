"""The numeric cross-check: evaluate the same definition in floats and compare.

Each kind supplies `reference(params)` (numpy float64 through the definition the
solution displays) and optionally `torch_reference(params)` (the framework's own
layers).  Exact values are converted to floats only here, for comparison.
"""

from __future__ import annotations

import importlib.util
import math
from fractions import Fraction
from functools import lru_cache

from .errors import BackendUnavailable, InputError
from .exact import Surd, to_float
from .model import Check

__all__ = ["BACKENDS", "run_checks", "compare", "available_backends", "resolve_backends", "dtype_tolerance", "uses_gpu"]

BACKENDS = ("numpy", "torch", "cupy")

# A float64 result agrees when its error is within this many ulps-ish of the value's scale.
RELATIVE_TOLERANCE = 1e-9


def available_backends() -> tuple[str, ...]:
    return tuple(b for b in BACKENDS if importlib.util.find_spec(b) is not None)


def resolve_backends(spec, *, field: str = "check") -> tuple[str, ...]:
    """'numpy,torch' | 'torch:cuda' | 'cupy' | 'all' | 'none' | a sequence → backend specs, checked.

    A spec is a backend name, optionally with a device ("torch:cuda", "torch:cuda:1");
    whether that device exists is checked when the check runs (BackendUnavailable).
    `field` names the spec in an error: a command checks its --check option before any
    problem is solved, so that a misspelt backend is the option's error, not a problem's.
    """
    if field != "check":
        return _resolve(spec, field)
    if spec is None or isinstance(spec, (str, tuple)):
        return _resolve_hashable(spec)
    return _resolve(spec)


@lru_cache(maxsize=16)
def _resolve_hashable(spec) -> tuple[str, ...]:
    """`_resolve` remembered: every problem of every variant asks again for the same backends."""
    return _resolve(spec)


def _resolve(spec, field: str = "check") -> tuple[str, ...]:
    if spec is None:
        return ("numpy",)
    spec = _items(spec)
    if spec in (["all"], ["auto"]):
        return available_backends()
    if spec == ["none"]:
        return ()
    for item in spec:
        name, _, device = item.partition(":")
        if name not in BACKENDS:
            raise InputError(field, f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}, all, none")
        if importlib.util.find_spec(name) is None:
            hint = "pip install cupy-cuda12x" if name == "cupy" else f"pip install 'derive[{name}]'"
            raise BackendUnavailable(f"{field}: backend {name!r} is not installed ({hint})")
        if device:
            from .backends import parse_device

            parse_device(device)
    return tuple(spec)


def _items(spec) -> list[str]:
    """The items of a backends spec: "numpy, torch:cuda" split at the commas, or the sequence."""
    if isinstance(spec, str):
        return [s.strip() for s in spec.split(",") if s.strip()]
    return list(spec)


def uses_gpu(spec) -> bool:
    """Whether the checks run on a GPU (torch:cuda…, CuPy).  A process that has used CUDA
    cannot fork workers that use it too: CUDA refuses to start again in a forked child."""
    items = _items(spec or ())
    if items in (["all"], ["auto"]):
        items = list(available_backends())
    return any(name == "cupy" or device.startswith("cuda")
               for name, _, device in (item.partition(":") for item in items))


def compare(exact_value, numeric, rtol: float = RELATIVE_TOLERANCE) -> tuple[float, bool, str]:
    """Max |exact − numeric| over all entries; undefined entries must be non-finite there."""
    if type(exact_value) is not tuple and _is_float_scalar(numeric):
        # One number against one float (counts, expectations): the loop below on a single
        # entry, without building and flattening an array for it.
        flat_exact, flat_num = (exact_value,), (float(numeric),)
    else:
        import numpy as np

        arr = np.asarray(numeric, dtype=float).ravel()
        flat_exact = _flat(exact_value)
        if len(flat_exact) != arr.size:
            return math.inf, False, f"shape mismatch: {len(flat_exact)} exact entries, {arr.size} numeric"
        flat_num = arr.tolist()  # Python floats, the same values
    worst, ok, undefined = 0.0, True, 0
    for e, x in zip(flat_exact, flat_num):
        t = type(e)
        # `_exact_float` inlined for rationals and surds, the entries of every key
        if t is Fraction:  # its slots: `numerator` is a Python property (see derive.exact)
            f = e._numerator / e._denominator
        elif t is int:
            f = e / 1
        elif t is Surd:
            f = to_float(e)
        else:
            f = _exact_float(e)
        if f is None:  # Undefined
            undefined += 1
            ok &= not math.isfinite(x)
            continue
        err = abs(f - x)
        if err > worst:  # max(worst, err), NaN included
            worst = err
        scale = abs(f)
        ok &= err <= rtol * (scale if scale > 1.0 else 1.0)  # max(1.0, |f|) without the call
    note = f"{undefined} undefined entries are non-finite numerically, as expected" if undefined else ""
    return worst, ok, note


def _flat(value) -> list:
    """`nested.flatten` as a list; vectors and matrices of scalars without its recursive
    generators (a key's results are those, ~20 entries a problem)."""
    if not isinstance(value, tuple):
        return [value]
    if not any(isinstance(v, tuple) for v in value):
        return list(value)
    if all(isinstance(r, tuple) and not any(isinstance(v, tuple) for v in r) for r in value):
        return [v for r in value for v in r]
    from .nested import flatten

    return list(flatten(value))


def _is_float_scalar(x) -> bool:
    """A Python float or a numpy float64: what a reference returns for one number."""
    t = type(x)
    return t is float or (t.__name__ == "float64" and t.__module__ == "numpy")


def _exact_float(e) -> float | None:
    """The float of one exact entry (None for Undefined): `to_float`, which reads rationals
    without building a Surd."""
    t = type(e)
    if t is Fraction or t is int or t is Surd:
        return to_float(e)
    if t is float:
        return e
    from .render.values import is_exact_scalar

    if not is_exact_scalar(e):
        return None if type(e).__name__ == "Undefined" else float(e)  # a SymPy number
    return to_float(e)


def dtype_tolerance(dtype) -> float:
    """Relative tolerance for a check at `dtype`: 1e-9 for float64, else 64 unit roundoffs."""
    from .backends import get_dtype

    fmt = get_dtype(dtype)
    return RELATIVE_TOLERANCE if fmt.name == "float64" else 64 * float(fmt.unit_roundoff)


def _generic_check(kind, params, solution, spec: str, dtype) -> list[Check]:
    """A check through derive.backends: any backend, device and dtype, same definition."""
    from .backends import get_backend
    from .oracle import evaluate

    name, _, device = spec.partition(":")
    backend = get_backend(name, device or None, dtype)
    values = evaluate(kind, params, backend, definition=solution.definition)
    results = {r.name: r.value for r in solution.results}
    rtol = dtype_tolerance(backend.dtype)
    checks = []
    for rname, numeric in values.items():
        if rname not in results:
            continue
        err, ok, note = compare(results[rname], numeric, rtol)
        label = spec if len(values) == 1 else f"{spec}:{rname}"
        detail = f"{backend.label} on {backend.device_name} (same definition)"
        checks.append(Check(label, detail, err, ok, "; ".join(x for x in (note, *backend.notes) if x), rname))
    return checks


def run_checks(kind, params, solution, backends=("numpy",), *, dtype="float64") -> tuple[Check, ...]:
    """Compare the exact results with each backend's numbers.

    "numpy" and "torch" at float64 use the kind's own `reference`/`torch_reference`;
    a device ("torch:cuda"), CuPy or another `dtype` evaluates the kind's definition
    through `derive.backends` with a tolerance for that dtype (`dtype_tolerance`).
    """
    checks = []
    results = {r.name: r.value for r in solution.results}
    float64 = str(dtype).lower() in ("float64", "double", "fp64")
    for backend in backends:
        if backend not in ("numpy", "torch") or not float64:
            checks.extend(_generic_check(kind, params, solution, backend, dtype))
            continue
        fn = kind.reference if backend == "numpy" else kind.torch_reference
        if fn is None:
            continue
        values = dict(fn(params))
        # A reference may explain itself ("_note") or decline ("torch refuses batch size 1").
        note_all = values.pop("_note", "")
        if not values and note_all:
            checks.append(Check(backend, f"{backend} reference", None, True, note_all))
        detail = _DETAILS[backend]
        single = len(values) == 1
        for name, numeric in values.items():
            if isinstance(numeric, Check):  # the kind's own statistical check (a Monte Carlo estimate)
                checks.append(numeric)
                continue
            if name not in results:
                continue
            err, ok, note = compare(results[name], numeric)
            label = backend if single else f"{backend}:{name}"
            checks.append(Check(label, detail, err, ok, _notes(note, note_all), name))
    return tuple(checks)


_DETAILS = {"numpy": "numpy float64 (same definition)", "torch": "torch float64 layer"}


def _notes(note: str, note_all: str) -> str:
    """"; ".join of the non-empty notes (a variant has some 16 checks, mostly without notes)."""
    if note and note_all:
        return f"{note}; {note_all}"
    return note or note_all
