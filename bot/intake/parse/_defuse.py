"""Bytes made safe for the XML parser: decoded first, then checked, then handed on as UTF-8.

The check has to see the characters the parser will see. A byte-level search for ``<!DOCTYPE`` misses a document
declared as cp037 (EBCDIC) or UTF-7 (``+ADwAIQ-DOCTYPE``), so the document is decoded here, checked as text, and
re-encoded as UTF-8 with its declaration saying so: feedparser then parses exactly the text that was checked.
Markup is looked for outside CDATA sections and comments only, so an item whose CDATA merely *mentions*
``<!DOCTYPE`` is an ordinary item.

The exception is the common case, a document that is plainly UTF-8 already (`_plain_utf8`): there every ASCII
character is its own byte, so the same scan runs on the bytes, and the body is handed on as it came without a
decoded copy of it (issue 16). Whatever is less plain, or holds a DOCTYPE or an entity, takes the text path
(`defuse_text`), and tests/intake/test_defuse.py holds the two to the same answer.
"""

from __future__ import annotations

import codecs
import re

REFUSED_ENTITIES = "refused: the document declares XML entities (a DOCTYPE with <!ENTITY>), which are never expanded"

# "<!" opens every construct that matters here: CDATA and comments (skipped whole), DOCTYPE and ENTITY.
_MARKUP = re.compile(r"<!(?:(?P<cdata>\[CDATA\[)|(?P<comment>--)|(?P<doctype>DOCTYPE)|(?P<entity>ENTITY))",
                     re.IGNORECASE)
_MARKUP_BYTES = re.compile(_MARKUP.pattern.encode("ascii"), re.IGNORECASE)  # the same, in `_plain_utf8` bytes
_VALIDATE_PIECE = 1 << 16
_HEAD_BYTES = 4096
_TURKISH_I = re.compile(rb"\xc4[\xb0\xb1]")  # U+0130 and U+0131 in UTF-8
_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)
_DECLARATION = re.compile(r"""^(\ufeff?\s*<\?xml[^>]*?encoding\s*=\s*)(["'])([^"']*)\2""")
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")

# Byte order marks, then the first four bytes of "<?xm" in encodings that are not ASCII-compatible (XML 1.0,
# appendix F). The declaration inside is then read in that family.
_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))
_MARKERS = ((b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"), (b"\x00<\x00?", "utf-16-be"),
            (b"<\x00?\x00", "utf-16-le"), (b"\x4c\x6f\xa7\x94", "cp037"))


def defuse(data: bytes) -> tuple[bytes, str]:
    """(UTF-8 bytes safe to parse, "") or (b"", why the document is refused).

    A DOCTYPE that declares entities, or an entity declared anywhere, is refused; any other DOCTYPE (RSS 0.91's
    external DTD reference) is removed so that no parser ever resolves it.
    """
    if _plain_utf8(data) and _nothing_to_remove(data):
        return data, ""  # what `defuse_text` would hand back, without a decoded copy of the whole body
    return defuse_text(data)


def defuse_text(data: bytes) -> tuple[bytes, str]:
    """`defuse` done on the decoded text, whatever the document: what the bytes path must always agree with."""
    text = decode_document(data)
    kept: list[str] = []
    position = 0
    search_from = 0
    while (found := _MARKUP.search(text, search_from)) is not None:
        if found.group("cdata") or found.group("comment"):
            close = text.find("]]>" if found.group("cdata") else "-->", found.end())
            # Unterminated: the rest is scanned as markup, which can only refuse more, never less.
            search_from = found.end() if close < 0 else close + 3
            continue
        if found.group("entity"):
            return b"", REFUSED_ENTITIES
        end = _doctype_end(text, found.start())
        if end is None:
            return b"", "refused: unterminated DOCTYPE declaration"
        if _ENTITY.search(text, found.start(), end):
            return b"", REFUSED_ENTITIES
        kept.append(text[position:found.start()])
        position = search_from = end
    kept.append(text[position:])
    safe = _declare_utf8("".join(kept)).encode("utf-8")
    # Most feeds are UTF-8 already with nothing to remove: hand back the caller's bytes rather than an equal copy,
    # one body fewer held while feedparser builds its tree (issue 16: a 2,000-entry response is ~4.6 MB).
    return (data if safe == data else safe), ""


def _plain_utf8(data: bytes) -> bool:
    """True for the common document that `defuse_text` would read as UTF-8 and hand back unchanged unless it holds
    a DOCTYPE or an entity: no byte order mark, markup first, valid UTF-8 throughout, and an XML declaration that
    says UTF-8 (in any case) or says nothing. Then a search of the bytes sees what a search of the text would: in
    UTF-8 every byte below 0x80 is that ASCII character, and the markup looked for is ASCII.

    Validated piece by piece, so no decoded copy of the body (up to four times its size) is ever held: that copy
    was the largest thing alive in a 2,000-entry poll (issue 16). Anything less plain takes the text path."""
    if data.startswith(tuple(bom for bom, _ in _BOMS)) or data.startswith(tuple(mark for mark, _ in _MARKERS)):
        return False
    if not data.lstrip(b" \t\r\n").startswith(b"<"):
        return False
    # The text path's case-insensitive search also takes the dotted and dotless Turkish i for an "I"
    # ("<!ENTıTY"): such a document is left to it, to get the very same answer.
    if _TURKISH_I.search(data) is not None:
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _VALIDATE_PIECE):
            decoder.decode(view[start:start + _VALIDATE_PIECE])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return _declares_utf8_or_nothing(data)


