"""One entry for `paper QUERY`: the paper asked for, or clearly none.

An answer is the entry only when the query names it: its id, any spelling of one of its links (arXiv id, URL, DOI,
OpenReview or ACL Anthology id), its acronym, its title (typos forgiven), or words that stand in its title and in no
other, as a phrase of it (short, or its first words). Anything looser ("toy models of superposition", which is not
on the list, against "A Toy Model of Universality", which is; "Is Attention Interpretable?", another paper, against
"... Interpretable Attention Heads ...") is not an answer but the closest entries, for the reader to judge.
"""

from __future__ import annotations

import itertools
import re
from array import array
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

from bot.catalogue.identifiers import arxiv_id, names_a_link
from bot.catalogue.model import Catalogue, Entry
from bot.catalogue.search import STOPWORDS, Positions, SearchIndex, positions, with_position
from bot.catalogue.text import clean_query, fold
from bot.catalogue.typos import swap_score, swaps, typo_ratio

How = Literal["id", "link", "acronym", "title", "title words", "typo", "several", "unlinked", "none"]
CLOSEST = 5
TYPO_AT = 90  # token_sort_ratio of a whole title, with a margin over the next title
WORD_TYPO_AT = 80  # ...and every word typed (but "a", "of"...) at least this close to one of the title's words
MIN_TITLE_WORD = 4  # the longest word of a query that names a paper by its title words has this many letters
# A phrase of this many words (but "a", "of"...) from inside a title, not its start, reads as another paper's title:
# "Open Problems in Mechanistic Interpretability" (2501.16496) is not "Concrete Open Problems in ...".
LONG_PHRASE = 4
# A reference's tail: "(Nanda et al., 2023)", "[ICLR 2023]", "(2023)", ", NeurIPS 2022", " 2023",
# "arXiv:2202.05262".
_CITATION = re.compile(r"\s*(?:[(\[][^()\[\]]*\b(?:19|20)\d\d[a-z]?\s*[)\]]|,[^,]*\b(?:19|20)\d\d[a-z]?"
                       r"|\s(?:19|20)\d\d[a-z]?|,?\s*arxiv\s*:\s*\S+)[\s.]*$", re.IGNORECASE)
