"""The worked solution's steps, as relations of `derive.forms` nodes (no strings of math).

Each function takes the solved model and its counts and returns a `Step`: the filled-in
layers, the labelled shapes, the logits, the C and Z derivations written like the seed's
aligned equations (one line per layer with its gloss), memory, and the crossover batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from fractions import Fraction

from ..forms import Add, Call, Div, Mul, Sub, Sym, Vec, Words, subscript
from ..model import Relation, Step, prose
from .count import (
    DTYPE_BYTES, OPTIMIZER_STATE_NAMES, ActGroup, Memory, ParamLine, prod_form,
)
from .infer import Model, Spatial
from .layers import BatchNorm1d, BatchNorm2d, LayerNorm, LogSoftmax, Softmax, _Elementwise

__all__ = [
    "Label", "z_sym", "zhat_sym", "layers_step", "shapes_step", "logits_step", "params_step",
    "activations_step", "memory_step", "crossover_step",
]

# Layers whose output has their input's features (channels): activations, Dropout, the norms.
_KEEP_FEATURES = (LayerNorm, BatchNorm1d, BatchNorm2d, _Elementwise)

N = Sym("n", "n")


@dataclass(frozen=True)
class Label(Words):
    """A text result ("Linear(52, 128)", "[4, 128]"): printed as words, a string in JSON."""

    def __str__(self):
        return self.text

    def _sympy_(self):
        import sympy

        return sympy.Symbol(self.text)


@lru_cache(maxsize=1024)
def z_sym(i: int) -> Sym:
    return Sym(f"z{subscript(i)}", f"z_{{{i}}}")


@lru_cache(maxsize=1024)
def zhat_sym(i: int) -> Sym:
    return Sym(f"ẑ{subscript(i)}", rf"\hat{{z}}_{{{i}}}")


def _csym(label: str, part: str = "") -> Sym:
    name = f"{label}.{part}" if part else label
    return Sym(f"C_{name}", rf"C_{{\text{{{name}}}}}")


@lru_cache(maxsize=4096)
def _layer_form(layer) -> Call | Words:
    """Linear(52, ?) as a call whose arguments are numbers, ? or keyword words (equal layers, equal forms)."""
    text = layer.text()
    if "(" not in text:
        return Words(text)
    args = []
    for part in _split_args(text[text.index("(") + 1:-1]):
        part = part.strip()
        args.append(int(part) if part.isdigit() else Words(part))
    return Call(Sym(layer.type_name, rf"\mathrm{{{layer.type_name}}}"), tuple(args))


def _split_args(s: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out + [cur]


_SOURCE = re.compile(r"the (\w+) of (\w+) \(layer \d+\)")


def _short_source(src: str) -> str:
    """'the in_features of Linear2 (layer 4)' → 'Linear2.in_features' (the table stays narrow)."""
    m = _SOURCE.fullmatch(src)
    if m:
        return f"{m.group(2)}.{m.group(1)}"
    if "Flatten of" in src:
        return src.split(",")[0]
    if src.startswith("computed from"):
        return src[len("computed from "):]
    return src


def layers_step(model: Model) -> Step:
    rels = []
    for k, (label, orig, filled) in enumerate(zip(model.labels, model.original, model.layers)):
        tied_to = model.labels[model.ties[k]] if k in model.ties else None
        rels.append(_layer_relation(label, orig, filled, tuple(model.filled[k].items()), tied_to))
    return Step("Missing dimensions", tuple(rels), _missing_text(model))


def _missing_text(model: Model) -> str:
    """How many sizes were missing (the ? in the list, and those a layer such as a bare
    "LayerNorm" leaves out) and why each is determined, naming only this model's layer types."""
    blanks = sum(len(i) for i in model.filled)
    marked = sum(layer.text().count("?") for layer in model.original)
    if not blanks:
        head = "Nothing is missing. "
    elif marked == blanks:
        head = f"{blanks} missing dimension{'s' if blanks != 1 else ''} solved. "
    else:
        left_out = blanks - marked
        head = (f"{blanks} missing dimensions solved: {marked} written ? and {left_out} that the layer list "
                f"leaves out. ")
    why = "Each layer's input must match the output of the layer before it (the first matches the input $x$)"
    keepers = list(dict.fromkeys(type(layer).__name__ for layer in model.layers
                                 if isinstance(layer, _KEEP_FEATURES)))
    if keepers:
        names = keepers[0] if len(keepers) == 1 else ", ".join(keepers[:-1]) + " and " + keepers[-1]
        why += f"; {names} keep{'s' if len(keepers) == 1 else ''} the feature count"
    if model.num_classes is not None:
        why += f"; the logits have num_classes = {model.num_classes} entries per example"
    return prose(head + why + ".")


