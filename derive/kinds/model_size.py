"""Model size: fill in missing dimensions, shapes z₁…z_N, parameters C, activations Z = n·K,
memory, and the batch size from which activations outnumber parameters.

The model comes three ways: a layer list with `?` for unknown dimensions (text, parsed by
the grammar in `derive.modelsize.spec`, or a TOML file via `spec`), a list of layer objects
(`derive.modelsize.layers`), or a `torch.nn.Sequential`.

>>> from derive.params import build
>>> p = build(ModelSizeParams, {"layers": "Linear(52, ?); LayerNorm; ReLU; Linear(128, 256); LayerNorm; "
...           "ReLU; Linear(?, 20); LayerNorm; ReLU; Linear(?, ?)", "input_shape": [4, 52], "num_classes": 1000})
>>> sol = solve(p)
>>> sol.result("params").value, sol.result("activations").value, sol.result("K").value
(66756, 8848, 2212)
>>> sol.result("crossover_batch").value
31
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from ..errors import InputError
from ..forms import Sym
from ..model import Formula, Prose, Result, Solution, prose
from ..params import build, build_value, field_specs, param
from ..registry import Kind, MistakeAnswer
from ..modelsize import count as cnt
from ..modelsize import steps as st
from ..modelsize.infer import Model, infer
from ..modelsize.layers import (
    BatchNorm1d, BatchNorm2d, Conv2d, Embedding, LayerNorm, Linear, TransformerBlock, layer_tensors,
)
from ..modelsize.spec import load_spec, parse_input_shape, parse_layers, parse_loss
from ..modelsize.torch_bridge import from_torch, is_torch_module
from ..modelsize.steps import Label

__all__ = ["ModelSizeParams", "solve", "reference", "torch_reference", "mistakes", "generate", "KIND",
           "DEFAULT_LOSS"]

DEFAULT_LOSS = "CrossEntropyLoss(reduction='mean')"
DTYPES = ("fp32", "fp16", "bf16", "fp64")
OPTIMIZERS = tuple(cnt.OPTIMIZER_STATES)


@dataclass(frozen=True)
class ModelSizeParams:
    layers: Any = param("any", "the layers, separated by ';' or new lines, ? for an unknown dimension: "
                               "\"Linear(52, ?); LayerNorm; ReLU; Linear(?, 20)\"", None)
    input_shape: Any = param("any", "input shape, batch first, e.g. [4, 52] (? for a dimension the first layer fixes)",
                             None)
    num_classes: int | None = param("int", "number of classes: the logits' class dimension", None)
    loss: Any = param("any", f"loss after the model: CrossEntropyLoss(reduction='mean'|'sum'|'none'), NLLLoss, "
                             f"MSELoss, or none (default {DEFAULT_LOSS})", None)
    dtype: str | None = param("choice", "element type for memory (default fp32)", None, choices=DTYPES)
    optimizer: str | None = param("choice", "optimizer for training memory; none = inference (default none)", None,
                                  choices=OPTIMIZERS)
    spec: str | None = param("text", "a TOML file with the model (keys: layers, input_shape, num_classes, loss, "
                                     "dtype, optimizer); options given here override it", None)

    def __post_init__(self):
        if self.spec is not None:
            self._merge_spec()
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        if self.layers is None:
            raise InputError("layers", "is required (or give a spec file with --spec)")
        if self.input_shape is None:
            raise InputError("input_shape", "is required, batch first, e.g. [4, 52]")
        source = from_torch(self.layers) if is_torch_module(self.layers) else self.layers
        layers, listed_loss = parse_layers(source)
        shape = parse_input_shape(self.input_shape)
        if listed_loss is not None and self.loss is not None:
            raise InputError("loss", "given twice: the layer list already ends with "
                                     f"{listed_loss.text()}")
        loss = listed_loss if listed_loss is not None else parse_loss(DEFAULT_LOSS if self.loss is None else self.loss)
        if self.num_classes is not None and self.num_classes < 1:
            raise InputError("num_classes", f"must be positive, got {self.num_classes}")
        model = infer(layers, shape, loss=loss, num_classes=self.num_classes)
        # Normalized, JSON-friendly inputs: the layer texts as given (with their ?), the loss as text.
        set_("layers", tuple(layer.text() if layer.name is None else f"{layer.name} = {layer.text()}"
                             for layer in layers))
        set_("input_shape", shape)
        set_("loss", loss.text() if loss is not None else "none")
        set_("dtype", self.dtype or "fp32")
        set_("optimizer", self.optimizer or "none")
        object.__setattr__(self, "_model", model)

    def _merge_spec(self):
        specs = {f.name: f for f in field_specs(type(self)) if f.name != "spec"}
        data = load_spec(self.spec, list(specs))
        for key, value in data.items():
            if getattr(self, key) is not None:
                continue  # an explicit option wins over the file
            f = specs[key]
            if f.metadata["type"] == "int" and isinstance(value, bool):
                raise InputError(key, f"expected a whole number, got {value}")
            object.__setattr__(self, key, build_value(f.metadata["type"], value, key, f.metadata["choices"]))

    @property
    def input_shape_text(self) -> str:
        return "[" + ", ".join("?" if d is None else str(d) for d in self.input_shape) + "]"

    @property
    def model(self) -> Model:
        """The model with every dimension filled in and every shape known."""
        return self._model

    @cached_property
    def layer_table(self) -> list[dict]:
        """Rows for the LaTeX table: z, layer, in and out features, parameters, output shape (plain text)."""
        m = self.model
        per_layer = {}
        for line in cnt.param_lines(m):
            per_layer[line.layer] = per_layer.get(line.layer, 0) + line.count
        rows = []
        for k, (label, layer) in enumerate(zip(m.labels, m.layers)):
            dims = _in_out(layer)
            rows.append({"z": f"z_{{{k + 1}}}", "label": label, "layer": layer.text(), "in": dims[0], "out": dims[1],
                         "params": str(per_layer.get(k, 0)), "output": _shape_text(m.shapes[k])})
        if m.loss is not None:
            rows.append({"z": f"z_{{{len(m.layers) + 1}}}", "label": m.loss.type_name, "layer": m.loss.text(),
                         "in": "–", "out": "–", "params": "0", "output": _shape_text(m.loss_shape)})
        return rows


_IN_OUT = {"Linear": ("in_features", "out_features"), "LayerNorm": ("normalized_shape", "normalized_shape"),
           "BatchNorm1d": ("num_features", "num_features"), "BatchNorm2d": ("num_features", "num_features"),
           "Conv2d": ("in_channels", "out_channels"), "Embedding": ("num_embeddings", "embedding_dim"),
           "TransformerBlock": ("d_model", "d_model")}


def _in_out(layer) -> tuple[str, str]:
    """A layer's input and output features (channels for Conv2d), '–' for layers without them."""
    names = _IN_OUT.get(layer.type_name)
    return (str(getattr(layer, names[0])), str(getattr(layer, names[1]))) if names else ("–", "–")


