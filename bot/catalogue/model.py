"""The catalogue as immutable values: topics (a tree), entries, links.

Everything here is frozen: a loaded catalogue is shared by every adapter and handler and is
replaced whole (never mutated) when the list changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.catalogue.text import fold

KINDS = ("paper", "blog", "library", "video", "tutorial", "survey", "source")


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Topic:
    slug: str
    title: str
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""
    # Heading depth in the rendered list: 1 for a top-level section (## in markdown).
    depth: int = 1


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    title: str
    kind: str = "paper"
    links: tuple[Link, ...] = ()
    starred: bool = False
    acronym: str = ""
    doi: str = ""
    # The paper's arXiv id when none of its links carries one (the list links the venue page): lookups and the
    # intake's "already listed" find the entry by it. Not rendered.
    arxiv: str = ""
    notes: tuple[str, ...] = ()
    # A remark printed before the entry in the list (the seed's `*Note: ...*` lines).
    preface: str = ""
    # First topic is the entry's home (where its full record lives in the YAML).
    topics: tuple[str, ...] = ()
    added: str = ""  # ISO date the entry joined the list through the bot
    source: str = ""  # where the bot found it (feed item URL)
    approved_by: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    # Listed by one maintainer's override (`decide --force`, a chat `approve`) rather than by the vote count.
    forced: bool = False


@dataclass(frozen=True)
class Catalogue:
    """A validated catalogue: topics in list order, entries, and per-topic placement.

    What lookups derive from the tree (the entries below a container, their counts, a topic's display name) is
    computed once per catalogue on first use and kept: a catalogue never changes, so an answer about a section
    holding 10,000 entries costs what the answer shows, not a walk over every entry below it.
    """

    title: str
    description: str
    topics: tuple[Topic, ...]
    entries: tuple[Entry, ...]
    # topic slug -> entry ids in the order they stand under that topic
    placement: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # (topic slug, entry id) placements the list shows by title alone, without the entry's links (the seed lists
    # "In-context learning and induction heads" that way once, and its links under the other topic)
    unlinked: frozenset[tuple[str, str]] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_topic_by_slug", {t.slug: t for t in self.topics})
        object.__setattr__(self, "_entry_by_id", {e.id: e for e in self.entries})
        object.__setattr__(self, "_order", {t.slug: i for i, t in enumerate(self.topics)})
        children: dict[str | None, list[str]] = {}
        titles: dict[str, int] = {}
        for t in self.topics:
            children.setdefault(t.parent, []).append(t.slug)
            titles[t.title.casefold()] = titles.get(t.title.casefold(), 0) + 1
        object.__setattr__(self, "_children", {k: tuple(v) for k, v in children.items()})
        object.__setattr__(self, "_shared_titles", frozenset(k for k, n in titles.items() if n > 1))
        # Filled on first use; a race between two threads computes the same value twice, harmlessly.
        object.__setattr__(self, "_under", {})

    def topic(self, slug: str) -> Topic | None:
        return self._topic_by_slug.get(slug)  # type: ignore[attr-defined]

    def topic_filed_as(self, slug: str) -> Topic | None:
        """The topic an approval filed under `slug` goes to: the topic of that slug or, when the slug was renamed
        since (the old one kept among the new topic's aliases), the one topic whose aliases name it. None when no
        topic, or more than one, does."""
        if (topic := self.topic(slug)) is not None:
            return topic
        named = fold(slug)
        found = [t for t in self.topics if any(fold(alias) == named for alias in t.aliases)]
        return found[0] if len(found) == 1 else None

    def entry(self, entry_id: str) -> Entry | None:
        return self._entry_by_id.get(entry_id)  # type: ignore[attr-defined]

    def children(self, slug: str | None) -> tuple[str, ...]:
        return self._children.get(slug, ())  # type: ignore[attr-defined]

    def position(self, slug: str) -> int:
        """Where a topic stands in the list (for sorting topics into list order)."""
        return self._order[slug]  # type: ignore[attr-defined]

    def path(self, slug: str) -> tuple[str, ...]:
        """Titles from the top-level section down to this topic."""
        titles: list[str] = []
        current = self.topic(slug)
        while current is not None:
            titles.append(current.title)
            current = self.topic(current.parent) if current.parent else None
        return tuple(reversed(titles))

    def path_text(self, slug: str) -> str:
        return " › ".join(self.path(slug))

    def display_title(self, slug: str) -> str:
        """A topic's title, or "Parent › Title" when several topics share the title (the list has four
        "General"s)."""
        topic = self.topic(slug)
        if topic is None:
            return slug
        parent = self.topic(topic.parent) if topic.parent else None
        if parent is not None and topic.title.casefold() in self._shared_titles:  # type: ignore[attr-defined]
            return f"{parent.title} › {topic.title}"
        return topic.title

    def entries_under(self, slug: str, *, recursive: bool = False) -> tuple[Entry, ...]:
        """The entries standing under a topic in list order; with `recursive`, those of its subtopics too (each
        entry once). Computed once per topic."""
        key = (slug, recursive)
        under: dict[tuple[str, bool], tuple[Entry, ...]] = self._under  # type: ignore[attr-defined]
        found = under.get(key)
        if found is None:
            ids = list(self.placement.get(slug, ()))
            if recursive:
                for child in self.children(slug):
                    ids.extend(e.id for e in self.entries_under(child, recursive=True))
            by_id = self._entry_by_id  # type: ignore[attr-defined]
            found = under[key] = tuple(by_id[entry_id] for entry_id in dict.fromkeys(ids))
        return found

    def count_under(self, slug: str) -> int:
        """How many distinct entries stand under a topic and its subtopics."""
        return len(self.entries_under(slug, recursive=True))


def entry_to_data(entry: Entry) -> dict[str, Any]:
    """An entry as plain JSON-able data (to store it, and to write it again elsewhere: a fresh branch)."""
    return {
        "id": entry.id, "title": entry.title, "kind": entry.kind,
        "links": [{"label": link.label, "url": link.url} for link in entry.links], "starred": entry.starred,
        "acronym": entry.acronym, "doi": entry.doi, "arxiv": entry.arxiv, "notes": list(entry.notes),
        "preface": entry.preface,
        "topics": list(entry.topics), "added": entry.added, "source": entry.source,
        "approved_by": list(entry.approved_by), "authors": list(entry.authors),
    }


def entry_from_data(data: dict[str, Any]) -> Entry:
    values: dict[str, Any] = dict(data)
    values["links"] = tuple(Link(str(link["label"]), str(link["url"])) for link in values.get("links") or ())
    for key in ("notes", "topics", "approved_by", "authors"):
        values[key] = tuple(values.get(key) or ())
    return Entry(**values)
