"""Reaction events beyond one person's add and removal, at the wire: a moderator clearing a candidate post's
reactions (MESSAGE_REACTION_REMOVE_ALL, MESSAGE_REACTION_REMOVE_EMOJI), and their order against the votes around
them. Each event is documented gateway payload (tests/data/discord/) sent through the fake gateway to the real
discord.py client."""

from __future__ import annotations

import re

import pytest

from bot.curation.pipeline import VoteOutcome
from tests.e2e.discord.harness import Bot, cleared, embed_of, reaction
from tests.e2e.discord.test_curation import POSTS, post_candidate
from tests.fakes.discord_fake import ALICE, BOB, CAROL, GENERAL_CHANNEL, MAINTAINERS_CHANNEL, FakeDiscord

DAN = "1500000000000000004"  # a maintainer by role, as the reaction's member says
CUSTOM_EMOJI = "1450000000000000001"  # a server's own emoji


async def vote(fake: FakeDiscord, bot: Bot, message_id: str, user_id: str, emoji: str = "✅",
               added: bool = True) -> VoteOutcome:
    await fake.dispatch("MESSAGE_REACTION_ADD" if added else "MESSAGE_REACTION_REMOVE",
                        reaction(message_id=message_id, user_id=user_id, emoji=emoji, added=added))
    return (await bot.votes.next(user_id))[1]


async def clear(fake: FakeDiscord, bot: Bot, message_id: str, emoji: str | None = None,
                emoji_id: str | None = None) -> VoteOutcome:
    await fake.dispatch(*cleared(message_id=message_id, emoji=emoji, emoji_id=emoji_id))
    return (await bot.votes.next_clear())[1]


def standing(bot: Bot, paper_id: int) -> list[tuple[str, str]]:
    with bot.database.engine.connect() as conn:
        return sorted(bot.curation.store.votes(conn, paper_id))


@pytest.mark.parametrize("settings_overrides", [{"approvals_needed": 3}])
async def test_clearing_every_reaction_withdraws_the_posts_votes_and_no_other(fake: FakeDiscord, bot: Bot) -> None:
    """A moderator cleared the post's reactions: nothing showed on it, yet Alice's ✅ still counted, and two more
    approvals listed the paper."""
    message_id = await post_candidate(fake, bot)
    (paper,) = bot.curation.papers.candidates()
    assert (await vote(fake, bot, message_id, ALICE)).reason == "counted"
    assert (await vote(fake, bot, message_id, ALICE, "1️⃣")).reason == "counted"
    assert (await bot.curation.vote(paper.id, "white_check_mark", "console:console")).counted  # from a shell

    assert await clear(fake, bot, message_id) == VoteOutcome(True, "withdrawn", paper.id,
                                                             prompts=("white_check_mark", "x", "one"))
    assert standing(bot, paper.id) == [("console:console", "white_check_mark")]
    assert (await vote(fake, bot, message_id, BOB)).decision is None  # two of three: the shell's and Bob's
    assert not fake.find("PATCH", rf"{POSTS}/{message_id}")
    assert (await vote(fake, bot, message_id, ALICE)).decision == "approved"  # her ✅ put back counts again
    edit = await fake.wait_for("PATCH", rf"{POSTS}/{message_id}")
    assert embed_of(edit.json)["title"].startswith("✅ Added")


@pytest.mark.parametrize("settings_overrides", [{"approvals_needed": 2, "rejections_needed": 2}])
async def test_clearing_one_emoji_withdraws_only_its_votes(fake: FakeDiscord, bot: Bot) -> None:
    message_id = await post_candidate(fake, bot)
    (paper,) = bot.curation.papers.candidates()
    assert (await vote(fake, bot, message_id, ALICE)).reason == "counted"
    assert (await vote(fake, bot, message_id, ALICE, "❌")).reason == "counted"
    # A server's custom emoji named like ✅ is not ✅: clearing it takes no ✅ vote.
    assert (await clear(fake, bot, message_id, "white_check_mark", CUSTOM_EMOJI)).reason == "not a voting emoji"
    assert (await clear(fake, bot, message_id, "✅")).reason == "withdrawn"
    assert standing(bot, paper.id) == [(f"discord:{ALICE}", "x")]
    assert (await vote(fake, bot, message_id, BOB)).decision is None  # one approval of two
    assert (await vote(fake, bot, message_id, DAN, "❌")).decision == "rejected"  # Alice's ❌ stood


