"""Array backends for the numeric path: numpy, torch (CPU or CUDA) and CuPy, at any float dtype.

A `Backend` is one (library, device, dtype) triple.  It turns exact inputs into arrays
of that dtype — rounding each exact value *once*, correctly, to the dtype, so that the
input rounding is known exactly — runs the definitions from `derive.definitions` on
them, and turns results back into float64 numpy arrays (exact: every float16, bfloat16
and float32 value is a float64 value).

torch and CuPy are imported only when a backend that needs them is asked for; a
missing library or device raises `BackendUnavailable` with one line saying what to do.

The float formats themselves are data (`DTYPES`): precision p (significand bits,
counting the hidden one) and exponent range, which is all that exact rounding and
ulps need.

>>> f16 = DTYPES["float16"]
>>> f16.round(Fraction(10001)), f16.ulp(Fraction(10001)), f16.max_finite
(Fraction(10000, 1), Fraction(8, 1), Fraction(65504, 1))
>>> get_backend("numpy", dtype="float16").asarray(((10000, 10001),)).tolist()
[[10000.0, 10000.0]]
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from contextlib import nullcontext
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .errors import BackendUnavailable, InputError
from .exact import Surd, sign

__all__ = [
    "FloatFormat", "DTYPES", "BACKEND_NAMES", "Backend", "get_backend", "parse_device",
    "available_backends", "namespace_of", "floor_log2", "get_dtype", "ExactBackend",
    "UNDEFINED", "is_undefined",
]

BACKEND_NAMES = ("numpy", "torch", "cupy")


# -- float formats -------------------------------------------------------------------
def floor_log2(x) -> int:
    """⌊log₂|x|⌋ exactly, for a non-zero Fraction, int or Surd (b + c√r)."""
    if isinstance(x, Surd) and x.c == 0:
        x = x.b
    if not isinstance(x, Surd):
        q = abs(Fraction(x))
        if q == 0:
            raise ValueError("log2 of zero")
        k = q.numerator.bit_length() - q.denominator.bit_length()
        # 2^(k−1) < q < 2^(k+1); one comparison settles which side of 2^k it is.
        return k if q >= Fraction(2) ** k else k - 1
    ax = abs(x)
    if sign(ax) == 0:
        raise ValueError("log2 of zero")
    from .exact import to_float
    import math

    f = to_float(ax)
    k = math.frexp(f)[1] - 1 if 0 < f < math.inf else floor_log2(Fraction(f or 1))
    while sign(ax - Fraction(2) ** k) < 0:
        k -= 1
    while sign(ax - Fraction(2) ** (k + 1)) >= 0:
        k += 1
    return k


@dataclass(frozen=True)
class FloatFormat:
    """A binary floating-point format: p significand bits, normal exponents emin..emax."""

    name: str
    bits: int
    precision: int
    emin: int
    emax: int

    @property
    def max_finite(self) -> Fraction:
        return (2 - Fraction(1, 2 ** (self.precision - 1))) * Fraction(2) ** self.emax

    @property
    def smallest_normal(self) -> Fraction:
        return Fraction(2) ** self.emin

    @property
    def smallest_subnormal(self) -> Fraction:
        return Fraction(2) ** (self.emin - self.precision + 1)

    @property
    def machine_epsilon(self) -> Fraction:
        """The gap between 1 and the next float: 2^(1−p)."""
        return Fraction(1, 2 ** (self.precision - 1))

    @property
    def unit_roundoff(self) -> Fraction:
        """Half an ulp of 1, the bound on one correctly rounded operation's relative error."""
        return Fraction(1, 2 ** self.precision)

    @property
    def decimal_digits(self) -> int:
        """Significant digits that always round-trip a value of this format (⌈p·log₁₀2⌉ + 1)."""
        import math

        return math.ceil(self.precision * math.log10(2)) + 1

    def ulp(self, x) -> Fraction:
        """The unit in the last place of the exact value x in this format.

        The spacing of the format's floats in the binade holding x: 2^(max(e, emin) − p + 1)
        with e = ⌊log₂|x|⌋; for x = 0 (and subnormals) the subnormal spacing.  It is the
        ulp of x itself, not of x rounded (which can sit in the next binade up).
        """
        if (isinstance(x, Surd) and sign(x) == 0) or (not isinstance(x, Surd) and x == 0):
            return self.smallest_subnormal
        e = max(floor_log2(x), self.emin)
        return Fraction(2) ** (e - self.precision + 1)

    def round(self, q) -> Fraction | float:
        """q rounded to the nearest value of this format, ties to even (IEEE 754 default).

        Exact: no float is involved.  Overflow gives ±inf (a float), as the hardware does.
        """
        q = Fraction(q)
        if q == 0:
            return Fraction(0)
        quantum = self.ulp(q)
        n, rest = divmod(abs(q), quantum)
        n = int(n)
        if rest > quantum / 2 or (rest == quantum / 2 and n % 2 == 1):
            n += 1
        value = n * quantum
        if value > self.max_finite:
            return float("inf") if q > 0 else float("-inf")
        return value if q > 0 else -value

    def __str__(self):
        return self.name


