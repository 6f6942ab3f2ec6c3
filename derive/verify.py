"""Judge typed answers against exact values: tolerance modes and per-entry verdicts.

Every decision is exact.  Differences are SymPy expressions; their signs are settled by
integer arithmetic when they have the form ``p + q·√r`` (every LayerNorm/BatchNorm
entry does) and otherwise by ``evalf(strict=True)``, which either returns a value with
the requested relative accuracy (so its sign is the true sign) or says it cannot,
after which the difference is simplified and tested for zero.  No Python float ever
takes part in a decision; ``rtol``/``atol`` given as floats are read through their
shortest decimal repr (``0.01`` -> 1/100).

    >>> from derive.answers import parse_answer
    >>> judge(parse_answer("[1.67, 1.66]"), [Rational(5, 3)] * 2).score
    Fraction(1, 2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from fractions import Fraction
from numbers import Integral

import sympy
from sympy import Integer, Rational, S
from sympy.core.evalf import PrecisionExhausted

from .answers import Answer, Scalar, parse_answer
from .errors import DeriveError, InputError

__all__ = [
    "MODES",
    "Tolerance",
    "EntryVerdict",
    "Verdict",
    "DEFAULT_TOLERANCE",
    "PRAIRIELEARN",
    "WEBWORK",
    "judge_entry",
    "judge",
    "round_half_away",
    "round_sigfigs",
]

MODES = ("exact", "decimals", "sigfigs", "relative", "implied")


def _to_fraction(value, field: str) -> Fraction:
    """A non-negative tolerance as an exact Fraction; floats via their shortest repr."""
    if isinstance(value, bool):
        raise InputError(field, "expected a number, got a boolean")
    try:
        if isinstance(value, Fraction):
            out = value
        elif isinstance(value, Integral):
            out = Fraction(int(value))
        elif isinstance(value, sympy.Rational):
            out = Fraction(int(value.p), int(value.q))
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise InputError(field, f"must be finite, got {value!r}")
            out = Fraction(repr(value))  # 0.01 -> 1/100, not 5764607523034235/2**59
        elif isinstance(value, str):
            out = Fraction(value.strip())
        else:
            raise InputError(field, f"expected a number, got {type(value).__name__}")
    except (ValueError, ZeroDivisionError):
        raise InputError(field, f"not a number: {value!r}") from None
    if out < 0:
        raise InputError(field, f"must not be negative, got {value!r}")
    return out


@dataclass(frozen=True)
class Tolerance:
    """How close a typed answer must be; every mode accepts an answer exactly equal.

    - ``"implied"`` (default): the typed digits set the tolerance.  "1.67" (2 decimals)
      is accepted when |answer − exact| ≤ ½·10⁻², *inclusive*, so the correctly rounded
      value always passes and at an exact tie (0.125 -> 0.12 or 0.13) both neighbours do.
      Integers, fractions and surds are exact forms and must be equal.
    - ``"decimals"``: the answer must equal the exact value rounded half away from zero
      to ``digits`` decimals (``last_place_slack`` also accepts ±1 in the last place).
    - ``"sigfigs"``: the same with ``digits`` significant figures.
    - ``"relative"``: |answer − exact| ≤ max(rtol·|exact|, atol).  Defaults are
      PrairieLearn's ``pl-number-input`` (rtol = 1e-2, atol = 1e-8); WeBWorK uses
      0.1 % relative (see ``WEBWORK``).
    - ``"exact"``: symbolic equality only.

    >>> Tolerance("relative")
    Tolerance(mode='relative', digits=None, rtol=Fraction(1, 100), atol=Fraction(1, 100000000), last_place_slack=False)
    """

    mode: str = "implied"
    digits: int | None = None
    rtol: Fraction | None = None
    atol: Fraction | None = None
    last_place_slack: bool = False

    def __post_init__(self):
        if self.mode not in MODES:
            raise InputError("tolerance", f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        rounding = self.mode in ("decimals", "sigfigs")
        if rounding:
            low = 0 if self.mode == "decimals" else 1
            if not isinstance(self.digits, Integral) or isinstance(self.digits, bool) \
                    or not low <= self.digits <= 1000:
                raise InputError("digits", f"{self.mode} mode needs a whole number of digits "
                                           f"from {low} to 1000, got {self.digits!r}")
            object.__setattr__(self, "digits", int(self.digits))
        elif self.digits is not None:
            raise InputError("digits", f"only used by decimals and sigfigs modes, not {self.mode}")
        if self.last_place_slack and not rounding:
            raise InputError("last_place_slack", "only used by decimals and sigfigs modes")
        if self.mode == "relative":
            rtol = Fraction(1, 100) if self.rtol is None else _to_fraction(self.rtol, "rtol")
            atol = Fraction(1, 10**8) if self.atol is None else _to_fraction(self.atol, "atol")
            object.__setattr__(self, "rtol", rtol)
            object.__setattr__(self, "atol", atol)
        elif self.rtol is not None or self.atol is not None:
            raise InputError("tolerance", f"rtol/atol are only used by relative mode, not {self.mode}")


DEFAULT_TOLERANCE = Tolerance()
PRAIRIELEARN = Tolerance("relative", rtol=Fraction(1, 100), atol=Fraction(1, 10**8))
WEBWORK = Tolerance("relative", rtol=Fraction(1, 1000), atol=Fraction(1, 10**12))


@dataclass(frozen=True)
class EntryVerdict:
    """The judgement of one entry; ``error`` is the exact difference answer − exact."""

    correct: bool
    answer: Scalar
    exact: sympy.Expr
    error: sympy.Expr
    reason: str
    index: tuple[int, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The judgement of a whole answer.  A shape mismatch is a verdict, not an exception:
    then ``entries`` is empty, ``score`` is 0 and ``reason`` says what differs."""

    correct: bool
    score: Fraction  # fraction of entries correct
    entries: tuple[EntryVerdict, ...]  # row-major, in the exact value's shape
    shape: tuple[int, ...]  # shape of the exact value
    answer_shape: tuple[int, ...]
    tolerance: Tolerance
    reason: str

    @property
    def wrong(self) -> tuple[EntryVerdict, ...]:
        """The entries judged wrong, in row-major order."""
        return tuple(e for e in self.entries if not e.correct)


