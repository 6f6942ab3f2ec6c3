"""derive.check / `derive check`: verdicts, diagnosis of known mistakes, CLI contract.

Expected values are computed here independently with SymPy (the definitions written
out again), never taken from derive's own solver.
"""

import doctest
import importlib
import json
import subprocess
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import derive
import derive.diagnose as diagnose_module
from derive.answers import parse_answer
from derive.check import make_tolerance
from derive.diagnose import agrees, fast_agrees, student_fraction
from derive.errors import AnswerSyntaxError, InputError
from derive.exact import Surd
from derive.verify import PRAIRIELEARN, WEBWORK, Tolerance, judge_entry

# `derive.check` is the function (exported by the package); the module is reached by name.
check_module = importlib.import_module("derive.check")

SEED = dict(X=[[4, 4, 8, 8], [0, 2, 2, 8], [1, 1, 1, 5]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0], eps=0)
SEED_CLI = ["--X", "[[4,4,8,8],[0,2,2,8],[1,1,1,5]]", "--gamma", "[1,2,3,4]", "--beta", "[0,-1,1,0]", "--eps", "0"]
PRINTED = "[[-1,-3,4,4],[-1,-1.66,0.01,6.68],[-0.58,-2.16,-0.74,6.92]]"
BN = dict(X=[[2, 2, 1, 1], [2, 5, 4, 1], [5, 5, 10, 10]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0], eps=0)
DROPOUT = dict(x=[2, 6, 4, 4, 5, 3, 4, 4], p="0.75", dropped=[0, 1, 2, 3, 4, 5])


# -- an independent SymPy oracle ------------------------------------------------------
def _normalize(v, gamma, beta, ddof=0, root=True):
    n = len(v)
    v = [sympy.Integer(x) for x in v]
    mu = sum(v) / n
    var = sum((x - mu) ** 2 for x in v) / (n - ddof)
    scale = sympy.sqrt(var) if root else var
    return [sympy.nsimplify((x - mu) / scale) * g + b for x, g, b in zip(v, gamma, beta)]


def layernorm(X, gamma, beta, **kw):
    return [_normalize(row, gamma, beta, **kw) for row in X]


def batchnorm(X, gamma, beta, **kw):
    cols = [_normalize(col, [g] * len(col), [b] * len(col), **kw)
            for col, g, b in zip(zip(*X), gamma, beta)]
    return [list(r) for r in zip(*cols)]


def typed(matrix, places=2):
    """What a student types: each entry rounded half up to `places` decimals."""
    q = Decimal(1).scaleb(-places)

    def fmt(x):
        return str(Decimal(str(sympy.N(x, 40))).quantize(q, rounding=ROUND_HALF_UP))

    return "[" + ", ".join("[" + ", ".join(fmt(x) for x in row) + "]" for row in matrix) + "]"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "derive.cli", *args], capture_output=True, text=True, timeout=120)


# -- acceptance -----------------------------------------------------------------------
def test_seed_printed_answer_is_rounded_intermediates():
    r = derive.check("layernorm", PRINTED, **SEED)
    exact = layernorm(SEED["X"], SEED["gamma"], SEED["beta"])
    typed_values = [[Fraction(s) for s in row.split(",")] for row in PRINTED[2:-2].split("],[")]
    # Independently: an entry is right when within half a unit of its 2nd decimal (the
    # typed integers of row 1 are exact forms and are exactly right).
    expected_wrong = {(i, j) for i in range(3) for j in range(4)
                      if abs(sympy.Rational(typed_values[i][j]) - exact[i][j]) > sympy.Rational(1, 200)}
    assert expected_wrong == {(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)}
    assert {e.index for e in r.verdict.wrong} == expected_wrong
    assert not r.correct and r.score == Fraction(1, 2)
    d = r.diagnosis
    assert d.name == "rounded_intermediates" and d.label == "rounded intermediates"
    assert d.complete and d.exact_match and len(d.explains) == 6
    assert d.step == "Scale and shift" and "Rounded x̂ to 2 decimals" in d.message
    # The wrong entries are exactly x̂ rounded to 2 decimals, then scaled and shifted.
    rounded = [[sympy.Rational(str(Decimal(str(sympy.N(x, 30))).quantize(Decimal("0.01"), ROUND_HALF_UP)))
                for x in _normalize(row, [1] * 4, [0] * 4)] for row in SEED["X"]]
    assert [[x * g + b for x, g, b in zip(row, SEED["gamma"], SEED["beta"])] for row in rounded] == \
        [[sympy.Rational(v) for v in row] for row in typed_values]
    assert set(r.entry_mistakes[5]) >= {"rounded_intermediates"}
    assert r.entry_mistakes[0] == ()


