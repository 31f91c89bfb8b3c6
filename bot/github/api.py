"""The few GitHub REST calls publishing makes, through githubkit (typed, async, on httpx).

    GET   /repos/{owner}/{repo}                 the default branch, and whether the token sees the repository
    GET   /repos/{owner}/{repo}/pulls?head=...  the pull request of a branch, if one was opened before
    POST  /repos/{owner}/{repo}/pulls           open one
    PATCH /repos/{owner}/{repo}/pulls/{n}       update its title and body as approvals arrive; close it when
                                                nothing in it is left to add
    GET   /repos/{owner}/{repo}/pulls/{n}       follow it: open, merged or closed

A refusal (401, 403 without rate limiting, 404 on the repository) is a GitHubAccessError naming GITHUB_TOKEN and
the permission it lacks; anything else is a GitHubError. Neither ever quotes the token.

Responses are read as JSON for the few fields used, not through githubkit's generated models: those are strict,
and a real repository payload that lacks a field the newest API version documents (`has_discussions`, in the one
recorded in tests/data/github) fails their validation, while the fields we need are there in every version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot import errors, extras
from bot.errors import GitHubAccessError, GitHubError

if TYPE_CHECKING:
    from githubkit import GitHub


@dataclass(frozen=True)
class PullRequestInfo:
    number: int
    url: str  # the page people open (html_url)
    state: str  # open | closed
    merged: bool
    merged_at: datetime | None
    head_ref: str
    head_sha: str
    title: str
    body: str


def _pull(data: Any) -> PullRequestInfo:
    """A pull request object (GET, POST, PATCH, or an element of a list, which has no `merged`)."""
    try:
        merged_at = data.get("merged_at")
        return PullRequestInfo(
            number=int(data["number"]), url=str(data["html_url"]), state=str(data["state"]),
            merged=bool(data.get("merged") or merged_at),
            merged_at=datetime.fromisoformat(merged_at.replace("Z", "+00:00")) if merged_at else None,
            head_ref=str(data["head"]["ref"]), head_sha=str(data["head"]["sha"]), title=str(data.get("title") or ""),
            body=str(data.get("body") or ""))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GitHubError(f"GitHub answered with a pull request that lacks {exc}") from None


class GitHubApi:
    def __init__(self, repo: str, token: str, *, base_url: str, user_agent: str, timeout: float = 30):
        extras.require("github")
        from githubkit import GitHub

        self.repo = repo
        self.owner, self.name = repo.split("/", 1)
        self._gh: GitHub[Any] = GitHub(token, base_url=base_url, user_agent=user_agent, timeout=timeout,
                                       http_cache=False, auto_retry=False)

    async def _call(self, action: str, call: Any) -> Any:
        from githubkit.exception import RequestError, RequestFailed

        try:
            return await call
        except RequestFailed as exc:
            raise self._refusal(action, exc.response) from None
        except RequestError as exc:
            raise GitHubError(f"cannot reach GitHub to {action} {self.repo}: {type(exc.exc).__name__}") from None

    def _refusal(self, action: str, response: Any) -> Exception:
        status = response.status_code
        try:
            message = str(response.json().get("message", "")).strip()
        except ValueError:
            message = ""
        detail = f"GitHub: {status}" + (f" {message}" if message else "")
        limited = response.headers.get("x-ratelimit-remaining") == "0" or "rate limit" in message.lower()
        if status == 401 or (status == 403 and not limited) or (status == 404 and action == "read"):
            return GitHubAccessError(errors.github_token_refused(self.repo, action, detail))
        return GitHubError(f"GitHub refused to {action} {self.repo} ({detail})")

    # ------------------------------------------------------------------ calls

    async def default_branch(self) -> str:
        response = await self._call("read", self._gh.rest.repos.async_get(self.owner, self.name))
        branch = response.json().get("default_branch")
        if not isinstance(branch, str) or not branch:
            raise GitHubError(f"GitHub did not say which branch of {self.repo} is the default")
        return branch

    async def pull_for_branch(self, branch: str) -> PullRequestInfo | None:
        """The most recent pull request from `branch` (open or not)."""
        response = await self._call("read pull requests of", self._gh.rest.pulls.async_list(
            self.owner, self.name, state="all", head=f"{self.owner}:{branch}", sort="created", direction="desc"))
        pulls = [_pull(p) for p in response.json() if isinstance(p, dict) and p.get("head", {}).get("ref") == branch]
        return pulls[0] if pulls else None

    async def open_pull(self, branch: str, base: str, title: str, body: str) -> PullRequestInfo:
        response = await self._call("open pull requests on", self._gh.rest.pulls.async_create(
            self.owner, self.name, title=title, head=branch, base=base, body=body, maintainer_can_modify=True))
        return _pull(response.json())

    async def update_pull(self, number: int, title: str, body: str) -> PullRequestInfo:
        response = await self._call("update pull requests on", self._gh.rest.pulls.async_update(
            self.owner, self.name, number, title=title, body=body))
        return _pull(response.json())

    async def close_pull(self, number: int, body: str) -> PullRequestInfo:
        """Close a pull request unmerged, its description saying why."""
        response = await self._call("close pull requests on", self._gh.rest.pulls.async_update(
            self.owner, self.name, number, body=body, state="closed"))
        return _pull(response.json())

    async def pull(self, number: int) -> PullRequestInfo:
        response = await self._call("read pull requests of", self._gh.rest.pulls.async_get(
            self.owner, self.name, number))
        return _pull(response.json())
