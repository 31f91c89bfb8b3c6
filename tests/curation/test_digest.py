"""The daily digest: grouped, linked, and exactly one per day per channel whatever runs it."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.catalogue.service import CatalogueService
from bot.curation.digest import digest_since, gather, local_day, run_digest
from bot.curation.pipeline import Curation
from bot.store.db import Database
from tests.curation.test_pipeline import add_candidate, settings_for
from tests.fakes.clock import Clock


def make(catalogue_dir: Path, database_url: str, holder: str, out: io.StringIO, **overrides) -> Curation:
    settings = settings_for(catalogue_dir, database_url, **overrides)
    curation = Curation(Database.open(database_url), CatalogueService(catalogue_dir), settings, holder=holder)
    curation.attach(ConsoleAdapter(out))
    return curation


async def test_the_digest_lists_new_candidates_and_additions_with_links(catalogue_dir: Path, database_url: str) -> None:
    out = io.StringIO()
    curation = make(catalogue_dir, database_url, "a", out)
    approved = add_candidate(curation.db, 1)
    add_candidate(curation.db, 2)
    await curation.decide(approved, "approve", person="console:alice", force=True)
    result = await run_digest(curation, curation.settings, dry_run=True)
    text = "\n".join(f"{i.title} {i.detail} {[link.url for link in i.links]}" for i in result.post.reply.items)
    assert "Feature Family Number 1" in text
    assert "added to" in text
    assert "Sparse Coding" in text
    assert "Feature Family Number 2" in text
    assert "candidate #" in text
    assert "https://arxiv.org/abs/2411.10002" in text
    assert out.getvalue() == ""  # a dry run posts nothing
    curation.db.close()


async def test_an_approval_found_on_the_list_is_shown_where_it_stands(catalogue_dir: Path, database_url: str) -> None:
    """Added by hand under Probing while it waited for votes, approved for Visulization: the digest said "added to
    ... Visulization", where nobody will find it."""
    from bot.catalogue.model import Entry, Link
    from bot.catalogue.yaml_write import append_entry

    curation = make(catalogue_dir, database_url, "a", io.StringIO())
    approved = add_candidate(curation.db, 1)
    append_entry(catalogue_dir, Entry(id="family-1", title="Family one, added by hand",
                                      links=(Link("arxiv", "https://arxiv.org/abs/2411.10001"),)), "probing")
    await curation.decide(approved, "approve", person="console:alice", topic="visulization", force=True)
    result = await run_digest(curation, curation.settings, dry_run=True)
    item = next(i for i in result.post.reply.items if "Feature Family Number 1" in i.title)
    assert item.detail == "added to Paper & Blog › By Topic › Tools/Techniques/Methods › Probing"
    curation.db.close()


async def test_a_dry_run_after_the_days_digest_shows_what_the_next_one_holds(catalogue_dir: Path,
                                                                             database_url: str) -> None:
    """After the day's digest went out, `digest --dry-run` showed it again, with everything since beside it: not
    what any digest would post."""
    out = io.StringIO()
    curation = make(catalogue_dir, database_url, "a", out)
    add_candidate(curation.db, 1)
    assert (await run_digest(curation, curation.settings)).posted_to == ("console:terminal",)
    add_candidate(curation.db, 2)
    result = await run_digest(curation, curation.settings, dry_run=True)
    assert [item.title for item in result.post.reply.items] == [
        "Sparse Autoencoders Reveal Feature Family Number 2 in Language Models"]
    assert out.getvalue().count("interp-bot digest") == 1  # the dry run posted nothing
    curation.db.close()


async def test_an_approval_not_written_yet_is_not_announced_as_added(catalogue_dir: Path, database_url: str) -> None:
    """The digest is posted once a day: calling a paper added while its entry could not be written (a broken YAML
    file) would stay false for good."""
    out = io.StringIO()
    curation = make(catalogue_dir, database_url, "a", out)
    approved = add_candidate(curation.db, 1)
    (catalogue_dir / "survey.yaml").write_text("- topic: [unclosed\n", encoding="utf-8")
    outcome = await curation.decide(approved, "approve", person="console:alice", force=True)
    assert outcome.decision == "approved" and outcome.error
    result = await run_digest(curation, curation.settings, dry_run=True)
    assert result.post.reply.text.startswith("0 added to the list · ")
    assert "1 approved but not on the list yet" in result.post.reply.text
    item = next(i for i in result.post.reply.items if "Feature Family Number 1" in i.title)
    assert item.detail.endswith("not on the list yet (`interp-bot status` says why)")
    # Slack's and Discord's maintainers have no shell: the command is named as the operator's.
    in_chat = next(i for i in gather(curation, curation.db.now(), "UTC").post(curation, "/interp ").reply.items
                   if "Feature Family Number 1" in i.title)
    assert in_chat.detail.endswith("not on the list yet (`interp-bot status` on the bot's host says why)")
    curation.db.close()


