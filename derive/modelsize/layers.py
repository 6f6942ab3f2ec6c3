"""Layers as frozen dataclasses: what a layer *is*, before any shape is known.

A dimension the problem leaves blank is `None` (written `?` in a spec, and `"?"` is
accepted here too); `derive.modelsize.infer` fills it in from the neighbours.  Each
class declares its fields' kinds (`FIELDS`), their positional order (`POSITIONAL`),
which must be given (`REQUIRED`) and keyword aliases (`ALIASES`) as data, so one
validator and one printer serve every layer type, and the spec grammar binds
arguments from the same tables.

`tensors()` lists a layer's parameter and buffer tensors with PyTorch's names and
shapes (once every dimension is known).  The kind's numpy `reference` recounts from it,
while the displayed formulas (`derive.modelsize.count`) are computed from the dimensions
directly, so two independent paths must agree (and torch is the third).

>>> Linear(52, "?")
Linear(in_features=52, out_features=None, bias=True, tie=None)
>>> Linear(52, "?").text()
'Linear(52, ?)'
>>> [t.shape for t in Linear(52, 128).tensors()]
[(128, 52), (128,)]
>>> Conv2d(3, 6, kernel_size=5).text()
'Conv2d(3, 6, kernel_size=5)'
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from fractions import Fraction
from functools import lru_cache
from typing import Any, ClassVar

from ..errors import InputError

__all__ = [
    "Layer", "Tensor", "UNKNOWN", "MAX_DIM",
    "Linear", "LayerNorm", "BatchNorm1d", "BatchNorm2d", "ReLU", "GELU", "Tanh", "Sigmoid",
    "LeakyReLU", "Softmax", "LogSoftmax", "Dropout", "Flatten", "Conv2d", "MaxPool2d",
    "AvgPool2d", "Embedding", "TransformerBlock", "CrossEntropyLoss", "NLLLoss", "MSELoss",
    "LAYER_TYPES", "LOSS_TYPES", "pair", "layer_tensors",
]

UNKNOWN = "?"
# Dimensions up to 10^30 elements: absurd models still count exactly, parsing stays bounded.
MAX_DIM = 10**30


@dataclass(frozen=True)
class Tensor:
    """One parameter or buffer tensor: PyTorch's name, its shape, and whether it counts in C."""

    name: str
    shape: tuple[int, ...]
    kind: str = "param"          # "param" | "buffer"
    tied_to: str | None = None   # the layer that owns this (shared) weight
    dtype: str | None = None     # None: the model's dtype; "int64" for num_batches_tracked

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


def _ratio(q) -> tuple:
    """A rational field's hash key, (numerator, denominator), consistent with equality (None: (None,))."""
    return (None,) if q is None else (q.numerator, q.denominator)


def pair(v) -> tuple[int, int]:
    """kernel_size=5 and kernel_size=(5, 5) alike, as PyTorch's `_pair`."""
    return tuple(v) if isinstance(v, tuple) else (v, v)


@dataclass(frozen=True)
class Layer:
    """Base class.  `name` is the user's handle for the layer (`emb = Embedding(...)`)."""

    name: str | None = field(default=None, kw_only=True, compare=False, repr=False)

    FIELDS: ClassVar[dict[str, str]] = {}
    POSITIONAL: ClassVar[tuple[str, ...]] = ()
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    ALIASES: ClassVar[dict[str, str]] = {}
    SHOW_POSITIONAL: ClassVar[int] = 1     # leading arguments printed without their names
    PASS_THROUGH: ClassVar[bool] = False   # output shape = input shape, no parameters

    def __post_init__(self):
        for f, kind in self.FIELDS.items():
            value = _check_value(kind, getattr(self, f), f)
            object.__setattr__(self, f, value)
        if self.name is not None and not (isinstance(self.name, str) and self.name.isidentifier()):
            raise InputError("name", f"must be an identifier, got {self.name!r}")
        self.check()

    def check(self) -> None:
        """Cross-field checks of one layer type (overridden where needed)."""

    # -- structure --------------------------------------------------------------
    @property
    def type_name(self) -> str:
        return type(self).__name__

    @property
    def dims(self) -> tuple[str, ...]:
        """The fields that are dimensions (may be unknown and inferred)."""
        return _dims(type(self))

    def unknown_dims(self) -> tuple[str, ...]:
        return tuple([f for f in _dims(type(self)) if getattr(self, f) is None])

    def filled(self, **values) -> "Layer":
        try:
            return _filled(self, self.name, tuple(values.items()))
        except TypeError:  # an unhashable value: build it afresh
            return replace(self, **values)

    def tensors(self) -> tuple[Tensor, ...]:
        return ()

    # -- text -------------------------------------------------------------------
    def text(self) -> str:
        """The layer as spec text: required positionals always, the rest only when set."""
        return _layer_text(self)

    def __str__(self):
        return self.text()


