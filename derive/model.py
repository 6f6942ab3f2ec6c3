"""The kind-agnostic data model: steps, results, checks and solutions.

Everything here is a frozen dataclass holding exact values (int, Fraction, Surd,
SymPy) and display forms from `derive.forms` — never rendered strings, so one
solution renders to text, LaTeX, JSON and PDF alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

__all__ = ["Relation", "Prose", "Formula", "prose", "Step", "Result", "Check", "Precision", "Solution"]

# A variant builds some 130 of these; like `derive.forms`, the hot classes write their own
# __init__, storing the fields in the instance's __dict__ (the generated frozen one calls
# object.__setattr__ per field, which ends in the same store).  Equality, hashing, repr and
# dataclasses.replace stay the dataclass's own.


@dataclass(frozen=True)
class Relation:
    """lhs = forms[0] = forms[1] = …  (≈ decimals of the last form when `approx`).

    `lhs` may be None for a continuation line; `note` is a short gloss shown to the
    right, like the seed's "Linear1 weights and biases".  The renderers put a short
    relation on one line and a long one a form per line; `stacked` asks for a form per
    line always (model-size's totals, whose block's notes leave a line little room).
    """

    lhs: Any
    forms: tuple[Any, ...]
    approx: bool = True
    note: str = ""
    stacked: bool = False

    def __init__(self, lhs, forms, approx=True, note="", stacked=False):
        if not isinstance(forms, tuple) or not forms:
            raise TypeError("Relation.forms must be a non-empty tuple")
        d = self.__dict__
        d["lhs"] = lhs
        d["forms"] = forms
        d["approx"] = approx
        d["note"] = note
        d["stacked"] = stacked


class Prose(str):
    """Prose that names symbols: as a str it is the plain text (y_corr, for text and JSON);
    `parts` keeps each symbol (a `forms.Sym`) and each `Formula` apart, so LaTeX sets them in
    math (y_{\\text{corr}}, n \\cdot K > C) where escaping the text would print a literal
    underscore, or an upright n beside the steps' italic one.

    >>> from derive.forms import Sym
    >>> Prose("so ", Sym("y_corr", r"y_{\text{corr}}"), " is closer")
    'so y_corr is closer'
    """

    def __new__(cls, *parts):
        self = super().__new__(cls, "".join(p if isinstance(p, str) else p.text for p in parts))
        self.parts = parts
        return self


class Formula(str):
    """A formula inside `Prose` (n·K > C, 1 − p, σ²), in Unicode as the plain text shows it;
    LaTeX sets it in math (`derive.render.escape.math_latex`)."""


@lru_cache(maxsize=2048)  # most of a kind's sentences are the same in every variant: one object each
def prose(text: str) -> Prose | str:
    """derive's own sentence with its formulas between dollars, as a `Prose`:

    >>> p = prose("so $Z = n·K$ with $K = 12$")
    >>> p, p.parts
    ('so Z = n·K with K = 12', ('so ', 'Z = n·K', ' with ', 'K = 12'))

    Only for text derive writes and the numbers it computes: a user's text (a layer's label)
    goes in a plain str part of `Prose`, escaped as text.  Without dollars, the text itself.
    """
    pieces = text.split("$")
    if len(pieces) % 2 == 0:
        raise ValueError(f"prose: an unpaired $ in {text!r}")
    if len(pieces) == 1:
        return text
    return Prose(*[Formula(piece) if i % 2 else piece for i, piece in enumerate(pieces) if piece])


@dataclass(frozen=True)
class Step:
    """One stage of a worked solution: a title, a sentence of prose, its relations."""

    title: str
    relations: tuple[Relation, ...] = ()
    explanation: str = ""

    def __init__(self, title, relations=(), explanation=""):
        d = self.__dict__
        d["title"] = title
        d["relations"] = relations
        d["explanation"] = explanation


@dataclass(frozen=True)
class Result:
    """A named final answer: `name` is the JSON key, `symbol` how it is written.

    `shown=False` keeps a result (e.g. the data behind a plot) out of the rendered
    Answer section; it is still in JSON and available to templates.
    """

    name: str
    symbol: Any
    value: Any
    description: str = ""
    shown: bool = True

    def __init__(self, name, symbol, value, description="", shown=True):
        d = self.__dict__
        d["name"] = name
        d["symbol"] = symbol
        d["value"] = value
        d["description"] = description
        d["shown"] = shown


@dataclass(frozen=True)
class Check:
    """One numeric cross-check of the exact answer (numpy, torch, …).

    `detail` says how the numbers were made ("numpy float64 (same definition)"); `result`
    names the Result they were compared with ("" for a check of the whole problem), so that
    a document can write its symbol where JSON writes its name (`description`).
    """

    backend: str
    detail: str
    max_abs_error: float | None
    ok: bool
    note: str = ""
    result: str = ""

    def __init__(self, backend, detail, max_abs_error, ok, note="", result=""):
        d = self.__dict__
        d["backend"] = backend
        d["detail"] = detail
        d["max_abs_error"] = max_abs_error
        d["ok"] = ok
        d["note"] = note
        d["result"] = result

    @property
    def description(self) -> str:
        """`detail, result` in plain words and names: JSON's "detail" and error messages."""
        return f"{self.detail}, {self.result}" if self.result else self.detail


