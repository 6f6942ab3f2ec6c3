"""Rendered output: golden text files (reviewed by eye), the JSON contract, LaTeX that compiles."""

import json
import subprocess
from pathlib import Path

import pytest
import sympy

import derive
from derive.model import Precision

GOLDEN = Path(__file__).parent / "golden"
LN = dict(X=[[4, 4, 8, 8], [0, 2, 2, 8], [1, 1, 1, 5]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0])
BN = dict(X=[[2, 2, 1, 1], [2, 5, 4, 1], [5, 5, 10, 10]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0])


def _without_checks(text: str) -> str:
    return text.split("\nNumeric checks")[0]


@pytest.mark.parametrize("kind, params, golden", [("layernorm", LN, "layernorm_seed.txt"),
                                                  ("batchnorm", BN, "batchnorm_seed.txt")])
def test_text_matches_golden_file(kind, params, golden):
    got = derive.solve(kind, checks="none", **params).to_text()
    assert got == _without_checks((GOLDEN / golden).read_text(encoding="utf-8")).rstrip("\n") + "\n"


def test_each_normalization_definition_names_the_axis_of_its_statistics():
    """latexify drops keyword arguments: with `mu(X, axis=0)` BatchNorm's definition printed
    exactly as LayerNorm's, hiding the one thing that tells them apart."""
    from derive.render.latex import render_latex_fragment

    def definition(kind, params):
        fragment = render_latex_fragment(derive.solve(kind, checks="none", **params))
        return fragment.split("Definition:", 1)[1].split(r"\]", 1)[0]

    layer, batch = definition("layernorm", LN), definition("batchnorm", BN)
    assert r"\mu_{\mathrm{row}}" in layer and r"\mathrm{Var}_{\mathrm{row}}" in layer and "col" not in layer
    assert r"\mu_{\mathrm{col}}" in batch and r"\mathrm{Var}_{\mathrm{col}}" in batch and "row" not in batch


def test_the_ridge_definition_sets_x_transposed_like_x():
    """latexify prints transpose(X) as a bold X beside a plain one: two symbols for one matrix."""
    from derive.definitions import definition_latex, ridge

    assert r"X^{\top} \cdot X" in definition_latex(ridge) and r"\mathbf" not in definition_latex(ridge)


def test_json_contract():
    data = json.loads(derive.solve("layernorm", **LN).to_json())
    assert data["kind"] == "layernorm"
    assert data["params"]["gamma"] == ["1", "2", "3", "4"]
    exact = sympy.Matrix([[sympy.sympify(s) for s in row] for row in data["answer"]["exact"]])
    assert exact == derive.solve("layernorm", **LN).answer
    assert data["answer"]["decimal"][2] == ["-0.58", "-2.15", "-0.73", "6.93"]
    assert data["answer"]["latex"].startswith(r"\begin{bmatrix}")
    assert [s["title"] for s in data["steps"]] == ["Statistics", "Normalize", "Scale and shift"]
    assert all(s["latex"] and s["text"] for s in data["steps"])
    assert data["checks"]["numpy"]["ok"] is True and data["checks"]["numpy"]["max_abs_error"] < 1e-14


def test_sigfigs_and_decimals_options():
    sol = derive.solve("layernorm", **LN)
    assert sol.to_dict(Precision(decimals=4))["answer"]["decimal"][2][1] == "-2.1547"
    assert sol.to_dict(Precision(sigfigs=3))["answer"]["decimal"][1][3] == "6.67"


def test_latex_shows_the_substitutions():
    tex = derive.solve("layernorm", **LN).to_latex()
    assert r"\frac{1 + 1 + 1 + 5}{4}" in tex
    assert r"-1 - \frac{2 \sqrt{3}}{3}" in tex
    assert r"\approx \left[-0.58, -2.15, -0.73, 6.93\right]" in tex
    assert r"\mathrm{LayerNorm}(X, \gamma, \beta, \epsilon)" in tex  # latexify of the definition
    assert tex.startswith(r"\documentclass")



