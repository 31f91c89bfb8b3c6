"""HTML to plain text (and, re-exported for the readers, the one mojibake repair)."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from bot.catalogue.text import repair_mojibake
from bot.intake.identity import collapse_whitespace

__all__ = ["repair_mojibake", "strip_html"]

# HTML's elements: a "<" that starts one of these as a whole tag is markup; any other "<" is text. arXiv's titles
# and abstracts are plain text that holds "<think>" and "<eos>" tokens, "<Condition, Action>" pairs and maths
# ("$2<q<p$ and $b>1$"), which an HTML parser took for tags and dropped with the words between them.
_ELEMENTS = frozenset({
    "a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "b", "base", "bdi", "bdo", "big",
    "blockquote", "body", "br", "button", "canvas", "caption", "center", "cite", "code", "col", "colgroup", "data",
    "datalist", "dd", "del", "details", "dfn", "dialog", "div", "dl", "dt", "em", "embed", "fieldset", "figcaption",
    "figure", "font", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr", "html", "i",
    "iframe", "img", "input", "ins", "kbd", "label", "legend", "li", "link", "main", "map", "mark", "math", "menu",
    "meta", "meter", "nav", "noscript", "object", "ol", "optgroup", "option", "output", "p", "param", "picture",
    "pre", "progress", "q", "rp", "rt", "ruby", "s", "samp", "script", "section", "select", "small", "source",
    "span", "strike", "strong", "style", "sub", "summary", "sup", "svg", "table", "tbody", "td", "template",
    "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u", "ul", "var", "video", "wbr"})
_ELEMENT_NAMES = "|".join(sorted(_ELEMENTS, key=len, reverse=True))
_NOT_MARKUP = re.compile(rf"<(?!/?(?:{_ELEMENT_NAMES})(?:\s[^<>]*)?/?>|!--|!\[CDATA\[|![a-z]|\?)", re.IGNORECASE)
# MathML and SVG, which feedparser's sanitizer keeps (a forum post's <math><mi>k</mi><mo>&lt;</mo>...): every tag
# inside <math> or <svg> is markup, whatever its name ("<mi>", "<path>"), and only their text is kept.
_FOREIGN = re.compile(r"<(math|svg)(?:\s[^<>]*)?>", re.IGNORECASE)
_ANY_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


def _foreign_tags_dropped(html: str) -> str:
    if _FOREIGN.search(html) is None:
        return html
    lower, parts, at, unclosed = html.lower(), [], 0, set()
    for opening in _FOREIGN.finditer(html):
        name = opening.group(1).lower()
        if opening.start() < at or name in unclosed:  # inside the last one; or none closes after it (each looked
            continue  # for once, not to the end again for every opening: linear)
        end = lower.find(f"</{name}", opening.end())
        close = lower.find(">", end) if end >= 0 else -1
        if close < 0:
            unclosed.add(name)
            continue
        parts += [html[at:opening.start()], _ANY_TAG.sub("", html[opening.start():close + 1])]
        at = close + 1
    return "".join([*parts, html[at:]])


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
    """The text of `html`: its elements' tags dropped, every other "<" kept as the text it is."""
    if "<" not in html:
        return collapse_whitespace(unescape(html))
    html = _NOT_MARKUP.sub("&lt;", _foreign_tags_dropped(html))
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
