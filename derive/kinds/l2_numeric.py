"""The L2 solution's numeric cross-checks (numpy and torch float64) and its PNG plot."""

from __future__ import annotations

from fractions import Fraction

from .. import definitions
from ..model import Solution
from .l2_params import L2Params, setup

__all__ = ["reference", "torch_reference", "evaluate", "save_plot"]


def _np_setup(p: L2Params):
    import numpy as np

    S = setup(p)
    arr = lambda rows: np.array([[float(v) for v in r] for r in rows])  # noqa: E731
    return S, arr(S.X), np.array([float(v) for v in S.y]), np.diag([float(v) for v in S.D])


def _np_theta(X, y, kappa, D):
    """ridge() from the definitions; at κ = 0 with XᵀX singular, the minimum-norm solution instead."""
    import numpy as np

    A = X.T @ X + kappa * D
    if np.linalg.matrix_rank(A) < A.shape[0]:
        return np.linalg.lstsq(X, y, rcond=None)[0]
    return definitions.ridge(X, y, kappa, D)


def reference(p: L2Params) -> dict:
    """numpy float64: `definitions.ridge` at each λ, lstsq for the λ → 0 limit, the SGD step
    through `definitions.weight_decay_step`."""
    import numpy as np

    S, X, y, D = _np_setup(p)
    c = float(S.c)
    scale = len(y) if p.loss == "sum" else 1
    theta = _np_theta(X, y, c * float(p.lam), D)
    out = {"theta": theta, "norm2": float(theta @ D @ theta),
           "train_error": float(np.mean((X @ theta - y) ** 2) * scale)}
    if np.linalg.matrix_rank(X) == X.shape[1] or all(S.D):
        out["theta_0"] = np.linalg.lstsq(X, y, rcond=None)[0]          # the minimum-norm least squares
    free = np.diag(D) == 0
    th_inf = np.zeros(X.shape[1])
    if free.any():
        th_inf[free] = np.linalg.lstsq(X[:, free], y, rcond=None)[0]
    out["theta_inf"] = th_inf
    rows = []
    Xt = np.array([[float(v) for v in r] for r in S.X_test]) if S.X_test is not None else None
    yt = np.array([float(v) for v in S.y_test]) if S.y_test is not None else None
    for lam in S.grid:
        th = definitions.ridge(X, y, c * float(lam), D)
        row = [float(lam), float(np.mean((X @ th - y) ** 2))]
        if Xt is not None:
            row.append(float(np.mean((Xt @ th - yt) ** 2)))
        rows.append(row + [float(th @ D @ th)])
    out["sweep"] = np.array(rows)
    w0 = np.array([float(v) for v in p.w0]) if p.w0 is not None else np.ones(X.shape[1])
    grad = 2 * float(S.s) * X.T @ (X @ w0 - y)
    out["w_step"] = definitions.weight_decay_step(w0, grad, float(p.eta), 2 * float(S.t) * float(p.lam) * np.diag(D))
    return out


