"""The float-error oracle: each dtype's numeric result against the exact answer.

For every entry it reports the absolute and relative error and the error in ulps —
units in the last place *of the exact value* in the target dtype — computed exactly:
the float result is a rational number, so |result − exact| is an exact b + c√r, and
dividing by the ulp (a power of two) is exact too; each error is rounded to a float
once, for display.  `numpy.spacing`/`math.ulp` are not used (the tests use them to check
this independently).

The error is split in two, because a dtype that cannot even hold the inputs cannot be
blamed on the algorithm:

- *input rounding*: the exact answer for the inputs as stored in the dtype (each
  rounded once, correctly) minus the exact answer.  float16 stores 10001 as 10000.
- *arithmetic*: the float result minus that exact answer for the stored inputs.

It also evaluates the variance both ways — the two-pass E[(x − μ)²] the definition
uses, and the naive E[x²] − E[x]² — to show catastrophic cancellation: in float32,
x = 10000…10003 has E[x²] ≈ 1.0003·10⁸, where float32's spacing is 8, so the naive
variance of 1.25 comes out as a multiple of 8 (or negative); in float16 x² overflows.

Everything runs through the definitions in `derive.definitions`, on the backends of
`derive.backends`; a kind needs no code for it unless its results go beyond its
definition (see docs/adding-a-kind.md, "Numeric evaluation hooks").

>>> rep = run_oracle("layernorm", {"X": [[1, 1, 1, 5]], "eps": 0}, dtypes=["float16"], variance="two-pass")
>>> [round(e.ulps, 3) for e in rep.runs[0].results[0].entries]
[0.413, 0.413, 0.413, 0.62]
"""

from __future__ import annotations

import importlib
import inspect
import math
from dataclasses import dataclass
from fractions import Fraction
from math import isqrt
from typing import Any

from . import definitions
from .backends import (
    BACKEND_NAMES, DTYPES, ExactBackend, FloatFormat, get_backend, get_dtype, is_undefined as _is_undefined,
)
from .errors import BackendUnavailable, DeriveError, InputError
from .exact import Surd, sign
from .nested import indexed_entries, value_shape

__all__ = [
    "EntryError", "ResultErrors", "max_of", "InputRounding", "VarianceEntry", "Run", "OracleReport",
    "ExactBackend", "accurate_float", "evaluate", "evaluate_layer", "entry_error", "run_oracle", "shortest_repr",
    "VARIANCE_CHOICES",
]

VARIANCE_CHOICES = ("two-pass", "naive", "both")

# Definition arguments that are spelled differently from the params fields.
_ALIASES = {"epsilon": "eps", "mu_running": "running_mean", "sigma2_running": "running_var"}


# -- evaluation layer -----------------------------------------------------------------
def kind_module(kind):
    from .registry import KIND_MODULES

    return importlib.import_module(KIND_MODULES[kind.name])


def _bind_definition(fn, kind, params, backend) -> dict:
    """Call the kind's definition with its params bound by name, converted by the backend."""
    from .params import field_specs

    specs = {f.name: f.metadata["type"] for f in field_specs(kind.params)}
    args = []
    for arg in inspect.signature(fn).parameters:
        name = arg if arg in specs else _ALIASES.get(arg, arg)
        if name not in specs:
            raise DeriveError(f"{kind.name}: its definition's argument {arg!r} matches no parameter; "
                              "give the kind an evaluate(params, backend) hook")
        value = getattr(params, name)
        args.append(backend.scalar(value) if specs[name] in ("scalar", "int") else backend.asarray(value))
    return args