DTYPES = {
    "float64": FloatFormat("float64", 64, 53, -1022, 1023),
    "float32": FloatFormat("float32", 32, 24, -126, 127),
    "float16": FloatFormat("float16", 16, 11, -14, 15),
    "bfloat16": FloatFormat("bfloat16", 16, 8, -126, 127),
}


def get_dtype(name) -> FloatFormat:
    if isinstance(name, FloatFormat):
        return name
    key = str(name).strip().lower()
    key = {"double": "float64", "single": "float32", "float": "float32", "half": "float16",
           "fp64": "float64", "fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}.get(key, key)
    if key not in DTYPES:
        raise InputError("dtype", f"unknown dtype {name!r}; choose from {', '.join(DTYPES)}")
    return DTYPES[key]


# -- namespaces: the few array functions the definitions use -------------------------
class _TorchNamespace:
    """torch spelled like the array API (`axis`/`keepdims`), for `derive.definitions`."""

    def __init__(self, torch):
        self.torch = torch
        self.linalg = torch.linalg

    def mean(self, x, axis=None, keepdims=False):
        return self.torch.mean(x, dim=axis, keepdim=keepdims)

    def sqrt(self, x):
        return self.torch.sqrt(x)


class Undefined:
    """x/√0 in exact evaluation (σ² + ε = 0): absorbs all further arithmetic."""

    def __repr__(self):
        return "undefined"

    def _same(self, *_):
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _same
    __truediv__ = __rtruediv__ = __neg__ = __pow__ = _same


UNDEFINED = Undefined()


def is_undefined(x) -> bool:
    """True for this module's UNDEFINED and for `derive.kinds.normalization.Undefined`."""
    return type(x).__name__ == "Undefined"


class _ZeroRoot:
    """√0 in exact evaluation: dividing by it gives UNDEFINED instead of raising."""

    def __rtruediv__(self, other):
        return UNDEFINED


class _ExactNamespace:
    """numpy object arrays of Fractions: the definitions evaluated exactly.

    √ gives a `Surd` (b + c√r); x/√0 gives UNDEFINED, as the exact solutions show it.
    """

    def mean(self, x, axis=None, keepdims=False):
        import numpy as np

        return np.mean(x, axis=axis, keepdims=keepdims)

    def sqrt(self, x):
        import numpy as np

        from .exact import sqrt_rational

        def root(v):
            if is_undefined(v):
                return v
            if isinstance(v, Surd):
                if v.c != 0:
                    raise ValueError("nested square roots are not supported exactly")
                v = v.b
            r = sqrt_rational(Fraction(v))
            return _ZeroRoot() if r == 0 else r

        return np.vectorize(root, otypes=[object])(x)

    @property
    def linalg(self):
        return _ExactLinalg


class _ExactLinalg:
    """`linalg.solve` in Fractions (ℓ₂'s ridge definition evaluated exactly)."""

    @staticmethod
    def solve(A, b):
        import numpy as np

        from .exact import solve_linear

        x = solve_linear(A.tolist(), b.tolist())
        if x is None:
            raise ZeroDivisionError("singular matrix")  # an ArithmeticError, as numpy's LinAlgError is not
        out = np.empty(len(x), dtype=object)
        out[:] = x
        return out


_EXACT = _ExactNamespace()


def namespace_of(x):
    """The array namespace for x: numpy, CuPy, a torch adapter, or exact for object arrays."""
    module = type(x).__module__
    if module == "numpy" and getattr(getattr(x, "dtype", None), "kind", None) != "O":
        return sys.modules["numpy"]  # the common case first: a numpy float array or scalar
    module = module.split(".")[0]
    if module == "torch":
        return _TorchNamespace(importlib.import_module("torch"))
    if module == "cupy":
        return importlib.import_module("cupy")
    import numpy

    if getattr(x, "dtype", None) == object:
        return _EXACT
    return numpy


# -- backends ---------------------------------------------------------------------------
def parse_device(device) -> str:
    """'cpu', 'cuda' or 'cuda:N' (None → cpu)."""
    text = "cpu" if device is None else str(device).strip().lower()
    if text == "gpu":
        text = "cuda"
    if text in ("cpu", "cuda") or (text.startswith("cuda:") and text[5:].isdigit()):
        return text
    raise InputError("device", f"unknown device {device!r}; choose cpu, cuda or cuda:N")


@dataclass(frozen=True)
class Backend:
    """One library on one device at one dtype, with exact conversion in and out."""

    name: str
    device: str
    dtype: FloatFormat
    library: str                   # "torch 2.13.0+cpu"
    device_name: str               # "CPU", "NVIDIA H100 80GB HBM3"
    module: Any = field(repr=False, compare=False)   # numpy, torch or cupy
    native: Any = field(repr=False, compare=False)   # the library's dtype object
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.name} {self.device} {self.dtype.name}"

    # -- values in -----------------------------------------------------------------
    def round_exact(self, value):
        """Exact value(s), nested tuples allowed, each rounded once to this dtype (Fractions)."""
        if isinstance(value, (tuple, list)):
            return tuple(self.round_exact(v) for v in value)
        return self.dtype.round(Fraction(value) if not isinstance(value, Fraction) else value)

    def asarray(self, value):
        """An array of this dtype on this device holding `value` rounded once to the dtype.

        `value`: nested tuples of exact numbers (int, Fraction), or a float numpy array
        (then the library's own rounding from float64 applies).
        """
        import numpy as np

        if isinstance(value, np.ndarray):
            host = value.astype(np.float64, copy=False)
        else:
            # Exact → dtype once, here; the float64 array then holds dtype values exactly,
            # so the library's conversion below is exact and double rounding cannot happen.
            host = np.array(_floats(self.round_exact(value)), dtype=np.float64)
        return self._from_host(host)

    def scalar(self, value) -> float:
        """A Python float holding `value` rounded to this dtype.

        Python floats are "weak" scalars in numpy ≥ 2, torch and CuPy: `array + eps`
        stays in the array's dtype, and the value is already representable, so it is exact.
        """
        r = self.dtype.round(Fraction(value))
        return float(r)

    def _from_host(self, host):
        if self.name == "numpy":
            return host.astype(self.native)
        if self.name == "torch":
            torch = self.module
            return torch.from_numpy(host).to(device=self.device, dtype=self.native)
        return self.module.asarray(host).astype(self.native)  # cupy

    # -- values out ----------------------------------------------------------------
    def to_numpy(self, array):
        """float64 numpy array on the host (exact: every value of a smaller dtype fits)."""
        import numpy as np

        if isinstance(array, np.ndarray):  # assembled on the host from device scalars (ℓ₂'s sweep)
            return array.astype(np.float64)
        if self.name == "torch":
            return array.detach().to(device="cpu", dtype=self.module.float64).numpy()
        if self.name == "cupy":
            return self.module.asnumpy(array).astype(np.float64)
        return np.asarray(array).astype(np.float64)

    def synchronize(self) -> None:
        """Wait for queued GPU work (for timing); a no-op on the CPU."""
        if self.name == "torch" and self.device.startswith("cuda"):
            self.module.cuda.synchronize()
        elif self.name == "cupy":
            self.module.cuda.Device().synchronize()

    def errstate(self):
        """Silence float warnings (overflow, 0/0) that the oracle reports itself."""
        if self.name == "numpy":
            return self.module.errstate(all="ignore")
        return nullcontext()  # torch and CuPy (GPU kernels) do not warn