# Variants repeat layers ("LayerNorm2: LayerNorm(128)"), and relations are immutable:
# equal inputs give one shared relation (which the renderers' identity memos then reuse too).
@lru_cache(maxsize=4096)
def _layer_relation(label: str, orig, filled, info: tuple, tied_to: str | None) -> Relation:
    """`label = orig = filled`, noting where each filled-in dimension came from."""
    note = "; ".join(f"{f} = {_short_source(src)}" for f, (v, src) in info)
    if tied_to is not None:
        note = "; ".join(x for x in (note, f"weight tied to {tied_to}") if x)
    return Relation(Sym(label, rf"\text{{{label}}}"), (_layer_form(orig), _layer_form(filled)), approx=False, note=note)


@lru_cache(maxsize=4096)
def _shape_relation(i: int, shape: tuple[int, ...], note: str) -> Relation:
    """shape(zᵢ) = [shape]."""
    return Relation(Call(_SHAPE, (z_sym(i),)), (Vec(shape),), approx=False, note=note)


_SHAPE = Sym("shape", r"\operatorname{shape}")


_NO_NAME = Sym("", "")


def _floor_call(inner, ceil: bool = False):
    """⌊inner⌋ (⌈inner⌉), as the brackets of a Call without a name."""
    return Call(_NO_NAME, (inner,), "⌈⌉" if ceil else "⌊⌋")


def _spatial_relation(k: int, label: str, sp: Spatial, both: bool) -> Relation:
    i = k + 1
    lhs_text = f"H{subscript(i)} = W{subscript(i)}" if both else f"{sp.axis}{subscript(i)}"
    lhs = Sym(lhs_text, f"H_{{{i}}} = W_{{{i}}}" if both else f"{sp.axis}_{{{i}}}")
    if sp.padding is None:
        return Relation(lhs, (sp.size_out,), approx=False, note=f"{label}: padding='same' keeps the size")
    if sp.dilation == 1:
        inner = Div(Add((Sub(sp.size_in, sp.kernel), Mul(2, sp.padding))), sp.stride)
    else:
        inner = Div(Sub(Sub(Add((sp.size_in, Mul(2, sp.padding))), Mul(sp.dilation, Sub(sp.kernel, 1))), 1), sp.stride)
    num = sp.size_in + 2 * sp.padding - sp.dilation * (sp.kernel - 1) - 1 if sp.dilation != 1 \
        else sp.size_in - sp.kernel + 2 * sp.padding
    q = Fraction(num, sp.stride)
    forms = [Add((_floor_call(inner, sp.ceil_mode), 1)), Add((_floor_call(q, sp.ceil_mode), 1))]
    forms.append(sp.size_out)
    return Relation(lhs, tuple(forms), approx=False, note=f"{label}: F = {sp.kernel}, S = {sp.stride}, "
                                                          f"P = {sp.padding}" + (f", D = {sp.dilation}" if sp.dilation != 1 else ""))


def shapes_step(model: Model) -> Step:
    rels = [Relation(Call(Sym("shape", r"\operatorname{shape}"), (Sym("x", "x"),)), (Vec(model.input_shape),), approx=False, note="input")]
    for k, (label, shape) in enumerate(zip(model.labels, model.shapes)):
        sp = model.spatial[k]
        if len(sp) == 2:
            h, w = sp
            same = (h.size_in, h.kernel, h.stride, h.padding, h.dilation) == (w.size_in, w.kernel, w.stride, w.padding, w.dilation)
            rels.extend([_spatial_relation(k, label, h, True)] if same else
                        [_spatial_relation(k, label, h, False), _spatial_relation(k, label, w, False)])
        rels.append(_shape_relation(k + 1, tuple(shape), f"{label} output"))
    text = "Each layer's output is one activation $z$, numbered in order; the batch dimension $n$ comes first."
    if any(model.spatial):
        text += (" A convolution or pooling window of size $F$, stride $S$ and padding $P$ gives an output size "
                 "$⌊(W − F + 2P)/S⌋ + 1$ (with dilation $D$: $⌊(W + 2P − D(F − 1) − 1)/S⌋ + 1$; ceil_mode "
                 "rounds up but drops a window that would start in the padding).")
    if model.loss is not None:
        i = len(model.shapes) + 1
        red = model.loss.reduction
        what = {"mean": "mean loss, a scalar", "sum": "summed loss, a scalar", "none": "one loss per example"}[red]
        rels.append(Relation(Call(Sym("shape", r"\operatorname{shape}"), (z_sym(i),)), (Vec(model.loss_shape),), approx=False,
                             note=f"{model.loss.type_name} output: {what}"))
        other = ("none" if red != "none" else "mean")
        other_shape = "[" + ", ".join(map(str, (model.batch,) + tuple(model.shapes[-1][2:]))) + "]" \
            if other == "none" else "[]"
        text += (f" The loss output ${z_sym(i).text}$ depends on the reduction: with reduction='{other}' it would have "
                 f"shape {other_shape}.")
    return Step("Activation shapes", tuple(rels), prose(text))


