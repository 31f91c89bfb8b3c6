"""`interp-bot classify`: papers as JSON lines on stdin, one relevance answer a line on stdout."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from bot.cli import output
from bot.logs import writes_utf8

if TYPE_CHECKING:
    from bot.settings import Settings


def classify(args: argparse.Namespace, settings: Settings) -> int:
    """`interp-bot classify`: score JSON lines from stdin with the model and the decisions already taken."""
    from bot.catalogue.service import CatalogueService
    from bot.intake.relevance import Label, RelevanceModel, labels_from

    catalogue = CatalogueService(settings.catalogue_dir).index.catalogue
    labels: list[Label] = []
    try:  # decisions already taken teach the model; classify still works without a database
        from bot.store.curation import CurationStore
        from bot.store.db import Database

        database = Database.open(settings.database_url, migrate=False, create=False)  # looks; makes nothing
        try:
            labels = labels_from(CurationStore(database).lessons(forgotten=False))
        finally:
            database.close()
    except Exception as exc:  # no database yet (or one that cannot be read): the shipped model alone
        labels = []
        from bot.catalogue.text import one_line
        from bot.store.db import in_memory_sqlite, missing_sqlite_file

        url = settings.database_url
        if missing_sqlite_file(url) is None and not in_memory_sqlite(url):  # one whose decisions were not read
            print(f"interp-bot: the maintainers' decisions were not read, so the scores are the shipped model's "
                  f"alone: {one_line(str(exc)) or type(exc).__name__}", file=sys.stderr)
    model = RelevanceModel.build(catalogue, labels, threshold=settings.relevance_threshold)
    bad = classify_stream(model, bounded_lines(sys.stdin), sys.stdout, explain=args.explain)
    if bad:
        print(f"interp-bot: {bad} input line(s) were not valid JSON objects with a title", file=sys.stderr)
    return 1 if bad else 0


# A paper's title and abstract are a few kB; a line this long is not one, and is not read whole.
CLASSIFY_LINE_LIMIT = 1_000_000


def bounded_lines(stream: TextIO, limit: int = CLASSIFY_LINE_LIMIT) -> Iterator[str]:
    """The stream's lines, each cut just past `limit` characters with the rest of it skipped unread into memory:
    one 100 MB line must not take 1.5 GB to be told it is too long."""
    while line := stream.readline(limit + 1):
        if len(line) > limit and not line.endswith("\n"):
            for rest in iter(lambda: stream.readline(limit), ""):  # the rest of this line, a piece at a time
                if rest.endswith("\n"):
                    break
        yield line


def _read_paper(item: object) -> tuple[str, str] | str:
    """A line's (title, summary), or what is wrong with it."""
    if not isinstance(item, dict):
        return "not a JSON object"
    title = item.get("title")
    # "summary" as arXiv's API names it, or "abstract" as the bot's own store does: a line with the second was
    # scored on its title alone, without a word said.
    field = "abstract" if "abstract" in item and "summary" not in item else "summary"
    summary = item.get(field)
    if title is not None and not isinstance(title, str):
        return "title is not text"
    if not title or not title.strip():
        return "no title"
    if summary is not None and not isinstance(summary, str):
        return f"{field} is not text"
    return title, summary or ""


def classify_stream(model: Any, lines: Iterable[str], out: TextIO, *, explain: bool = False) -> int:
    """`interp-bot classify`: JSON lines {"title", "summary" (or "abstract")} in, one JSON result line out for each.

    A bad line (not JSON, not an object, no title, a title or summary that is not text) gets {"error": ...} in its
    place, so outputs stay aligned with inputs; returns how many lines were bad. Blank lines are skipped.
    `explain` adds "why" to each result.
    """
    bad = 0
    utf8 = writes_utf8(out)  # else JSON's escapes: an ASCII terminal's "?" would corrupt the data
    for lineno, line in enumerate(lines, 1):
        if lineno == 1:
            line = line.removeprefix("\ufeff")  # a byte order mark, as some editors and PowerShell write
        if not line.strip():
            continue
        try:
            if len(line.rstrip("\r\n")) > CLASSIFY_LINE_LIMIT:
                raise ValueError(f"longer than {CLASSIFY_LINE_LIMIT:,} characters")
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            result: dict[str, object] = {"error": f"line {lineno}: invalid JSON ({exc.msg})"}
        except (ValueError, RecursionError) as exc:  # too long, nested too deep, a number of 5,000 digits
            result = {"error": f"line {lineno}: not read ({str(exc) or type(exc).__name__})"}
        else:
            paper = _read_paper(item)
            if isinstance(paper, str):
                result = {"error": f"line {lineno}: {paper}"}
            else:
                result = output.relevance_json(model.score(*paper))
                if explain:
                    result["why"] = output.why_json(model.scorer.explain(*paper))
        if "error" in result:
            bad += 1
        out.write(json.dumps(result, ensure_ascii=not utf8) + "\n")
    return bad
