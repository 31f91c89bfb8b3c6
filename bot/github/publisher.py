"""Publisher: approvals become commits on a branch of the list's GitHub repository and a pull request (or a push),
the pull request is followed to its end, and the clone the bot serves from stays in sync with the default branch.

One *round* (`run_round`, a scheduler job every INTERP_BOT_GITHUB_SYNC_MINUTES and right after an approval; the
`interp-bot github` command) does, under the database lease "github":

1. **sync**: fetch the default branch and the bot's branches; check the list upstream is valid (if not, report it
   with file and line and keep serving the last valid list); move the served working tree to the default branch
   plus the approvals not merged yet. A human's edit on GitHub reaches `topic` answers here.
2. **follow**: each open pull request: merged → said once in the maintainers' channel (and in the next digest);
   closed unmerged → its papers become `rejected upstream`, leave the served list, and are never proposed again
   unless it is reopened (bot.github.follow).
3. **publish**: each branch with approvals is built from the data stored at approval time, one commit per paper,
   and its pull request opened, updated, or closed when nothing in it is left to add (bot.github.branches).

Branches are built from stored entries, not rebased text, so an upstream edit next to ours never conflicts.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.catalogue.markdown import render_markdown
from bot.catalogue.model import entry_from_data, entry_to_data
from bot.catalogue.service import CatalogueService, write_entry
from bot.catalogue.yaml_io import TOPICS_FILE, load_catalogue
from bot.curation.digest import local_day
from bot.curation.entries import entry_for
from bot.curation.notices import tell_maintainers
from bot.errors import CatalogueError, ConfigError, GitHubAccessError, GitHubError, InterpBotError
from bot.github import texts
from bot.github.api import GitHubApi
from bot.github.branches import PublishesBranches
from bot.github.clone import is_unmerged_import
from bot.github.follow import FollowsPullRequests
from bot.github.git import PREFIX, Git, Remote, names_repository, shown_url
from bot.store.github import DEFAULT, ENDED_PULL_STATES, OPEN_STATES, GitHubStore, StoredPublication
from bot.store.jobs import JobRunStore

if TYPE_CHECKING:
    from bot.chat.values import Post
    from bot.curation.pipeline import Curation
    from bot.settings import Settings

log = logging.getLogger(__name__)

LEASE = "github"
LEASE_TTL = timedelta(minutes=15)


@dataclass
class RoundReport:
    """What one round did, for the command line and the logs."""

    ran: bool = True
    default_branch: str = ""
    upstream: str = ""
    upstream_valid: bool = True
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        log.info("github: %s", line)
        self.lines.append(line)


class Publisher(FollowsPullRequests, PublishesBranches):
    def __init__(self, settings: Settings, curation: Curation, *, api: GitHubApi | None = None):
        self.settings = settings
        self.repo = settings.github_repo
        self.mode = settings.github_mode
        token = settings.github_token.get_secret_value() if settings.github_token is not None else None
        self.remote = Remote(settings.github_git_url or f"https://github.com/{self.repo}.git", token or None, self.repo)
        self.curation = curation
        self.catalogue: CatalogueService = curation.catalogue
        self.store = GitHubStore(curation.db)
        self._api = api
        self._lock = asyncio.Lock()
        self._served: tuple[str, tuple[int, ...]] | None = None  # (upstream, approvals on top) last served
        self._unusable: dict[str, list[str]] = {}  # upstream commits that cannot be served -> their problems
        self._pending_notices: list[Post] = []
        # Branch -> the title and body this process last got GitHub to accept: a description that failed to update
        # (a 502, a 422) differs from it and is sent again next round (after a restart, once per open pull request).
        self._described: dict[str, tuple[str, str]] = {}
        # The served upstream's front page when it is not what its list renders to (edited by hand), else "".
        self.front_page_edited = ""
        self.kick: Callable[[], None] | None = None  # the scheduler's "run the round soon"
        self._checked_root: Path | None = None  # the clone whose origin was found to be the configured remote

    # ------------------------------------------------------------------ parts

    @property
    def api(self) -> GitHubApi:
        if self._api is None:
            from bot import __version__, errors

            token = self.remote.token
            if not token:
                raise GitHubAccessError(errors.GITHUB_NEEDS_TOKEN)
            self._api = GitHubApi(self.repo, token, base_url=self.settings.github_api_url,
                                  user_agent=f"interp-bot/{__version__} (+{self.settings.user_agent_contact})",
                                  clock=self.curation.db.now)
        return self._api

    def _clone(self) -> tuple[Git, str]:
        """The clone's git and the catalogue's path inside it (e.g. "catalogue")."""
        from bot import errors

        directory = self.catalogue.directory
        try:
            root = Git(directory, self.remote).toplevel()
        except GitHubError:
            raise GitHubError(errors.github_not_a_clone(directory, self.repo)) from None
        git = Git(root, self.remote)
        if root != self._checked_root:  # once per clone: the token is sent only to the configured URL
            origin = git.origin_url()
            if origin is not None and origin != self.remote.url and not names_repository(origin, self.repo):
                # Never reset (nor pushed from) as the list's clone: another repository's checkout and its commits.
                raise ConfigError(f"the catalogue {directory} is in a clone of {shown_url(origin)}, not of "
                                  f"{self.repo}: the list needs a clone of its own: set INTERP_BOT_CATALOGUE_DIR to "
                                  "DIR/catalogue for a new DIR and run `interp-bot init`")
            # An ssh origin authenticates itself (a hand-made clone); an http(s) one gets the token only if it is
            # the configured URL, and would otherwise read as a token GitHub refused.
            if origin != self.remote.url and (origin is None or origin.startswith(("http://", "https://"))):
                raise ConfigError(f"the clone {root} fetches from {shown_url(origin)}, but the bot publishes to "
                                  f"{self.remote.url} (INTERP_BOT_GITHUB_REPO / INTERP_BOT_GITHUB_GIT_URL): point it "
                                  f"there with `git -C {root} remote set-url origin {self.remote.url}`, or clone "
                                  "again with `interp-bot init`")
            self._checked_root = root
        return git, directory.resolve().relative_to(root.resolve()).as_posix()

    # ------------------------------------------------------------------ approvals

    async def approved(self, paper_id: int) -> None:
        """An approval's entry is written to the served list: remember it for GitHub (idempotent), publish soon."""
        if await asyncio.to_thread(self._record, paper_id) and self.kick is not None:
            self.kick()

    def _record(self, paper_id: int) -> bool:
        decision = self.curation.store.decision(paper_id)
        if decision is None or decision.decision != "approved" or not decision.entry_id:
            return False
        if self.store.publication(paper_id) is not None:
            return False
        entry = self.catalogue.index.catalogue.entry(decision.entry_id)
        if entry is None:
            # A round reset the clone between the entry's write and this record (another process's round, or an
            # earlier approval's kick): the served list no longer holds it, so it is built again from what made it.
            paper = self.curation.papers.paper(paper_id)
            if paper is None:
                return False
            entry = replace(entry_for(paper, decision, set()), id=decision.entry_id)
        platforms = self.store.approval_platforms(paper_id, self.settings.approve_emoji,
                                                  self.curation.maintainers.voter_now)
        approvers = []
        for person in decision.deciders:
            prefix, _, name = person.rpartition(":")
            for platform in platforms.get(person) or [prefix or "chat"]:
                approvers.append((name, platform))
        return self.store.add_publication(paper_id=paper_id, entry_id=entry.id, topic=decision.topic or "",
                                          entry=entry_to_data(entry), approvers=approvers,
                                          branch=self._branch_for(entry.id))

    def _branch_for(self, entry_id: str) -> str:
        if self.mode == "push":
            return DEFAULT
        if self.mode == "pull-request-each":
            base = f"{PREFIX}{entry_id}"[:90]
        else:
            base = f"{PREFIX}{local_day(self.curation.db.now(), self.settings.timezone)}"
        candidate, number = base, 1
        while True:
            pr = self.store.pull_request(candidate)
            taken = pr is not None and (pr.state in ENDED_PULL_STATES or self.mode == "pull-request-each")
            if not taken:
                return candidate
            number += 1
            candidate = f"{base}-{number}"

    # ------------------------------------------------------------------ one round

    async def run_round(self) -> RoundReport:
        """Sync, follow, publish: see the module's docstring. Skipped while another process holds the lease."""
        async with self._lock:
            db = self.curation.db
            holder = self.curation.holder
            if not await asyncio.to_thread(db.acquire_lease, LEASE, holder, LEASE_TTL):
                held = await asyncio.to_thread(db.lease_holder, LEASE)
                by = f" ({held[0]}, until {held[1]:%H:%M} UTC at the latest)" if held else ""
                return RoundReport(ran=False, lines=[f"another interp-bot process is publishing{by}; skipped"])
            started = db.now()
            problem: str | None = "stopped before it finished"
            try:
                report = await self._round()
                problem = _round_problem(report)
                return report
            except GitHubAccessError as exc:
                problem = str(exc)
                digest = hashlib.sha256(problem.encode()).hexdigest()[:16]
                await self._notify(texts.problem_post(f"github-access:{digest}", "Publishing to GitHub is stopped",
                                                      problem))
                raise
            except Exception as exc:  # recorded for `status`; the scheduler logs it
                problem = str(exc) if isinstance(exc, InterpBotError) else f"{type(exc).__name__}: {exc}"
                raise
            finally:
                # A round that failed still says what it found before (a reopen it recorded, a problem): those
                # notices live in memory, and a one-shot `interp-bot github` would lose them at exit.
                pending, self._pending_notices = self._pending_notices, []
                for post in pending:
                    await self._notify(post)
                try:
                    await asyncio.to_thread(JobRunStore(db).record, LEASE, started, problem)
                except Exception:  # status misses one round; the lease must still go
                    log.exception("could not record the GitHub round's outcome for `status`")
                await asyncio.to_thread(db.release_lease, LEASE, holder)

    async def _round(self) -> RoundReport:
        report = RoundReport()
        report.default_branch = await self.api.default_branch()
        report.upstream = await asyncio.to_thread(self._sync, report)
        await self._follow(report)  # in push mode too: pull requests opened before a switch to it still end
        if report.upstream_valid:  # nothing is built on an invalid list: it waits for the fix upstream
            await self._publish(report)
        await asyncio.to_thread(self._serve, report)
        for post in await asyncio.to_thread(self._recent_outcomes):
            await self._notify(post)
        return report

    async def _notify(self, post: Post) -> None:
        try:
            await tell_maintainers(self.curation, post)
        except Exception:  # a notice that cannot be posted must not stop publishing; it is retried next round
            log.exception("could not post the notice %s", post.key)

    # ------------------------------------------------------------------ sync

    def _sync(self, report: RoundReport) -> str:
        git, _ = self._clone()
        git.fetch(report.default_branch, PREFIX)
        upstream = git.rev(f"refs/remotes/origin/{report.default_branch}")
        if upstream is None:
            raise GitHubError(f"{self.repo} has no branch {report.default_branch!r}")
        report.upstream = upstream
        self._serve(report)
        return upstream

    def _serve(self, report: RoundReport) -> None:
        """Move the served working tree to upstream + the approvals not on it yet (unless upstream is invalid)."""
        git, subdir = self._clone()
        if report.upstream in self._unusable:  # known: keep serving what we serve; its problems once per report
            report.upstream_valid = False
            problems = self._unusable[report.upstream]
            report.problems.extend(p for p in problems if p not in report.problems)
            if problems:  # posted once per channel (the post's key): repeated only until it got through
                self._notify_soon(texts.invalid_upstream_post(self.repo, report.default_branch, report.upstream,
                                                              problems))
            return
        pending = self.store.publications(states=OPEN_STATES)
        key = (report.upstream, tuple(p.paper_id for p in pending))
        if key == self._served and not git.changed_files() and not git.untracked(subdir):
            return
        with git.scratch(report.upstream) as build:
            directory = build.root / subdir
            if not (directory / TOPICS_FILE).is_file():
                report.upstream_valid = False
                if is_unmerged_import(git, subdir, report.upstream):
                    self._unusable[report.upstream] = []  # not imported upstream yet: nothing wrong to report
                    report.say(f"{report.default_branch} has no {subdir}/ yet: serving the clone's import until the "
                               "import's pull request is merged; nothing is published before")
                    return
                # The list was there (the clone serves it) and is gone upstream: moved or deleted, not "not yet".
                problems = [f"{subdir}/{TOPICS_FILE}: not on {report.default_branch} any more (the list was moved or "
                            f"removed upstream); set INTERP_BOT_CATALOGUE_DIR to where it is now, or restore it"]
                self._unusable[report.upstream] = problems
                report.problems.extend(problems)
                log.error("the list on GitHub (%s at %s) has no %s/%s; still serving the last valid version",
                          report.default_branch, report.upstream[:10], subdir, TOPICS_FILE)
                self._notify_soon(texts.invalid_upstream_post(self.repo, report.default_branch, report.upstream,
                                                              problems))
                return
            try:
                listed = load_catalogue(directory)
            except CatalogueError as exc:
                problems = [_relative(str(problem), build.root) for problem in exc.problems]
                self._unusable[report.upstream] = problems
                report.problems.extend(problems)
                report.upstream_valid = False
                log.error("the list on GitHub (%s at %s) is invalid; still serving the last valid version:\n  %s",
                          report.default_branch, report.upstream[:10], "\n  ".join(problems))
                self._notify_soon(texts.invalid_upstream_post(self.repo, report.default_branch, report.upstream,
                                                              problems))
                return
            front = self.settings.github_readme  # each pull request's description says when it differs
            edited = bool(front) and (build.root / front).is_file() and \
                (build.root / front).read_text(encoding="utf-8") != render_markdown(listed)
            self.front_page_edited = front if edited else ""
            for publication in pending:
                self._apply(build, subdir, publication)
            target = build.out("rev-parse", "HEAD")
        made = git.untracked(subdir)  # every *.yaml in the catalogue is part of the list: a file made by hand too
        dirty = git.changed_files() + made
        if dirty:
            log.warning("discarding uncommitted changes in the clone (%s): approvals are re-applied from the "
                        "database, and the list's own edits belong on GitHub", ", ".join(dirty))
        before = git.rev("HEAD")
        git.reset_hard(target)
        if made:
            git.run("clean", "--quiet", "--force", "--", *made)
        self._served = key
        if before != target:
            report.say(f"serving {report.default_branch} at {report.upstream[:10]}"
                       + (f" + {len(pending)} approval(s) not merged yet" if pending else ""))

    def _apply(self, build: Git, subdir: str, publication: StoredPublication) -> str:
        """Write one approval into a scratch worktree and commit it: "applied", "listed" (already there), or the
        reason it cannot be added."""
        entry = entry_from_data(publication.entry)
        try:
            files = write_entry(build.root / subdir, entry, publication.topic,
                                front_page=build.root / self.settings.github_readme if self.settings.github_readme
                                else None)
        except CatalogueError as exc:
            return "; ".join(_relative(str(problem), build.root) for problem in exc.problems)
        if files is None:
            return "listed"
        build.commit_all(texts.commit_message(publication), [str(path.relative_to(build.root)) for path in files])
        return "applied"

    def _notify_soon(self, post: Post) -> None:
        """From a worker thread: the notice goes out at the end of the round (see _recent_outcomes)."""
        self._pending_notices.append(post)

    # ------------------------------------------------------------------ publish

    def _move_unpushed(self, branch: str) -> None:
        """Approvals filed under a branch that ended before they were pushed get the next branch."""
        unpushed = self.store.publications(branch=branch, states=["pending"])
        if unpushed:
            self.store.move_publications([p.paper_id for p in unpushed], self._branch_for(unpushed[0].entry_id))


def _round_problem(report: RoundReport) -> str | None:
    """What held a finished round back, for `status` (None: it did all it had to)."""
    if not report.problems:
        return None
    more = f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""
    return (f"the list on GitHub ({report.default_branch} at {report.upstream[:10]}) is invalid, nothing is "
            f"published until it is fixed: {report.problems[0]}{more}")


def _relative(problem: str, root: Path) -> str:
    """A problem's file as a path in the repository (catalogue/probing.yaml:12), not in a scratch directory."""
    return problem.replace(f"{root.resolve()}/", "").replace(f"{root}/", "")
