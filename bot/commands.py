"""The /interp grammar, platform-neutral: text (or structured options) in, a neutral Reply out.

    topic NAME        a section of the list          search WORDS   ranked full-text search
    paper ID|TITLE    one entry with its details     topics         the topic tree
    recent [N]        what joined the list lately    help [CMD]     usage

Chat adapters pass slash-command options through `run(name, args)`; the console passes whole lines
to `execute(line)`. Errors are replies too: a bad command gets usage help, never an exception.
Further commands (the maintainers' curation commands) plug in through `register`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.catalogue.model import Entry, Topic
from bot.catalogue.search import MAX_QUERY_CHARS, CatalogueIndex
from bot.catalogue.service import CatalogueService
from bot.catalogue.text import strip_control
from bot.chat.values import Actor, Field, Item, Link, Reply


@dataclass(frozen=True)
class Request:
    command: str
    args: str
    page: int = 1
    actor: Actor | None = None


Handler = Callable[[Request], Reply]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    examples: tuple[str, ...]
    handler: Handler
    maintainers_only: bool = False


@dataclass(frozen=True)
class CommandHelp:
    """What a command says about itself: one source for `help`, usage errors and Discord's command descriptions."""

    usage: str
    summary: str
    examples: tuple[str, ...]
    argument: str = ""  # what its argument is, for platforms that describe options (Discord)


HELP: dict[str, CommandHelp] = {
    "topic": CommandHelp("topic NAME", "List a topic's papers, tools and posts.",
                         ("topic probing", "topic sae", "topic logit lens"),
                         "A topic name, nickname (sae, logit lens) or slug"),
    "search": CommandHelp("search WORDS", "Search titles, notes, venues and authors.",
                          ("search induction heads", "search ROME"), "Words to look for, e.g. induction heads"),
    "paper": CommandHelp("paper ID|TITLE", "Show one entry with its links and topics.", ("paper tuned lens",),
                         "The entry's title or id"),
    "topics": CommandHelp("topics", "Show the topic tree.", ("topics",)),
    "recent": CommandHelp("recent [N]", "What joined the list lately.", ("recent", "recent 5"),
                          "How many entries (1-100, default 10)"),
    "help": CommandHelp("help [COMMAND]", "This help.", ("help", "help topic"), "A command to explain"),
}

ALIASES = {"t": "topic", "s": "search", "find": "search", "p": "paper", "ls": "topics", "list": "topics",
           "new": "recent", "?": "help", "h": "help", "-h": "help", "--help": "help"}
_PAGE = re.compile(r"(?:^|\s)(?:--page[=\s]+|page\s+|p\.?\s*)(\d{1,4})\s*$", re.IGNORECASE)


def topic_item(index: CatalogueIndex, topic: Topic) -> Item:
    count = len(index.catalogue.entries_under(topic.slug, recursive=True))
    detail = index.catalogue.path_text(topic.slug)
    noun = "entry" if count == 1 else "entries"
    return Item(title=topic.title, detail=f"{detail} · `{topic.slug}` · {count} {noun}", ref=topic.slug)


def entry_item(index: CatalogueIndex, entry: Entry, *, detail: str = "") -> Item:
    links = entry.links
    if entry.doi:
        links += (Link("doi", f"https://doi.org/{entry.doi}"),)
    title = f"{entry.title} ({entry.acronym})" if entry.acronym else entry.title
    return Item(title=title, links=links, starred=entry.starred, notes=entry.notes, detail=detail, ref=entry.id)