def logits_step(model: Model) -> Step | None:
    classification = model.loss is not None and getattr(model.loss, "CLASSIFICATION", False) \
        or model.loss is None and model.num_classes is not None
    if not classification:
        return None
    j = model.logits_index
    zi = j + 1
    shape = model.shapes[j]
    z = f"z{zi}"
    classes = shape[model.class_dim] if model.class_dim is not None and model.class_dim < len(shape) else shape[-1]
    rels = (
        Relation(Sym("logits", r"\text{logits}"), (z_sym(zi),), approx=False, note=f"{model.labels[j]} output, shape {list(shape)}"),
        Relation(Sym("p_ij", "p_{ij}"),
                 (Div(Call(Sym("exp", r"\exp"), (Sym(f"{z}_ij", f"{z[0]}_{{{zi},ij}}"),)),
                      Sym(f"Σ_k exp({z}_ik)", rf"\sum_{{k}} \exp(z_{{{zi},ik}})")),),
                 approx=False, note="softmax over the classes of example i"),
    )
    text = (f"{z_sym(zi).text}, the output of {model.labels[j]}, is the logits: {classes} unnormalized class scores per "
            f"example. Softmax turns each example's logits into class probabilities: exponentiate, then divide "
            f"by the sum over the classes, so they are positive and sum to 1.")
    last = model.layers[-1]
    if isinstance(last, (Softmax, LogSoftmax)):
        what = "log-probabilities" if isinstance(last, LogSoftmax) else "probabilities"
        text += f" The model ends in {last.type_name}, so {z_sym(len(model.layers)).text} is already {what}, not logits."
        if model.loss is not None and model.loss.type_name == "CrossEntropyLoss":
            text += " CrossEntropyLoss applies log-softmax itself and expects logits: softmax would be applied twice."
    elif model.loss is not None and model.loss.type_name == "CrossEntropyLoss":
        text += " CrossEntropyLoss applies log-softmax itself, which is why the model has no Softmax layer."
    return Step("Logits and probabilities", rels, text)


def params_step(lines: tuple[ParamLine, ...], buffers: tuple[ParamLine, ...], C: int, model: Model) -> Step:
    rels = [_param_relation(l) for l in lines]
    counted = [l for l in lines if l.count]
    if counted:
        # The formulas are on the lines above; the total adds their values (a sum of formulas overflows a page).
        total_forms = (Add(tuple(l.count for l in counted)), C) if len(counted) > 1 else (counted[0].count,)
    else:
        total_forms = (0,)
    # The seed's seven values and their total on one row ran 19 pt past the line beside the
    # block's notes (a column as wide as the widest): the total goes on a row of its own.
    rels.append(Relation(Sym("C", "C"), total_forms, approx=False, note="total parameters",
                         stacked=len(counted) > GROUP_WRITTEN_OUT))
    if buffers:
        B = sum(b.count for b in buffers)
        rels.extend(Relation(Sym(f"B_{b.label}", rf"B_{{\text{{{b.label}}}}}"), (b.form, b.count), approx=False,
                             note=b.note) for b in buffers)
        rels.append(Relation(Sym("B", "B"), (Add(tuple(b.count for b in buffers)), B) if len(buffers) > 1 else (B,),
                             approx=False, note=prose("buffers, not in $C$")))
    kinds = []
    types = {type(x).__name__ for x in model.layers}
    if types & {"Linear"}:
        kinds.append("each Linear layer has in·out weights and out biases")
    if types & {"Conv2d"}:
        kinds.append("each Conv2d has out·(in/groups)·kh·kw kernel weights and out biases")
    if types & {"LayerNorm", "BatchNorm1d", "BatchNorm2d"}:
        kinds.append("each normalization layer has a γ and a β per feature")
    if types & {"Embedding"}:
        kinds.append("an Embedding has one vector per token")
    free = sorted({x.type_name for x in model.layers if x.PASS_THROUGH or x.type_name in
                   ("Flatten", "MaxPool2d", "AvgPool2d")})
    text = "Sum the parameters of every layer: " + "; ".join(kinds) + "." if kinds else "No layer has parameters."
    if free:
        text += f" {', '.join(free)} ha{'s' if len(free) == 1 else 've'} none."
    return Step("Parameter count C", tuple(rels), text)