async def test_exactly_one_digest_per_day_per_channel_across_processes(catalogue_dir: Path, database_url: str) -> None:
    outputs = [io.StringIO(), io.StringIO()]
    first = make(catalogue_dir, database_url, "process-1", outputs[0])
    second = make(catalogue_dir, database_url, "process-2", outputs[1])
    add_candidate(first.db, 3)
    results = await asyncio.gather(run_digest(first, first.settings), run_digest(second, second.settings))
    assert sum(len(r.posted_to) for r in results) == 1
    assert sum(len(r.skipped) for r in results) == 1
    again = await run_digest(first, first.settings)  # a restart later the same day
    assert again.posted_to == ()
    assert again.skipped == ("console:terminal",)
    day = local_day(first.db.now(), "UTC")
    assert first.store.digest_count(day) == 1
    assert sum(o.getvalue().count("interp-bot digest") for o in outputs) == 1
    first.db.close()
    second.db.close()


async def test_an_empty_day_is_skipped_or_posted_as_configured(catalogue_dir: Path, database_url: str,
                                                               tmp_path: Path) -> None:
    quiet = io.StringIO()
    curation = make(catalogue_dir, database_url, "a", quiet)
    result = await run_digest(curation, curation.settings)
    assert result.empty
    assert result.posted_to == ()
    assert quiet.getvalue() == ""
    assert (await run_digest(curation, curation.settings)).skipped == ("console:terminal",)  # still nothing
    # A paper arrives later that day: the day's digest, which was never posted, is posted now (a later run said
    # "today's digest was already posted" and the paper waited a day).
    add_candidate(curation.db, 5)
    later = await run_digest(curation, curation.settings)
    assert later.posted_to == ("console:terminal",)
    assert "Feature Family Number 5" in quiet.getvalue()
    assert (await run_digest(curation, curation.settings)).skipped == ("console:terminal",)  # and once only
    assert quiet.getvalue().count("interp-bot digest") == 1
    curation.db.close()

    chatty = io.StringIO()
    curation = make(catalogue_dir, f"sqlite:///{tmp_path / 'chatty.db'}", "b", chatty, digest_on_empty="post",
                    timezone="Pacific/Auckland")
    result = await run_digest(curation, curation.settings)
    assert result.posted_to == ("console:terminal",)
    assert "Nothing new today." in chatty.getvalue()
    assert result.day == datetime.now(UTC).astimezone(ZoneInfo("Pacific/Auckland")).date().isoformat()
    curation.db.close()


async def test_a_late_digest_of_an_empty_day_is_not_posted_again_the_next_day(catalogue_dir: Path,
                                                                               database_url: str) -> None:
    """The digest looked back 24 hours: a paper a late run posted at 15:00 (its day empty at 09:00) came again in
    the next morning's digest."""
    out = io.StringIO()
    curation = make(catalogue_dir, database_url, "a", out)
    clock = {"now": datetime(2026, 12, 1, 9, 0, tzinfo=UTC)}
    curation.db.clock = lambda: clock["now"]
    assert (await run_digest(curation, curation.settings)).posted_to == ()  # 09:00: nothing yet
    clock["now"] = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    add_candidate(curation.db, 7)
    assert (await run_digest(curation, curation.settings)).posted_to == ("console:terminal",)  # the late run
    clock["now"] = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    add_candidate(curation.db, 8)
    next_day = await run_digest(curation, curation.settings)
    assert next_day.posted_to == ("console:terminal",)
    titles = [item.title for item in next_day.post.reply.items]
    assert any("Feature Family Number 8" in title for title in titles)
    assert not any("Feature Family Number 7" in title for title in titles)
    assert out.getvalue().count("Feature Family Number 7") == 1
    curation.db.close()


