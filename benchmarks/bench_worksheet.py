"""Issue 6 target: the seed worksheet's three PDFs (questions, solutions, key) in under 15 s.

Measures `derive worksheet examples/normalization-regularization.toml -o DIR` as a user
runs it — a fresh process, so imports count — and, in this process, where the time goes:
loading and solving the spec, building the three LaTeX documents and key.json, and
compiling the PDFs (once per document, the three in parallel).

Run: python benchmarks/bench_worksheet.py [--runs N]
Exit status 1 when the end-to-end time exceeds the target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "normalization-regularization.toml"
TARGET_S = 15.0


def end_to_end(out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "derive.cli", "worksheet", str(SPEC), "-o", str(out)],
                   check=True, capture_output=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - start


def stages(out: Path) -> dict[str, float]:
    from derive.documents import build_documents, write_documents
    from derive.worksheet import load_worksheet, solve_worksheet

    t0 = time.perf_counter()
    ws = load_worksheet(SPEC)
    solved = solve_worksheet(ws)
    t1 = time.perf_counter()
    docs = build_documents(solved)
    t2 = time.perf_counter()
    written = write_documents(docs, out)
    t3 = time.perf_counter()
    return {"load + solve (5 problems, numpy checks)": t1 - t0, "build 3 LaTeX documents + key.json": t2 - t1,
            "compile 3 PDFs (parallel) + write": t3 - t2, "of which pdflatex": written.pdf_seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("pdflatex") is None:
        print("pdflatex not found: nothing to measure")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        times = [end_to_end(Path(tmp) / f"run{i}") for i in range(args.runs)]
        pages = {}
        for name in ("questions", "solutions", "key"):
            info = subprocess.run(["pdfinfo", str(Path(tmp) / "run0" / f"{name}.pdf")], capture_output=True,
                                  text=True).stdout if shutil.which("pdfinfo") else ""
            pages[name] = next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")
        split = stages(Path(tmp) / "stages")
    print(f"derive worksheet {SPEC.relative_to(ROOT)} -o DIR   ({os.cpu_count()} CPUs)")
    print(f"  pages: questions {pages['questions']}, solutions {pages['solutions']}, key {pages['key']}")
    print(f"  end to end (fresh process), {args.runs} runs: "
          + ", ".join(f"{t:.2f} s" for t in times) + f"; best {min(times):.2f} s, target < {TARGET_S:.0f} s")
    for stage, seconds in split.items():
        print(f"  {stage:<42} {seconds:6.2f} s")
    ok = min(times) < TARGET_S
    print("  OK" if ok else "  TOO SLOW")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
