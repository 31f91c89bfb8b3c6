"""Import an awesome-list README into a Catalogue (the seed list, or a README `markdown.py` rendered).

The importer is faithful to what the seed list actually contains: the mojibake star (`ðŸŒŸ`), a bullet
without links, a link whose target is itself a markdown link (`[[arxiv 2305]]([10.48550/...](http://...))`),
headings that skip a level (`#### Function`), and papers repeated under several topics.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.catalogue.aliases import DEFAULT_ALIASES
from bot.catalogue.markdown import MD_ESCAPED, STAR, WORD_JOINER
from bot.catalogue.model import Catalogue, Entry, Link, Topic
from bot.catalogue.text import MAX_URL_CHARS, entry_slug, fold, repair_mojibake, slugify, valid_url
from bot.errors import MarkdownImportError

# A closing run of "#" follows a space: "## C#" is the heading "C#", and "## C\\#" (as rendered) too.
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_BULLET = re.compile(r"^[*-]\s+(.*)$")
_SUB_BULLET = re.compile(r"^\s{2,}[*-]\s+(.*)$")
_NOTE_LINE = re.compile(r"^\*\s*Note:\s*(.*?)\s*\*$")
_TITLE = re.compile(r"^\*\*((?:\\.|[^\\])+?)\*\*")  # an escaped "\*" is the title's own star, not its end
# What `render_markdown` adds around the entries, skipped when a rendered list is imported again: the comment that
# says it is generated, the count line, the table of contents, and a section's paragraph of links to its parts.
_COMMENT = re.compile(r"^<!--.*-->$")
_COUNT_LINE = re.compile(r"^\d+ entries in \d+ topics\. .*must-read\.$")
_ANCHOR_LINKS = re.compile(r"^(?:[*-]\s+)?(?:[\s:,·()]*\[[^\]]*\]\(#[^)\s]*\))+[\s:,·()]*$")
_CONTENTS = ("contents", "table of contents")
# A line that looks like an entry in a list style the importer does not read: a list item ("+ ", "1. ") with a link
# or a bold title, or a bold title followed by a [[label]](link) with no marker at all. An error, never a section's
# description (prose such as "1. Basics first" or "**Note:** ..." is one).
_ENTRY_SHAPED = re.compile(r"^\s*(?:(?:[+*-]|\d+[.)])\s+.*(?:\]\(|\*\*)|(?:🌟\s*)?\*\*.+?\*\*.*\[\[[^\]]+\]\]\()")
_ACRONYM = re.compile(r"^\(\*(.+?)\*\)")
_LINK_LABEL = re.compile(r"^\[\[(.+?)\]\]\(")
_INNER_LINK = re.compile(r"^\[(?P<doi>[^\]]*)\]\((?P<url>.*)\)$")
_TITLED_LINK = re.compile(r"""^(?P<url>\S+)\s+(?P<quote>['"])(?P<doi>(?:\\.|(?!(?P=quote)).)*)(?P=quote)$""")

SECTION_KINDS = {"tutorial": "tutorial", "library": "library", "survey": "survey", "video": "video",
                 "by source": "source"}
BLOG_LABELS = ("blog", "lesswrong", "transformer circuits thread", "alignment forum")


@dataclass
class _Draft:
    title: str
    kind: str
    links: list[Link] = field(default_factory=list)
    starred: bool = False
    acronym: str = ""
    doi: str = ""
    notes: list[str] = field(default_factory=list)
    preface: str = ""
    topics: list[str] = field(default_factory=list)
    bare: list[str] = field(default_factory=list)  # topics where the list shows it without links


def _parse_links(rest: str, line_no: int) -> tuple[list[Link], str]:
    """Parse `[[label]](url)` groups; return links and a DOI if one was nested as the target's text."""
    links: list[Link] = []
    doi = ""
    rest = rest.strip()
    while rest:
        match = _LINK_LABEL.match(rest)
        if not match:
            raise MarkdownImportError(line_no, f"expected a '[[label]](url)' link, found {rest[:40]!r}")
        label = match.group(1)
        depth, index = 1, match.end()
        while index < len(rest) and depth:
            depth += {"(": 1, ")": -1}.get(rest[index], 0)
            index += 1
        if depth:
            raise MarkdownImportError(line_no, f"unclosed '(' in the link {label!r}")
        target = rest[match.end(): index - 1].strip()
        inner = _INNER_LINK.match(target) or _TITLED_LINK.match(target)
        if inner:  # [[label]]([DOI](url)) as in the seed, or [[label]](url "DOI") as rendered: the URL is the link.
            doi, target = re.sub(r"\\(.)", r"\1", inner.group("doi")).strip(), inner.group("url").strip()
        if not valid_url(target):  # the catalogue keeps absolute web addresses only: say so at the README's line
            raise MarkdownImportError(line_no, f"the link {label!r} goes to {target[:80]!r}, not an absolute http(s) "
                                               "URL: write the full address")
        if len(target) > MAX_URL_CHARS:
            raise MarkdownImportError(line_no, f"the link {label!r} is {len(target):,} characters long: the list "
                                               f"keeps links of at most {MAX_URL_CHARS:,}")
        links.append(Link(label=_unescape(label), url=target))
        rest = rest[index:].strip()
    return links, doi


def _unescape(text: str) -> str:
    """Markdown as `md_escape` wrote it, back to the text: "\\*" is "*"."""
    return MD_ESCAPED.sub(r"\1", text).replace("@" + WORD_JOINER, "@")


def _kind_for(section_title: str, links: list[Link]) -> str:
    kind = SECTION_KINDS.get(fold(section_title))
    if kind:
        return kind
    labels = [fold(link.label) for link in links]
    if labels and all(label.startswith(BLOG_LABELS) for label in labels):
        return "blog"
    return "paper"


def _title_key(title: str) -> str:
    """Which titles are one work listed twice: `fold`'s matching (case, accents, punctuation), but of every script.
    `fold` keeps a-z and 0-9 only, so "中文标题" and "हिन्दी" were both "" (one entry, the second title lost), and
    "عربي RTL" was "rtl"."""
    text = unicodedata.normalize("NFKD", title.casefold())
    return " ".join(re.findall(r"[^\W_]+", "".join(c for c in text if not unicodedata.combining(c))))


def _entry_id(title: str, taken: set[str]) -> str:
    base = entry_slug(title) or "entry"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def import_markdown(text: str) -> Catalogue:
    """Build a Catalogue from an awesome-list README."""
    text = repair_mojibake(text.replace("\r\n", "\n"))
    list_title, description_lines = "", []
    topic_rows: list[dict] = []  # {level, title, parent_row}
    drafts: dict[str, _Draft] = {}  # folded title -> draft
    order: list[str] = []
    placement: dict[int, list[str]] = {}
    stack: list[int] = []  # indexes into topic_rows
    last: _Draft | None = None
    pending_preface = ""

    in_contents = False
    for line_no, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        if not line.strip() or _COMMENT.match(line.strip()) or _ANCHOR_LINKS.match(line.strip()):
            continue
        heading = _HEADING.match(line)
        if heading:
            level, title = len(heading.group(1)), heading.group(2).strip()
            last = None
            in_contents = level == 2 and fold(title) in _CONTENTS
            if level == 1:  # the list's title is rendered as written
                list_title = title
                continue
            title = _unescape(title)  # a section's is escaped, as in the contents
            if in_contents:
                continue
            while stack and topic_rows[stack[-1]]["level"] >= level:
                stack.pop()
            topic_rows.append({"level": level, "title": title, "parent": stack[-1] if stack else None})
            stack.append(len(topic_rows) - 1)
            continue
        if in_contents:
            continue
        if not topic_rows:
            if list_title and not _COUNT_LINE.match(line.strip()):
                description_lines.append(line.strip())
            continue
        note = _NOTE_LINE.match(line.strip())
        if note and not raw.startswith((" ", "\t")):
            pending_preface = _unescape(note.group(1))
            continue
        sub = _SUB_BULLET.match(raw)
        if sub and last is not None:
            last.notes.append(_unescape(sub.group(1).strip()))
            continue
        bullet = _BULLET.match(line)
        if not bullet and last is None and stack[-1] not in placement and not _ENTRY_SHAPED.match(line):
            # A section's own paragraph, before its list: prose, never what looks like an entry of another list style
            row = topic_rows[stack[-1]]
            row["description"] = " ".join(filter(None, [row.get("description", ""), _unescape(line.strip())]))
            continue
        if not bullet:
            raise MarkdownImportError(line_no, f"unexpected text outside a bullet: {line[:60]!r}")
        body = bullet.group(1).strip()
        starred = body.startswith(STAR)
        body = body.removeprefix(STAR).strip()
        title_match = _TITLE.match(body)
        if not title_match:
            raise MarkdownImportError(line_no, "a bullet must start with a **bold title**")
        title = _unescape(" ".join(title_match.group(1).split()))
        rest = body[title_match.end():].strip()
        acronym = ""
        acronym_match = _ACRONYM.match(rest)
        if acronym_match:
            acronym, rest = _unescape(acronym_match.group(1).strip()), rest[acronym_match.end():].strip()
        links, doi = _parse_links(rest, line_no)
        topic_index = stack[-1]
        section = topic_rows[_root(topic_rows, topic_index)]["title"]
        key = _title_key(title)
        draft = drafts.get(key)
        if draft is None:
            draft = _Draft(title=title, kind=_kind_for(section, links))
            drafts[key] = draft
            order.append(key)
        # The same work listed again (maybe with more links): one entry, one more topic.
        draft.starred = draft.starred or starred
        draft.acronym = draft.acronym or acronym
        draft.doi = draft.doi or doi
        draft.links.extend(link for link in links if link not in draft.links)
        if pending_preface:
            draft.preface, pending_preface = pending_preface, ""
        placement.setdefault(topic_index, [])
        if key not in placement[topic_index]:
            placement[topic_index].append(key)
        draft.topics.append(str(topic_index))
        if not links:
            draft.bare.append(str(topic_index))
        last = draft

    if not topic_rows:
        raise MarkdownImportError(1, "no '## ' headings found: is this an awesome-list README?")

    slugs = _topic_slugs(topic_rows)
    topics = []
    for index, row in enumerate(topic_rows):
        slug = slugs[index]
        parent = slugs[row["parent"]] if row["parent"] is not None else None
        depth = 1
        cursor = row["parent"]
        while cursor is not None:
            depth += 1
            cursor = topic_rows[cursor]["parent"]
        topics.append(Topic(slug=slug, title=row["title"], parent=parent,
                            aliases=DEFAULT_ALIASES.get(slug, ()), description=row.get("description", ""),
                            depth=depth))

    taken: set[str] = set()
    entry_ids: dict[str, str] = {}
    entries = []
    unlinked: set[tuple[str, str]] = set()
    for key in order:
        draft = drafts[key]
        entry_id = _entry_id(draft.title, taken)
        taken.add(entry_id)
        entry_ids[key] = entry_id
        topic_slugs = list(dict.fromkeys(slugs[int(t)] for t in draft.topics))
        bare = {slugs[int(t)] for t in draft.bare}
        if draft.links and bare:
            # Listed once by title alone and once with its links: the full record lives where the links are.
            topic_slugs.sort(key=lambda slug: slug in bare)
            unlinked |= {(slug, entry_id) for slug in bare}
        entries.append(Entry(
            id=entry_id, title=draft.title, kind=draft.kind, links=tuple(draft.links), starred=draft.starred,
            acronym=draft.acronym, doi=draft.doi, notes=tuple(draft.notes), preface=draft.preface,
            topics=tuple(topic_slugs),
        ))
    return Catalogue(
        title=list_title or "Awesome list",
        description=" ".join(description_lines),
        topics=tuple(topics),
        entries=tuple(entries),
        placement={slugs[i]: tuple(entry_ids[k] for k in keys) for i, keys in placement.items()},
        unlinked=frozenset(unlinked),
    )


def _root(rows: list[dict], index: int) -> int:
    while rows[index]["parent"] is not None:
        index = rows[index]["parent"]
    return index


def _topic_slugs(rows: list[dict]) -> list[str]:
    """Slug each heading; a title used by several headings (`General`) is prefixed by its parent's slug."""
    base = [slugify(row["title"]) or "topic" for row in rows]
    counts: dict[str, int] = {}
    for slug in base:
        counts[slug] = counts.get(slug, 0) + 1
    slugs: list[str] = []
    for index, row in enumerate(rows):
        slug = base[index]
        if counts[slug] > 1 and row["parent"] is not None:
            slug = f"{slugs[row['parent']]}-{slug}"
        while slug in slugs:
            slug += "-2"
        slugs.append(slug)
    return slugs
