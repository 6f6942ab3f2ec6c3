"""Dropout on a dot product: y_drop (no correction), y_corr (inverted dropout), y_orig.

The mask m is given (`mask`, 1 = kept, or `dropped` indices) or sampled from a seed.
With m_i ~ Bernoulli(1 − p) independent, linearity of expectation gives
E[y_corr] = y_orig and E[y_drop] = (1 − p)·y_orig; the solution derives both in SymPy
with p kept as a symbol, then substitutes the given p.

>>> from derive.params import build
>>> sol = solve(build(DropoutParams, {"x": [2, 6, 4, 4, 5, 3, 4, 4], "p": "0.75",
...                                   "dropped": [0, 1, 2, 3, 4, 5]}))
>>> [(r.name, r.value) for r in sol.results[:3]]
[('y_drop', Fraction(8, 1)), ('y_corr', Fraction(32, 1)), ('y_orig', Fraction(32, 1))]
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import sympy

from .. import definitions
from ..errors import InputError
from ..exact import _ZERO, approx_relation, floats, products, rational, to_float, total
from ..forms import Add, Call, Div, Mul, Pow, Sub, Sym, Vec, Words
from ..model import Check, Formula, Prose, Relation, Result, Solution, Step, prose
from ..params import build
from ..registry import Kind, MistakeAnswer
from .dropout_params import DropoutParams, below, drop_probability, sample_mask
from .normalization import Undefined
from .sampling import randints

__all__ = ["DropoutParams", "solve", "reference", "torch_reference", "evaluate", "mistakes", "generate",
           "expectations", "verify_identities", "monte_carlo", "drop_probability", "sample_mask", "KIND",
           "MC_SAMPLES", "MC_SIGMAS"]

# The Monte Carlo check: this many seeded masks, and the estimate must land within
# MC_SIGMAS standard errors of the exact E[y_corr] (a false alarm has probability ~6e-5).
# The masks are exact Bernoulli draws (uniform integers, see `_kept`); 10,000 of them give
# SE ≈ 0.6 % of E[y_corr] on the seed, 4 SE ≈ 2.5 %: ample to catch a wrong expectation
# (the known wrong ones are off by a factor such as 1 − p or p/(1 − p)).
MC_SAMPLES = 10_000
MC_SIGMAS = 4
MC_SEED = 20240601
_MC_MAX_DRAWS = 20_000_000   # samples × units, so a long x stays quick
_SYMBOLIC_UNITS = 32          # the identities are re-derived with symbolic wᵢxᵢ up to this many units


# -- the exact path -----------------------------------------------------------------
@dataclass(frozen=True)
class Expectations:
    """The expectation argument, in SymPy: general identities in the symbol, and the values."""

    symbol: sympy.Symbol            # p (drop convention) or q (keep convention)
    keep: sympy.Expr                # P(m_i = 1) in terms of the symbol: 1 − p, or q
    drop: sympy.Expr                # P(m_i = 0)
    E_m: sympy.Expr
    Var_m: sympy.Expr
    E_y_drop: sympy.Expr            # as functions of the symbol, for this x and w
    E_y_corr: sympy.Expr
    Var_y_corr: sympy.Expr


def expectations(a, convention: str = "drop", symbolic_terms: bool = False) -> Expectations:
    """E[y_drop], E[y_corr] and Var[y_corr] for y = Σ a_i m_i (·1/P(keep)), m_i ~ Bernoulli(keep).

    Computed, not assumed: E[m_i] and E[m_i²] from the two outcomes of m_i, then
    linearity of expectation (and independence for the variance).  With
    `symbolic_terms` the a_i are symbols too, which makes the results identities.

    >>> e = expectations([2, 6, 4, 4, 5, 3, 4, 4])
    >>> e.E_y_corr, e.E_y_drop, e.Var_y_corr
    (32, 32 - 32*p, 138*p/(1 - p))
    """
    if not symbolic_terms:
        return _substituted(len(a), sum(a, Fraction(0)), sum((v * v for v in a), Fraction(0)), convention)
    s = sympy.Symbol("p" if convention == "drop" else "q", nonnegative=True)
    keep, drop = (1 - s, s) if convention == "drop" else (s, 1 - s)
    one, zero = sympy.Integer(1), sympy.Integer(0)
    E_m = one * keep + zero * drop                 # Σ over outcomes: value × probability
    E_m2 = one**2 * keep + zero**2 * drop
    Var_m = sympy.Mul(drop, keep)                  # the closed form of E[m²] − E[m]², checked:
    if sympy.expand(E_m2 - E_m**2 - Var_m) != 0:
        raise RuntimeError("internal: Var[m] is not p(1 − p)")
    terms = sympy.symbols(f"a1:{len(a) + 1}") if symbolic_terms else [_sym(v) for v in a]
    # Linearity: E[Σ aᵢmᵢ] = Σ aᵢE[mᵢ]; independence: Var[Σ aᵢmᵢ] = Σ aᵢ²Var[mᵢ].  Then the
    # sums are simplified (expand / cancel / together), which is where (1 − p)/(1 − p) goes.
    E_drop = sympy.expand(sympy.Add(*[t * E_m for t in terms]))
    E_corr = sympy.cancel(sympy.Add(*[t * E_m / keep for t in terms]))
    Var_corr = sympy.together(sympy.Add(*[t**2 * Var_m / keep**2 for t in terms]))
    return Expectations(s, keep, drop, E_m, Var_m, E_drop, E_corr, Var_corr)


@lru_cache(maxsize=64)
def verify_identities(n: int, convention: str = "drop") -> Expectations:
    """The expectations with the n products wᵢxᵢ as symbols a₁…aₙ, checked against the closed
    forms the solution displays: E[y_drop] = P(keep)·Σaᵢ, E[y_corr] = Σaᵢ,
    Var[y_corr] = P(drop)/P(keep)·Σaᵢ².  Raises if SymPy disagrees (the display would be wrong).

    >>> verify_identities(3).E_y_corr
    a1 + a2 + a3
    """
    g = expectations([0] * n, convention, symbolic_terms=True)
    terms = sympy.symbols(f"a1:{n + 1}")
    A, A2 = sympy.Add(*terms), sympy.Add(*[t**2 for t in terms])
    for got, want in ((g.E_y_corr, A), (g.E_y_drop, g.keep * A), (g.Var_y_corr, g.drop / g.keep * A2),
                      (g.Var_m, g.drop * g.keep)):
        if sympy.cancel(got - want) != 0:
            raise RuntimeError(f"internal: expectation identity failed: {got} != {want}")
    return g


def _substituted(n: int, total: Fraction, total_sq: Fraction, convention: str) -> Expectations:
    """The expectations for these numbers, from the identities instead of a fresh derivation.

    `verify_identities` derives them with the aᵢ as symbols (once per n, cached) and checks
    that they depend on the aᵢ only through Σaᵢ and Σaᵢ²; so the one-unit forms with a₁ := Σaᵢ
    (and a₁² := Σaᵢ²) are the same expressions, and substituting two numbers into them is
    cheap where substituting n into the n-unit forms and re-factoring was not (~1 ms).
    Tests check the two routes give identical SymPy trees.
    """
    if n <= _SYMBOLIC_UNITS:
        verify_identities(n, convention)
    return _substituted_sums(total, total_sq, convention)


def _substituted_sums(total: Fraction, total_sq: Fraction, convention: str) -> Expectations:
    """`_substituted` once n is checked, from the two substitutions, each kept on its own."""
    g = verify_identities(1, convention)
    return Expectations(g.symbol, g.keep, g.drop, g.E_m, g.Var_m, _E_drop_at(total, convention), _sym(total),
                        _Var_corr_at(total_sq, convention))


# SymPy trees are immutable and variants repeat sums.  E[y_drop] depends on Σaᵢ only and
# Var[y_corr] on Σaᵢ² only, so each is kept by its own sum: a pair (Σaᵢ, Σaᵢ²) seldom
# recurs, each sum alone often does (a SymPy substitution costs ~0.15 ms).
@lru_cache(maxsize=512)
def _E_drop_at(total: Fraction, convention: str):
    """The one-unit E[y_drop] with a₁ := Σaᵢ."""
    g = verify_identities(1, convention)
    return g.E_y_drop.xreplace({g.E_y_corr: _sym(total)})  # the one-unit E[y_corr] is the symbol a₁


@lru_cache(maxsize=512)
def _Var_corr_at(total_sq: Fraction, convention: str):
    """The one-unit Var[y_corr] with a₁² := Σaᵢ².

    Σaᵢ² is seldom repeated, and SymPy's substitution spends ~0.15 ms re-deducing the
    assumptions of a product it already knows: for Σaᵢ² > 0, ≠ 1 the result is that
    number times the other factors, in the order `_var_factors` found by substituting once.
    """
    value = _sym(total_sq)
    if total_sq > 0 and total_sq != 1:
        return sympy.Mul._from_args((value, *_var_factors(convention)))
    g = verify_identities(1, convention)
    return g.Var_y_corr.xreplace({g.E_y_corr**2: value})


@lru_cache(maxsize=2)
def _var_factors(convention: str) -> tuple:
    """The factors after the coefficient in Var[y_corr] with a₁² := a positive number ≠ 1."""
    g = verify_identities(1, convention)
    probe = sympy.Rational(7919, 7)  # any positive rational other than 1: only its place matters
    out = g.Var_y_corr.xreplace({g.E_y_corr**2: probe})
    if not (out.is_Mul and out.args[0] == probe and not any(a.has(probe) for a in out.args[1:])):
        raise RuntimeError(f"internal: unexpected form of Var[y_corr]: {sympy.srepr(out)}")
    return out.args[1:]


@lru_cache(maxsize=64)
def _unit_values(convention: str, given: Fraction):
    """E[y_drop], E[y_corr] and Var[y_corr] at p = given for Σaᵢ = 1 (Σaᵢ² = 1 for the variance).

    The one-unit forms are linear in a₁ (a₁² for the variance), so the values for this
    problem are these times Σaᵢ (Σaᵢ²): one substitution per p and process instead of
    three per problem.  None at a pole (P(keep) = 0).
    """
    g = verify_identities(1, convention)
    a1 = g.E_y_corr
    one = {a1: sympy.Integer(1)}
    return (_at(g.E_y_drop.xreplace(one), g.symbol, given), _at(g.E_y_corr.xreplace(one), g.symbol, given),
            _at(g.Var_y_corr.xreplace({a1**2: sympy.Integer(1)}), g.symbol, given))


def _sym(v):
    return _sympy_rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sympy.Integer(v)


@lru_cache(maxsize=1024)
def _sympy_rational(n: int, d: int):
    """sympy.Rational(n, d), kept by its two integers: SymPy's own cache hashes its arguments
    through a Python wrapper, and a solve asks for p, 1 − p and its sums again and again."""
    return sympy.Rational(n, d)


def _frac(x) -> Fraction:
    return Fraction(int(x.p), int(x.q))


def _at(expr, symbol, value):
    """expr at symbol = value, exactly (a rational function at a rational point); None at a pole."""
    out = expr.xreplace({symbol: _sym(value)})  # numbers evaluate on substitution
    if not out.is_Rational:  # a pole, or a form that needs cancelling first: the general route
        out = sympy.cancel(expr).subs(symbol, _sym(value))
    if out.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return None
    if not out.is_Rational:
        raise RuntimeError(f"internal: {expr} at {symbol} = {value} is not rational: {out}")
    return _frac(out)


Y_DROP = Sym("y_drop", r"y_{\text{drop}}")
Y_CORR = Sym("y_corr", r"y_{\text{corr}}")
Y_ORIG = Sym("y_orig", r"y_{\text{orig}}")
X_DROP = Sym("x_drop", r"x_{\text{drop}}")
X_CORR = Sym("x_corr", r"x_{\text{corr}}")
M = Sym("m", "m")


@lru_cache(maxsize=32)
def _E(x):
    return Call(Sym("E", r"\mathbb{E}"), (x,), "[]")


@lru_cache(maxsize=32)
def _Var(x):
    return Call(Sym("Var", r"\operatorname{Var}"), (x,), "[]")


def _over(q: Fraction, keep: Fraction) -> Fraction:
    """q / keep for keep > 0, as one Fraction from integers (`Fraction.__truediv__` dispatches
    through its operator fallbacks first; a solve divides some 16 entries).  Fractions' slots
    where both are Fractions: `numerator` is a Python property (see derive.exact)."""
    if type(q) is Fraction and type(keep) is Fraction:
        return rational(q._numerator * keep._denominator, q._denominator * keep._numerator)
    return rational(q.numerator * keep.denominator, q.denominator * keep.numerator)


def _dot(v: Sym):
    return Mul(Sym("w", "w"), v)


def solve(p: DropoutParams) -> Solution:
    x, w, m = p.x, p.w, p.mask
    n = len(x)
    drop = drop_probability(p)
    keep = 1 - drop
    a = products(w, x)
    y_orig = total(a)
    y_drop = total(ai for ai, mi in zip(a, m) if mi)
    y_corr = y_drop / keep if keep else Undefined("1/(1 − p) divides by zero: p = 1 drops every unit")
    # How the scale 1/(1 − p) is written: with the problem's own p (or q in keep wording).
    given = p.p
    scale_form = Div(1, Sub(1, given)) if p.convention == "drop" else Div(1, given)
    scale_name = "1/(1 − p)" if p.convention == "drop" else "1/q"

    # (a)-(c): the dot products, written out like the seed.
    x_drop = tuple(xi if mi else 0 for xi, mi in zip(x, m))
    kept_idx = [i for i in range(n) if m[i]]
    rel_mask = Relation(M, (Vec(m),), approx=False,
                        note=f"{len(kept_idx)} of {n} units kept" if n else "")
    rel_xdrop = Relation(X_DROP, (Mul(M, Sym("x", "x"), "hadamard"), Vec(x_drop)), approx=False)
    rel_drop = Relation(Y_DROP, (
        _dot(X_DROP),
        Add(tuple(Mul(wi, xd) for wi, xd in zip(w, x_drop))),
        Add(products(w, x_drop)),
        y_drop,
    ))
    if keep:
        scale = 1 / keep
        x_corr = tuple(_over(xi, keep) if mi else _ZERO for xi, mi in zip(x, m))
        keep_form = Sub(1, given) if p.convention == "drop" else given
        rel_xcorr = Relation(X_CORR, (Div(Mul(M, Sym("x", "x"), "hadamard"), keep_form), Vec(x_corr)))
        rel_corr = Relation(Y_CORR, (
            _dot(X_CORR),
            Add(tuple(Mul(Mul(wi, xi), scale_form) if mi else Mul(wi, 0) for wi, xi, mi in zip(w, x, m))),
            Add(tuple(Mul(Mul(wi, xi), scale) if mi else 0 for wi, xi, mi in zip(w, x, m))),
            Add(tuple(_over(ai, keep) if mi else 0 for ai, mi in zip(a, m))),
            y_corr,
        ))
        corr_rels = (rel_xcorr, rel_corr)
    else:
        corr_rels = (Relation(Y_CORR, (
            _dot(X_CORR),
            Add(tuple(Mul(Mul(wi, xi), scale_form) if mi else Mul(wi, 0) for wi, xi, mi in zip(w, x, m))),
            Words("undefined (1 − p = 0: division by zero)"),
        ), approx=False),)
    rel_orig = Relation(Y_ORIG, (
        _dot(Sym("x", "x")),
        Add(tuple(Mul(wi, xi) for wi, xi in zip(w, x))),
        Add(a),
        y_orig,
    ))

    sum_sq = total(products(a, a))
    ex = _substituted(n, y_orig, sum_sq, p.convention)
    general = verify_identities(len(a), p.convention) if len(a) <= _SYMBOLIC_UNITS else None
    per_drop, per_corr, per_var = _unit_values(p.convention, given)
    E_drop_v = per_drop * y_orig
    # SymPy cancels (1 − p)/(1 − p) for a symbolic p, so p = 1 is decided here, not by substitution.
    E_corr_v = per_corr * y_orig if keep else None
    Var_corr_v = per_var * sum_sq if keep else None
    E_corr_r = E_corr_v if E_corr_v is not None else Undefined("E[y_corr] needs 1/(1 − p); p = 1")
    Var_corr_r = Var_corr_v if Var_corr_v is not None else Undefined("Var[y_corr] needs 1/(1 − p)²; p = 1")
    expect_step = _expectation_step(p, ex, general, sum_sq, y_orig, E_drop_v, E_corr_v, Var_corr_v, keep, drop)

    mask_why = _mask_origin(p, n)
    steps = (
        Step("Mask", (rel_mask,), mask_why),
        Step("Dropout without correction", (rel_xdrop, rel_drop),
             "Dropped units are set to 0; the kept ones pass unchanged."),
        Step("Dropout with correction", corr_rels,
             prose(f"Dropped units are set to 0 and the kept ones are scaled by ${scale_name}$, "
                   "so that the output keeps its expected value (inverted dropout, as torch.nn.Dropout does in training).")),
        Step("No dropout", (rel_orig,), "The original output: every unit kept, nothing scaled (test time)."),
        expect_step,
        Step("Why the correction", (), _why_correction(y_drop, y_corr, y_orig, keep, p.convention)),
        Step("Train versus test", (), train_test_sentences()),
    )
    results = (
        Result("y_drop", Y_DROP, y_drop, "output of dropout without correction"),
        Result("y_corr", Y_CORR, y_corr, f"output of dropout with correction (kept units × {scale_name})"),
        Result("y_orig", Y_ORIG, y_orig, "output without dropout"),
        Result("E_y_drop", _E(Y_DROP), E_drop_v, "expected y_drop over a random mask, (1 − p)·y_orig"),
        Result("E_y_corr", _E(Y_CORR), E_corr_r, "expected y_corr over a random mask, = y_orig"),
        Result("Var_y_corr", _Var(Y_CORR), Var_corr_r, "variance of y_corr over a random mask"),
        Result("mask", M, m, "the mask used, 1 = kept"),
    )
    return Solution(
        kind="dropout",
        params=p,
        results=results,
        steps=steps,
        conventions=_conventions(p, drop),
        notes=_notes(p, drop, y_corr, y_orig),
        definition=definitions.dropout_corrected,
    )


def _mask_origin(p: DropoutParams, n: int) -> Prose:
    dropped = [i for i in range(n) if not p.mask[i]]
    where = f"units {_ranges(dropped)} (0-based) are dropped" if dropped else "no unit is dropped"
    if p.seed is not None:
        how = (f"Sampled with random.Random({p.seed}): unit $i$ is dropped when its $i$-th draw "
               f"$uᵢ < {drop_probability(p)}$, the drop probability")
    else:
        how = "Given"
    return prose(f"{how}; $mᵢ = 1$ keeps unit $i$ and $mᵢ = 0$ drops it, so {where}.")


def _ranges(idx) -> str:
    out, start = [], None
    for k, i in enumerate(idx):
        if start is None:
            start = i
        if k + 1 == len(idx) or idx[k + 1] != i + 1:
            out.append(f"{start}–{i}" if i > start + 1 else (f"{start}, {i}" if i > start else f"{i}"))
            start = None
    return ", ".join(out)


def _expectation_step(p, ex: Expectations, general, sum_sq, y_orig, E_drop_v, E_corr_v, Var_corr_v,
                      keep: Fraction, drop: Fraction) -> Step:
    name = _text(ex.symbol)
    at = prose(f"${name} = {p.p}$")
    keep_at, drop_at = _sym(keep), _sym(drop)  # ex.keep, ex.drop at s = p
    # This problem's x and w after the general lines: the same expressions as functions of the symbol, then its value.
    rels = [*_general_relations(ex.symbol, ex.keep, ex.drop, ex.E_m),
            Relation(_E(Y_DROP), (ex.E_y_drop, Mul(keep_at, y_orig), E_drop_v), note=at)]
    if E_corr_v is not None:
        rels.append(Relation(_E(Y_CORR), (Mul(y_orig, Div(ex.keep, ex.keep)), E_corr_v),
                             note=prose(f"every ${name}$ with ${_text(ex.keep)} > 0$")))
        rels.append(Relation(_Var(Y_CORR), (ex.Var_y_corr, Mul(Div(drop_at, keep_at), sum_sq), Var_corr_v),
                             note=at))
    else:
        rels.append(Relation(_E(Y_CORR), (Mul(y_orig, Div(ex.keep, ex.keep)),
                                          Words(f"undefined: {_text(ex.keep)} = 0")), approx=False))
    return Step("Expectation over the mask", tuple(rels), _expectation_text(ex.symbol, ex.keep, general is not None))


@lru_cache(maxsize=4)
def _general_relations(symbol, keep, drop, E_m) -> tuple[Relation, ...]:
    """The five lines that hold for every x and w: they depend only on the convention's
    symbols, so every variant shares them (frozen, and printed alike)."""
    m_i = Sym("mᵢ", "m_i")
    sum_a = Sym("Σᵢ wᵢxᵢ", r"\sum_i w_i x_i")
    sum_a2 = Sym("Σᵢ (wᵢxᵢ)²", r"\sum_i (w_i x_i)^2")
    sigma = Sym("Σᵢ", r"\sum_i")
    a_i, a2_i = Sym("wᵢxᵢ", "w_i x_i"), Sym("(wᵢxᵢ)²", "(w_i x_i)^2")
    return (
        Relation(_E(m_i), (Add((Mul(1, keep), Mul(0, drop))), E_m), approx=False,
                 note=prose(f"$mᵢ = 1$ with probability ${_text(keep)}$")),
        Relation(_Var(m_i), (Sub(_E(Pow(m_i, 2)), Pow(_E(m_i), 2)), Sub(keep, Pow(keep, 2)),
                             sympy.Mul(drop, keep)), approx=False, note=prose("$mᵢ² = mᵢ$")),
        Relation(_E(Y_DROP), (Mul(Mul(sigma, a_i, "juxtapose"), _E(m_i)), Mul(keep, sum_a),
                              Mul(keep, Y_ORIG)), approx=False, note="linearity of expectation"),
        Relation(_E(Y_CORR), (Mul(Mul(sigma, a_i, "juxtapose"), Div(_E(m_i), keep)),
                              Mul(sum_a, Div(keep, keep)), Y_ORIG), approx=False,
                 note="linearity of expectation"),
        Relation(_Var(Y_CORR), (Mul(Mul(sigma, a2_i, "juxtapose"), Div(_Var(m_i), Pow(keep, 2))),
                                Mul(Div(drop, keep), sum_a2)), approx=False,
                 note=prose("the $mᵢ$ are independent")),
    )


@lru_cache(maxsize=8)
def _expectation_text(symbol, keep, checked: bool) -> Prose:
    general_text = ("the general lines, written with $Σᵢ$, hold for every $x$ and $w$ (checked symbolically, with "
                    "the $wᵢxᵢ$ as symbols)" if checked else "the general lines, written with $Σᵢ$, hold for every $x$ and $w$")
    return prose(f"Treat the mask as random: $mᵢ$ ~ Bernoulli(${_text(keep)}$), independent. Each expectation follows "
                 f"from the two outcomes of $mᵢ$ and linearity of expectation, with ${_text(symbol)}$ kept as a symbol; "
                 f"{general_text}; the lines after them put in this problem's numbers.")


# The symbolic pieces above depend only on the convention: built and printed once per process.
@lru_cache(maxsize=8)
def _text(expr) -> str:
    return str(expr).replace(" - ", " − ")  # prose: a minus sign, not a hyphen


# E[y_corr] in prose, as the expectation rows print it.
_E_Y_CORR = Sym("E[y_corr]", r"\mathbb{E}\left[y_{\text{corr}}\right]")


def _why_correction(y_drop, y_corr, y_orig, keep, convention) -> Prose:
    """The comparison in words; the symbols are `Prose` parts, so LaTeX sets y_corr as math."""
    k = "1 − p" if convention == "drop" else "q"
    if not keep:
        return Prose("With ", Formula(f"{k} = 0"), " every unit is dropped: ", Y_DROP, Formula(" = 0"),
                     ", and the correction ", Formula(f"1/({k})"), " is undefined, so dropout with correction cannot "
                     "be used here.")
    off_corr, off_drop = abs(y_corr - y_orig), abs(y_drop - y_orig)
    closer = off_corr <= off_drop
    return Prose(
        "Here ", Formula("|"), Y_CORR, Formula(" − "), Y_ORIG, Formula(f"| {approx_relation(off_corr)}"), " and ",
        Formula("|"), Y_DROP, Formula(" − "), Y_ORIG, Formula(f"| {approx_relation(off_drop)}"), ", so ", Y_CORR,
        f" is {'the closer one' if closer else 'not closer this time'}. "
        "Zeroing units alone shrinks the expected output to ", Formula(f"({k})·"), Y_ORIG, " during training, while at "
        "test time dropout is off and the output is ", Y_ORIG, ": the next layer would see a shift in scale "
        "between training and testing (a domain shift) and do worse at test time. Scaling the kept units by ",
        Formula(f"1/({k})"), " makes ", _E_Y_CORR, Formula(" = "), Y_ORIG, ", so train and test outputs agree in "
        "expectation; a single mask need not land closer, only the average over masks does.")


TRAIN_TEST = {
    "dropout": ("Dropout: in training each unit is zeroed with probability $p$ and the kept units are scaled "
                "by $1/(1 − p)$; at test time (model.eval()) it is the identity."),
    "batchnorm": ("BatchNorm: in training it normalizes with the mean and biased variance of the current batch "
                  "and updates running averages (momentum 0.1, unbiased variance); at test time it normalizes "
                  "with those running averages, so one example's output no longer depends on its batch."),
    "layernorm": "LayerNorm behaves the same in both: its statistics come from each example's own features.",
    "model-size": "",
    "l2": "",
}


@lru_cache(maxsize=1)
def train_test_sentences() -> Prose:
    """Which supported layers differ between train and test, from the table above (fixed per process)."""
    from ..registry import kind_names

    differ = [TRAIN_TEST[k] for k in ("batchnorm", "dropout") if k in kind_names()]
    same = [TRAIN_TEST[k] for k in kind_names() if k not in ("batchnorm", "dropout") and TRAIN_TEST.get(k)]
    return prose("BatchNorm. Of the common layers, Dropout and BatchNorm behave differently at train and "
                 "test time. " + " ".join(differ + same))


def _conventions(p: DropoutParams, drop: Fraction) -> tuple[str, ...]:
    if p.convention == "drop":
        first = prose(f"$p = {p.p}$ is the probability of dropping a unit (PyTorch nn.Dropout, Keras rate); "
                      f"units are kept with probability $1 − p = {1 - p.p}$.")
    else:
        first = prose(f"$q = {p.p}$ is the probability of keeping a unit (keep-probability wording, CS231n and "
                      f"TF1 keep_prob); units are dropped with probability $1 − q = {drop}$, and the correction is $1/q$.")
    return (first,
            "Correction is applied at training time (inverted dropout), as PyTorch does; Srivastava et al. (2014) "
            "instead scale by the keep probability at test time, which gives the same expectations.",
            prose("The mask $m$ has $mᵢ = 1$ for kept units; dropped indices are 0-based."))


def _notes(p, drop, y_corr, y_orig) -> tuple[str, ...]:
    notes = []
    if drop == 0:
        notes.append(Prose(Formula("p = 0"), " keeps every unit: dropout is the identity and ", Y_DROP,
                           Formula(" = "), Y_CORR, Formula(" = "), Y_ORIG, "."))
    if drop == 1:
        notes.append(Prose(Formula("p = 1"), " drops every unit: ", Y_DROP, Formula(" = 0"), " and ", Y_CORR,
                           " is undefined (", Formula("1/(1 − p) = 1/0"), "); torch.nn.Dropout(p=1) returns zeros "
                           "instead."))
    return tuple(notes)


# -- the numeric path ---------------------------------------------------------------
def _arrays(p: DropoutParams):
    import numpy as np

    x, w, drop = _xw_arrays(p)
    return x, np.array(floats(p.mask)), w, drop


def _xw_arrays(p: DropoutParams):
    """x and w as float arrays, and p as a float (`reference` needs the mask's array only
    when it does not enumerate the masks)."""
    import numpy as np

    return np.array(floats(p.x)), np.array(floats(p.w)), to_float(drop_probability(p))


@lru_cache(maxsize=16)
def _all_masks(n: int):
    """Every mask of n units as the columns of one read-only (n, 2ⁿ) float array, and each one's kept count."""
    import itertools

    import numpy as np

    masks = np.array(list(itertools.product((0.0, 1.0), repeat=n))).T.reshape(n, 2**n)
    masks.setflags(write=False)
    kept = masks.sum(axis=0)
    kept.setflags(write=False)
    return masks, kept


