"""Ranked full-text search over a catalogue, and `CatalogueIndex`: the catalogue with all its indexes.

Topic resolution is in `topic_index.py`. Both indexes are built once per catalogue version (a few ms for the seed
list, ~0.3 s for 10,000 entries) and answer in well under a millisecond for the seed list: see
benchmarks/latency.py.
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
import threading
from array import array
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, TypeVar

from rapidfuzz import fuzz, process

from bot.catalogue.identifiers import Key, arxiv_id, entry_keys, names_a_link, query_keys
from bot.catalogue.model import Catalogue, Entry
from bot.catalogue.text import clean_query, fold
from bot.catalogue.topic_index import TopicIndex
from bot.catalogue.typos import swap_score, swaps

if TYPE_CHECKING:
    from bot.catalogue.find import EntryFinder
    from bot.catalogue.related import Neighbours

STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "for", "from", "how", "in", "into", "is", "it",
    "its", "of", "on", "or", "the", "to", "via", "what", "when", "where", "which", "who", "why", "with",
    "s", "t",  # what folding leaves of "model's" and "don't"
})
# One thing under two names: a reader's word finds entries that use the other ("NeurIPS" papers are labelled "NIPS").
SAME_AS: dict[str, tuple[str, ...]] = {"neurips": ("nips",), "nips": ("neurips",)}
# A query of at least this many distinct words leaves out those that more than this share of the entries hold.
COMMON_WORDS_FROM = 4
COMMON_SHARE = 0.2
_LETTERS_THEN_DIGITS = re.compile(r"([a-z]+)(\d+)")

T = TypeVar("T")


@dataclass(frozen=True)
class SearchHit:
    entry: Entry
    score: float


# Field weights for BM25F-style scoring: a word in the title says more than one in a note.
FIELD_WEIGHTS = {"title": 3.0, "acronym": 3.0, "authors": 1.5, "labels": 1.0, "notes": 1.0, "topics": 0.6}
K1, B = 1.2, 0.75
MIN_SPLIT_PART = 3  # "finetune" may be "fine tune"; no split leaves a part shorter than this
SHORT_FORM = range(4, 8)  # word lengths that may stand for longer words, even when the list uses them as they are


class SearchIndex:
    """BM25F over titles, acronyms, notes, venues/link labels, authors and topic names, typo-tolerant."""

    def __init__(self, catalogue: Catalogue):
        self._catalogue = catalogue
        self._entries = list(catalogue.entries)
        self._titles = [fold(e.title) for e in self._entries]
        self._acronyms = [fold(e.acronym) for e in self._entries]
        self._acronym_docs: dict[str, list[int]] = defaultdict(list)
        for index, acronym in enumerate(self._acronyms):
            if acronym:
                self._acronym_docs[acronym].append(index)
        self._starred_docs = {index for index, entry in enumerate(self._entries) if entry.starred}
        # Entries and weights sit in two flat arrays per term (12 bytes a posting instead of ~100 for a dict
        # item): the field-weighted term frequencies first, turned into BM25 weights in place below.
        self._weights: dict[str, tuple[array[int], array[float]]] = {}
        lengths = array("d")
        # A topic's words are the same for every entry under it: read once per topic, not once per entry.
        topic_words = {t.slug: self._words(" ".join([t.title, *t.aliases])) for t in catalogue.topics}
        for index, entry in enumerate(self._entries):
            weighted: dict[str, float] = defaultdict(float)
            for field_name, text in self._fields(entry):
                for token in self._words(text):
                    weighted[token] += FIELD_WEIGHTS[field_name]
            for slug in entry.topics:
                for token in topic_words.get(slug, ()):
                    weighted[token] += FIELD_WEIGHTS["topics"]
            for token, weight in weighted.items():
                docs, weights = self._weights.get(token) or self._weights.setdefault(token, (array("I"), array("d")))
                docs.append(index)
                weights.append(weight)
            lengths.append(sum(weighted.values()))
        count = len(self._entries)
        avg_length = (sum(lengths) / len(lengths)) if lengths else 1.0
        # BM25 weight of each term in each entry, computed once: a query only adds numbers up.
        for docs, weights in self._weights.values():
            idf = math.log(1 + (count - len(docs) + 0.5) / (len(docs) + 0.5))
            for i, (doc, tf) in enumerate(zip(docs, weights, strict=True)):
                weights[i] = idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[doc] / avg_length))
        self._vocabulary = sorted(self._weights)
        self.expand = lru_cache(maxsize=4096)(self._expand)
        # Link keys (arXiv ids, DOIs, OpenReview ids, URLs) -> entries: built on the first query that names one.
        self._links: dict[str, Positions] | None = None
        self._links_lock = threading.Lock()

    @property
    def entries(self) -> list[Entry]:
        """The catalogue's entries; a document number is a position here."""
        return self._entries

    @property
    def titles(self) -> list[str]:
        """Each entry's title, folded, in step with `entries`."""
        return self._titles

    @staticmethod
    def _fields(entry: Entry) -> list[tuple[str, str]]:
        return [("title", entry.title), ("acronym", entry.acronym), ("notes", " ".join(entry.notes)),
                ("labels", " ".join(link.label for link in entry.links)), ("authors", " ".join(entry.authors))]

    @staticmethod
    def _words(text: str) -> list[str]:
        return [token for token in fold(text).split() if token not in STOPWORDS]

    def _query_words(self, query: str, *, join: bool = True) -> tuple[list[str], frozenset[str]]:
        """The query's words as the index spells them: "gpt2" is "gpt 2" when the list only writes "GPT-2",
        "finetune" is "fine tune" when it writes "fine-tune", and "transformer lens" is "transformerlens" when it
        writes "TransformerLens". Second, the parts of a word typed whole, which are taken as they are (below)."""
        words: list[str] = []
        parts_of_one: set[str] = set()
        typed = fold(clean_query(query)).split()
        index = 0
        while index < len(typed):
            word = typed[index]
            joined = word + typed[index + 1] if index + 1 < len(typed) else ""
            if join and joined in self._weights and word not in STOPWORDS and typed[index + 1] not in STOPWORDS:
                words.append(joined)
                index += 2
                continue
            index += 1
            split = _LETTERS_THEN_DIGITS.fullmatch(word)
            if split and word not in self._weights and all(part in self._weights for part in split.groups()):
                words.extend(split.groups())
            elif (parts := self._split(word)) is not None:
                words.extend(parts)
                parts_of_one.update(parts)
            elif word not in STOPWORDS:
                words.append(word)
        return words, frozenset(parts_of_one)

    def _split(self, word: str) -> tuple[str, str] | None:
        """Two words of the list that `word` is, typed without the space; None when the list uses `word` itself
        or no such split exists."""
        if len(word) < 2 * MIN_SPLIT_PART or word in self._weights:
            return None
        for cut in range(MIN_SPLIT_PART, len(word) - MIN_SPLIT_PART + 1):
            head, tail = word[:cut], word[cut:]
            if head in self._weights and tail in self._weights and STOPWORDS.isdisjoint((head, tail)):
                return head, tail
        return None

    def _distinctive(self, words: list[str]) -> list[str]:
        """A long query (a paper's whole title, as a candidate post asks for its nearest entries) without the words
        that a good part of the list shares: "large language models" would otherwise outweigh "logit lens" by
        number alone. Short queries, and a long one that is little else, are left whole."""
        if len(set(words)) < COMMON_WORDS_FROM:
            return words
        ceiling = COMMON_SHARE * len(self._entries)
        kept = [w for w in words if w not in self._weights or len(self._weights[w][0]) <= ceiling]
        return kept if len(set(kept)) >= 2 else words

    def _expand(self, token: str, short_form: bool = True) -> tuple[tuple[str, float], ...]:
        """The index terms a query word stands for: itself, longer forms (prefix), and near spellings. A part of a
        word typed whole (`short_form` False) is no short form: "tune" in "finetune" is not the start of "tuned"."""
        found: dict[str, float] = {}
        for variant, factor in ((token, 1.0), (token + "s", 0.9), (token[:-1] if token.endswith("s") else "", 0.9),
                                *_y_plural(token), *((same, 1.0) for same in SAME_AS.get(token, ()))):
            if variant in self._weights:
                found.setdefault(variant, factor)
        if not found and len(token) >= 3:  # not a word the list uses: a misspelling of one?
            cutoff = 80 if len(token) >= 5 else 90
            near = {term: score for term, score, _ in
                    process.extract(token, self._vocabulary, scorer=fuzz.ratio, limit=4, score_cutoff=cutoff)}
            for term in swaps(token):  # two letters swapped: one edit, where Indel counts two
                if term in self._weights and (score := swap_score(token, term)) >= cutoff:
                    near[term] = score
            for term, score in sorted(near.items(), key=lambda pair: -pair[1])[:4]:
                found.setdefault(term, 0.6 * score / 100)
        if short_form and (SHORT_FORM.start <= len(token) < SHORT_FORM.stop or (len(token) >= 3 and not found)):
            # A short form of longer words: "interp" is interpretability, interpreting...; "mech", mechanistic.
            start = bisect.bisect_left(self._vocabulary, token)
            for term in self._vocabulary[start:start + 8]:
                if not term.startswith(token):
                    break
                found.setdefault(term, 0.7)
        return tuple(found.items())

    def by_link(self, query: str) -> list[Entry]:
        """The entries one of whose links (or DOI) the query names in any spelling; [] when it names none."""
        keys = query_keys(clean_query(query))
        if not keys:
            return []
        if self._links is None:
            with self._links_lock:
                if self._links is None:
                    self._links = _link_index(self._entries)
        docs = {doc for key in keys for doc in positions(self._links.get(_link_key(key), ()))}
        return [self._entries[doc] for doc in sorted(docs)]

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        linked = self.by_link(query)
        if linked:  # "2303.08112", "https://arxiv.org/pdf/2303.08112v2": the paper itself, nothing else
            return [SearchHit(entry, 100.0) for entry in linked[:limit]]
        if names_a_link(query):  # a link no entry has: "arxiv", "abs" and "org" would find every arXiv entry
            return []
        words, parts = self._query_words(query)
        if not words:
            return []
        final = self._scored(self._distinctive(words), parts)
        if (apart := self._query_words(query, join=False))[0] != words:
            # "transformer lens" is TransformerLens first, and still the lenses on transformers after it
            for doc, score in self._scored(self._distinctive(apart[0]), apart[1]).items():
                final[doc] = max(final.get(doc, 0.0), score)
        best = heapq.nlargest(limit, final.items(), key=itemgetter(1))
        best.sort(key=lambda pair: (-round(pair[1], 4), self._titles[pair[0]]))
        return [SearchHit(self._entries[doc], round(score, 4)) for doc, score in best]

    def _scored(self, words: list[str], parts: frozenset[str] = frozenset()) -> dict[int, float]:
        """Each entry's score for these words (BM25F, typo-tolerant; `parts`, of a word typed whole, as they are),
        with the boosts for the whole phrase in a title, a must-read, and an acronym typed."""
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, int] = defaultdict(int)
        for word in dict.fromkeys(words):
            hit_docs: set[int] = set()
            for term, factor in self.expand(word, word not in parts):
                docs, weights = self._weights[term]
                for doc, weight in zip(docs, weights, strict=True):
                    scores[doc] += factor * weight
                hit_docs.update(docs)
            for doc in hit_docs:
                matched[doc] += 1
        phrase = " ".join(words)
        distinct = len(set(words))
        # Entries matching every word beat ones matching a single word often.
        final = {doc: score * (0.5 + 0.5 * matched[doc] / distinct) for doc, score in scores.items()}
        for doc, count in matched.items():
            if count == distinct and phrase in self._titles[doc]:
                final[doc] *= 1.5
        for doc in self._starred_docs & final.keys():
            final[doc] *= 1.05
        # "IOI" names the IOI paper: an entry whose acronym was typed ranks above every entry that only shares
        # words or a topic alias with the query; not above one that holds more of the words typed, as a whole
        # title does, even mistyped: "All Roads Lead to Rome? Exploring the Invariance ..." is that paper, not ROME.
        named = {doc for word in words for doc in self._acronym_docs.get(word, ()) if doc in final}
        for doc in named:
            above = max(score for other, score in final.items() if matched[other] <= matched[doc])
            final[doc] = max(2.0 * final[doc], above * 1.01 + final[doc] / 100)
        return final

    def alias_only(self, entry: Entry, query: str) -> tuple[str, str] | None:
        """(topic title, alias) when `entry` matched `query` only by an alias of its topic: no word of its own, nor
        of its topic's title, is one the query's words stand for ("othello" finds Linearity's papers, none of which
        says Othello). None otherwise."""
        terms = {term for words, parts in (self._query_words(query), self._query_words(query, join=False))
                 for word in words for term, _ in self.expand(word, word not in parts)}
        if any(terms.intersection(self._words(text)) for _, text in self._fields(entry)):
            return None
        best: tuple[int, str, str] | None = None
        for slug in entry.topics:
            topic = self._catalogue.topic(slug)
            if topic is None or terms.intersection(self._words(topic.title)):
                return None
            for alias in topic.aliases:
                shared = len(terms.intersection(self._words(alias)))
                if shared and (best is None or shared > best[0]):
                    best = (shared, topic.title, alias)
        return best[1:] if best else None

    def complete_titles(self, prefix: str, limit: int = 25) -> list[Entry]:
        q = fold(clean_query(prefix))
        if not q:
            return self._entries[:limit]
        starts = [e for e, t in zip(self._entries, self._titles, strict=True) if t.startswith(q)]
        rest = [hit.entry for hit in self.search(prefix, limit=limit) if hit.entry not in starts]
        return (starts + rest)[:limit]


