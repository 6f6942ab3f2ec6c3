"""Moodle XML export: structure as Moodle's importer reads it (qformat_xml), values, tolerances."""

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
import sympy

from derive.moodle import latex_to_html, moodle_xml, text_html
from derive.worksheet import load_worksheet, parse_text, parse_worksheet, solve_worksheet

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "normalization-regularization.toml"

# The elements Moodle's XML importer (question/format/xml/format.php: import_headers,
# import_numerical, import_multianswer, import_essay, import_multichoice, import_category)
# reads, per question type.
COMMON = {"name", "questiontext", "generalfeedback", "defaultgrade", "penalty", "hidden", "idnumber",
          "hint", "tags"}
ALLOWED = {
    "category": {"category", "info", "idnumber"},
    "numerical": COMMON | {"answer", "units", "unitgradingtype", "unitpenalty", "showunits", "unitsleft",
                           "instructions"},
    "cloze": {"name", "questiontext", "generalfeedback", "penalty", "hidden", "idnumber", "hint", "tags"},
    "essay": COMMON | {"responseformat", "responserequired", "responsefieldlines", "attachments",
                       "attachmentsrequired", "graderinfo", "responsetemplate"},
    "multichoice": COMMON | {"single", "shuffleanswers", "answernumbering", "showstandardinstruction",
                             "correctfeedback", "partiallycorrectfeedback", "incorrectfeedback",
                             "shownumcorrect", "answer"},
}
TEXT_FIELDS = {"questiontext", "generalfeedback", "graderinfo", "responsetemplate", "correctfeedback",
               "partiallycorrectfeedback", "incorrectfeedback", "feedback"}
FORMATS = {"html", "moodle_auto_format", "plain_text", "markdown", "wiki_like"}
# qtype_multianswer's subquestion syntax, as far as NUMERICAL goes: {weight:NUMERICAL:=answer:tolerance}
CLOZE = re.compile(r"\{(\d*):(?:NUMERICAL|NM):=(-?\d+(?:\.\d+)?):(\d+(?:\.\d+)?)\}")


@pytest.fixture(scope="module")
def solved():
    return solve_worksheet(load_worksheet(SEED), checks="none")


@pytest.fixture(scope="module")
def quiz(solved):
    return ET.fromstring(moodle_xml(solved))


def questions(root, qtype=None):
    return [q for q in root.findall("question") if qtype is None or q.get("type") == qtype]


def name(q) -> str:
    return q.findtext("name/text")


def check_structure(root):
    assert root.tag == "quiz"
    assert all(child.tag == "question" for child in root)
    first = root[0]
    assert first.get("type") == "category" and first.findtext("category/text").startswith("$course$/top/")
    for q in root:
        qtype = q.get("type")
        assert qtype in ALLOWED, qtype
        tags = {child.tag for child in q}
        assert tags <= ALLOWED[qtype], (qtype, tags - ALLOWED[qtype])
        if qtype == "category":
            continue
        assert name(q) and q.find("questiontext/text") is not None
        for el in q.iter():
            if el.tag in TEXT_FIELDS:
                assert el.get("format") in FORMATS and el.find("text") is not None, el.tag
        if qtype == "numerical":
            answers = q.findall("answer")
            assert answers and any(a.get("fraction") == "100" for a in answers)
            for a in answers:
                float(a.findtext("text"))
                assert Decimal(a.findtext("tolerance")) >= 0
            assert Decimal(q.findtext("defaultgrade")) > 0
        elif qtype == "cloze":
            assert q.find("defaultgrade") is None  # Moodle derives it from the blanks' weights
            assert CLOZE.search(q.findtext("questiontext/text"))
        elif qtype == "multichoice":
            fractions = [a.get("fraction") for a in q.findall("answer")]
            assert fractions.count("100") == 1 and set(fractions) <= {"0", "100"}
            assert q.findtext("single") == "true"
        elif qtype == "essay":
            assert q.findtext("responseformat") == "editor" and q.find("graderinfo/text") is not None


def test_seed_export_matches_moodles_importer(quiz):
    check_structure(quiz)
    types = [q.get("type") for q in questions(quiz)]
    assert types.count("essay") == 9 and types.count("multichoice") == 2
    assert "numerical" in types and "cloze" in types


