"""Randomized problem sets: seeded, reproducible, distinct variants of a worksheet.

A worksheet spec and a run seed go in; for each of N students a variant comes out with
its own exact solutions, documents and key.  Each computed problem whose data the
question sheet shows is re-sampled per variant by its kind's
``generate(rng, difficulty)`` (which checks its constraints — integer means, a surd,
full rank — on the exact solution), solved exactly, and verified on the numeric path:
every variant's key is the exact answer *and* numpy agrees with it.  Free-text and
multiple-choice parts are kept as written.

    >>> from derive.worksheet import parse_worksheet
    >>> ws = parse_worksheet('''
    ... title = "Quiz"
    ... [[problems]]
    ... kind = "layernorm"
    ... ''', require_params=False)
    >>> plan = plan_variants(ws, 3, seed=7)
    >>> [v.id for v in plan.variants], len({v.fingerprints for v in plan.variants})
    (['v01', 'v02', 'v03'], 3)

Seeds.  Problem i of variant k draws from ``random.Random(variant_seed(S, k, i))``, a
SHA-256 hash of ``"S:k:i"``: the same S gives the same variants on every machine and
Python (no hash randomization, no global RNG); variant k does not depend on N, and a
problem appended to the spec leaves the others as they were.  A problem that repeats
one of an earlier variant is drawn again from ``"S:k:i:attempt"`` (attempt 1, 2, ...,
at most `MAX_TRIES`); when that fails the error names the problem.

Which problems vary.  By default every problem with a kind whose statement is printed
(``statement = true``, the default) — its data is on the sheet, so it can change.  A
problem with ``statement = false`` carries its data in its own text, which a variant
cannot rewrite, so it stays as written (``vary=`` overrides this; its statement is then
printed).  Difficulty: the problem's own ``difficulty`` in the spec, else the
``difficulty`` argument, else the kind's default level.

`plan_variants` samples the parameters (cheap); `build_variant` solves, verifies and
renders one variant; `iter_variants(prepare(...))` does all of it in order, on `jobs` processes,
with identical output for any number of jobs.  `derive.variant_output` writes the files.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import inspect
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, NoReturn

from .documents import build_documents
from .errors import DeriveError, InputError
from .key_json import json_canonical
from .model import Precision
from .numerics import uses_gpu
from .registry import get_kind
from .render.json import params_json
from .variant_output import variant_files
from .worksheet import DIFFICULTIES, SolvedProblem, SolvedWorksheet, Worksheet, solve_problem

__all__ = [
    "generate_variants", "prepare", "plan_variants", "iter_variants", "build_variant", "solve_variant",
    "solve_fixed", "verify", "variant_seed", "variant_ids", "variant_id", "variant_title", "default_jobs",
    "Slot", "VariantPlan", "PlannedVariant", "BuiltVariant", "MAX_VARIANTS", "MAX_TRIES",
]

MAX_VARIANTS = 10_000
MAX_TRIES = 64  # draws of one problem of one variant before it counts as impossible


# ---------------------------------------------------------------------------------
# Seeds.

def variant_seed(seed: int, variant: int, index: int, attempt: int = 0) -> int:
    """The seed of problem `index` (1-based) in variant `variant` (1-based): 64 bits of SHA-256.

    >>> variant_seed(7, 1, 2) == variant_seed(7, 1, 2) != variant_seed(7, 2, 2)
    True
    """
    text = f"{seed}:{variant}:{index}" + (f":{attempt}" if attempt else "")
    return int.from_bytes(hashlib.sha256(text.encode("ascii")).digest()[:8], "big")


def variant_ids(n: int) -> tuple[str, ...]:
    """``v01 … vNN``, zero-padded so that they sort: ``variant_ids(3) == ('v01', 'v02', 'v03')``."""
    return tuple(variant_id(k, n) for k in range(1, n + 1))


def variant_id(k: int, n: int) -> str:
    """Variant k's id among n: ``variant_id(7, 120) == 'v007'``."""
    return f"v{k:0{max(2, len(str(n)))}d}"


