"""Worksheet documents: question sheet, solutions and answer key (LaTeX, PDF) and key.json.

`build_documents(solved)` turns a `SolvedWorksheet` (any list of solved problems: the
spec's own, or randomized variants) into three LaTeX sources and the key as a dict;
`write_documents(docs, outdir)` compiles each document once and moves everything
into `outdir` only when all of it succeeded, so a failure leaves nothing half-written.

The documents use the `exam` class (texlive-latex-extra): numbered, titled questions
with points, a grade table on the question sheet, shaded solution boxes.  Values are
printed by the same renderers as `derive solve` (exact forms first, then correctly
rounded decimals); user text goes through `derive.worksheet.Text` (escaped prose,
whitelisted math).  No arithmetic happens here beyond adding up points.

key.json (schema 1; docs/worksheets.md; its text is put together by `derive.key_json`) —
what `derive grade` and autograders read.
`parts` are the computed parts, graded automatically by label ("2a"); `written_parts`
the free-text and multiple-choice parts, with model answers for a human grader::

    {"schema": 1, "format": "derive-worksheet-key", "title": ..., "course": ..., "date": ...,
     "variant": null, "source": "spec.toml", "total_points": 30,
     "precision": {"decimals": 2, "sigfigs": null, "rounding": ...},
     "parts": [
       {"part": "2a", "label": "2a", "problem": 2, "subpart": "a", "problem_title": ...,
        "type": "computed", "points": 6, "question": "...", "kind": "layernorm",
        "params": {...}, "result": "output",
        "answer": {"exact": ..., "latex": ..., "decimal": ...},
        "answers": {"output": {"exact": ..., "latex": ..., "decimal": ..., "description": ...}},
        "tolerance": {"mode": "decimals", "digits": 2} | null}],
     "written_parts": [
       {"part": "2b", ..., "type": "text", "points": 2, "question": "...", "model_answer": "..."},
       {"part": "5a", ..., "type": "choice", "choices": [...], "correct": "a", "model_answer": "..."}]}
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, NamedTuple

from .exact import Surd
from .key_json import (KEY_SCHEMA, FixedEntry, KeyEntryJSON, KeyParts, assemble_key, csv_cell, csv_text, fixed_entry,
                       json_line, json_name, points_json, points_text)
from .memo import KeptByIdentity, keep
from .model import Precision, Relation
from .render.escape import escape_latex  # no SymPy behind it, unlike the printers (see `_printers`)
from .worksheet import SolvedProblem, SolvedWorksheet, Text

__all__ = [
    "Documents", "build_documents", "key_dict", "text_latex", "text_plain", "answer_rows", "is_numeric_value",
    "write_documents", "publish", "worksheet_markdown", "solutions_text", "KEY_SCHEMA", "DOCUMENT_NAMES",
]

DOCUMENT_NAMES = ("questions", "solutions", "key")


# ---------------------------------------------------------------------------------
# Text and values as LaTeX.

@lru_cache(maxsize=1024)  # a spec's texts repeat in every document and every variant
def text_latex(text: Text) -> str:
    """User text as LaTeX: prose escaped, whitelisted math as math, paragraphs as \\par."""
    return "\n\\par\n".join(text.rendered(escape_latex, "${}$".format, "\\[ {} \\]".format))


def text_plain(text: Text) -> str:
    return " ".join(text.source.split())


def answer_rows(result, precision: Precision) -> list[str]:
    """align* rows `symbol &= exact \\approx decimal` for one Result (printed once for the
    documents, the key, Moodle and the text solutions: see `_Answers`)."""
    return list(_Answers(precision).rendered(result).rows)


_NUMBERS = frozenset({int, Fraction, Surd})


def is_numeric_value(value) -> bool:
    """True for an exact number, or a vector/matrix of them (undefined entries allowed)."""
    kind = type(value)
    if kind is int or kind is Fraction or kind is Surd:  # most entries; isinstance(x, Fraction) is an ABC check
        return True
    if isinstance(value, tuple):
        if value and _NUMBERS.issuperset(map(type, value)):  # a vector or row of such numbers, checked in C
            return True
        return bool(value) and all(is_numeric_value(v) or type(v).__name__ == "Undefined" for v in value)
    if kind.__name__ == "Undefined":
        return False
    if getattr(value, "is_number", False):  # a SymPy number
        return True
    return _printers().is_exact_scalar(value)


def _label_range(labels: list[str], order: list[str]) -> str:
    """"part (a)", "parts (a) and (c)", "parts (a) and (c)--(e)": runs of consecutive parts."""
    runs: list[list[str]] = []
    for label in labels:
        if runs and order.index(label) == order.index(runs[-1][-1]) + 1:
            runs[-1].append(label)
        else:
            runs.append([label])
    items = []
    for run in runs:
        items += [f"({x})" for x in run] if len(run) < 3 else [f"({run[0]})--({run[-1]})"]
    text = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return ("part " if len(labels) == 1 else "parts ") + text


# ---------------------------------------------------------------------------------
# Documents.

@dataclass(frozen=True)
class Documents:
    """The LaTeX sources of the three documents and the key: `key_json` is the key as a
    JSON-ready dict, `key_source` that dict or the `KeyParts` its text is joined from (the
    dict is then made when first asked for)."""

    questions: str
    solutions: str
    key: str
    key_source: dict | KeyParts = field(compare=False, repr=False)

    @property
    def key_json(self) -> dict:
        source = self.key_source
        return source if isinstance(source, dict) else source.key

    def key_parts(self) -> KeyParts:
        source = self.key_source
        return source if isinstance(source, KeyParts) else KeyParts.of(source)

    def tex(self, *, solutions: bool = True) -> dict[str, str]:
        """Document name → LaTeX source (only the question sheet without solutions)."""
        names = DOCUMENT_NAMES if solutions else ("questions",)
        return {name: getattr(self, name) for name in names}

    def entries(self) -> tuple[KeyEntryJSON, ...]:
        """The key's parts, then its written parts, as JSON text."""
        return self.key_parts().entries

    def key_text(self) -> str:
        return self.key_parts().text()