async def test_the_next_digest_starts_where_the_earliest_channel_left_off(catalogue_dir: Path,
                                                                         database_url: str) -> None:
    """Discord's digest went out at 09:00 and Slack's, retried, at 09:20: the next day's started at 09:20 for
    everyone, and a paper of 09:10 reached no Discord digest. Now each channel starts where its own stopped, and
    a dry run shows what the channel furthest behind gets."""
    curation = make(catalogue_dir, database_url, "a", io.StringIO())
    store = curation.store
    for channel, minute in (("discord:D1", 0), ("slack:C1", 20)):
        at = datetime(2026, 12, 1, 9, minute, tzinfo=UTC)
        store.db.clock = lambda at=at: at
        assert store.claim_digest(channel, "2026-12-01", "h", stale_after=timedelta(minutes=10), covers_until=at)
        store.finish_digest(channel, "2026-12-01", "posted")
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    tick = timedelta(microseconds=1)
    assert digest_since(curation, now, "2026-12-02", ["discord:D1", "slack:C1"]) == datetime(2026, 12, 1, 9, 0,
                                                                                             tzinfo=UTC) + tick
    assert digest_since(curation, now, "2026-12-02", ["slack:C1"]) == datetime(2026, 12, 1, 9, 20, tzinfo=UTC) + tick
    # A channel that never had a digest gets the last 24 hours, and counts among the furthest behind.
    assert digest_since(curation, now, "2026-12-02", ["console:terminal"]) == now - timedelta(days=1)
    assert digest_since(curation, now, "2026-12-02", ["slack:C1", "console:terminal"]) == now - timedelta(days=1)
    curation.db.close()


def test_a_dry_run_shows_what_the_next_digest_will_post(catalogue_dir: Path, database_url: str, capsys) -> None:
    """The dry run attached no channel, so it looked back 24 hours whatever the last digest covered: "Nothing new
    today" for a candidate the real run then posted."""
    from bot.cli import main

    curation = make(catalogue_dir, database_url, "a", io.StringIO())
    clock = Clock(datetime.now(UTC) - timedelta(days=3))
    curation.db.clock = clock
    add_candidate(curation.db, 6)
    assert asyncio.run(run_digest(curation, curation.settings)).posted_to == ("console:terminal",)
    clock.now = datetime.now(UTC) - timedelta(days=2)
    add_candidate(curation.db, 7)
    curation.db.close()
    args = ["--catalogue", str(catalogue_dir), "--db", database_url, "digest", "--dry-run"]
    assert main(args) == 0
    shown = capsys.readouterr().out
    assert "Feature Family Number 7" in shown and "Feature Family Number 6" not in shown


async def test_the_result_shows_the_digest_a_channel_was_sent(catalogue_dir: Path, database_url: str) -> None:
    """It showed whichever channel came last: the second channel's "Nothing new today" (its last digest covered
    the new candidate already) though the first had just posted it."""
    curation = make(catalogue_dir, database_url, "a", io.StringIO())
    second = ConsoleAdapter(io.StringIO())
    second.platform = "later"  # a second digest channel, attached after the console
    curation.attach(second)
    for channel, hour in (("console:terminal", 8), ("later:terminal", 12)):  # yesterday's digests
        at = datetime(2025, 11, 2, hour, 0, tzinfo=UTC)
        curation.db.clock = lambda at=at: at
        assert curation.store.claim_digest(channel, "2025-11-02", "h", stale_after=timedelta(minutes=10),
                                           covers_until=at)
        curation.store.finish_digest(channel, "2025-11-02", "posted")
    curation.db.clock = lambda: datetime(2025, 11, 2, 10, 0, tzinfo=UTC)
    add_candidate(curation.db, 1)  # after the console's digest, before the second channel's
    curation.db.clock = lambda: datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
    result = await run_digest(curation, curation.settings)
    assert (result.posted_to, result.unposted) == (("console:terminal",), ("later:terminal",))
    assert not result.empty and any("Feature Family Number 1" in item.title for item in result.post.reply.items)
    curation.db.close()


