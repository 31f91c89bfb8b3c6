"""Candidate posts, emoji votes through the raw reaction events, decisions, digests."""

from __future__ import annotations

import asyncio
import logging

import discord
import pytest
import yaml

from bot.chat.adapter import PostRef
from bot.cli import main
from bot.curation.posts import digest_post
from bot.settings import Maintainer
from bot.store import schema
from tests.e2e.discord.harness import APP_ID, Bot, embed_of, reaction
from tests.fakes.discord_fake import (
    ALICE,
    BOB,
    CAROL,
    DIGEST_CHANNEL,
    MAINTAINER_ROLE,
    MAINTAINERS_CHANNEL,
    FakeDiscord,
)

POSTS = rf"/channels/{MAINTAINERS_CHANNEL}/messages"


async def post_candidate(fake: FakeDiscord, bot: Bot, title: str = "Linear probes find a truth direction") -> str:
    bot.add_candidate(title)
    mark = len(fake.calls)  # a test may post several
    assert await bot.curation.publish_pending() == 1
    call = await fake.wait_for("POST", POSTS, after=mark)
    message_id = next(m["id"] for m in fake.messages.values() if m.get("nonce") == call.json["nonce"])
    return message_id


def listed_titles(bot: Bot) -> list[str]:
    titles = []
    for path in bot.settings.catalogue_dir.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        titles.extend(line.split("title:", 1)[1].strip() for line in text.splitlines() if "title:" in line)
    return titles


async def test_candidate_post_is_an_embed_with_votes_pre_added_and_a_nonce(fake: FakeDiscord, bot: Bot) -> None:
    message_id = await post_candidate(fake, bot)
    call = fake.find("POST", POSTS)[0]
    assert call.json["allowed_mentions"] == {"parse": []}
    assert call.json["enforce_nonce"] is True
    assert call.json["nonce"]
    embed = embed_of(call.json)
    assert embed["title"] == "Linear probes find a truth direction"
    assert any(field["name"] == "Suggested topics" and "Probing" in field["value"] for field in embed["fields"])
    assert "candidate:" in embed["footer"]["text"]
    reacted = fake.find("PUT", rf"/channels/{MAINTAINERS_CHANNEL}/messages/{message_id}/reactions/[^/]+/@me")
    assert [c.path.split("/")[-2] for c in reacted] == ["✅", "❌", "1️⃣"]


async def test_a_candidate_with_a_4000_character_link_is_posted(fake: FakeDiscord, bot: Bot) -> None:
    """Discord refuses an embed URL over 2,048 characters (the fake does too): the link is left off the title."""
    paper = bot.add_candidate("A post with an enormous link")
    with bot.database.transaction() as conn:
        conn.execute(schema.papers.update().where(schema.papers.c.id == paper.id)
                     .values(abs_url="https://www.lesswrong.com/posts/abc/" + "long-slug-" * 400))
    assert await bot.curation.publish_pending() == 1
    call = await fake.wait_for("POST", POSTS)
    assert embed_of(call.json)["title"] == "A post with an enormous link"
    assert "url" not in embed_of(call.json)


async def test_a_maintainers_check_mark_approves_edits_the_post_and_lists_the_paper(fake: FakeDiscord,
                                                                                    bot: Bot) -> None:
    message_id = await post_candidate(fake, bot)
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=ALICE))
    vote, outcome = await bot.votes.next(ALICE)
    assert (vote.emoji, vote.added, vote.is_bot) == ("white_check_mark", True, False)
    assert outcome.decision == "approved"

    edit = await fake.wait_for("PATCH", rf"{POSTS}/{message_id}")
    assert edit.json["allowed_mentions"] == {"parse": []}
    assert embed_of(edit.json)["title"].startswith("✅ Added")
    assert "Linear probes find a truth direction" in listed_titles(bot)


