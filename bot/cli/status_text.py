"""`interp-bot status` as text: what an operator reads first (is anything wrong?), then the details, aligned.

Everything shown comes from `status --json` (bot.cli.output.status_json); this only lays it out. Times are shown
in the configured time zone to the minute; reasons that came from outside (a feed's error, a platform's answer)
are one line each, control characters already stripped where they were stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.catalogue.text import flatten

LABEL = 12  # width of the section labels on the left


def when(value: str | None, zone: ZoneInfo, never: str = "never") -> str:
    """An ISO time from the JSON as `2026-12-06 05:13` in the operator's zone."""
    if not value:
        return never
    return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def counts(by_name: Mapping[str, int] | None, empty: str = "none") -> str:
    """{'seen': 12, 'candidate': 2, 'expired': 0} as `2 candidate · 12 seen` (largest last, as a reader scans for
    the rare; zeros, which the JSON keeps for monitors, left out)."""
    present = {name: n for name, n in (by_name or {}).items() if n}
    if not present:
        return empty
    return " · ".join(f"{n} {name}" for name, n in sorted(present.items(), key=lambda kv: (kv[1], kv[0])))


def one_line(text: str | None, limit: int = 160) -> str:
    flat = flatten(text or "")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Rows as left-aligned columns (the last column is not padded)."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [(indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
            .rstrip() if len(row) > 1 else indent + row[0] for row in rows]


def section(label: str, summary: str, details: Iterable[str] = ()) -> list[str]:
    return [f"{label:<{LABEL}}{summary}", *details]


