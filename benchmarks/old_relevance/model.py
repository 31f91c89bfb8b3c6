"""Is a new paper about LLM interpretability, and where on the list would it stand?

The model is rebuilt, never mutated: `RelevanceModel.build(catalogue, labels)` is cheap (well under half a second),
so the caller rebuilds it whenever the list or the maintainers' decisions change, and the model learns from them
without a code change.

How a paper is scored (all offline, pure Python, deterministic):

* **Lexicon** (`relevance_data/lexicon.yaml`): the field's vocabulary with log-odds weights. Strong terms
  ("sparse autoencoder", "activation patching") count on their own; ambiguous ones ("circuit", "probing",
  "interpretable") count fully only next to a model cue (a language model, a transformer, GPT-2, ...); some
  contexts count against ("quantum circuit", "hash-table probing", "activation function", clinical data).
* **Word model**: a binarised multinomial naive Bayes on word uni- and bigrams of titles. Positives are the
  catalogue's entries, its topic titles and aliases, and the packaged positives (below); negatives are the
  background (below). Maintainers'
  approvals are added as positives and rejections as negatives, each counting `LABEL_WEIGHT` times because they
  are the closest thing to the papers the bot will actually meet.
* `score = sigmoid(bias + lexicon + nb)`; title evidence counts fully, summary evidence is damped and capped.

Topic suggestions rank the catalogue's topics that hold entries by a tf-idf overlap between the paper and each
topic's own text (its title and aliases, its entries' titles and notes, the packaged positives filed under it, and
approved labels filed under it).

Background data (packaged in `relevance_data/`, provenance in its README.md):
``background.json`` holds the 114 distinct titles + abstracts of the real arXiv API responses in
``shared/fixtures/arxiv-api`` (captured by lukasschwab/arxiv.py, MIT), extracted once with feedparser;
``ml_background.txt`` lists well-known real ML/NLP/vision/systems paper titles that are not about interpretability,
many of them near misses; ``positives.txt`` lists 360 real interpretability / analysis-of-LMs titles with topics.
The combining knobs in ``lexicon.yaml`` (bias, nb_*, cue_absent_factor) and POSITIVE_TOPIC_WEIGHT were chosen by
5-fold cross-validation on this training data (`python -m benchmarks.relevance_quality --cv`), not on the dev set.
"""

from __future__ import annotations

import itertools
import json
import math
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from benchmarks.old_relevance.text import (
    Feature,
    Lexicon,
    LexiconHits,
    content_words,
    feature_keys,
    iter_nonblank,
    words,
)
from bot.catalogue.model import Catalogue

# Sections of the list that are not research topics: suggested only when the title says it is that kind.
KIND_TOPICS = ("survey", "tutorial", "library", "video", "by-source")
LABEL_WEIGHT = 3.0  # one maintainer decision counts as this many background or catalogue documents
_TITLE_WORDS = 4.0  # content words of a typical title
SUMMARY_WORDS = 160  # an abstract states its subject early; reading the rest costs time and adds no signal

# The score at which a paper counts as relevant. The one number chosen on the dev set (which serves as the
# validation set; the model's other knobs come from cross-validation on the training data): at 0.4 the dev set
# gives precision 0.959 / recall 0.902 on titles alone, at 0.5 0.978 / 0.888. INTERP_BOT_RELEVANCE_THRESHOLD
# overrides it for a deployment that prefers fewer misses or fewer false alarms.
DEFAULT_THRESHOLD = 0.4


@dataclass(frozen=True)
class TopicScore:
    slug: str
    title: str
    path: str  # catalogue.path_text(slug)
    score: float


@dataclass(frozen=True)
class Relevance:
    score: float
    relevant: bool
    topics: tuple[TopicScore, ...]  # best first


@dataclass(frozen=True)
class Label:
    """A maintainer decision: approved (relevant, optionally filed under `topic`) or rejected."""

    title: str
    summary: str
    relevant: bool
    topic: str | None = None


@dataclass(frozen=True)
class _Doc:
    title: str
    summary: str = ""


def _data_text(name: str) -> str:
    return resources.files("benchmarks.old_relevance").joinpath("data", name).read_text(encoding="utf-8")


def load_lexicon() -> Lexicon:
    return Lexicon.from_mapping(yaml.safe_load(_data_text("lexicon.yaml")))


def load_background() -> list[_Doc]:
    """The packaged negatives: arXiv fixture titles + abstracts, and curated non-interpretability ML titles."""
    docs = [_Doc(r["title"], r.get("summary", "")) for r in json.loads(_data_text("background.json"))]
    docs.extend(_Doc(t) for t in iter_nonblank(_data_text("ml_background.txt").splitlines()))
    return docs


