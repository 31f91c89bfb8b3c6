"""A loopback GitHub: the REST endpoints interp-bot calls, and git's smart HTTP protocol over a real bare repository.

REST (responses are the captured shapes in tests/data/github/, filled in with this repository's values):

* ``GET /repos/{owner}/{repo}``: the repository (``repository_sample``: "documented" from GitHub's OpenAPI
  description, or "recorded" from a real response), ``default_branch`` set
* ``GET /repos/{owner}/{repo}/pulls?state=&head=owner:branch``, ``POST /repos/{owner}/{repo}/pulls``,
  ``GET`` and ``PATCH /repos/{owner}/{repo}/pulls/{number}``: pull requests, whose head is read from the bare
  repository, so `head.sha` is what was really pushed

Git: ``/{owner}/{repo}.git/...`` is served by the real ``git http-backend`` (CGI) over a bare repository on disk;
pushes and fetches are real. Both need ``Authorization``: REST a bearer token, git ``Basic x-access-token:TOKEN``,
as GitHub takes them; a token's rights decide what it may do (contents: push; pull_requests: open and edit pull
requests), and a refusal has GitHub's status and message. Every call is recorded (method, path, headers, JSON).

Test helpers act as people on GitHub do: `merge` (a merge commit on the base branch, the pull request merged),
`close`, `commit` (an edit on the default branch, or someone else's commit on a pull request's branch),
`update_branch` (the "Update branch" button).

GitHub's push rules refuse with its words (tests/fakes/github_rules.py): `protect` (branch protection, GH006), and
a change to a file under .github/workflows/ by a token without the "workflows" right.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes import serve_loopback
from tests.fakes.github_rules import write_push_rules

DATA = Path(__file__).resolve().parents[1] / "data" / "github"
OWNER, NAME = "interp-test", "awesome-llm-interpretability"
RIGHTS = frozenset({"contents", "pull_requests", "metadata"})
_GIT_ENV = {"GIT_AUTHOR_NAME": "A Human", "GIT_AUTHOR_EMAIL": "human@example.org", "GIT_COMMITTER_NAME": "A Human",
            "GIT_COMMITTER_EMAIL": "human@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
            "FAKE_GITHUB_PERSON": "1"}  # the helpers act as people on GitHub: its push rules let a merge through


def seed_list(work: Path) -> None:
    """The list's repository as it is once it keeps its data: README.md at the top, catalogue/ beside it."""
    repo = Path(__file__).resolve().parents[2]
    shutil.copy(repo / "tests" / "data" / "seed" / "awesome-llm-interpretability.md", work / "README.md")
    shutil.copytree(repo / "catalogue", work / "catalogue", ignore=shutil.ignore_patterns(".interp-bot.lock"))


@contextlib.asynccontextmanager
async def running_github(root: Path, token: str) -> AsyncIterator[FakeGitHub]:
    """A started fake holding the list (seed_list), stopped afterwards."""
    fake = FakeGitHub(root, token=token)
    fake.seed(seed_list)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def sample(name: str) -> Any:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class Call:
    method: str
    path: str  # with the query string
    headers: dict[str, str]
    json: Any = None
    status: int = 0


@dataclass
class Pull:
    number: int
    head: str
    base: str
    title: str
    body: str
    state: str = "open"
    merged: bool = False
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    created_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def git(*args: str, cwd: Path, check: bool = True) -> str:
    env = {**os.environ, **_GIT_ENV}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=check, capture_output=True, text=True).stdout.strip()