def test_a_squared_fraction_is_in_parentheses_whatever_its_sign():
    # Column 2 of X is (3, 9, 8): mean 20/3, deviations −11/3, 7/3, 4/3, variance 62/9.
    X = [[4, 3, 0, 3], [8, 9, 9, 0], [6, 8, 6, 0]]
    tex = derive.solve("batchnorm", X=X, gamma=[1, 1, 1, 1], beta=[0, 0, 0, 0], checks="none").to_latex()
    want = (r"\sigma^2_{2} &= \frac{\left(-\frac{11}{3}\right)^{2} + \left(\frac{7}{3}\right)^{2}"
            r" + \left(\frac{4}{3}\right)^{2}}{3} = \frac{62}{9}")
    assert want in tex
    assert r"\frac{7}{3}^{2}" not in tex  # would read as 7 over 3²
    # The plain text already showed it so.
    assert "(-11/3)² + (7/3)² + (4/3)²" in derive.solve("batchnorm", X=X, gamma=[1] * 4, beta=[0] * 4,
                                                         checks="none").to_text()

def test_repr_latex_for_jupyter():
    fragment = derive.solve("batchnorm", **BN)._repr_latex_()
    assert r"\documentclass" not in fragment and r"\hat{X}_{1}" in fragment


def test_long_vectors_are_elided():
    sol = derive.solve("layernorm", X=[list(range(40))], checks="none")
    text = sol.to_text()
    assert "…" in text and len(max(text.splitlines(), key=len)) < 400


@pytest.mark.requires_tool("pdflatex", "pdftotext")
@pytest.mark.parametrize("kind, params", [("layernorm", LN), ("batchnorm", BN),
                                          ("batchnorm", dict(X=[[1, 2]], eps="1e-5"))])
def test_pdf_compiles_and_shows_the_steps(kind, params, tmp_path):
    path = tmp_path / "out.pdf"
    derive.solve(kind, **params).to_pdf(path)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Statistics" in text and "Normalize" in text and "Scale and shift" in text


def test_sympy_texts_are_kept_per_type_and_value():
    """The printers remember SymPy expressions' text; equal-comparing values of other
    types (Float 2.0 == Integer 2) and symbols with other assumptions must not share it."""
    import sympy

    from derive.render.printers import latex, text

    assert latex(sympy.Integer(2)) == "2"
    assert latex(sympy.Float(2.0)) != "2"
    assert text(sympy.Integer(2)) == "2" and text(sympy.Float(2.0)) != "2"
    p, q = sympy.Symbol("p"), sympy.Symbol("p", positive=True)
    assert latex(1 - p) == latex(1 - q) == "1 - p"
    assert latex(sympy.Symbol("q") / 2) == r"\frac{q}{2}"


def test_statement_params_are_rendered_on_demand_and_unknown_ones_fail_loudly():
    import jinja2

    from derive.api import solve
    from derive.render.latex import environment, solution_context

    ctx = solution_context(solve("layernorm", X=[[1, 2]], eps=0, checks=()), Precision())
    env = environment()
    assert env.from_string(r"\VAR{params.X} \VAR{params.eps}").render(ctx) == r"\begin{bmatrix}1 & 2\end{bmatrix} 0"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string(r"\VAR{params.nope}").render(ctx)


# -- printing SymPy's K·n without SymPy's product printer ------------------------------------

@pytest.mark.parametrize("symbol", [sympy.Symbol("n", positive=True, integer=True), sympy.Symbol("λ"),
                                    sympy.Symbol("x_1"), sympy.Symbol("lambda"), sympy.Symbol("Z")])
@pytest.mark.parametrize("k", [2, 3, 10, 772, 2980, 10**12 + 7])
def test_an_integer_times_a_symbol_prints_as_sympy_prints_it(k, symbol):
    from sympy.printing.latex import LatexPrinter
    from sympy.printing.str import StrPrinter

    from derive.render.printers import TextPrinter, integer_multiple, latex, sympy_str, text

    expr = k * symbol
    assert integer_multiple(expr) == (k, symbol)
    assert latex(expr) == LatexPrinter().doprint(expr)
    assert StrPrinter().doprint(expr) == f"{k}*{symbol.name}"
    # plain text as the steps write a product: side by side after a number, but not a longer name
    side_by_side = f"{k}{symbol.name}" if len(symbol.name) == 1 else f"{k} · {symbol.name}"
    assert text(expr) == TextPrinter().doprint(expr) == side_by_side
    assert sympy_str(expr) == str(expr)


@pytest.mark.parametrize("expr", [
    sympy.Symbol("n"), -3 * sympy.Symbol("n"), sympy.Rational(3, 2) * sympy.Symbol("n"),
    6 * sympy.Symbol("n") * sympy.Symbol("m"), 4 * sympy.Dummy("n"), 5 * sympy.Symbol("2n"),
    7 * sympy.Symbol("n") ** 2, sympy.Integer(12)])
