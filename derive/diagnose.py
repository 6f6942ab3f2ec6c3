"""Match a wrong answer against the answers that known wrong methods produce.

Each problem kind registers ``mistakes(params)``: named wrong methods and the exact
values they lead to (``derive.registry.MistakeAnswer``).  A typed answer is compared
with each of them *entry by entry, with the instructor's tolerance* — the same one the
verdict used — so "-1.66" typed to two decimals matches a mistake whose exact value is
−1.66 or −1.6649…, exactly as it would be judged against the right answer.

A mistake *explains* a wrong entry when the typed entry agrees with the mistake's value
there.  Mistakes are ranked by how many wrong entries they explain, then by how many
entries of the whole answer they agree with (a method that also reproduces the entries
the student got right is the better story), then by the order the kind lists them.
Several mistakes can share one answer (rows done with different slips), so the
diagnoses are a greedy cover of the wrong entries: the best mistake first, then the
best at what is still unexplained, and so on.

The comparison has an exact fast path for the common case — a typed rational (any
decimal or fraction) against a kind's native value ``b + c·√r`` (``derive.exact.Surd``)
— in plain ``Fraction`` arithmetic, with no SymPy and no message building; every other
case goes through ``derive.verify.judge_entry``.  ``tests/test_check.py`` checks that the
two agree on random inputs in every tolerance mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

from .exact import Surd, floor_exact, round_decimal, round_sigfigs, sign
from .registry import MistakeAnswer

__all__ = ["Diagnosis", "agrees", "diagnose", "flatten_value", "shapes_align"]


@dataclass(frozen=True)
class Diagnosis:
    """A known mistake that reproduces (some of) the wrong entries of an answer.

    ``explains``: row-major indices (as in ``Verdict.entries``) of the wrong entries the
    mistake reproduces; ``wrong``: how many entries are wrong; ``agrees``: how many
    entries of the whole answer agree with the mistake; ``total``: entries in all.
    """

    mistake: MistakeAnswer
    explains: tuple[tuple[int, ...], ...]
    wrong: int
    agrees: int
    total: int

    @property
    def name(self) -> str:
        return self.mistake.name

    @property
    def label(self) -> str:
        """The name in words: "rounded intermediates"."""
        return self.mistake.name.replace("_", " ")

    @property
    def message(self) -> str:
        return self.mistake.message

    @property
    def step(self) -> str:
        """The title of the solution step where such work first goes wrong."""
        return self.mistake.step

    @property
    def complete(self) -> bool:
        """True when the mistake explains every wrong entry."""
        return len(self.explains) == self.wrong

    @property
    def exact_match(self) -> bool:
        """True when the whole answer agrees with the mistake, entry for entry."""
        return self.agrees == self.total

    def summary(self) -> str:
        """How much of the answer the mistake accounts for, in words."""
        n, w = len(self.explains), self.wrong
        if self.total == 1:
            return "reproduces the answer"
        head = ("explains the wrong entry" if w == 1 else "explains both wrong entries" if n == w == 2 else
                f"explains all {w} wrong entries" if n == w else f"explains {n} of {w} wrong entries")
        if self.exact_match:
            return head + " and reproduces every entry of the answer"
        return head


# -- values -------------------------------------------------------------------------
def flatten_value(value) -> tuple[list, tuple[int, ...]]:
    """Row-major scalars and shape of a kind's native value (scalar, tuple, tuple of tuples)."""
    if isinstance(value, (tuple, list)):
        if not value:
            return [], (0,)
        parts = [flatten_value(v) for v in value]
        return [x for p in parts for x in p[0]], (len(value),) + parts[0][1]
    return [value], ()


def _squeeze(shape) -> tuple[int, ...]:
    return tuple(n for n in shape if n != 1)


