"""The float-error oracle report as JSON (`derive numerics --format json`).

Exact values are SymPy-parsable strings, computed values the shortest decimal that
their dtype reads back, errors plain JSON numbers; JSON has no inf or NaN, so those
are the strings "inf", "-inf" and "nan", and a missing error (undefined entry) is null.
"""

from __future__ import annotations

import json
import math

from ..exact import exact_str
from ..model import Precision
from ..oracle import shortest_repr
from .json import jsonable, value_dict
from .oracle_text import CONVENTIONS, exact_decimal

__all__ = ["oracle_dict", "render_oracle_json", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1


def _num(x):
    if x is None:
        return None
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _exact(x) -> str:
    return "undefined" if type(x).__name__ == "Undefined" else exact_str(x)


def _result(result, fmt) -> dict:
    return {
        "shape": list(result.shape),
        "max_abs_error": _num(result.max_abs_error),
        "max_rel_error": _num(result.max_rel_error),
        "max_ulps": _num(result.max_ulps),
        "max_input_ulps": _num(result.max_input_ulps),
        "max_arithmetic_ulps": _num(result.max_arithmetic_ulps),
        "entries": [
            {"index": list(e.index), "exact": _exact(e.exact), "exact_decimal": exact_decimal(e.exact, 17),
             "computed": shortest_repr(e.computed, fmt), "abs_error": _num(e.abs_error),
             "rel_error": _num(e.rel_error), "ulps": _num(e.ulps), "input_ulps": _num(e.input_ulps),
             "arithmetic_ulps": _num(e.arithmetic_ulps), "status": e.status}
            for e in result.entries
        ],
    }


def oracle_dict(report) -> dict:
    from ..backends import DTYPES

    return {
        "schema": SCHEMA_VERSION,
        "kind": report.kind,
        "params": jsonable(report.params),
        "exact": {r.name: value_dict(r.value, Precision(decimals=2, sigfigs=17)) for r in report.solution.results},
        "input_rounding": {
            dtype: [{"param": r.param, "index": list(r.index), "exact": exact_str(r.exact),
                     "stored": exact_str(r.stored) if not isinstance(r.stored, float) else _num(r.stored),
                     "ulp": exact_str(r.ulp)} for r in items]
            for dtype, items in report.input_rounding.items()
        },
        "runs": [
            {"backend": run.backend, "device": run.device, "device_name": run.device_name,
             "library": run.library, "dtype": run.dtype.name, "source": run.source, "variance": run.variance,
             "label": run.label, "max_ulps": _num(run.max_ulps), "notes": list(run.notes),
             "results": {r.name: _result(r, run.dtype) for r in run.results}}
            for run in report.runs
        ],
        "variance": [
            {"backend": backend, "device": device, "dtype": dtype, "call": r.call, "index": list(r.index),
             "formula": r.formula, "exact": exact_str(r.exact),
             "exact_stored_inputs": exact_str(r.exact_stored) if r.exact_stored is not None else None,
             "computed": shortest_repr(r.computed, DTYPES[dtype]), "ulps": _num(r.ulps),
             "rel_error": _num(r.rel_error)}
            for (backend, device, dtype), rows in report.variance.items() for r in rows
        ],
        "notes": list(report.notes),
        "skipped": list(report.skipped),
        "conventions": list(CONVENTIONS),
    }


def render_oracle_json(report, indent: int | None = 2) -> str:
    return json.dumps(oracle_dict(report), indent=indent, ensure_ascii=False, allow_nan=False) + "\n"
