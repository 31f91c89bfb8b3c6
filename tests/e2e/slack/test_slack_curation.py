"""Curation on Slack, end to end: candidate posts, emoji votes, approval into a scratch copy of catalogue/.

The real Curation (SQLite in tmp) and the real bolt app, Socket Mode client and AsyncWebClient, against the
loopback fake Slack.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bot.adapters.slack.members import MEMBERSHIP_TTL
from bot.catalogue.service import CatalogueService
from bot.chat.values import Post, Reply, Vote
from bot.cli import main
from bot.curation.maintainer_commands import register_curation_commands
from bot.curation.pipeline import Curation
from bot.errors import AdapterError
from bot.settings import Maintainer
from bot.store.db import Database
from bot.store.papers import PaperStore
from tests.e2e.slack.conftest import (
    APP_TOKEN,
    BOT_TOKEN,
    DIGEST_CHANNEL,
    MAINTAINERS_CHANNEL,
    RecordingVotes,
    slack_settings,
)
from tests.fakes.slack_fake import BOT_USER_ID, reaction_event, sample

MAINTAINER_BY_ID = "U0MAINT01"
MAINTAINER_BY_GROUP = "U0MAINT02"
ADA_ON_SLACK, ADA_ON_DISCORD = "U0ADA0001", "111111111111111111"
OUTSIDER = "U0OUTSIDE"
MAINTAINER_GROUP = "S0MAINTS1"
TITLE = "Linear probes find a truth direction in chat models"


@pytest.fixture
def settings(fake):
    return slack_settings(
        fake, approvals_needed=2, slack_maintainer_user_ids=[MAINTAINER_BY_ID],
        slack_maintainer_usergroups=[MAINTAINER_GROUP],
        maintainers=[Maintainer(name="ada", discord=[ADA_ON_DISCORD], slack=[ADA_ON_SLACK])],
    )


@pytest.fixture
def curation(settings, catalogue_dir: Path, tmp_path: Path):
    database = Database.open(f"sqlite:///{tmp_path / 'curation.db'}")
    yield Curation(database, CatalogueService(catalogue_dir), settings)
    database.close()


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def add_candidate(curation: Curation, title: str = TITLE, arxiv: str = "2611.00042", url: str = "") -> int:
    paper, _ = PaperStore(curation.db).record_paper(
        keys=[f"arxiv:{arxiv}"],
        values={"canonical_id": f"arxiv:{arxiv}", "arxiv_id": arxiv, "title": title,
                "authors": ["A. Researcher"], "abstract": "We find a truth direction with linear probes.",
                "abs_url": url or f"https://arxiv.org/abs/{arxiv}", "pdf_url": f"https://arxiv.org/pdf/{arxiv}",
                "links": [], "categories": ["cs.CL"], "score": 0.9,
                "topics": [{"slug": "probing", "title": "Probing", "path": "Probing", "score": 0.9}],
                "status": "candidate"},
        feed="arxiv", item_id=arxiv, now=curation.db.now())
    return paper.id


async def react(fake, user, ts, *, event_id, reaction="white_check_mark", kind="reaction_added", retry=0):
    body = reaction_event(kind, user=user, reaction=reaction, channel=MAINTAINERS_CHANNEL, ts=ts, event_id=event_id)
    envelope_id = await fake.push("events_api", body, retry_attempt=retry, retry_reason="timeout" if retry else "")
    await fake.wait_ack(envelope_id)


async def test_candidate_is_posted_with_metadata_and_voting_reactions(fake, start_adapter, settings, curation):
    add_candidate(curation)
    curation.attach(await start_adapter(RecordingVotes(curation), settings=settings))
    assert await curation.publish_pending() == 1
    (post,) = fake.calls_to("chat.postMessage")
    assert post.params["channel"] == MAINTAINERS_CHANNEL
    assert post.params["unfurl_links"] is False
    assert post.params["unfurl_media"] is False
    assert post.params["metadata"] == {"event_type": "interp_bot_post",
                                       "event_payload": {"key": "candidate:arxiv:2611.00042", "kind": "candidate"}}
    assert "link_names" not in post.params
    assert post.params["blocks"][0]["text"]["text"] == f"*<https://arxiv.org/abs/2611.00042|{TITLE}>*"
    assert [c.params["name"] for c in fake.calls_to("reactions.add")] == ["white_check_mark", "x", "one"]
    assert await curation.publish_pending() == 0  # recorded: never posted twice
    assert len(fake.calls_to("chat.postMessage")) == 1


async def test_a_line_separator_in_a_candidates_title_parts_its_words_in_the_post(fake, start_adapter, settings,
                                                                                   curation):
    """The mrkdwn escaping dropped U+2028 and NEL with the invisible characters: "Sparse<U+2028>Autoencoders"
    reached the maintainers as "SparseAutoencoders"."""
    add_candidate(curation, title="Sparse\u2028Autoencoders find\x85features")
    curation.attach(await start_adapter(RecordingVotes(curation), settings=settings))
    assert await curation.publish_pending() == 1
    (post,) = fake.calls_to("chat.postMessage")
    assert post.params["blocks"][0]["text"]["text"] == \
        "*<https://arxiv.org/abs/2611.00042|Sparse Autoencoders find features>*"


async def test_maintainer_votes_approve_and_the_entry_lands_in_the_catalogue(fake, start_adapter, settings,
                                                                            curation, catalogue_dir):
    fake.usergroups[MAINTAINER_GROUP] = [MAINTAINER_BY_GROUP]
    paper_id = add_candidate(curation)
    votes = RecordingVotes(curation)
    curation.attach(await start_adapter(votes, settings=settings))
    await curation.publish_pending()
    ts = fake.messages[MAINTAINERS_CHANNEL][0].ts

    # Slack echoes the bot's own pre-added reactions back as events; bolt drops them as self events.
    await react(fake, BOT_USER_ID, ts, event_id="Ev0BOT")
    await react(fake, OUTSIDER, ts, event_id="Ev0OUTSIDER")
    # One maintainer's ✅, delivered three times (Slack retries with the same event_id).
    for attempt in range(3):
        await react(fake, MAINTAINER_BY_ID, ts, event_id="Ev0FIRST", retry=attempt)
    outcomes = await votes.wait_for(4)
    by_user = {}
    for vote, outcome in zip(votes.votes, outcomes, strict=True):
        by_user.setdefault(vote.user_id, []).append(outcome)
    assert BOT_USER_ID not in by_user
    assert [o.reason for o in by_user[OUTSIDER]] == ["not a maintainer"]
    assert sorted(o.reason for o in by_user[MAINTAINER_BY_ID]) == ["counted", "duplicate event", "duplicate event"]
    assert fake.calls_to("chat.update") == []  # one approval of the two needed

    # A member of the maintainers' user group approves: the decision is taken.
    await react(fake, MAINTAINER_BY_GROUP, ts, event_id="Ev0SECOND")
    (update,) = await fake.wait_for_call("chat.update")
    assert update.params["channel"] == MAINTAINERS_CHANNEL
    assert update.params["ts"] == ts
    assert update.params["blocks"][0]["text"]["text"].startswith("*<https://arxiv.org/abs/2611.00042|✅ Added: ")
    assert len(fake.calls_to("usergroups.users.list")) == 1  # cached across the five lookups

    decision = curation.store.decision(paper_id)
    assert decision.decision == "approved"
    assert (sorted(decision.deciders) == \
        [f"slack:{MAINTAINER_BY_ID}", f"slack:{MAINTAINER_BY_GROUP}"])
    probing = [e for f in catalogue_dir.glob("*.yaml") for e in _entries(f) if e.get("title") == TITLE]
    assert len(probing) == 1
    assert TITLE in (catalogue_dir / "README.md").read_text(encoding="utf-8")


async def test_a_removed_reaction_withdraws_the_vote(fake, start_adapter, settings, curation):
    paper_id = add_candidate(curation)
    votes = RecordingVotes(curation)
    curation.attach(await start_adapter(votes, settings=settings))
    await curation.publish_pending()
    ts = fake.messages[MAINTAINERS_CHANNEL][0].ts
    await react(fake, MAINTAINER_BY_ID, ts, event_id="Ev0ADD")
    await votes.wait_for(1)
    await react(fake, MAINTAINER_BY_ID, ts, event_id="Ev0REMOVE", kind="reaction_removed")
    outcomes = await votes.wait_for(2)
    assert [o.reason for o in outcomes] == ["counted", "withdrawn"]
    with curation.db.transaction() as conn:
        assert curation.store.votes(conn, paper_id) == []


class FirstVoteTakesAWhile(RecordingVotes):
    """The real curation, whose first vote takes a while (a busy database) and ends after `until()`: the loop runs
    other tasks meanwhile, as it does while a vote is counted in its thread, and a vote that comes in then is
    counted first."""

    def __init__(self, curation, until):
        super().__init__(curation)
        self.until = until
        self.entered = 0

    async def handle_vote(self, vote: Vote):
        self.entered += 1
        if self.entered == 1:
            await self.until()
            for _ in range(20):  # for whatever came in meanwhile to get going
                await asyncio.sleep(0)
            if self.entered > 1:
                await self.wait_for(1)
        return await super().handle_vote(vote)


async def test_a_reaction_taken_back_at_once_is_not_counted(fake, start_adapter, settings, curation):
    """Each envelope ran as a task of its own, so a ✅ removed right after it was added raced its removal: the
    removal was counted first, the ✅ stood, and another maintainer's ✅ then approved a paper one person wanted."""
    fake.usergroups[MAINTAINER_GROUP] = [MAINTAINER_BY_GROUP]
    paper_id = add_candidate(curation)

    async def removal_in():
        await fake.wait_for(lambda: "Ev-UNDO" in fake.acks)

    votes = FirstVoteTakesAWhile(curation, until=removal_in)
    curation.attach(await start_adapter(votes, settings=settings))
    await curation.publish_pending()
    ts = fake.messages[MAINTAINERS_CHANNEL][0].ts
    for kind, envelope_id in (("reaction_added", "Ev-OOPS"), ("reaction_removed", "Ev-UNDO")):  # back to back
        await fake.push("events_api", reaction_event(kind, user=MAINTAINER_BY_ID, reaction="white_check_mark",
                                                     channel=MAINTAINERS_CHANNEL, ts=ts, event_id=envelope_id),
                        envelope_id=envelope_id)
    assert [o.reason for o in await votes.wait_for(2)] == ["counted", "withdrawn"]
    await react(fake, MAINTAINER_BY_GROUP, ts, event_id="Ev0ONLY")
    assert (await votes.wait_for(3))[2].decision is None  # one approval of the two needed
    assert fake.calls_to("chat.update") == []
    assert curation.store.decision(paper_id) is None


