"""Counting: parameters C, buffers, activations Z = n·K, memory in bytes, the crossover batch.

Every count is an exact Python int, written out the way the seed does it: one line
per layer with its formula ("52·128 + 128, Linear1 weights and biases"), built from
`derive.forms` nodes so the renderers print it.  The formulas here are computed from
the layer's dimensions directly; `reference` in the kind recounts from the tensor
shapes (`Layer.tensors`) and torch from real modules, so three paths must agree.

Conventions (stated in every solution):
- C counts trainable parameters; BatchNorm's running mean/variance (and its
  num_batches_tracked counter) are buffers, counted separately.  A tied weight counts once,
  in the layer that owns it.
- K counts the elements of one example's intermediate activations z₁…z_L, one per
  layer output, excluding the input x and the loss output (as the seed does); Z = n·K.

>>> from derive.modelsize.spec import parse_layers
>>> from derive.modelsize.infer import infer
>>> m = infer(parse_layers("Linear(52, 128); LayerNorm; ReLU")[0], (4, 52))
>>> [(l.label, l.count) for l in param_lines(m)]
[('Linear1', 6784), ('LayerNorm1', 256)]
>>> activation_K(m), crossover_batch(6784 + 256, activation_K(m))
(384, 19)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..forms import Add, Div, Mul
from .infer import Model
from .layers import (
    BatchNorm1d, BatchNorm2d, Conv2d, Embedding, LayerNorm, Linear, TransformerBlock, pair,
)

__all__ = [
    "ParamLine", "ActGroup", "Memory", "param_lines", "buffer_lines", "param_count", "buffer_count",
    "activation_groups", "activation_K", "memory", "crossover_batch", "prod_form", "product",
    "DTYPE_BYTES", "OPTIMIZER_STATES",
]

# Bytes per element of each storage type.
DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "fp64": 8}
# optimizer → (keeps gradients, copies of the parameters it keeps as state):
# SGD with momentum keeps a velocity, RMSprop the mean square, Adagrad the sum of squares,
# Adam/AdamW the first and second moments (exp_avg, exp_avg_sq).  "none" is inference.
OPTIMIZER_STATES = {"none": (False, 0), "sgd": (True, 0), "momentum": (True, 1), "rmsprop": (True, 1),
                    "adagrad": (True, 1), "adam": (True, 2), "adamw": (True, 2)}
OPTIMIZER_STATE_NAMES = {"momentum": "momentum buffer", "rmsprop": "square average",
                         "adagrad": "sum of squared gradients", "adam": "first and second moments",
                         "adamw": "first and second moments"}


@dataclass(frozen=True)
class ParamLine:
    """One line of the C (or buffer) derivation: a layer's formula, its value, a gloss
    (the line's symbol names the layer, C_Linear1, so the gloss does not)."""

    layer: int          # 0-based layer index
    label: str          # Linear1
    form: Any           # display form, e.g. Add((Mul(52, 128), 128))
    count: int
    note: str
    part: str = ""      # which part of a composite layer ("attention", "MLP")
    kinds: frozenset = frozenset()   # what it counts: {"weight", "bias", "norm"}


def product(values) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def prod_form(factors, op: str = "dot"):
    """a·b·c as left-nested Mul nodes (prints without parentheses); one factor is itself."""
    factors = list(factors)
    form = factors[0]
    for f in factors[1:]:
        form = Mul(form, f, op)
    return form


def _sum_form(terms):
    terms = [t for t in terms if t is not None]
    return terms[0] if len(terms) == 1 else Add(tuple(terms))


def _lines_for(k: int, label: str, layer, model: Model | None) -> list[ParamLine]:
    """The lines of layer k; `model` (None for an untied layer) names the owner of a tied weight."""
    if isinstance(layer, Linear):
        i, o = layer.in_features, layer.out_features
        if model is not None and k in model.ties:
            owner = model.labels[model.ties[k]]
            if layer.bias:
                return [ParamLine(k, label, o, o, f"biases (weight tied to {owner})",
                                  kinds=frozenset({"bias"}))]
            return [ParamLine(k, label, 0, 0, f"weight tied to {owner}")]
        if layer.bias:
            return [ParamLine(k, label, Add((Mul(i, o), o)), i * o + o, "weights and biases",
                              kinds=frozenset({"weight", "bias"}))]
        return [ParamLine(k, label, Mul(i, o), i * o, "weights (no bias)", kinds=frozenset({"weight"}))]
    if isinstance(layer, LayerNorm):
        d = layer.normalized_shape
        if not layer.elementwise_affine:
            return [ParamLine(k, label, 0, 0, "no γ, β (elementwise_affine=false)")]
        if not layer.bias:
            return [ParamLine(k, label, d, d, "γ (no β: bias=false)", kinds=frozenset({"norm"}))]
        return [ParamLine(k, label, Add((d, d)), 2 * d, "γ and β parameters", kinds=frozenset({"norm"}))]
    if isinstance(layer, (BatchNorm1d, BatchNorm2d)):
        c = layer.num_features
        if not layer.affine:
            return [ParamLine(k, label, 0, 0, "no γ, β (affine=false)")]
        return [ParamLine(k, label, Add((c, c)), 2 * c, "γ and β",
                          kinds=frozenset({"bnorm"}))]
    if isinstance(layer, Conv2d):
        kh, kw = pair(layer.kernel_size)
        cin = layer.in_channels if layer.groups == 1 else Div(layer.in_channels, layer.groups)
        w = prod_form((layer.out_channels, cin, kh, kw))
        wn = layer.out_channels * (layer.in_channels // layer.groups) * kh * kw
        if layer.bias:
            return [ParamLine(k, label, Add((w, layer.out_channels)), wn + layer.out_channels,
                              "kernels and biases", kinds=frozenset({"weight", "bias"}))]
        return [ParamLine(k, label, w, wn, "kernels (no bias)", kinds=frozenset({"weight"}))]
    if isinstance(layer, Embedding):
        v, d = layer.num_embeddings, layer.embedding_dim
        return [ParamLine(k, label, Mul(v, d), v * d, "table, one row per token",
                          kinds=frozenset({"weight"}))]
    if isinstance(layer, TransformerBlock):
        d, ff = layer.d_model, layer.d_ff
        if layer.bias:
            return [
                ParamLine(k, label, Mul(4, Add((Mul(d, d), d))), 4 * (d * d + d),
                          "q, k, v, out projections", "attention",
                          frozenset({"weight", "bias"})),
                ParamLine(k, label, Mul(2, Add((d, d))), 4 * d, "2 LayerNorms, γ and β", "norms",
                          frozenset({"norm"})),
                ParamLine(k, label, Add((Mul(d, ff), ff, Mul(ff, d), d)), 2 * d * ff + ff + d,
                          f"MLP {d}→{ff}→{d}", "MLP", frozenset({"weight", "bias"})),
            ]
        return [
            ParamLine(k, label, Mul(4, Mul(d, d)), 4 * d * d, "q, k, v, out projections",
                      "attention", frozenset({"weight"})),
            ParamLine(k, label, Mul(2, d), 2 * d, "2 LayerNorms, γ", "norms", frozenset({"norm"})),
            ParamLine(k, label, Add((Mul(d, ff), Mul(ff, d))), 2 * d * ff, f"MLP {d}→{ff}→{d}",
                      "MLP", frozenset({"weight"})),
        ]
    return []


def param_lines(model: Model) -> tuple[ParamLine, ...]:
    """The C derivation, one line per layer that has parameters (or a norm without them)."""
    out = []
    for k, (label, layer) in enumerate(zip(model.labels, model.layers)):
        out.extend(_lines_for(k, label, layer, model) if k in model.ties else _untied_lines(k, label, layer))
    return tuple(out)


@lru_cache(maxsize=4096)
def _untied_lines(k: int, label: str, layer) -> tuple[ParamLine, ...]:
    """`_lines_for` a layer without tied weights (it needs no more of the model), kept:
    variants repeat layers, and the lines are immutable."""
    return tuple(_lines_for(k, label, layer, None))


def param_count(model: Model) -> int:
    return sum(line.count for line in param_lines(model))


def buffer_lines(model: Model) -> tuple[ParamLine, ...]:
    """BatchNorm's running mean and variance (+ the num_batches_tracked counter): buffers, not parameters."""
    out = []
    for k, (label, layer) in enumerate(zip(model.labels, model.layers)):
        if isinstance(layer, (BatchNorm1d, BatchNorm2d)) and layer.track_running_stats:
            c = layer.num_features
            out.append(ParamLine(k, label, Add((c, c, 1)), 2 * c + 1,
                                 "running mean, var, count"))
    return tuple(out)


def buffer_count(model: Model) -> int:
    return sum(line.count for line in buffer_lines(model))


@dataclass(frozen=True)
class ActGroup:
    """Consecutive activations z_first…z_last of the same per-example shape."""

    first: int                      # 1-based z index
    last: int
    shape: tuple[int, ...]          # per example (without the batch dimension)
    labels: tuple[str, ...]         # the layers producing them

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    @property
    def size(self) -> int:
        """Elements per example of one z in the group."""
        return product(self.shape)


def activation_groups(model: Model) -> tuple[ActGroup, ...]:
    runs: list[list] = []  # [first, last, shape, labels]: each group made once, when complete
    for i, (shape, label) in enumerate(zip(model.shapes, model.labels), 1):
        per = tuple(shape[1:])
        if runs and runs[-1][2] == per:
            runs[-1][1] = i
            runs[-1][3].append(label)
        else:
            runs.append([i, i, per, [label]])
    return tuple(ActGroup(first, last, per, tuple(labels)) for first, last, per, labels in runs)


def activation_K(model: Model) -> int:
    """Elements of z₁…z_L for one example (input and loss output excluded)."""
    return sum(product(s[1:]) for s in model.shapes)


@dataclass(frozen=True)
class Memory:
    """Bytes of each kind of stored array, all in one dtype (int64 counters aside)."""

    dtype: str
    bytes_per: int
    optimizer: str
    training: bool
    state_copies: int
    params: int
    grads: int
    optimizer_state: int
    activations: int
    buffers: int

    @property
    def total(self) -> int:
        return self.params + self.grads + self.optimizer_state + self.activations + self.buffers


def memory(model: Model, C: int, Z: int, dtype: str = "fp32", optimizer: str = "none",
           buffers_of: tuple[ParamLine, ...] | None = None) -> Memory:
    """The memory in `dtype`; `buffers_of` is `buffer_lines(model)` when the caller has it
    (a solve prices three dtypes)."""
    b = DTYPE_BYTES[dtype]
    training, copies = OPTIMIZER_STATES[optimizer]
    buffers = 0
    for line in buffer_lines(model) if buffers_of is None else buffers_of:
        buffers += (line.count - 1) * b + 8   # num_batches_tracked is an int64
    return Memory(dtype, b, optimizer, training, copies, params=C * b, grads=C * b if training else 0,
                  optimizer_state=copies * C * b, activations=Z * b, buffers=buffers)


def crossover_batch(C: int, K: int) -> int | None:
    """The smallest whole n with n·K > C: ⌊C/K⌋ + 1 (exact integer division)."""
    if K <= 0:
        return None
    return C // K + 1
