"""The curation loop: votes become list entries, exactly once, whatever is replayed or raced."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.catalogue.service import CatalogueService
from bot.catalogue.yaml_io import load_catalogue
from bot.chat.values import ReactionsCleared, Vote
from bot.curation.pipeline import Curation
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.papers import PaperStore

TOPICS = [{"slug": "sparse-coding", "title": "Sparse Coding", "path": "…", "score": 0.8},
          {"slug": "probing", "title": "Probing", "path": "…", "score": 0.3}]


def add_candidate(database: Database, n: int, *, title: str | None = None,
                  topics: list[dict[str, Any]] = TOPICS) -> int:
    """A candidate as the intake records it (the intake itself is tested in test_intake.py)."""
    arxiv = f"2411.{10000 + n:05d}"
    paper, _ = PaperStore(database).record_paper(
        keys=[f"arxiv:{arxiv}"],
        values={"canonical_id": f"arxiv:{arxiv}", "arxiv_id": arxiv,
                "title": title or f"Sparse Autoencoders Reveal Feature Family Number {n} in Language Models",
                "authors": ["Ada Lovelace", "Alan Turing"], "abstract": "We train sparse autoencoders.",
                "abs_url": f"https://arxiv.org/abs/{arxiv}", "pdf_url": f"https://arxiv.org/pdf/{arxiv}",
                "links": [], "categories": ["cs.LG"], "published": None, "score": 0.9, "topics": topics,
                "status": "candidate", "listed_entry": None},
        feed="arxiv-test", item_id=f"item-{n}", now=database.now())
    return paper.id


def settings_for(catalogue_dir: Path, database_url: str, **overrides: Any) -> Any:
    from bot.settings import Maintainer

    values = {
        "catalogue_dir": catalogue_dir, "database_url": database_url, "approvals_needed": 2,
        "maintainers": [Maintainer(name="alice", discord=["111"], slack=["U111"]),
                        Maintainer(name="bob", discord=["222"], slack=["U222"])],
        "discord_maintainer_role_ids": ["999"],
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
async def loop_parts(catalogue_dir: Path, database_url: str) -> AsyncIterator[tuple[Curation, io.StringIO]]:
    settings = settings_for(catalogue_dir, database_url)
    database = Database.open(database_url)
    curation = Curation(database, CatalogueService(catalogue_dir), settings)
    console_out = io.StringIO()
    curation.attach(ConsoleAdapter(console_out))
    yield curation, console_out
    database.close()


class Posted:
    """Publishes candidates to the console adapter and makes a 'discord' and 'slack' post record,
    as those adapters would, so reactions from either platform reach the candidate."""

    def __init__(self, curation: Curation, paper_id: int):
        self.paper_id = paper_id
        for platform in ("discord", "slack"):
            curation.store.record_post(key=f"candidate:{paper_id}", kind="candidate", paper_id=paper_id,
                                       platform=platform, channel_id=f"{platform}-chan",
                                       message_id=f"{platform}-msg-{paper_id}")

    def vote(self, platform: str, user: str, emoji: str = "white_check_mark", *, added: bool = True,
             event: str = "", roles: tuple[str, ...] = (), is_bot: bool = False) -> Vote:
        return Vote(platform=platform, user_id=user, channel_id=f"{platform}-chan",
                    message_id=f"{platform}-msg-{self.paper_id}", emoji=emoji, added=added,
                    event_id=event or uuid.uuid4().hex, roles=roles,
                    is_bot=is_bot)


async def test_two_maintainers_across_platforms_approve_and_the_list_grows(loop_parts, catalogue_dir: Path) -> None:
    curation, console_out = loop_parts
    paper_id = add_candidate(curation.db, 1)
    assert await curation.publish_pending() == 1
    assert f"candidate #{paper_id}" in console_out.getvalue()
    post = Posted(curation, paper_id)

    first = await curation.handle_vote(post.vote("discord", "111"))
    assert first.counted
    assert first.decision is None
    # alice again, from Slack: the same person, so still one approval
    again = await curation.handle_vote(post.vote("slack", "U111"))
    assert again.counted
    assert again.decision is None
    # ...and so is her vote from the shell, which says so (it said "counted", as if the count had moved)
    shell = await curation.decide(paper_id, "approve", person="alice", platform="console")
    assert shell.reason == "already counted: 1 of 2 approvals needed; no decision yet"
    # ...and withdrawing her Discord reaction leaves her Slack one standing
    assert (await curation.handle_vote(post.vote("discord", "111", added=False))).reason == "withdrawn"
    final = await curation.handle_vote(post.vote("slack", "U222"))
    assert final.decision == "approved"

    catalogue = load_catalogue(catalogue_dir)
    entry = catalogue.entry("sparse-autoencoders-reveal-feature-family-number-1")
    assert entry is not None
    assert entry.topics == ("sparse-coding",)
    assert entry.approved_by == ("alice", "bob")
    assert entry.links[0].label == "arxiv 2411"
    assert "Sparse Autoencoders Reveal Feature Family Number 1" in (catalogue_dir / "README.md").read_text()
    assert "✅ Added: Sparse Autoencoders Reveal Feature Family Number 1" in console_out.getvalue()
    assert curation.catalogue.index.topics.resolve("sae").topic.slug == "sparse-coding"


async def test_replays_non_maintainers_bots_and_withdrawals(loop_parts) -> None:
    curation, _ = loop_parts
    post = Posted(curation, add_candidate(curation.db, 2))
    vote = post.vote("discord", "111", event="evt-1")
    assert (await curation.handle_vote(vote)).counted
    assert (await curation.handle_vote(vote)).reason == "duplicate event"  # Slack retry / gateway replay
    assert (await curation.handle_vote(post.vote("discord", "555"))).reason == "not a maintainer"
    assert (await curation.handle_vote(post.vote("discord", "111", is_bot=True))).reason == "bot's own reaction"
    assert (await curation.handle_vote(post.vote("discord", "111", emoji="tada"))).reason == "not a voting emoji"
    # alice withdraws, bob approves: still one approval, no decision
    assert (await curation.handle_vote(post.vote("discord", "111", added=False))).reason == "withdrawn"
    assert (await curation.handle_vote(post.vote("discord", "222"))).decision is None
    # a role-holder counts too (Discord maintainer role)
    outcome = await curation.handle_vote(post.vote("discord", "777", roles=("999",)))
    assert outcome.decision == "approved"


async def test_a_reaction_taken_back_after_the_maintainers_list_changed_withdraws_the_vote(
        catalogue_dir: Path, database_url: str) -> None:
    from bot.settings import Maintainer

    database = Database.open(database_url)
    before = Curation(database, CatalogueService(catalogue_dir), settings_for(catalogue_dir, database_url))
    post = Posted(before, add_candidate(database, 3))
    assert (await before.handle_vote(post.vote("discord", "111"))).reason == "counted"  # alice's ✅
    # alice leaves INTERP_BOT_MAINTAINERS (the bot restarts with the new list), then takes her ✅ back
    after = Curation(database, CatalogueService(catalogue_dir), settings_for(
        catalogue_dir, database_url, maintainers=[Maintainer(name="bob", discord=["222"], slack=["U222"])]))
    assert (await after.handle_vote(post.vote("discord", "111", added=False))).reason == "withdrawn"
    # bob's approval is the only one standing: no decision (her withdrawn vote had made it 2 of 2)
    assert (await after.handle_vote(post.vote("discord", "222"))).decision is None
    assert after.papers.paper(post.paper_id).status == "candidate"
    # the other way round: a role-holder's vote, then the list names them
    role_vote = Posted(after, add_candidate(database, 4))
    assert (await after.handle_vote(role_vote.vote("discord", "777", roles=("999",)))).reason == "counted"
    named = Curation(database, CatalogueService(catalogue_dir), settings_for(
        catalogue_dir, database_url, maintainers=[Maintainer(name="carol", discord=["777"])]))
    assert (await named.handle_vote(role_vote.vote("discord", "777", added=False))).reason == "withdrawn"
    database.close()


async def test_clearing_a_posts_reactions_withdraws_only_the_votes_that_post_carried(loop_parts) -> None:
    """A moderator clears every reaction on the Discord post (or every ✅ on it): the votes it carried are withdrawn
    as their removals would withdraw them; the same paper's Slack, console and other Discord post's votes stand."""
    curation, _ = loop_parts
    paper_id = add_candidate(curation.db, 7)
    post = Posted(curation, paper_id)
    curation.store.record_post(key=f"candidate:{paper_id}", kind="candidate", paper_id=paper_id, platform="discord",
                               channel_id="discord-old-chan", message_id="discord-old-msg")

    def standing() -> list[tuple[str, str]]:
        with curation.db.engine.connect() as conn:
            return sorted(curation.store.votes(conn, paper_id))

    def clear(emoji: str | None = None, message: str = f"discord-msg-{paper_id}") -> ReactionsCleared:
        return ReactionsCleared(platform="discord", channel_id="discord-chan", message_id=message, emoji=emoji,
                                event_id=uuid.uuid4().hex)

    assert (await curation.handle_vote(post.vote("discord", "111"))).counted  # alice ✅ on Discord
    assert (await curation.handle_vote(post.vote("discord", "111", emoji="one"))).counted
    assert (await curation.handle_vote(post.vote("slack", "U111", emoji="two"))).counted
    old_post = Vote(platform="discord", user_id="777", channel_id="discord-old-chan", message_id="discord-old-msg",
                    emoji="one", event_id="old", roles=("999",))
    assert (await curation.handle_vote(old_post)).counted
    assert (await curation.vote(paper_id, "one", "bob")).counted  # from the console
    assert (await curation.handle_clear(clear("tada"))).reason == "not a voting emoji"
    assert (await curation.handle_clear(clear("white_check_mark"))).reason == "withdrawn"
    assert standing() == [("alice", "one"), ("alice", "two"), ("bob", "one"), ("discord:777", "one")]
    cleared = clear()
    assert (await curation.handle_clear(cleared)).reason == "withdrawn"
    assert standing() == [("alice", "two"), ("bob", "one"), ("discord:777", "one")]
    assert (await curation.handle_clear(cleared)).reason == "duplicate event"
    assert (await curation.handle_clear(clear())).reason == "unchanged"  # nothing left that the post carried
    assert (await curation.handle_clear(clear(message="some-other-msg"))).reason == "not a candidate post"


async def test_clearing_a_decided_candidates_post_changes_nothing(loop_parts) -> None:
    curation, _ = loop_parts
    paper_id = add_candidate(curation.db, 8)
    post = Posted(curation, paper_id)
    assert (await curation.handle_vote(post.vote("discord", "111"))).decision is None
    assert (await curation.handle_vote(post.vote("discord", "222"))).decision == "approved"
    outcome = await curation.handle_clear(ReactionsCleared(platform="discord", channel_id="discord-chan",
                                                           message_id=f"discord-msg-{paper_id}", event_id="c"))
    assert outcome.reason == f"candidate #{paper_id} is already approved"
    with curation.db.engine.connect() as conn:
        assert sorted(curation.store.votes(conn, paper_id)) == [("alice", "white_check_mark"),
                                                                 ("bob", "white_check_mark")]


async def test_voting_emoji_configured_by_another_spelling_still_count(catalogue_dir: Path, database_url: str) -> None:
    """INTERP_BOT_APPROVE_EMOJI=thumbsup (Slack's other name for 👍, whose reactions arrive as `+1`), `:x:` and `✅`
    name the same emoji as the reactions do: their votes counted as "not a voting emoji"."""
    settings = settings_for(catalogue_dir, database_url, approve_emoji="✅, thumbsup", reject_emoji=":x:")
    database = Database.open(database_url)
    curation = Curation(database, CatalogueService(catalogue_dir), settings)
    try:
        approved = Posted(curation, add_candidate(curation.db, 40))
        assert (await curation.handle_vote(approved.vote("slack", "U111", emoji="+1"))).reason == "counted"
        assert (await curation.handle_vote(approved.vote("discord", "222"))).decision == "approved"
        rejected = Posted(curation, add_candidate(curation.db, 41))
        assert (await curation.handle_vote(rejected.vote("discord", "111", emoji="x"))).decision == "rejected"
    finally:
        database.close()


async def test_one_rejection_vetoes_and_topic_votes_choose_the_topic(loop_parts, catalogue_dir: Path) -> None:
    curation, _ = loop_parts
    rejected = Posted(curation, add_candidate(curation.db, 3))
    assert (await curation.handle_vote(rejected.vote("discord", "111", emoji="x"))).decision == "rejected"
    late = await curation.handle_vote(rejected.vote("discord", "222"))  # no vote now
    assert (late.counted, late.reason) == (False, f"candidate #{rejected.paper_id} is already rejected")

    chosen = Posted(curation, add_candidate(curation.db, 4))
    await curation.handle_vote(chosen.vote("slack", "U111", emoji="two"))
    await curation.handle_vote(chosen.vote("slack", "U111"))
    assert (await curation.handle_vote(chosen.vote("discord", "222"))).decision == "approved"
    assert load_catalogue(catalogue_dir).entry("sparse-autoencoders-reveal-feature-family-number-4").topics == (
        "probing",)


async def test_a_topic_voted_for_that_the_list_no_longer_has_gives_way_to_one_it_has(loop_parts,
                                                                                      catalogue_dir: Path) -> None:
    """The most-voted suggestion was filed even when a hand edit had removed that topic since: the approval then
    failed to write ("no topic 'interp-history'") until someone ran `decide --topic`."""
    curation, _ = loop_parts
    gone = {"slug": "interp-history", "title": "History", "path": "…", "score": 0.9}
    post = Posted(curation, add_candidate(curation.db, 12, topics=[gone, *TOPICS]))
    await curation.handle_vote(post.vote("slack", "U111", emoji="one"))
    await curation.handle_vote(post.vote("slack", "U222", emoji="one"))
    await curation.handle_vote(post.vote("slack", "U222", emoji="three"))
    await curation.handle_vote(post.vote("slack", "U111"))
    assert (await curation.handle_vote(post.vote("discord", "222"))).decision == "approved"
    assert curation.store.decision(post.paper_id).written
    assert load_catalogue(catalogue_dir).entry("sparse-autoencoders-reveal-feature-family-number-12").topics == (
        "probing",)  # 3️⃣, the only vote for a topic the list has


async def test_a_persons_topic_choice_counts_once_whatever_platforms_it_is_made_on(loop_parts) -> None:
    """alice's 2️⃣ on Discord, on Slack and from the shell counted three times and outvoted the two people who
    chose 1️⃣; and her repeat from the shell was said to be "counted"."""
    curation, _ = loop_parts
    paper_id = add_candidate(curation.db, 6)
    post = Posted(curation, paper_id)
    await curation.handle_vote(post.vote("discord", "111", emoji="two"))
    await curation.handle_vote(post.vote("slack", "U111", emoji="two"))
    await curation.handle_vote(post.vote("discord", "111"))  # alice approves: 1 of 2
    repeat = await curation.decide(paper_id, "approve", person="alice", topic=TOPICS[1]["slug"])
    assert repeat.reason == "already counted: 1 of 2 approvals needed; no decision yet"
    await curation.handle_vote(post.vote("discord", "777", emoji="one", roles=("999",)))  # a role holder
    outcome = await curation.handle_vote(post.vote("discord", "222", emoji="one"))  # bob chooses 1️⃣ ...
    assert outcome.decision is None
    outcome = await curation.handle_vote(post.vote("discord", "222"))  # ... and approves
    assert outcome.decision == "approved"
    assert curation.store.decision(paper_id).topic == TOPICS[0]["slug"]  # two people against one


@pytest.mark.parametrize("approvals_needed", [1, 2])
async def test_simultaneous_approvals_decide_once_and_write_exactly_one_entry(catalogue_dir: Path, database_url: str,
                                                                               approvals_needed: int) -> None:
    """Two maintainers approve at the same moment. One approval needed: exactly one of them takes the decision.
    Two needed: each transaction must see the other's vote (on PostgreSQL each used to count only its own, and
    the candidate stayed undecided)."""
    settings = settings_for(catalogue_dir, database_url, approvals_needed=approvals_needed)
    database = Database.open(database_url)
    curations = [Curation(database, CatalogueService(catalogue_dir), settings, holder=f"p{i}") for i in (1, 2)]
    runs = 60
    for n in range(runs):
        post = Posted(curations[0], add_candidate(database, 100 + n))
        outcomes = await asyncio.gather(
            curations[0].handle_vote(post.vote("discord", "111")),
            curations[1].handle_vote(post.vote("slack", "U222")),
        )
        assert sorted(str(o.decision) for o in outcomes) == ["None", "approved"], n
    catalogue = load_catalogue(catalogue_dir)
    added = [e for e in catalogue.entries if e.added]
    assert len(added) == runs
    assert len({e.id for e in added}) == runs
    database.close()


async def test_a_crash_between_decision_and_write_is_repaired_once(loop_parts, catalogue_dir: Path) -> None:
    curation, _ = loop_parts
    paper_id = add_candidate(curation.db, 5)
    with curation.db.transaction() as conn:  # the decision committed, then the process died
        curation.store.decide(conn, paper_id=paper_id, decision="approved", topic="sparse-coding",
                              deciders=["alice", "bob"], entry_id=None, now=curation.db.now())
    assert await curation.recover() == 1
    assert await curation.recover() == 0
    # died after writing the YAML but before recording it: the entry is recognised, not duplicated
    paper_id = add_candidate(curation.db, 6)
    with curation.db.transaction() as conn:
        curation.store.decide(conn, paper_id=paper_id, decision="approved", topic="sparse-coding",
                              deciders=["alice"], entry_id=None, now=curation.db.now())
    decision = curation.store.decision(paper_id)
    curation._write_entry(decision)
    curation.store.mark_decision(paper_id, written=False)
    await curation.recover()
    titles = [e.title for e in load_catalogue(catalogue_dir).entries]
    assert titles.count("Sparse Autoencoders Reveal Feature Family Number 6 in Language Models") == 1
    assert titles.count("Sparse Autoencoders Reveal Feature Family Number 5 in Language Models") == 1


async def test_a_rejection_standing_when_the_threshold_is_lowered_vetoes_a_shell_approval(
        catalogue_dir: Path, database_url: str) -> None:
    database = Database.open(database_url)
    two = Curation(database, CatalogueService(catalogue_dir), settings_for(catalogue_dir, database_url,
                                                                            rejections_needed=2))
    post = Posted(two, add_candidate(database, 5))
    assert (await two.handle_vote(post.vote("discord", "111", emoji="x"))).decision is None  # 1 of 2 rejections
    # INTERP_BOT_REJECTIONS_NEEDED=1 now (and one approval is enough): alice's ❌ is a veto, whoever votes next
    one = Curation(database, CatalogueService(catalogue_dir), settings_for(
        catalogue_dir, database_url, rejections_needed=1, approvals_needed=1))
    outcome = await one.decide(post.paper_id, "approve", person="bob")  # `interp-bot decide ID approve --as bob`
    assert outcome.decision == "rejected"  # as bob's ✅ reaction would have been
    assert one.papers.paper(post.paper_id).status == "rejected"
    assert load_catalogue(catalogue_dir).entry("sparse-autoencoders-reveal-feature-family-number-5") is None
    database.close()


async def test_console_decisions_and_expiry(loop_parts) -> None:
    curation, _ = loop_parts
    paper_id = add_candidate(curation.db, 7)
    outcome = await curation.decide(paper_id, "approve", person="console:me", topic="logit lens", force=True)
    assert outcome.decision == "approved"
    assert curation.store.decision(paper_id).topic == "embedding-projection"
    assert (await curation.decide(paper_id, "reject", person="console:me")).reason.endswith("already approved")
    # A console vote on it used to be stored and answered "counted; no decision yet", though it could never count.
    late = await curation.vote(paper_id, "x", "console:me")
    assert (late.counted, late.reason) == (False, f"candidate #{paper_id} is already approved")
    with curation.db.engine.connect() as conn:
        assert ("console:me", "x") not in curation.store.votes(conn, paper_id)
    assert not (await curation.decide(424242, "approve", person="console:me")).counted
    unknown = await curation.decide(add_candidate(curation.db, 8), "approve", person="x", topic="turnips")
    assert "no topic 'turnips'" in unknown.reason
    # `topic general` says it names four topics; a decision said there was no such topic
    several = await curation.decide(add_candidate(curation.db, 9), "approve", person="x", topic="general")
    assert not several.counted
    assert several.reason == ("'general' could mean several topics: give one of tools-techniques-methods-general, "
                              "task-solving-function-ability-general, component-general, "
                              "feature-representation-probing-based-general")


@pytest.mark.parametrize("how", ["an id the list learned", "another feed's spelling of it"])
async def test_a_posted_candidate_found_on_the_list_is_closed_and_its_post_says_so(loop_parts, how: str) -> None:
    """A candidate that turns out to be listed already (the listing that names its arXiv id, a forum crosspost of
    a listed paper) had its post left open for votes that were answered "counted" and never decided anything."""
    curation, console_out = loop_parts
    paper_id = add_candidate(curation.db, 11)
    assert await curation.publish_pending() == 1
    post = Posted(curation, paper_id)
    assert (await curation.handle_vote(post.vote("discord", "111"))).counted
    entry = curation.catalogue.index.catalogue.entry("locating-and-editing-factual-associations-in-gpt")
    assert entry is not None
    papers, now = PaperStore(curation.db), curation.db.now()
    if how == "an id the list learned":
        papers.learn_listed_arxiv_ids([("2411.10011", entry.id)], now=now)
    else:
        papers.record_paper(keys=["arxiv:2411.10011"],
                            values={"canonical_id": "arxiv:2411.10011", "title": entry.title, "status": "listed",
                                    "listed_entry": entry.id, "links": []},
                            feed="lesswrong", item_id="post-1", now=now)
    assert curation.store.decision(paper_id).decision == "listed"
    assert await curation.recover() == 1
    shown = console_out.getvalue()
    assert "📚 Already on the list: Sparse Autoencoders Reveal Feature Family Number 11" in shown
    assert f"Listed as “{entry.title}” under" in shown  # the entry that is it
    late = await curation.vote(paper_id, "white_check_mark", "bob")
    assert (late.counted, late.reason) == (False, f"candidate #{paper_id} is already listed")
    assert curation.papers.candidates() == []
    await curation.recover()  # Discord's and Slack's posts wait for their adapters; the console's is edited once
    assert console_out.getvalue().count("📚 Already on the list") == 1


async def test_an_approval_of_a_paper_added_by_hand_under_another_link_writes_no_second_copy(
        loop_parts, catalogue_dir: Path) -> None:
    """Added by hand while it waited for votes (its PDF, a later version): the approval wrote a second entry, as
    only the same source URL was recognised; GitHub mode's branches already knew it by any spelling of its id."""
    from bot.catalogue.model import Entry, Link
    from bot.catalogue.yaml_write import append_entry

    curation, console_out = loop_parts
    paper_id = add_candidate(curation.db, 11)
    assert await curation.publish_pending() == 1
    post = Posted(curation, paper_id)
    append_entry(catalogue_dir, Entry(id="feature-family-11", title="Feature family 11 (a maintainer's title)",
                                      links=(Link("arxiv 2411", "https://arxiv.org/pdf/2411.10011v2"),)), "probing")
    await curation.handle_vote(post.vote("discord", "111"))
    assert (await curation.handle_vote(post.vote("slack", "U222"))).decision == "approved"
    catalogue = load_catalogue(catalogue_dir)
    assert [e.id for e in catalogue.entries if "2411.10011" in " ".join(link.url for link in e.links)] == [
        "feature-family-11"]
    decision = curation.store.decision(paper_id)
    assert (decision.written, decision.entry_id, decision.error) == (True, "feature-family-11", None)
    assert "already on the list as “Feature family 11 (a maintainer's title)” under" in console_out.getvalue()


