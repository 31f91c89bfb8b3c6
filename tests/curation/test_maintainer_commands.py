"""The console's vote lines: an emoji (by name or as the character) and a candidate number, nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.catalogue.service import CatalogueService
from bot.chat.values import Actor
from bot.commands import Commands
from bot.curation.maintainer_commands import emoji_vote_line, register_curation_commands
from bot.curation.pipeline import Curation
from bot.store.db import Database
from tests.curation.test_pipeline import Posted, add_candidate, settings_for


@pytest.mark.parametrize(
    ("line", "vote"),
    [
        (":white_check_mark: 12", "vote white_check_mark 12"),
        (":x: #4 --remove", "vote x 4 --remove"),
        ("✅ 12", "vote white_check_mark 12"),
        ("✔️ 7", "vote heavy_check_mark 7"),
        ("👍🏽 3", "vote +1 3"),  # a skin tone, as Discord and emoji pickers add it
        ("❌ 4 --remove", "vote x 4 --remove"),
    ],
)
def test_an_emoji_and_a_number_is_a_vote(line: str, vote: str) -> None:
    assert emoji_vote_line(line) == vote


@pytest.mark.parametrize("line", ["thumbsup 12", "é: 3", "№: 12", "topic 12", "recent 5", "🦄 3", "✅", "✅ twelve"])
def test_anything_else_stays_a_command_line(line: str) -> None:
    assert emoji_vote_line(line) is None


@pytest.fixture
def curated(catalogue_dir: Path, database_url: str) -> Iterator[tuple[Curation, Commands]]:
    """The curation pipeline and the command set with its maintainer commands, as the console runs them."""
    database = Database.open(database_url)
    curation = Curation(database, CatalogueService(catalogue_dir), settings_for(catalogue_dir, database_url))
    commands = Commands(curation.catalogue)
    register_curation_commands(commands, curation, asyncio.run)
    yield curation, commands
    database.close()


@pytest.mark.parametrize("typed", ["✅", "👍🏽", ":white_check_mark:", "white_check_mark"])
def test_vote_takes_the_emoji_itself_as_its_help_says(typed: str, curated: tuple[Curation, Commands]) -> None:
    """`vote EMOJI ID`: `vote ✅ 12` answered with the usage, while `✅ 12` alone was a vote."""
    curation, commands = curated
    paper_id = add_candidate(curation.db, 1)
    at_the_console = Actor(platform="console", user_id="console", is_maintainer=True)
    reply = commands.execute(f"vote {typed} {paper_id}", actor=at_the_console)
    assert reply.title == f"Vote recorded on candidate #{paper_id}"


def test_a_vote_that_changes_nothing_says_why(curated: tuple[Curation, Commands]) -> None:
    """A repeated vote, and a withdrawal from the console of a vote cast as a reaction or never cast, answered only
    "Nothing changed ... unchanged"."""
    curation, commands = curated
    paper_id = add_candidate(curation.db, 1)
    alice = Actor(platform="console", user_id="alice", is_maintainer=True)
    assert commands.execute(f"vote x {paper_id} --remove", actor=alice).text == "no :x: vote of yours to withdraw"
    asyncio.run(curation.handle_vote(Posted(curation, paper_id).vote("discord", "111")))  # alice's ✅ reaction
    withdrawn = commands.execute(f"vote ✅ {paper_id} --remove", actor=alice)
    assert withdrawn.text == "that vote was cast as a reaction: remove the reaction to withdraw it"
    assert commands.execute(f"vote 👍 {paper_id}", actor=alice).title == f"Vote recorded on candidate #{paper_id}"
    again = commands.execute(f"vote 👍 {paper_id}", actor=alice)
    assert (again.title, again.text) == (f"Nothing changed for candidate #{paper_id}",
                                         "already counted: 1 of 2 approvals, 0 of 1 rejections")


@pytest.mark.parametrize("line", ["approve {id} --topic", "approve {id} --topic="])
def test_a_topic_option_without_its_slug_says_so(line: str, curated: tuple[Curation, Commands]) -> None:
    """`approve 12 --topic` answered "approve needs a candidate number", with the number right there."""
    curation, commands = curated
    paper_id = add_candidate(curation.db, 1)
    at_the_console = Actor(platform="console", user_id="console", is_maintainer=True)
    reply = commands.execute(line.format(id=paper_id), actor=at_the_console)
    assert reply.title == "--topic needs a topic slug (see `topics`)"
    assert reply.kind == "usage"


def test_approving_a_paper_added_by_hand_meanwhile_says_where_it_is(catalogue_dir: Path,
                                                                     curated: tuple[Curation, Commands]) -> None:
    """`approve 12 --topic visulization` of a paper a maintainer had added by hand under Probing answered "Added to
    ... Visulization. `topic visulization` shows it.", which it does not."""
    from bot.catalogue.model import Entry, Link
    from bot.catalogue.yaml_write import append_entry

    curation, commands = curated
    paper_id = add_candidate(curation.db, 1)
    append_entry(catalogue_dir, Entry(id="family-1", title="Family one, added by hand",
                                      links=(Link("arxiv", "https://arxiv.org/abs/2411.10001"),)), "probing")
    at_the_console = Actor(platform="console", user_id="console", is_maintainer=True)
    reply = commands.execute(f"approve {paper_id} --topic visulization", actor=at_the_console)
    assert (reply.title, reply.text) == (
        f"Candidate #{paper_id} approved",
        "Already on the list as “Family one, added by hand” under Paper & Blog › By Topic › Tools/Techniques/Methods "
        "› Probing. `topic probing` shows it.")