# ---------------------------------------------------------------------------------
# The plan: which problems vary, at which level, with which parameters.

@dataclass(frozen=True)
class Slot:
    """A problem that varies: its number (1-based), kind and difficulty level."""

    number: int
    kind: str
    difficulty: str
    show_statement: bool = False  # its statement was off in the spec and is printed in variants


@dataclass(frozen=True)
class PlannedVariant:
    """One variant's parameters: per slot the params, the draw (attempt) and its seed."""

    number: int
    id: str
    params: tuple[Any, ...]
    attempts: tuple[int, ...]
    seeds: tuple[int, ...]
    fingerprints: tuple[str, ...]


@dataclass(frozen=True)
class VariantPlan:
    worksheet: Worksheet
    seed: int
    slots: tuple[Slot, ...]
    fixed: tuple[tuple[int, str], ...]  # (problem number, why it stays as written)
    variants: tuple[PlannedVariant, ...] = ()
    count: int = 0

    def manifest(self) -> dict:
        """What was varied and how, for key.json and the command's summary."""
        return {
            "seed": self.seed,
            "variants": self.count,
            "varied": [{"problem": s.number, "kind": s.kind, "difficulty": s.difficulty,
                        **({"statement_shown": True} if s.show_statement else {})} for s in self.slots],
            "fixed": [{"problem": n, "reason": why} for n, why in self.fixed],
        }


def _check_count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise InputError("variants", f"must be a whole number, got {n!r}")
    if n < 1:
        raise InputError("variants", f"must be at least 1, got {n}")
    if n > MAX_VARIANTS:
        raise InputError("variants", f"at most {MAX_VARIANTS} variants per run, got {n}")
    return n


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError("seed", f"must be a whole number, got {seed!r}")
    if not 0 <= seed < 2**63:
        raise InputError("seed", f"must be between 0 and 2^63 - 1, got {seed}")
    return seed


def _default_level(kind) -> str:
    default = inspect.signature(kind.generate).parameters.get("difficulty")
    if default is None or default.default is inspect.Parameter.empty:
        return "medium"
    return default.default


