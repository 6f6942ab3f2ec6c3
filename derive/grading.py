"""Batch grading: a CSV of (student, part, answer) against a worksheet's key.json.

Every answer is checked with ``derive.check`` — verdict per entry, score, and the known
mistake behind a wrong answer — and the class gets a summary: per part how many were
right, per student the total, and the most common mistakes.  Each part is solved once
(``derive.check`` caches the exact answer and the mistakes per problem), and identical
answers to one part are judged once.

The key (see docs/grading.md) lists parts; each part names its ``kind`` and ``params``
(the problem, solved again here so that mistakes can be diagnosed) and optionally the
``result`` to grade, ``points``, a ``tolerance`` and the ``exact`` answer (checked
against the solved one).  A part with only ``exact`` strings is graded without
diagnosis.  Unknown keys are ignored, so a richer key from ``derive worksheet`` works.

    >>> key = load_key({"parts": [{"part": "1", "kind": "layernorm", "points": 2,
    ...                            "params": {"X": [[1, 1, 1, 5]], "eps": 0}}]})
    >>> report = grade(key, [Submission("ann", "1", "[-0.58, -0.58, -0.58, 1.73]"),
    ...                      Submission("bob", "1", "[-0.58, -0.58, -0.58, 1.74]")])
    >>> [(r.student, r.status, r.score) for r in report.rows]
    [('ann', 'correct', Fraction(2, 1)), ('bob', 'wrong', Fraction(3, 2))]
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections import Counter
from decimal import Decimal
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable

from . import jsontext
from .errors import AnswerSyntaxError, DeriveError, InputError

__all__ = ["KeyPart", "Key", "Submission", "GradedRow", "GradeReport", "load_key", "read_answers",
           "grade", "STATUSES"]

STATUSES = ("correct", "wrong", "malformed", "blank", "unknown_part")
_LABEL_KEYS = ("part", "label", "id", "name")
_MAX_KEY_BYTES = 50_000_000


# -- the key ------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyPart:
    """One gradable part: the problem (kind + built params) or just exact strings."""

    label: str
    kind: str | None
    params: Any
    result: str | None
    points: Fraction = Fraction(1)
    tolerance: Any = None  # a derive.verify.Tolerance, or None for the grader's default
    exact: Any = None  # the key's exact answer as SymPy values (nested tuples), if given
    # The solved part (derive.check.Target) when loading solved it to check `exact`: a key of
    # a thousand variants holds more problems than the solve cache keeps.
    target: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Key:
    parts: tuple[KeyPart, ...]
    title: str = ""

    _by_label: dict = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_label", {p.label: p for p in self.parts})

    def part(self, label: str) -> KeyPart | None:
        """The part labelled `label` ("2a"); case and surrounding spaces do not matter."""
        label = label.strip()
        found = self._by_label.get(label)
        if found is None:
            found = next((p for p in self.parts if p.label.lower() == label.lower()), None)
        return found

    @property
    def points(self) -> Fraction:
        return sum((p.points for p in self.parts), Fraction(0))


def _part_dicts(data) -> list[tuple[dict, dict]]:
    """(part, inherited problem fields) for every part, whatever the nesting."""
    if isinstance(data, list):
        items, inherited = data, {}
    elif isinstance(data, dict):
        items = data.get("parts")
        if items is None:
            items = data.get("problems")
        if items is None:
            raise InputError("key", "expected a list of parts, or an object with \"parts\" or \"problems\"")
        inherited = {}
    else:
        raise InputError("key", f"expected a JSON object or list, got {type(data).__name__}")
    if not isinstance(items, list):
        raise InputError("key", "\"parts\" must be a list")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise InputError("key", f"each part must be an object, got {type(item).__name__}")
        if isinstance(item.get("parts"), list):  # a problem holding parts
            shared = {k: item[k] for k in ("kind", "params", "tolerance") if k in item}
            for sub in item["parts"]:
                if not isinstance(sub, dict):
                    raise InputError("key", "each part must be an object")
                out.append((sub, {**inherited, **shared, **({"_prefix": _label(item)} if _label(item) else {})}))
        else:
            out.append((item, inherited))
    return out


def _label(d: dict) -> str | None:
    for k in _LABEL_KEYS:
        if k in d and d[k] is not None and not isinstance(d[k], (dict, list)):
            return str(d[k]).strip()
    return None


def _tolerance(spec, where: str):
    from .check import make_tolerance
    from .verify import Tolerance

    if spec is None:
        return None
    if isinstance(spec, str):
        return make_tolerance(spec)
    if isinstance(spec, dict):
        known = {"mode", "digits", "rtol", "atol", "last_place_slack"}
        # JSON decimals arrive as Decimal; Tolerance reads their text exactly.
        args = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in spec.items() if k in known}
        mode = str(args.pop("mode", "implied")).lower()
        if mode in ("prairielearn", "webwork"):
            base = make_tolerance(mode)
            return Tolerance("relative", rtol=args.get("rtol", base.rtol), atol=args.get("atol", base.atol))
        return Tolerance(mode, **args)
    raise InputError(f"{where} tolerance", "expected a mode name or an object with \"mode\"")


def _exact_of(spec):
    """The key's exact answer: nested strings/numbers, or a {"exact": ...} object."""
    if isinstance(spec, dict):
        spec = spec.get("exact")
    return spec