async def test_an_approval_of_a_paper_added_by_hand_with_its_venue_link_alone_writes_no_second_copy(
        loop_parts, catalogue_dir: Path) -> None:
    """Added by hand under its title and its venue's page (as most of the list's entries are linked) while it waited
    for votes: the approval wrote the paper a second time, under its arXiv link, as only links were compared."""
    from bot.catalogue.model import Entry, Link
    from bot.catalogue.yaml_write import append_entry

    curation, console_out = loop_parts
    paper_id = add_candidate(curation.db, 12)
    title = "Sparse Autoencoders Reveal Feature Family Number 12 in Language Models"
    assert await curation.publish_pending() == 1
    append_entry(catalogue_dir, Entry(id="feature-family-12", title=title,
                                      links=(Link("ICML 2025", "https://proceedings.mlr.press/v267/family12.html"),)),
                 "probing")
    assert (await curation.decide(paper_id, "approve", person="alice", force=True)).decision == "approved"
    assert [e.id for e in load_catalogue(catalogue_dir).entries if e.title == title] == ["feature-family-12"]
    assert curation.store.decision(paper_id).entry_id == "feature-family-12"
    assert f"already on the list as “{title}” under" in console_out.getvalue()


async def test_an_approval_of_a_paper_added_by_hand_under_its_own_topic_says_it_was_on_the_list(
        loop_parts, catalogue_dir: Path) -> None:
    """Added by hand under the very topic the votes filed it under: nothing was written, but the post said "✅ Added"
    and "Filed under", as only an entry under another topic counted as found on the list."""
    from bot.catalogue.model import Entry, Link
    from bot.catalogue.yaml_write import append_entry

    curation, console_out = loop_parts
    paper_id = add_candidate(curation.db, 13)
    title = "Sparse Autoencoders Reveal Feature Family Number 13 in Language Models"
    assert await curation.publish_pending() == 1
    append_entry(catalogue_dir, Entry(id="feature-family-13", title=title,
                                      links=(Link("ICML 2025", "https://proceedings.mlr.press/v267/family13.html"),)),
                 "sparse-coding")
    assert (await curation.decide(paper_id, "approve", person="alice", force=True)).decision == "approved"
    assert curation.store.decision(paper_id).topic == "sparse-coding"
    assert [e.id for e in load_catalogue(catalogue_dir).entries if e.title == title] == ["feature-family-13"]
    shown = console_out.getvalue()
    assert f"already on the list as “{title}” under" in shown
    assert "✅ Added" not in shown