# ---------------------------------------------------------------- exact signs


class _Undecided(DeriveError):
    """The sign of a difference could not be settled (not reached by surds or pi)."""

    def __init__(self, x):
        super().__init__(f"could not decide the sign of {x} exactly")


def _surd(x: sympy.Expr) -> tuple[Fraction, Fraction, int] | None:
    """(p, q, r) with x = p + q·√r and r a positive integer, or None for other forms."""
    if x.is_Rational:
        return Fraction(x.p, x.q), Fraction(0), 1
    if x.is_Add:
        b, rest = x.as_coeff_Add()
        if not b.is_Rational:
            return None
    else:
        b, rest = S.Zero, x
    c, s = rest.as_coeff_Mul()
    if c.is_Rational and s.is_Pow and s.exp == S.Half and s.base.is_Integer and s.base.p > 0:
        return Fraction(b.p, b.q), Fraction(c.p, c.q), int(s.base.p)
    return None


def _sign_surd(p: Fraction, q: Fraction, r: int) -> int:
    """Exact sign of p + q·√r: compare p² with q²·r when the two terms disagree."""
    # Scale by the positive p.den·q.den so that only integers are compared.
    a, b = p.numerator * q.denominator, q.numerator * p.denominator
    sa, sb = (a > 0) - (a < 0), (b > 0) - (b < 0)
    if sb == 0 or sa == sb:
        return sa if sa else sb
    if sa == 0:
        return sb
    lhs, rhs = a * a, b * b * r
    return sa if lhs > rhs else sb if lhs < rhs else 0