def _berlin(catalogue_dir: Path, database_url: str, clock: Clock, out: io.StringIO) -> Curation:
    curation = make(catalogue_dir, database_url, "a", out, timezone="Europe/Berlin", digest_time="23:55")
    curation.db.clock = clock
    return curation


async def _approve(curation: Curation, n: int) -> None:
    await curation.decide(add_candidate(curation.db, n), "approve", person="alice", force=True)


async def test_a_day_whose_digest_did_not_run_is_in_the_next_one(catalogue_dir: Path, database_url: str) -> None:
    """The digest looked back 24 hours: approvals of a day whose digest did not run (the bot restarted just after
    its time) were in no digest."""
    clock, out = Clock(datetime(2025, 11, 5, 22, 55, tzinfo=UTC)), io.StringIO()  # Wednesday 23:55 in Berlin
    curation = _berlin(catalogue_dir, database_url, clock, out)
    await run_digest(curation, curation.settings)
    clock.now = datetime(2025, 11, 6, 10, 0, tzinfo=UTC)  # Thursday: approved; no digest that night
    await _approve(curation, 1)
    clock.now = datetime(2025, 11, 7, 22, 55, tzinfo=UTC)  # Friday's digest
    friday = await run_digest(curation, curation.settings)
    assert friday.posted_to == ("console:terminal",)
    assert any("Feature Family Number 1" in item.title for item in friday.post.reply.items)
    curation.db.close()


async def test_the_day_daylight_saving_ends_is_covered_whole(catalogue_dir: Path, database_url: str) -> None:
    """A 25-hour day: what was approved in its first hour was more than 24 hours before its digest."""
    clock, out = Clock(datetime(2026, 10, 24, 21, 55, tzinfo=UTC)), io.StringIO()  # Saturday 23:55 CEST
    curation = _berlin(catalogue_dir, database_url, clock, out)
    await run_digest(curation, curation.settings)
    clock.now = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)  # Sunday 00:30 CEST
    await _approve(curation, 2)
    clock.now = datetime(2026, 10, 25, 22, 55, tzinfo=UTC)  # Sunday 23:55 CET
    sunday = await run_digest(curation, curation.settings)
    assert any("Feature Family Number 2" in item.title for item in sunday.post.reply.items)
    curation.db.close()


async def test_a_digest_run_just_past_midnight_loses_nothing(catalogue_dir: Path, database_url: str) -> None:
    """The 23:55 run, 8 minutes late, counted as the next day's: that evening's run was 'already posted', and the
    day after looked back 24 hours, past the paper approved in between."""
    clock, out = Clock(datetime(2025, 11, 8, 23, 3, tzinfo=UTC)), io.StringIO()  # Sunday 00:03 in Berlin
    curation = _berlin(catalogue_dir, database_url, clock, out)
    add_candidate(curation.db, 6)
    assert (await run_digest(curation, curation.settings)).day == "2025-11-09"  # Saturday's, posted as Sunday's
    clock.now = datetime(2025, 11, 9, 10, 0, tzinfo=UTC)
    await _approve(curation, 3)
    clock.now = datetime(2025, 11, 9, 22, 55, tzinfo=UTC)  # Sunday 23:55: that day's digest was the late one
    assert (await run_digest(curation, curation.settings)).posted_to == ()
    clock.now = datetime(2025, 11, 10, 22, 55, tzinfo=UTC)  # Monday 23:55
    monday = await run_digest(curation, curation.settings)
    assert any("Feature Family Number 3" in item.title for item in monday.post.reply.items)
    curation.db.close()


async def test_after_a_long_outage_the_digest_reaches_back_a_week(catalogue_dir: Path, database_url: str) -> None:
    clock, out = Clock(datetime(2025, 11, 1, 22, 55, tzinfo=UTC)), io.StringIO()
    curation = _berlin(catalogue_dir, database_url, clock, out)
    await run_digest(curation, curation.settings)
    for n, day in ((4, 2), (5, 10)):  # a paper 9 days before the next digest, and one 1 day before
        clock.now = datetime(2025, 11, day, 10, 0, tzinfo=UTC)
        await _approve(curation, n)
    clock.now = datetime(2025, 11, 11, 22, 55, tzinfo=UTC)
    titles = [item.title for item in (await run_digest(curation, curation.settings)).post.reply.items]
    assert any("Feature Family Number 5" in title for title in titles)
    assert not any("Feature Family Number 4" in title for title in titles)
    curation.db.close()


