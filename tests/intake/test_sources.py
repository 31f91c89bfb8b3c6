"""feeds.yaml: the real sources load, and every mistake is reported with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import FeedsError
from bot.intake.sources import FeedSpec, load_feeds

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_real_feeds_file_names_the_sources_the_issue_asks_for():
    config = load_feeds(REPO / "feeds.yaml")
    by_kind: dict[str, list[FeedSpec]] = {}
    for feed in config.feeds:
        by_kind.setdefault(feed.kind, []).append(feed)
        assert feed.interval_minutes >= 1
        assert feed.max_entries >= 1

    api_urls = " ".join(f.url for f in by_kind["arxiv_api"])
    assert all(f.host == "export.arxiv.org" for f in by_kind["arxiv_api"])
    for category in ("cs.CL", "cs.LG", "cs.AI"):
        assert f"cat:{category}" in api_urls
    assert "interpretability" in api_urls
    assert "sparse+autoencoder" in api_urls
    assert all("sortBy=submittedDate" in f.url for f in by_kind["arxiv_api"])

    assert {f.url for f in by_kind["arxiv_rss"]} == {"https://rss.arxiv.org/rss/cs.CL", "https://rss.arxiv.org/rss/cs.LG"}
    forum_hosts = {f.host for f in by_kind["forum_rss"] if f.enabled}
    assert forum_hosts == {"www.lesswrong.com", "www.alignmentforum.org"}

    assert [site.url for site in config.without_feed] == ["https://transformer-circuits.pub/"]
    assert "no RSS" in config.without_feed[0].note
    assert config.feed("alignment-forum") is not None
    assert config.feed("nope") is None


def test_defaults_apply_to_omitted_fields(tmp_path):
    config = load_feeds(write(tmp_path, "feeds:\n  - {name: blog, kind: rss, url: 'https://example.org/feed'}\n"))
    assert config.feeds == (FeedSpec(name="blog", url="https://example.org/feed", kind="rss"),)
    feed = config.feeds[0]
    assert (feed.interval_minutes, feed.enabled, feed.max_entries, feed.first_poll_max_items) == (60, True, 100, None)
    assert config.without_feed == ()


def test_a_daily_listing_reads_a_whole_day_unless_told_otherwise(tmp_path):
    """A day's listing runs to ~1,500 items (1,504 in the real capture): 100 would leave most of it unread."""
    config = load_feeds(write(tmp_path, "feeds:\n"
                                        "  - {name: day, kind: arxiv_rss, url: 'https://rss.arxiv.org/rss/cs'}\n"
                                        "  - {name: small, kind: arxiv_rss, url: 'https://rss.arxiv.org/rss/cs',"
                                        " max_entries: 50}\n"))
    assert [f.max_entries for f in config.feeds] == [2000, 50]


def test_every_problem_is_reported_with_its_line(tmp_path):
    path = write(
        tmp_path,
        "\n".join([
            "feeds:",
            "  - name: ok",                              # 2
            "    kind: rss",
            "    url: https://example.org/feed",
            "  - name: ok",                              # 5: duplicate name
            "    kind: rss",
            "    url: https://example.org/other",
            "  - name: bad-kind",
            "    kind: atom",                            # 9
            "    url: https://example.org/feed",
            "  - name: bad-url",
            "    kind: rss",
            "    url: ftp://example.org/feed",           # 13
            "  - name: too-often",
            "    kind: rss",
            "    url: https://example.org/feed",
            "    interval_minutes: 0",                   # 17
            "    colour: blue",                          # 18: unknown key
            "  - name: not-a-flag",
            "    kind: rss",
            "    url: https://example.org/feed",
            "    enabled: maybe",                        # 22
            "  - name: bad-port",
            "    kind: rss",
            "    url: http://127.0.0.1:99999/feed",      # 25: accepted, then every poll failed with a traceback
            "  - name: once-a-century",
            "    kind: rss",
            "    url: https://example.org/feed",
            "    interval_minutes: 6000000000",          # 29: overflowed the scheduler's dates on every poll
            "  - name: spaced",
            "    kind: rss",
            '    url: "http://x y/feed"',                # 32: accepted, then "cannot resolve x y" on every poll
            "",
        ]),
    )
    with pytest.raises(FeedsError) as caught:
        load_feeds(path)
    problems = caught.value.problems
    expected = {
        5: "duplicate feed name 'ok' (first defined on line 2)",
        9: "unknown kind 'atom'",
        13: "bad URL 'ftp://example.org/feed'",
        17: "interval_minutes must be at least 1",
        18: "unknown key 'colour'",
        22: "enabled must be true or false",
        25: "bad URL 'http://127.0.0.1:99999/feed': Port out of range 0-65535",
        29: "interval_minutes must be at most 43,200, not 6,000,000,000",
        32: "bad URL 'http://x y/feed': no spaces in its host or control characters",
    }
    for line, text in expected.items():
        assert any(p.startswith(f"{path}:{line}: ") and text in p for p in problems), (line, problems)
    assert len(problems) == len(expected)


