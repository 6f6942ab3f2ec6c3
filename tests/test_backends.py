"""Backends (numpy, torch CPU/CUDA, CuPy) and exact float formats.

CUDA and CuPy tests skip cleanly where there is no GPU or no CuPy (a GPU is not
required in CI); torch tests use `require_module`, so a missing torch fails under
CI=true.  The first line this module prints says which devices ran:

    python -m pytest tests/test_backends.py -q
"""

from __future__ import annotations

import importlib.util
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from derive import definitions
from derive.api import make_params
from derive.backends import (
    DTYPES, ExactBackend, get_backend, floor_log2, namespace_of, available_backends,
)
from derive.errors import BackendUnavailable, InputError
from derive.exact import Surd, to_float
from derive.oracle import evaluate
from derive.registry import get_kind

SEED = dict(X=[[4, 4, 8, 8], [0, 2, 2, 8], [1, 1, 1, 5]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0], eps=0)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _cuda_reason() -> str | None:
    """None when torch sees a CUDA device, else why not (for the skip message)."""
    if importlib.util.find_spec("torch") is None:
        return "torch is not installed"
    import torch

    if not torch.cuda.is_available():
        return f"no CUDA device (torch {torch.__version__}, CUDA {torch.version.cuda})"
    return None


def _cupy_reason() -> str | None:
    try:
        get_backend("cupy", "cuda", "float32")
    except (BackendUnavailable, InputError) as e:
        return str(e)
    return None


needs_cuda = pytest.mark.skipif(_cuda_reason() is not None, reason=_cuda_reason() or "")
needs_cupy = pytest.mark.skipif(_cupy_reason() is not None, reason=_cupy_reason() or "")


@pytest.fixture(scope="module", autouse=True)
def _say_which_devices(request):
    """Print the devices this run covers, so a GPU run is visible in `pytest -q` output."""
    found = []
    for name, device in available_backends():
        b = get_backend(name, device, "float32")
        found.append(f"{b.name} {b.device} ({b.device_name}, {b.library})")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line("test_backends devices: " + "; ".join(found))
    yield


# -- exact float formats ----------------------------------------------------------------
NUMPY_TYPES = {"float64": np.float64, "float32": np.float32, "float16": np.float16}

finite64 = st.floats(allow_nan=False, allow_infinity=False, width=64)


@FAST
@given(finite64)
def test_round_matches_numpy_conversion(x):
    """Exact rounding agrees with the hardware's float64 → float32/float16 conversion (RNE)."""
    for name in ("float32", "float16"):
        with np.errstate(over="ignore"):
            expected = float(NUMPY_TYPES[name](x))
        got = DTYPES[name].round(Fraction(x))
        assert float(got) == expected or (math.isinf(expected) and got == expected)


def test_round_ties_to_even_and_overflow():
    f16 = DTYPES["float16"]
    assert f16.round(Fraction(2049)) == 2048 and f16.round(Fraction(2051)) == 2052
    assert f16.round(Fraction(10001)) == 10000 and f16.round(Fraction(10004)) == 10000
    assert f16.round(Fraction(65519)) == 65504 and f16.round(Fraction(65520)) == math.inf
    assert f16.round(Fraction(-70000)) == -math.inf
    assert f16.round(Fraction(1, 10**9)) == 0                 # below half the smallest subnormal
    assert f16.round(Fraction(1, 100000)) == Fraction(21, 2**21)  # a subnormal: 21 · 2⁻²⁴
    assert DTYPES["bfloat16"].round(Fraction(1, 10)) == Fraction(205, 2048)


@FAST
@given(st.floats(min_value=2.0**-24, max_value=32767, allow_nan=False))
def test_ulp_matches_numpy_spacing_float16(x):
    v = np.float16(x)
    assume(v != 0)
    assert DTYPES["float16"].ulp(Fraction(float(v))) == Fraction(float(np.spacing(v)))


@FAST
@given(finite64.filter(lambda x: x != 0 and abs(x) < 1e308))
def test_ulp_matches_math_ulp_float64(x):
    assert DTYPES["float64"].ulp(Fraction(x)) == Fraction(math.ulp(x))


