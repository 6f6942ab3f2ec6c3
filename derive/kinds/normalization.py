"""Exact normalization of one vector, shared by LayerNorm (rows) and BatchNorm (columns).

Also the wrong methods students use (unbiased variance, dividing by the variance,
rounding x̂ early…), because the checker diagnoses a wrong answer by recomputing it
with each of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from fractions import Fraction

from ..exact import _ZERO, Surd, _new, inv_sqrt, round_decimal, sqrt_rational
from ..forms import Add, Div, Mul, Pow, Sqrt, Sub, Sym, Vec, Words
from ..model import Relation

__all__ = [
    "Undefined", "Moments", "moments", "normalize", "normalize_affine", "affine", "transpose",
    "statistics_relations", "normalize_relation", "affine_relation", "mistake_variants",
    "MAX_DETAILED",
]

# nn.LayerNorm / nn.BatchNorm1d's default ε, which students sometimes add unasked.
PYTORCH_DEFAULT_EPS = Fraction(1, 100000)

# Beyond this many rows/columns a solution details the first few and summarizes the rest.
MAX_DETAILED = 8


@dataclass(frozen=True)
class Undefined:
    """An entry with no value: the formula divides by zero.  Printed as "undefined"."""

    reason: str

    def __str__(self):
        return "undefined"


@dataclass(frozen=True)
class Moments:
    """Mean and variances of one vector, with the deviations that produced them."""

    values: tuple[Fraction, ...]
    mean: Fraction
    var: Fraction                      # biased: divide by N
    var_unbiased: Fraction | None      # divide by N − 1; None when N = 1

    @cached_property
    def deviations(self) -> tuple[Fraction, ...]:
        return tuple(v - self.mean for v in self.values)


def moments(values) -> Moments:
    """Two-pass mean and variance, exactly (`statistics` does the same for the same reason).

    Integer inputs stay in integers: with S = Σx, σ² = Σ(n·x − S)²/n³, one Fraction
    per vector instead of one per entry.
    """
    n = len(values)
    if all(v.denominator == 1 for v in values):
        total = sum(v.numerator for v in values)
        ss = sum((n * v.numerator - total) ** 2 for v in values)  # = n²·Σ(x − μ)²
        return Moments(tuple(values), Fraction(total, n), Fraction(ss, n**3),
                       Fraction(ss, n * n * (n - 1)) if n > 1 else None)
    mean = sum(values, Fraction(0)) / n
    ss = sum(((v - mean) ** 2 for v in values), Fraction(0))
    return Moments(tuple(values), mean, ss / n, ss / (n - 1) if n > 1 else None)


def _undefined_row(n: int):
    why = "σ² + ε = 0, so x̂ divides by √0 (division by zero)"
    return tuple(Undefined(why) for _ in range(n))


def normalize(m: Moments, eps: Fraction, *, var: Fraction | None = None, use_std: bool = True):
    """x̂ = (x − μ)/√(σ² + ε) exactly; Undefined entries when σ² + ε = 0."""
    v = (m.var if var is None else var) + eps
    if v == 0:
        return _undefined_row(len(m.values))
    scale = inv_sqrt(v) if use_std else Surd(1 / v)
    return tuple(scale * d for d in m.deviations)  # Surd * rational: the fast path


def normalize_affine(m: Moments, eps: Fraction, gamma, beta):
    """x̂ ⊙ γ + β in one pass: each entry is β + γ·(x − μ)·k·√r with 1/√(σ² + ε) = k√r.

    The same values as `affine(normalize(...))`, built with one Fraction per entry,
    which is what makes a 64×768 LayerNorm fast.
    """
    v = m.var + eps
    if v == 0:
        return _undefined_row(len(m.values))
    k = inv_sqrt(v)
    coeff, r = (k.c, k.r) if k.c else (k.b, 1)
    mean = m.mean
    n_mean, d_mean = mean.numerator, mean.denominator
    out = []
    for x, g, b in zip(m.values, gamma, beta):
        # (x − μ)·γ·coeff with x = p/q: ((p·d_mean − n_mean·q)·γ·coeff) / (q·d_mean)
        num = (x.numerator * d_mean - n_mean * x.denominator) * g.numerator * coeff.numerator
        den = x.denominator * d_mean * g.denominator * coeff.denominator
        c = Fraction(num, den)
        out.append(_new(b, _ZERO, 1) if not c else _new(b, c, r) if r != 1 else _new(b + c, _ZERO, 1))
    return tuple(out)


def affine(xhat, gamma, beta):
    """x̂ ⊙ γ + β entrywise (Undefined stays Undefined)."""
    return tuple(x if isinstance(x, Undefined) else x * g + b for x, g, b in zip(xhat, gamma, beta))


def transpose(rows):
    return tuple(zip(*rows))


# -- display ----------------------------------------------------------------------
def _sum_over_n(terms, n):
    return Div(Add(tuple(terms)), n)


def statistics_relations(m: Moments, mu_sym: Sym, var_sym: Sym) -> tuple[Relation, ...]:
    """μ = (x₁ + … + xₙ)/n = μ and σ² = ((x₁−μ)² + …)/n = σ²."""
    n = len(m.values)
    return (
        Relation(mu_sym, (_sum_over_n(m.values, n), m.mean)),
        Relation(var_sym, (_sum_over_n((Pow(d, 2) for d in m.deviations), n), m.var)),
    )


def normalize_relation(m: Moments, mean_shown, var_shown, eps: Fraction, lhs: Sym, xhat) -> Relation:
    """x̂ = (x − μ)/√(σ² + ε) = [deviations]/√v = [x̂]."""
    v = var_shown + eps
    radicand = Add((var_shown, eps)) if eps else var_shown
    forms = [Div(Sub(Vec(m.values), mean_shown), Sqrt(radicand))]
    if v == 0:
        forms.append(Div(Vec(tuple(x - mean_shown for x in m.values)), Sqrt(0)))
        forms.append(Words("undefined (division by zero)"))
        return Relation(lhs, tuple(forms), approx=False)
    root = sqrt_rational(v)
    forms.append(Div(Vec(tuple(x - mean_shown for x in m.values)), root))
    forms.append(Vec(xhat))
    return Relation(lhs, tuple(forms))


def affine_relation(lhs: Sym, xhat, gamma, beta, out) -> Relation:
    """x̂ ⊙ γ + β = [x̂ᵢγᵢ] + β = [result]."""
    if any(isinstance(x, Undefined) for x in xhat):
        return Relation(lhs, (Add((Mul(Vec(xhat), Vec(gamma), "hadamard"), Vec(beta))),
                              Words("undefined")), approx=False)
    scaled = tuple(x * g for x, g in zip(xhat, gamma))
    return Relation(lhs, (
        Add((Mul(Vec(xhat), Vec(gamma), "hadamard"), Vec(beta))),
        Add((Vec(scaled), Vec(beta))),
        Vec(out),
    ))


# -- wrong methods, for diagnosis ---------------------------------------------------
def _rounded(x, places=2):
    return x if isinstance(x, Undefined) else Fraction(round_decimal(x, places))


def mistake_variants(vectors, gamma_of, beta_of, eps):
    """Each known wrong method applied to the vectors being normalized.

    `gamma_of(i)`/`beta_of(i)` give the scale and shift for vector i as per-entry tuples.
    Returns {mistake name: list of output vectors}; a method that is undefined here is left out.
    """
    out = {}

    def run(name, fn):
        try:
            out[name] = [fn(i, moments(v)) for i, v in enumerate(vectors)]
        except (ZeroDivisionError, TypeError, ValueError):
            pass

    def unbiased(i, m):
        if m.var_unbiased is None:
            raise ZeroDivisionError
        return affine(normalize(m, eps, var=m.var_unbiased), gamma_of(i), beta_of(i))

    def by_variance(i, m):
        return affine(normalize(m, eps, use_std=False), gamma_of(i), beta_of(i))

    def no_gamma(i, m):
        return affine(normalize(m, eps), (1,) * len(m.values), beta_of(i))

    def no_beta(i, m):
        return affine(normalize(m, eps), gamma_of(i), (0,) * len(m.values))

    def swapped_order(i, m):  # (x̂ + β) ⊙ γ
        return tuple(x if isinstance(x, Undefined) else (x + b) * g
                     for x, g, b in zip(normalize(m, eps), gamma_of(i), beta_of(i)))

    def rounded_xhat(i, m):  # the seed's own slip: x̂ rounded to 2 decimals, then scaled
        return affine(tuple(_rounded(x) for x in normalize(m, eps)), gamma_of(i), beta_of(i))

    def no_normalize(i, m):
        return affine(tuple(Surd(v) for v in m.values), gamma_of(i), beta_of(i))

    def centered_only(i, m):
        return affine(tuple(Surd(d) for d in m.deviations), gamma_of(i), beta_of(i))

    run("unbiased_variance", unbiased)
    run("divided_by_variance", by_variance)
    run("forgot_gamma", no_gamma)
    run("forgot_beta", no_beta)
    run("gamma_beta_order", swapped_order)
    run("rounded_intermediates", rounded_xhat)
    run("not_normalized", no_normalize)
    run("centered_not_scaled", centered_only)
    # The ε convention: dropping the problem's ε, or adding PyTorch's default 1e-5 to ε = 0.
    other_eps = Fraction(0) if eps else PYTORCH_DEFAULT_EPS
    run("eps_convention", lambda i, m: affine(normalize(m, other_eps), gamma_of(i), beta_of(i)))
    return out