def layer_tensors(layer: "Layer") -> tuple[Tensor, ...]:
    """`layer.tensors()`, kept per distinct layer: the tensors are immutable and depend only
    on the fields that equality compares, and variants recount the same layers again and
    again (a frozen Tensor costs a dataclass __init__ each time)."""
    try:
        return _kept_tensors(layer)
    except TypeError:  # an unhashable field value: list them afresh
        return layer.tensors()


@lru_cache(maxsize=4096)
def _kept_tensors(layer: "Layer") -> tuple[Tensor, ...]:
    return layer.tensors()


@lru_cache(maxsize=4096)
def _filled(layer: "Layer", name, values: tuple) -> "Layer":
    """`layer` with `values` set, validated once per distinct layer: variants fill the same
    blanks with the same sizes again and again.  `name` is part of the key because layer
    equality ignores it."""
    return replace(layer, **dict(values))


# Equal layers (same type, same normalized fields; the handle `name` is not printed) print
# alike, and a solve prints each layer several times while variants repeat layers a lot.
@lru_cache(maxsize=4096)
def _layer_text(layer: Layer) -> str:
    args = []
    defaults = _defaults(type(layer))
    for f in layer.POSITIONAL[: layer.SHOW_POSITIONAL]:
        v = getattr(layer, f)
        if f in layer.REQUIRED or v != defaults[f]:
            args.append(_value_text(v, layer.FIELDS[f]))
        else:
            break
    shown = set(layer.POSITIONAL[: len(args)])
    for f in layer.FIELDS:
        if f in shown:
            continue
        v = getattr(layer, f)
        if f in layer.REQUIRED or v != defaults[f]:
            args.append(f"{f}={_value_text(v, layer.FIELDS[f])}")
    return f"{layer.type_name}({', '.join(args)})" if args else layer.type_name


@lru_cache(maxsize=64)
def _dims(cls) -> tuple[str, ...]:
    """`Layer.dims` of a layer type: its FIELDS are fixed, and every model asks each layer."""
    return tuple(f for f, k in cls.FIELDS.items() if k == "dim")


@lru_cache(maxsize=64)
def _defaults(cls) -> dict[str, Any]:
    return {f.name: f.default for f in fields(cls)}


def _value_text(v, kind: str = "") -> str:
    if v is None:
        return "None" if kind in ("size?", "real?", "ref") else UNKNOWN
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return "(" + ", ".join(_value_text(x) for x in v) + ")"
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else _fraction_text(v)
    if isinstance(v, str) and kind != "ref":
        return repr(v)  # choices: 'mean', 'tanh', 'same'
    return str(v)


def _fraction_text(q: Fraction) -> str:
    """0.5 for 1/2: a terminating decimal when there is one, else the fraction."""
    d = q.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d != 1:
        return f"{q.numerator}/{q.denominator}"
    from decimal import Decimal

    return format(Decimal(q.numerator) / Decimal(q.denominator), "f")


