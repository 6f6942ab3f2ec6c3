"""Worksheet specs: a TOML file in, validated frozen dataclasses out.

A spec holds the worksheet's front matter (title, course, date, instructions) and an
ordered list of problems.  A problem has a `kind` and its `params` (the names the CLI
and `derive.solve` use), or no kind at all (conceptual questions only); its `parts`
are *computed* (`results = ["y_corr"]`: answers taken from the exact solution),
*free text* (`question` + model `answer`) or *multiple choice* (`choices` + `correct`).

    >>> ws = parse_worksheet('''
    ... title = "Quiz"
    ... [[problems]]
    ... kind = "layernorm"
    ... params = { X = [[1, 1, 1, 5]] }
    ... ''')
    >>> ws.problems[0].parts[0].label, ws.problems[0].params.X[0][3]
    ('a', Fraction(5, 1))

Reading is strict, because a typo in a spec should not silently become a worksheet
without its γ: unknown keys are errors naming the key and the closest valid one, every
value's type is checked with a message naming the problem, the part and the field,
numbers are read exactly (``parse_float=decimal.Decimal``: 0.1 is 1/10), and TOML's
``nan``/``inf`` and ``true``-as-a-number are refused.  tomllib raises plain
ValueError / RecursionError on some hostile input (a 5000-digit integer, deep nesting);
those become `InputError` too.

Text fields may contain math between ``$...$`` — a whitelisted subset of LaTeX math
(Greek letters, ``\\frac``, ``\\hat``, ``\\text{...}``, sub- and superscripts ...) that
can typeset formulas and nothing else (no ``\\input``, no ``\\def``, no ``^^``
escapes, no ``%`` or ``#``).  Everything outside ``$...$`` is plain text, escaped
for LaTeX and HTML when rendered.  ``\\$`` is a literal dollar sign.

`load_worksheet` → `Worksheet`; `solve_worksheet` → `SolvedWorksheet` (one
`SolvedProblem` per problem), which `derive.documents` and `derive.moodle` render.
`derive generate` reuses both: replace each problem's params, solve, render.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from .api import solve_params
from .errors import DeriveError, InputError
from .model import Precision
from .usertext import EMPTY, Text, parse_text

__all__ = [
    "Text", "Part", "Problem", "Worksheet", "SolvedProblem", "SolvedWorksheet",
    "parse_worksheet", "load_worksheet", "worksheet_from_dict", "solve_worksheet", "solve_problem",
    "parse_text", "replace_params", "read_spec_text", "MAX_SPEC_BYTES",
]

MAX_SPEC_BYTES = 5_000_000
MAX_PROBLEMS = 500
MAX_PARTS = 52

TOP_KEYS = ("title", "subtitle", "course", "date", "author", "instructions", "decimals", "sigfigs",
            "tolerance", "moodle", "problems")
PROBLEM_KEYS = ("title", "kind", "params", "intro", "statement", "parts", "tolerance", "difficulty",
                "newpage")
PART_KEYS = ("label", "points", "question", "results", "answer", "choices", "correct", "space",
             "tolerance")
TOLERANCE_KEYS = ("mode", "digits", "rtol", "atol", "last_place_slack")
MOODLE_KEYS = ("matrices", "category", "penalty")
DIFFICULTIES = ("easy", "medium", "hard")

# Work space left under a part on the question sheet.
DEFAULT_SPACE = {"computed": "5cm", "text": "3cm", "choice": "0.5cm"}
_LENGTH = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3})?)(?:cm|mm|in|pt|em|ex)$")
_LABEL = re.compile(r"^[a-z0-9]{1,6}$")






# ---------------------------------------------------------------------------------
# The spec as frozen dataclasses.

@dataclass(frozen=True)
class Part:
    """One labelled sub-question.

    `type` is "computed" (answers are the solution's `results`, by name; an `answer`
    is commentary shown after them), "text" (a free-text question with a model
    `answer`) or "choice" (`choices`, `correct` index, optional explanation `answer`).
    `results` is empty for a computed part whose answer is the solution's main result.
    """

    label: str
    type: str
    points: Fraction
    question: Text = EMPTY
    answer: Text = EMPTY
    results: tuple[str, ...] = ()
    choices: tuple[Text, ...] = ()
    correct: int | None = None
    space: str = ""
    tolerance: Any = None  # derive.verify.Tolerance or None (the worksheet's)

    @property
    def correct_letter(self) -> str | None:
        return None if self.correct is None else chr(ord("a") + self.correct)


@dataclass(frozen=True)
class Problem:
    """One numbered problem: a kind and its exact params (or none), prose and parts."""

    number: int
    title: Text
    kind: str | None
    params: Any
    raw_params: dict = field(default_factory=dict, compare=False, repr=False)
    intro: Text = EMPTY
    statement: bool = True
    parts: tuple[Part, ...] = ()
    difficulty: str | None = None
    newpage: bool = False

    @property
    def points(self) -> Fraction:
        return sum((p.points for p in self.parts), Fraction(0))

    def label(self, part: Part) -> str:
        """The part's worksheet-wide label, e.g. "2a" — what key.json and grading use."""
        return f"{self.number}{part.label}"


