"""The real `interp-bot` against odd feeds (issue 12): nothing a feed sends drives the terminal or the log, and
`status` says which feeds are failing, degraded or quiet, and since when."""

from __future__ import annotations

import gzip
from pathlib import Path

from tests.fakes.feed_server import TLS_CA, FeedServer
from tests.ops.support import FEED_FILES, bot_env, cli

ESCAPES = ("\x1b", "\x07", "\x9b")  # ESC (CSI, OSC), BEL, and the 8-bit CSI


def write_feeds(path: Path, feeds: dict[str, tuple[str, str]]) -> Path:
    lines = ["feeds:"]
    for name, (kind, url) in feeds.items():
        lines += [f"  - name: {name}", f"    kind: {kind}", f"    url: {url}", "    interval_minutes: 60"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_terminal_escapes_from_feeds_reach_neither_stdout_nor_the_log(tmp_path: Path,
                                                                           feed_server: FeedServer) -> None:
    hostile_title = "Clear your screen\x1b[2J\x1b]0;owned\x07 with probing classifiers"
    rss = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
           f"<item><title>{hostile_title}</title><link>https://example.org/escape</link><guid>e1</guid>"
           "<description>Linear probes \x1b[31mred\x1b[0m find features.\x9b2J</description></item>"
           "</channel></rss>").encode()
    # arXiv's API error document, its message carrying the escapes the issue saw in the log.
    error = (FEED_FILES / "arxiv-api-error.xml").read_text(encoding="utf-8").replace(
        "incorrect id format for abc", "bad query \x1b[2J\x1b]0;title\x07").encode("utf-8")
    feeds = write_feeds(tmp_path / "feeds.yaml", {
        "escapes": ("rss", feed_server.serve("escapes", rss)),
        "api-error": ("arxiv_api", feed_server.serve("api-error", error)),
    })
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path}/bot.db", feeds_file=feeds)
    result = await cli(env, tmp_path, "poll", "--dry-run")
    assert "Clear your screen[2J]0;owned with probing classifiers" in result.stdout  # the text, made inert
    assert "parse error: arXiv API error: bad query [2J]0;title" in result.stderr
    for escape in ESCAPES:
        assert escape not in result.stdout, repr(escape)
        assert escape not in result.stderr, repr(escape)