def _y_plural(token: str) -> tuple[tuple[str, float], ...]:
    """"memory" finds "memories" and "studies" finds "study" (a plain -s does not say so)."""
    if len(token) > 4 and token.endswith("ies"):
        return ((token[:-3] + "y", 0.9),)
    if len(token) > 2 and token.endswith("y") and token[-2] not in "aeiou":
        return ((token[:-1] + "ies", 0.9),)
    return ()


def _link_key(key: Key) -> str:
    """A link key as one string: "arxiv 2303.08112" (a kind has no space). A tuple of two strings cost 56 bytes more
    a key, and a 10,000-entry list has twice as many keys."""
    return f"{key[0]} {key[1]}"


# An entry's position, or the positions of several entries (rare): a bare int where a one-element list cost 88 bytes
# a key, in the lookup indexes a 10,000-entry list holds for the bot's life (benchmarks/footprint.py).
Positions = int | tuple[int, ...]


def positions(value: Positions) -> tuple[int, ...]:
    return (value,) if isinstance(value, int) else value


def with_position(known: Positions | None, doc: int) -> Positions:
    """`known` with `doc` added once (a name an entry has twice still names it once)."""
    if known is None:
        return doc
    held = positions(known)
    return known if doc in held else (*held, doc)


# The address of an arXiv paper's own page (abs, pdf, html, format): "url arxiv.org/abs/2303.08112v2".
_ARXIV_PAGE = re.compile(r"url arxiv\.org/(?:abs|pdf|html|format)/[^?]+")