@pytest.mark.parametrize(("typed", "shown"), [("🔥", "🔥"), ("🎉", "🎉"),
                                             ("<:blobyes:1234567890123456789>", "<:blobyes:123456789…")])
def test_a_vote_with_an_emoji_that_is_no_voting_one_names_the_ones_that_are(
        typed: str, shown: str, curated: tuple[Curation, Commands]) -> None:
    """Discord's vote box sends the emoji picked (`🔥 12` here): it was answered "vote needs an emoji and a candidate
    number", with both right there."""
    curation, commands = curated
    paper_id = add_candidate(curation.db, 1)
    maintainer = Actor(platform="discord", user_id="111", is_maintainer=True)
    reply = commands.run("vote", f"{typed} {paper_id}", actor=maintainer)
    assert reply.title == f"“{shown}” is not a voting emoji"
    assert reply.text.startswith("Vote with ✅ 👍 (approve), ❌ 👎 (reject) or 1️⃣ 2️⃣ 3️⃣ (a topic).\nUsage: `vote")
    assert curation.store.decision(paper_id) is None


@pytest.mark.parametrize(("typed", "shown"), [("🔥", "🔥"),
                                             ("🏳️\u200d🌈", "🏳️🌈"),  # echoed without its joiner, as any text is
                                             ("<:blobyes:1234567890123456789>", "<:blobyes:123456789…")])
def test_an_emoji_no_vote_knows_typed_with_a_number_is_answered_as_a_vote(
        typed: str, shown: str, curated: tuple[Curation, Commands]) -> None:
    """At the console (and in Slack's `/interp`), `🔥 12` as a picker types it was "Unknown command", where `✅ 12`
    is a vote: it gets the vote's answer, naming the emoji that vote."""
    curation, commands = curated
    paper_id = add_candidate(curation.db, 1)
    at_the_console = Actor(platform="console", user_id="console", is_maintainer=True)
    reply = commands.execute(f"{typed} {paper_id}", actor=at_the_console)
    assert reply.title == f"“{shown}” is not a voting emoji"
    assert reply.text.startswith("Vote with ✅ 👍 (approve)")
    assert curation.store.decision(paper_id) is None