def shapes_align(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Shapes judged alike, as ``derive.verify.judge`` does (a vector may be a 1-row matrix)."""
    return a == b or (_squeeze(a) == _squeeze(b) and len(_squeeze(b)) <= 1)


def _native(x) -> Surd | None:
    """A kind's exact scalar as a Surd, or None when it is something else (SymPy, Undefined)."""
    if isinstance(x, Surd):
        return x
    if isinstance(x, (int, Fraction)) and not isinstance(x, bool):
        return Surd(x)
    return None


def student_fraction(scalar) -> Fraction | None:
    """The typed value as a Fraction when it is rational (every decimal is), else None."""
    v = scalar.value
    if getattr(v, "is_Rational", False):
        return Fraction(int(v.p), int(v.q))
    return None


# -- the comparison -----------------------------------------------------------------
_TEN = Fraction(10)


@lru_cache(maxsize=65536)
def _rounded_decimals(t: Surd, places: int) -> Fraction:
    return Fraction(round_decimal(t, places))


@lru_cache(maxsize=65536)
def _rounded_sigfigs(t: Surd, figures: int) -> tuple[Fraction, int]:
    """(t rounded to `figures` significant figures, the decimal place k of its last digit)."""
    r = Fraction(round_sigfigs(t, figures))
    return r, figures - 1 - _floor_log10(r)


@lru_cache(maxsize=65536)
def _scaled_floor(t: Surd, k: int) -> tuple[int, bool]:
    """(⌊2·10ᵏ·t⌋, whether 2·10ᵏ·t is an integer), exactly: one isqrt per (value, k)."""
    T = t * (2 * 10**k)
    if T.c == 0:
        return T.b.numerator // T.b.denominator, T.b.denominator == 1
    return floor_exact(T), False


def _floor_log10(q: Fraction) -> int:
    """e with 10**e ≤ |q| < 10**(e+1), exactly, for q ≠ 0."""
    q = abs(q)
    e = len(str(q.numerator)) - len(str(q.denominator))
    while q < _TEN ** e:
        e -= 1
    while q >= _TEN ** (e + 1):
        e += 1
    return e


def _abs_le(d: Surd, bound: Fraction) -> bool:
    return sign(abs(d) - bound) <= 0


def fast_agrees(scalar, a: Fraction | None, t, tol) -> bool | None:
    """The exact decision of ``judge_entry(scalar, t, tol).correct`` for a rational typed
    value and a Surd/rational target, or None when the fast path does not apply."""
    if a is None:
        return None
    t = _native(t)
    if t is None:
        return None
    mode = tol.mode
    if mode == "exact" or (mode == "implied" and scalar.exact):
        return t.c == 0 and t.b == a
    if mode == "implied":
        k = scalar.decimals
        if k is None:  # an expression mixing decimals: its precision needs SymPy's view
            return None
        if k >= 0:
            # |a − t| ≤ ½·10⁻ᵏ  ⇔  |A − T| ≤ 1 with A = 2·10ᵏ·a (an integer: a has k
            # decimals) and T = 2·10ᵏ·t; for T not an integer that is A − 1 ≤ ⌊T⌋ ≤ A.
            n = a.numerator * 2 * 10**k
            if n % a.denominator == 0:
                A = n // a.denominator
                floor_t, integral = _scaled_floor(t, k)
                return abs(A - floor_t) <= 1 if integral else A - 1 <= floor_t <= A
        return _abs_le(t.__rsub__(a), Fraction(1, 2) * _TEN ** -k)
    d = t.__rsub__(a)  # a − t
    if mode == "decimals":
        if d.c == 0 and d.b == 0:
            return True
        r = _rounded_decimals(t, tol.digits)
        k = tol.digits
    elif mode == "sigfigs":
        if t.c == 0 and t.b == 0:
            return None
        if d.c == 0 and d.b == 0:
            return True
        r, k = _rounded_sigfigs(t, tol.digits)
    else:  # relative: |a − t| ≤ max(rtol·|t|, atol)
        return _abs_le(d, tol.atol) or sign(abs(d) - abs(t) * tol.rtol) <= 0
    if tol.last_place_slack:
        return abs(a - r) <= _TEN ** -k
    return a == r


def agrees(scalar, a: Fraction | None, t, tol) -> bool:
    """True when the typed ``scalar`` is judged equal to the exact value ``t`` under ``tol``."""
    fast = fast_agrees(scalar, a, t, tol)
    if fast is not None:
        return fast
    if type(t).__name__ == "Undefined":
        return False
    from .exact import to_sympy
    from .verify import judge_entry

    value = t if hasattr(t, "is_number") else to_sympy(t)
    return judge_entry(scalar, value, tol).correct


# -- matching -----------------------------------------------------------------------
@dataclass(frozen=True)
class PreparedMistake:
    """A mistake with its values for one result, flattened once per (kind, params, part)."""

    mistake: MistakeAnswer
    values: tuple[Any, ...]
    shape: tuple[int, ...]


def prepare_mistakes(mistakes, part: str) -> tuple[PreparedMistake, ...]:
    out = []
    for m in mistakes:
        if part not in m.results:
            continue
        values, shape = flatten_value(m.results[part])
        out.append(PreparedMistake(m, tuple(values), shape))
    return tuple(out)


def diagnose(answer, verdict, mistakes: tuple[PreparedMistake, ...], tol):
    """Diagnoses of a judged answer, best first, and per entry the mistakes agreeing there.

    Returns ``(diagnoses, entry_mistakes)``: ``entry_mistakes[i]`` names the mistakes that
    reproduce wrong entry i (row-major), and is ``()`` for a correct entry.  A correct
    answer, or one no mistake touches, gets ``((), ...)``.
    """
    scalars = answer.flat
    n = len(scalars)
    if verdict.entries:
        wrong = [i for i, e in enumerate(verdict.entries) if not e.correct]
        indices = [e.index for e in verdict.entries]
    else:  # shape mismatch: only a mistake of the answer's own shape can explain it
        wrong = list(range(n))
        indices = [(i,) for i in range(n)]
    entry_names: list[tuple[str, ...]] = [()] * n
    if not wrong or not mistakes:
        return (), tuple(entry_names)
    fractions = [student_fraction(s) for s in scalars]
    wrong_set = set(wrong)
    right = [i for i in range(n) if i not in wrong_set]

    candidates = []  # (explained set, agree count, order, prepared)
    for order, pm in enumerate(mistakes):
        shape_ok = shapes_align(answer.shape, pm.shape) if not verdict.entries else \
            shapes_align(verdict.shape, pm.shape)
        if not shape_ok or len(pm.values) != n:
            continue
        vals = pm.values
        explained = [i for i in wrong if agrees(scalars[i], fractions[i], vals[i], tol)]
        if not explained:
            continue
        candidates.append([explained, None, order, pm])
    if not candidates:
        return (), tuple(entry_names)
    for c in candidates:
        vals = c[3].values
        c[1] = len(c[0]) + sum(agrees(scalars[i], fractions[i], vals[i], tol) for i in right)
        for i in c[0]:
            entry_names[i] += (c[3].mistake.name,)

    diagnoses = []
    remaining = set(wrong)
    pool = list(candidates)
    while remaining and pool:
        best = max(pool, key=lambda c: (len(remaining.intersection(c[0])), c[1], -c[2]))
        if not remaining.intersection(best[0]):
            break
        remaining.difference_update(best[0])
        pool.remove(best)
        diagnoses.append(Diagnosis(best[3].mistake, tuple(indices[i] for i in best[0]),
                                   len(wrong), best[1], n))
    return tuple(diagnoses), tuple(entry_names)