class Commands:
    def __init__(self, catalogue: CatalogueService, *, page_size: int = 8):
        self.catalogue = catalogue
        self.page_size = page_size
        self.specs: dict[str, CommandSpec] = {}
        handlers: dict[str, Handler] = {"topic": self._topic, "search": self._search, "paper": self._paper,
                                        "topics": self._topics, "recent": self._recent, "help": self._help}
        for name, text in HELP.items():
            self.register(CommandSpec(name, text.usage, text.summary, text.examples, handlers[name]))

    def register(self, spec: CommandSpec) -> None:
        self.specs[spec.name] = spec

    # ------------------------------------------------------------------ entry points

    def execute(self, line: str, *, actor: Actor | None = None, page: int | None = None) -> Reply:
        """Run a whole command line such as "topic probing" or "/interp search ROME --page 2"."""
        text = " ".join(strip_control(line).split())
        if text.lower().startswith("/interp"):
            text = text[len("/interp"):].strip()
        if not text:
            return self._help(Request("help", ""))
        page_match = _PAGE.search(text)
        if page_match and page is None:
            page = int(page_match.group(1))
            text = text[: page_match.start()].strip()
        name, _, args = text.partition(" ")
        return self.run(name, args, actor=actor, page=page or 1)

    def run(self, name: str, args: str = "", *, actor: Actor | None = None, page: int = 1) -> Reply:
        """Run a command by name with its argument text (what a slash command's options carry)."""
        key = ALIASES.get(name.lower(), name.lower())
        spec = self.specs.get(key)
        # Backticks mark code in replies; a query must not be able to open or close one.
        args = " ".join(strip_control(args).split()).replace("`", "'")
        if spec is None:
            return self._unknown(name, args)
        if spec.maintainers_only and not (actor and actor.is_maintainer):
            return Reply(title=f"`{spec.name}` is for the list's maintainers", kind="error",
                         text="Ask a maintainer, or see `help` for what everyone can do.")
        if len(args) > MAX_QUERY_CHARS * 5:
            return Reply(title="That is too long", kind="usage",
                         text=f"Queries are limited to {MAX_QUERY_CHARS} characters. Usage: `{spec.usage}`")
        return spec.handler(Request(spec.name, args, max(1, page), actor))

    # ------------------------------------------------------------------ paging

    def paged(self, reply: Reply, items: Sequence[Any], page: int, command: str,
              render: Callable[[Any], Item] | None = None) -> Reply:
        """One page of `items`; `render` turns only that page's values into Items (long lists stay cheap)."""
        pages = max(1, -(-len(items) // self.page_size))
        page = min(max(1, page), pages)
        chunk = items[(page - 1) * self.page_size: page * self.page_size]
        if render is not None:
            chunk = [render(value) for value in chunk]
        footer = reply.footer
        if pages > 1:
            more = f"page {page}/{pages} · `{command} --page {page + 1}` for more" if page < pages else \
                f"page {page}/{pages}"
            footer = f"{footer} · {more}" if footer else more
        return replace(reply, items=tuple(chunk), page=page, pages=pages, command=command, footer=footer)

    # ------------------------------------------------------------------ handlers

    def usage(self, name: str, problem: str) -> Reply:
        spec = self.specs[name]
        examples = " · ".join(f"`{e}`" for e in spec.examples)
        return Reply(title=problem, kind="usage", text=f"Usage: `{spec.usage}` — {spec.summary}\nExamples: {examples}")

    def _topic(self, request: Request) -> Reply:
        if not request.args:
            return self.usage("topic", "Which topic?")
        index = self.catalogue.index
        match = index.topics.resolve(request.args)
        if match.topic is None:
            suggestions = tuple(t.title if t.title.lower() != "general" else index.catalogue.path_text(t.slug)
                                for t in match.suggestions)
            if match.how == "ambiguous":
                title = f"“{request.args}” could mean {len(match.suggestions)} topics"
                text = "Pick one with `topic SLUG`:"
            else:
                title = f"No topic matches “{request.args}”"
                text = "Try `topics` for the whole tree, or `search` for words in titles."
                if match.suggestions:
                    text = "Did you mean one of these? " + text
            items = tuple(topic_item(index, t) for t in match.suggestions)
            return Reply(title=title, kind="not_found", text=text, items=items, suggestions=suggestions,
                         command=f"topic {request.args}")
        topic = match.topic
        catalogue = index.catalogue
        entries = catalogue.entries_under(topic.slug)
        recursive = not entries
        if recursive:
            entries = catalogue.entries_under(topic.slug, recursive=True)
        def render(entry: Entry) -> Item:
            detail = catalogue.path_text(entry.topics[0]) if recursive and entry.topics else ""
            return entry_item(index, entry, detail=detail)

        subtopics = [catalogue.topic(s) for s in catalogue.children(topic.slug)]
        footer = ""
        if subtopics:
            footer = "Subtopics: " + ", ".join(t.title for t in subtopics if t)
        text = catalogue.path_text(topic.slug)
        if match.how in ("alias", "fuzzy", "prefix"):
            text += f"  (matched “{request.args}”)"
        if not entries:
            text += "\nNothing listed here yet."
        reply = Reply(title=topic.title, text=text, footer=footer)
        return self.paged(reply, entries, request.page, f"topic {topic.slug}", render)

    def _search(self, request: Request) -> Reply:
        if not request.args:
            return self.usage("search", "Search for what?")
        index = self.catalogue.index
        hits = index.search.search(request.args, limit=100)
        if not hits:
            match = index.topics.resolve(request.args)
            hint = f" It is a topic, though: `topic {match.topic.slug}`." if match.topic else ""
            return Reply(title=f"Nothing found for “{request.args}”", kind="not_found",
                         text="Try fewer or different words, or `topics` to browse." + hint)
        def render(hit: Any) -> Item:
            return entry_item(index, hit.entry, detail=index.catalogue.path_text(hit.entry.topics[0]))

        reply = Reply(title=f"Search: {request.args}", text=f"{len(hits)} result{'s' * (len(hits) != 1)}")
        return self.paged(reply, hits, request.page, f"search {request.args}", render)

    def _paper(self, request: Request) -> Reply:
        if not request.args:
            return self.usage("paper", "Which paper?")
        index = self.catalogue.index
        entry, close = index.search.find_entry(request.args)
        if entry is None:
            items = tuple(entry_item(index, e, detail=f"`paper {e.id}`") for e in close)
            return Reply(title=f"No entry is called “{request.args}”", kind="not_found",
                         text="Closest matches:" if items else "Try `search` with a few words of the title.",
                         items=items)
        catalogue = index.catalogue
        fields = [Field("Topics", "\n".join(catalogue.path_text(slug) for slug in entry.topics)),
                  Field("Kind", entry.kind)]
        if entry.authors:
            fields.append(Field("Authors", ", ".join(entry.authors)))
        if entry.added:
            by = f" (approved by {', '.join(entry.approved_by)})" if entry.approved_by else ""
            fields.append(Field("Added", entry.added + by))
        return Reply(title=entry.title, text=entry.preface, items=(entry_item(index, entry),), fields=tuple(fields),
                     footer=f"id: {entry.id}", url=entry.links[0].url if entry.links else "")

    def _topics(self, request: Request) -> Reply:
        index = self.catalogue.index
        items = []
        for topic in index.catalogue.topics:
            count = len(index.catalogue.entries_under(topic.slug, recursive=True))
            indent = "  " * (topic.depth - 1)
            aliases = f" — also: {', '.join(topic.aliases[:4])}" if topic.aliases else ""
            items.append(Item(title=f"{indent}{topic.title} ({count})", detail=f"`{topic.slug}`{aliases}",
                              ref=topic.slug))
        reply = Reply(title="Topics", text="`topic NAME` lists one; names, slugs, aliases and typos all work.")
        return self.paged(reply, items, request.page, "topics")

    def _recent(self, request: Request) -> Reply:
        count = 10
        if request.args:
            if not request.args.isdigit() or not 1 <= int(request.args) <= 100:
                return self.usage("recent", f"“{request.args}” is not a number from 1 to 100")
            count = int(request.args)
        index = self.catalogue.index
        dated = sorted((e for e in index.catalogue.entries if e.added), key=lambda e: (e.added, e.id), reverse=True)
        if not dated:
            return Reply(title="Recently added", kind="info",
                         text="Nothing has joined the list through the bot yet.")
        items = [entry_item(index, e, detail=f"added {e.added} · {index.catalogue.path_text(e.topics[0])}")
                 for e in dated[:count]]
        return self.paged(Reply(title="Recently added"), items, request.page, f"recent {count}")

    def _help(self, request: Request) -> Reply:
        wanted = ALIASES.get(request.args.lower(), request.args.lower()) if request.args else ""
        if wanted and wanted in self.specs:
            spec = self.specs[wanted]
            return self.usage(spec.name, f"help: {spec.name}")
        lines = []
        for spec in self.specs.values():
            who = " (maintainers)" if spec.maintainers_only else ""
            lines.append(f"`{spec.usage}` — {spec.summary}{who}")
        return Reply(title="interp-bot: the LLM interpretability reading list", kind="help",
                     text="\n".join(lines),
                     footer="Topic names forgive typos and know nicknames: sae, logit lens, ROME, IOI, grokking…")

    def _unknown(self, name: str, args: str) -> Reply:
        close = difflib.get_close_matches(name.lower(), list(self.specs), n=1)
        hint = f"Did you mean `{f'{close[0]} {args}'.rstrip()}`?" if close else ""
        if not close:
            match = self.catalogue.index.topics.resolve(f"{name} {args}".strip())
            if match.topic is not None:
                hint = f"Did you mean `topic {match.topic.slug}`?"
        help_reply = self._help(Request("help", ""))
        text = f"{hint}\n{help_reply.text}" if hint else help_reply.text
        return Reply(title=f"Unknown command “{name[:40]}”", kind="usage", text=text, footer=help_reply.footer)