@lru_cache(maxsize=64)
def _possible_masks(n: int, drop: float):
    """The masks of n units with a non-zero probability (as columns) and those probabilities,
    read-only: they depend only on n and p, which variants repeat."""
    masks, k = _all_masks(n)
    prob = (1 - drop) ** k * drop ** (n - k)
    possible = prob != 0
    masks, prob = masks[:, possible], prob[possible]
    masks.setflags(write=False)
    prob.setflags(write=False)
    return masks, prob


def _moments_by_enumeration(x, w, drop, fn):
    """E and Var of fn(mask) over all 2ⁿ masks, weighted by their probabilities (n ≤ 12).

    The masks are the columns of one (n, 2ⁿ) array: the definition sums wᵢ·mᵢ·xᵢ over the
    units i, so with mᵢ a row it evaluates every mask at once (a Python loop over the
    masks took ~12 ms for n = 8, most of a variant's time in `derive generate`).
    """
    masks, prob = _possible_masks(len(x), drop)
    return _moments(prob, fn(x, masks, w))


def _moments(prob, y):
    """E[y] and Var[y] = E[y²] − E[y]² for y over masks with these probabilities."""
    mean = _sum(prob * y)
    second = _sum(prob * y * y)
    return mean, second - mean * mean


def _sum(a):
    """np.sum(a) of a float64 vector: the very reduction np.sum makes, without its Python wrapper."""
    import numpy as np

    return np.add.reduce(a)


