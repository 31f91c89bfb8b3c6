"""Fetching against a loopback server: conditional GET, throttling, hostile servers, address checks, etiquette.

Nothing here sleeps or reaches the internet; every hostile case runs under a small deadline.
"""

from __future__ import annotations

import asyncio
import random
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from itertools import pairwise
from urllib.parse import quote

import httpx
import pytest

from bot import __version__
from bot.intake.fetch import PRIVATE_HINT, Fetcher, FetchResult, Validators, make_client, user_agent
from bot.intake.parse import parse_feed
from bot.intake.retry import backoff_delay, parse_retry_after
from bot.intake.sources import FeedSpec
from tests.fakes.feed_server import FeedServer, trusting_tls

CONTACT = "https://github.com/interp-bot/interp-bot"
LOOPBACK = ["127.0.0.0/8"]  # what a test server needs; everything else private stays refused


def spec(url: str, kind: str = "arxiv_api") -> FeedSpec:
    return FeedSpec(name="test-feed", url=url, kind=kind)  # type: ignore[arg-type]


@pytest.fixture
async def client():
    async with make_client(CONTACT, connect_timeout=0.5, read_timeout=0.5) as shared:
        yield shared


@pytest.fixture
async def tls_client():
    """The shared client's configuration, trusting the TLS feed server's test CA."""
    async with httpx.AsyncClient(verify=trusting_tls(), follow_redirects=False, timeout=0.5) as shared:
        yield shared


@pytest.fixture
async def tls_server(feeds_dir):
    async with FeedServer(feeds_dir, tls=True) as server:
        yield server


def fetcher(client: httpx.AsyncClient, **options) -> Fetcher:
    options.setdefault("allow_networks", LOOPBACK)
    options.setdefault("total_timeout", 0.5)
    options.setdefault("polite_hosts", {})
    return Fetcher(client, **options)


# --------------------------------------------------------------------------- the ordinary path


async def test_fetch_sends_user_agent_and_returns_body_with_validators(client, feed_server, feeds_dir):
    result = await fetcher(client).fetch(spec(feed_server.url("/feeds/arxiv-api-testing-10.xml")))
    assert result.status == "ok"
    assert result.http_status == 200
    assert result.body == (feeds_dir / "arxiv-api-testing-10.xml").read_bytes()
    assert result.etag
    assert result.last_modified == "Fri, 24 May 2024 04:00:08 GMT"
    request = feed_server.requests[-1]
    assert request.headers["User-Agent"] == f"interp-bot/{__version__} (+{CONTACT})"
    assert "If-None-Match" not in request.headers


async def test_conditional_get_answers_not_modified(client, feed_server):
    feed = spec(feed_server.url("/feeds/arxiv-api-testing-10.xml"))
    first = await fetcher(client).fetch(feed)
    second = await fetcher(client).fetch(feed, first.validators)
    assert second.status == "not_modified"
    assert second.http_status == 304
    assert second.body == b""
    assert second.etag == first.etag  # kept for the next poll
    assert feed_server.requests[-1].headers["If-None-Match"] == first.etag
    assert feed_server.requests[-1].headers["If-Modified-Since"] == first.last_modified

    date_only = await fetcher(client).fetch(feed, Validators(last_modified=first.last_modified))
    assert date_only.status == "not_modified"


async def test_a_304_to_a_request_that_was_not_conditional_is_an_error(client, feed_server):
    # A proxy answering 304 to everything made a feed "not modified" on its first poll, and on every poll after.
    result = await fetcher(client).fetch(spec(feed_server.url("/status/304")))
    assert (result.status, result.http_status) == ("error", 304)
    assert result.error == "HTTP 304 (Not Modified) to a request that was not conditional"
    assert "If-None-Match" not in feed_server.requests[-1].headers


# --------------------------------------------------------------------------- throttling


async def test_429_reports_retry_after_in_seconds(client, feed_server):
    result = await fetcher(client).fetch(spec(feed_server.url("/status/429?retry_after=120")))
    assert (result.status, result.http_status, result.error, result.retry_after) == ("error", 429, "HTTP 429", 120.0)


async def test_503_reports_retry_after_given_as_a_date(client, feed_server):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=600), usegmt=True)
    result = await fetcher(client).fetch(spec(feed_server.url(f"/status/503?retry_after={when}")))
    assert result.status == "error"
    assert result.error == "HTTP 503"
    assert result.retry_after is not None
    assert 590 <= result.retry_after <= 600


