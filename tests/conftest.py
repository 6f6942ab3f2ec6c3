"""Shared test helpers: optional tools and modules skip locally, but fail in CI.

A test that needs pdflatex or torch skips on a machine without them; in CI
(``CI=true``), where .ci/run installs them, a missing one is a failure, so a broken
install step cannot turn into a green run of skipped tests.

    def test_pdf(require_tool):
        require_tool("pdflatex")

    pytestmark = pytest.mark.requires_tool("pdflatex", "pdftotext")
    @pytest.mark.requires_module("torch")
"""

import importlib
import os
import shutil

import pytest


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI (CI=true); .ci/run should install it")
    pytest.skip(f"{what} is not installed")


def _require_tool(name: str) -> str:
    """Return the path of the executable *name*, or skip (fail in CI)."""
    path = shutil.which(name)
    if path is None:
        _missing(f"the program {name!r}")
    return path


def _require_module(name: str):
    """Import and return the module *name*, or skip (fail in CI)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f"the Python module {name!r}")


@pytest.fixture
def require_tool():
    """``require_tool("pdflatex")`` → its path; skips (fails in CI) when absent."""
    return _require_tool


@pytest.fixture
def require_module():
    """``require_module("torch")`` → the module; skips (fails in CI) when absent."""
    return _require_module


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "requires_tool(*names): skip (fail when CI=true) unless the programs exist"
    )
    config.addinivalue_line(
        "markers", "requires_module(*names): skip (fail when CI=true) unless the modules import"
    )


def pytest_runtest_setup(item):
    for marker in item.iter_markers("requires_tool"):
        for name in marker.args:
            _require_tool(name)
    for marker in item.iter_markers("requires_module"):
        for name in marker.args:
            _require_module(name)
