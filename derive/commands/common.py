"""Argument helpers shared by the subcommands that take a problem kind and its params."""

from __future__ import annotations

import argparse

from ..params import field_specs
from ..registry import get_kind, kind_names

__all__ = ["take_kind", "add_param_options", "raw_params", "precision_from"]


def take_kind(parser: argparse.ArgumentParser, argv: list[str]):
    """The KIND positional, read before the kind-specific options can be declared."""
    if not argv or argv[0].startswith("-"):
        if argv and argv[0] in ("-h", "--help"):
            parser.add_argument("kind", choices=kind_names(), help="problem kind")
            parser.print_help()
            raise SystemExit(0)
        parser.error(f"missing KIND (one of: {', '.join(kind_names())})")
    return get_kind(argv[0]), argv[1:]


def add_param_options(parser: argparse.ArgumentParser, kind, *, skip: tuple[str, ...] = ()) -> None:
    """An option per parameter of `kind`; `skip` names parameters that the command's own
    options of the same name replace (numerics' --dtype is the float format, not model
    size's memory dtype)."""
    group = parser.add_argument_group(f"{kind.name} parameters")
    for f in field_specs(kind.params):
        if not f.metadata.get("cli", True) or f.name in skip:
            continue
        flags = [f"--{f.name}"]
        if "_" in f.name:
            flags.append(f"--{f.name.replace('_', '-')}")
        choices = f" ({'|'.join(f.metadata['choices'])})" if f.metadata["choices"] else ""
        from_file = "; @FILE reads it from a file" if f.metadata["type"] in ("matrix", "vector", "text") else ""
        group.add_argument(*flags, dest=f"param_{f.name}", metavar=f.name.upper() if len(f.name) > 1 else f.name,
                           help=f.metadata["help"] + choices + from_file)


def raw_params(args, kind) -> dict:
    """Option values by field name; `@FILE` reads a (large) list or text from a file."""
    raw = {}
    for f in field_specs(kind.params):
        value = getattr(args, f"param_{f.name}", None)
        if value is None:
            continue
        if isinstance(value, str) and value.startswith("@"):
            value = _read_file(value[1:], f.name)
        raw[f.name] = value
    return raw


def _read_file(path: str, field: str) -> str:
    from ..errors import InputError
    from ..params import MAX_TEXT_CHARS

    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(MAX_TEXT_CHARS + 1)
    except OSError as e:
        raise InputError(field, f"cannot read {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(field, f"{path} is not UTF-8 text") from None
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(field, f"{path} is longer than {MAX_TEXT_CHARS} characters")
    return text


def precision_from(args):
    from ..model import Precision

    return Precision(decimals=args.decimals, sigfigs=args.sigfigs)
