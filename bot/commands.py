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
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any

from bot.catalogue.identifiers import arxiv_id, names_a_link, one_token
from bot.catalogue.model import Entry
from bot.catalogue.service import CatalogueService
from bot.catalogue.text import MAX_QUERY_CHARS, flatten
from bot.catalogue.topic_index import TopicMatch
from bot.chat.render import clip
from bot.chat.values import Actor, Field, Item, Reply
from bot.command_help import HELP, CommandHelp
from bot.reply_items import entry_item, search_item, see_also_fields, topic_item

__all__ = ["HELP", "CommandHelp", "CommandSpec", "Commands", "Request"]


@dataclass(frozen=True)
class Request:
    command: str
    args: str
    page: int = 1
    actor: Actor | None = None

    @property
    def quoted(self) -> str:
        """The query as a reply repeats it: a pasted abstract is read up to MAX_QUERY_CHARS, and an answer that
        repeated all of it (up to five times that) buried what it said under it."""
        return clip(self.args, ECHO_CHARS)


Handler = Callable[[Request], Reply]
LineRule = Callable[[str], "str | None"]  # a whole line -> the command line it stands for, or None


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    examples: tuple[str, ...]
    handler: Handler
    maintainers_only: bool = False
    options: tuple[str, ...] = ()  # the --options its arguments may hold (--page is every command's)


ALIASES = {"t": "topic", "s": "search", "find": "search", "p": "paper", "ls": "topics", "list": "topics",
           "new": "recent", "?": "help", "h": "help", "-h": "help", "--help": "help"}
# A link or id no entry has is not proof the paper is missing: many entries link only their venue page
# (OpenReview, ACL Anthology) or a blog post.
UNLINKED_HINT = ("Many entries link only their venue page or a blog post, not arXiv, so the paper may still be "
                 "here under another link. Try `search` with a few words of its title.")
_PAGE = re.compile(r"(?:^|\s)(?:--page[=\s]+|page\s+|p\.?\s*)(\d{1,4})\s*$", re.IGNORECASE)
_PAGE_OPTION = re.compile(r"(?:^|\s)--page[=\s]+(\d{1,4})(?=\s|$)", re.IGNORECASE)  # anywhere: `topic --page 2 x`
_OPTION = re.compile(r"(?:^|\s)(--?[a-z][\w-]*)", re.IGNORECASE)


ECHO_CHARS = 100  # how much of a query a reply repeats
MAX_PAGE = 9999  # the largest page number read (four digits: `_PAGE`, `_PAGE_OPTION`)
TOO_LONG = (f"A query is read up to its first {MAX_QUERY_CHARS} characters, and one of more than "
            f"{MAX_QUERY_CHARS * 5:,} is refused.")