@lru_cache(maxsize=4096)
def _param_relation(line: ParamLine) -> Relation:
    """C_label = formula = count, one line of the C derivation (lines recur across variants)."""
    return Relation(_csym(line.label, line.part), (line.form, line.count), approx=False, note=line.note)


@lru_cache(maxsize=4096)
def _group_form(g: ActGroup, n):
    """count·n·shape of one group (n the symbol or the batch size); groups recur across variants."""
    factors = ([g.count] if g.count > 1 else []) + [n] + list(g.shape)
    return prod_form(factors)


GROUP_WRITTEN_OUT = 3  # activations of one group named one by one (the seed's groups have three)


def _first_to_last(zhats, head: int = 1) -> Add:
    """ẑ_first + … + ẑ_last (with `head` = 2, ẑ₁ + ẑ₂ + … + ẑ_last, as the seed writes Z):
    a sum of activations too long to write out."""
    return Add((*zhats[:head], Sym("…", r"\dots"), zhats[-1]))


@lru_cache(maxsize=4096)
def _group_relation(g: ActGroup) -> Relation:
    """ẑ_first + … + ẑ_last = count·n·shape (= count·size·n).

    A group of more than three activations shows its first and last (a run of two blocks of
    equal width, six outputs, written out ran its align* block 218 pt past the line)."""
    syms = tuple(zhat_sym(i) for i in range(g.first, g.last + 1))
    forms = [_group_form(g, N)]
    if g.count > 1 or len(g.shape) > 1:
        forms.append(Mul(g.count * g.size, N))
    if len(syms) > GROUP_WRITTEN_OUT:
        lhs = _first_to_last(syms)
        note = f"the {g.count} layers {g.labels[0]} … {g.labels[-1]}"
    else:
        lhs = Add(syms) if len(syms) > 1 else syms[0]
        note = ", ".join(g.labels)
    return Relation(lhs, tuple(forms), approx=False, note=note)


def _text_width(groups) -> int:
    """Rough printed width of the expanded sum (decides between the seed's full form and a compact one)."""
    return sum(sum(len(str(f)) + 3 for f in ([g.count] if g.count > 1 else []) + ["n"] + list(g.shape)) + 3
               for g in groups)


def activations_step(groups: tuple[ActGroup, ...], K: int, Z: int, model: Model) -> Step:
    rels = [_group_relation(g) for g in groups]
    zhats = [zhat_sym(i) for g in groups for i in range(g.first, g.last + 1)]
    n = model.batch
    full = _text_width(groups) <= 80   # the seed's expanded sums fit a line; wide models get the values
    one = len(groups) == 1

    def total(parts):
        return parts[0] if len(parts) == 1 else Add(tuple(parts))

    # Z = ẑ₁ + ẑ₂ + … + ẑ₁₀ as the seed writes it: the ten written out were the widest row of
    # the block, 28 pt past the line beside the group lines' notes.
    zsum = (_first_to_last(zhats, 2) if len(zhats) > GROUP_WRITTEN_OUT + 1
            else Add(tuple(zhats)) if len(zhats) > 1 else zhats[0])
    if full:
        z_forms = (zsum, total([_group_form(g, N) for g in groups]), Mul(K, N))
    else:  # the group lines above carry the terms
        z_forms = (zsum, Mul(K, N))
    rels.append(Relation(Sym("Z", "Z"), z_forms, approx=False, note=prose("$Z$ is a multiple of $n$"), stacked=True))  # as the seed
    per = [prod_form(([g.count] if g.count > 1 else []) + list(g.shape)) if (g.count > 1 or g.shape) else 1
           for g in groups] if full else [g.count * g.size for g in groups]
    rels.append(Relation(Sym("K", "K"), (total(per), K) if not one or full else (K,), approx=False,
                         note="elements per example"))
    at_n = total([_group_form(g, n) for g in groups]) if full else Mul(n, K)
    rels.append(Relation(Sym("Z", "Z"), (at_n, Z), approx=False, note=prose(f"$n = {n}$"), stacked=full))
    last = len(model.shapes)
    excluded = "the input $x$" + (f" and the loss output ${z_sym(last + 1).text}$" if model.loss is not None else "")
    text = (f"Each line counts the elements of a group of activations of the same shape, the outputs of "
            f"the layers named beside it; $ẑᵢ$ is the number of elements of $zᵢ$. $Z$ adds up the "
            f"intermediate activations $z₁…{z_sym(last).text}$ (every layer output; {excluded} are not counted), so "
            f"$Z = n·K$ with $K = {K}$ per example.")
    return Step("Activation count Z", tuple(rels), prose(text))


