"""Every JSON shape `interp-bot` prints, in one place (a documented, tested contract: docs/architecture.md).

Builders take the core's values and return plain dicts; nothing here reads files or the database itself, and the
heavier types are only named for the type checker, so a one-shot lookup imports nothing it does not use.
"""

from __future__ import annotations

import json
import socket
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.catalogue.model import Entry, Topic
from bot.catalogue.search import CatalogueIndex
from bot.logs import writes_utf8

if TYPE_CHECKING:
    from bot.app import App
    from bot.intake.relevance import Relevance
    from bot.links import LinkHealth, LinkReport
    from bot.store.papers import StoredPaper


def print_json(data: Any) -> None:
    """UTF-8 text as it is; to an output that cannot hold every character (an ASCII or Latin-1 terminal, whose
    unencodable characters the CLI replaces with "?"), JSON's own escapes, so the data stay exact."""
    print(json.dumps(data, ensure_ascii=not writes_utf8(sys.stdout), indent=2))


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
    """`paper --json`: the entry the query names, or null and the closest entries; `how` says which way it was
    found, or why none was ("several": the query names more than one; "unlinked": a link no entry has)."""
    match = index.finder.find(query)
    return {"query": query, "entry": entry_json(match.entry) if match.entry else None, "how": match.how,
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


def why_json(contributions: list[tuple[str, float]]) -> list[dict[str, Any]]:
    """`classify --explain`: what moved a score most, largest first, in log-odds before calibration ("block:feature";
    `gate:no scope cue` is the scope gate's penalty)."""
    return [{"feature": name, "log_odds": round(value, 3)} for name, value in contributions]


def budget_json(app: App) -> dict[str, Any]:
    """`status`'s daily budget: how many candidates today (in the configured time zone) brought, of how many, and
    how many relevant papers it held back today (`interp-bot candidates --all` lists them)."""
    from bot.curation.held_back import held_back
    from bot.intake.poll import start_of_day

    since = start_of_day(app.database.now(), app.settings.timezone)
    return {"limit": app.settings.max_candidates_per_day, "today": app.curation.papers.candidates_since(since),
            "held_back_today": len(held_back(app.curation, since))}


def candidate_json(paper: StoredPaper) -> dict[str, Any]:
    """One element of `candidates --json` (`held_back`: kept `seen` by the daily budget, listed by `--all`)."""
    return {
        "id": paper.id, "title": paper.title, "score": paper.score, "topics": list(paper.topics),
        "authors": list(paper.authors), "url": paper.abs_url or (paper.links[0][1] if paper.links else ""),
        "feeds": list(paper.feeds), "first_seen": paper.first_seen_at.isoformat(),
        "held_back": paper.held_back_at is not None and paper.status == "seen",
        "held_back_at": paper.held_back_at.isoformat() if paper.held_back_at is not None else None,
    }


def adapters_json(app: App) -> tuple[list[dict[str, Any]], bool]:
    """Every running process's adapters as their heartbeats report them, and whether those of processes on this
    machine are all well: per platform, the freshest report from this host must be `up` (or `connecting`) and
    fresh. That is what the container health check needs (a container's hostname is its own), and a restarted
    process's fresh report outweighs the one its killed predecessor left."""
    from bot.store.health import STALE_AFTER

    now = app.database.now()
    host = socket.gethostname()
    adapters, healthy, seen_here = [], True, set()
    for record in app.health.records():  # per platform, freshest first
        stale = now - record.updated_at > STALE_AFTER
        this_host = record.holder.rsplit(":", 1)[0] == host
        adapters.append({"platform": record.platform, "process": record.holder, "state": record.state,
                         "since": iso(record.since), "error": record.error, "last_heard": iso(record.updated_at),
                         "stale": stale, "this_host": this_host})
        if this_host and record.platform not in seen_here:
            seen_here.add(record.platform)
            healthy = healthy and not stale and record.state != "down"
    return adapters, healthy


def status_json(app: App, adapters_configured: list[str]) -> dict[str, Any]:
    """`status --json`: feeds (last poll, failures, next run, health), candidates, digest, database, version.

    Each feed's `health` is "ok", "failing", "degraded", "quiet" or "never polled", with `health_since` and
    `health_reason` (bot.intake.health); `last_new_item` is when it last brought an item it had not before;
    `moved_to` where its permanent redirects lead (the feeds file still names the old URL, which is polled)."""
    from bot import __version__
    from bot.intake.health import feed_health
    from bot.store.db import safe_url
    from bot.store.papers import PAPER_STATUSES

    settings = app.settings
    now = app.database.now()
    feeds_by_name = {f.name: f for f in app.feeds.feeds} if app.feeds else {}
    states = {s.name: s for s in app.curation.papers.feed_states()}
    jobs = jobs_json(app, adapters_configured)
    feeds = []
    for name in sorted(set(feeds_by_name) | set(states)):
        state = states.get(name)
        spec = feeds_by_name.get(name)
        health = feed_health(spec, state, now)
        feeds.append({
            "name": name, "enabled": bool(spec and spec.enabled), "configured": spec is not None,
            "last_poll": iso(state.last_poll_at if state else None),
            "last_success": iso(state.last_success_at if state else None),
            "last_error": state.last_error if state and state.consecutive_failures else None,
            "consecutive_failures": state.consecutive_failures if state else 0,
            "total_failures": state.total_failures if state else 0,
            **next_poll_json(app, name, state.next_poll_at if state else None, bool(spec and spec.enabled), jobs),
            "health": health.state, "health_since": iso(health.since), "health_reason": health.reason or None,
            "last_new_item": iso(state.last_new_item_at if state else None),
            "usual_gap_hours": round(state.new_item_gap_seconds / 3600, 2)
            if state and state.new_item_gap_seconds is not None else None,
            "moved_to": state.moved_to if state else None,
        })
    last = app.curation.store.last_digest()
    store, papers = app.curation.store, app.curation.papers
    unfinished = []
    for decision in store.decisions(pending_write=True):
        paper = papers.paper(decision.paper_id)
        unfinished.append({"candidate": decision.paper_id, "title": paper.title if paper else None,
                           "decision": decision.decision, "decided_at": iso(decision.decided_at),
                           "attempts": decision.attempts, "error": decision.error})
    failing = [{"platform": f.platform, "channel": f.channel_id, "key": f.key, "candidate": f.paper_id,
                "attempts": f.attempts, "error": f.last_error, "failed_at": iso(f.failed_at),
                "next_attempt": iso(f.next_attempt_at)} for f in store.post_failures()]
    adapters, adapters_healthy = adapters_json(app)
    data = {
        "version": __version__,
        "database": {"url": safe_url(settings.database_url), "schema": app.database.current_version()},
        # `problem`: the list does not load (file and line); then entries and readme_current are null.
        "catalogue": {"dir": str(settings.catalogue_dir),
                      "entries": None if app.catalogue.problem else len(app.catalogue.index.catalogue.entries),
                      "readme_current": None if app.catalogue.problem else app.catalogue.readme_is_current(),
                      "problem": app.catalogue.problem or None},
        "feeds": feeds,
        "feeds_file": {"path": str(settings.feeds_file), "found": settings.feeds_file.is_file(),
                       "problem": app.feeds_problem or None},
        # Every status, zeros included: a monitor reading `papers.candidate` must not meet a missing key.
        "papers": {**dict.fromkeys(PAPER_STATUSES, 0), **app.curation.papers.count_by_status()},
        "pending_candidates": len(app.curation.papers.candidates()),
        "budget": budget_json(app),
        "last_digest": {"channel": last[0], "day": last[1], "posted_at": iso(last[2])} if last else None,
        "adapters_configured": adapters_configured,
        "github": github_json(app),
        "links": None if app.catalogue.problem else links_counts_json(app),
        # The last run of each scheduled job that records one (the GitHub round is under `github`): `problem` is
        # null when it did all it had to.
        "jobs": jobs,

        # Approvals decided but not yet in the catalogue (a crash, or an error `decide` and `run` retry).
        "approvals_unfinished": unfinished,
        # Posts a platform refused: retried with back-off while the others go on.
        "posts_failing": failing,
        # Chat connections of running processes, from their heartbeats; `status` exits 1 unless this machine's
        # are up (the container health check).
        "adapters": adapters,
        "adapters_healthy": adapters_healthy,
    }
    return data


# A feed is polled at its time give or take the scheduler's stagger at start and a busy moment: only past this is
# it overdue.
OVERDUE_AFTER = timedelta(minutes=2)


def next_poll_json(app: App, name: str, due: datetime | None, enabled: bool,
                   jobs: list[dict[str, Any]]) -> dict[str, Any]:
    """A feed's `next_poll` (null: at the bot's start), whether a poll of it is under way now (`polling`: its lease
    is held), and whether it is `overdue`: due a while ago, or never polled though its poll job has run, and not
    being polled. The time stays in the past when a poll stops on an error of ours, with the job's problem in
    `jobs`; and while no bot runs."""
    from bot.store.jobs import POLL_JOB

    polling = enabled and app.database.lease_holder(POLL_JOB + name) is not None
    ran = any(job["name"] == POLL_JOB + name for job in jobs)
    late = due < app.database.now() - OVERDUE_AFTER if due is not None else ran
    return {"next_poll": iso(due), "polling": polling, "overdue": enabled and not polling and late}


def jobs_json(app: App, adapters_configured: list[str]) -> list[dict[str, Any]]:
    """The last run of each job the configuration schedules: a job no longer scheduled (a platform taken out of the
    configuration, a feed out of the feeds file or disabled) would show its last failure for ever."""
    from bot.store.jobs import PER_PLATFORM_JOBS, POLL_JOB, RECORDED_JOBS, JobRunStore

    scheduled = {*RECORDED_JOBS, *(job + platform for job in PER_PLATFORM_JOBS for platform in adapters_configured),
                 *(POLL_JOB + feed.name for feed in (app.feeds.enabled if app.feeds else ()))}
    return [{"name": run.name, "started_at": iso(run.started_at), "finished_at": iso(run.finished_at),
             "problem": run.problem} for run in JobRunStore(app.database).all() if run.name in scheduled]


def github_json(app: App) -> dict[str, Any] | None:
    """`status`: the repository, approvals by publishing state, open pull requests, the last round's outcome
    (`problem` null when it did all it had to) and a round in progress (from the database alone)."""
    if app.publisher is None:
        return None
    from bot.github.publisher import LEASE
    from bot.store.github import GitHubStore
    from bot.store.jobs import JobRunStore

    store = GitHubStore(app.database)
    last = JobRunStore(app.database).last(LEASE)
    held = app.database.lease_holder(LEASE)
    return {
        "repo": app.settings.github_repo, "mode": app.settings.github_mode,
        "publications": store.count_by_state(),
        "open_pull_requests": [{"number": pr.number, "url": pr.url, "branch": pr.branch}
                               for pr in store.pull_requests(states=["open"])],
        "last_round": {"started_at": iso(last.started_at), "finished_at": iso(last.finished_at),
                       "problem": last.problem} if last else None,
        "round_in_progress": {"holder": held[0], "lease_expires_at": iso(held[1])} if held else None,
        # Without a token nothing is published, and `run` refuses to start (errors.GITHUB_NEEDS_TOKEN).
        "token_set": app.settings.github_token is not None and bool(app.settings.github_token.get_secret_value()),
    }


def links_counts_json(app: App) -> dict[str, Any]:
    """`status`: link health counts from the last check."""
    from bot.links import link_report
    from bot.store.links import LinkStore

    report = link_report(app.catalogue.index.catalogue, LinkStore(app.database))
    return {"checked_at": iso(report.checked_at), "links": len(report.links), "ok": report.ok,
            "failing": len(report.failing), "dead": len(report.dead), "moved": len(report.moved),
            "unchecked": report.unchecked}


def _link_json(health: LinkHealth) -> dict[str, Any]:
    state = health.state
    return {
        "url": health.url, "entries": [use.entry_id for use in health.uses],
        "error": state.last_error if state else None,
        "failing_since": iso(state.first_failed_at) if state else None,
        "checks_failed": state.consecutive_failures if state else 0,
        "moved_to": state.moved_to if state else None,
    }


def links_json(report: LinkReport) -> dict[str, Any]:
    """`links --json`."""
    return {
        "checked_at": iso(report.checked_at), "links": len(report.links), "ok": report.ok,
        "unchecked": report.unchecked, "dead": [_link_json(h) for h in report.dead],
        "moved": [_link_json(h) for h in report.moved], "failing": [_link_json(h) for h in report.failing],
    }


def links_text(report: LinkReport) -> str:
    """`links`: the same as plain lines (URLs and titles come from the list: control characters stripped)."""
    from bot.catalogue.text import strip_control

    lines = [f"{len(report.links)} links · " + (
        f"checked {iso(report.checked_at)} · {report.ok} ok · {len(report.failing)} failing · {len(report.dead)} "
        f"dead · {len(report.moved)} moved · {report.unchecked} not checked yet" if report.checked_at
        else "never checked: `interp-bot links --check`")]
    sections = (("dead (failing on consecutive checks over 7+ days)", report.dead),
                ("moved permanently (suggested updates)", report.moved), ("failing (not dead yet)", report.failing))
    for heading, group in sections:
        if group:
            lines.append(f"{heading}:")
        for health in group:
            state = health.state
            titles = "; ".join(strip_control(use.title) for use in health.uses[:2])
            detail = (f"→ {state.moved_to}" if heading.startswith("moved") else
                      f"{state.last_error}, failing since {iso(state.first_failed_at)}") if state else ""
            lines.append(f"  {strip_control(health.url)} {strip_control(detail)}\n      {titles}")
    return "\n".join(lines) + "\n"