def evaluate(kind, params, backend, *, definition=None, variance: str = "two-pass", trace: list | None = None):
    """The kind's results evaluated on `backend` (float64 numpy arrays, or object arrays exactly).

    Uses the kind module's `evaluate(params, backend)` hook when it has one, else calls the
    solution's definition with the params bound by name (X, gamma, beta, epsilon ← eps …)
    and names the value after the first result.  `variance` picks the formula `Var` uses.
    """
    if isinstance(kind, str):
        from .registry import get_kind

        kind = get_kind(kind)
    hook = getattr(kind_module(kind), "evaluate", None)
    with backend.errstate(), definitions.variance_formula(variance, trace):
        if hook is not None:
            out = hook(params, backend)
        else:
            solution = kind.solve(params)
            fn = definition or solution.definition
            if fn is None:
                raise DeriveError(f"{kind.name} has no definition to evaluate numerically")
            out = {solution.results[0].name: fn(*_bind_definition(fn, kind, params, backend))}
    return {k: backend.to_numpy(v) for k, v in out.items() if not k.startswith("_")}


def evaluate_layer(kind, params, backend) -> tuple[dict, str, str]:
    """The framework's own layer (the kind module's `torch_layer` hook) at the backend's
    dtype and device: (results, source name, note); ({}, "", "") when there is none."""
    hook = getattr(kind_module(kind), f"{backend.name}_layer", None)
    if hook is None:
        return {}, "", ""
    with backend.errstate():
        out = hook(params, backend)
    note = out.get("_note", "") if isinstance(out, dict) else ""
    source = out.get("_source", f"{backend.name} layer")
    return ({k: backend.to_numpy(v) for k, v in out.items() if not k.startswith("_")}, source, note)


# -- errors of one entry ----------------------------------------------------------------
def _surd(x) -> Surd:
    return x if isinstance(x, Surd) else Surd(Fraction(x))


_APPROX_BITS = 160


def _fine(x) -> Fraction:
    """b + c√r to within |c|·2⁻¹⁶⁰ (for differences of two different surds only)."""
    x = _surd(x)
    if x.c == 0:
        return x.b
    return x.b + x.c * Fraction(isqrt(x.r << (2 * _APPROX_BITS)), 1 << _APPROX_BITS)


def accurate_float(x) -> float:
    """b + c√r as a float with a relative error of about 2⁻⁶⁰ before the final rounding.

    `derive.exact.to_float` brackets √r to a fixed 64 bits, which is not enough for an
    *error* b + c√r where b and c√r nearly cancel (|error| ≈ 10⁻¹⁷ for a float64 result),
    so the bracket is widened until it is small against the value itself.
    """
    x = _surd(x)
    if x.c == 0:
        return float(x.b)
    if sign(x) == 0:
        return 0.0
    bits = 64
    while True:
        root = Fraction(isqrt(x.r << (2 * bits)), 1 << bits)     # √r − 2⁻ᵇⁱᵗˢ < root ≤ √r
        approx = x.b + x.c * root
        if approx != 0 and abs(x.c) * Fraction(1, 1 << bits) <= abs(approx) * Fraction(1, 1 << 60):
            return float(approx)
        bits *= 2


def _ratio(num: Surd, den) -> float:
    """|num| / |den| as a float, exact until the final rounding."""
    return accurate_float(abs(num) / (abs(den) if isinstance(den, Surd) else abs(Fraction(den))))


@dataclass(frozen=True)
class EntryError:
    """One entry: the exact value, the dtype's result, and the error measured exactly.

    `ulps` is |computed − exact| / ulp(exact) in the run's dtype; `input_ulps` the part
    the rounded inputs alone cause, `arithmetic_ulps` the rest (computed − exact answer
    for the stored inputs).  Errors are None for an undefined exact entry.
    """

    index: tuple[int, ...]
    exact: Any
    computed: float
    abs_error: float | None
    rel_error: float | None
    ulps: float | None
    input_ulps: float | None = None
    arithmetic_ulps: float | None = None
    status: str = "ok"  # ok | nonfinite | undefined | undefined-finite

    @property
    def finite(self) -> bool:
        return math.isfinite(self.computed)