def test_unbiased_variance_is_diagnosed():
    wrong = layernorm(SEED["X"], SEED["gamma"], SEED["beta"], ddof=1)
    r = derive.check("layernorm", typed(wrong), **SEED)
    assert not r.correct
    assert r.diagnosis.name == "unbiased_variance" and r.diagnosis.complete
    assert r.diagnosis.step == "Statistics"


def test_wrong_axis_is_diagnosed():
    wrong = batchnorm(SEED["X"], SEED["gamma"], SEED["beta"])  # columns instead of rows
    r = derive.check("layernorm", typed(wrong), **SEED)
    assert r.diagnosis.name == "wrong_axis" and r.diagnosis.complete


def test_divided_by_variance_and_forgot_beta():
    r = derive.check("layernorm", typed(layernorm(SEED["X"], SEED["gamma"], SEED["beta"], root=False)), **SEED)
    assert r.diagnosis.name == "divided_by_variance"
    r = derive.check("layernorm", typed(layernorm(SEED["X"], SEED["gamma"], [0] * 4)), **SEED)
    assert r.diagnosis.name == "forgot_beta" and r.diagnosis.exact_match


def test_exact_latex_answer_is_correct():
    answer = (r"\begin{bmatrix} -1 & -3 & 4 & 4 \\ -1 & -\frac{5}{3} & 0 & \frac{20}{3} \\"
              r" -\frac{\sqrt{3}}{3} & -1-\frac{2\sqrt{3}}{3} & 1-\sqrt{3} & 4\sqrt{3} \end{bmatrix}")
    r = derive.check("layernorm", answer, **SEED)
    assert r.correct and r.score == 1 and r.diagnosis is None
    assert r.value[2][0] == -sympy.sqrt(3) / 3


@pytest.mark.parametrize("entry", [r"\frac{20}{3}", "6.67", "20/3", "6.667", "6.7"])
def test_twenty_thirds_accepted_by_default(entry):
    r = derive.check("layernorm", f"[-1, -5/3, 0, {entry}]", X=[[0, 2, 2, 8]], gamma=[1, 2, 3, 4],
                     beta=[0, -1, 1, 0])
    assert r.correct


@pytest.mark.parametrize("entry", ["6.66", "6.68", "6", "20/4"])
def test_twenty_thirds_rejected(entry):
    assert not derive.check("layernorm", f"[-1, -5/3, 0, {entry}]", X=[[0, 2, 2, 8]], gamma=[1, 2, 3, 4],
                            beta=[0, -1, 1, 0]).correct


def test_malformed_answer_raises_with_position():
    with pytest.raises(AnswerSyntaxError) as e:
        derive.check("layernorm", "[[1,2,,3]]", **SEED)
    assert e.value.position == 6 and "position 7" in str(e.value)


@pytest.mark.parametrize("hostile", ["__import__('os').system('id')", "().__class__.__base__", "lambda: 1",
                                     "9^9^9^9", "(" * 5000 + "1" + ")" * 5000, "nan", "inf", "", "1" * 200_000])
def test_hostile_answers_rejected_quickly(hostile):
    start = time.perf_counter()
    with pytest.raises(AnswerSyntaxError):
        derive.check("dropout", hostile, part="y_corr", **DROPOUT)
    assert time.perf_counter() - start < 1


# -- diagnosis --------------------------------------------------------------------------
def test_mixed_mistakes_are_covered_greedily():
    right = layernorm(SEED["X"], SEED["gamma"], SEED["beta"])
    no_beta = layernorm(SEED["X"], SEED["gamma"], [0] * 4)
    unbiased = layernorm(SEED["X"], SEED["gamma"], SEED["beta"], ddof=1)
    r = derive.check("layernorm", typed([right[0], no_beta[1], unbiased[2]]), **SEED)
    names = [d.name for d in r.diagnoses]
    assert set(names[:2]) == {"forgot_beta", "unbiased_variance"}
    covered = {i for d in r.diagnoses for i in d.explains}
    assert covered == {e.index for e in r.verdict.wrong}
    assert not r.diagnoses[0].complete and "of" in r.diagnoses[0].summary()


