"""Worksheet documents: LaTeX sources, key.json (read back by derive grade), PDFs, escaping."""

import json
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from derive.documents import build_documents, key_dict, text_latex, write_documents
from derive.errors import RenderError
from derive.model import Precision
from derive.worksheet import load_worksheet, parse_text, parse_worksheet, solve_worksheet

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "normalization-regularization.toml"
PRINTED = ROOT / "examples" / "seed-printed.toml"

HOSTILE = r'''
title = "\\input{/etc/passwd} \\write18{touch pwned} 100% _x_ ^^5cinput"
course = "C&C {braces} #1 ~"
instructions = "\\catcode95=12 \\input{/etc/passwd}"
[[problems]]
title = "\\openin5=/etc/passwd \\read5 to \\x"
[[problems.parts]]
question = "\\def\\x{\\x}\\x ?"
answer = "\\immediate\\write18{id} $x^2$"
'''


@pytest.fixture(scope="module")
def solved():
    return solve_worksheet(load_worksheet(SEED), checks="numpy")


@pytest.fixture(scope="module")
def docs(solved):
    return build_documents(solved)


# -- LaTeX sources ------------------------------------------------------------------------
def test_three_documents_use_the_exam_class(docs):
    for tex in (docs.questions, docs.solutions, docs.key):
        assert tex.startswith(r"\documentclass[11pt,addpoints")
        assert "{exam}" in tex.splitlines()[0] and tex.rstrip().endswith(r"\end{document}")
        assert tex.count(r"\titledquestion") == 5
    assert ",answers]" not in docs.questions and ",answers]" in docs.solutions
    assert r"\gradetable" in docs.questions and "Name:" in docs.questions


def test_question_sheet_has_no_answers(docs):
    assert r"\begin{solution}" not in docs.questions
    assert "4 \\sqrt{3}" not in docs.questions and "Statistics" not in docs.questions
    assert r"\workspace{9cm}" in docs.questions  # the space asked for under 2(a)


def test_solutions_have_the_derivations_and_exact_values(docs):
    tex = docs.solutions
    assert tex.count(r"\begin{solution}") == 20
    assert r"4 \sqrt{3}" in tex and r"\frac{20}{3}" in tex and "6.93" in tex and "-2.15" in tex.replace("- ", "-")
    assert "Statistics" in tex and "Scale and shift" in tex
    # the worksheet's parts ask the questions: no duplicate "Solution" headings from the kinds
    assert r"\stephead{Solution}" not in tex


def test_student_documents_speak_of_the_mathematics_not_of_the_tool(docs):
    # Solutions go to students: no program names, command-line options or the seed's numbering
    # (a worksheet letters its parts its own way).
    for tex in (docs.questions, docs.solutions, docs.key):
        for phrase in ("derive supports", "SymPy computes", "seed's", "holdout", "X\\_test"):
            assert phrase not in tex, phrase


def test_one_glyph_for_epsilon_in_formulas_and_in_prose(docs):
    # The formulas write \epsilon (as the seed does); the prose "divide by √(σ² + ε)" beside
    # them printed \varepsilon, a second glyph for the same ε.
    assert r"\epsilon" in docs.solutions and r"divide by \ensuremath{\sqrt{\sigma^{2} + \epsilon}}" in docs.solutions
    assert r"\varepsilon" not in docs.solutions


def test_prose_writes_activations_and_powers_as_the_formulas_do(docs):
    # z₁₀ and z₁₁ with subscripts, as the rows beside them (the prose had z10 and z11), and
    # 2²⁰ as a power (a convention printed 2^20, which TeX shows with a literal caret).
    assert re.findall(r"\bz\d+\b", docs.solutions) == []
    assert r"z\ensuremath{_{10}}, the output of" in docs.solutions
    assert r"\textasciicircum" not in docs.solutions and r"1 MiB = 2\ensuremath{^{20}} bytes" in docs.solutions


def test_derivation_says_which_parts_it_answers(docs):
    assert "The worked solution below answers parts (a) and (c)--(e)." in docs.solutions  # model size
    assert "The worked solution below answers parts (a)--(c)." in docs.solutions  # dropout
    assert "From the worked solution in (a):" in docs.solutions