def build_documents(solved: SolvedWorksheet, precision: Precision | None = None, *,
                    variant: str | None = None, notes: dict[str, list[str]] | None = None,
                    ) -> Documents:
    """LaTeX for the question sheet, the solutions and the key, and key.json's dict.

    `precision` defaults to the worksheet's; `variant` (e.g. "Variant 3") is printed in
    the header of each document; `notes` maps part labels ("2a") to extra sentences
    printed under that part's solution (e.g. errata found by `derive.compare`).
    Each problem is rendered once; the documents' layout is rendered once per spec and
    filled in with each variant's own text (see `_Layout`).
    """
    precision = precision or solved.worksheet.precision
    notes = notes or {}
    spec = _spec(solved)
    answers = _Answers(precision)
    values = _holes(solved, precision, variant=variant, notes=notes, answers=answers)
    layouts = spec.layouts_for(solved, values, notes)
    key = assemble_key(solved, spec, precision, variant=variant, answers=answers)
    return Documents(*(layouts[name].fill(values) for name in DOCUMENT_NAMES), key)


# ---------------------------------------------------------------------------------
# What the variants of a spec share.

@dataclass(frozen=True)
class _Spec:
    """What every variant of a spec has in common, worked out for the first one: key.json's
    header and each part's fixed members, and the documents' layouts."""

    header: dict                                  # key.json's title, course, date, source, total_points
    entries: tuple[tuple[FixedEntry, ...], ...]  # each problem's parts
    layouts: dict = field(default_factory=dict)   # the holes (and which are empty) → {document: _Layout}

    def layouts_for(self, solved: SolvedWorksheet, values: dict[str, str], notes: dict) -> dict[str, _Layout]:
        """The layouts for these holes: which are empty counts too, since templates print a
        statement or "Variant 3" only when there is one."""
        shape = (tuple(values), tuple(name for name, value in values.items() if value))
        layouts = self.layouts.get(shape)
        if layouts is None:
            layouts = keep(self.layouts, shape, _render_layouts(solved, values, notes), _MAX_KEPT)
        return layouts


# By the identity of a spec's texts and parts: its frozen dataclasses hash by value,
# walking every field, which costs more than the lookup saves.
_SPECS = KeptByIdentity(16)
_MAX_KEPT = 16  # layouts per spec