# -- value kinds ---------------------------------------------------------------------
def _int(v, f, lo=None):
    if isinstance(v, bool) or not isinstance(v, int):
        if isinstance(v, Fraction) and v.denominator == 1:
            v = int(v)
        else:
            raise InputError(f, f"must be a whole number, got {_shown(v)}")
    if lo is not None and v < lo:
        raise InputError(f, f"must be {'positive' if lo == 1 else f'at least {lo}'}, got {v}")
    if abs(v) > MAX_DIM:
        raise InputError(f, f"is larger than {MAX_DIM:.0e}")
    return v


def _shown(v) -> str:
    if isinstance(v, Fraction):
        return _value_text(v)
    return repr(v)


def _check_value(kind: str, v: Any, f: str):
    """Validate and normalize one field value by its kind."""
    if kind == "dim":
        if v is None or v == UNKNOWN:
            return None
        if isinstance(v, str) and set(v) == {"_"}:  # the worksheet's blank, "_____"
            return None
        return _int(v, f, 1)
    if kind in ("count", "int", "nonneg"):
        return _int(v, f, {"count": 1, "int": None, "nonneg": 0}[kind])
    if kind in ("size", "padding", "pad"):
        if kind == "padding" and v in ("same", "valid"):
            return v
        if v is None:
            raise InputError(f, "is required")
        lo = 1 if kind == "size" else 0
        if isinstance(v, (tuple, list)):
            if len(v) != 2:
                raise InputError(f, f"must be one number or a pair (h, w), got {len(v)} numbers")
            return tuple(_int(x, f, lo) for x in v)
        return _int(v, f, lo)
    if kind == "size?":  # pooling stride: None means "same as kernel_size"
        return None if v is None else _check_value("size", v, f)
    if kind == "bool":
        if not isinstance(v, bool):
            raise InputError(f, f"must be true or false, got {v!r}")
        return v
    if kind in ("prob", "real", "real?"):
        if v is None and kind == "real?":
            return None
        if isinstance(v, bool) or not isinstance(v, (int, Fraction)):
            from ..exact import to_fraction

            v = to_fraction(v, f) if isinstance(v, str) else _reject_number(v, f)
        v = Fraction(v)
        if v < 0 or (kind == "prob" and v > 1):
            raise InputError(f, f"must be {'between 0 and 1' if kind == 'prob' else 'non-negative'}, got {v}")
        return v
    if kind == "ref":
        if v is None:
            return None
        if not isinstance(v, str) or not v.isidentifier():
            raise InputError(f, f"must name a layer (an identifier like emb or Embedding1), got {v!r}")
        return v
    if kind.startswith("choice:"):
        options = kind[len("choice:"):].split("|")
        text = "none" if v is None else v
        if text not in options:
            raise InputError(f, f"must be one of {', '.join(repr(o) for o in options)}, got {v!r}")
        return text
    raise AssertionError(kind)  # pragma: no cover


def _reject_number(v, f):
    from decimal import Decimal

    if isinstance(v, Decimal) and v.is_finite():
        return Fraction(v)
    if isinstance(v, float):
        # A float from the Python API: taken by its repr (0.1 → 1/10), as derive.params does.
        from ..exact import to_fraction

        return to_fraction(v, f)
    raise InputError(f, f"expected a number, got {v!r}")


# -- the layer types -------------------------------------------------------------------
@dataclass(frozen=True)
class Linear(Layer):
    in_features: int | None = None
    out_features: int | None = None
    bias: bool = True
    tie: str | None = None

    SHOW_POSITIONAL: ClassVar = 2
    FIELDS: ClassVar = {"in_features": "dim", "out_features": "dim", "bias": "bool", "tie": "ref"}
    POSITIONAL: ClassVar = ("in_features", "out_features", "bias")
    REQUIRED: ClassVar = ("in_features", "out_features")
    ALIASES: ClassVar = {"in_feats": "in_features", "out_feats": "out_features", "tied": "tie",
                         "tied_to": "tie"}

    def tensors(self):
        w = Tensor("weight", (self.out_features, self.in_features), tied_to=self.tie)
        return (w, Tensor("bias", (self.out_features,))) if self.bias else (w,)


