"""The generate command's own worker processes and the combined key's writing (speed work,
issue 8): the fast paths against the plain ones, and the failures the pool must pass on."""

import multiprocessing
import random

import pytest

from derive import generate as G
from derive.errors import DeriveError, InputError
from derive.worksheet import parse_worksheet

SPEC = '''
title = "Quiz"
[[problems]]
kind = "layernorm"
[[problems.parts]]
question = "Compute LayerNorm(X)."
[[problems]]
kind = "dropout"
[[problems.parts]]
results = ["y_corr"]
'''


@pytest.fixture(scope="module")
def ws():
    return parse_worksheet(SPEC, require_params=False)


def _files(variants):
    return [(b.id, b.files) for b in variants]


# ---------------------------------------------------------------------------------
# The worker pool.

def test_chunks_cover_the_numbers_in_order_and_shrink_towards_the_end():
    rng = random.Random(5)
    for _ in range(300):
        n, jobs, most = rng.randint(0, 3000), rng.randint(1, 9), rng.randint(1, 20)
        numbers = list(range(2, n + 2))
        chunks = G._chunks(numbers, jobs, most)
        assert [k for c in chunks for k in c] == numbers
        assert all(1 <= len(c) <= most for c in chunks)
        sizes = [len(c) for c in chunks]
        assert sizes == sorted(sizes, reverse=True)
        assert not chunks or sizes[-1] == 1


@pytest.mark.parametrize("n", [2, 3, 9, 40])
def test_two_and_three_workers_build_what_one_process_builds(ws, n):
    plan = G.prepare(ws, n, 11)
    one = _files(G.iter_variants(plan, jobs=1, checks=()))
    for jobs in (2, 3):
        assert _files(G.iter_variants(plan, jobs=jobs, checks=())) == one


def _fail_in_worker(monkeypatch, k_bad: int, fail):
    """build_variant fails for variant `k_bad` (in whichever process builds it: forked
    workers inherit the patch)."""
    build = G.build_variant

    def patched(plan, pv, fixed, **options):
        if pv.number == k_bad:
            fail()
        return build(plan, pv, fixed, **options)

    monkeypatch.setattr(G, "build_variant", patched)


def _no_workers_left():
    for proc in multiprocessing.active_children():
        proc.join(5)
    return not multiprocessing.active_children()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="patches reach workers by fork")
def test_an_input_error_in_a_worker_is_raised_here_and_the_workers_stop(ws, monkeypatch):
    def fail():
        raise InputError("problem 1 (layernorm)", "cannot draw it")

    _fail_in_worker(monkeypatch, 7, fail)
    got = []
    with pytest.raises(InputError, match="cannot draw it"):
        for built in G.iter_variants(G.prepare(ws, 30, 11), jobs=2, checks=()):
            got.append(built.id)
    assert got == [G.variant_id(k, 30) for k in range(1, 7)]
    assert _no_workers_left()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="patches reach workers by fork")
def test_a_bug_in_a_worker_is_raised_here_with_the_worker_s_traceback(ws, monkeypatch):
    def fail():
        return 1 // 0

    _fail_in_worker(monkeypatch, 5, fail)
    with pytest.raises(ZeroDivisionError) as info:
        list(G.iter_variants(G.prepare(ws, 12, 11), jobs=2, checks=()))
    assert isinstance(info.value.__cause__, G._RemoteTraceback)
    assert "ZeroDivisionError" in str(info.value.__cause__) and "fail" in str(info.value.__cause__)
    assert _no_workers_left()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="patches reach workers by fork")
def test_a_worker_that_dies_is_an_error_not_a_hang(ws, monkeypatch):
    import os

    _fail_in_worker(monkeypatch, 4, lambda: os._exit(3))
    with pytest.raises(DeriveError, match="ended unexpectedly"):
        list(G.iter_variants(G.prepare(ws, 12, 11), jobs=2, checks=()))
    assert _no_workers_left()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="patches reach workers by fork")
