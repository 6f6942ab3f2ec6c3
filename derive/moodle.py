"""Moodle XML export of a solved worksheet: what Moodle's question-bank importer reads.

The element names and question types are those of Moodle's own importer
(``question/format/xml/format.php``, `qformat_xml`):

- a computed scalar answer → a ``numerical`` question (``<answer fraction="100">``
  with ``<text>`` and an absolute ``<tolerance>``);
- a vector or matrix → one ``cloze`` (multianswer) question with an embedded
  ``{1:NUMERICAL:=value:tolerance}`` blank per entry, laid out as the matrix
  (``matrices = "cloze"``, the default), or one ``numerical`` question per entry
  (``matrices = "entries"``);
- a free-text part → an ``essay`` question whose ``<graderinfo>`` is the model answer;
- a multiple-choice part → a ``multichoice`` question (one right answer).

Answers are the exact values rounded once to 12 decimals.  The tolerance is absolute,
as Moodle's numerical questions need: half a unit in the last shown decimal by default
(the worksheet's precision, or the part's ``tolerance`` table: ``decimals``/``sigfigs``
digits; ``relative`` becomes max(rtol·|exact|, atol) per entry, computed exactly).
Text is HTML; math is ``\\(...\\)`` / ``\\[...\\]`` for Moodle's MathJax filter.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from fractions import Fraction

from .model import Precision
from .nested import indexed_entries, value_shape
from .render.escape import TEXT_ESCAPES
from .worksheet import Part, SolvedProblem, SolvedWorksheet, Text

__all__ = ["moodle_xml", "text_html", "latex_to_html", "QUESTION_TYPES", "ANSWER_DECIMALS"]

QUESTION_TYPES = ("category", "numerical", "cloze", "essay", "multichoice")
ANSWER_DECIMALS = 12


# ---------------------------------------------------------------------------------
# Text as HTML.

def text_html(text: Text) -> str:
    """User text as HTML paragraphs: prose escaped, math in MathJax delimiters."""
    def escaped(template: str):
        return lambda s: html.escape(template.format(s), quote=False)

    paragraphs = text.rendered(escaped("{}"), escaped("\\({}\\)"), escaped("\\[{}\\]"))
    return "".join(f"<p>{p}</p>" for p in paragraphs)


_TEXT_COMMANDS = {
    r"\emph": "em", r"\textit": "em", r"\textbf": "strong", r"\texttt": "code",
}

# What `escape_latex` writes for a character in running text ({[}, \_, \textminus{}), HTML-
# escaped as the prose is when they are met, back to the character: the statements' prose
# comes through the `e` filter (a shape "{[}4, 52{]}", "num\_classes" printed as such).
_UNESCAPED = {html.escape(tex, quote=False): html.escape(ch, quote=False)
              for ch, tex in TEXT_ESCAPES.items() if tex[:1] in ("\\", "{") and tex != r"\,"}
_UNESCAPE = re.compile("|".join(map(re.escape, sorted(_UNESCAPED, key=len, reverse=True))))


def latex_to_html(tex: str) -> str:
    """A kind's LaTeX statement (prose with $math$ and \\[display\\]) as HTML for MathJax.

    Statements are written by the project's templates, not by users, and use a small
    vocabulary: inline and display math, \\emph, quotes, dashes, enumerate lists.
    Math is kept verbatim for MathJax; the prose around it is HTML-escaped.
    """
    out = []
    pos = 0
    pattern = re.compile(r"\$(.+?)\$|\\\[(.+?)\\\]", re.S)
    for m in pattern.finditer(tex):
        out.append(_prose_html(tex[pos:m.start()]))
        if m.group(1) is not None:
            out.append(html.escape(f"\\({m.group(1)}\\)", quote=False))
        else:
            out.append(html.escape(f"\\[{m.group(2).strip()}\\]", quote=False))
        pos = m.end()
    out.append(_prose_html(tex[pos:]))
    body = "".join(out).strip()
    return f"<p>{body}</p>" if body else ""


def _prose_html(s: str) -> str:
    s = html.escape(s, quote=False)
    s = s.replace("``", "\u201c").replace("''", "\u201d").replace("---", "\u2014").replace("--", "\u2013")
    s = s.replace("~", "\u00a0")
    for cmd, tag in _TEXT_COMMANDS.items():
        s = re.sub(re.escape(cmd) + r"\{([^{}]*)\}", rf"<{tag}>\1</{tag}>", s)
    s = re.sub(r"\\begin\{(?:enumerate|itemize)\}(\[[^\]]*\])?", "<ol>", s)
    s = re.sub(r"\\end\{(?:enumerate|itemize)\}", "</ol>", s)
    s = re.sub(r"\\item\s*", "<li>", s)
    s = re.sub(r"\n\s*\n|\\par\b", "</p><p>", s)
    s = s.replace("\\\\", "<br>")
    return _UNESCAPE.sub(lambda m: _UNESCAPED[m.group()], s)


# ---------------------------------------------------------------------------------
# Numbers.

def _is_number(x) -> bool:
    from .documents import is_numeric_value

    return not isinstance(x, tuple) and is_numeric_value(x)




def _numeric(value) -> bool:
    from .documents import is_numeric_value

    return is_numeric_value(value)


def _decimal(x, places: int = ANSWER_DECIMALS) -> str:
    """The exact value rounded once to `places` decimals, trailing zeros dropped."""
    from .render.values import decimal_strings

    s = decimal_strings(x, Precision(decimals=places))
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _fraction_text(q: Fraction) -> str:
    d = Decimal(q.numerator) / Decimal(q.denominator)
    s = format(d.normalize(), "f")
    return s


def _places(x, precision: Precision) -> int:
    """Decimal places of the last digit shown for x: fixed, or from its magnitude (sigfigs)."""
    if precision.sigfigs is None:
        return precision.decimals
    digits = _decimal(x, 40).lstrip("-")
    whole, _, frac = digits.partition(".")
    if whole.strip("0"):
        magnitude = len(whole.lstrip("0")) - 1           # 10^magnitude ≤ |x|
    elif frac.strip("0"):
        magnitude = -(len(frac) - len(frac.lstrip("0")) + 1)
    else:
        return precision.decimals                        # x = 0
    return precision.sigfigs - 1 - magnitude


def _tolerance(x, part: Part, ws, precision: Precision) -> str:
    """Moodle's absolute tolerance for one exact value: half a unit in the last place."""
    tol = part.tolerance or ws.tolerance
    if tol is None or tol.mode == "implied":
        return _fraction_text(Fraction(1, 2) / Fraction(10) ** _places(x, precision))
    if tol.mode == "exact":
        return "0"
    if tol.mode in ("decimals", "sigfigs"):
        p = Precision(decimals=tol.digits) if tol.mode == "decimals" else Precision(sigfigs=tol.digits)
        half = Fraction(3 if tol.last_place_slack else 1, 2)
        return _fraction_text(half / Fraction(10) ** _places(x, p))
    # relative: max(rtol·|x|, atol), |x| from its exact value rounded far below rtol's scale
    magnitude = abs(Fraction(Decimal(_decimal(x, 30))))
    bound = max(tol.rtol * magnitude, tol.atol)
    return _fraction_text(Fraction(Decimal(_decimal(bound, ANSWER_DECIMALS))))


