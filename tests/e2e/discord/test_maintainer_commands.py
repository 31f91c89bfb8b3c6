"""The maintainers' curation commands as /interp subcommands (candidates, approve, reject, vote), as
`interp-bot run` wires them: the App builds the Discord adapter by name and registers the commands when it starts.
The real discord.py client against the loopback fake Discord; decisions land in a scratch catalogue."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.chat.runner import COMMAND_WAIT_SECONDS
from tests.e2e.discord.harness import APP_ID, VoteRecorder, autocomplete, embed_of, make_settings, reaction, slash
from tests.e2e.papers import add_paper
from tests.fakes.discord_fake import ALICE, CAROL, GUILD_ID, MAINTAINER_ROLE, MAINTAINERS_CHANNEL, FakeDiscord

TITLE = "Linear probes find a truth direction in chat models"
HELD_BACK = "A sparse dictionary of chess features, held back"
POSTS = rf"/channels/{MAINTAINERS_CHANNEL}/messages"
STRING, INTEGER, BOOLEAN = 3, 4, 5  # Discord's option types


@contextlib.asynccontextmanager
async def running(tmp_path: Path, catalogue_dir: Path, *, command_wait: float = COMMAND_WAIT_SECONDS,
                  **overrides: object) -> AsyncIterator[App]:
    """The bot as `interp-bot run --adapter discord` wires it (settings `overrides` on the module's), running."""
    settings = make_settings(tmp_path, catalogue_dir, **{"approvals_needed": 2,
                                                         "feeds_file": tmp_path / "no-feeds.yaml", **overrides})
    app = App(settings, command_wait=command_wait)
    adapter = app.add_adapter("discord", ready_timeout=5.0, guild_ready_timeout=0.01)
    adapter.curation = VoteRecorder(app.curation)  # reactions still go to the real curation; a test can wait
    await app.start(scheduler=False)
    try:
        yield app
    finally:
        await app.stop()


@pytest.fixture
async def app(fake: FakeDiscord, tmp_path: Path, catalogue_dir: Path) -> AsyncIterator[App]:
    async with running(tmp_path, catalogue_dir) as app:
        yield app


async def ask(fake: FakeDiscord, subcommand: str, options: dict[str, tuple[int, Any]] | None = None, *,
              user_id: str = ALICE) -> dict[str, Any]:
    """`/interp SUBCOMMAND option:value ...` from `user_id` (Alice has the maintainer role, Carol none): the
    answer's message data, sent at once or, after a deferral, as the followup."""
    roles = (MAINTAINER_ROLE,) if user_id == ALICE else ()
    interaction = slash(subcommand, options, user_id=user_id, roles=roles)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    call = await fake.wait_for("POST", rf"/interactions/{interaction['id']}/{interaction['token']}/callback")
    if call.json["type"] == 5:  # deferred: the answer follows
        followup = await fake.wait_for("POST", rf"/webhooks/{APP_ID}/{interaction['token']}", within=10)
        return {**followup.json, "deferred_flags": call.json["data"].get("flags", 0)}
    return call.json["data"]


def text_of(data: dict[str, Any]) -> str:
    embed = embed_of(data)
    return "\n".join([embed["title"], embed.get("description", ""), (embed.get("footer") or {}).get("text", "")])


def private(data: dict[str, Any]) -> bool:
    return bool((data.get("flags", 0) | data.get("deferred_flags", 0)) & 64)


async def test_the_maintainers_subcommands_are_synced_with_their_options(fake: FakeDiscord, app: App) -> None:
    (sync,) = fake.find("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    (group,) = sync.json
    subcommands = {o["name"]: o for o in group["options"]}
    assert {"candidates", "approve", "reject", "vote"} <= set(subcommands)
    assert subcommands["candidates"]["description"].startswith("Pending candidates, best first")

    def options(name: str) -> dict[str, dict[str, Any]]:
        return {o["name"]: o for o in subcommands[name].get("options", [])}

    assert (options("candidates")["all"]["type"], options("candidates")["all"]["required"]) == (BOOLEAN, False)
    assert (options("approve")["id"]["type"], options("approve")["id"]["required"]) == (INTEGER, True)
    assert options("approve")["topic"]["autocomplete"] is True
    assert options("reject")["id"]["type"] == INTEGER
    assert set(options("vote")) == {"emoji", "id", "remove"}
    assert options("vote")["emoji"]["autocomplete"] is True
    help_choices = {c["value"] for c in options("help")["command"]["choices"]}
    assert {"candidates", "approve", "reject", "vote"} <= help_choices


async def test_vote_is_described_without_a_typed_form_discord_cannot_take(fake: FakeDiscord, app: App) -> None:
    (sync,) = fake.find("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    (group,) = sync.json
    (vote,) = [o for o in group["options"] if o["name"] == "vote"]
    # Discord's command picker shows this: a slash command takes no typed `:white_check_mark: 12`
    assert ":white_check_mark:" not in vote["description"]
    assert ":white_check_mark:" not in text_of(await ask(fake, "help"))


async def test_a_maintainer_lists_the_pending_candidates_for_their_eyes_only(fake: FakeDiscord, app: App) -> None:
    add_paper(app, TITLE, "2611.00042")
    data = await ask(fake, "candidates")
    assert embed_of(data)["title"] == "Pending candidates"
    assert TITLE in text_of(data)
    # Discord's slash commands take no typed `:white_check_mark: ID`: the hint names what there is
    assert "`/interp vote`, or react on the candidate's post" in text_of(data)
    assert ":white_check_mark: ID" not in text_of(data)
    assert private(data)  # though lookups answer in the channel here (INTERP_BOT_DISCORD_EPHEMERAL=false)
    assert not private(await ask(fake, "topics"))


async def test_candidates_all_shows_what_the_daily_budget_held_back(fake: FakeDiscord, app: App) -> None:
    add_paper(app, TITLE, "2611.00042")
    paper_id = add_paper(app, HELD_BACK, "2611.00043", held_back=True)
    assert HELD_BACK not in text_of(await ask(fake, "candidates", {"all": (BOOLEAN, False)}))
    every = await ask(fake, "candidates", {"all": (BOOLEAN, True)})
    assert embed_of(every)["title"] == "Pending candidates, 1 held back by the daily budget"
    assert f"#{paper_id} {HELD_BACK}" in text_of(every)


async def test_approve_with_a_topic_from_discord_lists_the_paper_there_and_edits_its_post(fake: FakeDiscord,
                                                                                        app: App) -> None:
    paper_id = add_paper(app, TITLE, "2611.00042")
    assert await app.curation.publish_pending() == 1
    post = await fake.wait_for("POST", POSTS)
    message_id = next(m["id"] for m in fake.messages.values() if m.get("nonce") == post.json["nonce"])
    data = await ask(fake, "approve", {"id": (INTEGER, paper_id), "topic": (STRING, "sparse-coding")})
    assert embed_of(data)["title"] == f"Candidate #{paper_id} approved"
    entry = next(e for e in app.curation.catalogue.index.catalogue.entries if e.title == TITLE)
    assert entry.topics == ("sparse-coding",)
    assert TITLE in (app.settings.catalogue_dir / "README.md").read_text(encoding="utf-8")
    edit = await fake.wait_for("PATCH", rf"{POSTS}/{message_id}")
    assert embed_of(edit.json)["title"].startswith("✅ Added")


async def test_reject_from_discord_decides(fake: FakeDiscord, app: App) -> None:
    paper_id = add_paper(app, TITLE, "2611.00042")
    data = await ask(fake, "reject", {"id": (INTEGER, paper_id)})
    assert embed_of(data)["title"] == f"Candidate #{paper_id} rejected"
    assert app.curation.papers.paper(paper_id).status == "rejected"


@pytest.mark.parametrize("typed", ["✅", "white_check_mark"])
async def test_a_reaction_and_a_vote_command_from_one_maintainer_are_one_vote(fake: FakeDiscord, app: App,
                                                                              typed: str) -> None:
    paper_id = add_paper(app, TITLE, "2611.00042")
    assert await app.curation.publish_pending() == 1
    post = await fake.wait_for("POST", POSTS)
    message_id = next(m["id"] for m in fake.messages.values() if m.get("nonce") == post.json["nonce"])
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=ALICE))
    votes: VoteRecorder = app.adapters[0].curation  # type: ignore[attr-defined]
    assert (await votes.next(ALICE))[1].reason == "counted"
    data = await ask(fake, "vote", {"emoji": (STRING, typed), "id": (INTEGER, paper_id)})
    assert "already counted: 1 of 2 approvals" in text_of(data)
    assert app.curation.store.decision(paper_id) is None  # two approvals needed: one person is one
    data = await ask(fake, "vote", {"emoji": (STRING, typed), "id": (INTEGER, paper_id), "remove": (BOOLEAN, True)})
    assert embed_of(data)["title"] == f"Vote withdrawn from candidate #{paper_id}"


@pytest.mark.parametrize(("subcommand", "options"), [
    ("candidates", {}),
    ("approve", {"id": (INTEGER, "{id}"), "topic": (STRING, "sparse-coding")}),
    ("reject", {"id": (INTEGER, "{id}")}),
    ("vote", {"emoji": (STRING, "✅"), "id": (INTEGER, "{id}")}),
])
async def test_a_non_maintainer_is_refused_and_nothing_changes(fake: FakeDiscord, app: App, subcommand: str,
                                                               options: dict[str, tuple[int, Any]]) -> None:
    paper_id = add_paper(app, TITLE, "2611.00042")
    filled = {name: (kind, paper_id if value == "{id}" else value) for name, (kind, value) in options.items()}
    data = await ask(fake, subcommand, filled, user_id=CAROL)
    # Read as plain words: the code marks, escaped, showed as \`candidates\` in the embed's title
    assert embed_of(data)["title"] == f"{subcommand} is for the list's maintainers"
    assert private(data)
    assert app.curation.papers.paper(paper_id).status == "candidate"
    with app.database.transaction() as conn:
        assert app.curation.store.votes(conn, paper_id) == []
    assert TITLE not in [e.title for e in app.curation.catalogue.index.catalogue.entries]


async def test_an_id_that_is_no_candidate_changes_nothing_and_says_so(fake: FakeDiscord, app: App) -> None:
    data = await ask(fake, "approve", {"id": (INTEGER, 999999)})
    assert embed_of(data)["title"] == "Nothing changed for candidate #999999"
    assert "no candidate #999999" in text_of(data)


async def test_approve_offers_topics_and_vote_offers_the_voting_emoji(fake: FakeDiscord, app: App) -> None:
    topics = autocomplete("approve", "topic", "sae")
    await fake.dispatch("INTERACTION_CREATE", topics)
    call = await fake.wait_for("POST", rf"/interactions/{topics['id']}/{topics['token']}/callback")
    assert call.json["data"]["choices"][0]["value"] == "sparse-coding"

    emoji = autocomplete("vote", "emoji", "")
    await fake.dispatch("INTERACTION_CREATE", emoji)
    call = await fake.wait_for("POST", rf"/interactions/{emoji['id']}/{emoji['token']}/callback")
    choices = call.json["data"]["choices"]
    assert [c["value"] for c in choices] == ["white_check_mark", "+1", "x", "-1", "one", "two", "three"]
    assert choices[0]["name"] == "✅ white_check_mark (approve)"
    assert choices[4]["name"] == "1️⃣ one (topic choice 1)"


async def test_the_digest_names_the_slash_command_that_lists_what_was_held_back(fake: FakeDiscord, app: App) -> None:
    """It said "`interp-bot candidates --all` lists them" to maintainers who have no shell on Discord."""
    from tests.fakes.discord_fake import DIGEST_CHANNEL

    add_paper(app, HELD_BACK, "2611.00043", held_back=True)
    await app.digest()
    call = await fake.wait_for("POST", rf"/channels/{DIGEST_CHANNEL}/messages")
    # As Discord takes it: a subcommand's option is a field, `--all` is no Discord command.
    assert "(`/interp candidates all:True` lists them)" in embed_of(call.json)["description"]
    assert "· /interp recent lists what was added" in embed_of(call.json)["footer"]["text"]


async def test_an_approval_slower_than_the_commands_wait_is_told_as_under_way_not_as_an_error(
        fake: FakeDiscord, tmp_path: Path, catalogue_dir: Path) -> None:
    """The command's worker waited two minutes for the approval, then answered "Something went wrong", and the
    approval went on to finish. Here the wait is half a second and Discord holds the post's edit until the answer
    is read: the answer says the approval is under way and where it shows; the edit lands after it."""
    release = asyncio.Event()
    async with running(tmp_path, catalogue_dir, command_wait=0.5) as app:
        try:
            paper_id = add_paper(app, TITLE, "2611.00042")
            assert await app.curation.publish_pending() == 1
            post = await fake.wait_for("POST", POSTS)
            message_id = next(m["id"] for m in fake.messages.values() if m.get("nonce") == post.json["nonce"])
            release = fake.hold_next("PATCH", rf"{POSTS}/{message_id}")  # Discord slow to take the edit

            data = await ask(fake, "approve", {"id": (INTEGER, paper_id), "topic": (STRING, "sparse-coding")})
            # Written by now ("Added to ..."), or on a loaded machine still being written: either is said as it is.
            assert embed_of(data)["title"].startswith(f"Candidate #{paper_id} approved")
            assert "Something went wrong" not in text_of(data)
            assert embed_of(data)["color"] != 0xED4245  # not an error's red
            assert "Its post in the maintainers' channel" in text_of(data)
        finally:
            release.set()  # the approval finishes after its answer; stopping gives it the moment it needs
    edit = fake.find("PATCH", rf"{POSTS}/{message_id}")[-1]
    assert embed_of(edit.json)["title"].startswith("✅ Added")
    decision = app.curation.store.decision(paper_id)
    assert decision is not None and decision.written and decision.announced


async def test_a_long_candidates_list_says_to_press_next_not_to_type_a_page_option(fake: FakeDiscord, tmp_path: Path,
                                                                                 catalogue_dir: Path) -> None:
    """Its footer said `candidates --page 2`, which is no Discord command: the slash command has no page option, and
    the answer comes with Previous / Next buttons."""
    async with running(tmp_path, catalogue_dir, page_size=2) as app:
        for number in range(3):
            add_paper(app, f"{TITLE}, part {number}", f"2611.0004{number}")
        data = await ask(fake, "candidates")
    assert embed_of(data)["footer"]["text"] == "page 1/2 · the Next button shows more"
    assert "--page" not in text_of(data)
    (row,) = data["components"]
    assert [button["label"] for button in row["components"]] == ["Previous", "Next"]