def _spec(solved: SolvedWorksheet) -> _Spec:
    """The spec's shared parts, kept by the objects they are made from (a variant's worksheet
    and varied problems are new objects, but their texts and parts are the spec's)."""
    ws = solved.worksheet
    problems = [sp.problem for sp in solved.problems]
    objects = (ws.title, ws.subtitle, ws.course, ws.date, ws.author, ws.instructions, ws.tolerance,
               *(x for p in problems for x in (p.title, p.intro, p.parts)))
    plain = (ws.source, *((p.number, p.kind, p.newpage) for p in problems))

    def make() -> _Spec:
        header = {"title": text_plain(ws.title), "course": text_plain(ws.course), "date": text_plain(ws.date),
                  "source": Path(ws.source).name if ws.source else "", "total_points": points_json(ws.points)}
        entries = tuple(tuple(fixed_entry(p, part, ws.tolerance, text_plain(p.title)) for part in p.parts)
                        for p in problems)
        return _Spec(header, entries)

    return _SPECS.get_all(objects, make, plain)


# ---------------------------------------------------------------------------------
# Layouts: a spec's documents are the same in every variant but for a few holes (the
# variant's name, each problem's statement and worked solution, each answer, notes).
# They are rendered once per spec with a marker in each hole and then only filled in.

_MARK = "\x00"  # never in a document otherwise: escape_latex drops control characters
_MARKS = re.compile(f"{_MARK}([^{_MARK}]*){_MARK}")


@dataclass(frozen=True)
class _Layout:
    """A document's text cut at its holes: text, hole name, text, ..., text."""

    pieces: tuple[str, ...]
    holes: Callable[[dict], tuple] = field(compare=False, repr=False)  # values → what fills each hole

    @classmethod
    def of(cls, text: str) -> _Layout:
        pieces = tuple(_MARKS.split(text))
        names = pieces[1::2]
        # One C call fetches every hole's text (a layout has dozens of holes, filled per variant).
        holes = itemgetter(*names) if len(names) > 1 else lambda values: tuple(values[name] for name in names)
        return cls(pieces, holes)

    def fill(self, values: dict[str, str]) -> str:
        pieces = list(self.pieces)
        pieces[1::2] = self.holes(values)
        return "".join(pieces)


def _hole(i: int, what: str, j: int | None = None, k: int = 0) -> str:
    """A hole's name: problem i's "statement" or "derivation", part j's "answer" or "note" k."""
    return f"{i}.{what}" if j is None else f"{i}.{j}.{what}{k}"


def _holes(solved: SolvedWorksheet, precision: Precision, *, variant: str | None,
           notes: dict[str, list[str]], answers: _Answers) -> dict[str, str]:
    """What fills the holes of this variant's documents ("" where there is nothing to print)."""
    render_latex_fragment = _printers().render_latex_fragment

    def fragment(sol, statement: bool) -> str:
        """The problem's statement, or its worked solution, as a worksheet shows it."""
        return render_latex_fragment(sol, precision, show_statement=statement, show_solution=not statement,
                                     worksheet=True).strip()

    values = {"variant": _escape(variant) if variant else ""}
    for i, sp in enumerate(solved.problems):
        problem, sol = sp.problem, sp.solution
        computed = any(p.type == "computed" for p in problem.parts)
        values[_hole(i, "statement")] = fragment(sol, True) if problem.statement and sol is not None else ""
        values[_hole(i, "derivation")] = fragment(sol, False) if computed and sol is not None else ""
        for j, part in enumerate(problem.parts):
            for k, rendered in enumerate(answers.of(sp, part)):
                values[_hole(i, "answer", j, k)] = " \\\\\n".join(rendered.rows)
            for k, note in enumerate(notes.get(problem.label(part), ()) if notes else ()):
                values[_hole(i, "note", j, k)] = _escape_note(note)
    return values