def _evalf_sign(x: sympy.Expr, digits: int) -> int | None:
    try:
        v = x.evalf(digits, strict=True)
    except PrecisionExhausted:  # could not tell it from zero at this precision
        return None
    if not v.is_Float or v == 0:
        return None
    return 1 if v > 0 else -1


def _sign(x: sympy.Expr) -> int:
    """Exact sign of a real constant expression; raises _Undecided if it cannot."""
    if x.is_Rational:
        return (x.p > 0) - (x.p < 0)
    parts = _surd(x)
    if parts is not None:
        return _sign_surd(*parts)
    sign = _evalf_sign(x, 30)
    if sign is not None:
        return sign
    # Probably zero in disguise, e.g. (1+√2)² − 3 − 2√2: expand to a canonical form.
    y = sympy.expand(x)
    parts = _surd(y)
    if parts is not None:
        return _sign_surd(*parts)
    if y.equals(0):  # simplification, then minimal polynomials for algebraic numbers
        return 0
    for digits in (100, 400, 1600):
        sign = _evalf_sign(x, digits)
        if sign is not None:
            return sign
    raise _Undecided(x)


def _sign_linear(x: sympy.Expr, px: tuple | None, scale: Fraction, shift: Fraction) -> int:
    """Exact sign of scale·x − shift, on surd parts when there are any."""
    if px is not None:
        p, q, r = px
        return _sign_surd(scale * p - shift, scale * q, r)
    return _sign(_rational(scale) * x - _rational(shift))


def _rational(f: Fraction) -> Rational:
    return Rational(f.numerator, f.denominator)


def _abs_le(d: sympy.Expr, bound: Fraction) -> bool:
    """Exactly |d| ≤ bound."""
    parts = _surd(d)
    s = _sign_surd(*parts) if parts is not None else _sign(d)
    return s == 0 or _sign_linear(d, parts, Fraction(s), bound) <= 0


def _floor_log10(x: sympy.Expr) -> int:
    """Exact e with 10**e ≤ |x| < 10**(e+1) for x ≠ 0 (a float only guesses e)."""
    sign = _sign(x)
    if sign == 0:
        raise _Undecided(x)  # callers handle zero first; this only guards the loop
    ax = x if sign > 0 else -x
    parts = _surd(ax)
    if ax.is_Rational:
        e = len(str(ax.p)) - len(str(ax.q))
    else:  # a guess only: the loop below checks it exactly
        try:
            e = math.floor(math.log10(float(parts[0]) + float(parts[1]) * math.sqrt(parts[2])))
        except (TypeError, ValueError, OverflowError):
            sign, man, exp, bc = ax.evalf(15)._mpf_
            e = math.floor((exp + bc) * 0.30102999566398120)
    for _ in range(100):
        if _sign_linear(ax, parts, Fraction(1), Fraction(10) ** e) < 0:
            e -= 1
        elif _sign_linear(ax, parts, Fraction(1), Fraction(10) ** (e + 1)) >= 0:
            e += 1
        else:
            return e
    raise _Undecided(x)


def _exact(x, field: str = "exact") -> sympy.Expr:
    """An exact SymPy number from SymPy, int, Fraction or text (parsed safely)."""
    if isinstance(x, sympy.Basic):
        if x.is_Rational:
            return x
        if not x.is_number or x.has(sympy.Float) or x.is_extended_real is False:
            raise InputError(field, f"expected an exact real number, got {x}")
        return x
    if isinstance(x, bool) or isinstance(x, float):
        raise InputError(field, f"expected an exact number, got {x!r} (floats are not exact)")
    if isinstance(x, Integral):
        return Integer(int(x))
    if isinstance(x, Fraction):
        return Rational(x.numerator, x.denominator)
    if isinstance(x, str):
        answer = parse_answer(x)
        if answer.shape != ():
            raise InputError(field, f"expected one number, got shape {answer.shape}")
        return answer.entries.value
    raise InputError(field, f"expected an exact number, got {type(x).__name__}")


