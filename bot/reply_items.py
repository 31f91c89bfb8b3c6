"""The list's topics and entries as the items of a neutral Reply, as every lookup answer shows them."""

from __future__ import annotations

from bot.catalogue.model import Entry, Topic
from bot.catalogue.related import SeeAlso
from bot.catalogue.search import CatalogueIndex
from bot.chat.text import STAR
from bot.chat.values import Field, Item, Link


def entries_text(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"


def topic_item(index: CatalogueIndex, topic: Topic) -> Item:
    count = index.catalogue.count_under(topic.slug)
    detail = index.catalogue.path_text(topic.slug)
    return Item(title=topic.title, detail=f"{detail} · `{topic.slug}` · {entries_text(count)}", ref=topic.slug)


def entry_item(index: CatalogueIndex, entry: Entry, *, detail: str = "") -> Item:
    links = entry.links
    if entry.doi:
        links += (Link("doi", f"https://doi.org/{entry.doi}"),)
    title = f"{entry.title} ({entry.acronym})" if entry.acronym else entry.title
    return Item(title=title, links=links, starred=entry.starred, notes=entry.notes, detail=detail, ref=entry.id)


def search_item(index: CatalogueIndex, entry: Entry, query: str) -> Item:
    """An entry a search found, under its section; and when only its topic's alias matched, which alias (a reader
    sees why a paper that never says "othello" answers `search othello`)."""
    detail = index.catalogue.path_text(entry.topics[0]) if entry.topics else ""
    if (via := index.search.alias_only(entry, query)) is not None:
        detail += f" · found by “{via[1]}”, an alias of {via[0]}"
    return entry_item(index, entry, detail=detail)


def see_also_fields(index: CatalogueIndex, see: SeeAlso) -> tuple[Field, ...]:
    """A topic answer's last words: where else in the list to look."""
    catalogue = index.catalogue
    fields = []
    if see.sections:
        fields.append(Field("Related sections", "\n".join(
            f"{catalogue.display_title(t.slug)} · {entries_text(catalogue.count_under(t.slug))}"
            for t in see.sections)))
    if see.entries:
        fields.append(Field("See also", "\n".join(
            f"{STAR + ' ' if e.starred else ''}{e.title} — {catalogue.display_title(e.topics[0])}"
            for e in see.entries)))
    return tuple(fields)
