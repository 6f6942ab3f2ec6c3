"""The command line, run as a user would: through a subprocess."""

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sympy

SEED_SPEC = Path(__file__).resolve().parent.parent / "examples" / "normalization-regularization.toml"

SEED_LN = ["--X", "[[4,4,8,8],[0,2,2,8],[1,1,1,5]]", "--gamma", "[1,2,3,4]", "--beta", "[0,-1,1,0]", "--eps", "0"]
SEED_BN = ["--X", "[[2,2,1,1],[2,5,4,1],[5,5,10,10]]", "--gamma", "[1,2,3,4]", "--beta", "[0,-1,1,0]", "--eps", "0"]


def derive(*args, check=False):
    return subprocess.run([sys.executable, "-m", "derive.cli", *args], capture_output=True, text=True,
                          check=check, timeout=120)


def test_acceptance_layernorm_json():
    out = derive("solve", "layernorm", *SEED_LN, "--format", "json", check=True)
    exact = json.loads(out.stdout)["answer"]["exact"]
    expected = [[-1, -3, 4, 4], [-1, sympy.Rational(-5, 3), 0, sympy.Rational(20, 3)],
                [-sympy.sqrt(3) / 3, -1 - 2 * sympy.sqrt(3) / 3, 1 - sympy.sqrt(3), 4 * sympy.sqrt(3)]]
    for row, want in zip(exact, expected):
        assert [sympy.simplify(sympy.sympify(s) - w) for s, w in zip(row, want)] == [0] * 4


def test_acceptance_batchnorm_json():
    out = derive("solve", "batchnorm", *SEED_BN, "--format", "json", check=True)
    column2 = [row[1] for row in json.loads(out.stdout)["answer"]["exact"]]
    s2 = sympy.sqrt(2)
    assert [sympy.simplify(sympy.sympify(s) - w) for s, w in zip(column2, [-2 * s2 - 1, s2 - 1, s2 - 1])] == [0] * 3


def test_text_latex_and_output_file(tmp_path):
    assert "≈ [-0.58, -2.15, -0.73, 6.93]" in derive("solve", "layernorm", *SEED_LN, check=True).stdout
    target = tmp_path / "ln.tex"
    derive("solve", "layernorm", *SEED_LN, "--format", "latex", "-o", str(target), check=True)
    assert target.read_text().startswith(r"\documentclass")


def test_decimals_option():
    out = derive("solve", "layernorm", *SEED_LN, "--decimals", "4", check=True).stdout
    assert "-2.1547" in out


@pytest.mark.requires_tool("pdflatex")
def test_pdf_output(tmp_path):
    target = tmp_path / "ln.pdf"
    derive("solve", "layernorm", *SEED_LN, "--format", "pdf", "-o", str(target), check=True)
    assert target.read_bytes().startswith(b"%PDF")


@pytest.mark.requires_tool("pdflatex")
def test_format_all_writes_every_output(tmp_path):
    stem = tmp_path / "out" / "bn"
    derive("solve", "batchnorm", *SEED_BN, "--format", "all", "-o", str(stem), check=True)
    assert sorted(p.suffix for p in stem.parent.iterdir()) == [".json", ".pdf", ".tex", ".txt"]


