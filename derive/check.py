"""Check a hand-worked answer: verdict per entry, score, and which known mistake made it.

    >>> import derive
    >>> seed = dict(X=[[4, 4, 8, 8], [0, 2, 2, 8], [1, 1, 1, 5]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0], eps=0)
    >>> r = derive.check("layernorm", "[[-1,-3,4,4],[-1,-1.66,0.01,6.68],[-0.58,-2.16,-0.74,6.92]]", **seed)
    >>> r.correct, r.score, len(r.verdict.wrong)
    (False, Fraction(1, 2), 6)
    >>> r.diagnosis.name, r.diagnosis.step
    ('rounded_intermediates', 'Scale and shift')
    >>> derive.check("layernorm", r"[-\\frac{\\sqrt{3}}{3}, -1-\\frac{2\\sqrt3}{3}, 1-\\sqrt{3}, 6.93]",
    ...              X=[[1, 1, 1, 5]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0]).correct
    True

The exact solution and the mistakes' answers are computed once per (kind, params, part)
and cached, so grading a class against one key solves each problem once.  Judging uses
``derive.verify`` (exact, with the instructor's tolerance); diagnosis uses the same
tolerance (``derive.diagnose``).  SymPy is imported only when a check runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache, partial
from typing import Any

from .diagnose import Diagnosis, PreparedMistake, diagnose, flatten_value, prepare_mistakes
from .errors import InputError, UndefinedError

__all__ = ["check", "check_params", "check_target", "CheckReport", "Target", "target", "make_tolerance",
           "describe_tolerance", "tolerance_dict", "entry_label", "native_index"]

SCHEMA_VERSION = 1
PRESETS = ("prairielearn", "webwork")


# -- the exact side, cached ---------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """One part of one solved problem: the exact answer and the mistakes' answers for it."""

    kind: str
    part: str
    params: Any
    solution: Any = field(repr=False)
    value: Any = field(repr=False)  # native exact value (Surd/Fraction, nested tuples)
    shape: tuple[int, ...] = ()  # native shape: () scalar, (n,) vector, (r, c) matrix
    exact: Any = field(default=None, repr=False)  # SymPy form handed to verify.judge
    # The mistakes' answers, or a function making them: only a wrong answer needs them,
    # and working out every known mistake costs several solves.
    mistakes_source: Any = field(default=(), repr=False, compare=False)

    @property
    def mistakes(self) -> tuple[PreparedMistake, ...]:
        """The known mistakes' answers for this part (worked out when first asked for)."""
        source = self.mistakes_source
        if callable(source):
            source = source()
            object.__setattr__(self, "mistakes_source", source)  # a cache: the value never changes
        return source


@lru_cache(maxsize=512)
def _solved(kind_name: str, params):
    from .registry import get_kind

    return get_kind(kind_name).solve(params)


@lru_cache(maxsize=512)
def _mistakes(kind_name: str, params) -> tuple:
    from .registry import get_kind

    k = get_kind(kind_name)
    return tuple(k.mistakes(params)) if k.mistakes is not None else ()


def _cached(fn, *args):
    """`fn(*args)` through its lru_cache, or uncached for params holding an unhashable value."""
    try:
        return fn(*args)
    except TypeError:
        return fn.__wrapped__(*args)


def _prepared_mistakes(kind_name: str, params, part: str) -> tuple[PreparedMistake, ...]:
    return prepare_mistakes(_cached(_mistakes, kind_name, params), part)


@lru_cache(maxsize=1024)
def _target(kind_name: str, params, part: str | None) -> Target:
    from .render.values import to_sympy_value

    solution = _cached(_solved, kind_name, params)
    names = [r.name for r in solution.results]
    name = names[0] if part is None else part
    if name not in names:
        raise InputError("part", f"{kind_name} has no result {part!r}; known: {', '.join(names)}")
    result = solution.result(name)
    try:
        exact = to_sympy_value(result.value)
    except UndefinedError as e:
        raise UndefinedError(f"{kind_name} part {name}: {e}") from None
    _, shape = flatten_value(result.value)
    return Target(kind_name, name, params, solution, result.value, shape, exact,
                  partial(_prepared_mistakes, kind_name, params, name))


