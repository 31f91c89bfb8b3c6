"""Bytes made safe for the XML parser: no DOCTYPE, and never an entity declaration."""

from __future__ import annotations

import re

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(rb"""^(<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")


def defuse(data: bytes) -> tuple[bytes, str]:
    """(bytes safe to parse, "") or (b"", why the document is refused).

    A DOCTYPE that declares entities is refused; any other DOCTYPE (RSS 0.91's external DTD reference) is
    removed so that no parser ever resolves it.
    """
    data = _as_ascii_compatible(data)
    start = _DOCTYPE.search(data)
    if start is None:
        return data, ""
    if _ENTITY.search(data):
        return b"", "refused: the document declares XML entities (a DOCTYPE with <!ENTITY>), which are never expanded"
    end = _doctype_end(data, start.start())
    if end is None:
        return b"", "refused: unterminated DOCTYPE declaration"
    return data[: start.start()] + data[end:], ""


def _doctype_end(data: bytes, start: int) -> int | None:
    """Index just past the DOCTYPE that starts at ``start``, internal subset (``[...]``) included."""
    in_subset = False
    quote: int | None = None
    for index in range(start + 2, len(data)):
        byte = data[index]
        if quote is not None:
            if byte == quote:
                quote = None
        elif byte in b"\"'":
            quote = byte
        elif byte == ord("["):
            in_subset = True
        elif byte == ord("]"):
            in_subset = False
        elif byte == ord(">") and not in_subset:
            return index + 1
    return None


def _as_ascii_compatible(data: bytes) -> bytes:
    """UTF-16/32 documents re-encoded as UTF-8, so the byte-level checks above see their markup.

    Every other encoding a feed may declare is ASCII-compatible, so ``<!DOCTYPE`` is found as bytes.
    """
    for bom, codec in (
        (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
    ):
        if data.startswith(bom):
            return _reencode(data[len(bom):], codec)
    for marker, codec in (
        (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
        (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"),
    ):
        if data.startswith(marker):
            return _reencode(data, codec)
    return data


def _reencode(data: bytes, codec: str) -> bytes:
    utf8 = data.decode(codec, errors="replace").encode("utf-8")
    return _XML_DECL_ENCODING.sub(rb"\1\2utf-8\2", utf8, count=1)