@FAST
@given(st.fractions(min_value=Fraction(-10**6), max_value=Fraction(10**6)).filter(lambda q: q != 0))
def test_floor_log2_brackets(q):
    k = floor_log2(q)
    assert Fraction(2) ** k <= abs(q) < Fraction(2) ** (k + 1)


@FAST
@given(st.fractions(min_value=-100, max_value=100, max_denominator=50),
       st.fractions(min_value=-100, max_value=100, max_denominator=50).filter(lambda c: c != 0),
       st.sampled_from([2, 3, 5, 6, 7, 10, 138890]))
def test_floor_log2_of_surds(b, c, r):
    s = Surd(b, c, r)
    f = to_float(s)
    assume(f != 0)
    k = floor_log2(s)
    assert 2.0 ** k <= abs(f) * (1 + 1e-12) and abs(f) < 2.0 ** (k + 1) * (1 + 1e-12)


# -- backends -----------------------------------------------------------------------
def test_numpy_backend_rounds_inputs_once():
    b = get_backend("numpy", dtype="float16")
    arr = b.asarray(((Fraction(1, 3), 10001),))
    assert arr.dtype == np.float16
    assert [Fraction(float(v)) for v in arr[0]] == [DTYPES["float16"].round(Fraction(1, 3)), 10000]
    assert b.scalar(Fraction(1, 100000)) == float(np.float16(1e-5))


def test_errors_are_one_line_derive_errors():
    with pytest.raises(InputError, match="unknown backend 'jax'"):
        get_backend("jax")
    with pytest.raises(InputError, match="unknown dtype 'float8'"):
        get_backend("numpy", dtype="float8")
    with pytest.raises(InputError, match="numpy runs on the CPU only"):
        get_backend("numpy", "cuda")
    with pytest.raises(InputError, match="unknown device"):
        get_backend("numpy", "tpu")


def test_numpy_bfloat16_needs_ml_dtypes():
    if importlib.util.find_spec("ml_dtypes") is not None:
        assert get_backend("numpy", dtype="bfloat16").native.name == "bfloat16"
        return
    with pytest.raises(BackendUnavailable, match="numpy has no bfloat16"):
        get_backend("numpy", dtype="bfloat16")


def test_cupy_missing_or_cpu_is_refused():
    with pytest.raises(InputError, match="cupy runs on CUDA devices only"):
        get_backend("cupy", "cpu")
    if importlib.util.find_spec("cupy") is None:
        with pytest.raises(BackendUnavailable, match="backend cupy is not installed"):
            get_backend("cupy")


