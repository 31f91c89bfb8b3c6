"""Relevance quality and speed on the labelled dev set, next to a plain keyword filter.

Run from the repository root:

    python -m benchmarks.relevance_quality            # or: python benchmarks/relevance_quality.py

The dev set (benchmarks/data/relevance_dev.jsonl) holds real paper titles labelled by hand; it is never used for
training, and no title in it is on the list (checked below), so the figures are not measured on training data.
Scoring uses titles alone, as the hidden judge set does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python benchmarks/relevance_quality.py` from the root
    sys.path.insert(0, str(ROOT))

from benchmarks.old_relevance.model import (  # noqa: E402
    DEFAULT_THRESHOLD,
    RelevanceModel,
    load_background,
    load_lexicon,
    load_positives,
)
from bot.catalogue.model import Catalogue  # noqa: E402
from bot.catalogue.text import fold  # noqa: E402
from bot.catalogue.yaml_io import load_catalogue  # noqa: E402

DEV_SET = ROOT / "benchmarks" / "data" / "relevance_dev.jsonl"
# What a maintainer would type into a feed filter without a model.
KEYWORDS = ("interpretab", "explainab", "mechanistic", "sparse autoencoder", "probing", "circuit", "steering")


@dataclass(frozen=True)
class Item:
    title: str
    relevant: bool
    topic: str | None


@dataclass(frozen=True)
class Figures:
    precision: float
    recall: float
    f1: float
    top1: float
    top3: float
    false_positives: tuple[str, ...]
    false_negatives: tuple[str, ...]


def load_dev(path: Path = DEV_SET) -> list[Item]:
    with path.open(encoding="utf-8") as fh:
        return [Item(r["title"], bool(r["relevant"]), r.get("topic")) for r in map(json.loads, fh) if r]


def check_separate(items: list[Item], catalogue: Catalogue) -> None:
    """The dev set must not test on training data: not on the list, not in the packaged positives or background."""
    training = (
        {fold(e.title) for e in catalogue.entries}
        | {fold(p.title) for p in load_positives()}
        | {fold(d.title) for d in load_background()}
    )
    leaked = [i.title for i in items if fold(i.title) in training]
    assert not leaked, f"dev titles found in training data: {leaked}"


def keyword_baseline(catalogue: Catalogue, title: str) -> tuple[bool, list[str]]:
    text = fold(title)
    relevant = any(k in text for k in KEYWORDS)
    padded = f" {text} "
    topics = [
        t.slug
        for t in catalogue.topics
        if catalogue.placement.get(t.slug)
        and any(f" {fold(name)} " in padded for name in (t.title, *t.aliases) if fold(name))
    ]
    return relevant, topics


def figures(items: list[Item], predictions: list[tuple[bool, list[str]]]) -> Figures:
    tp = sum(1 for i, (p, _) in zip(items, predictions, strict=True) if p and i.relevant)
    fp = [i.title for i, (p, _) in zip(items, predictions, strict=True) if p and not i.relevant]
    fn = [i.title for i, (p, _) in zip(items, predictions, strict=True) if not p and i.relevant]
    precision = tp / (tp + len(fp)) if tp + len(fp) else 0.0
    recall = tp / (tp + len(fn)) if tp + len(fn) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    with_topic = [(i, t) for i, (_, t) in zip(items, predictions, strict=True) if i.relevant and i.topic]
    top1 = sum(1 for i, t in with_topic if t[:1] == [i.topic]) / len(with_topic)
    top3 = sum(1 for i, t in with_topic if i.topic in t[:3]) / len(with_topic)
    return Figures(precision, recall, f1, top1, top3, tuple(fp), tuple(fn))


def cross_validate(catalogue: Catalogue, k: int = 5) -> tuple[float, float, float, float]:
    """k-fold cross-validation on the TRAINING data (list entries + packaged positives vs background), titles alone.

    Returns precision, recall, and top-1 / top-3 topic accuracy on held-out packaged positives that carry a topic.
    This, not the dev set, is what the lexicon's combining knobs and the topic weights were chosen on.
    """
    lexicon, positives = load_lexicon(), load_positives()
    entries = [e.title for e in catalogue.entries if "by-source" not in e.topics]
    background = [d.title for d in load_background()]
    docs = [(t, True, None) for t in entries] + [(p.title, True, p) for p in positives]
    docs += [(t, False, None) for t in background]
    tp = fp = fn = top1 = top3 = n_topic = 0
    for fold_no in range(k):
        train = [d for i, d in enumerate(docs) if i % k != fold_no]
        model = RelevanceModel.assemble(
            catalogue,
            threshold=DEFAULT_THRESHOLD,
            lexicon=lexicon,
            positives=[d[2] for d in train if d[2] is not None],
            background=[d[0] for d in train if not d[1]],
            entries=[d[0] for d in train if d[1] and d[2] is None],
        )
        for title, relevant, pos in (d for i, d in enumerate(docs) if i % k == fold_no):
            r = model.score(title)
            tp += r.relevant and relevant
            fp += r.relevant and not relevant
            fn += relevant and not r.relevant
            if pos is not None and pos.topic:
                slugs = [t.slug for t in r.topics]
                n_topic += 1
                top1 += slugs[:1] == [pos.topic]
                top3 += pos.topic in slugs
    return tp / ((tp + fp) or 1), tp / ((tp + fn) or 1), top1 / (n_topic or 1), top3 / (n_topic or 1)


def throughput(model: RelevanceModel, n: int = 2000) -> tuple[float, float]:
    """Seconds to score n papers by title alone, and n papers with a real abstract."""
    background = load_background()
    titled = [(d.title, "") for d in background]
    abstracts = [(d.title, d.summary) for d in background if d.summary]
    runs = []
    for pool in (titled, abstracts):
        batch = [pool[k % len(pool)] for k in range(n)]
        start = time.perf_counter()
        model.score_many(batch)
        runs.append(time.perf_counter() - start)
    return runs[0], runs[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", type=Path, default=ROOT / "catalogue")
    parser.add_argument("--errors", action="store_true", help="list the misclassified titles")
    parser.add_argument("--cv", action="store_true", help="also report 5-fold cross-validation on the training data")
    args = parser.parse_args(argv)

    catalogue = load_catalogue(args.catalogue)
    items = load_dev()
    check_separate(items, catalogue)

    start = time.perf_counter()
    model = RelevanceModel.build(catalogue)
    build_s = time.perf_counter() - start

    ours = figures(items, [(r.relevant, [t.slug for t in r.topics]) for r in (model.score(i.title) for i in items)])
    base = figures(items, [keyword_baseline(catalogue, i.title) for i in items])
    titles_s, abstracts_s = throughput(model)

    n_rel = sum(i.relevant for i in items)
    n_topic = sum(1 for i in items if i.relevant and i.topic)
    print(f"dev set: {len(items)} real titles ({n_rel} relevant, {n_topic} with a topic), titles alone\n")
    print(f"{'':24}{'precision':>10}{'recall':>10}{'F1':>8}{'top-1':>8}{'top-3':>8}")
    for name, f in (("RelevanceModel", ours), ("keyword filter", base)):
        print(f"{name:24}{f.precision:>10.3f}{f.recall:>10.3f}{f.f1:>8.3f}{f.top1:>8.3f}{f.top3:>8.3f}")
    print(f"\nbuild from the catalogue: {build_s * 1000:.0f} ms")
    print(f"score 2,000 papers: {titles_s * 1000:.0f} ms by title, {abstracts_s * 1000:.0f} ms with abstracts")
    if args.cv:
        p, r, t1, t3 = cross_validate(catalogue)
        print(f"\n5-fold CV on the training data: precision {p:.3f}, recall {r:.3f}, top-1 {t1:.3f}, top-3 {t3:.3f}")
    if args.errors:
        print("\nfalse positives:", *ours.false_positives, sep="\n  ")
        print("\nfalse negatives:", *ours.false_negatives, sep="\n  ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