def _slots(ws: Worksheet, difficulty: str | None, vary) -> tuple[tuple[Slot, ...], tuple[tuple[int, str], ...]]:
    if difficulty is not None and difficulty not in DIFFICULTIES:
        import difflib

        close = difflib.get_close_matches(str(difficulty), DIFFICULTIES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError("difficulty", f"must be one of {', '.join(DIFFICULTIES)}, got {difficulty!r}{hint}")
    numbers = {p.number for p in ws.problems}
    wanted = None
    if vary is not None:
        wanted = set()
        for n in vary:
            if isinstance(n, bool) or not isinstance(n, int) or n not in numbers:
                raise InputError("vary", f"no problem {n!r}; the spec has problems 1-{len(ws.problems)}")
            wanted.add(n)
    slots, fixed = [], []
    for problem in ws.problems:
        if problem.kind is None:
            if wanted and problem.number in wanted:
                raise InputError("vary", f"problem {problem.number} has no kind: nothing to randomize")
            continue
        kind = get_kind(problem.kind)
        where = f"problem {problem.number} ({problem.kind})"
        if wanted is not None and problem.number not in wanted:
            if problem.params is None:
                raise InputError(f"{where}: params", "are needed to keep it fixed (it is not in --vary)")
            fixed.append((problem.number, "not asked to vary"))
            continue
        if kind.generate is None:
            if wanted is not None or problem.params is None:
                raise InputError(where, f"the {problem.kind} kind cannot generate variants; give its params")
            fixed.append((problem.number, f"the {problem.kind} kind has no generator"))
            continue
        if not problem.statement and problem.params is not None and wanted is None:
            fixed.append((problem.number, "statement = false: its own text gives the data; "
                                          "--vary it to randomize it anyway"))
            continue
        level = problem.difficulty or difficulty or _default_level(kind)
        slots.append(Slot(problem.number, kind.name, level, show_statement=not problem.statement))
    if not slots:
        raise InputError("spec", "no problem can vary: every computed problem is fixed "
                                 "(give a kind with a generator and statement = true)")
    return tuple(slots), tuple(fixed)


def _fingerprint(params) -> str:
    """The params' JSON with sorted keys: equal params, equal texts (whatever their dicts' order)."""
    return json_canonical(params_json(params))


def _draw(slot: Slot, seed: int, k: int, attempt: int):
    """Params for `slot` in variant k, draw `attempt`; (params, its seed)."""
    s = variant_seed(seed, k, slot.number, attempt)
    try:
        return get_kind(slot.kind).generate(random.Random(s), slot.difficulty), s
    except InputError as e:
        raise InputError(f"problem {slot.number} ({slot.kind}): {e.field}", e.problem) from None


def _planned(slots, seed: int, k: int, vid: str, attempts) -> PlannedVariant:
    params, seeds = [], []
    for slot, a in zip(slots, attempts):
        p, s = _draw(slot, seed, k, a)
        params.append(p)
        seeds.append(s)
    return PlannedVariant(k, vid, tuple(params), tuple(attempts), tuple(seeds),
                          tuple(_fingerprint(p) for p in params))


class _Distinct:
    """Keeps each slot's parameters distinct across variants, in variant order.

    Variant k is compared only with variants 1..k-1 (already final), so the outcome does
    not depend on the order in which workers finish, nor on the number of workers.
    """

    def __init__(self, slots, seed: int):
        self.slots, self.seed = slots, seed
        self.seen: list[set[str]] = [set() for _ in slots]

    def repeats(self, pv: PlannedVariant) -> bool:
        """Whether a problem of `pv` repeats one of an earlier variant."""
        return any(fp in seen for fp, seen in zip(pv.fingerprints, self.seen))

    def settle(self, pv: PlannedVariant) -> PlannedVariant | None:
        """None when `pv` is distinct (and records it); else the variant redrawn until it is."""
        clash = [j for j, fp in enumerate(pv.fingerprints) if fp in self.seen[j]]
        if clash:
            pv = self._redraw(pv, clash)
        for j, fp in enumerate(pv.fingerprints):
            self.seen[j].add(fp)
        return pv if clash else None

    def _redraw(self, pv: PlannedVariant, clash) -> PlannedVariant:
        params, attempts, seeds, fps = map(list, (pv.params, pv.attempts, pv.seeds, pv.fingerprints))
        for j in clash:
            slot = self.slots[j]
            for attempt in range(attempts[j] + 1, attempts[j] + MAX_TRIES):
                p, s = _draw(slot, self.seed, pv.number, attempt)
                fp = _fingerprint(p)
                if fp not in self.seen[j]:
                    params[j], attempts[j], seeds[j], fps[j] = p, attempt, s, fp
                    break
            else:
                raise InputError(f"problem {slot.number} ({slot.kind})",
                                 f"cannot make {pv.id} differ from the {len(self.seen[j])} earlier variants: "
                                 f"{MAX_TRIES} draws at difficulty {slot.difficulty!r} all repeated one; "
                                 "ask for fewer variants or another difficulty")
        return PlannedVariant(pv.number, pv.id, tuple(params), tuple(attempts), tuple(seeds), tuple(fps))


def prepare(ws: Worksheet, n: int, seed: int, *, difficulty: str | None = None,
            vary: Iterable[int] | None = None) -> VariantPlan:
    """Check the request and decide which problems vary (no parameters drawn yet)."""
    slots, fixed = _slots(ws, difficulty, vary)
    return VariantPlan(ws, _check_seed(seed), slots, fixed, (), _check_count(n))


def plan_variants(ws: Worksheet, n: int, seed: int, *, difficulty: str | None = None,
                  vary: Iterable[int] | None = None) -> VariantPlan:
    """The parameters of `n` distinct variants (no solving, no rendering)."""
    plan = prepare(ws, n, seed, difficulty=difficulty, vary=vary)
    distinct = _Distinct(plan.slots, plan.seed)
    variants = []
    for k, vid in enumerate(variant_ids(n), 1):
        pv = _planned(plan.slots, plan.seed, k, vid, (0,) * len(plan.slots))
        variants.append(distinct.settle(pv) or pv)
    return dataclasses.replace(plan, variants=tuple(variants))


# ---------------------------------------------------------------------------------
# Building one variant: solve, verify, render.

@dataclass(frozen=True)
class BuiltVariant:
    """A finished variant: its plan, its files' text, its documents and Moodle XML."""

    planned: PlannedVariant
    files: Any  # derive.variant_output.VariantFiles: what is written
    documents: Any = None  # derive.documents.Documents (LaTeX + key dict); not sent between processes
    moodle: str | None = None
    solved: SolvedWorksheet | None = None  # kept only when asked (it does not cross processes)

    @property
    def id(self) -> str:
        return self.planned.id


def variant_title(vid: str) -> str:
    return f"Variant {vid[1:]}"


def verify(sp: SolvedProblem, where: str) -> None:
    """Every numeric check must have run and agreed with the exact solution."""
    checks = sp.solution.checks
    if not checks:
        raise DeriveError(f"{where}: no numeric check ran, so its key cannot be verified "
                          "(the kind has no reference for the numpy backend)")
    for c in checks:
        if not c.ok:
            err = "" if c.max_abs_error is None else f", max |error| {c.max_abs_error:.2g}"
            raise DeriveError(f"{where}: the numeric check disagrees with the exact answer "
                              f"({c.backend}: {c.description}{err}{'; ' + c.note if c.note else ''})")


def solve_fixed(plan: VariantPlan, checks=("numpy",)) -> dict[int, SolvedProblem]:
    """The problems that stay as written, solved (and verified) once for every variant."""
    out = {}
    for number, _ in plan.fixed:
        problem = plan.worksheet.problems[number - 1]
        sp = solve_problem(problem, checks)
        if checks:
            verify(sp, f"problem {number} ({problem.kind})")
        out[number] = sp
    return out


def solve_variant(plan: VariantPlan, pv: PlannedVariant, fixed: dict[int, SolvedProblem],
                  checks=("numpy",)) -> SolvedWorksheet:
    """The variant's worksheet, solved; every varied problem verified numerically."""
    ws = plan.worksheet
    by_number = {slot.number: (slot, params) for slot, params in zip(plan.slots, pv.params)}
    problems, solved = [], []
    for problem in ws.problems:
        if problem.number in by_number:
            slot, params = by_number[problem.number]
            problem = _replace(problem, params=params, raw_params=params_json(params),
                               statement=problem.statement or slot.show_statement)
            sp = solve_problem(problem, checks)
            if checks:
                verify(sp, f"{pv.id}, problem {problem.number} ({problem.kind})")
        elif problem.number in fixed:
            sp = fixed[problem.number]
        else:
            sp = SolvedProblem(problem, None)
        problems.append(problem)
        solved.append(sp)
    return SolvedWorksheet(_replace(ws, problems=tuple(problems)), tuple(solved))


def _replace(obj, **changes):
    """`dataclasses.replace` for the frozen dataclasses a variant copies (Problem, Worksheet,
    BuiltVariant, PlannedVariant: no __post_init__, every field set by __init__): the same
    fields, `changes` applied.  replace walks the fields in Python and __init__ sets each
    with a call (~6 µs, eight times a variant); this copies one dict (~1 µs).  Like replace,
    it refuses a name that is not a field."""
    if not changes.keys() <= obj.__dataclass_fields__.keys():
        unknown = sorted(changes.keys() - obj.__dataclass_fields__.keys())
        raise TypeError(f"{type(obj).__name__} has no field {unknown[0]!r}")
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__, **changes)
    return new