async def test_a_title_of_long_words_is_approved_and_finished(catalogue_dir: Path, database_url: str) -> None:
    """The entry id is the title's first eight words: eight long ones (a 300-character title, the most a feed gives)
    made an id longer than the database keeps (200), and on PostgreSQL the approval never finished."""
    database = Database.open(database_url)
    curation = Curation(database, CatalogueService(catalogue_dir), settings_for(catalogue_dir, database_url))
    title = " ".join(["Pneumonoultramicroscopicsilicovolcanoconiosis"] * 6)
    paper_id = add_candidate(database, 402, title=title)
    outcome = await curation.decide(paper_id, "approve", person="alice", force=True)
    assert (outcome.decision, outcome.error) == ("approved", None)
    decision = curation.store.decision(paper_id)
    assert decision.written and len(decision.entry_id) <= 80
    assert load_catalogue(catalogue_dir).entry(decision.entry_id).title == title
    database.close()


async def test_hostile_titles_are_stored_and_written_as_plain_text(loop_parts, catalogue_dir: Path) -> None:
    curation, _ = loop_parts
    hostile = '!!python/object/apply:os.system ["echo pwned"] @everyone <!channel> [x](javascript:alert(1))'
    paper_id = add_candidate(curation.db, 9, title=hostile)
    await curation.decide(paper_id, "approve", person="console:me", force=True)
    entry = next(e for e in load_catalogue(catalogue_dir).entries if e.title == hostile)
    assert entry.title == hostile
    readme = (catalogue_dir / "README.md").read_text()
    assert "[x](javascript" not in readme
    assert "\\[x\\]" in readme