def put_reactions(fake: FakeDiscord, message_id: str, after: int = 0) -> list[str]:
    """The reactions the bot put on the message (from call index `after`)."""
    pattern = re.compile(rf"/channels/{MAINTAINERS_CHANNEL}/messages/{message_id}/reactions/([^/]+)/@me")
    return [match.group(1) for call in fake.calls[after:]
            if call.method == "PUT" and (match := pattern.fullmatch(call.path))]


async def put_back(fake: FakeDiscord, message_id: str, after: int, last: str) -> list[str]:
    """The reactions put back after a clearing, once the `last` of them is."""
    await fake.wait_for("PUT", rf"/channels/{MAINTAINERS_CHANNEL}/messages/{message_id}/reactions/{last}/@me",
                        after=after)
    return put_reactions(fake, message_id, after)


@pytest.mark.parametrize("settings_overrides", [{"approvals_needed": 2}])
async def test_the_bots_voting_reactions_are_put_back_on_a_cleared_post_still_open(fake: FakeDiscord,
                                                                                  bot: Bot) -> None:
    """A clearing takes the bot's own ✅ ❌ 1️⃣ too: the post showed none, and maintainers had to find ✅ in the
    picker to vote (1️⃣ for a topic, nowhere). They are put back while the candidate waits for votes."""
    message_id = await post_candidate(fake, bot)
    assert put_reactions(fake, message_id) == ["✅", "❌", "1️⃣"]
    assert (await vote(fake, bot, message_id, ALICE)).reason == "counted"
    mark = len(fake.calls)
    await clear(fake, bot, message_id)
    assert await put_back(fake, message_id, mark, "1️⃣") == ["✅", "❌", "1️⃣"]
    mark = len(fake.calls)
    assert (await clear(fake, bot, message_id, "❌")).reason == "unchanged"  # no vote was ❌; the bot's was
    assert await put_back(fake, message_id, mark, "❌") == ["❌"]
    assert (await vote(fake, bot, message_id, ALICE)).reason == "counted"
    assert (await vote(fake, bot, message_id, BOB)).decision == "approved"
    await fake.wait_for("PATCH", rf"{POSTS}/{message_id}")
    mark = len(fake.calls)
    await clear(fake, bot, message_id)  # decided: nothing to vote on, nothing put back...
    await clear(fake, bot, message_id)  # ...once the clearing is handled, which the next one waits for
    assert put_reactions(fake, message_id, mark) == []


async def test_clearing_a_decided_candidates_post_changes_nothing(fake: FakeDiscord, bot: Bot) -> None:
    message_id = await post_candidate(fake, bot)
    (paper,) = bot.curation.papers.candidates()
    assert (await vote(fake, bot, message_id, ALICE)).decision == "approved"
    await fake.wait_for("PATCH", rf"{POSTS}/{message_id}")
    assert (await clear(fake, bot, message_id)).reason == f"candidate #{paper.id} is already approved"
    assert standing(bot, paper.id) == [(f"discord:{ALICE}", "white_check_mark")]
    assert len(fake.find("PATCH", rf"{POSTS}/{message_id}")) == 1


async def test_a_reaction_on_a_decided_candidates_post_is_no_vote(fake: FakeDiscord, bot: Bot) -> None:
    """The post stays up, its reactions too: a ✅ added after the decision was stored as a vote ("counted") on a paper
    no vote can change, and the deciding ✅ taken off afterwards deleted the vote the decision was taken with."""
    message_id = await post_candidate(fake, bot)
    (paper,) = bot.curation.papers.candidates()
    assert (await vote(fake, bot, message_id, ALICE)).decision == "approved"
    await fake.wait_for("PATCH", rf"{POSTS}/{message_id}")
    already = f"candidate #{paper.id} is already approved"
    assert await vote(fake, bot, message_id, BOB, "❌") == VoteOutcome(False, already, paper.id)
    assert await vote(fake, bot, message_id, ALICE, added=False) == VoteOutcome(False, already, paper.id)
    assert standing(bot, paper.id) == [(f"discord:{ALICE}", "white_check_mark")]
    assert bot.curation.papers.paper(paper.id).status == "approved"
    assert len(fake.find("PATCH", rf"{POSTS}/{message_id}")) == 1