@dataclass(frozen=True)
class Worksheet:
    title: Text
    problems: tuple[Problem, ...]
    subtitle: Text = EMPTY
    course: Text = EMPTY
    date: Text = EMPTY
    author: Text = EMPTY
    instructions: Text = EMPTY
    precision: Precision = Precision()
    tolerance: Any = None  # derive.verify.Tolerance; None: the checker's default
    moodle: dict = field(default_factory=dict, compare=False)
    source: str = ""

    @property
    def points(self) -> Fraction:
        return sum((p.points for p in self.problems), Fraction(0))


@dataclass(frozen=True)
class SolvedProblem:
    problem: Problem
    solution: Any = None  # derive.model.Solution, None for a problem without a kind

    def results_of(self, part: Part) -> tuple:
        """The `Result`s a computed part asks for, in the part's order."""
        if part.type != "computed" or self.solution is None:
            return ()
        if not part.results:
            return (self.solution.results[0],)
        return tuple(self.solution.result(name) for name in part.results)


@dataclass(frozen=True)
class SolvedWorksheet:
    worksheet: Worksheet
    problems: tuple[SolvedProblem, ...]

    def __repr__(self) -> str:
        ws = self.worksheet
        points = ws.points
        shown = points.numerator if points.denominator == 1 else float(points)
        return f"<SolvedWorksheet {ws.title.source!r}: {len(self.problems)} problems, {shown} points>"

    def _repr_markdown_(self) -> str:
        from .documents import worksheet_markdown

        return worksheet_markdown(self)


# ---------------------------------------------------------------------------------
# Loading.