def test_random_wrong_answer_has_no_diagnosis():
    r = derive.check("layernorm", "[[9,9,9,9],[9,9,9,9],[9,9,9,9]]", **SEED)
    assert r.verdict.score == 0 and r.diagnosis is None
    assert "No known mistake" in r.to_text()


def test_shape_mismatch_is_a_verdict():
    r = derive.check("layernorm", "[1, 2, 3]", **SEED)
    assert not r.correct and "shape mismatch" in r.verdict.reason and r.diagnosis is None


def test_diagnosis_uses_the_instructors_tolerance():
    wrong = layernorm(SEED["X"], SEED["gamma"], SEED["beta"], ddof=1)
    # Typed to one decimal: judged at one decimal, still recognized.
    r = derive.check("layernorm", typed(wrong, 1), **SEED)
    assert r.diagnosis.name == "unbiased_variance"
    # Under exact equality the decimals no longer reproduce the irrational mistake values.
    r = derive.check("layernorm", typed(wrong, 2), tolerance="exact", **SEED)
    assert r.diagnosis is None or not r.diagnosis.complete


def test_batchnorm_mistakes_and_parts():
    bn_unbiased = batchnorm(BN["X"], BN["gamma"], BN["beta"], ddof=1)
    r = derive.check("batchnorm", typed(bn_unbiased), **BN)
    assert r.diagnosis.name == "unbiased_variance"
    r = derive.check("batchnorm", typed(layernorm(BN["X"], BN["gamma"], BN["beta"])), **BN)
    assert r.diagnosis.name == "wrong_axis"
    # running_var: (1 − 0.1)·1 + 0.1·(biased variance) is the classic slip
    cols = list(zip(*BN["X"]))
    biased = [sympy.Rational(9, 10) + sympy.Rational(1, 10) * sympy.Rational(
        sum((x - sympy.Rational(sum(c), 3)) ** 2 for x in c), 3) for c in cols]
    r = derive.check("batchnorm", "[" + ", ".join(str(v) for v in biased) + "]", part="running_var", **BN)
    assert r.diagnosis.name == "running_var_biased" and r.diagnosis.step == "Running statistics update"
    unbiased = [sympy.Rational(9, 10) + sympy.Rational(1, 10) * sympy.Rational(
        sum((x - sympy.Rational(sum(c), 3)) ** 2 for x in c), 2) for c in cols]
    assert derive.check("batchnorm", "[" + ", ".join(str(v) for v in unbiased) + "]", part="running_var",
                        **BN).correct


def test_batchnorm_eval_used_batch_statistics():
    params = dict(BN, mode="eval", running_mean=[1, 1, 1, 1], running_var=[4, 4, 4, 4])
    r = derive.check("batchnorm", typed(batchnorm(BN["X"], BN["gamma"], BN["beta"])), **params)
    assert r.diagnosis.name == "used_batch_statistics"


@pytest.mark.parametrize("answer, mistake", [
    ("10.67", "scaled_by_inverse_p"), (r"\frac{32}{3}", "scaled_by_inverse_p"), ("8", "no_correction"),
])
def test_dropout_mistakes(answer, mistake):
    x, keep = [2, 6, 4, 4, 5, 3, 4, 4], [0] * 6 + [1, 1]
    kept = sum(xi * mi for xi, mi in zip(x, keep))
    assert sympy.Rational(kept) / sympy.Rational(3, 4) == sympy.Rational(32, 3)  # 1/p instead of 1/(1 − p)
    r = derive.check("dropout", answer, part="y_corr", **DROPOUT)
    assert not r.correct and r.diagnosis.name == mistake and r.diagnosis.exact_match
    assert derive.check("dropout", "32", part="y_corr", **DROPOUT).correct


def test_unknown_part():
    with pytest.raises(InputError, match="no result 'nope'"):
        derive.check("layernorm", "1", part="nope", **SEED)


