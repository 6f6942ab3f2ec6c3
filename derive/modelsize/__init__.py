"""Model size: layers, the layer-list grammar, dimension inference and counting.

A pipeline, one stage per module: `spec` (text → layers) → `infer` (fill in `?`,
shapes z₁…z_N) → `count` (C, buffers, K, Z, memory, crossover).  `torch_bridge`
builds and reads `torch.nn` models (torch imported lazily).  The problem kind
`derive.kinds.model_size` turns the results into a worked solution.
"""

from .count import activation_K, crossover_batch, memory, param_count
from .infer import Model, infer
from .layers import LAYER_TYPES, LOSS_TYPES, Layer
from .spec import load_spec, parse_input_shape, parse_layers, parse_loss

__all__ = [
    "Layer", "LAYER_TYPES", "LOSS_TYPES", "Model", "infer", "parse_layers", "parse_loss",
    "parse_input_shape", "load_spec", "param_count", "activation_K", "crossover_batch", "memory",
]