def _paper_values(n: int, score: float) -> dict:
    arxiv = f"2411.{20000 + n:05d}"
    return {"canonical_id": f"arxiv:{arxiv}", "arxiv_id": arxiv, "title": f"Steering vectors, part {n}",
            "authors": ["Ada Lovelace"], "abstract": "We steer a language model.", "abs_url": f"https://arxiv.org/abs/{arxiv}",
            "pdf_url": "", "links": [], "categories": ["cs.CL"], "published": None, "score": score,
            "topics": [{"slug": "probing", "title": "Probing", "path": "…", "score": 0.5}], "status": "candidate",
            "listed_entry": None}


async def test_the_digest_and_candidates_all_show_what_the_daily_budget_held_back(
        catalogue_dir: Path, database_url: str, capsys) -> None:
    from datetime import timedelta

    from bot.cli import main
    from bot.store.papers import CandidateBudget

    curation = make(catalogue_dir, database_url, "a", io.StringIO())
    now = curation.db.now()
    budget = CandidateBudget(since=now - timedelta(hours=1), limit=1)
    scores = [0.5, 0.97, 0.8, 0.6]
    curation.papers.record_batch([([f"arxiv:2411.{20000 + n:05d}"], _paper_values(n, s), f"item-{n}")
                                  for n, s in enumerate(scores)], feed="arxiv-cs-cl", now=now, budget=budget)
    assert [p.title for p in curation.papers.candidates()] == ["Steering vectors, part 1"]  # the best one
    result = await run_digest(curation, curation.settings, dry_run=True)
    assert "1 new candidate(s) awaiting votes" in result.post.reply.text
    assert "3 more relevant paper(s) held back by the daily budget (`interp-bot candidates --all` lists them)" \
        in result.post.reply.text
    curation.db.close()

    code = main(["--catalogue", str(catalogue_dir), "--db", database_url, "candidates", "--all", "--json"])
    listed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(p["title"][-6:], p["score"], p["held_back"]) for p in listed] == [
        ("part 1", 0.97, False), ("part 2", 0.8, True), ("part 3", 0.6, True), ("part 0", 0.5, True)]
    main(["--catalogue", str(catalogue_dir), "--db", database_url, "candidates", "--all"])
    text = capsys.readouterr().out
    assert "1 pending candidate, 3 held back by the daily budget" in text
    assert "held back " in text and "by the daily budget · relevance 0.80" in text
    main(["--catalogue", str(catalogue_dir), "--db", database_url, "candidates", "--json"])
    assert len(json.loads(capsys.readouterr().out)) == 1

    # What `--all` shows can be decided: a maintainer's vote or decision promotes a held-back paper, which then
    # counts as usual, against today's budget (unless decided at once), and expires counted from its promotion.
    held = {p["title"][-6:]: p["id"] for p in listed}
    curation = make(catalogue_dir, database_url, "a", io.StringIO())
    later = now + timedelta(days=20)  # a maintainer goes through `--all` weeks later
    curation.db.clock = lambda: later
    # Taking back a vote never cast changes nothing, and promotes nothing (it used to spend the day's budget).
    withdrawn = await curation.vote(held["part 2"], "white_check_mark", "alice", added=False)
    assert not withdrawn.counted
    assert withdrawn.reason == (f"#{held['part 2']} is not a candidate yet: the daily budget held it back (a vote or "
                                "decision makes it one)")  # it said "scored it below the relevance threshold"
    assert curation.papers.paper(held["part 2"]).status == "seen"
    outcome = await curation.vote(held["part 2"], "white_check_mark", "alice")
    assert (outcome.counted, outcome.reason, outcome.decision) == (True, "counted: 1 of 2 approvals, 0 of 1 "
                                                                         "rejections", None)
    promoted = curation.papers.paper(held["part 2"])
    assert (promoted.status, promoted.candidate_at) == ("candidate", later)
    assert curation.papers.candidates_since(later) == 1  # it counts against that day's budget
    expiry = timedelta(days=curation.settings.candidate_expiry_days)
    curation.db.clock = lambda: later + expiry - timedelta(minutes=1)
    assert await curation.expire() == 1  # part 1, a candidate since `now`; the promoted one runs from `later`
    assert curation.papers.paper(held["part 1"]).status == "expired"
    assert curation.papers.paper(held["part 2"]).status == "candidate"
    outcome = await curation.decide(held["part 3"], "reject", person="alice", force=True)
    assert (outcome.decision, outcome.reason) == ("rejected", "decided")
    assert [p.title[-6:] for p in curation.papers.held_back()] == ["part 0"]  # the rest stay held back
    curation.papers.record_batch([(["arxiv:2411.29999"], _paper_values(9, 0.1) | {"status": "seen"}, "item-9")],
                                 feed="arxiv-cs-cl", now=now)
    seen = next(p for p in curation.papers.papers() if p.title.endswith("part 9"))
    outcome = await curation.decide(seen.id, "approve", person="alice", force=True)
    assert outcome.reason == f"#{seen.id} is not a candidate: the intake scored it below the relevance threshold"
    # Relevant, but past a new feed's first-poll quota: it said "scored it below the relevance threshold" too.
    curation.papers.record_batch([(["arxiv:2411.29998"], _paper_values(8, 0.9) | {"status": "seen"}, "item-8")],
                                 feed="arxiv-cs-cl", now=now)
    quota = next(p for p in curation.papers.papers() if p.title.endswith("part 8"))
    outcome = await curation.vote(quota.id, "white_check_mark", "alice")
    assert outcome.reason == (f"#{quota.id} is not a candidate: it came with a new feed's first poll, which puts "
                              "forward only its newest relevant papers (INTERP_BOT_FIRST_POLL_MAX_ITEMS)")
    curation.db.close()