def entry_error(exact, computed: float, fmt: FloatFormat, index=(), exact_stored=None) -> EntryError:
    """The exact error of `computed` (a float holding a `fmt` value) against `exact`."""
    computed = float(computed)
    if _is_undefined(exact):
        status = "undefined" if not math.isfinite(computed) else "undefined-finite"
        return EntryError(tuple(index), exact, computed, None, None, None, status=status)
    if not math.isfinite(computed):
        inf = math.inf
        return EntryError(tuple(index), exact, computed, inf, inf, inf, status="nonfinite")
    ex = _surd(exact)
    diff = Surd(Fraction(computed)) - ex  # exact: the float is rational, so √r is the exact's own
    ulp = fmt.ulp(ex)
    abs_err = accurate_float(abs(diff))
    rel = _ratio(diff, ex) if sign(ex) != 0 else (0.0 if sign(diff) == 0 else math.inf)
    ulps = _ratio(diff, ulp)
    in_ulps = ar_ulps = None
    if exact_stored is not None and _is_undefined(exact_stored):
        in_ulps = math.inf  # the stored inputs make this entry undefined (a constant row…)
    elif exact_stored is not None:
        stored = _surd(exact_stored)
        if stored.c == 0 or ex.c == 0 or stored.r == ex.r:
            in_ulps = _ratio(stored - ex, ulp)
        else:  # two different surds: compare through a 160-bit bracket of each
            in_ulps = float(abs(_fine(stored) - _fine(ex)) / ulp)
        ar_ulps = _ratio(Surd(Fraction(computed)) - stored, ulp)  # exact: computed is rational
    return EntryError(tuple(index), exact, computed, abs_err, rel, ulps, in_ulps, ar_ulps)


def shortest_repr(value: float, fmt: FloatFormat) -> str:
    """The shortest decimal that `fmt` reads back as `value` (10001 in float16 is '1e+04')."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    target = Fraction(value)
    for digits in range(1, fmt.decimal_digits + 2):
        text = f"{value:.{digits}g}"
        if fmt.round(Fraction(text)) == target:
            break
    if "e" not in text:
        return text
    mantissa, exp = text.split("e")
    e = int(exp)
    if -5 <= e < 17:  # 1e+04 → 10000: integers and modest scales read better in full
        return f"{value:.{max(0, digits - 1 - e)}f}"
    return f"{mantissa}e{e:+03d}"


# -- result containers ------------------------------------------------------------------
def _nan_last(x: float) -> float:
    return math.inf if math.isnan(x) else x


def max_of(values):
    """max ignoring None (None when nothing is left); NaN counts as the worst."""
    values = [v for v in values if v is not None]
    return max(values, key=_nan_last, default=None)


@dataclass(frozen=True)
class ResultErrors:
    """The entries of one named result (output, running_mean…) in one run."""

    name: str
    shape: tuple[int, ...]
    entries: tuple[EntryError, ...]

    def _max(self, attr):
        values = [getattr(e, attr) for e in self.entries if getattr(e, attr) is not None]
        return max(values, key=_nan_last, default=None)

    @property
    def max_abs_error(self):
        return self._max("abs_error")

    @property
    def max_rel_error(self):
        return self._max("rel_error")

    @property
    def max_ulps(self):
        return self._max("ulps")

    @property
    def max_input_ulps(self):
        return self._max("input_ulps")

    @property
    def max_arithmetic_ulps(self):
        return self._max("arithmetic_ulps")


@dataclass(frozen=True)
class InputRounding:
    """An input value the dtype cannot hold: what it stores instead (correctly rounded)."""

    param: str
    index: tuple[int, ...]
    exact: Fraction
    stored: Fraction | float
    ulp: Fraction


@dataclass(frozen=True)
class VarianceEntry:
    """One σ² the definition computes (per row for LayerNorm, per column for BatchNorm)."""

    call: int
    index: tuple[int, ...]
    exact: Fraction
    exact_stored: Fraction | None    # σ² of the inputs as stored in the dtype
    formula: str
    computed: float
    ulps: float | None
    rel_error: float | None


@dataclass(frozen=True)
class Run:
    """One evaluation: a backend on a device at a dtype, by the definition or a layer."""

    backend: str
    device: str
    device_name: str
    library: str
    dtype: FloatFormat
    source: str                      # "definition" or "torch.nn.LayerNorm" …
    variance: str | None             # the formula Var used; None for a framework layer
    results: tuple[ResultErrors, ...]
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        how = f"definition, {self.variance} variance" if self.source == "definition" and self.variance else self.source
        return f"{self.backend} {self.device} {self.dtype.name} · {how}"

    def result(self, name: str) -> ResultErrors:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def worst(self, attr: str = "max_ulps"):
        """The largest of a ResultErrors statistic over this run's results (None if none)."""
        return max_of(getattr(r, attr) for r in self.results)

    @property
    def max_ulps(self):
        return self.worst("max_ulps")