def test_key_is_compact(docs):
    assert r"\newpage" in docs.questions and r"\newpage" not in docs.key
    assert "Statistics" not in docs.key and r"\begin{solution}" not in docs.key
    assert r"4 \sqrt{3}" in docs.key and "(a) $\\theta = 0$" in docs.key


# -- key.json -----------------------------------------------------------------------------
def test_key_json_parts_and_answers(docs):
    key = json.loads(docs.key_text())
    assert key["schema"] == 1 and key["format"] == "derive-worksheet-key" and key["total_points"] == 45
    graded = {p["part"]: p for p in key["parts"]}
    written = {p["part"]: p for p in key["written_parts"]}
    assert set(graded) == {"1c", "1d", "1e", "2a", "3a", "4a", "4b", "4c", "5f"}
    assert set(written) == {"1a", "1b", "2b", "3b", "4d", "4e", "5a", "5b", "5c", "5d", "5e"}
    ln = graded["2a"]
    assert (ln["kind"], ln["result"], ln["points"], ln["label"]) == ("layernorm", "output", 6, "2a")
    assert ln["answer"]["exact"][2] == ["-sqrt(3)/3", "-1 - 2*sqrt(3)/3", "1 - sqrt(3)", "4*sqrt(3)"]
    assert ln["answer"]["decimal"][1] == ["-1", "-1.67", "0", "6.67"]
    assert ln["params"]["X"][1] == ["0", "2", "2", "8"]
    assert graded["4b"]["answer"]["exact"] == "32" and graded["1d"]["answer"]["exact"] == "66756"
    assert written["5a"]["correct"] == "a" and written["5b"]["correct"] == "d"
    assert written["2b"]["model_answer"].startswith("Yes.")
    assert written["1a"]["type"] == "computed"  # layer names and shapes are read by people
    assert graded["1c"]["result"] == "activations"  # the numeric one of Z(n) = 2212n and Z = 8848


def test_key_json_is_graded_by_derive_grade(docs, tmp_path):
    from derive.grading import grade, load_key, read_answers

    key = load_key(docs.key_text())
    csv = ("student,part,answer\n"
           'ann,2a,"[[-1,-3,4,4],[-1,-1.67,0,6.67],[-0.58,-2.15,-0.73,6.93]]"\n'
           'bob,2a,"[[-1,-3,4,4],[-1,-1.66,0.01,6.68],[-0.58,-2.16,-0.74,6.92]]"\n'
           "ann,4b,32\nbob,4b,8\nann,1d,66756\n")
    report = grade(key, read_answers(csv))
    status = {(r.student, r.part): r.status for r in report.rows}
    assert status == {("ann", "2a"): "correct", ("bob", "2a"): "wrong", ("ann", "4b"): "correct",
                      ("bob", "4b"): "wrong", ("ann", "1d"): "correct"}


def test_key_json_tolerance_and_params_round_trip():
    from derive.api import make_params

    ws = parse_worksheet('''
title = "T"
tolerance = { mode = "relative", rtol = 0.001 }
[[problems]]
kind = "batchnorm"
params = { X = [[2, 2], [2, 5], [5, 5]], gamma = ["5/3", 2], mode = "train" }
[[problems.parts]]
tolerance = { mode = "decimals", digits = 3 }
''')
    key = key_dict(solve_worksheet(ws, checks="none"))
    (part,) = key["parts"]
    assert part["tolerance"] == {"mode": "decimals", "digits": 3}
    params = make_params(part["kind"], **part["params"])
    assert params.gamma == (Fraction(5, 3), 2) and params == ws.problems[0].params


def test_precision_and_variant(solved):
    docs = build_documents(solved, Precision(decimals=4), variant="Variant 3")
    assert "6.9282" in docs.solutions and "Variant 3" in docs.questions
    assert docs.key_json["variant"] == "Variant 3" and docs.key_json["precision"]["decimals"] == 4


def test_erratum_notes_go_under_the_part(solved):
    docs = build_documents(solved, notes={"2a": ["The printed 6.68 should be 6.67."]})
    assert r"\textit{Note:} The printed 6.68 should be 6.67." in docs.solutions
    assert "6.68 should" not in docs.questions