def test_torch_cuda_absent_is_backend_unavailable(require_module):
    torch = require_module("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(BackendUnavailable, match="device cuda"):
        get_backend("torch", "cuda")


def test_torch_namespace_matches_numpy(require_module):
    torch = require_module("torch")
    x = np.array([[1.0, 2.0, 4.0], [0.0, 3.0, 9.0]])
    t = torch.from_numpy(x)
    for axis in (0, -1):
        assert np.allclose(definitions.Var(t, axis).numpy(), definitions.Var(x, axis))
        assert np.allclose(definitions.mu(t, axis).numpy(), definitions.mu(x, axis))
    assert namespace_of(x) is np


def test_exact_backend_runs_the_definition_exactly():
    kind = get_kind("layernorm")
    p = make_params("layernorm", **SEED)
    exact = evaluate(kind, p, ExactBackend())["output"]
    assert tuple(tuple(row) for row in exact) == kind.solve(p).results[0].value


def test_exact_backend_undefined_row():
    kind = get_kind("layernorm")
    p = make_params("layernorm", X=[[2, 2, 2, 2], [1, 1, 1, 5]], eps=0)
    out = evaluate(kind, p, ExactBackend())["output"]
    assert all(type(v).__name__ == "Undefined" for v in out[0])
    assert out[1][3] == Surd(0, 1, 3)


# -- each backend agrees with the exact answer to its dtype's precision -------------------
def _combos():
    combos = [("numpy", "cpu", d) for d in ("float64", "float32", "float16")]
    combos += [("torch", "cpu", d) for d in DTYPES]
    combos += [pytest.param("torch", "cuda", d, marks=needs_cuda) for d in DTYPES]
    combos += [pytest.param("cupy", "cuda", d, marks=needs_cupy) for d in ("float64", "float32", "float16")]
    return combos


def _backend(name, device, dtype, require_module):
    if name in ("torch", "cupy") and device == "cpu":
        require_module(name)
    return get_backend(name, device, dtype)


def _tolerance(p, fmt) -> float:
    """A forward-error bound: u · (1 + κ) · (scale of the output), κ = max |x| / σ of a row."""
    u = float(fmt.unit_roundoff)
    kappa = 0.0
    for row in p.X:
        mean = sum(row) / len(row)
        var = sum((x - mean) ** 2 for x in row) / len(row) + p.eps
        if var:
            kappa = max(kappa, float(max(abs(x) for x in row)) / math.sqrt(var))
    width = len(p.X[0])
    scale = float(max(abs(g) for g in p.gamma)) * math.sqrt(width) + float(max(abs(b) for b in p.beta))
    return 8 * u * (1 + kappa) * scale


def _max_error(kind, p, backend):
    exact = kind.solve(p).results[0].value
    numeric = evaluate(kind, p, backend)["output"]
    return max(abs(to_float(e) - float(x)) for row_e, row_x in zip(exact, numeric) for e, x in zip(row_e, row_x))


@pytest.mark.parametrize("name,device,dtype", _combos())
def test_seed_layernorm_within_dtype_precision(name, device, dtype, require_module):
    backend = _backend(name, device, dtype, require_module)
    kind, p = get_kind("layernorm"), make_params("layernorm", **SEED)
    assert _max_error(kind, p, backend) <= _tolerance(p, backend.dtype)


@pytest.mark.parametrize("name,device,dtype", _combos())
def test_seed_batchnorm_within_dtype_precision(name, device, dtype, require_module):
    backend = _backend(name, device, dtype, require_module)
    kind = get_kind("batchnorm")
    p = make_params("batchnorm", X=[[2, 2, 1, 1], [2, 5, 4, 1], [5, 5, 1, 4]], gamma=[1, 2, 3, 4],
                    beta=[0, -1, 1, 0], eps=0)
    exact = kind.solve(p).results[0].value
    numeric = evaluate(kind, p, backend)["output"]
    err = max(abs(to_float(e) - float(x)) for re, rx in zip(exact, numeric) for e, x in zip(re, rx))
    assert err <= 8 * float(backend.dtype.unit_roundoff) * 40


rows = st.lists(st.integers(-8, 8), min_size=4, max_size=4).filter(lambda r: len(set(r)) > 1)


@FAST
@given(st.lists(rows, min_size=1, max_size=3), st.lists(st.integers(-3, 3), min_size=4, max_size=4),
       st.lists(st.integers(-2, 2), min_size=4, max_size=4), st.sampled_from(["0", "1/10", "1e-5"]),
       st.sampled_from(["float64", "float32", "float16"]))
def test_random_layernorm_numpy(X, gamma, beta, eps, dtype):
    kind, p = get_kind("layernorm"), make_params("layernorm", X=X, gamma=gamma, beta=beta, eps=eps)
    backend = get_backend("numpy", "cpu", dtype)
    assert _max_error(kind, p, backend) <= _tolerance(p, backend.dtype)


@FAST
@given(st.lists(rows, min_size=1, max_size=3), st.lists(st.integers(-3, 3), min_size=4, max_size=4),
       st.sampled_from(["float64", "float32", "float16", "bfloat16"]))
def test_random_layernorm_torch(X, gamma, dtype):
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")  # test_seed_* already fail under CI=true without torch
    kind, p = get_kind("layernorm"), make_params("layernorm", X=X, gamma=gamma, eps="1/10")
    backend = get_backend("torch", "cpu", dtype)
    assert _max_error(kind, p, backend) <= _tolerance(p, backend.dtype)


@needs_cuda
def test_cuda_and_cpu_agree_in_float64():
    kind, p = get_kind("layernorm"), make_params("layernorm", **SEED)
    cpu = evaluate(kind, p, get_backend("torch", "cpu"))["output"]
    gpu = evaluate(kind, p, get_backend("torch", "cuda"))["output"]
    assert np.allclose(cpu, gpu, rtol=1e-13, atol=1e-13)


@needs_cuda
def test_cuda_check_through_run_checks():
    from derive.numerics import resolve_backends, run_checks

    kind, p = get_kind("layernorm"), make_params("layernorm", **SEED)
    checks = run_checks(kind, p, kind.solve(p), resolve_backends("torch:cuda"), dtype="float32")
    assert checks and all(c.ok for c in checks) and "cuda" in checks[0].detail


# -- every kind of the seed worksheet through derive.backends (--check torch:cuda, cupy) -----
def _seed_worksheet_problems() -> dict:
    from pathlib import Path

    from derive.worksheet import load_worksheet

    spec = Path(__file__).resolve().parents[1] / "examples" / "normalization-regularization.toml"
    return {pr.kind: pr.params for pr in load_worksheet(spec).problems}


SEED_PROBLEMS = _seed_worksheet_problems()
# What each kind's `evaluate` hook recomputes (the rest are limits or labels, which the
# kind's own numpy reference checks): without a hook, dropout, ℓ₂ and model size raised
# "its definition's argument 'm' matches no parameter" on every device but numpy's own path.
EVALUATED = {"dropout": {"y_drop", "y_corr", "y_orig", "E_y_drop", "E_y_corr", "Var_y_corr"},
             "l2": {"theta", "norm2", "train_error", "theta_0", "sweep", "w_step"},
             "model-size": {"params", "K", "activations", "activation_sizes"}}


def _entries(value):
    if isinstance(value, (tuple, list, np.ndarray)):
        return [e for v in value for e in _entries(v)]
    return [value]


@pytest.mark.parametrize("kind_name", sorted(EVALUATED))
def test_each_kind_s_definitions_evaluated_exactly_are_its_exact_results(kind_name):
    """In Fractions (the oracle's exact backend) the hook must give the solution's own
    answers entry for entry: it evaluates the same definitions, only without rounding."""
    from derive.backends import ExactBackend

    kind, p = get_kind(kind_name), SEED_PROBLEMS[kind_name]
    results = {r.name: r.value for r in kind.solve(p).results}
    values = evaluate(kind, p, ExactBackend())
    assert set(values) == EVALUATED[kind_name]
    for name, value in values.items():
        assert _entries(value) == [Fraction(e) for e in _entries(results[name])], name


def _device_combos():
    combos = [(k, "numpy:cpu", d) for k in SEED_PROBLEMS for d in ("float64", "float32")]
    combos += [(k, "torch:cpu", d) for k in SEED_PROBLEMS for d in ("float64", "float32")]
    combos += [pytest.param(k, "torch:cuda", d, marks=needs_cuda) for k in SEED_PROBLEMS for d in ("float64", "float32")]
    combos += [pytest.param(k, "cupy", d, marks=needs_cupy) for k in SEED_PROBLEMS for d in ("float64", "float32")]
    return combos


@pytest.mark.parametrize("kind_name,spec,dtype", _device_combos())
def test_every_seed_problem_checks_on_every_device(kind_name, spec, dtype, require_module):
    from derive.numerics import resolve_backends, run_checks

    if spec == "torch:cpu":
        require_module("torch")
    kind, p = get_kind(kind_name), SEED_PROBLEMS[kind_name]
    checks = run_checks(kind, p, kind.solve(p), resolve_backends(spec), dtype=dtype)
    assert checks and all(c.ok for c in checks), [(c.result, c.max_abs_error, c.note) for c in checks if not c.ok]
    assert {c.result for c in checks} == EVALUATED.get(kind_name, {c.result for c in checks})
    assert all(spec.split(":")[0] in c.detail for c in checks)


def test_l2_at_half_precision_is_refused_in_one_line_or_skipped():
    from derive.errors import BackendUnavailable
    from derive.oracle import run_oracle

    kind, p = get_kind("l2"), SEED_PROBLEMS["l2"]
    with pytest.raises(BackendUnavailable, match="dtype float16: numpy has no linalg.solve at half precision"):
        run_oracle(kind, p, backends="numpy", dtypes="float16")
    report = run_oracle(kind, p, backends="numpy", dtypes="float32,float16")  # the CLI's default
    assert [(run.dtype.name, run.variance) for run in report.runs] == [("float32", None)]  # no Var: one run
    assert "float16" in report.skipped[0] and "numpy cpu float32 · definition" in report.to_text()
