"""examples/notebook.ipynb runs top to bottom and shows solutions as rendered LaTeX/Markdown."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "notebook.ipynb"

pytestmark = pytest.mark.requires_module("nbclient", "nbformat", "ipykernel")


def _kernel_name() -> str:
    """The current interpreter's kernel: `python3` (ipykernel's native spec), installed if missing."""
    import subprocess

    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:  # pragma: no cover - depends on the machine
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--user", "--name", "python3"],
                       check=True, capture_output=True, timeout=120)
    return "python3"


def test_notebook_executes_and_renders(monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the kernel imports this checkout's derive
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name=_kernel_name(),
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    data = [o.get("data", {}) for o in outputs]
    latex = [d["text/latex"] for d in data if "text/latex" in d]
    assert any(r"\mathrm{LayerNorm}(X)" in t and r"4 \sqrt{3}" in t for t in latex)  # the Solution
    markdown = [d["text/markdown"] for d in data if "text/markdown" in d]
    assert len(markdown) == 1 and "## 5. $\\ell_2$ Regularization" in markdown[0]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "14 printed values differ" in text
    plain = [d.get("text/plain", "") for d in data]
    assert "{'y_drop': 8, 'y_corr': 32, 'y_orig': 32}" in plain and "(66756, 8848)" in plain