@pytest.fixture
def machine_in_berlin(monkeypatch):
    """The process's local time zone is Berlin's (an hour or two east of UTC), as on a maintainer's laptop."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("form", ["%a %b %d %H:%M:%S %Y", "%a, %d %b %Y %H:%M:%S -0000"])
async def test_a_retry_after_date_without_gmt_is_read_as_utc_wherever_the_bot_runs(client, feed_server,
                                                                                 machine_in_berlin, form):
    """HTTP dates are UTC (RFC 9110 §5.6.7, which has recipients accept asctime's form too): read as local time,
    "wait ten minutes" became "no wait at all" on a machine in Berlin."""
    when = quote((datetime.now(UTC) + timedelta(seconds=600)).strftime(form))
    result = await fetcher(client).fetch(spec(feed_server.url(f"/status/503?retry_after={when}")))
    assert result.error == "HTTP 503"
    assert result.retry_after is not None
    assert 590 <= result.retry_after <= 600


async def test_other_http_errors_have_no_retry_after(client, feed_server):
    result = await fetcher(client).fetch(spec(feed_server.url("/feeds/missing.xml")))
    assert (result.status, result.http_status, result.error, result.retry_after) == ("error", 404, "HTTP 404", None)


def test_retry_after_parsing():
    now = datetime(2024, 5, 24, 12, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("30", now=now) == 30.0
    assert parse_retry_after("Fri, 24 May 2024 12:02:00 GMT", now=now) == 120.0
    assert parse_retry_after("Fri, 24 May 2024 11:00:00 GMT", now=now) == 0.0  # already past
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_backoff_grows_exponentially_with_jitter_and_respects_retry_after():
    rng = random.Random(7)
    delays = [backoff_delay(n, base_seconds=60, retry_after=None, rng=rng) for n in range(1, 8)]
    for failures, delay in enumerate(delays, start=1):
        full = 60 * 2 ** (failures - 1)
        assert full / 2 <= delay <= full
    assert backoff_delay(50, base_seconds=60, retry_after=None, rng=rng) <= 6 * 3600
    assert backoff_delay(10_000, base_seconds=60, retry_after=None, rng=rng) <= 6 * 3600  # no overflow
    assert backoff_delay(1, base_seconds=60, retry_after=900, rng=rng) == 900
    assert backoff_delay(0, base_seconds=60, retry_after=None, rng=rng) == 0
    # Jitter spreads feeds that failed together.
    spread = {round(backoff_delay(3, base_seconds=60, retry_after=None, rng=rng), 3) for _ in range(20)}
    assert len(spread) > 10


# --------------------------------------------------------------------------- hostile servers


async def test_a_server_that_never_answers_costs_only_the_deadline(client, feed_server):
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await fetcher(client, total_timeout=0.3).fetch(spec(feed_server.url("/slow")))
    assert result.status == "error"
    assert "timed out after 0.3 s" in result.error
    assert loop.time() - started < 1.5


async def test_one_slow_feed_does_not_delay_another(client, feed_server):
    shared = fetcher(client, total_timeout=0.5)
    loop = asyncio.get_running_loop()
    slow = asyncio.create_task(shared.fetch(spec(feed_server.url("/slow"))))
    started = loop.time()
    fast = await shared.fetch(spec(feed_server.url("/feeds/arxiv-api-empty.xml")))
    assert fast.status == "ok"
    assert loop.time() - started < 0.4
    assert (await slow).status == "error"


@pytest.mark.parametrize("path", ["/huge?mb=50", "/endless"])
async def test_huge_and_endless_bodies_are_cut_at_the_cap_with_flat_memory(client, feed_server, path):
    tracemalloc.start()
    try:
        result = await fetcher(client, max_bytes=1_000_000, total_timeout=5).fetch(spec(feed_server.url(path)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status == "error"
    assert result.error == "body exceeds 1 MB"
    assert result.body == b""
    assert peak < 8_000_000  # the body is 50 MB or endless; we held about one cap's worth


async def test_a_declared_oversize_body_is_refused_before_reading(client, feed_server):
    result = await fetcher(client, max_bytes=1_000_000).fetch(spec(feed_server.url("/huge?mb=50&declare=1")))
    assert result.status == "error"
    assert result.error == "body exceeds 1 MB"


async def test_garbage_and_truncated_bodies_fetch_but_parse_to_errors(client, feed_server):
    garbage = await fetcher(client).fetch(spec(feed_server.url("/garbage")))
    assert garbage.status == "ok"
    parsed = parse_feed(garbage.body, "arxiv_api", feed="test-feed")
    assert parsed.papers == ()
    assert parsed.errors

    truncated = await fetcher(client).fetch(spec(feed_server.url("/truncated/arxiv-api-testing-100.xml")))
    parsed = parse_feed(truncated.body, "arxiv_api", feed="test-feed")
    assert parsed.errors
    assert parsed.errors[0].startswith("malformed feed")
    assert 0 < len(parsed.papers) < 100  # what came before the cut is kept


# --------------------------------------------------------------------------- where the fetcher may go


async def test_private_addresses_are_refused_without_a_request(client, feed_server):
    result = await Fetcher(client, total_timeout=0.5).fetch(spec(feed_server.url("/feeds/arxiv-api-empty.xml")))
    assert result.status == "error"
    assert result.error == "refused private address 127.0.0.1" + PRIVATE_HINT
    assert feed_server.requests == []


async def test_a_name_resolving_to_a_private_address_is_refused(client):
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.1.2.3"]  # one bad address is enough: the connection may pick it

    result = await Fetcher(client, resolver=resolver).fetch(spec("https://feeds.example.org/rss"))
    assert result.error == "refused private address 10.1.2.3 for feeds.example.org" + PRIVATE_HINT
    # The event loop's own resolver is used by default; "localhost" resolves without any network.
    result = await Fetcher(client).fetch(spec("http://localhost:9/feed"))
    assert result.status == "error"
    assert result.error.startswith("refused private address")


async def test_allow_private_lets_loopback_through(client, feed_server):
    result = await Fetcher(client, allow_private=True, total_timeout=0.5).fetch(
        spec(feed_server.url("/feeds/arxiv-api-empty.xml"))
    )
    assert result.status == "ok"


async def test_a_redirect_to_a_private_address_is_refused(client, feed_server):
    result = await fetcher(client).fetch(spec(feed_server.url("/redirect?to=http://10.0.0.1/feed")))
    assert result.status == "error"
    assert result.error == "refused private address 10.0.0.1" + PRIVATE_HINT
    assert result.final_url == "http://10.0.0.1/feed"


@pytest.mark.parametrize("allow_private", [False, True])
async def test_a_redirect_to_a_file_url_is_refused_even_when_private_is_allowed(client, feed_server, allow_private):
    f = fetcher(client, allow_private=allow_private)
    result = await f.fetch(spec(feed_server.url("/redirect?to=file:///etc/passwd")))
    assert result.status == "error"
    assert result.error == "refused non-http(s) URL file:///etc/passwd"
    assert b"root:" not in result.body


async def test_redirects_are_followed_to_a_limit(client, feed_server):
    target = feed_server.url("/feeds/arxiv-api-empty.xml")
    followed = await fetcher(client).fetch(spec(feed_server.url(f"/redirect?to={target}")))
    assert followed.status == "ok"
    assert followed.final_url == target

    looping = await fetcher(client, max_redirects=3).fetch(spec(feed_server.url("/redirect-loop")))
    assert looping.status == "error"
    assert looping.error == "more than 3 redirects"
    assert len(feed_server.requests_to("/redirect-loop")) == 4


async def test_a_feed_written_as_https_is_not_followed_down_to_http(tls_client, tls_server, feed_server):
    """A feed written as https://, redirected to http://, was fetched over plain http without a word."""
    plain = feed_server.url("/feeds/arxiv-api-empty.xml")
    secure = tls_server.url(f"/redirect?to={plain}")
    result = await fetcher(tls_client).fetch(spec(secure.replace("https://", "https://reader:s3cret@")))
    assert result.status == "error"
    assert result.error == (f"refused the redirect (HTTP 302) from {secure.replace('https://', 'https://***@')} to "
                            f"{plain}: https downgraded to http (write the feed's url as http:// in the feeds file "
                            "to accept that)")
    assert feed_server.requests == []  # nothing was asked over plain http
    # https to https is followed; and a feed written as http may go to https and back.
    within = tls_server.url(f"/redirect?to={tls_server.url('/feeds/arxiv-api-empty.xml')}")
    assert (await fetcher(tls_client).fetch(spec(within))).status == "ok"
    round_trip = await fetcher(tls_client).fetch(spec(feed_server.url(f"/redirect?to={quote(secure, safe='')}")))
    assert (round_trip.status, round_trip.final_url) == ("ok", plain)


async def test_a_permanent_redirect_says_where_the_feed_moved(client, feed_server):
    target = feed_server.url("/feeds/arxiv-api-empty.xml")
    moved = await fetcher(client).fetch(spec(feed_server.url(f"/redirect?status=301&to={target}")))
    assert (moved.status, moved.moved_to, moved.final_url) == ("ok", target, target)
    # Only the permanent redirects the chain starts with: after a temporary one, the feed itself has not moved.
    permanent = feed_server.url(f"/redirect?status=308&to={target}")
    via_temporary = feed_server.url(f"/redirect?status=302&to={quote(permanent, safe='')}")
    assert (await fetcher(client).fetch(spec(via_temporary))).moved_to is None
    # A move to where nothing answers is still a move.
    gone = await fetcher(client).fetch(spec(feed_server.url("/redirect?status=308&to=/feeds/missing.xml")))
    assert (gone.status, gone.error, gone.moved_to) == ("error", "HTTP 404", feed_server.url("/feeds/missing.xml"))


async def test_connection_refused_is_an_error_result(client):
    result = await fetcher(client).fetch(spec("http://127.0.0.1:9/feed"))
    assert result.status == "error"
    assert result.error.startswith("cannot connect")


# --------------------------------------------------------------------------- etiquette


class FakeClock:
    """Time that passes only when someone sleeps: politeness without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_polite_hosts_get_one_request_at_a_time_three_seconds_apart(client, feed_server):
    clock = FakeClock()
    starts: list[float] = []

    original = Fetcher._request

    async def recording_request(self, url, validators):
        starts.append(clock())
        clock.now += 0.5  # each request "takes" half a second of fake time
        return await original(self, url, validators)

    polite = fetcher(client, polite_hosts={"127.0.0.1": 3.0}, clock=clock, sleep=clock.sleep)
    polite._request = recording_request.__get__(polite)  # type: ignore[method-assign]
    feeds = [spec(feed_server.url(f"/feeds/{name}")) for name in
             ("arxiv-api-empty.xml", "arxiv-api-error.xml", "arxiv-api-versioned.xml")]
    results = await asyncio.gather(*(polite.fetch(feed) for feed in feeds))

    assert all(r.status == "ok" for r in results)
    assert feed_server.max_in_flight == 1
    assert [b - a for a, b in pairwise(starts)] == [3.0, 3.0]
    assert clock.sleeps == [2.5, 2.5]  # waited only the remainder after each half-second request


async def test_a_host_that_asked_to_be_left_alone_is_asked_nothing_by_any_feed_until_then(client, feed_server):
    """arXiv answering one API feed 503 with Retry-After was asked again by the other three, 3 s apart."""
    clock = FakeClock()
    polite = fetcher(client, polite_hosts={"127.0.0.1": 3.0}, clock=clock, sleep=clock.sleep)
    overloaded = spec(feed_server.url("/status/503?retry_after=120"))
    others = [spec(feed_server.url(f"/feeds/{name}")) for name in ("arxiv-api-empty.xml", "arxiv-api-versioned.xml")]
    first, *rest = await asyncio.gather(polite.fetch(overloaded), *(polite.fetch(feed) for feed in others))
    assert (first.error, first.retry_after) == ("HTTP 503", 120.0)
    for result in rest:
        assert (result.status, result.error) == ("waiting", "HTTP 503 from 127.0.0.1 to another request")
        assert result.retry_after is not None and 0 < result.retry_after <= 120
    assert feed_server.requests_to("/feeds/") == []
    clock.now += 120  # the wait is over
    assert (await polite.fetch(others[0])).status == "ok"


async def test_hosts_outside_the_polite_list_are_not_spaced(client, feed_server):
    clock = FakeClock()
    f = fetcher(client, polite_hosts={"export.arxiv.org": 3.0}, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        assert (await f.fetch(spec(feed_server.url("/feeds/arxiv-api-empty.xml")))).status == "ok"
    assert clock.sleeps == []


# --------------------------------------------------------------------------- the client


async def test_make_client_shares_one_configuration():
    async with make_client(CONTACT, connect_timeout=3, read_timeout=7) as shared:
        assert shared.follow_redirects is False
        assert shared.headers["User-Agent"] == user_agent(CONTACT) == f"interp-bot/{__version__} (+{CONTACT})"
        assert shared.timeout.connect == 3
        assert shared.timeout.read == 7


def test_fetch_result_defaults():
    result = FetchResult("error", error="HTTP 503")
    assert (result.body, result.http_status, result.retry_after, result.final_url) == (b"", None, None, "")
