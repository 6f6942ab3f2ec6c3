"""Long sums broken over an align* block's rows, and every derivation fitting the line."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import forms as F
from derive.model import Precision, Relation
from derive.render.breaking import LONG_FORM, ROW_FORM, break_sum, visible_length
from derive.render.latex import relation_latex
from derive.render.printers import latex, text

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "normalization-regularization.toml"

# Terms as the printers write them: numbers, products, fractions, groups with sums inside.
_TERMS = st.sampled_from([
    "3", "128", "-1", r"3 \cdot 2 \cdot \frac{1}{1 - \frac{1}{10}}", r"\left(-1\right) \cdot 0",
    r"\frac{20}{9}", r"\left(x_{1} + 2 - y\right)", r"\hat{z}_{10}", r"\sqrt{3 + 4}",
    r"\begin{bmatrix}1 + 2 & 3 - 4\end{bmatrix}", r"\text{a + b - c}", r"\mathrm{f}\left\{1 + 2\right\}",
    r"p \rightarrow q", r"\left(a \leftarrow b - c\right)",  # arrows are not delimiters
])


def _sum(first: str, rest: list[tuple[str, str]]) -> str:
    return first + "".join(f" {op} {term}" for op, term in rest)


@settings(max_examples=300, deadline=None)
@given(_TERMS, st.lists(st.tuples(st.sampled_from("+-"), _TERMS), max_size=30))
def test_a_broken_sum_is_the_sum_cut_between_its_terms(first, rest):
    text_ = _sum(first, rest)
    rows = break_sum(text_)
    # nothing lost or added: the rows joined again are the sum
    assert rows[0] + "".join(" " + row for row in rows[1:]) == text_
    if len(text_) <= LONG_FORM or visible_length(text_) <= LONG_FORM:
        assert rows == [text_]
        return
    # cut only between top-level terms: every later row starts with the operator of a term
    # of the sum, never inside braces, \left...\right or an environment
    terms = [first] + [f"{op} {term}" for op, term in rest]
    starts = {sum(len(t) + 1 for t in terms[:i]) for i in range(1, len(terms))}
    position = len(rows[0]) + 1
    for row in rows[1:]:
        assert position in starts and row[:2] in ("+ ", "- ")
        position += len(row) + 1
    # rows about even: as many as ROW_FORM needs, none longer than its share of the sum (in
    # the source, whose terms are alike) by more than a term
    needed = -(-visible_length(text_) // ROW_FORM)
    share = len(text_) / needed
    longest_term = max(len(t) + 1 for t in terms)
    assert 2 <= len(rows) <= needed
    assert all(len(row) <= share + longest_term for row in rows)


def test_what_is_not_a_sum_is_never_broken():
    vector = r"\left[" + ", ".join([r"\frac{20}{9}"] * 40) + r"\right]"
    assert break_sum(vector) == [vector]
    assert break_sum(r"\frac{" + " + ".join(["1"] * 80) + "}{2}") == [r"\frac{" + " + ".join(["1"] * 80) + "}{2}"]


def test_a_long_dot_product_takes_rows_under_its_first():
    """Dropout's ten-unit corrected dot product ran 225 pt past the line on one row."""
    factor = F.Div(1, F.Sub(1, F.Div(1, 10)))
    dot = F.Add(tuple(F.Mul(F.Mul(w, x), factor) for w, x in zip([3, 3, 2, 3, -1, 1, 3, 3, -1, 2],
                                                                  [2, 6, 5, 5, 7, 7, 9, 5, 2, 4])))
    rows = relation_latex(Relation(F.Sym("y", "y_{\\text{corr}}"), (F.Sym("w", "w"), dot, 96), approx=False),
                          Precision())
    assert rows[0] == r"y_{\text{corr}} &= w"
    continued = [row for row in rows if row.startswith(r" &\quad + ")]
    assert len(continued) >= 2 and rows[-1] == " &= 96"
    assert "".join(rows).count(r"\frac{1}{1 - \frac{1}{10}}") == 10
    # a short relation keeps its one row
    assert relation_latex(Relation(F.Sym("y", "y"), (F.Add((1, 2)), 3), approx=False), Precision()) == ["y &= 1 + 2 = 3"]


