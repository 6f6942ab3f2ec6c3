"""Worksheet specs: the seed example, strict validation, exact numbers, safe text."""

import datetime
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.errors import InputError
from derive.usertext import MATH_COMMANDS, TEXT_COMMANDS
from derive.worksheet import (load_worksheet, parse_text,
                              parse_worksheet, solve_worksheet)

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "normalization-regularization.toml"

MINIMAL = '''
title = "Quiz"
[[problems]]
kind = "layernorm"
params = { X = [[1, 1, 1, 5]] }
'''


def spec(body: str) -> str:
    return 'title = "Quiz"\n' + body


def error(text: str) -> str:
    with pytest.raises(InputError) as e:
        parse_worksheet(text, source="spec.toml")
    return str(e.value)


# -- the seed worksheet --------------------------------------------------------------
@pytest.fixture(scope="module")
def seed():
    return load_worksheet(SEED)


def test_seed_has_all_five_sections(seed):
    assert [p.kind for p in seed.problems] == ["model-size", "layernorm", "batchnorm", "dropout", "l2"]
    assert [p.title.source for p in seed.problems] == [
        "Model Size", "Layer Normalization", "Batch Normalization", "Dropout", "$\\ell_2$ Regularization"]
    labels = [p.label(part) for p in seed.problems for part in p.parts]
    assert labels == ["1a", "1b", "1c", "1d", "1e", "2a", "2b", "3a", "3b",
                      "4a", "4b", "4c", "4d", "4e", "5a", "5b", "5c", "5d", "5e", "5f"]
    assert seed.points == 45


def test_seed_conceptual_parts_are_written_answers(seed):
    kinds = {p.label(part): part.type for p in seed.problems for part in p.parts}
    assert kinds["1b"] == kinds["2b"] == kinds["3b"] == kinds["4d"] == kinds["4e"] == "text"
    assert kinds["5a"] == kinds["5b"] == "choice"
    assert kinds["2a"] == kinds["3a"] == kinds["4a"] == "computed"
    l2 = seed.problems[4]
    assert l2.parts[0].correct_letter == "a" and l2.parts[1].correct_letter == "d"


def test_seed_params_are_exact(seed):
    dropout = seed.problems[3]
    assert dropout.params.p == Fraction(3, 4)  # 0.75 read as a decimal, never a float
    ln = seed.problems[1]
    assert ln.params.X[2] == (1, 1, 1, 5) and ln.params.eps == 0


def test_seed_solves_to_the_exact_answers(seed):
    import sympy

    solved = solve_worksheet(seed, checks="none")
    by = {sp.problem.number: sp for sp in solved.problems}
    ln = by[2].solution.answer
    assert ln[2, 3] == 4 * sympy.sqrt(3) and ln[1, 3] == sympy.Rational(20, 3) and ln[1, 2] == 0
    bn = by[3].solution.answer
    assert sympy.simplify(bn[0, 1] - (-2 * sympy.sqrt(2) - 1)) == 0
    drop = by[4].solution.answers
    assert (drop["y_drop"], drop["y_corr"], drop["y_orig"]) == (8, 32, 32)
    size = by[1].solution.answers
    assert (size["params"], size["activations"]) == (66756, 8848)


# -- structure and defaults -------------------------------------------------------------
def test_minimal_spec_defaults():
    ws = parse_worksheet(MINIMAL)
    (problem,) = ws.problems
    assert problem.title.source == "Layer normalization"  # the kind's title
    assert [(p.label, p.type, p.points) for p in problem.parts] == [("a", "computed", 1)]
    assert ws.precision.decimals == 2 and problem.statement


def test_results_and_commentary():
    ws = parse_worksheet(spec('''
[[problems]]
kind = "layernorm"
params = { X = [[1, 1, 1, 5]] }
[[problems.parts]]
results = "output"
answer = "Each row has mean $0$."
'''))
    part = ws.problems[0].parts[0]
    assert part.type == "computed" and part.results == ("output",) and part.answer.source


def test_toml_date_and_points_with_decimals():
    ws = parse_worksheet(spec('''date = 2025-03-14
[[problems]]
title = "Words"
[[problems.parts]]
question = "Why?"
answer = "Because."
points = 2.5
'''))
    assert ws.date.source == datetime.date(2025, 3, 14).isoformat()
    assert ws.points == Fraction(5, 2)


def test_default_labels_are_letters_and_explicit_ones_are_kept():
    body = "\n".join(f'[[problems.parts]]\nquestion = "q{i}"\nanswer = "a"' for i in range(3))
    ws = parse_worksheet(spec('[[problems]]\ntitle = "T"\n' + body))
    assert [p.label for p in ws.problems[0].parts] == ["a", "b", "c"]