class ExactBackend:
    """The `Backend` interface over exact numbers: object arrays of Fractions.

    With `dtype` the inputs are first rounded to it (once, correctly), so the result is
    the exact answer *for the inputs as that dtype stores them* — the best any algorithm
    in that dtype could start from.
    """

    name = "exact"
    device = "cpu"
    library = "fractions"
    device_name = "CPU"
    notes = ()

    def __init__(self, dtype: FloatFormat | None = None):
        self.dtype = dtype

    @property
    def label(self) -> str:
        return "exact" + (f" (inputs rounded to {self.dtype.name})" if self.dtype else "")

    def _round(self, q):
        q = q if isinstance(q, Fraction) else Fraction(q)
        return self.dtype.round(q) if self.dtype is not None else q

    def scalar(self, value):
        return self._round(value)

    def asarray(self, value):
        import numpy as np

        if isinstance(value, np.ndarray):
            value = value.tolist()
        values = _nested(value, self._round)
        out = np.empty(np.shape(values), dtype=object)
        for index in np.ndindex(out.shape):
            item = values
            for i in index:
                item = item[i]
            out[index] = item
        return out

    def to_numpy(self, array):
        return array

    def synchronize(self) -> None:
        pass

    def errstate(self):
        return nullcontext()


def _nested(value, fn):
    if isinstance(value, (tuple, list)):
        return [_nested(v, fn) for v in value]
    return fn(value)


def _floats(value):
    if isinstance(value, tuple):
        return [_floats(v) for v in value]
    return float(value)


