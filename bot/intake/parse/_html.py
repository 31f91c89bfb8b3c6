"""HTML to plain text, and repair of UTF-8 text that was read as Latin-1 upstream."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from bot.intake.identity import collapse_whitespace


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def strip_html(html: str) -> str:
    if "<" not in html:
        return collapse_whitespace(unescape(html))
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return collapse_whitespace("".join(extractor.parts))


# UTF-8 read as Latin-1 somewhere upstream ("RamÃ­rez"): these pairs never occur in real text.
_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]|\u00e2\u20ac")


def repair_mojibake(text: str) -> str:
    # Every pair the pattern looks for starts with one of three characters: text without them (all ASCII
    # text, most other text) is returned without scanning it with the regex.
    if text.isascii() or ("\u00c2" not in text and "\u00c3" not in text and "\u00e2" not in text):
        return text
    if not _MOJIBAKE.search(text):
        return text
    for codec in ("cp1252", "latin-1"):
        try:
            return text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
    return text