async def test_rejections_teach_the_relevance_model(loop_parts) -> None:
    """Decisions are labels: after maintainers reject a kind of paper, the next poll's model scores it lower."""
    from bot.intake.relevance.cache import RelevanceCache

    curation, _ = loop_parts
    cache = RelevanceCache(curation.catalogue, curation.store, threshold=0.5)
    probe = "Sparse autoencoder features for protein language model structure prediction"
    before = cache.model().score(probe).score
    for n, title in enumerate([
        "Sparse autoencoder features for protein folding language models",
        "Sparse autoencoders on protein language models predict structure",
        "Interpretable sparse autoencoder features of protein language models",
    ]):
        paper_id = add_candidate(curation.db, 300 + n, title=title)
        await curation.decide(paper_id, "reject", person="alice")  # a maintainer: the vote counts
    after = cache.model().score(probe).score
    assert after < before


async def test_the_relevance_model_learns_a_decided_linkpost_from_its_papers_text_once_it_arrives(loop_parts) -> None:
    """A forum linkpost was rejected, then the arXiv paper it links arrived and gave the stored paper its own title
    and abstract: `classify` learned from the paper's text, but a running bot's polls kept learning from the
    post's until some other lesson changed."""
    from bot.intake.relevance import RelevanceModel, labels_from
    from bot.intake.relevance.cache import RelevanceCache

    curation, _ = loop_parts
    cache = RelevanceCache(curation.catalogue, curation.store, threshold=0.5)
    store = PaperStore(curation.db)
    post = {"canonical_id": "url:https://forum.example/posts/1", "arxiv_id": None, "title": "New paper (linkpost)",
            "authors": ["poster"], "abstract": "Link.", "abs_url": "", "pdf_url": "",
            "links": [["post", "https://forum.example/posts/1"]], "categories": [], "published": None, "score": 0.5,
            "topics": [], "status": "candidate", "listed_entry": None}
    paper, _ = store.record_paper(keys=["url:https://forum.example/posts/1"], values=post, feed="forum",
                                  item_id="1", now=curation.db.now())
    await curation.decide(paper.id, "reject", person="console:alice", force=True)
    probe = "Knowledge editing of factual associations in language models"
    cache.model().score(probe)  # a poll
    store.record_paper(
        keys=["url:https://forum.example/posts/1", "arxiv:2411.19999"],
        values={**post, "canonical_id": "arxiv:2411.19999", "arxiv_id": "2411.19999",
                "title": "Locating and editing factual associations in language models",
                "abstract": "We edit the factual knowledge of a language model by a rank-one update of its weights.",
                "abs_url": "https://arxiv.org/abs/2411.19999"},
        feed="arxiv-test", item_id="2411.19999", now=curation.db.now())
    lessons = labels_from(curation.store.lessons(forgotten=False))
    fresh = RelevanceModel.build(curation.catalogue.index.catalogue, lessons, threshold=0.5)
    assert curation.store.lessons()[0].title == "Locating and editing factual associations in language models"
    assert cache.model().score(probe) == fresh.score(probe)


