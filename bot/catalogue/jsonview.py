"""The JSON shapes of `interp-bot topic|search|topics --json` (a documented, tested contract)."""

from __future__ import annotations

from typing import Any

from bot.catalogue.model import Entry, Topic
from bot.catalogue.search import CatalogueIndex


def topic_json(index: CatalogueIndex, topic: Topic) -> dict[str, Any]:
    return {"slug": topic.slug, "title": topic.title, "path": index.catalogue.path_text(topic.slug)}


def entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "title": entry.title,
        "kind": entry.kind,
        "links": [{"label": link.label, "url": link.url} for link in entry.links],
        "starred": entry.starred,
        "topics": list(entry.topics),
    }


def topic_result(index: CatalogueIndex, query: str) -> dict[str, Any]:
    match = index.topics.resolve(query)
    entries: list[Entry] = []
    if match.topic is not None:
        entries = index.catalogue.entries_under(match.topic.slug) or index.catalogue.entries_under(
            match.topic.slug, recursive=True
        )
    return {
        "query": query,
        "topic": topic_json(index, match.topic) if match.topic else None,
        "entries": [entry_json(e) for e in entries],
        "suggestions": [topic_json(index, t) for t in match.suggestions],
    }


def search_result(index: CatalogueIndex, query: str, *, limit: int = 20) -> dict[str, Any]:
    results = []
    for hit in index.search.search(query, limit=limit):
        home = index.catalogue.topic(hit.entry.topics[0])
        results.append({"entry": entry_json(hit.entry), "topic": topic_json(index, home) if home else None,
                        "score": hit.score})
    return {"query": query, "results": results}


def topics_result(index: CatalogueIndex) -> dict[str, Any]:
    catalogue = index.catalogue
    return {
        "topics": [
            {**topic_json(index, t), "parent": t.parent, "aliases": list(t.aliases),
             "entries": len(catalogue.placement.get(t.slug, ()))}
            for t in catalogue.topics
        ]
    }