class FakeGitHub:
    def __init__(self, root: Path, *, token: str = "github_pat_fake", default_branch: str = "main",
                 repository_sample: str = "documented"):
        self.root = root
        self.bare = root / "remote" / OWNER / f"{NAME}.git"
        self.default_branch = default_branch
        self.repository_sample = repository_sample
        self.tokens: dict[str, frozenset[str]] = {token: RIGHTS}
        self.token = token
        self.pulls: dict[int, Pull] = {}
        self.calls: list[Call] = []
        self.git_requests: list[Call] = []
        self.failing_updates = 0  # the next this many PATCHes of a pull request answer 502, as GitHub sometimes does
        self.rate_limit_reset: int | None = None  # set: every REST call answers 403, the rate limit spent until then
        self.rate_limit_headers = False  # set: a refusal for a missing right also says the allowance is spent
        self.secondary_limit_retry_after: int | None = None  # set: every REST call meets a secondary rate limit
        self.after_read: dict[int, Callable[[], object]] = {}  # once: a person's act just after a GET reads that pull
        self.protected: set[str] = set()  # branches GitHub's branch protection keeps everyone from pushing to
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ set-up

    def seed(self, files: dict[str, str] | Callable[[Path], None], message: str = "The list") -> str:
        """Create the bare repository with one commit on the default branch holding `files` (or what the callable
        writes into a work tree)."""
        self.bare.parent.mkdir(parents=True, exist_ok=True)
        git("init", "--quiet", "--bare", f"--initial-branch={self.default_branch}", str(self.bare), cwd=self.root)
        git("config", "http.receivepack", "true", cwd=self.bare)
        write_push_rules(self.bare, self.protected)
        with tempfile.TemporaryDirectory(dir=self.root) as scratch:
            work = Path(scratch)
            git("init", "--quiet", f"--initial-branch={self.default_branch}", cwd=work)
            if callable(files):
                files(work)
            else:
                for name, text in files.items():
                    (work / name).parent.mkdir(parents=True, exist_ok=True)
                    (work / name).write_text(text, encoding="utf-8")
            git("add", "-A", cwd=work)
            git("commit", "--quiet", "-m", message, cwd=work)
            git("push", "--quiet", str(self.bare), f"HEAD:refs/heads/{self.default_branch}", cwd=work)
        return self.head(self.default_branch) or ""

    def protect(self, branch: str, protected: bool = True) -> None:
        """Branch protection on `branch` (or, `protected` False, off): every push to it is refused, as GitHub
        refuses one ("GH006")."""
        if protected:
            self.protected.add(branch)
        else:
            self.protected.discard(branch)
        write_push_rules(self.bare, self.protected)

    async def start(self) -> FakeGitHub:
        app = web.Application(middlewares=[self._record], client_max_size=50 * 1024 * 1024)
        app.router.add_get(f"/repos/{OWNER}/{NAME}", self._repository)
        app.router.add_get(f"/repos/{OWNER}/{NAME}/pulls", self._list_pulls)
        app.router.add_post(f"/repos/{OWNER}/{NAME}/pulls", self._create_pull)
        app.router.add_get(f"/repos/{OWNER}/{NAME}/pulls/{{number:\\d+}}", self._get_pull)
        app.router.add_patch(f"/repos/{OWNER}/{NAME}/pulls/{{number:\\d+}}", self._update_pull)
        app.router.add_route("*", f"/{OWNER}/{NAME}.git/{{tail:.*}}", self._git)
        self._runner, self.port = await serve_loopback(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def git_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{OWNER}/{NAME}.git"

    @property
    def repo(self) -> str:
        return f"{OWNER}/{NAME}"

    # ------------------------------------------------------------------ people on GitHub

    def head(self, branch: str) -> str | None:
        return git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", cwd=self.bare, check=False) or None

    def show(self, path: str, branch: str | None = None) -> str:
        return git("show", f"{branch or self.default_branch}:{path}", cwd=self.bare)

    def log(self, branch: str, since: str | None = None) -> list[str]:
        """Commit subjects on `branch` (newest first), or those not on `since`."""
        spec = f"{since}..{branch}" if since else branch
        out = git("log", "--format=%s", spec, cwd=self.bare)
        return out.splitlines() if out else []

    def _work(self, branch: str) -> Path:
        work = Path(tempfile.mkdtemp(dir=self.root))
        git("clone", "--quiet", "--branch", branch, str(self.bare), str(work), cwd=self.root)
        return work

    def commit(self, edit: Callable[[Path], None], message: str, branch: str | None = None) -> str:
        """Someone edits the list on GitHub: `edit` changes a work tree of `branch`, which is committed and pushed."""
        branch = branch or self.default_branch
        work = self._work(branch)
        try:
            edit(work)
            git("add", "-A", cwd=work)
            git("commit", "--quiet", "-m", message, cwd=work)
            git("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}", cwd=work)
            return git("rev-parse", "HEAD", cwd=work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def merge(self, number: int) -> str:
        """A maintainer presses "Merge pull request": a merge commit on the base branch."""
        pull = self.pulls[number]
        work = self._work(pull.base)
        try:
            git("fetch", "--quiet", "origin", f"refs/heads/{pull.head}", cwd=work)
            git("merge", "--quiet", "--no-ff", "-m", f"Merge pull request #{number} from {OWNER}/{pull.head}",
                "FETCH_HEAD", cwd=work)
            git("push", "--quiet", "origin", f"HEAD:refs/heads/{pull.base}", cwd=work)
            sha = git("rev-parse", "HEAD", cwd=work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        pull.state, pull.merged, pull.merge_commit_sha = "closed", True, sha
        pull.merged_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return sha

    def update_branch(self, number: int) -> str:
        """A maintainer presses "Update branch": the base branch merged into the pull request's branch."""
        pull = self.pulls[number]
        work = self._work(pull.head)
        try:
            git("fetch", "--quiet", "origin", f"refs/heads/{pull.base}", cwd=work)
            git("merge", "--quiet", "--no-ff", "-m", f"Merge branch '{pull.base}' into {pull.head}", "FETCH_HEAD",
                cwd=work)
            git("push", "--quiet", "origin", f"HEAD:refs/heads/{pull.head}", cwd=work)
            return git("rev-parse", "HEAD", cwd=work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def close(self, number: int) -> None:
        self.pulls[number].state = "closed"

    def reopen(self, number: int) -> None:
        """A maintainer presses "Reopen pull request" on one closed unmerged."""
        assert not self.pulls[number].merged
        self.pulls[number].state = "open"

    # ------------------------------------------------------------------ wire

    @web.middleware
    async def _record(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        body: Any = None
        if request.can_read_body and not request.path.endswith((".git/git-receive-pack", ".git/git-upload-pack")):
            try:
                body = await request.json()
            except (ValueError, UnicodeDecodeError):
                body = None
        call = Call(request.method, request.path_qs, dict(request.headers), body)
        (self.git_requests if ".git/" in request.path else self.calls).append(call)
        response = await handler(request)
        call.status = response.status
        return response

    def find(self, method: str, path_prefix: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.split("?")[0] == path_prefix]

    def _rights(self, request: web.Request) -> frozenset[str] | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() in ("bearer", "token"):
            return self.tokens.get(value.strip())
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except ValueError:
                return None
            return self.tokens.get(password) if user == "x-access-token" else None
        return None

    @staticmethod
    def _error(status: int, message: str, docs: str, errors: list[dict[str, str]] | None = None,
               headers: dict[str, str] | None = None) -> web.Response:
        """GitHub's error body; a 422 carries its reasons in `errors` (its message only says "Validation Failed")."""
        body: dict[str, Any] = {"message": message, "documentation_url": f"https://docs.github.com/rest/{docs}",
                                "status": str(status)}
        if errors is not None:
            body["errors"] = errors
        return web.json_response(body, status=status, headers=headers)

    def _authorised(self, request: web.Request, right: str) -> web.Response | None:
        rights = self._rights(request)
        if rights is None:
            return self._error(401, "Bad credentials", "overview/troubleshooting-the-rest-api")
        if self.rate_limit_reset is not None:  # GitHub's primary rate limit, as it answers it
            return self._error(403, "API rate limit exceeded for user ID 1.",
                               "overview/rate-limits-for-the-rest-api", headers={
                                   "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0",
                                   "x-ratelimit-used": "5000", "x-ratelimit-reset": str(self.rate_limit_reset),
                                   "x-ratelimit-resource": "core"})
        if self.secondary_limit_retry_after is not None:  # as GitHub answers it: the primary allowance is not spent
            return self._error(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you "
                               "try again.", "overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                               headers={"retry-after": str(self.secondary_limit_retry_after),
                                        "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4321",
                                        "x-ratelimit-reset": "1796567100", "x-ratelimit-resource": "core"})
        if right not in rights:
            spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1796567100"}
            return self._error(403, "Resource not accessible by personal access token",
                               "pulls/pulls#create-a-pull-request", headers=spent if self.rate_limit_headers else None)
        return None

    async def _repository(self, request: web.Request) -> web.Response:
        if (refused := self._authorised(request, "metadata")) is not None:
            return refused
        data = sample(f"repository-{self.repository_sample}")
        data.update(name=NAME, full_name=self.repo, default_branch=self.default_branch,
                    html_url=f"https://github.com/{self.repo}", url=f"{self.api_url}/repos/{self.repo}")
        return web.json_response(data)

    def _pull_json(self, pull: Pull, template: dict[str, Any]) -> dict[str, Any]:
        data = copy.deepcopy(template)
        html = f"https://github.com/{self.repo}/pull/{pull.number}"
        data.update(number=pull.number, id=1000 + pull.number, title=pull.title, body=pull.body, state=pull.state,
                    html_url=html, url=f"{self.api_url}/repos/{self.repo}/pulls/{pull.number}", locked=False,
                    created_at=pull.created_at, updated_at=pull.created_at, merged_at=pull.merged_at,
                    closed_at=pull.merged_at if pull.merged else None, merge_commit_sha=pull.merge_commit_sha)
        if "merged" in data:
            data["merged"] = pull.merged
        head_sha = self.head(pull.head) or pull.merge_commit_sha or "0" * 40
        data["head"] = {**data["head"], "ref": pull.head, "sha": head_sha, "label": f"{OWNER}:{pull.head}"}
        data["base"] = {**data["base"], "ref": pull.base, "sha": self.head(pull.base) or "0" * 40,
                        "label": f"{OWNER}:{pull.base}"}
        return data

    async def _list_pulls(self, request: web.Request) -> web.Response:
        if (refused := self._authorised(request, "metadata")) is not None:
            return refused
        state = request.query.get("state", "open")
        head = request.query.get("head", "")
        template = sample("pull-requests-documented")[0]
        found = [p for p in sorted(self.pulls.values(), key=lambda p: -p.number)
                 if (state == "all" or p.state == state) and (not head or f"{OWNER}:{p.head}" == head)]
        return web.json_response([self._pull_json(p, template) for p in found])

    async def _create_pull(self, request: web.Request) -> web.Response:
        if (refused := self._authorised(request, "pull_requests")) is not None:
            return refused
        data = await request.json()
        if self.head(data["head"]) is None:
            return self._error(422, "Validation Failed", "pulls/pulls#create-a-pull-request",
                               [{"resource": "PullRequest", "field": "head", "code": "invalid"}])
        if any(p.head == data["head"] and p.state == "open" for p in self.pulls.values()):
            return self._error(422, "Validation Failed", "pulls/pulls#create-a-pull-request",
                               [{"resource": "PullRequest", "code": "custom",
                                 "message": f"A pull request already exists for {OWNER}:{data['head']}."}])
        number = max(self.pulls, default=0) + 1
        self.pulls[number] = Pull(number, data["head"], data["base"], data["title"], data.get("body") or "")
        return web.json_response(self._pull_json(self.pulls[number], sample("pull-request-documented")), status=201)

    async def _get_pull(self, request: web.Request) -> web.Response:
        if (refused := self._authorised(request, "metadata")) is not None:
            return refused
        pull = self.pulls.get(int(request.match_info["number"]))
        if pull is None:
            return self._error(404, "Not Found", "pulls/pulls#get-a-pull-request")
        response = web.json_response(self._pull_json(pull, sample("pull-request-documented")))
        if (act := self.after_read.pop(pull.number, None)) is not None:  # mid-round, between its read and its push
            act()
        return response

    async def _update_pull(self, request: web.Request) -> web.Response:
        if (refused := self._authorised(request, "pull_requests")) is not None:
            return refused
        pull = self.pulls.get(int(request.match_info["number"]))
        if pull is None:
            return self._error(404, "Not Found", "pulls/pulls#update-a-pull-request")
        if self.failing_updates:
            self.failing_updates -= 1
            return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        data = await request.json()
        if data.get("state", pull.state) not in ("open", "closed"):
            return self._error(422, "Validation Failed", "pulls/pulls#update-a-pull-request")
        pull.title = data.get("title", pull.title)
        pull.body = data.get("body", pull.body)
        pull.state = data.get("state", pull.state)
        return web.json_response(self._pull_json(pull, sample("pull-request-documented")))

    async def _git(self, request: web.Request) -> web.StreamResponse:
        """git's smart HTTP protocol through the real `git http-backend` (a CGI program)."""
        rights = self._rights(request)
        pushing = request.match_info["tail"] == "git-receive-pack" or request.query.get("service") == \
            "git-receive-pack"
        if rights is None:
            return web.Response(status=401, text="Invalid username or token.",
                                headers={"WWW-Authenticate": 'Basic realm="GitHub"'})
        if pushing and "contents" not in rights:
            return web.Response(status=403, text=f"Permission to {self.repo}.git denied to interp-bot.")
        body = await request.read()
        env = {**os.environ, "GIT_PROJECT_ROOT": str(self.bare.parent.parent), "GIT_HTTP_EXPORT_ALL": "1",
               "PATH_INFO": f"/{OWNER}/{NAME}.git/{request.match_info['tail']}", "REQUEST_METHOD": request.method,
               "QUERY_STRING": request.query_string, "CONTENT_TYPE": request.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(body)), "REMOTE_USER": "x-access-token", "REMOTE_ADDR": "127.0.0.1",
               "GIT_CONFIG_NOSYSTEM": "1"}
        if "workflows" in rights:  # read by the push rules (tests/fakes/github_rules.py)
            env["FAKE_GITHUB_WORKFLOWS"] = "1"
        for header in ("Content-Encoding", "Git-Protocol"):
            if header in request.headers:
                env[f"HTTP_{header.upper().replace('-', '_')}"] = request.headers[header]
        process = await asyncio.create_subprocess_exec(
            "git", "http-backend", env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, _err = await process.communicate(body)
        head, _, payload = out.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = out.partition(b"\n\n")
        status, headers = 200, {}
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers[name.strip()] = value.strip()
        return web.Response(status=status, body=payload, headers=headers)
