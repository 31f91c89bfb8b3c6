"""Is a new paper about LLM interpretability, and where on the list would it stand?

`RelevanceModel.build(catalogue, labels)` puts together the packaged scorer, refitted to the maintainers'
decisions (`labels`), and the topic index of the list. It is rebuilt, never mutated: the caller rebuilds it when
the list or the decisions change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from bot.catalogue.model import Catalogue
from bot.intake.relevance.decisions import Decision
from bot.intake.relevance.features import parse_words
from bot.intake.relevance.scorer import Scorer
from bot.intake.relevance.text import words
from bot.intake.relevance.topics import ApprovedTitle, TopicIndex, TopicScore

# The shipped model's threshold (model.json.gz "threshold": the maximum-F1 point of its out-of-fold scores):
# precision 0.828, recall 0.795, 5.6 false candidates per 1,000 papers, out of fold on the training stream.
# INTERP_BOT_RELEVANCE_THRESHOLD overrides it (the settings' default is this number).
DEFAULT_THRESHOLD = 0.395133


@dataclass(frozen=True, slots=True)
class Relevance:
    score: float  # the calibrated probability that the paper belongs on the list, rounded to 4 places
    relevant: bool  # score >= threshold
    topics: tuple[TopicScore, ...]  # best first


@dataclass(frozen=True)
class Label:
    """A maintainer decision: approved (relevant, optionally filed under `topic`) or rejected."""

    title: str
    summary: str
    relevant: bool
    topic: str | None = None


class _Decided(Protocol):
    """A stored decision as the model reads it (bot.store.curation.Lesson)."""

    @property
    def title(self) -> str: ...
    @property
    def abstract(self) -> str: ...
    @property
    def relevant(self) -> bool: ...
    @property
    def topic(self) -> str | None: ...


def labels_from(decided: Iterable[_Decided]) -> list[Label]:
    """Stored decisions (oldest first) as the model's labels; an approval is filed under its topic."""
    return [Label(d.title, d.abstract, d.relevant, d.topic if d.relevant else None) for d in decided]


class RelevanceModel:
    """Scores papers for relevance to the list and suggests topics. Immutable once built."""

    def __init__(self, scorer: Scorer, topics: TopicIndex, threshold: float):
        self.scorer = scorer
        self.topics = topics
        self.threshold = threshold

    @classmethod
    def build(cls, catalogue: Catalogue, labels: Iterable[Label] = (), *, threshold: float = DEFAULT_THRESHOLD,
              scorer: Scorer | None = None) -> RelevanceModel:
        """`labels` oldest first (only the most recent `decisions.MAX_LESSONS` teach the scorer); `scorer` is the
        shipped model when not given (pass one to load it once for many builds)."""
        labels = list(labels)
        base = scorer if scorer is not None else Scorer.load()
        refitted = base.with_decisions(Decision(label.title, label.summary, label.relevant) for label in labels)
        approved = (ApprovedTitle(label.title, label.topic) for label in labels if label.relevant and label.topic)
        return cls(refitted, TopicIndex(catalogue, approved), threshold)

    def score(self, title: str, summary: str = "", *, top: int = 3) -> Relevance:
        title_words = words(title)
        summary_words = words(summary) if summary else []
        p = round(self.scorer.probability(parse_words(title_words, summary_words, self.scorer.config)), 4)
        # Rounded first, so `relevant` always agrees with the score callers see.
        return Relevance(p, p >= self.threshold, self.topics.suggest(title_words, summary_words, top))

    def score_many(self, items: Iterable[tuple[str, str]]) -> list[Relevance]:
        return [self.score(title, summary) for title, summary in items]
