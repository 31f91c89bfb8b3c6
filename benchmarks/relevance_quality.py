"""Relevance at the real base rate: the shipped model, a keyword filter and the previous model on the labelled stream.

Run from the repository root (needs the [train] extra: the shipped model is re-fitted fold by fold):

    python -m benchmarks relevance                    # or: python -m benchmarks.relevance_quality
    python -m benchmarks.relevance_quality --folds 8  # faster: days dealt into 8 folds
    python -m benchmarks.relevance_quality --corpus ../shared/relevance-corpus

The stream (the relevance corpus' stream.jsonl: 7,385 real cs.CL / cs.LG / cs.AI papers of 37 listing days, 3.4 %
in scope) is scored out of fold, folds grouped by listing day, exactly as the model was chosen: each fold trains
on the other days (and the train-only extras) with `bot.intake.relevance.train`. The same model trained without the
labelled candidates of further listing days (what they add) is scored the same way, in the same run
(`--no-baseline` skips it). The keyword filter and the
previous model (benchmarks/old_relevance, never trained on the stream) score it as they are. Throughput is
`RelevanceModel.score` (what `classify` and the intake run, topics included) on title + abstract, one process.
The decisions line replays the 5-rejections scenario of tests/intake/test_relevance_lessons.py.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot.catalogue.text import fold  # noqa: E402
from bot.catalogue.yaml_io import load_catalogue  # noqa: E402
from bot.intake.relevance import RelevanceModel, train  # noqa: E402
from bot.intake.relevance import evaluation as ev  # noqa: E402
from bot.intake.relevance.decisions import MAX_LESSONS, Decision  # noqa: E402
from bot.intake.relevance.scorer import Scorer  # noqa: E402
from bot.intake.relevance.training_data import Doc  # noqa: E402

# What a maintainer would type into a feed filter without a model (the previous benchmark's list).
KEYWORDS = ("interpretab", "explainab", "mechanistic", "sparse autoencoder", "probing", "circuit", "steering")
DEV_SET = ROOT / "benchmarks" / "data" / "relevance_dev.jsonl"  # hand-labelled titles with a topic of the list
KINDS = ROOT / "tests" / "data" / "relevance" / "knowledge-editing-and-sae.jsonl"


def default_corpus() -> Path:
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "relevance-corpus" / "stream.jsonl").is_file():
            return base / "shared" / "relevance-corpus"
    return ROOT.parent / "shared" / "relevance-corpus"


def row(name: str, y: Any, predicted: Any, speed: float | None) -> str:
    m = ev.at_threshold(y, predicted.astype(float), 0.5)
    rate = f"{speed:,.0f}" if speed else "–"
    return f"| {name} | {m['P']:.3f} | {m['R']:.3f} | {m['fp_per_1000']:.1f} | {rate} |"


def model_rows(name: str, y: Any, calibration: dict[str, Any], speed: float | None) -> list[str]:
    """Out of fold: at the shipped threshold, with calibration and threshold fitted without the day, at recall 0.90."""
    p, s = calibration["p"], calibration["summary"]
    honest = s["honest_nested"]
    high = ev.at_recall(y, p, 0.90)
    return [row(f"{name}, threshold {calibration['threshold']:.3f} (out of fold)", y, p >= calibration["threshold"],
                speed),
            f"| … calibration and threshold also fitted without the day scored | {honest['P']:.3f} | "
            f"{honest['R']:.3f} | {honest['fp_per_1000']:.1f} | |",
            f"| … at recall ≥ 0.90 (threshold {high['t']:.3f}) | {high['P']:.3f} | {high['R']:.3f} | "
            f"{high['fp_per_1000']:.1f} | |"]


def papers_per_second(score: Callable[[str, str], Any], pairs: Sequence[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for title, summary in pairs:
        score(title, summary)
    return len(pairs) / (time.perf_counter() - start)


def keyword_filter(title: str, summary: str) -> bool:
    text = fold(f"{title} {summary}")
    return any(k in text for k in KEYWORDS)


def topic_accuracy(model_score: Callable[[str], Sequence[str]]) -> tuple[float, float]:
    """Top-1 / top-3 topic accuracy on the dev set's relevant titles that carry a topic of the list."""
    with DEV_SET.open(encoding="utf-8") as fh:
        items = [r for r in map(json.loads, fh) if r.get("relevant") and r.get("topic")]
    top1 = top3 = 0
    for item in items:
        slugs = list(model_score(item["title"]))
        top1 += slugs[:1] == [item["topic"]]
        top3 += item["topic"] in slugs[:3]
    return top1 / len(items), top3 / len(items)