async def test_votes_from_discord_and_slack_add_up_per_person(fake, start_adapter, settings, curation):
    paper_id = add_candidate(curation)
    votes = RecordingVotes(curation)
    curation.attach(await start_adapter(votes, settings=settings))
    await curation.publish_pending()
    ts = fake.messages[MAINTAINERS_CHANNEL][0].ts
    # The same candidate was also posted on Discord, where ada approved it.
    curation.store.record_post(key=f"candidate:{paper_id}", kind="candidate", paper_id=paper_id,
                               platform="discord", channel_id="222", message_id="333")
    discord_vote = await curation.handle_vote(Vote(platform="discord", user_id=ADA_ON_DISCORD, channel_id="222",
                                                   message_id="333", emoji="white_check_mark", event_id="d-1"))
    assert discord_vote.counted
    # ada's ✅ on Slack is the same person: still one approval of the two needed.
    await react(fake, ADA_ON_SLACK, ts, event_id="Ev0ADA")
    assert (await votes.wait_for(1))[0].decision is None
    assert curation.store.decision(paper_id) is None
    # A second maintainer on Slack makes two: approved.
    await react(fake, MAINTAINER_BY_ID, ts, event_id="Ev0MAINT")
    assert (await votes.wait_for(2))[1].decision == "approved"
    assert await fake.wait_for_call("chat.update")


