"""A poll against a loopback server: good feeds yield candidates, bad ones are contained and backed off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.curation.pipeline import Curation
from bot.intake.poll import Intake
from bot.intake.sources import FeedSpec
from bot.settings import load_settings
from tests.fakes.feed_server import FeedServer
from tests.intake.conftest import feed, forget_arxiv_field


def statuses(parts: dict[str, Any]) -> dict[str, str]:
    return {p.title: p.status for p in parts["intake"].store.papers()}


async def test_good_feeds_give_candidates_and_bad_ones_are_contained(parts, feed_server: FeedServer) -> None:
    intake: Intake = parts["intake"]
    feeds = [
        feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss"),
        feed(feed_server, "lesswrong", "/feeds/lesswrong-frontpage.xml"),
        feed(feed_server, "overloaded", "/status/503?retry_after=7200", "rss"),
        feed(feed_server, "hangs", "/slow", "rss"),
        feed(feed_server, "garbage", "/garbage", "rss"),
        feed(feed_server, "huge", "/huge?mb=50", "rss"),
        feed(feed_server, "to-private", "/redirect?to=http://10.0.0.1/feed", "rss"),
        feed(feed_server, "empty", "/feeds/reader-empty.atom", "rss"),
    ]
    reports = {r.feed: r for r in await intake.poll(feeds, force=True)}
    assert reports["arxiv-cs-cl"].status == "ok"
    assert reports["lesswrong"].status == "ok"
    failed = {name for name, r in reports.items() if r.status == "failed"}
    assert failed == {"overloaded", "hangs", "garbage", "huge", "to-private", "empty"}
    assert "entries" in reports["empty"].error or "item" in reports["empty"].error

    titles = statuses(parts)
    assert titles["Patchscopes: A Unifying Framework for Inspecting Hidden Representations of Language Models"] \
        == "candidate"
    # Already on the list: the logit lens post. Replacements (new versions) in the listing are not new papers.
    assert titles["interpreting GPT: the logit lens"] == "listed"
    assert "Interpretability in the Wild: a Circuit for Indirect Object Identification in GPT-2 small" not in titles

    # Failures are counted and backed off, honouring Retry-After; nothing else was lost.
    state = intake.store.feed_state("overloaded")
    assert state.consecutive_failures == 1
    assert state.last_error == "HTTP 503 (Retry-After 7200 s)"
    assert state.next_poll_at >= parts["clock"].now + timedelta(seconds=7200)
    assert intake.store.feed_state("lesswrong").consecutive_failures == 0


async def test_a_forced_poll_still_waits_as_the_servers_retry_after_asks(parts, feed_server: FeedServer) -> None:
    """`interp-bot poll` polls every feed whatever its schedule: three runs in a row made three requests to a
    server that had answered 429 with Retry-After: 3600."""
    intake: Intake = parts["intake"]
    throttled = feed(feed_server, "throttled", "/status/429?retry_after=3600", "rss")
    assert (await intake.poll_feed(throttled, force=True)).error == "HTTP 429 (Retry-After 3600 s)"
    parts["clock"].now += timedelta(minutes=10)
    again = await intake.poll_feed(throttled, force=True)
    until = intake.store.feed_state("throttled").retry_after_until
    assert (again.status, again.error) == ("skipped", f"the server asked us to wait until {until:%Y-%m-%d %H:%M} UTC "
                                                      "(Retry-After)")
    assert again.summary().startswith("throttled: not polled — the server asked us to wait until")
    assert len(feed_server.requests_to("/status/429")) == 1
    parts["clock"].now += timedelta(minutes=51)  # the hour is over: asked again
    assert (await intake.poll_feed(throttled, force=True)).status == "failed"
    assert len(feed_server.requests_to("/status/429")) == 2


async def test_a_servers_retry_after_holds_back_its_other_feeds_too(parts, feed_server: FeedServer) -> None:
    """429 and 503 are the server's word to this client: its other feeds asked again at once, and kept asking."""
    intake: Intake = parts["intake"]
    assert (await intake.poll_feed(feed(feed_server, "overloaded", "/status/503?retry_after=3600", "rss"))).error \
        == "HTTP 503 (Retry-After 3600 s)"
    parts["clock"].now += timedelta(minutes=10)
    lesswrong = feed(feed_server, "lesswrong", "/feeds/lesswrong-frontpage.xml")
    sibling = await intake.poll_feed(lesswrong)
    assert sibling.summary() == ("lesswrong: not polled — the server asked us to wait until 2026-11-24 10:00 UTC "
                                 "(Retry-After: HTTP 503 from 127.0.0.1 to another request)")
    assert feed_server.requests_to("/feeds/") == []
    assert intake.store.feed_state("lesswrong").consecutive_failures == 0  # waiting as asked is no failure
    parts["clock"].now += timedelta(minutes=50)  # the hour is over
    assert (await intake.poll_feed(lesswrong)).status == "ok"