def build_variant(plan: VariantPlan, pv: PlannedVariant, fixed: dict[int, SolvedProblem], *,
                  checks=("numpy",), precision: Precision | None = None, moodle: bool = False,
                  matrices: str | None = None, keep_solved: bool = False) -> BuiltVariant:
    """Solve, verify and render one variant (its three documents, key dict and Moodle XML)."""
    solved = solve_variant(plan, pv, fixed, checks)
    precision = precision or plan.worksheet.precision
    docs = build_documents(solved, precision, variant=variant_title(pv.id))
    xml = None
    if moodle:
        from .moodle import moodle_xml

        xml = moodle_xml(solved, precision, matrices=matrices)
    return BuiltVariant(pv, variant_files(pv.id, docs), docs, xml, solved if keep_solved else None)


# ---------------------------------------------------------------------------------
# All variants, in order, on one or more processes.

@dataclass(frozen=True)
class _Job:
    plan: VariantPlan
    fixed: dict
    options: dict
    folder: Path | None = None  # where each variant's folder is written by the process building it
    keep_sources: bool = True  # a variant written there still sends its LaTeX (for combined documents)


_JOB: _Job | None = None  # the worker processes' copy (set by _init_worker)


# A worker runs the cyclic garbage collector itself, once per this many variants.  A
# collection walks every object the worker made and kept (its caches: 35-65k objects,
# 20-75 ms on this 2-core machine), so every 256 variants cost ~2 % of a worker's time;
# l2's cyclic garbage of 1,024 variants is ~150k small objects.
WORKER_COLLECT_EVERY = 1024