def _parse_exact(spec, where: str):
    """Nested exact strings ("-1 - 2*sqrt(3)/3", "5/3", 4) as SymPy values, via the safe parser."""
    from .answers import parse_answer

    if isinstance(spec, list):
        if not spec:
            raise InputError(f"{where} exact", "is empty")
        return tuple(_parse_exact(s, where) for s in spec)
    if isinstance(spec, bool) or not isinstance(spec, (str, int)):
        raise InputError(f"{where} exact", f"expected exact strings like \"5/3\", got {spec!r}")
    try:
        answer = parse_answer(str(spec))
    except AnswerSyntaxError as e:
        raise InputError(f"{where} exact", str(e)) from None
    if answer.shape != ():
        return answer.value
    return answer.entries.value


def load_key(source) -> Key:
    """A Key from a path to key.json, its text, or the decoded JSON (dict or list)."""
    if isinstance(source, (str, Path)) and not str(source).lstrip().startswith(("{", "[")):
        path = Path(source)
        try:
            if path.stat().st_size > _MAX_KEY_BYTES:
                raise InputError("key", f"{path} is larger than {_MAX_KEY_BYTES} bytes")
            text = path.read_text(encoding="utf-8-sig")
        except OSError as e:
            raise InputError("key", f"cannot read {path}: {e.strerror}") from None
        except UnicodeDecodeError:
            raise InputError("key", f"{path} is not UTF-8 text") from None
        source = text
    if isinstance(source, str):
        try:
            data = jsontext.loads(source, parse_float=Decimal)  # decimals exactly, never via float
        except json.JSONDecodeError as e:
            raise InputError("key", f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
        except jsontext.TooDeep as e:
            raise InputError("key", str(e)) from None
    else:
        data = source
    parts, seen = [], set()
    for n, (d, inherited) in enumerate(_part_dicts(data), 1):
        parts.append(_key_part(d, inherited, n))
        if parts[-1].label in seen:
            raise InputError("key", f"part {parts[-1].label!r} appears twice")
        seen.add(parts[-1].label)
    if not parts:
        raise InputError("key", "has no parts")
    title = data.get("title", "") if isinstance(data, dict) else ""
    return Key(tuple(parts), str(title) if title else "")


def _key_part(d: dict, inherited: dict, n: int) -> KeyPart:
    from .api import make_params
    from .exact import to_fraction

    label = _label(d)
    if label is None:
        raise InputError("key", f"part {n} has no \"part\" label")
    if inherited.get("_prefix") and not label.startswith(inherited["_prefix"]):
        label = f"{inherited['_prefix']}{label}"
    where = f"part {label}"
    kind = d.get("kind", inherited.get("kind"))
    params_raw = d.get("params", inherited.get("params"))
    result = d.get("result") or d.get("answer_name")
    exact_spec = _exact_of(d.get("exact", d.get("answer")))
    try:
        points = to_fraction(d.get("points", 1), f"{where} points")
        if points < 0:
            raise InputError(f"{where} points", "must not be negative")
        tolerance = _tolerance(d.get("tolerance", inherited.get("tolerance")), where)
        params = None
        if kind is not None:
            if not isinstance(params_raw, dict):
                raise InputError(f"{where} params", "expected an object of problem parameters")
            params = make_params(str(kind), **{str(k): v for k, v in params_raw.items()})
        elif exact_spec is None:
            raise InputError(where, "needs \"kind\" and \"params\", or an \"exact\" answer")
        exact = _parse_exact(exact_spec, where) if exact_spec is not None else None
    except DeriveError as e:
        if str(e).startswith(where):
            raise
        raise InputError(f"key {where}", str(e)) from None
    part = KeyPart(label, None if kind is None else str(kind), params,
                   None if result is None else str(result), points, tolerance, exact)
    if kind is not None and exact is not None:
        part = dataclasses.replace(part, target=_check_key_exact(part, exact_spec))
    return part


def _check_key_exact(part: KeyPart, spec):
    """A key whose exact answer differs from the solved one is refused, never half-trusted.
    Returns the solved part."""
    from .check import target
    from .verify import Tolerance, judge

    t = target(part.kind, part.params, part.result)
    verdict = judge(_as_answer(part.exact, spec), t.exact, Tolerance("exact"))
    if not verdict.correct:
        raise InputError(f"key part {part.label}", f"its exact answer differs from the solved one "
                                                   f"({verdict.reason}); fix the key or remove \"exact\"")
    return t


def _as_answer(value, spec):
    """Exact SymPy values (nested tuples) as an Answer of exact scalars, each with the
    key's own text (`spec`, nested alike; printing SymPy values again is slow)."""
    from .answers import Answer, Scalar

    def wrap(v, text):
        if isinstance(v, tuple):
            return tuple(wrap(x, t) for x, t in zip(v, text))
        return Scalar(v, str(text), 0)

    def shape(v):
        return (len(v),) + shape(v[0]) if isinstance(v, tuple) else ()

    return Answer(json.dumps(spec), wrap(value, spec), shape(value))


# -- the answers --------------------------------------------------------------------
@dataclass(frozen=True)
class Submission:
    student: str
    part: str
    answer: str
    line: int = 0


_COLUMNS = {
    "student": ("student", "student_id", "studentid", "id", "name", "email", "user"),
    "part": ("part", "question", "problem", "item"),
    "answer": ("answer", "response", "submission", "value"),
}


def read_answers(source) -> list[Submission]:
    """Submissions from a CSV path or text with a header naming student, part and answer."""
    if isinstance(source, (str, Path)) and "\n" not in str(source):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as e:
            raise InputError("answers", f"cannot read {path}: {e.strerror}") from None
        except UnicodeDecodeError:
            raise InputError("answers", f"{path} is not UTF-8 text") from None
    else:
        text = str(source)
    text = text.removeprefix("\ufeff")  # a spreadsheet's byte-order mark
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("answers", "the CSV is empty") from None
    except csv.Error as e:
        raise InputError("answers", f"line 1: {e}") from None
    names = [h.strip().lower().replace(" ", "_") for h in header]
    cols = {}
    for what, aliases in _COLUMNS.items():
        found = next((names.index(a) for a in aliases if a in names), None)
        if found is None:
            raise InputError("answers", f"the header has no {what!r} column (found: {', '.join(header)})")
        cols[what] = found
    out = []
    try:
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue
            line = reader.line_num
            if len(row) <= max(cols.values()):
                row = row + [""] * (max(cols.values()) + 1 - len(row))
            out.append(Submission(row[cols["student"]].strip(), row[cols["part"]].strip(),
                                  row[cols["answer"]], line))
    except csv.Error as e:
        raise InputError("answers", f"line {reader.line_num}: {e}") from None
    return out


# -- grading ------------------------------------------------------------------------
@dataclass(frozen=True)
class GradedRow:
    """One graded submission; ``score`` is in points (``points`` × fraction correct)."""

    student: str
    part: str
    answer: str
    status: str
    score: Fraction
    points: Fraction
    message: str
    line: int = 0
    report: Any = field(default=None, repr=False, compare=False)  # derive.check.CheckReport

    @property
    def diagnosis(self):
        return self.report.diagnosis if self.report is not None else None

    @property
    def entries(self) -> tuple[int, int]:
        """(entries correct, entries in all); (0, 0) when nothing was judged."""
        if self.report is None or not self.report.verdict.entries:
            return 0, 0
        v = self.report.verdict
        return len(v.entries) - len(v.wrong), len(v.entries)

    def to_dict(self) -> dict:
        d = self.diagnosis
        ok, total = self.entries
        return {
            "student": self.student, "part": self.part, "answer": self.answer, "status": self.status,
            "score": _num(self.score), "points": _num(self.points), "message": self.message,
            "entries_correct": ok, "entries_total": total,
            "wrong_entries": self.report.wrong_indices() if self.report else [],
            "diagnosis": None if d is None else {
                "name": d.name, "label": d.label, "message": d.message, "step": d.step,
                "explained": len(d.explains), "wrong": d.wrong, "complete": d.complete,
                "exact_match": d.exact_match},
            "also": [x.name for x in self.report.diagnoses[1:]] if self.report else [],
            "value": _nested_str(self.report.value) if self.report else None,
            "line": self.line,
        }


def _nested_str(v):
    return [_nested_str(x) for x in v] if isinstance(v, tuple) else str(v)


def _num(q: Fraction) -> str:
    from .exact import approx

    return approx(q, 4)


@dataclass(frozen=True)
class GradeReport:
    key: Key
    rows: tuple[GradedRow, ...]

    # -- summaries
    def students(self) -> list[dict]:
        """Per student: the last submission per part counts (a resubmission replaces)."""
        last: dict[str, dict[str, GradedRow]] = {}
        for r in self.rows:
            if r.status != "unknown_part":
                last.setdefault(r.student, {})[r.part] = r
        total = self.key.points
        return [{"student": s, "score": _num(sum((r.score for r in parts.values()), Fraction(0))),
                 "points": _num(total), "parts": {p: _num(r.score) for p, r in parts.items()}}
                for s, parts in last.items()]

    def parts(self) -> list[dict]:
        out = []
        for p in self.key.parts:
            rows = [r for r in self.rows if r.part == p.label]
            mean = sum((r.score for r in rows), Fraction(0)) / len(rows) if rows else Fraction(0)
            out.append({"part": p.label, "kind": p.kind, "result": p.result, "points": _num(p.points),
                        "answers": len(rows), "correct": sum(r.status == "correct" for r in rows),
                        "malformed": sum(r.status in ("malformed", "blank") for r in rows),
                        "mean_score": _num(mean)})
        return out

    def mistakes(self) -> list[dict]:
        """The most common diagnosed mistakes, per part, most frequent first."""
        counts: Counter = Counter()
        info = {}
        wrong: Counter = Counter()
        for r in self.rows:
            if r.status == "wrong":
                wrong[r.part] += 1
                d = r.diagnosis
                if d is not None:
                    counts[(r.part, d.name)] += 1
                    info[(r.part, d.name)] = d
        return [{"part": part, "name": name, "label": info[(part, name)].label,
                 "message": info[(part, name)].message, "step": info[(part, name)].step,
                 "count": n, "share_of_wrong": _num(Fraction(n, wrong[part]))}
                for (part, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    # -- outputs
    def to_dict(self) -> dict:
        return {"schema": 1, "title": self.key.title,
                "summary": {"answers": len(self.rows), "students": len({r.student for r in self.rows}),
                            "statuses": {s: sum(r.status == s for r in self.rows) for s in STATUSES}},
                "parts": self.parts(), "mistakes": self.mistakes(), "students": self.students(),
                "results": [r.to_dict() for r in self.rows]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False) + "\n"

    CSV_COLUMNS = ("student", "part", "answer", "status", "score", "points", "entries_correct",
                   "entries_total", "diagnosis", "step", "message")

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.CSV_COLUMNS)
        for r in self.rows:
            d = r.diagnosis
            ok, total = r.entries
            w.writerow([_safe_cell(r.student), _safe_cell(r.part), _safe_cell(r.answer), r.status,
                        _num(r.score), _num(r.points), ok, total,
                        d.name if d else "", d.step if d else "", r.message])
        return buf.getvalue()

    def to_text(self, top: int = 10) -> str:
        s = self.to_dict()["summary"]
        out = [f"Graded {s['answers']} answers from {s['students']} students on {len(self.key.parts)} parts"
               + (f" of {self.key.title}" if self.key.title else "") + "."]
        st = s["statuses"]
        out.append("  " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in st.items() if n))
        out.append("")
        out.append(f"  {'part':<10} {'answers':>7} {'correct':>7} {'mean':>8} / points")
        for p in self.parts():
            out.append(f"  {p['part']:<10} {p['answers']:>7} {p['correct']:>7} {p['mean_score']:>8} / {p['points']}")
        common = self.mistakes()[:top]
        if common:
            out += ["", "Most common mistakes:"]
            for m in common:
                out.append(f"  {m['part']:<10} {m['label']}: {m['count']} answer{'s' if m['count'] != 1 else ''} "
                           f"({float(Fraction(m['share_of_wrong'])):.0%} of the wrong ones) — {m['message']}")
        return "\n".join(out) + "\n"


def _safe_cell(text: str) -> str:
    """Neutralize spreadsheet formulas in echoed student text (=, +, -, @ lead a formula)."""
    if text and text[0] in "=+@\t\r" or (text[:1] == "-" and not _numberish(text)):
        return "'" + text
    return text


def _numberish(text: str) -> bool:
    return all(c in "0123456789.-+eE/ [],;" for c in text)


def grade(key: Key, submissions: Iterable[Submission], *, tolerance=None, partial: bool = True,
          decimal_comma: bool = False) -> GradeReport:
    """Grade every submission against `key`.

    `tolerance`: overrides every part's own (default: the part's, else implied precision).
    `partial`: a matrix with some entries right earns that fraction of the points; False
    makes every part all-or-nothing.  Identical answers to one part are judged once.
    """
    from .check import make_tolerance

    override = make_tolerance(tolerance) if tolerance is not None else None
    memo: dict[tuple[str, str], tuple] = {}
    targets: dict[str, Any] = {}  # one prepared exact answer per part
    rows = []
    for sub in submissions:
        part = key.part(sub.part)
        if part is None:
            rows.append(GradedRow(sub.student, sub.part, sub.answer, "unknown_part", Fraction(0), Fraction(0),
                                  f"the key has no part {sub.part!r}", sub.line))
            continue
        memo_key = (part.label, sub.answer)
        hit = memo.get(memo_key)
        if hit is None:
            if part.label not in targets:
                targets[part.label] = part.target or _part_target(part)
            hit = memo[memo_key] = _grade_one(part, targets[part.label], sub.answer, override, decimal_comma)
        status, fraction, message, report = hit
        if not partial and fraction != 1:
            fraction = Fraction(0)
        rows.append(GradedRow(sub.student, part.label, sub.answer, status, part.points * fraction, part.points,
                              message, sub.line, report))
    return GradeReport(key, tuple(rows))


def _part_target(part: KeyPart):
    """The exact answer (and mistakes) a part is graded against."""
    from .check import Target, target
    from .diagnose import flatten_value

    if part.kind is not None:
        return target(part.kind, part.params, part.result)
    _, shape = flatten_value(part.exact)
    return Target("", part.label, None, None, part.exact, shape, _nested_list(part.exact), ())


def _grade_one(part: KeyPart, t, text: str, override, decimal_comma: bool):
    from .check import check_target, make_tolerance

    if not text.strip():
        return "blank", Fraction(0), "no answer", None
    tol = override or part.tolerance or make_tolerance(None)
    try:
        report = check_target(t, text, tolerance=tol, decimal_comma=decimal_comma)
    except AnswerSyntaxError as e:
        return "malformed", Fraction(0), str(e), None
    if report.correct:
        return "correct", Fraction(1), report.verdict.reason, report
    v, d = report.verdict, report.diagnosis
    message = (f"{len(v.wrong)} of {len(v.entries)} entries wrong" if len(v.entries) > 1 else
               v.entries[0].reason if v.entries else v.reason)
    if d is not None:
        message += f"; {d.label} ({d.summary()}): {d.message}"
    return "wrong", report.score, message, report


def _nested_list(v):
    return [_nested_list(x) for x in v] if isinstance(v, tuple) else v