async def test_a_held_back_paper_added_to_the_list_by_hand_is_offered_no_more(catalogue_dir: Path, database_url: str,
                                                                              capsys) -> None:
    """A maintainer added two held-back papers to the list by hand, one by its arXiv link (the PDF's), one under its
    title with its venue's link alone: `candidates --all` still offered both as held back, and the digest and
    `status` counted them, though approving either only says it is on the list already."""
    from bot.catalogue.model import Entry, Link
    from bot.catalogue.yaml_write import append_entry
    from bot.cli import main
    from bot.store.papers import CandidateBudget

    curation = make(catalogue_dir, database_url, "a", io.StringIO())
    now = curation.db.now()
    titles = ["Refusal is mediated by one steering direction", "Sparse probing of truthfulness features",
              "Attention sinks explain massive activations"]
    curation.papers.record_batch([([f"arxiv:2411.{20000 + n:05d}"], _paper_values(n, 0.9) | {"title": title},
                                   f"item-{n}") for n, title in enumerate(titles, 1)],
                                 feed="arxiv-cs-cl", now=now, budget=CandidateBudget(since=now - timedelta(hours=1),
                                                                                     limit=0))
    append_entry(catalogue_dir, Entry(id="by-link", title="Refusal directions (added by hand)",
                                      links=(Link("arxiv", "https://arxiv.org/pdf/2411.20001v2"),)), "sparse-coding")
    append_entry(catalogue_dir, Entry(id="by-title", title="Sparse Probing of Truthfulness Features",
                                      links=(Link("ICLR 2025", "https://openreview.net/forum?id=Trut4fUl"),)),
                 "sparse-coding")
    digest = await run_digest(curation, curation.settings, dry_run=True)
    assert "1 more relevant paper(s) held back by the daily budget" in digest.post.reply.text
    by_link = next(p.id for p in curation.papers.held_back() if p.title == titles[0])
    curation.db.close()
    base = ["--catalogue", str(catalogue_dir), "--db", database_url]

    assert main([*base, "candidates", "--all"]) == 0
    text = capsys.readouterr().out
    assert "0 pending candidates, 1 held back by the daily budget" in text
    assert titles[2] in text
    assert titles[0] not in text and titles[1] not in text
    assert main([*base, "candidates", "--all", "--json"]) == 0
    assert [paper["title"] for paper in json.loads(capsys.readouterr().out)] == [titles[2]]
    main([*base, "status", "--json"])
    assert json.loads(capsys.readouterr().out)["budget"]["held_back_today"] == 1
    # What approving one says, by the same rule (filed by hand elsewhere than the topic it was suggested for).
    assert await asyncio.to_thread(main, [*base, "decide", str(by_link), "approve", "--force"]) == 0
    assert "already on the list as `by-link` under sparse-coding; nothing written" in capsys.readouterr().out