def render_status(data: Mapping[str, Any], timezone: str) -> str:
    zone = ZoneInfo(timezone)
    lines: list[str] = []
    database, catalogue = data["database"], data["catalogue"]
    lines.append(f"interp-bot {data['version']} · times in {timezone}")
    lines += section("Database", f"{database['url']} (schema {database['schema']})")
    if catalogue.get("problem"):  # every other command refuses to run until it is fixed
        # A bot that is up loaded a valid list (it does not start on an invalid one) and goes on answering from it.
        running = [a["process"] for a in data["adapters"] if a["state"] == "up" and not a["stale"]]
        serving = (f"  the running bot ({', '.join(dict.fromkeys(running))}) keeps serving the last valid list and "
                   "reloads once the file is fixed; a restart fails until then" if running
                   else "  the bot does not start until it is fixed")
        lines += section("Catalogue", f"{catalogue['dir']} · INVALID: {one_line(catalogue['problem'], 600)}",
                         [serving])
    else:
        readme = "README current" if catalogue["readme_current"] else "README.md is STALE: run `interp-bot render`"
        lines += section("Catalogue", f"{catalogue['dir']} · {catalogue['entries']} entries · {readme}")
    papers = counts(data["papers"], "none yet")
    budget = data.get("budget")  # absent from documents of versions before it
    # Read in a shell, and relayed to maintainers who curate in chat, where the command is /interp's.
    chats = {a["platform"] for a in data["adapters"]}
    in_chat = "".join(f"; `{typed}` on {name}" for platform, name, typed in (
        ("slack", "Slack", "/interp candidates --all"), ("discord", "Discord", "/interp candidates all:True"))
        if platform in chats)
    today = (f" · today {budget['today']} of {budget['limit']}"
             + (f" ({budget['held_back_today']} more held back: `interp-bot candidates --all`{in_chat})"
                if budget["held_back_today"] else "")) if budget else ""
    lines += section("Candidates", f"{data['pending_candidates']} pending{today} · papers: {papers}")
    digest = data["last_digest"]
    lines += section("Digest", f"last {digest['day']} in {digest['channel']}" if digest else "never posted")

    adapters = data["adapters"]
    rows = []
    for item in adapters:
        if item["stale"]:
            state, since = "GONE?", f"no heartbeat since {when(item['last_heard'], zone)}"
        else:
            state = item["state"] if item["state"] == "up" else item["state"].upper()  # trouble in capitals
            since = f"since {when(item['since'], zone)}"
        why = one_line(item["error"]) if item["error"] and item["state"] != "up" else ""
        rows.append([item["platform"], state, since, f"process {item['process']}" + (f" — {why}" if why else "")])
    configured = ", ".join(data["adapters_configured"]) or "none"
    summary = "none running" if not adapters else ("all up" if data["adapters_healthy"] else "NOT ALL UP")
    lines += section("Adapters", f"{summary} (configured: {configured})", table(rows))

    unfinished = data["approvals_unfinished"]
    lines += section("Approvals", f"{len(unfinished)} UNFINISHED" if unfinished else "none unfinished", [
        f"  #{item['candidate']} {one_line(item['title'], 70)} — {item['decision']} {when(item['decided_at'], zone)}; "
        + (f"{item['attempts']} failed attempt(s): {one_line(item['error'])}" if item["error"] else "not yet written")
        for item in unfinished])
    failing = data["posts_failing"]
    lines += section("Posts", f"{len(failing)} FAILING" if failing else "none failing", table([
        [item["platform"], item["channel"], f"#{item['candidate']}", f"failed {item['attempts']}x",
         f"next try {when(item['next_attempt'], zone)} — {one_line(item['error'])}"] for item in failing]))

    jobs = data.get("jobs")  # absent from documents of versions before it
    if jobs is not None:
        failed = [job for job in jobs if job["problem"]]
        summary = (f"{len(failed)} FAILED at their last run" if failed
                   else "all ok at their last run" if jobs else "none has run yet")
        lines += section("Jobs", summary, table([[job["name"], f"failed {when(job['finished_at'], zone)}",
                                                  one_line(job["problem"], 400)] for job in failed]))

    links = data["links"]
    if links is None:  # the list does not load: which links it holds is unknown
        summary = "unknown while the catalogue is invalid"
    elif links["checked_at"]:
        dead = f"{links['dead']} DEAD" if links["dead"] else "0 dead"
        summary = (f"{links['links']} in the list · checked {when(links['checked_at'], zone)}: {links['ok']} ok · "
                   f"{links['failing']} failing · {dead} · {links['moved']} moved")
    else:
        summary = f"{links['links']} in the list · never checked (`interp-bot links --check`)"
    lines += section("Links", summary)
    github = data.get("github")
    if github:
        pulls = ", ".join(f"#{p['number']} {p['url']}" for p in github["open_pull_requests"]) or "none open"
        last = github.get("last_round")
        if github.get("token_set") is False:
            rounds = "GITHUB_TOKEN IS NOT SET: nothing is published, and `run` refuses to start"
        elif last is None:
            rounds = "no round yet"
        elif last["problem"]:
            # Whole (up to a long paragraph): the remedy is at the end of these messages.
            rounds = f"LAST ROUND {when(last['finished_at'], zone)} HIT A PROBLEM: {one_line(last['problem'], 600)}"
        else:
            rounds = f"last round {when(last['finished_at'], zone)} ok"
        running = github.get("round_in_progress")
        if running:
            rounds += (f" · a round is running ({running['holder']}, its lease ends "
                       f"{when(running['lease_expires_at'], zone)} at the latest)")
        lines += section("GitHub", f"{github['repo']} ({github['mode']}) · approvals: "
                                   f"{counts(github['publications'])} · pull requests: {pulls} · {rounds}")

    feeds = data["feeds"]
    summary = feed_summary(feeds) if feeds else "none configured"
    if not data["feeds_file"]["found"]:
        summary = f"FEEDS FILE {data['feeds_file']['path']} NOT FOUND: nothing is polled · {summary}"
    elif data["feeds_file"].get("problem"):
        summary = f"FEEDS FILE INVALID: {one_line(data['feeds_file']['problem'])} · {summary}"
    lines += section("Feeds", summary)
    rows = [["name", "health", "last poll", "next poll", "last new item", "failures"]]
    notes: dict[int, list[str]] = {}
    for feed in feeds:
        # Capitals are trouble (docs/operations.md); a feed not polled yet is not, on a fresh install or until its turn.
        health = feed["health"].upper() if feed["health"] not in ("ok", "never polled") else feed["health"]
        if not feed.get("configured", True):  # polled once, no longer in the feeds file (or the file is unreadable)
            health = "not in file"
        elif not feed["enabled"]:
            health = "disabled"
        gap = f" (every ~{usual_gap(feed['usual_gap_hours'])})" if feed["usual_gap_hours"] is not None else ""
        rows.append([feed["name"], health, when(feed["last_poll"], zone), next_poll(feed, zone),
                     when(feed["last_new_item"], zone) + gap, str(feed["total_failures"])])
        if feed["health"] not in ("ok", "never polled") and feed["enabled"]:
            since = f"since {when(feed['health_since'], zone)}: " if feed["health_since"] else ""
            notes.setdefault(len(rows) - 1, []).append(f"      {since}{one_line(feed['health_reason'])}")
        if feed.get("moved_to") and feed.get("configured", True):  # absent from documents before schema 10
            notes.setdefault(len(rows) - 1, []).append(
                f"      moved permanently to {one_line(feed['moved_to'], 300)}: update its url in the feeds file")
    if feeds:
        for index, line in enumerate(table(rows)):
            lines.append(line)
            lines += notes.get(index, [])
    return "\n".join(lines) + "\n"


