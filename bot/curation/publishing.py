"""Posting candidates (bot.curation.pipeline): each open candidate to every maintainers' channel once, with a
failing post retried on back-off while the others go on, and posts to other channels (the digest, notices)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol

from bot.curation.posts import candidate_post
from bot.errors import AdapterError, describe
from bot.store.curation import candidate_key

if TYPE_CHECKING:
    from bot.catalogue.service import CatalogueService
    from bot.chat.adapter import ChannelRole, ChatAdapter, PostRef
    from bot.curation.posts import VotingRules
    from bot.store.curation import CurationStore
    from bot.store.db import Database
    from bot.store.papers import PaperStore, StoredPaper

log = logging.getLogger(__name__)

# A round of posting stops after this many failures in a row: then the channel itself is unusable (missing
# permission, bot not invited), and every further post would fail the same way.
FAILURES_IN_A_ROW = 3


class _Curation(Protocol):
    """What publishing needs of the Curation it is part of."""

    db: Database
    papers: PaperStore
    store: CurationStore
    catalogue: CatalogueService
    rules: VotingRules
    adapters: dict[str, ChatAdapter]
    _reported_failures: set[tuple[str, str]]

    async def finish(self, paper_id: int) -> str | None: ...
    async def _post_failed(self, platform: str, channel: str, key: str, paper: StoredPaper,
                           exc: Exception) -> None: ...


class PublishesCandidates:
    """Mixed into Curation: posting candidates and other posts."""

    async def publish_pending(self: _Curation, platform: str | None = None) -> int:
        """Post every open candidate not yet posted to the maintainers' channel of each adapter (or only of
        `platform`: each platform's publish job runs under its own lease and must not post for the others).

        A post that fails is counted, logged and retried with back-off (`status` lists it) while the candidates
        after it are posted; only several failures in a row (the channel itself is unusable) end the round."""
        posted = 0
        candidates = await asyncio.to_thread(self.papers.candidates)
        adapters = [a for a in self.adapters.values() if platform is None or a.platform == platform]
        for adapter in adapters:
            channel = adapter.channel_for("maintainers")
            if not channel:
                continue
            failures_in_a_row = 0
            for paper in candidates:
                key = candidate_key(paper.canonical_id)
                if await asyncio.to_thread(self.store.post_for_key, adapter.platform, channel, key):
                    continue
                failed = await asyncio.to_thread(self.store.post_failure, adapter.platform, channel, key)
                if failed is not None and failed.next_attempt_at > self.db.now():
                    continue  # backing off; the others go on
                try:
                    ref = await adapter.publish(candidate_post(paper, self.catalogue.index, self.rules), "maintainers")
                except Exception as exc:
                    await self._post_failed(adapter.platform, channel, key, paper, exc)
                    failures_in_a_row += 1
                    if failures_in_a_row >= FAILURES_IN_A_ROW:
                        log.warning("%s: %d posts in a row failed; the rest wait for the next round",
                                    adapter.platform, failures_in_a_row)
                        break
                    continue
                failures_in_a_row = 0
                await asyncio.to_thread(self.store.record_post, key=key, kind="candidate", paper_id=paper.id,
                                        platform=ref.platform, channel_id=ref.channel_id, message_id=ref.message_id)
                # Decided while the post was on its way (another process, a shell), by one who found no post to edit:
                if await asyncio.to_thread(self.store.decision, paper.id) is not None:
                    await asyncio.to_thread(self.store.mark_decision, paper.id, announced=False)
                    await self.finish(paper.id)
                if failed is not None:
                    await asyncio.to_thread(self.store.clear_post_failure, adapter.platform, channel, key)
                    log.info("%s: candidate #%d posted after %d failed attempt(s)", adapter.platform, paper.id,
                             failed.attempts)
                posted += 1
        return posted

    async def _post_failed(self: _Curation, platform: str, channel: str, key: str, paper: StoredPaper,
                           exc: Exception) -> None:
        failure = await asyncio.to_thread(self.store.record_post_failure, platform=platform, channel_id=channel,
                                          key=key, paper_id=paper.id, error=describe(exc))
        wait = (failure.next_attempt_at - failure.failed_at).total_seconds() / 60
        # Our own AdapterError says what to fix; anything else is a bug worth its traceback, once.
        trace = exc if failure.attempts == 1 and not isinstance(exc, AdapterError) else None
        log.error("%s: could not post candidate #%d (%s): %s; failed %d time(s), next try in %g min",
                  platform, paper.id, key, describe(exc), failure.attempts, wait, exc_info=trace)

    async def publish_to(self: _Curation, adapter: ChatAdapter, post: Any, role: ChannelRole,
                         refused: list[str] | None = None) -> PostRef | None:
        """Post, or log why not (once per reason) and add the reason to `refused`."""
        try:
            return await adapter.publish(post, role)
        except Exception as exc:
            if refused is not None:
                refused.append(describe(exc))
            marker = (adapter.platform, describe(exc))
            if marker not in self._reported_failures:
                self._reported_failures.add(marker)
                log.error("%s: cannot post to the %s channel: %s", adapter.platform, role, describe(exc),
                          exc_info=None if isinstance(exc, AdapterError) else exc)
            return None
