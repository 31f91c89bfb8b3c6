"""The catalogue as immutable values: topics (a tree), entries, links.

Everything here is frozen: a loaded catalogue is shared by every adapter and handler and is
replaced whole (never mutated) when the list changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
    """A validated catalogue: topics in list order, entries, and per-topic placement."""

    title: str
    description: str
    topics: tuple[Topic, ...]
    entries: tuple[Entry, ...]
    # topic slug -> entry ids in the order they stand under that topic
    placement: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_topic_by_slug", {t.slug: t for t in self.topics})
        object.__setattr__(self, "_entry_by_id", {e.id: e for e in self.entries})
        children: dict[str | None, list[str]] = {}
        for t in self.topics:
            children.setdefault(t.parent, []).append(t.slug)
        object.__setattr__(self, "_children", {k: tuple(v) for k, v in children.items()})

    def topic(self, slug: str) -> Topic | None:
        return self._topic_by_slug.get(slug)  # type: ignore[attr-defined]

    def entry(self, entry_id: str) -> Entry | None:
        return self._entry_by_id.get(entry_id)  # type: ignore[attr-defined]

    def children(self, slug: str | None) -> tuple[str, ...]:
        return self._children.get(slug, ())  # type: ignore[attr-defined]

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

    def entries_under(self, slug: str, *, recursive: bool = False) -> list[Entry]:
        ids = list(self.placement.get(slug, ()))
        if recursive:
            for child in self.children(slug):
                ids.extend(e.id for e in self.entries_under(child, recursive=True))
        seen: set[str] = set()
        result = []
        for entry_id in ids:
            if entry_id not in seen:
                seen.add(entry_id)
                result.append(self._entry_by_id[entry_id])  # type: ignore[attr-defined]
        return result


def entry_to_data(entry: Entry) -> dict[str, Any]:
    """An entry as plain JSON-able data (to store it, and to write it again elsewhere: a fresh branch)."""
    return {
        "id": entry.id, "title": entry.title, "kind": entry.kind,
        "links": [{"label": link.label, "url": link.url} for link in entry.links], "starred": entry.starred,
        "acronym": entry.acronym, "doi": entry.doi, "notes": list(entry.notes), "preface": entry.preface,
        "topics": list(entry.topics), "added": entry.added, "source": entry.source,
        "approved_by": list(entry.approved_by), "authors": list(entry.authors),
    }


def entry_from_data(data: dict[str, Any]) -> Entry:
    values: dict[str, Any] = dict(data)
    values["links"] = tuple(Link(str(link["label"]), str(link["url"])) for link in values.get("links") or ())
    for key in ("notes", "topics", "approved_by", "authors"):
        values[key] = tuple(values.get(key) or ())
    return Entry(**values)
