"""`derive solve model-size` as a user runs it: through a subprocess."""

import json
import subprocess
import sys

import pytest

SEED_LAYERS = ("Linear(52, ?); LayerNorm; ReLU; Linear(128, 256); LayerNorm; ReLU; Linear(?, 20); LayerNorm; "
               "ReLU; Linear(?, ?)")


def derive(*args):
    return subprocess.run([sys.executable, "-m", "derive.cli", "solve", "model-size", *args],
                          capture_output=True, text=True, timeout=120)


def test_spec_file_json():
    out = derive("--spec", "examples/model.toml", "--format", "json")
    assert out.returncode == 0, out.stderr
    a = json.loads(out.stdout)["answers"]
    assert [a[k]["exact"] for k in ("params", "activations", "K", "crossover_batch")] == ["66756", "8848", "2212", "31"]
    assert [r[0] for r in a["shapes"]["exact"]] == ["[4, 128]"] * 3 + ["[4, 256]"] * 3 + ["[4, 20]"] * 3 + ["[4, 1000]", "[]"]
    assert [r[0] for r in a["dims"]["exact"]][9] == "Linear(20, 1000)"


def test_inline_layers_text_and_options_override_the_spec():
    out = derive("--layers", SEED_LAYERS, "--input-shape", "[4, 52]", "--num-classes", "1000",
                 "--loss", "CrossEntropyLoss(reduction='none')")
    assert out.returncode == 0, out.stderr
    assert "shape(z₁₁) = [4]" in out.stdout and "C = 6784 + 256 + 33024 + 512 + 5140 + 40 + 21000" in out.stdout
    out = derive("--spec", "examples/model.toml", "--optimizer", "adam", "--dtype", "fp16", "--format", "json")
    assert json.loads(out.stdout)["answers"]["memory_bytes"]["exact"] == str((4 * 66756 + 8848) * 2)


@pytest.mark.parametrize("args, words", [
    (["--layers", "Linear(52, ?", "--input-shape", "[4, 52]"], "layer 1 'Linear(52, ?', column 13: expected"),
    (["--layers", "Linear(52, ?); Linear(?, ?)", "--input-shape", "[4, 52]"], "under-determined"),
    (["--layers", "Linear(52, 128); Linear(100, 10)", "--input-shape", "[4, 52]"], "in_features = 100 contradicts 128"),
    (["--layers", "Linar(52, 3)", "--input-shape", "[4, 52]"], "did you mean 'Linear'"),
    (["--layers", "Linear(52, -3)", "--input-shape", "[4, 52]"], "out_features must be positive"),
    (["--layers", "Linear(52, 3)", "--input-shape", "[4, 52", ], "input_shape: column 7"),
    (["--spec", "does-not-exist.toml"], "spec: cannot read does-not-exist.toml"),
    (["--spec", "examples/model.toml", "--dtype", "fp8"], "dtype: must be one of"),
])
def test_bad_input_is_one_line_and_exit_2(args, words, tmp_path):
    out = derive(*args, "-o", str(tmp_path / "out.txt"))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert words in out.stderr
    assert not (tmp_path / "out.txt").exists()


def test_bad_spec_files(tmp_path):
    cases = {
        "unknown.toml": ('layers = ["Linear(2, 2)"]\ninput_shape = [1, 2]\nnum_clases = 3\n', "did you mean 'num_classes'"),
        "broken.toml": ("layers = [\n", "not valid TOML"),
        "huge.toml": ("num_classes = " + "9" * 5000 + "\n", "not valid TOML"),
        "bool.toml": ('layers = ["Linear(2, 2)"]\ninput_shape = [1, 2]\nnum_classes = true\n', "num_classes"),
    }
    for name, (text, words) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        out = derive("--spec", str(path))
        assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr, (name, out.stderr)


def test_pdf(require_tool, tmp_path):
    require_tool("pdflatex")
    target = tmp_path / "model.pdf"
    out = derive("--spec", "examples/model.toml", "--format", "pdf", "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert target.read_bytes().startswith(b"%PDF")