@dataclass(frozen=True)
class _Positive:
    title: str
    topic: str | None  # a slug of the list, or None where no single topic fits


def load_positives() -> list[_Positive]:
    """The packaged positives: real interpretability paper titles that are not on the list, most with a topic."""
    out = []
    for line in iter_nonblank(_data_text("positives.txt").splitlines()):
        slug, _, title = line.partition(" | ")
        if not title.strip():
            raise ValueError(f"positives.txt: expected 'slug | title', got {line!r}")
        out.append(_Positive(title.strip(), None if slug.strip() == "-" else slug.strip()))
    return out


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def _clip(x: float, cap: float) -> float:
    return -cap if x < -cap else cap if x > cap else x


# --------------------------------------------------------------------------- word model


_Weighted = tuple[Iterable[Feature], float]  # a document's features and how many documents it counts as
_Postings = tuple[tuple[str, ...], "array[float]"]  # topic slugs and their weights, in step
# What one feature means to the model: word-model log-odds (None if unknown to it) and topic postings.
_Meaning = tuple[float | None, _Postings]


def _log_odds(
    positives: Iterable[_Weighted], negatives: Iterable[_Weighted], *, alpha: float, feature_cap: float
) -> dict[Feature, float]:
    """A binarised multinomial naive Bayes over title n-grams, reduced to one log-odds number per feature.

    The documents are read one at a time as they come (a large list has tens of thousands), and the positives'
    counts are overwritten with the log-odds in place, so no table is ever held twice.
    """
    pos: Counter[Feature] = Counter()
    neg: Counter[Feature] = Counter()
    for feats, weight in positives:
        for f in feats:
            pos[f] += weight
    for feats, weight in negatives:
        for f in feats:
            neg[f] += weight
    v = (len(pos) + sum(1 for f in neg if f not in pos)) or 1  # the vocabulary's size
    pos_total = sum(pos.values()) + alpha * v
    neg_total = sum(neg.values()) + alpha * v
    shared: dict[float, float] = {}  # a few hundred distinct values among tens of thousands of features: one each
    for f, count in pos.items():
        lo = _clip(math.log((count + alpha) / pos_total) - math.log((neg[f] + alpha) / neg_total), feature_cap)
        pos[f] = shared.setdefault(lo, lo)
    for f, count in neg.items():
        if f not in pos:
            lo = _clip(math.log((0 + alpha) / pos_total) - math.log((count + alpha) / neg_total), feature_cap)
            pos[f] = shared.setdefault(lo, lo)
    return pos


# --------------------------------------------------------------------------- topics