def test_a_bad_url_is_named_without_its_password(tmp_path):
    """feeds.yaml's problems are printed at start-up and logged: a feed URL's credentials were quoted whole."""
    path = write(tmp_path, "feeds:\n  - name: a\n    kind: rss\n    url: http://reader:s3cret-pw@x y/feed\n")
    with pytest.raises(FeedsError) as caught:
        load_feeds(path)
    (problem,) = caught.value.problems
    assert "bad URL 'http://***@x y/feed': no spaces in its host" in problem
    assert "s3cret" not in problem


def test_missing_fields_and_duplicate_keys(tmp_path):
    path = write(tmp_path, "feeds:\n  - name: a\n    kind: rss\n  - name: b\n    name: c\n    kind: rss\n    url: https://x.org/\n")
    with pytest.raises(FeedsError) as caught:
        load_feeds(path)
    text = str(caught.value)
    assert f"{path}:2: feed 'a' is missing url" in text
    assert f"{path}:5: duplicate key 'name'" in text


def test_top_level_mistakes(tmp_path):
    with pytest.raises(FeedsError, match=r"feeds.yaml:1: unknown key 'feed'"):
        load_feeds(write(tmp_path, "feed: []\n"))
    with pytest.raises(FeedsError, match=r"feeds.yaml:\d+: invalid YAML"):
        load_feeds(write(tmp_path, "feeds:\n  - name: [unclosed\n"))
    with pytest.raises(FeedsError, match="empty file"):
        load_feeds(write(tmp_path, ""))
    with pytest.raises(FeedsError, match="cannot read"):
        load_feeds(tmp_path / "missing.yaml")


def test_yaml_tags_that_run_code_are_refused(tmp_path):
    path = write(tmp_path, "feeds: !!python/object/apply:os.system ['echo pwned > pwned']\n")
    with pytest.raises(FeedsError):
        load_feeds(path)
    assert not (tmp_path / "pwned").exists()


def test_without_feed_entries_need_a_note(tmp_path):
    path = write(tmp_path, "feeds: []\nwithout_feed:\n  - name: Thread\n    url: https://transformer-circuits.pub/\n")
    with pytest.raises(FeedsError, match=r":3: without_feed site is missing note"):
        load_feeds(path)


def test_a_feed_name_longer_than_the_store_keeps_is_refused_with_its_line(tmp_path):
    """The store keys a feed's state and items by its name in 100 characters: on PostgreSQL a longer name failed
    every poll of every feed at once (`poll` raised StringDataRightTruncation) instead of naming the line."""
    name = "arxiv-" + "x" * 95
    path = write(tmp_path, f"feeds:\n  - name: ok\n    kind: rss\n    url: https://example.org/a\n"
                           f"  - name: {name}\n    kind: rss\n    url: https://example.org/b\n")
    with pytest.raises(FeedsError) as caught:
        load_feeds(path)
    assert caught.value.problems == (f"{path}:5: feed name 'arxiv-xxxxxxxxxxxxxx'... has 101 characters (at most 100)",)
    assert load_feeds(write(tmp_path, path.read_text().replace(name, name[:100]))).feed(name[:100]) is not None


async def test_a_space_in_a_feeds_query_is_sent_as_percent_20_not_refused(tmp_path, parts, feed_server):
    """The check for "http://x y/" refused any space, though httpx sends one in a path or query as %20 and arXiv's
    API reads it: an arXiv query written as its manual writes one (`abs:"sparse autoencoder"`) no longer loaded."""
    from bot.intake.poll import Intake

    intake: Intake = parts["intake"]
    url = feed_server.serve("query", (REPO / "tests/data/feeds/lesswrong-frontpage.xml").read_bytes())
    path = write(tmp_path, f"feeds:\n  - name: spaced-query\n    kind: forum_rss\n"
                           f"    url: '{url}?search_query=abs:\"sparse autoencoder\" AND cat:cs.CL'\n")
    spec = load_feeds(path).feed("spaced-query")
    assert spec is not None
    report = await intake.poll_feed(spec)
    assert report.status == "ok", report.error
    assert feed_server.requests_to("/served/query")[-1].path.endswith(
        "?search_query=abs:%22sparse%20autoencoder%22%20AND%20cat:cs.CL")