@pytest.mark.parametrize("settings_overrides", [{"approvals_needed": 2}])
async def test_only_standing_maintainer_votes_count(fake: FakeDiscord, bot: Bot) -> None:
    message_id = await post_candidate(fake, bot)

    async def react(**kwargs: object) -> str:
        added = kwargs.get("added", True)
        await fake.dispatch("MESSAGE_REACTION_ADD" if added else "MESSAGE_REACTION_REMOVE",
                            reaction(message_id=message_id, **kwargs))  # type: ignore[arg-type]
        _vote, outcome = await bot.votes.next(str(kwargs["user_id"]))
        return outcome.reason

    # Discord echoes the bot's own pre-added reactions as events too; they never count.
    for _ in range(3):
        vote, outcome = await bot.votes.next(APP_ID)
        assert vote.is_bot
        assert outcome.reason == "bot's own reaction"
    assert await react(user_id=CAROL, roles=()) == "not a maintainer"
    assert await react(user_id=ALICE) == "counted"
    # A removal carries no member, and needs none: it takes back whatever Alice's reaction cast.
    assert await react(user_id=ALICE, added=False) == "withdrawn"
    assert await react(user_id=BOB) == "counted"
    assert not fake.find("PATCH", rf"{POSTS}/{message_id}")  # one standing approval of two needed
    # Adding the same emoji again after removing it is a new event, not a replay.
    assert await react(user_id=ALICE) == "counted"
    edit = await fake.wait_for("PATCH", rf"{POSTS}/{message_id}")
    assert embed_of(edit.json)["title"].startswith("✅ Added")


@pytest.mark.parametrize("settings_overrides", [{"approvals_needed": 2}])
async def test_a_check_mark_taken_off_and_put_back_still_counts(fake: FakeDiscord, bot: Bot) -> None:
    """A removal held up (then by a member lookup, now by a busy database) and the add right after it, which did not
    wait, was handled first ("unchanged"), and the late removal then withdrew a vote whose reaction stands."""
    message_id = await post_candidate(fake, bot)
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=ALICE))
    assert (await bot.votes.next(ALICE))[1].reason == "counted"

    holding, release = bot.votes.hold_next(lambda vote: vote.user_id == ALICE and not vote.added)
    await fake.dispatch("MESSAGE_REACTION_REMOVE", reaction(message_id=message_id, user_id=ALICE, added=False))
    await holding.wait()
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=ALICE))
    # Carol's reaction, sent after Alice's, is handled: the client has read Alice's events from the gateway too.
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=CAROL, roles=()))
    assert (await bot.votes.next(CAROL))[1].reason == "not a maintainer"
    release.set()
    while (await bot.votes.next(ALICE))[1].reason != "withdrawn":
        pass

    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=BOB))
    edit = await fake.wait_for("PATCH", rf"{POSTS}/{message_id}")  # Alice's ✅ stands: two of two approve
    assert embed_of(edit.json)["title"].startswith("✅ Added")


async def test_a_vote_on_a_message_posted_before_a_restart_counts(fake: FakeDiscord, bot: Bot) -> None:
    paper = bot.add_candidate("Sparse probing of superposed features")
    old_message = "1800000000000000001"  # never seen by this client: not in discord.py's message cache
    bot.curation.store.record_post(key=f"candidate:{paper.id}", kind="candidate", paper_id=paper.id,
                                   platform="discord", channel_id=MAINTAINERS_CHANNEL, message_id=old_message)
    assert bot.adapter.client.get_partial_messageable(int(MAINTAINERS_CHANNEL)) is not None
    assert bot.adapter.client._connection._get_message(int(old_message)) is None

    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=old_message, user_id=ALICE))
    _vote, outcome = await bot.votes.next(ALICE)
    assert outcome.decision == "approved"
    edit = await fake.wait_for("PATCH", rf"{POSTS}/{old_message}")
    assert embed_of(edit.json)["title"].startswith("✅ Added")


