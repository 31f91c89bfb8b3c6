"""Train the relevance model, measure it out of fold by listing day, and write the model file. Offline only.

    pip install -e '.[train]'
    python -m bot.intake.relevance.train --corpus ../shared/relevance-corpus          # writes the packaged file
    python -m bot.intake.relevance.train --corpus ../shared/relevance-corpus --check  # retrain, compare bytes

Protocol: the stream is split by listing day (leave-one-day-out unless `--folds`); every fold trains on the other
days' stream papers plus all the extras (never evaluated on), with its own vocabulary, idf, feature selection and
weights. The pooled out-of-fold scores give the Platt calibration and the threshold (maximum F1); the final model
is then fitted on everything. Deterministic: the same data gives a byte-identical file. The bot never imports this
module: it reads the file with `scorer.Scorer` (standard library only), which runs the same `features.parse`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

try:
    import numpy as np
    import scipy
    import scipy.sparse as sp
    import sklearn
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("bot.intake.relevance.train needs the [train] extra: pip install -e '.[train]'")

from bot.intake.relevance import evaluation as ev
from bot.intake.relevance import training_data as data
from bot.intake.relevance.features import SCOPE_FLAGS, FeatureConfig, Parsed, parse
from bot.intake.relevance.scorer import FORMAT, Scorer, logit, sigmoid

SEED = 0
# Feature extraction (travels in the model file: the scorer reads it).
CONFIG = {"bigrams": True, "cue_mode": "coarse", "absfill": True, "sublinear": True}
# Chosen by the day-grouped search the research recorded (README.md beside this file).
HP: dict[str, Any] = {
    "C": 32.0,
    "class_weight": {0: 1.0, 1: 5.0},
    "scales": {"title": 0.7, "abstract": 1.5, "cue": 0.15},
    "extra_weight": 0.3,  # each extra (mostly title-only) positive counts this much
    "extra_neg_weight": 1.0,  # each extra negative (other arXiv archives) counts this much
    "borderline_weight": 0.5,  # a stream paper labelled as a judgement call (`borderline`) counts this much
    "candidate_weight": 1.0,  # a labelled candidate of a further listing day counts as a stream paper, times this
    "min_df": 2,
    # Each feature is scaled by 1 + |its naive-Bayes log-count ratio| before the fit (smoothed by this alpha), so
    # the words that separate the classes are regularised less: the seventh round (README.md beside this file).
    "nb_alpha": 1.0,
    "top_k": {"title": 2000, "abstract": 4000},  # vocabulary kept per block after a first fit (by |coefficient|)
    # Subtracted from z for a paper without the scope cue (features.SCOPE_FLAGS). Fixed, not fitted: the training
    # papers without the cue are easy negatives already, so a fitted weight stays small (the research's fifth round).
    "gate_penalty": 3.0,
}
DECISIONS = {"weight": 30.0, "prior_sd": 1.0, "prior_floor": 0.01}  # decisions.py; chosen by the research's demo
HELD_OUT_PRIOR = 0.026  # the held-out stream's base rate: precision is also reported as it would be there

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_OUT = Path(__file__).resolve().parent / "model.json.gz"
DEFAULT_LISTING = ROOT / "tests" / "data" / "feeds" / "arxiv-listing-2024-11-28-all.xml"
DEFAULT_CANDIDATES = Path(__file__).resolve().parent / "stream-candidates.jsonl"

Pair = tuple[str, str]  # (title, summary)
_SCOPE = frozenset(SCOPE_FLAGS)


def nb_scale(x: Any, y: Any, w: Any, alpha: float) -> Any:
    """1 + |log-count ratio| of each column: the log of the feature's share of all feature occurrences in in-scope
    papers over its share in the others (naive Bayes over binary presence, weighted like the fit, add-alpha
    smoothed). Wang and Manning (2012) scale by the ratio itself; here that ranked no better than no scaling at all."""
    present = (x > 0).astype(np.float64)
    in_scope = present.T @ (w * (y == 1)) + alpha
    out_of_scope = present.T @ (w * (y == 0)) + alpha
    return 1.0 + np.abs(np.log(in_scope / in_scope.sum()) - np.log(out_of_scope / out_of_scope.sum()))


class Pipeline:
    """Vectorise (title tf-idf | abstract tf-idf | cue flags), scale each feature by its naive-Bayes ratio, keep the
    strongest vocabulary, fit a class-weighted logistic regression; its decision less the scope gate's penalty is the
    score. The scales fold into the exported weights, so the scorer does not know them."""

    def __init__(self, memo: dict[Pair, Parsed] | None = None):
        self.memo: dict[Pair, Parsed] = {} if memo is None else memo
        self.config = FeatureConfig.of(CONFIG)

    def _parsed(self, doc: Pair) -> Parsed:
        found = self.memo.get(doc)
        if found is None:
            found = self.memo[doc] = parse(doc[0], doc[1], self.config)
        return found

    def _vectorisers(self, vocab: tuple[list[str], list[str]] | None = None) -> tuple[Any, Any, Any]:
        common = {"sublinear_tf": True, "dtype": np.float64, "lowercase": False, "min_df": HP["min_df"]}
        title = TfidfVectorizer(analyzer=lambda d: self._parsed(d).title, vocabulary=vocab and vocab[0], **common)
        abstract = TfidfVectorizer(analyzer=lambda d: self._parsed(d).abstract, vocabulary=vocab and vocab[1],
                                   **common)
        cue = CountVectorizer(analyzer=lambda d: self._parsed(d).cue, binary=True, lowercase=False, dtype=np.float64)
        return title, abstract, cue

    @staticmethod
    def _stack(title: Any, abstract: Any, cue: Any) -> Any:
        s = HP["scales"]
        return sp.hstack([title * s["title"], abstract * s["abstract"], cue * s["cue"]]).tocsr()

    def _fit_once(self, pairs: Sequence[Pair], y: Any, w: Any, vocab: tuple[list[str], list[str]] | None = None
                  ) -> tuple[Any, Any, Any, Any, Any]:
        vt, va, vc = self._vectorisers(vocab)
        x = self._stack(vt.fit_transform(pairs), va.fit_transform(pairs), vc.fit_transform(pairs))
        scale = nb_scale(x, np.asarray(y), np.asarray(w, dtype=np.float64), HP["nb_alpha"])
        lr = LogisticRegression(C=HP["C"], class_weight=HP["class_weight"], solver="liblinear", max_iter=5000,
                                random_state=SEED)
        lr.fit(x @ sp.diags(scale), y, sample_weight=w)
        return vt, va, vc, lr, scale

    def fit(self, pairs: Sequence[Pair], y: Any, w: Any) -> Pipeline:
        vt, va, _, lr, _ = self._fit_once(pairs, y, w)
        coef = lr.coef_[0]  # of the scaled features: the selection measured in the seventh round
        nt, na = len(vt.vocabulary_), len(va.vocabulary_)

        def strongest(vectoriser: Any, c: Any, k: int) -> list[str]:
            names = vectoriser.get_feature_names_out()
            return sorted(names[i] for i in np.argsort(-np.abs(c), kind="mergesort")[:k] if c[i] != 0)

        vocab = (strongest(vt, coef[:nt], HP["top_k"]["title"]),
                 strongest(va, coef[nt:nt + na], HP["top_k"]["abstract"]))
        self.vt, self.va, self.vc, self.lr, scale = self._fit_once(pairs, y, w, vocab)
        self.coef = self.lr.coef_[0] * scale  # the weights of the unscaled features: what the scorer uses
        return self

    def decision(self, pairs: Sequence[Pair]) -> Any:
        x = self._stack(self.vt.transform(pairs), self.va.transform(pairs), self.vc.transform(pairs))
        z = x @ self.coef + self.lr.intercept_[0]
        gated = np.array([_SCOPE.isdisjoint(self._parsed(d).cue) for d in pairs], dtype=bool)
        return z - HP["gate_penalty"] * gated

    def export(self) -> dict[str, Any]:
        coef = self.coef
        nt, na = len(self.vt.vocabulary_), len(self.va.vocabulary_)
        blocks: dict[str, Any] = {}
        for name, v, c in (("title", self.vt, coef[:nt]), ("abstract", self.va, coef[nt:nt + na])):
            blocks[name] = {"vocab": [str(f) for f in v.get_feature_names_out()],
                            "idf": [round(float(x), 6) for x in v.idf_], "coef": [round(float(x), 6) for x in c]}
        cue_names = self.vc.get_feature_names_out()
        blocks["cue"] = {str(f): round(float(x), 6) for f, x in zip(cue_names, coef[nt + na:], strict=True)}
        return {"blocks": blocks, "bias": float(self.lr.intercept_[0]), "block_scale": dict(HP["scales"]),
                "gate": {"flags": list(SCOPE_FLAGS), "penalty": HP["gate_penalty"]}}


def weights(docs: Sequence[data.Doc], stream: bool) -> Any:
    def weight(d: data.Doc) -> float:
        read = HP["borderline_weight"] if d.borderline else 1.0  # a paper read and labelled by the corpus's rule
        if stream:
            return read
        if d.source == "candidate":
            return read * HP["candidate_weight"]
        return HP["extra_weight"] if d.label else HP["extra_neg_weight"]

    return np.array([weight(d) for d in docs])


def load(corpus: Path, catalogue: Path, listing: Path, candidates: Path | None = DEFAULT_CANDIDATES
         ) -> tuple[list[data.Doc], list[data.Doc], dict[str, int]]:
    """The stream (evaluated) and the extras (train only: labelled candidates, positives, then negatives), each
    paper once, held-out ids checked."""
    stream = data.load_stream(corpus)
    read = data.load_candidates(candidates, stream) if candidates is not None else []
    extras, stats = data.load_extra_positives(corpus, catalogue, stream + read)
    negatives = data.load_extra_negatives(listing, stream + read)
    stats["candidates"] = len(read)
    stats["candidate_positives"] = sum(d.label for d in read)
    stats["extra_negatives"] = len(negatives)
    extras = read + extras + negatives
    data.check_held_out(stream + extras)
    return stream, extras, stats


def fit(docs: Sequence[data.Doc], extras: Sequence[data.Doc], memo: dict[Pair, Parsed] | None = None) -> Pipeline:
    pairs = [(d.title, d.summary) for d in (*docs, *extras)]
    y = np.array([d.label for d in (*docs, *extras)]).astype(int)
    return Pipeline(memo).fit(pairs, y, np.r_[weights(docs, True), weights(extras, False)])


def out_of_fold(stream: Sequence[data.Doc], extras: Sequence[data.Doc], n_folds: int | None = None,
                memo: dict[Pair, Parsed] | None = None) -> Any:
    """Raw out-of-fold scores of every stream paper, folds grouped by listing day."""
    memo = {} if memo is None else memo
    oof = np.zeros(len(stream))
    folds = ev.day_folds([d.date for d in stream], n_folds)
    for i, (train, test) in enumerate(folds):
        pipe = fit([stream[j] for j in train], extras, memo)
        oof[test] = pipe.decision([(stream[j].title, stream[j].summary) for j in test])
        print(f"  fold {i + 1}/{len(folds)}", end="\r", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return oof


def operating_point(y: Any, p: Any) -> float:
    """The shipped threshold: the maximum-F1 score, moved halfway (in log-odds) to the next lower score so a tiny
    change of score does not flip a paper."""
    precision, recall, th, _, _ = ev.sweep(y, p)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    i = int(np.argmax(f1))
    hi = th[i]
    lo = th[i + 1] if i + 1 < len(th) else hi / 2
    return float(sigmoid((logit(hi) + logit(lo)) / 2))


def calibrate(stream: Sequence[data.Doc], z: Any, cv: str) -> dict[str, Any]:
    """Platt map and threshold from the out-of-fold scores, and the figures the model file records."""
    y = np.array([d.label for d in stream])
    dates = [d.date for d in stream]
    a, b = ev.platt_fit(z, y)
    p = 1.0 / (1.0 + np.exp(-(a * z + b)))
    t = operating_point(y, p)
    m = ev.summary(y, p, t, borderline=np.array([d.borderline for d in stream]), prior=HELD_OUT_PRIOR)
    summary = {k: m[k] for k in ("P", "R", "F1", "fp_per_1000", "PR_AUC", "ROC_AUC", "P_at_2.6%", "tp", "fp", "fn")}
    summary["non_borderline"] = m["nb"]
    summary["honest_nested"] = ev.nested_threshold(ev.cross_fitted_platt(z, y, dates), y, dates)
    summary["cv"] = cv
    return {"A": a, "B": b, "threshold": t, "summary": summary, "p": p}


def positive_mean(model: Mapping[str, Any], docs: Sequence[data.Doc], top: int = 3000) -> dict[str, dict[str, float]]:
    """The mean feature vector (weight space) of the in-scope stream papers, its largest entries: the direction a
    refit from decisions keeps fixed (decisions.py)."""
    scorer = Scorer({**model, "config": CONFIG, "platt": [1, 0], "threshold": 0.5})
    total: dict[tuple[str, str], float] = {}
    for d in docs:
        for k, v in scorer.vector(d.title, d.summary).items():
            total[k] = total.get(k, 0.0) + 1.0 * v
    items = sorted(total.items(), key=lambda kv: -abs(kv[1]))[:top]
    out: dict[str, dict[str, float]] = {}
    for (block, f), v in items:
        out.setdefault(block, {})[f] = round(v / float(len(docs)), 6)
    return out


def model_file(pipe: Pipeline, stream: Sequence[data.Doc], calibration: Mapping[str, Any], meta: dict[str, Any]
               ) -> dict[str, Any]:
    model = pipe.export()
    # The mean in-scope STREAM paper (not the extras, a third of which are knowledge-editing titles).
    model["pos_mean"] = positive_mean(model, [d for d in stream if d.label == 1])
    model.update({"format": FORMAT, "config": CONFIG, "platt": [round(calibration["A"], 6), round(calibration["B"], 6)],
                  "threshold": round(calibration["threshold"], 6), "decisions": DECISIONS, "meta": meta})
    return model


def write(model: Mapping[str, Any], path: Path) -> None:
    """gzip'd JSON with no timestamp or name in the header and sorted keys: byte-reproducible."""
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
        fh.write(json.dumps(model, separators=(",", ":"), sort_keys=True).encode("utf-8"))