def test_other_products_go_to_sympy_s_printer(expr):
    from sympy.printing.latex import LatexPrinter

    from derive.render.printers import integer_multiple, latex, sympy_str

    assert integer_multiple(expr) is None
    assert latex(expr) == LatexPrinter().doprint(expr)
    assert sympy_str(expr) == str(expr)


def test_a_subclass_prints_with_its_base_class_rule():
    """model-size's Label is a Words: printed by _print_Words, as SymPy's MRO walk finds it."""
    from derive.forms import Words
    from derive.modelsize.steps import Label
    from derive.render.printers import latex, text

    assert latex(Label("Linear(32, 64)")) == latex(Words("Linear(32, 64)")) == r"\text{Linear(32, 64)}"
    assert text(Label("a_b")) == text(Words("a_b"))


def test_a_long_note_puts_each_clause_on_a_row():
    """A long note beside one row widened the whole align* block past the line (model-size's
    missing dimensions, 62 pt): each clause of a long "a; b" gets a row of its own."""
    from derive.forms import Sym
    from derive.model import Relation
    from derive.render.latex import relation_latex

    x = Sym("x", "x")
    assert relation_latex(Relation(x, (1,), note="one clause"), Precision()) == [r"x &= 1 && \text{one clause}"]
    assert relation_latex(Relation(x, (1,), note="a = 1; b = 2"), Precision()) == [r"x &= 1 && \text{a = 1; b = 2}"]
    a, b, c = "the inputs of Linear3 are the outputs of Linear2", "its outputs are the classes", "see above"
    assert relation_latex(Relation(x, (1,), note=f"{a}; {b}; {c}"), Precision()) == [
        rf"x &= 1 && \text{{{a};}}", rf" & && \text{{{b};}}", rf" & && \text{{{c}}}"]
    long = Relation(x, tuple(range(10**40, 10**40 + 4)), note=f"{a}; {b}")  # rows of its own: clauses beside them
    rows = relation_latex(long, Precision())
    assert len(rows) == 4 and rows[0].endswith(rf"&& \text{{{a};}}") and rows[1].endswith(rf"&& \text{{{b}}}")
    assert not any("&&" in row for row in rows[2:])


def test_numeric_checks_name_each_result_by_its_symbol_and_json_by_its_name():
    """A document writes the symbols it defines (σ²_run), never the JSON names (running_var)."""
    sol = derive.solve("batchnorm", **BN)
    text = sol.to_text().split("\nNumeric checks", 1)[1]
    assert "numpy float64 (same definition), σ²_run: max |error|" in text
    assert "numpy float64 (same definition), BatchNorm(X): max |error|" in text
    assert "running_var" not in text and "output" not in text
    tex = sol.to_latex().split(r"\stephead{Numeric checks}", 1)[1]
    assert r"numpy float64 (same definition), $\sigma^2_{\mathrm{run}}$: max" in tex
    assert "running" not in tex
    checks = json.loads(sol.to_json())["checks"]
    assert checks["numpy:running_var"]["detail"] == "numpy float64 (same definition), running_var"


def test_the_monte_carlo_check_names_the_expectation_it_estimates():
    sol = derive.solve("dropout", x=[1, 2, 3, 4], mask=[1, 0, 1, 1], w=[2, 2, 2, 2], p="1/4")
    tex = sol.to_latex().split(r"\stephead{Numeric checks}", 1)[1]
    assert (r"numpy Monte Carlo (within 4 standard errors), $\mathbb{E}\left[y_{\text{corr}}\right]$: max"
            in tex)
    assert "E{[}y" not in tex and r"y\_" not in tex


def test_a_fraction_s_rational_parts_print_inline():
    from fractions import Fraction

    import sympy

    from derive.forms import Add, Div, Sym
    from derive.render.printers import latex

    assert latex(Div(Fraction(3, 4), Fraction(1, 4))) == r"\frac{3/4}{1/4}"
    assert latex(Div(sympy.Rational(-1, 2), 3)) == r"\frac{-1/2}{3}"
    assert latex(Div(Fraction(6, 1), 7)) == r"\frac{6}{7}"  # whole numbers as they are
    assert latex(Div(1, Add((1, Sym("p", "p"))))) == r"\frac{1}{1 + p}"