# ---------------------------------------------------------------- rounding


def round_half_away(x, places: int) -> Rational:
    """Round an exact value to ``places`` decimals, ties away from zero (the school rule).

    The general SymPy fallback (``derive.exact`` has the fast path for b + c·√r): a
    guess n for |x|·10^places is checked exactly, n − ½ ≤ |x|·10^places < n + ½, and
    moved until it holds, so floats and evalf only ever propose, never decide.

    >>> round_half_away(Rational(1, 8), 2), round_half_away(-Rational(1, 8), 2)
    (13/100, -13/100)
    >>> round_half_away(1 - sympy.sqrt(3), 4)
    -7321/10000
    >>> round_half_away(Rational(2675, 1000), 2)
    67/25
    """
    x = _exact(x, "x")
    scale = Fraction(10) ** places
    if x.is_Rational:
        y = Fraction(x.p, x.q) * scale
        n = (2 * abs(y.numerator) + y.denominator) // (2 * y.denominator)
        return _rational(Fraction(n if y >= 0 else -n) / scale)
    s = _sign(x)
    if s == 0:  # zero in disguise, e.g. (1+√2)² − 3 − 2√2
        return S.Zero
    parts = _surd(x)
    if parts is not None:
        p, q, r = parts[0] * s * scale, parts[1] * s * scale, parts[2]
        # q·√r = ±√(q²r); isqrt gets it to within one, and the loop below corrects that.
        guess = p + (1 if q > 0 else -1) * math.isqrt(math.floor(q * q * r))
        ay, py = None, (p, q, r)
    else:
        ay = (x if s > 0 else -x) * _rational(scale)
        sign, man, exp, bc = ay.evalf(15)._mpf_
        digits = max(15, int((exp + bc) * 0.302) + 15)
        sign, man, exp, bc = ay.evalf(digits)._mpf_  # the binary float, read exactly
        guess = Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2**-exp)
        py = None
    n = math.floor(guess + Fraction(1, 2))
    for _ in range(64):
        if _sign_linear(ay, py, Fraction(1), n - Fraction(1, 2)) < 0:
            n -= 1
        elif _sign_linear(ay, py, Fraction(1), n + Fraction(1, 2)) >= 0:
            n += 1
        else:
            return _rational(Fraction(s * n) / scale)
    raise _Undecided(x)


def round_sigfigs(x, digits: int) -> Rational:
    """Round an exact value to ``digits`` significant figures, ties away from zero.

    >>> round_sigfigs(Rational(2, 3) * 1000, 2), round_sigfigs(-sympy.sqrt(2) / 1000, 3)
    (670, -141/100000)
    """
    x = _exact(x, "x")
    if _sign(x) == 0:
        return S.Zero
    return round_half_away(x, digits - 1 - _floor_log10(x))


def _decimal_str(v: Fraction, places: int) -> str:
    """An exact multiple of 10**-places written with that many decimals."""
    places = max(places, 0)
    n = v * 10**places
    n = n.numerator // n.denominator if n >= 0 else -((-n.numerator) // n.denominator)
    sign, digits = ("-" if n < 0 else ""), str(abs(n)).rjust(places + 1, "0")
    return sign + (digits[:-places] + "." + digits[-places:] if places else digits)


@lru_cache(maxsize=4096)  # a class's wrong answers share a few exact values: round each once
def _approx(x: sympy.Expr, sig: int = 6, places: int | None = None) -> str:
    """Exact value rounded for a message (only built for wrong entries)."""
    if places is not None:  # cheaper: one rounding, no magnitude search
        r = round_half_away(x, places)
        return _decimal_str(Fraction(r.p, r.q), places)
    r = round_sigfigs(x, sig)
    if r == 0:
        return "0"
    return _decimal_str(Fraction(r.p, r.q), sig - 1 - _floor_log10(r))