def next_poll(feed: Mapping[str, Any], zone: ZoneInfo) -> str:
    """When a feed is polled next; "polling now"; or its time marked overdue (a poll stopped on an error of ours,
    which Jobs names, or no bot running): a time in the past alone read as if a poll were coming then."""
    if not feed["enabled"]:
        return "-"
    if feed.get("polling"):  # absent from documents of versions before it, as "overdue" is
        return "polling now"
    if feed.get("overdue"):
        return f"{when(feed['next_poll'], zone)} OVERDUE" if feed["next_poll"] else "OVERDUE"
    return when(feed["next_poll"], zone, "at start")


def usual_gap(hours: float) -> str:
    """"24 h", "3.5 h"; under an hour in minutes ("~0 h" said nothing of a feed that brings items every few)."""
    return f"{round(hours, 1):g} h" if hours >= 1 else f"{max(1, round(hours * 60))} min"


def feed_summary(feeds: Sequence[Mapping[str, Any]]) -> str:
    enabled = [f for f in feeds if f["enabled"]]
    moved = sum(1 for f in enabled if f.get("moved_to"))
    return _health_summary(feeds, enabled) + (f" · {moved} moved permanently" if moved else "")


def _health_summary(feeds: Sequence[Mapping[str, Any]], enabled: Sequence[Mapping[str, Any]]) -> str:
    elsewhere = sum(1 for f in feeds if not f.get("configured", True))  # known to the database, not the feeds file
    by_health: dict[str, int] = {}
    for feed in enabled:
        by_health[feed["health"]] = by_health.get(feed["health"], 0) + 1
    trouble = {k: v for k, v in by_health.items() if k not in ("ok", "never polled")}
    overdue = sum(1 for feed in enabled if feed.get("overdue"))  # however it answered when last polled
    if overdue:
        trouble["overdue"] = overdue
    never = by_health.get("never polled", 0)
    head = f"{len(enabled)} enabled, {len(feeds) - len(enabled) - elsewhere} disabled" + (
        f", {elsewhere} not in the feeds file" if elsewhere else "")
    if trouble:
        return head + " · " + " · ".join(f"{n} {state.upper()}" for state, n in sorted(trouble.items()))
    if not enabled:
        return head
    if never == len(enabled):
        return head + " · none polled yet"
    return head + " · all ok" + (f" ({never} never polled)" if never else "")
