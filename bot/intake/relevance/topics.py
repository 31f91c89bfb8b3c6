"""Where on the list would a paper stand? The list's own topics that hold entries, ranked by tf-idf overlap.

Each topic's profile is its title and aliases, its entries' titles, acronyms and notes, and the titles of papers
maintainers approved into it. A paper's title words count fully, its abstract's (first 160 words) a quarter.
The list's non-research sections (survey, tutorial, library, video, by-source) are suggested only when the title
says the paper is that kind of work.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.catalogue.model import Catalogue
from bot.intake.relevance.text import content_words, words

KIND_TOPICS = ("survey", "tutorial", "library", "video", "by-source")
# The words that say a paper is one of those kinds (matched on `words`, i.e. folded and stemmed).
_KIND_CUES = {
    "survey": ("survey", "review", "primer", "overview", "taxonomy", "perspective", "open problem"),
    "tutorial": ("tutorial", "guide", "quickstart", "getting started", "introduction to", "walkthrough"),
    "library": ("library", "toolkit", "tool", "package", "open source", "python"),
    "video": ("video", "talk", "lecture", "youtube", "channel", "podcast"),
    "by-source": ("blog", "forum", "newsletter"),
}
SUMMARY_WORDS = 160  # an abstract states its subject early; the rest adds time, not placement

Feature = str | tuple[str, str]  # a content word, or two adjacent ones
_Postings = tuple[tuple[str, ...], "array[float]"]  # topic slugs and their weights, in step


@dataclass(frozen=True, slots=True)
class TopicScore:
    slug: str
    title: str
    path: str  # catalogue.path_text(slug)
    score: float


@dataclass(frozen=True)
class ApprovedTitle:
    """An approved paper's title and the topic maintainers filed it under."""

    title: str
    topic: str


def feature_keys(seq: Sequence[str], canonical: dict[str, str]) -> dict[Feature, None]:
    """Distinct content-word unigrams and adjacent pairs, in first-seen order; each word is the one object
    `canonical` holds for it, so the tables built from many texts share their words."""
    content = [canonical.setdefault(w, w) for w in content_words(seq)]
    keys: dict[Feature, None] = dict.fromkeys(content)
    if len(content) > 1:
        keys.update(dict.fromkeys(itertools.pairwise(content)))
    return keys


def _kind_index() -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    index: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for slug, cues in _KIND_CUES.items():
        for cue in cues:
            seq = tuple(words(cue))
            index.setdefault(seq[0], []).append((slug, seq))
    return {k: tuple(v) for k, v in index.items()}


_KINDS = _kind_index()


def kinds_of(seq: Sequence[str]) -> set[str]:
    """The non-research sections (survey, tutorial, ...) a title's words say it belongs to."""
    found: set[str] = set()
    if _KINDS.keys().isdisjoint(seq):
        return found
    for i, word in enumerate(seq):
        for slug, cue in _KINDS.get(word, ()):
            if slug not in found and tuple(seq[i:i + len(cue)]) == cue:
                found.add(slug)
    return found


