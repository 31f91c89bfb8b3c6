"""HTML to plain text (and, re-exported for the readers, the one mojibake repair)."""

from __future__ import annotations

from html import unescape
from html.parser import HTMLParser

from bot.catalogue.text import repair_mojibake
from bot.intake.identity import collapse_whitespace

__all__ = ["repair_mojibake", "strip_html"]


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
