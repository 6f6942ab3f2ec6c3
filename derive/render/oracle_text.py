"""Plain-text rendering of a float-error oracle report (`derive numerics`).

Layout only: the errors were measured exactly by `derive.oracle`; this module picks
which entries to show, formats numbers and lines up columns.  Exact decimals are
correctly rounded from the exact value (`derive.exact.round_sigfigs`), computed values
are printed as the shortest decimal the dtype reads back as that value.
"""

from __future__ import annotations

import math

from ..exact import exact_str, round_sigfigs
from ..model import Precision, Relation
from ..oracle import shortest_repr
from .values import display

__all__ = ["render_oracle_text", "index_text", "number_text", "ulps_text", "exact_decimal",
           "shown_entries", "value_text", "stored_text", "CONVENTIONS", "column_table"]

CONVENTIONS = (
    "ulp(x) is the spacing of the dtype's floats around the exact value x: 2^(max(floor(log2|x|), emin) − p + 1) "
    "for a dtype with p significand bits (float64 53, float32 24, float16 11, bfloat16 8); "
    "a correctly rounded result is within 0.5 ulp.",
    "Errors are computed exactly from the exact answer (the float result is a rational number) and "
    "rounded once for display.",
    "'input' is the error that rounding the inputs to the dtype causes by itself (exact answer for the stored "
    "inputs − exact answer); 'arith' is the rest (computed − exact answer for the stored inputs).",
    "Inputs are rounded to the dtype once, correctly (to nearest, ties to even), from their exact values.",
)


def index_text(index) -> str:
    return "[" + ",".join(str(i) for i in index) + "]" if index else "·"


def number_text(x, digits: int = 3) -> str:
    """An error or ratio for display: '—' for none, 'inf', 'nan', '0', else 3 significant digits."""
    if x is None:
        return "—"
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    if x == math.inf:
        return "inf"
    if x == 0:
        return "0"
    return f"{x:.{digits}g}"


def ulps_text(x) -> str:
    """ulps: whole numbers in full up to 10⁷ (1374, not 1.37e+03), small ones to 3 digits."""
    if x is None or not (isinstance(x, (int, float)) and math.isfinite(x)) or x == 0:
        return number_text(x)
    if x >= 100 and x < 1e7:
        return f"{x:.0f}"
    return f"{x:.3g}"


def exact_decimal(value, digits: int) -> str:
    """The exact value correctly rounded to `digits` significant figures ('undefined' if none)."""
    if type(value).__name__ == "Undefined":
        return "undefined"
    return round_sigfigs(value, digits)


def value_text(value, fmt) -> str:
    return shortest_repr(value, fmt)


def shown_entries(entries, max_entries: int):
    """All entries if they fit, else the `max_entries` worst (by ulps), kept in index order."""
    if len(entries) <= max_entries:
        return list(entries), False
    def badness(e):
        if e.ulps is None:
            return math.inf if e.status == "undefined-finite" else -1.0
        return math.inf if math.isnan(e.ulps) else e.ulps
    worst = sorted(range(len(entries)), key=lambda i: badness(entries[i]), reverse=True)[:max_entries]
    return [entries[i] for i in sorted(worst)], True