def decisions_line(base: Scorer, label: str) -> str:
    """5 knowledge-editing papers rejected, 5 SAE papers approved: how many undecided ones of each kind stay above
    the threshold, and what the refit costs."""
    with KINDS.open(encoding="utf-8") as fh:
        rows = list(map(json.loads, fh))
    group = {role: [r for r in rows if r["role"] == role] for role in ("rejected", "approved", "new-knowledge-editing",
                                                                       "new-sae")}
    decided = [Decision(r["title"], r["summary"], False) for r in group["rejected"]]
    decided += [Decision(r["title"], r["summary"], True) for r in group["approved"]]
    start = time.perf_counter()
    taught = base.with_decisions(decided)
    refit_ms = 1000 * (time.perf_counter() - start)

    def above(scorer: Scorer, kind: str) -> int:
        return sum(scorer.score(r["title"], r["summary"]) >= base.threshold for r in group[kind])

    ke, sae = group["new-knowledge-editing"], group["new-sae"]
    return (f"| {label} | {above(base, 'new-knowledge-editing')} → {above(taught, 'new-knowledge-editing')} of "
            f"{len(ke)} | {above(base, 'new-sae')} → {above(taught, 'new-sae')} of {len(sae)} | {refit_ms:.0f} ms |")


_KE = re.compile(r"\b(knowledge|model)[- ]edit|\bedit(s|ing)?\b.*\b(llm|language model|knowledge)|\bediting\b", re.I)
_SAE = re.compile(r"sparse autoencoder|\bSAEs?\b", re.I)


