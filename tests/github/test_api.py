"""The REST calls through githubkit against the loopback GitHub, on the recorded and the documented payloads, and
how GitHub's refusals are worded."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import GitHubAccessError, GitHubError
from bot.github.api import GitHubApi
from tests.fakes.github_fake import FakeGitHub, seed_list
from tests.github.conftest import TOKEN


@pytest.mark.parametrize("repository_sample", ["recorded", "documented"])
async def test_the_default_branch_from_a_real_and_a_documented_repository_payload(
        tmp_path: Path, repository_sample: str) -> None:
    github = FakeGitHub(tmp_path, token=TOKEN, default_branch="trunk", repository_sample=repository_sample)
    github.seed(seed_list)
    await github.start()
    try:
        api = GitHubApi(github.repo, TOKEN, base_url=github.api_url, user_agent="interp-bot/test")
        assert await api.default_branch() == "trunk"
        call = github.find("GET", f"/repos/{github.repo}")[0]
        assert call.headers["Authorization"] == f"token {TOKEN}"  # githubkit's scheme, which GitHub takes
        assert call.headers["User-Agent"] == "interp-bot/test"
        assert await api.pull_for_branch("interp-bot/2026-03-02") is None
    finally:
        await github.stop()


async def test_refusals_name_the_token_and_other_failures_do_not(github: FakeGitHub) -> None:
    wrong = GitHubApi(github.repo, "github_pat_wrong", base_url=github.api_url, user_agent="t")
    with pytest.raises(GitHubAccessError, match=r"^GITHUB_TOKEN cannot read interp-test/awesome-llm-interpretability "
                                                r"\(GitHub: 401 Bad credentials\)"):
        await wrong.default_branch()
    api = GitHubApi(github.repo, TOKEN, base_url=github.api_url, user_agent="t")
    with pytest.raises(GitHubError, match=r"refused to read pull requests of .* \(GitHub: 404 Not Found\)") as raised:
        await api.pull(99)
    assert not isinstance(raised.value, GitHubAccessError)
    offline = GitHubApi(github.repo, TOKEN, base_url="http://127.0.0.1:1", user_agent="t")
    with pytest.raises(GitHubError, match=r"^cannot reach GitHub to read interp-test/awesome-llm-interpretability"):
        await offline.default_branch()