# -- errors: keys, types, values ----------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    (spec('titel = "x"\n[[problems]]\nkind = "layernorm"\nparams = {X = [[1, 2]]}'),
     "worksheet: unknown key 'titel' (did you mean 'title'?)"),
    (spec('[[problems]]\nkind = "layernorm"\nparms = {X = [[1, 2]]}'),
     "problem 1 (layernorm): unknown key 'parms' (did you mean 'params'?)"),
    (spec('[[problems]]\nkind = "layernorm"\nparams = {X = [[1, 2]]}\n[[problems.parts]]\npoint = 3'),
     "problem 1 (layernorm), part (a): unknown key 'point' (did you mean 'points'?)"),
    (spec('tolerance = {mode = "decimals", digit = 2}\n[[problems]]\nkind = "layernorm"\nparams = {X = [[1, 2]]}'),
     "worksheet: tolerance: unknown key 'digit' (did you mean 'digits'?)"),
    (spec('[moodle]\nmatrix = "cloze"\n[[problems]]\nkind = "layernorm"\nparams = {X = [[1, 2]]}'),
     "unknown key 'matrix' (did you mean 'matrices'?)"),
    (spec('[[problems]]\nkind = "layernorn"\nparams = {X = [[1, 2]]}'),
     "problem 1: kind: unknown problem kind 'layernorn' (did you mean 'layernorm'?)"),
    (spec('[[problems]]\nkind = "layernorm"\nparams = {X = [[1, 2]], gama = [1, 2]}'),
     "problem 1 (layernorm): params.gama: unknown parameter for this problem (did you mean 'gamma'?)"),
])
def test_unknown_names_suggest_the_closest(text, expected):
    assert expected in error(text)


@pytest.mark.parametrize("body, expected", [
    ('[[problems]]\nkind = "layernorm"\nparams = {X = [[1, true]]}',
     "problem 1 (layernorm): params.X[1][2]: expected a number, got true"),
    ('[[problems]]\nkind = "layernorm"\nparams = {X = [[1, 2]], eps = nan}',
     "problem 1: params.eps: must be a finite number, got NaN"),
    ('[[problems]]\nkind = "layernorm"\nparams = {X = [[1, inf]]}',
     "problem 1: params.X[1][2]: must be a finite number, got Infinity"),
    ('[[problems]]\nkind = "layernorm"\nparams = {X = [[1, 2]]}\n[[problems.parts]]\npoints = true',
     "problem 1 (layernorm), part (a): points: expected a number of points, got a boolean (true)"),
    ('[[problems]]\nkind = "layernorm"\nparams = {X = [[1, 2]]}\n[[problems.parts]]\npoints = "3"',
     "part (a): points: expected a number of points, got text ('3')"),
    ('[[problems]]\nkind = "layernorm"\nparams = {X = [[1, 2]]}\n[[problems.parts]]\npoints = 0.125',
     "points: at most two decimals"),
    ('decimals = true\n[[problems]]\nkind = "layernorm"\nparams = {X = [[1, 2]]}',
     "worksheet: decimals: expected a whole number, got a boolean (true)"),
    ('[[problems]]\nkind = "layernorm"\nparams = {X = [[1, 2]], gamma = [1, 2, 3]}',
     "problem 1 (layernorm): params.gamma: has 3 entries but X has 2"),
    ('[[problems]]\nkind = 7',
     "problem 1: kind: expected a kind name, got a number (7)"),
    ('[[problems]]\ntitle = "Words"',
     "problem 1: parts: a problem without a kind needs at least one part"),
    ('[[problems]]\ntitle = "W"\n[[problems.parts]]\nquestion = "Why?"',
     "needs a model answer"),
    ('[[problems]]\ntitle = "W"\n[[problems.parts]]\nanswer = "Yes"',
     "question: is required for a part answered in words"),
    ('[[problems]]\ntitle = "W"\n[[problems.parts]]\nquestion = "?"\nchoices = ["a", "b"]',
     "correct: is required with choices"),
    ('[[problems]]\ntitle = "W"\n[[problems.parts]]\nquestion = "?"\nchoices = ["a", "b"]\ncorrect = "c"',
     "there are only 2 choices"),
    ('[[problems]]\ntitle = "W"\n[[problems.parts]]\nlabel = "a"\nquestion = "?"\nanswer = "x"\n'
     '[[problems.parts]]\nlabel = "a"\nquestion = "?"\nanswer = "y"',
     "label 'a' is used twice"),
    ('[[problems]]\ntitle = "W"\n[[problems.parts]]\nlabel = "A)"\nquestion = "?"\nanswer = "x"',
     "must be 1-6 lowercase letters or digits"),
    ('[[problems]]\ntitle = "W"\n[[problems.parts]]\nquestion = "?"\nanswer = "x"\nspace = "3cm}\\\\input"',
     "space: must be a length like"),
    ('[[problems]]\nkind = "layernorm"\nparams = {X = [[1, 2]]}\ntolerance = {mode = "decimal"}',
     "tolerance: mode must be one of"),
    ('problems = []', "worksheet: problems: is empty"),
    ('problems = 3', "worksheet: problems: must be an array of tables"),
])
def test_type_and_value_errors_name_problem_part_and_field(body, expected):
    assert expected in error(spec(body))


def test_missing_title_and_problems():
    assert "worksheet: title: is required" in error('[[problems]]\ntitle = "x"')
    assert "worksheet: problems: is required" in error('title = "x"')