# -- escaping -------------------------------------------------------------------------------
def test_user_text_is_escaped_in_every_document():
    ws = parse_worksheet(HOSTILE)
    docs = build_documents(solve_worksheet(ws))
    for tex in (docs.questions, docs.solutions, docs.key):
        body = tex.split(r"\begin{document}")[1]
        for command in (r"\input{", r"\write18{", r"\catcode", r"\openin", r"\read5", r"\def\x", r"\immediate", "^^5c"):
            assert command not in body
        assert r"\textbackslash{}input\{/etc/passwd\}" in body
    assert "$x^2$" in docs.solutions  # whitelisted math stays math
    assert r"C\&C \{braces\} \#1 \textasciitilde{}" in docs.questions


def test_text_latex_paragraphs_and_math():
    assert text_latex(parse_text("a_b $x_1$\n\n$$y$$", "t")) == "a\\_b $x_1$\n\\par\n\\[ y \\]"


# -- writing ---------------------------------------------------------------------------------
def test_without_pdflatex_the_tex_and_key_are_still_written(docs, tmp_path, monkeypatch):
    import derive.render.pdf as pdf

    monkeypatch.setattr(pdf, "pdflatex_available", lambda: False)
    written = write_documents(docs, tmp_path / "out")
    assert not written.pdf and "pdflatex not found" in written.message
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "key.json", "key.tex", "questions.tex", "solutions.tex"]


def test_questions_only_and_extra_files(docs, tmp_path):
    written = write_documents(docs, tmp_path / "q", pdf=False, solutions=False, extra={"note.txt": "hi"})
    assert sorted(written.files) == ["note.txt", "questions.tex"]
    assert sorted(p.name for p in (tmp_path / "q").iterdir()) == ["note.txt", "questions.tex"]


def test_a_latex_error_writes_nothing(tmp_path, require_tool):
    require_tool("pdflatex")
    small = build_documents(solve_worksheet(parse_worksheet(
        'title = "T"\n[[problems]]\ntitle = "W"\n[[problems.parts]]\nquestion = "Q"\nanswer = "A"')))
    broken = type(small)(small.questions.replace(r"\end{questions}", r"\undefinedcommand\end{questions}"),
                         small.solutions, small.key, small.key_json)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    with pytest.raises(RenderError, match="Undefined control sequence"):
        write_documents(broken, out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # staging removed


# -- PDFs (compiled once for the module) -------------------------------------------------------
def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          check=True, timeout=60).stdout.decode("utf-8")


@pytest.fixture(scope="module")
def seed_pdfs(tmp_path_factory):
    import shutil

    if shutil.which("pdflatex") is None:
        return None
    from derive.cli import main

    out = tmp_path_factory.mktemp("seed") / "out"
    assert main(["worksheet", str(SEED), "-o", str(out), "--compare", str(PRINTED)]) == 0
    return out


@pytest.mark.requires_tool("pdflatex", "pdftotext")
def test_seed_pdfs(seed_pdfs):
    names = sorted(p.name for p in seed_pdfs.iterdir())
    assert names == ["compare.json", "compare.txt", "key.json", "key.pdf", "key.tex", "questions.pdf",
                     "questions.tex", "solutions.pdf", "solutions.tex", "solutions.txt"]
    questions, solutions, key = (pdf_text(seed_pdfs / f"{n}.pdf") for n in ("questions", "solutions", "key"))
    assert "Name:" in questions and "Page 1 of" in questions and "Score" in questions
    assert "6.93" not in questions and "Solution." not in questions
    for text in (solutions, key):
        for value in ("6.93", "−2.15", "−0.73", "6.67", "−3.83", "5.01", "0.41", "0.20", "5.66", "66756", "8848"):
            assert value in text, value
        assert "√" in text  # exact surds are kept
    assert "Statistics" in solutions and "Statistics" not in key
    # the erratum from --compare is printed under 2(a)
    assert "printed version of this answer shows −1.66" in solutions.replace("-1.66", "−1.66") or \
           "printed version of this answer shows -1.66" in solutions


