"""torch.nn modules ⇄ derive layers.  torch is imported only inside these functions.

`to_torch` builds the same model as an `nn.Sequential` on the meta device (shapes and
parameter counts without allocating memory, so a billion-parameter spec costs nothing);
`trace` runs it with forward hooks and returns what torch itself says: parameter and
buffer counts and the shape of every layer output and of the loss.  `from_torch` reads an
`nn.Sequential` (nested ones are flattened) back into layer objects, shared weights
becoming `tie=`.
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import InputError
from . import layers as L
from .infer import Model

__all__ = ["to_torch", "trace", "from_torch", "is_torch_module"]


def is_torch_module(obj) -> bool:
    """True for a torch.nn.Module, without importing torch when it is not loaded."""
    import sys

    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def _module(layer, device):
    import torch.nn as nn

    kw = {"device": device}
    t = type(layer)
    if t is L.Linear:
        return nn.Linear(layer.in_features, layer.out_features, bias=layer.bias, **kw)
    if t is L.LayerNorm:
        return nn.LayerNorm(layer.normalized_shape, eps=float(layer.eps), elementwise_affine=layer.elementwise_affine,
                            bias=layer.bias, **kw)
    if t in (L.BatchNorm1d, L.BatchNorm2d):
        cls = nn.BatchNorm1d if t is L.BatchNorm1d else nn.BatchNorm2d
        return cls(layer.num_features, eps=float(layer.eps),
                   momentum=None if layer.momentum is None else float(layer.momentum),
                   affine=layer.affine, track_running_stats=layer.track_running_stats, **kw)
    if t is L.Conv2d:
        return nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, stride=layer.stride,
                         padding=layer.padding, dilation=layer.dilation, groups=layer.groups, bias=layer.bias, **kw)
    if t is L.MaxPool2d:
        return nn.MaxPool2d(layer.kernel_size, stride=layer.stride, padding=layer.padding,
                            dilation=layer.dilation, ceil_mode=layer.ceil_mode)
    if t is L.AvgPool2d:
        return nn.AvgPool2d(layer.kernel_size, stride=layer.stride, padding=layer.padding,
                            ceil_mode=layer.ceil_mode, count_include_pad=layer.count_include_pad)
    if t is L.Embedding:
        return nn.Embedding(layer.num_embeddings, layer.embedding_dim, **kw)
    if t is L.TransformerBlock:
        return nn.TransformerEncoderLayer(layer.d_model, layer.heads, layer.d_ff, dropout=0.0,
                                          activation=layer.activation, batch_first=True,
                                          norm_first=layer.norm_first, bias=layer.bias, **kw)
    simple = {L.ReLU: nn.ReLU, L.Tanh: nn.Tanh, L.Sigmoid: nn.Sigmoid}
    if t in simple:
        return simple[t]()
    if t is L.GELU:
        return nn.GELU(approximate=layer.approximate)
    if t is L.LeakyReLU:
        return nn.LeakyReLU(float(layer.negative_slope))
    if t is L.Softmax:
        return nn.Softmax(dim=layer.dim)
    if t is L.LogSoftmax:
        return nn.LogSoftmax(dim=layer.dim)
    if t is L.Dropout:
        return nn.Dropout(float(layer.p))
    if t is L.Flatten:
        return nn.Flatten(layer.start_dim, layer.end_dim)
    raise InputError("layers", f"no torch module for {layer.text()}")  # pragma: no cover


def _loss_module(loss):
    import torch.nn as nn

    return {L.CrossEntropyLoss: nn.CrossEntropyLoss, L.NLLLoss: nn.NLLLoss, L.MSELoss: nn.MSELoss}[type(loss)](
        reduction=loss.reduction)


def to_torch(model: Model, device: str = "meta"):
    """(nn.Sequential, loss module or None) for a solved model; tied weights share one Parameter."""
    import torch.nn as nn

    seq = nn.Sequential(*[_module(layer, device) for layer in model.layers])
    for k, owner in model.ties.items():
        seq[k].weight = seq[owner].weight
    return seq, (_loss_module(model.loss) if model.loss is not None else None)


def trace(model: Model, device: str = "meta") -> dict:
    """What torch reports: parameters (shared ones once), buffers, and every output shape."""
    import torch

    seq, loss_fn = to_torch(model, device)
    shapes = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: shapes.append(tuple(out.shape))) for m in seq]
    ids = isinstance(model.layers[0], L.Embedding)
    x = torch.zeros(model.input_shape, dtype=torch.long if ids else torch.float32, device=device)
    with torch.no_grad():
        out = seq(x)
        if loss_fn is not None:
            if isinstance(model.loss, L.MSELoss):
                target = torch.zeros(out.shape, device=device)
            else:
                target = torch.zeros((out.shape[0],) + tuple(out.shape[2:]), dtype=torch.long, device=device)
            shapes.append(tuple(loss_fn(out, target).shape))
    for h in hooks:
        h.remove()
    return {
        "params": sum(p.numel() for p in seq.parameters()),   # parameters() yields a shared one once
        "buffers": sum(b.numel() for b in seq.buffers()),
        "shapes": shapes,
    }


def from_torch(module) -> list:
    """Layer objects for an nn.Sequential (nested Sequentials flattened, losses excluded)."""
    import torch.nn as nn

    if not isinstance(module, nn.Sequential):
        raise InputError("layers", f"only nn.Sequential models can be read (the forward order of a custom "
                                   f"{type(module).__name__} is not known); wrap the layers in nn.Sequential")
    flat = []

    def walk(m):
        for child in m.children():
            if isinstance(child, nn.Sequential):
                walk(child)
            else:
                flat.append(child)
    walk(module)
    out, owners = [], {}
    counts: dict[str, int] = {}
    for i, m in enumerate(flat, 1):
        layer = _layer(m, i)
        counts[layer.type_name] = counts.get(layer.type_name, 0) + 1
        label = f"{layer.type_name}{counts[layer.type_name]}"
        w = getattr(m, "weight", None)
        if w is not None and isinstance(layer, L.Linear) and id(w) in owners:
            layer = layer.filled(tie=owners[id(w)])
        elif w is not None:
            owners.setdefault(id(w), label)
        out.append(layer)
    return out


def _one(v):
    """(5, 5) → 5: PyTorch stores pairs, people write one number."""
    v = tuple(v) if isinstance(v, (tuple, list)) else v
    return v[0] if isinstance(v, tuple) and len(set(v)) == 1 else v


def _frac(x) -> Fraction:
    return Fraction(repr(float(x)))


def _layer(m, i):
    import torch.nn as nn

    def unsupported(why=""):
        raise InputError("layers", f"module {i} (nn.{type(m).__name__}) is not supported{why}")

    if isinstance(m, nn.Linear):
        return L.Linear(m.in_features, m.out_features, bias=m.bias is not None)
    if isinstance(m, nn.LayerNorm):
        if len(m.normalized_shape) != 1:
            unsupported(": normalized_shape over several dimensions")
        return L.LayerNorm(m.normalized_shape[0], eps=_frac(m.eps), elementwise_affine=m.elementwise_affine,
                           bias=getattr(m, "bias", None) is not None or not m.elementwise_affine)
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        cls = L.BatchNorm1d if isinstance(m, nn.BatchNorm1d) else L.BatchNorm2d
        return cls(m.num_features, eps=_frac(m.eps), momentum=None if m.momentum is None else _frac(m.momentum),
                   affine=m.affine, track_running_stats=m.track_running_stats)
    if isinstance(m, nn.Conv2d):
        if m.padding_mode != "zeros":
            unsupported(": padding_mode other than zeros")
        return L.Conv2d(m.in_channels, m.out_channels, _one(m.kernel_size), stride=_one(m.stride),
                        padding=m.padding if isinstance(m.padding, str) else _one(m.padding),
                        dilation=_one(m.dilation), groups=m.groups, bias=m.bias is not None)
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        k, s = _one(m.kernel_size), _one(m.stride)
        stride = None if s == k else s   # PyTorch fills in stride = kernel_size
        if isinstance(m, nn.MaxPool2d):
            return L.MaxPool2d(k, stride=stride, padding=_one(m.padding), dilation=_one(m.dilation),
                               ceil_mode=m.ceil_mode)
        return L.AvgPool2d(k, stride=stride, padding=_one(m.padding), ceil_mode=m.ceil_mode,
                           count_include_pad=m.count_include_pad)
    if isinstance(m, nn.Embedding):
        return L.Embedding(m.num_embeddings, m.embedding_dim)
    if isinstance(m, nn.TransformerEncoderLayer):
        d = m.self_attn.embed_dim
        if not m.self_attn.batch_first:
            unsupported(": use batch_first=True (inputs [n, T, d])")
        act = getattr(m, "activation_relu_or_gelu", 1)
        return L.TransformerBlock(d, m.self_attn.num_heads, m.linear1.out_features,
                                  bias=m.linear1.bias is not None, activation="gelu" if act == 2 else "relu",
                                  norm_first=m.norm_first)
    simple = {nn.ReLU: L.ReLU, nn.Tanh: L.Tanh, nn.Sigmoid: L.Sigmoid}
    for cls, target in simple.items():
        if type(m) is cls:
            return target()
    if type(m) is nn.GELU:
        return L.GELU(m.approximate)
    if type(m) is nn.LeakyReLU:
        return L.LeakyReLU(_frac(m.negative_slope))
    if type(m) is nn.Softmax:
        return L.Softmax(-1 if m.dim is None else m.dim)
    if type(m) is nn.LogSoftmax:
        return L.LogSoftmax(-1 if m.dim is None else m.dim)
    if type(m) is nn.Dropout:
        return L.Dropout(_frac(m.p))
    if type(m) is nn.Flatten:
        return L.Flatten(m.start_dim, m.end_dim)
    unsupported()
