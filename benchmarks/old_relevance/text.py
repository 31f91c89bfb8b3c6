"""Text features for the relevance model: words, light stemming, n-grams and the field's lexicon.

Kept apart from the model so the lexicon can be read, tested and tuned on its own. Everything is pure Python
and deterministic: the same text always yields the same features, in the same order.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.catalogue.text import fold

# Function words carry no topic: dropping them lets "Probing for syntax" and "Probing syntax" share bigrams.
_STOPWORDS_TEXT = """a an the of in on for to and or with by from as at via into is are be been being
    its it this that these those
    we our us do does did can could should would will not no than then their there what when where which who whom
    why how all any each other some such only own same so too very just over under again further once between
    about against during before after above below up down out off both more most few"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

_DIGITS = re.compile(r"^\d+$")


def stem(word: str) -> str:
    """A deliberately tiny English stemmer: plurals only, so 'heads'/'head' and 'autoencoders'/'autoencoder' meet.

    Heavier stemmers conflate field terms ('probing'/'probe', 'interpretability'/'interpretation') that the
    lexicon wants to tell apart, and cost time on every paper.
    """
    if len(word) <= 3 or word.endswith(("ss", "us", "is", "ous")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


# Every ASCII character but [a-z0-9] becomes a space: on lower-cased ASCII text, `translate` with this table and
# `split()` give the same words as a `[^a-z0-9]+` substitution, several times faster.
_ASCII_NON_WORD = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum() or chr(c).isupper()})
_CHARS_PER_WORD = 12  # a prefix this many characters per wanted word nearly always holds them all (see `words`)
_CACHE_MAX = 1 << 17  # distinct words remembered by the per-word caches below before they start afresh


class _PerWord(dict):  # type: ignore[type-arg]
    """word -> compute(word), computed the first time a word is asked for (and forgotten in bulk when full)."""

    def __init__(self, compute: Callable[[str], Any]):
        super().__init__()
        self._compute = compute

    def __missing__(self, word: str) -> Any:
        value = self._compute(word)
        if len(self) >= _CACHE_MAX:
            self.clear()
        self[word] = value
        return value


_STEMS = _PerWord(stem)  # a poll meets the same few thousand words over and over


_WORD = re.compile(r"[a-z0-9]+")


def _split(text: str) -> list[str]:
    """`fold(text).split()`, without `fold`'s character-by-character loop."""
    if text.isascii():
        return text.lower().translate(_ASCII_NON_WORD).split()
    decomposed = unicodedata.normalize("NFKD", text)
    # fold drops the combining marks (accents) the decomposition split off: delete each distinct one at once.
    for mark in [c for c in set(decomposed) if unicodedata.combining(c)]:
        decomposed = decomposed.replace(mark, "")
    return _WORD.findall(decomposed.lower())


def words(text: str, limit: int | None = None) -> list[str]:
    """Folded, stemmed words with nothing dropped: the sequence the lexicon's phrases are matched on.

    `limit` keeps the first words only, and only a prefix of a long text is read to find them. ASCII text
    (nearly every title and abstract) skips the Unicode decomposition `fold` needs for accents; both paths give
    the same words.
    """
    if limit is not None and limit > 0 and len(text) > _CHARS_PER_WORD * limit:
        split = _split(text[: _CHARS_PER_WORD * limit])
        # More words than wanted: the last one may have been cut by the prefix, the first `limit` were not
        # (folding works character by character, so a prefix folds to a prefix of the whole text's words).
        if len(split) > limit:
            return list(map(_STEMS.__getitem__, split[:limit]))
    split = _split(text)
    if limit is not None:
        split = split[:limit]
    return list(map(_STEMS.__getitem__, split))


def _is_content(word: str) -> bool:
    return word not in STOPWORDS and not _DIGITS.match(word)


_CONTENT = _PerWord(_is_content)


def content_words(seq: Sequence[str]) -> list[str]:
    return list(filter(_CONTENT.__getitem__, seq))


def ngram_features(seq: Sequence[str]) -> list[str]:
    """Distinct unigrams and adjacent bigrams of content words, in first-seen order."""
    content = content_words(seq)
    feats = dict.fromkeys(content)
    if len(content) > 1:
        feats.update(dict.fromkeys(map(" ".join, itertools.pairwise(content))))
    return list(feats)


Feature = str | tuple[str, str]  # a content word, or two adjacent ones: what the relevance model keys its tables by