class Commands:
    def __init__(self, catalogue: CatalogueService, *, page_size: int = 8, search_limit: int = 100,
                 search_cut_footer: str = ""):
        self.catalogue = catalogue
        self.page_size = page_size
        self.search_limit = search_limit  # the most results `search` keeps (chat pages through them)
        self.search_cut_footer = search_cut_footer  # what a search cut at that limit says (a shell's: its --limit)
        self.specs: dict[str, CommandSpec] = {}
        self.line_rules: dict[str, LineRule] = {}
        # The pool chat adapters run commands in (bot.chat.runner.answer); App.start makes it, App.stop shuts it.
        self.threads: Executor | None = None
        handlers: dict[str, Handler] = {"topic": self._topic, "search": self._search, "paper": self._paper,
                                        "topics": self._topics, "recent": self._recent, "help": self._help}
        for name, text in HELP.items():
            self.register(CommandSpec(name, text.usage, text.summary, text.examples, handlers[name]))

    def register(self, spec: CommandSpec) -> None:
        self.specs[spec.name] = spec

    def add_line_rule(self, name: str, rule: LineRule) -> None:
        """A shorthand typed lines may use (the maintainers' `✅ 12` for `vote white_check_mark 12`), for every
        adapter that passes whole lines (the console, Slack). By name: registering it again replaces it."""
        self.line_rules[name] = rule

    def for_maintainers(self, line: str) -> bool:
        """Is `line` (or a command name) one of the maintainers' commands? Adapters answer those to the asker
        alone, whatever they do with the others."""
        spec = self.specs.get(self._command_name(self._line(line)))
        return spec is not None and spec.maintainers_only

    def _line(self, line: str) -> str:
        text = flatten(line)
        if text.lower().startswith("/interp"):
            text = text[len("/interp"):].strip()
        for rule in self.line_rules.values():
            if (rewritten := rule(text)) is not None:
                return rewritten
        return text

    @staticmethod
    def _command_name(text: str) -> str:
        name = text.partition(" ")[0].lower()
        return ALIASES.get(name, name)

    # ------------------------------------------------------------------ entry points

    def execute(self, line: str, *, actor: Actor | None = None, page: int | None = None) -> Reply:
        """Run a whole command line such as "topic probing" or "/interp search ROME --page 2"."""
        text = self._line(line)
        if not text:
            return self._help(Request("help", ""))
        page_match = _PAGE.search(text)  # "p 2" or "page 2" at the end; `--page N` anywhere is run()'s
        if page_match and page is None:
            page = int(page_match.group(1))
            text = f"{text[: page_match.start()]} {text[page_match.end():]}".strip()
            if not text:  # "p 2" alone: nothing remembers the last answer, so say which command to page
                return Reply(title=f"Page {page} of what?", kind="usage",
                             text=f"Put the page after its command: `topics p {page}`, `search sae p {page}`.")
        name, _, args = text.partition(" ")
        return self.run(name, args, actor=actor, page=1 if page is None else page)

    def run(self, name: str, args: str = "", *, actor: Actor | None = None, page: int = 1) -> Reply:
        """Run a command by name with its argument text (what a slash command's options carry)."""
        key = ALIASES.get(name.lower(), name.lower())
        spec = self.specs.get(key)
        # Backticks mark code in replies; a query must not be able to open or close one.
        args = flatten(args).replace("`", "'")
        if spec is None:
            return self._unknown(name, args)
        if spec.maintainers_only and not (actor and actor.is_maintainer):
            return Reply(title=f"`{spec.name}` is for the list's maintainers", kind="error",
                         text="Ask a maintainer, or see `help` for what everyone can do.")
        if len(args) > MAX_QUERY_CHARS * 5:
            return Reply(title="That is too long", kind="usage", text=f"{TOO_LONG} Usage: `{spec.usage}`")
        if page_option := _PAGE_OPTION.search(args):  # typed into a slash command's text option, say
            page = int(page_option.group(1)) if page == 1 else page
            args = f"{args[:page_option.start()]} {args[page_option.end():]}".strip()
        if page < 1:  # `--page 0` was answered with page 1, as if the reader had asked for it
            return self.usage(spec.name, "pages count from 1, e.g. --page 2")
        if problem := self._option_problem(spec, args):
            return self.usage(spec.name, problem)
        return spec.handler(Request(spec.name, args, max(1, page), actor))

    @staticmethod
    def _option_problem(spec: CommandSpec, args: str) -> str:
        """What is wrong with an --option the command does not take: it would otherwise be searched for as words
        (`search induction heads --limit 3`) or looked up as part of a name."""
        for found in _OPTION.finditer(args):
            option = found.group(1).lower()
            if option in ("--help", "-h"):
                return f"help: {spec.name}"
            if option == "--page":  # no digits after it, or more than a page number has: 0 is run()'s
                return f"--page takes a page number from 1 to {MAX_PAGE}, e.g. --page 2"
            if option.startswith("--") and option not in spec.options:
                takes = f" (it takes {', '.join(spec.options)})" if spec.options else ""
                return f"{spec.name} has no {option} option{takes}"
        return ""

    # ------------------------------------------------------------------ paging

    def paged(self, reply: Reply, items: Sequence[Any], page: int, command: str,
              render: Callable[[Any], Item] | None = None) -> Reply:
        """One page of `items`; `render` turns only that page's values into Items (long lists stay cheap)."""
        pages = max(1, -(-len(items) // self.page_size))
        asked, page = page, min(max(1, page), pages)
        chunk = items[(page - 1) * self.page_size: page * self.page_size]
        if render is not None:
            chunk = [render(value) for value in chunk]
        footer = reply.footer
        if pages > 1 or asked > pages:
            # Where the page is; how to get the next one is each platform's (bot.chat.render.paging_footer).
            where = f"page {page}/{pages}" + (f" (there is no page {asked})" if asked > pages else "")
            footer = f"{footer} · {where}" if footer else where
        return replace(reply, items=tuple(chunk), page=page, pages=pages, command=command, footer=footer,
                       first_number=1 + (page - 1) * self.page_size)

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
            return self._no_topic(request, match)
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
            text += f"  (matched “{request.quoted}”)"
        if not entries:
            text += "\nNothing listed here yet."
        reply = self.paged(Reply(title=topic.title, text=text, footer=footer), entries, request.page,
                           f"topic {topic.slug}", render)
        if reply.page == 1:  # the answer ends with where else to look
            reply = replace(reply, fields=see_also_fields(index, index.neighbours.for_match(match, request.args)))
        return reply

    def _no_topic(self, request: Request, match: TopicMatch) -> Reply:
        """No topic by that name: the topics it could mean, else what the list holds about it."""
        index = self.catalogue.index
        names = tuple(index.catalogue.display_title(t.slug) for t in match.suggestions)
        topic_items = tuple(topic_item(index, t) for t in match.suggestions)
        if match.how == "ambiguous":
            return Reply(title=f"“{request.quoted}” could mean {len(match.suggestions)} topics", kind="not_found",
                         text="Pick one with `topic SLUG`:", items=topic_items, suggestions=names,
                         command=f"topic {request.args}")
        hits = index.search.search(request.args, limit=self.page_size + 1)
        close = f"Did you mean {' or '.join(f'“{name}”' for name in names[:3])}? " if names else ""
        if hits:
            items = tuple(search_item(index, hit.entry, request.args) for hit in hits[: self.page_size])
            more = f"`search {request.args}` for more · " if len(hits) > self.page_size else ""
            return Reply(title=f"No topic is called “{request.quoted}”", kind="not_found",
                         text=f"{close}Entries that mention it, from a search of the list:", items=items,
                         footer=f"{more}`topics` for the whole tree", command=f"topic {request.args}")
        if names:
            return Reply(title=f"No topic matches “{request.quoted}”", kind="not_found",
                         text="Did you mean one of these? Or try `topics` for the whole tree.", items=topic_items,
                         suggestions=names, command=f"topic {request.args}")
        return Reply(title=f"Nothing on the list matches “{request.quoted}”", kind="not_found",
                     text="No topic has that name and no entry mentions it. Try `topics` for the whole tree.",
                     command=f"topic {request.args}")

    def _search(self, request: Request) -> Reply:
        if not request.args:
            return self.usage("search", "Search for what?")
        index = self.catalogue.index
        hits = index.search.search(request.args, limit=self.search_limit + 1)
        cut = len(hits) > self.search_limit
        hits = hits[: self.search_limit]
        if not hits:
            match = index.topics.resolve(request.args)
            hint = f" It is a topic, though: `topic {match.topic.slug}`." if match.topic else ""
            advice = (UNLINKED_HINT if names_a_link(request.args)
                      else "Try fewer or different words, or `topics` to browse.")
            return Reply(title=f"Nothing found for “{request.quoted}”", kind="not_found", text=advice + hint)
        def render(hit: Any) -> Item:
            return search_item(index, hit.entry, request.args)

        if cut:
            count = "the best result" if len(hits) == 1 else f"the best {len(hits)} results"
        else:
            count = f"{len(hits)} result{'s' * (len(hits) != 1)}"
        reply = Reply(title=f"Search: {request.quoted}", text=count, footer=self.search_cut_footer if cut else "")
        return self.paged(reply, hits, request.page, f"search {request.args}", render)

    def _paper(self, request: Request) -> Reply:
        if not request.args:
            return self.usage("paper", "Which paper?")
        index = self.catalogue.index
        match = index.finder.find(request.args)
        entry = match.entry
        if entry is None:
            items = tuple(entry_item(index, e, detail=f"`paper {e.id}`") for e in match.closest)
            if match.how == "several":
                return Reply(title=f"“{request.quoted}” names {len(items)} entries", kind="not_found",
                             text="Pick one:", items=items)
            if match.how == "unlinked":
                return Reply(title=f"No entry links to “{request.quoted}”", kind="not_found", text=UNLINKED_HINT)
            # Not "not on the list": a paper can be listed under another title (its arXiv v1's, say).
            return Reply(title=f"No entry is titled “{request.quoted}”", kind="not_found",
                         text=("Closest entries (it may be listed under another title):" if items
                               else "Try `search` with a few words of the title."),
                         items=items)
        catalogue = index.catalogue
        fields = [Field("Topics", "\n".join(catalogue.path_text(slug) for slug in entry.topics)),
                  Field("Kind", entry.kind)]
        if entry.arxiv:  # the paper's arXiv id, where its links are the venue's
            fields.append(Field("arXiv", f"https://arxiv.org/abs/{entry.arxiv}"))
        if entry.authors:
            fields.append(Field("Authors", ", ".join(entry.authors)))
        if entry.added:
            by = f" (approved by {', '.join(entry.approved_by)})" if entry.approved_by else ""
            fields.append(Field("Added", entry.added + by))
        how = "arXiv id" if match.how == "link" and arxiv_id(one_token(request.args)) else match.how
        found_by = f"(found by its {how})" if match.how in ("link", "acronym", "title words") else ""
        text = "\n".join(filter(None, [entry.preface, found_by]))
        return Reply(title=entry.title, text=text, items=(entry_item(index, entry),), fields=tuple(fields),
                     footer=f"id: {entry.id}", url=entry.links[0].url if entry.links else "")

    def _topics(self, request: Request) -> Reply:
        index = self.catalogue.index
        if request.args:  # `topics 2` was answered with page 1; `topics probing` with the whole tree
            if re.fullmatch(r"[0-9]{1,4}", request.args):
                if int(request.args) == 0:
                    return self.usage("topics", "pages count from 1, e.g. `topics 2`")
                request = Request(request.command, "", int(request.args), request.actor)
            elif re.fullmatch(r"-?[0-9]+", request.args):  # `topics -1`, `topics 99999`: a page, not words
                return self.usage("topics", f"`topics` takes a page number from 1 to {MAX_PAGE}, e.g. `topics 2`")
            else:
                return self.usage("topics", f"`topics` takes no words (`topic {request.args}` looks one up) "
                                            "and at most a page number, e.g. `topics 2`")
        items = []
        for topic in index.catalogue.topics:
            count = index.catalogue.count_under(topic.slug)
            indent = "  " * (topic.depth - 1)
            aliases = f" — also: {', '.join(topic.aliases[:4])}" if topic.aliases else ""
            items.append(Item(title=f"{indent}{topic.title} ({count})", detail=f"`{topic.slug}`{aliases}",
                              ref=topic.slug))
        reply = Reply(title="Topics", text="`topic NAME` lists one; names, slugs, aliases and typos all work.")
        return self.paged(reply, items, request.page, "topics")

    def _recent(self, request: Request) -> Reply:
        count = 10
        if request.args:
            # ASCII digits only: "²" passes str.isdigit() but int() refuses it.
            if not re.fullmatch(r"[0-9]{1,3}", request.args) or not 1 <= int(request.args) <= 100:
                return self.usage("recent", f"“{request.quoted}” is not a number from 1 to 100")
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
        # `help topic probing` is help on `topic`: the command is the first word, as on any command line.
        first = request.args.split(" ", 1)[0].lower().lstrip("/")
        wanted = ALIASES.get(first, first)
        if wanted and wanted in self.specs:
            spec = self.specs[wanted]
            return self.usage(spec.name, f"help: {spec.name}")
        if wanted:
            return self._unknown(first, "")
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