async def test_a_repeated_publish_returns_the_first_message(fake: FakeDiscord, bot: Bot) -> None:
    """A crash between send and record: the retry sends the same nonce and gets the same message back."""
    bot.add_candidate("Probing for world models")
    paper = bot.curation.papers.candidates()[0]
    from bot.curation.posts import candidate_post

    post = candidate_post(paper, bot.catalogue.index, bot.curation.rules)
    first = await bot.adapter.publish(post, "maintainers")
    second = await bot.adapter.publish(post, "maintainers")
    assert first == second
    assert len([m for m in fake.messages.values() if m["channel_id"] == MAINTAINERS_CHANNEL]) == 1


async def test_a_429_on_a_post_is_retried_after_retry_after_and_posts_once(fake: FakeDiscord, bot: Bot) -> None:
    fake.rate_limit_next("POST", POSTS, retry_after=0.05)
    await post_candidate(fake, bot)
    attempts = fake.find("POST", POSTS)
    assert len(attempts) == 2
    assert attempts[1].at - attempts[0].at >= 0.05
    assert len([m for m in fake.messages.values() if m["channel_id"] == MAINTAINERS_CHANNEL]) == 1


async def test_a_post_whose_voting_reaction_failed_still_takes_votes(fake: FakeDiscord, bot: Bot,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    """Discord answered the bot's first voting reaction with a 503 (which discord.py does not retry): the post stood
    in the channel but was not recorded, so a maintainer's ✅ on it was "not a candidate post" and counted nothing,
    and the retry a minute later could post the candidate a second time once Discord forgot the nonce."""
    bot.add_candidate("Probing for world models")
    fake.fail_next("PUT", rf"{POSTS}/\d+/reactions/[^/]+/@me", 503, {"message": "upstream connect error", "code": 0})
    assert await bot.curation.publish_pending() == 1
    (message,) = [m for m in fake.messages.values() if m["channel_id"] == MAINTAINERS_CHANNEL]
    assert "could not add the voting reaction" in caplog.text
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message["id"], user_id=ALICE))
    assert (await bot.votes.next(ALICE))[1].decision == "approved"
    edit = await fake.wait_for("PATCH", rf"{POSTS}/{message['id']}")
    assert embed_of(edit.json)["title"].startswith("✅ Added")
    assert len(fake.find("POST", POSTS)) == 1