def column_table(header, rows, indent: str = "  ", right=()) -> list[str]:
    """Columns padded to their widest cell; columns in `right` are right-aligned."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        parts = [str(c).rjust(w) if i in right else str(c).ljust(w)
                 for i, (c, w) in enumerate(zip(cells, widths))]
        return (indent + "  ".join(parts)).rstrip()

    return [line(header)] + [line(r) for r in rows]


def _run_header(run) -> str:
    where = run.device_name if run.device == "cpu" else f"{run.device} ({run.device_name})"
    return f"{run.label}   [{run.library}, {where}]"


def _entry_rows(result, run, max_entries):
    entries, cut = shown_entries(result.entries, max_entries)
    digits = run.dtype.decimal_digits
    rows = []
    for e in entries:
        status = {"undefined": "undefined, non-finite as expected",
                  "undefined-finite": "exact is undefined but the result is finite",
                  "nonfinite": "non-finite result"}.get(e.status, "")
        rows.append([index_text(e.index), exact_decimal(e.exact, digits), value_text(e.computed, run.dtype),
                     number_text(e.abs_error), number_text(e.rel_error), ulps_text(e.ulps),
                     ulps_text(e.input_ulps), ulps_text(e.arithmetic_ulps), status])
    rows.append(["max", "", "", number_text(result.max_abs_error), number_text(result.max_rel_error),
                 ulps_text(result.max_ulps), ulps_text(result.max_input_ulps),
                 ulps_text(result.max_arithmetic_ulps), ""])
    header = ["entry", "exact ≈", run.dtype.name, "|error|", "rel.error", "ulps", "input", "arith", ""]
    lines = column_table(header, rows, "    ", right=(3, 4, 5, 6, 7))
    if cut:
        lines.append(f"    (the {len(entries)} entries with the largest errors of {len(result.entries)}, "
                     "in index order)")
    return lines


def _rounding_lines(report) -> list[str]:
    out = []
    for dtype, items in report.input_rounding.items():
        if not items:
            out.append(f"  {dtype}: every input value is stored exactly")
            continue
        out.append(f"  {dtype}: {len(items)} input value(s) are not representable and are rounded:")
        for r in items[:12]:
            stored = stored_text(r.stored)
            where = f"{r.param}{index_text(r.index) if r.index else ''}"
            out.append(f"    {where} = {exact_str(r.exact)} is stored as {stored} "
                       f"(spacing of {dtype} there: {_spacing(r.ulp)})")
        if len(items) > 12:
            out.append(f"    … and {len(items) - 12} more")
    return out


def stored_text(value) -> str:
    """A stored (dtype) value in full: its float64 repr, which tells it apart from the exact input."""
    v = float(value)
    if math.isfinite(v) and v == int(v) and abs(v) < 1e16:
        return str(int(v))
    return repr(v)


def _fmt(name):
    from ..backends import DTYPES

    return DTYPES[name]


def _spacing(ulp) -> str:
    if ulp.denominator == 1:
        return str(ulp.numerator)
    k = ulp.denominator.bit_length() - 1
    return f"2^-{k} ≈ {float(ulp):.3g}" if ulp.numerator == 1 else f"{float(ulp):.3g}"


def _variance_lines(report) -> list[str]:
    out = []
    for (backend, device, dtype), rows in report.variance.items():
        if not rows:
            continue
        fmt = _fmt(dtype)
        formulas = list(dict.fromkeys(r.formula for r in rows))
        keyed = {}
        for r in rows:
            keyed.setdefault((r.call, r.index), {})[r.formula] = r
        header = ["σ²", "exact", "stored inputs"]
        for f in formulas:
            header += [f, "ulps"]
        table = []
        for (call, index), by in keyed.items():
            first = next(iter(by.values()))
            cells = [("" if call == 0 else f"#{call + 1} ") + index_text(index), exact_str(first.exact),
                     exact_str(first.exact_stored) if first.exact_stored is not None else "—"]
            for f in formulas:
                r = by.get(f)
                cells += ([value_text(r.computed, fmt), ulps_text(r.ulps)] if r else ["", ""])
            table.append(cells)
        out.append(f"  {backend} {device} {dtype}")
        out += column_table(header, table, "    ", right=tuple(range(4, len(header), 2)))
    return out


def render_oracle_text(report, max_entries: int = 32) -> str:
    title = f"Float-error oracle: {report.title}"
    out = [title, "=" * len(title), "", "Exact answer"]
    from .text import relation_text

    precision = Precision(decimals=2, sigfigs=8)
    for r in report.solution.results:
        rel = Relation(r.symbol, (display(r.value),))
        out.append("  " + relation_text(rel, precision).replace("\n", "\n  "))
    out += ["", "Inputs as each dtype stores them"] + _rounding_lines(report)
    for run in report.runs:
        out += ["", _run_header(run)]
        for result in run.results:
            if len(run.results) > 1:
                out.append(f"  {result.name}")
            out += _entry_rows(result, run, max_entries)
        out += [f"  note: {n}" for n in run.notes]
    variance = _variance_lines(report)
    if variance:
        out += ["", "Variance σ² as each formula computes it (exact vs dtype; 'stored inputs' = exact σ² of the "
                "inputs as the dtype stores them)"] + variance
    out += ["", "Summary (max over all entries and results)"]
    summary = [[run.label, number_text(run.worst("max_abs_error")), number_text(run.worst("max_rel_error")),
                ulps_text(run.max_ulps), ulps_text(run.worst("max_input_ulps")),
                ulps_text(run.worst("max_arithmetic_ulps"))] for run in report.runs]
    out += column_table(["run", "max |error|", "max rel.", "max ulps", "input", "arith"], summary,
                        right=(1, 2, 3, 4, 5))
    if report.notes:
        out += ["", "What the numbers show"] + [f"  - {n}" for n in report.notes]
    if report.skipped:
        out += ["", "Skipped"] + [f"  - {s}" for s in report.skipped]
    out += ["", "Conventions"] + [f"  - {c}" for c in CONVENTIONS]
    return "\n".join(out) + "\n"
