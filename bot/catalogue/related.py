"""What a topic answer points to elsewhere in the list ("see also"), from the list's own data.

Two kinds of neighbour:

* related sections: topics whose names and aliases share specific words with this one ("Probing" and "Feature
  Representation/Probing-based"), or that hold the same entries (a paper listed under both); computed once per
  catalogue for every topic, which costs the number of topics squared plus one pass over the entries;
* entries elsewhere: the best full-text matches for what the reader typed that stand outside the answered topic
  (`topic circuits` answers Function, and points to "A mathematical framework for transformer circuits", filed
  under Tools/Techniques/Methods); their sections join the related ones.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.catalogue.model import Entry, Topic
from bot.catalogue.text import fold

if TYPE_CHECKING:
    from bot.catalogue.search import CatalogueIndex
    from bot.catalogue.topic_index import TopicMatch

SECTIONS = 4
ENTRIES = 3
# Words that relate nothing: four sections are called "General".
_UNSPECIFIC = frozenset({"general"})
_NAME_WEIGHT = 2.0
_SHARED_ENTRY_WEIGHT = 1.0


@dataclass(frozen=True)
class SeeAlso:
    sections: tuple[Topic, ...] = ()
    entries: tuple[Entry, ...] = ()


def _names(topic: Topic) -> set[tuple[str, ...]]:
    """A topic's title and aliases as word sequences ("Probing-based" -> ("probing", "based")), plurals folded."""
    names = set()
    for name in (topic.title, *topic.aliases):
        words = tuple(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in fold(name).split())
        if words and words[0] not in _UNSPECIFIC:
            names.add(words)
    return names


def _within(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """Does `short` stand in `long` as whole words, in order? ("probing",) in ("feature", "representation",
    "probing", "based")."""
    return any(long[i:i + len(short)] == short for i in range(len(long) - len(short) + 1))


class Neighbours:
    def __init__(self, index: CatalogueIndex):
        self._index = index
        self._catalogue = index.catalogue
        self._related: dict[str, tuple[str, ...]] | None = None
        self._subtrees: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def for_match(self, match: TopicMatch, query: str) -> SeeAlso:
        """What to point to beside the topic a query resolved to: the best entries for the reader's own words when
        they named the topic (its name, an alias), for the topic's title when they typed part of it or mistyped it
        ("prob" is Probing, and "problems" is not what they meant)."""
        if match.topic is None:
            return SeeAlso()
        return self.for_topic(match.topic, query if match.how in ("exact", "alias") else match.topic.title)

    def for_topic(self, topic: Topic, query: str) -> SeeAlso:
        """The sections related to `topic`, and the best entries for `query` that stand outside it."""
        catalogue = self._catalogue
        inside = self._subtree(topic.slug)
        entries: list[Entry] = []
        for hit in self._index.search.search(query, limit=ENTRIES + 12):
            if inside.isdisjoint(hit.entry.topics):
                entries.append(hit.entry)
                if len(entries) == ENTRIES:
                    break
        excluded = inside | self._ancestors(topic.slug)
        slugs = [s for s in (*self.related(topic.slug), *(e.topics[0] for e in entries)) if s not in excluded]
        sections = tuple(t for slug in dict.fromkeys(slugs) if (t := catalogue.topic(slug)) is not None)
        return SeeAlso(sections[:SECTIONS], tuple(entries))

    def related(self, slug: str) -> tuple[str, ...]:
        if self._related is None:
            with self._lock:
                if self._related is None:
                    self._related = self._related_sections()
        return self._related.get(slug, ())

    def _related_sections(self) -> dict[str, tuple[str, ...]]:
        """Every topic's related sections, best first: one's name (or alias) standing inside the other's ("probing"
        in "Feature Representation/Probing-based"), and entries listed under both."""
        catalogue = self._catalogue
        names = {t.slug: _names(t) for t in catalogue.topics}
        score: dict[tuple[str, str], float] = defaultdict(float)
        for topic in catalogue.topics:
            for other in catalogue.topics:
                if other is not topic and any(_within(a, b) for a in names[topic.slug] for b in names[other.slug]):
                    score[topic.slug, other.slug] += _NAME_WEIGHT
                    score[other.slug, topic.slug] += _NAME_WEIGHT
        for entry in catalogue.entries:
            if len(entry.topics) < 2:
                continue
            for a in entry.topics:
                for b in entry.topics:
                    if a != b:
                        score[a, b] += _SHARED_ENTRY_WEIGHT
        candidates: dict[str, list[tuple[float, int, str]]] = defaultdict(list)
        for (a, b), value in score.items():
            candidates[a].append((-value, catalogue.position(b), b))
        related: dict[str, tuple[str, ...]] = {}
        for topic in catalogue.topics:
            family = self._ancestors(topic.slug) | self._subtree(topic.slug)
            ranked = sorted(c for c in candidates[topic.slug] if c[2] not in family)
            related[topic.slug] = tuple(slug for _, _, slug in ranked[:SECTIONS])
        return related

    def _subtree(self, slug: str) -> frozenset[str]:
        found = self._subtrees.get(slug)
        if found is None:
            slugs = {slug}
            for child in self._catalogue.children(slug):
                slugs |= self._subtree(child)
            found = self._subtrees[slug] = frozenset(slugs)
        return found

    def _ancestors(self, slug: str) -> frozenset[str]:
        found: set[str] = set()
        topic = self._catalogue.topic(slug)
        while topic is not None and topic.parent:
            found.add(topic.parent)
            topic = self._catalogue.topic(topic.parent)
        return frozenset(found)
