"""Exact values in the shapes renderers and the API need: SymPy, strings, decimals.

Values are scalars (int, Fraction, Surd, SymPy), vectors (tuples) or matrices
(tuples of tuples).  Decimals are always rounded once from the exact value.
"""

from __future__ import annotations

from fractions import Fraction

from ..exact import Surd, approx, exact_str, is_terminating, ratio_str, surd_str, to_sympy
from ..forms import Mat, Vec, Words
from ..memo import keep
from ..model import Precision
from ..nested import flatten, indexed_entries, value_shape
from .printers import Dec, sympy_str

__all__ = [
    "is_exact_scalar", "map_value", "to_sympy_value", "exact_strings", "decimal_strings", "json_strings",
    "display", "approx_display", "is_exactly_shown", "decimal_entries", "flatten", "indexed_entries", "value_shape",
]


def is_exact_scalar(x) -> bool:
    return isinstance(x, (int, Fraction, Surd)) and not isinstance(x, bool)


def map_value(fn, value):
    """Apply fn to every scalar of a scalar, vector or matrix value."""
    if isinstance(value, tuple):
        return tuple(map_value(fn, v) for v in value)
    if isinstance(value, list):
        return [map_value(fn, v) for v in value]
    return fn(value)


def _undefined(x) -> bool:
    return type(x).__name__ == "Undefined"


def to_sympy_value(value):
    """SymPy form: Matrix for vectors/matrices, Rational/Expr for scalars."""
    import sympy

    from ..errors import UndefinedError

    def conv(x):
        if _undefined(x):
            raise UndefinedError(f"the answer is undefined: {x.reason}")
        return to_sympy(x)

    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return sympy.ImmutableMatrix([[conv(x) for x in row] for row in value])
    if isinstance(value, tuple):
        return sympy.ImmutableMatrix([[conv(x) for x in value]])
    return conv(value)


def _scalar_exact_str(x) -> str:
    kind = type(x)
    if kind is Fraction or kind is int or kind is Surd:  # nearly every value
        return exact_str(x)
    if _undefined(x):
        return "undefined"
    if is_exact_scalar(x):
        return exact_str(x)
    if isinstance(x, str):
        return x
    return sympy_str(x)  # SymPy's own str is SymPy-parsable


def exact_strings(value):
    """SymPy-parsable strings, nested like the value (lists for JSON)."""
    return _json_shaped(_scalar_exact_str, value)


DECIMALS_KEPT = 4096  # decimals of recent exact values, by value


def _scalar_decimal(x, precision: Precision) -> str:
    kind = type(x)
    if kind is Fraction or kind is int or kind is Surd:  # nearly every value: no other test applies
        return _exact_decimal(x, precision)
    if _undefined(x):
        return "undefined"
    if is_exact_scalar(x):
        return approx(x, precision.decimals, precision.sigfigs)
    if hasattr(x, "is_number") and x.is_number:
        from ..verify import round_half_away

        if x.is_Rational:
            return approx(Fraction(int(x.p), int(x.q)), precision.decimals, precision.sigfigs)
        if precision.sigfigs is not None:
            return str(x.evalf(precision.sigfigs + 5).round(precision.sigfigs))  # pragma: no cover
        q = round_half_away(x, precision.decimals)
        return approx(Fraction(int(q.p), int(q.q)), precision.decimals)
    return sympy_str(x)  # not a number (K·n): its exact text


# approx() of recent values, keyed by plain ints (hashing a Fraction is slow):
# (n, d, decimals, sigfigs) for a rational, (bn, bd, cn, cd, r, decimals, sigfigs) for a Surd.
# A Fraction's integers are read from its slots, as in `printers`: its as_integer_ratio() is
# a Python method, and these run for every decimal and every exact string of a variant.
_DECIMALS: dict = {}


def _exact_decimal(x, precision: Precision) -> str:
    """approx(x) of an int, Fraction or Surd (the text of its `Dec`), kept by value: the same
    entries recur across a batch of variants, and rounding a surd costs an isqrt."""
    kind = type(x)
    if kind is Surd:
        b, c = x.b, x.c
        key = (b._numerator, b._denominator, c._numerator, c._denominator, x.r, precision.decimals, precision.sigfigs)
    elif kind is Fraction:
        key = (x._numerator, x._denominator, precision.decimals, precision.sigfigs)
    else:
        key = (x, 1, precision.decimals, precision.sigfigs)
    text = _DECIMALS.get(key)
    if text is None:
        text = keep(_DECIMALS, key, approx(x, precision.decimals, precision.sigfigs), DECIMALS_KEPT)
    return text


def decimal_entries(items, precision: Precision) -> list[str]:
    """The text of a `Dec` of each entry (what ≈ shows), in one loop: exact numbers go
    straight to `_exact_decimal`, without `decimal_strings`' closure and `_scalar_decimal`'s
    checks (those calls were most of the cost of a short vector's or matrix's ≈ row)."""
    return [_exact_decimal(x, precision) if type(x) in _EXACT_TYPES else _scalar_decimal(x, precision)
            for x in items]


_EXACT_TYPES = frozenset((Fraction, int, Surd))


def decimal_strings(value, precision: Precision):
    """Correctly rounded decimal strings, nested like the value."""
    def decimal(x):  # a closure: a partial with keywords copies them into a new dict each call
        return _scalar_decimal(x, precision)

    return _json_shaped(decimal, value)


def _json_shaped(fn, value):
    """fn of every scalar, vectors and matrices as lists (JSON's shape), in one pass."""
    if isinstance(value, tuple):
        return [_json_shaped(fn, v) for v in value]
    if isinstance(value, list):  # as `map_value`: a list keeps its shape
        return [map_value(fn, v) for v in value]
    return fn(value)