def _init_worker(job: _Job | None, single_thread: bool = False) -> None:
    global _JOB
    _JOB = job
    if single_thread:
        # A variant's objects die by reference counting: the seed worksheet's variants
        # make no reference cycles at all, and SymPy's polynomial code (l2's solution)
        # ~150 small cyclic objects a variant (tests/test_generate_gc.py).  The collector's
        # automatic passes, set off by allocation counts, walked the caches' objects over
        # and over for that; `_work_remote` collects once every WORKER_COLLECT_EVERY
        # variants instead, which bounds the garbage.
        gc.disable()
        # One BLAS thread per worker: a thread per core in each worker oversubscribes the
        # cores (see derive/commands/generate.py, which also sets OPENBLAS_NUM_THREADS).
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return
        threadpool_limits(1)


@dataclass(frozen=True)
class _Failure:
    """A DeriveError raised in a worker, in a form that survives pickling (InputError's
    two-argument constructor does not), raised again in the parent."""

    error: type
    args: tuple

    def throw(self):
        raise self.error(*self.args)


def _work(k: int):
    """In a worker: draw variant k's first choice of params and build it."""
    job = _JOB
    vid = variant_id(k, job.plan.count)
    try:
        pv = _planned(job.plan.slots, job.plan.seed, k, vid, (0,) * len(job.plan.slots))
        built = build_variant(job.plan, pv, job.fixed, **job.options)
        if job.folder is None:
            return built
        files = built.files.written(job.folder / vid, keep_sources=job.keep_sources)
        return _replace(built, files=files)
    except InputError as e:
        return _Failure(InputError, (e.field, e.problem))
    except DeriveError as e:
        return _Failure(type(e) if type(e).__init__ is DeriveError.__init__ else DeriveError, (str(e),))


def _work_remote(k: int):
    """`_work` in a worker process: only the files' text goes back (see VariantFiles), and
    the plan without its parameters (the main process draws them again in the rare case
    that the variant repeats an earlier one)."""
    built = _work(k)
    if k % WORKER_COLLECT_EVERY == 0:
        gc.collect()
    if not isinstance(built, BuiltVariant):
        return built
    return _replace(built, planned=_replace(built.planned, params=()), documents=None, solved=None)