def test_python_values_as_answers():
    assert derive.check("dropout", 32, part="y_corr", **DROPOUT).correct
    assert derive.check("dropout", Fraction(32), part="y_corr", **DROPOUT).correct
    assert derive.check("layernorm", [-1, Fraction(-5, 3), 0, Fraction(20, 3)], X=[[0, 2, 2, 8]],
                        gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0]).correct


def test_tolerance_presets_and_modes():
    assert make_tolerance(None) == Tolerance()
    assert make_tolerance("webwork") == WEBWORK and make_tolerance("PrairieLearn") == PRAIRIELEARN
    row = dict(X=[[0, 2, 2, 8]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0])
    assert derive.check("layernorm", "[-1, -1.66, 0, 6.66]", tolerance="prairielearn", **row).correct
    assert not derive.check("layernorm", "[-1, -1.66, 0, 6.66]", tolerance="webwork", **row).correct
    assert not derive.check("layernorm", "[-1, -1.67, 0, 6.67]", tolerance="exact", **row).correct
    assert derive.check("layernorm", "[-1, -1.67, 0, 6.67]", tolerance=Tolerance("decimals", digits=2),
                        **row).correct


def test_rtol_atol_keywords():
    row = dict(X=[[0, 2, 2, 8]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0])
    r = derive.check("layernorm", "[-1, -1.66, 0, 6.66]", rtol=0.01, **row)
    assert r.correct and r.tolerance == Tolerance("relative", rtol=Fraction(1, 100))
    assert not derive.check("layernorm", "[-1, -1.66, 0, 6.66]", rtol="1/1000", **row).correct
    assert derive.check("layernorm", "[-1, -1.66, 0, 6.66]", tolerance="webwork", rtol=0.01, **row).correct
    with pytest.raises(InputError, match="relative"):
        derive.check("layernorm", "1", tolerance="exact", rtol=0.01, **row)


def test_solution_and_mistakes_are_cached():
    check_module._solved.cache_clear()
    check_module._target.cache_clear()
    check_module._mistakes.cache_clear()
    for answer in ("[[0]]", PRINTED, PRINTED.replace("6.92", "6.93")):
        derive.check("layernorm", answer, **SEED)
    derive.check("batchnorm", "[1, 1, 1, 1]", part="running_mean", **BN)
    derive.check("batchnorm", "[1, 1, 1, 1]", part="running_var", **BN)
    assert check_module._solved.cache_info().misses == 2  # one solve per problem
    assert check_module._target.cache_info().misses == 3  # one target per part
    assert check_module._mistakes.cache_info().misses == 2  # the mistakes once per problem


def test_mistakes_are_worked_out_only_for_a_wrong_answer():
    check_module._mistakes.cache_clear()
    check_module._target.cache_clear()
    exact = "[[-1, -3, 4, 4], [-1, -5/3, 0, 20/3], [-sqrt(3)/3, -1 - 2*sqrt(3)/3, 1 - sqrt(3), 4*sqrt(3)]]"
    assert derive.check("layernorm", exact, **SEED).correct
    assert check_module._mistakes.cache_info().misses == 0
    wrong = derive.check("layernorm", PRINTED, **SEED)
    assert wrong.diagnosis.name == "rounded_intermediates"
    assert check_module._mistakes.cache_info().misses == 1


def test_report_json_and_text():
    r = derive.check("layernorm", PRINTED, **SEED)
    d = json.loads(r.to_json())
    assert d["correct"] is False and d["score"] == 0.5 and d["score_fraction"] == "1/2"
    assert d["diagnosis"]["name"] == "rounded_intermediates" and d["diagnosis"]["explained"] == 6
    assert d["answer"]["exact"][1][1] == "-83/50"
    assert d["expected"]["exact"][2][0] == "-sqrt(3)/3"
    assert [e["index"] for e in d["entries"] if not e["correct"]][0] == [1, 1]
    assert d["entries"][5]["mistakes"] and d["tolerance"]["mode"] == "implied"
    text = r.to_text()
    assert "Diagnosis: rounded intermediates" in text and "“Scale and shift”" in text
    assert "row 2, column 2: -1.66" in text and "≈ [-0.58, -2.15, -0.73, 6.93]" in text