async def test_a_429_is_retried_after_its_retry_after_without_double_posting(fake, start_adapter, settings,
                                                                           curation, fake_time):
    add_candidate(curation)
    curation.attach(await start_adapter(RecordingVotes(curation), settings=settings))
    fake.rate_limit_next("chat.postMessage", retry_after=1)
    assert await curation.publish_pending() == 1
    assert fake.rate_limited == [("chat.postMessage", 1)]
    assert 1.0 in fake_time.sleeps  # waited through the adapter's (injected, non-blocking) sleep
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert len(fake.messages[MAINTAINERS_CHANNEL]) == 1


@pytest.mark.parametrize(("refuse", "added"), [
    ("invalid_name", ["x", "one"]),  # a configured emoji the workspace lacks: the others are still added
    ("ratelimited", []),  # 429 past every retry: Slack is busy, the rest wait for a maintainer
    ("ServerDisconnectedError", []),  # no answer at all
], ids=["no such emoji", "rate-limited past the retries", "connection dropped"])
async def test_a_voting_reaction_slack_refuses_leaves_the_post_standing_and_its_votes_counted(
        fake, start_adapter, settings, curation, caplog, refuse, added):
    """reactions.add refused (or unanswered) after chat.postMessage had posted the candidate failed the whole
    publish: the post sat in the channel unrecorded, each maintainer's ✅ on it was "not a candidate post" and lost
    for good, and only the next round (minutes later, if Slack took every reaction then) recorded it."""
    paper_id = add_candidate(curation)
    votes = RecordingVotes(curation)
    curation.attach(await start_adapter(votes, settings=settings))
    if refuse == "ratelimited":
        for _ in range(4):  # the first try and the handler's three retries
            fake.rate_limit_next("reactions.add")
    elif refuse == "ServerDisconnectedError":
        fake.outage_next("reactions.add", status=0)
    else:
        fake.fail_next("reactions.add", refuse)
    assert await curation.publish_pending() == 1
    assert curation.store.post_failures() == []
    (message,) = fake.messages[MAINTAINERS_CHANNEL]
    assert list(message.reactions) == added
    assert any(f"Slack reactions.add of :white_check_mark: on {message.ts} in C0MAINTAIN failed: {refuse}"
               in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    await react(fake, MAINTAINER_BY_ID, message.ts, event_id="Ev0AFTER")
    assert [o.reason for o in await votes.wait_for(1)] == ["counted"]
    with curation.db.transaction() as conn:
        assert curation.store.votes(conn, paper_id) == [(f"slack:{MAINTAINER_BY_ID}", "white_check_mark")]


async def test_slack_out_of_reach_on_posting_is_an_outage_not_a_bug(fake, start_adapter, settings, curation, caplog):
    """A dropped connection on chat.postMessage reached the publishing round as aiohttp's own error: logged with a
    traceback as if it were a bug of ours; the failure is recorded as Slack's, and the next round posts once."""
    paper_id = add_candidate(curation)
    curation.attach(await start_adapter(RecordingVotes(curation), settings=settings))
    fake.outage_next("chat.postMessage", status=0)
    assert await curation.publish_pending() == 0
    (failure,) = curation.store.post_failures()
    assert failure.paper_id == paper_id
    assert failure.last_error.startswith(
        f"Slack chat.postMessage in {MAINTAINERS_CHANNEL} failed: ServerDisconnectedError")
    (logged,) = [r for r in caplog.records if "could not post candidate" in r.getMessage()]
    assert logged.exc_info is None
    curation.store.retry_failed_posts_now(["slack"])
    assert await curation.publish_pending() == 1
    assert len(fake.messages[MAINTAINERS_CHANNEL]) == 1


async def test_after_a_crash_the_earlier_post_is_found_not_posted_again(fake, start_adapter, settings, curation):
    paper_id = add_candidate(curation)
    # Posted before the crash (with our metadata), but never recorded in the database.
    earlier = fake.add_message(MAINTAINERS_CHANNEL, metadata={
        "event_type": "interp_bot_post", "event_payload": {"key": "candidate:arxiv:2611.00042", "kind": "candidate"}})
    fake.add_message(MAINTAINERS_CHANNEL, text="someone chatting afterwards")
    curation.attach(await start_adapter(RecordingVotes(curation), settings=settings))
    assert await curation.publish_pending() == 1
    assert fake.calls_to("chat.postMessage") == []
    history = fake.calls_to("conversations.history")[0].params
    assert history["channel"] == MAINTAINERS_CHANNEL
    assert history["include_all_metadata"] in (True, "1", "true")
    assert curation.store.post_for_key("slack", MAINTAINERS_CHANNEL, "candidate:arxiv:2611.00042").paper_id == paper_id
    assert curation.store.post_for_key("slack", MAINTAINERS_CHANNEL, "candidate:arxiv:2611.00042").message_id == earlier
    assert {c.params["timestamp"] for c in fake.calls_to("reactions.add")} == {earlier}


async def test_after_a_database_reset_a_new_paper_is_not_taken_for_an_old_post(fake, start_adapter, settings,
                                                                            curation, catalogue_dir, tmp_path):
    """Posts are recognised by the paper's canonical id, not its row number: a fresh database's candidate #1 is
    another paper than the old #1, and must get its own message (and a ✅ on the old one must decide nothing)."""
    old_id = add_candidate(curation, "Paper A: probing the old database")
    adapter = await start_adapter(RecordingVotes(curation), settings=settings)
    curation.attach(adapter)
    assert await curation.publish_pending() == 1
    paper_a_ts = fake.messages[MAINTAINERS_CHANNEL][0].ts

    fresh_db = Database.open(f"sqlite:///{tmp_path / 'reset.db'}")
    fresh = Curation(fresh_db, CatalogueService(catalogue_dir), settings)
    votes = RecordingVotes(fresh)
    adapter.curation = votes
    fresh.attach(adapter)
    new_id = add_candidate(fresh, "Paper B: found after the reset", arxiv="2611.00777")
    assert new_id == old_id  # the same row number, a different paper
    assert await fresh.publish_pending() == 1
    posts = fake.calls_to("chat.postMessage")
    assert len(posts) == 2
    assert "Paper B" in posts[1].params["text"]
    paper_b_ts = fake.messages[MAINTAINERS_CHANNEL][1].ts
    assert fresh.store.post_for_key("slack", MAINTAINERS_CHANNEL, "candidate:arxiv:2611.00777").message_id == \
        paper_b_ts

    await react(fake, MAINTAINER_BY_ID, paper_a_ts, event_id="Ev0ONOLD")
    (outcome,) = await votes.wait_for(1)
    assert outcome.reason == "not a candidate post"
    assert fresh.papers.paper(new_id).status == "candidate"
    fresh_db.close()


async def test_a_candidate_with_a_4000_character_link_is_posted_with_the_others(fake, start_adapter, settings,
                                                                               curation):
    """Its title section rendered at 4,033 characters, Slack answered invalid_blocks, and no candidate was posted
    over three rounds. (The fake refuses blocks over Slack's limits, as Slack does.)"""
    long_link = "https://www.lesswrong.com/posts/abc/" + "a-very-long-slug-" * 235
    assert len(long_link) > 4000
    add_candidate(curation, "A post with an enormous link", arxiv="2611.00200", url=long_link)
    for n in range(3):
        add_candidate(curation, f"Ordinary candidate {n}", arxiv=f"2611.0030{n}")
    curation.attach(await start_adapter(RecordingVotes(curation), settings=settings))
    assert await curation.publish_pending() == 4
    assert curation.store.post_failures() == []
    assert {c.params["channel"] for c in fake.calls_to("chat.postMessage")} == {MAINTAINERS_CHANNEL}


async def test_one_failing_post_never_holds_up_the_others(fake, start_adapter, settings, catalogue_dir, tmp_path,
                                                          capsys):
    """Slack refuses one candidate's message: the other three are posted in the same round, the refused one is
    counted and retried with back-off (not at every round), and posted once Slack takes it."""
    clock = ManualClock()
    database = Database.open(f"sqlite:///{tmp_path / 'failing.db'}", clock=clock)
    curation = Curation(database, CatalogueService(catalogue_dir), settings)
    for n in range(4):
        add_candidate(curation, f"Candidate number {n} about linear probes", arxiv=f"2611.0010{n}")
    curation.attach(await start_adapter(RecordingVotes(curation), settings=settings))
    fake.fail_next("chat.postMessage", "invalid_blocks")
    assert await curation.publish_pending() == 3
    (failure,) = curation.store.post_failures()
    assert (failure.platform, failure.attempts) == ("slack", 1)
    assert "chat.postMessage in C0MAINTAIN failed: invalid_blocks" in failure.last_error
    assert await curation.publish_pending() == 0  # backing off: not tried again at once
    assert len(fake.calls_to("chat.postMessage")) == 4
    assert main(["--catalogue", str(catalogue_dir), "--db", f"sqlite:///{tmp_path / 'failing.db'}", "status",
                 "--json"]) == 0
    (shown,) = json.loads(capsys.readouterr().out)["posts_failing"]
    assert (shown["platform"], shown["attempts"], shown["candidate"]) == ("slack", 1, failure.paper_id)
    assert "invalid_blocks" in shown["error"]
    clock.now += timedelta(minutes=1, seconds=1)
    assert await curation.publish_pending() == 1
    assert curation.store.post_failures() == []
    assert len(fake.messages[MAINTAINERS_CHANNEL]) == 4

    # A refused post whose candidate is then decided is no longer pending: status stops listing it.
    fake.fail_next("chat.postMessage", "not_in_channel")
    refused = add_candidate(curation, "A fifth candidate", arxiv="2611.00109")
    assert await curation.publish_pending() == 0
    assert [f.paper_id for f in curation.store.post_failures()] == [refused]
    assert (await curation.decide(refused, "reject", person="console")).decision == "rejected"
    assert curation.store.post_failures() == []
    database.close()


async def test_posts_to_a_channel_are_paced_and_the_digest_has_its_own_channel(fake, start_adapter, fake_time):
    adapter = await start_adapter()
    digest = Post(key="digest:2026-11-24", kind="digest", reply=Reply(title="interp-bot digest — 2026-11-24"))
    ref = await adapter.publish(digest, "digest")
    assert ref.channel_id == DIGEST_CHANNEL
    await adapter.publish(Post(key="digest:2026-11-25", kind="digest", reply=Reply(title="next")), "digest")
    assert fake_time.sleeps == [1.0]  # the second post waited a second, without blocking the loop
    assert await adapter.publish(digest, "digest") == ref  # the same key again: found, not re-posted
    assert len(fake.calls_to("chat.postMessage")) == 2


def _entries(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found: list[dict] = []

    def walk(node):
        if isinstance(node, dict):
            if "title" in node and ("links" in node or "id" in node):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found


async def with_maintainer_commands(start_adapter, settings, curation) -> RecordingVotes:
    """The Slack adapter attached to the curation, with the maintainers' slash commands as `run` registers them;
    the votes it hands on, recorded."""
    votes = RecordingVotes(curation)
    adapter = await start_adapter(votes, settings=settings)
    curation.attach(adapter)
    loop = asyncio.get_running_loop()
    register_curation_commands(adapter.commands, curation,
                               lambda work: asyncio.run_coroutine_threadsafe(work, loop).result(30))
    return votes


async def test_who_may_run_maintainer_commands_is_who_counts_as_a_voter(fake, start_adapter, settings, curation):
    """Issue 13, item 8: ada is a maintainer through the config's `maintainers:` list only (not in
    INTERP_BOT_SLACK_MAINTAINER_USER_IDS). Her ✅ counts, so she may run the maintainers' commands too: Slack asks
    the core's one rule, as Discord does. (Slack's own directory check refused her while counting her vote.)"""
    add_candidate(curation)
    votes = await with_maintainer_commands(start_adapter, settings, curation)

    async def ask(user: str, name: str) -> dict:
        await fake.push("slash_commands", sample("slash_command", text="candidates", user_id=user,
                                                 response_url=fake.response_url(name)))
        await fake.wait_for(lambda: any(n == name for n, _ in fake.responses))
        return next(body for n, body in fake.responses if n == name)

    assert "Pending candidates" in (await ask(ADA_ON_SLACK, "ada"))["text"]
    assert TITLE in json.dumps((await ask(ADA_ON_SLACK, "ada-again"))["blocks"])
    assert "is for the list's maintainers" in (await ask(OUTSIDER, "outsider"))["text"]
    assert await curation.publish_pending() == 1
    await react(fake, ADA_ON_SLACK, fake.messages[MAINTAINERS_CHANNEL][0].ts, event_id="Ev0ADAVOTE")
    assert [o.reason for o in await votes.wait_for(1)] == ["counted"]  # the same rule counts her vote


async def test_a_user_group_maintainers_reaction_and_vote_command_are_one_vote(fake, start_adapter, settings, curation):
    """A maintainer by user group only: their ✅ and their `/interp vote white_check_mark ID` are one person's vote
    (the command counted them under a second name, so one person's two ways of voting approved the paper)."""
    fake.usergroups[MAINTAINER_GROUP] = [MAINTAINER_BY_GROUP]
    paper_id = add_candidate(curation)
    votes = await with_maintainer_commands(start_adapter, settings, curation)
    await curation.publish_pending()
    await react(fake, MAINTAINER_BY_GROUP, fake.messages[MAINTAINERS_CHANNEL][0].ts, event_id="Ev0GROUPVOTE")
    assert [o.reason for o in await votes.wait_for(1)] == ["counted"]

    await fake.push("slash_commands", sample("slash_command", text=f"vote white_check_mark {paper_id}",
                                             user_id=MAINTAINER_BY_GROUP, response_url=fake.response_url("vote")))
    await fake.wait_for(lambda: any(n == "vote" for n, _ in fake.responses))
    answer = next(body for n, body in fake.responses if n == "vote")
    assert "already counted: 1 of 2 approvals" in answer["text"]
    assert curation.store.decision(paper_id) is None


async def test_slack_down_for_the_user_groups_still_counts_votes_and_answers_commands(fake, start_adapter, settings,
                                                                                      curation, fake_time, caplog):
    """usergroups.users.list answered by an outage (HTTP 503, a text body, no JSON): reading the refusal's error
    raised, so the vote was lost and the command never answered, where a failing lookup should count nobody in the
    group and let everything else go on."""
    add_candidate(curation)
    votes = RecordingVotes(curation)
    adapter = await start_adapter(votes, settings=settings)
    curation.attach(adapter)
    await curation.publish_pending()
    fake.outage_next("usergroups.users.list")
    await react(fake, MAINTAINER_BY_ID, fake.messages[MAINTAINERS_CHANNEL][0].ts, event_id="Ev0OUTAGE1")
    assert [o.reason for o in await votes.wait_for(1)] == ["counted"]
    assert "cannot list members of Slack user group S0MAINTS1 (HTTP 503)" in caplog.text

    fake.outage_next("usergroups.users.list")
    fake_time.now += MEMBERSHIP_TTL  # the (empty) membership kept from the failed lookup has expired
    await fake.push("slash_commands", sample("slash_command", text="help", user_id=OUTSIDER,
                                             response_url=fake.response_url("help")))
    await fake.wait_for(lambda: any(n == "help" for n, _ in fake.responses))

    fake.outage_next("conversations.history")  # and a post in an outage fails saying so, not as a bug of ours
    with pytest.raises(AdapterError, match=r"^Slack conversations.history in C0DIGEST1 failed: HTTP 503$"):
        await adapter.publish(Post(key="digest:2026-11-26", kind="digest", reply=Reply(title="digest")), "digest")


async def test_a_decided_candidate_whose_post_was_deleted_is_announced_once_and_done(fake, start_adapter, settings,
                                                                                     curation):
    """chat.update answered message_not_found at every recovery round, for good: the approval stayed unfinished."""
    paper_id = add_candidate(curation)
    curation.attach(await start_adapter(RecordingVotes(curation), settings=settings))
    await curation.publish_pending()
    fake.messages[MAINTAINERS_CHANNEL].clear()  # someone deleted the post
    assert (await curation.decide(paper_id, "approve", person="console", force=True)).decision == "approved"
    assert not curation.store.decisions(pending_announce=True)
    await curation.recover()
    assert len(fake.calls_to("chat.update")) == 1


async def test_a_digest_the_channel_refuses_is_a_failed_job_and_can_be_posted_at_once(
        fake, start_adapter, catalogue_dir, tmp_path, capsys, monkeypatch):
    """The digest job recorded a refused digest as a run that did all it had to: `status` said "all ok" and
    "never posted", and `interp-bot digest` run after the fix said the day's digest "was already done: there was
    nothing to post" and posted nothing, exit 0."""
    from bot.app import App
    from bot.cli.output import status_json
    from bot.cli.status_text import render_status
    from bot.scheduler import build_scheduler

    database = f"sqlite:///{tmp_path / 'digest.db'}"
    settings = slack_settings(fake, catalogue_dir=catalogue_dir, database_url=database)
    app = App(settings, feeds="unused")
    app.curation.attach(await start_adapter(settings=settings))
    add_candidate(app.curation)
    scheduler = build_scheduler(app)
    scheduler.start(paused=True)
    fake.fail_next("chat.postMessage", "channel_not_found")
    await scheduler.get_job("digest:slack").func()
    (job,) = [run for run in status_json(app, ["slack"])["jobs"] if run["name"] == "digest:slack"]
    assert job["problem"].startswith(f"the digest could not be posted to slack:{DIGEST_CHANNEL}: ")
    assert "channel_not_found" in job["problem"]
    assert "Jobs        1 FAILED at their last run" in render_status(status_json(app, ["slack"]), "UTC")
    scheduler.shutdown(wait=False)
    await app.stop()

    for name, value in (("SLACK_BOT_TOKEN", BOT_TOKEN), ("SLACK_APP_TOKEN", APP_TOKEN),
                        ("INTERP_BOT_SLACK_API_URL", fake.api_url), ("INTERP_BOT_SLACK_DIGEST_CHANNEL", DIGEST_CHANNEL),
                        ("INTERP_BOT_SLACK_MAINTAINERS_CHANNEL", MAINTAINERS_CHANNEL)):
        monkeypatch.setenv(name, value)
    fake.fail_next("chat.postMessage", "channel_not_found")
    args = ["--catalogue", str(catalogue_dir), "--db", database, "--log-level", "WARNING", "digest"]
    assert await asyncio.to_thread(main, args) == 1
    assert "the digest could not be posted to" in capsys.readouterr().err
    # The channel fixed: the same day's digest is posted at once, not "already done".
    assert await asyncio.to_thread(main, args) == 0
    assert "already" not in capsys.readouterr().err
    (digest,) = fake.messages[DIGEST_CHANNEL]
    assert digest.text.startswith("interp-bot digest — ") and TITLE in digest.text
    # ...and `status` says so: it went on showing the scheduled job's failure until the next day's run.
    await asyncio.to_thread(main, [*args[:-1], "status", "--json"])
    (job,) = [run for run in json.loads(capsys.readouterr().out)["jobs"] if run["name"] == "digest:slack"]
    assert job["problem"] is None


async def test_a_digest_slack_could_not_take_is_tried_again_that_day(fake, start_adapter, catalogue_dir, tmp_path):
    """Slack answered 503 at 09:00: Discord's digest went out, Slack's channel had none that day unless someone ran
    `interp-bot digest` (candidate posts are retried; the digest waited for the next day's)."""
    from bot.app import App
    from bot.cli.output import status_json
    from bot.scheduler import build_scheduler

    clock = ManualClock()  # 09:00, the digest's time
    settings = slack_settings(fake, catalogue_dir=catalogue_dir, database_url=f"sqlite:///{tmp_path / 'd.db'}")
    app = App(settings, feeds="unused", clock=clock)
    app.curation.attach(await start_adapter(settings=settings))
    add_candidate(app.curation)
    scheduler = build_scheduler(app, now=clock.now)
    scheduler.start(paused=True)
    try:
        for minutes in (5, 15):  # and on: 30, then hourly
            fake.outage_next("chat.postMessage")
            await scheduler.get_job("digest:slack").func()
            assert not fake.messages.get(DIGEST_CHANNEL)
            retry = scheduler.get_job("digest:slack").next_run_time
            assert retry == clock.now + timedelta(minutes=minutes)
            clock.now = retry
        await scheduler.get_job("digest:slack").func()  # Slack is back
        (digest,) = fake.messages[DIGEST_CHANNEL]
        assert digest.text.startswith("interp-bot digest — 2026-11-24") and TITLE in digest.text
        (job,) = [run for run in status_json(app, ["slack"])["jobs"] if run["name"] == "digest:slack"]
        assert job["problem"] is None
        # Slack down the next day from 09:00 to 08:58 the day after: no retry after that day's digest, which covers
        # the day.
        clock.now = datetime(2026, 11, 26, 8, 58, tzinfo=UTC)
        add_candidate(app.curation, "Another probe", arxiv="2611.00043")
        fake.outage_next("chat.postMessage")
        await scheduler.get_job("digest:slack").func()  # the 25th's
        assert scheduler.get_job("digest:slack").next_run_time == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    finally:
        scheduler.shutdown(wait=False)
        await app.stop()
