"""Three places where feedparser's time is quadratic in what a feed sends, made linear.

Every feed is parsed on one thread, so one hostile item that takes minutes holds every other feed for as long
(its own poll fails at its deadline, but the parse goes on). feedparser 6.0.x has these three; none is fixed
upstream. They are replaced when the parser is imported (`install`).

* **An unclosed HTML comment.** `_HTMLSanitizer.parse_comment` looks for the end of a comment the standard parser
  found unclosed with ``--[^>]*>``, searched from the comment's start. Where no ``>`` follows, the search tries
  every ``--`` after it and scans to the end of the field from each. One forum item ending in ``<!--`` and 180 kB
  of ``-- `` took 9 s (at the fetcher's 5 MB cap: hours). The same answer in one pass: the match starts at the
  first ``--`` and ends at the first ``>`` after it, if there is one (a later ``--`` has no ``>`` after it either).
* **An endless word in an author.** `_sync_author_detail` looks for an e-mail address in an author's text with a
  pattern quadratic in the longest run of letters, digits and ``_.+-`` (a 200,000-letter name: four minutes;
  60,000 ``&#82;``, or letters split by empty CDATA sections or comments, are one such run in the text it reads).
  Runs longer than a name is kept (`MAX_AUTHOR_CHARS`) get a space every that many characters first, in the text
  feedparser itself reads; an address is far shorter, so no real one is split.
* **A long style attribute.** `_HTMLSanitizer.sanitize_style` searches a ``style`` for ``url(...)`` and for what is
  not a declaration from every position of a run neither ends (20,000 ``url(``: 16 s; one 20,000-letter word:
  3 s; at the cap, hours). The bot keeps an item's text, never its markup (`strip_html` drops every tag and
  attribute after feedparser), so no style is ever needed: the sanitiser drops them all, reading none.
"""

from __future__ import annotations

import re
from typing import Any

from feedparser import mixin, sanitizer

from bot.intake.parse._paper import MAX_AUTHOR_CHARS

_Sanitizer = sanitizer._HTMLSanitizer
_sync_author_detail = mixin._FeedParserMixin._sync_author_detail
_LONG_RUN = re.compile(rf"[A-Za-z0-9_.+\-]{{{MAX_AUTHOR_CHARS + 1},}}")


def _parse_comment(self: Any, i: int, report: int = 1) -> int:
    ret: int = super(_Sanitizer, self).parse_comment(i, report)
    if ret >= 0:
        return ret
    rawdata: str = self.rawdata
    # What re.compile(r'--[^>]*>').search(rawdata, i + 4) finds, without trying each "--" to the end.
    start = rawdata.find("--", i + 4)
    end = rawdata.find(">", start + 2) if start >= 0 else -1
    return end + 1 if end >= 0 else len(rawdata)  # unclosed: feedparser's own "deliberately fail to handle_data"


def _broken(run: re.Match[str]) -> str:
    word = run.group(0)
    return " ".join(word[at:at + MAX_AUTHOR_CHARS] for at in range(0, len(word), MAX_AUTHOR_CHARS))


def _sync_author_detail_bounded(self: Any, key: str = "author") -> None:
    context = self._get_context()
    author = context.get(key)
    if isinstance(author, str) and _LONG_RUN.search(author):
        context[key] = _LONG_RUN.sub(_broken, author)
    _sync_author_detail(self, key)


def _no_style(self: Any, style: str) -> str:
    return ""  # an attribute with an empty value is dropped by the sanitiser; the text is all the bot keeps


def install() -> None:
    """Replace all three (idempotent; called when the parser is imported)."""
    _Sanitizer.parse_comment = _parse_comment
    _Sanitizer.sanitize_style = _no_style
    mixin._FeedParserMixin._sync_author_detail = _sync_author_detail_bounded