def test_a_worker_dead_before_it_is_given_work_is_the_same_error(monkeypatch):
    """Sending to a dead worker raised BrokenPipeError, not the error above (seen with 16 cores,
    where a worker could die before this process gave it its next chunk)."""
    import os

    monkeypatch.setattr(G, "_init_worker", lambda *args: os._exit(3))
    workers = G._Workers(2, None)
    for proc in workers.procs:
        proc.join(5)
    with pytest.raises(DeriveError, match=r"ended unexpectedly \(exit code 3\)"):
        list(workers.imap(list(range(2, 40))))
    workers.close()
    assert _no_workers_left()


def test_stopping_early_stops_the_workers(ws):
    variants = G.iter_variants(G.prepare(ws, 40, 11), jobs=2, checks=())
    assert [next(variants).id for _ in range(3)] == ["v01", "v02", "v03"]
    variants.close()
    assert _no_workers_left()


# ---------------------------------------------------------------------------------
# The combined key: written from bytes that the workers encode.

def _key_files(tmp_path, name, files_list, header):
    from derive.variant_output import KeyWriter

    folder = tmp_path / name
    folder.mkdir()
    writer = KeyWriter(folder, header)
    for files in files_list:
        writer.add(files)
    writer.close()
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _plain_key(header, files_list):
    """key.json as json.dumps writes the header, one entry per line; key.csv as csv writes it."""
    import csv
    import io
    import json

    from derive.variant_output import CSV_COLUMNS

    key = dict(header)
    for group, attr in (("parts", "key_parts"), ("written_parts", "key_written")):
        key[group] = [line for f in files_list for line in getattr(f, attr).splitlines()]
    text = json.dumps({**header, "parts": [], "written_parts": []}, ensure_ascii=False, indent=2)
    for group in ("parts", "written_parts"):
        body = "[]" if not key[group] else "[\n    " + ",\n    ".join(key[group]) + "\n  ]"
        text = text.replace(f'"{group}": []', f'"{group}": {body}')
    rows = io.StringIO()
    csv.writer(rows, lineterminator="\n").writerow(CSV_COLUMNS)
    return {"key.json": (text + "\n").encode(), "key.csv": (rows.getvalue() + "".join(f.key_csv for f in files_list)).encode()}


@pytest.mark.parametrize("header", [{}, {"title": "Quiz — ü", "n": 2}])
def test_key_files_from_the_workers_bytes_are_the_plain_key(ws, tmp_path, header):
    """KeyWriter writes the same bytes from a variant's text (built here) and from the bytes a
    worker sends (`VariantFiles.written`), and they are the plain json/csv dump; and
    `key_bytes` is the text in UTF-8 whichever form the files are in."""
    variants = list(G.iter_variants(G.prepare(ws, 9, 4), checks=()))
    files = [b.files for b in variants]
    sent = []
    for b in variants:
        sent.append(b.files.written(tmp_path / b.id, keep_sources=False))
        assert sent[-1].key_bytes() == b.files.key_bytes() == tuple(
            t.encode("utf-8") for t in (b.files.key_parts, b.files.key_written, b.files.key_csv))
        assert sent[-1].in_folder and sent[-1].tex == {} and sent[-1].key_parts == ""
    plain = _plain_key(header, files)
    assert _key_files(tmp_path, "text", files, header) == plain
    assert _key_files(tmp_path, "bytes", sent, header) == plain
    assert _key_files(tmp_path, "mixed", [sent[0], files[1], sent[2]] + files[3:], header) \
        == _plain_key(header, files)


def test_appended_bytes_are_the_per_line_text_in_utf8():
    """Entries with 2- and 3-byte characters: the bytes are the per-line copy's text, encoded."""
    import io

    from derive.variant_output import _append_entries

    rng = random.Random(8)
    for _ in range(200):
        entries = ['{"a": "%s"}' % "".join(rng.choice("xλ→\\\"é") for _ in range(rng.randrange(9)))
                   for _ in range(rng.randrange(4))]
        count = rng.randrange(3)
        data = io.BytesIO()
        _append_entries(data, "".join(e + "\n" for e in entries).encode("utf-8"), count)
        plain = "".join(("\n    " if count == 0 and i == 0 else ",\n    ") + e for i, e in enumerate(entries))
        assert data.getvalue() == plain.encode("utf-8")


