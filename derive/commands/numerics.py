"""`derive numerics KIND --param VALUE ... [--backend B] [--device D] [--dtype T] [--variance V]`.

The float-error oracle: the exact answer against each dtype's numeric result, with the
error of every entry in ulps, split into what input rounding causes and what the
arithmetic adds, and the two-pass variance against the naive E[x²] − E[x]².
"""

from __future__ import annotations

from ..cli import emit
from .common import add_param_options, raw_params, take_kind

DTYPE_HELP = "float64, float32, float16, bfloat16, a comma list, or all (default float32,float16)"


def run(parser, argv) -> int:
    kind, rest = take_kind(parser, argv)
    parser.prog = f"derive numerics {kind.name}"
    add_param_options(parser, kind, skip=("dtype",))
    group = parser.add_argument_group("numerics")
    group.add_argument("--backend", default="numpy", metavar="B",
                       help="numpy, torch, cupy, a comma list, or all (the installed ones); default numpy")
    group.add_argument("--device", default=None, metavar="D",
                       help="cpu, cuda or cuda:N (default cpu; cuda for cupy)")
    group.add_argument("--dtype", default="float32,float16", metavar="T", help=DTYPE_HELP)
    group.add_argument("--variance", choices=("two-pass", "naive", "both"), default="both",
                       help="variance formula: two-pass E[(x−μ)²] (the definition), naive E[x²]−E[x]², "
                            "or both side by side (default)")
    group.add_argument("--no-layers", dest="layers", action="store_false",
                       help="skip the framework's own layer (torch.nn.LayerNorm …) on the torch backend")
    group.add_argument("--max-entries", type=int, default=32, metavar="N",
                       help="entries shown per table; beyond that the N worst (default 32)")
    parser.add_argument("--format", choices=("text", "latex", "json"), default="text",
                        help="output format (default text)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    args = parser.parse_args(rest)
    if args.max_entries < 1:
        parser.error("--max-entries must be at least 1")

    from ..api import make_params
    from ..oracle import run_oracle

    params = make_params(kind.name, **raw_params(args, kind))
    report = run_oracle(kind, params, backends=args.backend, device=args.device, dtypes=args.dtype,
                        variance=args.variance, layers=args.layers)
    if args.format == "json":
        text = report.to_json()
    elif args.format == "latex":
        text = report.to_latex(args.max_entries)
    else:
        text = report.to_text(args.max_entries)
    emit(text, args.output)
    return 0
