"""Lookups and list files from the command line: the catalogue alone, no database, feeds or chat SDKs."""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.exits import EXIT_FAIL, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from bot.catalogue.service import CatalogueService
    from bot.settings import Settings


def catalogue_service(settings: Settings) -> CatalogueService:
    from bot.catalogue.service import CatalogueService

    return CatalogueService(settings.catalogue_dir)


def lookup(args: argparse.Namespace, settings: Settings) -> int:
    """topic, search, topics, paper, recent: the chat grammar's answer as text, or the documented JSON."""
    from bot.catalogue.text import MAX_QUERY_CHARS
    from bot.chat.render import SHELL_PREFIX
    from bot.chat.text import render_text
    from bot.cli import output
    from bot.commands import TOO_LONG, Commands

    service = catalogue_service(settings)
    command = args.command
    query = " ".join(getattr(args, "query", []))
    if getattr(args, "json", False):
        if getattr(args, "page", None) is not None:
            print(f"interp-bot {command}: error: --page pages the text answer; --json holds all of it",
                  file=sys.stderr)
            return EXIT_USAGE
        if len(query) > MAX_QUERY_CHARS * 5:  # as the text answer: refused, not cut
            print(f"interp-bot {command}: error: {TOO_LONG}", file=sys.stderr)
            return EXIT_USAGE
        index = service.index
        if command == "topic":
            data = output.topic_result(index, query)
            found = data["topic"] is not None
        elif command == "search":
            data = output.search_result(index, query, limit=args.limit)
            found = bool(data["results"])  # as the text answer: no result exits 1, like grep
        elif command == "paper":
            data = output.paper_result(index, query)
            found = data["entry"] is not None
        else:
            data, found = output.topics_result(index), True
        output.print_json(data)
        return EXIT_OK if found else EXIT_FAIL
    page_size = settings.page_size
    if command == "search":  # --limit: the most results, all on one page
        page_size = args.limit
    elif command == "topics" and args.page is None:  # a terminal shows the whole tree at once
        page_size = max(1, len(service.index.catalogue.topics))
    cut_footer = ""
    if command == "search":  # chat pages on through the results; a terminal shows the best --limit, and says so
        more = shlex.join([SHELL_PREFIX.strip(), "search", *args.query, "--limit", str(args.limit * 2)])
        cut_footer = f"More match: `{more}` shows the best {args.limit * 2}."
    commands = Commands(service, page_size=page_size, search_limit=getattr(args, "limit", 100),
                        search_cut_footer=cut_footer)
    argument = str(args.count) if command == "recent" else query
    reply = commands.run(command, argument, page=getattr(args, "page", None) or 1)
    # The next page as a shell runs it (chat and the console take the command without `interp-bot`).
    sys.stdout.write(render_text(reply, prefix=SHELL_PREFIX))
    return EXIT_OK if reply.kind in ("result", "info", "help") else EXIT_FAIL


def import_markdown(args: argparse.Namespace) -> int:
    from bot.catalogue.markdown import render_markdown
    from bot.catalogue.markdown_import import import_markdown
    from bot.catalogue.yaml_io import README_FILE, TOPICS_FILE, catalogue_files, load_catalogue
    from bot.catalogue.yaml_write import atomic_write, write_catalogue, write_lock
    from bot.errors import CatalogueError, MarkdownImportError
    from bot.settings import load_settings

    target = Path(args.catalogue) if args.catalogue else load_settings().catalogue_dir
    if not args.file.is_file():
        why = "a directory, not a markdown file" if args.file.is_dir() else "no such file"
        print(f"interp-bot: {args.file}: {why}", file=sys.stderr)
        return EXIT_USAGE
    if (target / TOPICS_FILE).exists() and not args.force:
        print(f"interp-bot: {target} already holds a catalogue; use --force to replace it", file=sys.stderr)
        return EXIT_FAIL
    try:
        catalogue = import_markdown(args.file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        print(f"interp-bot: {args.file}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
              "save it as UTF-8 and import it again", file=sys.stderr)
        return EXIT_FAIL
    except MarkdownImportError as exc:
        print(f"interp-bot: {args.file}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    # Proved valid in a scratch directory before the target is touched: --force replaced the old files first, and
    # an import that did not load left neither the old list nor a usable new one.
    with tempfile.TemporaryDirectory(prefix="interp-bot-import-") as scratch:
        write_catalogue(catalogue, scratch)
        try:
            loaded = load_catalogue(scratch)  # what the target will hold: the same files
        except CatalogueError as exc:
            problems = "\n".join(f"  {Path(p.file).name}{f':{p.line}' if p.line else ''}: {p.message}"
                                 for p in exc.problems)
            print(f"interp-bot: {args.file}: the import would not be a valid catalogue, so {target} is left as it is:"
                  f"\n{problems}", file=sys.stderr)
            return EXIT_FAIL
    try:
        if args.force:
            for old in catalogue_files(target):  # not a hidden one: a tool's (`.pre-commit-config.yaml`)
                old.unlink()
        written = write_catalogue(catalogue, target)
        with write_lock(target):
            atomic_write(target / README_FILE, render_markdown(loaded))
    except OSError as exc:  # a read-only or full disk, no permission, a file where the folder should be
        print(f"interp-bot: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAIL
    placements = sum(len(ids) for ids in loaded.placement.values())
    print(f"imported {len(loaded.entries)} entries ({placements} placements) in {len(loaded.topics)} topics "
          f"into {len(written)} files under {target}/")
    return EXIT_OK


def render(args: argparse.Namespace, settings: Settings) -> int:
    """Write the list as markdown: the list's own style into catalogue/README.md, or the awesome style."""
    service = catalogue_service(settings)
    output = args.output or ("-" if args.style == "awesome" else str(Path(settings.catalogue_dir) / "README.md"))
    if output == "-":
        if args.check:
            print("interp-bot: render --check compares a file: name it with --output FILE", file=sys.stderr)
            return EXIT_USAGE
        sys.stdout.write(service.rendered(args.style))
        return EXIT_OK
    target = Path(output)
    if target.suffix.lower() in (".yaml", ".yml"):  # markdown over the list's own data (or a feeds file): refused
        print(f"interp-bot: render writes markdown, not over {target}: name a .md file (or - for standard output)",
              file=sys.stderr)
        return EXIT_USAGE
    if args.check:
        if service.is_current(target, args.style):
            print(f"{target} is up to date")
            return EXIT_OK
        # The command that rewrites this very file: `render --style awesome` alone writes to standard output.
        style = " --style awesome" if args.style == "awesome" else ""
        place = f" --output {shlex.quote(str(target))}" if args.output else ""
        source = f" --catalogue {shlex.quote(args.catalogue)}" if args.catalogue else ""  # this list, not the default
        print(f"{target} is stale: run `interp-bot{source} render{style}{place}`", file=sys.stderr)
        return EXIT_FAIL
    try:
        changed = service.render(target, args.style)
    except OSError as exc:  # a missing folder, a directory, no permission, a read-only or full disk
        print(f"interp-bot: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAIL
    print(f"{'wrote' if changed else 'unchanged:'} {target}")
    return EXIT_OK