async def test_discord_out_of_reach_while_posting_is_an_outage_not_a_bug(fake: FakeDiscord, bot: Bot,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    """A dropped connection on the post reached the publishing round as aiohttp's own error: logged with a traceback
    as if it were a bug of ours, and recorded without saying it was Discord. The next round posts it once."""
    paper = bot.add_candidate("Probing for world models")
    fake.fail_next("POST", POSTS, 0, {})
    assert await bot.curation.publish_pending() == 0
    (failure,) = bot.curation.store.post_failures()
    assert failure.paper_id == paper.id
    assert failure.last_error == (f"discord: could not send to channel {MAINTAINERS_CHANNEL}: Discord did not answer "
                                  "(ServerDisconnectedError: Server disconnected); tried again later")
    (logged,) = [r for r in caplog.records if "could not post candidate" in r.getMessage()]
    assert logged.exc_info is None
    bot.curation.store.retry_failed_posts_now(["discord"])
    assert await bot.curation.publish_pending() == 1
    assert len([m for m in fake.messages.values() if m["channel_id"] == MAINTAINERS_CHANNEL]) == 1


async def test_digest_goes_to_the_digest_channel(fake: FakeDiscord, bot: Bot) -> None:
    post = digest_post("2026-11-24", [], [], bot.catalogue.index)
    ref = await bot.adapter.publish(post, "digest")
    assert ref == PostRef("discord", DIGEST_CHANNEL, ref.message_id)
    call = await fake.wait_for("POST", rf"/channels/{DIGEST_CHANNEL}/messages")
    assert embed_of(call.json)["title"] == "interp-bot digest — 2026-11-24"
    assert call.json["allowed_mentions"] == {"parse": []}


async def test_a_busy_days_digest_continues_in_more_messages_and_drops_no_paper(fake: FakeDiscord, bot: Bot
                                                                               ) -> None:
    """40 new candidates with real titles (a whole day's listing) do not fit one embed: they used to end in "…and 22
    more", papers never announced. Each is now in one of the digest's messages, in order; a retry posts nothing new."""
    from bot.intake.parse import parse_feed
    from tests.intake.conftest import FEEDS_DIR

    listing = parse_feed((FEEDS_DIR / "arxiv-listing-2024-11-28-all.xml").read_bytes(), "arxiv_rss", feed="all")
    titles = [paper.title for paper in listing.papers[:40]]
    assert len(titles) == 40
    for title in titles:
        bot.add_candidate(title)
    post = digest_post("2026-11-24", bot.curation.papers.candidates(), [], bot.catalogue.index)
    ref = await bot.adapter.publish(post, "digest")
    sent = [m for m in fake.messages.values() if m["channel_id"] == DIGEST_CHANNEL]
    assert ref.message_id == sent[0]["id"]
    assert 2 <= len(sent) <= 4
    embeds = [embed_of(m) for m in sent]
    assert embeds[0]["title"] == "interp-bot digest — 2026-11-24"
    assert [e["title"] for e in embeds[1:]] == [f"interp-bot digest — 2026-11-24 (continued, {n}/{len(sent)})"
                                               for n in range(2, len(sent) + 1)]
    text = "\n".join(e["description"] for e in embeds)
    assert "more" not in text.split("\n")[-1]
    shown = [line for line in text.split("\n") if line.startswith("• ")]
    assert len(shown) == 40
    # Each title once, in the digest's own order (the candidates' order), across the messages.
    in_order = [item.title for item in post.reply.items]
    assert sorted(in_order) == sorted(titles)
    positions = [text.index(discord.utils.escape_markdown(title)) for title in in_order]
    assert positions == sorted(positions)
    assert all(text.count(discord.utils.escape_markdown(title)) == 1 for title in in_order)
    again = await bot.adapter.publish(post, "digest")  # a crash between send and record: the same messages
    assert again == ref
    assert len([m for m in fake.messages.values() if m["channel_id"] == DIGEST_CHANNEL]) == len(sent)


async def test_a_line_separator_in_a_title_parts_its_words_in_the_digest(fake: FakeDiscord, bot: Bot) -> None:
    """The digest's items went through the same escaping: "Sparse<U+2029>Autoencoders" was listed as one word."""
    bot.add_candidate("Sparse\u2029Autoencoders find\u2028features")
    post = digest_post("2026-11-24", bot.curation.papers.candidates(), [], bot.catalogue.index)
    await bot.adapter.publish(post, "digest")
    call = await fake.wait_for("POST", rf"/channels/{DIGEST_CHANNEL}/messages")
    assert "• Sparse Autoencoders find features" in embed_of(call.json)["description"]


def test_yaml_is_untouched_in_the_repository() -> None:
    from tests.e2e.discord.conftest import REPO

    for path in (REPO / "catalogue").glob("*.yaml"):
        assert "Linear probes find a truth direction" not in path.read_text(encoding="utf-8")
    assert yaml  # the catalogue is YAML; the tests above read their temp copy


@pytest.mark.parametrize("settings_overrides", [{"approvals_needed": 2}])
@pytest.mark.parametrize("since", ["left the server", "lost the maintainer role"])
async def test_a_check_mark_taken_off_after_its_maintainer_left_is_withdrawn(fake: FakeDiscord, bot: Bot,
                                                                          since: str) -> None:
    """A removal carries no roles and the member lookup then finds none: it counted as a non-maintainer's and was
    dropped, so the vote stood without its reaction and a second maintainer's ✅ approved the paper."""
    message_id = await post_candidate(fake, bot)
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=ALICE))
    assert (await bot.votes.next(ALICE))[1].reason == "counted"
    if since == "left the server":
        del fake.members[ALICE]
    else:
        fake.members[ALICE]["roles"] = []
    await fake.dispatch("MESSAGE_REACTION_REMOVE", reaction(message_id=message_id, user_id=ALICE, added=False))
    assert (await bot.votes.next(ALICE))[1].reason == "withdrawn"
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=BOB))
    assert (await bot.votes.next(BOB))[1].decision is None  # one standing approval of two
    # A removal from someone who never voted takes back nothing.
    await fake.dispatch("MESSAGE_REACTION_REMOVE", reaction(message_id=message_id, user_id=CAROL, added=False))
    assert (await bot.votes.next(CAROL))[1].reason == "unchanged"