async def test_an_approval_can_be_committed_to_git(catalogue_dir: Path, database_url: str) -> None:
    import subprocess

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(catalogue_dir)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "list"], check=True)
    settings = settings_for(catalogue_dir, database_url, git_commit=True)
    database = Database.open(database_url)
    curation = Curation(database, CatalogueService(catalogue_dir), settings)
    paper_id = add_candidate(database, 400)
    await curation.decide(paper_id, "approve", person="alice", force=True)
    log = subprocess.run(["git", "-C", str(catalogue_dir), "log", "-1", "--format=%B"], capture_output=True,
                         text=True, check=True).stdout
    assert "Sparse Autoencoders Reveal Feature Family Number 400" in log
    assert "Approved by alice as an override of the vote count" in log  # one of the two approvals needed: forced
    status = subprocess.run(["git", "-C", str(catalogue_dir), "status", "--porcelain", "--", "*.yaml", "README.md"],
                            capture_output=True, text=True, check=True).stdout
    assert status == ""
    database.close()


async def test_a_commit_of_a_title_with_issue_references_and_mentions_acts_on_nothing(catalogue_dir: Path,
                                                                                       database_url: str) -> None:
    """INTERP_BOT_GIT_COMMIT's commits are pushed to the list's repository by hand: the raw title's "Closes #12"
    closed issue 12 when it reached the default branch. GitHub mode's commits already had a word joiner after # and @.
    """
    import subprocess

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(catalogue_dir)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "list"], check=True)
    database = Database.open(database_url)
    curation = Curation(database, CatalogueService(catalogue_dir), settings_for(catalogue_dir, database_url,
                                                                                git_commit=True))
    paper_id = add_candidate(database, 401, title="Closes #12: what @octocat's probe knows")
    await curation.decide(paper_id, "approve", person="alice", force=True)
    log = subprocess.run([*git, "log", "-1", "--format=%B"], capture_output=True, text=True, check=True).stdout
    assert "#12" not in log and "@octocat" not in log
    assert "Add “Closes #\u206012: what @\u2060octocat's probe knows” to the list" in log
    database.close()