def _render_layouts(solved: SolvedWorksheet, values: dict[str, str], notes: dict) -> dict[str, _Layout]:
    """The three documents rendered with markers for the holes, cut at the markers."""
    from .render.latex import environment

    def hole(name: str) -> str:
        return f"{_MARK}{name}{_MARK}" if values[name] else ""

    problems = [_problem_context(i, sp, hole, notes) for i, sp in enumerate(solved.problems)]
    compact = [SimpleNamespace(**{**vars(problem), "newpage": False}) for problem in problems]  # key: no page breaks
    front = _front(solved.worksheet, hole("variant"))
    env = environment()
    layouts = {}
    for name, label, solutions in (("questions", "Questions", False), ("solutions", "Solutions", True),
                                   ("key", "Answer key", True)):
        ctx = {**front, "doc_label": label, "answers": solutions,
               "problems": compact if name == "key" else problems}
        layouts[name] = _Layout.of(env.get_template(f"worksheet/{name}.tex.j2").render(ctx))
    return layouts


def _front(ws, variant: str) -> dict:
    return {
        "title": text_latex(ws.title),
        "subtitle": text_latex(ws.subtitle),
        "course": text_latex(ws.course),
        "date": text_latex(ws.date),
        "author": text_latex(ws.author),
        "instructions": text_latex(ws.instructions),
        "variant": variant,
        "total_points": points_text(ws.points),
    }


def _escape(s: str) -> str:
    return escape_latex(s, field="variant")


def _escape_note(note: str) -> str:
    return escape_latex(note, field="note", strict=False)


def _problem_context(i: int, sp: SolvedProblem, hole, notes: dict[str, list[str]]) -> SimpleNamespace:
    """Problem i as the three templates see it (each reads only the fields it prints), with
    `hole(name)` standing in for each variant's own text.

    Namespaces rather than dicts: Jinja looks `q.title` up as an attribute first, and a
    failed attribute lookup costs an exception for every field of every part."""
    problem = sp.problem
    computed = [p for p in problem.parts if p.type == "computed"]
    labels = [p.label for p in problem.parts]
    parts = []
    for j, part in enumerate(problem.parts):
        first = bool(computed) and part is computed[0]
        parts.append(SimpleNamespace(
            label=part.label,
            points=points_text(part.points),
            type=part.type,
            question=text_latex(part.question),
            space=part.space,
            choices=[text_latex(c) for c in part.choices],
            correct=part.correct,
            correct_letter=part.correct_letter or "",
            answer_text=text_latex(part.answer),
            answers=[hole(_hole(i, "answer", j, k)) for k in range(len(sp.results_of(part)))],
            derivation=hole(_hole(i, "derivation")) if first else "",
            covers=_label_range([p.label for p in computed], labels) if first else "",
            see=f"({computed[0].label})" if part.type == "computed" and not first else "",
            notes=[hole(_hole(i, "note", j, k)) for k in range(len(notes.get(problem.label(part), ())))],
        ))
    return SimpleNamespace(
        number=problem.number,
        title=text_latex(problem.title),
        points=points_text(problem.points),
        intro=text_latex(problem.intro),
        statement=hole(_hole(i, "statement")),
        newpage=problem.newpage,
        parts=parts,
    )


# ---------------------------------------------------------------------------------
# Answers, each printed once for all the documents and the key.

class _Rendered(NamedTuple):
    """One result as the documents and key.json show it.

    Immutable like a frozen dataclass, made in one call: a variant makes one for each of its
    ~11 new results, and a frozen dataclass's __init__ sets each field with a call of its
    own (instructions per variant -0.15 M)."""

    name: str
    description: str
    rows: tuple[str, ...]  # its rows in an align* block
    value: dict       # key.json's exact, LaTeX and decimal strings (shared: copy before changing)
    value_json: str   # `value` as JSON
    member_json: str  # its member of a key entry's "answers": `"name": {..., "description": ...}`
    numeric: bool     # a number, or a vector/matrix of them: graded automatically
    csv_values: str   # its exact and decimal cells of key.csv