async def test_candidates_all_lists_what_was_held_back_while_a_candidate_would_still_wait(
        catalogue_dir: Path, database_url: str, capsys) -> None:
    """Held-back papers never left `--all`: weeks of them piled up beside today's, told apart only in text."""
    from bot.cli import main
    from bot.store.papers import CandidateBudget

    curation = make(catalogue_dir, database_url, "a", io.StringIO())
    expiry = timedelta(days=curation.settings.candidate_expiry_days)
    for n, when in ((1, curation.db.now() - expiry - timedelta(days=1)), (2, curation.db.now() - timedelta(hours=2))):
        budget = CandidateBudget(since=when - timedelta(hours=1), limit=0)
        curation.papers.record_batch([([f"arxiv:2411.{20000 + n:05d}"], _paper_values(n, 0.9), f"item-{n}")],
                                     feed="arxiv-cs-cl", now=when, budget=budget)
    curation.db.close()
    assert main(["--catalogue", str(catalogue_dir), "--db", database_url, "candidates", "--all", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [p["title"][-6:] for p in listed] == ["part 2"]
    assert listed[0]["held_back"] is True and listed[0]["held_back_at"].startswith(local_day(
        datetime.now(UTC) - timedelta(hours=2), "UTC"))


def test_candidates_all_in_the_console_lists_what_the_digest_says_was_held_back(catalogue_dir: Path,
                                                                         database_url: str) -> None:
    """The digest says "`interp-bot candidates --all` lists them"; the console's `candidates` had no --all, so a
    maintainer curating there could not see the papers held back, nor vote one forward."""
    from bot.chat.values import Actor
    from bot.commands import Commands
    from bot.curation.maintainer_commands import register_curation_commands
    from bot.store.papers import CandidateBudget

    curation = make(catalogue_dir, database_url, "a", io.StringIO())
    now = curation.db.now()
    curation.papers.record_batch([([f"arxiv:2411.{20000 + n:05d}"], _paper_values(n, 0.9 - n / 10), f"item-{n}")
                                  for n in (1, 2)], feed="arxiv-cs-cl", now=now,
                                 budget=CandidateBudget(since=now - timedelta(hours=1), limit=1))
    commands = Commands(curation.catalogue)
    register_curation_commands(commands, curation, asyncio.run)
    maintainer = Actor(platform="console", user_id="console", is_maintainer=True)
    pending = commands.execute("candidates", actor=maintainer)
    assert [item.title[-6:] for item in pending.items] == ["part 1"]
    every = commands.execute("candidates --all", actor=maintainer)
    assert every.title == "Pending candidates, 1 held back by the daily budget"
    assert [item.title[-6:] for item in every.items] == ["part 1", "part 2"]
    assert every.items[1].detail.startswith(f"held back {local_day(now, 'UTC')} by the daily budget")
    for line in ("candidates sae", "candidates --all 2"):  # not silently the plain list
        assert commands.execute(line, actor=maintainer).title == "candidates takes only --all", line
    curation.db.close()


async def test_candidates_all_dates_a_held_back_paper_by_the_budgets_day_in_the_time_zone(
        catalogue_dir: Path, database_url: str, capsys, monkeypatch) -> None:
    """The budget counts days in INTERP_BOT_TIMEZONE; `--all` said the UTC date, another day for half the world."""
    from zoneinfo import ZoneInfo

    from bot.cli import main
    from bot.store.papers import CandidateBudget

    curation = make(catalogue_dir, database_url, "a", io.StringIO())
    now = curation.db.now()
    zone = "Etc/GMT+12" if now.hour < 12 else "Etc/GMT-14"  # a day other than UTC's, whatever the hour
    curation.papers.record_batch([(["arxiv:2411.20001"], _paper_values(1, 0.9), "item-1")], feed="arxiv-cs-cl",
                                 now=now, budget=CandidateBudget(since=now - timedelta(hours=1), limit=0))
    curation.db.close()
    monkeypatch.setenv("INTERP_BOT_TIMEZONE", zone)
    assert main(["--catalogue", str(catalogue_dir), "--db", database_url, "candidates", "--all"]) == 0
    local = now.astimezone(ZoneInfo(zone)).date().isoformat()
    assert local != now.date().isoformat()
    assert f"held back {local} by the daily budget" in capsys.readouterr().out


@pytest.mark.parametrize(("reads_commands", "named"), [(True, "`candidates --all`"),
                                                      (False, "`interp-bot candidates --all`")])
async def test_the_digest_in_a_console_that_takes_commands_names_them_as_typed_at_its_prompt(
        catalogue_dir: Path, tmp_path: Path, reads_commands: bool, named: str) -> None:
    """Under `interp-bot run --adapter console` the digest said "`interp-bot candidates --all` lists them" above an
    `interp>` prompt where the command is `candidates --all`. A console that only prints (a one-shot `interp-bot
    digest`, a service's output) is read at a shell, and still names the shell's command."""
    from bot.app import App
    from bot.store.papers import CandidateBudget

    out = io.StringIO()
    app = App(settings_for(catalogue_dir, f"sqlite:///{tmp_path / 'bot.db'}", feeds_file=tmp_path / "no-feeds.yaml"))
    # As `interp-bot run` adds it in a terminal, and as `interp-bot digest` or a service does.
    app.add_adapter("console", stream=out, **({"reads_commands": True} if reads_commands else {}))
    now = app.database.now()  # a poll left a paper the day's spent budget held back
    app.curation.papers.record_batch([(["arxiv:2411.20001"], _paper_values(1, 0.9), "item-1")], feed="arxiv-cs-cl",
                                     now=now, budget=CandidateBudget(since=now - timedelta(hours=1), limit=0))
    try:
        assert (await app.digest()).posted_to == ("console:terminal",)
    finally:
        app.database.close()
    assert f"1 more relevant paper(s) held back by the daily budget ({named} lists them)" in out.getvalue()
    assert f"{named.replace('candidates --all', 'recent')} lists what was added" in out.getvalue()


async def test_a_dry_run_in_the_first_hour_of_the_day_daylight_saving_ends_leaves_out_the_days_digest(
        catalogue_dir: Path, database_url: str) -> None:
    """At 00:30 on the 25-hour day, 24 hours on was still the same day: the dry run showed the digest already posted
    that night again, as if it were the next one."""
    clock, out = Clock(datetime(2026, 10, 24, 22, 5, tzinfo=UTC)), io.StringIO()  # Sunday 00:05 CEST
    curation = _berlin(catalogue_dir, database_url, clock, out)
    add_candidate(curation.db, 1)
    assert (await run_digest(curation, curation.settings)).day == "2026-10-25"
    clock.now = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)  # Sunday 00:30 CEST
    add_candidate(curation.db, 2)
    result = await run_digest(curation, curation.settings, dry_run=True)
    assert [item.title for item in result.post.reply.items] == [
        "Sparse Autoencoders Reveal Feature Family Number 2 in Language Models"]
    curation.db.close()


async def test_a_digest_too_long_for_one_slack_message_says_how_many_are_left_and_where_to_see_them(
        catalogue_dir: Path, database_url: str) -> None:
    """300 new candidates and 50 approvals: Slack takes 50 blocks. The cut said "… more than fits in one
    message", with no count, and took the footer (which says where to vote and `/interp recent`) with it."""
    from bot.adapters.slack.render import post_blocks
    from tests.fakes.slack_fake import block_kit_problems

    curation = make(catalogue_dir, database_url, "a", io.StringIO())
    ids = [add_candidate(curation.db, n, title=f"Paper {n}") for n in range(1, 351)]
    for paper_id in ids[:50]:
        await curation.decide(paper_id, "approve", person="console:alice", force=True)
    post = gather(curation, curation.db.now(), "UTC").post(curation, "/interp ")
    blocks = post_blocks(post)
    assert block_kit_problems(blocks) == []
    texts = [str(block) for block in blocks]
    shown = sum("Paper " in text for text in texts)
    assert f"…and {350 - shown} more" in texts[-2]
    assert "Vote on candidates in the maintainers' channel" in texts[-1] and "/interp recent" in texts[-1]
    curation.db.close()