async def test_the_next_poll_is_conditional_and_skips_feeds_not_yet_due(parts, feed_server: FeedServer) -> None:
    intake: Intake = parts["intake"]
    lesswrong = feed(feed_server, "lesswrong", "/feeds/lesswrong-frontpage.xml", interval_minutes=60)
    assert (await intake.poll_feed(lesswrong)).status == "ok"
    assert (await intake.poll_feed(lesswrong)).status == "skipped"  # not due for an hour
    parts["clock"].now += timedelta(minutes=61)
    assert (await intake.poll_feed(lesswrong)).status == "not_modified"
    last = feed_server.requests_to("/feeds/lesswrong")[-1]
    assert last.headers.get("If-None-Match")
    assert last.headers["User-Agent"].startswith("interp-bot/")


async def test_a_304_that_renames_the_validators_updates_them(parts, feed_server: FeedServer, feeds_dir) -> None:
    """RFC 9111 §4.3.4: a 304 updates the stored response's headers. The validators a 304 brought were dropped, so
    once the server forgot the old tag, every poll fetched the whole unchanged feed again."""
    intake: Intake = parts["intake"]
    body = (feeds_dir / "lesswrong-frontpage.xml").read_bytes()
    lesswrong = FeedSpec(name="lesswrong", kind="forum_rss", url=feed_server.serve(
        "lw", body, {"ETag": '"v1"', "Last-Modified": "Mon, 23 Nov 2026 08:00:00 GMT"}))
    assert (await intake.poll_feed(lesswrong, force=True)).status == "ok"
    # A new deploy names the same feed "v2", and still answers "v1" with a 304 carrying the new names...
    renamed = {"ETag": '"v2"', "Last-Modified": "Tue, 24 Nov 2026 08:00:00 GMT"}
    feed_server.serve("lw", body, renamed, matches=('"v1"',))
    assert (await intake.poll_feed(lesswrong, force=True)).summary() == "lesswrong: not modified since the last poll"
    # ...for a while: then only "v2" is "not modified".
    feed_server.serve("lw", body, renamed)
    report = await intake.poll_feed(lesswrong, force=True)
    assert report.summary() == "lesswrong: not modified since the last poll"
    sent = feed_server.requests_to("/served/lw")[-1].headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"v2"', "Tue, 24 Nov 2026 08:00:00 GMT")


async def test_a_200_without_validators_forgets_the_old_ones(parts, feed_server: FeedServer, feeds_dir) -> None:
    """The stored validators describe the last whole response: one that carried none leaves nothing to send."""
    intake: Intake = parts["intake"]
    lesswrong = FeedSpec(name="lesswrong", kind="forum_rss", url=feed_server.serve(
        "lw", (feeds_dir / "lesswrong-frontpage.xml").read_bytes()))
    assert (await intake.poll_feed(lesswrong, force=True)).status == "ok"
    feed_server.serve("lw", (feeds_dir / "alignment-forum.xml").read_bytes(), {"ETag": None, "Last-Modified": None})
    assert (await intake.poll_feed(lesswrong, force=True)).status == "ok"
    assert (await intake.poll_feed(lesswrong, force=True)).status == "ok"  # asked unconditionally: the whole feed
    sent = feed_server.requests_to("/served/lw")[-1].headers
    assert "If-None-Match" not in sent and "If-Modified-Since" not in sent