def _place(k: int) -> str:
    if k > 0:
        return f"{k} decimal{'s' if k != 1 else ''}"
    return "the units" if k == 0 else f"10^{-k}"


# ---------------------------------------------------------------- verdicts


def _as_scalar(answer) -> Scalar:
    if isinstance(answer, Scalar):
        return answer
    if isinstance(answer, str):
        parsed = parse_answer(answer)
        if parsed.shape != ():
            raise InputError("answer", f"expected one number, got shape {parsed.shape}")
        return parsed.entries
    return Scalar(_exact(answer, "answer"), "", 0)


def judge_entry(answer, exact, tol: Tolerance = DEFAULT_TOLERANCE, *,
                index: tuple[int, ...] = ()) -> EntryVerdict:
    """Judge one typed value (a Scalar, or text/SymPy) against one exact value.

    >>> e = -1 - 2 * sympy.sqrt(3) / 3
    >>> judge_entry("-2.15", e).correct, judge_entry("-2.16", e).correct
    (True, False)
    >>> judge_entry("1.67", Rational(5, 3), Tolerance("decimals", digits=2)).reason
    'equals the exact value rounded to 2 decimals'
    """
    scalar = _as_scalar(answer)
    t = _exact(exact)
    a = scalar.value
    d = a - t
    try:
        correct, reason = _decide(scalar, a, t, d, tol)
    except _Undecided:
        correct, reason = False, "could not be compared exactly with the exact value"
    return EntryVerdict(correct, scalar, t, d, reason, tuple(index))


def _decide(scalar: Scalar, a, t, d, tol: Tolerance) -> tuple[bool, str]:
    mode = tol.mode
    if mode == "exact" or (mode == "implied" and scalar.exact):
        if _sign(d) == 0:
            return True, "equals the exact value"
        what = "an exact form" if mode == "implied" else "the answer"
        return False, f"{what} must equal the exact value ≈ {_approx(t)}"
    if mode == "implied":
        if scalar.decimals is not None:
            k = scalar.decimals
            half = Fraction(1, 2) * Fraction(10) ** -k
            where = _place(k)
        else:  # an expression with decimals in it: half a unit of its last significant digit
            k = scalar.sigfigs - 1 - _floor_log10(a) if _sign(a) else 0
            half = Fraction(1, 2) * Fraction(10) ** -k
            where = f"{scalar.sigfigs} significant figures"
        if _abs_le(d, half):
            return True, f"within half a unit of the last typed digit ({where})"
        return False, (f"off by more than half a unit of the last typed digit ({where}); "
                       f"the exact value ≈ {_approx(t, places=max(k, 0) + 3)}")
    if mode in ("decimals", "sigfigs"):
        if d == 0 or (not d.is_Rational and _sign(d) == 0):
            return True, "equals the exact value"
        n = tol.digits
        if mode == "decimals":
            r, k, what = round_half_away(t, n), n, f"{n} decimal{'s' if n != 1 else ''}"
        else:
            r = round_sigfigs(t, n)
            k = n - 1 - _floor_log10(r) if r != 0 else n - 1
            what = f"{n} significant figure{'s' if n != 1 else ''}"
        expected = _decimal_str(Fraction(r.p, r.q), k)
        if tol.last_place_slack:
            if _abs_le(a - r, Fraction(10) ** -k):
                return True, f"within one unit in the last place of {expected} ({what})"
            return False, f"expected {expected} (exact value rounded to {what}) ± one unit in the last place"
        if _sign(a - r) == 0:
            return True, f"equals the exact value rounded to {what}"
        return False, f"expected {expected} (exact value rounded half away from zero to {what})"
    # relative
    if _abs_le(d, tol.atol):
        return True, f"|error| ≤ atol = {tol.atol}"
    pd, pt = _surd(d), _surd(t)
    if pd is not None and pt is not None and (pd[1] == 0 or pt[1] == 0 or pd[2] == pt[2]):
        sd, st = _sign_surd(*pd), _sign_surd(*pt)
        r = pd[2] if pd[1] else pt[2]
        sign = _sign_surd(sd * pd[0] - tol.rtol * st * pt[0], sd * pd[1] - tol.rtol * st * pt[1], r)
    else:
        sd, st = _sign(d), _sign(t)
        sign = _sign(sd * d - _rational(tol.rtol) * st * t)
    if sign <= 0:
        return True, f"|error| ≤ rtol·|exact| with rtol = {tol.rtol}"
    return False, (f"|error| > max(rtol·|exact|, atol) with rtol = {tol.rtol}, atol = {tol.atol}; "
                   f"the exact value ≈ {_approx(t)}")


