"""The list on GitHub, through Discord: a ✅ reaction becomes a pull request, its merge is said once in the
maintainers' channel, and a human's edit on GitHub reaches `/interp topic` at the next sync."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.github.clone import init_from_github
from bot.github.publisher import Publisher
from tests.e2e.discord.harness import Bot, embed_of, make_settings, reaction, slash
from tests.e2e.discord.test_curation import post_candidate
from tests.fakes.discord_fake import ALICE, MAINTAINERS_CHANNEL, FakeDiscord
from tests.fakes.github_fake import FakeGitHub, running_github

TOKEN = "github_pat_discord_e2e_token_0123456789"


@pytest.fixture
async def github(tmp_path: Path) -> AsyncIterator[FakeGitHub]:
    async with running_github(tmp_path, TOKEN) as fake:
        yield fake


@pytest.fixture
def settings_overrides(github: FakeGitHub) -> dict[str, Any]:
    return {"github_repo": github.repo, "github_token": SecretStr(TOKEN), "github_api_url": github.api_url,
            "github_git_url": github.git_url}


@pytest.fixture
async def catalogue_dir(tmp_path: Path, github: FakeGitHub, settings_overrides: dict[str, Any]) -> Path:
    """The bot's catalogue is its clone of the list's repository."""
    settings = make_settings(tmp_path, tmp_path / "list" / "catalogue", **settings_overrides)
    await init_from_github(settings, github.repo)
    return settings.catalogue_dir


@pytest.fixture
def publisher(bot: Bot) -> Publisher:
    publisher = Publisher(bot.settings, bot.curation)
    bot.curation.publisher = publisher
    return publisher


def notices(fake: FakeDiscord, title: str) -> list[dict[str, Any]]:
    return [embed_of(c.json) for c in fake.find("POST", rf"/channels/{MAINTAINERS_CHANNEL}/messages")
            if embed_of(c.json)["title"].startswith(title)]


async def test_a_reaction_becomes_a_pull_request_whose_merge_is_said_once(
        fake: FakeDiscord, bot: Bot, github: FakeGitHub, publisher: Publisher) -> None:
    message_id = await post_candidate(fake, bot, "Linear probes find a truth direction in chat models")
    await fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id=message_id, user_id=ALICE))
    _vote, outcome = await bot.votes.next(ALICE)
    assert outcome.decision == "approved"

    await publisher.run_round()
    assert list(github.pulls) == [1]
    assert "Linear probes find a truth direction in chat models" in github.pulls[1].body
    assert f"{ALICE} (discord)" in github.pulls[1].body

    github.merge(1)
    await publisher.run_round()
    await publisher.run_round()
    (said,) = notices(fake, "🎉 Merged on GitHub: pull request #1")
    assert said["url"] == "https://github.com/interp-test/awesome-llm-interpretability/pull/1"
    assert "Linear probes find a truth direction in chat models" in str(said)


async def test_a_human_edit_on_github_reaches_the_topic_command(fake: FakeDiscord, bot: Bot, github: FakeGitHub,
                                                                publisher: Publisher) -> None:
    def add_by_hand(work: Path) -> None:
        path = work / "catalogue" / "tools-techniques-methods.yaml"
        anchor = "- topic: sparse-coding\n  entries:\n"
        path.write_text(path.read_text().replace(anchor, anchor + "    - id: from-github\n      title: Features "
                                                 "Someone Added On GitHub\n", 1))

    github.commit(add_by_hand, "Add a paper on GitHub")
    await publisher.run_round()
    interaction = slash("topic", {"name": (3, "sae")})
    await fake.dispatch("INTERACTION_CREATE", interaction)
    call = await fake.wait_for("POST", f"/interactions/{interaction['id']}/{interaction['token']}/callback")
    assert "Features Someone Added On GitHub" in embed_of(call.json)["description"]
