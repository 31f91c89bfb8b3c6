"""Measuring the relevance model: day-grouped folds, thresholds, calibration, pooled out-of-fold metrics.

Needs the `[train]` extra (numpy, scikit-learn); used by `train` and by `python -m benchmarks relevance`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

Array = Any  # numpy arrays (kept loose: numpy's own types are more precise than this code needs)


def day_folds(dates: Sequence[str], n_folds: int | None = None) -> list[tuple[Array, Array]]:
    """(train, test) index arrays grouped by listing day: leave-one-day-out (`n_folds` None), or the days, sorted,
    dealt round-robin into `n_folds` folds."""
    days = sorted(set(dates))
    assign = {d: (i if n_folds is None else i % n_folds) for i, d in enumerate(days)}
    fold = np.array([assign[d] for d in dates])
    return [(np.where(fold != i)[0], np.where(fold == i)[0]) for i in range(len(days) if n_folds is None else n_folds)]


def at_threshold(y: Array, p: Array, t: float) -> dict[str, float]:
    """Precision, recall, F1 and false candidates per 1,000 papers of predictions p >= t."""
    pred = p >= t
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"t": float(t), "tp": tp, "fp": fp, "fn": fn, "P": precision, "R": recall, "F1": f1,
            "fp_per_1000": 1000.0 * fp / len(y), "cand_per_1000": 1000.0 * (tp + fp) / len(y)}


def sweep(y: Array, s: Array) -> tuple[Array, Array, Array, Array, Array]:
    """Every threshold (each distinct score, descending): precision, recall, threshold, tp, fp."""
    order = np.argsort(-s, kind="mergesort")
    ys, ss = y[order], s[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(1 - ys)
    last = np.r_[ss[1:] != ss[:-1], True]
    tp, fp, th = tp[last], fp[last], ss[last]
    return tp / (tp + fp), tp / max(1, ys.sum()), th, tp, fp


def at_recall(y: Array, s: Array, target: float) -> dict[str, float]:
    """The highest threshold whose recall reaches `target`: that threshold, its precision and recall, and false
    candidates per 1,000 papers."""
    precision, recall, th, _, fp = sweep(y, s)
    i = int(np.where(recall >= target)[0][0])
    return {"t": float(th[i]), "P": float(precision[i]), "R": float(recall[i]),
            "fp_per_1000": 1000.0 * float(fp[i]) / len(y)}


def max_f1_threshold(y: Array, p: Array) -> float:
    """The score with the best F1, as scored papers pass it (the raw maximum, no margin)."""
    precision, recall, th, _, _ = sweep(y, p)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    return float(th[int(np.argmax(f1))])


def platt_fit(z: Array, y: Array) -> tuple[float, float]:
    """Platt scaling (a 1-D logistic regression, barely regularised) of raw scores: p = sigmoid(A z + B)."""
    lr = LogisticRegression(C=1e4, max_iter=1000)
    lr.fit(np.asarray(z).reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def summary(y: Array, p: Array, t: float, borderline: Array | None = None, prior: float = 0.026) -> dict[str, Any]:
    """at_threshold, plus PR-AUC, ROC-AUC, precision at another base rate (same TPR and FPR) and, given the
    borderline flags, the same on the papers that are not judgement calls."""
    out: dict[str, Any] = at_threshold(y, p, t)
    out["PR_AUC"] = float(average_precision_score(y, p))
    out["ROC_AUC"] = float(roc_auc_score(y, p))
    tpr = out["R"]
    fpr = out["fp"] / max(1, int(np.sum(y == 0)))
    denominator = tpr * prior + fpr * (1 - prior)
    out["P_at_2.6%"] = tpr * prior / denominator if denominator else 0.0
    out["fp_per_1000_at_2.6%"] = 1000 * fpr * (1 - prior)
    if borderline is not None:
        keep = ~np.asarray(borderline)
        nb = at_threshold(y[keep], p[keep], t)
        out["nb"] = {"P": nb["P"], "R": nb["R"], "fp_per_1000": nb["fp_per_1000"],
                     "PR_AUC": float(average_precision_score(y[keep], p[keep]))}
    return out


def per_day_ranking(y: Array, s: Array, dates: Sequence[str], k: int = 5) -> dict[str, float]:
    """Does a day's top hold its in-scope papers? Mean precision of each day's top min(k, positives) papers, mean
    per-day average precision, and the mean share of a day's positives above its best negative."""
    dates_a = np.asarray(dates)
    top_precision, above, aps = [], [], []
    for d in sorted(set(dates)):
        m = dates_a == d
        yy, ss = y[m], s[m]
        if yy.sum() == 0:
            continue
        top_precision.append(yy[np.argsort(-ss)[:min(k, int(yy.sum()))]].mean())
        above.append(float((ss[yy == 1] > ss[yy == 0].max()).mean()))
        aps.append(average_precision_score(yy, ss))
    return {"days": len(aps), "top_precision": float(np.mean(top_precision)), "mean_day_AP": float(np.mean(aps)),
            "share_above_best_negative": float(np.mean(above))}


def cross_fitted_platt(z: Array, y: Array, dates: Sequence[str]) -> Array:
    """Calibrated out-of-fold probabilities where each day's Platt map was fitted on the other days only."""
    dates_a = np.asarray(dates)
    p = np.zeros(len(z))
    for d in sorted(set(dates)):
        m = dates_a == d
        a, b = platt_fit(z[~m], y[~m])
        p[m] = 1.0 / (1.0 + np.exp(-(a * z[m] + b)))
    return p


def nested_threshold(p: Array, y: Array, dates: Sequence[str]) -> dict[str, float]:
    """The honest operating point: each day judged at the max-F1 threshold of the other days' probabilities."""
    dates_a = np.asarray(dates)
    pred = np.zeros(len(p), bool)
    thresholds = []
    for d in sorted(set(dates)):
        m = dates_a == d
        t = max_f1_threshold(y[~m], p[~m])
        thresholds.append(t)
        pred[m] = p[m] >= t
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    return {"P": tp / (tp + fp) if tp + fp else 0.0, "R": tp / (tp + fn), "fp_per_1000": 1000 * fp / len(y),
            "t_min": float(min(thresholds)), "t_max": float(max(thresholds))}


def brier(y: Array, p: Array) -> float:
    return float(np.mean((np.asarray(p) - np.asarray(y)) ** 2))