def test_module_doctests():
    for module in (check_module, diagnose_module):
        assert doctest.testmod(module).failed == 0


# -- the fast comparison agrees with derive.verify ---------------------------------------
_TOLERANCES = [Tolerance(), Tolerance("exact"), Tolerance("decimals", digits=2),
               Tolerance("decimals", digits=1, last_place_slack=True), Tolerance("sigfigs", digits=3),
               Tolerance("sigfigs", digits=2, last_place_slack=True), PRAIRIELEARN, WEBWORK,
               Tolerance("relative", rtol=Fraction(1, 20), atol=Fraction(1, 100))]


@settings(deadline=None, max_examples=150)
@given(b=st.fractions(min_value=-20, max_value=20, max_denominator=12),
       c=st.fractions(min_value=-5, max_value=5, max_denominator=12),
       r=st.sampled_from([1, 2, 3, 5, 6, 7]), places=st.integers(0, 4), nudge=st.integers(-3, 3),
       tol=st.sampled_from(_TOLERANCES))
def test_fast_path_matches_judge_entry(b, c, r, places, nudge, tol):
    t = Surd(b, c, r)
    approx = Decimal(str(sympy.N(sympy.Rational(b.numerator, b.denominator)
                                 + sympy.Rational(c.numerator, c.denominator) * sympy.sqrt(r), 30)))
    text = str(approx.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) + nudge * Decimal(1).scaleb(-places))
    for answer in (text, str(b), f"{b.numerator}/{b.denominator}"):
        scalar = parse_answer(answer).entries
        fast = fast_agrees(scalar, student_fraction(scalar), t, tol)
        slow = judge_entry(scalar, sympy.nsimplify(sympy.Rational(b.numerator, b.denominator)
                                                   + sympy.Rational(c.numerator, c.denominator) * sympy.sqrt(r)),
                           tol).correct
        assert fast in (None, slow)
        assert agrees(scalar, student_fraction(scalar), t, tol) == slow


def test_fallback_for_surd_answers():
    scalar = parse_answer(r"4\sqrt{3}").entries
    assert fast_agrees(scalar, student_fraction(scalar), Surd(0, 4, 3), Tolerance()) is None
    assert agrees(scalar, student_fraction(scalar), Surd(0, 4, 3), Tolerance())


# -- the command line -------------------------------------------------------------------
def test_cli_acceptance_text_and_exit_codes():
    out = cli("check", "layernorm", *SEED_CLI, "--answer", PRINTED)
    assert out.returncode == 0, out.stderr
    assert "6 of 12 entries wrong" in out.stdout and "Diagnosis: rounded intermediates" in out.stdout
    for bad in ("-1.66", "0.01", "6.68", "-2.16", "-0.74", "6.92"):
        assert f": {bad} — off by more" in out.stdout
    assert cli("check", "layernorm", *SEED_CLI, "--answer", PRINTED, "--strict-exit").returncode == 1


