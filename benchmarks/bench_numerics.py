"""Numeric LayerNorm/BatchNorm on a 4096×4096 input on every available backend, device and
dtype, against the exact path on the seed's small input, in one run.

    python benchmarks/bench_numerics.py              # 4096 × 4096
    python benchmarks/bench_numerics.py --size 1024 --repeat 3

Each numeric row is the same definition (`derive.definitions.layer_norm` / `batch_norm`)
run through `derive.backends`, or the framework's own layer (torch.nn.LayerNorm /
BatchNorm1d); times are the best of --repeat runs after a warm-up, with the GPU
synchronized.  The exact rows solve the seed problem (3×4) with `derive.solve`.
Ratios: 'vs exact' = this time / the exact solve's time; 'per entry' = exact time per
entry / this time per entry (how many times more entries per second).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from derive import definitions  # noqa: E402
from derive.backends import DTYPES, available_backends, get_backend  # noqa: E402
from derive.errors import BackendUnavailable  # noqa: E402

SEED_LN = dict(X=[[4, 4, 8, 8], [0, 2, 2, 8], [1, 1, 1, 5]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0], eps=0)
SEED_BN = dict(X=[[2, 2, 1, 1], [2, 5, 4, 1], [5, 5, 1, 4]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0], eps=0)


def best_time(fn, repeat: int, sync=lambda: None) -> float:
    fn()
    sync()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - t0)
    return best


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    parts = [f"{platform.system()} {platform.machine()}", f"{os.cpu_count()} CPUs", cpu,
             f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    try:
        import torch

        parts.append(f"torch {torch.__version__}")
        if torch.cuda.is_available():
            parts.append(f"GPU: {torch.cuda.get_device_name(0)}")
    except ImportError:
        pass
    return ", ".join(p for p in parts if p)


def exact_times(repeat: int) -> dict[str, float]:
    import derive

    out = {}
    for kind, params in (("layernorm", SEED_LN), ("batchnorm", SEED_BN)):
        out[kind] = best_time(lambda: derive.solve(kind, checks="none", **params), max(repeat, 20))
    return out


def numeric_rows(size: int, repeat: int, dtypes) -> list[dict]:
    rng = np.random.default_rng(0)
    X64 = rng.standard_normal((size, size)) * 3 + 10
    g64, b64 = rng.standard_normal(size), rng.standard_normal(size)
    rows = []
    for name, device in available_backends():
        for dtype in dtypes:
            try:
                b = get_backend(name, device, dtype)
            except BackendUnavailable as e:
                rows.append({"skip": f"{name} {device} {dtype}: {e}"})
                continue
            X, g, beta, eps = b.asarray(X64), b.asarray(g64), b.asarray(b64), b.scalar("1e-5")
            with b.errstate():
                cases = [("layernorm", "definition", lambda: definitions.layer_norm(X, g, beta, eps)),
                         ("batchnorm", "definition", lambda: definitions.batch_norm(X, g, beta, eps))]
                if name == "torch":
                    torch = b.module
                    ln = torch.nn.LayerNorm(size, eps=1e-5, device=b.device, dtype=b.native)
                    bn = torch.nn.BatchNorm1d(size, eps=1e-5, device=b.device, dtype=b.native)

                    def layer(m):
                        def run():
                            with torch.no_grad():
                                m(X)
                        return run

                    cases += [("layernorm", "torch.nn.LayerNorm", layer(ln)),
                              ("batchnorm", "torch.nn.BatchNorm1d", layer(bn))]
                for kind, how, fn in cases:
                    try:
                        t = best_time(fn, repeat, b.synchronize)
                    except RuntimeError as e:  # e.g. an op not implemented for this dtype on CPU
                        rows.append({"skip": f"{b.label} {how}: {str(e).splitlines()[0]}"})
                        continue
                    rows.append({"kind": kind, "backend": f"{b.name} {b.device}", "dtype": dtype, "how": how,
                                 "device_name": b.device_name, "seconds": t})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4096, help="the input is SIZE × SIZE (default 4096)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per case, best kept (default 5)")
    ap.add_argument("--dtypes", default="float64,float32,float16,bfloat16")
    args = ap.parse_args(argv)
    dtypes = [d for d in args.dtypes.split(",") if d in DTYPES]

    print(f"machine: {machine()}")
    devices = sorted({f"{n} {d}" for n, d in available_backends()})
    print(f"backends here: {', '.join(devices)}")
    exact = exact_times(args.repeat)
    print(f"exact path (derive.solve, seed 3×4, no checks): layernorm {exact['layernorm'] * 1e3:.3f} ms, "
          f"batchnorm {exact['batchnorm'] * 1e3:.3f} ms")
    rows = numeric_rows(args.size, args.repeat, dtypes)
    n_big, n_small = args.size * args.size, 12
    header = f"{'kind':<10} {'backend':<11} {'dtype':<9} {'how':<21} {'time ms':>10} {'ns/entry':>9} " \
             f"{'vs exact':>9} {'per entry':>11}  device"
    print(f"\nnumeric path, {args.size}×{args.size} input ({n_big:,} entries), best of {args.repeat}")
    print(header)
    print("-" * len(header))
    for r in rows:
        if "skip" in r:
            continue
        t, te = r["seconds"], exact[r["kind"]]
        per_entry = (te / n_small) / (t / n_big)
        print(f"{r['kind']:<10} {r['backend']:<11} {r['dtype']:<9} {r['how']:<21} {t * 1e3:>10.2f} "
              f"{t / n_big * 1e9:>9.3f} {t / te:>8.1f}× {per_entry:>10.0f}×  {r['device_name']}")
    skipped = [r["skip"] for r in rows if "skip" in r]
    if skipped:
        print("\nskipped:")
        for s in skipped:
            print(f"  {s}")
    print("\n'vs exact': numeric time on the big input / exact solve of the 12-entry seed; "
          "'per entry': how many times more entries per second than the exact path.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
