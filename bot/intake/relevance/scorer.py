"""The relevance scorer: a linear model over the paper's features, calibrated to a probability. Standard library only.

    scorer = Scorer.load()                     # the packaged model.json.gz
    p = scorer.score(title, abstract)          # the probability that the paper belongs on the list
    scorer.with_decisions([Decision(...)])     # the same model, refitted to maintainers' decisions

The model file is written by `python -m bot.intake.relevance.train` (scikit-learn, offline): two l2-normalised
sublinear tf x idf blocks (title, abstract), each scaled, plus cue flags; z = bias + w . x - gate;
p = sigmoid(A z + B) (Platt scaling fitted on out-of-fold scores). `gate` is the model file's fixed penalty for a
paper without any of its scope flags (features.SCOPE_FLAGS: no interpretability phrase, or no language model
beside a general one); a model file without a "gate" has none. This module reproduces scikit-learn's scores to
~1e-6.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from bot.intake.relevance.features import FeatureConfig, Parsed, parse

MODEL_FILE = "model.json.gz"
FORMAT = "interp-bot-relevance/1"
BLOCKS = ("title", "abstract")

Key = tuple[str, str]  # (block, feature): one weight of the model
_Table = dict[str, tuple[float, float]]  # feature -> (idf, weight) of a tf-idf block


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _counts(feats: Sequence[str], table: Mapping[str, object]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in feats:
        if f in table:
            counts[f] = counts.get(f, 0) + 1
    return counts


def block_vector(feats: Sequence[str], table: _Table) -> dict[str, float]:
    """The l2-normalised sublinear tf x idf vector of one block over its vocabulary, as scikit-learn's
    TfidfVectorizer(vocabulary=..., sublinear_tf=True, norm='l2') computes it."""
    counts = _counts(feats, table)
    if not counts:
        return {}
    values = {f: (1.0 + math.log(c)) * table[f][0] for f, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in values.values()))
    return {f: v / norm for f, v in values.items()}


def _block_dot(feats: Sequence[str], table: _Table) -> float:
    """block_vector(feats) . weights, without building the vector."""
    counts = _counts(feats, table)
    if not counts:
        return 0.0
    squares = dot = 0.0
    log = math.log
    for f, c in counts.items():
        idf, weight = table[f]
        value = (1.0 + log(c)) * idf
        squares += value * value
        dot += value * weight
    return dot / math.sqrt(squares)


class Scorer:
    """Immutable: `with_decisions` returns a new scorer and leaves this one (and the shipped weights) as they were."""

    def __init__(self, model: Mapping[str, Any], *, _tables: tuple[_Table, _Table, dict[str, float]] | None = None,
                 _base: Scorer | None = None):
        if model.get("format", FORMAT) != FORMAT:
            raise ValueError(f"relevance model format {model.get('format')!r}, expected {FORMAT!r}")
        if not model["config"].get("sublinear", True):
            raise ValueError("the relevance scorer reads sublinear tf models only")
        self.model = model
        self.config = FeatureConfig.of(model["config"])
        self.threshold = float(model["threshold"])
        self.platt = (float(model["platt"][0]), float(model["platt"][1]))  # p = sigmoid(A z + B)
        self.scale = {k: float(v) for k, v in model["block_scale"].items()}
        self.bias = float(model["bias"])
        gate = model.get("gate") or {}
        self.gate_flags = frozenset(gate.get("flags", ()))
        self.gate_penalty = float(gate.get("penalty", 0.0))
        if _tables is None:
            blocks = model["blocks"]
            title, abstract = ({f: (float(idf), float(w)) for f, idf, w in
                                zip(blocks[b]["vocab"], blocks[b]["idf"], blocks[b]["coef"], strict=True)}
                               for b in BLOCKS)
            _tables = (title, abstract, {f: float(w) for f, w in blocks["cue"].items()})
        self.title, self.abstract, self.cue = _tables
        self.base: Scorer = _base or self  # the shipped weights: every refit starts from them
        self.decisions: tuple[Any, ...] = ()

    @classmethod
    def load(cls, path: Path | None = None) -> Scorer:
        """The packaged model, or the model file at `path` (gzip'd JSON)."""
        if path is None:
            data = resources.files("bot.intake.relevance").joinpath(MODEL_FILE).read_bytes()
        else:
            data = Path(path).read_bytes()
        return cls(json.loads(gzip.decompress(data)))

    # ------------------------------------------------------------------ scoring

    def raw_parsed(self, parsed: Parsed) -> float:
        """The linear score z (log-odds before calibration)."""
        scale = self.scale
        z = self.bias
        z += scale["title"] * _block_dot(parsed.title, self.title)
        z += scale["abstract"] * _block_dot(parsed.abstract, self.abstract)
        cue = self.cue
        for f in parsed.cue:
            w = cue.get(f)
            if w is not None:
                z += scale["cue"] * w
        return z - self.gate(parsed)

    def gate(self, parsed: Parsed) -> float:
        """The scope gate's penalty to z: the model file's, when the paper has none of its scope flags."""
        if self.gate_penalty and self.gate_flags.isdisjoint(parsed.cue):
            return self.gate_penalty
        return 0.0

    def raw(self, title: str, summary: str = "") -> float:
        return self.raw_parsed(parse(title, summary, self.config))

    def calibrate(self, z: float) -> float:
        a, b = self.platt
        return sigmoid(a * z + b)

    def probability(self, parsed: Parsed) -> float:
        return self.calibrate(self.raw_parsed(parsed))

    def score(self, title: str, summary: str = "") -> float:
        """The calibrated probability that the paper belongs on the list."""
        return self.calibrate(self.raw(title, summary))

    def score_many(self, items: Iterable[tuple[str, str]]) -> list[float]:
        return [self.score(title, summary) for title, summary in items]

    def relevant(self, p: float) -> bool:
        return p >= self.threshold

    # ------------------------------------------------------------------ the weights

    def weight(self, key: Key) -> float:
        block, feature = key
        if block == "cue":
            return self.cue[feature]
        return (self.title if block == "title" else self.abstract)[feature][1]

    def knows(self, key: Key) -> bool:
        block, feature = key
        return feature in (self.cue if block == "cue" else self.title if block == "title" else self.abstract)

    def vector_parsed(self, parsed: Parsed) -> dict[Key, float]:
        """The paper's sparse feature vector x in weight space (block scales folded in): z = bias + w . x - gate."""
        scale = self.scale
        x: dict[Key, float] = {}
        for block, feats, table in (("title", parsed.title, self.title), ("abstract", parsed.abstract, self.abstract)):
            for f, v in block_vector(feats, table).items():
                x[(block, f)] = scale[block] * v
        for f in parsed.cue:
            if f in self.cue:
                x[("cue", f)] = scale["cue"]
        return x

    def vector(self, title: str, summary: str = "") -> dict[Key, float]:
        return self.vector_parsed(parse(title, summary, self.config))

    def explain(self, title: str, summary: str = "", top: int = 8) -> list[tuple[str, float]]:
        """The features that moved this paper's score most: ("block:feature", contribution to z)."""
        parsed = parse(title, summary, self.config)
        contributions = [(f"{b}:{f}", v * self.weight((b, f))) for (b, f), v in self.vector_parsed(parsed).items()]
        penalty = self.gate(parsed)
        if penalty:
            contributions.append(("gate:no scope cue", -penalty))
        return sorted(contributions, key=lambda kv: -abs(kv[1]))[:top]

    def positive_mean(self) -> dict[Key, float]:
        """The mean in-scope paper's feature vector (from the model file): the direction a refit keeps fixed."""
        return {(block, f): float(v) for block, feats in (self.model.get("pos_mean") or {}).items()
                for f, v in feats.items() if self.knows((block, f))}

    def with_weights(self, delta: Mapping[Key, float], decisions: Sequence[Any]) -> Scorer:
        """A scorer whose weights are the shipped ones plus `delta` (only the touched tables are copied)."""
        base = self.base
        title, abstract, cue = base.title, base.abstract, base.cue
        touched = {block for block, _ in delta}
        title = dict(title) if "title" in touched else title
        abstract = dict(abstract) if "abstract" in touched else abstract
        cue = dict(cue) if "cue" in touched else cue
        for (block, f), dw in delta.items():
            if block == "cue":
                cue[f] += dw
            else:
                table = title if block == "title" else abstract
                idf, w = table[f]
                table[f] = (idf, w + dw)
        new = Scorer(base.model, _tables=(title, abstract, cue), _base=base)
        new.decisions = tuple(decisions)
        return new

    def with_decisions(self, decisions: Iterable[Any]) -> Scorer:
        """The shipped model refitted to maintainers' decisions (`decisions.refit`): a pure function of the shipped
        weights and this set of decisions, so leaving a decision out undoes its lesson exactly."""
        from bot.intake.relevance.decisions import refit

        return refit(self.base, list(decisions))
