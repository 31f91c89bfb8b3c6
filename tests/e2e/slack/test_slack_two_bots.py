"""The compose deployment: one bot per platform on one database, the work they share and the work each does for its
own platform."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from bot.app import App
from bot.scheduler import build_scheduler
from bot.settings import load_settings
from tests.curation.test_pipeline import add_candidate
from tests.e2e.slack.conftest import MAINTAINERS_CHANNEL, slack_settings
from tests.fakes.link_site import LinkSite
from tests.test_links import write_list


async def run_job(app: App, job_id: str) -> None:
    scheduler = build_scheduler(app)
    scheduler.start(paused=True)
    try:
        await scheduler.get_job(job_id).func()
    finally:
        scheduler.shutdown(wait=False)


async def test_the_link_report_reaches_the_platform_whose_bot_did_not_run_the_check(fake, start_adapter,
                                                                                    tmp_path: Path) -> None:
    """The check runs in whichever bot takes its lease, and that bot told only its own platform: the other
    platform's maintainers never heard of a dead or moved link."""
    async with LinkSite() as site:
        catalogue = write_list(tmp_path / "list", site, ("/ok", "/old"))
        database = f"sqlite:///{tmp_path / 'shared.db'}"
        # The other platform's bot (a console stands in for it) took the lease at 04:30 and checked.
        checker = App(load_settings(catalogue_dir=catalogue, database_url=database, allow_private_addresses=True),
                      feeds="unused")
        said = io.StringIO()
        checker.add_adapter("console", stream=said)
        try:
            await run_job(checker, "links")
        finally:
            await checker.stop()
        assert said.getvalue().count("Link check —") == 1

        settings = slack_settings(fake, catalogue_dir=catalogue, database_url=database, allow_private_addresses=True)
        slack_bot = App(settings, feeds="unused")
        slack_bot.curation.attach(await start_adapter(settings=settings))
        try:
            await run_job(slack_bot, "links-report")
            await run_job(slack_bot, "links-report")  # told once
        finally:
            await slack_bot.stop()
    (report,) = [m for m in fake.messages.get(MAINTAINERS_CHANNEL, []) if "Link check —" in m.text]
    assert f"{site.url('/old')} → {site.url('/new')}" in report.text
    assert (site.hits_to("/ok"), site.hits_to("/old")) == (["HEAD"], ["HEAD"]), "checked once, not again for Slack"


async def test_a_recovery_round_edits_this_platforms_posts_while_the_other_bot_is_in_its_own(
        fake, start_adapter, catalogue_dir: Path, tmp_path: Path) -> None:
    """Each bot edits only its own platform's posts of a decided candidate, in its recovery round; the rounds took
    one lease between them, so with both bots started together (their rounds at the same moments) one skipped every
    round, and its platform's post kept asking for votes on a paper long decided."""
    settings = slack_settings(fake, catalogue_dir=catalogue_dir, database_url=f"sqlite:///{tmp_path / 'shared.db'}")
    slack_bot = App(settings, feeds="unused")
    slack_bot.curation.attach(await start_adapter(settings=settings))
    try:
        paper_id = add_candidate(slack_bot.database, 1)
        assert await slack_bot.curation.publish_pending() == 1
        shell = App(settings, feeds="unused")  # `interp-bot decide`: no chat connection, so no post is edited
        try:
            assert (await shell.curation.decide(paper_id, "approve", person="console", force=True)).decision == \
                "approved"
        finally:
            await shell.stop()
        assert not fake.calls_to("chat.update")
        # The other platform's bot (a console stands in for it) is in its own round at this moment.
        for lease in ("recover", "recover:console"):
            assert slack_bot.database.acquire_lease(lease, "the console bot", timedelta(minutes=5))
        await run_job(slack_bot, "recover")
    finally:
        await slack_bot.stop()
    (edit,) = fake.calls_to("chat.update")
    assert edit.params["text"].startswith("✅ Added")
