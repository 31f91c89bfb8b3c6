"""Learning from maintainers' decisions: the shipped weights refitted (MAP) to the decided papers.

Each decision is a log-loss example counting `weight` times (30 in the shipped model file) under a Gaussian prior
centred on the shipped weights w0:

    minimise  sum_d weight * logloss(y_d, sigmoid(A z_d + B))  +  sum_k (w_k - w0_k)^2 / (2 v_k)
    v_k = prior_sd^2 * (w0_k^2 + prior_floor)

* The variance follows each weight's size: a lesson changes the words the model relied on to accept (or refuse)
  the decided papers, not the many near-zero words they also contain.
* V is projected off the mean in-scope paper mu (V' = V - V mu mu' V / mu' V mu): the average positive's score is
  held fixed, so rejecting one kind of paper does not drag every positive down through shared words ("LLM").
* Bias, the scope gate's penalty and calibration stay fixed, so the threshold keeps its meaning: an approved
  paper without the scope cue is learned through its words, and the gate still holds for other papers.

The minimiser is w = w0 + V' sum_d beta_d x_d: a new paper moves by its V'-similarity to the decided papers. beta
is found by damped Newton in n = #decisions dimensions, then expanded to weight changes; scoring speed is
unchanged. The cost grows with n^3 (research figures: 9 ms at 10 decisions, 0.17 s at 100, 1.2 s at 200), so only
the `MAX_LESSONS` most recent decisions are used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.intake.relevance.features import parse
from bot.intake.relevance.scorer import Key, Scorer, sigmoid

MAX_LESSONS = 150  # the most recent decisions a refit learns from (~0.5 s in pure Python on this machine)


@dataclass(frozen=True)
class Decision:
    """A maintainer's decision on a paper: approved (relevant) or rejected."""

    title: str
    summary: str
    relevant: bool


@dataclass(frozen=True)
class Knobs:
    weight: float = 30.0
    prior_sd: float = 1.0
    prior_floor: float = 0.01

    @classmethod
    def of(cls, model: Mapping[str, object]) -> Knobs:
        knobs = model.get("decisions") or {}
        assert isinstance(knobs, Mapping)
        return cls(**{k: float(v) for k, v in knobs.items() if k in ("weight", "prior_sd", "prior_floor")})


def refit(base: Scorer, decisions: Sequence[Decision]) -> Scorer:
    """`base` (the shipped model) refitted to the last MAX_LESSONS of `decisions` (given oldest first)."""
    used = list(decisions)[-MAX_LESSONS:]
    if not used:
        return base
    return base.with_weights(weight_changes(base, used, Knobs.of(base.model)), used)


def _sparse_dot(a: Mapping[Key, float], b: Mapping[Key, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b[k] for k, v in a.items() if k in b)


def weight_changes(base: Scorer, decisions: Sequence[Decision], knobs: Knobs, *, tol: float = 1e-9,
                   max_iter: int = 60) -> dict[Key, float]:
    """The MAP weight changes (feature -> delta) for these decisions; see the module's docstring."""
    a_cal, b_cal = base.platt
    s2 = knobs.prior_sd * knobs.prior_sd
    parsed = [parse(d.title, d.summary, base.config) for d in decisions]
    xs = [base.vector_parsed(p) for p in parsed]
    ys = [1.0 if d.relevant else 0.0 for d in decisions]
    n = len(xs)
    mu = base.positive_mean()
    var: dict[Key, float] = {}
    for x in (*xs, mu):
        for k in x:
            if k not in var:
                w0 = base.weight(k)
                var[k] = s2 * (w0 * w0 + knobs.prior_floor)
    z0 = [base.raw_parsed(p) for p in parsed]  # bias + w0 . x - gate
    vx = [{k: v * var[k] for k, v in x.items()} for x in xs]
    kernel = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            kernel[i][j] = kernel[j][i] = _sparse_dot(xs[i], vx[j])
    vmu = {k: v * var[k] for k, v in mu.items()}
    mvm = _sparse_dot(mu, vmu)
    proj = [_sparse_dot(x, vmu) for x in xs]  # x_d' V mu
    if mvm > 0:
        for i in range(n):
            for j in range(n):
                kernel[i][j] -= proj[i] * proj[j] / mvm
    weight = knobs.weight

    def residual(beta: list[float]) -> tuple[list[float], list[float]]:
        z = [z0[i] + sum(kernel[i][j] * beta[j] for j in range(n) if beta[j]) for i in range(n)]
        p = [sigmoid(a_cal * zi + b_cal) for zi in z]
        return [beta[i] + weight * a_cal * (p[i] - ys[i]) for i in range(n)], p

    beta = [0.0] * n
    r, p = residual(beta)
    for _ in range(max_iter):
        norm = max(abs(t) for t in r)
        if norm < tol:
            break
        # Newton step: (I + D K) step = -r, D = weight * A^2 * p (1 - p)
        d = [weight * a_cal * a_cal * pi * (1.0 - pi) for pi in p]
        system = [[(1.0 if i == j else 0.0) + d[i] * kernel[i][j] for j in range(n)] + [-r[i]] for i in range(n)]
        step = _solve(system)
        t = 1.0
        while True:  # backtracking on the residual's size keeps Newton safe far from the solution
            candidate = [beta[i] + t * step[i] for i in range(n)]
            r2, p2 = residual(candidate)
            if max(abs(v) for v in r2) < norm or t < 1e-4:
                beta, r, p = candidate, r2, p2
                break
            t *= 0.5
    delta: dict[Key, float] = {}
    for b, x in zip(beta, vx, strict=True):
        for k, val in x.items():
            delta[k] = delta.get(k, 0.0) + b * val
    if mvm > 0:
        c = sum(b * pr for b, pr in zip(beta, proj, strict=True)) / mvm
        for k, val in vmu.items():
            delta[k] = delta.get(k, 0.0) - c * val
    return delta


def _solve(system: list[list[float]]) -> list[float]:
    """Solve the augmented system [M | b] in place by Gaussian elimination with partial pivoting."""
    n = len(system)
    for c in range(n):
        pivot = max(range(c, n), key=lambda r: abs(system[r][c]))
        system[c], system[pivot] = system[pivot], system[c]
        row_c = system[c]
        for r in range(c + 1, n):
            f = system[r][c] / row_c[c]
            if f:
                row = system[r]
                for k in range(c, n + 1):
                    row[k] -= f * row_c[k]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (system[r][n] - sum(system[r][k] * x[k] for k in range(r + 1, n))) / system[r][r]
    return x
