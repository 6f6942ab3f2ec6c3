"""`derive worksheet SPEC.toml [-o DIR] [--no-solutions] [--compare PRINTED.toml] [--moodle] [--no-pdf]`.

Writes into DIR: questions.tex/.pdf, solutions.tex/.pdf, key.tex/.pdf and key.json
(with --no-solutions only the question sheet), plus moodle.xml (--moodle) and
compare.txt/compare.json (--compare).  Everything is built and compiled first and then
moved into DIR, so an error leaves DIR as it was.  Without pdflatex the .tex files and
key.json are still written and one line says why there is no PDF.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def run(parser, argv) -> int:
    parser.add_argument("spec", metavar="SPEC.toml", help="the worksheet spec (see docs/worksheets.md)")
    parser.add_argument("-o", "--output", metavar="DIR",
                        help="folder to write into (default: the spec's name in the current folder)")
    parser.add_argument("--solutions", action=argparse.BooleanOptionalAction, default=True,
                        help="also write the solutions, the answer key and key.json (default); "
                             "--no-solutions writes the question sheet only")
    parser.add_argument("--compare", metavar="PRINTED.toml",
                        help="compare printed answers with the exact ones: report each discrepancy "
                             "and its likely cause (also noted in the solutions)")
    parser.add_argument("--moodle", action="store_true", help="also write moodle.xml for Moodle's importer")
    parser.add_argument("--moodle-matrices", choices=("cloze", "entries"),
                        help="a matrix answer as one cloze question (default) or one question per entry")
    parser.add_argument("--no-pdf", action="store_true", help="write the .tex files only")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--decimals", type=int, metavar="K", help="decimals beside exact values (default: the spec's, else 2)")
    group.add_argument("--sigfigs", type=int, metavar="K", help="significant figures instead of decimals")
    parser.add_argument("--check", default="numpy", metavar="BACKENDS",
                        help="numeric cross-checks: numpy, torch, 'numpy,torch', all (installed) or none")
    args = parser.parse_args(argv)

    from ..compare import compare_printed, erratum_notes, load_printed, report_dict, report_text
    from ..documents import build_documents, solutions_text, write_documents
    from ..model import Precision
    from ..numerics import resolve_backends
    from ..worksheet import load_worksheet, solve_worksheet

    resolve_backends(args.check, field="--check")
    start = time.perf_counter()
    ws = load_worksheet(args.spec)
    precision = ws.precision
    if args.decimals is not None or args.sigfigs is not None:
        precision = Precision(decimals=args.decimals if args.decimals is not None else precision.decimals,
                              sigfigs=args.sigfigs)
    solved = solve_worksheet(ws, args.check)

    extra: dict[str, str] = {}
    notes: dict[str, list[str]] = {}
    report = ""
    if args.compare:
        comparisons = compare_printed(solved, load_printed(args.compare))
        report = report_text(comparisons, args.compare)
        extra["compare.txt"] = report
        extra["compare.json"] = json.dumps(report_dict(comparisons), indent=2, ensure_ascii=False) + "\n"
        notes = erratum_notes(comparisons)
    if args.moodle:
        from ..moodle import moodle_xml

        extra["moodle.xml"] = moodle_xml(solved, precision, matrices=args.moodle_matrices)
    if args.solutions:
        extra["solutions.txt"] = solutions_text(solved, precision)
    docs = build_documents(solved, precision, notes=notes)
    outdir = Path(args.output) if args.output else Path(Path(args.spec).stem)
    written = write_documents(docs, outdir, pdf=not args.no_pdf, solutions=args.solutions, extra=extra)

    if report:
        sys.stdout.write(report + "\n")
    if written.message:
        sys.stderr.write(f"derive worksheet: {written.message}\n")
    pdfs = [f for f in written.files if f.endswith(".pdf")]
    others = [f for f in written.files if not f.endswith(".pdf")]
    timing = f" ({len(pdfs)} PDFs compiled in {written.pdf_seconds:.1f} s)" if pdfs else ""
    sys.stdout.write(f"wrote {outdir}/: {', '.join(pdfs + others)}{timing}; "
                     f"total {time.perf_counter() - start:.1f} s\n")
    return 0
