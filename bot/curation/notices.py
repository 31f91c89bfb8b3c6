"""Notices: posts the bot makes in the maintainers' channels about the list itself (a pull request merged, the
list on GitHub invalid, dead links), each exactly once per channel.

"Once" is the posts table's (platform, channel, key) row, as for candidate posts: a notice already recorded for a
channel is not posted there again, across retries, restarts and processes (the jobs that notify run under leases).
A channel that refuses is skipped and tried again at the next notify with the same key.
"""

from __future__ import annotations

import asyncio

from bot.chat.values import Post
from bot.curation.pipeline import Curation


async def tell_maintainers(curation: Curation, post: Post) -> list[str]:
    """Post `post` in each maintainers' channel that has not had it; the channels posted to now."""
    told = []
    for adapter in list(curation.adapters.values()):
        channel = adapter.channel_for("maintainers")
        if not channel:
            continue
        if await asyncio.to_thread(curation.store.post_for_key, adapter.platform, channel, post.key) is not None:
            continue
        ref = await curation.publish_to(adapter, post, "maintainers")
        if ref is None:
            continue
        await asyncio.to_thread(curation.store.record_post, key=post.key, kind=post.kind, paper_id=None,
                                platform=ref.platform, channel_id=ref.channel_id, message_id=ref.message_id)
        told.append(f"{ref.platform}:{ref.channel_id}")
    return told
