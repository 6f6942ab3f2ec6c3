"""The `derive` command line: parse arguments, call the library, report errors in one line.

Like `json.tool`, this module holds no logic of its own.  Every `DeriveError` becomes
one line on stderr and exit status 2; nothing is written when a command fails.
Heavy modules (SymPy, numpy, torch) are imported only after arguments are parsed,
so `derive --help` is instant.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["main", "Parser", "COMMANDS", "write_atomic", "default_file_mode", "add_output_options", "emit"]

# Subcommand → module with `add_arguments(parser)` and `run(args) -> int`.
COMMANDS = {
    "solve": ("derive.commands.solve", "solve one problem exactly, step by step"),
    "check": ("derive.commands.check", "judge a typed answer against the exact one"),
    "grade": ("derive.commands.grade", "grade a CSV of student answers against a key.json"),
    "worksheet": ("derive.commands.worksheet", "build question sheet, solutions and key from a TOML spec"),
    "generate": ("derive.commands.generate", "randomized, seeded variants of a worksheet"),
    "numerics": ("derive.commands.numerics", "float error of each dtype/backend against the exact answer"),
}


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit status 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write via a temp file in the same folder and rename, so failures leave nothing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
            f.write(data)
        os.chmod(tmp, default_file_mode())  # mkstemp makes 0600; outputs get the usual umask
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def default_file_mode() -> int:
    """0o666 less the process umask: what open() would have given a new file."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def add_output_options(parser: argparse.ArgumentParser, formats=("text", "latex", "json", "pdf", "all")):
    parser.add_argument("--format", choices=formats, default="text",
                        help="output format (default text); 'all' writes OUT.txt/.tex/.json/.pdf")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--decimals", type=int, default=2, metavar="K",
                       help="decimals shown beside exact values, correctly rounded (default 2)")
    group.add_argument("--sigfigs", type=int, metavar="K", help="significant figures instead of decimals")


def emit(text: str, output: str | None) -> None:
    if output:
        write_atomic(output, text)
    else:
        sys.stdout.write(text)


def main(argv=None) -> int:
    parser = Parser(prog="derive", description="Exact, step-by-step solutions to deep-learning "
                    "worksheet problems: LayerNorm, BatchNorm, dropout, L2, model size.")
    parser.add_argument("--version", action="version", version="derive 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0
    if argv[0] == "--version" or argv[0] not in COMMANDS:
        parser.parse_args(argv)  # prints version, or the one-line error for an unknown command
        return 2
    name, rest = argv[0], argv[1:]
    from .errors import DeriveError

    try:
        module = importlib.import_module(COMMANDS[name][0])
        command = Parser(prog=f"derive {name}", description=COMMANDS[name][1])
        return module.run(command, rest)
    except DeriveError as e:
        sys.stderr.write(f"derive {name}: error: {e}\n")
        return 2
    except KeyboardInterrupt:
        return 130


def console() -> int:
    """The `derive` command: `main`, then an exit whose final garbage collections skip the
    objects the command made (SymPy alone makes ~500k): walking them took ~0.15 s of every
    command.  Frozen objects are still freed with the process."""
    status = main()
    gc.freeze()
    return status


if __name__ == "__main__":
    raise SystemExit(console())
