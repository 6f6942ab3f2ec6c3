"""`derive solve KIND --param VALUE ... [--format text|latex|json|pdf|all] [-o FILE]`."""

from __future__ import annotations

import sys
from pathlib import Path

from ..cli import add_output_options, default_file_mode, emit, write_atomic
from .common import add_param_options, precision_from, raw_params, take_kind


def run(parser, argv) -> int:
    kind, rest = take_kind(parser, argv)
    parser.prog = f"derive solve {kind.name}"
    add_param_options(parser, kind)
    add_output_options(parser)
    parser.add_argument("--check", default="numpy", metavar="BACKENDS",
                        help="numeric cross-checks: numpy, torch, 'numpy,torch', all (installed) or none")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="also draw the solution's figure as a PNG (kinds with a figure, e.g. l2; needs matplotlib)")
    args = parser.parse_args(rest)
    if args.plot and kind.plot is None:
        from ..errors import InputError

        raise InputError("plot", f"{kind.name} solutions have no figure to draw")

    from ..api import make_params, solve_params

    precision = precision_from(args)
    solution = solve_params(kind.name, make_params(kind.name, **raw_params(args, kind)), args.check)
    if args.plot:
        write_plot(kind, solution, args.plot)
    if args.format == "all":
        return write_all(solution, precision, args.output or kind.name)
    if args.format == "pdf":
        if not args.output:
            parser.error("--format pdf needs -o FILE")
        solution.to_pdf(args.output, precision)
        return 0
    render = {"text": solution.to_text, "latex": solution.to_latex, "json": solution.to_json}[args.format]
    emit(render(precision), args.output)
    return 0


def write_all(solution, precision, stem: str) -> int:
    """STEM.txt, .tex, .json and .pdf; without pdflatex say so in one line and keep the rest."""
    from ..errors import RenderError
    from ..render.pdf import pdflatex_available, write_pdf

    stem = Path(stem)
    tex = solution.to_latex(precision)
    outputs = {".txt": solution.to_text(precision), ".tex": tex, ".json": solution.to_json(precision)}
    for suffix, content in outputs.items():
        write_atomic(stem.with_suffix(suffix), content)
    if not pdflatex_available():
        sys.stderr.write(f"derive: pdflatex not found, wrote {stem}.tex but no PDF "
                         "(install TeX Live: texlive-latex-base texlive-latex-recommended texlive-latex-extra)\n")
        return 0
    try:
        write_pdf(tex, stem.with_suffix(".pdf"))
    except RenderError as e:
        sys.stderr.write(f"derive: {e}\n")
        return 2
    return 0


def write_plot(kind, solution, path: str) -> None:
    """Draw into a temp file beside the target and rename: a failed plot leaves nothing."""
    import os
    import tempfile

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".png")
    os.close(fd)
    try:
        kind.plot(solution, tmp)
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