class TopicIndex:
    """tf-idf profiles of the catalogue's topics, as an inverted index feature -> (slugs, weights)."""

    ALIAS_WEIGHT = 3.0  # maintainers' own names for a topic say more than any one entry title
    TITLE_WEIGHT = 2.0
    APPROVED_WEIGHT = 2.0
    SUMMARY_WEIGHT = 0.25  # an abstract's words help place a paper but must not outvote its title

    def __init__(self, catalogue: Catalogue, approved: Iterable[ApprovedTitle] = ()):
        canonical: dict[str, str] = {}  # one object per word for every table built here

        def features(text: str) -> dict[Feature, None]:
            return feature_keys(words(text), canonical)

        profiles: dict[str, defaultdict[Feature, float]] = {}
        for topic in catalogue.topics:
            entries = catalogue.entries_under(topic.slug)
            if not entries:
                continue  # a pure container: papers go under its children
            profile: defaultdict[Feature, float] = defaultdict(float)
            for f in features(topic.title):
                profile[f] += self.TITLE_WEIGHT
            for alias in topic.aliases:
                for f in features(alias):
                    profile[f] += self.ALIAS_WEIGHT
            for entry in entries:
                for f in features(" ".join((entry.title, entry.acronym, *entry.notes))):
                    profile[f] += 1.0
            profiles[topic.slug] = profile
        for paper in approved:
            # An approval keeps the slug it was filed under; a topic renamed since keeps it among its aliases.
            if (filed := catalogue.topic_filed_as(paper.topic)) is not None:
                profile = profiles.setdefault(filed.slug, defaultdict(float))
                for f in features(paper.title):
                    profile[f] += self.APPROVED_WEIGHT
        n = len(profiles) or 1
        df = Counter(f for profile in profiles.values() for f in profile)
        idf_of = {d: math.log(1.0 + n / d) for d in set(df.values())}  # by document frequency: a few dozen values
        flat: dict[Feature, tuple[str | float, ...]] = {}  # feature -> (slug, weight, slug, weight, ...)
        shared: dict[float, float] = {}  # a weight is one of a few thousand values: each kept once
        for slug in sorted(profiles):
            profile = profiles.pop(slug)  # each profile is let go as soon as it is read
            norm = math.sqrt(sum((w * idf_of[df[f]]) ** 2 for f, w in profile.items())) or 1.0
            # sqrt-dampened norm: topics with many entries should not drown, nor alias-only topics dominate.
            scale = 1.0 / math.sqrt(norm)
            for f, w in profile.items():
                idf = idf_of[df[f]]
                weight = w * idf * idf * scale
                flat[f] = (*flat.get(f, ()), slug, shared.setdefault(weight, weight))
        # Packed: slug tuples and weight arrays, each distinct one kept once (a 10,000-entry list has ~50,000
        # features but far fewer distinct postings).
        packed: dict[tuple[str | float, ...], _Postings] = {}
        unigrams: dict[str, _Postings] = {}
        bigrams: dict[tuple[str, str], _Postings] = {}
        while flat:
            f, postings = flat.popitem()
            found = packed.get(postings)
            if found is None:
                slugs = tuple(str(s) for s in postings[0::2])
                found = packed[postings] = (slugs, array("d", (float(w) for w in postings[1::2])))
            if isinstance(f, str):
                unigrams[f] = found
            else:
                bigrams[f] = found
        self._unigrams = unigrams
        self._bigrams = bigrams
        self._names = {t.slug: (t.title, catalogue.path_text(t.slug)) for t in catalogue.topics}

    def _known(self, seq: Sequence[str]) -> Iterable[_Postings]:
        content = content_words(seq)
        return itertools.chain(
            filter(None, map(self._unigrams.get, dict.fromkeys(content))),
            filter(None, map(self._bigrams.get, dict.fromkeys(itertools.pairwise(content)))),
        )

    def suggest(self, title_words: Sequence[str], summary_words: Sequence[str], top: int = 3
                ) -> tuple[TopicScore, ...]:
        """The best `top` topics for a paper's (already split) title and abstract words, best first."""
        raw: dict[str, float] = {}
        get = raw.get
        for slugs, weights in self._known(title_words):
            for slug, w in zip(slugs, weights, strict=True):
                raw[slug] = get(slug, 0.0) + w
        factor = self.SUMMARY_WEIGHT
        for slugs, weights in self._known(summary_words[:SUMMARY_WORDS]):
            for slug, w in zip(slugs, weights, strict=True):
                raw[slug] = get(slug, 0.0) + w * factor
        return self._ranked(raw, kinds_of(title_words), max(0, top))

    def _ranked(self, raw: dict[str, float], kinds: set[str], top: int) -> tuple[TopicScore, ...]:
        ranked = {s: v for s, v in raw.items() if s not in KIND_TOPICS}
        best = max(ranked.values(), default=0.0)
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