def honest_base(stream: list[Doc], extras: list[Doc], calibration: dict[str, Any]) -> Scorer:
    """The research's stricter demo: a base model fitted without any stream paper of the two kinds, so every
    knowledge-editing and SAE paper is new to it (calibration and threshold as shipped)."""
    kinds = {d.arxiv_id for d in stream if d.label and (_KE.search(d.title) or _SAE.search(d.title + " " + d.summary))}
    kept = [d for d in stream if d.arxiv_id not in kinds]
    model = train.model_file(train.fit(kept, extras), kept, calibration, {})
    return Scorer(model)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--catalogue", type=Path, default=ROOT / "catalogue")
    parser.add_argument("--listing", type=Path, default=train.DEFAULT_LISTING)
    parser.add_argument("--folds", type=int, default=None, help="days dealt into N folds (default: one per day)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the same model trained without the labelled candidates (halves the time)")
    args = parser.parse_args(argv)
    from benchmarks.old_relevance.model import DEFAULT_THRESHOLD as OLD_THRESHOLD
    from benchmarks.old_relevance.model import RelevanceModel as OldModel

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    print(f"machine: {platform.machine()}, Python {platform.python_version()}; commit {commit.strip()}")
    stream, extras, _ = train.load(args.corpus, args.catalogue, args.listing)
    y = np.array([d.label for d in stream])
    pairs = [(d.title, d.summary) for d in stream]
    print(f"stream: {len(stream)} papers, {int(y.sum())} in scope, {len({d.date for d in stream})} listing days")

    started = time.perf_counter()
    cv = "leave-one-day-out" if args.folds is None else f"{args.folds} day-grouped folds"
    z = train.out_of_fold(stream, extras, args.folds)
    calibration = train.calibrate(stream, z, cv)
    p, s = calibration["p"], calibration["summary"]
    print(f"out-of-fold scores ({cv}): {time.perf_counter() - started:.0f} s")

    catalogue = load_catalogue(args.catalogue)
    model = RelevanceModel.build(catalogue)
    old = OldModel.build(catalogue)
    old_scores = np.array([old.score(t, a).score for t, a in pairs])
    keyword = np.array([keyword_filter(t, a) for t, a in pairs])
    speed = {name: papers_per_second(fn, pairs) for name, fn in
             (("new", model.score), ("scorer", model.scorer.score), ("old", old.score), ("keyword", keyword_filter))}

    print("\n| model (title + abstract) | precision | recall | false candidates / 1,000 | papers/s |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(model_rows("shipped model", y, calibration, speed["new"])))
    before = None
    if not args.no_baseline:
        without = [d for d in extras if d.source != "candidate"]
        calibration_before = train.calibrate(stream, train.out_of_fold(stream, without, args.folds), cv)
        print("\n".join(model_rows("the same without the labelled candidates", y,
                                    calibration_before, None)))
        before = (calibration_before["summary"]["PR_AUC"],
                  ev.per_day_ranking(y, calibration_before["p"], [d.date for d in stream]))
    print(row(f"previous model (lexicon + naive Bayes), threshold {OLD_THRESHOLD}", y, old_scores >= OLD_THRESHOLD,
              speed["old"]))
    print(row("previous model, threshold 0.99", y, old_scores >= 0.99, None))
    print(row(f"keyword filter ({', '.join(KEYWORDS)})", y, keyword, speed["keyword"]))
    rank = ev.per_day_ranking(y, p, [d.date for d in stream])
    print(f"\nshipped model: PR-AUC {s['PR_AUC']:.3f}; Brier {ev.brier(y, p):.4f} (base rate alone "
          f"{ev.brier(y, np.full(len(y), y.mean())):.4f}); per day: precision of the top min(5, k) "
          f"{rank['top_precision']:.3f}, mean AP {rank['mean_day_AP']:.3f}; previous model: "
          f"{np.mean(old_scores[old_scores >= OLD_THRESHOLD] >= 0.99):.0%} of its candidates score ≥ 0.99")

    if before is not None:
        print(f"without the labelled candidates: PR-AUC {before[0]:.3f}; per day: precision of the top min(5, k) "
              f"{before[1]['top_precision']:.3f}, mean AP {before[1]['mean_day_AP']:.3f}")
    print(f"throughput: the scorer alone {speed['scorer']:,.0f} papers/s; with topic suggestions (above) "
          f"{speed['new']:,.0f}")
    new_topics = topic_accuracy(lambda title: [t.slug for t in model.score(title).topics])
    old_topics = topic_accuracy(lambda title: [t.slug for t in old.score(title).topics])
    print(f"topics (dev set titles with a topic): top-1 / top-3 {new_topics[0]:.3f} / {new_topics[1]:.3f}; "
          f"previous model {old_topics[0]:.3f} / {old_topics[1]:.3f}")

    print("\n| decisions: 5 knowledge-editing papers rejected, 5 SAE papers approved | undecided knowledge-editing "
          "papers above the threshold | undecided SAE papers above | refit |")
    print("|---|---|---|---:|")
    print(decisions_line(Scorer.load(), "shipped model (trained on these papers)"))
    print(decisions_line(honest_base(stream, extras, calibration), "base fitted without any of the two kinds"))
    many = [Decision(d.title, d.summary, bool(d.label)) for d in stream[:MAX_LESSONS]]
    start = time.perf_counter()
    Scorer.load().with_decisions(many)
    print(f"\nrefit with {MAX_LESSONS} decisions (the cap): {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
