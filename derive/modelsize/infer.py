"""Missing dimensions as constraints: every `?` is solved from the layers around it.

Each dimension (a layer's in/out features, a tensor's height…) is a variable.  Walking
the layers once builds the activation shapes z₁…z_L out of these variables and states
what each layer requires of its input: equalities (`in_features` = last dim of the
input; LayerNorm, ReLU and Dropout pass the features through; the logits' class
dimension = num_classes; a tied weight has its owner's shape) are merged at once with
union–find, and functions (a convolution's output size, Flatten's product) are
evaluated to a fixpoint, Flatten also backwards when one factor is missing.

Every known value remembers where it came from, so a contradiction names the layer,
the dimension, both values and why they must agree, and a dimension nothing fixes is
reported as under-determined with what it is linked to.

>>> from derive.modelsize.spec import parse_layers
>>> layers, loss = parse_layers("Linear(52, ?); LayerNorm; ReLU; Linear(128, 256); Linear(?, ?)")
>>> m = infer(layers, (4, 52), loss=loss, num_classes=10)
>>> [l.text() for l in m.layers]
['Linear(52, 128)', 'LayerNorm(128)', 'ReLU', 'Linear(128, 256)', 'Linear(256, 10)']
>>> m.shapes[-1]
(4, 10)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from .layers import (
    AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Embedding, Flatten, Layer, LayerNorm, Linear,
    LogSoftmax, MaxPool2d, Softmax, TransformerBlock, pair,
)

__all__ = ["infer", "Model", "Spatial", "layer_labels", "conv_out_size"]

@dataclass(frozen=True)
class Spatial:
    """How one output size of a convolution or pooling layer was computed."""

    axis: str                 # "H" or "W"
    size_in: int
    kernel: int
    stride: int
    padding: int | None       # None: padding='same'
    dilation: int
    ceil_mode: bool
    size_out: int


@dataclass(frozen=True)
class Model:
    """A model with every dimension known: layers, shapes of z₁…z_L and the loss output."""

    layers: tuple[Layer, ...]
    original: tuple[Layer, ...]
    labels: tuple[str, ...]
    input_shape: tuple[int, ...]
    shapes: tuple[tuple[int, ...], ...]         # output of layer i is z_{i+1}
    loss: Layer | None
    loss_shape: tuple[int, ...] | None
    num_classes: int | None
    filled: tuple[dict[str, tuple[int, str]], ...]   # per layer: field → (value, where from)
    spatial: tuple[tuple[Spatial, ...], ...]
    ties: dict[int, int] = field(default_factory=dict)   # layer index → index of the weight's owner
    class_dim: int | None = None                          # axis of the logits holding the classes

    @property
    def batch(self) -> int:
        return self.input_shape[0]

    @property
    def all_shapes(self) -> tuple[tuple[int, ...], ...]:
        """z₁ … z_N: the layer outputs, then the loss output when there is a loss."""
        return self.shapes + ((self.loss_shape,) if self.loss is not None else ())

    @property
    def logits_index(self) -> int | None:
        """0-based index into `shapes` of the logits: the last output that is not a softmax."""
        i = len(self.layers) - 1
        while i > 0 and isinstance(self.layers[i], (Softmax, LogSoftmax)):
            i -= 1
        return i


def layer_labels(layers) -> tuple[str, ...]:
    """Linear1, LayerNorm1, ReLU1, Linear2, …: numbered per type, in order."""
    counts: dict[str, int] = {}
    out = []
    for layer in layers:
        name = type(layer).__name__  # `type_name`, read once per layer
        k = counts[name] = counts.get(name, 0) + 1
        out.append(f"{name}{k}")
    return tuple(out)


def conv_out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool = False) -> int:
    """⌊(W + 2P − D(F − 1) − 1)/S⌋ + 1 (= ⌊(W − F + 2P)/S⌋ + 1 for D = 1), as PyTorch computes it.

    With ceil_mode the division rounds up, but a last window that would start in the
    right padding is dropped (PyTorch's pooling rule).
    """
    span = size + 2 * p - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    if (out - 1) * s >= size + p:
        out -= 1
    return out



class _Conflict(Exception):
    pass


class _Solver:
    """Union–find over dimension variables; each root carries a value and its source."""

    def __init__(self):
        self.parent: list[int] = []
        self.value: list[int | None] = []
        self.source: list[str] = []
        self.desc: list[str] = []

    def new(self, desc: str, value: int | None = None, source: str = "") -> int:
        self.parent.append(len(self.parent))
        self.value.append(value)
        self.source.append(source or desc if value is not None else "")
        self.desc.append(desc)
        return len(self.parent) - 1

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def get(self, i: int) -> int | None:
        return self.value[self.find(i)]

    def where(self, i: int) -> str:
        return self.source[self.find(i)]

    def unify(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        va, vb = self.value[ra], self.value[rb]
        if va is not None and vb is not None and va != vb:
            raise _Conflict
        if va is None:       # keep the known root, so its source survives
            ra, rb = rb, ra
        self.parent[rb] = ra

    def set(self, a: int, value: int, source: str) -> None:
        r = self.find(a)
        if self.value[r] is not None and self.value[r] != value:
            raise _Conflict
        if self.value[r] is None:
            self.value[r], self.source[r] = value, source

    def resolved(self) -> list[int | None]:
        """Every variable's value (None where unknown), read once the constraints are all in."""
        value, find = self.value, self.find
        return [value[find(i)] for i in range(len(self.parent))]

    def members(self, a: int) -> list[int]:
        r = self.find(a)
        return [i for i in range(len(self.parent)) if self.find(i) == r]


class _Builder:
    def __init__(self, layers, input_shape, loss, num_classes):
        self.layers = tuple(layers)
        self.labels = layer_labels(self.layers)
        self.loss = loss
        self.num_classes = num_classes
        self.s = _Solver()
        self.funcs: list[tuple] = []
        self.field_vars: list[dict[str, int]] = []
        self.spatial_vars: list[list[tuple]] = []
        self.input_vars = tuple(
            self.s.new(f"input_shape[{i}]", v, f"input_shape[{i}]") for i, v in enumerate(input_shape))

    # -- naming ------------------------------------------------------------------
    def where(self, k: int) -> str:
        """'layer 4 'Linear(128, 256)'' for messages (k is 0-based)."""
        return f"layer {k + 1} {self.layers[k].text()!r}"

    def field_desc(self, k: int, f: str) -> str:
        return f"the {f} of {self.labels[k]} (layer {k + 1})"

    def z(self, k: int) -> str:
        """The tensor a layer k reads: x for the first layer, z_k otherwise."""
        return "the input x" if k == 0 else f"z{k}"

    def shape_text(self, shape) -> str:
        return "[" + ", ".join(str(self.s.get(v)) if self.s.get(v) is not None else "?" for v in shape) + "]"

    # -- constraints --------------------------------------------------------------
    def eq(self, k: int | None, a: int, b: int, what: str, why: str) -> None:
        """a (the layer's own dimension `what`) must equal b (a dimension of the flow)."""
        try:
            self.s.unify(a, b)
        except _Conflict:
            va, vb = self.s.get(a), self.s.get(b)
            head = self.where(k) if k is not None else f"loss {self.loss.text()!r}"
            sa, sb = self.s.where(a), self.s.where(b)
            own = "" if sa == self.s.desc[a] else f" (from {sa})"
            raise InputError("layers", f"{head}: {what} = {va}{own} contradicts {vb} from {sb}; {why}") from None

    def dim_var(self, k: int, f: str) -> int:
        v = getattr(self.layers[k], f)
        desc = self.field_desc(k, f)
        var = self.s.new(desc, v, desc)
        self.field_vars[k][f] = var
        return var

    def need_rank(self, k: int, shape, ranks, what: str) -> None:
        if len(shape) not in ranks:
            raise InputError("layers", f"{self.where(k)}: expects {what}, but {self.z(k)} has shape "
                                       f"{self.shape_text(shape)} (rank {len(shape)})")

    # -- the walk -------------------------------------------------------------------
    def run(self):
        shape = self.input_vars
        shapes = []
        for k, layer in enumerate(self.layers):
            self.field_vars.append({})
            self.spatial_vars.append([])
            if isinstance(layer, Embedding) and k != 0:
                raise InputError("layers", f"{self.where(k)}: Embedding reads integer token ids, so it must be the first layer")
            shape = self.step(k, layer, tuple(shape))
            shapes.append(shape)
        self.ties(shapes)
        loss_shape, class_dim = self.loss_step(shapes[-1])
        self.fixpoint()
        return shapes, loss_shape, class_dim

    def step(self, k: int, layer: Layer, shape: tuple[int, ...]) -> tuple[int, ...]:
        if layer.PASS_THROUGH and not isinstance(layer, (Softmax, LogSoftmax)):
            return shape  # ReLU, Dropout, …: asked first, as they are half of a model's layers
        zin = self.z(k)
        if isinstance(layer, Linear):
            self.need_rank(k, shape, range(2, 9), "an input [n, …, features]")
            a, b = self.dim_var(k, "in_features"), self.dim_var(k, "out_features")
            self.eq(k, a, shape[-1], "in_features", f"in_features must equal the last dimension of {zin}")
            return shape[:-1] + (b,)
        if isinstance(layer, LayerNorm):
            self.need_rank(k, shape, range(2, 9), "an input [n, …, features]")
            self.eq(k, self.dim_var(k, "normalized_shape"), shape[-1], "normalized_shape",
                    f"LayerNorm normalizes over the last dimension of {zin}")
            return shape
        if isinstance(layer, (BatchNorm1d, BatchNorm2d)):
            ranks, what = ((2, 3), "an input [n, C] or [n, C, L]") if isinstance(layer, BatchNorm1d) \
                else ((4,), "an input [n, C, H, W]")
            self.need_rank(k, shape, ranks, what)
            self.eq(k, self.dim_var(k, "num_features"), shape[1], "num_features",
                    f"BatchNorm has one γ, β (and running mean, variance) per channel: dimension 1 of {zin}")
            return shape
        if isinstance(layer, Conv2d):
            self.need_rank(k, shape, (4,), "an input [n, C, H, W]")
            cin, cout = self.dim_var(k, "in_channels"), self.dim_var(k, "out_channels")
            self.eq(k, cin, shape[1], "in_channels", f"in_channels must equal the channels (dimension 1) of {zin}")
            hw = self.spatial(k, layer, shape)
            return (shape[0], cout) + hw
        if isinstance(layer, (MaxPool2d, AvgPool2d)):
            self.need_rank(k, shape, (4,), "an input [n, C, H, W]")
            return shape[:2] + self.spatial(k, layer, shape)
        if isinstance(layer, Flatten):
            r = len(shape)
            start, end = layer.start_dim % r if -r <= layer.start_dim < r else None, \
                layer.end_dim % r if -r <= layer.end_dim < r else None
            if start is None or end is None or start > end:
                raise InputError("layers", f"{self.where(k)}: start_dim/end_dim do not fit {zin} of rank {r}")
            if start == end:
                return shape
            out = self.s.new(f"the flattened dimension of z{k + 1}")
            self.funcs.append(("product", k, out, shape[start:end + 1]))
            return shape[:start] + (out,) + shape[end + 1:]
        if isinstance(layer, Embedding):
            self.dim_var(k, "num_embeddings")
            return shape + (self.dim_var(k, "embedding_dim"),)
        if isinstance(layer, TransformerBlock):
            self.need_rank(k, shape, (3,), "an input [n, T, d_model] (batch, tokens, features)")
            self.eq(k, self.dim_var(k, "d_model"), shape[-1], "d_model",
                    f"d_model must equal the last dimension of {zin}")
            self.dim_var(k, "d_ff")
            return shape
        if isinstance(layer, (Softmax, LogSoftmax)):
            if not -len(shape) <= layer.dim < len(shape):
                raise InputError("layers", f"{self.where(k)}: dim={layer.dim} is out of range for {zin} of rank {len(shape)}")
            return shape
        if layer.PASS_THROUGH:
            return shape
        raise InputError("layers", f"{self.where(k)}: unsupported layer")  # pragma: no cover

    def spatial(self, k: int, layer, shape) -> tuple[int, int]:
        kernel, dil = pair(layer.kernel_size), pair(getattr(layer, "dilation", 1))
        stride = pair(layer.stride if layer.stride is not None else layer.kernel_size)
        ceil = getattr(layer, "ceil_mode", False)
        pad = layer.padding
        out = []
        for axis, i in (("H", 0), ("W", 1)):
            if pad == "valid":
                p = 0
            elif pad == "same":  # stride 1: output size = input size (PyTorch pads d(k−1) in total)
                p = None
            else:
                p = pair(pad)[i]
            var = self.s.new(f"the {'height' if axis == 'H' else 'width'} of z{k + 1}")
            self.funcs.append(("window", k, var, (shape[2 + i],), (axis, kernel[i], stride[i], p, dil[i], ceil)))
            out.append(var)
        return tuple(out)

    def ties(self, shapes) -> None:
        names = {}
        for k, layer in enumerate(self.layers):
            names[self.labels[k]] = k
            if layer.name is not None:
                if layer.name in names and names[layer.name] != k:
                    raise InputError("layers", f"{self.where(k)}: the name {layer.name!r} is used twice")
                names[layer.name] = k
        self.tie_map = {}
        for k, layer in enumerate(self.layers):
            ref = getattr(layer, "tie", None)
            if ref is None:
                continue
            if ref not in names:
                raise InputError("layers", f"{self.where(k)}: tie={ref} names no layer; name one with "
                                           f"`{ref} = Embedding(…)` or use a label like Embedding1")
            j = names[ref]
            owner = self.layers[j]
            if j == k or not isinstance(owner, (Linear, Embedding)):
                raise InputError("layers", f"{self.where(k)}: tie={ref} must name another Linear or Embedding layer")
            self.tie_map[k] = j
            out_var, in_var = self.field_vars[k]["out_features"], self.field_vars[k]["in_features"]
            if isinstance(owner, Embedding):
                rows, cols = self.field_vars[j]["num_embeddings"], self.field_vars[j]["embedding_dim"]
                names_rc = ("num_embeddings", "embedding_dim")
            else:
                rows, cols = self.field_vars[j]["out_features"], self.field_vars[j]["in_features"]
                names_rc = ("out_features", "in_features")
            why = f"a tied weight has its owner's shape: {self.labels[k]}'s weight [out, in] is {self.labels[j]}'s [{names_rc[0]}, {names_rc[1]}]"
            self.eq(k, out_var, rows, "out_features", why)
            self.eq(k, in_var, cols, "in_features", why)
        # the owner of a chain of ties is the first untied layer; a cycle has none
        for k in list(self.tie_map):
            seen, j = {k}, self.tie_map[k]
            while j in self.tie_map:
                if j in seen:
                    raise InputError("layers", f"{self.where(k)}: its tie= references form a cycle; one layer must own the weight")
                seen.add(j)
                j = self.tie_map[j]
            self.tie_map[k] = j

    def loss_step(self, shape):
        """The loss output's shape, and the class axis num_classes must match."""
        last = len(self.layers) - 1
        loss = self.loss
        classification = loss is None or getattr(loss, "CLASSIFICATION", False)
        class_dim = None
        if loss is not None and classification:
            if len(shape) < 2:
                raise InputError("loss", f"{loss.text()} needs logits [n, classes], but z{last + 1} has shape "
                                         f"{self.shape_text(shape)}")
            class_dim = 1  # PyTorch's CrossEntropyLoss/NLLLoss read classes from dimension 1
        elif self.num_classes is not None:
            class_dim = len(shape) - 1
        if self.num_classes is not None and class_dim is not None:
            nc = self.s.new("num_classes", self.num_classes, "num_classes")
            try:
                self.s.unify(shape[class_dim], nc)
            except _Conflict:
                v = self.s.get(shape[class_dim])
                raise InputError("num_classes", f"{self.num_classes} contradicts the model's output z{last + 1}, whose "
                                                f"class dimension {class_dim} is {v}, from {self.s.where(shape[class_dim])}") from None
        if loss is None:
            return None, class_dim
        if loss.reduction in ("mean", "sum"):
            return (), class_dim
        if classification:
            return (shape[0],) + tuple(shape[2:]), class_dim
        return tuple(shape), class_dim

    def fixpoint(self) -> None:
        pending = list(self.funcs)
        while pending:
            progress, left = False, []
            for fn in pending:
                if self.apply(fn):
                    progress = True
                else:
                    left.append(fn)
            pending = left
            if not progress:
                break
        self.pending = pending

    def apply(self, fn) -> bool:
        kind, k, out, ins = fn[:4]
        vals = [self.s.get(v) for v in ins]
        if kind == "product":
            if all(v is not None for v in vals):
                prod = 1
                for v in vals:
                    prod *= v
                self._set(k, out, prod, f"{' · '.join(map(str, vals))} = {prod}, Flatten of {self.z(k)}")
                return True
            total = self.s.get(out)
            unknown = [i for i, v in enumerate(vals) if v is None]
            if total is not None and len(unknown) == 1:
                known = 1
                for v in vals:
                    known *= v if v is not None else 1
                if total % known:
                    raise InputError("layers", f"{self.where(k)}: its output has {total} features "
                                               f"(from {self.s.where(out)}), which is not a multiple of {known}, the known "
                                               f"part of {self.z(k)}'s flattened dimensions")
                self._set(k, ins[unknown[0]], total // known,
                          f"{total}/{known} = {total // known}: Flatten's output {total} = product of {self.z(k)}'s dimensions")
                return True
            return False
        # window: convolution / pooling output size
        axis, kk, s, p, d, ceil = fn[4]
        size = vals[0]
        if size is None:
            return False
        if p is None:  # padding='same'
            value = size
        else:
            value = conv_out_size(size, kk, s, p, d, ceil)
        self.spatial_vars[k].append(Spatial(axis, size, kk, s, p, d, ceil, value))
        if value < 1:
            raise InputError("layers", f"{self.where(k)}: output {'height' if axis == 'H' else 'width'} "
                                       f"⌊({size} + 2·{p} − {d}·({kk} − 1) − 1)/{s}⌋ + 1 = {value} is not positive: "
                                       f"the kernel does not fit in {self.z(k)} ({axis} = {size})")
        self._set(k, out, value, f"computed from {self.z(k)}'s {axis} = {size}")
        return True

    def _set(self, k, var, value, source):
        try:
            self.s.set(var, value, source)
        except _Conflict:
            raise InputError("layers", f"{self.where(k)}: {self.s.desc[var]} = {value} ({source}) contradicts "
                                       f"{self.s.get(var)} from {self.s.where(var)}") from None

    # -- results ------------------------------------------------------------------------
    def unresolved(self, known: list[int | None]) -> None:
        """Raise for the first dimension nothing fixes, naming what it is linked to
        (`known`: the solver's `resolved` values)."""
        for k, vars_ in enumerate(self.field_vars):
            for f, var in vars_.items():
                if known[var] is not None:
                    continue
                others = [self.s.desc[m] for m in self.s.members(var) if m != var]
                layer = self.layers[k]
                if others:
                    why = "it is linked only to other unknowns: " + ", ".join(others[:4])
                elif f == "num_embeddings":
                    why = "no shape depends on the vocabulary size; write the number or tie a Linear to it"
                elif f == "d_ff":
                    why = "the MLP's hidden width is internal to the block; write the number"
                elif k == len(self.layers) - 1 or isinstance(layer, (Linear, Conv2d)) and f.startswith("out"):
                    why = "nothing after it fixes it; give num_classes or write the number"
                else:
                    why = "nothing links it to a known dimension"
                raise InputError("layers", f"{self.where(k)}: {f} is under-determined: {why}")
        for i, var in enumerate(self.input_vars):
            if known[var] is None:
                raise InputError("input_shape", f"dimension {i} is ? and no layer determines it")
        for fn in getattr(self, "pending", []):
            k = fn[1]
            raise InputError("layers", f"{self.where(k)}: {self.s.desc[fn[2]]} cannot be determined")  # pragma: no cover


def infer(layers, input_shape, *, loss=None, num_classes=None) -> Model:
    """Fill in every unknown dimension and compute the shapes z₁…z_N, or raise InputError."""
    layers = tuple(layers)
    if not layers:
        raise InputError("layers", "no layers given")
    b = _Builder(layers, input_shape, loss, num_classes)
    shapes, loss_shape, class_dim = b.run()
    s = b.s
    known = s.resolved()
    b.unresolved(known)
    filled_layers, filled = [], []
    for k, layer in enumerate(layers):
        vars_ = b.field_vars[k]
        values = {f: known[v] for f, v in vars_.items()}
        info = {f: (values[f], s.where(vars_[f])) for f in layer.unknown_dims()}
        try:
            filled_layers.append(layer.filled(**values) if values else layer)
        except InputError as e:  # e.g. the solved channels are not divisible by groups
            raise InputError("layers", f"{b.where(k)}: {e.field} {e.problem}") from None
        filled.append(info)
    def concrete(shape):
        return tuple([known[v] for v in shape])
    return Model(
        layers=tuple(filled_layers),
        original=layers,
        labels=b.labels,
        input_shape=concrete(b.input_vars),
        shapes=tuple(concrete(sh) for sh in shapes),
        loss=loss,
        loss_shape=concrete(loss_shape) if loss_shape is not None else None,
        num_classes=num_classes,
        filled=tuple(filled),
        spatial=tuple(tuple(v) for v in b.spatial_vars),
        ties=dict(b.tie_map),
        class_dim=class_dim,
    )