# A bare year is that tail only for a title without a year of its own: after "Circuits Updates - July 2024" on the
# list, "Circuits Updates - July 2023" names another paper.
_BARE_YEAR = re.compile(r"\s*(?:19|20)\d\d[a-z]?[\s.]*")
_YEAR = re.compile(r"\b(?:19|20)\d\d[a-z]?\b")
# ...and its head: "Meng et al., ", "Meng et al. (2022). ", "Elhage et al. 2021: ".
_CITED_AUTHORS = re.compile(r"^[^,.:]{1,60}\bet al\.?\s*(?:\(?(?:19|20)\d\d[a-z]?\)?)?\s*[,.:]\s*", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")  # in a title: "Llama 2", "GPT-4", "Claude 3 Sonnet"
# The parts of a whole reference or a browser tab's title, one of which may be the title: sentences ("Meng, K., Bau,
# D. (2022). Title. Venue, 35."), the site after " | " or " - " ("Title | OpenReview", "Title - ACL Anthology"),
# arXiv's "[2301.05217] " before it; and first, a quoted title (IEEE: 'K. Meng, ..., "Title," in NeurIPS, 2022').
_PARTS = re.compile(r"\.\s+|\s+[|\u2013\u2014-]\s+|^\s*\[[^\]]*\]\s*")
_QUOTED = re.compile(r"[\"\u201c]([^\"\u201c\u201d]{8,}?)[,.]?[\"\u201d]")
SHORT_NAME = 4  # words: a title shorter than this is a name (a person's, a venue's, a library's)
_TAB_ID = re.compile(r"^\s*\[([^\]\s]+)\]\s")  # arXiv's tab title: "[2301.05217] Progress measures for ..."
# A reader's "the ROME paper", "tuned lens paper": what names the paper is the rest.
_PAPER_WORDS = frozenset({"the", "paper", "papers"})
_NONE: array[int] = array("I")  # no title holds the word


@dataclass(frozen=True)
class EntryMatch:
    entry: Entry | None
    how: How
    closest: tuple[Entry, ...] = ()  # when there is no entry: the nearest ones (or every entry a link names)


def _word(token: str) -> str:
    """Singular-ish form, so "models" finds "Model" and "memory" finds "Memories"."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    return token[:-1] if len(token) > 3 and token.endswith("s") and not token.endswith("ss") else token


def _misspells(query: str, title: str) -> bool:
    """Could the folded `query` be the folded `title` mistyped? Each word typed must be a near spelling of one of
    the title's words: a whole-title ratio alone lets a long title carry a different word ("Steering Llama 3 via
    Contrastive Activation Addition", "Vision Language Models Represent Space and Time" are other papers)."""
    if not set(_NUMBER.findall(query)) <= set(_NUMBER.findall(title)):
        return False  # a number is no typo: "Steering Llama3 ..." is not "Steering Llama 2 ..."
    words = title.split()
    typed = query.split()
    # Two words written as one, or one as two, are the same words: "feedforward" for "Feed-Forward", "TunedLens"
    # for "Tuned Lens", "Transformer Lens" for "TransformerLens". Exactly so: "Llama 3" must not join into a near
    # spelling of "llama2".
    joined = {a + b for a, b in itertools.pairwise(words)}
    split = {i for pair in range(len(typed) - 1) if typed[pair] + typed[pair + 1] in words for i in (pair, pair + 1)}
    return all(i in split or word in joined or any(typo_ratio(word, near) >= WORD_TYPO_AT for near in words)
               for i, word in enumerate(typed) if word not in STOPWORDS)


def _words(text: str) -> set[str]:
    return {_word(token) for token in fold(text).split() if token not in STOPWORDS}


def _run(text: str) -> list[str]:
    """`_words` in their order, repeats kept: a title's phrases."""
    return [_word(token) for token in fold(text).split() if token not in STOPWORDS]


class EntryFinder:
    """Exact ways of naming an entry, built once per catalogue (on the first `paper` lookup)."""

    def __init__(self, catalogue: Catalogue, search: SearchIndex):
        self._catalogue = catalogue
        self._search = search
        self._entries = search.entries  # the same entries in the same order: one list, and one copy of the titles
        self._titles = search.titles  # folded
        # Folded title or acronym -> its entry, or the entries when several share it (rare): a bare position where a
        # one-element list cost 88 bytes an entry.
        self._by_name: dict[str, Positions] = {}
        self._acronyms: set[str] = set()
        # Word -> the titles holding it, in the list's order: 4 bytes a title in an array where a set of ints took
        # 3 MB at 10,000 entries (the bot's peak holds every lookup structure: benchmarks/footprint.py).
        self._title_words: dict[str, array[int]] = {}
        # Kept (1.2 MB at 10,000 entries): made at each lookup instead, they doubled the typo match's time.
        self._squashed = [title.replace(" ", "") for title in self._titles]  # for the typo match: see `_find_typo`
        # A reference is looked up whole, its parts, and again without its tail: one typo match per text (two passes
        # over every title, ~13 ms at 10,000 entries) serves them all, and the next reader asking the same. A few
        # hundred texts: a long-lived bot meets many distinct queries of up to a few hundred characters each.
        self.typo = lru_cache(maxsize=256)(self._find_typo)
        for doc, entry in enumerate(self._entries):
            self._name(self._titles[doc], doc)
            # "Chris Olah - Looking Inside Neural Networks ...": a talk is known by its title without the speaker
            # (a name of under SHORT_NAME words, which would name the person instead)
            for part in _PARTS.split(entry.title):
                if len((named := fold(part)).split()) >= SHORT_NAME and named != self._titles[doc]:
                    self._name(named, doc)
            if entry.acronym:
                self._name(fold(entry.acronym), doc)
                self._acronyms.add(fold(entry.acronym))
            for word in _words(entry.title) | _words(entry.acronym):
                if (docs := self._title_words.get(word)) is None:
                    docs = self._title_words[word] = array("I")
                docs.append(doc)

    def _name(self, name: str, doc: int) -> None:
        # Once: an acronym spelled as its own title names the entry, not "several"
        self._by_name[name] = with_position(self._by_name.get(name), doc)

    def _named(self, name: str) -> tuple[int, ...]:
        return positions(self._by_name.get(name, ()))

    def _holders(self, words: set[str]) -> set[int]:
        """The titles holding every one of `words` (none for no words)."""
        postings = sorted((self._title_words.get(word, _NONE) for word in words), key=len)
        if not postings:
            return set()
        holders = set(postings[0])
        for docs in postings[1:]:
            if not holders:
                break
            holders.intersection_update(docs)
        return holders

    def find(self, query: str) -> EntryMatch:
        q = clean_query(query)
        folded = fold(q)
        if not folded:
            return EntryMatch(None, "none")
        entry = self._catalogue.entry(q.strip().lower())
        if entry is not None:
            return EntryMatch(entry, "id")
        linked = self._search.by_link(q)
        if len(linked) == 1:
            return EntryMatch(linked[0], "link")
        if linked:  # two entries share that link (the list's two getting-started guides share one page)
            return EntryMatch(None, "several", tuple(linked))
        if (cited := arxiv_id(q)) and len(linked := self._search.by_link(f"arXiv:{cited}")) == 1:
            return EntryMatch(linked[0], "link")  # a reference with its id: "Locating and Editing ... arXiv:2202.05262"
        # "transformer lens" for TransformerLens: a name people split in two (one title word, once joined)
        named = self._named(folded) or self._named(folded.replace(" ", ""))
        if len(named) == 1:
            return EntryMatch(self._entries[named[0]], "acronym" if folded in self._acronyms else "title")
        if named:
            return EntryMatch(None, "several", tuple(self._entries[doc] for doc in named))
        if (typo := self.typo(folded)) is not None:
            return EntryMatch(self._entries[typo], "typo")
        if (tab := _TAB_ID.match(q)) and (cited := arxiv_id(tab.group(1))) and len(
                linked := self._search.by_link(f"arXiv:{cited}")) == 1:
            return EntryMatch(linked[0], "link")  # the id names it, whatever title the tab shows
        if (part := self._titled_part(q)) is not None:
            return EntryMatch(self._entries[part], "title")
        if {"paper", "papers"} & set(typed := folded.split()) and (
                rest := " ".join(word for word in typed if word not in _PAPER_WORDS)) and (
                named_rest := self.find(rest)).entry is not None:
            return named_rest
        uncited = _CITED_AUTHORS.sub("", _CITATION.sub("", q))
        if uncited != q and uncited and (titled := self.find(uncited)).entry is not None and not (
                (tail := _CITATION.search(q)) and _BARE_YEAR.fullmatch(tail.group(0))
                and _YEAR.search(titled.entry.title)):
            return titled  # a title pasted with its reference: "... interpretability (Nanda et al., 2023)"
        words = _words(q)
        holders = self._holders(words)
        if len(holders) == 1 and max(map(len, words)) >= MIN_TITLE_WORD and self._phrase_of(next(iter(holders)), q):
            # "tuned lens": words of one title and of no other; "n" or "of a" are too little to name a paper
            return EntryMatch(self._entries[holders.pop()], "title words")
        if 1 < len(holders) <= CLOSEST and all(folded in self._titles[doc] and self._phrase_of(doc, q)
                                               for doc in holders):
            # The words, as a phrase, of a few titles and no other ("Concrete Open Problems in Mechanistic
            # Interpretability", a talk's and a post's): on the list more than once, not missing; the reader picks.
            return EntryMatch(None, "several", tuple(self._entries[doc] for doc in sorted(holders)))
        if names_a_link(q):  # a link no entry has: the words of a URL or an id would only find noise
            return EntryMatch(None, "unlinked")
        # "roem": ROME's acronym with two letters swapped, too short to be called a typo of it (TYPO_AT), offered first
        swapped = [doc for name in swaps(folded) for doc in self._named(name)]
        return EntryMatch(None, "none", self.closest(q, holders, swapped))

    def _titled_part(self, query: str) -> int | None:
        """The entry whose title (or a misspelling of it) is one part of a reference or a tab's title, the parts
        read in order. Titles come before venues in every citation style: a part that could be a title (three words
        or more, no comma, as author lists have) and names no entry means the reference is to another paper, and
        what follows it, "Transformer Circuits Thread, 2022" say, is where that paper appeared, not the paper."""
        parts = [m.group(1) for m in _QUOTED.finditer(query)] + _PARTS.split(query)
        if len(parts) < 2:
            return None
        for part in parts:
            folded = fold(_CITATION.sub("", part))
            if not folded:
                continue
            named = self._named(folded)
            title_like = len(folded.split()) >= 3  # not an author ("Meng, K"), a year or a site name
            doc = named[0] if len(named) == 1 else self.typo(folded) if title_like else None
            if doc is not None and len(self._titles[doc].split()) >= SHORT_NAME:
                return doc
            # A person's, a venue's or a library's entry ("Neel Nanda", "Transformer Circuits Thread") named by a
            # part is an author or a venue of the reference, not what it cites: read on.
            if doc is None and title_like and "," not in part:
                return None
        return None

    def _find_typo(self, folded: str) -> int | None:
        """The one title the folded query misspells, clearly closer than any other: compared word by word in
        alphabetical order (words typed in another order), then as written without spaces. Sorting alone puts a
        joined word ("Autoregressive" for "Auto-Regressive", "Incontext") or a word whose first letters are
        mistyped ("Trhead") elsewhere among the title's words than its right spelling, and the score falls apart.
        Two letters swapped are one edit, not Indel's two: "Daivd Bau" is 94 from "David Bau", not 89."""
        for query, titles, scorer in ((folded, self._titles, fuzz.token_sort_ratio),
                                      (folded.replace(" ", ""), self._squashed, fuzz.ratio)):
            typo = process.extract(query, titles, scorer=scorer, limit=2, score_cutoff=TYPO_AT)
            if titles is self._titles:
                typo = self._with_swaps(folded, typo)
            if typo:  # the first way that finds any title decides: a near tie names neither
                doc = typo[0][2]
                clear = len(typo) == 1 or typo[0][1] - typo[1][1] >= 3
                # Not a misspelling but the title without its first words: another paper's title ("Open Problems
                # in Mechanistic Interpretability" against "Concrete Open Problems in ..."), as in `_phrase_of`.
                inner = (start := self._start_in(doc, _run(folded))) is not None and start > 0 and len(
                    _run(folded)) >= LONG_PHRASE
                return doc if clear and not inner and _misspells(folded, self._titles[doc]) else None
        return None

    def _with_swaps(self, folded: str, typo: list[tuple[str, float, int]]) -> list[tuple[str, float, int]]:
        """The best two of `typo` (the titles `process.extract` found) and of the titles that are `folded` with two
        letters swapped back, each scored as one edit, at TYPO_AT or more."""
        found = {doc: (title, score, doc) for title, score, doc in typo}
        for title in swaps(folded):
            for doc in self._named(title):
                if self._titles[doc] == title and (score := swap_score(folded, title)) >= TYPO_AT:
                    found[doc] = (title, score, doc)
        return sorted(found.values(), key=lambda hit: -hit[1])[:2]  # stable: extract's order among equals

    def _start_in(self, doc: int, typed: list[str]) -> int | None:
        """Where the words typed stand in the title as a phrase, in its order; None when they do not."""
        title = _run(self._entries[doc].title)  # one title's, when asked: kept for all, they held 6 MB at 10,000
        return next((i for i in range(len(title) - len(typed) + 1) if title[i:i + len(typed)] == typed), None)

    def _phrase_of(self, doc: int, query: str) -> bool:
        """Are the query's words (its acronym's aside) a phrase of the title, in the title's order, and either short
        or the title's first words? That is how readers shorten a title ("tuned lens", "IOI gpt-2 small"). The same
        words in another order or apart are how another paper's title differs from it: "Is Attention
        Interpretable?" (1906.03731) against "Successor Heads: Recurring, Interpretable Attention Heads ...",
        "Knowledge Editing on ..." against "Inspecting and Editing Knowledge Representations ..."."""
        acronym = _words(self._entries[doc].acronym)
        typed = [word for word in _run(query) if word not in acronym]
        start = self._start_in(doc, typed)
        return not typed or (start is not None and (start == 0 or len(typed) < LONG_PHRASE))

    def closest(self, query: str, holders: set[int], first: list[int]) -> tuple[Entry, ...]:
        """The entries `first` names, then those whose titles hold every word, then the best search hits."""
        ranked = [self._entries[doc] for doc in dict.fromkeys([*first, *sorted(holders)])]
        for hit in self._search.search(query, limit=CLOSEST):
            if hit.entry not in ranked:
                ranked.append(hit.entry)
        return tuple(ranked[:CLOSEST])
