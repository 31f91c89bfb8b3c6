"""Hostile servers met on the real web (issue 12): decompression bombs, addresses that hide a private one,
unparseable hosts, and absurd Retry-After values. Served on loopback, real bytes."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.intake.fetch import PRIVATE_HINT, Fetcher, make_client
from bot.intake.retry import MAX_RETRY_AFTER_SECONDS, parse_retry_after
from bot.intake.sources import FeedSpec

LOOPBACK = ["127.0.0.0/8"]
BOMB_BYTES = 64 * 1024 * 1024  # what the bomb inflates to: far over the 1 MB cap used below


def spec(url: str) -> FeedSpec:
    return FeedSpec(name="hostile", url=url, kind="rss")


def gzipped(data_chunks, level: int = 9) -> bytes:
    packer = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: the gzip wrapper
    return b"".join(packer.compress(chunk) for chunk in data_chunks) + packer.flush()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """gzip of 64 MiB of zeros: about 65 kB on the wire."""
    zeros = bytes(1 << 20)
    return gzipped(zeros for _ in range(BOMB_BYTES >> 20))


@pytest.fixture
async def client():
    async with make_client("https://example.org", connect_timeout=0.5, read_timeout=2) as shared:
        yield shared


def fetcher(client, **options) -> Fetcher:
    options.setdefault("allow_networks", LOOPBACK)
    options.setdefault("total_timeout", 10)
    options.setdefault("polite_hosts", {})
    return Fetcher(client, **options)


async def fetch_with_peak(fetch):
    tracemalloc.start()
    try:
        result = await fetch
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


# --------------------------------------------------------------------------- 1. decompression bombs


@pytest.mark.parametrize("layers", [1, 2])
async def test_a_decompression_bomb_is_cut_at_the_cap_as_it_is_decoded(client, feed_server, bomb, layers):
    body, encoding = bomb, "gzip"
    if layers == 2:  # gzip of the gzip: a couple of kB that inflate to 64 MiB in two steps
        body, encoding = gzip.compress(bomb, 9), "gzip, gzip"
    url = feed_server.serve(f"bomb-{layers}", body, {"Content-Encoding": encoding})
    result, peak = await fetch_with_peak(fetcher(client, max_bytes=1_000_000).fetch(spec(url)))
    assert result.status == "error"
    assert result.error.startswith("body exceeds 1 MB")
    assert peak < 8_000_000, f"held {peak / 1e6:.0f} MB for a 1 MB cap"


async def test_a_compressed_feed_followed_by_endless_bytes_is_cut_at_the_cap(client, feed_server, feeds_dir):
    # zlib keeps whatever follows the end of a stream; fed forever, that was held until the deadline (68 MB)
    original = (feeds_dir / "arxiv-api-testing-10.xml").read_bytes()
    feed_server.serve("then-endless", zlib.compress(original), {"Content-Encoding": "deflate"})
    result, peak = await fetch_with_peak(
        fetcher(client, max_bytes=1_000_000).fetch(spec(feed_server.url("/endless?after=then-endless"))))
    assert result.status == "error"
    assert result.error == "body exceeds 1 MB (bytes after the end of the deflate stream)"
    assert peak < 8_000_000, f"held {peak / 1e6:.0f} MB for a 1 MB cap"


async def test_compressed_feeds_still_arrive_whole(client, feed_server, feeds_dir):
    original = (feeds_dir / "arxiv-api-testing-10.xml").read_bytes()
    for name, body, encoding in (
        ("gzip", gzip.compress(original), "gzip"),
        ("gzip-twice", gzip.compress(gzip.compress(original)), "gzip, gzip"),
        ("deflate", zlib.compress(original), "deflate"),
        ("raw-deflate", zlib.compress(original, wbits=-15), "deflate"),  # what some servers send as deflate
        ("x-gzip", gzip.compress(original), "x-gzip"),
    ):
        result = await fetcher(client).fetch(spec(feed_server.serve(name, body, {"Content-Encoding": encoding})))
        assert (name, result.status, result.warnings) == (name, "ok", ())
        assert result.body == original, name
    assert feed_server.requests[-1].headers["Accept-Encoding"] == "gzip, deflate"


async def test_a_truncated_gzip_body_arrives_with_a_warning(client, feed_server, feeds_dir):
    packed = gzip.compress((feeds_dir / "arxiv-api-testing-100.xml").read_bytes())
    url = feed_server.serve("cut.gz", packed[: len(packed) // 2], {"Content-Encoding": "gzip"})
    result = await fetcher(client).fetch(spec(url))
    assert result.status == "ok"
    assert result.body.startswith(b"<?xml")
    assert result.warnings == ("the gzip body ends early (truncated)",)


async def test_an_encoding_we_did_not_ask_for_is_an_error(client, feed_server):
    url = feed_server.serve("brotli", b"\x1b\x03\x00\xf8", {"Content-Encoding": "br"})
    result = await fetcher(client).fetch(spec(url))
    assert result.status == "error"
    assert result.error == "unsupported Content-Encoding br (we ask for gzip or deflate)"


# --------------------------------------------------------------------------- 4. addresses


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://[2002:a00:1::]/feed", "refused private address 2002:a00:1::"),  # 6to4 of 10.0.0.1
        ("http://[64:ff9b::a00:1]/feed", "refused private address 64:ff9b::a00:1"),  # NAT64 of 10.0.0.1
        ("http://[64:ff9b::7f00:1]/feed", "refused private address 64:ff9b::7f00:1"),  # NAT64 of 127.0.0.1
        ("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/feed",  # Teredo, client 10.0.0.1
         "refused private address 2001:0:4136:e378:8000:63bf:f5ff:fffe"),
        ("http://[::ffff:10.0.0.1]/feed", "refused private address ::ffff:a00:1 for ::ffff:10.0.0.1"),
    ],
)
async def test_ipv6_addresses_are_judged_by_the_ipv4_address_they_carry(client, feed_server, target, reason):
    result = await fetcher(client).fetch(spec(feed_server.url(f"/redirect?to={target}")))
    assert (result.status, result.error) == ("error", reason + PRIVATE_HINT)


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize("host", ["1.2.3.04", "0x7f.1", "2130706433", "127.1"])
async def test_ambiguous_numeric_hosts_are_refused_without_a_traceback(client, host, allow_private):
    result = await fetcher(client, allow_private=allow_private).fetch(spec(f"http://{host}/feed"))
    assert result.status == "error"
    assert result.error == f"refused ambiguous numeric address {host} (only a plain a.b.c.d is clear)"


async def test_a_redirect_to_an_unparseable_host_is_an_error_result(client, feed_server):
    result = await fetcher(client, allow_private=True).fetch(
        spec(feed_server.url("/redirect?to=http://1.2.3.04/feed")))
    assert result.status == "error"
    assert "1.2.3.04" in result.error


# --------------------------------------------------------------------------- 5. Retry-After


@pytest.mark.parametrize("value", ["1e400", "999999999999", "inf"])
async def test_an_absurd_retry_after_is_capped_at_a_week_and_logged(client, feed_server, caplog, value):
    result = await fetcher(client).fetch(spec(feed_server.url(f"/status/503?retry_after={value}")))
    assert (result.status, result.retry_after) == ("error", MAX_RETRY_AFTER_SECONDS)
    assert "feed hostile: the server asked us to wait" in caplog.text
    assert "waiting 7 days instead" in caplog.text


async def test_a_retry_after_date_years_away_is_capped(client, feed_server, caplog):
    when = format_datetime(datetime.now(UTC) + timedelta(days=5 * 365), usegmt=True)
    result = await fetcher(client).fetch(spec(feed_server.url(f"/status/429?retry_after={when}")))
    assert result.retry_after == MAX_RETRY_AFTER_SECONDS
    assert "waiting 7 days instead" in caplog.text


def test_retry_after_values_that_are_no_number_are_ignored():
    assert parse_retry_after("nan") is None
    assert parse_retry_after("Fri, 24 May 99999 12:00:00 GMT") is None
    assert parse_retry_after("-5") == 0.0