def read_spec_text(path, what: str = "the spec") -> str:
    """A TOML file's text, size-limited and UTF-8, with errors naming the file."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SPEC_BYTES + 1)
    except OSError as e:
        raise InputError(str(path), f"cannot read {what}: {e.strerror or e}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise InputError(str(path), f"{what} is larger than {MAX_SPEC_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(str(path), f"not UTF-8 text (byte {e.start + 1})") from None


def load_worksheet(path, *, require_params: bool = True) -> Worksheet:
    """Read and validate a TOML worksheet spec from `path`."""
    return parse_worksheet(read_spec_text(path), source=str(path), require_params=require_params)


def read_toml(text: str, source: str) -> dict:
    """tomllib with exact decimals; every way it can fail becomes one InputError."""
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as e:
        raise InputError(source, f"invalid TOML: {e}") from None
    except RecursionError:
        raise InputError(source, "invalid TOML: nested too deeply") from None
    except ValueError as e:  # e.g. an integer with thousands of digits
        raise InputError(source, f"invalid TOML: {_first_line(str(e))}") from None


def parse_worksheet(text: str, source: str = "<spec>", *, require_params: bool = True) -> Worksheet:
    """Validate a TOML worksheet spec given as text."""
    return worksheet_from_dict(read_toml(text, source), source=source, require_params=require_params)


def worksheet_from_dict(data: dict, source: str = "<spec>", *, require_params: bool = True) -> Worksheet:
    """Validate an already-parsed spec (a dict as tomllib returns it)."""
    _reject_non_finite(data, "")
    where = "worksheet"
    _check_keys(data, TOP_KEYS, where)
    if "title" not in data:
        raise InputError(f"{where}: title", "is required")
    if "problems" not in data:
        raise InputError(f"{where}: problems", "is required: add at least one [[problems]] table")
    decimals = _int(data.get("decimals", 2), f"{where}: decimals", 0, 50)
    sigfigs = data.get("sigfigs")
    sigfigs = None if sigfigs is None else _int(sigfigs, f"{where}: sigfigs", 1, 50)
    tolerance = _tolerance(data.get("tolerance"), f"{where}: tolerance")
    moodle = _moodle(data.get("moodle", {}), f"{where}: moodle")
    raw_problems = data["problems"]
    if not isinstance(raw_problems, list) or not all(isinstance(p, dict) for p in raw_problems):
        raise InputError(f"{where}: problems", "must be an array of tables ([[problems]])")
    if not raw_problems:
        raise InputError(f"{where}: problems", "is empty: add at least one [[problems]] table")
    if len(raw_problems) > MAX_PROBLEMS:
        raise InputError(f"{where}: problems", f"more than {MAX_PROBLEMS} problems")
    problems = tuple(_problem(raw, i, require_params) for i, raw in enumerate(raw_problems, 1))
    return Worksheet(
        title=_text(data["title"], f"{where}: title"),
        subtitle=_text(data.get("subtitle", ""), f"{where}: subtitle"),
        course=_text(data.get("course", ""), f"{where}: course"),
        date=_text(_date(data.get("date", "")), f"{where}: date"),
        author=_text(data.get("author", ""), f"{where}: author"),
        instructions=_text(data.get("instructions", ""), f"{where}: instructions"),
        precision=Precision(decimals=decimals, sigfigs=sigfigs),
        tolerance=tolerance,
        moodle=moodle,
        problems=problems,
        source=source,
    )


def _problem(raw: dict, number: int, require_params: bool) -> Problem:
    kind_name = raw.get("kind")
    where = f"problem {number}"
    if kind_name is not None:
        if not isinstance(kind_name, str):
            raise InputError(f"{where}: kind", f"expected a kind name, got {_type_name(kind_name)}")
        from .registry import get_kind

        try:
            kind = get_kind(kind_name)
        except InputError as e:
            raise InputError(f"{where}: kind", e.problem) from None
        except ImportError:
            raise InputError(f"{where}: kind", f"kind {kind_name!r} is not available in this "
                                               "installation") from None
        kind_name = kind.name
        where = f"problem {number} ({kind_name})"
    _check_keys(raw, PROBLEM_KEYS, where)

    params, raw_params = None, {}
    if kind_name is not None:
        raw_params = raw.get("params", {})
        if not isinstance(raw_params, dict):
            raise InputError(f"{where}: params", f"must be a table of parameters, got {_type_name(raw_params)}")
        if raw_params or require_params:
            params = _params(kind, raw_params, where)
    elif "params" in raw:
        raise InputError(f"{where}: params", "given but the problem has no kind; add kind = \"...\"")

    tolerance = _tolerance(raw.get("tolerance"), f"{where}: tolerance")
    raw_parts = raw.get("parts")
    if raw_parts is None:
        if kind_name is None:
            raise InputError(f"{where}: parts", "a problem without a kind needs at least one part")
        raw_parts = [{}]
    if not isinstance(raw_parts, list) or not all(isinstance(p, dict) for p in raw_parts):
        raise InputError(f"{where}: parts", "must be an array of tables ([[problems.parts]])")
    if not raw_parts:
        raise InputError(f"{where}: parts", "is empty")
    if len(raw_parts) > MAX_PARTS:
        raise InputError(f"{where}: parts", f"more than {MAX_PARTS} parts")
    parts = []
    for i, rp in enumerate(raw_parts):
        parts.append(_part(rp, i, where, kind_name is not None, tolerance))
    labels = [p.label for p in parts]
    for label in labels:
        if labels.count(label) > 1:
            raise InputError(f"{where}: parts", f"label {label!r} is used twice")

    title = raw.get("title")
    if title is None:
        from .registry import get_kind

        title = get_kind(kind_name).title if kind_name else f"Problem {number}"
    difficulty = raw.get("difficulty")
    if difficulty is not None:
        difficulty = _choice(difficulty, DIFFICULTIES, f"{where}: difficulty")
    return Problem(
        number=number,
        title=_text(title, f"{where}: title"),
        kind=kind_name,
        params=params,
        raw_params=raw_params,
        intro=_text(raw.get("intro", ""), f"{where}: intro"),
        statement=_bool(raw.get("statement", kind_name is not None), f"{where}: statement"),
        parts=tuple(parts),
        difficulty=difficulty,
        newpage=_bool(raw.get("newpage", False), f"{where}: newpage"),
    )


def _params(kind, raw_params: dict, where: str):
    """The kind's exact params; errors name the problem and the parameter."""
    from .params import build, field_specs

    specs = {f.name: f for f in field_specs(kind.params)}
    for name, value in raw_params.items():
        spec = specs.get(name)
        if spec is not None and spec.metadata["type"] != "bool" and spec.metadata["type"] != "any":
            _reject_bools(value, f"{where}: params.{name}")
    try:
        return build(kind.params, raw_params)
    except InputError as e:
        raise InputError(f"{where}: params.{e.field}", e.problem) from None
    except DeriveError as e:
        raise InputError(f"{where}: params", str(e)) from None


