"""Render a Catalogue as an awesome-list README in the list's own style, and the Markdown escapes it uses.

`markdown_import.py` reads such a README back (the seed's, or one rendered here): the escapes below are what it
undoes. `awesome.py` renders the awesome lists' conventions from the same parts.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable
from urllib.parse import quote

from bot.catalogue.identifiers import arxiv_id
from bot.catalogue.model import Catalogue, Entry, Link, Topic
from bot.catalogue.text import flatten, strip_control

STAR = "🌟"
TOC_DEPTH = 2  # awesome lists' tables of contents go two levels deep

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
# Every escape md_escape and md_paragraph write, for the importer to undo (a README rendered here reads back).
MD_ESCAPED = re.compile(r"\\([\\`*_\[\]<>|~:.)+\-#&])")
# An "&" that starts a character reference ("&amp;", "&#x202e;"): GitHub shows the character it names, not the text.
_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]*;)")
# GitHub links bare addresses by itself ("autolinks"): "http://", "https://", "ftp://" and "www." are broken by an
# escape, which renders as nothing; an e-mail address (and "mailto:"/"xmpp:") only by a word joiner after its "@".
_AUTOLINK_SCHEME = re.compile(r"(?<=[A-Za-z])(?=://)")
_AUTOLINK_WWW = re.compile(r"(?i)(?<![A-Za-z0-9])(www)\.")  # GitHub starts one after "_" too
_AUTOLINK_EMAIL = re.compile(r"@")  # and takes "-", "_" and "." after the "@"
WORD_JOINER = "\u2060"


def md_escape(text: str) -> str:
    """Escape text so that markdown in a title or note stays literal: no emphasis, strike-through, HTML, or link,
    written (`[x](url)`) or bare (GitHub's autolinks), or character reference (`&#x202e;` is a bidi override on
    GitHub); and no invisible character (a bidi override, a zero-width space, a terminal's ESC) that would disguise
    it on GitHub or drive the terminal of whoever reads the file."""
    text = _ENTITY.sub(r"\\&", _MD_SPECIAL.sub(r"\\\1", flatten(text)))
    text = _AUTOLINK_WWW.sub(r"\1\\.", _AUTOLINK_SCHEME.sub("\\\\", text))
    return _AUTOLINK_EMAIL.sub("@" + WORD_JOINER, text)


# What makes a paragraph something else when it starts a line: a list item, a heading, a quote, a rule ("---").
# A heading is one to six "#": "## x" is one as much as "# x" (escaping the first "#" is enough).
_BLOCK_START = re.compile(r"^(?:(\d+)([.)])(?=\s|$)|([+\->](?=\s|$)|#(?=#{0,5}(?:\s|$)))|(-)(?=(?:\s*-){2,}\s*$))")


def md_paragraph(text: str) -> str:
    """`md_escape`, and a leading "1." "-" "+" "#" or ">" escaped, so a description stays one paragraph."""
    text = md_escape(text)
    return _BLOCK_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else f"\\{m.group(3) or m.group(4)}",
                            text)


def md_url(url: str) -> str:
    """A URL as a link's target: what would end it, and every invisible character (an ESC, a bidi override: the
    list takes any character but a space), percent-encoded as a browser would send it."""
    if not url.isprintable():
        url = "".join(ch if ch.isprintable() else quote(ch) for ch in url)
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def _anchor_character(char: str) -> bool:
    """What github-slugger keeps of a heading: letters, marks (the vowel signs of "हिन्दी", a decomposed "é"'s
    accent), decimal and letter numbers ("x²" loses its "²"), "_" and the other connectors, "-" and spaces."""
    category = unicodedata.category(char)
    return char in "- " or category[0] in "LM" or category in ("Nd", "Nl", "Pc")


def github_anchor(title: str, used: dict[str, int]) -> str:
    """The anchor GitHub gives a heading of this text, after the headings `used` has seen (github-slugger's
    loop: "General" twice is general, general-1; then a "General 1" heading is not general-1 again but
    general-1-1, and a third "General" general-2). `used` maps every anchor given to how often its text recurred."""
    base = "".join(filter(_anchor_character, flatten(title).lower())).replace(" ", "-")  # as the heading shows it
    anchor = base
    while anchor in used:
        used[base] += 1
        anchor = f"{base}-{used[base]}"
    used[anchor] = 0
    return anchor


def _doi_link(entry: Entry) -> Link | None:
    """The arXiv link an arXiv DOI belongs to. The DOI names the same paper, so it is not a second link (the seed
    wrote it as the link's text, `[[arxiv 2305]]([10.48550/arXiv.2305.13417](http://...))`, which GitHub renders
    as a broken link); it becomes the link's title: `[[arxiv 2305]](http://... '10.48550/arXiv.2305.13417')`."""
    ident = arxiv_id(entry.doi) if entry.doi.lower().startswith("10.48550/") else None
    return next((link for link in entry.links if ident and arxiv_id(link.url) == ident), None)


def _starts_with_punctuation(text: str) -> bool:
    return bool(text) and (text[0] in string.punctuation or unicodedata.category(text[0]).startswith("P"))