def target(kind: str, params, part: str | None = None) -> Target:
    """The cached exact answer and mistakes for one part of a problem with built params."""
    from .registry import get_kind

    return _cached(_target, get_kind(kind).name, params, part)


# -- tolerance ----------------------------------------------------------------------
def make_tolerance(tolerance=None):
    """A Tolerance from a Tolerance, None (the default), a mode name or a preset name.

    Presets: "prairielearn" (relative, rtol 1e-2, atol 1e-8, like ``pl-number-input``) and
    "webwork" (relative 0.1 %, atol 1e-12).
    """
    from . import verify

    if tolerance is None:
        return verify.DEFAULT_TOLERANCE
    if isinstance(tolerance, verify.Tolerance):
        return tolerance
    if isinstance(tolerance, str):
        name = tolerance.strip().lower()
        if name == "prairielearn":
            return verify.PRAIRIELEARN
        if name == "webwork":
            return verify.WEBWORK
        return verify.Tolerance(name)
    raise InputError("tolerance", f"expected a Tolerance or a mode name, got {type(tolerance).__name__}")


def describe_tolerance(tol) -> str:
    """One line saying what the tolerance accepts."""
    if tol.mode == "implied":
        return "implied precision: within half a unit of the last typed digit; exact forms must be equal"
    if tol.mode == "exact":
        return "exact: the answer must equal the exact value"
    slack = " (±1 in the last place)" if tol.last_place_slack else ""
    if tol.mode == "decimals":
        return f"{tol.digits} decimal{'s' if tol.digits != 1 else ''}, rounded half away from zero{slack}"
    if tol.mode == "sigfigs":
        return f"{tol.digits} significant figure{'s' if tol.digits != 1 else ''}, rounded half away from zero{slack}"
    return f"relative: |error| ≤ max({tol.rtol}·|exact|, {tol.atol})"


def tolerance_dict(tol) -> dict:
    return {"mode": tol.mode, "digits": tol.digits,
            "rtol": None if tol.rtol is None else str(tol.rtol),
            "atol": None if tol.atol is None else str(tol.atol),
            "last_place_slack": tol.last_place_slack, "description": describe_tolerance(tol)}


# -- the report ---------------------------------------------------------------------
def entry_label(position: int, shape: tuple[int, ...]) -> str:
    """Where entry `position` (row-major) sits, 1-based: "row 2, column 3", "entry 4"."""
    if not shape:
        return "answer"
    if len(shape) == 1:
        return f"entry {position + 1}"
    cols = 1
    for n in shape[1:]:
        cols *= n
    if len(shape) == 2:
        return f"row {position // cols + 1}, column {position % cols + 1}"
    return f"entry {position + 1}"


def native_index(position: int, shape: tuple[int, ...]) -> list[int]:
    """The 0-based index of entry `position` (row-major) in the exact answer's own shape:
    [j] in a vector, [i, j] in a matrix, [] for a scalar."""
    out = []
    for n in reversed(shape):
        out.append(position % n)
        position //= n
    return out[::-1]


def _str_nested(value):
    if isinstance(value, (tuple, list)):
        return [_str_nested(v) for v in value]
    return str(value)


