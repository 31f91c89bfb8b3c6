"""The publisher's third step, *publish* (bot.github.publisher): each branch with approvals is built in a scratch
worktree from the entries stored at approval time, one commit per paper, and its pull request opened or its
description updated. A branch only the bot has committed to is rebuilt on the default branch when that moved
(pushed with --force-with-lease, so only over what we fetched); one someone else committed to is only ever added to.
An open pull request left with nothing to add (each paper reached the list another way, or no longer fits it) is
closed, saying why there and in the maintainers' channel: merging its old commits would list a paper twice. In push
mode, approvals go straight onto the default branch, fast-forward only."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.github import texts
from bot.github.git import PREFIX
from bot.store.github import DEFAULT, ENDED_PULL_STATES, OPEN_STATES

if TYPE_CHECKING:
    from bot.catalogue.service import CatalogueService
    from bot.chat.values import Post
    from bot.curation.pipeline import Curation
    from bot.github.api import GitHubApi
    from bot.github.git import Git
    from bot.github.publisher import RoundReport
    from bot.store.github import GitHubStore, StoredPublication

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Built:
    head: str | None  # pushed commit, None when nothing was pushed
    applied: list[int]
    listed: list[int]
    failed: list[tuple[int, str]]


class _Publisher(Protocol):
    """What publishing needs of the publisher it is part of."""

    store: GitHubStore
    curation: Curation
    catalogue: CatalogueService
    _described: dict[str, tuple[str, str]]
    front_page_edited: str

    @property
    def mode(self) -> str: ...  # read-only here: the publisher's is a Literal of the three modes
    @property
    def api(self) -> GitHubApi: ...
    def _clone(self) -> tuple[Git, str]: ...
    def _apply(self, build: Git, subdir: str, publication: StoredPublication) -> str: ...
    def _move_unpushed(self, branch: str) -> None: ...
    def _branch_for(self, entry_id: str) -> str: ...
    def _build_branch(self, report: RoundReport, branch: str) -> _Built: ...
    @staticmethod
    def _foreign_commits(git: Git, bases: list[str], head: str) -> int: ...
    async def _open_or_update(self, report: RoundReport, branch: str, pushed: list[int]) -> None: ...
    async def _withdraw(self, report: RoundReport, branch: str) -> None: ...
    def _push_default(self, report: RoundReport) -> None: ...
    def _notify_soon(self, post: Post) -> None: ...


class PublishesBranches:
    """Mixed into Publisher: the publish step."""

    async def _publish(self: _Publisher, report: RoundReport) -> None:
        if self.mode == "push":
            await asyncio.to_thread(self._push_default, report)
            return
        open_publications = await asyncio.to_thread(self.store.publications, states=OPEN_STATES)
        stranded = [p for p in open_publications if p.branch == DEFAULT]
        if stranded:  # approved in push mode and not pushed before the switch: each gets this mode's branch
            for publication in stranded:
                await asyncio.to_thread(self.store.move_publications, [publication.paper_id],
                                        self._branch_for(publication.entry_id))
            open_publications = await asyncio.to_thread(self.store.publications, states=OPEN_STATES)
        for branch in dict.fromkeys(p.branch for p in open_publications):
            pr = await asyncio.to_thread(self.store.pull_request, branch)
            if pr is not None and pr.state in ENDED_PULL_STATES:
                await asyncio.to_thread(self._move_unpushed, branch)
                continue
            built = await asyncio.to_thread(self._build_branch, report, branch)
            if built.head is not None:
                report.say(f"pushed {branch} ({len(built.applied)} new commit(s))")
            await self._open_or_update(report, branch, built.applied)
        # An open pull request with nothing left to add: its branch rebuilt empty just now, or in a round whose
        # close failed (a 502, a rate limit), which is why this looks at every open one and not at this round's.
        for pr in await asyncio.to_thread(self.store.pull_requests, states=["open"]):
            if pr.number is not None and not await asyncio.to_thread(self.store.publications, branch=pr.branch,
                                                                     states=OPEN_STATES):
                await self._withdraw(report, pr.branch)

    def _build_branch(self: _Publisher, report: RoundReport, branch: str) -> _Built:
        git, subdir = self._clone()
        publications = self.store.publications(branch=branch, states=OPEN_STATES)
        remote_head = git.rev(f"refs/remotes/origin/{branch}")
        if remote_head is None:
            start, force, to_apply = report.upstream, True, publications
        else:
            pr = self.store.pull_request(branch)
            # Neither the default branch's commits nor those of the base the bot last built on are someone's on
            # our branch: after a force-push upstream (history rewritten) the old ones are only in the second,
            # after GitHub's "Update branch" (a rebase or a merge of main) the new ones only in the first.
            bases = [report.upstream] + ([pr.base_sha] if pr is not None and pr.base_sha
                                         and git.rev(pr.base_sha) is not None else [])
            foreign = self._foreign_commits(git, bases, remote_head)
            if not foreign and not git.is_ancestor(report.upstream, remote_head):
                start, force, to_apply = report.upstream, True, publications  # only ours: rebuild on the new base
            else:
                if foreign:
                    log.info("%s has %d commit(s) by someone else: adding to it, never rewriting it", branch, foreign)
                start, force, to_apply = remote_head, False, [p for p in publications if p.state == "pending"]
        applied: list[int] = []
        listed: list[int] = []
        failed: list[tuple[int, str]] = []
        with git.scratch(start) as build:
            for publication in to_apply:
                outcome = self._apply(build, subdir, publication)
                if outcome == "applied":
                    applied.append(publication.paper_id)
                elif outcome == "listed":
                    (listed if start == report.upstream else applied).append(publication.paper_id)
                else:
                    failed.append((publication.paper_id, outcome))
            head = build.out("rev-parse", "HEAD")
            pushed = None
            if head not in (start, report.upstream):
                build.push(head, branch, expect=remote_head, force_if=force)
                pushed = head
        self.store.set_publication_state(applied, "published")
        self.store.set_publication_state(listed, "listed", note="the list upstream already holds it")
        for paper_id, reason in failed:
            self.store.set_publication_state([paper_id], "failed", note=reason)
        if pushed:
            self.store.save_pull_request(branch, head_sha=pushed, **({"base_sha": report.upstream} if force else {}))
        return _Built(pushed, applied, listed, failed)

    @staticmethod
    def _foreign_commits(git: Git, bases: list[str], head: str) -> int:
        """Commits on the branch, none of `bases` holds, that the bot did not make."""
        messages = git.out("log", "--format=%B%x00", head, *(f"^{base}" for base in bases)).split("\x00")
        return sum(1 for message in messages if message.strip() and f"{texts.TRAILER}:" not in message)

    async def _open_or_update(self: _Publisher, report: RoundReport, branch: str, pushed: list[int]) -> None:
        """`pushed`: the papers this round added to the branch."""
        publications = await asyncio.to_thread(self.store.publications, branch=branch, states=["published"])
        if not publications:
            return
        day = branch.removeprefix(PREFIX)[:10]
        title = texts.pull_title(self.mode, day, publications)
        body = texts.pull_body(publications, self.catalogue.index.catalogue,
                               front_page=self.front_page_edited)
        described = (title, body)
        pr = await asyncio.to_thread(self.store.pull_request, branch)
        if pr is not None and pr.number is not None:
            if self._described.get(branch) == described:
                return  # GitHub shows this description already
            info = await self.api.update_pull(pr.number, title, body)
            self._described[branch] = described
            if info.state == "closed" and not info.merged and pushed:
                # Closed after this round read it open, before these papers reached it: they were never in what was
                # closed, so they wait for the next pull request instead of being rejected with it (the next round
                # records the close and moves them on).
                await asyncio.to_thread(self.store.set_publication_state, pushed, "pending", only_from=["published"])
                report.say(f"pull request #{info.number} was closed before {len(pushed)} paper(s) reached it: they "
                           "go to the next pull request")
                return
            report.say(f"pull request #{info.number} updated: {len(publications)} paper(s), {info.url}")
            return
        found = await self.api.pull_for_branch(branch)  # opened by a run that crashed before recording it
        if found is None or found.state != "open":
            info = await self.api.open_pull(branch, report.default_branch, title, body)
            report.say(f"pull request #{info.number} opened: {info.url}")
        else:
            info = await self.api.update_pull(found.number, title, body)
        await asyncio.to_thread(self.store.save_pull_request, branch, number=info.number, url=info.url, state="open",
                                opened_at=self.curation.db.now())
        self._described[branch] = described

    async def _withdraw(self: _Publisher, report: RoundReport, branch: str) -> None:
        """The branch, rebuilt on the default branch, has nothing left to add: its open pull request still shows
        the old commits, whose merge would list a paper twice (or write into a topic that is gone). Close it, its
        description saying what became of each paper; the branch is not reused."""
        pr = await asyncio.to_thread(self.store.pull_request, branch)
        if pr is None or pr.number is None or pr.state != "open":
            return
        ended = await asyncio.to_thread(self.store.publications, branch=branch, states=["listed", "failed"])
        info = await self.api.close_pull(pr.number, texts.withdrawn_body(ended))
        if await asyncio.to_thread(self.store.close_pull_request, branch, "withdrawn", self.curation.db.now()):
            self._described.pop(branch, None)
            report.say(f"pull request #{info.number} closed: nothing in it is left to add ({info.url})")
            self._notify_soon(texts.withdrawn_post(info.number, info.url, ended))

    def _push_default(self: _Publisher, report: RoundReport) -> None:
        git, subdir = self._clone()
        pending = self.store.publications(states=["pending"])
        if not pending:
            return
        applied: list[int] = []
        listed: list[int] = []
        with git.scratch(report.upstream) as build:
            for publication in pending:
                outcome = self._apply(build, subdir, publication)
                if outcome == "applied":
                    applied.append(publication.paper_id)
                elif outcome == "listed":
                    listed.append(publication.paper_id)
                else:
                    self.store.set_publication_state([publication.paper_id], "failed", note=outcome)
            head = build.out("rev-parse", "HEAD")
            if applied:
                build.push(head, report.default_branch)  # a fast-forward or nothing: never forced
                report.say(f"pushed {len(applied)} paper(s) to {report.default_branch}")
        self.store.set_publication_state(applied, "merged", note=f"pushed to {report.default_branch}")
        self.store.set_publication_state(listed, "listed", note="the list upstream already holds it")
        report.upstream = head if applied else report.upstream