def memory_step(mem: Memory, C: int, Z: int, model: Model, others: dict[str, Memory]) -> Step:
    b = mem.bytes_per
    bsym = Sym("b", "b")
    rels = [Relation(bsym, (b,), approx=False, note=f"bytes per element in {mem.dtype}")]
    parts, terms = [], []

    def add(name, latex_name, form, value, note):
        s = Sym(f"M_{name}", rf"M_{{\text{{{latex_name}}}}}")
        rels.append(Relation(s, (form, value), approx=False, note=note))
        parts.append(s)
        terms.append(value)

    add("params", "params", Mul(C, b), mem.params, "parameters")
    if mem.training:
        add("grads", "grads", Mul(C, b), mem.grads, "one gradient per parameter")
    if mem.state_copies:
        add("optimizer", "optimizer", prod_form((mem.state_copies, C, b)), mem.optimizer_state,
            f"{mem.optimizer}: {OPTIMIZER_STATE_NAMES.get(mem.optimizer, 'state')}")
    add("activations", "activations", Mul(Z, b), mem.activations,
        "activations, kept for backward" if mem.training else "activations")
    if mem.buffers:
        bl = mem.buffers
        add("buffers", "buffers", bl, bl, "BatchNorm buffers (the count is int64)")
    rels.append(Relation(Sym("M", "M"), (Add(tuple(parts)), Add(tuple(terms)), mem.total) if len(parts) > 1
                         else (mem.total,), approx=False, note="bytes"))
    rels.append(Relation(Sym("M/MiB", r"M/\text{MiB}"), (Div(mem.total, 2**20), Fraction(mem.total, 2**20)),
                         note="1 MiB = 2²⁰ bytes"))
    for dtype, m in others.items():
        rels.append(Relation(Sym(f"M({dtype})", rf"M(\text{{{dtype}}})"), (m.total,), approx=False,
                             note=f"in {dtype}, {DTYPE_BYTES[dtype]} bytes each"))
    what = (f"training with {mem.optimizer}: parameters, their gradients"
            + (", the optimizer's state" if mem.state_copies else "") + " and the activations") if mem.training \
        else "inference: parameters and activations (training would add gradients and optimizer state)"
    return Step("Memory", tuple(rels), f"Bytes stored for {what}, in {mem.dtype}.")


def crossover_step(C: int, K: int, nstar: int, model: Model) -> Step:
    n = model.batch
    Z = n * K
    rels = (
        Relation(Div(Sym("C", "C"), Sym("K", "K")), (Div(C, K), Fraction(C, K)), note=prose("$n·K > C ⇔ n > C/K$")),
        Relation(Sym("n*", "n^{*}"), (Add((_floor_call(Div(Sym("C", "C"), Sym("K", "K"))), 1)), Add((C // K, 1)), nstar),
                 approx=False, note=prose("the smallest whole $n$ with $n·K > C$")),
        Relation(Mul(nstar, Sym("K", "K")), (Mul(nstar, K), nstar * K), approx=False, note=prose(f"$> C = {C}$")),
        Relation(Mul(nstar - 1, Sym("K", "K")), (Mul(nstar - 1, K), (nstar - 1) * K), approx=False,
                 note=prose(f"$≤ C = {C}$")) if nstar > 1 else None,
    )
    rels = tuple(r for r in rels if r is not None)
    if Z > C:
        now = f"At $n = {n}$ the activations already outnumber the parameters ($Z = {Z} > C = {C}$)."
    else:
        now = f"At $n = {n}$ the parameters outnumber the activations ($C = {C} ≥ Z = {Z}$)."
    text = (f"Parameters do not grow with the batch, activations do ($Z = n·K$). {now} From $n = {nstar}$ on, "
            f"$n·K > C$: with large batches the activations take more memory than the parameters, though a "
            f"model with a huge $C$ can stay above $n·K$ for every batch that fits.")
    return Step("Activations or parameters?", rels, prose(text))
