"""Jinja's bytecode cache of compiled templates (derive.render.latex._bytecode_cache)."""

from __future__ import annotations

import os

import jinja2

from derive.render import latex as L

CONTEXT = {"title": "T", "body": r"\[ x \]", "subtitle": "Worked"}


def _with_cache(cache) -> jinja2.Environment:
    """The package's environment (delimiters, loader, filters) with another bytecode cache
    and an empty cache of loaded templates (an overlay otherwise copies the environment's)."""
    return L.environment().overlay(bytecode_cache=cache, cache_size=50)


def test_the_environment_caches_compiled_templates_in_a_private_folder():
    cache = L.environment().bytecode_cache
    assert isinstance(cache, jinja2.FileSystemBytecodeCache)
    assert os.stat(cache.directory).st_mode & 0o777 == 0o700


def test_a_template_read_back_from_the_cache_renders_what_a_fresh_compile_renders(tmp_path):
    fresh = _with_cache(None).get_template("document.tex.j2").render(CONTEXT)
    cache = jinja2.FileSystemBytecodeCache(str(tmp_path))
    first = _with_cache(cache).get_template("document.tex.j2").render(CONTEXT)
    assert list(tmp_path.glob("*.cache")), "the compiled template was not written"
    second = _with_cache(cache).get_template("document.tex.j2").render(CONTEXT)  # a new env: from the file
    assert fresh == first == second
    assert r"\[ x \]" in fresh


def test_a_cache_that_cannot_be_written_is_only_slower(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path))
    cache = L._bytecode_cache()
    assert cache is not None and cache.directory.startswith(str(tmp_path))

    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr("tempfile.NamedTemporaryFile", refuse)
    assert "Worked" in _with_cache(cache).get_template("document.tex.j2").render(CONTEXT)
    assert not list(tmp_path.rglob("*.cache"))


def test_a_folder_that_is_not_private_means_no_cache(tmp_path, monkeypatch):
    (tmp_path / f"_jinja2-cache-{os.getuid()}").mkdir(mode=0o755)
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr("os.chmod", lambda *a, **k: None)  # it stays 0755: Jinja calls it unsafe
    assert L._bytecode_cache() is None
