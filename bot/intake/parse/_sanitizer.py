"""feedparser's HTML sanitiser, made linear where a feed could make it quadratic.

`_HTMLSanitizer.parse_comment` looks for the end of a comment the standard parser found unclosed with the regular
expression ``--[^>]*>``, searched from the comment's start. Where no ``>`` follows, the search tries every ``--``
after it and scans to the end of the field from each: time quadratic in the field. One forum item whose content
ends in ``<!--`` and a few megabytes of ``-- `` (the fetcher's cap is 5 MB) held the one thread that processes
every feed for hours. The same answer, found in one pass: the match starts at the first ``--``, and ends at the
first ``>`` after it, if there is one (a later ``--`` has no ``>`` after it either). feedparser 6.0.x has no
such fix (its unclosed-comment search is unchanged upstream).
"""

from __future__ import annotations

from typing import Any

from feedparser import sanitizer

_Sanitizer = sanitizer._HTMLSanitizer


def _parse_comment(self: Any, i: int, report: int = 1) -> int:
    ret: int = super(_Sanitizer, self).parse_comment(i, report)
    if ret >= 0:
        return ret
    rawdata: str = self.rawdata
    # What re.compile(r'--[^>]*>').search(rawdata, i + 4) finds, without trying each "--" to the end.
    start = rawdata.find("--", i + 4)
    end = rawdata.find(">", start + 2) if start >= 0 else -1
    return end + 1 if end >= 0 else len(rawdata)  # unclosed: feedparser's own "deliberately fail to handle_data"


def install() -> None:
    """Replace the quadratic search (idempotent; called when the parser is imported)."""
    _Sanitizer.parse_comment = _parse_comment