def evaluate(p: L2Params, b) -> dict:
    """The definitions on backend b (`derive.backends`: a device, another dtype, exact), for
    the oracle and `--check torch:cuda`: θ(λ) by `definitions.ridge`, its penalized ‖θ‖², the
    training error, θ* when XᵀX is invertible, every row of the λ sweep and the SGD step.
    (θ(∞) and a singular θ* are least-squares limits, which `reference` checks with numpy.)"""
    from .l2_ridge import rank

    if b.name != "exact" and b.dtype.name in ("float16", "bfloat16"):
        from ..errors import BackendUnavailable

        raise BackendUnavailable(f"dtype {b.dtype.name}: {b.name} has no linalg.solve at half precision; "
                                 "the ridge solution runs at float32 or float64")
    S = setup(p)
    k = len(S.D)
    X, y = b.asarray(S.X), b.asarray(S.y)
    D = b.asarray(tuple(tuple(S.D[i] if i == j else 0 for j in range(k)) for i in range(k)))
    scale = len(S.y) if p.loss == "sum" else 1
    invertible = rank(S.X) == k

    def theta_at(lam):
        return definitions.ridge(X, y, b.scalar(S.c * lam), D)

    def mse(A, t, theta):
        return ((A @ theta - t) ** 2).mean()

    out = {}
    if p.lam > 0 or invertible:
        theta = theta_at(p.lam)
        out.update(theta=theta, norm2=theta @ D @ theta, train_error=mse(X, y, theta) * scale)
    if invertible:
        out["theta_0"] = theta_at(0)
    test = (b.asarray(S.X_test), b.asarray(S.y_test)) if S.X_test is not None else None
    rows = []
    for lam in S.grid:
        th = theta_at(lam)
        row = [lam, mse(X, y, th)] + ([mse(*test, th)] if test else []) + [th @ D @ th]
        rows.append([float(b.to_numpy(v)) if not isinstance(v, Fraction) else v for v in row])
    out["sweep"] = _host_array(rows, b)
    w0 = b.asarray(p.w0 if p.w0 is not None else (1,) * k)
    grad = X.T @ (X @ w0 - y) * b.scalar(2 * S.s)
    out["w_step"] = definitions.weight_decay_step(w0, grad, b.scalar(p.eta), b.asarray(S.D) * b.scalar(2 * S.t * p.lam))
    return out


def _host_array(rows, b):
    """The sweep's rows as one host array: float64 from a float backend, Fractions exactly."""
    import numpy as np

    if b.name == "exact":
        out = np.empty((len(rows), len(rows[0])), dtype=object)
        out[:] = rows
        return out
    return np.array(rows, dtype=np.float64)


def torch_reference(p: L2Params) -> dict:
    """torch float64: torch.linalg.solve for θ(λ), and one torch.optim.SGD step with weight_decay."""
    import torch

    S, X, y, D = _np_setup(p)
    Xt, yt, Dt = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(D)
    kappa = float(S.c) * float(p.lam)
    out = {}
    if kappa > 0 or torch.linalg.matrix_rank(Xt.T @ Xt) == X.shape[1]:
        out["theta"] = torch.linalg.solve(Xt.T @ Xt + kappa * Dt, Xt.T @ yt).numpy()
    w0 = [float(v) for v in p.w0] if p.w0 is not None else [1.0] * X.shape[1]
    k = sum(S.D)                      # penalized entries first; an unpenalized bias is the last entry
    wp = torch.nn.Parameter(torch.tensor(w0[:k], dtype=torch.float64))
    wf = torch.nn.Parameter(torch.tensor(w0[k:], dtype=torch.float64))
    wd = 2 * float(S.t) * float(p.lam)
    opt = torch.optim.SGD([{"params": [wp], "weight_decay": wd}, {"params": [wf], "weight_decay": 0.0}],
                          lr=float(p.eta))
    loss = float(S.s) * ((Xt @ torch.cat([wp, wf]) - yt) ** 2).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    out["w_step"] = torch.cat([wp, wf]).detach().numpy()
    return out


# -- the plot as PNG ------------------------------------------------------------------
def save_plot(solution: Solution, path) -> None:
    """The λ sweep (training/test MSE and ‖θ‖² against λ, log scale) as a PNG via matplotlib."""
    try:
        import matplotlib
    except ImportError:
        from ..errors import BackendUnavailable

        raise BackendUnavailable("save_plot: matplotlib is not installed (pip install matplotlib)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [[float(v) for v in r] for r in solution.result("sweep").value]
    lam = [r[0] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.semilogx(lam, [r[1] for r in rows], "o-", label="training MSE")
    if len(rows[0]) == 4:
        left.semilogx(lam, [r[2] for r in rows], "s-", label="test MSE")
    left.set_xlabel("λ")
    left.legend()
    right.semilogx(lam, [r[-1] for r in rows], "o-", color="C2")
    right.set_xlabel("λ")
    right.set_ylabel("‖θ‖²")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
