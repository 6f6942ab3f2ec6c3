"""Compare printed answers (a worksheet's decimals as published) with the exact ones.

A printed decimal is *right* when it equals the exact value correctly rounded to the
number of decimals it shows (``0.20`` shows two, ``4`` shows none).  Every entry that is
not is reported with its exact value, the correctly rounded one, and the likely cause:
first the kind's own known mistakes (`Kind.mistakes(params)`: the LayerNorm and
BatchNorm kinds know "rounded_intermediates", x̂ rounded before scaling), then
truncation instead of rounding, then a last-digit slip from rounding some intermediate.

The printed answers come from a TOML file::

    # answers as printed in the seed worksheet
    [[answers]]
    part = "2a"                 # the worksheet's part label
    result = "output"           # optional: which result (default: the part's first)
    value = [[-1, -3, 4, 4], [-1, -1.66, 0.01, 6.68], [-0.58, -2.16, -0.74, 6.92]]

Numbers are read exactly (``parse_float=Decimal``), so ``0.20`` keeps its two decimals;
strings such as ``"−3.82"`` (with a minus sign) or ``"5/3"`` are accepted too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import InputError
from .model import Precision
from .nested import indexed_entries, value_shape
from .worksheet import (SolvedWorksheet, read_spec_text, _check_keys, _reject_non_finite, _type_name,
                        read_toml)

__all__ = ["PrintedAnswer", "Discrepancy", "Comparison", "load_printed", "parse_printed",
           "compare_printed", "report_text", "report_dict", "erratum_notes"]

PRINTED_KEYS = ("source", "note", "answers")
ANSWER_KEYS = ("part", "result", "value", "note")


@dataclass(frozen=True)
class PrintedNumber:
    """One printed entry: its exact value and how many decimals it shows (None: a fraction)."""

    text: str
    value: Fraction
    decimals: int | None


@dataclass(frozen=True)
class PrintedAnswer:
    label: str
    result: str | None
    value: Any  # PrintedNumber, or nested tuples of them
    note: str = ""


@dataclass(frozen=True)
class Discrepancy:
    label: str
    result: str
    index: tuple[int, ...]
    where: str            # "row 2, column 3" / "entry 2" / ""
    printed: str
    exact: str            # SymPy-parsable
    exact_latex: str
    exact_text: str       # as the text renderer writes it, e.g. "-1 - 2√3/3"
    rounded: str          # the exact value correctly rounded to the printed decimals
    cause: str
    mistake: str | None   # the kind's mistake name that reproduces the printed value


@dataclass(frozen=True)
class Comparison:
    label: str
    result: str
    symbol: str           # plain-text symbol of the result, e.g. "LayerNorm(X)"
    entries: int
    discrepancies: tuple[Discrepancy, ...]


# ---------------------------------------------------------------------------------
# Reading.

def load_printed(path) -> tuple[PrintedAnswer, ...]:
    return parse_printed(read_spec_text(path, "the printed answers"), str(Path(path)))


def parse_printed(text: str, source: str = "<printed>") -> tuple[PrintedAnswer, ...]:
    data = read_toml(text, source)
    _reject_non_finite(data, "")
    _check_keys(data, PRINTED_KEYS, source)
    answers = data.get("answers")
    if not isinstance(answers, list) or not answers or not all(isinstance(a, dict) for a in answers):
        raise InputError(f"{source}: answers", "add at least one [[answers]] table with part and value")
    out = []
    for i, a in enumerate(answers, 1):
        where = f"{source}: answer {i}"
        _check_keys(a, ANSWER_KEYS, where)
        label = a.get("part")
        if not isinstance(label, str) or not label.strip():
            raise InputError(f"{where}: part", "is required: the part label, like \"2a\"")
        result = a.get("result")
        if result is not None and not isinstance(result, str):
            raise InputError(f"{where}: result", f"expected a result name, got {_type_name(result)}")
        if "value" not in a:
            raise InputError(f"{where}: value", "is required")
        note = a.get("note", "")
        if not isinstance(note, str):
            raise InputError(f"{where}: note", f"expected text, got {_type_name(note)}")
        out.append(PrintedAnswer(label.strip(), result, _printed_value(a["value"], f"{where}: value"), note))
    return tuple(out)


_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _printed_value(value, field: str):
    if isinstance(value, list):
        if not value:
            raise InputError(field, "is empty")
        return tuple(_printed_value(v, f"{field}[{i + 1}]") for i, v in enumerate(value))
    if isinstance(value, bool):
        raise InputError(field, f"expected a number, got {str(value).lower()}")
    if isinstance(value, int):
        return PrintedNumber(str(value), Fraction(value), 0)
    if isinstance(value, Decimal):
        return PrintedNumber(str(value), Fraction(value), max(0, -value.as_tuple().exponent))
    if isinstance(value, str):
        text = value.strip().replace("\u2212", "-")
        if _DECIMAL.match(text):
            d = Decimal(text)
            return PrintedNumber(text, Fraction(d), max(0, -d.as_tuple().exponent))
        try:
            return PrintedNumber(text, Fraction(text), None)
        except (ValueError, ZeroDivisionError, InvalidOperation):
            raise InputError(field, f"not a number: {value!r}") from None
    raise InputError(field, f"expected a number or a list, got {_type_name(value)}")


# ---------------------------------------------------------------------------------
# Comparing.





def _at(value, index):
    for i in index:
        value = value[i]
    return value


def _where(index: tuple[int, ...]) -> str:
    if len(index) == 2:
        return f"row {index[0] + 1}, column {index[1] + 1}"
    if len(index) == 1:
        return f"entry {index[0] + 1}"
    return ""


def _rounded(x, decimals: int) -> str:
    from .render.values import decimal_strings

    return decimal_strings(x, Precision(decimals=decimals))


def _as_fraction(text: str) -> Fraction | None:
    try:
        return Fraction(Decimal(text))
    except (InvalidOperation, ValueError):
        return None


def _matches(x, printed: PrintedNumber) -> bool:
    """x (exact) shown as `printed`: equal for fractions, correctly rounded for decimals."""
    if type(x).__name__ == "Undefined":
        return False
    if printed.decimals is None:
        return _as_fraction(_rounded(x, 40)) == printed.value and _exact_equal(x, printed.value)
    return _as_fraction(_rounded(x, printed.decimals)) == printed.value


def _exact_equal(x, q: Fraction) -> bool:
    from .exact import Surd

    if isinstance(x, (int, Fraction)):
        return Fraction(x) == q
    if isinstance(x, Surd):
        return x.c == 0 and x.b == q
    try:
        import sympy

        return sympy.nsimplify(x) == sympy.Rational(q.numerator, q.denominator)
    except Exception:  # pragma: no cover - an exotic SymPy value
        return False


def _truncated(x, decimals: int) -> Fraction | None:
    """x truncated toward zero at `decimals` places (from 40 correctly rounded digits)."""
    wide = _as_fraction(_rounded(x, 40))
    if wide is None:
        return None
    scale = 10**decimals
    n = abs(wide) * scale
    t = Fraction(int(n), scale)
    return -t if wide < 0 else t


def _cause(x, printed: PrintedNumber, index, result_name: str, shape, mistakes) -> tuple[str, str | None]:
    """The first known mistake that reproduces `printed`, else a generic rounding cause."""
    matched = [m for m in mistakes
               if result_name in m.results and value_shape(m.results[result_name]) == shape
               and _matches(_at(m.results[result_name], index), printed)]
    if matched:
        m = matched[0]
        return m.message, m.name
    if printed.decimals is not None:
        if _truncated(x, printed.decimals) == printed.value:
            return f"Truncated instead of rounded: the exact value cut off after {printed.decimals} decimals.", None
        rounded = _as_fraction(_rounded(x, printed.decimals))
        if rounded is not None and abs(rounded - printed.value) == Fraction(1, 10**printed.decimals):
            return ("Off by one in the last digit: most likely an intermediate value was rounded "
                    "before the last step; round only the final answer.", None)
    return "No known mistake reproduces it; check the arithmetic.", None


def compare_printed(solved: SolvedWorksheet, printed) -> tuple[Comparison, ...]:
    """Each printed answer against the worksheet's exact one, entry by entry."""
    from .registry import get_kind
    from .render.printers import text as plain

    by_label = {}
    for sp in solved.problems:
        for part in sp.problem.parts:
            by_label[sp.problem.label(part)] = (sp, part)
    out = []
    mistakes_cache: dict[int, tuple] = {}
    for answer in printed:
        if answer.label not in by_label:
            import difflib

            close = difflib.get_close_matches(answer.label, by_label, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"printed answer for {answer.label!r}",
                             f"the worksheet has no such part{hint}; parts: {', '.join(by_label)}")
        sp, part = by_label[answer.label]
        if part.type != "computed":
            raise InputError(f"printed answer for {answer.label}", "is not a computed part")
        results = sp.results_of(part)
        if answer.result is None:
            result = results[0]
        else:
            names = [r.name for r in sp.solution.results]
            if answer.result not in names:
                raise InputError(f"printed answer for {answer.label}: result",
                                 f"unknown result {answer.result!r}; this problem has: {', '.join(names)}")
            result = sp.solution.result(answer.result)
        exact_shape, printed_shape = value_shape(result.value), value_shape(answer.value)
        if exact_shape != printed_shape:
            raise InputError(f"printed answer for {answer.label}",
                             f"has shape {list(printed_shape)} but {result.name} has shape {list(exact_shape)}")
        key = sp.problem.number
        if key not in mistakes_cache:
            kind = get_kind(sp.problem.kind)
            mistakes_cache[key] = tuple(kind.mistakes(sp.problem.params)) if kind.mistakes else ()
        found = []
        count = 0
        for index, p in indexed_entries(answer.value):
            count += 1
            x = _at(result.value, index)
            if _matches(x, p):
                continue
            found.append(_discrepancy(answer.label, result.name, index, exact_shape, x, p,
                                      mistakes_cache[key]))
        out.append(Comparison(answer.label, result.name, plain(result.symbol), count, tuple(found)))
    return tuple(out)