async def test_a_feed_that_moved_for_good_is_said_once_and_still_polled_where_the_file_says(
        parts, feed_server: FeedServer, caplog) -> None:
    """A 301 was followed on every poll, silently: the feeds file kept its old address for ever."""
    intake: Intake = parts["intake"]
    old = feed_server.url("/redirect?status=301&to=/feeds/lesswrong-frontpage.xml").replace("//", "//me:pw@", 1)
    moved = FeedSpec(name="lesswrong", kind="forum_rss", url=old)
    new = feed_server.url("/feeds/lesswrong-frontpage.xml").replace("//", "//***@", 1)  # relative: credentials kept
    said = (f"feed lesswrong has moved permanently to {new}; still polled at the feeds file's "
            f"{old.replace('me:pw', '***')}: update its url there")
    for _ in range(3):
        assert (await intake.poll_feed(moved, force=True)).status in ("ok", "not_modified")
    assert caplog.text.count(said) == 1
    assert "me:pw" not in caplog.text
    assert intake.store.feed_state("lesswrong").moved_to == new
    assert len(feed_server.requests_to("/redirect?status=301")) == 3  # the file's URL, every time
    # The file updated to the new address: no longer moved.
    await intake.poll_feed(FeedSpec(name="lesswrong", kind="forum_rss", url=new.replace("***", "me:pw")), force=True)
    assert intake.store.feed_state("lesswrong").moved_to is None


async def test_a_new_feed_puts_forward_only_its_newest_few(parts, feed_server: FeedServer) -> None:
    intake: Intake = parts["intake"]
    capped = feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss",
                  first_poll_max_items=1)
    report = await intake.poll_feed(capped)
    assert report.candidates == 1
    assert sum(1 for s in statuses(parts).values() if s == "candidate") == 1


async def test_a_new_listings_first_few_are_its_best_since_it_dates_every_item_alike(
        parts, feed_server: FeedServer) -> None:
    """A listing gives every item the announcement date, so "the newest" was the feed's order: the first poll of
    the real 2024-11-28 day put forward its 0.98 paper and held back a better one."""
    intake = await budgeted_intake(parts)  # the normal deadline: a whole day is no hostile feed
    day = feed(feed_server, "arxiv-all", "/feeds/arxiv-listing-2024-11-28-all.xml", "arxiv_rss", max_entries=2000,
               first_poll_max_items=1)
    report = await intake.poll_feed(day)
    assert report.candidates == 1
    relevant = [p for p in intake.store.papers() if p.score >= intake.settings.relevance_threshold]
    assert len(relevant) == 3  # the day's in-scope papers: one put forward, the best
    (candidate,) = intake.store.candidates()
    assert candidate.score == max(p.score for p in relevant)


async def test_a_feed_longer_than_max_entries_is_read_in_part_and_says_so(parts, feed_server: FeedServer,
                                                                          caplog) -> None:
    """100 of the real day's 933 new papers were read, the rest dropped, and `status` said all was well."""
    intake = await budgeted_intake(parts)  # the normal deadline: a whole day is no hostile feed
    report = await intake.poll_feed(feed(feed_server, "arxiv-all", "/feeds/arxiv-listing-2024-11-28-all.xml",
                                         "arxiv_rss", max_entries=100))
    assert (report.status, report.items) == ("ok", 100)
    reason = "933 items, only the first 100 read: raise this feed's max_entries in the feeds file"
    assert report.degraded == reason
    assert intake.store.feed_state("arxiv-all").degraded == reason
    assert f"feed arxiv-all: {reason}" in caplog.text


