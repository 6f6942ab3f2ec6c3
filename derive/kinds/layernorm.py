"""LayerNorm: normalize each row (one example's features), then scale by γ and shift by β.

>>> from derive.params import build
>>> sol = solve(build(LayerNormParams, {"X": [[1, 1, 1, 5]], "gamma": [1, 2, 3, 4], "beta": [0, -1, 1, 0]}))
>>> [str(v) for v in sol.results[0].value[0]]
['-sqrt(3)/3', '-1 - 2*sqrt(3)/3', '1 - sqrt(3)', '4*sqrt(3)']
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from .. import definitions
from ..errors import InputError
from ..exact import _ZERO, floats, to_float
from ..forms import Sym, subscript
from ..model import Relation, Result, Solution, Step, prose
from ..params import Matrix, Vector, param
from ..registry import Kind, MistakeAnswer
from .normalization import (
    MAX_DETAILED, Undefined, affine, affine_relation, mistake_variants, moments, normalize,
    normalize_affine, normalize_relation, normalize_shown, statistics_relations, transpose,
)
from .recent import remember_recent
from .sampling import nice_vectors, small_affine, solution_level

__all__ = ["LayerNormParams", "solve", "reference", "torch_reference", "mistakes", "generate", "KIND"]


def check_affine(gamma, beta, width: int, what: str):
    """Default γ = 1, β = 0; otherwise they must have one entry per normalized feature."""
    gamma = gamma if gamma is not None else (Fraction(1),) * width
    beta = beta if beta is not None else (Fraction(0),) * width
    for name, v in (("gamma", gamma), ("beta", beta)):
        if len(v) != width:
            raise InputError(name, f"has {len(v)} entries but X has {width} {what}")
    return gamma, beta


def check_eps(eps):
    if eps < 0:
        raise InputError("eps", f"must be non-negative, got {eps}")


@dataclass(frozen=True)
class LayerNormParams:
    X: Matrix = param("matrix", "input X, shape [batch, features], e.g. [[4,4,8,8],[0,2,2,8]]")
    gamma: Vector | None = param("vector", "scale γ, one per feature (default all ones)", None)
    beta: Vector | None = param("vector", "shift β, one per feature (default all zeros)", None)
    eps: Fraction = param("scalar", "ε ≥ 0 added to the variance, taken exactly (default 0)", Fraction(0))

    def __post_init__(self):
        gamma, beta = check_affine(self.gamma, self.beta, len(self.X[0]), "features (columns)")
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(self, "beta", beta)
        check_eps(self.eps)


CONVENTIONS = (
    "μ and σ² are taken over each row (the features of one example), independent of batch size.",
    prose("σ² is the biased (population) variance, dividing by the number of features $N$, as PyTorch normalizes."),
)


@lru_cache(maxsize=1024)
def indexed(text: str, latex: str, i: int) -> Sym:
    """The symbol for row/column i: text 'μ₃', LaTeX with '#' replaced by the index."""
    return Sym(text.replace("#", subscript(i)), latex.replace("#", str(i)))


@remember_recent  # generate solves its draw; the variant reuses that solution
def solve(p: LayerNormParams) -> Solution:
    rows = p.X
    n_rows, width = len(rows), len(rows[0])
    stats = [moments(r) for r in rows]
    shown = range(min(n_rows, MAX_DETAILED))
    # Rows written out keep x̂ and x̂ ⊙ γ for their steps; the rest need only the output.
    xhats, scaleds, outs = [], [], []
    for i in shown:
        xhat, scaled, out = normalize_shown(stats[i], p.eps, p.gamma, p.beta)
        xhats.append(xhat)
        scaleds.append(scaled)
        outs.append(out)
    outs += [normalize_affine(m, p.eps, p.gamma, p.beta) for m in stats[len(shown):]]

    stat_rel, norm_rel, aff_rel = [], [], []
    for i, m in enumerate(stats, 1):
        mu_s, var_s = indexed("μ#", r"\mu_{#}", i), indexed("σ#²", r"\sigma^2_{#}", i)
        if i - 1 in shown:
            stat_rel.extend(statistics_relations(m, mu_s, var_s))
        else:  # summarized: the values, not the sums
            stat_rel.extend((Relation(mu_s, (m.mean,)), Relation(var_s, (m.var,))))
    for i in shown:
        m = stats[i]
        norm_rel.append(normalize_relation(m, p.eps,
                                           indexed("x̂#", r"\hat{X}_{#}", i + 1), xhats[i]))
        aff_rel.append(affine_relation(indexed("LayerNorm(X)#", r"\mathrm{LayerNorm}(X)_{#}", i + 1),
                                       xhats[i], p.gamma, p.beta, outs[i], scaleds[i]))

    more = f" Rows {MAX_DETAILED + 1}–{n_rows} follow the same pattern; only the first {MAX_DETAILED} are written out." \
        if n_rows > MAX_DETAILED else ""
    steps = (
        Step("Statistics", tuple(stat_rel),
             prose(f"Mean and variance of each row of $X$ (over its $N = {width}$ features).")),
        Step("Normalize", tuple(norm_rel),
             prose("Subtract the row mean and divide by $√(σ² + ε)$." + more)),
        Step("Scale and shift", tuple(aff_rel),
             "Multiply element-wise by γ and add β (both broadcast over the rows)." + more),
    )
    notes = []
    for i, m in enumerate(stats, 1):
        if not m.var and not p.eps:  # σ² + ε = 0 (both are ≥ 0)
            notes.append(prose(f"Row {i} is constant and $ε = 0$, so $σ² + ε = 0$ and its LayerNorm is undefined "
                               "(division by zero); any $ε > 0$ would make the row equal to $β$."))
    if n_rows == 1:
        notes.append("Batch size 1 works: LayerNorm's statistics come from one example's features.")
    return Solution(
        kind="layernorm",
        params=p,
        results=(Result("output", Sym("LayerNorm(X)", r"\mathrm{LayerNorm}(X)"), tuple(outs),
                        "LayerNorm(X), one row per example"),),
        steps=steps,
        conventions=CONVENTIONS + (prose(f"$ε = {p.eps}$ (taken exactly)."),),
        notes=tuple(notes),
        definition=definitions.layer_norm,
    )


def _arrays(p: LayerNormParams):
    import numpy as np

    return np.array([floats(r) for r in p.X]), np.array(floats(p.gamma)), np.array(floats(p.beta)), to_float(p.eps)


def reference(p: LayerNormParams) -> dict:
    """numpy float64, through the same definition the solution displays."""
    X, g, b, eps = _arrays(p)
    with __import__("numpy").errstate(divide="ignore", invalid="ignore"):
        return {"output": definitions.layer_norm(X, g, b, eps)}


def torch_reference(p: LayerNormParams) -> dict:
    """torch.nn.LayerNorm in float64 with weight = γ, bias = β and the same ε."""
    import torch

    X, g, b, eps = _arrays(p)
    layer = torch.nn.LayerNorm(X.shape[1], eps=eps, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(g))
        layer.bias.copy_(torch.from_numpy(b))
        return {"output": layer(torch.from_numpy(X)).numpy()}


def torch_layer(p: LayerNormParams, b) -> dict:
    """torch.nn.LayerNorm at backend b's dtype and device (`derive.backends`), for the oracle."""
    torch = b.module
    layer = torch.nn.LayerNorm(len(p.X[0]), eps=b.scalar(p.eps), device=b.device, dtype=b.native)
    with torch.no_grad():
        layer.weight.copy_(b.asarray(p.gamma))
        layer.bias.copy_(b.asarray(p.beta))
        return {"output": layer(b.asarray(p.X)), "_source": "torch.nn.LayerNorm"}


