"""Topic resolution: what a reader typed (slug, title, alias, prefix, a typo, a name typed as one word) to a topic.

Built once per catalogue version with the other indexes (`search.CatalogueIndex.topics`); a one-shot
`interp-bot topic` builds only this one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from bot.catalogue.model import Catalogue, Topic
from bot.catalogue.text import clean_query, fold
from bot.catalogue.typos import swap_score, swaps, typo_ratio

# A topic name this close (rapidfuzz ratio, 0-100; two letters swapped are one edit: bot.catalogue.typos) to what
# was typed is worth a "did you mean"; below it, a suggestion is noise ("café" is 57 from the alias "caa").
SUGGEST_AT = 72
WORD_TYPO_AT = 80  # ...and each word typed at least this close to one of the name's words
# What readers put around a topic's name ("sae papers", "research on hallucination"): left out when the rest is a topic.
AROUND = frozenset({"paper", "papers", "on", "about", "research", "work", "works", "literature"})

Resolution = Literal["exact", "alias", "prefix", "fuzzy", "ambiguous", "unknown"]


@dataclass(frozen=True)
class TopicMatch:
    topic: Topic | None
    how: Resolution
    suggestions: tuple[Topic, ...] = ()


def _typo_of(query: str, name: str) -> bool:
    """Could `query` be `name` mistyped? Each word typed must be close to a word of the name: a whole-string
    ratio alone lets one long shared word carry a different first word."""
    words = name.split()
    return all(any(typo_ratio(typed, word) >= WORD_TYPO_AT for word in words) for typed in query.split())


class TopicIndex:
    """Resolve what a reader typed to a topic: slug, title, alias, prefix, then typo-tolerant."""

    def __init__(self, catalogue: Catalogue):
        self._catalogue = catalogue
        self._names: dict[str, set[str]] = defaultdict(set)  # folded name -> topic slugs
        self._alias_names: set[str] = set()
        for topic in catalogue.topics:
            self._names[fold(topic.slug.replace("-", " "))].add(topic.slug)
            self._names[fold(topic.title)].add(topic.slug)
            for alias in topic.aliases:
                folded = fold(alias)
                self._names[folded].add(topic.slug)
                self._alias_names.add(folded)
            if topic.parent:  # "component general", "general component": the way to pick one of four
                parent = catalogue.topic(topic.parent)
                if parent is not None:
                    self._names[fold(f"{parent.title} {topic.title}")].add(topic.slug)
                    self._names[fold(f"{topic.title} {parent.title}")].add(topic.slug)
        self._name_list = sorted(self._names)
        # "finetune", "logitlens": a name of several words, typed as one
        self._joined: dict[str, set[str]] = defaultdict(set)
        self._joined_aliases: set[str] = set()
        for name, slugs in self._names.items():
            if " " in name and (joined := name.replace(" ", "")) not in self._names:
                self._joined[joined] |= slugs
                if name in self._alias_names:
                    self._joined_aliases.add(joined)

    def _topics(self, slugs: set[str] | list[str]) -> tuple[Topic, ...]:
        catalogue = self._catalogue
        return tuple(catalogue.topic(s) for s in sorted(set(slugs), key=catalogue.position))  # type: ignore[misc]

    def _parent(self, slug: str) -> str | None:
        topic = self._catalogue.topic(slug)
        return topic.parent if topic is not None else None

    def resolve(self, query: str) -> TopicMatch:
        q = fold(clean_query(query))
        if not q:
            return TopicMatch(None, "unknown")
        exact, alias = self._names.get(q), q in self._alias_names
        if not exact and (joined := q.replace(" ", "")) in self._joined:
            exact, alias = self._joined[joined], joined in self._joined_aliases
        if not exact and (bare := " ".join(word for word in q.split() if word not in AROUND)) not in ("", q):
            around = self.resolve(bare)
            if around.topic is not None:
                return TopicMatch(around.topic, "alias" if around.how == "exact" else around.how)
        if exact:
            if len(exact) == 1:
                (slug,) = exact
                how: Resolution = "alias" if alias else "exact"
                return TopicMatch(self._catalogue.topic(slug), how)
            return TopicMatch(None, "ambiguous", self._topics(exact))
        if len(q) >= 3:
            prefixed = {slug for name in self._name_list if name.startswith(q) for slug in self._names[name]}
            if len(prefixed) == 1:
                (slug,) = prefixed
                return TopicMatch(self._catalogue.topic(slug), "prefix")
            # The start of a section's title also starts "section subsection" for each of its subsections:
            # that is the section, not a choice among them ("tools/techniques").
            outermost = {slug for slug in prefixed if self._parent(slug) not in prefixed}
            if len(outermost) == 1:
                return TopicMatch(self._catalogue.topic(outermost.pop()), "prefix")
            if len(prefixed) > 1:
                return TopicMatch(None, "ambiguous", self._topics(prefixed)[:8])
        scored = {name: score for name, score, _ in
                  process.extract(q, self._name_list, scorer=fuzz.ratio, limit=12, score_cutoff=SUGGEST_AT)}
        for name in swaps(q):  # "roem": Indel counts the swap as two edits, 75 from "rome"
            if name in self._names:
                scored[name] = swap_score(q, name)
        best_by_topic: dict[str, float] = {}
        for name, score in scored.items():
            if not _typo_of(q, name):
                continue  # "mechanistic interpretability" is not a misspelling of "automated interpretability"
            for slug in self._names[name]:
                best_by_topic[slug] = max(best_by_topic.get(slug, 0.0), score)
        ranked = sorted(best_by_topic.items(), key=lambda kv: -kv[1])
        if ranked and ranked[0][1] >= 78 and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= 6):
            return TopicMatch(self._catalogue.topic(ranked[0][0]), "fuzzy")
        suggestions = tuple(t for slug, _ in ranked[:5] if (t := self._catalogue.topic(slug)) is not None)
        return TopicMatch(None, "ambiguous" if ranked and ranked[0][1] >= 78 else "unknown", suggestions)

    def complete(self, prefix: str, limit: int = 25) -> list[Topic]:
        """Topics for an autocomplete box, best first: title or slug prefix, alias prefix, a word inside
        a name, then typo-tolerant matches."""
        q = fold(clean_query(prefix))
        if not q:
            return list(self._catalogue.topics[:limit])
        ranked: dict[str, int] = {}
        for name in self._name_list:
            if name.startswith(q):
                tier = 1 if name in self._alias_names else 0
            elif f" {q}" in f" {name}":
                tier = 2
            else:
                continue
            for slug in self._names[name]:
                ranked[slug] = min(ranked.get(slug, 9), tier)
        for name, _score, _ in process.extract(q, self._name_list, scorer=fuzz.WRatio, limit=limit, score_cutoff=70):
            for slug in self._names[name]:
                ranked.setdefault(slug, 3)
        best = sorted(ranked, key=lambda slug: (ranked[slug], self._catalogue.position(slug)))
        return [self._catalogue.topic(slug) for slug in best[:limit]]  # type: ignore[misc]