async def test_a_commit_git_refuses_leaves_the_approval_unfinished_with_gits_reason(
        catalogue_dir: Path, database_url: str, caplog, monkeypatch) -> None:
    """With INTERP_BOT_GIT_COMMIT on and a catalogue that is no repository, `decide` said "approved" and exited 0;
    the reason git gave was dropped and nothing retried the commit."""
    import subprocess

    for variable in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):  # the committer the image sets (Dockerfile)
        monkeypatch.setenv(variable, "interp-bot")
    for variable in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(variable, "interp-bot@localhost")

    settings = settings_for(catalogue_dir, database_url, git_commit=True)
    database = Database.open(database_url)
    curation = Curation(database, CatalogueService(catalogue_dir), settings)
    paper_id = add_candidate(database, 410)
    outcome = await curation.decide(paper_id, "approve", person="alice", force=True)
    assert "not a git repository" in (outcome.error or "")
    decision = curation.store.decision(paper_id)
    assert not decision.written
    assert "`git commit` in" in decision.error and "not a git repository" in decision.error
    assert "Feature Family Number 410" in (catalogue_dir / "README.md").read_text(encoding="utf-8")  # written anyway
    assert "Traceback" not in caplog.text

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(catalogue_dir)]
    subprocess.run([*git, "init", "-q"], check=True)
    assert await curation.recover() == 1  # the cause fixed: the next round commits, and writes no second copy
    assert curation.store.decision(paper_id).written
    log = subprocess.run([*git, "log", "--format=%s"], capture_output=True, text=True, check=True).stdout
    title = "Sparse Autoencoders Reveal Feature Family Number 410 in Language Models"
    assert log.splitlines() == [f"Add “{title}” to the list"]
    assert [e.title for e in load_catalogue(catalogue_dir).entries].count(title) == 1
    database.close()