@dataclass(frozen=True)
class OracleReport:
    kind: str
    title: str
    params: Any
    solution: Any
    runs: tuple[Run, ...]
    input_rounding: dict[str, tuple[InputRounding, ...]]
    variance: dict[tuple[str, str, str], tuple[VarianceEntry, ...]]   # (backend, device, dtype) → rows
    notes: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()

    def to_text(self, max_entries: int = 32) -> str:
        from .render.oracle_text import render_oracle_text

        return render_oracle_text(self, max_entries)

    def to_dict(self) -> dict:
        from .render.oracle_json import oracle_dict

        return oracle_dict(self)

    def to_json(self, indent: int | None = 2) -> str:
        from .render.oracle_json import render_oracle_json

        return render_oracle_json(self, indent)

    def to_latex(self, max_entries: int = 32, standalone: bool = True) -> str:
        from .render.oracle_latex import render_oracle_latex

        return render_oracle_latex(self, max_entries, standalone=standalone)


# -- the oracle -------------------------------------------------------------------------




def input_roundings(kind, params, fmt: FloatFormat) -> tuple[InputRounding, ...]:
    """Every numeric input the dtype cannot hold exactly, with the value it stores."""
    from .params import field_specs

    out = []
    for f in field_specs(kind.params):
        if f.metadata["type"] not in ("matrix", "vector", "scalar"):
            continue
        value = getattr(params, f.name)
        if value is None:
            continue
        for index, q in indexed_entries(value):
            q = Fraction(q)
            stored = fmt.round(q)
            if stored != q:
                out.append(InputRounding(f.name, index, q, stored, fmt.ulp(q)))
    return tuple(out)


def _result_errors(name, exact_value, numeric, fmt, stored_value) -> ResultErrors:
    import numpy as np

    flat = np.asarray(numeric, dtype=object if numeric.dtype == object else float).reshape(-1)
    pairs = list(indexed_entries(exact_value))
    stored_flat = (np.asarray(stored_value, dtype=object).reshape(-1) if stored_value is not None
                   else [None] * len(pairs))
    if len(pairs) != flat.size:
        raise DeriveError(f"{name}: {len(pairs)} exact entries but {flat.size} numeric ones")
    entries = tuple(entry_error(ex, float(x), fmt, index, st)
                    for (index, ex), x, st in zip(pairs, flat, stored_flat))
    return ResultErrors(name, value_shape(exact_value), entries)


def _runs_for(kind, params, solution, backend, variances, layers, stored):
    exact = {r.name: r.value for r in solution.results}
    runs, traces = [], {}
    for formula in variances:
        trace = []
        values = evaluate(kind, params, backend, definition=solution.definition, variance=formula, trace=trace)
        traces[formula] = [(axis, backend.to_numpy(v)) for _, axis, v in trace]
        results = tuple(_result_errors(n, exact[n], v, backend.dtype, stored.get(n))
                        for n, v in values.items() if n in exact)
        if not trace:  # the definition computes no variance (dropout, ℓ₂, model size): one run says all
            runs.append(Run(backend.name, backend.device, backend.device_name, backend.library, backend.dtype,
                            "definition", None, results, backend.notes))
            break
        runs.append(Run(backend.name, backend.device, backend.device_name, backend.library, backend.dtype,
                        "definition", formula, results, backend.notes))
    if layers:
        values, source, note = evaluate_layer(kind, params, backend)
        if values or note:
            results = tuple(_result_errors(n, exact[n], v, backend.dtype, stored.get(n))
                            for n, v in values.items() if n in exact)
            runs.append(Run(backend.name, backend.device, backend.device_name, backend.library, backend.dtype,
                            source or "layer", None, results, backend.notes + ((note,) if note else ())))
    return runs, traces


