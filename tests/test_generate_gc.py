"""Worker processes build variants with the cyclic garbage collector switched off and
collect every WORKER_COLLECT_EVERY variants themselves (derive.generate._init_worker).
That is free for the seed worksheet, whose variants make no reference cycles, and the
periodic collection bounds the garbage of kinds whose SymPy code does make some."""

import gc
from pathlib import Path

import pytest

from derive import generate as G
from derive.worksheet import load_worksheet, parse_worksheet

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = {"checks": ("numpy",), "precision": None, "moodle": False, "matrices": None, "keep_solved": False}

EVERY_KIND = '''
title = "All kinds"
[[problems]]
kind = "layernorm"
[[problems]]
kind = "batchnorm"
[[problems]]
kind = "dropout"
[[problems]]
kind = "model-size"
[[problems]]
kind = "l2"
'''


@pytest.fixture
def worker():
    """Runs `_work_remote` as a worker process does (collector off), then puts things back."""
    def start(ws, n: int, difficulty=None):
        plan = G.prepare(ws, n, 11, difficulty=difficulty)
        G._init_worker(G._Job(plan, G.solve_fixed(plan), OPTIONS), True)

    yield start
    G._init_worker(None)
    gc.enable()


def test_the_seed_worksheet_s_variants_make_no_reference_cycles(worker):
    worker(load_worksheet(ROOT / "examples" / "normalization-regularization.toml", require_params=False), 60)
    for k in range(1, 6):  # the first variants fill the caches (templates, SymPy identities)
        G._work_remote(k)
    gc.collect()
    for k in range(6, 61):
        G._work_remote(k)
    assert gc.collect() == 0


def test_a_worker_collects_every_so_often(worker, monkeypatch):
    """l2's SymPy code makes cyclic garbage; the worker's own collections free it."""
    monkeypatch.setattr(G, "WORKER_COLLECT_EVERY", 4)
    worker(parse_worksheet(EVERY_KIND, require_params=False), 12, "medium")
    assert not gc.isenabled()
    for k in range(1, 9):  # collects after variants 4 and 8
        G._work_remote(k)
    assert gc.collect() == 0
    for k in range(9, 11):  # not after 9 and 10: their garbage is still there
        G._work_remote(k)
    assert gc.collect() > 0


@pytest.fixture
def collector_off():
    gc.disable()
    yield
    gc.enable()


@pytest.mark.parametrize("every, garbage_left", [(4, False), (16, True)])
def test_one_process_collects_every_so_often_when_the_collector_is_off(collector_off, monkeypatch, every,
                                                                       garbage_left):
    """`derive generate` runs with the collector off; with one job its own process builds
    the variants, and collects after every WORKER_COLLECT_EVERY of them as a worker does."""
    monkeypatch.setattr(G, "WORKER_COLLECT_EVERY", every)
    plan = G.prepare(parse_worksheet(EVERY_KIND, require_params=False), 8, 11, difficulty="medium")
    assert len(list(G.iter_variants(plan, jobs=1))) == 8  # collects after variants 4 and 8 (every=4)
    assert (gc.collect() > 0) == garbage_left


def test_the_generate_command_runs_without_the_collector_and_restores_it(tmp_path, monkeypatch):
    from derive.cli import main

    seen = []
    build = G.build_variant

    def recording(*args, **kwargs):
        seen.append(gc.isenabled())
        return build(*args, **kwargs)

    monkeypatch.setattr(G, "build_variant", recording)
    assert gc.isenabled()
    spec = ROOT / "examples" / "normalization-regularization.toml"
    assert main(["generate", str(spec), "--variants", "3", "--seed", "5", "--jobs", "1", "--no-pdf", "--quiet",
                 "-o", str(tmp_path / "out")]) == 0
    assert seen == [False, False, False] and gc.isenabled()
    # a bad argument too leaves the collector as it was
    assert main(["generate", str(spec), "--variants", "3", "--seed", "x", "-o", str(tmp_path / "bad")]) == 2
    assert gc.isenabled()