def feature_keys(seq: Sequence[str], canonical: dict[str, str]) -> dict[Feature, None]:
    """`ngram_features(seq)` as the model's tables key them, in the same order: a bigram is its pair of words
    rather than the joined string (words hold no spaces, so the two spellings correspond one to one), and each
    word is the one object `canonical` holds for it, so the tables built from many texts share their words.
    """
    content = [canonical.setdefault(w, w) for w in content_words(seq)]
    keys: dict[Feature, None] = dict.fromkeys(content)
    if len(content) > 1:
        keys.update(dict.fromkeys(itertools.pairwise(content)))
    return keys


# --------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    prefix: bool  # last word is a prefix ("interpretab*")
    weight: float
    group: str  # "strong" | "cued" | "against" | "cue"

    def matches_at(self, seq: Sequence[str], i: int) -> bool:
        n = len(self.words)
        if i + n > len(seq):
            return False
        for k in range(n - 1):
            if seq[i + k] != self.words[k]:
                return False
        last = seq[i + n - 1]
        return last.startswith(self.words[-1]) if self.prefix else last == self.words[-1]


@dataclass(frozen=True)
class LexiconHits:
    strong: float = 0.0
    cued: float = 0.0
    against: float = 0.0
    cue: bool = False
    terms: tuple[str, ...] = ()


def _phrase(text: str, weight: float, group: str) -> _Phrase:
    prefix = text.endswith("*")
    seq = words(text.rstrip("*"))
    if not seq:
        raise ValueError(f"empty lexicon phrase {text!r}")
    if prefix:
        # Stem everything but the prefix itself: "interpretab*" must not lose letters to the plural rule.
        seq[-1] = fold(text.rstrip("*")).split()[-1]
    return _Phrase(tuple(seq), prefix, float(weight), group)


class _PhraseIndex:
    """Phrases keyed by first word (longest first) plus one-word prefixes, for a left-to-right scan."""

    def __init__(self, phrases: Iterable[_Phrase]):
        by_first: dict[str, list[_Phrase]] = {}
        prefixes: list[_Phrase] = []
        for p in phrases:
            if p.prefix and len(p.words) == 1:
                prefixes.append(p)
            else:
                by_first.setdefault(p.words[0], []).append(p)
        # Longest phrase first; for equal length an exact word before a prefix.
        self._by_first = {k: tuple(sorted(v, key=lambda p: (-len(p.words), p.prefix))) for k, v in by_first.items()}
        # One-word prefixes bucketed by their first three letters (all prefixes have at least three), longest first:
        # an abstract has hundreds of words and each may only be tried against a handful of prefixes.
        buckets: dict[str, list[_Phrase]] = {}
        for p in sorted(prefixes, key=lambda p: (-len(p.words[0]), p.words[0])):
            if len(p.words[0]) < 3:
                raise ValueError(f"lexicon prefix {p.words[0]!r}* is shorter than three letters")
            buckets.setdefault(p.words[0][:3], []).append(p)
        self._prefixes = {k: tuple(v) for k, v in buckets.items()}
        # What the scan asks of each word, remembered per word: can a phrase start here, and which phrase
        # matches here when no multi-word phrase does (that answer depends on the word alone).
        self._starts = _PerWord(lambda w: w in self._by_first or w[:3] in self._prefixes)
        self._single = _PerWord(lambda w: self._match((w,), 0))
        # first word -> (second words of its multi-word phrases, second-word prefixes of its two-word prefix
        # phrases): a multi-word phrase can only match where the next word is one of these.
        seconds: dict[str, tuple[set[str], list[str]]] = {}
        for first, phrases in self._by_first.items():
            for p in phrases:
                if len(p.words) > 1:
                    exact, prefix = seconds.setdefault(first, (set(), []))
                    (prefix.append if len(p.words) == 2 and p.prefix else exact.add)(p.words[1])
        self._seconds = {k: (frozenset(e), tuple(p)) for k, (e, p) in seconds.items()}

    def candidates(self, seq: Sequence[str]) -> list[int]:
        """Positions where some phrase could start: a cheap filter so most words cost one dict lookup."""
        return list(itertools.compress(range(len(seq)), map(self._starts.__getitem__, seq)))

    def match_at(self, seq: Sequence[str], i: int) -> _Phrase | None:
        """The phrase matched at position i: the longest phrase starting there, else the best one-word reading."""
        word = seq[i]
        seconds = self._seconds.get(word)
        if seconds is not None and i + 1 < len(seq):
            following = seq[i + 1]
            if following in seconds[0] or following.startswith(seconds[1]):
                return self._match(seq, i)
        return self._single[word]  # no multi-word phrase can start here: the word alone decides

    def _match(self, seq: Sequence[str], i: int) -> _Phrase | None:
        best: _Phrase | None = None
        for p in self._by_first.get(seq[i], ()):
            if p.matches_at(seq, i):
                best = p
                break
        if best is not None and len(best.words) > 1:
            return best  # a multi-word phrase beats any one-word reading of its first word
        word = seq[i]
        for p in self._prefixes.get(word[:3], ()):
            if word.startswith(p.words[0]):
                # The longest matching prefix, unless an exact one-word entry is at least as specific.
                return p if best is None or len(p.words[0]) > len(best.words[0]) else best
        return best


