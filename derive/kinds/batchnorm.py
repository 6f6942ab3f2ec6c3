"""BatchNorm: normalize each column (one feature across the batch), then γ and β per feature.

Training mode uses the batch's own mean and biased variance and updates the running
statistics with the *unbiased* variance, as PyTorch does; eval mode uses the running
statistics.  Batch size 1 is derived, not asserted: the variance is 0.

>>> from derive.params import build
>>> sol = solve(build(BatchNormParams, {"X": [[2, 2], [2, 5], [5, 5]], "gamma": [1, 2], "beta": [0, -1]}))
>>> [str(row[1]) for row in sol.results[0].value]
['-1 - 2*sqrt(2)', '-1 + sqrt(2)', '-1 + sqrt(2)']
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

from .. import definitions
from ..errors import InputError
from ..exact import _ZERO, floats, rational, to_float
from ..forms import Add, Mul, Sym, Vec, Words
from ..model import Relation, Result, Solution, Step, prose
from ..params import Matrix, Vector, param
from ..registry import Kind, MistakeAnswer
from .layernorm import check_affine, check_eps, indexed
from .normalization import (
    MAX_DETAILED, Moments, Undefined, affine, mistake_variants, moments, moments_about, normalize,
    normalize_relation, normalize_shown, statistics_relations, transpose,
)
from .recent import remember_recent
from .sampling import nice_vectors, small_affine, solution_level

__all__ = ["BatchNormParams", "solve", "reference", "torch_reference", "mistakes", "generate", "KIND"]

_ONE = Fraction(1)  # the default running variance's entries (Fractions are immutable: one serves all)


@dataclass(frozen=True)
class BatchNormParams:
    X: Matrix = param("matrix", "input X, shape [batch, features], e.g. [[2,2,1,1],[2,5,4,1]]")
    gamma: Vector | None = param("vector", "scale γ, one per feature/column (default all ones)", None)
    beta: Vector | None = param("vector", "shift β, one per feature/column (default all zeros)", None)
    eps: Fraction = param("scalar", "ε ≥ 0 added to the variance, taken exactly (default 0)", Fraction(0))
    mode: str = param("choice", "train uses batch statistics, eval uses running statistics",
                      "train", choices=("train", "eval"))
    running_mean: Vector | None = param("vector", "running mean per feature (default zeros, PyTorch's start)", None)
    running_var: Vector | None = param("vector", "running variance per feature (default ones, PyTorch's start)", None)
    momentum: Fraction = param("scalar", "running-statistics momentum m: new = (1 − m)·old + m·batch (default 0.1)",
                               Fraction(1, 10))

    def __post_init__(self):
        width = len(self.X[0])
        gamma, beta = check_affine(self.gamma, self.beta, width, "features (columns)")
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(self, "beta", beta)
        check_eps(self.eps)
        rm = self.running_mean if self.running_mean is not None else (_ZERO,) * width
        rv = self.running_var if self.running_var is not None else (_ONE,) * width
        for name, v in (("running_mean", rm), ("running_var", rv)):
            if len(v) != width:
                raise InputError(name, f"has {len(v)} entries but X has {width} features (columns)")
        if any(v < 0 for v in rv):
            raise InputError("running_var", "variances must be non-negative")
        if not 0 <= self.momentum <= 1:
            raise InputError("momentum", f"must be between 0 and 1, got {self.momentum}")
        object.__setattr__(self, "running_mean", rm)
        object.__setattr__(self, "running_var", rv)


def _column_steps(p: BatchNormParams, used, shown):
    """Relations for the normalize and scale-and-shift steps, one column at a time (`used`:
    each column's statistics, its own in training, the running ones in eval mode)."""
    norm_rel, aff_rel = [], []
    for j in range(min(len(used), MAX_DETAILED)):
        xhat, scaled, out = shown[j]
        norm_rel.append(normalize_relation(used[j], p.eps, indexed("x̂#", r"\hat{X}_{#}", j + 1), xhat))
        lhs = indexed("BatchNorm(X)#", r"\mathrm{BatchNorm}(X)_{#}", j + 1)
        shifted = Add((Mul(Vec(xhat), p.gamma[j], "dot"), p.beta[j]))
        if scaled is None:
            aff_rel.append(Relation(lhs, (shifted, Words("undefined")), approx=False))
            continue
        aff_rel.append(Relation(lhs, (shifted, Add((Vec(scaled), p.beta[j])), Vec(out))))
    return norm_rel, aff_rel


def _blend(old: Fraction, batch: Fraction, m: Fraction) -> Fraction:
    """(1 − m)·old + m·batch, as one Fraction from integers (m = p/q, old = a/b, batch = c/d);
    Fractions' slots where all three are (`numerator` is a Python property, see derive.exact)."""
    if type(m) is Fraction and type(old) is Fraction and type(batch) is Fraction:
        p, q = m._numerator, m._denominator
        a, b = old._numerator, old._denominator
        c, d = batch._numerator, batch._denominator
    else:
        p, q = m.numerator, m.denominator
        a, b = old.numerator, old.denominator
        c, d = batch.numerator, batch.denominator
    return rational((q - p) * a * d + p * c * b, q * b * d)


def _running_update(p: BatchNormParams, stats: list[Moments]):
    """PyTorch's update: running ← (1 − m)·running + m·batch, with the unbiased batch variance."""
    n = len(p.X)
    m = p.momentum
    keep = 1 - m
    new_mean = tuple(_blend(r, s.mean, m) for r, s in zip(p.running_mean, stats))
    mean_sym = Sym("μ_run", r"\mu_{\mathrm{run}}")
    var_sym = Sym("σ²_run", r"\sigma^2_{\mathrm{run}}")
    rels = [Relation(mean_sym, (Add((Mul(keep, Vec(p.running_mean)), Mul(m, Vec(tuple(s.mean for s in stats))))),
                                Vec(new_mean)))]
    if n == 1:
        new_var = tuple(Undefined("the unbiased variance divides by N − 1 = 0") for _ in stats)
        rels.append(Relation(Sym("s²", "s^2"), (Words("undefined: the unbiased variance divides by N − 1 = 0"),),
                             approx=False))
        return new_mean, new_var, rels
    unbiased = tuple(s.var_unbiased for s in stats)
    new_var = tuple(_blend(r, u, m) for r, u in zip(p.running_var, unbiased))
    rels.append(Relation(Sym("s²", "s^2"), (Mul(Fraction(n, n - 1), Vec(tuple(s.var for s in stats))),
                                            Vec(unbiased)), note=prose("unbiased variance, $N/(N − 1)·σ²$")))
    rels.append(Relation(var_sym, (Add((Mul(keep, Vec(p.running_var)), Mul(m, Vec(unbiased)))), Vec(new_var))))
    return new_mean, new_var, rels


_BIASED = prose("σ² is the biased (population) variance, dividing by $N$, as PyTorch normalizes.")


@remember_recent  # generate solves its draw; the variant reuses that solution
def solve(p: BatchNormParams) -> Solution:
    cols = transpose(p.X)
    n, width = len(p.X), len(cols)
    stats = [moments(c) for c in cols]
    train = p.mode == "train"
    if train:
        used = stats
    else:
        used = [moments_about(s.values, p.running_mean[j], p.running_var[j]) for j, s in enumerate(stats)]
    # (x̂, x̂·γⱼ, x̂·γⱼ + βⱼ) per column, each entry built once
    shown = [normalize_shown(m, p.eps, (p.gamma[j],) * n, (p.beta[j],) * n) for j, m in enumerate(used)]
    xhats = [x for x, _, _ in shown]
    outs = [out for _, _, out in shown]
    norm_rel, aff_rel = _column_steps(p, used, shown)
    more = (f" Columns {MAX_DETAILED + 1}–{width} follow the same pattern; only the first {MAX_DETAILED} "
            "are written out.") if width > MAX_DETAILED else ""
    rows = tuple(tuple(r) for r in transpose(outs))
    output = Result("output", Sym("BatchNorm(X)", r"\mathrm{BatchNorm}(X)"), rows, "BatchNorm(X), same shape as X")

    steps, results, notes = [], [output], []
    if train:
        stat_rel = []
        for j, s in enumerate(stats, 1):
            mu_s, var_s = indexed("μ#", r"\mu_{#}", j), indexed("σ#²", r"\sigma^2_{#}", j)
            stat_rel.extend(statistics_relations(s, mu_s, var_s) if j <= MAX_DETAILED
                            else (Relation(mu_s, (s.mean,)), Relation(var_s, (s.var,))))
        steps.append(Step("Statistics", tuple(stat_rel),
                          prose(f"Mean and variance of each column of $X$ (over the batch of $N = {n}$).")))
    else:
        steps.append(Step("Running statistics", (
            Relation(Sym("μ_run", r"\mu_{\mathrm{run}}"), (Vec(p.running_mean),)),
            Relation(Sym("σ²_run", r"\sigma^2_{\mathrm{run}}"), (Vec(p.running_var),)),
        ), "In eval mode BatchNorm uses the running statistics, not the batch's own."))
    steps.append(Step("Normalize", tuple(norm_rel),
                      prose("Subtract each column's mean and divide by $√(σ² + ε)$." + more)))
    steps.append(Step("Scale and shift", tuple(aff_rel),
                      prose("Multiply column $j$ by $γⱼ$ and add $βⱼ$ (γ and β broadcast across the batch)." + more)))
    if train:
        new_mean, new_var, rels = _running_update(p, stats)
        steps.append(Step("Running statistics update", tuple(rels),
                          prose(f"PyTorch updates the running statistics with momentum $m = {p.momentum}$, "
                                "using the unbiased ($N − 1$) batch variance.")))
        results += [Result("running_mean", Sym("μ_run", r"\mu_{\mathrm{run}}"), new_mean, "updated running mean"),
                    Result("running_var", Sym("σ²_run", r"\sigma^2_{\mathrm{run}}"), new_var,
                           "updated running variance")]
    if train and n == 1:
        notes.append(prose(
            "Batch size 1: each column's only value is its own mean, so $σ² = 0$. "
            + ("With $ε = 0$, $x̂ = 0/√0$ is undefined (division by zero)." if p.eps == 0 else
               f"With $ε = {p.eps} > 0$, $x̂ = 0/√ε = 0$, so every output equals $β$: the input is erased.")
            + " PyTorch refuses to train BatchNorm with one value per channel for this reason."))
    for j, x in enumerate(xhats, 1):
        if n > 1 and any(isinstance(v, Undefined) for v in x):
            notes.append(prose(f"Column {j}: $σ² + ε = 0$, so its output is undefined (division by zero)."))
    conventions = (
        ("μ and σ² are taken over each column (one feature across the batch)." if train else
         "Eval mode: the running mean and variance replace the batch statistics; nothing is updated."),
        _BIASED,
        prose(f"$ε = {p.eps}$ (taken exactly)."),
    )
    return Solution(
        kind="batchnorm", params=p, results=tuple(results), steps=tuple(steps),
        conventions=conventions, notes=tuple(notes),
        definition=definitions.batch_norm if train else definitions.batch_norm_eval,
    )


def _arrays(p: BatchNormParams):
    import numpy as np

    f = lambda v: np.array(floats(v))  # noqa: E731
    return (np.array([floats(r) for r in p.X]), f(p.gamma), f(p.beta), to_float(p.eps),
            f(p.running_mean), f(p.running_var), to_float(p.momentum))


def reference(p: BatchNormParams) -> dict:
    """numpy float64 through the definitions the solution displays."""
    import numpy as np

    X, g, b, eps, rm, rv, m = _arrays(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        if p.mode == "eval":
            return {"output": definitions.batch_norm_eval(X, rm, rv, g, b, eps)}
        out = {"output": definitions.batch_norm(X, g, b, eps),
               "running_mean": definitions.running_update(rm, _column_means(np, X), m)}
        if len(X) > 1:
            out["running_var"] = definitions.running_update(rv, _column_variances_unbiased(np, X), m)
        return out


# numpy's mean and var run some twenty lines of Python around their two or three ufunc
# calls (~10 µs on a 3×4 batch); these are those calls, in the same order (tests: the same
# floats bit for bit).
def _column_means(np, X):
    """X.mean(axis=0): the column sums divided by the count."""
    return np.add.reduce(X, axis=0) / len(X)


def _column_variances_unbiased(np, X):
    """X.var(axis=0, ddof=1): squared deviations from the column means, summed, over N − 1."""
    d = X - np.add.reduce(X, axis=0, keepdims=True) / len(X)
    return np.add.reduce(d * d, axis=0) / (len(X) - 1)


def torch_reference(p: BatchNormParams) -> dict:
    """torch.nn.BatchNorm1d in float64 (train or eval), with the same ε and momentum."""
    import torch

    X, g, b, eps, rm, rv, m = _arrays(p)
    if p.mode == "train" and len(X) == 1:
        return {"_note": "torch refuses BatchNorm training with one value per channel"}
    note = ""
    layer_eps = eps
    if eps == 0:  # torch ≥ 2.11 refuses ε = 0 ("batch_norm eps must be positive"), in eval mode too
        layer_eps, note = 1e-300, "run with ε = 1e-300: recent torch refuses ε = 0"
    layer = torch.nn.BatchNorm1d(X.shape[1], eps=layer_eps, momentum=m, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(g))
        layer.bias.copy_(torch.from_numpy(b))
        layer.running_mean.copy_(torch.from_numpy(rm))
        layer.running_var.copy_(torch.from_numpy(rv))
        layer.train(p.mode == "train")
        out = {"output": layer(torch.from_numpy(X)).numpy()}
    if p.mode == "train":
        out["running_mean"] = layer.running_mean.numpy()
        out["running_var"] = layer.running_var.numpy()
    if note:
        out["_note"] = note
    return out


def evaluate(p: BatchNormParams, b) -> dict:
    """The definitions on backend b (`derive.backends`), running statistics included, for the oracle."""
    X, g, beta, eps = b.asarray(p.X), b.asarray(p.gamma), b.asarray(p.beta), b.scalar(p.eps)
    rm, rv, m, n = b.asarray(p.running_mean), b.asarray(p.running_var), b.scalar(p.momentum), len(p.X)
    if p.mode == "eval":
        return {"output": definitions.batch_norm_eval(X, rm, rv, g, beta, eps)}
    out = {"output": definitions.batch_norm(X, g, beta, eps),
           "running_mean": definitions.running_update(rm, definitions.mu(X, 0), m)}
    if n > 1:  # PyTorch's running variance uses the unbiased batch variance, N/(N − 1)·σ²
        out["running_var"] = definitions.running_update(rv, definitions.Var(X, 0) * b.scalar(Fraction(n, n - 1)), m)
    return out


def torch_layer(p: BatchNormParams, b) -> dict:
    """torch.nn.BatchNorm1d (train or eval) at backend b's dtype and device, for the oracle."""
    torch = b.module
    if p.mode == "train" and len(p.X) == 1:
        return {"_note": "torch refuses BatchNorm training with one value per channel"}
    eps = b.scalar(p.eps)
    note = "run with ε = 1e-300: recent torch refuses ε = 0" if eps == 0 and p.mode == "train" else ""
    layer = torch.nn.BatchNorm1d(len(p.X[0]), eps=eps or (1e-300 if note else 0.0), momentum=b.scalar(p.momentum),
                                 device=b.device, dtype=b.native)
    with torch.no_grad():
        for name, value in (("weight", p.gamma), ("bias", p.beta), ("running_mean", p.running_mean),
                            ("running_var", p.running_var)):
            getattr(layer, name).copy_(b.asarray(value))
        layer.train(p.mode == "train")
        out = {"output": layer(b.asarray(p.X)), "_source": "torch.nn.BatchNorm1d", "_note": note}
    if p.mode == "train":
        out.update(running_mean=layer.running_mean, running_var=layer.running_var)
    return out


MISTAKE_MESSAGES = {
    "wrong_axis": ("Normalized each row (one example's features) instead of each column; BatchNorm "
                   "normalizes each feature across the batch.", "Statistics"),
    "unbiased_variance": ("Normalized with the unbiased variance (divide by N − 1); BatchNorm normalizes "
                          "with the population variance (divide by N).", "Statistics"),
    "divided_by_variance": ("Divided by σ² + ε instead of its square root √(σ² + ε).", "Normalize"),
    "forgot_gamma": ("Forgot to multiply by γ.", "Scale and shift"),
    "forgot_beta": ("Forgot to add β.", "Scale and shift"),
    "gamma_beta_order": ("Added β before multiplying by γ; the order is x̂ ⊙ γ + β.", "Scale and shift"),
    "rounded_intermediates": ("Rounded x̂ to 2 decimals before scaling by γ; round only the final answer.",
                              "Scale and shift"),
    "not_normalized": ("Skipped the normalization: applied γ and β to X itself.", "Normalize"),
    "centered_not_scaled": ("Subtracted the mean but did not divide by √(σ² + ε).", "Normalize"),
    "eps_convention": ("Used the wrong ε: either left out the problem's ε or added PyTorch's default "
                       "1e-5 where the problem says ε = 0.", "Normalize"),
    "used_batch_statistics": ("Used the batch's own mean and variance; in eval mode BatchNorm uses the "
                              "running statistics.", "Running statistics"),
    "running_var_biased": ("Updated the running variance with the biased variance; PyTorch uses the "
                           "unbiased (N − 1) batch variance for the running estimate.", "Running statistics update"),
}


def mistakes(p: BatchNormParams) -> tuple[MistakeAnswer, ...]:
    cols = transpose(p.X)
    n = len(p.X)
    found = {}
    if p.mode == "train":
        variants = mistake_variants(cols, lambda j: (p.gamma[j],) * n, lambda j: (p.beta[j],) * n, p.eps)
        found = {k: {"output": tuple(tuple(r) for r in transpose(v))} for k, v in variants.items()}
        if len(p.X[0]) > 1:
            found["wrong_axis"] = {"output": tuple(affine(normalize(moments(r), p.eps), p.gamma, p.beta)
                                                   for r in p.X)}
        stats = [moments(c) for c in cols]
        if n > 1:
            m = p.momentum
            found["running_var_biased"] = {"running_var": tuple((1 - m) * r + m * s.var
                                                                for r, s in zip(p.running_var, stats))}
    else:
        train_out = solve(BatchNormParams(p.X, p.gamma, p.beta, p.eps, "train", p.running_mean, p.running_var,
                                          p.momentum))
        found["used_batch_statistics"] = {"output": train_out.results[0].value}
    return tuple(
        MistakeAnswer(name, MISTAKE_MESSAGES[name][0], results, MISTAKE_MESSAGES[name][1])
        for name, results in found.items()
        if not any(isinstance(v, Undefined) for value in results.values() for r in value
                   for v in (r if isinstance(r, tuple) else (r,)))
    )


def generate(rng: random.Random, difficulty: str = "hard") -> BatchNormParams:
    """A seeded training-mode variant shaped like the seed (batch 3 × 4 features).

    Easy and medium variants use a batch of 4: three integers never have a rational
    standard deviation (it would need x² + xy + y² = 6m², which only 0 solves).
    """
    batch = 3 if difficulty == "hard" else 4
    for _ in range(100):
        cols = nice_vectors(rng, 4, batch, difficulty)
        gamma, beta = small_affine(rng, 4)
        p = BatchNormParams(tuple(zip(*cols)), gamma, beta, _ZERO)
        if solution_level(solve(p).results[0].value) == difficulty:
            return p
    raise InputError("difficulty", f"could not build a {difficulty} BatchNorm variant")


KIND = Kind(
    name="batchnorm",
    title="Batch normalization",
    params=BatchNormParams,
    solve=solve,
    reference=reference,
    torch_reference=torch_reference,
    mistakes=mistakes,
    generate=generate,
    template="batchnorm.tex.j2",
)
