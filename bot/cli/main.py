"""`interp-bot`'s parser and main: global options, dispatch to lookups or operations, exit codes.

Heavy imports (chat SDKs, SQLAlchemy, feedparser) happen inside the subcommands that need them, so a
one-shot `interp-bot topic probing` starts fast.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.cli.exits import EXIT_CONFIG, EXIT_FAIL, EXIT_PIPE, EXIT_USAGE

if TYPE_CHECKING:
    from bot.settings import Settings


def _recent_count(text: str) -> int:
    """`recent N`: 1 to 100, the bound chat has, said the way argparse says every other bad number."""
    value = _count(text)
    if value > 100:
        raise argparse.ArgumentTypeError(f"must be 100 or less, not {value}")
    return value


def _number(text: str) -> int:
    """A whole number in ASCII digits, as the console and chat read them: int() would also take "٣" or "３"."""
    stripped = text.strip()
    if not (stripped.lstrip("+-").isascii() and stripped.lstrip("+-").isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(stripped)


def _count(text: str) -> int:
    """A whole number of 1 or more (a page, a number of results): anything else is a usage error."""
    value = _number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interp-bot",
        description="Keep the Awesome-LLM-Interpretability list alive: look things up, poll feeds, curate.",
        epilog="Settings come from the environment and .env (see README). `interp-bot COMMAND -h` for details.",
    )
    parser.add_argument("--version", action="version", version=f"interp-bot {__version__}")
    parser.add_argument("--catalogue", metavar="DIR", help="catalogue directory (INTERP_BOT_CATALOGUE_DIR)")
    parser.add_argument("--db", metavar="URL", help="database URL (INTERP_BOT_DATABASE_URL)")
    parser.add_argument("--feeds", metavar="FILE", help="feeds file (INTERP_BOT_FEEDS_FILE)")
    parser.add_argument("--log-level", metavar="LEVEL",
                        help="DEBUG, INFO, WARNING, ERROR or CRITICAL (INTERP_BOT_LOG_LEVEL; default INFO)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("console", help="interactive lookups (and curation) in this terminal",
                   description="Lookups and the maintainers' commands at an `interp>` prompt (`help` lists them); no "
                               "scheduler, no network. Piped input is answered line by line. `quit`, `exit`, "
                               "Ctrl-D or the end of input ends it.")
    p = sub.add_parser("topic", help="list a topic's entries")
    p.add_argument("query", nargs="+", help="topic name, alias or slug")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--page", type=_count, help="page of a long answer (text; --json holds every entry)")
    p = sub.add_parser("search", help="ranked full-text search")
    p.add_argument("query", nargs="+", help="words, or a paper's arXiv id, DOI or link")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--limit", type=_count, default=20, help="the most results to show (default 20)")
    p = sub.add_parser("topics", help="the topic tree")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--page", type=_count, help="one page of the tree, as chat shows it (default: the whole tree; "
                                               "text only)")
    p = sub.add_parser("paper", help="one entry by id, title, acronym, arXiv id, DOI or link")
    p.add_argument("query", nargs="+", help="an entry id, a title, an acronym (IOI), an arXiv id, a DOI or a link")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("recent", help="what joined the list lately")
    p.add_argument("count", nargs="?", type=_recent_count, default=10, help="how many entries, 1 to 100 (default 10)")
    p = sub.add_parser(
        "classify", help="score papers read as JSON lines on stdin",
        description='Score papers for the list: stdin holds one JSON object a line, {"title": ..., "summary": ...} '
                    '("abstract" is taken for "summary"; without one, the title alone is scored). stdout holds one '
                    'JSON line for each: {"relevant", "score", "topics"}, or {"error": "line N: ..."} for a line '
                    'that cannot be read, so outputs stay aligned with inputs. Exits 1 when any line was bad.')
    p.add_argument("--json", action="store_true", help="(the default and only output format)")
    p.add_argument("--explain", action="store_true",
                   help='add "why": the features that moved each score most, in log-odds (the scope gate among them)')
    p = sub.add_parser("import-markdown", help="build catalogue/ from an awesome-list README")
    p.add_argument("file", type=Path, help="the list's README in markdown, UTF-8")
    p.add_argument("--force", action="store_true", help="overwrite an existing catalogue")
    p = sub.add_parser("render", help="write catalogue/README.md from the YAML")
    p.add_argument("--check", action="store_true", help="exit 1 if the file is stale, write nothing")
    p.add_argument("--style", choices=["list", "awesome"], default="list",
                   help="list: the list's own style, catalogue/README.md (default); awesome: the awesome lists' "
                        "conventions, as awesome-lint checks them")
    p.add_argument("--output", metavar="FILE", help="where to write ('-': standard output; default "
                                                    "catalogue/README.md, or standard output for --style awesome)")
    p = sub.add_parser("poll", help="poll the feeds in feeds.yaml now",
                       description="Poll the enabled feeds now, due or not, and print one line per feed. A feed "
                                   "another interp-bot process (a running bot) is polling at this moment is not "
                                   "polled a second time: its line says so. Exits 1 when a feed failed, or when "
                                   "another process held every feed this run could poll.")
    p.add_argument("--once", action="store_true", help="one round, then exit (the default from a shell)")
    p.add_argument("--dry-run", action="store_true", help="fetch and score, store nothing")
    p.add_argument("--feed", action="append", metavar="NAME", help="only this feed (repeatable)")
    p = sub.add_parser("candidates", help="pending candidates, best first")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--all", action="store_true", help="also the relevant papers the daily budget held back")
    p = sub.add_parser("lessons", help="the decisions the relevance model learns from; forget or restore one",
                       description="Every approval and rejection teaches the relevance model. --forget ID makes it "
                                   "forget one (the decision itself stands); --restore ID teaches it again.")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--forget", type=_number, metavar="ID", help="forget the lesson of the decision on candidate ID")
    group.add_argument("--restore", type=_number, metavar="ID", help="learn again from the decision on candidate ID")
    p = sub.add_parser("decide", help="a maintainer's vote on a candidate (or, with --force, the decision)",
                       description="One maintainer's vote, counted with the reactions already cast; the candidate "
                                   "is decided when INTERP_BOT_APPROVALS_NEEDED (or _REJECTIONS_NEEDED) is reached. "
                                   "Also finishes an approval a crash left half done.")
    p.add_argument("id", type=_number, help="the candidate's number (`interp-bot candidates` lists them)")
    p.add_argument("decision", choices=["approve", "reject"], help="approve or reject")
    p.add_argument("--topic", metavar="SLUG", help="topic to file an approved paper under")
    p.add_argument("--as", dest="as_user", metavar="MAINTAINER",
                   help="who votes: a name from INTERP_BOT_MAINTAINERS (default INTERP_BOT_CONSOLE_MAINTAINER)")
    p.add_argument("--force", action="store_true",
                   help="decide now whatever the vote count (recorded as an override in the entry and commit)")
    p = sub.add_parser("digest", help="compose (and post) the digest now")
    p.add_argument("--dry-run", action="store_true", help="print it (after today's went out: what the next one "
                   "holds so far), post nothing, record nothing")
    p = sub.add_parser("run", help="run chat adapters and the scheduler until stopped",
                       description="Run the chat adapters and the scheduler until stopped (SIGTERM, Ctrl-C; with the "
                                   "console in a terminal, `quit` or Ctrl-D at its prompt). The console reads "
                                   "commands only when standard input is a terminal: otherwise it prints the bot's "
                                   "posts and reads nothing (`interp-bot console` answers piped commands).")
    p.add_argument("--adapter", action="extend", nargs="+", choices=["console", "discord", "slack"],
                   metavar="NAME", help="adapters to run: console, discord, slack (`--adapter discord slack` or "
                                        "repeated; default: every configured one, else console)")
    p = sub.add_parser("init", help="make the catalogue a clone of the list's GitHub repository")
    p.add_argument("--from-github", metavar="OWNER/NAME", help="the list's repository (INTERP_BOT_GITHUB_REPO)")
    p.add_argument("--into", type=Path, metavar="DIR",
                   help="where to clone (default: the folder holding INTERP_BOT_CATALOGUE_DIR)")
    sub.add_parser("github", help="one GitHub round now: sync the list, follow pull requests, publish approvals")
    p = sub.add_parser("links", help="link health of the list (from the last check)")
    p.add_argument("--check", action="store_true", help="check every link now (polite: this takes minutes)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("status", help="feeds, candidates, digest, database, version",
                       description="Exit 1 while a chat adapter of a bot on this machine is down, or the list, the "
                                   "feeds file or the database cannot be read, text or --json alike (the container "
                                   "health check runs it).")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    from bot.settings import load_settings

    return load_settings(catalogue_dir=args.catalogue, database_url=args.db, feeds_file=args.feeds,
                         log_level=args.log_level)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    from bot.errors import ConfigError, InterpBotError

    if sys.stdout is None:  # started with standard output closed (`>&-`, some service managers)
        if args.command != "run":  # an answer with nowhere to go: say so, as `cat` does
            print("interp-bot: standard output is closed: nowhere to write the answer", file=sys.stderr)
            return EXIT_FAIL
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - the bot logs to stderr; it runs on
    if sys.stdin is None:  # started with standard input closed (`<&-`, some service managers): no input, as at EOF
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    _replace_what_the_output_cannot_encode()
    try:
        code = _dispatch(args)
        sys.stdout.flush()  # inside the try: a reader that went away is noticed here, not at exit
        return code
    except BrokenPipeError:
        _stop_writing()
        return EXIT_PIPE
    except ConfigError as exc:
        print(f"interp-bot: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except InterpBotError as exc:  # catalogue, feeds, database, a platform that refused: the message says it all
        print(f"interp-bot: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130


def _replace_what_the_output_cannot_encode() -> None:
    """Output in ASCII or Latin-1 (PYTHONIOENCODING, a C locale, a Windows code page) gets "?" for what it cannot
    encode ("›", "🌟", a title's accents), not a UnicodeEncodeError halfway through an answer."""
    from bot.logs import writes_utf8

    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and not writes_utf8(stream):
            stream.reconfigure(errors="replace")


def _stop_writing() -> None:
    """The reader of our output went away (`interp-bot search x | head -1`): say nothing more, not even the
    interpreter's complaint when it flushes stdout at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _dispatch(args: argparse.Namespace) -> int:
    from bot.cli import lookups

    command = args.command
    if command == "import-markdown":
        return lookups.import_markdown(args)
    settings = _settings(args)
    from bot.logs import setup_logging

    setup_logging(settings, stream=sys.stderr)
    from bot.cli.unknown_settings import unknown_variables

    for problem in unknown_variables():
        logging.getLogger("bot.settings").warning("%s; it is ignored", problem)
    if command in {"topic", "search", "topics", "paper", "recent"}:
        return lookups.lookup(args, settings)
    if command == "render":
        return lookups.render(args, settings)
    if command == "console":
        from bot.adapters.console.repl import run_console

        return run_console(settings)
    from bot.cli import operations

    return operations.dispatch(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