def _exact_values(kind, params, solution, dtype=None):
    """(results, variance trace) of the definition evaluated exactly (on stored inputs if dtype)."""
    trace = []
    try:
        values = evaluate(kind, params, ExactBackend(dtype), definition=solution.definition, trace=trace)
    except (ArithmeticError, ValueError, TypeError):
        return {}, trace
    return values, [(axis, v) for _, axis, v in trace]


def _variance_rows(exact_trace, stored_trace, float_traces, fmt) -> tuple[VarianceEntry, ...]:
    import numpy as np

    rows = []
    for formula, trace in float_traces.items():
        for call, ((axis, ex), (_, computed)) in enumerate(zip(exact_trace, trace)):
            st = stored_trace[call][1] if call < len(stored_trace) else None
            for index in np.ndindex(ex.shape):
                e = Fraction(ex[index])
                x = float(computed[index])
                if math.isfinite(x):
                    diff = Fraction(x) - e
                    ulps = float(abs(diff) / fmt.ulp(e))
                    rel = float(abs(diff) / abs(e)) if e else (0.0 if diff == 0 else math.inf)
                else:
                    ulps = rel = math.inf
                rows.append(VarianceEntry(call, tuple(int(i) for i in index), e,
                                          Fraction(st[index]) if st is not None else None, formula, x, ulps, rel))
    return tuple(rows)


def _parse_list(spec, allowed, field, default):
    if spec is None:
        return list(default)
    items = [s.strip().lower() for s in spec.split(",")] if isinstance(spec, str) else [str(s).lower() for s in spec]
    items = [s for s in items if s]
    if items == ["all"]:
        return list(allowed)
    for s in items:
        if s not in allowed:
            raise InputError(field, f"unknown {field} {s!r}; choose from {', '.join(allowed)} (or all)")
    return list(dict.fromkeys(items))


def run_oracle(kind, params, *, backends="numpy", device=None, dtypes=("float32", "float16"),
               variance: str = "both", layers: bool = True) -> OracleReport:
    """Evaluate `kind` on each backend × dtype and measure every entry's error exactly.

    `params`: a params object or a dict of raw values.  `backends`: "numpy", "torch",
    "cupy", a comma list, or "all" (the installed ones; unavailable ones are skipped with a
    note).  `variance`: "two-pass" (the definition), "naive" or "both".  `layers`: also run
    the framework's own layer (torch.nn.LayerNorm …) where the kind has a hook for it.
    """
    from .api import make_params
    from .registry import get_kind

    kind = get_kind(kind) if isinstance(kind, str) else kind
    if isinstance(params, dict):
        params = make_params(kind.name, **params)
    if variance not in VARIANCE_CHOICES:
        raise InputError("variance", f"must be one of {', '.join(VARIANCE_CHOICES)}, got {variance!r}")
    formulas = ("two-pass", "naive") if variance == "both" else (variance,)
    every_backend = isinstance(backends, str) and backends.strip().lower() == "all"
    names = _parse_list(backends, BACKEND_NAMES, "backend", ("numpy",))
    fmts = [get_dtype(d) for d in _parse_list(dtypes, tuple(DTYPES), "dtype", ("float32", "float16"))]
    solution = kind.solve(params)
    exact_results, exact_trace = _exact_values(kind, params, solution)

    runs, variance_rows, roundings, skipped, notes = [], {}, {}, [], []
    stored_cache: dict[str, tuple[dict, list]] = {}
    for name in names:
        for fmt in fmts:
            try:
                backend = get_backend(name, device, fmt.name)
            except BackendUnavailable as e:
                if every_backend or len(fmts) > 1 and "dtype" in str(e):
                    skipped.append(str(e))
                    continue
                raise
            if fmt.name not in stored_cache:
                stored_cache[fmt.name] = _exact_values(kind, params, solution, fmt)
                roundings[fmt.name] = input_roundings(kind, params, fmt)
            stored_values, stored_trace = stored_cache[fmt.name]
            try:
                new_runs, traces = _runs_for(kind, params, solution, backend, formulas, layers, stored_values)
            except BackendUnavailable as e:  # the kind cannot run at this dtype (ℓ₂'s solve at float16)
                if every_backend or len(fmts) > 1:
                    skipped.append(str(e))
                    continue
                raise
            runs.extend(new_runs)
            if exact_trace:
                variance_rows[(backend.name, backend.device, fmt.name)] = _variance_rows(
                    exact_trace, stored_trace, traces, fmt)
    if not runs:
        raise BackendUnavailable("no backend could run: " + "; ".join(skipped))
    notes.extend(_teaching_notes(kind, runs, roundings, variance_rows))
    return OracleReport(kind.name, kind.title, params, solution, tuple(runs), roundings, variance_rows,
                        tuple(notes), tuple(skipped))


