"""Exact normalization of one vector, shared by LayerNorm (rows) and BatchNorm (columns).

Also the wrong methods students use (unbiased variance, dividing by the variance,
rounding x̂ early…), because the checker diagnoses a wrong answer by recomputing it
with each of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd

from ..exact import _ZERO, Surd, _new, inv_sqrt_parts, rational, round_decimal, sqrt_rational
from ..forms import Add, Div, Mul, Pow, Sqrt, Sub, Sym, Vec, Words
from ..model import Relation

__all__ = [
    "Undefined", "Moments", "moments", "moments_about", "normalize", "normalize_shown", "normalize_affine",
    "affine", "transpose", "statistics_relations", "normalize_relation", "affine_relation", "mistake_variants",
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


class _computed_once:
    """functools.cached_property without its lock (Python 3.11's takes an RLock on every
    first read, ~1 µs; a solve reads the deviations of each vector it writes out): the value
    goes into the instance __dict__, which later reads find first."""

    def __init__(self, fn):
        self.fn, self.name, self.__doc__ = fn, fn.__name__, fn.__doc__

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


@dataclass(frozen=True)
class Moments:
    """Mean and variances of one vector, with its deviations kept as integers.

    x − μ = centered[i] / scale: one common denominator per vector, so the solve
    builds a Fraction only for what it shows, never for intermediate sums.
    """

    values: tuple[Fraction, ...]
    mean: Fraction
    var: Fraction                      # biased: divide by N
    var_unbiased: Fraction | None      # divide by N − 1; None when N = 1
    centered: tuple[int, ...]          # scale·(x − μ), integers
    scale: int

    def __init__(self, values, mean, var, var_unbiased, centered, scale):
        # written out, as derive.forms' are: the generated frozen __init__ calls
        # object.__setattr__ per field, and a variant makes a dozen of these
        d = self.__dict__
        d["values"] = values
        d["mean"] = mean
        d["var"] = var
        d["var_unbiased"] = var_unbiased
        d["centered"] = centered
        d["scale"] = scale

    @_computed_once
    def deviations(self) -> tuple[Fraction, ...]:
        s = self.scale
        return tuple([rational(e, s) for e in self.centered])


def _over_common_denominator(values) -> tuple[list[int], int]:
    """Integers a and D with x = a/D for every entry (D = 1 for integer vectors)."""
    parts = [(v._numerator, v._denominator) if type(v) is Fraction else (v.numerator, v.denominator)
             for v in values]  # a Fraction's slots: `numerator` is a Python property (see derive.exact)
    D = 1
    for _, d in parts:
        if D % d:
            D = D // gcd(D, d) * d
    if D == 1:
        return [n for n, _ in parts], 1
    return [n * (D // d) for n, d in parts], D


def moments(values) -> Moments:
    """Two-pass mean and variance, exactly (`statistics` does the same for the same reason).

    Over a common denominator (x = a/D, S = Σa) the deviations are the integers
    n·a − S over n·D, so σ² = Σ(n·a − S)²/(n³D²): one Fraction per statistic, not per entry.
    """
    n = len(values)
    a, D = _over_common_denominator(values)
    total = sum(a)
    centered = tuple([n * x - total for x in a])  # lists, not generators: no resume per entry
    ss = sum([e * e for e in centered])  # = (n·D)²·Σ(x − μ)²
    scale = n * D
    return Moments(tuple(values), rational(total, scale), rational(ss, n * scale * scale),
                   rational(ss, (n - 1) * scale * scale) if n > 1 else None, centered, scale)


def moments_about(values, mean: Fraction, var: Fraction) -> Moments:
    """Given statistics (BatchNorm's running mean and variance) instead of the vector's own."""
    a, D = _over_common_denominator(values)
    p, q = mean.numerator, mean.denominator
    return Moments(tuple(values), mean, var, None, tuple(x * q - p * D for x in a), D * q)


def _undefined_row(n: int):
    why = "σ² + ε = 0, so x̂ divides by √0 (division by zero)"
    return tuple(Undefined(why) for _ in range(n))


def _inv_root(m: Moments, eps: Fraction, var: Fraction | None = None):
    """(c, r) with 1/√(σ² + ε) = c·√r (r = 1 when it is rational), or None when σ² + ε = 0."""
    v = m.var if var is None else var
    if eps:
        v += eps
    return inv_sqrt_parts(v) if v else None


def _surds(coeffs, r: int):
    """c·√r for each rational c (just c when r = 1)."""
    if r == 1:
        return tuple([_new(c, _ZERO, 1) for c in coeffs])
    return tuple([_new(_ZERO, c, r) for c in coeffs])


def normalize(m: Moments, eps: Fraction, *, var: Fraction | None = None, use_std: bool = True):
    """x̂ = (x − μ)/√(σ² + ε) exactly; Undefined entries when σ² + ε = 0."""
    if use_std:
        root = _inv_root(m, eps, var)
        if root is None:
            return _undefined_row(len(m.values))
        c, r = root
    else:  # the "divided by the variance" mistake: a rational scale
        v = (m.var if var is None else var) + eps
        if v == 0:
            return _undefined_row(len(m.values))
        c, r = 1 / v, 1
    num, den = c._numerator, c._denominator * m.scale  # c: a Fraction either way
    return _surds((rational(e * num, den) for e in m.centered), r)


def normalize_shown(m: Moments, eps: Fraction, gamma, beta):
    """(x̂, x̂ ⊙ γ, x̂ ⊙ γ + β) for a vector the solution writes out, each entry built once.

    With 1/√(σ² + ε) = c√r, x̂ᵢ = (eᵢ·c/scale)·√r and x̂ᵢγᵢ = (eᵢ·c·γᵢ/scale)·√r:
    one Fraction each, straight from integers.  Undefined rows come back as (undefined, None, undefined).
    """
    root = _inv_root(m, eps)
    if root is None:
        row = _undefined_row(len(m.values))
        return row, None, row
    c, r = root
    num, den = c._numerator, c._denominator * m.scale
    xhat_c = [rational(e * num, den) for e in m.centered]
    scaled_c = _scaled(m, c, gamma)
    return _surds(xhat_c, r), _surds(scaled_c, r), _shifted(scaled_c, beta, r)


def normalize_affine(m: Moments, eps: Fraction, gamma, beta):
    """x̂ ⊙ γ + β in one pass: each entry is β + γ·(x − μ)·c·√r with 1/√(σ² + ε) = c√r.

    The same values as `affine(normalize(...))`, built with one Fraction per entry,
    which is what makes a 64×768 LayerNorm fast.
    """
    root = _inv_root(m, eps)
    if root is None:
        return _undefined_row(len(m.values))
    c, r = root
    return _shifted(_scaled(m, c, gamma), beta, r)


def _scaled(m: Moments, c: Fraction, gamma) -> list[Fraction]:
    """The rational factors of x̂ᵢγᵢ = (eᵢ·c·γᵢ/scale)·√r, one Fraction each from integers."""
    num, den = c._numerator, c._denominator * m.scale  # c from `inv_sqrt_parts` or 1/v: a Fraction
    return [rational(e * num * g._numerator, den * g._denominator) if type(g) is Fraction
            else rational(e * num * g.numerator, den * g.denominator) for e, g in zip(m.centered, gamma)]


def _shifted(scaled_c, beta, r: int) -> tuple:
    """βᵢ + sᵢ·√r for each rational factor sᵢ (a rational when r = 1)."""
    if r == 1:
        return tuple([_new(_plus(b, s), _ZERO, 1) for s, b in zip(scaled_c, beta)])
    return tuple([_new(b, s, r) for s, b in zip(scaled_c, beta)])


def _plus(a, b):
    """a + b; for two Fractions one Fraction from their integers (Fraction.__add__ reads the
    numerator properties and builds through Fraction.__new__: several times the work)."""
    if type(a) is Fraction and type(b) is Fraction:
        return rational(a._numerator * b._denominator + b._numerator * a._denominator,
                        a._denominator * b._denominator)
    return a + b


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
        Relation(var_sym, (_sum_over_n([Pow(d, 2) for d in m.deviations], n), m.var)),
    )


def normalize_relation(m: Moments, eps: Fraction, lhs: Sym, xhat) -> Relation:
    """x̂ = (x − μ)/√(σ² + ε) = [deviations]/√v = [x̂], with m's mean and variance (the vector's
    own, or BatchNorm's running statistics: `moments_about`)."""
    v = m.var + eps if eps else m.var
    radicand = Add((m.var, eps)) if eps else m.var
    forms = [Div(Sub(Vec(m.values), m.mean), Sqrt(radicand))]
    centered = Vec(m.deviations)
    if v == 0:
        forms.append(Div(centered, Sqrt(0)))
        forms.append(Words("undefined (division by zero)"))
        return Relation(lhs, tuple(forms), approx=False)
    root = sqrt_rational(v)
    forms.append(Div(centered, root))
    forms.append(Vec(xhat))
    return Relation(lhs, tuple(forms))


def affine_relation(lhs: Sym, xhat, gamma, beta, out, scaled=None) -> Relation:
    """x̂ ⊙ γ + β = [x̂ᵢγᵢ] + β = [result]; `scaled` is x̂ ⊙ γ when already computed."""
    if any(isinstance(x, Undefined) for x in xhat):
        return Relation(lhs, (Add((Mul(Vec(xhat), Vec(gamma), "hadamard"), Vec(beta))),
                              Words("undefined")), approx=False)
    if scaled is None:
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
