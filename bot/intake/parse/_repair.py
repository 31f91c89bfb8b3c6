"""Flaws in a feed's bytes that cost the whole feed, mended before it is parsed.

A feed that feedparser cannot read costs every item in it, on every poll, until the bad item leaves the feed. Two
such flaws were found by mutating the real fixtures (each raised out of ``feedparser.parse``):

* a numeric character reference to no XML character (``&#x110000;``, ``&#99999999999999999999;``, a surrogate
  such as ``&#xD800;``): the strict parser refuses it, and the loose parser it falls back to calls ``chr()`` on it,
  or hands on a lone surrogate that no UTF-8 text can hold;
* non-ASCII whitespace in a namespace URI (``xmlns:x="urn:a\u00a0b"``): ``xml.sax`` joins the URI and the name
  with a space, and feedparser's split of that into two parts fails.

A third costs the feed in the store: a raw NUL character, no XML character either, which the loose parser keeps.
In a guid or a link it became part of a key, and PostgreSQL, whose text cannot hold NUL, refused the feed's
items on every poll (SQLite stored them). It is removed, as ``&#0;`` is.

The input is the UTF-8 that ``defuse`` hands on. A document without any of them comes back as the same object, so
a clean body is not copied (issue 16: a 2,000-entry body is ~4.6 MB).
"""

from __future__ import annotations

import re
from urllib.parse import quote

_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_NAMESPACE = re.compile(rb"""(\sxmlns(?::[\w.\-]+)?\s*=\s*)("[^"<]*"|'[^'<]*')""")
_REPLACEMENT_REF = b"&#xFFFD;"


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


def mend(data: bytes) -> bytes:
    """`data` with bad character references and namespace whitespace mended, and NUL characters removed; `data`
    itself when it has none of them."""
    if b"\x00" in data:  # (UTF-8: no other character has a 0 byte)
        data = data.replace(b"\x00", b"")
    if any(_mend_charref(found) != found.group(0) for found in _CHARREF.finditer(data)):
        data = _CHARREF.sub(_mend_charref, data)
    if any(_mend_namespace(found) != found.group(0) for found in _NAMESPACE.finditer(data)):
        data = _NAMESPACE.sub(_mend_namespace, data)
    return data