def test_layernorm_matrix_is_one_cloze_question_with_exact_values(quiz):
    (q,) = [q for q in questions(quiz, "cloze") if name(q).startswith("2a ")]
    blanks = CLOZE.findall(q.findtext("questiontext/text"))
    assert len(blanks) == 12
    s3 = sympy.sqrt(3)
    exact = [-1, -3, 4, 4, -1, sympy.Rational(-5, 3), 0, sympy.Rational(20, 3),
             -s3 / 3, -1 - 2 * s3 / 3, 1 - s3, 4 * s3]
    for (weight, value, tolerance), x in zip(blanks, exact):
        assert weight == "1" and tolerance == "0.005"  # half a unit in the 2nd decimal
        assert abs(sympy.Rational(value) - x) < sympy.Rational(1, 10**11)
    html = q.findtext("questiontext/text")
    assert "<table" in html and r"\(\mathrm{LayerNorm}(X)\)" in html
    assert "\\begin{bmatrix}4 &amp; 4" in html  # the data, as MathJax math inside HTML


def test_scalars_are_numerical_questions(quiz):
    by_name = {name(q): q for q in questions(quiz, "numerical")}
    drop = by_name["4b Dropout"]
    assert drop.findtext("answer/text") == "32" and drop.findtext("answer/tolerance") == "0.005"
    assert drop.findtext("defaultgrade") == "2"
    c = by_name["1d Model Size"]
    assert c.findtext("answer/text") == "66756"
    assert "Each Linear layer" in c.findtext("generalfeedback/text")  # the part's commentary


def test_written_parts(quiz):
    essays = {name(q): q for q in questions(quiz, "essay")}
    assert "LayerNorm computes its mean" in essays["2b Layer Normalization"].findtext("graderinfo/text")
    (big,) = [q for q in questions(quiz, "multichoice") if name(q).startswith("5a ")]
    answers = big.findall("answer")
    assert [a.get("fraction") for a in answers] == ["100", "0", "0", "0"]
    assert answers[0].findtext("text") == r"<p>\(\theta = 0\)</p>"


def test_one_question_per_entry(solved):
    root = ET.fromstring(moodle_xml(solved, matrices="entries"))
    check_structure(root)
    assert not questions(root, "cloze")
    ln = [q for q in questions(root, "numerical") if name(q).startswith("2a ")]
    assert len(ln) == 12 and name(ln[11]).endswith("(row 3, column 4)")
    assert sum(Decimal(q.findtext("defaultgrade")) for q in ln) == pytest.approx(6)
    assert ln[11].findtext("answer/text") == "6.928203230276"  # 4√3, rounded once


def test_tolerance_modes():
    ws = parse_worksheet('''
title = "T"
[[problems]]
kind = "layernorm"
params = { X = [[1, 1, 1, 5]] }
tolerance = { mode = "relative", rtol = 0.01 }
[[problems.parts]]
[[problems]]
kind = "dropout"
params = { x = [2, 6], p = 0.5, dropped = [0] }
[[problems.parts]]
results = "y_corr"
tolerance = { mode = "decimals", digits = 1, last_place_slack = true }
''')
    root = ET.fromstring(moodle_xml(solve_worksheet(ws, checks="none")))
    check_structure(root)
    blanks = CLOZE.findall(questions(root, "cloze")[0].findtext("questiontext/text"))
    # relative: max(rtol·|x|, atol) with |x| = √3/3 and √3
    assert [Decimal(t) for _, _, t in blanks][3] == Decimal("0.017320508076")
    assert blanks[0][2] == "0.005773502692"
    (num,) = questions(root, "numerical")
    assert num.findtext("answer/text") == "12" and num.findtext("answer/tolerance") == "0.15"


def test_user_text_is_escaped_html():
    assert text_html(parse_text("<script>alert(1)</script> & $x < y$", "q")) == \
        r"<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; \(x &lt; y\)</p>"
    assert latex_to_html(r"A \emph{b} ``c'' --- $x$ \[ y \]") == r"<p>A <em>b</em> “c” — \(x\) \[y\]</p>"


def test_escaped_prose_reads_as_the_characters_it_escapes(quiz):
    """The model-size statement showed "{[}4, 52{]}" and "num\\_classes" in Moodle: its prose went
    through escape_latex for pdflatex, and the HTML kept the escapes."""
    assert (latex_to_html(r"shape {[}4, 52{]} and \texttt{num\_classes}~$= 20$, a\&b \textminus{}1")
            == "<p>shape [4, 52] and <code>num_classes</code>\u00a0\\(= 20\\), a&amp;b \u22121</p>")
    texts = " ".join(q.findtext("questiontext/text") or "" for q in questions(quiz))
    assert "shape [4, 52] (batch first), and <code>num_classes</code>" in texts
    assert "{[}" not in texts and "num\\_" not in texts and "\\textminus" not in texts
