"""Link health of the list: every link checked through the polite fetcher, dead ones reported only when they stay
dead, and permanent redirects offered as updates.

awesome_bot and hecat both learned that one failed check is noise (a server's bad minute, a rate limit), so a link
is *dead* only after failing on consecutive checks spread over at least DEAD_AFTER (7 days); until then it is
*failing*. A check is HEAD, then GET when HEAD fails, with arXiv's 3-second rule and the fetcher's SSRF guard; one
link at a time per host (a few hosts at once), so no site sees more than one request in flight from us.

`interp-bot links [--check] [--json]` and a weekly job (bot.scheduler) run it; the job posts the report to the
maintainers' channel as one post, and `interp-bot status` shows the counts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.catalogue.model import Catalogue
from bot.chat.values import Item, Link, Post, Reply
from bot.errors import InterpBotError
from bot.intake.fetch import Fetcher, Probe
from bot.store.links import LinkState, LinkStore

log = logging.getLogger(__name__)

DEAD_AFTER = timedelta(days=7)
# Two weekly checks are a week apart on the calendar, not to the second: a change to or from summer time makes that
# week 167 or 169 hours, and a link may be reached a little earlier in its run than the week before.
DEAD_AFTER_GRACE = timedelta(hours=12)
HOSTS_AT_ONCE = 6
REPORT_ITEMS = 25  # a post stays readable; `interp-bot links` lists everything
UNREACHABLE_HOSTS = 3  # this many hosts, none giving any HTTP answer: the network is down, not the links


class LinkCheckError(InterpBotError):
    """The check could not tell anything about the links (no site answered at all): nothing was recorded."""


@dataclass(frozen=True)
class LinkUse:
    """Where a URL stands in the list."""

    entry_id: str
    title: str


@dataclass(frozen=True)
class LinkHealth:
    url: str
    uses: tuple[LinkUse, ...]
    state: LinkState | None  # None: not checked yet

    @property
    def dead(self) -> bool:
        state = self.state
        return (state is not None and state.consecutive_failures >= 2 and state.first_failed_at is not None
                and state.last_checked_at - state.first_failed_at >= DEAD_AFTER - DEAD_AFTER_GRACE)

    @property
    def failing(self) -> bool:
        return self.state is not None and self.state.consecutive_failures > 0


@dataclass(frozen=True)
class LinkReport:
    links: tuple[LinkHealth, ...]

    @property
    def checked_at(self) -> datetime | None:
        times = [h.state.last_checked_at for h in self.links if h.state is not None]
        return max(times) if times else None

    @property
    def dead(self) -> list[LinkHealth]:
        return [h for h in self.links if h.dead]

    @property
    def failing(self) -> list[LinkHealth]:
        """Failing but not (yet) dead: reported as such only when they keep failing."""
        return [h for h in self.links if h.failing and not h.dead]

    @property
    def moved(self) -> list[LinkHealth]:
        return [h for h in self.links if h.state is not None and h.state.moved_to and not h.failing]

    @property
    def unchecked(self) -> int:
        return sum(1 for h in self.links if h.state is None)

    @property
    def ok(self) -> int:
        return sum(1 for h in self.links if h.state is not None and not h.failing)


def list_links(catalogue: Catalogue) -> dict[str, tuple[LinkUse, ...]]:
    """Every http(s) URL of the list, with the entries that carry it, in list order."""
    uses: dict[str, list[LinkUse]] = {}
    for entry in catalogue.entries:
        for link in entry.links:
            if link.url.startswith(("http://", "https://")):
                uses.setdefault(link.url, []).append(LinkUse(entry.id, entry.title))
    return {url: tuple(found) for url, found in uses.items()}


def link_report(catalogue: Catalogue, store: LinkStore) -> LinkReport:
    states = store.states()
    return LinkReport(tuple(LinkHealth(url, uses, states.get(url)) for url, uses in list_links(catalogue).items()))


async def check_links(catalogue: Catalogue, fetcher: Fetcher, store: LinkStore, now: Callable[[], datetime], *,
                      progress: Callable[[int, int], None] | None = None) -> LinkReport:
    """Check every link of the list once and record the outcomes; the report of the list as it now stands."""
    urls = list(list_links(catalogue))
    by_host: dict[str, list[str]] = {}
    for url in urls:
        by_host.setdefault((urlsplit(url).hostname or "").lower(), []).append(url)
    gate = asyncio.Semaphore(HOSTS_AT_ONCE)
    done = 0

    probes: list[tuple[str, Probe, datetime]] = []

    async def check_host(host_urls: list[str]) -> None:
        nonlocal done
        async with gate:
            for url in host_urls:  # one at a time per host
                probes.append((url, await fetcher.probe(url), now()))
                done += 1
                if progress is not None:
                    progress(done, len(urls))

    # The busiest hosts first: arXiv's 3-second rule makes it the long pole.
    await asyncio.gather(*(check_host(group) for group in sorted(by_host.values(), key=len, reverse=True)))
    if len(by_host) >= UNREACHABLE_HOSTS and not any(probe.status is not None for _, probe, _ in probes):
        # Not one of many sites gave any HTTP answer: our network is down (no DNS, no route), not the list's links.
        # Recorded, it would start every link's run of failures, and a second such week would call all of them dead.
        example = next((probe.error for _, probe, _ in probes if probe.error), "no answer")
        raise LinkCheckError(f"no site answered: the {len(urls)} links on {len(by_host)} hosts all failed without "
                             f"an HTTP answer (e.g. {example}); is this machine offline? Nothing was recorded")
    for url, probe, at in probes:
        await asyncio.to_thread(store.record, url, ok=probe.ok, error=probe.error or None, moved_to=probe.moved_to,
                                now=at)
    await asyncio.to_thread(store.forget_except, urls)
    report = await asyncio.to_thread(link_report, catalogue, store)
    log.info("link check: %d links, %d dead, %d failing, %d moved", len(report.links), len(report.dead),
             len(report.failing), len(report.moved))
    return report


# --------------------------------------------------------------------------- what people read


def _where(health: LinkHealth) -> str:
    titles = [use.title for use in health.uses[:2]]
    more = f" (+{len(health.uses) - 2})" if len(health.uses) > 2 else ""
    return "; ".join(titles) + more


def report_post(report: LinkReport, day: str) -> Post | None:
    """The weekly post to the maintainers: dead links and suggested updates; None when there is nothing to do."""
    dead, moved = report.dead, report.moved
    if not dead and not moved:
        return None
    items: list[Item] = []
    for health in dead[:REPORT_ITEMS]:
        state = health.state
        assert state is not None
        since = state.first_failed_at.date().isoformat() if state.first_failed_at else "?"
        items.append(Item(title=f"Dead: {_where(health)}", links=(Link("link", health.url),),
                          detail=f"{state.last_error or 'failed'} · failing since {since}, "
                                 f"{state.consecutive_failures} checks"))
    for health in moved[: max(0, REPORT_ITEMS - len(items))]:
        state = health.state
        assert state is not None and state.moved_to
        items.append(Item(title=f"Moved: {_where(health)}", links=(Link("new", state.moved_to),),
                          detail=f"{health.url} → {state.moved_to}"))
    hidden = len(dead) + len(moved) - len(items)
    text = (f"{len(report.links)} links checked: {len(dead)} dead (failing for {DEAD_AFTER.days}+ days), "
            f"{len(moved)} permanently redirected (suggested updates), {len(report.failing)} failing for now.")
    footer = f"… and {hidden} more: `interp-bot links`" if hidden > 0 else "`interp-bot links` lists them"
    reply = Reply(title=f"🔗 Link check — {day}", kind="info", text=text, items=tuple(items), footer=footer)
    return Post(key=f"links:{day}", kind="notice", reply=reply)