def json_strings(value, precision: Precision) -> tuple:
    """(exact_strings(value), decimal_strings(value, precision)) in one walk of the value,
    an exact number printed from its integers (measured: a third of the time the two
    walks took, which was most of a key answer's cost)."""
    if type(value) is tuple:
        exact, decimal = [], []
        for v in value:
            e, d = json_strings(v, precision)
            exact.append(e)
            decimal.append(d)
        return exact, decimal
    kind = type(value)
    if kind is Surd:
        b, c = value.b, value.c
        exact = surd_str(b._numerator, b._denominator, c._numerator, c._denominator, value.r)
    elif kind is Fraction:
        exact = ratio_str(value._numerator, value._denominator)
    elif kind is int:
        exact = ratio_str(value, 1)
    elif _is_words(kind):
        text = str(value)
        return text, text
    else:
        return _other_strings(value, precision)
    return exact, _exact_decimal(value, precision)


_WORDS_TYPES: dict[type, bool] = {}  # a type → whether `_is_words` holds for it


def _is_words(kind: type) -> bool:
    """Whether values of this type are words (`forms.Words`, model-size's `Label`): shown
    as they are, with nothing to round (`_shown_exactly`), their exact and decimal strings
    both str(x) (`_other_strings`).  Decided once per type: model-size's ~20 labels a
    variant went through four failed type tests each (one an ABC check) in both places."""
    known = _WORDS_TYPES.get(kind)
    if known is None:
        known = _WORDS_TYPES[kind] = (
            issubclass(kind, Words) and kind.__name__ != "Undefined"
            and not any(hasattr(kind, name) for name in ("is_number", "is_Rational", "free_symbols")))
    return known


def _other_strings(x, precision: Precision) -> tuple:
    """`json_strings` of what is no exact number: words ("Linear(52, 128)") and formulas
    (K·n) are their own decimal, printed once for both; the rest takes the general walks."""
    if (isinstance(x, (tuple, list, str)) or _undefined(x) or is_exact_scalar(x)
            or getattr(x, "is_number", False)):
        return exact_strings(x), decimal_strings(x, precision)
    text = sympy_str(x)
    return text, text


def display(value):
    """A value as a display form: tuples become Vec / Mat."""
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return Mat(value)
    if isinstance(value, tuple):
        return Vec(value)
    return value


def _shown_exactly(x, precision: Precision) -> bool:
    kind = type(x)
    if precision.sigfigs is None and (kind is Fraction or kind is int or kind is Surd):
        return is_terminating(x, precision.decimals)  # the common case: no Surd built, no other test
    if _is_words(kind):
        return True
    if _undefined(x):
        return True
    if is_exact_scalar(x):
        s = x if isinstance(x, Surd) else Surd(x)
        if s.c.numerator != 0:
            return False
        if precision.sigfigs is not None:
            return approx(s, sigfigs=precision.sigfigs) == approx(s, 50)
        return is_terminating(s, precision.decimals)
    if getattr(x, "free_symbols", None):
        return True  # a formula in a symbol (θ(λ)): nothing to approximate
    if hasattr(x, "is_Rational"):
        return bool(x.is_Rational) and (x * 10**precision.decimals).is_Integer
    return True  # words, symbols: nothing to approximate


def is_exactly_shown(form, precision: Precision) -> bool:
    """True when every number in a value form terminates within the shown decimals."""
    kind = type(form)
    if kind is Vec:
        return _all_shown_exactly(form.items, precision)
    if kind is Fraction or kind is int:
        if precision.sigfigs is None:  # as `is_terminating`, without its calls (~25 a variant)
            return kind is int or 10**precision.decimals % form._denominator == 0
        return _shown_exactly(form, precision)
    if kind is Surd:
        return _shown_exactly(form, precision)
    if isinstance(form, Vec):
        return _all_shown_exactly(form.items, precision)
    if isinstance(form, Mat):
        rows = form.rows  # its scalars row-major, as `flatten` gives them
        return _all_shown_exactly(rows, precision, True) if isinstance(rows, tuple) else _shown_exactly(rows, precision)
    if is_exact_scalar(form) or hasattr(form, "is_number"):
        return _shown_exactly(form, precision)
    return True


def _all_shown_exactly(xs, precision: Precision, nested: bool = False) -> bool:
    """`_shown_exactly` of every x (`nested`: of the scalars in tuples among them, as `flatten`
    gives them).  Rationals and surds are tested inline, as `is_terminating` does: relation_latex
    asks this of every relation's last form."""
    scale = 10**precision.decimals if precision.sigfigs is None else 0
    for x in xs:  # a plain loop: a generator in all() costs a resumption per entry
        kind = type(x)
        if scale and kind is Fraction:
            if scale % x._denominator:
                return False
        elif scale and kind is int:
            continue
        elif scale and kind is Surd:
            if x.c._numerator or scale % x.b._denominator:
                return False
        elif nested and isinstance(x, tuple):
            if not _all_shown_exactly(x, precision, True):
                return False
        elif not _shown_exactly(x, precision):
            return False
    return True


def approx_display(form, precision: Precision):
    """The ≈ form of a value form (Vec/Mat/scalar) with decimals, or None if not numeric."""
    # One rounding rule for all entries.  A closure, not partial(..., precision=...): a partial
    # with keywords copies them into a new dict on every call (once per entry printed).
    def decimal(x):
        return _scalar_decimal(x, precision)

    if isinstance(form, Vec):
        return Vec(tuple([Dec(x, decimal) for x in form.items]))
    if isinstance(form, Mat):
        return Mat(tuple([tuple([Dec(x, decimal) for x in r]) for r in form.rows]))
    if is_exact_scalar(form) or (hasattr(form, "is_number") and form.is_number):
        return Dec(form, decimal)
    return None
