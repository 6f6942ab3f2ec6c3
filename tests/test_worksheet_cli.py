"""`derive worksheet`: files written, one-line errors with exit 2, nothing half-written."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from derive.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "normalization-regularization.toml"
PRINTED = ROOT / "examples" / "seed-printed.toml"


def run(argv, capsys):
    rc = main(["worksheet", *map(str, argv)])
    out, err = capsys.readouterr()
    return rc, out, err


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_tex_key_moodle_and_compare(tmp_path, capsys):
    out = tmp_path / "out"
    rc, stdout, err = run([SEED, "-o", out, "--no-pdf", "--moodle", "--compare", PRINTED], capsys)
    assert rc == 0 and err == ""
    assert names(out) == ["compare.json", "compare.txt", "key.json", "key.tex", "moodle.xml",
                          "questions.tex", "solutions.tex", "solutions.txt"]
    assert "LayerNorm(X)₃ = [-√3/3, -√3/3, -√3/3, √3] ⊙ [1, 2, 3, 4] + [0, -1, 1, 0]" in \
        (out / "solutions.txt").read_text(encoding="utf-8")
    assert "2a  LayerNorm(X) (output): 12 entries, 6 differ" in stdout
    assert stdout.strip().splitlines()[-1].startswith(f"wrote {out}/: questions.tex")
    assert json.loads((out / "compare.json").read_text())["discrepancies"] == 14
    assert "A printed version of this answer shows -1.66" in (out / "solutions.tex").read_text()
    assert json.loads((out / "key.json").read_text())["total_points"] == 45


def test_questions_only_and_precision(tmp_path, capsys):
    rc, _, _ = run([SEED, "-o", tmp_path / "q", "--no-pdf", "--no-solutions"], capsys)
    assert rc == 0 and names(tmp_path / "q") == ["questions.tex"]
    rc, _, _ = run([SEED, "-o", tmp_path / "d", "--no-pdf", "--decimals", "3"], capsys)
    assert rc == 0 and "6.928" in (tmp_path / "d" / "solutions.tex").read_text()


def test_default_folder_is_the_spec_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, _, _ = run([SEED, "--no-pdf"], capsys)
    assert rc == 0 and "key.json" in names(tmp_path / "normalization-regularization")


def test_without_pdflatex_one_line_and_the_tex_is_written(tmp_path, capsys, monkeypatch):
    import derive.render.pdf as pdf

    monkeypatch.setattr(pdf, "pdflatex_available", lambda: False)
    rc, stdout, err = run([SEED, "-o", tmp_path / "out"], capsys)
    assert rc == 0
    assert err.count("\n") == 1 and err.startswith("derive worksheet: pdflatex not found")
    assert names(tmp_path / "out") == ["key.json", "key.tex", "questions.tex", "solutions.tex", "solutions.txt"]


@pytest.mark.parametrize("spec, message", [
    ('title = "T"\n[[problems]]\nkind = "layernorm"\nparms = {X = [[1, 2]]}',
     "problem 1 (layernorm): unknown key 'parms' (did you mean 'params'?)"),
    ('title = "T"\n[[problems]]\nkind = layernorm', "invalid TOML: Invalid value (at line 3, column 8)"),
    ('title = "T"\n[[problems]]\nkind = "batchnorm"\nparams = {X = [[1, 2], [3, 4]], eps = -1}',
     "problem 1 (batchnorm): params.eps: must be non-negative"),
    ('title = "T"\n[[problems]]\nkind = "layernorm"\nparams = {X = [[1, 2]]}\n[[problems.parts]]\nresults = ["y"]',
     "part (a): results: unknown result 'y'"),
])
def test_bad_specs_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, spec, message):
    path = tmp_path / "spec.toml"
    path.write_text(spec)
    out = tmp_path / "out"
    rc, stdout, err = run([path, "-o", out, "--no-pdf"], capsys)
    assert rc == 2 and stdout == ""
    assert err.count("\n") == 1 and err.startswith("derive worksheet: error: ") and message in err
    assert not out.exists()


def test_an_error_leaves_an_existing_folder_as_it_was(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "questions.tex").write_text("old")
    bad = tmp_path / "printed.toml"
    bad.write_text('[[answers]]\npart = "2a"\nvalue = [1]')
    rc, _, err = run([SEED, "-o", out, "--no-pdf", "--compare", bad], capsys)
    assert rc == 2 and "has shape [1] but output has shape [3, 4]" in err
    assert names(out) == ["questions.tex"] and (out / "questions.tex").read_text() == "old"
    assert names(tmp_path) == ["out", "printed.toml"]


def test_usage_errors(capsys):
    with pytest.raises(SystemExit) as e:
        main(["worksheet"])
    assert e.value.code == 2
    assert "the following arguments are required: SPEC.toml" in capsys.readouterr().err


def test_the_installed_command_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "T"\n[[problems]]\nkind = "dropuot"\nparams = {x = [1]}')
    done = subprocess.run([sys.executable, "-m", "derive.cli", "worksheet", str(bad), "-o", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == ("derive worksheet: error: problem 1: kind: unknown problem kind 'dropuot' "
                           "(did you mean 'dropout'?); known: layernorm, batchnorm, dropout, l2, model-size\n")
