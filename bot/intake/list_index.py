"""Is this paper already on the list? The list's links and titles, indexed for a poll's papers (identity's keys)."""

from __future__ import annotations

import bisect
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from bot.intake.identity import Identified, normalise_title, paper_keys, specific_title, url_keys

if TYPE_CHECKING:
    from bot.catalogue.model import Catalogue


class ListIndex:
    """Answers "is this paper already on the list?" from the catalogue's links and titles.

    Kept small, since a list may have tens of thousands of entries: one string per entry for its title (the
    title's words in sorted order, what the fuzzy match compares), and the link keys. A paper whose normalised
    title has the same words as a listed title in the same order is that entry (the exact title match); in
    another order, the fuzzy match scores it 100 and finds the first entry with those words, as the
    `_by_words` table does without the scan.

    The fuzzy match scores only the listed titles that share words with the paper's (see `_candidates`), not
    every title on the list: a poll of 2,000 papers against 10,000 entries would otherwise score 20 million
    pairs. `benchmarks/list_match.py` checks that it finds exactly what scoring every title finds.
    """

    def __init__(self, keys: dict[str, str], titles: Iterable[tuple[str, str]]):
        """`keys`: arXiv and URL keys -> entry id; `titles`: (normalised title, entry id) in the list's order."""
        self._keys = keys
        # The entries whose arXiv ids are known (from their links, or learned): a paper with another arXiv id is
        # another paper, however alike the titles.
        # (Which ids they are is in `keys`: a set per entry would cost 2 MB at 10,000 entries.)
        self._with_arxiv_id: set[str] = {entry_id for key, entry_id in keys.items() if key.startswith("arxiv:")}
        self._sorted_titles: list[str] = []  # each listed title's words, sorted: what fuzz.ratio compares
        self._title_entries: list[str] = []  # in step
        self._by_words: dict[str, str] = {}  # sorted words -> the first entry with them (titles with a title key)
        # Where two listed titles have the same words in different orders (rare), the exact title decides.
        self._exact: dict[str, str] = {}
        self._ambiguous: set[str] = set()  # sorted words that more than one listed title has
        first_title: dict[str, str] = {}  # sorted words -> that first entry's normalised title, while building
        postings: dict[str, list[int]] = {}  # word key -> positions of the titles with it, while building
        for normalised, entry_id in titles:
            if not normalised:
                continue
            sorted_words = _sorted_words(normalised)
            position = len(self._sorted_titles)
            for key in {_word_key(word) for word in normalised.split()}:
                postings.setdefault(key, []).append(position)
            self._sorted_titles.append(sorted_words)
            self._title_entries.append(entry_id)
            if not specific_title(normalised):
                continue  # no title key: matched by the fuzzy scan alone
            first = first_title.setdefault(sorted_words, normalised)
            self._by_words.setdefault(sorted_words, entry_id)
            if first != normalised:
                self._ambiguous.add(sorted_words)
                self._exact.setdefault(first, self._by_words[sorted_words])
                self._exact.setdefault(normalised, entry_id)
        # Most words of a big list are in one title: a bare position. Else a tuple of positions, in the list's order:
        # a frozenset took four times the memory (3 MB at 10,000 entries, under every poll's peak:
        # benchmarks/footprint.py), and an array made an int object of each position it was read for.
        self._titles_with: dict[str, int | tuple[int, ...]] = {
            key: positions[0] if len(positions) == 1 else tuple(positions) for key, positions in postings.items()
        }

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue, learned: Mapping[str, str] | None = None) -> ListIndex:
        """`learned`: arXiv id -> entry id, for entries the list gives no arXiv link (see `learnable`)."""
        # The titles uncached: the list's own would only push the papers' out of the cache.
        keys: dict[str, str] = {}
        for entry in catalogue.entries:
            for link in entry.links:
                for key in url_keys(link.url):
                    keys.setdefault(key, entry.id)
            if entry.arxiv:
                keys.setdefault(f"arxiv:{entry.arxiv}", entry.id)
        listed = {entry.id for entry in catalogue.entries}
        for ident, entry_id in (learned or {}).items():
            if entry_id in listed:  # an entry removed from the list since takes its learned id with it
                keys.setdefault(f"arxiv:{ident}", entry_id)
        return cls(keys, ((normalise_title.__wrapped__(entry.title), entry.id) for entry in catalogue.entries))

    def __len__(self) -> int:
        return len(self._title_entries)

    def match(self, paper: Identified, *, fuzzy_threshold: float = 92.0,
              keys: Iterable[str] | None = None) -> str | None:
        """The id of the list entry this paper already is, or None. Exact keys first, then a fuzzy title match.

        `keys` are the paper's `paper_keys(paper)`, for a caller that has computed them already. Only a paper
        specific enough to have a title key is matched by title, and one whose title has a listed title's words
        matches that entry (fuzz.ratio 100), whatever `fuzzy_threshold`.
        """
        keys = paper_keys(paper) if keys is None else keys
        # arXiv ids are the surest evidence, then URLs, then titles.
        for prefix in ("arxiv:", "url:"):
            for key in sorted(k for k in keys if k.startswith(prefix)):
                if key in self._keys:
                    return self._keys[key]
        listed = self._by_title(keys, fuzzy_threshold)
        if listed is None:
            return None
        if listed in self._with_arxiv_id and any(k.startswith("arxiv:") for k in keys):
            return None  # the entry is another arXiv paper (its id would have matched above)
        return listed

    def learnable(self, arxiv_id: str, title: str) -> str | None:
        """The entry the arXiv paper `arxiv_id` certainly is by its title (the same words as one listed title, and
        no other), when the list knows no arXiv id for that entry: the id worth remembering for it, so that a
        linkpost citing the paper, titled otherwise, is recognised as listed too."""
        normalised = normalise_title(title)
        if not specific_title(normalised) or f"arxiv:{arxiv_id}" in self._keys:
            return None
        sorted_words = _sorted_words(normalised)
        listed = self._by_words.get(sorted_words)
        if listed is None or sorted_words in self._ambiguous:
            return None
        return None if listed in self._with_arxiv_id else listed

    def _by_title(self, keys: Iterable[str], fuzzy_threshold: float) -> str | None:
        # The title key (when the title is specific enough to have one) is "title:" + the normalised title.
        normalised = next((k[6:] for k in keys if k.startswith("title:")), None)
        if normalised is None or not self._title_entries:
            return None
        sorted_words = _sorted_words(normalised)
        listed = self._by_words.get(sorted_words)
        if listed is not None:
            return self._exact.get(normalised, listed)
        # In the list's order, so that of equally good titles the first wins, as in a scan of the whole list.
        positions = sorted(self._candidates(normalised))
        best = process.extractOne(sorted_words, [self._sorted_titles[i] for i in positions], scorer=fuzz.ratio,
                                  score_cutoff=fuzzy_threshold)
        return self._title_entries[positions[best[2]]] if best else None

    def _candidates(self, normalised: str) -> set[int]:
        """The listed titles worth scoring against this one: those with at least two of its four rarest words
        that are on the list at all (or its one such word).

        A title within fuzz.ratio 92 of the paper's differs from it by a few characters, so it keeps most of the
        paper's words intact: the rarest listed words single it out without the common ones ("language",
        "models") that half the list shares. A word of the paper's that no listed title has (its typo, "Towards")
        picks nothing and is passed over. Words are compared without a plural "s", the commonest variation.
        """
        titles_with = self._titles_with
        # The rarest first; ties broken by the word itself, so the same paper always picks the same candidates.
        listed = sorted((1 if isinstance(titles, int) else len(titles), key, titles)
                        for key in {_word_key(word) for word in normalised.split()}
                        if (titles := titles_with.get(key)) is not None)[:_RARE_WORDS]
        postings = [(titles,) if isinstance(titles, int) else titles for _, _, titles in listed]
        if len(postings) < 2:
            return set(postings[0]) if postings else set()
        # The titles with two of those words, each word's titles read once (no set of them is made)...
        seen: set[int] = set()
        twice: set[int] = set()
        for titles in postings[:-1]:
            twice.update(seen.intersection(titles))
            seen.update(titles)
        # ...but the last and longest: the few titles seen so far are looked up in it (its positions are in order).
        last = postings[-1]
        if len(last) <= _PROBE_FROM * len(seen):
            twice.update(seen.intersection(last))
        else:
            twice.update(title for title in seen if (i := bisect.bisect_left(last, title)) < len(last)
                         and last[i] == title)
        return twice