def _flatten(exact) -> tuple[list, tuple[int, ...]]:
    """Row-major values and shape of a scalar, nested list/tuple, SymPy Matrix or text."""
    if isinstance(exact, sympy.MatrixBase):
        return list(exact), tuple(exact.shape)
    if isinstance(exact, str):
        answer = parse_answer(exact)
        return [s.value for s in answer.flat], answer.shape
    if not isinstance(exact, (list, tuple)):
        return [exact], ()
    if not exact:
        raise InputError("exact", "empty list")
    parts = [_flatten(e) for e in exact]
    shape = parts[0][1]
    if any(p[1] != shape for p in parts):
        raise InputError("exact", "ragged nested list (rows of different shapes)")
    return [v for p in parts for v in p[0]], (len(exact),) + shape


def _squeeze(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(n for n in shape if n != 1)


def _indices(shape: tuple[int, ...]):
    idx = [()]
    for n in shape:
        idx = [i + (j,) for i in idx for j in range(n)]
    return idx


def judge(answer, exact, tol: Tolerance = DEFAULT_TOLERANCE) -> Verdict:
    """Judge a whole answer (an Answer, or text to parse) against exact values.

    Shapes must agree; a vector may also be typed as a one-row or one-column matrix
    (and a scalar as ``[x]``).  ``exact`` may be a SymPy value, a nested list/tuple or a
    SymPy Matrix.

    >>> v = judge("[[1, 0.01]]", sympy.Matrix([[1, 0]]))
    >>> v.correct, v.score, [e.index for e in v.wrong]
    (False, Fraction(1, 2), [(0, 1)])
    >>> judge("[1, 2, 3]", [[1, 2], [3, 4]]).reason
    'shape mismatch: the answer has shape (3,), the exact answer has shape (2, 2)'
    """
    if isinstance(answer, str):
        answer = parse_answer(answer)
    if not isinstance(answer, Answer):
        raise InputError("answer", f"expected an Answer or text, got {type(answer).__name__}")
    values, shape = _flatten(exact)
    ashape = answer.shape
    if ashape != shape and not (_squeeze(ashape) == _squeeze(shape) and len(_squeeze(shape)) <= 1):
        reason = (f"shape mismatch: the answer has shape {ashape}, "
                  f"the exact answer has shape {shape}")
        return Verdict(False, Fraction(0), (), shape, ashape, tol, reason)
    entries = tuple(judge_entry(a, t, tol, index=i)
                    for a, t, i in zip(answer.flat, values, _indices(shape)))
    n_ok = sum(e.correct for e in entries)
    n = len(entries)
    if n_ok == n:
        reason = "correct" if n == 1 else f"all {n} entries correct"
    else:
        wrong = ", ".join(str(e.index) for e in entries if not e.correct)
        reason = f"{n - n_ok} of {n} entries wrong" + (f": {wrong}" if shape else "")
    return Verdict(n_ok == n, Fraction(n_ok, n), entries, shape, ashape, tol, reason)