def reference(p: DropoutParams) -> dict:
    """numpy float64 through the same definitions, the expectations by enumerating every mask
    (n ≤ 12; beyond that the definitions at the mean mask, which is exact by linearity), and
    a seeded Monte Carlo estimate of E[y_corr] as its own check."""
    import numpy as np

    x, w, drop = _xw_arrays(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _by_every_mask(x, w, drop, p.mask)
        if out is None:
            out = _by_given_masks(x, np.array(floats(p.mask)), w, drop)
    out["monte_carlo"] = _monte_carlo(p, x, w, drop)
    return out


def evaluate(p: DropoutParams, b) -> dict:
    """The definitions on backend b (`derive.backends`: a device, another dtype, exact), for
    the oracle and `--check torch:cuda`: the outputs on the given and the all-ones mask, the
    expectations at the mean mask (each output is linear in the mask, so its expectation is
    the output at E[m] = 1 − p), and Var[y_corr] = Σ(wᵢxᵢ)²·p/(1 − p).  Without y_corr's three
    values at p = 1, where they are undefined."""
    drop = drop_probability(p)
    keep = 1 - drop
    n = len(p.x)
    x, m, w = b.asarray(p.x), b.asarray(p.mask), b.asarray(p.w)
    mean_mask = b.asarray((keep,) * n)
    out = {"y_drop": definitions.dropout(x, m, w),
           "y_orig": definitions.dropout(x, b.asarray((1,) * n), w),
           "E_y_drop": definitions.dropout(x, mean_mask, w)}
    if keep:
        rate = b.scalar(drop)
        out.update(y_corr=definitions.dropout_corrected(x, m, w, rate),
                   E_y_corr=definitions.dropout_corrected(x, mean_mask, w, rate),
                   Var_y_corr=((w * x) ** 2).sum() * b.scalar(drop / keep))
    return out


def _by_every_mask(x, w, drop: float, mask) -> dict | None:
    """All six values from the definitions evaluated once on every mask (n ≤ 12, 0 < p < 1).

    The given mask and the all-ones mask are columns of the enumeration, so y_drop, y_corr
    and y_orig are those columns: the same float operations as evaluating the definitions
    on the two masks alone, without three more passes of numpy scalar arithmetic
    (~40 µs a variant); the definitions themselves run as `_definitions_on_columns`.
    None when some mask is impossible (p = 0 or 1) or n > 12.
    """
    import numpy as np

    n = len(x)
    if n > 12:
        return None
    masks, prob = _possible_masks(n, drop)
    if masks.shape[1] != 2**n:
        return None
    y, y_corr = _definitions_on_columns(x, w, masks, np.float64(drop))
    given = _mask_column(mask)
    e_corr, v_corr = _moments(prob, y_corr)
    return {"y_drop": y[given], "y_corr": y_corr[given], "y_orig": y[2**n - 1],
            "E_y_drop": _sum(prob * y), "E_y_corr": e_corr, "Var_y_corr": v_corr}


def _definitions_on_columns(x, w, masks, p):
    """`definitions.dropout(x, masks, w)` and `definitions.dropout_corrected(x, masks, w, p)`, the
    same floats bit for bit (tests), with each mask a column of `masks`.

    The definitions loop over the units in Python, a few numpy calls per unit on 2ⁿ-wide rows
    (~55 calls for n = 8); here the products wᵢ·mᵢ·xᵢ (and their quotients by 1 − p) are
    two array operations, and only the sum goes unit by unit, in the definitions' order and
    from the same start (Python's `sum` adds to 0, so −0.0 becomes +0.0).  numpy's own
    `add.reduce` would sum eight or more rows pairwise, another rounding.
    """
    terms = w[:, None] * masks * x[:, None]
    return _row_sum(terms), _row_sum(terms / (1 - p))


def _row_sum(rows):
    """0 + rows[0] + rows[1] + …, left to right, as Python's `sum` of the rows adds them."""
    out = rows[0] + 0.0
    for row in rows[1:]:
        out += row
    return out


def _mask_column(mask) -> int:
    """The column of `mask` in `_all_masks`: itertools.product counts with unit 0 as the top bit."""
    k = 0
    for bit in mask:
        k = 2 * k + bit
    return k


def _by_given_masks(x, m, w, drop: float) -> dict:
    """The definitions on the given and the all-ones mask; the expectations by enumerating the
    possible masks (n ≤ 12) or at the mean mask."""
    import numpy as np

    out = {"y_drop": definitions.dropout(x, m, w),
           "y_corr": definitions.dropout_corrected(x, m, w, np.float64(drop)),
           "y_orig": definitions.dropout(x, np.ones_like(x), w)}
    keep = 1 - drop
    if len(x) <= 12:
        e_drop, _ = _moments_by_enumeration(x, w, drop, definitions.dropout)
        e_corr, v_corr = (_moments_by_enumeration(x, w, drop, lambda *a: definitions.dropout_corrected(
            *a, np.float64(drop))) if keep > 0 else (np.nan, np.nan))
    else:
        e_drop = definitions.dropout(x, np.full_like(x, keep), w)
        e_corr = definitions.dropout_corrected(x, np.full_like(x, keep), w, np.float64(drop))
        v_corr = float(np.sum((w * x) ** 2) * drop / keep) if keep > 0 else np.nan
    out.update(E_y_drop=e_drop, E_y_corr=e_corr, Var_y_corr=v_corr)
    return out


def _mc_check(backend, detail, samples, exact, mean, se, seed) -> Check:
    if exact is None:
        return Check(backend, detail, None, True, "skipped: E[y_corr] is undefined for p = 1", "E_y_corr")
    err = abs(mean - float(exact))
    allowed = MC_SIGMAS * se + 1e-12 * max(1.0, abs(float(exact)))
    return Check(backend, detail, err, bool(err <= allowed),
                 f"{samples} masks (seed {seed}): estimate {mean:.6g} ± {se:.3g} (standard error); "
                 f"|estimate − exact| = {err / se if se else 0:.2f} standard errors, allowed {MC_SIGMAS}",
                 "E_y_corr")


def _exact_E_corr(p: DropoutParams):
    """Σ wᵢxᵢ (= E[y_corr], derived in solve), None for p = 1; in integers when w and x are
    whole, as they are in generated variants (`products` makes a Fraction per unit)."""
    if drop_probability(p) == 1:
        return None
    w, x = p.w, p.x
    if all(type(v) is Fraction and v._denominator == 1 for v in (*w, *x)):  # slot reads, see derive.exact
        return rational(sum(a._numerator * b._numerator for a, b in zip(w, x)))
    return total(products(w, x))


def monte_carlo(p: DropoutParams, samples: int = MC_SAMPLES, seed: int = MC_SEED) -> Check:
    """E[y_corr] estimated from seeded random masks; it must land within MC_SIGMAS standard errors."""
    x, _, w, drop = _arrays(p)
    return _monte_carlo(p, x, w, drop, samples, seed)


def _monte_carlo(p: DropoutParams, x, w, drop: float, samples: int = MC_SAMPLES, seed: int = MC_SEED) -> Check:
    """`monte_carlo` with the float arrays of p already made (`reference` has them)."""
    n = len(x)
    samples = max(1000, min(samples, _MC_MAX_DRAWS // max(n, 1)))
    exact = _exact_E_corr(p)
    detail = f"numpy Monte Carlo (within {MC_SIGMAS} standard errors)"
    if exact is None:
        return _mc_check("numpy:monte_carlo", detail, samples, None, 0, 0, seed)
    a = w * x
    total = total_sq = 0.0
    for y in _mc_sums(a, drop_probability(p), samples, n, seed, 1 - drop):
        total += _sum(y)  # y.sum() without ndarray.sum's Python wrapper: the same reduction
        total_sq += _sum(y * y)
    mean = total / samples
    se = math.sqrt(max(total_sq / samples - mean * mean, 0.0) / samples)
    return _mc_check("numpy:monte_carlo", detail, samples, exact, mean, se, seed)


def _mc_sums(a, drop: Fraction, samples: int, n: int, seed: int, keep: float = 1.0):
    """`kept @ a / keep` for each chunk of Monte Carlo masks (the kept units' sum of wᵢxᵢ, per
    mask, divided by 1 − p; the default 1.0 changes no float: x / 1.0 is x, bit for bit).

    When every aᵢ is a whole number ≥ +0 (no −0.0) and their sum is below 2⁵³, each such sum is
    exact in any order and never −0.0, so it is the same float as the sum of its mask's
    column in `_all_masks` (n ≤ 12): 2ⁿ sums (each divided by `keep` there: the same
    quotients), then one gather by each mask's cached column number, which costs half the
    (10,000 × n) product and its 10,000 divisions.
    """
    if n <= 12 and samples * n <= _MC_CACHED_FLAGS and _whole_nonnegative(a):
        table = _all_masks(n)[0].T @ a / keep
        return tuple(table[codes] for codes in _mc_columns_cached(drop, samples, n, seed))
    return (kept @ a / keep for kept in _mc_masks(drop, samples, n, seed))


_EXACT_FLOATS = 2.0**53


def _whole_nonnegative(a) -> bool:
    """Whether every entry is a whole float ≥ +0 (sign bit clear) and their sum is exact.

    In Python floats (a has a dozen entries at most here; five numpy calls cost more).  Whole
    numbers ≥ 0 sum exactly below 2⁵³ in any order, and at or above it in no order, so the
    comparison does not depend on how the sum is taken.
    """
    values = a.tolist()
    return all(v.is_integer() and math.copysign(1.0, v) > 0 for v in values) and sum(values) < _EXACT_FLOATS


@lru_cache(maxsize=16)
def _mc_columns_cached(drop: Fraction, samples: int, n: int, seed: int):
    """Each cached Monte Carlo mask's column number in `_all_masks` (unit 0 the top bit)."""
    import numpy as np

    bits = 2.0 ** np.arange(n - 1, -1, -1)
    out = tuple((kept @ bits).astype(np.intp) for kept in _mc_masks_cached(drop, samples, n, seed))
    for c in out:
        c.setflags(write=False)
    return out


def _mc_masks(drop: Fraction, samples: int, n: int, seed: int):
    """The Monte Carlo masks, in chunks of at most ~2M flags, drawn from a fresh seeded generator.

    They depend only on (p, samples, n, seed), which variants repeat, so the small sets
    (up to _MC_CACHED_FLAGS flags) are drawn once per process and kept read-only.
    """
    if samples * n <= _MC_CACHED_FLAGS:
        return _mc_masks_cached(drop, samples, n, seed)
    return _draw_mc_masks(drop, samples, n, seed)


_MC_CACHED_FLAGS = 200_000  # 10,000 masks of 20 units


@lru_cache(maxsize=16)
def _mc_masks_cached(drop: Fraction, samples: int, n: int, seed: int):
    """The masks as float64 (at most 1.6 MB each): `kept @ a` would convert the flags on every call."""
    chunks = tuple(c.astype(float) for c in _draw_mc_masks(drop, samples, n, seed))
    for c in chunks:
        c.setflags(write=False)
    return chunks


def _draw_mc_masks(drop: Fraction, samples: int, n: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    chunk = max(1, 2_000_000 // max(n, 1))
    done = 0
    while done < samples:
        k = min(chunk, samples - done)
        yield _kept(rng, drop, (k, n))
        done += k


def _kept(rng, drop: Fraction, shape):
    """Independent kept flags, each False with probability exactly `drop` = a/b.

    Unit i is dropped when a uniform integer in [0, b) is below a: exact for any b up to
    2⁶⁴, and a few times cheaper than comparing float64 uniforms with a rounded p (when b
    divides 256, as for the seed's p = 3/4, the integer is a random byte scaled by 256/b).
    Larger denominators compare float64 uniforms with float(drop), off by at most 2⁻⁵³.
    """
    import numpy as np

    a, b = drop.numerator, drop.denominator
    if 256 % b == 0:  # p = 1/2, 3/4, 1/8, …: one random byte per unit, below a·256/b with probability a/b
        size = math.prod(shape)
        return (np.frombuffer(rng.bytes(size), np.uint8) >= a * (256 // b)).reshape(shape)
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        if b - 1 <= np.iinfo(dtype).max:
            return rng.integers(0, b, shape, dtype=dtype) >= a
    return rng.random(shape) >= float(drop)


def torch_reference(p: DropoutParams) -> dict:
    """torch.nn.Dropout: the identity in eval mode (y_orig), and in train mode a seeded Monte
    Carlo estimate of E[y_corr] (torch draws its own masks; the given mask cannot be imposed)."""
    import torch

    x, _, w, drop = _arrays(p)
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)
    layer = torch.nn.Dropout(p=drop)
    with torch.no_grad():
        out = {"y_orig": (wt @ layer.eval()(xt)).numpy()}
        exact = _exact_E_corr(p)
        n = len(x)
        samples = max(1000, min(MC_SAMPLES, _MC_MAX_DRAWS // max(n, 1)))
        detail = f"torch.nn.Dropout (train mode) Monte Carlo (within {MC_SIGMAS} standard errors)"
        if exact is None:
            out["monte_carlo"] = _mc_check("torch:monte_carlo", detail, samples, None, 0, 0, MC_SEED)
            return out
        layer.train()
        with torch.random.fork_rng(devices=[]):  # leave the caller's global torch RNG as it was
            torch.manual_seed(MC_SEED)
            ys = layer(xt.expand(samples, n)) @ wt
        mean = float(ys.mean())
        se = float(ys.std(correction=0)) / math.sqrt(samples)
        out["monte_carlo"] = _mc_check("torch:monte_carlo", detail, samples, exact, mean, se, MC_SEED)
    return out


# -- wrong methods, for diagnosis ---------------------------------------------------
def mistakes(p: DropoutParams) -> tuple[MistakeAnswer, ...]:
    drop = drop_probability(p)
    keep = 1 - drop
    a = [wi * xi for wi, xi in zip(p.w, p.x)]
    kept = sum((ai for ai, mi in zip(a, p.mask) if mi), Fraction(0))
    gone = sum((ai for ai, mi in zip(a, p.mask) if not mi), Fraction(0))
    y_orig = sum(a, Fraction(0))
    sum_sq = sum((ai * ai for ai in a), Fraction(0))
    out = [MistakeAnswer("no_correction", "Forgot the correction: the kept units must be scaled by 1/(1 − p).",
                         {"y_corr": kept}, "Dropout with correction")]
    if drop:
        out.append(MistakeAnswer(
            "scaled_by_inverse_p", "Scaled the kept units by 1/p; p is the drop probability, so the kept units "
            "are scaled by 1/(1 − p).", {"y_corr": kept / drop}, "Dropout with correction"))
    out.append(MistakeAnswer(
        "mask_swapped", "Swapped kept and dropped units: m_i = 1 means unit i is kept.",
        {"y_drop": gone, **({"y_corr": gone / keep} if keep else {})}, "Dropout without correction"))
    if drop and keep:
        out.append(MistakeAnswer(
            "keep_drop_swapped", "Used p as the keep probability: units are kept with probability 1 − p.",
            {"E_y_drop": drop * y_orig, "Var_y_corr": keep / drop * sum_sq}, "Expectation over the mask"))
    if keep:
        out.append(MistakeAnswer(
            "correction_in_expectation_forgotten", "E[y_drop] is (1 − p)·y_orig, not y_orig: without the "
            "correction the expected output shrinks.", {"E_y_drop": y_orig}, "Expectation over the mask"))
    return tuple(m for m in out if not _is_correct(m, p))


def _is_correct(m: MistakeAnswer, p: DropoutParams) -> bool:
    """A 'mistake' that reproduces every correct value it names (p = 1/2: 1/p = 1/(1 − p)) diagnoses nothing."""
    keep = 1 - drop_probability(p)
    a = [wi * xi for wi, xi in zip(p.w, p.x)]
    y_drop = sum((ai for ai, mi in zip(a, p.mask) if mi), Fraction(0))
    y_orig = sum(a, Fraction(0))
    right = {"y_drop": y_drop, "y_corr": y_drop / keep if keep else None, "E_y_drop": keep * y_orig,
             "Var_y_corr": (1 - keep) / keep * sum((ai * ai for ai in a), Fraction(0)) if keep else None}
    return all(right.get(k) == v for k, v in m.results.items())


# -- randomized variants ------------------------------------------------------------
_NICE_P = {"easy": (Fraction(1, 2), Fraction(3, 4), Fraction(1, 4)),
           "medium": (Fraction(1, 2), Fraction(3, 4), Fraction(1, 4), Fraction(1, 5), Fraction(4, 5), Fraction(2, 3)),
           "hard": (Fraction(1, 3), Fraction(2, 5), Fraction(3, 5), Fraction(5, 6), Fraction(1, 10), Fraction(9, 10))}


def generate(rng: random.Random, difficulty: str = "easy") -> DropoutParams:
    """A seeded variant: small integer x, weights (ones when easy), a nice p and a sampled mask."""
    if difficulty not in _NICE_P:
        raise InputError("difficulty", f"must be one of {', '.join(_NICE_P)}, got {difficulty!r}")
    n = {"easy": 8, "medium": 8, "hard": 10}[difficulty]
    x = randints(rng, 0, 9, n)
    w = [1] * n if difficulty == "easy" else [rng.choice((-2, -1, 1, 2, 3)) for _ in range(n)]
    p = rng.choice(_NICE_P[difficulty])
    mask = [0 if below(rng.random(), p) else 1 for _ in range(n)]
    if all(mask) or not any(mask):        # keep the exercise interesting: some kept, some dropped
        mask[rng.randrange(n)] ^= 1
    return build(DropoutParams, {"x": x, "w": w, "p": p, "mask": mask})


KIND = Kind(
    name="dropout",
    title="Dropout",
    params=DropoutParams,
    solve=solve,
    reference=reference,
    torch_reference=torch_reference,
    mistakes=mistakes,
    generate=generate,
    template="dropout.tex.j2",
)
