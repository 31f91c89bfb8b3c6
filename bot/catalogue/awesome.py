"""The list in the awesome lists' own conventions (`interp-bot render --style awesome`), which awesome-lint checks.

The seed's style (`[[arxiv 2305]](url)` labels, `*` bullets with bold titles) reads as undefined references to
awesome-lint. Here every entry is `- [Title](link) - Where it appeared, [other links](url).`: one main link, its
venue as the description, the remaining links inside it. A link is a main link once in the whole list: an entry
listed under a second topic points back to where it stands, and an entry whose only page another entry already
links to says so instead of linking it again.
"""

from __future__ import annotations

from bot.catalogue.identifiers import link_keys
from bot.catalogue.markdown import STAR, contents, heading_anchors, md_escape, md_paragraph, md_url, sections
from bot.catalogue.model import Catalogue, Entry, Link
from bot.catalogue.text import strip_control

BADGE = "[![Awesome](https://awesome.re/badge.svg)](https://awesome.re)"
# How the awesome lists (and their spell checker) write the names the seed writes in lower case.
_NAMES = {"arxiv": "arXiv", "openreview": "OpenReview", "github": "GitHub", "youtube": "YouTube",
          "lesswrong": "LessWrong", "google scholar": "Google Scholar", "doi": "DOI"}


def _name(label: str) -> str:
    """A link's label as a description may start with it: known names spelt right, else a capital first letter."""
    words = label.split()
    for length in (2, 1):
        key = " ".join(words[:length]).lower()
        if key in _NAMES:
            return " ".join([_NAMES[key], *words[length:]])
    return label[:1].upper() + label[1:]


def _url_key(url: str) -> str:
    return next((value for kind, value in link_keys(url) if kind == "url"), url)


def _title_case(title: str) -> str:
    """The list's name as awesome-lint wants the main heading: words, not a hyphenated slug."""
    return " ".join(word[:1].upper() + word[1:] for word in title.replace("-", " ").split())


class _Writer:
    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self.anchors = heading_anchors(catalogue, _title_case(catalogue.title))
        self.main_links: dict[str, Entry] = {}  # URL key -> the entry whose main link it is

    def entry(self, entry: Entry, topic: str) -> list[str]:
        star = f"{STAR} " if entry.starred else ""
        title = md_escape(entry.title + (f" ({entry.acronym})" if entry.acronym else ""))
        # Where the title starts the item's text (no star, no link before it), a leading "1." or "#" is escaped too.
        bare = md_paragraph(entry.title + (f" ({entry.acronym})" if entry.acronym else "")) if not star else title
        if entry.topics[0] != topic:  # listed again: once with its links is enough
            home = self.catalogue.topic(entry.topics[0])
            where = f"Listed under {md_escape(home.title)}" if home else "Listed elsewhere"
            return [f"- {star}{bare} - {where}."]
        main = next((link for link in entry.links if _url_key(link.url) not in self.main_links), None)
        if main is None:
            if not entry.links:
                return [f"- {star}{bare}."]
            first = self.main_links.get(_url_key(entry.links[0].url))
            same = f" as {md_escape(first.title)}" if first else ""
            return [f"- {star}{bare} - At the same address{same}."]
        self.main_links[_url_key(main.url)] = entry
        others: list[Link] = [link for link in entry.links if link is not main]
        if entry.doi:
            others.append(Link("DOI", f"https://doi.org/{entry.doi}"))
        description = md_escape(_name(main.label))
        if others:
            description += " · " + " · ".join(f"[{md_escape(_name(o.label))}]({md_url(o.url)})" for o in others)
        lines = [f"- [{star}{title}]({md_url(main.url)}) - {description}."]
        lines.extend(f"  - {md_paragraph(note)}" for note in entry.notes)
        return lines


def render_awesome(catalogue: Catalogue) -> str:
    """The list as an awesome list. Deterministic: same catalogue, same bytes."""
    writer = _Writer(catalogue)
    out = [f"# {_title_case(strip_control(catalogue.title))} {BADGE}", ""]
    if catalogue.description:
        out += [f"> {md_escape(catalogue.description)}", ""]
    out += [f"{len(catalogue.entries)} entries in {len(catalogue.topics)} topics. {STAR} marks a must-read.", "",
            "## Contents", "", *contents(catalogue, writer.anchors, "-"), ""]
    out += sections(catalogue, writer.anchors, writer.entry)
    return "\n".join(out).rstrip("\n") + "\n"
