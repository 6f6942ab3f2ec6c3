"""LaTeX rendering: values through `DeriveLatexPrinter`, layout through Jinja2 templates.

Templates use LaTeX-safe delimiters (`\\VAR{...}`, `\\BLOCK{...}`, `\\#{...}`) so TeX's
own braces and percent signs need no escaping, `StrictUndefined` so a missing variable
fails loudly, and the `e` filter (escape_latex) for any user text.  Templates only lay
out strings prepared here; they do no arithmetic.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from types import SimpleNamespace  # template rows: Jinja looks up attributes first

from ..definitions import definition_latex
from ..exact import Surd
from ..forms import Mat, Vec
from ..memo import KeptByIdentity, keep
from ..model import Formula, Precision, Prose, Relation, Solution
from ..registry import get_kind  # here, not in each call: a variant renders 8 fragments
from .breaking import LONG_FORM, break_sum, visible_length
from .escape import escape_latex, escape_latex_kept, math_joined, math_latex
from .printers import ELIDE_AFTER, latex, matrix_latex, vector_latex
from .values import _exact_decimal, approx_display, decimal_entries, display, is_exactly_shown

# Relations whose forms print shorter than this (in plain text) stay on one line.
SHORT_RELATION = 60
SHORT_RELATION_LATEX = 130  # the same budget in LaTeX source, which is about twice as long
# ... and in visible characters (derive.render.breaking): digits show every character of their
# source, so model-size's "M = M_params + M_grads + M_optimizer + M_activations = 133512 + … = 551744"
# (128 characters of source, 70 visible) ran 177 pt past the line on one row beside its notes.
SHORT_RELATION_VISIBLE = 64
LONG_NOTE = 48  # characters: a longer note beside a relation puts each of its clauses ("a; b") on a row

__all__ = ["environment", "relation_latex", "render_latex", "render_latex_fragment",
           "solution_context", "escape_latex"]


_escape_cached = escape_latex_kept  # engine prose repeats across renders


@lru_cache(maxsize=1)
def environment():
    import jinja2

    class Environment(jinja2.Environment):
        def __init__(self, **options):
            super().__init__(**options)
            self._loaded = {}  # get_template's templates, by (name, parent)

        def overlay(self, **options):
            """An overlay loads its own templates (its settings may differ)."""
            env = super().overlay(**options)
            env._loaded = {}
            return env

        def make_globals(self, d):
            """A template's globals as a plain dict, not Jinja's ChainMap over the
            environment's: every render copies them into its context, and copying a
            ChainMap raises and catches a KeyError per global.  Nothing here adds
            globals once templates are loaded."""
            return {**self.globals, **(d or {})}

        def get_template(self, name, parent=None, globals=None):
            """A template by name, each looked up once: a kind's template `extends`
            solution_body.tex.j2, which loads its parent on every render, and Jinja's
            lookup takes its lock-guarded LRU cache each time (~0.7 % of a worker's time).
            Templates ship with the package and are not reloaded."""
            if globals is not None or not isinstance(name, str):
                return super().get_template(name, parent, globals)
            key = (name, parent)
            template = self._loaded.get(key)
            if template is None:
                template = self._loaded[key] = super().get_template(name, parent)
            return template

    env = Environment(
        loader=jinja2.PackageLoader("derive", "templates"),
        block_start_string=r"\BLOCK{",
        block_end_string="}",
        variable_start_string=r"\VAR{",
        variable_end_string="}",
        comment_start_string=r"\#{",
        comment_end_string="}",
        line_statement_prefix="%%",
        line_comment_prefix="%#",
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,  # templates ship with the package; don't stat them on every render
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["e"] = _escape_filter
    env.filters["math"] = latex
    return env


def _escape_filter(text) -> str:
    """Jinja's `e`: escaped text, with the symbols and formulas of a `Prose` set in math."""
    if type(text) is not Prose:
        return _escape_cached(text)
    hit = _PROSE_LATEX.get(id(text))  # the kinds' fixed sentences are the same objects in every variant
    if hit is not None and hit[0] is text:
        return hit[1]
    return keep(_PROSE_LATEX, id(text), (text, _prose_latex(text.parts)), PROSE_KEPT)[1]


# A Prose's LaTeX by the object's identity (an entry holds the object, so its id is not reused).
_PROSE_LATEX: dict = {}
PROSE_KEPT = 1024


def _prose_latex(parts) -> str:
    """Parts of a `Prose`: text escaped, formulas and symbols in math, each run of them one
    group (|y_corr − y_orig| = 0 is a symbol, a formula, a symbol and a formula)."""
    out, math = [], ""
    for part in parts:
        if type(part) is str:
            if math:
                out.append(rf"\ensuremath{{{math}}}")
                math = ""
            out.append(_escape_cached(part))
        else:
            math = math_joined(math, math_latex(part) if type(part) is Formula else latex(part))
    if math:
        out.append(rf"\ensuremath{{{math}}}")
    return "".join(out)


def _bytecode_cache():
    """Jinja's cache of compiled templates in its own per-user folder under the system temp
    folder (mode 0700, checked by Jinja), or None where that folder cannot be made.

    Compiling the 13 templates takes 0.07-0.09 s of CPU, paid by every command that renders
    LaTeX; loading them compiled takes 0.003 s.
    An entry is keyed by the template's name and source checksum, so an edited template
    is compiled afresh.  A cache that cannot be written is only slower, never an error.
    """
    import jinja2

    class Cache(jinja2.FileSystemBytecodeCache):
        def dump_bytecode(self, bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    try:
        return Cache()
    except (OSError, RuntimeError):  # no safe folder of our own in the temp folder
        return None


def relation_latex(rel: Relation, precision: Precision, *, printed: tuple[str, ...] | None = None) -> list[str]:
    """Rows of an align* block: `lhs &= f1`, `&= f2`, `&\\approx d` (one row when short).

    `printed`: the forms' LaTeX when the caller has it already.
    """
    forms = rel.forms
    lhs = rel.lhs
    lhs = latex(lhs) if lhs is not None else ""
    if printed is None and len(forms) == 1:  # most relations: nothing to compare
        parts = ["= " + latex(forms[0])]
    else:  # `_distinct`, inline: a form that prints like the one before it is dropped
        parts, before = [], None
        for text in printed if printed is not None else map(latex, forms):
            if text != before:
                parts.append("= " + text)
                before = text
    last = forms[-1]
    if rel.approx and not is_exactly_shown(last, precision):
        shown = _approx_latex(last, precision)
        if shown is not None:
            parts.append(r"\approx " + shown)
    if len(forms) == 1:
        one_row = True
    else:  # (a part shows at most as many characters as its source has)
        length = sum(map(len, parts))
        one_row = (length <= SHORT_RELATION_LATEX and not rel.stacked
                   and (length <= SHORT_RELATION_VISIBLE or sum(map(visible_length, parts)) <= SHORT_RELATION_VISIBLE))
    if max(map(len, parts)) > LONG_FORM:  # the source's length first: most forms are short
        rows_of = _broken(parts)
        if rows_of is not None:
            parts, one_row = rows_of, False
    if one_row:
        rows = [f"{lhs} &" + " ".join(parts)]
    else:
        rows = [f"{lhs if i == 0 else ''} &{part}" for i, part in enumerate(parts)]
    if rel.note:
        _add_note(rows, rel.note)
    return rows


def _broken(parts: list[str]) -> list[str] | None:
    """The parts (`= form`, `\\approx d`) with each long sum cut over rows (`\\quad + t` under
    its first row), or None when none is: dropout's ten-unit dot product ran 225 pt past the
    line.  (`break_sum` tells a long sum from the vectors and fractions most long parts are.)"""
    out = []
    for part in parts:
        relation, _, form = part.partition(" ")
        first, *more = break_sum(form)
        if more:
            out.append(f"{relation} {first}")
            out.extend(rf"\quad {row}" for row in more)
        else:
            out.append(part)
    return out if len(out) > len(parts) else None


def _add_note(rows: list[str], note: str) -> None:
    """The note beside the rows (`&& \\text{...}`); a long one one clause a row: model-size's
    "in_features = Linear3.out_features; out_features = num_classes" on one row widened its
    block 62 pt past the line (the notes are a column as wide as the widest)."""
    clauses = _note_clauses(note)
    last = len(clauses) - 1
    for i, clause in enumerate(clauses):
        text = rf" && \text{{{clause}{';' if i < last else ''}}}"
        if i < len(rows):
            rows[i] += text
        else:
            rows.append(" &" + text)


def _note_clauses(note: str) -> list[str]:
    """A note's LaTeX, cut into its clauses ("a; b") when it is long; a `Prose` note is cut
    only in its text, never inside a formula."""
    if type(note) is not Prose:
        return [_escape_cached(clause) for clause in (note.split("; ") if len(note) > LONG_NOTE else (note,))]
    if len(note) <= LONG_NOTE:
        return [_prose_latex(note.parts)]
    clauses, current = [], []
    for part in note.parts:
        if type(part) is str and "; " in part:
            first, *more = part.split("; ")
            current.append(first)
            for piece in more:
                clauses.append(current)
                current = [piece]
        else:
            current.append(part)
    clauses.append(current)
    return [_prose_latex(clause) for clause in clauses]


# Rows of recent relations, by identity: kinds keep some relations across variants (dropout's
# expectations are the same objects in every variant, model-size's layer relations are kept by
# their sizes), so about 30 of a variant's ~105 relations were rendered before (measured: a
# fifth of the time relation_latex took).  Relations and precisions are immutable; an entry
# holds both, so an id cannot be reused while it is kept.
_ROWS: dict = {}
ROWS_KEPT = 4096


def _relation_rows(rel: Relation, precision: Precision) -> list[str]:
    """`relation_latex`, kept for the relation object (callers only read the list)."""
    hit = _ROWS.get(id(rel))
    if hit is not None and hit[0] is rel and hit[1] is precision:
        return hit[2]
    rows = relation_latex(rel, precision)
    keep(_ROWS, id(rel), (rel, precision, rows), ROWS_KEPT)
    return rows


def _approx_latex(form, precision: Precision) -> str | None:
    """The LaTeX of the decimals shown after ≈ (None: not a number): what `latex` prints
    for `approx_display(form)`.  Exact numbers, and vectors and matrices short enough to
    show whole, have their decimals printed here, not through a `Dec` for each entry: the
    ≈ rows were ~10 % of rendering a variant."""
    kind = type(form)
    if kind is Fraction or kind is int or kind is Surd:
        return _exact_decimal(form, precision)
    if kind is Vec and len(form.items) <= ELIDE_AFTER:
        return vector_latex(decimal_entries(form.items, precision))
    if kind is Mat and _shown_whole(form.rows):
        return matrix_latex([decimal_entries(row, precision) for row in form.rows])
    shown = approx_display(form, precision)
    return None if shown is None else latex(shown)


def _shown_whole(rows) -> bool:
    """Whether `latex` prints every entry of a matrix with these rows (none elided)."""
    return (type(rows) is tuple and len(rows) <= ELIDE_AFTER
            and all(type(row) is tuple and len(row) <= ELIDE_AFTER for row in rows))


def _checks(sol: Solution) -> list[str]:
    """One line per check, naming the result it compared by its symbol ($\\sigma^2_{\\mathrm{run}}$,
    not running_var: the document never defines the JSON names)."""
    symbols = {r.name: r.symbol for r in sol.results}
    out = []
    for c in sol.checks:
        what = _escape_cached(c.detail)
        if c.result:
            symbol = symbols.get(c.result)
            what += f", ${latex(symbol)}$" if symbol is not None else ", " + _escape_cached(c.result)
        err = "" if c.max_abs_error is None else f": max $|\\text{{error}}|$ = {c.max_abs_error:.1e}"
        verdict = "agrees" if c.ok else r"\textbf{disagrees}"
        note = f" ({_escape_cached(c.note)})" if c.note else ""
        out.append(f"{what}{err} --- {verdict}{note}")
    return out


class _Lazy:
    """A list built on first use: a template that never shows it never pays for it.

    A statement shows only the params, and a worksheet's solution box leaves out the
    results; the rows of the steps are most of the rendering time.
    """

    __slots__ = ("_make", "_items")

    def __init__(self, make):
        self._make, self._items = make, None

    def _get(self) -> list:
        if self._items is None:
            self._items = self._make()
        return self._items

    def __iter__(self):
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __getitem__(self, i):
        return self._get()[i]


class _ParamsLatex:
    """The params as LaTeX, each rendered when a template first asks for it (`params.X`):
    statements show a few of them, and some params are long.  Attributes, not dict keys:
    Jinja tries attributes first, and a failed one costs an exception."""

    def __init__(self, params):
        self._params = params

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._params, name)  # AttributeError: StrictUndefined reports it
        text = latex(display(value)) if not isinstance(value, str) else escape_latex(value)
        setattr(self, name, text)
        return text


def solution_context(sol: Solution, precision: Precision) -> dict:
    """Everything a template needs, as ready LaTeX strings (steps, results, checks on demand)."""
    return _context(sol, precision, get_kind(sol.kind))


def _context(sol: Solution, precision: Precision, kind) -> dict:
    return {
        "title": kind.title,
        "kind": sol.kind,
        "p": sol.params,
        "params": _ParamsLatex(sol.params),
        "definition": definition_latex(sol.definition) if sol.definition is not None else None,
        "steps": _Lazy(lambda: [_step(s, precision) for s in sol.steps]),
        "results": _Lazy(lambda: [
            SimpleNamespace(name=r.name, description=r.description,
                            rows=relation_latex(Relation(r.symbol, (display(r.value),)), precision))
            for r in sol.results if r.shown
        ]),
        "conventions": list(sol.conventions),
        "notes": list(sol.notes),
        "checks": _Lazy(lambda: _checks(sol)),
        # raw exact result values by name, for templates that draw plots (pgfplots coordinates)
        "values": {r.name: r.value for r in sol.results},
    }


def _step(step, precision: Precision) -> SimpleNamespace:
    """A step's title, explanation, the rows of its align* block, and `align`: those rows
    joined (`\\\\` and a newline), once here rather than by a Jinja filter in each render;
    `need`, the lines to keep free for a tall step (0 for most)."""
    rows = [row for rel in step.relations for row in _relation_rows(rel, precision)]
    align = " \\\\\n".join(rows)
    return SimpleNamespace(title=step.title, explanation=step.explanation, rows=rows, align=align,
                           need=_lines_needed(step.explanation, rows))


# A step whose first row is a tall matrix asks for room for it on its page (\needspace).
# Rows may break across pages (\allowdisplaybreaks) but a row may not, nor may the line before
# a display leave it: inside a solution's shaded box TeX set the ℓ₂ step's 12-row logistic
# table past the foot of the page (Overfull \vbox, 68 pt) rather than start it on the next.
TALL_ROW_LINES = 6  # matrix rows in a step's first row from which it asks
MOST_STEP_LINES = 40  # a page holds ~50: more cannot be helped by starting a page
_TEXT_LINE = 90  # characters of explanation per line, roughly (the solution box's \small text)


def _lines_needed(explanation: str | None, rows: list[str]) -> int:
    """Lines to keep free before a step whose first row is a tall matrix (heading,
    explanation, the matrix's rows, one with a fraction counted twice), else 0."""
    if not rows or rows[0].count("\\\\") + 1 < TALL_ROW_LINES:
        return 0
    lines = 2 + (len(explanation) // _TEXT_LINE + 1 if explanation else 0)
    lines += sum(2 if "\\frac" in line else 1 for line in rows[0].split("\\\\"))
    return min(lines, MOST_STEP_LINES)


def _kind_template(kind) -> str:
    return f"kinds/{kind.template}" if kind.template else "solution_body.tex.j2"


def render_latex_fragment(sol: Solution, precision: Precision = Precision(),
                          *, show_statement: bool = True, show_solution: bool = True,
                          worksheet: bool = False) -> str:
    """The problem statement and its worked solution, without a document preamble.

    `worksheet=True` when the fragment goes into a worksheet document (derive.documents),
    whose own numbered parts ask the questions and whose solution boxes carry their own
    heading: templates can test `worksheet` to leave out a list of sub-questions.
    """
    def make() -> str:
        kind = get_kind(sol.kind)
        ctx = _context(sol, precision, kind)
        ctx.update(show_statement=show_statement, show_solution=show_solution, worksheet=worksheet)
        return environment().get_template(_kind_template(kind)).render(ctx)

    return _FRAGMENTS.get(sol, make, precision, show_statement, show_solution, worksheet)


# Rendered fragments of recent solutions.  A worksheet prints one problem's statement in
# each of its documents, and a problem kept fixed in randomized variants is the same
# Solution object in every variant; solutions are immutable, so its LaTeX is too.
_FRAGMENTS = KeptByIdentity(64)


def render_latex(sol: Solution, precision: Precision = Precision(), *, standalone: bool = True) -> str:
    body = render_latex_fragment(sol, precision)
    if not standalone:
        return body
    return environment().get_template("document.tex.j2").render(
        title=get_title(sol), body=body, subtitle="Worked solution")


def get_title(sol: Solution) -> str:
    return get_kind(sol.kind).title
