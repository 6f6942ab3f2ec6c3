"""The JSON contract (see DESIGN.md): exact strings, LaTeX and correctly rounded decimals.

Autograders and LMS importers read this; keys are stable and values are strings, so
no float ever stands in for an exact value.
"""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

from ..exact import ratio_str
from ..key_json import json_line
from ..memo import KeptByIdentity
from ..model import Precision, Solution
from .latex import relation_latex
from .printers import latex
from .text import relation_text
from .values import display, exact_strings, is_exact_scalar, json_strings

__all__ = ["solution_dict", "render_json", "jsonable", "params_json", "params_json_text", "value_dict"]

SCHEMA_VERSION = 1


def jsonable(value):
    """Params as JSON: exact numbers as strings ("5/3"), tuples as lists."""
    t = type(value)
    if t is Fraction:  # most params entries: printed as `exact_strings` would, without its walk
        return _fraction_str(value)
    if t is tuple or t is list:
        return [_fraction_str(v) if type(v) is Fraction else jsonable(v) for v in value]
    if t is str or t is int or value is None:  # as the checks below return them, sooner
        return value
    names = _FIELD_NAMES.get(t)
    if names is not None:  # a params class, met before: the checks below depend on the type only
        return {name: jsonable(getattr(value, name)) for name in names}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction) or is_exact_scalar(value):
        return exact_strings(value)
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        names = _FIELD_NAMES[t] = tuple(f.name for f in dataclasses.fields(t))
        return {name: jsonable(getattr(value, name)) for name in names}
    return str(value)


def _fraction_str(q: Fraction) -> str:
    """`exact_str` of a Fraction, read through one as_integer_ratio() (not two properties,
    each a call): a variant's params are ~50 of them."""
    return ratio_str(*q.as_integer_ratio())


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # a dataclass → its fields' names (one entry per params class)


def params_json(params):
    """`jsonable(params)`, remembered per params object (params are frozen): one variant's
    params are fingerprinted, recorded and put in its key, and a fixed problem's params
    are in every variant's key.  Treat the result as read-only."""
    return _PARAMS_JSON.get(params, lambda: jsonable(params))


_PARAMS_JSON = KeptByIdentity(256)


def params_json_text(params) -> str:
    """`params_json(params)` as key.json writes it, kept the same way: a fixed problem's
    params are in every variant's key."""
    return _PARAMS_TEXT.get(params, lambda: json_line(params_json(params)))


_PARAMS_TEXT = KeptByIdentity(64)


def value_dict(value, precision: Precision, *, tex: str | None = None) -> dict:
    """Exact strings, LaTeX (`tex` when the caller printed it already) and decimals."""
    exact, decimal = json_strings(value, precision)
    return {"exact": exact, "latex": latex(display(value)) if tex is None else tex, "decimal": decimal}


def solution_dict(sol: Solution, precision: Precision = Precision()) -> dict:
    main = sol.results[0]
    return {
        "schema": SCHEMA_VERSION,
        "kind": sol.kind,
        "params": jsonable(sol.params),
        "answer": value_dict(main.value, precision),
        "answers": {
            r.name: {**value_dict(r.value, precision), "description": r.description}
            for r in sol.results
        },
        "steps": [
            {
                "title": s.title,
                "explanation": s.explanation,
                "latex": " \\\\\n".join(row for rel in s.relations for row in relation_latex(rel, precision)),
                "text": "\n".join(relation_text(rel, precision) for rel in s.relations),
            }
            for s in sol.steps
        ],
        "conventions": list(sol.conventions),
        "notes": list(sol.notes),
        "checks": {
            c.backend: {"detail": c.description, "max_abs_error": c.max_abs_error, "ok": c.ok, "note": c.note}
            for c in sol.checks
        },
        "precision": {"decimals": precision.decimals, "sigfigs": precision.sigfigs,
                      "rounding": "half away from zero, from the exact value"},
    }


def render_json(sol: Solution, precision: Precision = Precision(), indent: int | None = 2) -> str:
    return json.dumps(solution_dict(sol, precision), indent=indent, ensure_ascii=False) + "\n"