@dataclass(frozen=True)
class Precision:
    """How decimals beside exact values are shown: `decimals` places or `sigfigs` figures."""

    decimals: int = 2
    sigfigs: int | None = None

    def __post_init__(self):
        from .errors import InputError

        if not 0 <= self.decimals <= 50:
            raise InputError("decimals", "must be between 0 and 50")
        if self.sigfigs is not None and not 1 <= self.sigfigs <= 50:
            raise InputError("sigfigs", "must be between 1 and 50")


@dataclass(frozen=True)
class Solution:
    """A solved problem: exact results, ordered steps, conventions and numeric checks."""

    kind: str
    params: Any
    results: tuple[Result, ...]
    steps: tuple[Step, ...]
    conventions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    definition: Callable | None = field(default=None, compare=False)

    def __init__(self, kind, params, results, steps, conventions=(), notes=(), checks=(), definition=None):
        d = self.__dict__
        d["kind"] = kind
        d["params"] = params
        d["results"] = results
        d["steps"] = steps
        d["conventions"] = conventions
        d["notes"] = notes
        d["checks"] = checks
        d["definition"] = definition

    @property
    def answer(self):
        """The main result as a SymPy object (Matrix, Rational or Expr)."""
        from .render.values import to_sympy_value

        return to_sympy_value(self.results[0].value)

    @property
    def answers(self) -> dict[str, Any]:
        """Every named result as SymPy objects, in order."""
        from .render.values import to_sympy_value

        return {r.name: to_sympy_value(r.value) for r in self.results}

    def with_checks(self, checks: tuple[Check, ...]) -> "Solution":
        """The same solution with these numeric checks (`dataclasses.replace` by hand: it is
        called for every problem solved, and the generic replace costs several times more)."""
        return Solution(self.kind, self.params, self.results, self.steps, self.conventions, self.notes,
                        checks, self.definition)

    def result(self, name: str) -> Result:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    # -- renderers (imported lazily: plain solves pay for none of them) ----------
    def to_text(self, precision: Precision = Precision()) -> str:
        from .render.text import render_text

        return render_text(self, precision)

    def to_latex(self, precision: Precision = Precision(), standalone: bool = True) -> str:
        from .render.latex import render_latex

        return render_latex(self, precision, standalone=standalone)

    def to_json(self, precision: Precision = Precision(), indent: int | None = 2) -> str:
        from .render.json import render_json

        return render_json(self, precision, indent=indent)

    def to_dict(self, precision: Precision = Precision()) -> dict:
        from .render.json import solution_dict

        return solution_dict(self, precision)

    def to_pdf(self, path=None, precision: Precision = Precision()) -> bytes:
        from .render.pdf import compile_pdf, write_pdf

        tex = self.to_latex(precision)
        if path is not None:
            write_pdf(tex, path)
            with open(path, "rb") as f:
                return f.read()
        return compile_pdf(tex)

    def _repr_latex_(self) -> str:
        from .render.latex import render_latex_fragment

        return render_latex_fragment(self, Precision())

    def __str__(self) -> str:
        return self.to_text()