def _part(raw: dict, index: int, where: str, has_kind: bool, problem_tolerance) -> Part:
    label = raw.get("label", chr(ord("a") + index))
    if not isinstance(label, str) or not _LABEL.match(label):
        raise InputError(f"{where}: part {index + 1}: label",
                         f"must be 1-6 lowercase letters or digits, like \"a\" or \"ii\"; got {label!r}")
    here = f"{where}, part ({label})"
    _check_keys(raw, PART_KEYS, here)
    question = _text(raw.get("question", ""), f"{here}: question")
    answer = _text(raw.get("answer", ""), f"{here}: answer")
    results: tuple[str, ...] = ()
    if "results" in raw:
        value = raw["results"]
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise InputError(f"{here}: results", "must be a result name or a list of them, "
                                                  "e.g. results = [\"y_corr\"]")
        results = tuple(value)
    choices: tuple[Text, ...] = ()
    correct = None
    if "choices" in raw:
        value = raw["choices"]
        if not isinstance(value, list) or len(value) < 2 or len(value) > 26:
            raise InputError(f"{here}: choices", "must be a list of 2 to 26 texts")
        choices = tuple(_text(v, f"{here}: choices[{i + 1}]") for i, v in enumerate(value))
        if "correct" not in raw:
            raise InputError(f"{here}: correct", "is required with choices: the letter of the right one")
        correct = _correct(raw["correct"], len(choices), f"{here}: correct")
    elif "correct" in raw:
        raise InputError(f"{here}: correct", "only makes sense with choices = [...]")

    if results and choices:
        raise InputError(here, "a part is either computed (results) or multiple choice (choices), not both")
    if "answer" in raw and not answer:
        raise InputError(f"{here}: answer", "is empty")
    if choices:
        type_ = "choice"
    elif "answer" in raw and not results:
        type_ = "text"
    elif has_kind:
        type_ = "computed"  # an `answer` here is commentary printed after the computed values
    else:
        raise InputError(here, "needs a model answer (answer = \"...\") or choices; only a problem "
                               "with a kind has computed parts")
    if type_ != "computed" and not question:
        raise InputError(f"{here}: question", "is required for a part answered in words")

    space = raw.get("space", DEFAULT_SPACE[type_])
    if not isinstance(space, str) or not _LENGTH.match(space.strip()):
        raise InputError(f"{here}: space", f"must be a length like \"4cm\", \"1.5in\" or \"0pt\"; got {space!r}")
    tolerance = _tolerance(raw.get("tolerance"), f"{here}: tolerance") or problem_tolerance
    return Part(
        label=label, type=type_, points=_points(raw.get("points", 1), f"{here}: points"),
        question=question, answer=answer, results=results, choices=choices, correct=correct,
        space=space.strip(), tolerance=tolerance,
    )