def _declares_utf8_or_nothing(data: bytes) -> bool:
    """Whether `_declare_utf8` would leave this (valid UTF-8) document's text as it is, read on its head."""
    head = data[:_HEAD_BYTES].decode("utf-8", errors="ignore")  # a prefix of the text: only a cut character lost
    declared = _DECLARATION.match(head)
    if declared is not None:
        return declared.group(3).lower() == "utf-8" and declared.end() < len(head)
    # No declaration in the head: none in the text either if "encoding" is not before the first ">" (the
    # declaration's pattern cannot pass a ">" before its value).
    close = head.find(">")
    return close >= 0 and "encoding" not in head[:close]


def _nothing_to_remove(data: bytes) -> bool:
    """True when the text path would find no DOCTYPE and no entity: `defuse`'s scan, on the bytes. (XML's own
    keywords are case-sensitive ASCII; the text path's case-insensitive match may refuse more, never less.)"""
    search_from = 0
    while (found := _MARKUP_BYTES.search(data, search_from)) is not None:
        if not (found.group("cdata") or found.group("comment")):
            return False  # a DOCTYPE or an entity: the text path removes or refuses it
        close = data.find(b"]]>" if found.group("cdata") else b"-->", found.end())
        search_from = found.end() if close < 0 else close + 3
    return True


def decode_document(data: bytes) -> str:
    """The document's text, decoded as an XML parser would: BOM, then the declared encoding, then UTF-8, then
    Windows-1252 (feedparser's own fallbacks), each accepted only if the text then starts with markup."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace")
    family = next((codec for marker, codec in _MARKERS if data.startswith(marker)), None)
    head = data[:400].decode(family, errors="replace").encode("ascii", errors="replace") if family else data[:400]
    declared = _DECLARED.match(head)
    candidates = [declared.group(1).decode("ascii")] if declared else []
    candidates += [family] if family else ["utf-8", "cp1252"]
    for codec in candidates:
        try:
            if family is None and _not_ascii_compatible(codec):
                continue  # the bytes start "<?xml" in ASCII: a UTF-16 or EBCDIC declaration is a lie
            text = data.decode(codec)
        except (LookupError, UnicodeError):
            continue
        if text.lstrip("\ufeff \t\r\n").startswith("<") or not text.strip():
            return text
    return data.decode("latin-1")  # no encoding makes it markup: garbage, which the parser will say


def _not_ascii_compatible(codec: str) -> bool:
    try:
        return codecs.encode("<?xml", codec, errors="strict") != b"<?xml"
    except (LookupError, UnicodeError):
        return True


def _declare_utf8(text: str) -> str:
    declared = _DECLARATION.match(text)
    if declared is None or declared.group(3).lower() == "utf-8":
        return text  # "UTF-8" says the same: left as written, so an unchanged document is still the same bytes
    return _DECLARATION.sub(r"\1\2utf-8\2", text, count=1)


def _doctype_end(text: str, start: int) -> int | None:
    """Index just past the DOCTYPE that starts at ``start``, internal subset (``[...]``) included."""
    in_subset = False
    quote: str | None = None
    for index in range(start + 2, len(text)):
        char = text[index]
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "[":
            in_subset = True
        elif char == "]":
            in_subset = False
        elif char == ">" and not in_subset:
            return index + 1
    return None