class _TopicIndex:
    """tf-idf profiles of the catalogue's topics; a paper's topics are those its words overlap most."""

    ALIAS_WEIGHT = 3.0  # maintainers' own names for a topic say more than any one entry title
    TITLE_WEIGHT = 2.0
    LABEL_TOPIC_WEIGHT = 2.0

    POSITIVE_TOPIC_WEIGHT = 2.0  # chosen by 5-fold cross-validation over the packaged positives (benchmark --cv)

    def __init__(
        self,
        catalogue: Catalogue,
        labels: Sequence[Label],
        positives: Sequence[_Positive] = (),
        canonical: dict[str, str] | None = None,
    ):
        canonical = {} if canonical is None else canonical

        def features(text: str) -> dict[Feature, None]:
            return feature_keys(words(text), canonical)

        profiles: dict[str, Counter[Feature]] = {}
        for topic in catalogue.topics:
            entries = catalogue.entries_under(topic.slug)
            if not entries:
                continue  # a pure container: papers go under its children
            prof: Counter[Feature] = Counter()
            for f in features(topic.title):
                prof[f] += self.TITLE_WEIGHT
            for alias in topic.aliases:
                for f in features(alias):
                    prof[f] += self.ALIAS_WEIGHT
            for entry in entries:
                for f in features(" ".join((entry.title, entry.acronym, *entry.notes))):
                    prof[f] += 1.0
            profiles[topic.slug] = prof
        for pos in positives:
            # Packaged real titles filed under a topic that holds entries: more of that topic's vocabulary.
            if pos.topic in profiles:
                for f in features(pos.title):
                    profiles[pos.topic][f] += self.POSITIVE_TOPIC_WEIGHT
        for label in labels:
            if label.relevant and label.topic and catalogue.topic(label.topic) is not None:
                prof = profiles.setdefault(label.topic, Counter())
                for f in features(label.title):
                    prof[f] += self.LABEL_TOPIC_WEIGHT
        n = len(profiles) or 1
        df = Counter(f for prof in profiles.values() for f in prof)
        idf_of = {d: math.log(1.0 + n / d) for d in set(df.values())}  # by document frequency: a few dozen values
        # Inverted index feature -> (slug, weight, slug, weight, ...) in slug order: scoring touches only topics
        # sharing a word with the paper. Flat while building (most features have one or two postings, and a
        # weight is one of a few thousand values, each kept once); RelevanceModel packs them and lets this go.
        postings: dict[Feature, tuple[str | float, ...]] = {}
        shared: dict[float, float] = {}
        for slug in sorted(profiles):
            prof = profiles.pop(slug)  # each profile is let go as soon as it is read
            norm = math.sqrt(sum((w * idf_of[df[f]]) ** 2 for f, w in prof.items())) or 1.0
            # sqrt-dampened norm: topics with many entries should not drown, nor alias-only topics dominate.
            scale = 1.0 / math.sqrt(norm)
            for f, w in prof.items():
                idf = idf_of[df[f]]
                weight = w * idf * idf * scale
                postings[f] = (*postings.get(f, ()), slug, shared.setdefault(weight, weight))
        self.postings = postings
        # Titles and paths of every topic, read once: a paper's suggestions are built from them.
        self._names = {t.slug: (t.title, catalogue.path_text(t.slug)) for t in catalogue.topics}

    SUMMARY_WEIGHT = 0.25  # an abstract's words help place a paper but must not outvote its title

    def ranked(self, raw: dict[str, float], kinds: set[str], top: int) -> tuple[TopicScore, ...]:
        """The best `top` topics from raw overlaps (slug -> summed posting weights, as `score` adds them up)."""
        research = {s: v for s, v in raw.items() if s not in KIND_TOPICS}
        best = max(research.values(), default=0.0)
        ranked = research
        names = self._names
        for slug in kinds:
            if slug in names:
                # The title says "survey" (etc.): that section leads, the research topic follows.
                ranked[slug] = best * 1.05 + raw.get(slug, 0.0) + 1e-6
        total = sum(ranked.values())
        if total <= 0:
            return ()
        order = sorted(ranked.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        return tuple(TopicScore(slug, *names[slug], round(v / total, 4)) for slug, v in order)


# --------------------------------------------------------------------------- the model


class RelevanceModel:
    """Scores papers for relevance to the list and suggests topics. Immutable once built."""

    def __init__(self, lexicon: Lexicon, log_odds: dict[Feature, float], topics: _TopicIndex, threshold: float):
        self._lexicon = lexicon
        self._topics = topics
        self.threshold = threshold
        # Everything a feature means to the model, found with one lookup per feature of a paper. Bigrams ("a b")
        # are keyed by their word pair, so a paper's pairs are looked up without joining them. The word model's
        # table becomes this one in place, and the topics' postings are emptied into it, so neither is held twice.
        # Few meanings are distinct (about 8,500 for the 50,000 features of a 10,000-entry list): each is kept once.
        packed: dict[tuple[str | float, ...], _Postings] = {(): ((), array("d"))}
        meanings: dict[tuple[float | None, tuple[str | float, ...]], _Meaning] = {}

        def meaning(lo: float | None, flat: tuple[str | float, ...]) -> _Meaning:
            found = meanings.get((lo, flat))
            if found is None:
                postings = packed.get(flat)
                if postings is None:
                    postings = packed[flat] = (flat[0::2], array("d", flat[1::2]))  # type: ignore[arg-type]
                found = meanings[(lo, flat)] = (lo, postings)
            return found

        table: dict[Feature, Any] = log_odds
        postings, topics.postings = topics.postings, {}
        for f, lo in table.items():
            table[f] = meaning(lo, postings.pop(f, ()))
        while postings:
            f, flat = postings.popitem()
            table[f] = meaning(None, flat)
        del postings
        self._unigrams: dict[str, _Meaning] = {f: m for f, m in table.items() if isinstance(f, str)}
        for f in self._unigrams:
            del table[f]
        self._bigrams: dict[tuple[str, str], _Meaning] = table

    def _known(self, seq: Sequence[str]) -> Iterator[_Meaning]:
        """What the model knows of `ngram_features(seq)`, feature by feature in that order (unknown ones left out)."""
        content = content_words(seq)
        return itertools.chain(
            filter(None, map(self._unigrams.get, dict.fromkeys(content))),
            filter(None, map(self._bigrams.get, dict.fromkeys(itertools.pairwise(content)))),
        )

    @classmethod
    def build(cls, catalogue: Catalogue, labels: Iterable[Label] = (), *,
              threshold: float = DEFAULT_THRESHOLD) -> RelevanceModel:
        return cls.assemble(
            catalogue,
            labels,
            threshold=threshold,
            lexicon=load_lexicon(),
            positives=load_positives(),
            background=[d.title for d in load_background()],
        )

    @classmethod
    def assemble(
        cls,
        catalogue: Catalogue,
        labels: Iterable[Label] = (),
        *,
        threshold: float,
        lexicon: Lexicon,
        positives: Sequence[_Positive],
        background: Sequence[str],
        entries: Iterable[str] | None = None,
    ) -> RelevanceModel:
        """`build` from explicit training data: what cross-validation (benchmarks/relevance_quality.py) varies.

        `entries` are the catalogue titles the word model learns from (default: all of them); the topic index
        always reads the whole catalogue.
        """
        labels = tuple(labels)
        if entries is None:
            entries = (e.title for e in catalogue.entries if "by-source" not in e.topics)  # people, not papers
        canonical: dict[str, str] = {}  # one object per word for every table built here

        def docs(texts: Iterable[str], weight: float = 1.0) -> Iterator[_Weighted]:
            # Generated one document at a time: the word model counts each and lets it go.
            return ((feature_keys(words(t), canonical), weight) for t in texts)

        names = (n for t in catalogue.topics if t.slug not in KIND_TOPICS for n in (t.title, *t.aliases))
        # The topics first: their postings are the smaller table to keep while the word model counts.
        topics = _TopicIndex(catalogue, labels, positives, canonical)
        log_odds = _log_odds(
            itertools.chain(
                docs(entries),
                docs(names),
                docs(p.title for p in positives),
                docs((label.title for label in labels if label.relevant), LABEL_WEIGHT),
            ),
            itertools.chain(
                docs(background), docs((label.title for label in labels if not label.relevant), LABEL_WEIGHT)
            ),
            alpha=lexicon.nb_alpha,
            feature_cap=lexicon.nb_feature_cap,
        )
        return cls(lexicon, log_odds, topics, threshold)

    def _title_evidence(self, hits: LexiconHits, cue: bool, nb_sum: float) -> float:
        lex = self._lexicon
        nb = lex.nb_weight * _clip(nb_sum, lex.nb_cap)
        field = hits.cued + max(nb, 0.0)
        # Without a model named, field words are ambiguous ("linear probing" of hash tables, "circuits" in
        # hardware), and so is the word model's positive evidence, which it learned from the same words.
        if not cue:
            field *= lex.cue_absent_factor
        return hits.strong + field + hits.against + min(nb, 0.0)

    def score(self, title: str, summary: str = "", *, top: int = 3) -> Relevance:
        lex = self._lexicon
        # One pass over each text's known features adds up, in feature order, both the word model's evidence
        # (log-odds) and the topics' overlaps (postings).
        raw: dict[str, float] = {}
        get = raw.get
        t_seq = words(title)
        t_nb = 0.0
        for lo, postings in self._known(t_seq):
            if lo is not None:
                t_nb += lo
            for slug, w in zip(*postings, strict=True):
                raw[slug] = get(slug, 0.0) + w
        t_hits = lex.hits(t_seq)
        s_seq = words(summary, SUMMARY_WORDS) if summary else []
        # The summary is searched for a model cue only when the title names none.
        s_hits = lex.hits(s_seq, find_cue=not t_hits.cue) if s_seq else LexiconHits()
        cue = t_hits.cue or s_hits.cue
        z = lex.bias + self._title_evidence(t_hits, cue, t_nb)
        if s_seq:
            nb_sum, known = 0.0, 0
            factor = self._topics.SUMMARY_WEIGHT
            for lo, postings in self._known(s_seq):
                if lo is not None:
                    nb_sum += lo
                    known += 1
                for slug, w in zip(*postings, strict=True):
                    raw[slug] = get(slug, 0.0) + w * factor
            # An abstract's word evidence is averaged, not summed: its length says nothing about its subject.
            nb_mean = nb_sum / known if known else 0.0
            s_lex = s_hits.strong + (s_hits.cued if cue else s_hits.cued * lex.cue_absent_factor) + s_hits.against
            # Damped, then capped at summary_cap: an abstract supports its title, it cannot outvote it.
            z += _clip(lex.summary_weight * s_lex, lex.summary_cap)
            # A mean is per word; scale it to a short title's worth of words before weighing it.
            z += lex.summary_nb_weight * _clip(nb_mean * _TITLE_WORDS, lex.nb_cap)
        p = round(_sigmoid(z), 4)  # rounded first so `relevant` always agrees with the score callers see
        topics = self._topics.ranked(raw, lex.kind_of(t_seq), max(0, top))
        return Relevance(p, p >= self.threshold, topics)

    def score_many(self, items: Iterable[tuple[str, str]]) -> list[Relevance]:
        return [self.score(title, summary) for title, summary in items]
