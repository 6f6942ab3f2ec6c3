"""Exact numbers for the fast path: rationals and b + c·√r, with correct decimal rounding.

A normalized row only ever needs one surd: every entry of (x − μ)/√(σ² + ε) is
b + c·√r with rationals b, c and r the squarefree part of σ² + ε.  Working in that
form with `fractions.Fraction` is hundreds of times faster than SymPy and just as
exact; values become SymPy objects only where the API hands them to a user.

Decimals are rounded once, from the exact value, half away from zero (what students
are taught): one `math.isqrt` brackets √r, exact comparisons settle the rest.

>>> x = Surd(-1, Fraction(-2, 3), 3)          # −1 − 2√3/3
>>> str(x)
'-1 - 2*sqrt(3)/3'
>>> round_decimal(x, 2)
'-2.15'
>>> inv_sqrt(Fraction(3))                      # 1/√3 = √3/3
Surd(0, 1/3, 3)
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from math import gcd, isqrt
import numbers

from .errors import InputError

__all__ = [
    "solve_linear",
    "Surd",
    "Exact",
    "to_fraction",
    "sqrt_rational",
    "inv_sqrt",
    "inv_sqrt_parts",
    "squarefree_split",
    "sign",
    "floor_exact",
    "round_decimal",
    "round_sigfigs",
    "approx",
    "approx_relation",
    "is_terminating",
    "exact_str",
    "to_sympy",
    "to_float",
    "floats",
    "products",
    "total",
    "rational",
]

# Guard bits for the first bracket of √r; exact comparisons fix the rare close calls.
_GUARD_BITS = 64


# Fraction.__new__ is a Python function that type-checks its arguments (~0.7 µs); a variant
# makes some 270 Fractions from integers it already holds.  `rational` fills the two slots
# directly, as Fraction's own arithmetic does with _normalize=False (tests: equal to Fraction).
# The slots are CPython's private layout of Fraction (3.8-3.14): where they are missing or
# do not give back what Fraction does, `rational` is plain Fraction.  The printers
# (render/printers.py, render/values.py) read the two slots too, with no fallback:
# tests/test_exact.py checks the layout on the Python that runs the tests.  The float
# conversions and the rounding below read them as well: `numerator` and `denominator` are
# Python properties (~200 instructions a read), read some 600 times a variant there.
_alloc_fraction = object.__new__


def _rational(n: int, d: int = 1) -> Fraction:
    """Fraction(n, d) for ints n and d > 0, in lowest terms, without Fraction.__new__'s checks."""
    if d != 1:
        g = gcd(n, d)
        if g != 1:
            n //= g
            d //= g
    x = _alloc_fraction(Fraction)
    _set_numerator(x, n)
    _set_denominator(x, d)
    return x


def _slots_work() -> bool:
    try:
        x = _rational(-6, 4)
        return x == Fraction(-3, 2) and hash(x) == hash(Fraction(-3, 2)) and str(x) == "-3/2"
    except (AttributeError, TypeError, NameError):
        return False


try:
    _set_numerator = Fraction._numerator.__set__
    _set_denominator = Fraction._denominator.__set__
except AttributeError:
    pass
rational = _rational if _slots_work() else Fraction
_ZERO = Fraction(0)


def _new(b: Fraction, c: Fraction, r: int) -> "Surd":
    """Trusted constructor for the hot paths: b, c already Fractions, (c, r) normalized.

    c = 0 is read from c's numerator slot: `not c` calls Fraction.__bool__, a Python
    method (~400 instructions), and a variant makes some 120 Surds here."""
    x = _alloc(Surd)
    if not c._numerator:
        c, r = _ZERO, 1
    _set_b(x, b)
    _set_c(x, c)
    _set_r(x, r)
    return x


