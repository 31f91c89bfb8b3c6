"""/interp slash commands, autocomplete and paging buttons, through the gateway and the REST callbacks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot.commands import HELP, CommandSpec
from tests.e2e.discord.harness import APP_ID, Bot, autocomplete, button, embed_of, slash
from tests.fakes.discord_fake import Call, FakeDiscord

CALLBACK = r"/interactions/{id}/{token}/callback"


def callback_path(payload: dict) -> str:
    return CALLBACK.format(id=payload["id"], token=payload["token"])


async def test_topic_probing_answers_with_the_probing_section_as_an_embed(fake: FakeDiscord, bot: Bot) -> None:
    interaction = slash("topic", {"name": (3, "probing")})
    await fake.dispatch("INTERACTION_CREATE", interaction)
    call = await fake.wait_for("POST", callback_path(interaction))

    assert call.json["type"] == 4  # CHANNEL_MESSAGE_WITH_SOURCE
    assert call.json["data"]["allowed_mentions"] == {"parse": []}
    assert not call.json["data"].get("flags", 0) & 64  # not ephemeral by default
    embed = embed_of(call.json)
    assert embed["title"] == "Probing"
    entries = bot.catalogue.index.catalogue.entries_under("probing")
    assert entries
    for entry in entries:
        assert entry.links[0].url in embed["description"]


@pytest.mark.parametrize("settings_overrides", [{"discord_ephemeral": True}])
async def test_replies_are_ephemeral_when_configured(fake: FakeDiscord, bot: Bot) -> None:
    interaction = slash("help")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    call = await fake.wait_for("POST", callback_path(interaction))
    assert call.json["data"]["flags"] & 64


@pytest.mark.parametrize(("typed", "expected"), [("probign", "probing"), ("sae", "sparse-coding")])
async def test_topic_autocomplete_forgives_typos_and_knows_aliases(fake: FakeDiscord, bot: Bot, typed: str,
                                                                   expected: str) -> None:
    interaction = autocomplete("topic", "name", typed)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    call = await fake.wait_for("POST", callback_path(interaction))

    assert call.json["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    choices = call.json["data"]["choices"]
    assert choices[0]["value"] == expected
    assert len(choices) <= 25
    assert all(len(c["name"]) <= 100 for c in choices)


async def test_paper_autocomplete_offers_titles_and_answers_with_ids(fake: FakeDiscord, bot: Bot) -> None:
    interaction = autocomplete("paper", "title", "tuned lens")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    call = await fake.wait_for("POST", callback_path(interaction))
    first = call.json["data"]["choices"][0]
    entry = next(e for e in bot.catalogue.index.catalogue.entries if e.id == first["value"])
    assert "Tuned Lens" in entry.title or "tuned" in entry.title.lower()
    assert first["name"] == entry.title[:100]


async def test_slow_work_is_deferred_then_sent_as_a_followup(fake: FakeDiscord, bot: Bot) -> None:
    bot.adapter.reply_deadline = 0.0  # as if the search took longer than we may wait before Discord's 3 s
    interaction = slash("search", {"query": (3, "induction heads")})
    await fake.dispatch("INTERACTION_CREATE", interaction)
    deferred = await fake.wait_for("POST", callback_path(interaction))
    assert deferred.json["type"] == 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    followup = await fake.wait_for("POST", rf"/webhooks/{APP_ID}/{interaction['token']}")
    assert followup.json["allowed_mentions"] == {"parse": []}
    assert embed_of(followup.json)["title"].startswith("Search")


async def test_paging_buttons_turn_the_page(fake: FakeDiscord, bot: Bot) -> None:
    interaction = slash("topics")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    first = await fake.wait_for("POST", callback_path(interaction))
    (row,) = first.json["data"]["components"]
    previous, following = row["components"]
    assert previous["disabled"] is True
    assert following["disabled"] is False
    assert following["custom_id"] == "interp:page:2:topics"
    assert "page 1/" in embed_of(first.json)["footer"]["text"]

    message = next(m for m in fake.messages.values() if m.get("interaction_token") == interaction["token"])
    click = button(message, following["custom_id"])
    await fake.dispatch("INTERACTION_CREATE", click)
    update = await fake.wait_for("POST", callback_path(click))
    assert update.json["type"] == 7  # UPDATE_MESSAGE
    assert "page 2/" in embed_of(update.json)["footer"]["text"]
    assert update.json["data"]["allowed_mentions"] == {"parse": []}
    (row,) = update.json["data"]["components"]
    assert row["components"][0]["disabled"] is False  # Previous works on page 2
    assert row["components"][0]["custom_id"] == "interp:page:1:topics"


async def test_paging_buttons_of_a_message_sent_before_a_restart_still_turn_the_page(fake: FakeDiscord,
                                                                                    bot: Bot) -> None:
    """The pages lived in a view in memory: after a restart or a reconnect the buttons looked alive and answered
    "This interaction failed"."""
    message = fake.add_message("1234", components=[{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Next", "custom_id": "interp:page:2:topics"}]}])
    click = button(message, "interp:page:2:topics")
    await fake.dispatch("INTERACTION_CREATE", click)
    update = await fake.wait_for("POST", callback_path(click))
    assert update.json["type"] == 7
    assert "page 2/" in embed_of(update.json)["footer"]["text"]
    # Answered once: the answer to buttons we do not read (on_interaction) leaves ours to their PageButton.
    followup = slash("help")  # a later interaction, answered after everything the click set going
    await fake.dispatch("INTERACTION_CREATE", followup)
    await fake.wait_for("POST", callback_path(followup))
    assert len(fake.find("POST", callback_path(click))) == 1


async def test_a_command_too_long_for_a_button_id_pages_by_a_key(fake: FakeDiscord, bot: Bot) -> None:
    """A button's id holds 100 characters: the command was cut there, so page 2 answered another query."""
    query = "sparse autoencoders features circuits attention heads probing neurons " * 2
    interaction = slash("search", {"query": (3, query)})
    await fake.dispatch("INTERACTION_CREATE", interaction)
    first = await fake.wait_for("POST", callback_path(interaction))
    following = first.json["data"]["components"][0]["components"][1]
    assert following["custom_id"].startswith("interp:page:2:#") and len(following["custom_id"]) <= 100
    message = next(m for m in fake.messages.values() if m.get("interaction_token") == interaction["token"])
    click = button(message, following["custom_id"])
    await fake.dispatch("INTERACTION_CREATE", click)
    update = await fake.wait_for("POST", callback_path(click))
    assert update.json["type"] == 7
    assert "page 2/" in embed_of(update.json)["footer"]["text"]
    assert embed_of(update.json)["title"] == embed_of(first.json)["title"]  # the same query's page 2

    # After a restart the key is unknown: the reader is told to run it again, the message is left as it is.
    old = fake.add_message("1234", components=[{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Next", "custom_id": "interp:page:2:#0123456789abcdef"}]}])
    stale = button(old, "interp:page:2:#0123456789abcdef")
    await fake.dispatch("INTERACTION_CREATE", stale)
    answer = await fake.wait_for("POST", callback_path(stale))
    assert answer.json["type"] == 4 and answer.json["data"]["flags"] & 64
    assert "run it again" in answer.json["data"]["content"]


async def test_a_command_that_crashes_still_gets_an_error_reply(fake: FakeDiscord, bot: Bot,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """Issue 13, item 9: a bug in a command (here a handler that raises, plugged in through the grammar's own
    `register`) left the interaction unanswered on Discord, "The application did not respond"; Slack answered."""
    def broken(_request: object) -> None:
        raise RuntimeError("a bug in the topic handler")

    topic = HELP["topic"]
    bot.adapter.commands.register(CommandSpec("topic", topic.usage, topic.summary, topic.examples, broken))
    interaction = slash("topic", {"name": (3, "probing")})
    await fake.dispatch("INTERACTION_CREATE", interaction)
    call = await fake.wait_for("POST", callback_path(interaction))
    embed = embed_of(call.json)
    assert embed["title"] == "Something went wrong"
    assert "failed on our side" in embed["description"]
    assert "command 'topic probing' failed" in caplog.text
    assert "RuntimeError: a bug in the topic handler" in caplog.text


async def test_an_answer_discord_refused_is_followed_by_an_error_reply_not_the_help(
        fake: FakeDiscord, bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    """Discord refused the answer (400 Invalid Form Body): the tree's error handler answered with the help, as if the
    reader had typed the command wrong; it is our failure, said as one."""
    interaction = slash("topic", {"name": (3, "probing")})
    fake.fail_next("POST", callback_path(interaction), 400, {"message": "Invalid Form Body", "code": 50035})
    await fake.dispatch("INTERACTION_CREATE", interaction)
    refused = await fake.wait_for("POST", callback_path(interaction))
    assert embed_of(refused.json)["title"] == "Probing"
    retry = await fake.wait_for("POST", callback_path(interaction), after=fake.calls.index(refused) + 1)
    assert embed_of(retry.json)["title"] == "Something went wrong"
    assert retry.json["data"]["allowed_mentions"] == {"parse": []}
    assert "discord: /interp failed" in caplog.text


@pytest.mark.parametrize(("subcommand", "options"), [
    ("nominate", {}),  # a subcommand this version does not have (synced by another, or since removed)
    ("topic", {}),  # a required option missing
    ("help", {"command": (3, "nonexistent")}),  # a choice that is no choice
])
async def test_a_command_as_another_version_synced_it_gets_the_help(
        fake: FakeDiscord, bot: Bot, caplog: pytest.LogCaptureFixture, subcommand: str,
        options: dict[str, tuple[int, str]]) -> None:
    """discord.py's tree raised, logged an ERROR and never answered: "The application did not respond"."""
    interaction = slash(subcommand, options)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    call = await fake.wait_for("POST", callback_path(interaction))
    assert call.json["type"] == 4
    assert embed_of(call.json)["title"] == embed_of((await _help_reply(fake)).json)["title"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert any("does not match this version's commands" in r.getMessage() for r in caplog.records)


async def _help_reply(fake: FakeDiscord) -> Call:
    interaction = slash("help")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    return await fake.wait_for("POST", callback_path(interaction))


async def test_autocomplete_for_a_command_this_version_lacks_gets_no_choices(fake: FakeDiscord, bot: Bot) -> None:
    """Answered with the help as a message, which Discord refuses for an autocomplete request."""
    interaction = autocomplete("nominate", "name", "pro")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    call = await fake.wait_for("POST", callback_path(interaction))
    assert call.json == {"type": 8, "data": {"choices": []}}  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT


async def _warnings_of(fake: FakeDiscord, interaction: dict[str, Any], caplog: pytest.LogCaptureFixture
                       ) -> list[tuple[str, str]]:
    """Dispatch `interaction`, wait for the first warning of ours, and return every warning logged."""
    seen = asyncio.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING and record.name.startswith("bot."):
                seen.set()

    watch = Watch()
    logging.getLogger().addHandler(watch)
    try:
        await fake.dispatch("INTERACTION_CREATE", interaction)
        await asyncio.wait_for(seen.wait(), 5)
    finally:
        logging.getLogger().removeHandler(watch)
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]


async def test_an_interaction_that_expired_before_its_answer_is_a_warning_not_a_bug(
        fake: FakeDiscord, bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    """Discord drops an interaction not answered within 3 s (a late delivery, a busy moment): its callback is
    answered 404 Unknown interaction. That was logged as a bug of ours, with a traceback, and answered again with
    the help, which Discord refused the same way."""
    interaction = slash("topic", {"name": (3, "probing\n2026-12-07 ERROR bot: a forged log line")})
    fake.fail_next("POST", callback_path(interaction), 404, {"message": "Unknown interaction", "code": 10062})
    assert await _warnings_of(fake, interaction, caplog) == [  # the reader's words on one line of the log
        ("WARNING", "discord: the answer to /interp topic probing 2026-12-07 ERROR bot: a forged log line came too "
                    "late, Discord had dropped the interaction: 404 Not Found (error code: 10062): Unknown "
                    "interaction")]
    assert len(fake.find("POST", callback_path(interaction))) == 1


async def test_a_page_button_that_expired_before_its_answer_is_a_warning_not_a_bug(
        fake: FakeDiscord, bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    """The same for a paging button: discord.py logged "Ignoring exception in view" at ERROR, with a traceback."""
    message = fake.add_message("1234", components=[{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Next", "custom_id": "interp:page:2:topics"}]}])
    click = button(message, "interp:page:2:topics")
    fake.fail_next("POST", callback_path(click), 404, {"message": "Unknown interaction", "code": 10062})
    assert await _warnings_of(fake, click, caplog) == [
        ("WARNING", "discord: page 2 of topics came too late, Discord had dropped the interaction: 404 Not Found "
                    "(error code: 10062): Unknown interaction")]


async def test_a_query_with_a_line_separator_is_searched_as_two_words(fake: FakeDiscord, bot: Bot) -> None:
    """The query's U+2028 was dropped with the invisible characters: "induction<U+2028>heads" was searched (and
    echoed) as "inductionheads"."""
    interaction = slash("search", {"query": (3, "induction\u2028heads")})
    await fake.dispatch("INTERACTION_CREATE", interaction)
    call = await fake.wait_for("POST", callback_path(interaction))
    assert embed_of(call.json)["title"] == "Search: induction heads"


@pytest.mark.parametrize("custom_id", [
    "paging:next:topics",  # a button of an older version, whose ids were spelled otherwise
    "interp:page:10000:topics",  # a page number no button of ours carries
])
async def test_a_button_this_version_does_not_read_is_told_to_run_the_command_again(
        fake: FakeDiscord, bot: Bot, caplog: pytest.LogCaptureFixture, custom_id: str) -> None:
    """discord.py dropped a press on a button none of our items matched: the reader saw "This interaction failed"
    and the log said nothing."""
    message = fake.add_message("1234", components=[{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Next", "custom_id": custom_id}]}])
    click = button(message, custom_id)
    with caplog.at_level(logging.INFO, logger="bot.adapters.discord"):
        await fake.dispatch("INTERACTION_CREATE", click)
        answer = await fake.wait_for("POST", callback_path(click))
    assert answer.json["type"] == 4 and answer.json["data"]["flags"] & 64  # to the presser alone
    assert "run the `/interp` command again" in answer.json["data"]["content"]
    assert [r.levelname for r in caplog.records if custom_id in r.getMessage()] == ["INFO"]


async def test_a_deferred_answer_discord_refused_replaces_the_thinking_with_the_error(
        fake: FakeDiscord, bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    """The followup of a deferred answer failed (refused here; a 5xx past discord.py's retries the same way, after
    25 s of them): the error handler returned once the interaction was deferred, and the reader was left on
    "thinking…" for good."""
    bot.adapter.reply_deadline = 0.0  # deferred
    interaction = slash("search", {"query": (3, "induction heads")})
    followup = rf"/webhooks/{APP_ID}/{interaction['token']}"
    fake.fail_next("POST", followup, 400, {"message": "Invalid Form Body", "code": 50035})
    await fake.dispatch("INTERACTION_CREATE", interaction)
    deferred = await fake.wait_for("POST", callback_path(interaction))
    assert deferred.json["type"] == 5  # "thinking…"
    await fake.wait_for("PATCH", rf"{followup}/messages/@original")
    thinking = next(m for m in fake.messages.values() if m.get("interaction_token") == interaction["token"])
    assert "failed on our side" in thinking["content"]
    assert "discord: /interp failed" in caplog.text