class _Workers:
    """Worker processes that build chunks of variants, read by this process's one thread.

    multiprocessing.Pool's worker-handler thread waits on the result pipe too, so while a
    result sat unread it spun (~7,000 turns of building a selector and polling each worker
    per 1,000 variants: ~0.25 s of this process's CPU, taken from the workers on 2 cores).
    Here each worker has its own pipe: this process sends it a chunk of variant numbers
    and reads back the chunk's variants; a worker that dies is an error, not a hang.
    """

    def __init__(self, jobs: int, job: _Job):
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        # fork shares the solved fixed problems and imported modules with no pickling and no
        # re-import; elsewhere the job is pickled once per worker.
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        self.conns, self.procs = [], []
        self.held: dict[Any, list[int]] = {}
        # Everything alive now (modules, templates, the caches variant 1 filled) goes to the
        # collector's permanent generation while the workers fork, as the gc docs advise for
        # fork without exec: their collections then never walk those ~75k objects again
        # (time in the collector per variant 1.1 → 0.6 ms).  This process unfreezes right after.
        gc.freeze()
        try:
            for _ in range(jobs):
                mine, theirs = ctx.Pipe()
                proc = ctx.Process(target=_serve, args=(theirs, job), daemon=True)
                proc.start()
                theirs.close()
                self.conns.append(mine)
                self.procs.append(proc)
        finally:
            gc.unfreeze()

    def imap(self, numbers: list[int]) -> Iterator:
        """`_work_remote(k)` for each k of `numbers`, in that order; each worker holds two
        chunks (`_chunks`), so it starts the next while this process reads the last."""
        from multiprocessing.connection import wait

        chunks = _chunks(numbers, len(self.conns))
        todo = iter(enumerate(chunks))
        held = self.held = {conn: [] for conn in self.conns}  # chunk indices each works on, oldest first
        done: dict[int, list] = {}

        def give(conn) -> None:
            task = next(todo, None)
            if task is not None:
                try:
                    conn.send(task[1])
                except OSError:  # BrokenPipeError: it died before we gave it this chunk
                    self._died(conn)
                held[conn].append(task[0])

        for _ in range(2):
            for conn in self.conns:
                give(conn)
        for index in range(len(chunks)):
            while index not in done:
                for conn in wait([c for c in self.conns if held[c]]):
                    done[held[conn].pop(0)] = self._receive(conn)
                    give(conn)
            yield from done.pop(index)

    def _receive(self, conn) -> list:
        try:
            ok, value = conn.recv()
        except (EOFError, OSError):  # OSError: it died with our next chunk unread
            self._died(conn)
        if not ok:
            error, trace = value
            raise error from _RemoteTraceback(trace)
        return value

    def _died(self, conn) -> NoReturn:
        proc = self.procs[self.conns.index(conn)]
        proc.join(1)
        raise DeriveError(f"a worker process ended unexpectedly (exit code {proc.exitcode})") from None

    def close(self) -> None:
        """Stop the workers: told to when all is done, killed when a variant failed or the
        reader stopped early (as Pool.terminate did)."""
        if any(self.held.values()):
            for proc in self.procs:
                proc.terminate()
        else:
            for conn in self.conns:
                try:
                    conn.send(None)
                except OSError:  # it has ended already
                    pass
        for proc in self.procs:
            proc.join()
        for conn in self.conns:
            conn.close()


