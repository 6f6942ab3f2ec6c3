"""LaTeX rendering of a float-error oracle report, through `templates/oracle.tex.j2`.

This module only prepares cells as LaTeX strings (numbers in math mode, user-visible
text escaped); the template lays them out with booktabs.  No arithmetic here.
"""

from __future__ import annotations

import re

from ..model import Precision, Relation
from ..oracle import shortest_repr
from .escape import escape_latex
from .latex import environment, relation_latex
from .oracle_text import (
    CONVENTIONS, exact_decimal, index_text, number_text, shown_entries, stored_text, ulps_text,
)
from .printers import latex
from .values import display

__all__ = ["render_oracle_latex", "oracle_context", "number_latex"]

_EXP = re.compile(r"^(-?[0-9.]+)e([+-])0*([0-9]+)$")


def number_latex(text: str) -> str:
    """A formatted number as math: '1.05e+07' → $1.05\\times 10^{7}$, 'inf' → $\\infty$."""
    if text in ("", "—"):
        return "---" if text else ""
    if text in ("inf", "-inf"):
        return r"$-\infty$" if text.startswith("-") else r"$\infty$"
    if text == "nan":
        return r"$\mathrm{NaN}$"
    m = _EXP.match(text)
    if m:
        mantissa, sgn, exp = m.groups()
        power = f"10^{{{'-' if sgn == '-' else ''}{exp}}}"
        if mantissa in ("1", "-1"):
            return f"${mantissa[:-1]}{power}$"
        return f"${mantissa}\\times {power}$"
    if re.fullmatch(r"-?[0-9./]+", text):
        return f"${text}$"
    return escape_latex(text)


def _index(index) -> str:
    return f"${index_text(index)}$" if index else "---"


def _exact_math(x) -> str:
    return r"\text{undefined}" if type(x).__name__ == "Undefined" else latex(x)


def _run_tables(run, max_entries):
    tables = []
    for result in run.results:
        entries, cut = shown_entries(result.entries, max_entries)
        rows = []
        for e in entries:
            rows.append([_index(e.index), number_latex(exact_decimal(e.exact, run.dtype.decimal_digits)),
                         number_latex(shortest_repr(e.computed, run.dtype)), number_latex(number_text(e.abs_error)),
                         number_latex(number_text(e.rel_error)), number_latex(ulps_text(e.ulps)),
                         number_latex(ulps_text(e.input_ulps)), number_latex(ulps_text(e.arithmetic_ulps))])
        total = ["max", "", "", number_latex(number_text(result.max_abs_error)),
                 number_latex(number_text(result.max_rel_error)), number_latex(ulps_text(result.max_ulps)),
                 number_latex(ulps_text(result.max_input_ulps)), number_latex(ulps_text(result.max_arithmetic_ulps))]
        tables.append({
            "name": result.name if len(run.results) > 1 else "",
            "spec": "llrrrrrr",
            "header": ["entry", r"exact $\approx$", escape_latex(run.dtype.name), r"$|\mathrm{error}|$",
                       "rel.\\ error", "ulps", "input", "arith"],
            "rows": rows, "total": total,
            "cut": (f"The {len(entries)} entries with the largest errors of {len(result.entries)}, in index order."
                    if cut else ""),
        })
    return tables


def _variance_tables(report):
    tables = []
    for (backend, device, dtype), rows in report.variance.items():
        formulas = list(dict.fromkeys(r.formula for r in rows))
        keyed = {}
        for r in rows:
            keyed.setdefault((r.call, r.index), {})[r.formula] = r
        out = []
        from ..backends import DTYPES

        for (call, index), by in keyed.items():
            first = next(iter(by.values()))
            cells = [_index(index), f"${latex(first.exact)}$",
                     f"${latex(first.exact_stored)}$" if first.exact_stored is not None else "---"]
            for f in formulas:
                r = by.get(f)
                cells += [number_latex(shortest_repr(r.computed, DTYPES[dtype])), number_latex(ulps_text(r.ulps))] \
                    if r else ["", ""]
            out.append(cells)
        header = [r"$\sigma^2$", "exact", "stored inputs"]
        for f in formulas:
            header += [escape_latex(f), "ulps"]
        tables.append({"name": f"{backend} {device} {dtype}", "spec": "lll" + "rr" * len(formulas),
                       "header": header, "rows": out})
    return tables


def oracle_context(report, max_entries: int = 32) -> dict:
    precision = Precision(decimals=2, sigfigs=8)
    exact = [relation_latex(Relation(r.symbol, (display(r.value),)), precision) for r in report.solution.results]
    roundings = []
    for dtype, items in report.input_rounding.items():
        summary = (f"{len(items)} input value(s) are not representable and are rounded"
                   if items else "every input value is stored exactly")
        lines = [f"\\texttt{{{escape_latex(r.param)}}}{_index(r.index) if r.index else ''} "
                 f"$= {latex(r.exact)}$ is stored as {number_latex(stored_text(r.stored))}" for r in items[:12]]
        roundings.append({"dtype": dtype, "summary": summary, "lines": lines})
    runs = [{"header": run.label, "where": f"{run.library}, {run.device_name}",
             "tables": _run_tables(run, max_entries), "notes": list(run.notes)} for run in report.runs]
    summary = [[escape_latex(run.label), number_latex(number_text(run.worst("max_abs_error"))),
                number_latex(number_text(run.worst("max_rel_error"))), number_latex(ulps_text(run.max_ulps)),
                number_latex(ulps_text(run.worst("max_input_ulps"))),
                number_latex(ulps_text(run.worst("max_arithmetic_ulps")))] for run in report.runs]
    return {"title": report.title, "exact": exact, "roundings": roundings, "runs": runs,
            "variance": _variance_tables(report), "summary": summary, "notes": list(report.notes) +
            list(report.skipped), "conventions": list(CONVENTIONS)}


def render_oracle_latex(report, max_entries: int = 32, *, standalone: bool = True) -> str:
    ctx = oracle_context(report, max_entries)
    ctx["standalone"] = standalone
    return environment().get_template("oracle.tex.j2").render(ctx)
