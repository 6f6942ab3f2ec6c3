"""`derive grade KEY.json ANSWERS.csv [-o DIR] [--format csv|json|text] [tolerance options]`.

Without -o the grades go to stdout in the chosen format (csv by default).  With -o DIR
the command writes DIR/grades.csv, DIR/grades.json and DIR/summary.txt (all or none)
and prints the summary.  Exit status 0 when every row was graded (wrong and malformed
answers are grades, not failures), 2 when the key or the CSV cannot be read.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..cli import emit, write_atomic
from .check import add_tolerance_options


def run(parser, argv) -> int:
    parser.add_argument("key", metavar="KEY.json", help="the worksheet's answer key (see docs/grading.md)")
    parser.add_argument("answers", metavar="ANSWERS.csv",
                        help="CSV with a header naming the student, part and answer columns")
    parser.add_argument("-o", "--output", metavar="DIR",
                        help="write grades.csv, grades.json and summary.txt into DIR")
    parser.add_argument("--format", choices=("csv", "json", "text"), default="csv",
                        help="what to print without -o: csv (default), json, or the text summary")
    parser.add_argument("--no-partial", action="store_true",
                        help="all-or-nothing: a matrix with a wrong entry earns 0 points")
    parser.add_argument("--decimal-comma", action="store_true",
                        help="read 1,5 as 1.5 (list entries then separated by ';')")
    add_tolerance_options(parser)
    args = parser.parse_args(argv)

    from ..grading import grade, load_key, read_answers
    from .check import tolerance_from

    explicit = any(getattr(args, a) is not None for a in ("tolerance", "digits", "tol_decimals", "tol_sigfigs",
                                                          "rtol", "atol")) or args.slack
    tolerance = tolerance_from(args) if explicit else None  # else each part's own, or implied
    key = load_key(Path(args.key))
    submissions = read_answers(Path(args.answers))
    report = grade(key, submissions, tolerance=tolerance, partial=not args.no_partial,
                   decimal_comma=args.decimal_comma)
    if args.output:
        out = Path(args.output)
        outputs = {"grades.csv": report.to_csv(), "grades.json": report.to_json(),
                   "summary.txt": report.to_text()}
        for name, text in outputs.items():
            write_atomic(out / name, text)
        sys.stdout.write(outputs["summary.txt"])
        return 0
    render = {"csv": report.to_csv, "json": report.to_json, "text": report.to_text}[args.format]
    emit(render(), None)
    return 0