def test_malformed_toml_reports_line_and_column():
    message = error('title = "Quiz"\n[[problems]]\nkind = layernorm\n')
    assert message.startswith("spec.toml: invalid TOML:") and "line 3, column 8" in message


def test_hostile_toml_becomes_input_error():
    # tomllib raises plain ValueError / RecursionError here, not TOMLDecodeError.
    assert "invalid TOML" in error("title = " + "9" * 5000)
    assert "invalid TOML" in error("x = " + "[" * 50_000)


def test_unknown_result_name_at_solve_time():
    ws = parse_worksheet(spec('''
[[problems]]
kind = "layernorm"
params = { X = [[1, 1, 1, 5]] }
[[problems.parts]]
results = ["outptu"]
'''))
    with pytest.raises(InputError, match=r"part \(a\): results: unknown result 'outptu' \(did you mean 'output'\?\)"):
        solve_worksheet(ws, checks="none")


def test_load_errors(tmp_path):
    with pytest.raises(InputError, match="cannot read the spec"):
        load_worksheet(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'title = "\xff"')
    with pytest.raises(InputError, match="not UTF-8"):
        load_worksheet(bad)


# -- text with math --------------------------------------------------------------------
def test_text_keeps_hostile_latex_as_literal_text():
    t = parse_text(r"\input{/etc/passwd} \write18{rm -rf /} 100% & \$5", "title")
    assert [kind for para in t.paragraphs for kind, _ in para] == ["text"]


@pytest.mark.parametrize("math, reason", [
    (r"$\input{/etc/passwd}$", r"math command \input is not allowed"),
    (r"$\def\x{\x}\x$", r"math command \def is not allowed"),
    (r"$\csname input\endcsname$", r"math command \csname is not allowed"),
    (r"$^^5cinput$", "'^^' is not allowed"),
    (r"$x % comment$", "character '%' is not allowed"),
    (r"$a & b$", "character '&' is not allowed"),
    (r"$x # y$", "character '#' is not allowed"),
    (r"$\text{y_1}$", r"\text{...} takes plain words"),
    (r"$\text{\input{x}}$", r"\text{...} takes plain words"),
    (r"$\\$", r"'\\' is not allowed"),
    ("$x}{$", "'}' without a matching '{'"),
    ("$x{$", "'{' without a matching '}'"),
    ("$x", "unclosed $"),
    ("$层$", "cannot be used in math"),
])
def test_math_outside_the_whitelist_is_refused(math, reason):
    with pytest.raises(InputError) as e:
        parse_text(math, "question")
    assert reason in str(e.value) and str(e.value).startswith("question: ")


def test_math_inside_the_whitelist_is_kept():
    t = parse_text(r"Compute $y_{\text{drop}} = \frac{1}{1-p}\,\hat{x} \odot \gamma$; "
                   r"$$\arg\min_\theta \ell_{\text{ce}} + \lambda\|\theta\|_2^2$$ costs \$5. θ² $θ²$", "q")
    kinds = [k for para in t.paragraphs for k, _ in para]
    assert kinds == ["text", "math", "text", "display", "text", "math"]
    assert t.paragraphs[0][-1][1] == r"\ensuremath{\theta}^{2}"
    assert t.paragraphs[0][4][1].endswith("costs $5. θ² ")


def test_paragraphs_split_on_blank_lines():
    t = parse_text("One.\n\nTwo $x$.\n", "intro")
    assert len(t.paragraphs) == 2


def test_untypesettable_text_is_refused_early():
    with pytest.raises(InputError, match="problem 1: title: character '层'"):
        parse_worksheet(spec('[[problems]]\ntitle = "层"\n[[problems.parts]]\nquestion = "?"\nanswer = "x"'))


_COMMAND = re.compile(r"\\([A-Za-z]+)")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("$\\{}^_%#&~ax1 ()") + ["\\input", "\\frac", "\\text",
                                                                "\\def", "^^", "\n\n"]),
                max_size=40).map("".join))
def test_parse_text_accepts_only_whitelisted_commands(source):
    try:
        t = parse_text(source, "q")
    except InputError:
        return
    for para in t.paragraphs:
        for kind, s in para:
            if kind == "text":
                continue
            assert "^^" not in s and "%" not in s.replace("\\%", "") and "#" not in s.replace("\\#", "")
            for name in _COMMAND.findall(s):
                assert name in MATH_COMMANDS or name in TEXT_COMMANDS or name == "ensuremath"


def test_specs_without_params_for_generated_variants():
    text = spec('[[problems]]\nkind = "dropout"\ndifficulty = "easy"\n[[problems.parts]]\nresults = "y_corr"')
    with pytest.raises(InputError, match="problem 1 \\(dropout\\): params.x: is required"):
        parse_worksheet(text)
    ws = parse_worksheet(text, require_params=False)
    assert ws.problems[0].params is None and ws.problems[0].difficulty == "easy"
    with pytest.raises(InputError, match="params: are required to solve the worksheet"):
        solve_worksheet(ws)
