"""`derive generate SPEC.toml --variants N --seed S [-o DIR] [--difficulty easy|medium|hard] ...`.

Writes N distinct, seeded variants of the worksheet (see derive.generate for what varies
and derive.variant_output for the files).  The same SPEC, N, S and difficulty give
byte-identical files.  Everything is built in a staging folder and moved into DIR at the
end, so an error (exit 2, one line) leaves DIR as it was.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

_DIFFICULTIES = ("easy", "medium", "hard")


def _int(text: str, option: str) -> int:
    from ..errors import InputError

    try:
        return int(text.strip(), 10)
    except ValueError:
        raise InputError(option, f"must be a whole number, got {text!r}") from None


def _problem_list(text: str) -> list[int]:
    from ..errors import InputError

    try:
        return [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise InputError("--vary", f"takes problem numbers like 2,3,4; got {text!r}") from None


def run(parser, argv) -> int:
    parser.add_argument("spec", metavar="SPEC.toml", help="the worksheet spec (see docs/worksheets.md)")
    parser.add_argument("--variants", metavar="N", required=True,
                        help="how many variants (1 to 10000), one per student")
    parser.add_argument("--seed", metavar="S", required=True,
                        help="the run seed (a whole number): the same seed gives the same files")
    parser.add_argument("-o", "--output", metavar="DIR",
                        help="folder to write into (default: SPEC's name + '-variants'); a folder an "
                             "earlier run wrote is replaced")
    parser.add_argument("--difficulty", metavar="LEVEL",
                        help="easy, medium or hard for problems that do not set their own "
                             "(default: each kind's own default level)")
    parser.add_argument("--vary", metavar="PROBLEMS",
                        help="problem numbers to randomize, e.g. 2,3,4 (default: every computed problem "
                             "whose statement shows its data)")
    parser.add_argument("--combined", action="store_true",
                        help="also put all variants in one questions/solutions/key document each, "
                             "compiled once (instead of one PDF per variant)")
    parser.add_argument("--no-pdf", action="store_true", help="write LaTeX sources and keys only")
    parser.add_argument("--moodle", action="store_true",
                        help="also write moodle.xml: a question bank with a category per part")
    parser.add_argument("--moodle-matrices", choices=("cloze", "entries"),
                        help="a matrix answer as one cloze question (default) or one question per entry")
    parser.add_argument("--jobs", metavar="J", help="worker processes (default: the CPUs available, at most 8; "
                        "one when --check runs on a GPU, as CUDA does not survive a fork)")
    parser.add_argument("--check", default="numpy", metavar="BACKENDS",
                        help="numeric verification of every variant's key (default numpy; 'none' skips it)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    args = parser.parse_args(argv)
    # The collector's automatic passes walked the ~500k objects that the imports (SymPy's
    # most of them) and the one-time work leave alive some 200 times: 60-90 ms of the
    # command, all of it before the workers start, for <1,000 objects of garbage.  Variants
    # built in this process are collected every WORKER_COLLECT_EVERY, as in the workers.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _generate(args)
    finally:
        if collecting:
            gc.enable()


def _generate(args) -> int:
    from ..errors import InputError

    n = _int(args.variants, "--variants")
    seed = _int(args.seed, "--seed")
    if args.difficulty is not None and args.difficulty not in _DIFFICULTIES:
        raise InputError("--difficulty", f"must be one of {', '.join(_DIFFICULTIES)}, got {args.difficulty!r}")
    from ..generate import default_jobs

    jobs = default_jobs() if args.jobs is None else _int(args.jobs, "--jobs")
    if not 1 <= jobs <= 64:
        raise InputError("--jobs", f"must be between 1 and 64, got {jobs}")
    if jobs > 1:
        # numpy's OpenBLAS starts a thread per core for every matrix product; with a worker
        # process per core they fight over the cores (1000 variants on 2 cores: 47 s with
        # them, 23 s without).  Set before numpy is imported; a user's own setting wins.
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
    vary = _problem_list(args.vary) if args.vary else None
    from ..numerics import resolve_backends

    resolve_backends(args.check, field="--check")
    try:
        from ..generate import prepare
    except ImportError as e:  # pragma: no cover - a broken installation
        raise InputError("generate", str(e)) from None

    start = time.perf_counter()
    from ..variant_output import generate_into
    from ..worksheet import load_worksheet

    ws = load_worksheet(args.spec, require_params=False)
    try:
        plan = prepare(ws, n, seed, difficulty=args.difficulty, vary=vary)
    except InputError as e:
        if e.field in ("variants", "seed", "difficulty", "vary"):
            raise InputError(f"--{e.field}", e.problem) from None
        raise
    outdir = Path(args.output) if args.output else Path(Path(args.spec).stem + "-variants")
    header = key_header(plan, args.spec)
    progress = None if args.quiet else make_progress(n)
    checks = () if args.check.strip().lower() == "none" else args.check
    from ..documents import text_plain

    category = None
    if args.moodle:
        category = ws.moodle.get("category") or text_plain(ws.title) or "derive worksheet"
    try:
        written = generate_into(plan, outdir, header, pdf=not args.no_pdf, combined=args.combined,
                                moodle_category=category, jobs=jobs, checks=checks,
                                matrices=args.moodle_matrices, progress=progress)
    finally:
        if progress is not None:
            progress.close()
    if written.message:
        sys.stderr.write(f"derive generate: {written.message}\n")
    if not args.quiet:
        sys.stdout.write(summary(plan, written, time.perf_counter() - start) + "\n")
    return 0


def key_header(plan, spec: str) -> dict:
    """key.json's fields before the parts: what was generated, and how to reproduce it."""
    from ..documents import KEY_SCHEMA, text_plain
    from ..generate import variant_ids
    from ..variant_output import KEY_FORMAT

    ws = plan.worksheet
    ids = variant_ids(plan.count)
    return {
        "schema": KEY_SCHEMA,
        "format": KEY_FORMAT,
        "title": text_plain(ws.title),
        "course": text_plain(ws.course),
        "source": Path(spec).name,
        "label_format": "VARIANT/PART, e.g. v07/2a",
        "variant_ids": [ids[0], ids[-1]],
        "total_points": int(ws.points) if ws.points.denominator == 1 else float(ws.points),
        **plan.manifest(),
    }


def summary(plan, written, seconds: float) -> str:
    ids = written.variants
    varied = ", ".join(f"{s.number} {s.kind} ({s.difficulty})" for s in plan.slots)
    lines = [f"wrote {written.directory}/: {len(ids)} variants ({ids[0]}-{ids[-1]}), key.json, key.csv"
             + (f", {written.pdfs} PDFs in {written.pdf_seconds:.1f} s" if written.pdfs else "")
             + f"; total {seconds:.1f} s",
             f"varied: problem {varied}"]
    for number, why in plan.fixed:
        lines.append(f"kept as written: problem {number} ({why})")
    return "\n".join(lines)


class make_progress:
    """A progress bar on stderr: tqdm when installed, else one line redrawn; only on a terminal."""

    def __init__(self, total: int):
        self.total = total
        self.bar = None
        self.active = sys.stderr.isatty() and total >= 20
        self.last = 0.0
        if not self.active:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=total, unit="variant", file=sys.stderr, leave=False)

    def __call__(self, done: int, total: int) -> None:
        if not self.active:
            return
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
            return
        now = time.monotonic()
        if done == total or now - self.last > 0.1:
            self.last = now
            width = 30
            filled = width * done // total
            sys.stderr.write(f"\rgenerating [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.active:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()