@dataclass(frozen=True)
class Lexicon:
    """Weighted phrases of the field, matched longest first so nested phrases are counted once."""

    bias: float
    cue_absent_factor: float
    summary_weight: float
    summary_cap: float
    nb_weight: float
    nb_cap: float
    summary_nb_weight: float
    nb_alpha: float
    nb_feature_cap: float
    kinds: Mapping[str, tuple[tuple[str, ...], ...]]
    _terms: _PhraseIndex = field(repr=False)
    _cues: _PhraseIndex = field(repr=False)
    # kinds by the first word of their cues: (first word -> ((slug, cue), ...)), and slugs with an empty cue
    _kind_index: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]] = field(init=False, repr=False, compare=False)
    _kinds_always: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        always: set[str] = set()
        for slug, cues in self.kinds.items():
            for cue in cues:
                if cue:
                    index.setdefault(cue[0], []).append((slug, cue))
                else:
                    always.add(slug)  # an empty cue is found in any text
        object.__setattr__(self, "_kind_index", {k: tuple(v) for k, v in index.items()})
        object.__setattr__(self, "_kinds_always", frozenset(always))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Lexicon:
        terms: list[_Phrase] = []
        for group in ("strong", "cued", "against"):
            terms.extend(_phrase(t, w, group) for t, w in (data.get(group) or {}).items())
        kinds = {slug: tuple(tuple(words(c)) for c in cues) for slug, cues in (data.get("kinds") or {}).items()}
        return cls(
            bias=float(data["bias"]),
            cue_absent_factor=float(data["cue_absent_factor"]),
            summary_weight=float(data["summary_weight"]),
            summary_cap=float(data["summary_cap"]),
            nb_weight=float(data["nb_weight"]),
            nb_cap=float(data["nb_cap"]),
            summary_nb_weight=float(data["summary_nb_weight"]),
            nb_alpha=float(data["nb_alpha"]),
            nb_feature_cap=float(data["nb_feature_cap"]),
            kinds=kinds,
            _terms=_PhraseIndex(terms),
            _cues=_PhraseIndex(_phrase(t, 0.0, "cue") for t in data.get("cues", ())),
        )

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        with path.open(encoding="utf-8") as fh:
            return cls.from_mapping(yaml.safe_load(fh))

    def has_cue(self, seq: Sequence[str]) -> bool:
        """Does the text name a model (a language model, a transformer, GPT-2, ...)?"""
        match = self._cues.match_at
        return any(match(seq, i) is not None for i in self._cues.candidates(seq))

    def hits(self, seq: Sequence[str], *, find_cue: bool = True) -> LexiconHits:
        """Sum the weights of the distinct phrases found in a word sequence, by group.

        `find_cue=False` skips looking for a model cue (the result's `cue` is then False): for a caller that
        already found one elsewhere.
        """
        cue = find_cue and self.has_cue(seq)
        positions = self._terms.candidates(seq)
        if not positions:
            return LexiconHits(cue=cue) if cue else _NO_HITS
        seen: set[tuple[str, ...]] = set()
        totals = {"strong": 0.0, "cued": 0.0, "against": 0.0}
        terms: list[str] = []
        resume = 0  # phrases do not overlap: a match consumes its words
        match = self._terms.match_at
        for i in positions:
            if i < resume:
                continue
            p = match(seq, i)
            if p is None:
                continue
            resume = i + len(p.words)
            if p.words in seen:  # a word repeated in a title is no extra evidence
                continue
            seen.add(p.words)
            totals[p.group] += p.weight
            terms.append(" ".join(p.words) + ("*" if p.prefix else ""))
        return LexiconHits(totals["strong"], totals["cued"], totals["against"], cue, tuple(terms))

    def kind_of(self, seq: Sequence[str]) -> set[str]:
        """The non-research sections (survey, tutorial, ...) this text says it belongs to."""
        found = set(self._kinds_always)
        index = self._kind_index
        if index.keys().isdisjoint(seq):
            return found
        for i, word in enumerate(seq):
            for slug, cue in index.get(word, ()):
                if slug not in found and tuple(seq[i : i + len(cue)]) == cue:
                    found.add(slug)
        return found


_NO_HITS = LexiconHits()


def iter_nonblank(lines: Iterable[str]) -> Iterable[str]:
    """Lines of a packaged text file without comments and blank lines."""
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            yield line