@dataclass(frozen=True)
class LayerNorm(Layer):
    normalized_shape: int | None = None
    eps: Fraction = Fraction(1, 100000)
    elementwise_affine: bool = True
    bias: bool = True

    FIELDS: ClassVar = {"normalized_shape": "dim", "eps": "real", "elementwise_affine": "bool", "bias": "bool"}
    POSITIONAL: ClassVar = ("normalized_shape", "eps", "elementwise_affine")
    ALIASES: ClassVar = {"features": "normalized_shape", "dim": "normalized_shape", "affine": "elementwise_affine"}

    def __hash__(self):
        # The dataclass's hash of these fields, but with ε as its two integers: hashing a
        # Fraction runs in Python (~1.5 µs), and the solve's lru_caches hash each layer often.
        # ε is a Fraction (`_check_value` makes it one): its slots, not the numerator property.
        eps = self.eps
        return hash((self.normalized_shape, eps._numerator, eps._denominator, self.elementwise_affine, self.bias))

    def tensors(self):
        if not self.elementwise_affine:
            return ()
        d = self.normalized_shape
        return (Tensor("weight", (d,)), Tensor("bias", (d,))) if self.bias else (Tensor("weight", (d,)),)


@dataclass(frozen=True)
class _BatchNorm(Layer):
    num_features: int | None = None
    eps: Fraction = Fraction(1, 100000)
    momentum: Fraction | None = Fraction(1, 10)
    affine: bool = True
    track_running_stats: bool = True

    FIELDS: ClassVar = {"num_features": "dim", "eps": "real", "momentum": "real?", "affine": "bool",
                        "track_running_stats": "bool"}
    POSITIONAL: ClassVar = ("num_features", "eps", "momentum", "affine", "track_running_stats")
    ALIASES: ClassVar = {"features": "num_features"}

    def __hash__(self):  # as LayerNorm's: the Fractions by their integers
        return hash((self.num_features, *_ratio(self.eps), *_ratio(self.momentum), self.affine,
                     self.track_running_stats))

    def tensors(self):
        c = self.num_features
        out = [Tensor("weight", (c,)), Tensor("bias", (c,))] if self.affine else []
        if self.track_running_stats:
            out += [Tensor("running_mean", (c,), "buffer"), Tensor("running_var", (c,), "buffer"),
                    Tensor("num_batches_tracked", (), "buffer", dtype="int64")]
        return tuple(out)


@dataclass(frozen=True)
class BatchNorm1d(_BatchNorm):
    __hash__ = _BatchNorm.__hash__  # defined here, or the dataclass would generate its own


@dataclass(frozen=True)
class BatchNorm2d(_BatchNorm):
    __hash__ = _BatchNorm.__hash__


@dataclass(frozen=True)
class _Elementwise(Layer):
    PASS_THROUGH: ClassVar = True


@dataclass(frozen=True)
class ReLU(_Elementwise):
    inplace: bool = False
    SHOW_POSITIONAL: ClassVar = 0
    FIELDS: ClassVar = {"inplace": "bool"}
    POSITIONAL: ClassVar = ("inplace",)


@dataclass(frozen=True)
class GELU(_Elementwise):
    approximate: str = "none"
    SHOW_POSITIONAL: ClassVar = 0
    FIELDS: ClassVar = {"approximate": "choice:none|tanh"}
    POSITIONAL: ClassVar = ("approximate",)


@dataclass(frozen=True)
class Tanh(_Elementwise):
    pass


@dataclass(frozen=True)
class Sigmoid(_Elementwise):
    pass


@dataclass(frozen=True)
class LeakyReLU(_Elementwise):
    negative_slope: Fraction = Fraction(1, 100)
    inplace: bool = False
    FIELDS: ClassVar = {"negative_slope": "real", "inplace": "bool"}
    POSITIONAL: ClassVar = ("negative_slope", "inplace")


@dataclass(frozen=True)
class Softmax(_Elementwise):
    dim: int = -1
    SHOW_POSITIONAL: ClassVar = 0
    FIELDS: ClassVar = {"dim": "int"}
    POSITIONAL: ClassVar = ("dim",)


