"""The L2 problem's parameters and the set-up derived from them (split, bias column, conventions).

The conventions become two numbers: the normal equations are (XᵀX + cλD)θ = Xᵀy with
c = t/s, where s scales the data term (1 for ‖Xθ − y‖², 1/n for the mean) and t the penalty
(1 for λ‖θ‖², ½ for (λ/2)‖θ‖²); D is the identity with a 0 for an unpenalized bias.

>>> from derive.params import build
>>> S = setup(build(L2Params, {"X": [[1], [2], [3]], "y": [1, 2, 2], "intercept": True, "loss": "mean"}))
>>> S.X, S.D, S.c
(((Fraction(1, 1), Fraction(1, 1)), (Fraction(2, 1), Fraction(1, 1)), (Fraction(3, 1), Fraction(1, 1))), (1, 0), Fraction(3, 1))
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import InputError
from ..params import Matrix, Vector, param

__all__ = ["L2Params", "Setup", "setup", "DEFAULT_GRID", "MAX_FEATURES", "MAX_ROWS", "MAX_GRID"]

MAX_FEATURES = 8          # the exact λ-path (adjugate over ℚ[λ]) stays fast up to here
MAX_ROWS = 2000
MAX_GRID = 40
# Decades from 10⁻³ to 10³, with the 3× points where ridge curves bend (eleven points: a
# table of up to twelve rows, header included, prints without eliding).
DEFAULT_GRID = tuple(Fraction(v) for v in ("1/1000", "1/100", "3/100", "1/10", "3/10", "1", "3", "10", "30", "100", "1000"))


@dataclass(frozen=True)
class L2Params:
    X: Matrix = param("matrix", "training inputs X, shape [n, d], e.g. [[1,0],[0,1],[1,1]]")
    y: Vector = param("vector", "training targets y, one per row of X")
    lam: Fraction = param("scalar", "regularization strength λ ≥ 0, taken exactly (default 1)", Fraction(1))
    penalty: str = param("choice", "penalty convention: full = λ‖θ‖² (the seed's), half = (λ/2)‖θ‖²", "full",
                         choices=("full", "half"))
    loss: str = param("choice", "data term: sum = ‖Xθ − y‖² (sum of squares), mean = ‖Xθ − y‖²/n", "sum",
                      choices=("sum", "mean"))
    intercept: bool = param("bool", "add a bias b: a column of ones, the last entry of θ (default false)", False)
    penalize_bias: bool = param("bool", "with --intercept: penalize b too (default false: only the weights)", False)
    X_test: Matrix | None = param("matrix", "test inputs for the λ sweep (optional)", None)
    y_test: Vector | None = param("vector", "test targets, one per row of X_test", None)
    holdout: int = param("int", "use the last K rows of X, y as the test set instead (default 0)", 0)
    y_class: tuple[int, ...] | None = param(
        "int_vector", "0/1 labels for the logistic part (default: y when it is 0/1, else 1 where y > mean y)", None)
    lam_grid: Vector | None = param("vector", "λ values of the sweep, each > 0 (default 0.001, 0.01, 0.03, …, 100, 1000)", None)
    eta: Fraction = param("scalar", "learning rate η of the weight-decay SGD step (default 1/100)", Fraction(1, 100))
    w0: Vector | None = param("vector", "θ before the SGD step, one per entry of θ (default all ones)", None)

    def __post_init__(self):
        n, d = len(self.X), len(self.X[0])
        if len(self.y) != n:
            raise InputError("y", f"has {len(self.y)} entries but X has {n} rows")
        if n > MAX_ROWS:
            raise InputError("X", f"has {n} rows; the exact ridge path is limited to {MAX_ROWS}")
        width = d + bool(self.intercept)
        if width > MAX_FEATURES:
            raise InputError("X", f"has {width} parameters{' with the bias' if self.intercept else ''}; the exact "
                             f"λ-path is limited to {MAX_FEATURES} (the adjugate of a {width}×{width} polynomial matrix)")
        if self.lam < 0:
            raise InputError("lam", f"must be non-negative, got {self.lam}")
        if self.eta <= 0:
            raise InputError("eta", f"must be positive, got {self.eta}")
        if (self.X_test is None) != (self.y_test is None):
            raise InputError("X_test" if self.X_test is None else "y_test", "give both X_test and y_test, or neither")
        if self.X_test is not None:
            if len(self.X_test[0]) != d:
                raise InputError("X_test", f"has {len(self.X_test[0])} columns but X has {d}")
            if len(self.y_test) != len(self.X_test):
                raise InputError("y_test", f"has {len(self.y_test)} entries but X_test has {len(self.X_test)} rows")
        if self.holdout:
            if self.X_test is not None:
                raise InputError("holdout", "give either --holdout or X_test/y_test, not both")
            if not 0 < self.holdout < n:
                raise InputError("holdout", f"must be between 1 and {n - 1} (X has {n} rows), got {self.holdout}")
        elif self.holdout < 0:
            raise InputError("holdout", f"must be non-negative, got {self.holdout}")
        if self.y_class is not None:
            if len(self.y_class) != n:
                raise InputError("y_class", f"has {len(self.y_class)} entries but X has {n} rows")
            if any(v not in (0, 1) for v in self.y_class):
                raise InputError("y_class", "labels must be 0 or 1")
        if self.lam_grid is not None:
            if len(self.lam_grid) > MAX_GRID:
                raise InputError("lam_grid", f"has more than {MAX_GRID} values")
            if any(v <= 0 for v in self.lam_grid):
                raise InputError("lam_grid", "values must be positive (the sweep is on a log scale)")
        if self.w0 is not None and len(self.w0) != width:
            raise InputError("w0", f"has {len(self.w0)} entries but θ has {width}")


@dataclass(frozen=True)
class Setup:
    """The problem as solved: design matrices (bias column added), split, penalty and scale."""

    X: tuple
    y: tuple
    X_test: tuple | None
    y_test: tuple | None
    D: tuple[int, ...]
    c: Fraction                 # (XᵀX + cλD)θ = Xᵀy
    s: Fraction                 # data-term factor: 1 or 1/n
    t: Fraction                 # penalty factor: 1 or 1/2
    labels: tuple[int, ...]
    test_labels: tuple[int, ...] | None
    label_rule: str
    grid: tuple[Fraction, ...]  # sorted, distinct
    names: tuple[str, ...]


def setup(p: L2Params) -> Setup:
    X, y, Xt, yt = p.X, p.y, p.X_test, p.y_test
    labels = p.y_class
    if p.holdout:
        X, Xt, y, yt = X[:-p.holdout], X[-p.holdout:], y[:-p.holdout], y[-p.holdout:]
        labels, test_labels = (labels[:-p.holdout], labels[-p.holdout:]) if labels is not None else (None, None)
    else:
        test_labels = None
    d = len(X[0])
    add = (lambda rows: tuple(tuple(r) + (Fraction(1),) for r in rows)) if p.intercept else (lambda rows: tuple(rows))
    D = (1,) * d + ((1 if p.penalize_bias else 0,) if p.intercept else ())
    s = Fraction(1, len(y)) if p.loss == "mean" else Fraction(1)
    t = Fraction(1, 2) if p.penalty == "half" else Fraction(1)
    if labels is not None:
        rule = "as given (y_class)"
    elif all(v in (0, 1) for v in y):
        labels, test_labels, rule = tuple(int(v) for v in y), (tuple(int(v) for v in yt) if yt else None), "y itself (0/1)"
    else:
        mean = sum(y, Fraction(0)) / len(y)
        labels = tuple(int(v > mean) for v in y)
        test_labels = tuple(int(v > mean) for v in yt) if yt is not None else None
        rule = f"1 where y > {mean} (the training mean of y), else 0"
    names = tuple(f"θ{i + 1}" for i in range(d)) + (("b",) if p.intercept else ())
    return Setup(add(X), tuple(y), add(Xt) if Xt is not None else None, tuple(yt) if yt is not None else None,
                 D, t / s, s, t, tuple(labels), test_labels, rule, tuple(sorted(set(p.lam_grid or DEFAULT_GRID))), names)
