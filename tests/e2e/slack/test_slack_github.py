"""The list on GitHub, through Slack: an approval becomes a pull request, and its merge is said once in the
maintainers' channel with the pull request's link (chat.postMessage to the loopback Slack)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.catalogue.service import CatalogueService
from bot.curation.pipeline import Curation
from bot.github.clone import init_from_github
from bot.github.publisher import Publisher
from bot.store.db import Database
from tests.e2e.slack.conftest import MAINTAINERS_CHANNEL, RecordingVotes, slack_settings
from tests.e2e.slack.test_slack_curation import add_candidate
from tests.fakes.github_fake import FakeGitHub, running_github

TOKEN = "github_pat_slack_e2e_token_0123456789"


@pytest.fixture
async def github(tmp_path: Path) -> AsyncIterator[FakeGitHub]:
    async with running_github(tmp_path, TOKEN) as fake:
        yield fake


async def test_an_approval_on_slack_reaches_github_and_the_merge_comes_back_once(fake, start_adapter, tmp_path: Path,
                                                                                 github: FakeGitHub) -> None:
    settings = slack_settings(fake, catalogue_dir=tmp_path / "list" / "catalogue", github_repo=github.repo,
                              github_token=SecretStr(TOKEN), github_api_url=github.api_url,
                              github_git_url=github.git_url, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    await init_from_github(settings, github.repo)
    database = Database.open(settings.database_url)
    curation = Curation(database, CatalogueService(settings.catalogue_dir), settings)
    curation.attach(await start_adapter(RecordingVotes(curation), settings=settings))
    publisher = Publisher(settings, curation)
    curation.publisher = publisher
    try:
        paper_id = add_candidate(curation)
        assert (await curation.decide(paper_id, "approve", person="slack:U0MAINT01", force=True,
                                      platform="slack")).decision == "approved"
        await publisher.run_round()
        assert "U0MAINT01 (slack)" in github.pulls[1].body
        github.merge(1)
        await publisher.run_round()
        await publisher.run_round()
        posts = [call for call in fake.calls_to("chat.postMessage") if "Merged on GitHub" in str(call.params)]
        assert len(posts) == 1
        assert posts[0].params["channel"] == MAINTAINERS_CHANNEL
        assert "https://github.com/interp-test/awesome-llm-interpretability/pull/1" in str(posts[0].params)
        assert "<!channel>" not in str(posts[0].params)
    finally:
        database.close()
