"""The shipped relevance model on labelled listing days it never saw: no training, no tuning, no choice made on them.

Run from the repository root (needs the [train] extra for scikit-learn's metrics; a few seconds):

    python -m benchmarks.relevance_fresh
    python -m benchmarks.relevance_fresh --model other.json.gz    # also score another model file, side by side

`benchmarks/data/fresh-candidates-2026.jsonl` holds the keyword candidates of 42 zzhaozeng/daily-arXiv-ai-enhanced
listing days (2026-02-23 to 2026-06-18), labelled by the corpus's rule after the shipped model and its scope gate
were chosen (bot/intake/relevance/README.md, "Fresh days"). Every one uses the field's words, so these are the hard
papers of each day, not whole days: the figures are about ranking the hard cases (average precision, ROC-AUC,
precision at a recall, all among candidates), and about what the scope gate costs (in-scope papers without the
scope cue). Precision at the real base rate is measured on the stream (`python -m benchmarks relevance`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402

from bot.intake.relevance import evaluation as ev  # noqa: E402
from bot.intake.relevance.features import parse  # noqa: E402
from bot.intake.relevance.scorer import Scorer  # noqa: E402
from bot.intake.relevance.training_data import read_jsonl  # noqa: E402

DEFAULT_FILE = ROOT / "benchmarks" / "data" / "fresh-candidates-2026.jsonl"
FIELDS = ("arxiv_id", "title", "summary", "date", "label", "borderline")


def load(path: Path) -> list[dict[str, Any]]:
    """The labelled papers; a line that is not a labelled paper is an error naming the file and the line."""
    rows = list(read_jsonl(path, FIELDS))
    for number, row in enumerate(rows, 1):
        if row["label"] not in (0, 1):
            raise ValueError(f"{path}: paper {number} ({row['arxiv_id']}): label must be 0 or 1")
    return rows


def figures(scorer: Scorer, rows: Sequence[dict[str, Any]]) -> tuple[dict[str, float], Any]:
    """Ranking figures among the candidates, the model's own threshold, and the papers its scope gate penalises;
    and the raw scores they came from."""
    y = np.array([r["label"] for r in rows])
    parsed = [parse(r["title"], r["summary"], scorer.config) for r in rows]
    z = np.array([scorer.raw_parsed(p) for p in parsed])
    at_threshold = ev.at_threshold(y, np.array([scorer.calibrate(v) for v in z]), scorer.threshold)
    gated = np.array([scorer.gate(p) > 0 for p in parsed])
    day = ev.per_day_ranking(y, z, [r["date"] for r in rows])
    return {"AP": float(average_precision_score(y, z)), "ROC": float(roc_auc_score(y, z)),
            "P@R0.90": ev.at_recall(y, z, 0.90)["P"], "P@R0.80": ev.at_recall(y, z, 0.80)["P"],
            "P": at_threshold["P"], "R": at_threshold["R"],
            "gated in scope": int((gated & (y == 1)).sum()), "top": day["top_precision"]}, z


def day_bootstrap(rows: Sequence[dict[str, Any]], za: Any, zb: Any, draws: int = 1000) -> tuple[float, float]:
    """90 % interval of the average-precision difference of scores zb over za, resampling whole listing days."""
    y = np.array([r["label"] for r in rows])
    days = np.array([r["date"] for r in rows])
    unique = np.unique(days)
    by_day = {d: np.where(days == d)[0] for d in unique}
    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(draws):
        idx = np.concatenate([by_day[d] for d in rng.choice(unique, len(unique))])
        diffs.append(average_precision_score(y[idx], zb[idx]) - average_precision_score(y[idx], za[idx]))
    low, high = np.percentile(diffs, [5, 95])
    return float(low), float(high)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.relevance_fresh", description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE,
                        help="labelled papers, JSON lines (default: %(default)s)")
    parser.add_argument("--model", type=Path, default=None, help="another model file to score beside the shipped one")
    args = parser.parse_args(argv)
    for option, path in (("--file", args.file), ("--model", args.model)):
        if path is not None and not path.is_file():
            parser.error(f"{option}: {path} is not a file")
    try:
        rows = load(args.file)
    except ValueError as exc:
        parser.error(str(exc))
    if not rows or len({r["label"] for r in rows}) < 2:
        parser.error(f"--file: {args.file} needs papers of both labels")
    models = {"shipped": Scorer.load()}
    if args.model is not None:
        models[str(args.model)] = Scorer.load(args.model)
    y = [r["label"] for r in rows]
    print(f"{len(rows)} labelled candidates, {sum(y)} in scope, {len({r['date'] for r in rows})} listing days")
    print("| model | AP | ROC-AUC | P at R 0.90 | P at R 0.80 | P / R at its threshold | in scope but gated | "
          "top min(5, k) per day |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    scores = {}
    for name, scorer in models.items():
        f, scores[name] = figures(scorer, rows)
        print(f"| {name} | {f['AP']:.3f} | {f['ROC']:.3f} | {f['P@R0.90']:.3f} | {f['P@R0.80']:.3f} | "
              f"{f['P']:.3f} / {f['R']:.3f} | {f['gated in scope']} of {sum(y)} | {f['top']:.3f} |")
    if args.model is not None:
        low, high = day_bootstrap(rows, scores["shipped"], scores[str(args.model)])
        print(f"AP difference ({args.model} - shipped), 90 % day-bootstrap interval: {low:+.3f} to {high:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
