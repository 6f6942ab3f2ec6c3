"""The float-error oracle: exact errors, ulps checked independently, input rounding,
two-pass vs naive variance, renderers and the `derive numerics` command."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.backends import DTYPES
from derive.exact import Surd, to_sympy
from derive.oracle import entry_error, run_oracle, shortest_repr

ACCEPT = {"X": [[10000, 10001, 10002, 10003]], "eps": "1e-5"}
SEED = dict(X=[[4, 4, 8, 8], [0, 2, 2, 8], [1, 1, 1, 5]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0], eps=0)
NUMPY_TYPES = {"float64": np.float64, "float32": np.float32, "float16": np.float16}


def _independent_ulps(exact, computed: float, dtype: str) -> float | None:
    """|computed − exact| / spacing, with SymPy's 60-digit value and numpy.spacing / math.ulp.

    None where the exact value rounds into the next binade (its spacing differs there).
    """
    value = Fraction(str(sympy.N(to_sympy(exact), 60)))
    approx = float(value)
    if approx == 0:
        return None
    if dtype == "float64":
        spacing = math.ulp(approx)
        lower = 2.0 ** math.floor(math.log2(abs(approx)))
    else:
        typed = NUMPY_TYPES[dtype](approx)
        spacing = abs(float(np.spacing(typed)))
        lower = 2.0 ** math.floor(math.log2(abs(approx)))
        if abs(float(typed)) >= 2 * lower or abs(approx) < float(DTYPES[dtype].smallest_normal):
            return None
    if abs(approx) in (lower,) or abs(float(value)) >= 2 * lower:
        return None
    return float(abs(Fraction(computed) - value) / Fraction(spacing))


def _check_run_ulps(report):
    checked = 0
    for run in report.runs:
        if run.dtype.name == "bfloat16":
            continue
        for result in run.results:
            for e in result.entries:
                if e.status != "ok":
                    continue
                ind = _independent_ulps(e.exact, e.computed, run.dtype.name)
                if ind is None:
                    continue
                assert e.ulps == pytest.approx(ind, rel=1e-9, abs=1e-9), (run.label, e.index)
                checked += 1
    return checked


# -- acceptance: large mean, tiny eps, float16 --------------------------------------------
def test_acceptance_float16_input_rounding_explains_everything():
    rep = run_oracle("layernorm", ACCEPT, dtypes="float16", variance="two-pass")
    run = rep.runs[0]
    assert [e.computed for e in run.results[0].entries] == [0.0] * 4
    # float16 cannot hold 10001..10003 (spacing 8 there) nor 1e-5 exactly.
    stored = {(r.param, r.index): r.stored for r in rep.input_rounding["float16"]}
    assert stored[("X", (0, 1))] == stored[("X", (0, 2))] == stored[("X", (0, 3))] == 10000
    assert stored[("eps", ())] == Fraction(21, 2**21)
    out = run.results[0]
    assert out.max_arithmetic_ulps == 0
    assert out.max_input_ulps == out.max_ulps == pytest.approx(1831.78, abs=0.01)
    assert any("input rounding" in n for n in rep.notes)
    assert _check_run_ulps(rep) == 4


def test_numpy_and_torch_give_the_same_table(require_module):
    require_module("torch")
    a = run_oracle("layernorm", ACCEPT, dtypes="float16,float32", backends="numpy", layers=False)
    b = run_oracle("layernorm", ACCEPT, dtypes="float16,float32", backends="torch", layers=False)
    for ra, rb in zip(a.runs, b.runs):
        assert [e.computed for e in ra.results[0].entries] == [e.computed for e in rb.results[0].entries] or \
            ra.variance == "naive"  # naive float16 is NaN on both, NaN != NaN
        assert ra.max_ulps == rb.max_ulps or math.isinf(ra.max_ulps)


def test_two_pass_vs_naive_variance_float32():
    rep = run_oracle("layernorm", ACCEPT, dtypes="float32", variance="both")
    rows = {r.formula: r for r in rep.variance[("numpy", "cpu", "float32")]}
    assert rows["two-pass"].exact == Fraction(5, 4) and rows["two-pass"].computed == 1.25
    assert rows["two-pass"].ulps == 0
    assert rows["naive"].ulps > 1e6            # E[x²] ≈ 1e8 where float32's spacing is 8
    assert any("catastrophic cancellation" in n for n in rep.notes)


def test_naive_variance_overflows_float16():
    rep = run_oracle("layernorm", ACCEPT, dtypes="float16", variance="naive")
    assert all(e.status == "nonfinite" for e in rep.runs[0].results[0].entries)
    assert any("overflow" in n for n in rep.notes)


# -- ulps against an independent computation ------------------------------------------------
def test_seed_ulps_match_numpy_spacing():
    rep = run_oracle("layernorm", SEED, dtypes="float64,float32,float16", variance="both")
    assert _check_run_ulps(rep) >= 30


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.integers(-50, 50), min_size=3, max_size=3).filter(lambda r: len(set(r)) > 1),
                min_size=1, max_size=2),
       st.sampled_from(["0", "1/3", "1e-3"]))
def test_random_ulps_match_numpy_spacing(X, eps):
    rep = run_oracle("layernorm", {"X": X, "eps": eps}, dtypes="float64,float32,float16", variance="two-pass")
    _check_run_ulps(rep)


def test_entry_error_is_exact():
    f16 = DTYPES["float16"]
    e = entry_error(Surd(0, Fraction(1, 3), 3), 0.5771484375, f16)      # √3/3 in float16
    assert e.ulps == pytest.approx(float(abs(Fraction(0.5771484375) - Fraction(str(sympy.N(sympy.sqrt(3) / 3, 50))))
                                         / Fraction(1, 2048)), rel=1e-12)
    assert entry_error(Fraction(0), 0.0, f16).ulps == 0
    assert entry_error(Fraction(1), math.nan, f16).status == "nonfinite"


def test_undefined_rows_are_reported_not_errors():
    rep = run_oracle("layernorm", {"X": [[2, 2, 2, 2], [1, 1, 1, 5]], "eps": 0}, dtypes="float32",
                     variance="two-pass")
    entries = rep.runs[0].results[0].entries
    assert [e.status for e in entries[:4]] == ["undefined"] * 4
    assert all(e.status == "ok" for e in entries[4:])


def test_shortest_repr():
    assert shortest_repr(10000.0, DTYPES["float16"]) == "10000"
    assert shortest_repr(float(np.float16(0.1)), DTYPES["float16"]) == "0.1"
    assert shortest_repr(float(np.float32(1 / 3)), DTYPES["float32"]) == "0.33333334"
    assert shortest_repr(math.inf, DTYPES["float16"]) == "inf"


def test_batchnorm_oracle_covers_running_statistics():
    rep = run_oracle("batchnorm", {"X": [[2, 2, 1, 1], [2, 5, 4, 1], [5, 5, 1, 4]], "eps": "1e-5"},
                     dtypes="float32", variance="two-pass", layers=False)
    names = {r.name for r in rep.runs[0].results}
    assert "output" in names
    rows = rep.variance[("numpy", "cpu", "float32")]
    assert [r.index for r in rows] == [(0, j) for j in range(4)]      # one σ² per column
    assert rows[0].exact == 2


def test_torch_layer_runs_at_the_requested_dtype(require_module):
    require_module("torch")
    rep = run_oracle("layernorm", SEED, backends="torch", dtypes="float16", variance="two-pass")
    layers = [r for r in rep.runs if r.source != "definition"]
    if not layers:
        pytest.skip("the layernorm kind has no torch_layer hook yet")
    assert layers[0].source == "torch.nn.LayerNorm" and layers[0].dtype.name == "float16"
    assert layers[0].max_ulps < 8


# -- renderers ----------------------------------------------------------------------------
def test_text_json_latex():
    rep = run_oracle("layernorm", ACCEPT, dtypes="float16,float32")
    text = rep.to_text()
    assert "X[0,1] = 10001 is stored as 10000" in text and "1832" in text
    data = json.loads(rep.to_json())                     # allow_nan=False: strict JSON
    assert data["runs"][0]["results"]["output"]["entries"][1]["computed"] == "0"
    assert data["runs"][1]["results"]["output"]["max_ulps"] == "inf"
    tex = rep.to_latex()
    assert r"\begin{tabular}" in tex and r"\end{document}" in tex


def test_latex_compiles(require_tool):
    require_tool("pdflatex")
    from derive.render.pdf import compile_pdf

    assert compile_pdf(run_oracle("layernorm", SEED, dtypes="float16").to_latex())[:4] == b"%PDF"


# -- the command --------------------------------------------------------------------------
def _cli(*args):
    return subprocess.run([sys.executable, "-m", "derive.cli", "numerics", *args], capture_output=True,
                          text=True, timeout=120)


def test_cli_acceptance():
    r = _cli("layernorm", "--X", "[[10000,10001,10002,10003]]", "--eps", "1e-5", "--dtype", "float16")
    assert r.returncode == 0, r.stderr
    assert "Exact answer" in r.stdout and "50√138890/13889" in r.stdout
    assert "X[0,1] = 10001 is stored as 10000" in r.stdout
    assert "numpy cpu float16 · definition, two-pass variance" in r.stdout
    assert "1832" in r.stdout


def test_cli_every_kind_runs():
    """numerics model-size crashed with argparse's conflicting --dtype (the memory dtype);
    dropout, ℓ₂ and model size had no way onto derive.backends at all."""
    model = _cli("model-size", "--layers", "Linear(52, 128); ReLU; Linear(?, 10)", "--input-shape", "[4,52]",
                 "--num-classes", "10", "--dtype", "float16")
    assert model.returncode == 0, model.stderr
    assert "numpy cpu float16 · definition" in model.stdout and "8074" in model.stdout
    drop = _cli("dropout", "--x", "[2,6,4,4,5,3,4,4]", "--mask", "[0,0,0,0,0,0,1,1]", "--p", "3/4")
    assert drop.returncode == 0, drop.stderr
    assert "numpy cpu float32 · definition   [" in drop.stdout and "Var_y_corr" in drop.stdout
    assert "naive" not in drop.stdout  # no variance in the definition: one run per dtype, not two alike
    ridge = _cli("l2", "--X", "[[1,0],[0,1],[1,1]]", "--y", "[1,2,2]", "--lam", "1", "--dtype", "float16")
    assert ridge.returncode == 2 and ridge.stderr.count("\n") == 1 and "half precision" in ridge.stderr


def test_cli_torch_gives_the_same_rows(require_module):
    require_module("torch")
    args = ("layernorm", "--X", "[[10000,10001,10002,10003]]", "--eps", "1e-5", "--dtype", "float16",
            "--variance", "two-pass", "--no-layers")
    a, b = _cli(*args, "--backend", "numpy"), _cli(*args, "--backend", "torch")
    assert a.returncode == b.returncode == 0
    rows = lambda out: [line for line in out.splitlines() if line.startswith("    [0,")]  # noqa: E731
    assert rows(a.stdout) == rows(b.stdout) and len(rows(a.stdout)) == 5  # 4 entries + σ²


def test_cli_json():
    r = _cli("layernorm", "--X", "[[1,1,1,5]]", "--dtype", "float16", "--format", "json")
    assert r.returncode == 0
    assert json.loads(r.stdout)["kind"] == "layernorm"


@pytest.mark.parametrize("args,message", [
    (("--dtype", "float8"), "unknown dtype 'float8'"),
    (("--backend", "jax"), "unknown backend 'jax'"),
    (("--device", "cuda"), "numpy runs on the CPU only"),
    (("--variance", "three-pass"), "invalid choice"),
    (("--X", "[[1,2],[3]]"), "X"),
])
def test_cli_bad_input_is_one_line_exit_2(args, message):
    base = ["layernorm", "--X", "[[1,2,3]]"]
    if args[0] == "--X":
        base = ["layernorm"]
    r = _cli(*base, *args)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""


def test_cli_cupy_not_installed_exit_2():
    import importlib.util

    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("cupy is installed here")
    r = _cli("layernorm", "--X", "[[1,2,3]]", "--backend", "cupy")
    assert r.returncode == 2 and "cupy is not installed" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_batchnorm_torch_layer_with_running_statistics(mode, require_module):
    require_module("torch")
    rep = run_oracle("batchnorm", {"X": [[2, 2, 1, 1], [2, 5, 4, 1], [5, 5, 1, 4]], "eps": "1e-5", "mode": mode,
                                   "running_mean": [1, 0, 0, 2], "running_var": [2, 1, 1, 3]},
                     backends="torch", dtypes="float32", variance="two-pass")
    layer = next(r for r in rep.runs if r.source == "torch.nn.BatchNorm1d")
    definition = next(r for r in rep.runs if r.source == "definition")
    expected = {"output", "running_mean", "running_var"} if mode == "train" else {"output"}
    assert {r.name for r in layer.results} == {r.name for r in definition.results} == expected
    assert layer.max_ulps < 16 and definition.max_ulps < 16
