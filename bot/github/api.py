"""The few GitHub REST calls publishing makes, through githubkit (typed, async, on httpx).

    GET   /repos/{owner}/{repo}                 the default branch, and whether the token sees the repository
    GET   /repos/{owner}/{repo}/pulls?head=...  the pull request of a branch, if one was opened before
    POST  /repos/{owner}/{repo}/pulls           open one
    PATCH /repos/{owner}/{repo}/pulls/{n}       update its title and body as approvals arrive; close it when
                                                nothing in it is left to add
    GET   /repos/{owner}/{repo}/pulls/{n}       follow it: open, merged or closed

A refusal (401, 403 without rate limiting, 404 on the repository) is a GitHubAccessError naming GITHUB_TOKEN and
the permission it lacks; anything else is a GitHubError: a spent rate limit says until when, a 5xx that the trouble
is GitHub's, a 422 its reasons (errors[]). Neither ever quotes the token, even where GitHub's own words would.

Responses are read as JSON for the few fields used, not through githubkit's generated models: those are strict,
and a real repository payload that lacks a field the newest API version documents (`has_discussions`, in the one
recorded in tests/data/github) fails their validation, while the fields we need are there in every version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import errors, extras
from bot.catalogue.text import flatten
from bot.errors import GitHubAccessError, GitHubError
from bot.logs import RedactingFilter

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


def _said(text: Any, limit: int = 300) -> str:
    """Words from GitHub's answer, on one line and bounded (it is the server's text, not ours)."""
    flat = flatten(str(text or ""))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _limit_lifts_at(headers: Any, now: datetime) -> datetime | None:
    """When GitHub's rate-limit headers say the limit lifts, or None when none is there or readable. A secondary
    limit says when in retry-after (seconds), while x-ratelimit-reset is the primary allowance's reset, which
    only counts when that allowance is spent (remaining 0)."""
    try:
        if headers.get("retry-after"):
            return now + timedelta(seconds=int(headers["retry-after"]))
        if headers.get("x-ratelimit-reset") and headers.get("x-ratelimit-remaining", "0") == "0":
            return datetime.fromtimestamp(int(headers["x-ratelimit-reset"]), UTC)
        return None
    except (ValueError, OverflowError, OSError):  # unreadable: no time said
        return None


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
    def __init__(self, repo: str, token: str, *, base_url: str, user_agent: str, timeout: float = 30,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        extras.require("github")
        from githubkit import GitHub

        self.repo = repo
        self._clock = clock
        # GitHub asks a rate-limited client to wait ("may result in the banning of your integration"): no call is
        # made before this time, whichever round or approval asks.
        self._limited_until: datetime | None = None
        self.owner, self.name = repo.split("/", 1)
        self._token = token
        self._gh: GitHub[Any] = GitHub(token, base_url=base_url, user_agent=user_agent, timeout=timeout,
                                       http_cache=False, auto_retry=False)

    async def _call(self, action: str, call: Any, shape: type[dict[str, Any]] | type[list[Any]] = dict) -> Any:
        """The answer's JSON, which must be an object (or, `shape` list, an array): a proxy's HTML page, an empty
        body or another shape is a GitHubError like any failed call, not a crash."""
        from githubkit.exception import RequestError, RequestFailed

        if self._limited_until is not None and self._clock() < self._limited_until:
            call.close()  # never sent
            raise GitHubError(f"GitHub's rate limit stops this token from doing more until "
                              f"{self._limited_until:%H:%M} UTC: not asking to {action} {self.repo} before then")
        try:
            response = await call
        except RequestFailed as exc:
            raise self._refusal(action, exc.response) from None
        except RequestError as exc:
            raise GitHubError(f"cannot reach GitHub to {action} {self.repo}: {type(exc.exc).__name__}") from None
        except ValueError as exc:  # githubkit reading the answer's headers: a Retry-After that is an HTTP date
            raise GitHubError(f"GitHub's answer to {action} {self.repo} could not be read ({_said(exc, 120)}); a "
                              "later round tries again") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, shape):
            kind = _said(response.headers.get("content-type") or "no content type", 60)
            raise GitHubError(f"GitHub's answer to {action} {self.repo} is not what the REST API sends (HTTP "
                              f"{response.status_code}, {kind}, no JSON {'array' if shape is list else 'object'}): "
                              "a proxy in the way, or trouble on GitHub's side; a later round tries again")
        return data

    def _refusal(self, action: str, response: Any) -> Exception:
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = None
        data = data if isinstance(data, dict) else {}
        message = _said(data.get("message"))
        # A 422's reason is in errors[] ("A pull request already exists for ..."), its message only says
        # "Validation Failed".
        listed = data.get("errors")
        reasons = [_said(e.get("message") or " ".join(str(e[k]) for k in ("resource", "field", "code") if e.get(k)))
                   for e in (listed if isinstance(listed, list) else []) if isinstance(e, dict)]
        detail = f"GitHub: {status}" + (f" {message}" if message else "") + (
            f": {'; '.join(r for r in reasons if r)}" if any(reasons) else "")
        detail = RedactingFilter([self._token]).redact(detail)  # GitHub's words, printed and logged as they are
        headers = response.headers
        # A spent allowance, not a missing right: GitHub's words, or its headers (unless the words say "not
        # accessible", which a token without a right gets whatever its allowance). A Retry-After is a secondary
        # limit whatever the words say ("You have triggered an abuse detection mechanism", its older wording).
        limited = status == 429 or "rate limit" in message.lower() or (
            (headers.get("x-ratelimit-remaining") == "0" or headers.get("retry-after"))
            and "not accessible" not in message.lower())
        if limited:
            now = self._clock()
            lifts = _limit_lifts_at(headers, now)
            # Saying no time, GitHub's documentation asks for a wait of at least a minute.
            pause = lifts if lifts is not None else now + timedelta(minutes=1)
            if pause > now:
                self._limited_until = pause
            until = f" until {lifts:%H:%M} UTC" if lifts is not None else ""
            return GitHubError(f"GitHub's rate limit stops this token from doing more{until} ({detail}): "
                               f"could not {action} {self.repo}; a later round tries again")
        if status == 401 or (status == 403 and not limited) or (status == 404 and action == "read"):
            refused = errors.github_token_refused(self.repo, action, detail)
            if status == 404:  # GitHub answers a repository the token may not see as one that is not there
                refused += f", or INTERP_BOT_GITHUB_REPO ({self.repo}) names no repository: check its spelling"
            return GitHubAccessError(refused)
        if status >= 500:
            return GitHubError(f"GitHub failed to {action} {self.repo} ({detail}): trouble on GitHub's side; a "
                               "later round tries again")
        return GitHubError(f"GitHub refused to {action} {self.repo} ({detail})")

    # ------------------------------------------------------------------ calls

    async def default_branch(self) -> str:
        data = await self._call("read", self._gh.rest.repos.async_get(self.owner, self.name))
        branch = data.get("default_branch")
        if not isinstance(branch, str) or not branch:
            raise GitHubError(f"GitHub did not say which branch of {self.repo} is the default")
        return branch

    async def pull_for_branch(self, branch: str) -> PullRequestInfo | None:
        """The most recent pull request from `branch` (open or not)."""
        data = await self._call("read pull requests of", self._gh.rest.pulls.async_list(
            self.owner, self.name, state="all", head=f"{self.owner}:{branch}", sort="created", direction="desc"),
            list)
        pulls = [_pull(p) for p in data
                 if isinstance(p, dict) and isinstance(p.get("head"), dict) and p["head"].get("ref") == branch]
        return pulls[0] if pulls else None

    async def open_pull(self, branch: str, base: str, title: str, body: str) -> PullRequestInfo:
        return _pull(await self._call("open pull requests on", self._gh.rest.pulls.async_create(
            self.owner, self.name, title=title, head=branch, base=base, body=body, maintainer_can_modify=True)))

    async def update_pull(self, number: int, title: str, body: str) -> PullRequestInfo:
        return _pull(await self._call("update pull requests on", self._gh.rest.pulls.async_update(
            self.owner, self.name, number, title=title, body=body)))

    async def close_pull(self, number: int, body: str) -> PullRequestInfo:
        """Close a pull request unmerged, its description saying why."""
        return _pull(await self._call("close pull requests on", self._gh.rest.pulls.async_update(
            self.owner, self.name, number, body=body, state="closed")))

    async def pull(self, number: int) -> PullRequestInfo:
        return _pull(await self._call("read pull requests of", self._gh.rest.pulls.async_get(
            self.owner, self.name, number)))
