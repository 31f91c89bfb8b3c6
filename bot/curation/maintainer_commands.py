"""Maintainers' curation commands, registered into the /interp grammar where curation runs: the console
(`interp-bot console`) and every chat adapter of `interp-bot run` (App.start). Their help is MAINTAINER_HELP.

    candidates [--all]              pending candidates, best first (--all: and what the daily budget held back)
    approve ID [--topic SLUG]       decide now (the maintainer's override of the vote count, recorded as such)
    reject ID
    :white_check_mark: ID           vote with the same emoji names as reactions (`:x: ID`, `:one: ID`)
    vote EMOJI ID [--remove]        the same, spelled out; --remove withdraws it
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.chat import emoji
from bot.chat.render import clip
from bot.chat.runner import StillRunning
from bot.chat.values import Item, Link, Reply
from bot.command_help import MAINTAINER_HELP
from bot.commands import Commands, CommandSpec, Request
from bot.curation.held_back import held_back
from bot.curation.pipeline import Curation, VoteOutcome
from bot.curation.posts import found_listed, topic_name
from bot.store.curation import Decision
from bot.store.papers import StoredPaper

Runner = Callable[[Coroutine[Any, Any, Any]], Any]
# The topic runs to the end of the line, or to the candidate number after it: a topic's name may have spaces
# (`--topic sparse coding`, as Discord's topic box sends what was typed).
_TOPIC_OPTION = re.compile(r"\s--topic[=\s]+(.+?)(?=\s#?[0-9]+$|$)")
# Slack writes an emoji typed with a skin tone as `:+1::skin-tone-3:`: the tone is no part of the vote.
_EMOJI_VOTE = re.compile(r"^:([\w+\-]+):(?::skin-tone-[2-6]:)?\s+#?([0-9]+)\s*(--remove)?$")
_TYPED_EMOJI_VOTE = re.compile(r"^(\S{1,8})\s+#?([0-9]+)\s*(--remove)?$")
_EMOJI_NAME = re.compile(r"^:[\w+\-]+:(?::skin-tone-[2-6]:)?$")
_CANDIDATE_NUMBER = re.compile(r"#?[0-9]+\s*(?:--remove)?")


def _voting_emoji(curation: Curation) -> str:
    """The configured voting emoji and what each does: "✅ (approve), ❌ (reject) or 1️⃣ 2️⃣ 3️⃣ (a topic)"."""
    rules = curation.rules
    groups = [(rules.approve, "approve"), (rules.reject, "reject"), (rules.topic_choices, "a topic")]
    shown = [f"{' '.join(emoji.to_unicode(name) for name in names)} ({what})" for names, what in groups if names]
    return ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else "".join(shown)


def candidate_items(curation: Curation) -> list[Item]:
    items = []
    index = curation.catalogue.index
    for paper in curation.papers.candidates():
        topics = ", ".join(f"{topic_name(t, index)} ({t['score']:.2f})" for t in paper.topics) or "no topic"
        links = tuple(Link(label, url) for label, url in [("abs", paper.abs_url)] if url)
        items.append(Item(title=f"#{paper.id} {paper.title}", links=links,
                          detail=f"relevance {paper.score:.2f} · {topics} · from {', '.join(paper.feeds)}",
                          ref=str(paper.id)))
    return items


def held_back_papers(curation: Curation) -> list[StoredPaper]:
    """What the daily budget held back, as long as a candidate waits for votes (INTERP_BOT_CANDIDATE_EXPIRY_DAYS):
    older ones would pile up for ever, while a vote on one by its id still makes it a candidate. Those the list holds
    by now are left out (bot.curation.held_back)."""
    since = curation.db.now() - timedelta(days=curation.settings.candidate_expiry_days)
    return held_back(curation, since)


def held_back_items(papers: list[StoredPaper], timezone: str) -> list[Item]:
    """`candidates --all`: the papers the daily budget held back, as list items; the day is the budget's, in
    `timezone` (INTERP_BOT_TIMEZONE)."""
    zone = ZoneInfo(timezone)
    return [Item(title=f"#{p.id} {p.title}", links=tuple(Link("abs", url) for url in [p.abs_url] if url),
                 detail=f"held back {p.held_back_at.astimezone(zone):%Y-%m-%d} by the daily budget · "
                        f"relevance {p.score:.2f} · "
                        f"{', '.join(t['title'] for t in p.topics) or 'no topic'}", ref=str(p.id))
            for p in papers if p.held_back_at is not None]


# How a maintainer does the next thing where they typed: chat has no shell, and Discord's slash commands take no
# typed `:white_check_mark: ID`.
HINTS = {
    "console": ("`approve ID [--topic SLUG]` · `reject ID` · `:white_check_mark: ID`",
                "`interp-bot poll --once` looks for new papers.", "`interp-bot status` lists it"),
    "slack": ("`/interp approve ID [--topic SLUG]` · `/interp reject ID` · `/interp :white_check_mark: ID`, or react "
              "on the candidate's post", "The bot polls the feeds on its schedule; the digest says what came.",
              "the bot's status lists it"),
    "discord": ("`/interp approve` · `/interp reject` · `/interp vote`, or react on the candidate's post",
                "The bot polls the feeds on its schedule; the digest says what came.", "the bot's status lists it"),
}


def _hints(request: Request) -> tuple[str, str, str]:
    """(what to do with a candidate, where new papers come from, where a failure shows) for the asker's platform."""
    return HINTS.get(request.actor.platform if request.actor else "console", HINTS["console"])


