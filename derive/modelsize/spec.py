"""The layer-list grammar: `Linear(52, ?); LayerNorm; ReLU; …`, parsed by hand, never eval'd.

A spec is a list of layers separated by `;` or newlines (newlines inside parentheses
are spaces; `#` starts a comment).  One layer:

    item   := [name ("=" | ":")] type ["(" [arg ("," arg)* [","]] ")"]
    type   := identifier ("." identifier)*      nn.Linear and torch.nn.Linear work too
    arg    := [identifier "="] value
    value  := ["-"] number | "?" | "___" | 'text' | identifier | "(" value, … ")" | "[" value, … "]"

`?` (or the worksheet's blank `_____`) marks an unknown dimension.  Identifiers are
`true`/`false`, `None`, choices (`reduction=mean`) or layer names (`tie=emb`).  Arguments
bind to the layer dataclass by position and keyword from its own tables
(`derive.modelsize.layers`), so the grammar knows no layer type by heart.  Limits are
checked while reading (length, layers, digits, arguments), so hostile input fails fast
with the layer, the column and what was expected.

>>> [str(x) for x in parse_layers("Linear(52, ?); LayerNorm; nn.ReLU()")[0]]
['Linear(52, ?)', 'LayerNorm', 'ReLU']
>>> parse_layers("Linear(52, ?")
Traceback (most recent call last):
  ...
derive.errors.InputError: layers: layer 1 'Linear(52, ?', column 13: expected ',' or ')', got end of text
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from ..errors import InputError
from .layers import LAYER_TYPES, LOSS_TYPES, UNKNOWN, Layer, TransformerBlock

__all__ = ["parse_layers", "parse_layer", "parse_input_shape", "parse_loss", "load_spec",
           "MAX_SPEC_CHARS", "MAX_LAYERS"]

MAX_SPEC_CHARS = 1_000_000
MAX_LAYERS = 10_000
MAX_NUMBER_CHARS = 40
MAX_STRING_CHARS = 64
MAX_ARGS = 16
MAX_TOKENS = 400              # per layer; a layer never needs more, hostile text stops early
MAX_SPEC_FILE_BYTES = 2_000_000

TYPE_ALIASES = {"TransformerEncoderLayer": TransformerBlock}
_ALL_TYPES = {**LAYER_TYPES, **LOSS_TYPES}
_BY_LOWER = {name.lower(): cls for name, cls in {**_ALL_TYPES, **TYPE_ALIASES}.items()}

_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\f\v]+)
  | (?P<comment>\#[^\n]*)
  | (?P<newline>\n)
  | (?P<number>(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'[^'\n]*'|"[^"\n]*")
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[()\[\],=?;:.\-])
""", re.VERBOSE)


@dataclass(frozen=True)
class Token:
    kind: str      # number | string | ident | punct | sep | end
    text: str
    pos: int       # offset in the item's text


class _Unknown:
    """The `?` value, distinct from None."""

    def __repr__(self):
        return "?"


UNKNOWN_VALUE = _Unknown()


class _Syntax(Exception):
    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.message = message
        self.pos = pos


# -- splitting into items ----------------------------------------------------------------
def split_items(text: str) -> list[tuple[str, int]]:
    """Cut at `;` and newlines outside brackets; returns (item text, offset) pairs.

    Comments are blanked with spaces (offsets stay right for error columns), in one pass.
    """
    items, depth, start, i = [], 0, 0, 0
    quote = None
    out: list[str] = []          # the text with comments blanked, built once (no quadratic copying)
    n = len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == quote or ch == "\n":
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        elif ch in ";\n" and depth == 0:
            items.append((start, i))
            start = i + 1
        out.append(ch)
        i += 1
    items.append((start, n))
    blanked = "".join(out)
    return [(blanked[a:b], a) for a, b in items if blanked[a:b].strip()]


