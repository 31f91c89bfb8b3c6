"""The jobs' last runs in `status`: a run the scheduler made and the same work done from a shell count alike."""

from __future__ import annotations

import socket
from pathlib import Path

from bot.app import App
from bot.scheduler import build_scheduler
from bot.settings import load_settings
from tests.fakes.link_site import LinkSite
from tests.ops.support import bot_env, cli
from tests.test_links import write_list


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_link_check_from_a_shell_clears_the_weekly_jobs_failure(tmp_path: Path) -> None:
    """After the weekly check failed (the machine was offline), `interp-bot links --check` checked every link, and
    `status` kept the job FAILED until next Monday (a monitor alerting on it for a week)."""
    port = closed_port()  # three hosts, none answering: the check records nothing and fails
    offline = tmp_path / "offline"
    offline.mkdir()
    (offline / "topics.yaml").write_text("title: Links\ndescription: a list\ntopics:\n"
                                         "  - slug: probing\n    title: Probing\n")
    lines = ["- topic: probing", "  entries:"]
    for number in range(3):
        lines += [f"    - id: paper-{number}", f"      title: Paper {number}", "      links:",
                  "        - label: site", f"          url: http://127.0.0.{number + 1}:{port}/paper"]
    (offline / "probing.yaml").write_text("\n".join(lines) + "\n")
    database = f"sqlite:///{tmp_path / 'bot.db'}"
    app = App(load_settings(catalogue_dir=offline, database_url=database, allow_private_addresses=True),
              feeds="unused")
    scheduler = build_scheduler(app)
    scheduler.start(paused=True)
    try:
        await scheduler.get_job("links").func()
    finally:
        scheduler.shutdown(wait=False)
        await app.stop()

    async with LinkSite() as site:
        directory = write_list(tmp_path / "list", site)
        env = bot_env(tmp_path, database_url=database, INTERP_BOT_CATALOGUE_DIR=str(directory))
        failed = section((await cli(env, tmp_path, "status")).stdout, "Jobs")
        assert failed[0] == "Jobs        1 FAILED at their last run"
        assert failed[1].startswith("  links  failed ") and "no site answered" in failed[1]
        checked = await cli(env, tmp_path, "links", "--check")
        assert checked.returncode == 0, checked.stderr
        status = await cli(env, tmp_path, "status", "--json")
    (job,) = [job for job in status.json()["jobs"] if job["name"] == "links"]
    assert job["problem"] is None
    assert section((await cli(env, tmp_path, "status")).stdout, "Jobs") == ["Jobs        all ok at their last run"]


def section(text: str, label: str) -> list[str]:
    """A section of `status`: its line and the indented lines below it."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(label))
    end = next((i for i in range(at + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return lines[at:end]