class _Answers:
    """Each result rendered once: its align* rows (all three documents) and its exact,
    LaTeX and decimal strings (key.json) share one printing of the value.  Results are
    immutable, and a fixed problem's are the same objects in every variant, so the
    renderings are kept across builds."""

    _kept: dict[Precision, KeptByIdentity] = {}  # per precision: its dataclass hash runs in Python, once a build

    def __init__(self, precision: Precision):
        self.precision = precision
        self._parts: dict[tuple[int, int], tuple[_Rendered, ...]] = {}  # this build's, by id (alive while it runs)
        kept = self._kept.get(precision)
        self._rendered = kept if kept is not None else keep(self._kept, precision, KeptByIdentity(512), 8)

    def of(self, sp: SolvedProblem, part) -> tuple[_Rendered, ...]:
        """The results a part asks for, rendered."""
        key = (id(sp), id(part))
        rendered = self._parts.get(key)
        if rendered is None:
            rendered = self._parts[key] = tuple(self.rendered(r) for r in sp.results_of(part))
        return rendered

    def rendered(self, result) -> _Rendered:
        return self._rendered.get(result, lambda: _render_result(result, self.precision))


def _render_result(result, precision: Precision) -> _Rendered:
    render = _printers()
    shown = render.display(result.value)
    tex = render.latex(shown)
    rows = tuple(render.relation_latex(Relation(result.symbol, (shown,)), precision, printed=(tex,)))
    value = render.value_dict(result.value, precision, tex=tex)
    value_json = json_line(value)
    member = f'{json_name(result.name)}: {value_json[:-1]}, "description": {json_name(result.description)}}}'
    cells = csv_text((csv_cell(value["exact"]), csv_cell(value["decimal"])))
    return _Rendered(result.name, result.description, rows, value, value_json, member,
                     is_numeric_value(result.value), cells)


@lru_cache(maxsize=1)
def _printers() -> SimpleNamespace:
    """The value printers and the fragment renderer, imported on first use: they import SymPy,
    which reading a key never needs (and an import in a function costs a microsecond a call,
    once per result or build)."""
    from .render.json import value_dict
    from .render.latex import relation_latex, render_latex_fragment
    from .render.printers import latex
    from .render.values import display, is_exact_scalar

    return SimpleNamespace(display=display, latex=latex, relation_latex=relation_latex, value_dict=value_dict,
                           render_latex_fragment=render_latex_fragment, is_exact_scalar=is_exact_scalar)


# ---------------------------------------------------------------------------------
# key.json


def key_dict(solved: SolvedWorksheet, precision: Precision | None = None, *,
             variant: str | None = None) -> dict:
    """The machine-readable key, parts labelled like "2a".

    `parts` holds the computed parts with a numeric answer (what `derive grade` checks
    automatically; `result` names the graded one, the part's first numeric result);
    `written_parts` the free-text and multiple-choice parts with their model answers,
    and computed parts whose answers are not numbers (layer names, shapes).
    """
    precision = precision or solved.worksheet.precision
    return assemble_key(solved, _spec(solved), precision, variant=variant, answers=_Answers(precision)).key


# ---------------------------------------------------------------------------------
# Writing: compile once per document, stage everything, then move it into place.

@dataclass(frozen=True)
class Written:
    """What `write_documents` did: the files now in the directory, and PDF timing."""

    directory: Path
    files: tuple[str, ...]
    pdf: bool
    pdf_seconds: float = 0.0
    message: str = ""


