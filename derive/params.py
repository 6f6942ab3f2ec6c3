"""Problem parameters: declared once as dataclass fields, converted exactly at the boundary.

A kind declares its parameters as a frozen dataclass whose fields carry `param(...)`
metadata (value type, help).  `build()` turns raw values — Python numbers and lists
from the API, strings from the CLI or TOML — into exact Fractions, checking shapes
and limits, and names the field in every error.  CLI matrices are JSON-style lists,
read with `json` (a grammar, not eval); entries may also be strings like "5/3".

>>> p = build_value("matrix", "[[1, 0.5], ['5/3', 2]]", "X")
>>> p
((Fraction(1, 1), Fraction(1, 2)), (Fraction(5, 3), Fraction(2, 1)))
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from . import jsontext
from .errors import InputError
from .exact import rational, to_fraction

__all__ = ["param", "build", "build_value", "field_specs", "MAX_ELEMENTS", "Matrix", "Vector"]

Matrix = tuple[tuple[Fraction, ...], ...]
Vector = tuple[Fraction, ...]

MAX_ELEMENTS = 10**6          # a sane bound for worksheet matrices
MAX_TEXT_CHARS = 20_000_000   # longest CLI/TOML text we read for one parameter

VALUE_TYPES = ("matrix", "vector", "scalar", "int", "int_vector", "choice", "text", "bool", "any")


def param(type_: str, help: str, default: Any = dataclasses.MISSING, *, choices=(), cli=True, **extra):
    """A dataclass field for a problem parameter: its value type and one line of help."""
    if type_ not in VALUE_TYPES:
        raise ValueError(type_)
    meta = {"type": type_, "help": help, "choices": tuple(choices), "cli": cli, **extra}
    return dataclasses.field(default=default, metadata=meta)


def field_specs(cls) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if "type" in f.metadata]


@lru_cache(maxsize=64)
def _specs_by_name(cls) -> dict[str, dataclasses.Field]:
    """`field_specs(cls)` by name, made once per class (a class's fields never change; a
    generated variant builds two params objects).  Read only: shared by every build."""
    return {f.name: f for f in field_specs(cls)}


def build(cls, raw: dict[str, Any]):
    """Construct the params dataclass `cls` from raw user values, exactly and with checks."""
    specs = _specs_by_name(cls)
    unknown = [k for k in raw if k not in specs]
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(key, specs, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(key, f"unknown parameter for this problem{hint}; known: {', '.join(specs)}")
    values = {}
    for name, f in specs.items():
        if name in raw and raw[name] is not None:
            values[name] = build_value(f.metadata["type"], raw[name], name, f.metadata["choices"])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise InputError(name, "is required")
    return cls(**values)


def build_value(type_: str, value: Any, field: str, choices=()):
    """Convert one raw value to its exact type; strings are parsed for list types."""
    if type_ in ("matrix", "vector", "int_vector") and isinstance(value, str):
        value = _parse_list_text(value, field)
    if type_ == "matrix":
        return _matrix(value, field)
    if type_ == "vector":
        return _vector(value, field)
    if type_ == "int_vector":
        return tuple(v if type(v) is int else _integer(v, f"{field}[{i}]")
                     for i, v in enumerate(_as_list(value, field)))
    if type_ == "scalar":
        return to_fraction(value, field)
    if type_ == "int":
        return _integer(value, field)
    if type_ == "bool":
        return _bool(value, field)
    if type_ == "choice":
        text = str(value).strip().lower()
        if text not in choices:
            close = difflib.get_close_matches(text, choices, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(field, f"must be one of {', '.join(choices)}, got {value!r}{hint}")
        return text
    if type_ == "text":
        if not isinstance(value, str):
            raise InputError(field, f"expected text, got {type(value).__name__}")
        return value
    return value


def _parse_list_text(text: str, field: str):
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(field, f"text longer than {MAX_TEXT_CHARS} characters")
    text = text.strip().replace("\u2212", "-")
    if not text.startswith("["):
        raise InputError(field, f"expected a list like [1, 2, 3], got {text[:40]!r}")
    try:
        return jsontext.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except jsontext.TooDeep as e:
        raise InputError(field, f"list {e}") from None
    except json.JSONDecodeError as e:
        raise InputError(field, f"not a valid list: {e.msg} at position {e.pos + 1}") from None
    except ValueError as e:
        raise InputError(field, str(e)) from None


def _no_constant(name):
    raise ValueError(f"{name} is not allowed; values must be finite numbers")


def _as_list(value, field) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()  # numpy arrays
    raise InputError(field, f"expected a list, got {type(value).__name__}")


def _vector(value, field: str) -> Vector:
    items = _as_list(value, field)
    if not items:
        raise InputError(field, "is empty")
    if len(items) > MAX_ELEMENTS:
        raise InputError(field, f"has more than {MAX_ELEMENTS} elements")
    out = []
    for i, v in enumerate(items):
        if isinstance(v, (list, tuple)):
            raise InputError(field, f"expected a flat list of numbers; entry {i} is a list")
        out.append(rational(v) if type(v) is int else to_fraction(v, f"{field}[{i}]"))  # ints: the usual case
    return tuple(out)


def _matrix(value, field: str) -> Matrix:
    rows = _as_list(value, field)
    if not rows:
        raise InputError(field, "is empty")
    if not all(isinstance(r, (list, tuple)) or hasattr(r, "tolist") for r in rows):
        raise InputError(field, "expected a list of rows, e.g. [[1, 2], [3, 4]]")
    width = len(_as_list(rows[0], field))
    if width == 0:
        raise InputError(field, "row 1 is empty")
    if len(rows) * width > MAX_ELEMENTS:
        raise InputError(field, f"has more than {MAX_ELEMENTS} elements")
    out = []
    for i, row in enumerate(rows):
        row = _as_list(row, field)
        if len(row) != width:
            raise InputError(field, f"is ragged: row {i + 1} has {len(row)} entries, row 1 has {width}")
        out.append(tuple(rational(v) if type(v) is int else to_fraction(v, f"{field}[{i}][{j}]")
                         for j, v in enumerate(row)))
    return tuple(out)


def _integer(value, field: str) -> int:
    if type(value) is int:  # the usual case (a bool is refused by to_fraction below)
        return value
    q = to_fraction(value, field)
    if q.denominator != 1:
        raise InputError(field, f"must be a whole number, got {value!r}")
    return int(q)


def _bool(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise InputError(field, f"expected true or false, got {value!r}")
