"""What follows a decision (bot.curation.pipeline): an approval's entry written into the catalogue, the candidate's
posts edited to say what was decided, the approval handed to the GitHub publisher; and the rounds that keep this
going: `recover` finishes what a crash or a failing platform interrupted, `expire` closes candidates nobody decided
on, `recount` (at start) decides those whose standing votes meet thresholds lowered since. Each step is idempotent
and resumable, so whoever meets an unfinished decision next finishes it."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.catalogue.service import listed_as
from bot.chat.adapter import PostRef
from bot.curation.entries import entry_for
from bot.curation.posts import decided_post
from bot.errors import CatalogueError, GitError, PostGone, describe

if TYPE_CHECKING:
    from bot.catalogue.service import CatalogueService
    from bot.chat.adapter import ChatAdapter
    from bot.curation.pipeline import ApprovalPublisher
    from bot.intake.list_index import ListIndexCache
    from bot.settings import Settings
    from bot.store.curation import CurationStore, Decision
    from bot.store.db import Database
    from bot.store.papers import PaperStore

log = logging.getLogger(__name__)


class _Curation(Protocol):
    """What finishing needs of the Curation it is part of."""

    db: Database
    papers: PaperStore
    store: CurationStore
    catalogue: CatalogueService
    settings: Settings
    adapters: dict[str, ChatAdapter]
    publisher: ApprovalPublisher | None
    list_index: ListIndexCache

    async def finish(self, paper_id: int) -> str | None: ...
    async def complete(self, paper_id: int) -> None: ...
    def _write_entry(self, decision: Decision) -> None: ...
    def _tally(self, conn: Any, paper_id: int) -> str | None: ...
    async def _announce(self, decision: Decision) -> None: ...


class FinishesDecisions:
    """Mixed into Curation: finishing decisions, recovering and expiring."""

    async def finish(self: _Curation, paper_id: int) -> str | None:
        """`complete`, with a failure recorded on the decision (for `status`) and logged instead of raised.
        Returns the error, or None when the decision is now written (and announced where this process can)."""
        try:
            await self.complete(paper_id)
        except Exception as exc:
            error = describe(exc)
            decision = await asyncio.to_thread(self.store.decision, paper_id)
            await asyncio.to_thread(self.store.record_decision_failure, paper_id, error)
            repeated = decision is not None and decision.error == error
            log.log(logging.WARNING if repeated else logging.ERROR,
                    "the %s decision on candidate #%d is not finished: %s; it is retried every few minutes "
                    "(`interp-bot status` lists it, docs/operations.md says how to clear it)",
                    decision.decision if decision else "", paper_id, error,
                    exc_info=None if repeated or isinstance(exc, (CatalogueError, GitError)) else exc)
            return error
        return None

    async def complete(self: _Curation, paper_id: int) -> None:
        """Write the catalogue for an approval, then edit the posts: both idempotent, both resumable."""
        decision = await asyncio.to_thread(self.store.decision, paper_id)
        if decision is None:
            return
        if decision.decision == "approved" and not decision.written:
            await asyncio.to_thread(self._write_entry, decision)
            decision = await asyncio.to_thread(self.store.decision, paper_id) or decision  # the entry it became
        publisher = self.publisher
        # Recorded for GitHub before the posts are edited: a crash in between leaves the decision unannounced,
        # which recovery finishes (this record too); recorded after, a crash before it lost the approval's PR.
        if decision.decision == "approved" and publisher is not None:
            try:
                await publisher.approved(paper_id)
            except Exception:  # the entry stays written; only its publishing is lost, and logged
                log.exception("could not record candidate #%d for publishing", paper_id)
        if not decision.announced:
            await self._announce(decision)

    def _write_entry(self: _Curation, decision: Decision) -> None:
        paper = self.papers.paper(decision.paper_id)
        assert paper is not None
        catalogue = self.catalogue.index.catalogue
        source = paper.abs_url or (paper.links[0][1] if paper.links else "")
        existing = next((e for e in catalogue.entries if source and e.source == source), None)
        entry = existing or entry_for(paper, decision, {e.id for e in catalogue.entries})
        listed = None if existing else listed_as(catalogue, entry)
        if listed is None and existing is None:
            # Added by hand under its venue's link alone: the title tells, by the rule the poll uses (which put it
            # forward because the list did not hold it then).
            found = self.list_index.index(catalogue, self.papers.listed_arxiv_ids()).match(paper)
            listed = catalogue.entry(found) if found else None
        if listed is not None:
            # Added by hand (or under another link: its PDF, a later version) while it waited for votes: approved,
            # and on the list already, so not written twice. GitHub mode's branches recognise it the same way.
            log.info("%r is on the list already as %r: approved, not written again", paper.title, listed.id)
            self.store.mark_decision(decision.paper_id, written=True, entry_id=listed.id, error=None)
            return
        message = None
        if self.settings.git_commit or self.settings.github_enabled:
            how = (f"Approved by {', '.join(entry.approved_by)} as an override of the vote count "
                   f"(`interp-bot decide --force` or a chat `approve`), via interp-bot.") if decision.forced else \
                f"Approved by {', '.join(entry.approved_by)} via interp-bot."
            message = f"Add “{entry.title}” to the list\n\n{how}"
        try:
            if existing is None:
                self.catalogue.append(entry, decision.topic or "", commit_message=message)
                log.info("added %r to %s (approved by %s%s)", paper.title, decision.topic,
                         ", ".join(decision.deciders), ", forced" if decision.forced else "")
            else:
                # Written before a crash: not a second copy; but the crash may have come before the README was
                # rendered or the commit made, so both are finished now (each does nothing when already done).
                self.catalogue.finish_append(entry.id, commit_message=message)
        except GitError as exc:
            if self.settings.git_commit:  # the commit was asked for: the approval waits for it
                raise
            # GitHub mode publishes from the database (its branches are rebuilt from the approvals), so the clone's
            # own commit is a courtesy: without it nothing is lost.
            log.warning("%s; GitHub mode publishes the approval all the same", exc)
        self.store.mark_decision(decision.paper_id, written=True, entry_id=entry.id, error=None)

    async def _announce(self: _Curation, decision: Decision) -> None:
        paper = await asyncio.to_thread(self.papers.paper, decision.paper_id)
        if paper is None:
            return
        post = decided_post(paper, decision, self.catalogue.index)
        complete = True
        for stored in await asyncio.to_thread(self.store.posts_for_paper, decision.paper_id):
            if stored.edited or stored.kind != "candidate":
                continue
            adapter = self.adapters.get(stored.platform)
            if adapter is None:
                complete = False  # that platform runs in another process, whose recover() edits it
                continue
            try:
                await adapter.edit(PostRef(stored.platform, stored.channel_id, stored.message_id), post)
            except PostGone as exc:  # deleted: nothing to edit, now or at any later round
                log.info("%s: the post of candidate #%d is gone, not edited: %s", stored.platform, paper.id, exc)
            except Exception as exc:  # the decision stands; the edit is retried with the next recover()
                log.warning("%s: could not edit the post of candidate #%d: %s", stored.platform, paper.id,
                            describe(exc))
                complete = False
                continue
            await asyncio.to_thread(self.store.mark_post_edited, stored.platform, stored.channel_id,
                                    stored.message_id)
        if complete:
            await asyncio.to_thread(self.store.mark_decision, decision.paper_id, announced=True)

    async def recover(self: _Curation) -> int:
        """Finish decisions a crash interrupted (entry not written, posts not edited). One that fails is logged,
        recorded for `status` and left for the next round; the others are finished all the same, and the bot
        starts either way. Returns how many were finished."""
        pending = await asyncio.to_thread(self.store.decisions, pending_write=True)
        pending += [d for d in await asyncio.to_thread(self.store.decisions, pending_announce=True) if d not in pending]
        finished = 0
        for decision in pending:
            if await self.finish(decision.paper_id) is None:
                finished += 1
        return finished

    async def recount(self: _Curation) -> int:
        """Count the open candidates' standing votes again under the thresholds in force: lowering
        INTERP_BOT_APPROVALS_NEEDED or INTERP_BOT_REJECTIONS_NEEDED (a restart) decided nothing until the next vote on
        a candidate, and one holding enough votes could expire meanwhile. Each is counted as a vote's tally counts it
        (one transaction each, the candidate locked: a rejection vetoes first, an approval without a topic waits for
        a topic vote), and what it decides is finished as a vote's decision is. Returns how many were decided."""
        def apply() -> list[tuple[int, str]]:
            decided = []
            for paper in self.papers.candidates():
                with self.db.transaction() as conn:
                    self.store.lock_paper(conn, paper.id)
                    decision = self._tally(conn, paper.id)
                if decision:
                    decided.append((paper.id, decision))
            return decided

        decided = await asyncio.to_thread(apply)
        if decided:
            log.info("%d open candidates met the vote thresholds now in force and were decided: %s", len(decided),
                     ", ".join(f"#{paper_id} {decision}" for paper_id, decision in decided))
        for paper_id, _ in decided:
            await self.finish(paper_id)
        return len(decided)

    async def expire(self: _Curation) -> int:
        """Close candidates nobody decided on within the configured number of days."""
        cutoff = self.db.now() - timedelta(days=self.settings.candidate_expiry_days)

        def apply() -> list[int]:
            expired = []
            for paper in self.papers.candidates():
                if (paper.candidate_at or paper.first_seen_at) < cutoff:  # a promoted paper: from its promotion
                    with self.db.transaction() as conn:
                        if self.store.decide(conn, paper_id=paper.id, decision="expired", topic=None, deciders=[],
                                             entry_id=None, now=self.db.now()):
                            expired.append(paper.id)
            return expired

        ids = await asyncio.to_thread(apply)
        for paper_id in ids:
            await self.finish(paper_id)
        return len(ids)
