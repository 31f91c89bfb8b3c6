"""How close a typed word is to a word of the list, for the lookups' typo tolerance (topic_index, find, search).

rapidfuzz's `fuzz.ratio` is an Indel similarity: a letter dropped or added is one edit, and two adjacent letters
swapped are two (one deleted, one inserted). On a long word that costs little, but on a short one a swap falls under
every threshold a dropped letter passes: "roem" is 75 from "rome", "rme" 86. Here a swap is one edit, in words of
MIN_SWAP letters or more. (rapidfuzz's OSA and Damerau-Levenshtein count a swap once, but a changed letter once too,
where Indel counts two: they would loosen every threshold at once.) Not in `bot.catalogue.text`, which nearly
everything imports: rapidfuzz takes ~17 ms to import.
"""

from __future__ import annotations

from collections.abc import Iterator

from rapidfuzz.distance import Indel

# Shorter words get no credit for a swap: at three letters one of a name's two swaps is often a word or an acronym
# as readers mean it. Of the relevance corpus' 18,749 words (up to 8 letters), 4 letters let 2 be read as a topic's
# name ("seas" as "saes"), 3 letters 10 ("sea" as "sae", "oct" as "cot", "ads" as "das", "cil" as "icl"), for 32
# more swapped names recognised (benchmarks/README.md, "Reader answers").
MIN_SWAP = 4


def swaps(word: str) -> Iterator[str]:
    """`word` with two adjacent, different characters swapped, each way it can be (none under MIN_SWAP letters):
    the spellings a reader's slip makes of it, and so the words of the list the reader may have meant by it."""
    if len(word) < MIN_SWAP:
        return
    for i in range(len(word) - 1):
        if word[i] != word[i + 1]:
            yield word[:i] + word[i + 1] + word[i] + word[i + 2:]


def swapped(typed: str, word: str) -> bool:
    """Is `typed` `word` with two adjacent characters swapped, and nothing else (MIN_SWAP letters or more)?"""
    if len(typed) != len(word) or len(word) < MIN_SWAP:
        return False
    i = next((i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b), len(word))
    return (i + 1 < len(word) and typed[i] == word[i + 1] and typed[i + 1] == word[i]
            and typed[i + 2:] == word[i + 2:])


def swap_score(typed: str, word: str) -> float:
    """What `typo_ratio` gives a swap: the Indel ratio of one edit, as if a letter had been dropped."""
    return 100 * (1 - 1 / (len(typed) + len(word)))


def typo_ratio(typed: str, word: str) -> float:
    """`fuzz.ratio` (0-100, 100 × (1 - Indel edits / both lengths)), except that two adjacent letters swapped are
    one edit, not two: "roem" is 87.5 from "rome", not 75 ("rom", one letter dropped, is 86)."""
    if not (total := len(typed) + len(word)):
        return 100.0
    edits = Indel.distance(typed, word)
    if edits == 2 and swapped(typed, word):  # a swap is two Indel edits: only then is it worth looking for one
        edits = 1
    return 100 * (1 - edits / total)