@pytest.mark.requires_tool("pdflatex", "pdftotext")
def test_hostile_title_is_printed_literally_never_run(tmp_path):
    from derive.render.pdf import compile_pdf

    docs = build_documents(solve_worksheet(parse_worksheet(HOSTILE)))
    (tmp_path / "q.pdf").write_bytes(compile_pdf(docs.questions))
    text = pdf_text(tmp_path / "q.pdf")
    assert r"\input{/etc/passwd}" in text and r"\write18{touch pwned}" in text
    assert "root:" not in text and not (tmp_path / "pwned").exists()


@pytest.mark.requires_tool("pdflatex", "pdftotext")
@pytest.mark.parametrize("name", ["questions", "solutions", "key"])
def test_aux_settles_after_one_pass_so_latexmk_runs_two(docs, tmp_path, name):
    """latexmk reruns pdflatex until the .aux stops changing.  exam.cls's points-per-page
    entries (switched off in base.tex.j2) only appeared from the second pass, which cost
    every PDF a third pass (~20 s of a combined 100-variant solutions document)."""
    import os
    import shutil

    from derive.render import pdf

    (tmp_path / "document.tex").write_text(getattr(docs, name), encoding="utf-8")
    env = {**os.environ, **pdf._ENV}
    command = [shutil.which("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
               "document.tex"]
    aux, logs = [], []
    for _ in range(2):
        subprocess.run(command, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                       check=True, timeout=120)
        aux.append((tmp_path / "document.aux").read_text(encoding="latin-1"))
        logs.append((tmp_path / "document.log").read_text(encoding="latin-1"))
    assert r"\PgInfo{" in aux[0] and r"\pointsonpage" not in aux[0]
    assert aux[1] == aux[0]
    assert "Rerun" in logs[0] and "Rerun" not in logs[1]
    pages = pdf_text(tmp_path / "document.pdf").split("\f")[:-1]  # pdftotext ends each page with \f
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    # Nothing runs into the margin: the l2 problem's prose ends a line with a long inline
    # formula (30 pt too wide until the preamble allowed \emergencystretch), the grade table's
    # five titles were 36 pt wider than the text (now scaled to fit), and model-size's C and Z
    # derivations 19 and 28 pt (until their notes stopped repeating the layer names).
    overfull = re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", logs[1])
    assert not overfull, f"{name}: lines too wide by {overfull} pt"
    # Nor past the foot of a page: the l2 step's 12-row logistic table, one unbreakable row of
    # its display, ran 68 pt into the footer of the solutions (until the step asked for room).
    too_high = re.findall(r"Overfull \\vbox \(([\d.]+)pt too high\)", logs[1])
    assert not too_high, f"{name}: pages too full by {too_high} pt"


@pytest.mark.requires_tool("pdflatex")
def test_a_wide_answer_is_scaled_to_the_line(tmp_path):
    """Seed 7's first variant answers LayerNorm and BatchNorm with a 3×4 matrix of surds next to
    its decimals, 20-33 pt wider than the key's lines in an align*; \\answerrows scales such an
    answer down to the line width."""
    import os
    import shutil

    from derive.generate import generate_variants
    from derive.render import pdf

    key = generate_variants(load_worksheet(SEED, require_params=False), 1, 7)[0].documents.key
    assert r"\mathrm{LayerNorm}(X) &= \begin{bmatrix}" in key and r"\sqrt{" in key
    (tmp_path / "key.tex").write_text(key, encoding="utf-8")
    subprocess.run([shutil.which("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                    "key.tex"], cwd=tmp_path, env={**os.environ, **pdf._ENV}, stdin=subprocess.DEVNULL,
                   capture_output=True, check=True, timeout=120)
    log = (tmp_path / "key.log").read_text(encoding="latin-1")
    assert "Overfull \\hbox" not in log


def test_key_json_text_is_the_key_with_one_part_per_line():
    from derive.key_json import key_json_text

    key = {"schema": 1, "title": "Quiz — ü", "precision": {"decimals": 2, "sigfigs": None},
           "parts": [{"part": "1a", "answer": {"exact": ["1", "sqrt(3)/3"]}}, {"part": "1b"}],
           "written_parts": []}
    text = key_json_text(key)
    assert json.loads(text) == key
    lines = text.splitlines()
    assert '    {"part": "1a", "answer": {"exact": ["1", "sqrt(3)/3"]}},' in lines
    assert '  "written_parts": []' in lines and "ü" in text and text.endswith("}\n")