MISTAKE_MESSAGES = {
    "wrong_axis": ("Normalized each column (across the batch) instead of each row; LayerNorm "
                   "normalizes over the features of one example.", "Statistics"),
    "unbiased_variance": ("Used the unbiased variance (divide by N − 1); normalization uses the "
                          "population variance (divide by N).", "Statistics"),
    "divided_by_variance": ("Divided by σ² + ε instead of its square root √(σ² + ε).", "Normalize"),
    "forgot_gamma": ("Forgot to multiply by γ.", "Scale and shift"),
    "forgot_beta": ("Forgot to add β.", "Scale and shift"),
    "gamma_beta_order": ("Added β before multiplying by γ; the order is x̂ ⊙ γ + β.", "Scale and shift"),
    "rounded_intermediates": ("Rounded x̂ to 2 decimals before scaling by γ; rounding early shifts "
                              "the final digits, so round only the final answer.", "Scale and shift"),
    "not_normalized": ("Skipped the normalization: applied γ and β to X itself.", "Normalize"),
    "centered_not_scaled": ("Subtracted the mean but did not divide by √(σ² + ε).", "Normalize"),
    "eps_convention": ("Used the wrong ε: either left out the problem's ε or added PyTorch's default "
                       "1e-5 where the problem says ε = 0.", "Normalize"),
}


def mistakes(p: LayerNormParams) -> tuple[MistakeAnswer, ...]:
    variants = mistake_variants(p.X, lambda i: p.gamma, lambda i: p.beta, p.eps)
    cols = transpose(p.X)
    if len(p.X) > 1:
        col_out = [affine(normalize(moments(c), p.eps), (p.gamma[j],) * len(c), (p.beta[j],) * len(c))
                   for j, c in enumerate(cols)]
        variants["wrong_axis"] = [tuple(r) for r in transpose(col_out)]
    return tuple(
        MistakeAnswer(name, MISTAKE_MESSAGES[name][0], {"output": tuple(tuple(r) for r in rows)},
                      MISTAKE_MESSAGES[name][1])
        for name, rows in variants.items()
        if not any(isinstance(v, Undefined) for r in rows for v in r)
    )


def generate(rng: random.Random, difficulty: str = "hard") -> LayerNormParams:
    """A seeded variant shaped like the seed (3 examples × 4 features), checked on its solution."""
    for _ in range(100):
        X = nice_vectors(rng, 3, 4, difficulty)
        gamma, beta = small_affine(rng, 4)
        p = LayerNormParams(X, gamma, beta, _ZERO)
        if solution_level(solve(p).results[0].value) == difficulty:
            return p
    raise InputError("difficulty", f"could not build a {difficulty} LayerNorm variant")


KIND = Kind(
    name="layernorm",
    title="Layer normalization",
    params=LayerNormParams,
    solve=solve,
    reference=reference,
    torch_reference=torch_reference,
    mistakes=mistakes,
    generate=generate,
    template="layernorm.tex.j2",
)
