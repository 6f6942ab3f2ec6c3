"""Issue 7 target: 10,000 typed answers graded in under 10 s.

A seeded class of students answers the seed worksheet's LayerNorm (3×4 matrix),
BatchNorm (3×4 matrix) and dropout (two scalars) parts: correct decimals, exact LaTeX,
answers made by the known mistakes (typed to 2 decimals), one-entry slips, and
malformed text.  Three measurements, each on all 10,000 answers:

1. ``derive.grading.grade`` as `derive grade` runs it (identical answers to one part
   are judged once — typical of a class, where most right answers look alike);
2. every answer judged and diagnosed from scratch (``check_params`` per answer, no
   answer memo; only the per-problem solution and mistakes are cached) — the worst case;
   split into the 3×4 matrix answers (the heaviest) and the scalar ones.

Run: python benchmarks/bench_check.py [N]
"""

from __future__ import annotations

import random
import sys
import time
from decimal import Decimal

from derive.check import _mistakes, _solved, _target, check_params
from derive.errors import AnswerSyntaxError
from derive.exact import approx
from derive.grading import Submission, grade, load_key
from derive.registry import get_kind

TARGET_S = 10.0
LN = {"X": [[4, 4, 8, 8], [0, 2, 2, 8], [1, 1, 1, 5]], "gamma": [1, 2, 3, 4], "beta": [0, -1, 1, 0], "eps": 0}
BN = {"X": [[2, 2, 1, 1], [2, 5, 4, 1], [5, 5, 10, 10]], "gamma": [1, 2, 3, 4], "beta": [0, -1, 1, 0], "eps": 0}
DROP = {"x": [2, 6, 4, 4, 5, 3, 4, 4], "p": "0.75", "dropped": [0, 1, 2, 3, 4, 5]}
KEY = {"parts": [
    {"part": "2a", "kind": "layernorm", "params": LN, "points": 4},
    {"part": "3a", "kind": "batchnorm", "params": BN, "points": 4},
    {"part": "4a", "kind": "dropout", "params": DROP, "result": "y_drop"},
    {"part": "4b", "kind": "dropout", "params": DROP, "result": "y_corr"},
]}


def _typed(value, rng: random.Random, places: int) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_typed(v, rng, places) for v in value) + "]"
    return approx(value, places)


def _latex(value) -> str:
    from derive.render.printers import latex

    if isinstance(value, tuple) and isinstance(value[0], tuple):
        return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(latex(x) for x in row) for row in value) + r"\end{bmatrix}"
    return latex(value)


def _slip(text: str, rng: random.Random) -> str:
    """Change one typed number by 1 to 9 hundredths."""
    parts = text.replace("[", " [ ").replace("]", " ] ").replace(",", " , ").split()
    idx = [i for i, p in enumerate(parts) if p not in "[],"]
    i = rng.choice(idx)
    parts[i] = str(Decimal(parts[i]) + Decimal(rng.choice([d for d in range(-9, 10) if d])) / 100)
    return "".join(parts)


def make_class(n: int, seed: int = 7) -> list[Submission]:
    rng = random.Random(seed)
    key = load_key(KEY)
    pool = {}
    for part in key.parts:
        k = get_kind(part.kind)
        sol = k.solve(part.params)
        value = sol.result(part.result or sol.results[0].name).value
        wrongs = [m.results[part.result or sol.results[0].name] for m in k.mistakes(part.params)
                  if (part.result or sol.results[0].name) in m.results]
        pool[part.label] = (value, wrongs)
    subs = []
    for i in range(n):
        label = rng.choice(list(pool))
        value, wrongs = pool[label]
        u = rng.random()
        places = rng.choice((1, 2, 2, 2, 3, 4, 5))
        if u < 0.40:
            text = _typed(value, rng, places)
        elif u < 0.50:
            text = _latex(value)
        elif u < 0.80 and wrongs:
            text = _typed(rng.choice(wrongs), rng, places)
        elif u < 0.95:
            text = _slip(_typed(value, rng, places), rng)
        else:
            text = _typed(value, rng, places)[: rng.randrange(1, 12)] + rng.choice(("", ",,", " 1 2", "__x"))
        subs.append(Submission(f"s{i % 400}", label, text))
    return subs


def run(n: int) -> None:
    subs = make_class(n)
    distinct = len({(s.part, s.answer) for s in subs})
    print(f"{n} answers ({distinct} distinct part/answer pairs) on 4 parts: 2 matrices 3×4, 2 scalars")

    _solved.cache_clear()
    _target.cache_clear()
    _mistakes.cache_clear()
    key = load_key(KEY)
    t = time.perf_counter()
    report = grade(key, subs)
    graded = time.perf_counter() - t
    statuses = {s: sum(r.status == s for r in report.rows) for s in ("correct", "wrong", "malformed")}
    diagnosed = sum(r.diagnosis is not None for r in report.rows)
    print(f"1. grade(), as `derive grade` runs:   {graded:6.2f} s   target {TARGET_S:.0f} s   "
          f"ratio target/measured {TARGET_S / graded:6.1f}×   {statuses}, {diagnosed} diagnosed")

    parts = {p.label: p for p in key.parts}
    spent = {"matrix": 0.0, "scalar": 0.0}
    count = {"matrix": 0, "scalar": 0}
    t0 = time.perf_counter()
    for s in subs:
        p = parts[s.part]
        what = "matrix" if p.kind in ("layernorm", "batchnorm") else "scalar"
        t = time.perf_counter()
        try:
            check_params(p.kind, p.params, s.answer, part=p.result)
        except AnswerSyntaxError:
            pass
        spent[what] += time.perf_counter() - t
        count[what] += 1
    worst = time.perf_counter() - t0
    print(f"2. every answer judged + diagnosed:   {worst:6.2f} s   target {TARGET_S:.0f} s   "
          f"ratio target/measured {TARGET_S / worst:6.1f}×   ({worst / n * 1e3:.2f} ms per answer)")
    for what in spent:
        per = spent[what] / count[what]
        print(f"   {what} answers: {count[what]:5d} in {spent[what]:5.2f} s = {per * 1e3:.2f} ms each "
              f"(all {n} like this: {per * n:5.2f} s, ratio {TARGET_S / (per * n):4.1f}×)")

if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