@dataclass(frozen=True)
class CheckReport:
    """The judgement of one typed answer against one part of a problem.

    ``verdict`` is ``derive.verify.Verdict`` (per-entry verdicts, score, reason);
    ``diagnoses`` the known mistakes that reproduce the wrong entries, best first
    (``diagnosis`` is the first or None); ``entry_mistakes[i]`` names the mistakes that
    reproduce wrong entry i (row-major).
    """

    kind: str
    part: str
    params: Any = field(repr=False)
    answer: Any = field(repr=False)  # derive.answers.Answer
    verdict: Any  # derive.verify.Verdict
    diagnoses: tuple[Diagnosis, ...] = ()
    entry_mistakes: tuple[tuple[str, ...], ...] = field(default=(), repr=False)
    target: Target | None = field(default=None, repr=False, compare=False)

    @property
    def correct(self) -> bool:
        return self.verdict.correct

    @property
    def score(self) -> Fraction:
        return self.verdict.score

    @property
    def tolerance(self):
        return self.verdict.tolerance

    @property
    def diagnosis(self) -> Diagnosis | None:
        """The mistake explaining the most wrong entries, or None."""
        return self.diagnoses[0] if self.diagnoses else None

    @property
    def value(self):
        """The typed answer in exact form: SymPy numbers, nested tuples like the answer."""
        return self.answer.value

    @property
    def exact(self):
        """The exact answer as SymPy (Matrix for vectors and matrices)."""
        return self.target.exact

    # -- JSON
    def to_dict(self) -> dict:
        from .render.json import jsonable
        from .render.values import decimal_strings, exact_strings
        from .model import Precision

        shape = self.target.shape
        entries = []
        for i, e in enumerate(self.verdict.entries):
            entries.append({
                "index": native_index(i, shape), "label": entry_label(i, shape), "typed": e.answer.text,
                "value": str(e.answer.value), "exact": str(e.exact), "correct": e.correct,
                "reason": e.reason,
                "mistakes": list(self.entry_mistakes[i]) if i < len(self.entry_mistakes) else [],
            })
        return {
            "schema": SCHEMA_VERSION,
            "kind": self.kind,
            "part": self.part,
            "params": jsonable(self.params),
            "correct": self.correct,
            "score": float(self.score),
            "score_fraction": str(self.score),
            "reason": self.verdict.reason,
            "tolerance": tolerance_dict(self.tolerance),
            "answer": {"text": self.answer.text, "exact": _str_nested(self.value),
                       "shape": list(self.answer.shape)},
            "expected": {"exact": exact_strings(self.target.value),
                         "decimal": decimal_strings(self.target.value, Precision()),
                         "shape": list(shape)},
            "entries": entries,
            "diagnosis": self._diagnosis_dict(self.diagnosis) if self.diagnosis else None,
            "diagnoses": [self._diagnosis_dict(d) for d in self.diagnoses],
        }

    def positions(self, indices) -> list[int]:
        """Row-major positions of verdict indices (``Verdict.entries[i].index``)."""
        where = {e.index: i for i, e in enumerate(self.verdict.entries)}
        return [where.get(ix, ix[0] if len(ix) == 1 else 0) for ix in indices]

    def wrong_indices(self) -> list[list[int]]:
        """0-based indices of the wrong entries in the exact answer's shape (as in JSON)."""
        return [native_index(i, self.target.shape) for i, e in enumerate(self.verdict.entries) if not e.correct]

    def _diagnosis_dict(self, d: Diagnosis) -> dict:
        return {"name": d.name, "label": d.label, "message": d.message, "step": d.step,
                "explains": [native_index(i, self.target.shape) for i in self.positions(d.explains)],
                "explained": len(d.explains), "wrong": d.wrong, "agrees": d.agrees, "total": d.total,
                "complete": d.complete, "exact_match": d.exact_match, "summary": d.summary()}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False) + "\n"

    # -- text
    def to_text(self, show_step: bool = True) -> str:
        v = self.verdict
        head = f"{self.kind}, part {self.part}: "
        if v.correct:
            out = [head + ("correct" if len(v.entries) == 1 else f"correct (all {len(v.entries)} entries)")]
        elif not v.entries:
            out = [head + f"wrong: {v.reason}"]
        else:
            out = [head + f"wrong: {len(v.wrong)} of {len(v.entries)} entries wrong (score {v.score})"
                   if len(v.entries) > 1 else head + "wrong"]
        out.append(f"  tolerance: {describe_tolerance(self.tolerance)}")
        shape = self.target.shape
        for i, e in enumerate(v.entries):
            if e.correct and len(v.entries) > 1:
                continue
            mark = "✓" if e.correct else "✗"
            where = "" if not shape else f"{entry_label(i, shape)}: "
            out.append(f"  {mark} {where}{e.answer.text} — {e.reason}")
        if v.correct and len(v.entries) > 1:
            out.append("  ✓ every entry agrees with the exact answer")
        for n, d in enumerate(self.diagnoses):
            lead = "Diagnosis" if n == 0 else "Also"
            out.append(f"{lead}: {d.label} — {d.summary()}.")
            out.append(f"  {d.message}")
            if d.step:
                out.append(f"  The work first goes wrong at the step “{d.step}”.")
            if n == 0 and show_step:
                out.extend(self._step_lines(d.step))
        if not v.correct and v.entries and not self.diagnoses:
            out.append("No known mistake reproduces the wrong entries.")
        return "\n".join(out) + "\n"

    def _step_lines(self, title: str) -> list[str]:
        from .model import Precision
        from .render.text import relation_text

        solution = self.target.solution if self.target else None
        step = next((s for s in solution.steps if s.title == title), None) if solution else None
        if step is None:
            return []
        lines = ["  Done right, that step reads:"]
        for rel in step.relations:
            lines.extend("    " + line for line in relation_text(rel, Precision()).split("\n"))
        return lines