# ---------------------------------------------------------------------------------
# XML.

def _text_el(parent, tag: str, content: str, fmt: str | None = "html") -> ET.Element:
    el = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(el, "text").text = content
    return el


def _question(quiz, qtype: str, name: str, text_html_: str, *, grade=None, penalty=None,
              feedback: str = "") -> ET.Element:
    q = ET.SubElement(quiz, "question", {"type": qtype})
    ET.SubElement(ET.SubElement(q, "name"), "text").text = name
    _text_el(q, "questiontext", text_html_)
    _text_el(q, "generalfeedback", feedback)
    if grade is not None:
        ET.SubElement(q, "defaultgrade").text = grade
    ET.SubElement(q, "penalty").text = penalty
    ET.SubElement(q, "hidden").text = "0"
    return q


def _grade(points: Fraction) -> str:
    return _fraction_text(points) if (points * 10**7).denominator == 1 else f"{float(points):.7f}"


def _numerical(quiz, name, text, answer: str, tolerance: str, grade: str, penalty: str, feedback=""):
    q = _question(quiz, "numerical", name, text, grade=grade, penalty=penalty, feedback=feedback)
    a = ET.SubElement(q, "answer", {"fraction": "100", "format": "moodle_auto_format"})
    ET.SubElement(a, "text").text = answer
    _text_el(a, "feedback", "")
    ET.SubElement(a, "tolerance").text = tolerance
    ET.SubElement(q, "unitgradingtype").text = "0"
    ET.SubElement(q, "unitpenalty").text = "0.1000000"
    ET.SubElement(q, "showunits").text = "3"
    ET.SubElement(q, "unitsleft").text = "0"
    return q


def _entry_name(index: tuple[int, ...]) -> str:
    if len(index) == 1:
        return f"entry {index[0] + 1}"
    return f"row {index[0] + 1}, column {index[1] + 1}"




def _cloze_blank(x, part, ws, precision) -> str:
    if not _is_number(x):
        return "<em>undefined</em>"
    return f"{{1:NUMERICAL:={_decimal(x)}:{_tolerance(x, part, ws, precision)}}}"


def _cloze_layout(value, part, ws, precision) -> str:
    shape = value_shape(value)
    if len(shape) == 1:
        cells = "".join(f"<td>{_cloze_blank(x, part, ws, precision)}</td>" for x in value)
        return f"<table class=\"derive-vector\"><tr>{cells}</tr></table>"
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cloze_blank(x, part, ws, precision)}</td>" for x in row) + "</tr>"
        for row in value)
    return f"<table class=\"derive-matrix\">{rows}</table>"