def report(stream: Sequence[data.Doc], z: Any, calibration: Mapping[str, Any]) -> str:
    y = np.array([d.label for d in stream])
    p, t, s = calibration["p"], calibration["threshold"], calibration["summary"]
    lines = [f"CV: {s['cv']}; {len(stream)} stream papers, {int(y.sum())} positive",
             f"Platt: A={calibration['A']:.4f} B={calibration['B']:.4f}; threshold (max F1) {t:.4f}",
             f"out of fold at the threshold: P={s['P']:.3f} R={s['R']:.3f} F1={s['F1']:.3f} "
             f"FP/1000={s['fp_per_1000']:.1f} PR-AUC={s['PR_AUC']:.3f} ROC-AUC={s['ROC_AUC']:.3f} "
             f"(TP {s['tp']}, FP {s['fp']}, FN {s['fn']})",
             f"  at the held-out base rate 2.6%: precision {s['P_at_2.6%']:.3f}",
             f"  not borderline: P={s['non_borderline']['P']:.3f} R={s['non_borderline']['R']:.3f}",
             f"  honest (calibration and threshold from the other days): P={s['honest_nested']['P']:.3f} "
             f"R={s['honest_nested']['R']:.3f} FP/1000={s['honest_nested']['fp_per_1000']:.1f}",
             "operating points:"]
    for target in (0.95, 0.90, 0.85, 0.80, 0.75, 0.70):
        point = ev.at_recall(y, p, target)
        lines.append(f"  R>={target:.2f}: threshold {point['t']:.4f} P={point['P']:.3f} R={point['R']:.3f} "
                     f"FP/1000={point['fp_per_1000']:.1f}")
    rank = ev.per_day_ranking(y, p, [d.date for d in stream])
    lines.append(f"Brier {ev.brier(y, p):.4f} (base rate alone {ev.brier(y, np.full(len(y), y.mean())):.4f}); "
                 f"per day: top precision {rank['top_precision']:.3f}, mean AP {rank['mean_day_AP']:.3f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.intake.relevance.train", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True,
                        help="the relevance corpus (stream.jsonl, positives.jsonl)")
    parser.add_argument("--catalogue", type=Path, default=ROOT / "catalogue",
                        help="the list's YAML (default catalogue/)")
    parser.add_argument("--listing", type=Path, default=DEFAULT_LISTING,
                        help="the all-archives arXiv listing whose other fields give extra negatives")
    parser.add_argument("--candidates", type=Path, default=DEFAULT_CANDIDATES,
                        help="labelled keyword candidates of further listing days (default: the file beside train.py)")
    parser.add_argument("--no-candidates", dest="candidates", action="store_const", const=None,
                        help="train without the labelled candidates")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="model file to write (default: the packaged one)")
    parser.add_argument("--folds", type=int, default=None, help="days dealt into N folds (default: leave-one-day-out)")
    parser.add_argument("--check", action="store_true", help="write nothing: exit 1 unless retraining gives --out")
    args = parser.parse_args(argv)
    for option, path in (("--corpus", args.corpus / "stream.jsonl"), ("--candidates", args.candidates)):
        if path is not None and not path.is_file():
            parser.error(f"{option}: {path} is not a file")
    started = time.perf_counter()
    stream, extras, stats = load(args.corpus, args.catalogue, args.listing, args.candidates)
    print(f"data: {len(stream)} stream papers, extras {stats}")
    memo: dict[Pair, Parsed] = {}
    cv = "leave-one-day-out" if args.folds is None else f"{args.folds} day-grouped folds"
    z = out_of_fold(stream, extras, args.folds, memo)
    calibration = calibrate(stream, z, cv)
    print(report(stream, z, calibration))
    pipe = fit(stream, extras, memo)
    meta = {
        # `--check` reproduces the bytes with these versions; others can move the last digit of a few weights.
        "trained_with": f"scikit-learn {sklearn.__version__} LogisticRegression(liblinear), seed {SEED}; "
                        f"numpy {np.__version__}, scipy {scipy.__version__}",
        "hyperparameters": {k: (v if k != "class_weight" else {str(a): b for a, b in v.items()})
                            for k, v in HP.items()},
        "data": {"stream_papers": len(stream), "stream_positives": int(sum(d.label for d in stream)),
                 "stream_days": len({d.date for d in stream}), **stats},
        "data_sha256_16": data.data_hashes(args.corpus, args.catalogue, args.candidates),
        "held_out_rule": "no arXiv id 2506-2510 used from any source",
        "cv_oof": calibration["summary"],
        "calibrated_on": "pooled OOF raw scores of the stream (base rate 3.37%)",
    }
    model = model_file(pipe, stream, calibration, meta)
    meta["vocab_sizes"] = {k: len(model["blocks"][k]["vocab"]) for k in ("title", "abstract")}
    with tempfile.TemporaryDirectory() as scratch:
        written = Path(scratch) / "model.json.gz"
        write(model, written)
        scorer = Scorer.load(written)  # train/serve parity: the stdlib scorer must give scikit-learn's scores
        pairs = [(d.title, d.summary) for d in stream[:500]]
        gap = float(np.max(np.abs(pipe.decision(pairs) - np.array([scorer.raw(t, s) for t, s in pairs]))))
        print(f"parity: max |scorer - scikit-learn| over 500 papers = {gap:.2e}")
        if gap > 1e-4:
            print("the scorer does not reproduce scikit-learn's scores", file=sys.stderr)
            return 1
        if args.check:
            same = args.out.is_file() and args.out.read_bytes() == written.read_bytes()
            print(f"{args.out}: {'identical' if same else 'DIFFERENT'} ({time.perf_counter() - started:.0f} s)")
            return 0 if same else 1
        args.out.write_bytes(written.read_bytes())
    print(f"wrote {args.out} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
