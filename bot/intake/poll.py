"""One poll of the feeds: fetch → parse → normalise → dedupe → score → store, each feed contained.

A feed that fails (network, HTTP, garbage, a stale or empty batch) is logged, counted and backed off;
the others go on. The first poll of a new feed records everything it sees but puts forward only a few
of the newest relevant items, so adding a feed never floods the maintainers.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.catalogue.service import CatalogueService
from bot.catalogue.text import one_line
from bot.intake.fetch import Fetcher, Validators
from bot.intake.health import note_move, usual_gap
from bot.intake.identity import paper_keys
from bot.intake.list_index import ListIndexCache
from bot.intake.memory import release_after_poll
from bot.intake.parse import Paper, parse_feed
from bot.intake.relevance.cache import RelevanceCache
from bot.intake.retry import backoff_delay
from bot.intake.sources import FeedSpec
from bot.store.curation import CurationStore
from bot.store.db import Database
from bot.store.feeds import FeedState
from bot.store.jobs import POLL_JOB, run_of
from bot.store.papers import CandidateBudget, PaperStore

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

STALE_BATCH_AFTER = timedelta(hours=30)  # arXiv announces daily: the same batch a day later is a stuck feed


def poll_lease(feed: str) -> str:
    """The database lease every poll of `feed` holds, the bot's scheduled one (bot.scheduler) and `interp-bot poll`
    alike: two polls of one feed at once each saved the feed state they began with, and the last to save overwrote
    the other's ETag, Last-Modified, last poll and Retry-After. Also the name its scheduled job's runs are recorded
    under for `status` (bot.store.jobs)."""
    return POLL_JOB + feed


@dataclass(frozen=True)
class FeedReport:
    feed: str
    status: str  # ok | not_modified | skipped | busy (another process is polling it) | failed
    items: int = 0
    new: int = 0
    candidates: int = 0
    listed: int = 0
    error: str = ""
    scored: tuple[tuple[Paper, float, str], ...] = ()  # (paper, score, outcome) for --dry-run output
    degraded: str = ""  # parsed, but only in part: why
    held_back: int = 0  # relevant, but over the day's candidate budget: stored `seen`

    def summary(self) -> str:
        """One line for a terminal: the error and the reason come from outside, and are made safe to print."""
        if self.status == "failed":
            return f"{self.feed}: FAILED — {one_line(self.error)}"
        if self.status == "skipped":
            return f"{self.feed}: not polled — {one_line(self.error)}" if self.error else f"{self.feed}: not due yet"
        if self.status == "busy":
            return f"{self.feed}: not polled — {self.error}"
        if self.status == "not_modified":
            return f"{self.feed}: not modified since the last poll"
        held = f" ({self.held_back} more held back by the daily budget)" if self.held_back else ""
        return (f"{self.feed}: {self.items} items, {self.new} new, {self.candidates} candidate(s){held}, "
                f"{self.listed} already on the list" + (f" — DEGRADED: {one_line(self.degraded)}"
                                                        if self.degraded else ""))


class Intake:
    def __init__(self, database: Database, catalogue: CatalogueService, fetcher: Fetcher, settings: Settings, *,
                 rng: random.Random | None = None, feed_deadline: float = 120.0,
                 listed: ListIndexCache | None = None):
        self.db = database
        self.store = PaperStore(database)
        self.catalogue = catalogue
        self.fetcher = fetcher
        self.settings = settings
        self.relevance = RelevanceCache(catalogue, CurationStore(database), settings.relevance_threshold)
        self.listed = listed or ListIndexCache()  # curation's, given: one index of the list in memory, not two
        self.rng = rng or random.Random()
        self.feed_deadline = feed_deadline
        # Every feed's parse-to-store runs on this one thread, one feed after another (issue 16). Two big feeds
        # processed at once held two parsed documents together; and on different threads glibc gives each its own
        # malloc arena, where what one feed freed is never reused by the next, so the peak RSS was the sum of the
        # feeds' peaks. The work is pure Python under the GIL: one after another takes no longer in all. (The
        # thread ends when this Intake is collected.)
        self._processing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake")
        # A dry run stores nothing, so the day's budget in the database does not see what its earlier feeds would
        # have put forward: counted here, for the feeds after them (they are processed one at a time).
        self._dry_run_candidates = 0
        # ...and nor does the store hold the papers they would have stored: a paper two feeds carry (an arXiv query
        # and a listing) is merged into the first one's, not a new candidate of each. Their keys, for the feeds after.
        self._dry_run_claims: dict[str, tuple[int, str | None]] = {}

    @property
    def lease_ttl(self) -> timedelta:
        """How long a poll's lease lasts: beyond the feed's deadline, so it outlives any poll that holds it, and
        a process killed mid-poll keeps the feed from the others only this long."""
        return timedelta(seconds=self.feed_deadline + 60)

    async def poll(self, feeds: Iterable[FeedSpec], *, force: bool = False, dry_run: bool = False,
                   on_report: Callable[[FeedReport], None] | None = None,
                   holder: str | None = None) -> list[FeedReport]:
        """Poll feeds concurrently (the fetcher keeps arXiv's one-at-a-time rule); never raises for a feed.

        With `holder` (this process, `interp-bot poll`), each feed is polled under its lease (`poll_lease`), and
        one another process is polling right now is reported "busy" instead. The scheduler takes the same lease
        around its own call (bot.scheduler.leased), so it passes none."""

        async def one(feed: FeedSpec) -> FeedReport:
            if holder is None:
                report = await self.poll_feed(feed, force=force, dry_run=dry_run)
            else:
                report = await self._poll_leased(feed, holder, force=force, dry_run=dry_run)
            if on_report is not None:
                on_report(report)
            return report

        try:
            return list(await asyncio.gather(*(one(feed) for feed in feeds)))
        finally:  # one dry run's tally is no other's
            self._dry_run_candidates = 0
            self._dry_run_claims = {}

    async def _poll_leased(self, feed: FeedSpec, holder: str, *, force: bool, dry_run: bool) -> FeedReport:
        """Skipped, not waited for: the other process is fetching this feed now and stores what it brings, so a
        second fetch right after would at best be answered 304, and waiting out its deadline (minutes) would hang a
        shell or a cron job for nothing."""
        lease = poll_lease(feed.name)
        if not await asyncio.to_thread(self.db.acquire_lease, lease, holder, self.lease_ttl):
            held = await asyncio.to_thread(self.db.lease_holder, lease)
            by = f" ({held[0]}, until {held[1]:%H:%M} UTC at the latest)" if held else ""
            log.info("feed %s is being polled by another process%s; skipped here", feed.name, by,
                     extra={"feed": feed.name})
            return FeedReport(feed.name, "busy", error=f"another interp-bot process{by} is polling it right now; "
                                                       "`interp-bot status` shows how that poll went")
        try:
            # As a run of the feed's scheduled job: one stopped by an error of ours (the database refusing a write)
            # showed in `status` until the bot's next poll of it, whatever a poll from a shell did meanwhile.
            async with run_of(self.db, lease):
                return await self.poll_feed(feed, force=force, dry_run=dry_run)
        finally:
            await asyncio.to_thread(self.db.release_lease, lease, holder)

    async def poll_feed(self, feed: FeedSpec, *, force: bool = False, dry_run: bool = False) -> FeedReport:
        now = self.db.now()
        state = (await asyncio.to_thread(self.store.feed_state, feed.name)).as_of(now)
        if not force and state.next_poll_at and state.next_poll_at > now:
            return FeedReport(feed.name, "skipped")
        if state.retry_after_until and state.retry_after_until > now:  # the server's word, forced poll or not
            return FeedReport(feed.name, "skipped", error=f"the server asked us to wait until "
                                                          f"{state.retry_after_until:%Y-%m-%d %H:%M} UTC (Retry-After)")
        try:
            async with asyncio.timeout(self.feed_deadline):
                return await self._poll(feed, state, now, dry_run)
        except Exception as exc:  # contained: one feed's bug or outage never stops the others
            if isinstance(exc, TimeoutError):
                error = f"no answer within {self.feed_deadline:g} s"
                log.warning("feed %s: %s", feed.name, error, extra={"feed": feed.name})
            else:
                error = one_line(f"{type(exc).__name__}: {exc}")
                log.exception("feed %s failed", feed.name, extra={"feed": feed.name})
            if not dry_run:
                await asyncio.to_thread(self._record_failure, feed, state, error, None, now)
            return FeedReport(feed.name, "failed", error=error)

    async def _poll(self, feed: FeedSpec, state: FeedState, now: datetime, dry_run: bool) -> FeedReport:
        result = await self.fetcher.fetch(feed, Validators(state.etag, state.last_modified))
        state = note_move(feed, state, result)
        if result.status == "waiting":  # not asked: the server is waited out as this feed's own Retry-After would be
            until = now + timedelta(seconds=result.retry_after or 0)
            if not dry_run:  # and due then, not before: left due, the scheduler ran it every second meanwhile
                await asyncio.to_thread(self.store.save_feed_state, replace(
                    state, retry_after_until=until, next_poll_at=max(until, state.next_poll_at or until)))
            error = f"the server asked us to wait until {until:%Y-%m-%d %H:%M} UTC (Retry-After: {result.error})"
            log.info("feed %s: not polled: %s", feed.name, error, extra={"feed": feed.name})
            return FeedReport(feed.name, "skipped", error=error)
        if result.status == "error":
            error = one_line(result.error)  # it may quote a server's Location header or reason
            if result.retry_after is not None:
                error += f" (Retry-After {result.retry_after:.0f} s)"
            log.warning("feed %s: %s", feed.name, error, extra={"feed": feed.name})
            if not dry_run:
                await asyncio.to_thread(self._record_failure, feed, state, error, result.retry_after, now)
            return FeedReport(feed.name, "failed", error=error)
        if result.status == "not_modified":
            if not dry_run:  # the same content as last time: as degraded (or not) as it was then
                # ...with the validators the 304 carries (RFC 9111 §4.3.4; the fetcher keeps those it left out):
                # a server whose tags changed answers the old ones with a whole feed once it forgets them.
                await asyncio.to_thread(self._record_success, feed, state, now, etag=result.etag,
                                        last_modified=result.last_modified, batch=state.last_batch,
                                        degraded=state.degraded)
            return FeedReport(feed.name, "not_modified")
        # The body is handed over, not shared: the parse lets it go (4.6 MB for a 2,000-entry feed) before the
        # papers are scored and stored.
        body, result = [result.body], replace(result, body=b"")
        report, batch = await asyncio.get_running_loop().run_in_executor(
            self._processing, self._process_and_release, feed, state, body, now, dry_run, result.warnings)
        if not dry_run and report.status == "ok":
            await asyncio.to_thread(self._record_success, feed, state, now, etag=result.etag,
                                    last_modified=result.last_modified, batch=batch, items=report.items,
                                    initialised=True, new=report.new, degraded=report.degraded or None)
        return report

    def _process_and_release(self, feed: FeedSpec, state: FeedState, body: list[bytes], now: datetime,
                             dry_run: bool, warnings: tuple[str, ...]) -> tuple[FeedReport, str]:
        try:
            return self.process(feed, state, body.pop(), now, dry_run, warnings)
        finally:
            release_after_poll()

    def process(self, feed: FeedSpec, state: FeedState, body: bytes, now: datetime,
                dry_run: bool = False, warnings: tuple[str, ...] = ()) -> tuple[FeedReport, str]:
        """Parse, dedupe, score and store one fetched body (everything after the network).

        `warnings` are the fetcher's (a truncated compressed body). A feed that parsed only in part is ingested
        and reported degraded, with the first problem as the reason; one that parsed to nothing has failed."""
        parsed = parse_feed(body, feed.kind, feed=feed.name)
        del body  # parsed: not held while the papers are scored and stored
        problems = (*(one_line(w) for w in warnings), *parsed.errors)
        for problem in problems:
            log.warning("feed %s: parse error: %s", feed.name, problem, extra={"feed": feed.name})
        papers = list(parsed.papers)
        if len(papers) > feed.max_entries:  # read in part: said in the log and in `status`, never silently
            cut = (f"{len(papers)} items, only the first {feed.max_entries} read: raise this feed's max_entries in "
                   "the feeds file")
            log.warning("feed %s: %s", feed.name, cut, extra={"feed": feed.name})
            problems = (*problems, cut)
            del papers[feed.max_entries:]
        failure = self._batch_problem(feed, state, parsed.total_items, problems, papers, now)
        if failure:
            if not dry_run:
                self._record_failure(feed, state, failure, None, now)
            return FeedReport(feed.name, "failed", items=len(papers), error=failure), ""
        report = self._ingest(feed, state, papers, now, dry_run, parsed.skipped_identities)
        if problems:
            more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
            report = replace(report, degraded=one_line(problems[0] + more))
        return report, _batch_digest(papers)

    def _batch_problem(self, feed: FeedSpec, state: FeedState, total_items: int, errors: tuple[str, ...],
                       papers: list[Paper], now: datetime) -> str:
        if not papers:
            if errors:
                return errors[0]
            # An empty daily listing is a quiet day, not a failure (`status` flags a quiet weekday); any other
            # feed that parses to nothing is broken.
            if total_items == 0 and feed.kind != "arxiv_rss":
                return "the feed parsed to zero entries"
            return ""
        if feed.kind == "arxiv_rss" and state.last_batch == _batch_digest(papers) and state.last_batch_at \
                and now - state.last_batch_at > STALE_BATCH_AFTER:
            return "the feed serves the same batch as more than a day ago (stale mirror?)"
        return ""

    def _ingest(self, feed: FeedSpec, state: FeedState, papers: list[Paper], now: datetime,
                dry_run: bool, skipped: tuple[tuple[str, str], ...] = ()) -> FeedReport:
        """Dedupe, score and store fresh papers. `skipped`: (arXiv id, title) of items that are not news (a
        replacement of a listed paper still tells its entry the arXiv id)."""
        catalogue = self.catalogue.index.catalogue
        listed_index = self.listed.index(catalogue, self.store.listed_arxiv_ids())
        model = self.relevance.model()
        seen_before = self.store.seen_items(feed.name, (p.item_id for p in papers))
        fresh = [p for p in papers if p.item_id not in seen_before]
        scores = model.score_many((p.title, p.abstract) for p in fresh)
        first_poll = not state.initialised
        quota = feed.first_poll_max_items if feed.first_poll_max_items is not None \
            else self.settings.first_poll_max_items
        if first_poll:  # only the newest few relevant items of a brand-new feed become candidates
            # A daily listing dates every item alike: among equals, the best scores, not the feed's order.
            order = [(paper.published or now, relevance.score) for paper, relevance in zip(fresh, scores, strict=True)]
            newest_first = sorted(range(len(fresh)), key=order.__getitem__, reverse=True)
            allowed = {i for i in newest_first if scores[i].relevant}
            allowed = set(sorted(allowed, key=newest_first.index)[:quota])
        key_sets = [paper_keys(p) for p in fresh]  # once per paper: for the list's index and for the store
        rows = []
        learned = [(ident, entry) for ident, title in skipped if (entry := listed_index.learnable(ident, title))]
        for i, (paper, relevance) in enumerate(zip(fresh, scores, strict=True)):
            listed = listed_index.match(paper, keys=key_sets[i])
            if listed and paper.arxiv_id and listed_index.learnable(paper.arxiv_id, paper.title) == listed:
                learned.append((paper.arxiv_id, listed))  # the entry's arXiv id, for its linkposts to come
            if listed:
                status = "listed"
            elif relevance.relevant and (not first_poll or i in allowed):
                status = "candidate"
            else:
                status = "seen"
            rows.append((paper, relevance, status, listed))
        # Dated when stored, not when the poll began: a digest run while this poll fetched and scored covered up to
        # its own time, and papers dated before that were in no digest (nor counted in the day they arrived on).
        now = self.db.now()
        budget = CandidateBudget(start_of_day(now, self.settings.timezone), self.settings.max_candidates_per_day)
        report = FeedReport(
            feed.name, "ok", items=len(papers), new=len(fresh),
            candidates=sum(1 for r in rows if r[2] == "candidate"), listed=sum(1 for r in rows if r[2] == "listed"),
        )
        if dry_run:
            report = _dry_run_report(report, rows, budget.limit - self.store.candidates_since(budget.since)
                                     - self._dry_run_candidates, self.store.stored(key_sets, self._dry_run_claims))
            self._dry_run_candidates += report.candidates
            return report
        if learned:
            self.store.learn_listed_arxiv_ids(learned, now=now)
        batch = [(keys, _paper_values(paper, relevance, status, listed), paper.item_id)
                 for keys, (paper, relevance, status, listed) in zip(key_sets, rows, strict=True)]
        wanted = [paper.canonical_id if status == "candidate" else None for paper, _, status, _ in rows]
        # The rows to store hold all that is stored: the scores and their topic objects go before the insert, the
        # poll's peak (issue 16).
        del rows, scores, key_sets
        recorded = self.store.record_batch(batch, feed=feed.name, now=now, budget=budget)
        created_candidates = sum(1 for (_, created), canonical_id in zip(recorded, wanted, strict=True)
                                 if created and canonical_id is not None and canonical_id not in budget.held_back)
        return replace(report, candidates=created_candidates, held_back=len(budget.held_back))

    def _record_success(self, feed: FeedSpec, state: FeedState, now: datetime, *, etag: str | None,
                        last_modified: str | None, batch: str | None, items: int = 0,
                        initialised: bool | None = None, new: int = 0, degraded: str | None = None) -> None:
        changed_batch = batch != state.last_batch
        gap, gaps_seen = state.new_item_gap_seconds, state.new_item_gaps_seen
        if new and state.last_new_item_at is not None:
            gap = usual_gap(gap, (now - state.last_new_item_at).total_seconds())
            gaps_seen += 1
        self.store.save_feed_state(replace(
            state, etag=etag, last_modified=last_modified, last_poll_at=now, last_success_at=now,
            consecutive_failures=0, failing_since=None, next_poll_at=now + timedelta(minutes=feed.interval_minutes),
            last_batch=batch, last_batch_at=now if changed_batch or not state.last_batch_at else state.last_batch_at,
            items_seen=state.items_seen + items,
            initialised=state.initialised if initialised is None else initialised or state.initialised,
            degraded=degraded, degraded_since=(state.degraded_since or now) if degraded else None,
            retry_after_until=None,
            last_new_item_at=now if new else state.last_new_item_at, new_item_gap_seconds=gap,
            new_item_gaps_seen=gaps_seen,
        ))

    def _record_failure(self, feed: FeedSpec, state: FeedState, error: str, retry_after: float | None,
                        now: datetime) -> None:
        failures = state.consecutive_failures + 1
        delay = backoff_delay(failures, base_seconds=feed.interval_minutes * 60, retry_after=retry_after,
                              rng=self.rng)
        self.store.save_feed_state(replace(
            state, last_poll_at=now, last_error=one_line(error), last_error_at=now, consecutive_failures=failures,
            failing_since=state.failing_since if state.consecutive_failures else now,
            total_failures=state.total_failures + 1, next_poll_at=now + timedelta(seconds=delay),
            retry_after_until=now + timedelta(seconds=retry_after) if retry_after else None,
        ))


def start_of_day(now: datetime, timezone: str) -> datetime:
    """Midnight of `now`'s day in `timezone` (the day the candidate budget counts in), in UTC as the store keeps
    times (SQLite compares them as written). The first midnight where it comes twice (Havana leaves summer time at
    01:00, back to 00:00): in the repeated hour `now` carries fold=1, which would name the second."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0).astimezone(UTC)


def _dry_run_report(report: FeedReport, rows: list[tuple[Paper, Any, str, str | None]], left: int,
                    stored: list[bool]) -> FeedReport:
    """What a real poll would do, the day's budget included (the best of the batch first). A paper stored already
    (from another feed) is merged into it, as it was, and is no new candidate."""
    known = {i for i, (row, is_stored) in enumerate(zip(rows, stored, strict=True)) if is_stored and row[2] != "listed"}
    # The store's order: the best first, a tie to the smaller canonical id (PaperStore._admit_candidates).
    wanted = sorted((i for i, row in enumerate(rows) if row[2] == "candidate" and i not in known),
                    key=lambda i: (-rows[i][1].score, rows[i][0].canonical_id))
    held = set(wanted[max(0, left):])
    scored = tuple((paper, rel.score, "stored" if i in known else "held back" if i in held else status)
                   for i, (paper, rel, status, _) in enumerate(rows))
    return replace(report, candidates=len(wanted) - len(held), held_back=len(held), scored=scored)


def _batch_digest(papers: list[Paper]) -> str:
    return hashlib.sha256("\n".join(sorted(p.item_id for p in papers)).encode()).hexdigest()


def _paper_values(paper: Paper, relevance: Any, status: str, listed: str | None) -> dict[str, Any]:
    return {
        # The paper's own tuples, not list copies: the JSON columns store them as the same arrays, and a 2,000-paper
        # poll holds every row at once (issue 16).
        "canonical_id": paper.canonical_id, "arxiv_id": paper.arxiv_id, "title": paper.title,
        "authors": paper.authors, "abstract": paper.abstract, "abs_url": paper.abs_url,
        "pdf_url": paper.pdf_url, "links": paper.links,
        "categories": paper.categories, "published": paper.published, "score": round(relevance.score, 4),
        "topics": [{"slug": t.slug, "title": t.title, "path": t.path, "score": round(t.score, 4)}
                   for t in relevance.topics],
        "status": status, "listed_entry": listed,
    }