def _outcome_reply(action: str, paper_id: int, outcome: VoteOutcome, curation: Curation, request: Request) -> Reply:
    if outcome.error:
        return Reply(title=f"Candidate #{paper_id} {outcome.decision}, but not finished", kind="error",
                     text=f"{outcome.error}\nIt is retried every few minutes; {_hints(request)[2]}.")
    if outcome.decision == "approved":
        decision = curation.store.decision(paper_id)
        return Reply(title=f"Candidate #{paper_id} approved", text=_added(decision, curation) if decision else "")
    if outcome.decision:
        return Reply(title=f"Candidate #{paper_id} {outcome.decision}")
    if outcome.counted:
        done = "withdrawn from" if outcome.reason.startswith("withdrawn") else "recorded on"
        return Reply(title=f"{action.capitalize()} {done} candidate #{paper_id}", kind="info",
                     text=f"{outcome.reason}; no decision yet")
    return Reply(title=f"Nothing changed for candidate #{paper_id}", kind="error", text=outcome.reason)


def _added(decision: Decision, curation: Curation) -> str:
    catalogue = curation.catalogue.index.catalogue
    listed = found_listed(decision, catalogue)
    if listed is not None:  # added by hand while it waited: not where the decision would have filed it
        return (f"Already on the list as “{listed.title}” under {catalogue.path_text(listed.topics[0])}. "
                f"`topic {listed.topics[0]}` shows it.")
    where = catalogue.path_text(decision.topic) if decision.topic else ""
    return f"Added to {where}. `topic {decision.topic}` shows it."


_NOUNS = {"approve": "approval", "reject": "rejection", "vote": "vote"}