def test_a_variant_s_folder_is_what_write_text_writes(tmp_path):
    """write_folder's raw writes give the bytes that Path.write_text gives (on POSIX), make
    the folder or reuse it, replace longer files, and refuse a folder that is a file."""
    from derive.variant_output import VariantFiles, write_folder

    rng = random.Random(3)
    for k in range(30):
        size = rng.choice([0, 1, 100, 70_000, 300_000])
        tex = {name: "".join(rng.choice("a\\{}\n λ→é\r\t") for _ in range(rng.randrange(size + 1)))
               for name in ("questions", "solutions", "key")[:rng.randrange(4)]}
        files = VariantFiles(tex, "".join(rng.choice('{}"x: é\n') for _ in range(rng.randrange(2000))),
                             "", "", "", (0, 0))
        folder = tmp_path / f"v{k % 7}"  # some folders written again, over longer or shorter files
        write_folder(folder, files)
        plain = tmp_path / "plain"
        plain.mkdir(exist_ok=True)
        for name, text in {**{f"{n}.tex": t for n, t in tex.items()}, "key.json": files.key_json}.items():
            (plain / name).write_text(text, encoding="utf-8")
            assert (folder / name).read_bytes() == (plain / name).read_bytes()
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        write_folder(tmp_path / "file", VariantFiles({}, "", "", "", "", (0, 0)))


def test_an_earlier_run_s_folder_is_removed_whole_on_threads_and_no_link_is_followed(tmp_path):
    import shutil

    from derive.variant_output import _remove_tree

    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "keep.txt").write_text("keep")
    rng = random.Random(2)
    for case in range(12):
        old = tmp_path / f"old{case}"
        previous = old / "previous"
        previous.mkdir(parents=True)
        for k in range(rng.randrange(0, 40)):
            folder = previous / f"v{k:03d}"
            folder.mkdir()
            for name in ("questions.tex", "key.json")[:rng.randrange(3)]:
                (folder / name).write_text("x" * rng.randrange(100))
            if rng.random() < 0.2:
                (folder / "sub" / "subsub").mkdir(parents=True)
                (folder / "sub" / "subsub" / "f").write_text("y")
            if rng.random() < 0.2:
                (folder / "link").symlink_to(outside / "deep", target_is_directory=True)
        (previous / "key.json").write_text("{}")
        if rng.random() < 0.3:
            (previous / "top-link").symlink_to(outside, target_is_directory=True)
        threads = rng.choice([1, 2, 8])
        _remove_tree(old, threads=threads)
        assert not old.exists()
        assert (outside / "deep" / "keep.txt").read_text() == "keep"
    _remove_tree(tmp_path / "missing")  # as rmtree(..., ignore_errors=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside"]
    shutil.rmtree(outside)


def test_checks_on_a_gpu_build_in_one_process(ws, monkeypatch):
    """CUDA refuses to start in a forked child of a process that used it (the fixed problems'
    checks do, before the fork): seen on an H100 as 'Cannot re-initialize CUDA in forked subprocess'."""
    from derive.numerics import uses_gpu

    assert uses_gpu("torch:cuda") and uses_gpu("numpy,torch:cuda:1") and uses_gpu(("cupy",))
    assert not uses_gpu("numpy") and not uses_gpu("torch:cpu") and not uses_gpu(()) and not uses_gpu("none")

    def no_workers(*args):
        raise AssertionError("forked workers with GPU checks")

    monkeypatch.setattr(G, "uses_gpu", lambda checks: True)
    monkeypatch.setattr(G, "_Workers", no_workers)
    built = list(G.iter_variants(G.prepare(ws, 6, 11), jobs=2, checks=("numpy",)))
    assert [b.id for b in built] == [G.variant_id(k, 6) for k in range(1, 7)]
