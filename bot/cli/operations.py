"""Subcommands that need the store, the feeds or the chat adapters (imported only when used)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TYPE_CHECKING, Any

from bot import allocator, errors
from bot.app import App, configured_adapters
from bot.chat.text import render_text
from bot.cli import output
from bot.cli.dry_run import dry_run_database
from bot.errors import ConfigError, InterpBotError

if TYPE_CHECKING:
    from bot.settings import Settings


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.classify import classify

    handlers = {"classify": classify, "poll": _poll, "candidates": _candidates, "lessons": _lessons, "decide": _decide,
                "digest": _digest, "run": _run, "status": _status, "init": _init, "github": _github,
                "links": _links}

    try:
        return handlers[args.command](args, settings)
    except (InterpBotError, BrokenPipeError):
        raise  # cli.main words these: one line, no traceback
    except OSError as exc:
        # Discord or Slack unreachable at start (no network, DNS, a refused connection): the reason is the whole
        # story, and a traceback through aiohttp would bury it (it is logged when debugging). JSON logs get it as
        # a record, so their stream stays one object a line.
        message = f"interp-bot: {args.command}: {errors.unreachable(exc)}"
        cli_log = logging.getLogger("bot.cli")
        if settings.log_json:
            cli_log.critical(message, exc_info=exc if cli_log.isEnabledFor(logging.DEBUG) else None)
        else:
            cli_log.debug("the connection that failed", exc_info=exc)
            print(message, file=sys.stderr)
        return 1
    except Exception as exc:
        # Anything else (Discord or Slack unreachable at start, a bug) is logged, not left to Python's
        # traceback printer: the log handler redacts secrets from the message and the traceback.
        logging.getLogger("bot.cli").critical("interp-bot %s failed: %s: %s", args.command, type(exc).__name__, exc,
                                              exc_info=exc)
        return 1


def _poll(args: argparse.Namespace, settings: Settings) -> int:
    if args.dry_run:
        with dry_run_database(settings) as dry_run_settings:
            return _poll_with(args, dry_run_settings)
    return _poll_with(args, settings)


def _poll_with(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store.jobs import run_of

    allocator.keep_big_buffers_mapped()  # before the catalogue and the feeds are read: see bot/allocator.py
    app = App(settings, feeds="required")
    config = app.feeds
    assert config is not None  # feeds="required": App raised a ConfigError otherwise
    feeds = list(config.enabled)
    if args.feed:
        unknown = [name for name in args.feed if config.feed(name) is None]
        if unknown:
            names = ", ".join(f.name for f in config.feeds)
            print(f"interp-bot: no feed named {', '.join(unknown)} in {settings.feeds_file} (feeds: {names})",
                  file=sys.stderr)
            return 2
        # A name given twice is polled once: a second poll of the same feed would only meet its own papers.
        feeds = [f for name in dict.fromkeys(args.feed) if (f := config.feed(name)) is not None]
    if not feeds:
        print(f"interp-bot: no enabled feeds in {settings.feeds_file}", file=sys.stderr)
        return 1

    def progress(report: Any) -> None:
        print(("[dry run] " if args.dry_run else "") + report.summary(), flush=True)
        for paper, score, outcome in report.scored:
            print(f"    {score:.2f} {outcome:<9} {paper.title[:100]}")

    async def main() -> tuple[list[Any], int]:
        intake = await app.open_intake()
        assert intake is not None  # the feeds file is there (feeds="required")
        try:
            # Under each feed's lease, as the bot's scheduled polls: a feed the bot is polling right now is reported
            # and skipped, not polled a second time over it. A dry run stores nothing, so it needs no lease.
            reports = await intake.poll(feeds, force=True, dry_run=args.dry_run, on_report=progress,
                                        holder=None if args.dry_run else app.holder)
            if args.dry_run:
                return reports, 0
            # A bot run from cron (poll, decide, digest; no `run`) has no hourly job to close what nobody decided:
            # this is its run.
            async with run_of(app.database, "expire"):
                return reports, await app.curation.expire()
        finally:
            await app.stop()

    reports, expired = asyncio.run(main())
    if expired:
        print(f"{expired} candidate(s) nobody decided on within {settings.candidate_expiry_days} days expired")
    failed = [r for r in reports if r.status == "failed"]
    waiting = [r for r in reports if r.status == "skipped"]  # a server's Retry-After still runs
    busy = [r for r in reports if r.status == "busy"]  # another process is polling it right now
    new_candidates = sum(r.candidates for r in reports)
    polled = len(reports) - len(failed) - len(waiting) - len(busy)
    print(f"{polled}/{len(reports)} feeds polled" + (f", {len(failed)} failed" if failed else "")
          + (f", {len(waiting)} waiting as the server asked" if waiting else "")
          + (f", {len(busy)} being polled by another process" if busy else "")
          + f", {new_candidates} new candidate(s)"
          + (" — see `interp-bot candidates`" if new_candidates and not args.dry_run else ""))
    # A cron job sees any feed that failed (`status` says which and why), and a run that polled nothing because
    # another process held every feed it could poll. Feeds waiting out a server's Retry-After are the feed working
    # as the server asked: a run of only those still exits 0, as it always did.
    return 1 if failed or (busy and not polled) else 0


def _candidates(args: argparse.Namespace, settings: Settings) -> int:
    app = App(settings, feeds="unused", existing_database=True)
    from bot.curation.maintainer_commands import candidate_items, held_back_items, held_back_papers

    papers = app.curation.papers.candidates()
    held_back = held_back_papers(app.curation) if args.all else []
    if args.json:
        output.print_json([output.candidate_json(p) for p in papers + held_back])
    else:
        from bot.chat.values import Reply

        items = candidate_items(app.curation) + held_back_items(held_back, settings.timezone)
        if items:
            title = f"{len(papers)} pending candidate{'s' * (len(papers) != 1)}" + (
                f", {len(held_back)} held back by the daily budget" if args.all else "")
            reply = Reply(title=title, items=tuple(items),
                          footer="`interp-bot decide ID approve|reject [--topic SLUG]`" if papers else "")
        else:
            reply = Reply(title="No pending candidates" + (", none held back" if args.all else ""), kind="info",
                          text="`interp-bot poll --once` looks for new papers.")
        sys.stdout.write(render_text(reply))
    app.database.close()
    return 0


def _lessons(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli import lessons_text
    from bot.intake.relevance.decisions import MAX_LESSONS
    from bot.store.curation import CurationStore
    from bot.store.db import Database

    database = Database.open(settings.database_url, create=False)  # a mistyped path is an error, not "no lessons"
    try:
        store = CurationStore(database)
        if args.forget is not None or args.restore is not None:
            paper_id = args.forget if args.forget is not None else args.restore
            forget = args.forget is not None
            before = store.lessons()
            lesson = next((x for x in before if x.paper_id == paper_id), None)
            if lesson is None or not store.forget_lesson(paper_id, forget):
                print(f"interp-bot: candidate #{paper_id} has no approval or rejection to learn from "
                      "(`interp-bot lessons` lists them)", file=sys.stderr)
                return 1
            change = lessons_text.lesson_change(lesson, forget, before, store.lessons(), MAX_LESSONS)
            if args.json:
                output.print_json(change)
            else:
                print(change["text"])
            return 0
        lessons = store.lessons()
    finally:
        database.close()
    if args.json:
        output.print_json(lessons_text.lessons_json(lessons, MAX_LESSONS))
    else:
        sys.stdout.write(lessons_text.lessons_text(lessons, MAX_LESSONS))
    return 0


def _decide(args: argparse.Namespace, settings: Settings) -> int:
    from bot.catalogue.text import show_control
    from bot.cli.exits import EXIT_USAGE
    from bot.curation.maintainers import Maintainers
    from bot.curation.posts import found_listed

    maintainers = Maintainers.from_settings(settings)
    # Only an absent --as is the console maintainer: `--as "$WHO"` with WHO unset voted in their name.
    name = maintainers.canonical(settings.console_maintainer if args.as_user is None else args.as_user)
    if not maintainers.known(name):
        known = ", ".join(sorted(maintainers.names | {settings.console_maintainer}))
        shown = show_control(name) or '""'  # as typed, and a bidi override shown, not obeyed, in the terminal
        print(f"interp-bot: --as {shown}: not a configured maintainer (known: {known}; INTERP_BOT_MAINTAINERS "
              "lists them)", file=sys.stderr)
        return EXIT_USAGE
    person = maintainers.person("console", name) or name
    topic = args.topic
    if topic and args.decision == "reject":
        print(f"interp-bot: --topic {topic} is ignored: a rejected paper is filed nowhere", file=sys.stderr)
        topic = None  # ignored as said: a topic that is no topic must not stop the rejection
    app = App(settings, feeds="unused", existing_database=True)

    async def main() -> tuple[Any, Any]:
        try:
            outcome = await app.curation.decide(args.id, args.decision, person=person, topic=topic,
                                                force=args.force)
            return outcome, app.curation.store.decision(args.id) if outcome.decision else None
        finally:
            await app.stop()

    outcome, decision = asyncio.run(main())
    if outcome.error:
        print(f"interp-bot: candidate #{args.id} is {outcome.decision}, but finishing it failed: {outcome.error}\n"
              f"  fix that, then run `interp-bot decide {args.id} {args.decision}` again (or let the running bot "
              "retry); `interp-bot status` lists it", file=sys.stderr)
        return 1
    if not outcome.decision:
        if outcome.counted:
            print(f"candidate #{args.id}: {name}'s {args.decision} vote {outcome.reason} "
                  "(`--force` decides now)")
            return 0
        print(f"interp-bot: {outcome.reason}", file=sys.stderr)
        return 1
    if outcome.reason.startswith("finished"):
        print(f"candidate #{args.id}: {outcome.reason}")
        if not outcome.counted:
            return 1
    if outcome.decision == "approved":
        forced = " (forced: an override of the vote count)" if decision.forced else ""
        listed = found_listed(decision, app.catalogue.index.catalogue)  # added by hand while it waited for votes
        where = (f"already on the list as `{listed.id}` under {listed.topics[0]}; nothing written" if listed else
                 f"added to {decision.topic} as `{decision.entry_id}`; {settings.catalogue_dir}/README.md re-rendered")
        print(f"candidate #{args.id} approved{forced}: {where}", flush=True)
        if app.publisher is not None:  # the list lives on GitHub: propose it there now
            return _github_round(App(settings, feeds="unused"))
    else:  # the other way than asked (a standing ❌ vetoes an approve vote): with the reason
        why = "" if args.decision in outcome.decision else f": {name}'s {args.decision} vote {outcome.reason}"
        print(f"candidate #{args.id} {outcome.decision}{why}")
    return 0


def _digest(args: argparse.Namespace, settings: Settings) -> int:
    if args.dry_run:
        with dry_run_database(settings) as dry_run_settings:
            return _digest_with(args, dry_run_settings)
    return _digest_with(args, settings)


def _digest_with(args: argparse.Namespace, settings: Settings) -> int:
    from bot.curation.digest import job_outcomes
    from bot.store.jobs import record_runs

    app = App(settings, feeds="unused")
    names = configured_adapters(settings)

    async def main() -> Any:
        try:
            for name in names:  # a dry run connects none: they say which channels the digest is for
                app.add_adapter(name, votes=False)  # it only posts
            if not args.dry_run:
                for adapter in app.adapters:
                    await adapter.start()
            started, result = app.database.now(), await app.digest(dry_run=args.dry_run)
            if not args.dry_run:  # as the scheduled job's last run: `status` said FAILED after this posted it
                await record_runs(app.database, job_outcomes(result), started)
            return result
        finally:
            await app.stop()

    result = asyncio.run(main())
    if args.dry_run or ("console" not in names and not result.empty):
        sys.stdout.write(render_text(result.post.reply))
    if not args.dry_run:
        for channel in result.unposted:
            print(f"{channel}: nothing new since yesterday, so no digest today ({result.day}); "
                  "INTERP_BOT_DIGEST_ON_EMPTY=post sends one anyway", file=sys.stderr)
        for channel in result.skipped:
            # Claimed by an earlier run: posted, being posted by another process now (the scheduled digest, say),
            # or found empty then, with nothing new since.
            done = ("was already posted" if channel in result.already_posted else
                    "is being posted by another run right now" if channel in result.in_progress else
                    "was already done: there was nothing to post")
            print(f"{channel}: today's digest ({result.day}) {done}", file=sys.stderr)
        if result.failed:
            print(f"interp-bot: {errors.digest_not_posted(result.failed)}", file=sys.stderr)
            return 1
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    names = args.adapter or configured_adapters(settings)
    if settings.github_enabled and not (settings.github_token and settings.github_token.get_secret_value()):
        raise ConfigError(errors.GITHUB_NEEDS_TOKEN)  # before any database is made: nothing could be published
    allocator.keep_big_buffers_mapped()  # before the catalogue and the feeds are read: see bot/allocator.py
    app = App(settings, feeds="optional")
    interactive = "console" in names and sys.stdin.isatty()  # the console reads commands at its prompt too
    try:
        for name in dict.fromkeys(names):
            app.add_adapter(name, **({"reads_commands": True} if name == "console" and interactive else {}))
    except ConfigError:
        app.database.close()
        raise
    if interactive:
        from bot.adapters.console.repl import run_with_app

        return run_with_app(app)
    if "console" in names:  # a service (a container, a pipe): the console shows posts and reads nothing
        logging.getLogger("bot.cli").info("stdin is not a terminal: the console adapter prints posts and reads no "
                                          "commands (`interp-bot console` answers piped commands)")
    asyncio.run(app.run_until_stopped())
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    try:
        app = App(settings, feeds="unused", read_only=True)  # status looks; it creates and migrates nothing
    except InterpBotError as exc:
        if args.json:  # a monitor parses what it is given: the problem as JSON too, beside the line on stderr
            from bot.store.db import safe_url

            output.print_json({"problem": str(exc), "database": {"url": safe_url(settings.database_url),
                                                                 "schema": None}})
        raise
    try:
        data = output.status_json(app, configured_adapters(settings))
    finally:
        app.database.close()
    # Non-zero while an adapter of a process on this machine is down, or the list or the feeds file does not load
    # (the bot would not start): the container health check runs `status`. Either way the whole report is printed.
    startable = not data["catalogue"]["problem"] and not data["feeds_file"].get("problem")
    code = 0 if data["adapters_healthy"] and startable else 1
    if args.json:
        output.print_json(data)
        return code
    from bot.cli.status_text import render_status

    sys.stdout.write(render_status(data, settings.timezone))
    return code


def _init(args: argparse.Namespace, settings: Settings) -> int:
    from bot.github.clone import init_from_github

    repo = args.from_github or settings.github_repo
    if not repo:
        raise ConfigError("missing setting: INTERP_BOT_GITHUB_REPO (or `init --from-github OWNER/NAME`)")
    result = asyncio.run(init_from_github(settings, repo, args.into))
    for line in result.lines:
        print(line)
    return 0


def _github(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.github_enabled:
        raise ConfigError("missing setting: INTERP_BOT_GITHUB_REPO (the list's repository, OWNER/NAME; "
                          "see docs/github.md)")
    return _github_round(App(settings, feeds="unused"))


def _github_round(app: App) -> int:
    """One GitHub round with the configured chat adapters connected, so its notices reach the maintainers."""
    publisher = app.publisher
    assert publisher is not None

    async def main() -> Any:
        try:
            for name in configured_adapters(app.settings):
                app.add_adapter(name)
            for adapter in app.adapters:
                await adapter.start()
            return await publisher.run_round()
        finally:
            await app.stop()

    report = asyncio.run(main())
    if report.problems:  # "nothing to do" would be false: approvals wait for the list upstream to be fixed
        fallback = "published nothing: the list on GitHub is invalid (below); approvals wait until it is fixed"
    else:
        fallback = "nothing to do: the clone is in sync and every approval is published"
    for line in report.lines or [fallback]:
        print(f"github: {line}")
    for problem in report.problems:
        print(f"interp-bot: {problem}", file=sys.stderr)
    return 1 if report.problems else 0


def _links(args: argparse.Namespace, settings: Settings) -> int:
    from bot.links import link_report
    from bot.store.jobs import run_of
    from bot.store.links import LinkStore

    app = App(settings, feeds="unused")

    async def check() -> Any:
        try:
            # As the weekly job's run: `status` said FAILED until next Monday after this had checked every link.
            async with run_of(app.database, "links"):
                return await app.check_links()
        finally:
            await app.stop()

    if args.check:
        print(f"checking {len(app.catalogue.index.catalogue.entries)} entries' links; arXiv allows one request "
              "every 3 seconds, so this takes a while", file=sys.stderr, flush=True)
        report = asyncio.run(check())
    else:
        report = link_report(app.catalogue.index.catalogue, LinkStore(app.database))
        app.database.close()
    if args.json:
        output.print_json(output.links_json(report))
    else:
        sys.stdout.write(output.links_text(report))
    return 1 if report.dead else 0
