"""The git commands publishing needs, run in the clone (or a scratch worktree of it) with the token in the
environment only. Every failure becomes a GitHubError (or GitHubAccessError when the remote refused the token)
whose message has passed through the redactor: git never prints the token, and we make sure of it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot import errors
from bot.catalogue.text import flatten
from bot.errors import GitHubAccessError, GitHubError
from bot.github.auth import basic_credentials, git_environment
from bot.logs import REDACTED

log = logging.getLogger(__name__)

PREFIX = "interp-bot/"  # every branch the bot pushes (fetched with the default branch)

# What git prints when the remote refused the credentials (HTTP 401/403) rather than the push itself.
_REFUSED = re.compile(r"(returned error: 40[13]|Authentication failed|Permission to \S+ denied|"
                      r"could not read Username|Write access to repository not granted|access denied)", re.I)
_REJECTED = re.compile(r"\[(rejected|remote rejected)\]|stale info|non-fast-forward|fetch first", re.I)
# GitHub's rules refusing a push, not a race: branch protection ("protected branch hook declined", GH006), rulesets
# ("push declined due to repository rule violations", GH013), a workflow file without the right to change it
# ("refusing to allow a Personal Access Token to create or update workflow ..."). Trying again changes nothing.
_DECLINED = re.compile(r"\[remote rejected\].*(declined|refusing to allow)", re.I)
SCRATCH_PREFIX = "interp-bot-scratch-"
_CREDENTIALS = re.compile(r"^(\s*https?://)[^/?#]*@", re.I)  # an http(s) URL's user[:password]@


class PushRejected(GitHubError):
    """The remote refused a push because the branch is not where we expected (it moved): fetch and rebuild."""


@dataclass(frozen=True)
class Remote:
    url: str  # never holds credentials
    token: str | None
    repo: str  # owner/name, for messages


def shown_url(url: str | None) -> str:
    """A remote's URL as a message shows it: without the credentials a clone made by hand may carry in it
    (https://TOKEN@github.com/...), which would otherwise reach the terminal, the logs and `status`."""
    return "nowhere (it has no remote named origin)" if url is None else _CREDENTIALS.sub(rf"\1{REDACTED}@", url)


def names_repository(url: str, repo: str) -> bool:
    """Does a remote's URL (https, ssh's `git@host:OWNER/NAME.git`, a path) name the repository OWNER/NAME? A clone
    of another repository (interp-bot's own checkout, say) is never the list's, at any URL."""
    parts = re.split(r"[/:]", url.strip().rstrip("/").removesuffix(".git"))
    return "/".join(parts[-2:]).lower() == repo.lower()


class Git:
    """git in one directory (`root`, a clone or a scratch worktree of one)."""

    def __init__(self, root: Path, remote: Remote, *, timeout: float = 120):
        self.root = Path(root)
        self.remote = remote
        self.timeout = timeout

    # ------------------------------------------------------------------ running

    def _redact(self, text: str) -> str:
        token = self.remote.token
        if token:
            text = text.replace(token, "[redacted]").replace(basic_credentials(token), "[redacted]")
        return text.strip()

    def run(self, *args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = ["git", *args]
        try:
            result = subprocess.run(command, cwd=cwd or self.root, capture_output=True, text=True,
                                    timeout=self.timeout, env=git_environment(self.remote.token, self.remote.url))
        except subprocess.TimeoutExpired:
            raise GitHubError(f"`git {args[0]}` timed out after {self.timeout:g} s") from None
        except OSError as exc:
            raise GitHubError(f"cannot run git: {exc}") from None
        if check and result.returncode != 0:
            raise self._failure(args, result)
        return result

    def _failure(self, args: Sequence[str], result: subprocess.CompletedProcess[str]) -> Exception:
        detail = self._redact(result.stderr or result.stdout) or f"exit status {result.returncode}"
        last = detail.splitlines()[-1] if detail else ""
        if _REFUSED.search(detail):
            action = "push to" if args[0] == "push" else "read"
            if not self.remote.token:  # nothing was refused: nothing was sent
                return GitHubAccessError(f"GITHUB_TOKEN is not set, and {self.remote.repo} cannot be read without "
                                         f"it (git: {last}): set it to {errors.GITHUB_TOKEN_SCOPES}")
            return GitHubAccessError(errors.github_token_refused(self.remote.repo, action, f"git: {last}"))
        # --porcelain says why a ref was refused on stdout ("!<TAB>SRC:DST<TAB>[rejected] (fetch first)"), while
        # stderr has only "failed to push some refs" and git's hints.
        refused = next((line.split("\t") for line in result.stdout.splitlines() if line.startswith("!\t")), [])
        if args[0] == "push" and len(refused) >= 3 and _DECLINED.search(refused[2]):
            return GitHubAccessError(self._redact(self._declined(args, refused[1].rpartition(":")[2], refused[2],
                                                                 result.stderr)))
        if args[0] == "push" and len(refused) >= 3 and _REJECTED.search(refused[2]):
            return PushRejected(self._redact(f"git push was rejected: {refused[1].rpartition(':')[2]} {refused[2]}"))
        return GitHubError(f"`git {' '.join(args[:2])}` failed: {detail}")

    def _declined(self, args: Sequence[str], ref: str, reason: str, stderr: str) -> str:
        """What GitHub said refusing a push by its rules (its reason, and its "remote:" lines: "GH006: Protected
        branch update failed ..."), and what would let the push through."""
        said = " ".join(line.removeprefix("remote:").strip().removeprefix("error:").strip()
                        for line in stderr.splitlines()
                        if line.startswith("remote:") and not re.search(r"\d%", line))  # not progress
        said = flatten(f"{reason.removeprefix('[remote rejected]').strip()} {said}")
        said = said if len(said) <= 400 else said[:399] + "…"
        branch = ref.removeprefix("refs/heads/")
        refused = f"GitHub refused the push to {branch} of {self.remote.repo} (git: {said})"
        if not branch.startswith(PREFIX):
            return (f"{refused}: push mode needs a default branch GITHUB_TOKEN may push to: let the token bypass the "
                    "branch's protection or rules, or set INTERP_BOT_GITHUB_MODE=pull-request")
        if any(arg.startswith(f"--force-with-lease={ref}:") and not arg.endswith(":") for arg in args):
            return (f"{refused}: the bot was replacing its branch with one rebuilt on the default branch, which "
                    "moved; GitHub refuses that when the move changed a workflow file (.github/workflows/) and the "
                    "token lacks Workflows: Read and write, or when a rule forbids force pushes there. Press "
                    "\"Update branch\" on its pull request: from then on the bot adds to the branch and never "
                    "rewrites it")
        return (f"{refused}: the repository's branch protection or rules keep GITHUB_TOKEN from pushing the bot's "
                f"{PREFIX} branches: exempt them, or let the token bypass those rules")

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    # ------------------------------------------------------------------ reading

    def rev(self, ref: str) -> str | None:
        """The commit `ref` names, or None when there is no such ref."""
        result = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return result.stdout.strip() or None

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self.run("merge-base", "--is-ancestor", older, newer, check=False).returncode == 0

    def has_file(self, commit: str, path: str) -> bool:
        """Does `commit` hold a file at `path`?"""
        return self.run("cat-file", "-e", f"{commit}:{path}", check=False).returncode == 0

    def toplevel(self) -> Path:
        return Path(self.out("rev-parse", "--show-toplevel"))

    def changed_files(self) -> list[str]:
        """Tracked files with changes not committed (the clone should have none)."""
        lines = self.out("status", "--porcelain", "--untracked-files=no").splitlines()
        return [line[3:] for line in lines if line.strip()]

    def untracked(self, path: str) -> list[str]:
        """The list's files (`*.yaml` in the catalogue folder `path`, as the loader reads them) git does not track
        and nothing ignores (the clone should have none). Not any file: the write lock (listed in
        .git/info/exclude only by an init since 0020586, never in a clone made by hand) and a writer's temp file
        must outlive a sync."""
        # -z: names as they are, which `git clean` takes back (a listing quotes "à.yaml" as "\303\240.yaml")
        listed = self.run("ls-files", "-z", "--others", "--exclude-standard", "--", f":(glob){path}/*.yaml").stdout
        return [name for name in listed.split("\0") if name]

    def origin_url(self) -> str | None:
        result = self.run("remote", "get-url", "origin", check=False)
        return result.stdout.strip() or None

    # ------------------------------------------------------------------ the remote

    def clone(self, destination: Path) -> None:
        self.run("clone", "--quiet", "--no-tags", self.remote.url, str(destination), cwd=destination.parent)

    def fetch(self, default_branch: str, prefix: str) -> None:
        """The default branch and the bot's own branches, pruning branches deleted upstream."""
        self.run("fetch", "--quiet", "--prune", "--no-tags", "origin",
                 f"+refs/heads/{default_branch}:refs/remotes/origin/{default_branch}",
                 f"+refs/heads/{prefix}*:refs/remotes/origin/{prefix}*")

    def push(self, commit: str, branch: str, *, expect: str | None = None, force_if: bool = False) -> None:
        """Push `commit` to `branch`. A plain push only fast-forwards. With `force_if`, the branch is replaced only
        while it still points at `expect` (or does not exist, when `expect` is None): never over a commit we have
        not seen, so nobody else's work is lost."""
        args = ["push", "--porcelain", "origin", f"{commit}:refs/heads/{branch}"]
        if force_if:
            args.insert(2, f"--force-with-lease=refs/heads/{branch}:{expect or ''}")
        self.run(*args)

    # ------------------------------------------------------------------ writing

    def commit_all(self, message: str, paths: Sequence[str]) -> str:
        self.run("add", "--", *paths)
        self.run("commit", "--quiet", "--no-verify", "-m", message, "--", *paths)
        return self.out("rev-parse", "HEAD")

    def reset_hard(self, commit: str) -> None:
        self.run("reset", "--quiet", "--hard", commit)

    @contextlib.contextmanager
    def scratch(self, commit: str) -> Iterator[Git]:
        """A throwaway worktree at `commit` (detached) inside the clone's git directory, removed afterwards:
        branches are built there, so the served working tree only ever moves between finished states."""
        git_dir = Path(self.out("rev-parse", "--absolute-git-dir"))
        path = git_dir / f"{SCRATCH_PREFIX}{uuid.uuid4().hex[:10]}"
        self.run("worktree", "add", "--quiet", "--detach", str(path), commit)
        try:
            yield Git(path, self.remote, timeout=self.timeout)
        finally:
            self.run("worktree", "remove", "--force", str(path), check=False)
            shutil.rmtree(path, ignore_errors=True)
            self.run("worktree", "prune", check=False)