async def test_the_same_work_from_several_feeds_is_one_paper(parts, feed_server: FeedServer, catalogue_dir) -> None:
    # The SAE paper, crossposted to both forums, is on the list; without its arXiv id the list cannot know the
    # linkposts (titled otherwise) are it, so they make a candidate: one, however many places it was seen in.
    forget_arxiv_field(catalogue_dir, "2309.08600")
    intake: Intake = parts["intake"]
    for name, path in (("alignment-forum", "/feeds/alignment-forum.xml"),
                       ("lesswrong", "/feeds/lesswrong-frontpage.xml")):
        await intake.poll_feed(feed(feed_server, name, path))
    papers = [p for p in intake.store.papers() if p.arxiv_id == "2309.08600"]
    assert len(papers) == 1
    assert set(papers[0].feeds) == {"alignment-forum", "lesswrong"}
    # One candidate, however many places it was seen in.
    assert [p.arxiv_id for p in intake.store.candidates()].count("2309.08600") == 1


async def test_a_rejected_paper_does_not_come_back_as_a_crosspost(parts, feed_server: FeedServer) -> None:
    intake: Intake = parts["intake"]
    curation: Curation = parts["curation"]
    await intake.poll_feed(feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss"))
    patchscopes = next(p for p in intake.store.candidates() if p.title.startswith("Patchscopes"))
    await curation.decide(patchscopes.id, "reject", person="console:console")  # the console maintainer
    before = {p.id for p in intake.store.candidates()}
    # the same paper again from another feed (the cs.CL listing in its older RDF format)
    await intake.poll_feed(feed(feed_server, "arxiv-rdf", "/feeds/arxiv-listing-rdf-cs-cl.xml", "arxiv_rss"))
    assert intake.store.paper(patchscopes.id).status == "rejected"
    assert patchscopes.id not in {p.id for p in intake.store.candidates()}
    assert {p.id for p in intake.store.candidates()} >= before - {patchscopes.id}


async def test_yesterdays_batch_served_again_is_a_failure(parts, feed_server: FeedServer) -> None:
    intake: Intake = parts["intake"]
    listing = feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss")
    assert (await intake.poll_feed(listing)).status == "ok"
    state = intake.store.feed_state("arxiv-cs-cl")
    from dataclasses import replace

    intake.store.save_feed_state(replace(state, etag=None, last_modified=None))  # a mirror without validators
    parts["clock"].now += timedelta(hours=31)
    report = await intake.poll_feed(listing, force=True)
    assert report.status == "failed"
    assert "same batch" in report.error


async def test_dry_run_stores_nothing(parts, feed_server: FeedServer) -> None:
    intake: Intake = parts["intake"]
    report = await intake.poll_feed(feed(feed_server, "lesswrong", "/feeds/lesswrong-frontpage.xml"), dry_run=True)
    assert report.status == "ok"
    assert report.scored
    assert intake.store.papers() == []
    assert intake.store.feed_state("lesswrong").last_poll_at is None


async def budgeted_intake(parts: dict[str, Any], **settings: Any) -> Intake:
    """The fixture's intake (same database, catalogue, fetcher and clock) with other settings."""
    intake: Intake = parts["intake"]
    values = {**intake.settings.model_dump(), "first_poll_max_items": 100, **settings}
    return Intake(intake.db, intake.catalogue, intake.fetcher, load_settings(**values))


async def test_a_days_candidates_are_capped_best_first_and_the_rest_held_back(parts, feed_server: FeedServer) -> None:
    """Budget 2 a day, in New York: the best two of the day's relevant papers are put forward; the others stay
    `seen` with their scores, held back, until the next New York day."""
    intake = await budgeted_intake(parts, max_candidates_per_day=2, timezone="America/New_York")
    listing = await intake.poll_feed(feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml",
                                          "arxiv_rss"))
    assert (listing.candidates, listing.held_back) == (2, 1)
    assert "2 candidate(s) (1 more held back by the daily budget)" in listing.summary()
    papers = {p.title: p for p in intake.store.papers()}
    assert {t for t, p in papers.items() if p.status == "candidate"} == {
        "Not All Language Model Features Are Linear",
        "Patchscopes: A Unifying Framework for Inspecting Hidden Representations of Language Models"}
    held = papers["A Mechanistic Understanding of Alignment Algorithms: A Case Study on DPO and Toxicity"]
    assert (held.status, held.held_back_at is not None) == ("seen", True)
    assert held.score < min(p.score for p in papers.values() if p.status == "candidate")
    assert held.score >= intake.settings.relevance_threshold

    # 03:00 UTC the next day is still 22:00 the same day in New York: the budget is spent.
    parts["clock"].now = parts["clock"].now.replace(day=25, hour=3)
    forum = await intake.poll_feed(feed(feed_server, "lesswrong", "/feeds/lesswrong-frontpage.xml"))
    assert (forum.candidates, forum.held_back, forum.listed) == (0, 1, 2)  # two of its posts are on the list
    # 06:00 UTC is a new day in New York: a new budget, the best of the day's listing first.
    parts["clock"].now = parts["clock"].now.replace(hour=6)
    day = await intake.poll_feed(feed(feed_server, "arxiv-all", "/feeds/arxiv-listing-2024-11-28-all.xml",
                                      "arxiv_rss", max_entries=2000))  # a whole real day: 3 of 933 in scope
    assert (day.candidates, day.held_back) == (2, 1)
    assert len(intake.store.held_back()) == 3
    assert len(intake.store.candidates()) == 4