def test_cli_json_and_latex_answer_starting_with_minus():
    out = cli("check", "layernorm", "--X", "[[1,1,1,5]]", "--answer", r"-\frac{\sqrt{3}}{3}", "--format", "json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["correct"] is False and "shape mismatch" in d["reason"]
    out = cli("check", "dropout", "--x", "[2,6,4,4,5,3,4,4]", "--p", "0.75", "--dropped", "[0,1,2,3,4,5]",
              "--part", "y_corr", "--answer", r"\frac{32}{3}", "--format", "json", "--strict-exit")
    assert out.returncode == 1 and json.loads(out.stdout)["diagnosis"]["name"] == "scaled_by_inverse_p"


def test_cli_malformed_answer_exit_2_one_line():
    out = cli("check", "layernorm", *SEED_CLI, "--answer", "[[-1,-3,4,4],[-1,-1.66,0.01 6.68]]")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert out.stderr.startswith("derive check: error: answer at position 29: expected an operator between numbers")


def test_cli_tolerance_options(capsys):
    from derive.cli import main

    row = ["--X", "[[0,2,2,8]]", "--gamma", "[1,2,3,4]", "--beta", "[0,-1,1,0]"]

    def ok(*args):
        assert main(["check", "layernorm", *row, "--format", "json", *args]) == 0
        return json.loads(capsys.readouterr().out)["correct"]

    assert ok("--answer", "[-1,-1.7,0,6.7]", "--decimals", "1")
    assert not ok("--answer", "[-1,-1.6,0,6.7]", "--decimals", "1")
    assert ok("--answer", "[-1,-1.6,0,6.7]", "--decimals", "1", "--slack")
    assert ok("--answer", "[-1,-1.66,0,6.66]", "--rtol", "0.01")
    assert not ok("--answer", "[-1,-1.66,0,6.66]", "--tolerance", "webwork")
    assert ok("--answer", "[-1,-1.67,0,6.67]", "--tolerance", "sigfigs", "--digits", "3")
    assert main(["check", "layernorm", *row, "--answer", "1", "--tolerance", "decimals"]) == 2
    assert "--digits" in capsys.readouterr().err
    assert main(["check", "layernorm", *row, "--answer", "1", "--decimals", "2", "--tolerance", "exact"]) == 2
    assert "shorthand" in capsys.readouterr().err


def test_cli_help_for_every_kind(capsys):
    from derive.cli import main

    for kind in derive.kind_names():
        try:
            derive.get_kind(kind)
        except ImportError:
            continue  # a kind still being written elsewhere
        with pytest.raises(SystemExit) as e:
            main(["check", kind, "--help"])
        out = capsys.readouterr().out
        assert e.value.code == 0 and "--answer" in out and "--tolerance" in out, kind


# -- the other kinds' registered mistakes, through `derive check` ---------------------------
MODEL = ["--layers", "Linear(52,?);LayerNorm;ReLU;Linear(128,256);LayerNorm;ReLU;Linear(?,20);LayerNorm;ReLU;Linear(?,?)",
         "--input-shape", "[4,52]", "--num-classes", "1000"]


def _check_json(capsys, *args):
    from derive.cli import main

    assert main(["check", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_model_size_mistakes_through_cli(capsys):
    dims = [(52, 128), (128, 256), (256, 20), (20, 1000)]
    weights = sum(i * o for i, o in dims)
    biases = sum(o for _, o in dims)
    layernorm = sum(2 * o for _, o in dims[:3])
    assert weights + biases + layernorm == 66756  # the seed's C
    assert _check_json(capsys, "model-size", *MODEL, "--part", "params", "--answer", "66,756".replace(",", ""))["correct"]
    d = _check_json(capsys, "model-size", *MODEL, "--part", "params", "--answer", str(weights + layernorm))
    assert d["diagnosis"]["name"] == "forgot_biases"
    d = _check_json(capsys, "model-size", *MODEL, "--part", "params", "--answer", str(weights + biases))
    assert d["diagnosis"]["name"] == "forgot_layernorm_parameters"
    n = 4
    Z = 3 * n * 128 + 3 * n * 256 + 3 * n * 20 + n * 1000
    assert Z == 8848  # the seed's Z
    d = _check_json(capsys, "model-size", *MODEL, "--part", "activations", "--answer", str(Z + n * 52))
    assert d["diagnosis"]["name"] == "counted_input"


def test_l2_mistakes_through_cli(capsys):
    pytest.importorskip("derive.kinds.l2")  # the L2 kind lands separately
    X, y = sympy.Matrix([[1, 0], [0, 1], [1, 1]]), sympy.Matrix([1, 2, 2])
    ridge = lambda lam: (X.T * X + lam * sympy.eye(2)).solve(X.T * y)  # noqa: E731
    args = ["l2", "--X", "[[1,0],[0,1],[1,1]]", "--y", "[1,2,2]", "--lam", "1"]
    fmt = lambda v: "[" + ", ".join(str(x) for x in v) + "]"  # noqa: E731
    assert _check_json(capsys, *args, "--answer", fmt(ridge(1)))["correct"]
    d = _check_json(capsys, *args, "--answer", fmt(ridge(sympy.Rational(1, 2))))
    assert d["diagnosis"]["name"] == "half_convention" and d["diagnosis"]["exact_match"]
    d = _check_json(capsys, *args, "--answer", typed([list(ridge(0))])[1:-1])  # least squares, 2 decimals
    assert d["diagnosis"]["name"] == "forgot_lambda"
