"""How much would more labelled listing days help the relevance model? Learning curves on the labelled stream.

Run from the repository root (needs the [train] extra; about 25 minutes on 2 cores):

    python -m benchmarks.relevance_learning_curve
    python -m benchmarks.relevance_learning_curve --curve on-candidates --draws 2

Three curves. The first two are scored out of fold on the whole stream (days dealt into --folds folds, as
`train --folds`):

* `stream`: each fold trains on a random share of the other folds' stream days (all extras kept);
* `candidates`: each fold trains on all the other folds' stream days, and on a random share of the days of the
  labelled candidates (`stream-candidates.jsonl`), the other extras kept.

The third, `on-candidates`, scores the labelled candidates themselves: their listing days are dealt into 6 folds,
and each fold trains on the whole stream plus a random share of the other folds' candidate days. The candidates
are the hard papers (every one uses the field's words) of many more days than the stream has (764 in scope,
against the stream's 249), so this curve is less noisy; but they are not whole days, so it gives ranking figures
only (average precision and ROC-AUC among candidates), never precision at the real base rate.

Every share is drawn --draws times with different seeds; the table gives the mean, and min–max over draws, of
PR-AUC and of precision at recall 0.90 (pooled out-of-fold scores, uncalibrated: both only depend on the ranking).
The slope per doubling of the data is what says whether labelling more days is worth it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402

from benchmarks.relevance_quality import default_corpus  # noqa: E402
from bot.intake.relevance import evaluation as ev  # noqa: E402
from bot.intake.relevance import train  # noqa: E402
from bot.intake.relevance.training_data import Doc  # noqa: E402

SHARES = (0.25, 0.5, 0.75, 1.0)


def sample_days(days: Sequence[str], share: float, rng: np.random.Generator) -> set[str]:
    """A random `share` of the days (at least one unless the share is 0), drawn without replacement."""
    days = sorted(days)
    if share <= 0:
        return set()
    k = max(1, round(share * len(days)))
    return set(rng.choice(days, size=k, replace=False).tolist())


def curve_point(stream: Sequence[Doc], extras: Sequence[Doc], folds: int, share: float, curve: str, seed: int,
                memo: dict[Any, Any]) -> tuple[float, float]:
    """Pooled out-of-fold PR-AUC and precision at recall 0.90, training on `share` of the stream days (curve
    `stream`) or of the candidate days (curve `candidates`)."""
    rng = np.random.default_rng(seed)
    y = np.array([d.label for d in stream])
    z = np.zeros(len(stream))
    read = [d for d in extras if d.source == "candidate"]
    others = [d for d in extras if d.source != "candidate"]
    for train_idx, test_idx in ev.day_folds([d.date for d in stream], folds):
        docs = [stream[j] for j in train_idx]
        fold_extras = list(extras)
        if curve == "stream":
            keep = sample_days({d.date for d in docs}, share, rng)
            docs = [d for d in docs if d.date in keep]
        else:
            keep = sample_days({d.date for d in read}, share, rng)
            fold_extras = [d for d in read if d.date in keep] + others
        pipe = train.fit(docs, fold_extras, memo)
        z[test_idx] = pipe.decision([(stream[j].title, stream[j].summary) for j in test_idx])
    return float(average_precision_score(y, z)), ev.at_recall(y, z, 0.90)["P"]


def on_candidates_point(stream: Sequence[Doc], extras: Sequence[Doc], share: float, seed: int,
                        memo: dict[Any, Any], folds: int = 6) -> tuple[float, float]:
    """Average precision and ROC-AUC of the labelled candidates, each scored by a model that never saw its listing
    day, trained on the stream and on `share` of the other candidate days."""
    rng = np.random.default_rng(seed)
    read = [d for d in extras if d.source == "candidate"]
    others = [d for d in extras if d.source != "candidate"]
    days = sorted({d.date for d in read})
    fold_of = {day: i % folds for i, day in enumerate(days)}
    y = np.array([d.label for d in read])
    z = np.zeros(len(read))
    for fold in range(folds):
        test = np.array([fold_of[d.date] == fold for d in read])
        keep = sample_days([day for day in days if fold_of[day] != fold], share, rng)
        pipe = train.fit(stream, [d for d in read if d.date in keep] + others, memo)
        z[test] = pipe.decision([(d.title, d.summary) for d, t in zip(read, test, strict=True) if t])
    return float(average_precision_score(y, z)), float(roc_auc_score(y, z))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus(),
                        help="the relevance corpus (default: ../shared/relevance-corpus)")
    parser.add_argument("--candidates", type=Path, default=train.DEFAULT_CANDIDATES,
                        help="labelled keyword candidates of further listing days (default: the packaged file)")
    parser.add_argument("--folds", type=int, default=8, help="stream days dealt into N folds (default 8, at least 2)")
    parser.add_argument("--draws", type=int, default=3, help="random draws per share (default 3, at least 1)")
    parser.add_argument("--curve", choices=("stream", "candidates", "on-candidates", "all"), default="all",
                        help="which learning curve to draw (default: all three)")
    args = parser.parse_args(argv)
    if args.folds < 2 or args.draws < 1:
        parser.error("--folds must be at least 2 and --draws at least 1")
    for option, path in (("--corpus", args.corpus / "stream.jsonl"), ("--candidates", args.candidates)):
        if not path.is_file():
            parser.error(f"{option}: {path} is not a file")

    stream, extras, stats = train.load(args.corpus, ROOT / "catalogue", train.DEFAULT_LISTING, args.candidates)
    candidate_days = {d.date for d in extras if d.source == "candidate"}
    print(f"stream: {len(stream)} papers of {len({d.date for d in stream})} days; labelled candidates: "
          f"{stats['candidates']} papers of {len(candidate_days)} days; the stream's days in {args.folds} folds "
          f"(on-candidates: the candidate days in 6), {args.draws} draws per share")
    memo: dict[Any, Any] = {}
    curves = ("stream", "candidates", "on-candidates") if args.curve == "all" else (args.curve,)
    for curve in curves:
        if curve == "on-candidates":
            print("\n| share of the other candidate days | average precision among candidates mean (min–max) | "
                  "ROC-AUC mean (min–max) |")
            print("|---:|---|---|")
            for share in (0.0, 0.25, 0.5, 1.0):
                draws = 1 if share in (0.0, 1.0) else args.draws
                ap, auc = np.array([on_candidates_point(stream, extras, share, seed, memo)
                                    for seed in range(draws)]).T
                print(f"| {share:.0%} | {ap.mean():.3f} ({ap.min():.3f}–{ap.max():.3f}) | "
                      f"{auc.mean():.3f} ({auc.min():.3f}–{auc.max():.3f}) |", flush=True)
            continue
        shares = ((0.0,) if curve == "candidates" else ()) + SHARES
        print(f"\n| share of the {curve} days | PR-AUC mean (min–max) | precision at recall 0.90 mean (min–max) |")
        print("|---:|---|---|")
        for share in shares:
            started = time.perf_counter()
            draws = 1 if share in (0.0, 1.0) else args.draws  # nothing random to draw
            points = [curve_point(stream, extras, args.folds, share, curve, seed, memo)
                      for seed in range(draws)]
            auc, p90 = np.array(points).T
            print(f"| {share:.0%} | {auc.mean():.3f} ({auc.min():.3f}–{auc.max():.3f}) | "
                  f"{p90.mean():.3f} ({p90.min():.3f}–{p90.max():.3f}) |", flush=True)
            print(f"  ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