def _teaching_notes(kind, runs, roundings, variance_rows) -> list[str]:
    """Sentences that say what the numbers show (input rounding, cancellation, overflow)."""
    notes = []
    for dtype, items in roundings.items():
        if not items:
            continue
        fmt = DTYPES[dtype]
        two_pass = [r for r in runs if r.dtype.name == dtype and r.variance == "two-pass"]
        if not two_pass:
            continue
        in_ulps = max_of(r.worst("max_input_ulps") for r in two_pass)
        ar_ulps = max_of(r.worst("max_arithmetic_ulps") for r in two_pass) or 0.0
        if in_ulps and in_ulps >= ar_ulps:
            notes.append(f"In {dtype} most of the error is input rounding: exact arithmetic on the inputs as "
                         f"{dtype} stores them is already {in_ulps:.3g} ulps off, before any operation runs "
                         f"({len(items)} input value(s) are not representable in {dtype}; it keeps "
                         f"{fmt.precision} significant bits).")
    for (backend, device, dtype), rows in variance_rows.items():
        fmt = DTYPES[dtype]
        naive = [r for r in rows if r.formula == "naive"]
        two = {(r.call, r.index): r for r in rows if r.formula == "two-pass"}
        if not naive:
            continue
        bad = [r for r in naive if not math.isfinite(r.computed)]
        negative = [r for r in naive if math.isfinite(r.computed) and r.computed < 0]
        if bad:
            notes.append(f"{backend} {dtype}: the naive variance E[x²] − E[x]² is {_word(bad[0].computed)} for "
                         f"{len(bad)} of {len(naive)} entries — x² exceeds {dtype}'s largest value "
                         f"{float(fmt.max_finite):g} (overflow), while the two-pass formula never squares x itself.")
        if negative:
            notes.append(f"{backend} {dtype}: the naive variance came out negative ({negative[0].computed:g}) — "
                         "catastrophic cancellation; its square root is NaN.")
        worse = [r for r in naive if math.isfinite(r.computed) and (r.call, r.index) in two
                 and (r.ulps or 0) > 4 * max(two[(r.call, r.index)].ulps or 0, 1)]
        if worse and not negative:
            r = max(worse, key=lambda r: r.ulps)
            notes.append(f"{backend} {dtype}: the naive variance is off by up to {r.ulps:.3g} ulps "
                         f"(two-pass: {two[(r.call, r.index)].ulps:.3g}) — E[x²] and E[x]² are large and nearly "
                         "equal, so their difference keeps only their rounding errors (catastrophic cancellation).")
    return notes


def _word(x: float) -> str:
    return "NaN" if math.isnan(x) else ("+inf" if x > 0 else "-inf")