async def test_deciding_held_back_papers_outright_leaves_the_days_budget_to_the_days_papers(
        parts, feed_server: FeedServer) -> None:
    """A maintainer clears yesterday's held-back papers (`candidates --all`) in the morning: each rejection took one
    of the day's candidate places, though nothing was put forward, and that day's listing was held back whole."""
    intake = await budgeted_intake(parts, max_candidates_per_day=1)
    curation: Curation = parts["curation"]
    first = await intake.poll_feed(feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml",
                                        "arxiv_rss"))
    assert (first.candidates, first.held_back) == (1, 2)
    parts["clock"].now += timedelta(days=1)
    rejected, voted_out = (p.id for p in intake.store.held_back())
    assert (await curation.decide(rejected, "reject", person="console:console")).decision == "rejected"
    assert (await curation.vote(voted_out, "x", "console:console")).decision == "rejected"  # one rejection decides
    day = await intake.poll_feed(feed(feed_server, "arxiv-all", "/feeds/arxiv-listing-2024-11-28-all.xml",
                                      "arxiv_rss", max_entries=2000))  # a whole real day: 3 of 933 in scope
    assert (day.candidates, day.held_back) == (1, 2)
    # A vote that leaves a held-back paper open puts it forward: that spends the day's budget, as before.
    parts["clock"].now += timedelta(days=1)
    waiting = intake.store.held_back()[0].id
    assert (await curation.vote(waiting, "white_check_mark", "console:console")).decision is None
    assert intake.store.candidates_since(parts["clock"].now - timedelta(hours=1)) == 1


async def test_a_day_whose_midnight_comes_twice_counts_its_budget_from_the_first(parts, feed_server) -> None:
    """Havana leaves summer time at 01:00, back to 00:00: in the repeated hour the day was counted from the second
    midnight, and what the first hour put forward was spent again."""
    from datetime import UTC, datetime

    intake = await budgeted_intake(parts, max_candidates_per_day=1, timezone="America/Havana")
    parts["clock"].now = datetime(2026, 11, 1, 4, 30, tzinfo=UTC)  # 00:30, the first time
    listing = await intake.poll_feed(feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml",
                                          "arxiv_rss"))
    assert listing.candidates == 1
    parts["clock"].now = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 00:30 again, an hour later
    forum = await intake.poll_feed(feed(feed_server, "lesswrong", "/feeds/lesswrong-frontpage.xml"))
    assert (forum.candidates, forum.held_back) == (0, 1)