def _link_index(entries: list[Entry]) -> dict[str, Positions]:
    """Link key -> the entry that has it, or the entries when several do (rare).

    An arXiv page's address is left out: it names the paper by its id in its path, so every query with that
    address has the id's key too (identifiers.link_keys), which the entry has. At 10,000 entries linking arXiv,
    a million bytes of keys that found nothing the ids did not."""
    index: dict[str, Positions] = {}
    for doc, entry in enumerate(entries):
        keys = entry_keys(entry)
        for key in keys:
            name = _link_key(key)
            if _ARXIV_PAGE.fullmatch(name) and ("arxiv", arxiv_id(key[1])) in keys:
                continue
            index[name] = with_position(index.get(name), doc)
    return index


class CatalogueIndex:
    """A catalogue with its indexes: what every lookup needs, rebuilt together when the list changes.

    Only topic resolution is built at once; the full-text index, the paper finder and the topics' neighbours are
    built on first use: a one-shot `interp-bot topic` never needs the first two, and at 10,000 entries the
    full-text index is most of the start-up time.
    """

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self.topics = TopicIndex(catalogue)
        self._search: SearchIndex | None = None
        self._finder: EntryFinder | None = None
        self._neighbours: Neighbours | None = None
        self._lock = threading.RLock()  # the finder's build asks for the search index inside its own

    @classmethod
    def build(cls, catalogue: Catalogue) -> CatalogueIndex:
        return cls(catalogue)

    def _once(self, attribute: str, build: Callable[[], T]) -> T:
        """The index part kept in `attribute`, built by the first caller (adapters look things up from worker
        threads: the others wait for it rather than build it again)."""
        value = getattr(self, attribute)
        if value is None:
            with self._lock:
                value = getattr(self, attribute)
                if value is None:
                    value = build()
                    setattr(self, attribute, value)
        return value

    @property
    def search(self) -> SearchIndex:
        return self._once("_search", lambda: SearchIndex(self.catalogue))

    @property
    def finder(self) -> EntryFinder:
        """`paper QUERY`: one entry by id, link, acronym or title, or the closest ones."""
        from bot.catalogue.find import EntryFinder  # it builds on this module's search

        return self._once("_finder", lambda: EntryFinder(self.catalogue, self.search))

    @property
    def neighbours(self) -> Neighbours:
        """What a topic answer points to elsewhere in the list: related sections, matching entries."""
        from bot.catalogue.related import Neighbours  # it builds on this module's search

        return self._once("_neighbours", lambda: Neighbours(self))
