"""The REST calls through githubkit against the loopback GitHub, on the recorded and the documented payloads, and
how GitHub's refusals are worded."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.errors import GitHubAccessError, GitHubError
from bot.github.api import GitHubApi
from tests.fakes import serve_loopback
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


async def test_a_repository_github_does_not_show_may_be_misspelt_and_the_refusal_says_so(github: FakeGitHub) -> None:
    """GitHub answers 404 both for a repository the token may not see and for one that does not exist: a misspelt
    INTERP_BOT_GITHUB_REPO was told only to get a token with more rights."""
    api = GitHubApi("interp-test/awesome-llm-interpretabilty", TOKEN, base_url=github.api_url, user_agent="t")
    with pytest.raises(GitHubAccessError) as raised:
        await api.default_branch()
    assert str(raised.value).startswith("GITHUB_TOKEN cannot read interp-test/awesome-llm-interpretabilty (GitHub: 404")
    assert str(raised.value).endswith(", or INTERP_BOT_GITHUB_REPO (interp-test/awesome-llm-interpretabilty) names no "
                                      "repository: check its spelling")


async def test_a_spent_rate_limit_says_until_when_and_is_not_blamed_on_the_token(github: FakeGitHub) -> None:
    from datetime import UTC, datetime

    reset = datetime(2026, 12, 6, 14, 5, tzinfo=UTC)
    github.rate_limit_reset = int(reset.timestamp())
    api = GitHubApi(github.repo, TOKEN, base_url=github.api_url, user_agent="t")
    with pytest.raises(GitHubError) as raised:
        await api.default_branch()
    assert not isinstance(raised.value, GitHubAccessError), "a spent limit is not a token without rights"
    assert str(raised.value) == (
        "GitHub's rate limit stops this token from doing more until 14:05 UTC (GitHub: 403 API rate limit exceeded "
        "for user ID 1.): could not read interp-test/awesome-llm-interpretability; a later round tries again")


async def test_a_secondary_rate_limit_says_until_its_retry_after_not_the_hourly_reset(github: FakeGitHub) -> None:
    """It named the primary allowance's reset (x-ratelimit-reset, 4,321 calls still left), up to an hour off."""
    from datetime import UTC, datetime, timedelta

    github.secondary_limit_retry_after = 60
    api = GitHubApi(github.repo, TOKEN, base_url=github.api_url, user_agent="t")
    before = datetime.now(UTC)
    with pytest.raises(GitHubError) as raised:
        await api.default_branch()
    after = datetime.now(UTC)
    assert not isinstance(raised.value, GitHubAccessError)
    said = {f"until {(moment + timedelta(seconds=60)):%H:%M} UTC" for moment in (before, after)}
    assert any(until in str(raised.value) for until in said), str(raised.value)


async def test_a_rate_limited_token_asks_github_nothing_until_the_limit_lifts(github: FakeGitHub) -> None:
    """Rounds and approvals went on calling GitHub while it asked for a pause, which GitHub answers by banning the
    integration for longer; docs/github.md said rounds resume after that time."""
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    github.secondary_limit_retry_after = 120
    api = GitHubApi(github.repo, TOKEN, base_url=github.api_url, user_agent="t", clock=lambda: now)
    with pytest.raises(GitHubError, match="until 14:02 UTC"):
        await api.default_branch()
    assert len(github.find("GET", f"/repos/{github.repo}")) == 1
    github.secondary_limit_retry_after = None  # lifted on GitHub's side; the bot still waits as it was asked
    now += timedelta(seconds=119)
    for ask in (api.default_branch(), api.pull(1), api.pull_for_branch("interp-bot/x")):
        with pytest.raises(GitHubError, match=r"^GitHub's rate limit stops this token from doing more until 14:02 "
                                              r"UTC: not asking to read .* before then$"):
            await ask
    assert len(github.calls) == 1, "nothing was sent"
    now += timedelta(seconds=1)
    assert await api.default_branch() == "main"