def test_a_product_led_by_a_negative_number_keeps_it_in_parentheses():
    """A dot product's terms are wᵢ·xᵢ: `+ (-1) · 3`, never `+ -1 · 3`."""
    s = F.Add((F.Mul(F.Mul(-1, 3), 2), F.Mul(-1, 0), F.Mul(2, 3), -4, F.Mul(F.Mul(-2, 3), -1)))
    assert text(s) == "-1 · 3 · 2 + (-1) · 0 + 2 · 3 - 4 + (-2) · 3 · (-1)"
    assert latex(s) == (r"-1 \cdot 3 \cdot 2 + \left(-1\right) \cdot 0 + 2 \cdot 3 - 4"
                        r" + \left(-2\right) \cdot 3 \cdot \left(-1\right)")


@pytest.mark.requires_tool("pdflatex")
@pytest.mark.parametrize("difficulty,seed", [("easy", 13), ("medium", 11), ("hard", 12)])
def test_no_worked_solution_runs_into_the_margin(tmp_path, difficulty, seed):
    """TeX's own verdict on 12 variants' documents: no overfull line.  Before the
    sums were broken and model-size's notes shortened, 120 such variants had 85-104 rows
    past the line (model-size's C and Z blocks in every one, dropout's corrected dot
    product in 8-28: up to 225 pt)."""
    import os
    import shutil

    from derive.generate import prepare
    from derive.render import pdf
    from derive.variant_output import generate_into
    from derive.worksheet import load_worksheet

    plan = prepare(load_worksheet(SEED, require_params=False), 12, seed, difficulty=difficulty)
    out = tmp_path / "out"
    generate_into(plan, out, {"format": "derive-variants-key"}, pdf=False, combined=True, jobs=1)
    assert "Variant 12" in (out / "solutions.tex").read_text(encoding="utf-8")
    for name in ("solutions", "key", "questions"):  # the key's answers are scaled to the line
        subprocess.run([shutil.which("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                        f"{name}.tex"], cwd=out, env={**os.environ, **pdf._ENV}, stdin=subprocess.DEVNULL,
                       capture_output=True, check=True, timeout=300)
        log = (out / f"{name}.log").read_text(encoding="latin-1")
        overfull = re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)[^\n]* lines? (\d+)", log)
        assert not overfull, f"{name}: rows past the line (pt, source line): {overfull}"
        # Nor into a page's footer: the l2 step's logistic table ran 68 pt past the text block.
        # The end of a shaded solution box may push its bottom padding a few points past it
        # (up to 13 pt seen, in the margin above the footer), which TeX reports too.
        too_high = [float(pt) for pt in re.findall(r"Overfull \\vbox \(([\d.]+)pt too high\)", log)]
        assert all(pt < 20 for pt in too_high), f"{name}: pages too full (pt): {too_high}"


@pytest.mark.requires_tool("pdflatex")
def test_a_training_memory_total_fits_its_solution_page(tmp_path):
    """With Adam, "M = M_params + M_grads + M_optimizer + M_activations = 133512 + … = 551744"
    is 128 characters of source (under the one-row budget) but 70 visible: on one row beside
    its notes it ran 177 pt past the line."""
    import os
    import shutil

    import derive
    from derive.render import pdf

    sol = derive.solve("model-size", spec=str(ROOT / "examples" / "model.toml"), optimizer="adam", dtype="bf16",
                       checks="none")
    tex = sol.to_latex()
    assert r"M &= M_{\text{params}} + M_{\text{grads}} + M_{\text{optimizer}} + M_{\text{activations}}" in tex
    assert " &= 133512 + 133512 + 267024 + 17696 \\\\" in tex
    (tmp_path / "s.tex").write_text(tex, encoding="utf-8")
    subprocess.run([shutil.which("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                    "s.tex"], cwd=tmp_path, env={**os.environ, **pdf._ENV}, stdin=subprocess.DEVNULL,
                   capture_output=True, check=True, timeout=120)
    assert "Overfull \\hbox" not in (tmp_path / "s.log").read_text(encoding="latin-1")
