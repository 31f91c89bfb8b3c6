"""A loopback GitHub holding the list (REST fake + a bare repository served over git's HTTP protocol), the bot's
clone of it made by `init --from-github`, and the curation loop wired to a Publisher, with the console as the
maintainers' channel."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.adapters.console import ConsoleAdapter
from bot.catalogue.service import CatalogueService
from bot.chat.values import Vote
from bot.curation.pipeline import Curation
from bot.github.clone import init_from_github
from bot.github.publisher import Publisher
from bot.settings import Maintainer, Settings
from bot.store.db import Database
from bot.store.papers import PaperStore
from tests.fakes.github_fake import FakeGitHub, running_github

TOKEN = "github_pat_11TESTTOKEN0000000000_fakefakefakefakefakefake"
TOPICS = [{"slug": "sparse-coding", "title": "Sparse Coding", "path": "…", "score": 0.8},
          {"slug": "probing", "title": "Probing", "path": "…", "score": 0.3}]


@pytest.fixture
async def github(tmp_path: Path) -> AsyncIterator[FakeGitHub]:
    async with running_github(tmp_path, TOKEN) as fake:
        yield fake


def github_settings(tmp_path: Path, github: FakeGitHub, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "catalogue_dir": tmp_path / "list" / "catalogue", "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
        "github_repo": github.repo, "github_token": SecretStr(TOKEN), "github_api_url": github.api_url,
        "github_git_url": github.git_url, "approvals_needed": 2,
        "maintainers": [Maintainer(name="alice", discord=["111"], slack=["U111"]),
                        Maintainer(name="bob", discord=["222"], slack=["U222"])],
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Loop:
    """The bot's side: curation with a publisher, the console as the maintainers' channel."""

    settings: Settings
    database: Database
    catalogue: CatalogueService
    curation: Curation
    publisher: Publisher
    console: io.StringIO
    github: FakeGitHub

    def add_candidate(self, n: int, title: str | None = None, url: str | None = None) -> int:
        """An arXiv paper, or (`url`) a post at that address with no arXiv id."""
        arxiv = f"2411.{20000 + n:05d}"
        key = f"url:{url}" if url else f"arxiv:{arxiv}"
        paper, _ = PaperStore(self.database).record_paper(
            keys=[key],
            values={"canonical_id": key, "arxiv_id": None if url else arxiv,
                    "title": title or f"Sparse Autoencoders Find Feature Family {n} in Language Models",
                    "authors": ["Ada Lovelace"], "abstract": "We train sparse autoencoders.",
                    "abs_url": url or f"https://arxiv.org/abs/{arxiv}",
                    "pdf_url": "" if url else f"https://arxiv.org/pdf/{arxiv}",
                    "links": [], "categories": ["cs.LG"], "published": None, "score": 0.9, "topics": TOPICS,
                    "status": "candidate", "listed_entry": None},
            feed="arxiv-test", item_id=f"item-{n}", now=self.database.now())
        return paper.id

    async def approve(self, n: int, title: str | None = None, url: str | None = None) -> int:
        """Alice approves on Discord, Bob on Slack: the paper is written and recorded for publishing."""
        paper_id = self.add_candidate(n, title, url)
        for platform in ("discord", "slack"):
            self.curation.store.record_post(key=f"candidate:{paper_id}", kind="candidate", paper_id=paper_id,
                                            platform=platform, channel_id=f"{platform}-chan",
                                            message_id=f"{platform}-msg-{paper_id}")
        for platform, user in (("discord", "111"), ("slack", "U222")):
            outcome = await self.curation.handle_vote(Vote(
                platform=platform, user_id=user, channel_id=f"{platform}-chan",
                message_id=f"{platform}-msg-{paper_id}", emoji="white_check_mark", event_id=uuid.uuid4().hex))
        assert outcome.decision == "approved"
        return paper_id

    def topic_titles(self, query: str) -> list[str]:
        from bot.cli.output import topic_result

        return [entry["title"] for entry in topic_result(self.catalogue.index, query)["entries"]]


async def make_loop(tmp_path: Path, github: FakeGitHub, **overrides: Any) -> Loop:
    settings = github_settings(tmp_path, github, **overrides)
    await init_from_github(settings, github.repo)
    database = Database.open(settings.database_url)
    catalogue = CatalogueService(settings.catalogue_dir)
    curation = Curation(database, catalogue, settings)
    console = io.StringIO()
    curation.attach(ConsoleAdapter(console))
    publisher = Publisher(settings, curation)
    curation.publisher = publisher
    return Loop(settings, database, catalogue, curation, publisher, console, github)


@pytest.fixture
def loop_factory(tmp_path: Path, github: FakeGitHub) -> Callable[..., Any]:
    made: list[Loop] = []

    async def factory(**overrides: Any) -> Loop:
        loop = await make_loop(tmp_path, github, **overrides)
        made.append(loop)
        return loop

    yield factory
    for loop in made:
        loop.database.close()


@pytest.fixture
async def loop(loop_factory: Callable[..., Any]) -> Loop:
    return await loop_factory()
