"""The composition root: builds the store, catalogue, commands, curation, intake, scheduler and adapters.

Nothing here is global: `App` owns every dependency and hands them to whoever needs them. Startup
checks fail fast with clear messages (invalid catalogue, unreachable database, missing settings).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import logging
import os
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from bot import errors
from bot.catalogue.service import CatalogueService
from bot.chat import emoji
from bot.chat.adapter import AdapterHealth, ChatAdapter
from bot.chat.runner import COMMAND_WAIT_SECONDS, loop_runner
from bot.commands import Commands
from bot.curation.pipeline import Curation, process_id
from bot.errors import ConfigError, FeedsError, describe
from bot.settings import Settings
from bot.store.db import Database
from bot.store.health import AdapterHealthStore

if TYPE_CHECKING:
    import httpx
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.curation.digest import DigestResult
    from bot.github.publisher import Publisher
    from bot.intake.fetch import Fetcher
    from bot.intake.poll import Intake
    from bot.intake.sources import FeedsConfig
    from bot.links import LinkReport

log = logging.getLogger(__name__)

ADAPTERS = ("console", "discord", "slack")
# How long a stop waits for a job under way (a poll takes 1-3 s) before cancelling it: the whole stop must fit in
# the 10 s a container gets between SIGTERM and SIGKILL.
JOB_STOP_GRACE_SECONDS = 3.0


def configured_adapters(settings: Settings) -> list[str]:
    """The adapters whose tokens are set; the console when none is."""
    names = []
    if settings.discord_token is not None:
        names.append("discord")
    if settings.slack_bot_token is not None:
        names.append("slack")
    return names or ["console"]


FeedsNeed = Literal["required", "optional", "unused"]


class App:
    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] | None = None,
                 feeds: FeedsNeed = "optional", read_only: bool = False, existing_database: bool = False,
                 command_wait: float = COMMAND_WAIT_SECONDS):
        """`feeds`: "required" (poll: a missing or broken feeds file is an error), "optional" (run: a missing one is
        allowed and warned about, a broken one is an error), "unused" (every other command: neither stops it, and a
        broken one is kept in `feeds_problem` for `status`; a maintainer mid-typo can still decide and look up).
        `read_only`: change nothing, not even the database's schema or a SQLite file's directory (`status`).
        `existing_database`: a SQLite file that does not exist is an error, not a new empty database (commands that
        read candidates or record a decision: a mistyped path must not answer "no candidates").
        `command_wait`: how long a maintainer's chat command waits for curation before it answers that the work
        goes on (bot.chat.runner.loop_runner)."""
        self.settings = settings
        self.command_wait = command_wait
        self.holder = process_id()
        if settings.github_enabled and not settings.catalogue_dir.is_dir():
            raise ConfigError(errors.github_not_a_clone(settings.catalogue_dir, settings.github_repo))
        # An invalid list stops every command but `status` (read_only), which reports it with the rest.
        self.catalogue = CatalogueService(settings.catalogue_dir, tolerant=read_only)
        # The feeds file before the database: a feeds file that stops the command must not leave a new or
        # migrated database behind.
        self.feeds_problem = ""
        self.feeds = self._load_feeds(feeds)
        self.database = Database.open(settings.database_url, clock=clock, migrate=not read_only,
                                      create=not (read_only or existing_database))
        self.commands = Commands(self.catalogue, page_size=settings.page_size)
        self.curation = Curation(self.database, self.catalogue, settings, holder=self.holder)
        self.http: httpx.AsyncClient | None = None  # the one HTTP client, made by fetcher()
        self._fetcher: Fetcher | None = None
        self.intake: Intake | None = None
        self.adapters: list[ChatAdapter] = []
        self.scheduler: AsyncIOScheduler | None = None
        self.publisher: Publisher | None = None
        if settings.github_enabled:  # the list lives on GitHub: approvals become pull requests (bot.github)
            from bot.github.publisher import Publisher

            self.publisher = Publisher(settings, self.curation)
            self.curation.publisher = self.publisher

        self.health = AdapterHealthStore(self.database)
        self.running_jobs: set[asyncio.Task[Any]] = set()  # the scheduler's jobs under way (bot.scheduler.leased)
        # Maintainers' commands answered as still under way, whose work goes on (bot.chat.runner.loop_runner).
        self.late_commands: set[concurrent.futures.Future[Any]] = set()

    def _load_feeds(self, need: FeedsNeed) -> FeedsConfig | None:
        from bot.intake.sources import load_feeds

        path = self.settings.feeds_file
        if not path.is_file():
            if need == "required":
                raise ConfigError(errors.feeds_file_missing(path))
            return None
        try:
            return load_feeds(path)
        except FeedsError as problem:
            if need != "unused":
                raise
            self.feeds_problem = "; ".join(problem.problems)
            return None

    # ------------------------------------------------------------------ intake

    def fetcher(self) -> Fetcher:
        """The one polite fetcher (and its HTTP client), shared by feeds and link checks: one arXiv pace."""
        if self._fetcher is None:
            from bot.intake.fetch import Fetcher, make_client

            self.http = make_client(self.settings.user_agent_contact)
            self._fetcher = Fetcher(self.http, allow_private=self.settings.allow_private_addresses)
        return self._fetcher

    async def open_intake(self) -> Intake | None:
        """Create the intake (idempotent); None when no feeds file is configured."""
        if self.intake is not None or self.feeds is None:
            return self.intake
        from bot.intake.poll import Intake

        self.intake = Intake(self.database, self.catalogue, self.fetcher(), self.settings,
                             listed=self.curation.list_index)
        return self.intake

    async def check_links(self, *, post: bool = False) -> LinkReport:
        """Check every link of the list now; with `post`, the report goes to the maintainers' channels."""
        from bot.curation.digest import local_day
        from bot.curation.notices import tell_maintainers
        from bot.links import check_links, report_post
        from bot.store.links import LinkStore

        report = await check_links(self.catalogue.index.catalogue, self.fetcher(), LinkStore(self.database),
                                   self.database.now)
        notice = report_post(report, local_day(self.database.now(), self.settings.timezone))
        if post and notice is not None:
            await tell_maintainers(self.curation, notice)
        return report

    async def tell_link_report(self) -> list[str]:
        """The last weekly link check's report, to this process's maintainers' channels that lack it. The check
        runs in one process (its lease) and tells that process's platforms; the bot of another platform (compose
        runs one per platform) tells its own from the recorded results here. Only within a day of the check."""
        from bot.curation.digest import local_day
        from bot.curation.notices import tell_maintainers
        from bot.links import link_report, report_post
        from bot.store.jobs import JobRunStore
        from bot.store.links import LinkStore

        last = await asyncio.to_thread(JobRunStore(self.database).last, "links")
        if last is None or last.problem is not None or self.database.now() - last.finished_at > timedelta(days=1):
            return []
        report = await asyncio.to_thread(link_report, self.catalogue.index.catalogue, LinkStore(self.database))
        notice = report_post(report, local_day(last.finished_at, self.settings.timezone))
        return await tell_maintainers(self.curation, notice) if notice is not None else []

    # ------------------------------------------------------------------ adapters

    def add_adapter(self, name: str, *, votes: bool = True, **options: Any) -> ChatAdapter:
        """Build adapter `name` and attach it to curation (it can post). `votes`: it also takes maintainers' votes,
        which needs the maintainers' channel configured; a one-shot `digest` only posts (a Slack or Discord set up
        with a digest channel alone can send it)."""
        if name not in ADAPTERS:
            raise ConfigError(errors.unknown_adapter(name, ADAPTERS))
        if votes:
            self._check_voting_emoji(name)
        module = importlib.import_module(f"bot.adapters.{name}")  # chat SDKs load only when used
        adapter = module.create_adapter(self.settings, self.commands, self.curation if votes else None, **options)
        self.adapters.append(adapter)
        self.curation.attach(adapter)
        return adapter

    def _check_voting_emoji(self, platform: str) -> None:
        """Refuse, before connecting, a voting emoji `platform` never sends under the name the votes are counted by
        (INTERP_BOT_APPROVE_EMOJI=rocket on Discord): the post would go up, and every vote with it count for nothing."""
        for field in ("approve_emoji", "reject_emoji", "topic_emoji"):
            for name in getattr(self.settings, field):
                if not emoji.sent_as_stored(name, platform):
                    raise ConfigError(errors.voting_emoji_never_sent(f"INTERP_BOT_{field.upper()}", name, platform,
                                                                     emoji.known_names()))

    def register_curation_commands(self) -> None:
        """The maintainers' commands (candidates, approve, reject, vote), for every adapter of this running bot:
        on Slack and Discord a maintainer has no shell, and papers the daily budget held back have no post to react
        to. Bound to the running loop, where curation posts and edits: chat adapters run command handlers in a
        worker thread (bot.chat.runner.answer), which waits there for the loop to do the work."""
        from bot.curation.maintainer_commands import register_curation_commands

        register_curation_commands(self.commands, self.curation, loop_runner(
            asyncio.get_running_loop(), timeout=self.command_wait, late=self.late_commands))
        if self.commands.threads is None:  # a pool of their own: see bot.chat.runner.answer
            self.commands.threads = concurrent.futures.ThreadPoolExecutor(
                max_workers=min(32, (os.cpu_count() or 1) + 4), thread_name_prefix="interp-command")

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, scheduler: bool = True) -> None:
        self.register_curation_commands()
        await self.open_intake()
        for adapter in self.adapters:
            log.info("connecting %s", adapter.platform)
            await adapter.start()
        await self.heartbeat()
        await asyncio.to_thread(self.health.forget_predecessors, self.holder, [a.platform for a in self.adapters])
        # Posts that kept failing before this restart (the cause fixed, one hopes) are tried again now.
        await asyncio.to_thread(self.curation.store.retry_failed_posts_now, [a.platform for a in self.adapters])
        # Thresholds are settings: one lowered since the last start decides the candidates whose votes now meet it.
        await self.curation.recount()
        await self.curation.recover()
        if scheduler:
            from bot.scheduler import build_scheduler

            self.scheduler = build_scheduler(self)
            self.scheduler.start()
        log.info("interp-bot running: adapters %s, %d feeds", ", ".join(a.platform for a in self.adapters) or "none",
                 len(self.feeds.enabled) if self.feeds else 0)
        if scheduler and self.feeds is None:  # allowed (a lookups-only bot), but never by accident unnoticed
            log.warning("%s: nothing will be polled", errors.feeds_file_missing(self.settings.feeds_file))

    async def heartbeat(self) -> None:
        """Write each adapter's connection state to the database (`status` and the health check read it)."""
        for adapter in self.adapters:
            try:
                health = await adapter.health()
            except Exception as exc:
                health = AdapterHealth("down", describe(exc))
            await asyncio.to_thread(self.health.record, adapter.platform, self.holder, health.state, health.error)

    async def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.pause()
            if self.running_jobs:  # a poll under way: let it store what it fetched and record the feed's state
                log.info("waiting up to %g s for %d running job(s)", JOB_STOP_GRACE_SECONDS, len(self.running_jobs))
                await asyncio.wait(set(self.running_jobs), timeout=JOB_STOP_GRACE_SECONDS)
            still_running = set(self.running_jobs)
            self.scheduler.shutdown(wait=False)  # cancels what is still running
            if still_running:  # each says so and gives back its lease before the database closes
                await asyncio.wait(still_running, timeout=2)
            self.scheduler = None
        if self.late_commands:  # an approval told "still being written" edits its posts: while the adapters are up
            log.info("waiting up to %g s for %d maintainer's command(s) still under way", JOB_STOP_GRACE_SECONDS,
                     len(self.late_commands))
            _, still_late = await asyncio.wait({asyncio.wrap_future(f) for f in set(self.late_commands)},
                                               timeout=JOB_STOP_GRACE_SECONDS)
            for future in still_late:  # as the jobs are: cancelled while the database they write is still open
                future.cancel()  # (and with it the coroutine on the loop: run_coroutine_threadsafe chains them)
            if still_late:
                await asyncio.wait(still_late, timeout=2)
        for adapter in reversed(self.adapters):
            try:
                await adapter.stop()
            except Exception:  # keep closing the rest
                log.exception("error while stopping %s", adapter.platform)
        if self.commands.threads is not None:  # the adapters are closed: no command comes any more
            self.commands.threads.shutdown(wait=False, cancel_futures=True)
            self.commands.threads = None
        if self.http is not None:
            await self.http.aclose()
            self.http = None
            self._fetcher = None

        if self.adapters:
            try:
                await asyncio.to_thread(self.health.forget, self.holder)
            except Exception as exc:  # the database may be what failed; stopping goes on
                log.warning("could not clear this process's adapter health rows: %s", describe(exc))
        self.database.close()

    async def digest(self, *, dry_run: bool = False, platform: str | None = None,
                     day: str | None = None) -> DigestResult:
        from bot.curation.digest import run_digest

        return await run_digest(self.curation, self.settings, dry_run=dry_run, platform=platform, day=day)

    async def run_until_stopped(self, stop: asyncio.Event | None = None) -> None:
        """Run until SIGTERM/SIGINT (or `stop` is set), then shut down cleanly."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            # Not possible outside the main thread or on Windows: Ctrl-C still ends the loop there.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
            await stop.wait()
            log.info("stopping")
        finally:
            await self.stop()