async def test_a_dry_run_shows_what_the_budget_would_hold_back(parts, feed_server: FeedServer) -> None:
    intake = await budgeted_intake(parts, max_candidates_per_day=1)
    report = await intake.poll_feed(feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml",
                                         "arxiv_rss"), dry_run=True)
    outcomes = sorted((outcome, round(score, 2)) for _, score, outcome in report.scored)
    assert [o for o, _ in outcomes].count("held back") == 2
    assert [o for o, _ in outcomes].count("candidate") == 1
    assert intake.store.papers() == []


async def test_a_dry_run_of_several_feeds_spends_one_budget_as_the_poll_does(parts, feed_server: FeedServer) -> None:
    """Budget 2: the cs.CL listing has 3 relevant papers, the LessWrong feed 1 more. A real poll of both puts 2
    forward; the dry run must not promise each feed the whole day's budget."""
    feeds = [feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss"),
             feed(feed_server, "lesswrong", "/feeds/lesswrong-frontpage.xml")]
    intake = await budgeted_intake(parts, max_candidates_per_day=2)
    dry = await intake.poll(feeds, dry_run=True)
    assert sum(r.candidates for r in dry) == 2
    assert sum(outcome == "candidate" for r in dry for _, _, outcome in r.scored) == 2
    real = await intake.poll(feeds)
    assert sum(r.candidates for r in real) == 2


async def test_the_same_papers_are_put_forward_whichever_feed_is_read_first(parts, feed_server: FeedServer,
                                                                            tmp_path) -> None:
    """The SAE paper is on the list without an arXiv link, in the cs.CL listing (as a replacement, which tells us
    its arXiv id) and in a LessWrong crosspost. Two processes race for the feeds, so either may be read first: the
    crosspost is `listed` either way, never a candidate for a paper already on the list."""
    from bot.store.db import Database

    def statuses_of(intake: Intake) -> dict[str, str]:
        return {p.canonical_id: p.status for p in intake.store.papers()}

    listing = feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss")
    forum = feed(feed_server, "lesswrong", "/feeds/lesswrong-frontpage.xml")
    listing_first = await budgeted_intake(parts, first_poll_max_items=1)
    for spec in (listing, forum):
        assert (await listing_first.poll_feed(spec)).status == "ok"

    other = Database.open(f"sqlite:///{tmp_path / 'other.db'}", clock=parts["clock"])
    forum_first = Intake(other, listing_first.catalogue, listing_first.fetcher, listing_first.settings)
    for spec in (forum, listing):
        assert (await forum_first.poll_feed(spec)).status == "ok"
    assert statuses_of(listing_first) == statuses_of(forum_first)
    assert statuses_of(forum_first)["arxiv:2309.08600"] == "listed"
    other.close()



