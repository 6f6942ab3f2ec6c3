"""derive: exact, step-by-step solutions to deep-learning worksheet problems.

    >>> import derive
    >>> derive.solve("layernorm", X=[[0, 2, 2, 8]], gamma=[1, 2, 3, 4], beta=[0, -1, 1, 0]).answer
    Matrix([[-1, -5/3, 0, 20/3]])
"""

from .api import make_params, solve, solve_params
from .check import check
from .errors import DeriveError, InputError, UndefinedError
from .model import Check, Precision, Relation, Result, Solution, Step
from .registry import get_kind, kind_names

__all__ = [
    "solve", "check", "solve_params", "make_params", "get_kind", "kind_names",
    "load_worksheet", "solve_worksheet", "generate_variants",
    "Solution", "Step", "Relation", "Result", "Check", "Precision",
    "DeriveError", "InputError", "UndefinedError",
]
__version__ = "0.1.0"

# Worksheets and variants pull in tomllib, Jinja2 and friends: load them on first use,
# so `import derive` (and `derive --help`) stays light.
_LAZY = {
    "load_worksheet": "derive.worksheet",
    "solve_worksheet": "derive.worksheet",
    "generate_variants": "derive.generate",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'derive' has no attribute {name!r}")
