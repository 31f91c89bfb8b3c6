"""Link health: checked through the polite fetcher against a loopback site; dead only after failing on checks
spread over a week; permanent redirects suggested as updates; one report post."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.catalogue.yaml_io import load_catalogue
from bot.intake.fetch import Fetcher
from bot.links import check_links, link_report, report_post
from bot.store.db import Database
from bot.store.links import LinkStore
from tests.fakes.clock import Clock
from tests.fakes.link_site import LinkSite

PATHS = ("/ok", "/gone", "/old", "/perm", "/temp", "/no-head")


def write_list(directory: Path, site: LinkSite, paths: tuple[str, ...] = PATHS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "topics.yaml").write_text("title: Links\ndescription: a list\ntopics:\n"
                                           "  - slug: probing\n    title: Probing\n")
    lines = ["- topic: probing", "  entries:"]
    for number, path in enumerate(paths):
        lines += [f"    - id: paper-{number}", f"      title: Paper at {path}", "      links:",
                  "        - label: site", f"          url: {site.url(path)}"]
    (directory / "probing.yaml").write_text("\n".join(lines) + "\n")
    return directory


CHECK_TIME = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)  # a Monday, 04:30: when the weekly check runs


@pytest.fixture
async def site() -> AsyncIterator[LinkSite]:
    async with LinkSite() as running:
        yield running


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with httpx.AsyncClient(follow_redirects=False) as client:
        yield Fetcher(client, allow_private=True)


@pytest.fixture
def store(tmp_path: Path) -> LinkStore:
    return LinkStore(Database.open(f"sqlite:///{tmp_path / 'links.db'}"))


async def test_a_link_is_dead_only_after_failing_on_checks_spread_over_seven_days(
        tmp_path: Path, site: LinkSite, fetcher: Fetcher, store: LinkStore) -> None:
    catalogue = load_catalogue(write_list(tmp_path / "list", site))
    clock = Clock(CHECK_TIME)
    gone = site.url("/gone")

    first = await check_links(catalogue, fetcher, store, clock)
    assert [h.url for h in first.failing] == [gone]
    assert first.dead == []
    assert report_post(first, "2026-03-02") is not None  # the moved links, not the failing one
    assert "Dead" not in " ".join(item.title for item in report_post(first, "2026-03-02").reply.items)

    clock.now += timedelta(days=3)
    second = await check_links(catalogue, fetcher, store, clock)
    assert second.dead == [], "two failures three days apart are not yet a dead link"

    clock.now += timedelta(days=5)
    third = await check_links(catalogue, fetcher, store, clock)
    assert [h.url for h in third.dead] == [gone]
    assert third.dead[0].state.consecutive_failures == 3
    post = report_post(third, "2026-03-10")
    assert post is not None
    assert post.kind == "notice"
    assert post.key == "links:2026-03-10"
    assert any(item.title == "Dead: Paper at /gone" for item in post.reply.items)

    site.broken.clear()  # the site is back: the run of failures ends
    clock.now += timedelta(days=7)
    fourth = await check_links(catalogue, fetcher, store, clock)
    assert fourth.dead == []
    assert fourth.failing == []


async def test_a_link_failing_on_two_weekly_checks_is_dead_however_long_that_week_was(
        tmp_path: Path, site: LinkSite, fetcher: Fetcher, store: LinkStore) -> None:
    """The weekly check runs on Mondays at 04:30 local time: across the change to summer time its runs are 167 hours
    apart, and a link checked a second earlier in its run than the week before is 6 days 23:59:59 apart. A link
    failing on both checks was still only "failing", and dead a week later than a week."""
    from zoneinfo import ZoneInfo

    catalogue = load_catalogue(write_list(tmp_path / "list", site, ("/gone",)))
    berlin = ZoneInfo("Europe/Berlin")
    weeks = (((2026, 3, 23, 4, 30, 9), (2026, 3, 30, 4, 30, 2)),  # the week summer time begins
             ((2026, 4, 6, 4, 30, 9), (2026, 4, 13, 4, 30, 8)))  # a second earlier in the run
    for first, second in ((datetime(*a, tzinfo=berlin), datetime(*b, tzinfo=berlin)) for a, b in weeks):
        store.forget_except([])
        clock = Clock(first.astimezone(UTC))
        assert (await check_links(catalogue, fetcher, store, clock)).dead == []
        clock.now = second.astimezone(UTC)
        assert [h.url for h in (await check_links(catalogue, fetcher, store, clock)).dead] == [site.url("/gone")]


async def test_a_single_failure_between_successes_never_makes_a_link_dead(
        tmp_path: Path, site: LinkSite, fetcher: Fetcher, store: LinkStore) -> None:
    catalogue = load_catalogue(write_list(tmp_path / "list", site, ("/flaky",)))
    clock = Clock(CHECK_TIME)
    for week in range(4):
        site.broken = {"/flaky"} if week % 2 else set()
        report = await check_links(catalogue, fetcher, store, clock)
        assert report.dead == []
        clock.now += timedelta(days=7)


async def test_permanent_redirects_are_suggested_updates_and_temporary_ones_are_not(
        tmp_path: Path, site: LinkSite, fetcher: Fetcher, store: LinkStore) -> None:
    catalogue = load_catalogue(write_list(tmp_path / "list", site))
    report = await check_links(catalogue, fetcher, store, Clock(CHECK_TIME))
    assert {h.url: h.state.moved_to for h in report.moved} == {site.url("/old"): site.url("/new"),
                                                                site.url("/perm"): site.url("/new")}
    post = report_post(report, "2026-03-02")
    assert post is not None
    moved = [item for item in post.reply.items if item.title.startswith("Moved")]
    assert [item.detail for item in moved] == [f"{site.url('/old')} → {site.url('/new')}",
                                               f"{site.url('/perm')} → {site.url('/new')}"]


async def test_head_first_then_get_when_the_server_refuses_head(
        tmp_path: Path, site: LinkSite, fetcher: Fetcher, store: LinkStore) -> None:
    catalogue = load_catalogue(write_list(tmp_path / "list", site))
    report = await check_links(catalogue, fetcher, store, Clock(CHECK_TIME))
    assert set(site.hits_to("/ok")) == {"HEAD"}, "a good answer to HEAD needs no GET"
    assert site.hits_to("/no-head") == ["HEAD", "GET"]
    assert site.hits_to("/gone") == ["HEAD", "GET"]
    assert site.url("/no-head") not in [h.url for h in report.failing]


async def test_one_request_at_a_time_per_host(tmp_path: Path, site: LinkSite, fetcher: Fetcher,
                                              store: LinkStore) -> None:
    site.delay = 0.01
    paths = tuple(f"/page/{n}" for n in range(12))
    catalogue = load_catalogue(write_list(tmp_path / "list", site, paths))
    report = await check_links(catalogue, fetcher, store, Clock(CHECK_TIME))
    assert report.ok == 12
    assert site.max_in_flight == 1


async def test_arxivs_three_seconds_hold_for_link_checks(tmp_path: Path, site: LinkSite, store: LinkStore) -> None:
    """The fetcher's per-host pacing (arXiv: a request every 3 s) applies to probes too: a fake clock records it."""
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    catalogue = load_catalogue(write_list(tmp_path / "list", site, ("/page/1", "/page/2", "/page/3")))
    async with httpx.AsyncClient() as client:
        polite = Fetcher(client, allow_private=True, polite_hosts={"127.0.0.1": 3.0}, clock=lambda: now[0],
                         sleep=sleep)
        await check_links(catalogue, polite, store, Clock(CHECK_TIME))
    assert waits == [3.0, 3.0]