def _still_running_reply(action: str, paper_id: int, curation: Curation) -> Reply:
    """The answer to a command that outlasted its wait (bot.chat.runner.StillRunning): nothing failed, so nothing
    is called an error. What is done so far is read from the database; the rest shows where it lands (the
    candidate's post is edited when its decision is finished, and a decided candidate leaves `candidates`)."""
    decision = curation.store.decision(paper_id)
    posted = any(post.kind == "candidate" for post in curation.store.posts_for_paper(paper_id))
    post = " Its post in the maintainers' channel says so when it is done." if posted else ""
    if decision is None:  # the vote or decision itself is still being taken (a busy database)
        return Reply(title=f"Still working on your {_NOUNS.get(action, action)} of candidate #{paper_id}",
                     kind="info", text="It is taking longer than usual and goes on by itself; nothing has failed. "
                                       f"A decided candidate leaves `candidates`.{post}")
    if decision.decision == "approved" and not decision.written:
        where = curation.catalogue.index.catalogue.path_text(decision.topic) if decision.topic else "the list"
        return Reply(title=f"Candidate #{paper_id} approved; its entry is still being written", kind="info",
                     text=f"It goes on by itself; nothing has failed. `topic {decision.topic}` shows it once it "
                          f"is added to {where}.{post}")
    added = _added(decision, curation) if decision.decision == "approved" else ""
    updating = " Its post in the maintainers' channel is still being updated." if posted and not decision.announced \
        else ""
    return Reply(title=f"Candidate #{paper_id} {decision.decision}", text=f"{added}{updating}".strip())


def register_curation_commands(commands: Commands, curation: Curation, run: Runner) -> None:
    def person(request: Request) -> str:
        actor = request.actor
        if actor is None:
            return curation.maintainers.person("console", "") or "console"
        # The adapter let them in by the same rule that counts their reactions, roles included (a Slack user group,
        # a Discord role), which the Actor does not carry: such a person is "platform:user id" there, as here, so
        # their ✅ reaction and their `vote` command are one person's vote, not two.
        return curation.maintainers.person(actor.platform, actor.user_id) or f"{actor.platform}:{actor.user_id}"

    def platform_id(request: Request) -> str | None:
        """The asker's id on their platform ("slack:U01"), kept with their vote: the tally asks who it is under the
        maintainers configured then (a name the list gives it since, or none). The console's is its name."""
        actor = request.actor
        return f"{actor.platform}:{actor.user_id}" if actor and actor.platform != "console" and actor.user_id \
            else None

    def candidates(request: Request) -> Reply:
        # --all: with what the daily budget held back (the digest says how many); a vote on one puts it forward.
        words = request.args.lower().split()
        if any(word != "--all" for word in words):
            return commands.usage("candidates", "candidates takes only --all")
        every = bool(words)
        held_back = held_back_items(held_back_papers(curation), curation.settings.timezone) if every else []
        items = candidate_items(curation) + held_back
        if not items:
            return Reply(title="No pending candidates" + (", none held back" if every else ""), kind="info",
                         text=_hints(request)[1])
        title = "Pending candidates" + (f", {len(held_back)} held back by the daily budget" if every else "")
        reply = Reply(title=title, text=_hints(request)[0])
        return commands.paged(reply, items, request.page, "candidates --all" if every else "candidates")

    def decide(kind: str) -> Callable[[Request], Reply]:
        def handler(request: Request) -> Reply:
            topic_match = _TOPIC_OPTION.search(" " + request.args)
            topic = topic_match.group(1) if topic_match else None
            rest = _TOPIC_OPTION.sub("", " " + request.args).strip().lstrip("#")
            if re.search(r"(^|\s)--topic=?$", rest):  # `approve 12 --topic`: the number is there, the slug is not
                return commands.usage(kind, "--topic needs a topic slug (see `topics`)")
            if not re.fullmatch(r"[0-9]+", rest):  # ASCII: "²" passes str.isdigit() but int() refuses it
                return commands.usage(kind, f"{kind} needs a candidate number")
            platform = request.actor.platform if request.actor else "console"
            try:
                outcome = run(curation.decide(int(rest), kind, person=person(request), topic=topic, force=True,
                                              platform=platform, user_id=platform_id(request)))
            except StillRunning:
                return _still_running_reply(kind, int(rest), curation)
            return _outcome_reply(kind, int(rest), outcome, curation, request)
        return handler

    def vote(request: Request) -> Reply:
        first, _, rest = request.args.partition(" ")
        # The emoji by name (`white_check_mark`, `:x:`) or as the character an emoji picker types (`✅`, `👍🏽`).
        first = emoji.unicode_name(first) or first.strip(":")
        match = _EMOJI_VOTE.match(f":{first}: {rest}")
        if not match and first and _CANDIDATE_NUMBER.fullmatch(rest.strip()):
            # An emoji the bot has no name for (🔥, a server's own): both were given, so the usage's "needs an emoji
            # and a candidate number" was no answer. Discord's vote box sends whatever emoji was picked.
            usage = commands.usage("vote", f"“{clip(first, 20)}” is not a voting emoji")
            return replace(usage, text=f"Vote with {_voting_emoji(curation)}.\n{usage.text}")
        if not match:
            return commands.usage("vote", "vote needs an emoji and a candidate number")
        name, paper_id, remove = emoji.to_name(match.group(1)), int(match.group(2)), bool(match.group(3))
        try:
            outcome = run(curation.vote(paper_id, name, person(request), added=not remove,
                                        user_id=platform_id(request)))
        except StillRunning:
            return _still_running_reply("vote", paper_id, curation)
        return _outcome_reply("vote", paper_id, outcome, curation, request)

    handlers = {"candidates": candidates, "approve": decide("approve"), "reject": decide("reject"), "vote": vote}
    options = {"candidates": ("--all",), "approve": ("--topic",), "vote": ("--remove",)}
    for name, text in MAINTAINER_HELP.items():  # the one source of their help: `help`, usage and Discord's
        commands.register(CommandSpec(name, text.usage, text.summary, text.examples, handlers[name],
                                      maintainers_only=True, options=options.get(name, ())))
    commands.add_line_rule("vote", vote_line)