class Surd:
    """The exact number b + c·√r (b, c rational; r ≥ 2 squarefree, or r = 1 and c = 0).

    Immutable and hashable.  Arithmetic with a rational or with a Surd of the same r
    stays exact; mixing two different surds raises, because no problem here needs it.
    """

    __slots__ = ("b", "c", "r")

    def __init__(self, b=0, c=0, r: int = 1):
        b = b if type(b) is Fraction else Fraction(b)
        c = c if type(c) is Fraction else Fraction(c)
        if r == 1 or not c:
            b, c, r = (b + c if c else b), _ZERO, 1
        _set_b(self, b)
        _set_c(self, c)
        _set_r(self, r)

    def __setattr__(self, name, value):
        raise AttributeError("Surd is immutable")

    # -- structure -----------------------------------------------------------
    @property
    def is_rational(self) -> bool:
        return self.c == 0

    def __repr__(self):
        return f"Surd({self.b}, {self.c}, {self.r})"

    def __str__(self):
        return exact_str(self)

    def __hash__(self):
        return hash(self.b) if self.c == 0 else hash((self.b, self.c, self.r))

    def __eq__(self, other):
        other = _coerce(other)
        if other is NotImplemented:
            return NotImplemented
        return self.b == other.b and self.c == other.c and self.r == other.r

    def _common(self, other: "Surd") -> int:
        if self.c == 0:
            return other.r
        if other.c == 0 or other.r == self.r:
            return self.r
        raise ValueError(f"cannot combine √{self.r} and √{other.r} in one Surd")

    # -- arithmetic ----------------------------------------------------------
    def __add__(self, other):
        if type(other) is Fraction or type(other) is int:
            return _new(self.b + other if self.b else Fraction(other), self.c, self.r)
        other = _coerce(other)
        if other is NotImplemented:
            return NotImplemented
        return Surd(self.b + other.b, self.c + other.c, self._common(other))

    __radd__ = __add__

    def __neg__(self):
        return Surd(-self.b, -self.c, self.r)

    def __pos__(self):
        return self

    def __sub__(self, other):
        other = _coerce(other)
        if other is NotImplemented:
            return NotImplemented
        return Surd(self.b - other.b, self.c - other.c, self._common(other))

    def __rsub__(self, other):
        return (-self).__add__(other)

    def __mul__(self, other):
        if type(other) is Fraction or type(other) is int:  # the hot path: scale by a rational
            return _new(self.b * other if self.b else _ZERO, self.c * other, self.r)
        other = _coerce(other)
        if other is NotImplemented:
            return NotImplemented
        if other.c == 0:
            return _new(self.b * other.b, self.c * other.b, self.r)
        r = self._common(other)
        return Surd(self.b * other.b + self.c * other.c * r,
                    self.b * other.c + self.c * other.b, r)

    __rmul__ = __mul__

    def conjugate(self) -> "Surd":
        return Surd(self.b, -self.c, self.r)

    def __truediv__(self, other):
        other = _coerce(other)
        if other is NotImplemented:
            return NotImplemented
        if other.c == 0:
            if other.b == 0:
                raise ZeroDivisionError("division by zero")
            return Surd(self.b / other.b, self.c / other.b, self.r)
        # Rationalize: (x)(b − c√r) / (b² − c²r); the norm is non-zero since √r is irrational.
        norm = other.b * other.b - other.c * other.c * other.r
        num = self * other.conjugate()
        return Surd(num.b / norm, num.c / norm, num.r)

    def __rtruediv__(self, other):
        other = _coerce(other)
        if other is NotImplemented:
            return NotImplemented
        return other / self

    def __abs__(self):
        return -self if sign(self) < 0 else self

    def __lt__(self, other):
        return sign(self - other) < 0

    def __le__(self, other):
        return sign(self - other) <= 0

    def __gt__(self, other):
        return sign(self - other) > 0

    def __ge__(self, other):
        return sign(self - other) >= 0

    def __float__(self):
        return to_float(self)


Exact = Surd | Fraction | int

# The slots' own setters: `_new` fills a fresh Surd without going through the
# refusing __setattr__ (a third cheaper than object.__setattr__ by name).
_alloc = object.__new__
_set_b, _set_c, _set_r = Surd.b.__set__, Surd.c.__set__, Surd.r.__set__


def _coerce(x):
    if isinstance(x, Surd):
        return x
    if isinstance(x, (int, Fraction)) and not isinstance(x, bool):
        return Surd(x)
    return NotImplemented


def _as_surd(x) -> Surd:
    if type(x) is Surd:
        return x
    s = _coerce(x)
    if s is NotImplemented:
        raise TypeError(f"not an exact number: {x!r}")
    return s