async def test_links_of_the_list_that_left_it_are_forgotten(tmp_path: Path, site: LinkSite, fetcher: Fetcher,
                                                            store: LinkStore) -> None:
    await check_links(load_catalogue(write_list(tmp_path / "a", site)), fetcher, store, Clock(CHECK_TIME))
    smaller = load_catalogue(write_list(tmp_path / "b", site, ("/ok",)))
    await check_links(smaller, fetcher, store, Clock(CHECK_TIME))
    assert set(store.states()) == {site.url("/ok")}
    assert link_report(smaller, store).ok == 1


async def test_nothing_to_report_posts_nothing(tmp_path: Path, site: LinkSite, fetcher: Fetcher,
                                               store: LinkStore) -> None:
    report = await check_links(load_catalogue(write_list(tmp_path / "list", site, ("/ok", "/temp"))), fetcher,
                               store, Clock(CHECK_TIME))
    assert report_post(report, "2026-03-02") is None


async def test_links_from_the_command_line_and_in_status(tmp_path: Path, site: LinkSite) -> None:
    from tests.ops.support import bot_env, cli

    directory = write_list(tmp_path / "list", site)
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path / 'bot.db'}", INTERP_BOT_CATALOGUE_DIR=str(directory))
    never = await cli(env, tmp_path, "links")
    assert never.returncode == 0
    assert "6 links · never checked: `interp-bot links --check`" in never.stdout

    checked = await cli(env, tmp_path, "links", "--check", "--json")
    assert checked.returncode == 0, checked.stderr
    data = checked.json()
    assert set(data) == {"checked_at", "links", "ok", "unchecked", "dead", "moved", "failing"}
    assert (data["links"], data["ok"], data["unchecked"], data["dead"]) == (6, 5, 0, [])
    (failing,) = data["failing"]
    assert failing["failing_since"] is not None
    assert failing | {"failing_since": None} == {"url": site.url("/gone"), "entries": ["paper-1"],
                                                 "error": "HTTP 404", "failing_since": None, "checks_failed": 1,
                                                 "moved_to": None}
    assert [m["moved_to"] for m in data["moved"]] == [site.url("/new"), site.url("/new")]

    text = await cli(env, tmp_path, "links")
    assert "moved permanently (suggested updates):" in text.stdout
    assert f"{site.url('/old')} → {site.url('/new')}" in text.stdout
    status = await cli(env, tmp_path, "status", "--json")
    assert status.json()["links"] == {"checked_at": data["checked_at"], "links": 6, "ok": 5, "failing": 1,
                                      "dead": 0, "moved": 2, "unchecked": 0}
    assert status.json()["github"] is None


