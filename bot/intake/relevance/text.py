"""Words of a title or abstract: folded, lightly stemmed, the same for the scorer, its training and the topics.

The model file was trained on exactly these words (`bot.intake.relevance.train` hands `features.parse` to
scikit-learn as its analyzer), so changing anything here changes what every shipped weight means: retrain after.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

# Function words carry no topic. The list is part of the model: the trained vocabulary never holds these.
_STOPWORDS_TEXT = """a an the of in on for to and or with by from as at via into is are be been being its it
    this that these those we our us do does did can could should would will not no than then their there what
    when where which
    who whom why how all any each other some such only own same so too very just over under again further once
    between about against during before after above below up down out off both more most few also while however
    has have had here they them using use used based"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

# Every ASCII character but [a-z0-9] becomes a space: on lower-cased ASCII text, `translate` with this table and
# `split()` give the same words as a `[a-z0-9]+` search, several times faster.
_ASCII_NON_WORD = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum() or chr(c).isupper()})
_WORD = re.compile(r"[a-z0-9]+")
_CACHE_MAX = 32_768  # distinct words a per-word cache remembers before it starts afresh (a bot meets new words forever)

V = TypeVar("V")


class PerWord(dict[str, V], Generic[V]):
    """word -> compute(word), computed the first time a word is asked for (and forgotten in bulk when full)."""

    def __init__(self, compute: Callable[[str], V]):
        super().__init__()
        self._compute = compute

    def __missing__(self, word: str) -> V:
        value = self._compute(word)
        if len(self) >= _CACHE_MAX:
            self.clear()
        self[word] = value
        return value


def stem(word: str) -> str:
    """Plurals and possessives only: 'heads' -> 'head', 'autoencoders' -> 'autoencoder', 'studies' -> 'study'.

    Heavier stemmers conflate field terms ('probing'/'probe', 'interpretability'/'interpretation') the model
    wants to tell apart, and cost time on every paper.
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


_STEMS = PerWord(stem)  # a poll meets the same few thousand words over and over


def words(text: str) -> list[str]:
    """Lower-cased, accent-folded, stemmed words; every character but a letter or digit separates words."""
    if text.isascii():
        raw = text.lower().translate(_ASCII_NON_WORD).split()
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        decomposed = "".join(c for c in decomposed if not unicodedata.combining(c))
        raw = _WORD.findall(decomposed.lower())
    stems = _STEMS
    return [stems[w] for w in raw]


def _is_content(word: str) -> bool:
    return word not in STOPWORDS and not word.isdigit() and len(word) > 1


_CONTENT = PerWord(_is_content)


def content_words(seq: Sequence[str]) -> list[str]:
    """The words that can say what a text is about: no stopwords, numbers or single characters."""
    return [w for w in seq if _CONTENT[w]]


def clear_caches() -> None:
    """Forget every remembered word (the benchmark's cold runs)."""
    _STEMS.clear()
    _CONTENT.clear()