# -- conversion at the boundary ---------------------------------------------------
def to_fraction(value, field: str) -> Fraction:
    """Convert one user number to an exact Fraction, naming `field` in any error.

    Decimal strings and floats are read by their decimal digits: "0.75" and 0.75 are
    3/4, "1e-5" and 1e-5 are 1/100000 (a float means its shortest repr, never its
    binary expansion).  Fractions may be written "5/3".  bool, NaN and ±inf are refused.

    >>> to_fraction("1e-5", "eps"), to_fraction(0.1, "p"), to_fraction("-5/3", "x")
    (Fraction(1, 100000), Fraction(1, 10), Fraction(-5, 3))
    """
    if type(value) is int:  # the common case first: integer matrices
        return Fraction(value)
    if isinstance(value, bool) or value is None:
        raise InputError(field, f"expected a number, got {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InputError(field, f"must be a finite number, got {value!r}")
        return Fraction(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InputError(field, f"must be a finite number, got {value}")
        return Fraction(value)
    if isinstance(value, str):
        return _parse_number_text(value.strip(), field)
    if isinstance(value, numbers.Rational):  # SymPy Rational, numpy integers
        return Fraction(int(value.numerator), int(value.denominator))
    if type(value).__module__.startswith("numpy") and isinstance(value, numbers.Real):
        return to_fraction(float(value), field)
    raise InputError(field, f"expected a number, got {type(value).__name__} {value!r}")


_MAX_NUMBER_CHARS = 400


def _parse_number_text(text: str, field: str) -> Fraction:
    if not text:
        raise InputError(field, "empty number")
    if len(text) > _MAX_NUMBER_CHARS:
        raise InputError(field, f"number has more than {_MAX_NUMBER_CHARS} characters")
    text = text.replace("\u2212", "-")
    num, slash, den = text.partition("/")
    try:
        if slash:
            n, d = _decimal(num.strip()), _decimal(den.strip())
            if d == 0:
                raise InputError(field, f"zero denominator in {text!r}")
            return Fraction(n) / Fraction(d)
        return Fraction(_decimal(text))
    except (InvalidOperation, ValueError):
        raise InputError(field, f"not a number: {text!r}") from None


def _decimal(text: str) -> Decimal:
    d = Decimal(text)  # a grammar for decimal literals, no eval
    if not d.is_finite():
        raise ValueError(text)
    if abs(d.adjusted()) > 1000:
        raise ValueError(text)
    return d


# -- rational arithmetic on the hot paths ---------------------------------------------
def solve_linear(A, b) -> tuple[Fraction, ...] | None:
    """x with A·x = b, by Gauss–Jordan elimination in Fractions; None when A is singular."""
    n = len(b)
    M = [[Fraction(v) for v in A[i]] + [Fraction(b[i])] for i in range(n)]
    for col in range(n):
        piv = next((r for r in range(col, n) if M[r][col] != 0), None)
        if piv is None:
            return None
        M[col], M[piv] = M[piv], M[col]
        for r in range(n):
            if r != col and M[r][col] != 0:
                f = M[r][col] / M[col][col]
                M[r] = [a - f * c for a, c in zip(M[r], M[col])]
    return tuple(M[i][n] / M[i][i] for i in range(n))


def products(u, v) -> tuple[Fraction, ...]:
    """(uᵢ·vᵢ) as Fractions.  Worksheet data are mostly integers, and a Fraction built
    from an int skips the gcds that `Fraction.__mul__` spends on every product.

    >>> products([Fraction(2), Fraction(1, 2)], [3, Fraction(4)])
    (Fraction(6, 1), Fraction(2, 1))
    """
    out = []
    for a, b in zip(u, v):
        if type(a) is Fraction and type(b) is Fraction:  # their slots, as `rational` fills them
            whole = a._denominator == 1 and b._denominator == 1
            n = a._numerator * b._numerator if whole else 0
        else:
            whole = a.denominator == 1 and b.denominator == 1
            n = a.numerator * b.numerator if whole else 0
        out.append(rational(n) if whole else Fraction(a) * b)
    return tuple(out)


def total(values) -> Fraction:
    """Σ values as a Fraction (0 for none), in integers when every value is one.

    >>> total([Fraction(1), 2, Fraction(3)]), total([Fraction(1, 2), Fraction(1, 3)])
    (Fraction(6, 1), Fraction(5, 6))
    """
    values = tuple(values)
    if all(type(v) is Fraction and v._denominator == 1 for v in values):  # slot reads
        return rational(sum(v._numerator for v in values))
    if all(v.denominator == 1 for v in values):  # ints among them
        return rational(sum(v.numerator for v in values))
    return sum(values, _ZERO)


# -- square roots -------------------------------------------------------------------
@lru_cache(maxsize=4096)
def squarefree_split(n: int) -> tuple[int, int]:
    """Return (s, r) with n = s²·r and r squarefree, for n ≥ 1.

    Trial division up to n^(1/3) leaves a cofactor with at most two prime factors,
    which is then either a perfect square or squarefree; larger n go to SymPy.
    """
    if n < 1:
        raise ValueError("squarefree_split needs n >= 1")
    if n.bit_length() > 80:
        from sympy import factorint

        s = r = 1
        for p, e in factorint(n).items():
            s *= p ** (e // 2)
            r *= p ** (e % 2)
        return s, r
    s, r, m, p = 1, 1, n, 2
    while p * p * p <= m:
        if m % p == 0:
            e = 0
            while m % p == 0:
                m //= p
                e += 1
            s *= p ** (e // 2)
            r *= p ** (e % 2)
        p += 1 if p == 2 else 2
    q = isqrt(m)
    if q * q == m:
        s *= q
    else:
        r *= m
    return s, r


def _as_fraction(v) -> Fraction:
    return v if type(v) is Fraction else Fraction(v)


def _rational_surd(q: Fraction, r: int) -> Surd:
    """q·√r for squarefree r (just q when r = 1)."""
    return _new(q, _ZERO, 1) if r == 1 else _new(_ZERO, q, r)


def sqrt_rational(v: Fraction) -> Surd:
    """√v for a rational v ≥ 0, as s√r/d with r squarefree."""
    v = _as_fraction(v)
    n, d = v._numerator, v._denominator  # the sign is the numerator's (d > 0): no Fraction comparisons
    if n < 0:
        raise ValueError("square root of a negative number")
    if n == 0:
        return Surd(0)
    s, r = squarefree_split(n * d)
    return _rational_surd(rational(s, d), r)


def inv_sqrt_parts(v: Fraction) -> tuple[Fraction, int]:
    """(c, r) with 1/√v = c·√r for a rational v > 0, r squarefree: d/(s√r) = d√r/(s·r).

    The parts, not a Surd, for callers that scale many entries by the same 1/√v.
    """
    v = _as_fraction(v)
    n, d = v._numerator, v._denominator
    if n <= 0:
        raise ZeroDivisionError("1/sqrt of a non-positive number")
    s, r = squarefree_split(n * d)
    return rational(d, s * r), r  # s·r > 0: Fraction's checks are not needed


def inv_sqrt(v: Fraction) -> Surd:
    """1/√v for a rational v > 0, rationalized: d/(s√r) = d√r/(s·r)."""
    return _rational_surd(*inv_sqrt_parts(v))


# -- comparisons, floor, rounding ---------------------------------------------------
def sign(x) -> int:
    """Exact sign of b + c√r, without floats."""
    x = _as_surd(x)
    sb = (x.b > 0) - (x.b < 0)
    sc = (x.c > 0) - (x.c < 0)
    if sc == 0 or sb == sc:
        return sb or sc
    if sb == 0:
        return sc
    # Opposite signs: the larger square wins; equality is impossible for squarefree r ≥ 2.
    return sb if x.b * x.b > x.c * x.c * x.r else sc


def floor_exact(x) -> int:
    """⌊b + c√r⌋ exactly: bracket c√r with one isqrt, then settle by exact comparisons."""
    x = _as_surd(x)
    if x.c == 0:
        return x.b.numerator // x.b.denominator
    t = x.c * x.c * x.r  # (c√r)² as a rational
    scale = 1 << _GUARD_BITS
    root = isqrt(t.numerator * scale * scale // t.denominator)  # ≈ |c|√r · 2^g, from below
    approx_val = x.b + (Fraction(root, scale) if x.c > 0 else -Fraction(root, scale))
    k = approx_val.numerator // approx_val.denominator
    while sign(x - k) < 0:
        k -= 1
    while sign(x - (k + 1)) >= 0:
        k += 1
    return k


def _round_scaled(x: Surd, places: int) -> int:
    """Round x·10^places to an integer, half away from zero, in integer arithmetic.

    With D a common denominator, x·10^p = (B + C√r)/D for integers B, C.  Then
    round = ⌊(2B + D + 2C√r)/(2D)⌋ for x ≥ 0, and ⌊2C√r⌋ is one `isqrt` because
    √r is irrational (r squarefree ≥ 2).  Negative x rounds as −round(−x).
    """
    if places < 0:
        return _round_scaled(x * Fraction(1, 10 ** -places), 0)
    scale = 10**places
    b, c = x.b, x.c  # Fractions (a Surd's invariant): their slots read once
    bn, bd = b._numerator, b._denominator
    if not c._numerator:
        return _round_rational(bn * scale, bd)
    cd = c._denominator
    D = bd * cd // gcd(bd, cd)
    B = bn * (D // bd) * scale
    C = c._numerator * (D // cd) * scale
    # sign(B + C√r) in integers: opposite signs are settled by comparing squares.
    negative = (B < 0 if (B < 0) == (C < 0) or B == 0 else
                (B * B > C * C * x.r) == (B < 0))
    if negative:
        B, C = -B, -C
    root = isqrt(4 * C * C * x.r)                      # ⌊|2C|√r⌋
    floor_2c_root = root if C > 0 else -(root + 1)     # ⌊2C√r⌋, never an integer
    q = (2 * B + D + floor_2c_root) // (2 * D)
    return -q if negative else q


def _round_rational(n: int, d: int) -> int:
    """n/d rounded to an integer, half away from zero (d > 0)."""
    q = (2 * abs(n) + d) // (2 * d)
    return -q if n < 0 else q


def _format_scaled(n: int, places: int) -> str:
    digits = str(abs(n))
    if places > 0:
        digits = digits.rjust(places + 1, "0")
        digits = digits[:-places] + "." + digits[-places:]
    elif places < 0:
        digits += "0" * (-places)
    return ("-" if n < 0 else "") + digits


def round_decimal(x, places: int) -> str:
    """The decimal string of x correctly rounded (half away from zero) to `places`.

    >>> round_decimal(Fraction(5, 3), 2), round_decimal(Fraction(-5, 2), 0), round_decimal(Surd(1, -1, 3), 4)
    ('1.67', '-3', '-0.7321')
    """
    x = _as_surd(x)
    n = _round_scaled(x, places)
    return _format_scaled(n, places)


def _decimal_exponent(x: Surd) -> int:
    """e with 10^e ≤ |x| < 10^(e+1), for x ≠ 0."""
    ax = abs(x)
    e = len(str(floor_exact(ax))) - 1 if ax >= 1 else -1
    while ax < Fraction(10) ** e:
        e -= 1
    while ax >= Fraction(10) ** (e + 1):
        e += 1
    return e


def round_sigfigs(x, figures: int) -> str:
    """x correctly rounded to `figures` significant figures, as a plain decimal string.

    >>> round_sigfigs(Fraction(20, 3), 3), round_sigfigs(Fraction(9996, 1000), 3), round_sigfigs(Fraction(-1, 700), 2)
    ('6.67', '10.0', '-0.0014')
    """
    if figures < 1:
        raise InputError("sigfigs", "must be at least 1")
    x = _as_surd(x)
    if sign(x) == 0:
        return "0"
    e = _decimal_exponent(x)
    places = figures - 1 - e
    n = _round_scaled(x, places)
    if len(str(abs(n))) > figures:  # rounding carried into a new digit: 9.996 → 10.0
        places -= 1
        n = _round_scaled(x, places)
    return _format_scaled(n, max(places, 0)) if places >= 0 else _format_scaled(n, places)


def _rational_parts(x) -> tuple[int, int] | None:
    """(numerator, denominator) of a rational x, None for an irrational Surd.

    The printers ask for the decimals of every entry shown, so Fractions and
    rational Surds skip the Surd coercion.
    """
    t = type(x)
    if t is Surd:  # b and c are Fractions: their slots (see `rational`)
        return None if x.c._numerator else (x.b._numerator, x.b._denominator)
    if t is Fraction:
        return x._numerator, x._denominator
    if t is int:
        return x, 1
    x = _as_surd(x)
    return None if x.c else (x.b.numerator, x.b.denominator)


def is_terminating(x, places: int) -> bool:
    """True when x is rational with at most `places` decimals (so it can be shown exactly)."""
    q = _rational_parts(x)
    if q is None:
        return False
    return 10**places % q[1] == 0  # the denominator divides 10^places


def approx(x, decimals: int | None = 2, sigfigs: int | None = None) -> str:
    """The decimal shown beside an exact value: exact when it terminates, else rounded once.

    >>> approx(Fraction(1, 2)), approx(Fraction(5, 3)), approx(4), approx(Fraction(5, 3), sigfigs=3)
    ('0.5', '1.67', '4', '1.67')
    """
    if sigfigs is not None:
        return round_sigfigs(x, sigfigs)
    q = _rational_parts(x)
    if q is None or decimals < 0:
        return round_decimal(x, decimals)
    n, d = q
    scale = 10**decimals
    if scale % d == 0:  # terminating: shown exactly, trailing zeros dropped
        text = _format_scaled(n * scale // d, decimals)
        return text.rstrip("0").rstrip(".") if "." in text else text
    return _format_scaled(_round_rational(n * scale, d), decimals)


def approx_relation(x, decimals: int | None = 2, sigfigs: int | None = None) -> str:
    """`approx(x)` after "=" when it is x exactly and after "≈" when it is rounded, for prose:
    "|y_corr − y_orig| = 46.67" stated an equality that does not hold (the value is 140/3).

    >>> approx_relation(Fraction(1, 2)), approx_relation(Fraction(140, 3)), approx_relation(Surd(0, 1, 2))
    ('= 0.5', '≈ 46.67', '≈ 1.41')
    """
    shown = approx(x, decimals, sigfigs)
    q = _rational_parts(x)
    try:
        exact = q is not None and Fraction(shown) == Fraction(*q)
    except ValueError:  # not a plain decimal
        exact = False
    return f"{'=' if exact else '≈'} {shown}"


# -- output forms -----------------------------------------------------------------
def ratio_str(n: int, d: int) -> str:
    """The rational n/d (lowest terms, d > 0) as `exact_str` prints it: "3", "-5/2"."""
    return str(n) if d == 1 else f"{n}/{d}"


def surd_str(bn: int, bd: int, cn: int, cd: int, r: int) -> str:
    """bn/bd + (cn/cd)·√r as `exact_str` prints it, from the integers of its parts (callers
    that hold them print without Fraction arithmetic): '-1 - 2*sqrt(3)/3'."""
    b = ratio_str(bn, bd)
    if cn == 0:
        return b
    c = -cn if cn < 0 else cn
    radical = ("sqrt(" if c == 1 else f"{c}*sqrt(") + (f"{r})" if cd == 1 else f"{r})/{cd}")
    if bn == 0:
        return "-" + radical if cn < 0 else radical
    return f"{b} - {radical}" if cn < 0 else f"{b} + {radical}"


def exact_str(x) -> str:
    """A SymPy-parsable string: '-1 - 2*sqrt(3)/3', '4*sqrt(3)', '20/3'."""
    t = type(x)
    if t is Fraction:  # params and most results: no Surd needed to print a rational
        return ratio_str(*x.as_integer_ratio())
    if t is int:
        return str(x)
    x = _as_surd(x)
    return surd_str(*x.b.as_integer_ratio(), *x.c.as_integer_ratio(), x.r)


def to_sympy(x):
    """The SymPy number for an exact value (Surd, Fraction, int); others pass through."""
    import sympy

    if isinstance(x, Fraction):
        return sympy.Rational(x.numerator, x.denominator)
    if isinstance(x, bool):
        raise TypeError("bool is not a number")
    if isinstance(x, int):
        return sympy.Integer(x)
    if isinstance(x, Surd):
        b = sympy.Rational(x.b.numerator, x.b.denominator)
        if x.c == 0:
            return b
        return b + sympy.Rational(x.c.numerator, x.c.denominator) * sympy.sqrt(x.r)
    return x


def to_float(x) -> float:
    """A float for numeric comparisons only (never fed back into exact math).

    √r is bracketed to 64 fractional bits (R/2⁶⁴) and the sum rounded once, so the
    result is within an ulp or so of the truth without float cancellation.  The sum
    b + c·R/2⁶⁴ is one integer quotient; int / int rounds correctly, as Fraction → float.
    """
    t = type(x)
    if t is Fraction:  # int / int rounds once, as float(Fraction) does
        return x._numerator / x._denominator
    if t is int:
        return x / 1
    if t is not Surd:
        x = _as_surd(x)
    b, c = x.b, x.c
    if not c._numerator:
        return b._numerator / b._denominator
    bd, cd = b._denominator, c._denominator
    return ((b._numerator * cd << _GUARD_BITS) + c._numerator * _root_bits(x.r) * bd) / (bd * cd << _GUARD_BITS)


def floats(values) -> list[float]:
    """`to_float` of each value of a vector (the numeric path's input arrays); its rational
    case inline, as params' entries are Fractions."""
    return [v._numerator / v._denominator if type(v) is Fraction else to_float(v) for v in values]


@lru_cache(maxsize=256)
def _root_bits(r: int) -> int:
    """⌊√r · 2⁶⁴⌋ (a handful of radicands recur across a problem's entries)."""
    return isqrt(r << (2 * _GUARD_BITS))