async def test_in_github_mode_a_local_commit_git_refuses_holds_nothing_up(catalogue_dir: Path, database_url: str,
                                                                          caplog) -> None:
    """GitHub mode rebuilds its branches from the approvals in the database: the clone's own commit is a courtesy,
    and an install with no committer identity must still write, announce and publish its approvals."""
    settings = settings_for(catalogue_dir, database_url, github_repo="owner/list")
    assert settings.github_enabled and not settings.git_commit
    database = Database.open(database_url)
    curation = Curation(database, CatalogueService(catalogue_dir), settings)
    paper_id = add_candidate(database, 420)
    outcome = await curation.decide(paper_id, "approve", person="alice", force=True)
    assert (outcome.decision, outcome.error) == ("approved", None)
    assert curation.store.decision(paper_id).written
    assert "`git commit` in" in caplog.text and "GitHub mode publishes the approval all the same" in caplog.text
    database.close()


async def test_each_platforms_publish_job_posts_only_to_its_platform(loop_parts) -> None:
    """Every platform's publish job runs under its own lease; one must never post for another (that raced
    into double posts when two adapters ran in one process)."""
    curation, console_out = loop_parts
    paper_id = add_candidate(curation.db, 500)
    assert await curation.publish_pending("discord") == 0  # no such adapter here: nothing posted anywhere
    assert console_out.getvalue() == ""
    assert await curation.publish_pending("console") == 1
    assert f"candidate #{paper_id}" in console_out.getvalue()
    assert await curation.publish_pending("console") == 0


