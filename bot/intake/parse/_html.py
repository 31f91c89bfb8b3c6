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
    # What `feed` left is a tag still open at the end ("x <y" in a title's maths), or text waiting on a character
    # reference. `close` reads such a rest as text up to its next ">", then parses on from there: every "<" in it
    # is looked for to the end again, and 20,000 of "<a " in one author took 30 s (the whole stdlib parser is
    # quadratic there, CPython gh-135462). A rest with another "<" in it is taken as the text it is.
    rest = extractor.rawdata
    if "<" in rest[1:]:
        extractor.parts.append(unescape(rest))
    else:
        extractor.close()
    return collapse_whitespace("".join(extractor.parts))