def write_documents(docs: Documents, outdir, *, pdf: bool = True, solutions: bool = True,
                    extra: dict[str, str | bytes] | None = None, timeout: float = 120) -> Written:
    """Write the .tex files, key.json, their PDFs and `extra` files into `outdir`.

    Every PDF is compiled first (once per document, in parallel); only when all
    succeeded are the files moved into `outdir`.  Without pdflatex the .tex files and
    key.json are still written and `Written.message` says why there is no PDF.
    A LaTeX error raises `RenderError` and writes nothing.
    """
    from .render.pdf import PDFLATEX_MISSING, pdflatex_available, write_pdf

    files: dict[str, str | bytes] = {}
    sources = docs.tex(solutions=solutions)
    for name, tex in sources.items():
        files[f"{name}.tex"] = tex
    if solutions:
        files["key.json"] = docs.key_text()
    files.update(extra or {})

    outdir = Path(outdir)
    parent = outdir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=parent))
    message = ""
    seconds = 0.0
    try:
        for name, content in files.items():
            mode = "wb" if isinstance(content, bytes) else "w"
            with open(staging / name, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
                f.write(content)
        made_pdf = pdf and pdflatex_available()
        if pdf and not made_pdf:
            message = PDFLATEX_MISSING
        if made_pdf:
            start = time.perf_counter()
            from concurrent.futures import ThreadPoolExecutor  # only for PDFs: ~7 ms to import

            with ThreadPoolExecutor(max_workers=len(sources)) as pool:
                jobs = [pool.submit(write_pdf, tex, staging / f"{name}.pdf", timeout=timeout)
                        for name, tex in sources.items()]
                for job in jobs:
                    job.result()  # re-raises the first RenderError
            seconds = time.perf_counter() - start
            files.update({f"{name}.pdf": b"" for name in sources})
        publish(staging, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Written(outdir, tuple(files), made_pdf, seconds, message)


def publish(staging: Path, outdir: Path) -> None:
    """Move every file of `staging` into `outdir` (renaming the folder when it is new)."""
    outdir = Path(outdir)
    if not outdir.exists():
        os.replace(staging, outdir)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(outdir, 0o777 & ~umask)  # mkdtemp made it private (0700)
        staging.mkdir()  # the caller removes it
        return
    if not outdir.is_dir():
        from .errors import InputError

        raise InputError("output", f"{outdir} exists and is not a directory")
    for item in sorted(staging.iterdir()):
        os.replace(item, outdir / item.name)


# ---------------------------------------------------------------------------------
# Jupyter: a solved worksheet as Markdown with MathJax math.

def _text_markdown(text: Text) -> str:
    def prose(s: str) -> str:
        return "".join("\\" + c if c in "\\`*_{}[]<>#+!|" else c for c in s)

    return "\n\n".join(text.rendered(prose, "${}$".format, "$${}$$".format))


def worksheet_markdown(solved: SolvedWorksheet, precision: Precision | None = None) -> str:
    """Questions and final answers, for a notebook (`SolvedWorksheet._repr_markdown_`)."""
    from .render.latex import relation_latex  # noqa: F401  (imports the printers)

    ws = solved.worksheet
    precision = precision or ws.precision
    out = [f"# {_text_markdown(ws.title)}"]
    if ws.course or ws.date:
        out.append(" · ".join(_text_markdown(t) for t in (ws.course, ws.date) if t))
    for sp in solved.problems:
        problem = sp.problem
        out.append(f"## {problem.number}. {_text_markdown(problem.title)} "
                   f"({points_text(problem.points)} points)")
        if problem.intro:
            out.append(_text_markdown(problem.intro))
        for part in problem.parts:
            q = _text_markdown(part.question) if part.question else "*(see the problem statement)*"
            out.append(f"**({part.label})** [{points_text(part.points)}] {q}")
            if part.type == "computed":
                rows = [row for r in sp.results_of(part) for row in answer_rows(r, precision)]
                out.append("$$\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}$$")
                if part.answer:
                    out.append(f"> {_text_markdown(part.answer)}")
            elif part.type == "choice":
                for i, c in enumerate(part.choices):
                    mark = " ✓" if i == part.correct else ""
                    out.append(f"- ({chr(97 + i)}) {_text_markdown(c)}{mark}")
                if part.answer:
                    out.append(f"> {_text_markdown(part.answer)}")
            else:
                out.append(f"> {_text_markdown(part.answer)}")
    return "\n\n".join(out) + "\n"


def solutions_text(solved: SolvedWorksheet, precision: Precision) -> str:
    """The worked solutions as plain text: each problem's steps, then its parts' answers."""
    ws = solved.worksheet
    out = [ws.title.source, "=" * len(ws.title.source), ""]
    for sp in solved.problems:
        problem = sp.problem
        out += [f"{problem.number}. {problem.title.source}", ""]
        if sp.solution is not None:
            out += [sp.solution.to_text(precision).rstrip(), ""]
        for part in problem.parts:
            if part.type == "computed":
                continue  # its answers are in the solution above
            out.append(f"({part.label}) {part.question.source}".rstrip())
            if part.type == "choice" and part.correct is not None:
                out.append(f"    Answer: ({part.correct_letter}) {part.choices[part.correct].source}")
            if part.answer:
                out.append("    " + part.answer.source.replace("\n", "\n    "))
            out.append("")
    return "\n".join(out).rstrip() + "\n"