@pytest.mark.parametrize("settings_overrides", [{
    "approvals_needed": 2, "maintainers": [Maintainer(name="alice", discord=[ALICE]), Maintainer(name="bob")]}])
async def test_a_reaction_counts_for_whom_its_id_is_under_the_maintainers_configured_now(
        fake: FakeDiscord, bot: Bot, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The tally asks who cast each standing vote under INTERP_BOT_MAINTAINERS as it is now (a restart, here a
    shell, with another list): Alice renamed is still Alice, by her Discord id; a role-holder counts while the
    role is configured; the list's word is what counts for whom it names."""
    renamed, dropped, by_role = [await post_candidate(fake, bot, title) for title in (
        "Linear probes find a truth direction", "Steering vectors add a concept", "Sparse features of chess")]
    papers = {paper.title: paper.id for paper in bot.curation.papers.candidates()}
    for message_id in (renamed, dropped):
        await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=ALICE))
        assert (await bot.votes.next(ALICE))[1].reason == "counted"  # Alice's, by her name
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=by_role, user_id=BOB))
    assert (await bot.votes.next(BOB))[1].reason == "counted"  # discord:BOB's, by the maintainers' role

    async def decide(title: str, maintainers: str, roles: str = "") -> str:
        monkeypatch.setenv("INTERP_BOT_MAINTAINERS", maintainers)
        monkeypatch.setenv("INTERP_BOT_DISCORD_MAINTAINER_ROLE_IDS", roles)
        monkeypatch.setenv("INTERP_BOT_APPROVALS_NEEDED", "2")
        code = await asyncio.to_thread(main, ["--catalogue", str(bot.settings.catalogue_dir), "--db",
                                              bot.settings.database_url, "decide", str(papers[title]), "approve",
                                              "--as", "bob"])
        assert code == 0
        return capsys.readouterr().out

    out = await decide("Linear probes find a truth direction", f"[{{name: ada, discord: ['{ALICE}']}}, {{name: bob}}]")
    assert "approved: added to probing" in out  # her ✅ under the name the list gives her id now, and Bob's
    entry = next(e for e in bot.catalogue.index.catalogue.entries if e.title == "Linear probes find a truth direction")
    assert entry.approved_by == ("ada", "bob")
    # Dropped from the list (her ✅ was hers by name): it counts no more, though the role is configured.
    out = await decide("Steering vectors add a concept", "[{name: bob}]", roles=MAINTAINER_ROLE)
    assert "counted: 1 of 2 approvals needed" in out
    out = await decide("Sparse features of chess", "[{name: bob}]")  # no role configured: Bob's ✅ is nobody's
    assert "counted: 1 of 2 approvals needed" in out
    out = await decide("Sparse features of chess", "[{name: bob}]", roles=MAINTAINER_ROLE)
    assert "approved: added to probing" in out