@dataclass(frozen=True)
class LogSoftmax(_Elementwise):
    dim: int = -1
    SHOW_POSITIONAL: ClassVar = 0
    FIELDS: ClassVar = {"dim": "int"}
    POSITIONAL: ClassVar = ("dim",)


@dataclass(frozen=True)
class Dropout(_Elementwise):
    p: Fraction = Fraction(1, 2)
    inplace: bool = False
    FIELDS: ClassVar = {"p": "prob", "inplace": "bool"}
    POSITIONAL: ClassVar = ("p", "inplace")


@dataclass(frozen=True)
class Flatten(Layer):
    start_dim: int = 1
    end_dim: int = -1
    SHOW_POSITIONAL: ClassVar = 0
    FIELDS: ClassVar = {"start_dim": "int", "end_dim": "int"}
    POSITIONAL: ClassVar = ("start_dim", "end_dim")


@dataclass(frozen=True)
class Conv2d(Layer):
    in_channels: int | None = None
    out_channels: int | None = None
    kernel_size: int | tuple = None
    stride: int | tuple = 1
    padding: int | tuple | str = 0
    dilation: int | tuple = 1
    groups: int = 1
    bias: bool = True

    SHOW_POSITIONAL: ClassVar = 2
    FIELDS: ClassVar = {"in_channels": "dim", "out_channels": "dim", "kernel_size": "size",
                        "stride": "size", "padding": "padding", "dilation": "size", "groups": "count",
                        "bias": "bool"}
    POSITIONAL: ClassVar = ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                            "dilation", "groups", "bias")
    REQUIRED: ClassVar = ("in_channels", "out_channels", "kernel_size")
    ALIASES: ClassVar = {"in": "in_channels", "out": "out_channels", "kernel": "kernel_size"}

    def check(self):
        if self.padding == "same" and pair(self.stride) != (1, 1):
            raise InputError("padding", "'same' needs stride 1 (PyTorch refuses it otherwise)")
        for f in ("in_channels", "out_channels"):
            c = getattr(self, f)
            if c is not None and c % self.groups:
                raise InputError(f, f"{c} is not divisible by groups = {self.groups}")

    def tensors(self):
        kh, kw = pair(self.kernel_size)
        w = Tensor("weight", (self.out_channels, self.in_channels // self.groups, kh, kw))
        return (w, Tensor("bias", (self.out_channels,))) if self.bias else (w,)


@dataclass(frozen=True)
class _Pool2d(Layer):
    kernel_size: int | tuple = None
    stride: int | tuple | None = None
    padding: int | tuple = 0

    def check(self):
        for k, p in zip(pair(self.kernel_size), pair(self.padding)):
            if p > k // 2:
                raise InputError("padding", f"must be at most half the kernel size ({k}), got {p}")


@dataclass(frozen=True)
class MaxPool2d(_Pool2d):
    dilation: int | tuple = 1
    ceil_mode: bool = False
    FIELDS: ClassVar = {"kernel_size": "size", "stride": "size?", "padding": "pad",
                        "dilation": "size", "ceil_mode": "bool"}
    POSITIONAL: ClassVar = ("kernel_size", "stride", "padding", "dilation")
    REQUIRED: ClassVar = ("kernel_size",)
    ALIASES: ClassVar = {"kernel": "kernel_size"}


@dataclass(frozen=True)
class AvgPool2d(_Pool2d):
    ceil_mode: bool = False
    count_include_pad: bool = True
    FIELDS: ClassVar = {"kernel_size": "size", "stride": "size?", "padding": "pad",
                        "ceil_mode": "bool", "count_include_pad": "bool"}
    POSITIONAL: ClassVar = ("kernel_size", "stride", "padding", "ceil_mode")
    REQUIRED: ClassVar = ("kernel_size",)
    ALIASES: ClassVar = {"kernel": "kernel_size"}


@dataclass(frozen=True)
class Embedding(Layer):
    num_embeddings: int | None = None
    embedding_dim: int | None = None
    SHOW_POSITIONAL: ClassVar = 2
    FIELDS: ClassVar = {"num_embeddings": "dim", "embedding_dim": "dim"}
    POSITIONAL: ClassVar = ("num_embeddings", "embedding_dim")
    REQUIRED: ClassVar = ("num_embeddings", "embedding_dim")
    ALIASES: ClassVar = {"vocab_size": "num_embeddings", "dim": "embedding_dim", "d_model": "embedding_dim"}

    def tensors(self):
        return (Tensor("weight", (self.num_embeddings, self.embedding_dim)),)


@dataclass(frozen=True)
class TransformerBlock(Layer):
    """Post-norm encoder block, as torch.nn.TransformerEncoderLayer(batch_first=True):
    multi-head self-attention (q, k, v, output projections) + LayerNorm, MLP d→d_ff→d + LayerNorm."""

    d_model: int | None = None
    heads: int = 1
    d_ff: int | None = None
    bias: bool = True
    activation: str = "relu"
    norm_first: bool = False

    SHOW_POSITIONAL: ClassVar = 0
    FIELDS: ClassVar = {"d_model": "dim", "heads": "count", "d_ff": "dim", "bias": "bool",
                        "activation": "choice:relu|gelu", "norm_first": "bool"}
    POSITIONAL: ClassVar = ("d_model", "heads", "d_ff")
    REQUIRED: ClassVar = ("d_model", "heads", "d_ff")
    ALIASES: ClassVar = {"nhead": "heads", "n_heads": "heads", "num_heads": "heads",
                         "dim_feedforward": "d_ff", "d_hidden": "d_ff"}

    def check(self):
        if self.d_model is not None and self.d_model % self.heads:
            raise InputError("heads", f"must divide d_model = {self.d_model}, got {self.heads}")

    def tensors(self):
        d, ff = self.d_model, self.d_ff
        b = self.bias
        out = [Tensor("self_attn.in_proj_weight", (3 * d, d))]
        out += [Tensor("self_attn.in_proj_bias", (3 * d,))] if b else []
        out += [Tensor("self_attn.out_proj.weight", (d, d))]
        out += [Tensor("self_attn.out_proj.bias", (d,))] if b else []
        out += [Tensor("linear1.weight", (ff, d))] + ([Tensor("linear1.bias", (ff,))] if b else [])
        out += [Tensor("linear2.weight", (d, ff))] + ([Tensor("linear2.bias", (d,))] if b else [])
        for norm in ("norm1", "norm2"):
            out += [Tensor(f"{norm}.weight", (d,))] + ([Tensor(f"{norm}.bias", (d,))] if b else [])
        return tuple(out)


# -- losses: the last "layer", whose output is the last z ------------------------------
@dataclass(frozen=True)
class _Loss(Layer):
    reduction: str = "mean"
    FIELDS: ClassVar = {"reduction": "choice:mean|sum|none"}
    POSITIONAL: ClassVar = ()
    CLASSIFICATION: ClassVar = True

    def text(self):
        return f"{self.type_name}(reduction={self.reduction!r})"


@dataclass(frozen=True)
class CrossEntropyLoss(_Loss):
    pass


@dataclass(frozen=True)
class NLLLoss(_Loss):
    pass


@dataclass(frozen=True)
class MSELoss(_Loss):
    CLASSIFICATION: ClassVar = False


LAYER_TYPES: dict[str, type[Layer]] = {cls.__name__: cls for cls in (
    Linear, LayerNorm, BatchNorm1d, BatchNorm2d, ReLU, GELU, Tanh, Sigmoid, LeakyReLU, Softmax,
    LogSoftmax, Dropout, Flatten, Conv2d, MaxPool2d, AvgPool2d, Embedding, TransformerBlock,
)}
LOSS_TYPES: dict[str, type[Layer]] = {cls.__name__: cls for cls in (CrossEntropyLoss, NLLLoss, MSELoss)}