async def test_a_dry_run_does_not_count_papers_stored_from_another_feed_as_new_candidates(
        parts, feed_server: FeedServer) -> None:
    """The same listing read by a second feed (an arXiv API query and a daily listing share papers): the poll merges
    them into the papers stored already, and puts none forward; the dry run says the same."""
    intake: Intake = parts["intake"]
    listing = feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss")
    assert (await intake.poll_feed(listing)).candidates > 0
    again = feed(feed_server, "arxiv-cs-cl-again", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss")
    dry = await intake.poll_feed(again, dry_run=True)
    assert (dry.candidates, dry.held_back) == (0, 0)
    assert {outcome for _, _, outcome in dry.scored} <= {"stored", "listed"}
    real = await intake.poll_feed(again)
    assert (real.candidates, real.held_back) == (0, 0)

async def test_a_dry_run_counts_a_paper_two_of_its_feeds_carry_once(parts, feed_server: FeedServer) -> None:
    """Two feeds with the same papers (an arXiv query and a listing share the day's papers), none stored yet: the
    poll stores each paper once, from whichever feed comes first, and puts it forward once. The dry run stores
    nothing, so only the papers a real poll had stored before counted as known, and today's were promised twice."""
    intake = await budgeted_intake(parts, max_candidates_per_day=10)
    feeds = [feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss"),
             feed(feed_server, "arxiv-cs-cl-again", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss")]
    dry = await intake.poll(feeds, dry_run=True)
    real = await intake.poll(feeds)
    assert sum(r.candidates for r in real) == 3
    assert sum(r.candidates for r in dry) == 3
    assert sum(outcome == "candidate" for r in dry for _, _, outcome in r.scored) == 3


def _tied_feed() -> bytes:
    """Two arXiv papers with the same title and abstract, so the same score; the higher id first."""
    entry = """<entry><id>http://arxiv.org/abs/{id}v1</id>
    <title>Sparse Autoencoders Find Interpretable Features in Language Models</title>
    <updated>2024-11-27T10:00:00Z</updated><published>2024-11-27T10:00:00Z</published>
    <link href="https://arxiv.org/abs/{id}v1" rel="alternate" type="text/html"/>
    <summary>We train sparse autoencoders on the residual stream of a language model and find monosemantic
    features.</summary><author><name>A. Author</name></author></entry>"""
    entries = "".join(entry.format(id=ident) for ident in ("2411.00002", "2411.00001"))
    return (f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            f'xmlns:arxiv="http://arxiv.org/schemas/atom"><id>x</id><title>q</title><updated>2024-11-27T10:00:00Z'
            f'</updated>{entries}</feed>').encode()


async def test_a_dry_run_holds_back_the_same_one_of_two_tied_papers_as_the_poll(parts, feed_server: FeedServer) -> None:
    feed_server.serve("tied.xml", _tied_feed())
    spec = feed(feed_server, "tied", "/served/tied.xml", "arxiv_api")
    intake = await budgeted_intake(parts, max_candidates_per_day=1)
    dry = await intake.poll_feed(spec, dry_run=True)
    scores = {score for _, score, _ in dry.scored}
    assert len(dry.scored) == 2 and len(scores) == 1  # a tie
    promised = [paper.arxiv_id for paper, _, outcome in dry.scored if outcome == "candidate"]
    await intake.poll_feed(spec)
    assert promised == [p.arxiv_id for p in intake.store.candidates()]


async def test_a_poll_still_fetching_when_the_digest_runs_is_in_the_next_digest(parts, feed_server: FeedServer) -> None:
    """A poll began at 08:59:50, the 09:00 digest ran while it waited for the feed, and its papers, dated when the
    poll began, were before the point that digest covered up to: no digest ever named them."""
    import asyncio
    import io
    from datetime import UTC, datetime

    from bot.adapters.console import ConsoleAdapter
    from bot.curation.digest import run_digest
    from tests.ops.support import wait_for

    curation: Curation = parts["curation"]
    out = io.StringIO()
    curation.attach(ConsoleAdapter(out))
    parts["clock"].now = datetime(2026, 11, 24, 8, 59, 50, tzinfo=UTC)
    feed_server.hold()
    poll = asyncio.create_task(parts["intake"].poll_feed(
        feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss")))
    await wait_for(lambda: feed_server.requests_to("/feeds/"), limit=10, what="the poll to reach the feed")
    parts["clock"].now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert (await run_digest(curation, curation.settings)).unposted == ("console:terminal",)  # nothing new yet
    parts["clock"].now += timedelta(seconds=20)
    feed_server.release()
    assert (await poll).candidates == 3
    parts["clock"].now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert (await run_digest(curation, curation.settings)).posted_to == ("console:terminal",)
    assert "Patchscopes: A Unifying Framework" in out.getvalue()
