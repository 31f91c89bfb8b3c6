"""Every JSON shape `interp-bot` prints, in one place (a documented, tested contract: docs/architecture.md).

Builders take the core's values and return plain dicts; nothing here reads files or the database itself, and the
heavier types are only named for the type checker, so a one-shot lookup imports nothing it does not use.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.catalogue.model import Entry, Topic
from bot.catalogue.search import CatalogueIndex

if TYPE_CHECKING:
    from bot.app import App
    from bot.intake.relevance import Relevance
    from bot.store.papers import StoredPaper


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


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
    """`topic --json`: the topic and its entries, the sections related to it and the best matching entries
    elsewhere ("see_also"); with no topic, the close topic names ("suggestions") and, in "see_also", the entries
    a search of the list finds for the query."""
    match = index.topics.resolve(query)
    entries: tuple[Entry, ...] = ()
    related: tuple[Topic, ...] = ()
    if match.topic is not None:
        entries = index.catalogue.entries_under(match.topic.slug) or index.catalogue.entries_under(
            match.topic.slug, recursive=True
        )
        see = index.neighbours.for_match(match, query)
        related, elsewhere = see.sections, [*see.entries]
    else:
        elsewhere = [hit.entry for hit in index.search.search(query, limit=20)] if match.how == "unknown" else []
    return {
        "query": query,
        "topic": topic_json(index, match.topic) if match.topic else None,
        "entries": [entry_json(e) for e in entries],
        "suggestions": [topic_json(index, t) for t in match.suggestions],
        "related": [topic_json(index, t) for t in related],
        "see_also": [entry_json(e) for e in elsewhere],
    }


def paper_result(index: CatalogueIndex, query: str) -> dict[str, Any]:
    """`paper --json`: the entry the query names, or null and the closest entries."""
    match = index.finder.find(query)
    return {"query": query, "entry": entry_json(match.entry) if match.entry else None,
            "closest": [entry_json(e) for e in match.closest]}


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


def relevance_json(relevance: Relevance) -> dict[str, Any]:
    """One line of `classify` output."""
    return {
        "relevant": relevance.relevant,
        "score": relevance.score,
        "topics": [{"slug": t.slug, "title": t.title, "path": t.path, "score": t.score} for t in relevance.topics],
    }


def candidate_json(paper: StoredPaper) -> dict[str, Any]:
    """One element of `candidates --json`."""
    return {
        "id": paper.id, "title": paper.title, "score": paper.score, "topics": list(paper.topics),
        "authors": list(paper.authors), "url": paper.abs_url or (paper.links[0][1] if paper.links else ""),
        "feeds": list(paper.feeds), "first_seen": paper.first_seen_at.isoformat(),
    }


def status_json(app: App, adapters_configured: list[str]) -> dict[str, Any]:
    """`status --json`: feeds (last poll, failures, next run), candidates, digest, database, version."""
    from bot import __version__
    from bot.store.db import safe_url

    settings = app.settings
    feeds_by_name = {f.name: f for f in app.feeds.feeds} if app.feeds else {}
    states = {s.name: s for s in app.curation.papers.feed_states()}
    feeds = []
    for name in sorted(set(feeds_by_name) | set(states)):
        state = states.get(name)
        spec = feeds_by_name.get(name)
        feeds.append({
            "name": name, "enabled": bool(spec and spec.enabled), "configured": spec is not None,
            "last_poll": iso(state.last_poll_at if state else None),
            "last_success": iso(state.last_success_at if state else None),
            "last_error": state.last_error if state and state.consecutive_failures else None,
            "consecutive_failures": state.consecutive_failures if state else 0,
            "total_failures": state.total_failures if state else 0,
            "next_poll": iso(state.next_poll_at if state else None),
        })
    last = app.curation.store.last_digest()
    data = {
        "version": __version__,
        "database": {"url": safe_url(settings.database_url), "schema": app.database.current_version()},
        "catalogue": {"dir": str(settings.catalogue_dir), "entries": len(app.catalogue.index.catalogue.entries),
                      "readme_current": app.catalogue.readme_is_current()},
        "feeds": feeds,
        "papers": app.curation.papers.count_by_status(),
        "pending_candidates": len(app.curation.papers.candidates()),
        "last_digest": {"channel": last[0], "day": last[1], "posted_at": iso(last[2])} if last else None,
        "adapters_configured": adapters_configured,
    }
    return data
