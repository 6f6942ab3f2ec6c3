"""Problem kinds by name.  Adding a kind means adding a module and one line here.

Kinds are imported lazily, so `derive --help` and a LayerNorm solve never import
the model-size or L2 machinery.
"""

from __future__ import annotations

import difflib
import importlib
import random
from dataclasses import dataclass
from typing import Any, Callable

from .errors import InputError

__all__ = ["Kind", "MistakeAnswer", "KIND_MODULES", "get_kind", "kind_names"]

KIND_MODULES = {
    "layernorm": "derive.kinds.layernorm",
    "batchnorm": "derive.kinds.batchnorm",
    "dropout": "derive.kinds.dropout",
    "l2": "derive.kinds.l2",
    "model-size": "derive.kinds.model_size",
}


@dataclass(frozen=True)
class MistakeAnswer:
    """What a known wrong method produces, for diagnosing a student's answer.

    `results` maps result names (as in Solution.results) to the wrong exact values;
    `message` is one sentence a student understands; `step` names the solution step
    where such work first goes wrong.
    """

    name: str
    message: str
    results: dict[str, Any]
    step: str = ""


@dataclass(frozen=True)
class Kind:
    """Everything derive knows about one problem kind."""

    name: str
    title: str
    params: type
    solve: Callable[[Any], Any]
    reference: Callable[[Any], dict[str, Any]] | None = None  # numpy float64 values by result name
    torch_reference: Callable[[Any], dict[str, Any]] | None = None
    mistakes: Callable[[Any], tuple[MistakeAnswer, ...]] | None = None
    generate: Callable[[random.Random, str], Any] | None = None
    template: str = ""
    plot: Callable[[Any, Any], None] | None = None  # (solution, path): a PNG of the solution's figure


def kind_names() -> tuple[str, ...]:
    return tuple(KIND_MODULES)


def get_kind(name: str) -> Kind:
    kind = _loaded.get(name)
    if kind is not None:
        return kind
    key = name.strip().lower().replace("_", "-")
    if key not in KIND_MODULES:
        close = difflib.get_close_matches(key, KIND_MODULES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError("kind", f"unknown problem kind {name!r}{hint}; known: {', '.join(KIND_MODULES)}")
    kind = _loaded[name] = importlib.import_module(KIND_MODULES[key]).KIND
    return kind


_loaded: dict[str, Kind] = {}  # name as asked → its Kind (a variant asks for each kind several times)
