"""Subcommands that need the store, the feeds or the chat adapters (imported only when used)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

from bot.app import App, configured_adapters
from bot.chat.text import render_text
from bot.cli import output
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.settings import Settings


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    handlers = {"classify": _classify, "poll": _poll, "candidates": _candidates, "lessons": _lessons, "decide": _decide,
                "digest": _digest, "run": _run, "status": _status, "init": _init, "github": _github,
                "links": _links}
    from bot.errors import InterpBotError

    try:
        return handlers[args.command](args, settings)
    except InterpBotError:
        raise  # cli.main words these: one line, no traceback
    except Exception as exc:
        # Anything else (Discord or Slack unreachable at start, a bug) is logged, not left to Python's
        # traceback printer: the log handler redacts secrets from the message and the traceback.
        logging.getLogger("bot.cli").critical("interp-bot %s failed: %s: %s", args.command, type(exc).__name__, exc,
                                              exc_info=exc)
        return 1


def _classify(args: argparse.Namespace, settings: Settings) -> int:
    from bot.catalogue.service import CatalogueService
    from bot.intake.relevance import Label, RelevanceModel, labels_from

    catalogue = CatalogueService(settings.catalogue_dir).index.catalogue
    labels: list[Label] = []
    try:  # decisions already taken teach the model; classify still works without a database
        from bot.store.curation import CurationStore
        from bot.store.db import Database

        database = Database.open(settings.database_url, migrate=False)
        labels = labels_from(CurationStore(database).lessons(forgotten=False))
        database.close()
    except Exception:  # no database yet (or unreachable): the shipped model alone
        labels = []
    model = RelevanceModel.build(catalogue, labels, threshold=settings.relevance_threshold)
    bad = classify_stream(model, sys.stdin, sys.stdout)
    if bad:
        print(f"interp-bot: {bad} input line(s) were not valid JSON objects with a title", file=sys.stderr)
    return 1 if bad else 0


def _poll(args: argparse.Namespace, settings: Settings) -> int:
    app = App(settings, feeds_required=True)
    config = app.feeds
    assert config is not None  # feeds_required: App raised a ConfigError otherwise
    feeds = list(config.enabled)
    if args.feed:
        unknown = [name for name in args.feed if config.feed(name) is None]
        if unknown:
            names = ", ".join(f.name for f in config.feeds)
            print(f"interp-bot: no feed named {', '.join(unknown)} in {settings.feeds_file} (feeds: {names})",
                  file=sys.stderr)
            return 2
        feeds = [f for name in args.feed if (f := config.feed(name)) is not None]
    if not feeds:
        print(f"interp-bot: no enabled feeds in {settings.feeds_file}", file=sys.stderr)
        return 1

    def progress(report: Any) -> None:
        print(("[dry run] " if args.dry_run else "") + report.summary(), flush=True)
        for paper, score, outcome in report.scored:
            print(f"    {score:.2f} {outcome:<9} {paper.title[:100]}")

    async def main() -> list[Any]:
        intake = await app.open_intake()
        assert intake is not None  # the feeds file is there (feeds_required)
        try:
            return await intake.poll(feeds, force=True, dry_run=args.dry_run, on_report=progress)
        finally:
            await app.stop()

    reports = asyncio.run(main())
    failed = [r for r in reports if r.status == "failed"]
    new_candidates = sum(r.candidates for r in reports)
    print(f"{len(reports) - len(failed)}/{len(reports)} feeds polled, {new_candidates} new candidate(s)"
          + (" — see `interp-bot candidates`" if new_candidates and not args.dry_run else ""))
    return 1 if failed and len(failed) == len(reports) else 0


def _candidates(args: argparse.Namespace, settings: Settings) -> int:
    app = App(settings)
    papers = app.curation.papers.candidates()
    held_back = app.curation.papers.held_back() if args.all else []
    if args.json:
        output.print_json([output.candidate_json(p) for p in papers + held_back])
    else:
        from bot.chat.values import Reply
        from bot.curation.maintainer_commands import candidate_items

        items = candidate_items(app.curation) + output.held_back_items(held_back)
        title = f"{len(papers)} pending candidate(s)" + (f", {len(held_back)} held back by the daily budget"
                                                         if args.all else "")
        reply = Reply(title=title, items=tuple(items),
                      text="" if items else "None: `interp-bot poll --once` looks for new papers.",
                      footer="`interp-bot decide ID approve|reject [--topic SLUG]`" if papers else "")
        sys.stdout.write(render_text(reply))
    app.database.close()
    return 0


def _lessons(args: argparse.Namespace, settings: Settings) -> int:
    from bot.intake.relevance.decisions import MAX_LESSONS
    from bot.store.curation import CurationStore
    from bot.store.db import Database

    database = Database.open(settings.database_url)
    try:
        store = CurationStore(database)
        if args.forget is not None or args.restore is not None:
            paper_id = args.forget if args.forget is not None else args.restore
            forget = args.forget is not None
            lesson = next((x for x in store.lessons() if x.paper_id == paper_id), None)
            if lesson is None or not store.forget_lesson(paper_id, forget):
                print(f"interp-bot: candidate #{paper_id} has no approval or rejection to learn from "
                      "(`interp-bot lessons` lists them)", file=sys.stderr)
                return 1
            print(output.lesson_change_text(lesson, forget))
            return 0
        lessons = store.lessons()
    finally:
        database.close()
    if args.json:
        output.print_json(output.lessons_json(lessons, MAX_LESSONS))
    else:
        sys.stdout.write(output.lessons_text(lessons, MAX_LESSONS))
    return 0


def _decide(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.exits import EXIT_USAGE
    from bot.curation.maintainers import Maintainers

    name = args.as_user or settings.console_maintainer
    maintainers = Maintainers.from_settings(settings)
    if not maintainers.known(name):
        known = ", ".join(sorted(maintainers.names | {settings.console_maintainer}))
        print(f"interp-bot: --as {name}: not a configured maintainer (known: {known}; INTERP_BOT_MAINTAINERS "
              "lists them)", file=sys.stderr)
        return EXIT_USAGE
    person = maintainers.person("console", name) or name
    app = App(settings)

    async def main() -> tuple[Any, Any]:
        try:
            outcome = await app.curation.decide(args.id, args.decision, person=person, topic=args.topic,
                                                force=args.force)
            return outcome, app.curation.store.decision(args.id)
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
        print(f"candidate #{args.id} approved{forced}: added to {decision.topic} as `{decision.entry_id}`; "
              f"{settings.catalogue_dir}/README.md re-rendered", flush=True)
        if app.publisher is not None:  # the list lives on GitHub: propose it there now
            return _github_round(App(settings))
    else:
        print(f"candidate #{args.id} {outcome.decision}")
    return 0


def _digest(args: argparse.Namespace, settings: Settings) -> int:
    app = App(settings)
    names = configured_adapters(settings)

    async def main() -> Any:
        try:
            if not args.dry_run:
                for name in names:
                    app.add_adapter(name)
                for adapter in app.adapters:
                    await adapter.start()
            return await app.digest(dry_run=args.dry_run)
        finally:
            await app.stop()

    result = asyncio.run(main())
    if args.dry_run or "console" not in names:
        sys.stdout.write(render_text(result.post.reply))
    if not args.dry_run:
        for channel in result.skipped:
            print(f"{channel}: today's digest ({result.day}) was already posted", file=sys.stderr)
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    names = args.adapter or configured_adapters(settings)
    app = App(settings, feeds_required=False)
    try:
        for name in dict.fromkeys(names):
            app.add_adapter(name)
    except ConfigError:
        app.database.close()
        raise
    if "console" in names and sys.stdin.isatty():
        from bot.adapters.console.repl import run_with_app
        from bot.logs import setup_logging

        # The terminal belongs to the REPL: logs go to a file beside it instead of between answers.
        log_file = open("interp-bot.log", "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
        setup_logging(settings, stream=log_file)
        print("logs: interp-bot.log", file=sys.stderr)
        return run_with_app(app)
    asyncio.run(app.run_until_stopped())
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    app = App(settings, read_only=True)  # status looks; it creates and migrates nothing
    try:
        data = output.status_json(app, configured_adapters(settings))
    finally:
        app.database.close()
    # Non-zero while an adapter of a process on this machine is down: the container health check runs `status`.
    code = 0 if data["adapters_healthy"] else 1
    if args.json:
        output.print_json(data)
        return code
    print(f"interp-bot {data['version']}")
    print(f"database: {data['database']['url']} (schema v{data['database']['schema']})")
    catalogue = data["catalogue"]
    stale = "" if catalogue["readme_current"] else " — README.md is stale: run `interp-bot render`"
    print(f"catalogue: {catalogue['dir']}, {catalogue['entries']} entries{stale}")
    print(f"pending candidates: {data['pending_candidates']}; papers by status: {data['papers'] or 'none yet'}")
    last = data["last_digest"]
    print("last digest: " + (f"{last['day']} in {last['channel']}" if last else "never"))
    github = data["github"]
    if github:
        pulls = ", ".join(f"#{p['number']} {p['url']}" for p in github["open_pull_requests"]) or "none open"
        print(f"github: {github['repo']} ({github['mode']}); approvals by state: {github['publications'] or 'none'}; "
              f"pull requests: {pulls}")
    links = data["links"]
    print(f"links: {links['links']} in the list, " + (
        f"checked {links['checked_at']}: {links['ok']} ok, {links['failing']} failing, {links['dead']} dead, "
        f"{links['moved']} moved" if links["checked_at"] else "never checked (`interp-bot links --check`)"))
    def one_line(text: str | None) -> str:
        return " ".join((text or "").split())

    print("unfinished approvals:" if data["approvals_unfinished"] else "unfinished approvals: none")
    for item in data["approvals_unfinished"]:
        why = f"{item['attempts']} failed attempt(s): {one_line(item['error'])}" if item["error"] else \
            "not yet written"
        print(f"  #{item['candidate']} {item['title']!r} {item['decision']} {item['decided_at']} — {why}")
    print("posts failing:" if data["posts_failing"] else "posts failing: none")
    for item in data["posts_failing"]:
        print(f"  {item['platform']} {item['channel']} candidate #{item['candidate']} ({item['key']}): failed "
              f"{item['attempts']}x, next try {item['next_attempt']} — {one_line(item['error'])}")
    print("adapters:" if data["adapters"] else "adapters: none running")
    for item in data["adapters"]:
        if item["stale"]:
            state = f"GONE? no heartbeat since {item['last_heard']}"
        else:
            state = f"{item['state'].upper() if item['state'] != 'up' else 'up'} since {item['since']}"
        why = f": {one_line(item['error'])}" if item["error"] and item["state"] != "up" else ""
        print(f"  {item['platform']:<8} {state}{why} (process {item['process']})")
    feeds = data["feeds"]
    print("feeds:" if feeds else "feeds: none configured")
    for feed in feeds:
        health = f"FAILING x{feed['consecutive_failures']}: {feed['last_error']}" if feed["last_error"] else "ok"
        state = "enabled" if feed["enabled"] else "disabled"
        print(f"  {feed['name']:<28} {state:<8} last poll {feed['last_poll'] or 'never'} · next "
              f"{feed['next_poll'] or 'at start'} · failures {feed['total_failures']} · {health}")
        print(feed_health_line(feed))
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
    return _github_round(App(settings))


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
    for line in report.lines or ["nothing to do: the clone is in sync and every approval is published"]:
        print(f"github: {line}")
    for problem in report.problems:
        print(f"interp-bot: {problem}", file=sys.stderr)
    return 1 if report.problems else 0


def _links(args: argparse.Namespace, settings: Settings) -> int:
    from bot.links import link_report
    from bot.store.links import LinkStore

    app = App(settings)

    async def check() -> Any:
        try:
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

def feed_health_line(feed: dict[str, Any]) -> str:
    """The second line of a feed in `status`: its health, since when and why, and when it last brought news."""
    since = f" since {feed['health_since']}" if feed["health_since"] else ""
    reason = f": {feed['health_reason']}" if feed["health_reason"] else ""
    news = f"last new item {feed['last_new_item'] or 'never'}"
    if feed["usual_gap_hours"] is not None:
        news += f" (usually every {feed['usual_gap_hours']:g} h)"
    return f"    {feed['health'].upper()}{since}{reason} · {news}"


def classify_stream(model: Any, lines: Iterable[str], out: TextIO) -> int:
    """`interp-bot classify`: JSON lines {"title", "summary"} in, one JSON result line out for each.

    A bad line (not JSON, not an object, no title) gets {"error": ...} in its place, so outputs stay aligned with
    inputs; returns how many lines were bad. Blank lines are skipped.
    """
    bad = 0
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            result: dict[str, object] = {"error": f"line {lineno}: invalid JSON ({exc.msg})"}
        else:
            title = item.get("title") if isinstance(item, dict) else None
            summary = item.get("summary") if isinstance(item, dict) else None
            if not isinstance(title, str) or not title.strip():
                result = {"error": f"line {lineno}: no title"}
            elif summary is not None and not isinstance(summary, str):
                result = {"error": f"line {lineno}: summary is not text"}
            else:
                result = output.relevance_json(model.score(title, summary or ""))
        if "error" in result:
            bad += 1
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return bad
