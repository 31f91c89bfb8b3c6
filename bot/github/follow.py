"""The publisher's second step, *follow* (bot.github.publisher): each open pull request's fate read back from
GitHub. Merged: its papers are on the list, said once, and any a reviewer took out (or a rewritten branch lost) are
rejected upstream and named. Closed unmerged: its papers are rejected upstream, leave the served list and are never
proposed again, unless the pull request is reopened on GitHub (looked for during REOPEN_WINDOW after the close):
then they are approved again and followed as before. The notices go out at the end of the round
(`_recent_outcomes`), retried until posted."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from bot.catalogue.model import entry_from_data
from bot.catalogue.service import listed_as
from bot.catalogue.yaml_io import load_catalogue
from bot.errors import CatalogueError
from bot.github import texts
from bot.github.git import PREFIX

if TYPE_CHECKING:
    from bot.chat.values import Post
    from bot.curation.pipeline import Curation
    from bot.github.api import GitHubApi
    from bot.github.git import Git
    from bot.github.publisher import RoundReport
    from bot.store.github import GitHubStore, StoredPublication, StoredPullRequest

NOTIFY_WINDOW = timedelta(days=3)  # merged / closed pull requests still notified (retries) for this long
REOPEN_WINDOW = timedelta(days=30)  # a pull request closed unmerged is read again (one call a round) this long


class _Publisher(Protocol):
    """What following needs of the publisher it is part of."""

    store: GitHubStore
    curation: Curation
    _pending_notices: list[Post]

    @property
    def api(self) -> GitHubApi: ...
    def _clone(self) -> tuple[Git, str]: ...
    def _notify_soon(self, post: Post) -> None: ...
    def _move_unpushed(self, branch: str) -> None: ...
    def _merged(self, branch: str, default_branch: str, number: int,
                missing: list[StoredPublication] | None) -> int: ...
    def _closed(self, branch: str, default_branch: str) -> int: ...
    def _not_on(self, default_branch: str, publications: list[StoredPublication]
                ) -> list[StoredPublication] | None: ...
    def _on_branch(self, branch: str, publications: list[StoredPublication]) -> list[StoredPublication]: ...
    def _rejected_upstream(self, publications: list[StoredPublication], note: str) -> None: ...
    def _reopened(self, pr: StoredPullRequest, url: str) -> int: ...
    async def _follow_closed(self, report: RoundReport) -> None: ...


class FollowsPullRequests:
    """Mixed into Publisher: the follow step and its notices."""

    async def _follow(self: _Publisher, report: RoundReport) -> None:
        await self._follow_closed(report)  # first: one reopened and merged since is then followed as open
        # A round that failed between recording a pull request's end and its papers' (a kill; a 5xx) left them
        # "published" under an ended pull request, which no later round followed: finished here.
        unfinished = {p.branch for p in await asyncio.to_thread(self.store.publications, states=["published"])}
        for pr in await asyncio.to_thread(self.store.pull_requests, states=["merged", "closed"]):
            if pr.number is not None and pr.branch in unfinished:
                if pr.state == "merged":
                    published = await asyncio.to_thread(self.store.publications, branch=pr.branch,
                                                        states=["published"])
                    missing = await asyncio.to_thread(self._not_on, report.default_branch, published)
                    await asyncio.to_thread(self._merged, pr.branch, report.default_branch, pr.number, missing)
                else:
                    await asyncio.to_thread(self._closed, pr.branch, report.default_branch)
        for pr in await asyncio.to_thread(self.store.pull_requests, states=["open"]):
            if pr.number is None:
                continue
            info = await self.api.pull(pr.number)
            now = self.curation.db.now()
            if info.merged:
                # What the merge left out is read before anything is recorded: if reading it fails, the pull
                # request is still open here and the next round follows it again.
                published = await asyncio.to_thread(self.store.publications, branch=pr.branch, states=["published"])
                missing = await asyncio.to_thread(self._not_on, report.default_branch, published)
                if await asyncio.to_thread(self.store.close_pull_request, pr.branch, "merged", info.merged_at or now):
                    removed = await asyncio.to_thread(self._merged, pr.branch, report.default_branch, pr.number,
                                                      missing)
                    report.say(f"pull request #{pr.number} was merged: {info.url}"
                               + (f" ({removed} approved paper(s) were not in it)" if removed else ""))
            elif info.state == "closed" and await asyncio.to_thread(self.store.close_pull_request, pr.branch,
                                                                    "closed", now):
                count = await asyncio.to_thread(self._closed, pr.branch, report.default_branch)
                report.say(f"pull request #{pr.number} was closed without merging: {count} paper(s) marked "
                           "rejected upstream")

    async def _follow_closed(self: _Publisher, report: RoundReport) -> None:
        """Pull requests closed unmerged lately, read again: one a person closed and reopened on GitHub (and perhaps
        merged since) takes its papers back from "rejected upstream". One the bot withdrew stays withdrawn (its
        papers are on the list already), but a reopen is worth a warning: merging it would list them twice."""
        since = self.curation.db.now() - REOPEN_WINDOW
        for pr in await asyncio.to_thread(self.store.pull_requests, states=["closed", "withdrawn"]):
            if pr.number is None or pr.closed_at is None or pr.closed_at < since:
                continue
            info = await self.api.pull(pr.number)
            if info.state != "open" and not info.merged:
                continue
            if pr.state == "withdrawn":
                ended = await asyncio.to_thread(self.store.publications, branch=pr.branch)
                self._notify_soon(texts.withdrawn_reopened_post(pr.number, info.url, info.merged, pr.closed_at,
                                                                ended))
                continue
            count = await asyncio.to_thread(self._reopened, pr, info.url)
            report.say(f"pull request #{pr.number} was reopened: {count} paper(s) approved again")

    def _reopened(self: _Publisher, pr: StoredPullRequest, url: str) -> int:
        if not self.store.reopen_pull_request(pr.branch):
            return 0
        closed = self.store.publications(branch=pr.branch, states=["closed"])
        self.store.set_publication_state([p.paper_id for p in closed], "published", only_from=["closed"])
        now = self.curation.db.now()
        for publication in closed:
            self.curation.papers.set_status(publication.paper_id, "approved", only_from=["rejected upstream"],
                                            now=now)
        assert pr.number is not None and pr.closed_at is not None
        self._notify_soon(texts.reopened_post(pr.number, url, pr.closed_at, closed))
        return len(closed)

    def _merged(self: _Publisher, branch: str, default_branch: str, number: int,
                missing: list[StoredPublication] | None) -> int:
        """The papers the merged pull request brought onto the list are merged; any it no longer held (a reviewer
        took one out, someone rewrote the branch: `missing`, read by `_not_on` before the end was recorded) are
        not announced as on the list: they are rejected upstream, as a closed pull request's are, and the
        maintainers are told. Returns how many were not in it."""
        published = self.store.publications(branch=branch, states=["published"])
        # Not knowing (None: the list upstream does not load) calls none missing: the merge brought them all.
        missing_ids = {m.paper_id for m in missing or []}
        missing = [p for p in published if p.paper_id in missing_ids]
        # One the branch still holds was pushed after the merge (its approval's round read the pull request open
        # just before the click): nobody took it out, so it goes to the next branch, not to "rejected upstream".
        late = self._on_branch(branch, missing)
        missing = [p for p in missing if p not in late]
        self.store.set_publication_state([p.paper_id for p in published if p not in missing and p not in late],
                                         "merged")
        self.store.set_publication_state([p.paper_id for p in late], "pending")
        if missing:
            self._rejected_upstream(missing, f"not in pull request #{number} when it was merged")
            titles = "; ".join(texts.one_line(str(p.entry.get("title", "")), 120) for p in missing)
            self._notify_soon(texts.problem_post(
                f"github-missing:{number}", f"Pull request #{number} was merged without {len(missing)} approved "
                f"paper(s)", f"Not on {default_branch} after the merge (taken out in review, or the branch was "
                f"rewritten): {titles}. They are marked rejected upstream; add one by hand on GitHub if it "
                "belongs on the list."))
        self._move_unpushed(branch)
        return len(missing)

    def _on_branch(self: _Publisher, branch: str, publications: list[StoredPublication]) -> list[StoredPublication]:
        """Those of `publications` whose entries the branch's head, as last fetched, holds."""
        git, subdir = self._clone()
        head = git.rev(f"refs/remotes/origin/{branch}") if publications else None
        if head is None:
            return []
        with git.scratch(head) as build:
            try:
                catalogue = load_catalogue(build.root / subdir)
            except CatalogueError:
                return []
        return [p for p in publications if listed_as(catalogue, entry_from_data(p.entry)) is not None]

    def _not_on(self: _Publisher, default_branch: str, publications: list[StoredPublication]
                ) -> list[StoredPublication] | None:
        """The publications whose entries the default branch's list does not hold, fetched again when some seem
        missing (the merge may have landed after this round's fetch); None when it cannot tell (the list there
        does not load, or is not there): each caller decides what not knowing means."""
        if not publications:
            return []
        git, subdir = self._clone()
        missing: list[StoredPublication] = []
        for attempt in range(2):
            if attempt:
                git.fetch(default_branch, PREFIX)
            upstream = git.rev(f"refs/remotes/origin/{default_branch}")
            if upstream is None:
                return None
            with git.scratch(upstream) as build:
                try:
                    catalogue = load_catalogue(build.root / subdir)
                except CatalogueError:
                    return None
            missing = [p for p in publications if listed_as(catalogue, entry_from_data(p.entry)) is None]
            if not missing:
                return []
        return missing

    def _closed(self: _Publisher, branch: str, default_branch: str) -> int:
        """The closed pull request's papers are rejected upstream, but for those the list upstream holds anyway (a
        maintainer added one by hand, then closed the bot's pull request as done): those are listed. Returns how
        many were rejected."""
        published = self.store.publications(branch=branch, states=["published"])
        missing = self._not_on(default_branch, published)
        # Not knowing (the list upstream does not load, or was moved) rejects them all, as a close says.
        missing_ids = {m.paper_id for m in missing or []}
        rejected = published if missing is None else [p for p in published if p.paper_id in missing_ids]
        self.store.set_publication_state([p.paper_id for p in published if p not in rejected], "listed",
                                         note="the list upstream already holds it")
        self._rejected_upstream(rejected, "pull request closed")
        self._move_unpushed(branch)
        return len(rejected)

    def _rejected_upstream(self: _Publisher, publications: list[StoredPublication], note: str) -> None:
        """These approvals did not reach the list on GitHub: closed, and their papers never proposed again."""
        self.store.set_publication_state([p.paper_id for p in publications], "closed", note=note)
        now = self.curation.db.now()
        for publication in publications:
            self.curation.papers.set_status(publication.paper_id, "rejected upstream", only_from=["approved"],
                                            now=now)

    def _recent_outcomes(self: _Publisher) -> list[Post]:
        """Notices for pull requests merged or closed lately (posted once per channel: retried until they are),
        and whatever the round found wrong."""
        posts: list[Post] = list(self._pending_notices)
        self._pending_notices.clear()
        since = self.curation.db.now() - NOTIFY_WINDOW
        for pr in self.store.pull_requests(states=["merged", "closed"]):
            if pr.number is None or pr.url is None or pr.closed_at is None or pr.closed_at < since:
                continue
            if pr.state == "merged":
                posts.append(texts.merged_post(pr.number, pr.url, self.store.publications(branch=pr.branch,
                                                                                          states=["merged"])))
            else:
                posts.append(texts.closed_post(pr.number, pr.url, pr.closed_at,
                                               self.store.publications(branch=pr.branch, states=["closed"])))
        for publication in self.store.publications(states=["failed"]):
            title = texts.one_line(str(publication.entry.get("title", "")), 120)
            posts.append(texts.problem_post(f"github-failed:{publication.paper_id}",
                                            f"“{title}” cannot be added to the list on GitHub",
                                            f"{publication.note}. The approval stands but is not proposed again; "
                                            "if the paper belongs on the list, add it on GitHub by hand (the bot "
                                            "serves the list from there)."))
        return posts