async def test_clearing_a_message_that_is_no_candidate_post_is_ignored(fake: FakeDiscord, bot: Bot) -> None:
    message_id = await post_candidate(fake, bot)
    other = fake.add_message(MAINTAINERS_CHANNEL, author_id=CAROL)["id"]
    assert (await clear(fake, bot, other)).reason == "not a candidate post"
    # Another channel's clearing is not curation's business: it never reaches it, and the next one is handled.
    await fake.dispatch(*cleared(message_id=message_id, channel_id=GENERAL_CHANNEL))
    assert (await clear(fake, bot, message_id)).reason == "unchanged"
    assert bot.votes.clears.empty()


@pytest.mark.parametrize("settings_overrides", [{"approvals_needed": 2}])
async def test_a_clearing_waits_for_the_votes_before_it_and_those_after_it_wait_for_it(fake: FakeDiscord,
                                                                                       bot: Bot) -> None:
    """Each event is handled in a task of its own: a clearing handled before the ✅ it followed left that ✅'s
    vote standing after its reaction was gone."""
    message_id = await post_candidate(fake, bot)
    (paper,) = bot.curation.papers.candidates()
    holding, release = bot.votes.hold_next(lambda vote: vote.user_id == ALICE)
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=ALICE))
    await holding.wait()
    await fake.dispatch(*cleared(message_id=message_id))
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=BOB))
    # A vote on another message goes on meanwhile (and shows the client has read the events before it).
    other = fake.add_message(MAINTAINERS_CHANNEL, author_id=CAROL)["id"]
    assert (await vote(fake, bot, other, CAROL)).reason == "not a candidate post"
    assert bot.votes.clears.empty()
    release.set()
    assert (await bot.votes.next(ALICE))[1].reason == "counted"
    assert (await bot.votes.next_clear())[1].reason == "withdrawn"
    assert (await bot.votes.next(BOB))[1].decision is None  # Alice's ✅ was cleared: one approval of two
    assert standing(bot, paper.id) == [(f"discord:{BOB}", "white_check_mark")]


@pytest.mark.parametrize("settings_overrides", [{"approvals_needed": 2}])
async def test_a_super_reaction_neither_votes_nor_withdraws_the_normal_ones_vote(fake: FakeDiscord, bot: Bot) -> None:
    """A super ✅ (burst) beside the same maintainer's normal ✅ was the same vote row: taking the super one off
    withdrew the vote while the normal ✅ still showed on the post."""
    message_id = await post_candidate(fake, bot)
    assert (await vote(fake, bot, message_id, ALICE)).reason == "counted"
    for added in (True, False):
        await fake.dispatch("MESSAGE_REACTION_ADD" if added else "MESSAGE_REACTION_REMOVE",
                            reaction(message_id=message_id, user_id=ALICE, added=added, burst=True))
    # Alice's next event, handled after her super reactions (one person's reactions keep their order):
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=ALICE, emoji="1️⃣"))
    next_vote, outcome = await bot.votes.next(ALICE)
    assert (next_vote.emoji, outcome.reason) == ("one", "counted")
    assert (await vote(fake, bot, message_id, BOB)).decision == "approved"  # Alice's normal ✅ stood


async def test_reactions_in_a_dm_or_a_thread_without_member_or_guild_are_skipped(fake: FakeDiscord, bot: Bot) -> None:
    """Shapes Discord documents for elsewhere than the maintainers' channel: no `guild_id` and no `member` (a DM),
    a thread's own channel id. Not votes; the events after them are handled."""
    message_id = await post_candidate(fake, bot)
    dm = reaction(message_id=fake.new_id(), user_id=CAROL, channel_id=fake.new_id())
    del dm["guild_id"], dm["member"]
    await fake.dispatch("MESSAGE_REACTION_ADD", dm)
    await fake.dispatch("MESSAGE_REACTION_REMOVE", {k: v for k, v in reaction(
        message_id=message_id, user_id=CAROL, added=False, channel_id=fake.new_id()).items() if k != "guild_id"})
    await fake.dispatch(*cleared(message_id=message_id, channel_id=fake.new_id()))
    assert (await vote(fake, bot, message_id, ALICE)).decision == "approved"
    assert bot.votes.clears.empty()
    assert bot.adapter.skipped_events == {}