def available_backends(devices=("cpu", "cuda")) -> list[tuple[str, str]]:
    """(backend, device) pairs that work here, checked without raising."""
    found = []
    for name in BACKEND_NAMES:
        for device in devices:
            try:
                get_backend(name, device, "float64")
            except (BackendUnavailable, InputError):
                continue
            found.append((name, device))
    return found


def get_backend(name: str = "numpy", device=None, dtype="float64") -> Backend:
    """The backend `name` on `device` at `dtype`, or BackendUnavailable / InputError.

    `device` None means the library's natural one: cpu for numpy and torch, cuda for CuPy.
    """
    key = str(name).strip().lower()
    if key not in BACKEND_NAMES:
        raise InputError("backend", f"unknown backend {name!r}; choose from {', '.join(BACKEND_NAMES)}")
    fmt = get_dtype(dtype)
    if device is None:
        device = "cuda" if key == "cupy" else "cpu"
    device = parse_device(device)
    return {"numpy": _numpy, "torch": _torch, "cupy": _cupy}[key](device, fmt)


def _numpy(device: str, fmt: FloatFormat) -> Backend:
    import numpy as np

    if device != "cpu":
        raise InputError("device", f"numpy runs on the CPU only, not {device}; use --backend torch or cupy for cuda")
    notes = []
    if fmt.name == "bfloat16":
        try:
            import ml_dtypes
        except ImportError:
            raise BackendUnavailable("dtype bfloat16: numpy has no bfloat16 (pip install ml_dtypes, "
                                     "or use --backend torch)") from None
        native = np.dtype(ml_dtypes.bfloat16)
        notes.append("bfloat16 arrays come from ml_dtypes")
    else:
        native = np.dtype(fmt.name)
    if fmt.name == "float16":
        # numpy.mean documents this: float16 means are accumulated in float32.
        notes.append("numpy accumulates float16 means in float32 (then rounds to float16)")
    return Backend("numpy", "cpu", fmt, f"numpy {np.__version__}", "CPU", np, native, tuple(notes))


def _require(module: str, hint: str):
    if importlib.util.find_spec(module) is None:
        raise BackendUnavailable(f"backend {module} is not installed ({hint})")
    try:
        return importlib.import_module(module)
    except Exception as e:  # a broken install (missing CUDA libraries…) is unavailable too
        raise BackendUnavailable(f"backend {module} failed to import: {type(e).__name__}: {e}".splitlines()[0]) \
            from None


def _torch(device: str, fmt: FloatFormat) -> Backend:
    torch = _require("torch", "pip install 'derive[torch]'")
    native = getattr(torch, fmt.name)
    name = "CPU"
    if device.startswith("cuda"):
        if torch.version.cuda is None and getattr(torch.version, "hip", None) is None:
            raise BackendUnavailable(f"device {device}: torch {torch.__version__} was built without CUDA")
        if not torch.cuda.is_available():
            raise BackendUnavailable(f"device {device}: torch {torch.__version__} sees no CUDA device")
        index = int(device[5:]) if ":" in device else torch.cuda.current_device()
        if index >= torch.cuda.device_count():
            raise BackendUnavailable(f"device {device}: only {torch.cuda.device_count()} CUDA device(s) visible")
        name = torch.cuda.get_device_name(index)
    notes = ()
    if fmt.name in ("float16", "bfloat16"):
        notes = (f"torch reductions (mean) on {fmt.name} accumulate in float32",)
    return Backend("torch", device, fmt, f"torch {torch.__version__}", name, torch, native, notes)


def _cupy(device: str, fmt: FloatFormat) -> Backend:
    if device == "cpu":
        raise InputError("device", "cupy runs on CUDA devices only; use --device cuda, or --backend numpy")
    cupy = _require("cupy", "pip install cupy-cuda12x; it needs an NVIDIA GPU")
    if fmt.name == "bfloat16":
        raise BackendUnavailable("dtype bfloat16: CuPy has no bfloat16 arrays; use --backend torch")
    index = int(device[5:]) if ":" in device else 0
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        raise BackendUnavailable(f"device {device}: CuPy found no CUDA device ({type(e).__name__})") from None
    if index >= count:
        raise BackendUnavailable(f"device {device}: only {count} CUDA device(s) visible")
    cupy.cuda.Device(index).use()
    props = cupy.cuda.runtime.getDeviceProperties(index)
    name = props["name"].decode() if isinstance(props.get("name"), bytes) else str(props.get("name", "GPU"))
    return Backend("cupy", f"cuda:{index}" if ":" in device else "cuda", fmt, f"cupy {cupy.__version__}",
                   name, cupy, cupy.dtype(fmt.name))