def _problem_html(sp: SolvedProblem, precision: Precision, statements: dict) -> str:
    from .render.latex import render_latex_fragment

    problem = sp.problem
    out = text_html(problem.intro) if problem.intro else ""
    if problem.statement and sp.solution is not None:
        key = problem.number
        if key not in statements:
            statements[key] = latex_to_html(render_latex_fragment(
                sp.solution, precision, show_statement=True, show_solution=False, worksheet=True))
        out += statements[key]
    return out


def moodle_xml(solved: SolvedWorksheet, precision: Precision | None = None, *,
               matrices: str | None = None, category: str | None = None) -> str:
    """The worksheet as a Moodle XML question file (UTF-8 text)."""
    from .documents import text_plain
    from .render.printers import latex

    ws = solved.worksheet
    precision = precision or ws.precision
    settings = {"matrices": "cloze", "category": "", "penalty": Fraction(1, 3), **ws.moodle}
    matrices = matrices or settings["matrices"]
    if matrices not in ("cloze", "entries"):
        from .errors import InputError

        raise InputError("matrices", f"must be cloze or entries, got {matrices!r}")
    category = category or settings["category"] or text_plain(ws.title) or "derive worksheet"
    penalty = f"{float(settings['penalty']):.7f}"

    quiz = ET.Element("quiz")
    cat = ET.SubElement(quiz, "question", {"type": "category"})
    ET.SubElement(ET.SubElement(cat, "category"), "text").text = f"$course$/top/{category}"
    statements: dict = {}
    for sp in solved.problems:
        problem = sp.problem
        context = _problem_html(sp, precision, statements)
        for part in problem.parts:
            label = problem.label(part)
            title = f"{label} {text_plain(problem.title)}"
            question = context + (text_html(part.question) if part.question else "")
            results = [r for r in sp.results_of(part) if _numeric(r.value)]
            if part.type == "text" or (part.type == "computed" and not results):
                # Words, or computed answers that are not numbers (layer names, shapes):
                # an essay, with the model answer for the grader.
                info = text_html(part.answer) if part.answer else ""
                if part.type == "computed":
                    info = _answers_html(sp.results_of(part), precision) + info
                _essay(quiz, title, question, _grade(part.points), info)
            elif part.type == "choice":
                q = _question(quiz, "multichoice", title, question, grade=_grade(part.points),
                              penalty=penalty, feedback=text_html(part.answer) if part.answer else "")
                ET.SubElement(q, "single").text = "true"
                ET.SubElement(q, "shuffleanswers").text = "false"  # questions may refer to (a), (b)
                ET.SubElement(q, "answernumbering").text = "abc"
                ET.SubElement(q, "showstandardinstruction").text = "0"
                for fb in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
                    _text_el(q, fb, "")
                for i, choice in enumerate(part.choices):
                    a = ET.SubElement(q, "answer", {"fraction": "100" if i == part.correct else "0",
                                                    "format": "html"})
                    ET.SubElement(a, "text").text = text_html(choice)
                    _text_el(a, "feedback", "")
            else:
                feedback = text_html(part.answer) if part.answer else ""
                share = part.points / max(1, sum(_count(r.value) for r in results))
                for r in results:
                    symbol = html.escape(f"\\({latex(r.symbol)}\\)", quote=False)
                    name = title if len(results) == 1 else f"{title}: {r.name}"
                    if value_shape(r.value) == ():
                        _numerical(quiz, name, question + f"<p>{symbol} = ?</p>", _decimal(r.value),
                                   _tolerance(r.value, part, ws, precision), _grade(part.points / len(results)),
                                   penalty, feedback)
                    elif matrices == "cloze":
                        body = question + f"<p>{symbol} =</p>" + _cloze_layout(r.value, part, ws, precision)
                        _question(quiz, "cloze", name, body, penalty=penalty, feedback=feedback)
                    else:
                        for index, x in indexed_entries(r.value):
                            if not _is_number(x):
                                continue
                            where = _entry_name(index)
                            _numerical(quiz, f"{name} ({where})", question + f"<p>{symbol}: {where}?</p>",
                                       _decimal(x), _tolerance(x, part, ws, precision), _grade(share), penalty,
                                       feedback)
    ET.indent(quiz, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


def _essay(quiz, title: str, question: str, grade: str, graderinfo: str) -> ET.Element:
    q = _question(quiz, "essay", title, question, grade=grade, penalty="0")
    ET.SubElement(q, "responseformat").text = "editor"
    ET.SubElement(q, "responserequired").text = "1"
    ET.SubElement(q, "responsefieldlines").text = "10"
    ET.SubElement(q, "attachments").text = "0"
    ET.SubElement(q, "attachmentsrequired").text = "0"
    _text_el(q, "graderinfo", graderinfo)
    _text_el(q, "responsetemplate", "")
    return q


def _answers_html(results, precision: Precision) -> str:
    """The part's answers as one MathJax display, as the solutions print them."""
    from .documents import answer_rows

    rows = [row for r in results for row in answer_rows(r, precision)]
    return html.escape("\\[\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}\\]", quote=False)


def _count(value) -> int:
    return sum(1 for _, x in indexed_entries(value) if _is_number(x)) if isinstance(value, tuple) else 1