def _discrepancy(label, result_name, index, shape, x, p: PrintedNumber, mistakes) -> Discrepancy:
    from .render.printers import latex, text
    from .render.values import exact_strings

    cause, mistake = _cause(x, p, index, result_name, shape, mistakes)
    if type(x).__name__ == "Undefined":
        rounded, exact, exact_tex, exact_text = "undefined", "undefined", r"\text{undefined}", "undefined"
        cause = "The exact value is undefined here."
    else:
        places = p.decimals if p.decimals is not None else 6
        rounded = _fixed(_rounded(x, places), places)
        exact, exact_tex, exact_text = exact_strings(x), latex(x), text(x)
    return Discrepancy(label, result_name, index, _where(index), p.text, exact, exact_tex, exact_text,
                       rounded, cause, mistake)


def _fixed(rounded: str, places: int) -> str:
    """"0" → "0.00" at two places: the rounded value written as the printed one is."""
    try:
        return str(Decimal(rounded).quantize(Decimal(1).scaleb(-places)))
    except InvalidOperation:
        return rounded


# ---------------------------------------------------------------------------------
# Reports.

def report_text(comparisons, source: str = "") -> str:
    """Per printed answer: how many entries differ, each one, and the likely causes."""
    head = "Printed answers compared with the exact ones" + (f" ({source})" if source else "")
    lines = [head, "=" * len(head)]
    total = sum(len(c.discrepancies) for c in comparisons)
    for c in comparisons:
        n = len(c.discrepancies)
        noun = "entry" if c.entries == 1 else "entries"
        state = "all agree" if n == 0 else f"{n} differ" if n > 1 else "1 differs"
        lines.append(f"{c.label}  {c.symbol} ({c.result}): {c.entries} {noun}, {state}")
        for d in c.discrepancies:
            where = f"{d.where}: " if d.where else ""
            lines.append(f"    {where}printed {d.printed}, exact {d.exact_text} ≈ {d.rounded}")
        causes: dict[tuple[str, str | None], list[Discrepancy]] = {}
        for d in c.discrepancies:
            causes.setdefault((d.cause, d.mistake), []).append(d)
        for (cause, mistake), ds in causes.items():
            which = "all" if len(ds) == n and n > 1 else ", ".join(d.where or d.printed for d in ds)
            tag = f" [{mistake}]" if mistake else ""
            lines.append(f"    likely cause ({which}): {cause}{tag}")
    lines.append("")
    lines.append(f"{total} printed value{'s' if total != 1 else ''} differ{'s' if total == 1 else ''} from "
                 "the correctly rounded exact values." if total else
                 "Every printed value is the correctly rounded exact value.")
    return "\n".join(lines) + "\n"


def report_dict(comparisons) -> dict:
    return {
        "discrepancies": sum(len(c.discrepancies) for c in comparisons),
        "comparisons": [
            {"part": c.label, "result": c.result, "entries": c.entries,
             "discrepancies": [
                 {"index": list(d.index), "where": d.where, "printed": d.printed, "exact": d.exact,
                  "latex": d.exact_latex, "correctly_rounded": d.rounded, "cause": d.cause,
                  "mistake": d.mistake}
                 for d in c.discrepancies]}
            for c in comparisons],
    }


def erratum_notes(comparisons) -> dict[str, list[str]]:
    """Sentences for the solutions document, by part label: what was printed, what is right."""
    notes: dict[str, list[str]] = {}
    for c in comparisons:
        if not c.discrepancies:
            continue
        printed = ", ".join(f"{d.printed} ({d.where})" if d.where else d.printed for d in c.discrepancies)
        right = ", ".join(d.rounded for d in c.discrepancies)
        causes = []
        for d in c.discrepancies:
            if d.cause not in causes:
                causes.append(d.cause)
        notes.setdefault(c.label, []).append(
            f"A printed version of this answer shows {printed}; correctly rounded from the exact "
            f"values these are {right}. Likely cause: {' '.join(causes)}")
    return notes