# -- the API ------------------------------------------------------------------------
def _answer_text(answer) -> str:
    """Python numbers and lists written as answer text (the parser is the one gate)."""
    from decimal import Decimal

    if isinstance(answer, str):
        return answer
    if isinstance(answer, bool) or answer is None:
        raise InputError("answer", f"expected text or a number, got {answer!r}")
    if isinstance(answer, Fraction):
        return f"{answer.numerator}/{answer.denominator}"
    if isinstance(answer, (int, float, Decimal)):
        return repr(answer) if isinstance(answer, float) else str(answer)
    if isinstance(answer, (list, tuple)):
        return "[" + ", ".join(_answer_text(a) for a in answer) + "]"
    if hasattr(answer, "is_number") and getattr(answer, "is_number", False):
        return str(answer)  # a SymPy number prints in the answer grammar (sqrt, /, *)
    if hasattr(answer, "tolist"):
        return _answer_text(answer.tolist())
    raise InputError("answer", f"expected text or a number, got {type(answer).__name__}")


def check_params(kind: str, params, answer, *, part: str | None = None, tolerance=None,
                 decimal_comma: bool = False) -> CheckReport:
    """Check an answer against already-built params (see `check`)."""
    return check_target(target(kind, params, part), answer, tolerance=tolerance, decimal_comma=decimal_comma)


def check_target(t: Target, answer, *, tolerance=None, decimal_comma: bool = False) -> CheckReport:
    """Check an answer against a prepared `Target` (what a grader holds per key part)."""
    from .answers import Answer, parse_answer
    from .verify import judge

    tol = make_tolerance(tolerance)
    if not isinstance(answer, Answer):
        answer = parse_answer(_answer_text(answer), decimal_comma=decimal_comma)
    verdict = judge(answer, t.exact, tol)
    diagnoses, entry_mistakes = (), ()
    if not verdict.correct:
        diagnoses, entry_mistakes = diagnose(answer, verdict, t.mistakes, tol)
    return CheckReport(t.kind, t.part, t.params, answer, verdict, diagnoses, entry_mistakes, t)


def check(kind: str, answer, *, part: str | None = None, tolerance=None,
          decimal_comma: bool = False, rtol=None, atol=None, **params) -> CheckReport:
    """Judge a typed answer against the exact one and name the known mistake behind it.

    `answer`: text (numbers, fractions, surds, LaTeX, ``[..]`` lists, bmatrix), a parsed
    ``derive.answers.Answer``, or Python numbers/lists.  `part`: the result to check
    (default the first, e.g. LayerNorm's "output", BatchNorm's "running_var").
    `tolerance`: a ``derive.verify.Tolerance``, a mode name or "prairielearn"/"webwork";
    default "implied" (the typed digits set the precision); `rtol`/`atol` alone mean
    relative mode with those bounds.  `params`: the problem, as for ``derive.solve``.  Raises ``AnswerSyntaxError`` (with the position) for a
    malformed answer and ``InputError`` for bad params; a wrong answer is a report.
    """
    from .api import make_params

    if rtol is not None or atol is not None:
        from .verify import Tolerance

        base = make_tolerance(tolerance)
        if tolerance is not None and base.mode != "relative":
            raise InputError("rtol", f"rtol/atol need relative mode, not {base.mode}")
        tolerance = Tolerance("relative", rtol=base.rtol if rtol is None else rtol,
                              atol=base.atol if atol is None else atol)
    return check_params(kind, make_params(kind, **params), answer, part=part,
                        tolerance=tolerance, decimal_comma=decimal_comma)