# -- tokens ------------------------------------------------------------------------------------
def tokenize(text: str) -> list[Token]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            raise _Syntax(f"unexpected character {ch!r}", pos)
        kind = m.lastgroup
        tok = m.group()
        if kind == "number" and len(tok) > MAX_NUMBER_CHARS:
            raise _Syntax(f"number longer than {MAX_NUMBER_CHARS} characters", pos)
        if kind == "string" and len(tok) > MAX_STRING_CHARS + 2:
            raise _Syntax(f"text longer than {MAX_STRING_CHARS} characters", pos)
        if kind not in ("space", "comment", "newline"):
            out.append(Token(kind, tok, pos))
            if len(out) > MAX_TOKENS:
                raise _Syntax(f"layer text longer than {MAX_TOKENS} tokens", pos)
        pos = m.end()
    out.append(Token("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def accept(self, punct: str) -> bool:
        if self.tok.kind == "punct" and self.tok.text == punct:
            self.i += 1
            return True
        return False

    def fail(self, expected: str):
        t = self.tok
        got = "end of text" if t.kind == "end" else repr(t.text)
        raise _Syntax(f"expected {expected}, got {got}", t.pos)

    def expect_ident(self, what: str) -> Token:
        if self.tok.kind != "ident":
            self.fail(what)
        return self.next()

    # item := [name (= | :)] type [( args )]
    def item(self):
        name = None
        if self.tok.kind == "ident" and self.tokens[self.i + 1].kind == "punct" \
                and self.tokens[self.i + 1].text in "=:":
            name = self.next().text
            self.next()
        first = self.expect_ident("a layer type such as Linear, ReLU or Conv2d")
        parts, start = [first.text], first.pos
        while self.accept("."):
            parts.append(self.expect_ident("a name after '.'").text)
        args, kwargs = [], {}
        if self.accept("("):
            if not self.accept(")"):
                while True:
                    if len(args) + len(kwargs) >= MAX_ARGS:
                        raise _Syntax(f"more than {MAX_ARGS} arguments", self.tok.pos)
                    if self.tok.kind == "ident" and self.tokens[self.i + 1].text == "=" \
                            and self.tokens[self.i + 1].kind == "punct":
                        key = self.next()
                        self.next()
                        if key.text in kwargs:
                            raise _Syntax(f"argument {key.text!r} given twice", key.pos)
                        vpos = self.tok.pos
                        kwargs[key.text] = (self.value(), vpos, key.pos)
                    else:
                        if kwargs:
                            raise _Syntax("a positional argument after keyword arguments", self.tok.pos)
                        pos = self.tok.pos
                        args.append((self.value(), pos))
                    if self.accept(")"):
                        break
                    if not self.accept(","):
                        self.fail("',' or ')'")
                    if self.accept(")"):
                        break
        if self.tok.kind != "end":
            self.fail("';' or a new line between layers")
        return name, parts, start, args, kwargs

    def value(self, depth: int = 0):
        t = self.tok
        if t.kind == "punct" and t.text == "-":
            self.next()
            if self.tok.kind != "number":
                self.fail("a number after '-'")
            return -self._number(self.next())
        if t.kind == "number":
            return self._number(self.next())
        if t.kind == "string":
            self.next()
            return t.text[1:-1]
        if t.kind == "punct" and t.text == "?":
            self.next()
            return UNKNOWN_VALUE
        if t.kind == "ident":
            self.next()
            if set(t.text) == {"_"}:
                return UNKNOWN_VALUE
            return {"true": True, "True": True, "false": False, "False": False, "None": None}.get(t.text, t.text)
        if t.kind == "punct" and t.text in "([" and depth == 0:
            close = ")" if t.text == "(" else "]"
            self.next()
            items = []
            while not self.accept(close):
                items.append(self.value(depth + 1))
                if self.accept(close):
                    break
                if not self.accept(","):
                    self.fail(f"',' or '{close}'")
            return tuple(items)
        self.fail("a value (a number, ?, true/false or a name)")

    def _number(self, t: Token):
        text = t.text.replace("_", "")
        if re.fullmatch(r"\d+", text):
            return int(text)
        d = Decimal(text)
        if abs(d.as_tuple().exponent) > MAX_NUMBER_CHARS:
            raise _Syntax("exponent too large", t.pos)
        q = Fraction(d)
        return int(q) if q.denominator == 1 and "e" not in text.lower() and "." not in text else q


# -- binding -----------------------------------------------------------------------------------
def _resolve_type(parts: list[str], pos: int) -> type[Layer]:
    name = parts[-1]
    prefix = parts[:-1]
    if prefix and prefix not in (["nn"], ["torch", "nn"]):
        raise _Syntax(f"unknown module {'.'.join(prefix)!r}; write the layer type alone (Linear) or nn.Linear", pos)
    cls = _ALL_TYPES.get(name) or TYPE_ALIASES.get(name) or _BY_LOWER.get(name.lower())
    if cls is None:
        stripped = name.rstrip("0123456789")  # the worksheet's numbered names: Linear1, Linear3
        if stripped != name:
            cls = _ALL_TYPES.get(stripped) or _BY_LOWER.get(stripped.lower())
    if cls is None:
        close = difflib.get_close_matches(name, list(_ALL_TYPES), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise _Syntax(f"unknown layer type {name!r}{hint}", pos)
    return cls


def _bind(cls: type[Layer], args, kwargs, name, start) -> Layer:
    values = {}
    if len(args) > len(cls.POSITIONAL):
        most = len(cls.POSITIONAL)
        where = args[most][1]
        raise _Syntax(f"{cls.__name__} takes {'no' if most == 0 else f'at most {most}'} positional "
                      f"argument{'s' if most != 1 else ''}", where)
    for (v, pos), f in zip(args, cls.POSITIONAL):
        values[f] = (v, pos)
    for key, (v, pos, kpos) in kwargs.items():
        f = cls.ALIASES.get(key, key)
        if f not in cls.FIELDS:
            known = list(cls.FIELDS) + list(cls.ALIASES)
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            listed = ", ".join(cls.FIELDS) or "none"
            raise _Syntax(f"{cls.__name__} has no argument {key!r}{hint}; its arguments: {listed}", kpos)
        if f in values:
            raise _Syntax(f"argument {f!r} given twice", kpos)
        values[f] = (v, pos)
    missing = [f for f in cls.REQUIRED if f not in values]
    if missing:
        raise _Syntax(f"{cls.__name__} needs {' and '.join(missing)} (write ? for an unknown dimension)", start)
    clean = {}
    for f, (v, pos) in values.items():
        if v is UNKNOWN_VALUE:
            if cls.FIELDS[f] != "dim":
                raise _Syntax(f"{f} cannot be '?': only dimensions (features, channels) can be left unknown", pos)
            v = None
        elif v == "none" and not cls.FIELDS[f].startswith("choice:"):
            v = None  # bare `none` means None except where 'none' is a choice (reduction, approximate)
        clean[f] = v
    try:
        return cls(**clean, name=name)
    except InputError as e:
        pos = values.get(e.field, (None, start))[1]
        raise _Syntax(f"{e.field} {e.problem}", pos) from None


def parse_layer(text: str) -> Layer:
    """One layer from its text; raises _Syntax with a position (see parse_layers)."""
    return _parse_short(text) if len(text) <= _CACHED_CHARS else _parse(text)


# Layers are immutable, so one parse serves every model that spells a layer the same way
# (randomized variants repeat "LayerNorm", "ReLU", "Linear(64, ?)" all the time).
_CACHED_CHARS = 200


@lru_cache(maxsize=2048)
def _parse_short(text: str) -> Layer:
    return _parse(text)


@lru_cache(maxsize=2048)
def _split_items_kept(text: str) -> tuple[tuple[str, int], ...]:
    """`split_items` of a short text, kept like `_parse_short` (one layer per text, mostly)."""
    return tuple(split_items(text))


def _parse(text: str) -> Layer:
    p = _Parser(text)
    name, parts, start, args, kwargs = p.item()
    cls = _resolve_type(parts, start)
    return _bind(cls, args, kwargs, name, start)


def _column(item: str, pos: int) -> int:
    """1-based column in the item as shown (leading spaces stripped)."""
    return pos - (len(item) - len(item.lstrip())) + 1


def parse_layers(source, field: str = "layers") -> tuple[tuple[Layer, ...], Layer | None]:
    """A list of layers (and the loss, if the list ends with one) from text or a list of texts."""
    layers = _short_texts_layers(source)
    if layers is not None:
        return _split_loss(layers, field)
    if isinstance(source, str):
        texts = [source]
    elif isinstance(source, (list, tuple)):
        texts = list(source)
    else:
        raise InputError(field, f"expected text or a list of layer texts, got {type(source).__name__}")
    items = []
    total = 0
    for j, t in enumerate(texts):
        if isinstance(t, Layer):
            items.append(t)
            continue
        if not isinstance(t, str):
            raise InputError(field, f"entry {j + 1} is a {type(t).__name__}, expected a layer text such as 'Linear(52, ?)'")
        total += len(t)
        if total > MAX_SPEC_CHARS:
            raise InputError(field, f"longer than {MAX_SPEC_CHARS} characters")
        t = t.replace("\u2212", "-")
        items.extend(_split_items_kept(t) if len(t) <= _CACHED_CHARS else split_items(t))
        if len(items) > MAX_LAYERS + 1:
            raise InputError(field, f"more than {MAX_LAYERS} layers")
    layers = []
    for k, item in enumerate(items, 1):
        if isinstance(item, Layer):
            layers.append(item)
            continue
        text, _ = item
        try:
            layers.append(parse_layer(text))
        except _Syntax as e:
            shown = text.strip()
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            err = InputError(field, f"layer {k} {shown!r}, column {_column(text, e.pos)}: {e.message}")
            err.layer, err.column = k, _column(text, e.pos)
            raise err from None
    return _split_loss(layers, field)


# A generated model is a list of short texts, one layer each ("Linear(52, ?)", "ReLU"), and
# variants repeat them: each text's layer is kept, so such a list skips the general loop's
# bookkeeping.  Far below the length limits by construction (at most 1,000 texts of 200 characters).
_FAST_TEXTS = 1000


def _short_texts_layers(source) -> list[Layer] | None:
    """The layers of a list of short one-layer texts, or None for anything else (other
    sources, several layers in one text, an error to report: the general path decides)."""
    if type(source) not in (list, tuple) or len(source) > _FAST_TEXTS:
        return None
    layers = []
    for t in source:
        if type(t) is not str or len(t) > _CACHED_CHARS:
            return None
        layer = _one_layer(t)
        if layer is None:
            return None
        layers.append(layer)
    return layers


@lru_cache(maxsize=2048)
def _one_layer(text: str) -> Layer | None:
    """The layer a text holds when it holds exactly one and it parses; else None."""
    items = _split_items_kept(text.replace("\u2212", "-"))
    if len(items) != 1:
        return None
    try:
        return parse_layer(items[0][0])
    except _Syntax:
        return None


def _split_loss(layers: list, field: str) -> tuple[tuple[Layer, ...], Layer | None]:
    """The model's layers and its loss (a loss may only come last)."""
    if not layers:
        raise InputError(field, "no layers given")
    loss = None
    for k, layer in enumerate(layers, 1):
        if type(layer).__name__ in LOSS_TYPES:
            if k != len(layers):
                raise InputError(field, f"layer {k} {layer.text()!r}: a loss must be the last item")
            loss = layer
    if loss is not None:
        layers = layers[:-1]
        if not layers:
            raise InputError(field, "only a loss was given; list the model's layers before it")
    return tuple(layers), loss


def parse_loss(source, field: str = "loss") -> Layer | None:
    """`CrossEntropyLoss(reduction='none')`, `MSELoss`, or "none" for no loss."""
    if isinstance(source, Layer):
        return source
    if not isinstance(source, str):
        raise InputError(field, f"expected text such as CrossEntropyLoss(reduction='mean'), got {source!r}")
    if source.strip().lower() in ("none", "no", ""):
        return None
    try:
        layer = parse_layer(source)
    except _Syntax as e:
        raise InputError(field, f"column {_column(source, e.pos)}: {e.message}") from None
    if type(layer).__name__ not in LOSS_TYPES:
        raise InputError(field, f"{layer.text()!r} is not a loss; use one of {', '.join(LOSS_TYPES)} or none")
    return layer


def parse_input_shape(source, field: str = "input_shape") -> tuple[int | None, ...]:
    """[4, 52] (list or text); `?` for a dimension the first layer fixes.  The batch must be known."""
    if isinstance(source, str):
        text = source.strip().replace("\u2212", "-")
        if len(text) > 10_000:
            raise InputError(field, "text too long")
        bracketed = text[:1] in "(["
        try:
            p = _Parser(text if bracketed else f"[{text}]")
            value = p.value()
            if p.tok.kind != "end":
                p.fail("end of the list")
        except _Syntax as e:
            raise InputError(field, f"column {e.pos + (1 if bracketed else 0)}: {e.message}") from None
        if not isinstance(value, tuple):
            raise InputError(field, f"expected a list like [4, 52], got {text[:40]!r}")
        items = list(value)
    elif isinstance(source, (list, tuple)):
        items = list(source)
    else:
        raise InputError(field, f"expected a list like [4, 52], got {type(source).__name__}")
    if not items:
        raise InputError(field, "is empty; give at least the batch size, e.g. [4, 52]")
    if len(items) > 8:
        raise InputError(field, f"has {len(items)} dimensions; at most 8 are supported")
    out = []
    for i, v in enumerate(items):
        if v is UNKNOWN_VALUE or v is None or (isinstance(v, str) and (v.strip() == UNKNOWN or set(v.strip()) == {"_"})):
            if i == 0:
                raise InputError(field, "the batch size (dimension 0) must be a number")
            out.append(None)
            continue
        if isinstance(v, Decimal) and v == v.to_integral_value():
            v = int(v)
        if isinstance(v, Fraction) and v.denominator == 1:
            v = int(v)
        if isinstance(v, str) and re.fullmatch(r"\s*\d+\s*", v):
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            raise InputError(field, f"dimension {i} must be a whole number or ?, got {v!r}")
        if v < 1:
            raise InputError(field, f"dimension {i} must be positive, got {v}")
        if v > 10**30:
            raise InputError(field, f"dimension {i} is larger than 1e30")
        out.append(v)
    return tuple(out)


# -- TOML spec files ------------------------------------------------------------------------------
def load_spec(path, keys, field: str = "spec") -> dict:
    """Read a model spec (TOML, decimals exact) and check its keys against `keys`."""
    import tomllib

    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SPEC_FILE_BYTES + 1)
    except OSError as e:
        raise InputError(field, f"cannot read {path}: {e.strerror or e}") from None
    if len(data) > MAX_SPEC_FILE_BYTES:
        raise InputError(field, f"{path} is larger than {MAX_SPEC_FILE_BYTES} bytes")
    try:
        spec = tomllib.loads(data.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError:
        raise InputError(field, f"{path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(field, f"{path} is not valid TOML: {e}") from None
    except (ValueError, RecursionError) as e:  # tomllib's own limits (huge integers, deep nesting)
        raise InputError(field, f"{path} is not valid TOML: {type(e).__name__}: {str(e)[:100]}") from None
    if "model" in spec and isinstance(spec["model"], dict) and len(spec) == 1:
        spec = spec["model"]  # a [model] table holding the keys is fine too
    for key in spec:
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(field, f"{path}: unknown key {key!r}{hint}; known: {', '.join(keys)}")
    return spec
