"""Seeded sampling of "nice" normalization problems, with the niceness checked exactly.

Difficulty is a property of the exact answer, not of the sampler: a variant is kept
only when its solution is what the level promises —
  easy:   integer means, perfect-square variances: every output rational with a small denominator;
  medium: rational outputs, at least one a proper fraction;
  hard:   at least one output involves a surd (σ² = 3 stays √3).
A zero variance with ε = 0 is never produced, and rows (columns) are distinct.
"""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction
from functools import lru_cache

from ..errors import InputError
from ..exact import Surd, rational, squarefree_split
from .normalization import moments

__all__ = ["DIFFICULTIES", "nice_vectors", "small_affine", "randints", "check_difficulty", "MAX_TRIES"]

DIFFICULTIES = ("easy", "medium", "hard")
MAX_TRIES = 20_000


def check_difficulty(difficulty: str) -> str:
    if difficulty not in DIFFICULTIES:
        raise InputError("difficulty", f"must be one of {', '.join(DIFFICULTIES)}, got {difficulty!r}")
    return difficulty


def randints(rng: random.Random, low: int, high: int, count: int) -> list[int]:
    """``[rng.randint(low, high) for _ in range(count)]``: the same draws from the same bits.

    randint goes through randrange's argument checks and _randbelow, three Python calls
    per number (~0.9 µs); a variant draws some 60 of them.  For a plain random.Random,
    _randbelow(n) takes n.bit_length() random bits until they are below n, which is what
    this does inline (tests: the same numbers and the same generator state afterwards).
    """
    if type(rng) is not random.Random or low > high:
        return [rng.randint(low, high) for _ in range(count)]
    n = high - low + 1
    k = n.bit_length()
    bits = rng.getrandbits
    out = []
    for _ in range(count):
        r = bits(k)
        while r >= n:
            r = bits(k)
        out.append(low + r)
    return out


def _vector_level(values) -> str | None:
    """The level one vector's normalization lands in, or None if it is unusable (σ² = 0)."""
    m = moments(values)
    if m.var == 0:
        return None
    s, r = squarefree_split(m.var.numerator * m.var.denominator)
    if r != 1:
        return "hard"
    root = Fraction(s, m.var.denominator)  # √σ² is rational
    if m.mean.denominator == 1 and root.denominator == 1 and all(d % root == 0 for d in m.deviations):
        return "easy"
    return "medium"


@lru_cache(maxsize=16_384)
def _int_vector_level(ints: tuple[int, ...]) -> str | None:
    """`_vector_level` of an integer vector, remembered: the draws are small integers, so
    the same vectors come up again and again (3 of 0–10 make only 1,331).

    In integers (tests: the same level for every vector of 3 or 4 entries in 0–10): with
    S = Σx and n entries, σ² = ss/n³ for ss = Σ(n·x − S)², so σ is rational exactly when
    ss·n³ is a perfect square q², and then σ = q/n³.  One isqrt instead of the Moments, the
    Fractions and the trial division of `squarefree_split`: 4 of 0–10 make 14,641 vectors,
    so most draws of a worker's first few hundred variants are new ones.
    """
    n = len(ints)
    total = sum(ints)
    ss = sum((n * x - total) ** 2 for x in ints)
    if ss == 0:
        return None
    cube = n * n * n
    q = math.isqrt(ss * cube)
    if q * q != ss * cube:
        return "hard"
    if total % n or q % cube:  # a fractional mean, or a fractional σ
        return "medium"
    sigma, mean = q // cube, total // n
    return "easy" if all((x - mean) % sigma == 0 for x in ints) else "medium"


_EASY_TABLE_MAX = 8  # longer vectors: rejection sampling (the table's shapes would take long to list)


@lru_cache(maxsize=16)
def _easy_vectors(length: int, low: int, high: int) -> tuple[tuple[Fraction, ...], ...]:
    """Every integer vector in [low, high]^length whose normalization is easy, built directly.

    Easy means an integer mean μ and an integer σ > 0 dividing every deviation, so
    v = μ + σ·e with integers e, Σe = 0 and Σe² = length (from σ² = Σ(σeᵢ)²/length): the
    shapes e are few, and μ and σ range over what keeps v in [low, high].  A uniform draw from
    this table is a uniform draw among the easy vectors, which rejection sampling found only
    after ~1,000 tries (3-5 ms a problem).  Each vector is still checked exactly.
    """
    bound = math.isqrt(length)
    shapes = [e for e in itertools.product(range(-bound, bound + 1), repeat=length)
              if sum(e) == 0 and sum(x * x for x in e) == length]
    found = set()
    for sigma in range(1, high - low + 1):
        for e in shapes:
            for mu in range(low - sigma * min(e), high - sigma * max(e) + 1):
                found.add(tuple(Fraction(mu + sigma * x) for x in e))
    table = tuple(sorted(found))
    if any(_vector_level(v) != "easy" for v in table):
        raise RuntimeError("internal: a constructed easy vector is not easy")
    return table


def nice_vectors(rng: random.Random, count: int, length: int, difficulty: str, *, low: int = 0, high: int = 10):
    """`count` distinct integer vectors of `length` whose normalization fits `difficulty`.

    A hard problem needs only one surd vector; the others may be easier, as on the seed.
    """
    check_difficulty(difficulty)
    chosen, tries = [], 0
    need_hard = difficulty == "hard"
    easy = _easy_vectors(length, low, high) if difficulty == "easy" and length <= _EASY_TABLE_MAX else None
    while len(chosen) < count:
        tries += 1
        if tries > MAX_TRIES:
            raise InputError("difficulty", f"could not sample {count} distinct {difficulty} vectors of length "
                             f"{length} in {MAX_TRIES} tries; try another size or difficulty")
        if easy:
            v, level = rng.choice(easy), "easy"
        else:
            ints = tuple(randints(rng, low, high, length))
            level = _int_vector_level(ints)
            if level is None:
                continue
            v = tuple(map(rational, ints))
        if v in chosen:
            continue
        wanted = difficulty
        if difficulty == "hard" and len(chosen) < count - 1:
            wanted = level  # any level before the last slot; the last one must supply a surd if none did
        if difficulty == "medium" and level == "easy" and len(chosen) < count - 1:
            wanted = "easy"
        if level != wanted:
            continue
        if level == "hard":
            need_hard = False
        if difficulty == "hard" and len(chosen) == count - 1 and need_hard and level != "hard":
            continue
        chosen.append(v)
    if difficulty == "medium" and all(_vector_level(v) == "easy" for v in chosen):
        return nice_vectors(rng, count, length, difficulty, low=low, high=high)
    return tuple(chosen)


def small_affine(rng: random.Random, width: int):
    """γ in 1..4 and β in −2..2: scale and shift a student can multiply in their head."""
    gamma = tuple(map(rational, randints(rng, 1, 4, width)))
    beta = tuple(map(rational, randints(rng, -2, 2, width)))
    return gamma, beta


def _denominator(v) -> int:
    """The denominator of an exact value's rational part (Fraction(v) for other numbers: it
    goes through the numbers ABCs, slow for the Fractions and Surds a solution holds)."""
    t = type(v)
    if t is Surd:
        return v.b.denominator
    if t is Fraction or t is int:
        return v.denominator
    return Fraction(v.b if isinstance(v, Surd) else v).denominator


def solution_level(values) -> str:
    """The level of a solved answer: hard if any surd, medium if any proper fraction, else easy."""
    flat = [v for row in values for v in row]
    if any(isinstance(v, Surd) and v.c != 0 for v in flat):
        return "hard"
    if any(_denominator(v) != 1 for v in flat):
        return "medium"
    return "easy"