def render_entry(entry: Entry, *, linked: bool = True) -> list[str]:
    """One bullet (and its notes); without `linked`, the title alone, as the list shows a repeated entry."""
    title = md_escape(entry.title)
    # The list glues its star to the bold title ("🌟**Title**"), yet a "**" between the star and punctuation opens
    # no emphasis: '🌟**"Quoted" title**' showed its asterisks. A space before such a title keeps it bold.
    star = (STAR + " " * _starts_with_punctuation(title)) if entry.starred else ""
    parts = [f"* {star}**{title}**"]
    if entry.acronym:
        parts.append(f"(*{md_escape(entry.acronym)}*)")
    if not linked:
        return [" ".join(parts)]
    titled = _doi_link(entry)
    for link in entry.links:
        title = " '" + strip_control(entry.doi).replace("'", "\\'") + "'" if link is titled else ""
        parts.append(f"[[{md_escape(link.label)}]]({md_url(link.url)}{title})")
    if entry.doi and titled is None:
        parts.append(f"[[doi]](https://doi.org/{md_url(entry.doi)})")
    lines = [" ".join(parts)]
    lines.extend(f"  * {md_paragraph(note)}" for note in entry.notes)  # "1." or "#" first: still the note's text
    return lines


def contents(catalogue: Catalogue, anchors: dict[str, str], marker: str) -> list[str]:
    """The table of contents: sections and their subsections (two levels, as awesome lists keep it)."""
    return [f"{'  ' * (t.depth - 1)}{marker} [{md_escape(t.title)}](#{anchors[t.slug]})"
            for t in catalogue.topics if t.depth <= TOC_DEPTH]


def local_contents(catalogue: Catalogue, topic: Topic, anchors: dict[str, str]) -> list[str]:
    """Under a subsection whose own subsections the table of contents leaves out ("By Topic"): a paragraph that
    links to each of them ("[Component](#component): [General](#general-2), [Attention](#attention) · ...").
    A paragraph, not a list: awesome lists keep lists for entries."""
    if topic.depth != TOC_DEPTH or not catalogue.children(topic.slug):
        return []

    def link(slug: str) -> str:
        sub = catalogue.topic(slug)
        assert sub is not None
        return f"[{md_escape(sub.title)}](#{anchors[slug]})"

    def below(slug: str) -> str:
        parts = [link(child) + (f" ({below(child)})" if catalogue.children(child) else "")
                 for child in catalogue.children(slug)]
        return ", ".join(parts)

    groups = []
    for child in catalogue.children(topic.slug):
        groups.append(f"{link(child)}: {below(child)}" if catalogue.children(child) else link(child))
    return [" · ".join(groups), ""]


def heading_anchors(catalogue: Catalogue, list_title: str | None = None) -> dict[str, str]:
    """Each topic's anchor, counted after the headings above it: the list's own (`list_title`, the catalogue's
    title unless the style shows another) and "Contents"."""
    used: dict[str, int] = {}
    for heading in (catalogue.title if list_title is None else list_title, "Contents"):
        github_anchor(heading, used)
    return {t.slug: github_anchor(t.title, used) for t in catalogue.topics}


def render_markdown(catalogue: Catalogue) -> str:
    """The awesome list as GitHub-flavoured markdown, in the seed list's own style. Deterministic: same catalogue,
    same bytes."""
    anchors = heading_anchors(catalogue)
    # The list's own title and paragraph are markdown as written, yet never with an invisible character.
    out = [f"# {strip_control(catalogue.title)}", ""]
    if catalogue.description:
        out += [strip_control(catalogue.description), ""]
    out += [
        "<!-- Generated by interp-bot from catalogue/*.yaml. Edit those files, then run `interp-bot render`. -->",
        "",
        f"{len(catalogue.entries)} entries in {len(catalogue.topics)} topics. 🌟 marks a must-read.",
        "",
        "## Contents",
        "",
        *contents(catalogue, anchors, "*"),
        "",
    ]
    out += sections(catalogue, anchors, lambda entry, topic: render_entry(
        entry, linked=(topic, entry.id) not in catalogue.unlinked))
    return "\n".join(out).rstrip("\n") + "\n"


def sections(catalogue: Catalogue, anchors: dict[str, str],
             entry_lines: Callable[[Entry, str], list[str]]) -> list[str]:
    """Every topic in list order: its heading, what it holds, and its entries as `entry_lines(entry, topic slug)`
    writes them (each style its own way), with the list's notes before the entries they introduce."""
    out: list[str] = []
    for topic in catalogue.topics:
        # Escaped as in the contents: `*talks*` would be emphasis, and GitHub's anchor is of the text it shows.
        # A "#" last would close the heading ("## Issue #" shows "Issue"): escaped, it is the title's own.
        heading = re.sub(r"#$", r"\\#", md_escape(topic.title))
        out += [f"{'#' * (topic.depth + 1)} {heading}", "", *local_contents(catalogue, topic, anchors)]
        if topic.description:
            out += [md_paragraph(topic.description), ""]
        placed = catalogue.placement.get(topic.slug, ())
        for entry_id in placed:
            entry = catalogue.entry(entry_id)
            assert entry is not None
            if entry.preface and entry.topics[0] == topic.slug:
                # A paragraph of its own: right after a bullet, it would be read as part of that bullet.
                if out and out[-1]:
                    out.append("")
                out += [f"*Note: {md_escape(entry.preface)}*", ""]
            out += entry_lines(entry, topic.slug)
        if placed:
            out.append("")
    return out
