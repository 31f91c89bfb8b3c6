"""Flaws in a feed's bytes that make feedparser raise, or take minutes, instead of reporting a malformed feed,
mended first.

A feed that feedparser cannot read costs every item in it, on every poll, until the bad item leaves the feed. Two
such flaws were found by mutating the real fixtures (each raised out of ``feedparser.parse``):

* a numeric character reference to no XML character (``&#x110000;``, ``&#99999999999999999999;``, a surrogate
  such as ``&#xD800;``): the strict parser refuses it, and the loose parser it falls back to calls ``chr()`` on it,
  or hands on a lone surrogate that no UTF-8 text can hold;
* non-ASCII whitespace in a namespace URI (``xmlns:x="urn:a\u00a0b"``): ``xml.sax`` joins the URI and the name
  with a space, and feedparser's split of that into two parts fails.

And one that makes it slow: feedparser looks for an e-mail address in every author with a regular expression that
takes time quadratic in the longest run of letters, digits and ``_.+-`` in it (a 200,000-character name: four
minutes, with every feed after it waiting for the one thread that processes them). Such runs in an author, publisher
or editor element are cut to a name's length (what is kept of a name is cut there anyway).

The input is the UTF-8 that ``defuse`` hands on. A document without any of these flaws comes back as the same object,
so a clean body is not copied (issue 16: a 2,000-entry body is ~4.6 MB).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from bot.intake.parse._paper import MAX_AUTHOR_CHARS

_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_NAMESPACE = re.compile(rb"""(\sxmlns(?::[\w.\-]+)?\s*=\s*)("[^"<]*"|'[^'<]*')""")
_REPLACEMENT_REF = b"&#xFFFD;"
# The elements feedparser reads an author's e-mail address from (RSS, Dublin Core, iTunes), with any prefix.
_AUTHOR_OPENING = re.compile(
    rb"<((?:[A-Za-z_][\w.-]*:)?(?:author|creator|publisher|webmaster|managingeditor|owner))(?=[\s/>])[^<>]*>",
    re.IGNORECASE)
# What that regular expression's local part and domain are made of, in a run longer than a name is kept.
_LONG_RUN = re.compile(rb"[A-Za-z0-9_.+\-]{%d,}" % (MAX_AUTHOR_CHARS + 1))


def _is_xml_char(code: int) -> bool:
    """XML 1.0's Char production."""
    return (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def _mend_charref(found: re.Match[bytes]) -> bytes:
    digits = (found.group(1) or found.group(2)).lstrip(b"0") or b"0"  # "&#0000000065;" is a valid "A"
    if len(digits) > 8:
        return _REPLACEMENT_REF  # far beyond U+10FFFF, and too long for the loose parser's int
    code = int(digits, 16) if found.group(1) else int(digits)
    if _is_xml_char(code):
        return found.group(0)
    # A control character would be stripped from the field anyway; anything else shows that something was there.
    return b"" if code < 0x20 else _REPLACEMENT_REF


def _mend_namespace(found: re.Match[bytes]) -> bytes:
    value = found.group(2).decode("utf-8", "replace")
    mended = "".join(quote(c) if c.isspace() and c != " " else c for c in value)
    return found.group(1) + mended.encode("utf-8")


def _cut_author_runs(data: bytes) -> bytes:
    """`data` with every over-long run in an author-like element (from its opening tag to its closing one, or to the
    end when it is never closed) cut to a name's length; `data` itself when there is none. Linear in `data`: each
    part of it is looked at from one opening tag."""
    spans: list[tuple[int, int]] = []  # the elements' contents with a run to cut
    position = 0
    for opening in _AUTHOR_OPENING.finditer(data):
        if opening.start() < position or opening.group(0).endswith(b"/>"):
            continue  # inside the element before (looked at already), or an empty one
        closing = re.compile(b"</" + re.escape(opening.group(1)) + rb"\s*>", re.IGNORECASE).search(data, opening.end())
        if closing is not None:
            position = closing.start()
        else:  # never closed: its text alone (CDATA or not), not the rest of the document
            text_at = opening.end() + (9 if data.startswith(b"<![CDATA[", opening.end()) else 0)
            position = next_tag if (next_tag := data.find(b"<", text_at)) >= 0 else len(data)
        if _LONG_RUN.search(data, opening.end(), position):
            spans.append((opening.end(), position))
    if not spans:
        return data
    kept: list[bytes] = []
    done = 0
    for start, end in spans:
        kept += [data[done:start], _LONG_RUN.sub(lambda run: run.group(0)[:MAX_AUTHOR_CHARS], data[start:end])]
        done = end
    return b"".join(kept) + data[done:]


def mend(data: bytes) -> bytes:
    """`data` with bad character references, namespace whitespace and over-long runs in authors mended; `data`
    itself when it has none of them."""
    if any(_mend_charref(found) != found.group(0) for found in _CHARREF.finditer(data)):
        data = _CHARREF.sub(_mend_charref, data)
    if any(_mend_namespace(found) != found.group(0) for found in _NAMESPACE.finditer(data)):
        data = _NAMESPACE.sub(_mend_namespace, data)
    return _cut_author_runs(data)
