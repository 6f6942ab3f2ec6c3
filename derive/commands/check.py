"""`derive check KIND --param VALUE ... --answer ANSWER [tolerance options] [--format text|json]`.

Exit status: 0 when the answer was judged, correct or not (the verdict is the output);
1 with --strict-exit when it was judged wrong; 2 when the answer is malformed (the
message gives the position) or a parameter is bad.
"""

from __future__ import annotations

import sys

from ..cli import emit
from .common import add_param_options, raw_params, take_kind

MODES = ("implied", "exact", "decimals", "sigfigs", "relative", "prairielearn", "webwork")
_VALUE_OPTIONS = ("--answer", "-a")


def _join_values(argv: list[str]) -> list[str]:
    """`--answer -\\frac{1}{3}`: a value starting with '-' would read as an option, so
    glue it to its option (`--answer=...`) before argparse sees it."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg in _VALUE_OPTIONS and i + 1 < len(argv):
            out.append(f"{arg}={argv[i + 1]}" if arg.startswith("--") else arg + argv[i + 1])
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def add_tolerance_options(parser) -> None:
    """The instructor's tolerance: a mode, its digits, rtol/atol and slack (shared with grade)."""
    group = parser.add_argument_group("tolerance (default: implied by the typed digits)")
    group.add_argument("--tolerance", choices=MODES, metavar="MODE",
                       help="implied (default: an answer typed to k decimals may be off by half a unit "
                            "in its last place; exact forms must be equal), exact, decimals, sigfigs, "
                            "relative, or the presets prairielearn (rtol 1e-2, atol 1e-8) and webwork "
                            "(rtol 1e-3, atol 1e-12)")
    group.add_argument("--digits", type=int, metavar="K", help="decimals or significant figures for those modes")
    group.add_argument("--decimals", type=int, metavar="K", dest="tol_decimals",
                       help="shorthand for --tolerance decimals --digits K")
    group.add_argument("--sigfigs", type=int, metavar="K", dest="tol_sigfigs",
                       help="shorthand for --tolerance sigfigs --digits K")
    group.add_argument("--rtol", metavar="R", help="relative tolerance (implies --tolerance relative)")
    group.add_argument("--atol", metavar="A", help="absolute tolerance near zero (implies --tolerance relative)")
    group.add_argument("--slack", action="store_true",
                       help="decimals/sigfigs: also accept ±1 in the last place")


def tolerance_from(args):
    """The Tolerance the options ask for; contradictions are InputErrors naming the option."""
    from ..errors import InputError
    from ..verify import PRAIRIELEARN, WEBWORK, Tolerance

    mode, digits = args.tolerance, args.digits
    for name, value in (("decimals", args.tol_decimals), ("sigfigs", args.tol_sigfigs)):
        if value is None:
            continue
        if mode not in (None, name) or digits is not None:
            raise InputError(f"--{name}", f"is shorthand for --tolerance {name} --digits K; "
                                          "do not combine it with --tolerance or --digits")
        mode, digits = name, value
    relative = args.rtol is not None or args.atol is not None
    if mode is None:
        mode = "relative" if relative else "implied"
    if mode in ("prairielearn", "webwork"):
        preset = PRAIRIELEARN if mode == "prairielearn" else WEBWORK
        return Tolerance("relative", rtol=args.rtol if args.rtol is not None else preset.rtol,
                         atol=args.atol if args.atol is not None else preset.atol)
    if mode in ("decimals", "sigfigs") and digits is None:
        raise InputError("--digits", f"--tolerance {mode} needs --digits K")
    return Tolerance(mode, digits=digits, rtol=args.rtol, atol=args.atol,
                     last_place_slack=args.slack)


def run(parser, argv) -> int:
    kind, rest = take_kind(parser, argv)
    parser.prog = f"derive check {kind.name}"
    parser.epilog = ("Exit status: 0 when the answer was judged (correct or wrong), 1 when judged wrong "
                     "with --strict-exit, 2 when the answer is malformed or a parameter is bad.")
    add_param_options(parser, kind)
    answer = parser.add_argument_group("answer")
    answer.add_argument("--answer", "-a", required=True, metavar="ANSWER",
                        help="the typed answer: 5/3, 1.67, -\\frac{\\sqrt{3}}{3}, 4√3, [[..],[..]], a bmatrix; "
                             "@FILE reads it from a file")
    answer.add_argument("--part", metavar="NAME", help="which result to check (default the first; "
                                                       "e.g. running_var for batchnorm)")
    answer.add_argument("--decimal-comma", action="store_true",
                        help="read 1,5 as 1.5 (then list entries are separated by ';')")
    add_tolerance_options(parser)
    out = parser.add_argument_group("output")
    out.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    out.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    out.add_argument("--strict-exit", action="store_true", help="exit with status 1 when the answer is wrong")
    args = parser.parse_args(_join_values(rest))

    from ..api import make_params
    from ..check import check_params

    text = args.answer
    if text.startswith("@"):
        from .common import _read_file

        text = _read_file(text[1:], "answer")
    tol = tolerance_from(args)
    params = make_params(kind.name, **raw_params(args, kind))
    report = check_params(kind.name, params, text, part=args.part, tolerance=tol,
                          decimal_comma=args.decimal_comma)
    emit(report.to_json() if args.format == "json" else report.to_text(), args.output)
    if args.strict_exit and not report.correct:
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    from ..cli import main

    sys.exit(main(["check", *sys.argv[1:]]))