async def test_recovery_reports_an_approval_it_cannot_finish_and_finishes_the_rest(loop_parts, catalogue_dir: Path,
                                                                                 caplog, capsys) -> None:
    """One approval that cannot be written (its topic was removed from topics.yaml since) must not stop the others,
    nor the bot's start: it is logged, kept for the next round, and `status` names it with the reason."""
    import logging

    from bot.cli import main

    curation, _ = loop_parts
    stuck, fine = add_candidate(curation.db, 20), add_candidate(curation.db, 21)
    for paper_id, topic in ((stuck, "a-topic-since-removed"), (fine, "probing")):
        with curation.db.transaction() as conn:
            curation.store.decide(conn, paper_id=paper_id, decision="approved", topic=topic, deciders=["alice"],
                                  entry_id=None, now=curation.db.now())
    caplog.set_level(logging.ERROR)
    assert await curation.recover() == 1
    assert await curation.recover() == 0  # still stuck, still reported, nothing else to do
    assert f"the approved decision on candidate #{stuck} is not finished" in caplog.text
    assert "no topic 'a-topic-since-removed'" in caplog.text
    assert curation.store.decision(fine).written
    decision = curation.store.decision(stuck)
    assert (decision.written, decision.attempts) == (False, 2)

    code = main(["--catalogue", str(catalogue_dir), "--db", str(curation.db.engine.url.render_as_string(False)),
                 "status", "--json"])
    status = json.loads(capsys.readouterr().out)
    assert code == 0
    (unfinished,) = status["approvals_unfinished"]
    assert unfinished["candidate"] == stuck
    assert unfinished["attempts"] == 2
    assert "no topic 'a-topic-since-removed'" in unfinished["error"]


async def test_recovery_renders_the_readme_a_crash_left_stale(loop_parts, catalogue_dir: Path) -> None:
    """Killed between writing the YAML and rendering the README: recovery finds the entry (no second copy) and
    renders the README (it used to mark the approval written and leave `render --check` failing)."""
    from bot.catalogue.yaml_write import append_entry
    from bot.curation.entries import entry_for

    curation, _ = loop_parts
    paper_id = add_candidate(curation.db, 22)
    with curation.db.transaction() as conn:
        curation.store.decide(conn, paper_id=paper_id, decision="approved", topic="probing", deciders=["alice"],
                              entry_id=None, now=curation.db.now())
    entry = entry_for(curation.papers.paper(paper_id), curation.store.decision(paper_id), set())
    append_entry(catalogue_dir, entry, "probing")
    assert not curation.catalogue.readme_is_current()
    assert await curation.recover() == 1
    assert curation.catalogue.readme_is_current()
    assert [e.id for e in load_catalogue(catalogue_dir).entries].count(entry.id) == 1