def emoji_vote_line(line: str) -> str | None:
    """`:white_check_mark: 12` (or the emoji itself, `✅ 12`, as a terminal's emoji picker types it) ->
    `vote white_check_mark 12`; None for other lines."""
    match = _EMOJI_VOTE.match(line.strip())
    if match:
        return f"vote {match.group(1)} {match.group(2)}{' --remove' if match.group(3) else ''}"
    typed = _TYPED_EMOJI_VOTE.match(line.strip())
    # Only an emoji character the bot knows: words ("thumbsup 12", "é: 3") stay words, they may be commands.
    if typed and (name := emoji.unicode_name(typed.group(1))) is not None:
        return f"vote {name} {typed.group(2)}{' --remove' if typed.group(3) else ''}"
    return None


def starts_with_emoji(line: str) -> bool:
    """Does `line` begin with a voting-looking emoji (`:x:` or `✅`), whatever follows? Such a line that is no vote
    (`:x:` alone, `✅ twelve`) is one gone wrong: it gets the vote's usage, not "Unknown command" and the help."""
    words = line.split()
    return bool(words) and (_EMOJI_NAME.match(words[0]) is not None or emoji.unicode_name(words[0]) is not None
                            or emoji.DISCORD_CUSTOM.fullmatch(words[0]) is not None or _pictograph(words[0]))


def _pictograph(word: str) -> bool:
    """An emoji the bot has no name for (🔥, 🏳️‍🌈): symbols, with their joiners, variation selectors and skin tones
    (a picker's 🔥 12 meant a vote; it was "Unknown command")."""
    return len(word) <= 8 and any(unicodedata.category(c) == "So" for c in word) and all(
        unicodedata.category(c) in ("So", "Sk", "Mn", "Cf") for c in word)


def vote_line(line: str) -> str | None:
    """The line rule every adapter that passes whole lines shares (the console, Slack's `/interp`): a vote typed as
    a reaction is the `vote` command; a line that starts like one but is no vote (`:x:` alone, `✅ twelve`) is too,
    so it gets the vote's usage, not "Unknown command" and the help."""
    return emoji_vote_line(line) or (f"vote {line.strip()}" if starts_with_emoji(line) else None)
