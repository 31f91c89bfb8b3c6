"""`interp-bot status` as an operator reads it: trouble named first and in capitals, aligned columns, local times,
counts instead of raw dicts. The input is a `status --json` document; the expected text is a file beside it."""

from __future__ import annotations

import json

from bot.cli.status_text import render_status
from tests.conftest import REPO

DATA = REPO / "tests" / "data" / "status"


def test_a_troubled_deployment_reads_as_the_expected_text() -> None:
    data = json.loads((DATA / "troubled.json").read_text(encoding="utf-8"))
    assert render_status(data, "Europe/Berlin") == (DATA / "troubled.txt").read_text(encoding="utf-8")


def test_no_python_reprs_and_every_feed_row_lines_up() -> None:
    text = render_status(json.loads((DATA / "troubled.json").read_text(encoding="utf-8")), "UTC")
    assert "{" not in text
    assert "None" not in text
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("  name "))
    rows = [line for line in lines if line.startswith("  ") and line.split()[0] in
            ("arxiv-listing-cs-cl", "lesswrong-frontpage", "alignment-forum", "lesswrong-curated")]
    assert len(rows) == 4
    for column in ("health", "last poll", "next poll", "last new item", "failures"):
        at = header.index(column)
        assert all(row[at - 2:at] == "  " and row[at] != " " for row in rows), column


def test_a_missing_feeds_file_is_said_first_in_the_feeds_line() -> None:
    """`run` without its feeds file polls nothing (a lookups-only bot may mean to); status must not read "all ok"."""
    data = json.loads((DATA / "troubled.json").read_text(encoding="utf-8"))
    data["feeds_file"] = {"path": "/srv/interp-bot/feeds.yml", "found": False}
    feeds_line = next(line for line in render_status(data, "UTC").splitlines() if line.startswith("Feeds"))
    assert "FEEDS FILE /srv/interp-bot/feeds.yml NOT FOUND: nothing is polled · " in feeds_line


def test_a_feed_that_brings_items_every_few_minutes_says_so() -> None:
    data = json.loads((DATA / "troubled.json").read_text(encoding="utf-8"))
    data["feeds"][0]["usual_gap_hours"] = 0.08
    data["feeds"][1]["usual_gap_hours"] = 0.0
    text = render_status(data, "UTC")
    assert "(every ~5 min)" in text
    assert "(every ~1 min)" in text
    assert "~0 h" not in text


def test_a_github_round_in_progress_shows_whose_and_until_when_and_a_long_problem_keeps_its_remedy() -> None:
    data = json.loads((DATA / "troubled.json").read_text(encoding="utf-8"))
    remedy = "point it there with `git -C /srv/list remote set-url origin https://github.com/o/n.git`"
    data["github"]["last_round"]["problem"] = ("the clone /srv/list fetches from https://github.com/old/n.git, but "
                                               "the bot publishes to https://github.com/o/n.git (INTERP_BOT_GITHUB_"
                                               f"REPO / INTERP_BOT_GITHUB_GIT_URL): {remedy}")
    data["github"]["round_in_progress"] = {"holder": "host-b:4242", "lease_expires_at": "2026-12-04T09:15:00+00:00"}
    line = next(line for line in render_status(data, "Europe/Berlin").splitlines() if line.startswith("GitHub"))
    assert line.endswith(f"{remedy} · a round is running (host-b:4242, its lease ends 2026-12-04 10:15 at the "
                         "latest)")


def test_the_feeds_summary_never_says_all_ok_of_feeds_it_cannot_vouch_for() -> None:
    data = json.loads((DATA / "troubled.json").read_text(encoding="utf-8"))
    feeds = data["feeds"]

    def feeds_line(status: dict) -> str:
        return next(line for line in render_status(status, "UTC").splitlines() if line.startswith("Feeds"))

    # A broken feeds file: the feeds the database knows are not in any file; their last troubles stay visible.
    data["feeds_file"] = {"path": "/srv/feeds.yaml", "found": True, "problem": "/srv/feeds.yaml:3: invalid YAML"}
    data["feeds"] = [{**feed, "enabled": False, "configured": False} for feed in feeds]
    line = feeds_line(data)
    assert "all ok" not in line
    assert line.endswith(f"0 enabled, 0 disabled, {len(feeds)} not in the feeds file")
    assert "not in file" in render_status(data, "UTC")

    # A fresh install: nothing polled yet is not "all ok".
    data["feeds_file"] = {"path": "/srv/feeds.yaml", "found": True, "problem": None}
    data["feeds"] = [{**feed, "enabled": True, "configured": True, "health": "never polled"} for feed in feeds]
    assert feeds_line(data).endswith(f"{len(feeds)} enabled, 0 disabled · none polled yet")
    shown = render_status(data, "UTC")
    assert "never polled" in shown
    assert "NEVER POLLED" not in shown  # capitals are for what needs a look (docs/operations.md)


def test_github_without_a_token_says_so_instead_of_no_round_yet() -> None:
    data = json.loads((DATA / "troubled.json").read_text(encoding="utf-8"))
    data["github"].update(token_set=False, last_round=None)
    line = next(line for line in render_status(data, "UTC").splitlines() if line.startswith("GitHub"))
    assert line.endswith("GITHUB_TOKEN IS NOT SET: nothing is published, and `run` refuses to start")


def test_a_broken_catalogue_says_whether_a_running_bot_still_serves_the_last_valid_list() -> None:
    """A hand edit that breaks the list leaves a running bot answering from the version it had: status said only
    INVALID, which reads as if readers got nothing, and not that a restart would fail until the file is fixed."""
    data = json.loads((DATA / "troubled.json").read_text(encoding="utf-8"))
    data["catalogue"] = {"dir": "/app/catalogue", "entries": None, "readme_current": None,
                         "problem": "/app/catalogue/survey.yaml:6: invalid YAML"}
    lines = render_status(data, "UTC").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Catalogue"))
    assert lines[at + 1] == ("  the running bot (bot-slack:7) keeps serving the last valid list and reloads once the "
                             "file is fixed; a restart fails until then")  # bot-discord:7 is down: it serves nobody
    data["adapters"] = []
    lines = render_status(data, "UTC").splitlines()
    assert lines[at + 1] == "  the bot does not start until it is fixed"