def _chunks(numbers: list[int], jobs: int, most: int = 16) -> list[list[int]]:
    """`numbers` cut into chunks of at most `most`, smaller towards the end (a quarter of what
    is left per worker): a chunk is one message each way, and a worker holds two, so that
    with fixed chunks of 16 one worker could still have 32 variants (~0.15 s) to build when
    the other ran out."""
    chunks, start = [], 0
    while start < len(numbers):
        size = max(1, min(most, (len(numbers) - start) // (jobs * 4)))
        chunks.append(numbers[start:start + size])
        start += size
    return chunks


class _RemoteTraceback(Exception):
    """A worker's traceback, shown as the cause of the error raised again here."""

    def __str__(self) -> str:
        return self.args[0]


def _serve(conn, job: _Job) -> None:
    """A worker process: build each chunk of variant numbers it is sent, until None."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the main process, which stops us
    _init_worker(job, True)
    while True:
        try:
            numbers = conn.recv()
        except EOFError:  # the main process has gone
            return
        if numbers is None:
            return
        try:
            reply = (True, [_work_remote(k) for k in numbers])
        except Exception as e:  # a bug, not a DeriveError (`_work` sends those back as _Failure)
            import traceback

            reply = (False, (e, "\n" + "".join(traceback.format_exception(e))))
        try:
            conn.send(reply)
        except Exception as e:  # the error itself cannot be pickled
            conn.send((False, (RuntimeError(f"{type(e).__name__}: {e}"), "")))


def iter_variants(plan: VariantPlan, *, checks=("numpy",), precision: Precision | None = None,
                  moodle: bool = False, matrices: str | None = None, jobs: int = 1,
                  progress: Callable[[int, int], None] | None = None,
                  keep_solved: bool = False, folder: Path | None = None,
                  keep_sources: bool = True) -> Iterator[BuiltVariant]:
    """Build the plan's variants (see `prepare`) and yield them in order (v01, v02, ...).

    With `jobs` > 1 the variants are built on that many processes; each variant depends
    only on (seed, its number, the attempts that keep it distinct), so the output is the
    same for any `jobs` (one process when the checks run on a GPU: CUDA does not survive a
    fork); variants built in a worker come back as their files' text
    (`documents` and `solved` are None, `planned.params` empty).  With `folder`, the process
    that builds a variant writes its folder there (`derive.variant_output.write_folder`)
    and sends back only its key lines (and its LaTeX when `keep_sources`).
    `progress(done, n)` is called after each variant.
    """
    n = plan.count
    if uses_gpu(checks):
        jobs = 1  # the fixed problems' checks start CUDA here, and a forked worker cannot start it again
    fixed = solve_fixed(plan, checks)
    options = {"checks": checks, "precision": precision, "moodle": moodle, "matrices": matrices,
               "keep_solved": keep_solved}
    job = _Job(plan, fixed, options, folder, keep_sources)
    distinct = _Distinct(plan.slots, plan.seed)
    jobs = max(1, min(int(jobs), n - 1))

    def settle(built) -> BuiltVariant:
        if isinstance(built, _Failure):
            built.throw()
        planned = built.planned
        if distinct.repeats(planned):  # rare: built again here, from the params drawn anew
            planned = _planned(plan.slots, plan.seed, planned.number, planned.id, planned.attempts)
            return build_variant(plan, distinct.settle(planned), fixed, **options)
        distinct.settle(planned)
        return built

    if jobs == 1:
        _init_worker(job)
        try:
            for k in range(1, n + 1):
                yield settle(_work(k))
                if k % WORKER_COLLECT_EVERY == 0 and not gc.isenabled():  # as a worker does
                    gc.collect()
                if progress:
                    progress(k, n)
        finally:
            _init_worker(None)
        return
    # Variant 1 is built here, before forking: it compiles the templates and fills the
    # per-process caches (SymPy identities, printed forms) that every worker then shares.
    _init_worker(job)
    try:
        first = settle(_work(1))
    finally:
        _init_worker(None)
    yield first
    if progress:
        progress(1, n)
    workers = _Workers(jobs, job)
    try:
        for k, built in enumerate(workers.imap(list(range(2, n + 1))), 2):
            yield settle(built)
            if progress:
                progress(k, n)
    finally:
        workers.close()


def generate_variants(ws: Worksheet, n: int, seed: int, *, difficulty: str | None = None,
                      vary: Iterable[int] | None = None, **options) -> list[BuiltVariant]:
    """`n` distinct variants of `ws`, built and verified (the Python API's entry point).

    With one job (the default) each `BuiltVariant` keeps its `documents` and `solved` worksheet.
    """
    options.setdefault("keep_solved", options.get("jobs", 1) == 1)
    return list(iter_variants(prepare(ws, n, seed, difficulty=difficulty, vary=vary), **options))


def default_jobs() -> int:
    """Worker processes when not told: the CPUs this process may use, at most 8."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(8, cpus))