# ---------------------------------------------------------------------------------
# Field checks.

def _check_keys(table: dict, allowed, where: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(where, f"unknown key {key!r}{hint}; valid keys: {', '.join(allowed)}")


def _type_name(value) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, Decimal)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({value[:30]!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _text(value, field: str) -> Text:
    if not isinstance(value, str):
        raise InputError(field, f"expected text, got {_type_name(value)}")
    return parse_text(value, field)


def _date(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _int(value, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(field, f"expected a whole number, got {_type_name(value)}")
    if not low <= value <= high:
        raise InputError(field, f"must be between {low} and {high}, got {value}")
    return value


def _bool(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(field, f"expected true or false, got {_type_name(value)}")
    return value


def _choice(value, choices, field: str) -> str:
    if not isinstance(value, str) or value not in choices:
        close = difflib.get_close_matches(str(value), choices, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(field, f"must be one of {', '.join(choices)}, got {value!r}{hint}")
    return value


def _points(value, field: str) -> Fraction:
    """Non-negative points with at most two decimals (exam.cls prints them as written)."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise InputError(field, f"expected a number of points, got {_type_name(value)}")
    q = Fraction(value)
    if q < 0 or q > 10_000:
        raise InputError(field, f"must be between 0 and 10000, got {value}")
    if (q * 100).denominator != 1:
        raise InputError(field, f"at most two decimals, got {value}")
    return q


def _correct(value, n: int, field: str) -> int:
    """`correct = "a"` (a letter) or `correct = 1` (1-based) → 0-based index."""
    if isinstance(value, str) and len(value) == 1 and value.isalpha():
        index = ord(value.lower()) - ord("a")
    elif isinstance(value, int) and not isinstance(value, bool):
        index = value - 1
    else:
        raise InputError(field, f"expected a letter like \"a\" or a 1-based number, got {_type_name(value)}")
    if not 0 <= index < n:
        raise InputError(field, f"there are only {n} choices (a–{chr(ord('a') + n - 1)}), got {value!r}")
    return index


def _tolerance(value, field: str):
    """A table like {mode = "decimals", digits = 2} → derive.verify.Tolerance."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InputError(field, "must be a table, e.g. { mode = \"decimals\", digits = 2 } or "
                                "{ mode = \"relative\", rtol = 0.01 }")
    _check_keys(value, TOLERANCE_KEYS, field)
    from .verify import Tolerance

    kwargs = {}
    for key, v in value.items():
        if key == "mode":
            if not isinstance(v, str):
                raise InputError(f"{field}.mode", f"expected text, got {_type_name(v)}")
            kwargs[key] = v
        elif key == "digits":
            kwargs[key] = _int(v, f"{field}.digits", 0, 1000)
        elif key == "last_place_slack":
            kwargs[key] = _bool(v, f"{field}.last_place_slack")
        else:
            if isinstance(v, bool) or not isinstance(v, (int, Decimal, str)):
                raise InputError(f"{field}.{key}", f"expected a number, got {_type_name(v)}")
            kwargs[key] = Fraction(v) if isinstance(v, Decimal) else v
    try:
        return Tolerance(**kwargs)
    except InputError as e:
        raise InputError(f"{field}.{e.field}" if e.field != "tolerance" else field, e.problem) from None


def _moodle(value, field: str) -> dict:
    if not isinstance(value, dict):
        raise InputError(field, "must be a table ([moodle])")
    _check_keys(value, MOODLE_KEYS, field)
    out = {"matrices": "cloze", "category": "", "penalty": Fraction(1, 3)}
    if "matrices" in value:
        out["matrices"] = _choice(value["matrices"], ("cloze", "entries"), f"{field}.matrices")
    if "category" in value:
        if not isinstance(value["category"], str):
            raise InputError(f"{field}.category", f"expected text, got {_type_name(value['category'])}")
        out["category"] = value["category"]
    if "penalty" in value:
        p = value["penalty"]
        if isinstance(p, bool) or not isinstance(p, (int, Decimal)) or not 0 <= p <= 1:
            raise InputError(f"{field}.penalty", f"must be a number from 0 to 1, got {p!r}")
        out["penalty"] = Fraction(p)
    return out


def _reject_non_finite(value, path: str) -> None:
    """TOML accepts nan and inf; a worksheet has no use for them anywhere."""
    if isinstance(value, Decimal) and not value.is_finite():
        raise InputError(_where(path), f"must be a finite number, got {value}")
    if isinstance(value, dict):
        for k, v in value.items():
            _reject_non_finite(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _reject_non_finite(v, f"{path}[{i + 1}]")


def _where(path: str) -> str:
    """`problems[2].params.X[1][3]` → `problem 2: params.X[1][3]` (1-based, as people count)."""
    m = re.match(r"problems\[(\d+)\]\.?(.*)", path)
    if m:
        rest = m.group(2)
        pm = re.match(r"parts\[(\d+)\]\.?(.*)", rest)
        if pm:
            return f"problem {m.group(1)}, part {pm.group(1)}: {pm.group(2)}"
        return f"problem {m.group(1)}: {rest}"
    return f"worksheet: {path}"


def _reject_bools(value, field: str) -> None:
    """`true` passes isinstance(x, int); in a number or a matrix it is a typo, not a 1."""
    if isinstance(value, bool):
        raise InputError(field, f"expected a number, got {str(value).lower()}")
    if isinstance(value, list):
        for i, v in enumerate(value):
            _reject_bools(v, f"{field}[{i + 1}]")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unreadable"


# ---------------------------------------------------------------------------------
# Solving.

def solve_worksheet(ws: Worksheet, checks=("numpy",)) -> SolvedWorksheet:
    """Solve every problem that has a kind; check each computed part's result names."""
    return SolvedWorksheet(ws, tuple(solve_problem(problem, checks) for problem in ws.problems))


def solve_problem(problem: Problem, checks=("numpy",)) -> SolvedProblem:
    """One problem of a worksheet solved (None for one without a kind); errors name the problem."""
    if problem.kind is None:
        return SolvedProblem(problem, None)
    if problem.params is None:
        raise InputError(f"problem {problem.number} ({problem.kind}): params",
                         "are required to solve the worksheet")
    try:
        solution = solve_params(problem.kind, problem.params, checks)
    except InputError as e:
        raise InputError(f"problem {problem.number} ({problem.kind}): {e.field}", e.problem) from None
    except DeriveError as e:
        raise type(e)(f"problem {problem.number} ({problem.kind}): {e}") from None
    _check_results(problem, solution)
    return SolvedProblem(problem, solution)


def _check_results(problem: Problem, solution) -> None:
    names = [r.name for r in solution.results]
    for part in problem.parts:
        for name in part.results:
            if name not in names:
                close = difflib.get_close_matches(name, names, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise InputError(f"problem {problem.number} ({problem.kind}), part ({part.label}): results",
                                 f"unknown result {name!r}{hint}; this problem has: {', '.join(names)}")


def replace_params(problem: Problem, params) -> Problem:
    """The same problem with other params (for randomized variants)."""
    return dataclasses.replace(problem, params=params)