def _shape_text(shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


@lru_cache(maxsize=4096)
def _shape_label(shape: tuple) -> Label:
    """The Label of a shape's text: variants repeat shapes such as [4, 128]."""
    return _label(_shape_text(shape))


def _counts(p: ModelSizeParams) -> dict:
    m = p.model
    lines, buffers = cnt.param_lines(m), cnt.buffer_lines(m)
    C = sum(l.count for l in lines)
    K = cnt.activation_K(m)
    Z = m.batch * K
    return {"lines": lines, "buffers": buffers, "C": C, "B": sum(b.count for b in buffers), "K": K, "Z": Z,
            "groups": cnt.activation_groups(m), "nstar": cnt.crossover_batch(C, K),
            "memory": cnt.memory(m, C, Z, p.dtype, p.optimizer, buffers)}


def z(i: int) -> str:
    """zᵢ as prose writes it, with the subscript the derivations' z₁ … z_N have."""
    return st.z_sym(i).text


def _conventions(p: ModelSizeParams, c: dict) -> tuple[str, ...]:
    m = p.model
    L = len(m.layers)
    out = [
        Prose("The batch dimension comes first: ", Formula("x"), f" has shape {_shape_text(m.input_shape)}, so ",
              Formula(f"n = {m.batch}"), "."),
        prose(f"Each layer's output is one activation: $z₁…{z(L)}$ are the layer outputs"
              + (f", ${z(L + 1)}$ is the loss output." if m.loss is not None else ".")),
        prose(f"$K$ counts the elements of one example's intermediate activations $z₁…{z(L)}$; the input $x$"
              + (f" and the loss output ${z(L + 1)}$ are" if m.loss is not None else " is") + " not counted."),
        prose("$C$ counts trainable parameters (weights, biases, γ, β)"
              + ("; BatchNorm running statistics are buffers, counted separately" if c["B"] else "")
              + ("; a tied weight counts once" if m.ties else "") + "."),
        f"Memory: every array in {p.dtype} ({cnt.DTYPE_BYTES[p.dtype]} bytes per element); 1 MiB = 2²⁰ bytes.",
    ]
    if m.loss is not None:
        out.append(f"Loss: {m.loss.text()}" + (" (the default)." if p.loss == DEFAULT_LOSS else "."))
    return tuple(out)


def _notes(p: ModelSizeParams, c: dict) -> tuple[str, ...]:
    m = p.model
    notes = [prose(f"$Z = {c['Z']}$ is a multiple of $n$: every activation has the batch as its first dimension, "
                   f"so $Z = n·K = {m.batch}·{c['K']}$.")]
    if c["B"]:
        notes.append(prose(f"BatchNorm's running mean and variance ({c['B']} values with the counters) are buffers: "
                           "saved with the model but not trained, so they are not in $C$."))
    for k, owner in m.ties.items():
        notes.append(f"{m.labels[k]} shares its weight with {m.labels[owner]}: the shared matrix is counted once, "
                     f"in {m.labels[owner]}.")
    mem = c["memory"]
    if not mem.training:
        notes.append(prose("Training needs more: one gradient per parameter, and Adam keeps two more copies of the "
                     "parameters (first and second moments), so $4·C$ values plus the activations."))
    return tuple(notes)


def solve(p: ModelSizeParams) -> Solution:
    m = p.model
    c = _counts(p)
    others = {d: cnt.memory(m, c["C"], c["Z"], d, p.optimizer, c["buffers"])
              for d in ("fp32", "fp16", "bf16") if d != p.dtype}
    steps = [st.layers_step(m), st.shapes_step(m)]
    logits = st.logits_step(m)
    if logits is not None:
        steps.append(logits)
    steps += [
        st.params_step(c["lines"], c["buffers"], c["C"], m),
        st.activations_step(c["groups"], c["K"], c["Z"], m),
        st.memory_step(c["memory"], c["C"], c["Z"], m, others),
        st.crossover_step(c["C"], c["K"], c["nstar"], m),
    ]
    results = [
        Result("params", Sym("C", "C"), c["C"], "C: trainable parameters"),
        Result("activations", Sym("Z", "Z"), c["Z"], f"Z: elements of the activations z₁…{z(len(m.layers))} at n = {m.batch}"),
        Result("K", Sym("K", "K"), c["K"], "K: activation elements per example, Z = n·K"),
        Result("activations_n", Sym("Z(n)", "Z(n)"), _times_batch(c["K"]), "Z as a function of the batch size n"),
        Result("crossover_batch", Sym("n*", "n^{*}"), c["nstar"], "the smallest batch size n with n·K > C"),
        Result("memory_bytes", Sym("M", "M"), c["memory"].total,
               f"bytes in {p.dtype}, " + ("training with " + p.optimizer if c["memory"].training else "inference")),
        Result("buffers", Sym("B", "B"), c["B"], "buffers (BatchNorm running statistics), not in C"),
        Result("activation_sizes", Sym("(ẑ₁, …)", r"(\hat{z}_1, \dots)"),
               tuple(cnt.product(s) for s in m.all_shapes), "elements of each z at the given batch size"),
        # One row per layer (a column, so the LaTeX answer stays within the page).
        Result("dims", Sym("layers", r"\text{layers}"), tuple((_label(l.text()),) for l in m.layers),
               "the layers, every dimension filled in, one row per layer"),
        Result("shapes", Sym("shapes", r"\text{shapes}"), tuple((_shape_label(s),) for s in m.all_shapes),
               "shapes of z1…zN, one row each (the last is the loss output when there is a loss)"),
    ]
    if logits is not None:
        results.append(Result("logits", Sym("logits", r"\text{logits}"), Label(f"z{m.logits_index + 1}"), "the activation holding the logits"))
    return Solution(
        kind="model-size",
        params=p,
        results=tuple(results),
        steps=tuple(steps),
        conventions=_conventions(p, c),
        notes=_notes(p, c),
    )


@lru_cache(maxsize=4096)
def _label(text: str) -> Label:
    """One (immutable) Label per text: layers and shapes recur across variants."""
    return Label(text)


@lru_cache(maxsize=1024)
def _times_batch(K: int):
    """K·n in SymPy.  Multiplying builds it through SymPy's general product (~0.2 ms, K is
    new in most variants); for K ≥ 2 the product is just the pair (K, n), made directly."""
    import sympy

    n = _batch_symbol()
    if K >= 2:
        return sympy.Mul._from_args((sympy.Integer(K), n))
    return K * n


@lru_cache(maxsize=1)
def _batch_symbol():
    import sympy

    return sympy.Symbol("n", positive=True, integer=True)


# -- numeric cross-checks ----------------------------------------------------------------------
def reference(p: ModelSizeParams) -> dict:
    """numpy float64: recount from the tensor shapes (not from the display formulas) and the z shapes.

    Every count is a product of whole numbers and a sum of such products.  While a group's
    total stays below 2⁵³, float64 holds every product and sum exactly, in any order, so
    Python's float arithmetic gives numpy's very floats (tests): some 35 tiny products and four
    reductions through numpy cost more than the solve.  Beyond that, `_reference_by_tensor`.
    """
    import numpy as np

    m = p.model
    params, buffers = _tensor_shapes(m)
    groups = [_float_sizes(g) for g in (params, buffers, m.all_shapes)]
    if None in groups:
        return _reference_by_tensor(p)
    param_sizes, buffer_sizes, sizes = groups
    per_example = [_float_product(s[1:]) for s in m.shapes]  # each at most its shape's size: exact too
    out = {"params": np.float64(sum(param_sizes)), "buffers": np.float64(sum(buffer_sizes)),
           "K": np.float64(sum(per_example)), "activations": np.float64(sum(sizes[: len(m.shapes)])),
           "activation_sizes": np.array(sizes, dtype=np.float64)}
    return out if buffers else _without_buffers(out)


def _tensor_shapes(m: Model) -> tuple[list, list]:
    """(parameter shapes, buffer shapes) of every layer; a tied weight counted once."""
    params, buffers = [], []
    for k, layer in enumerate(m.layers):
        for t in layer_tensors(layer):
            if t.kind == "buffer":
                buffers.append(t.shape)
            elif not (t.tied_to is not None and k in m.ties):
                params.append(t.shape)
    return params, buffers


def evaluate(p: ModelSizeParams, b) -> dict:
    """The counts recomputed on backend b (`derive.backends`: a device, another dtype, exact)
    for `--check torch:cuda`: each shape's dimensions multiplied as arrays, then summed."""
    m = p.model
    params, buffers = _tensor_shapes(m)

    def sizes(shapes):
        if not shapes:
            return b.asarray((0,))[:0]
        width = max(len(s) for s in shapes)
        if width == 0:  # only scalars (a loss with reduction='mean')
            return b.asarray((1,) * len(shapes))
        dims = b.asarray(tuple(tuple(s) + (1,) * (width - len(s)) for s in shapes))
        out = dims[:, 0]
        for j in range(1, width):
            out = out * dims[:, j]
        return out

    all_sizes = sizes(m.all_shapes)
    out = {"params": sizes(params).sum(), "K": sizes([s[1:] for s in m.shapes]).sum(),
           "activations": all_sizes[: len(m.shapes)].sum(), "activation_sizes": all_sizes}
    if buffers:
        out["buffers"] = sizes(buffers).sum()
    return out


def _without_buffers(counts: dict) -> dict:
    """A model with no buffer tensors has B = 0 by the same tensor list the exact count reads:
    comparing 0 with 0 checks nothing, and the document would name a B it never defines.
    (torch's count stays: its buffers() is an independent witness.)"""
    del counts["buffers"]
    return counts


_EXACT_FLOATS = 2**53  # every integer below this is a float64, and so are the sums and products below it


def _float_product(shape) -> float:
    """The product of a shape's dimensions in float64 (1.0 for [])."""
    out = 1.0
    for d in shape:
        out *= d
    return out


def _float_sizes(shapes) -> list[float] | None:
    """Each shape's size as a float, or None when float64 cannot count this group exactly.

    No dimension may be 0, and the float total must stay below 2⁵³: rounding is monotone,
    so a product or partial sum that reached 2⁵³ would leave the total there, and below it
    every product and sum of whole numbers is exact.
    """
    sizes = []
    for s in shapes:
        if 0 in s:
            return None
        sizes.append(_float_product(s))
    return sizes if sum(sizes) < _EXACT_FLOATS else None


def _float_exact(*groups) -> bool:
    """Whether float64 counts these shapes exactly, in any order of multiplying and adding:
    then `reference` gives the very floats the tensor-by-tensor count gives."""
    return all(_float_sizes(shapes) is not None for shapes in groups)


def _reference_by_tensor(p: ModelSizeParams) -> dict:
    """`reference` one tensor at a time: for counts float64 cannot hold exactly."""
    import numpy as np

    m = p.model
    param_shapes, buffer_shapes = _tensor_shapes(m)

    def total(shapes):  # one tensor at a time, in the layers' order
        out = np.float64(0)
        for s in shapes:
            out += np.prod(np.array(s, dtype=np.float64)) if s else np.float64(1)
        return out

    params, buffers = total(param_shapes), total(buffer_shapes)
    sizes = np.array([np.prod(np.array(s, dtype=np.float64)) if s else 1.0 for s in m.all_shapes])
    per_example = np.array([np.prod(np.array(s[1:], dtype=np.float64)) for s in m.shapes])
    out = {"params": params, "buffers": buffers, "K": per_example.sum(),
           "activations": sizes[: len(m.shapes)].sum(), "activation_sizes": sizes}
    return out if buffer_shapes else _without_buffers(out)


def torch_reference(p: ModelSizeParams) -> dict:
    """torch: the same nn.Sequential on the meta device; parameters() and forward-hook shapes."""
    import numpy as np

    from ..modelsize.torch_bridge import trace

    m = p.model
    t = trace(m)
    ours = m.all_shapes
    sizes, differ = [], []
    for i, (mine, theirs) in enumerate(zip(ours, t["shapes"]), 1):
        same = tuple(mine) == tuple(theirs)
        sizes.append(float(np.prod(theirs)) if same else float("nan"))
        if not same:
            differ.append(f"z{i}: torch {list(theirs)}, derived {list(mine)}")
    if len(t["shapes"]) != len(ours):
        differ.append(f"torch produced {len(t['shapes'])} outputs, derived {len(ours)}")
    L = len(m.shapes)
    acts = float(sum(np.prod(s) for s in t["shapes"][:L]))
    note = "nn.Sequential on the meta device: parameters() (shared weights once), buffers(), forward-hook shapes"
    if differ:
        note += "; shapes differ: " + "; ".join(differ)
    return {"params": float(t["params"]), "buffers": float(t["buffers"]), "activations": acts,
            "K": acts / m.batch, "activation_sizes": np.array(sizes), "_note": note}


# -- known wrong methods --------------------------------------------------------------------------
def _tensor_total(m: Model, pick) -> int:
    total = 0
    for k, layer in enumerate(m.layers):
        for t in layer.tensors():
            if t.kind == "param" and not (t.tied_to is not None and k in m.ties) and pick(layer, t):
                total += t.numel
    return total


def _is_bias(layer, t) -> bool:
    if isinstance(layer, (Linear, Conv2d)):
        return t.name == "bias"
    if isinstance(layer, TransformerBlock):
        return t.name.endswith("bias") and not t.name.startswith("norm")
    return False


def _is_layernorm(layer, t) -> bool:
    return isinstance(layer, LayerNorm) or isinstance(layer, TransformerBlock) and t.name.startswith("norm")


def mistakes(p: ModelSizeParams) -> tuple[MistakeAnswer, ...]:
    m = p.model
    c = _counts(p)
    C, K, Z, n = c["C"], c["K"], c["Z"], m.batch
    x_size = cnt.product(m.input_shape)
    loss_size = cnt.product(m.loss_shape) if m.loss is not None else 0
    running = sum(2 * l.num_features for l in m.layers
                  if isinstance(l, (BatchNorm1d, BatchNorm2d)) and l.track_running_stats)
    tied = sum(m.layers[k].out_features * m.layers[k].in_features for k in m.ties)
    weighted = (Linear, Conv2d, Embedding, TransformerBlock)
    only_weight_outputs = sum(cnt.product(s) for layer, s in zip(m.layers, m.shapes) if isinstance(layer, weighted))
    candidates = [
        ("forgot_biases", "Left out the biases: each Linear (and Conv2d) layer also has one bias per output.",
         {"params": C - _tensor_total(m, _is_bias)}, "Parameter count C"),
        ("forgot_layernorm_parameters", "Left out LayerNorm's parameters: γ and β, one of each per feature.",
         {"params": C - _tensor_total(m, _is_layernorm)}, "Parameter count C"),
        ("forgot_batchnorm_parameters", "Left out BatchNorm's γ and β, one of each per channel.",
         {"params": C - _tensor_total(m, lambda l, t: isinstance(l, (BatchNorm1d, BatchNorm2d)))}, "Parameter count C"),
        ("counted_buffers", "Counted BatchNorm's running mean and variance as parameters; they are buffers, "
         "updated by averaging, not by gradient descent.", {"params": C + running}, "Parameter count C"),
        ("tied_counted_twice", "Counted a tied (shared) weight twice; it is one tensor, counted once.",
         {"params": C + tied}, "Parameter count C"),
        ("counted_input", "Counted the input x as an activation; K counts the layer outputs z1…zL only.",
         {"activations": Z + x_size, "K": K + x_size // n}, "Activation count Z"),
        ("counted_loss_output", "Counted the loss output as an intermediate activation.",
         {"activations": Z + loss_size}, "Activation count Z"),
        ("counted_input_and_loss", "Counted both the input x and the loss output as activations.",
         {"activations": Z + x_size + loss_size}, "Activation count Z"),
        ("only_weight_layer_outputs", "Counted only the outputs of the Linear (weight) layers; the outputs of "
         "LayerNorm, ReLU and every other layer are stored activations too.",
         {"activations": only_weight_outputs, "K": only_weight_outputs // n}, "Activation count Z"),
    ]
    mem = c["memory"]
    if mem.training:
        candidates.append(("forgot_gradients", "Left out the gradients: training stores one per parameter.",
                           {"memory_bytes": mem.total - mem.grads}, "Memory"))
    if mem.state_copies:
        candidates.append(("forgot_optimizer_state", f"Left out {mem.optimizer}'s state "
                           f"({mem.state_copies} cop{'ies' if mem.state_copies > 1 else 'y'} of the parameters).",
                           {"memory_bytes": mem.total - mem.optimizer_state}, "Memory"))
    right = {"params": C, "activations": Z, "K": K, "memory_bytes": mem.total}
    out = []
    for name, message, results, step in candidates:
        changed = {k: v for k, v in results.items() if v != right[k]}
        if changed:
            out.append(MistakeAnswer(name, message, changed, step))
    return tuple(out)


# -- randomized variants ----------------------------------------------------------------------------
def generate(rng, difficulty: str = "medium") -> ModelSizeParams:
    """A seed-like MLP with blanks that its neighbours determine; `rng` is a random.Random."""
    hidden_count = {"easy": 1, "medium": 3, "hard": 4}.get(difficulty)
    if hidden_count is None:
        raise InputError("difficulty", f"must be easy, medium or hard, got {difficulty!r}")
    d_in = rng.choice([16, 32, 52, 64, 100, 784])
    dims = [d_in] + [rng.choice([20, 32, 64, 128, 256, 512]) for _ in range(hidden_count)]
    classes = rng.choice([10, 20, 100, 1000])
    dims.append(classes)
    block = ["LayerNorm", "ReLU"]
    if difficulty == "hard":
        block = rng.choice([["LayerNorm", "ReLU"], ["BatchNorm1d", "ReLU", "Dropout(0.1)"], ["GELU"]])
    layers = []
    shown_left = [rng.random() < 0.5 for _ in dims]   # which side of each boundary shows the number
    for i in range(len(dims) - 1):
        a = str(dims[i]) if i == 0 or not shown_left[i] else "?"
        last = i == len(dims) - 2
        b = "?" if last or not shown_left[i + 1] else str(dims[i + 1])
        if difficulty == "easy":  # one blank after the input, the last from num_classes
            a, b = str(dims[i]), "?" if i == 0 or last else str(dims[i + 1])
        layers.append(f"Linear({a}, {b})")
        if not last:
            layers.extend(block)
    batch = rng.choice([2, 4, 8, 16, 32])
    return build(ModelSizeParams, {"layers": layers, "input_shape": [batch, d_in], "num_classes": classes})


KIND = Kind(
    name="model-size",
    title="Model size",
    params=ModelSizeParams,
    solve=solve,
    reference=reference,
    torch_reference=torch_reference,
    mistakes=mistakes,
    generate=generate,
    template="model-size.tex.j2",
)