async def test_status_names_failing_degraded_and_quiet_feeds_and_since_when(tmp_path: Path,
                                                                           feed_server: FeedServer) -> None:
    whole = (FEED_FILES / "arxiv-api-testing-100.xml").read_bytes()
    packed = gzip.compress(whole)
    feeds = write_feeds(tmp_path / "feeds.yaml", {
        "typo": ("arxiv_rss", feed_server.url("/feeds/arxiv-listing-error-bad-archive.xml")),
        "cut": ("arxiv_api", feed_server.serve("cut", packed[: len(packed) // 2], {"Content-Encoding": "gzip"})),
        "empty-listing": ("arxiv_rss", feed_server.url("/feeds/arxiv-listing-empty.xml")),
        "lesswrong": ("forum_rss", feed_server.url("/feeds/lesswrong-frontpage.xml")),
    })
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path}/bot.db", feeds_file=feeds)
    await cli(env, tmp_path, "poll")
    status = await cli(env, tmp_path, "status", "--json")
    assert status.returncode == 0, status.stderr
    health = {f["name"]: f for f in status.json()["feeds"]}
    assert health["typo"]["health"] == "failing"
    assert health["typo"]["health_reason"].startswith("arXiv answered with an error: Feed error for query")
    assert health["typo"]["health_since"] == health["typo"]["last_poll"]
    assert health["cut"]["health"] == "degraded"
    assert health["cut"]["health_reason"].startswith("the gzip body ends early (truncated)")
    assert health["cut"]["health_since"] == health["cut"]["last_poll"]
    assert (health["empty-listing"]["health"], health["empty-listing"]["health_reason"]) == (
        "quiet", "has brought no item yet")
    assert health["lesswrong"]["health"] == "ok"
    assert health["lesswrong"]["last_new_item"] == health["lesswrong"]["last_poll"]

    text = await cli(env, tmp_path, "status")
    lines = text.stdout.splitlines()

    def row(name: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(f"  {name} "))

    def minute(iso: str) -> str:  # status shows times to the minute, in the configured zone (UTC here)
        return iso[:16].replace("T", " ")

    assert " FAILING " in lines[row("typo")]
    assert lines[row("typo") + 1].startswith(f"      since {minute(health['typo']['health_since'])}: arXiv answered")
    assert " DEGRADED " in lines[row("cut")]
    assert lines[row("cut") + 1].startswith(f"      since {minute(health['cut']['health_since'])}: the gzip body")
    assert " QUIET " in lines[row("empty-listing")]
    assert lines[row("empty-listing") + 1] == "      has brought no item yet"
    assert " ok " in lines[row("lesswrong")]
    assert minute(health["lesswrong"]["last_new_item"]) in lines[row("lesswrong")]
    header = next(line for line in lines if line.startswith("  name "))
    for name in ("typo", "cut", "empty-listing", "lesswrong"):  # one column each, aligned under its heading
        assert lines[row(name)].index(" 20") == header.index("last poll") - 1


async def test_status_names_a_refused_downgrade_and_where_a_feed_moved(tmp_path: Path, feed_server: FeedServer) -> None:
    """A feed written as https:// was followed down to plain http without a word, and a feed that moved for good
    was followed on every poll while the feeds file kept its old address."""
    async with FeedServer(FEED_FILES, tls=True) as tls:
        plain = feed_server.url("/feeds/lesswrong-frontpage.xml")
        downgrading = tls.url(f"/redirect?to={plain}")
        moving = feed_server.url("/redirect?status=301&to=/feeds/alignment-forum.xml")
        feeds = write_feeds(tmp_path / "feeds.yaml", {
            "downgraded": ("forum_rss", downgrading),
            "moved": ("forum_rss", moving),
            "arxiv": ("arxiv_api", tls.url("/feeds/arxiv-api-testing-10.xml")),  # over https, as arXiv's are
        })
        env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path}/bot.db", feeds_file=feeds,
                      SSL_CERT_FILE=str(TLS_CA))
        first = await cli(env, tmp_path, "poll")
        second = await cli(env, tmp_path, "poll")
        status = await cli(env, tmp_path, "status", "--json")
        text = await cli(env, tmp_path, "status")
    refused = (f"refused the redirect (HTTP 302) from {downgrading} to {plain}: https downgraded to http (write the "
               "feed's url as http:// in the feeds file to accept that)")
    assert first.returncode == 1
    assert f"feed downgraded: {refused}" in first.stderr
    assert feed_server.requests_to("/feeds/lesswrong") == []
    moved_to = feed_server.url("/feeds/alignment-forum.xml")
    said = f"feed moved has moved permanently to {moved_to}; still polled at the feeds file's {moving}"
    assert said in first.stderr
    assert said not in second.stderr  # once
    assert len(feed_server.requests_to("/redirect?status=301")) == 2  # the file's URL is what is polled

    feeds_now = {f["name"]: f for f in status.json()["feeds"]}
    assert (feeds_now["downgraded"]["health"], feeds_now["downgraded"]["health_reason"]) == ("failing", refused)
    assert (feeds_now["moved"]["health"], feeds_now["moved"]["moved_to"]) == ("ok", moved_to)
    assert (feeds_now["arxiv"]["health"], feeds_now["arxiv"]["moved_to"]) == ("ok", None)  # the others go on
    lines = text.stdout.splitlines()
    assert next(line for line in lines if line.startswith("Feeds")).endswith(" · 1 FAILING · 1 moved permanently")
    row = next(i for i, line in enumerate(lines) if line.startswith("  moved "))
    assert lines[row + 1] == f"      moved permanently to {moved_to}: update its url in the feeds file"