async def test_a_decided_candidate_whose_post_was_deleted_is_announced_once_and_done(
        fake: FakeDiscord, bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    """Someone deleted the candidate's post before it was decided: its edit failed with 404 Unknown Message at every
    recovery round (every five minutes, for good), each a warning, and `status` showed the approval unfinished."""
    message_id = await post_candidate(fake, bot)
    (paper,) = bot.curation.papers.candidates()
    fake.delete_message(message_id)
    outcome = await bot.curation.decide(paper.id, "approve", person="console", force=True)
    assert outcome.decision == "approved"
    assert len(fake.find("PATCH", rf"{POSTS}/{message_id}")) == 1
    assert not bot.curation.store.decisions(pending_announce=True)
    await bot.curation.recover()
    assert len(fake.find("PATCH", rf"{POSTS}/{message_id}")) == 1  # not tried again
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_decided_candidate_whose_channel_was_deleted_is_announced_once_and_done(
        fake: FakeDiscord, bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    """The maintainers' channel (or thread) the post stood in was deleted: the edit looked the channel up first, got
    404 Unknown Channel, took it for a passing failure, and retried every recovery round with a warning, for good."""
    message_id = await post_candidate(fake, bot)
    (paper,) = bot.curation.papers.candidates()
    gone = asyncio.create_task(bot.adapter.client.wait_for("guild_channel_delete", timeout=5))
    await fake.dispatch("CHANNEL_DELETE", fake.delete_channel(MAINTAINERS_CHANNEL))
    await gone
    outcome = await bot.curation.decide(paper.id, "approve", person="console", force=True)
    assert outcome.decision == "approved"
    assert not bot.curation.store.decisions(pending_announce=True)
    await bot.curation.recover()
    assert len(fake.find("PATCH", rf"{POSTS}/{message_id}")) == 1  # not tried again
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_line_separator_in_a_candidates_title_parts_its_words_in_the_embed(fake: FakeDiscord,
                                                                                    bot: Bot) -> None:
    """The escaping dropped U+2028 and NEL with the invisible characters: "Sparse<U+2028>Autoencoders" reached
    the maintainers as "SparseAutoencoders"."""
    await post_candidate(fake, bot, "Sparse\u2028Autoencoders find\x85features")
    call = fake.find("POST", POSTS)[0]
    assert embed_of(call.json)["title"] == "Sparse Autoencoders find features"


CUSTOM_EMOJI = "1450000000000000001"  # a server's own emoji


@pytest.mark.parametrize("name", ["white_check_mark", "x"])
async def test_a_custom_emoji_named_like_a_voting_emoji_does_not_vote(fake: FakeDiscord, bot: Bot, name: str) -> None:
    """A server's custom emoji called `white_check_mark` (any picture) approved the paper as if it were ✅."""
    message_id = await post_candidate(fake, bot)
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=ALICE, emoji=name,
                                                         emoji_id=CUSTOM_EMOJI))
    vote, outcome = await bot.votes.next(ALICE)
    assert vote.emoji == f"<:{name}:{CUSTOM_EMOJI}>"
    assert outcome.reason == "not a voting emoji"
    assert bot.curation.papers.candidates()  # still undecided
    assert not fake.find("PATCH", rf"{POSTS}/{message_id}")


MEMBER_LOOKUP = rf"/guilds/\d+/members/{ALICE}"


@pytest.mark.parametrize("settings_overrides", [{"approvals_needed": 2}])
async def test_a_removal_costs_no_member_lookup(fake: FakeDiscord, bot: Bot) -> None:
    """Every removal fetched the member (GET /guilds/{id}/members/{id}: without the members intent the cache holds
    almost no one), though a removal takes back whatever vote the reaction cast, whoever its user is now."""
    message_id = await post_candidate(fake, bot)
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=ALICE))
    assert (await bot.votes.next(ALICE))[1].reason == "counted"
    await fake.dispatch("MESSAGE_REACTION_REMOVE", reaction(message_id=message_id, user_id=ALICE, added=False))
    assert (await bot.votes.next(ALICE))[1].reason == "withdrawn"
    assert not fake.find("GET", r"/guilds/\d+/members/\d+")


async def test_an_add_without_its_member_looks_the_maintainer_up(fake: FakeDiscord, bot: Bot) -> None:
    """Discord documents `member` as optional: a maintainer by role whose add came without it still counts."""
    message_id = await post_candidate(fake, bot)
    payload = reaction(message_id=message_id, user_id=ALICE)
    del payload["member"]
    await fake.dispatch("MESSAGE_REACTION_ADD", payload)
    assert (await bot.votes.next(ALICE))[1].decision == "approved"
    assert fake.find("GET", MEMBER_LOOKUP)