class ListIndexCache:
    """The list's index, built once per catalogue object (the service loads a new one when the list changes)
    rather than on every poll. Polls of several feeds run in threads at once: one builds, the others wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._catalogue: weakref.ref[Catalogue] | None = None
        self._index: ListIndex | None = None
        self._learned: dict[str, str] = {}

    def index(self, catalogue: Catalogue, learned: Mapping[str, str] | None = None) -> ListIndex:
        """The index of this catalogue with these learned arXiv ids (rebuilt when either changed)."""
        learned = dict(learned or {})
        with self._lock:
            if self._index is None or self._catalogue is None or self._catalogue() is not catalogue \
                    or learned != self._learned:
                self._index = None  # the old list's index goes before the new one is built
                self._index = ListIndex.from_catalogue(catalogue, learned)
                self._catalogue = weakref.ref(catalogue)
                self._learned = learned
            return self._index


# How many of a paper's rarest listed words pick the titles its fuzzy match scores (two of them in common). Four
# lose none of the matches a scan of the whole list finds (benchmarks/list_match.py); three lose some.
_RARE_WORDS = 4
# Looking a title up in a word's sorted titles (a bisection) costs about as much as reading this many of them.
_PROBE_FROM = 8


def _word_key(word: str) -> str:
    """A word as the candidate index keys it: "autoencoders" and "autoencoder" alike."""
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _sorted_words(normalised: str) -> str:
    """What rapidfuzz's token_sort_ratio compares: the words sorted, joined by single spaces."""
    return " ".join(sorted(normalised.split()))
