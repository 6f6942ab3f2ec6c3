"""Plain-text rendering of a solution: what a TA would write on the board."""

from __future__ import annotations

from ..definitions import definition_text
from ..model import Precision, Relation, Solution
from .printers import text
from .values import approx_display, display, is_exactly_shown

__all__ = ["render_text", "relation_text", "checks_text"]


def relation_text(rel: Relation, precision: Precision) -> str:
    """`lhs = f1 = f2 ≈ d`: one line when short, else one form per line under the '='."""
    from .latex import SHORT_RELATION

    head = text(rel.lhs) if rel.lhs is not None else ""
    pad = " " * len(head)
    parts = _distinct([("=", text(f)) for f in rel.forms])
    last = rel.forms[-1]
    if rel.approx and not is_exactly_shown(last, precision):
        shown = approx_display(last, precision)
        if shown is not None:
            parts.append(("≈", text(shown)))
    if (len(parts) == 1 or not rel.stacked) and sum(len(body) for _, body in parts) <= SHORT_RELATION and not any(
            "\n" in body for _, body in parts):
        line = head + "".join(f" {op} {body}" for op, body in parts)
        return line + (f"    ({rel.note})" if rel.note else "")
    lines = [f"{head if i == 0 else pad} {op} " + body.replace("\n", "\n" + pad + "   ")
             for i, (op, body) in enumerate(parts)]
    if rel.note:
        lines[0] += f"    ({rel.note})"
    return "\n".join(lines)


def _distinct(parts):
    """Drop a form that prints exactly like the one before it (`x · 1 + 0 = x + 0 = x`)."""
    out = []
    for part in parts:
        if not out or out[-1] != part:
            out.append(part)
    return out


def checks_text(sol: Solution) -> list[str]:
    """One line per check, naming the result it compared by its symbol (σ²_run, not running_var)."""
    symbols = {r.name: r.symbol for r in sol.results}
    out = []
    for c in sol.checks:
        what = c.detail
        if c.result:
            symbol = symbols.get(c.result)
            what += ", " + (text(symbol) if symbol is not None else c.result)
        err = "" if c.max_abs_error is None else f": max |error| {c.max_abs_error:.1e}"
        verdict = "agrees" if c.ok else "DISAGREES"
        out.append(f"  {what}{err} — {verdict}" + (f" ({c.note})" if c.note else ""))
    return out


def render_text(sol: Solution, precision: Precision = Precision()) -> str:
    from ..registry import get_kind

    out = [get_kind(sol.kind).title, "=" * len(get_kind(sol.kind).title)]
    if sol.definition is not None:
        out += ["Definition", "  " + definition_text(sol.definition)]
    for step in sol.steps:
        out += ["", step.title]
        if step.explanation:
            out.append("  " + step.explanation)
        for rel in step.relations:
            out.append("  " + relation_text(rel, precision).replace("\n", "\n  "))
    out += ["", "Answer"]
    for r in (r for r in sol.results if r.shown):
        rel = Relation(r.symbol, (display(r.value),))
        out.append("  " + relation_text(rel, precision).replace("\n", "\n  "))
    if sol.conventions:
        out += ["", "Conventions"] + [f"  - {c}" for c in sol.conventions]
    if sol.notes:
        out += ["", "Notes"] + [f"  - {n}" for n in sol.notes]
    if sol.checks:
        out += ["", "Numeric checks"] + checks_text(sol)
    return "\n".join(out) + "\n"