async def test_the_weekly_job_posts_one_report_to_the_maintainers(tmp_path: Path, site: LinkSite) -> None:
    import io

    from bot.app import App
    from bot.settings import load_settings

    settings = load_settings(catalogue_dir=write_list(tmp_path / "list", site), allow_private_addresses=True,
                             database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    app = App(settings)
    said = io.StringIO()
    app.add_adapter("console", stream=said)
    try:
        await app.check_links(post=True)
        await app.check_links(post=True)  # the same day again: nothing new is said
    finally:
        await app.stop()
    assert said.getvalue().count("Link check —") == 1
    assert f"{site.url('/old')} → {site.url('/new')}" in said.getvalue()


async def test_a_check_without_network_records_nothing_instead_of_failing_every_link(
        tmp_path: Path, fetcher: Fetcher, store: LinkStore) -> None:
    """No DNS, no route: every host fails without an HTTP answer. Two such weekly checks used to call the whole
    list dead."""
    from bot.links import LinkCheckError

    directory = tmp_path / "list"
    directory.mkdir()
    (directory / "topics.yaml").write_text("title: Links\ndescription: a list\ntopics:\n"
                                           "  - slug: probing\n    title: Probing\n")
    lines = ["- topic: probing", "  entries:"]
    for number, host in enumerate(("arxiv.invalid", "openreview.invalid", "github.invalid", "lesswrong.invalid")):
        lines += [f"    - id: paper-{number}", f"      title: Paper {number}", "      links:",
                  "        - label: site", f"          url: https://{host}/paper-{number}"]
    (directory / "probing.yaml").write_text("\n".join(lines) + "\n")
    catalogue = load_catalogue(directory)
    expected = (r"^no site answered: the 4 links on 4 hosts all failed without an HTTP answer \(e\.g\. cannot .*\); "
                r"is this machine offline\? Nothing was recorded$")
    with pytest.raises(LinkCheckError, match=expected):
        await check_links(catalogue, fetcher, store, Clock(CHECK_TIME))
    assert link_report(catalogue, store).unchecked == 4


async def test_one_site_down_among_answering_ones_is_still_recorded(
        tmp_path: Path, site: LinkSite, fetcher: Fetcher, store: LinkStore) -> None:
    directory = write_list(tmp_path / "list", site, ("/ok",))
    extra = ["    - id: down-1", "      title: Down 1", "      links:", "        - label: site",
             "          url: https://one.invalid/x", "    - id: down-2", "      title: Down 2", "      links:",
             "        - label: site", "          url: https://two.invalid/x"]
    with (directory / "probing.yaml").open("a") as file:
        file.write("\n".join(extra) + "\n")
    report = await check_links(load_catalogue(directory), fetcher, store, Clock(CHECK_TIME))
    assert sorted(h.url for h in report.failing) == ["https://one.invalid/x", "https://two.invalid/x"]
    assert report.ok == 1


async def test_a_link_httpx_cannot_read_is_a_failing_link_not_a_failed_check(
        tmp_path: Path, site: LinkSite, fetcher: Fetcher, store: LinkStore) -> None:
    """A host no IDNA allows (real sites have them: http://☃.net) made httpx raise InvalidURL, which is no
    HTTPError: it ended the whole check, and the weekly job recorded nothing for any link. (A URL over 64 kB did
    too; the catalogue now keeps links of at most 2,000 characters.)"""
    directory = write_list(tmp_path / "list", site, ("/ok", "/gone"))
    odd = ["http://☃.example/", "http://a\u00ad\u200b.example/"]
    with (directory / "probing.yaml").open("a") as yaml_file:
        for number, url in enumerate(odd):
            yaml_file.write(f"    - id: odd-{number}\n      title: Odd link {number}\n      links:\n"
                            f"        - label: site\n          url: {url}\n")
    catalogue = load_catalogue(directory)
    report = await check_links(catalogue, fetcher, store, Clock(CHECK_TIME))
    assert report.ok == 1
    assert sorted(h.url for h in report.failing) == sorted([site.url("/gone"), *odd])
    errors = {h.url: h.state.last_error for h in report.failing}
    assert errors["http://☃.example/"].startswith("invalid URL: Invalid IDNA hostname")
    assert errors[odd[1]].startswith("invalid URL: ")