async def test_a_secondary_rate_limit_that_says_no_time_pauses_a_minute() -> None:
    """GitHub's secondary limit may come without a Retry-After (and with calls left in the hourly allowance), when
    its documentation says to wait at least a minute: the bot asked again at once, at its next call."""
    from datetime import UTC, datetime, timedelta

    from aiohttp import web

    asked: list[str] = []

    async def limited(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.json_response({"message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                                             "before you try again."}, status=403,
                                 headers={"x-ratelimit-remaining": "4321", "x-ratelimit-reset": "1796567100"})

    now = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    async with answering(limited) as base_url:
        api = GitHubApi("interp-test/list", TOKEN, base_url=base_url, user_agent="t", clock=lambda: now)
        with pytest.raises(GitHubError, match=r"^GitHub's rate limit stops this token from doing more"):
            await api.default_branch()
        now += timedelta(seconds=59)
        with pytest.raises(GitHubError, match=r"until 14:01 UTC: not asking to read pull requests of interp-test/list "
                                              r"before then$"):
            await api.pull(1)
        assert len(asked) == 1, "nothing was sent within the minute"
        now += timedelta(seconds=1)
        with pytest.raises(GitHubError, match=r"^GitHub's rate limit stops this token from doing more"):
            await api.default_branch()
        assert len(asked) == 2


async def test_a_validation_failure_gives_githubs_reason_not_only_validation_failed(github: FakeGitHub) -> None:
    api = GitHubApi(github.repo, TOKEN, base_url=github.api_url, user_agent="t")
    with pytest.raises(GitHubError) as raised:
        await api.open_pull("no-such-branch", "main", "A title", "A body")
    assert str(raised.value) == ("GitHub refused to open pull requests on interp-test/awesome-llm-interpretability "
                                 "(GitHub: 422 Validation Failed: PullRequest head invalid)")


@contextlib.asynccontextmanager
async def answering(handler: Any) -> AsyncIterator[str]:
    """The base URL of a loopback server answering every request with `handler` (a GitHub that answers oddly, or a
    proxy before it)."""
    from aiohttp import web

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner, port = await serve_loopback(app)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def refusal_from(handler: Any) -> str:
    """The error a default-branch read raises against a server answering with `handler`."""
    async with answering(handler) as base_url:
        api = GitHubApi("interp-test/list", TOKEN, base_url=base_url, user_agent="t")
        with pytest.raises(GitHubError) as raised:
            await api.default_branch()
    return str(raised.value)


async def test_githubs_own_words_never_carry_the_token() -> None:
    """A server (or a proxy before it) that echoes the request in its error: the CLI prints this text as it is."""
    from aiohttp import web

    async def echo(request: web.Request) -> web.Response:
        other = "github_pat_11OTHERTOKEN0000000000_abcdefghijklmnopqr"
        return web.json_response({"message": f"Bad request: {request.headers.get('Authorization')}",
                                  "errors": [{"message": f"token {other}"}]}, status=400)

    said = await refusal_from(echo)
    assert TOKEN not in said
    assert "github_pat_11OTHERTOKEN" not in said
    assert "GitHub: 400 Bad request: token [redacted]: token [redacted]" in said


async def test_a_missing_right_is_not_taken_for_a_rate_limit_when_the_allowance_is_also_spent(
        github: FakeGitHub) -> None:
    github.tokens[TOKEN] = frozenset({"metadata"})
    github.rate_limit_headers = True  # GitHub sends x-ratelimit-* on every answer, refusals included
    api = GitHubApi(github.repo, TOKEN, base_url=github.api_url, user_agent="t")
    with pytest.raises(GitHubAccessError, match=r"^GITHUB_TOKEN cannot open pull requests on"):
        await api.open_pull("interp-bot/x", "main", "t", "b")


async def test_an_answer_whose_errors_field_is_no_list_is_still_one_clear_error() -> None:
    """A proxy or a changed API answering `"errors": 5` made the wording itself raise a TypeError."""
    from aiohttp import web

    async def odd(request: web.Request) -> web.Response:
        return web.json_response({"message": "Validation Failed", "errors": 5}, status=422)

    assert await refusal_from(odd) == "GitHub refused to read interp-test/list (GitHub: 422 Validation Failed)"


@pytest.mark.parametrize("answer", ["html", "empty", "a list"])
async def test_an_answer_that_is_not_the_json_asked_for_is_one_clear_error(answer: str) -> None:
    """A 200 whose body is a proxy's HTML page, nothing, or JSON of another shape raised JSONDecodeError or
    AttributeError: a traceback from `interp-bot github` and `decide`, and `status` showing "JSONDecodeError: ..."."""
    from aiohttp import web

    async def odd(request: web.Request) -> web.Response:
        if answer == "html":
            return web.Response(text="<html><body>Sign in to the proxy</body></html>", content_type="text/html")
        if answer == "empty":
            return web.Response(text="")
        return web.json_response([{"default_branch": "main"}])

    said = await refusal_from(odd)
    assert said.startswith("GitHub's answer to read interp-test/list is not what the REST API sends"), said
    assert "a later round tries again" in said


async def test_a_retry_after_given_as_a_date_is_a_github_error_not_a_crash() -> None:
    """githubkit reads Retry-After as seconds only; HTTP's other form (a date, as a proxy may send it) raised a
    ValueError out of the round."""
    from aiohttp import web

    async def limited(request: web.Request) -> web.Response:
        return web.Response(status=429, text="", headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"})

    said = await refusal_from(limited)
    assert said.startswith("GitHub's answer to read interp-test/list could not be read ("), said


async def test_a_403_with_retry_after_is_a_rate_limit_not_a_token_without_rights() -> None:
    """GitHub's secondary limits (and its older "abuse detection" wording) answer 403 with a Retry-After and words
    that do not say "rate limit": the token was blamed, publishing said to be stopped, `decide` exited 3."""
    from datetime import UTC, datetime, timedelta

    from aiohttp import web

    async def limited(request: web.Request) -> web.Response:
        words = "You have triggered an abuse detection mechanism. Please wait a few minutes before you try again."
        return web.json_response({"message": words}, status=403, headers={"Retry-After": "120"})

    before = datetime.now(UTC)
    said = await refusal_from(limited)
    assert said.startswith("GitHub's rate limit stops this token from doing more until"), said
    assert any(f"until {(moment + timedelta(seconds=120)):%H:%M} UTC" in said
               for moment in (before, datetime.now(UTC))), said