@pytest.mark.parametrize("args, message", [
    (["solve", "layernorm", "--X", "[[1,2],[3]]"], "X: is ragged"),
    (["solve", "layernorm", "--X", "[]"], "X: is empty"),
    (["solve", "layernorm", "--X", "[[1,\"a\"]]"], "X[0][1]: not a number"),
    (["solve", "layernorm", "--X", "[[1,NaN]]"], "X: NaN is not allowed"),
    (["solve", "layernorm", "--X", "[[1,2]]", "--gamma", "[1]"], "gamma: has 1 entries"),
    (["solve", "layernorm", "--X", "[[1,2]]", "--eps", "-1"], "eps: must be non-negative"),
    (["solve", "layernorm", "--X", "[[1,2]]", "--eps", "__import__('os')"], "eps: not a number"),
    (["solve", "layernorm", "--Y", "1"], "unrecognized arguments"),
    (["solve", "layernorm"], "X: is required"),
    (["solve", "batchnorm", "--X", "[[1,2]]", "--mode", "test"], "mode: must be one of train, eval"),
    (["solve", "layernrm"], "did you mean 'layernorm'"),
    (["solve", "layernorm", "--X", "[" * 5000 + "]" * 5000], "X: list nested more than 32 levels deep"),
    (["solve", "layernorm", "--X", "[[1,2]]", "--check", "jax"], "check: unknown backend"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, message):
    target = tmp_path / "out.json"
    result = derive(*args, "-o", str(target)) if args[0] == "solve" and len(args) > 2 else derive(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()


@pytest.mark.parametrize("command", [["worksheet"], ["generate", "--variants", "2", "--seed", "1"]])
@pytest.mark.parametrize("check, message", [
    ("jax", "--check: unknown backend 'jax'; choose from numpy, torch, cupy, all, none"),
    ("numpy,cupy", "--check: backend 'cupy' is not installed"),
])
def test_a_bad_check_option_is_the_option_s_error(tmp_path, command, check, message):
    """Checked before any problem is solved: it named "problem 1 (model-size): check", as if
    the spec's first problem were at fault."""
    if check == "numpy,cupy" and importlib.util.find_spec("cupy") is not None:
        pytest.skip("CuPy is installed here")
    out = tmp_path / "out"
    result = derive(command[0], str(SEED_SPEC), *command[1:], "--check", check, "--no-pdf", "-o", str(out))
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"derive {command[0]}: error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1 and "problem" not in result.stderr
    assert not out.exists()


def test_size_limit_from_cli(tmp_path):
    big = tmp_path / "big.json"
    big.write_text("[" + ",".join(["[" + ",".join(["1"] * 1001) + "]"] * 1000) + "]")
    result = derive("solve", "layernorm", "--X", f"@{big}")
    assert result.returncode == 2 and "more than 1000000 elements" in result.stderr


def test_matrix_from_file(tmp_path):
    source = tmp_path / "x.json"
    source.write_text("[[1, 1, 1, 5]]")
    assert "[-√3/3, -√3/3, -√3/3, √3]" in derive("solve", "layernorm", "--X", f"@{source}", check=True).stdout
    missing = derive("solve", "layernorm", "--X", f"@{tmp_path / 'nope.json'}")
    assert missing.returncode == 2 and "X: cannot read" in missing.stderr


def test_help_is_fast_and_imports_no_sympy_or_torch():
    code = ("import sys, derive.cli, contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()): derive.cli.main(['--help'])\n"
            "print(sorted(m for m in ('sympy', 'torch', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "derive.cli", "--help"], capture_output=True, check=True)
    assert time.perf_counter() - start < 1.0  # the benchmark measures the 0.3 s target; this guards regressions


def test_solve_help_lists_parameters():
    out = derive("solve", "batchnorm", "--help", check=True).stdout
    assert "--running-mean" in out and "--momentum" in out


def test_public_api_names_resolve():
    import derive

    for name in derive.__all__:
        assert getattr(derive, name) is not None, name
    from pathlib import Path

    ws = derive.load_worksheet(Path(__file__).parent.parent / "examples" / "normalization-regularization.toml")
    assert len(ws.problems) == 5


def test_the_console_command_returns_main_s_status_and_freezes_the_objects_for_exit(monkeypatch, capsys):
    """`derive` runs `console`: the status is main's, and the objects made are frozen so that
    the interpreter's last collections skip them."""
    import gc

    from derive.cli import console

    monkeypatch.setattr(sys, "argv", ["derive", "solve", "layernorm", "--X", "[[1, 1, 1, 5]]", "--eps", "0"])
    try:
        assert console() == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert "√3" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["derive", "solve", "layernorm", "--X", "[[1, 1"])
    try:
        assert console() == 2
    finally:
        gc.unfreeze()


def test_the_installed_command_is_console():
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "derive"]
    assert script.value == "derive.cli:console"
