"""Give back what a big poll used (issue 16: a 2,000-entry feed, ≤ 150 MB with both chat adapters).

A poll builds and drops tens of megabytes of short-lived objects (the document's items, papers, rows), and fills
per-text caches that would keep them company. What a poll leaves in those caches is of little use to the next one
(a day's listing is new papers), while it pins the memory around it: so after each poll the caches are emptied,
the garbage collected, and glibc asked to hand the free pages back (`malloc_trim`), so the next poll starts from
the bot's steady size instead of the last poll's high-water mark.
"""

from __future__ import annotations

import gc

from bot import allocator
from bot.intake import identity, tex
from bot.intake.relevance import text as relevance_text


def release_after_poll() -> None:
    """Run after each poll, on the thread that processed it (about 60 ms at 10,000 entries, mostly the collection)."""
    identity.clear_caches()
    tex.clear_caches()
    relevance_text.clear_caches()
    gc.collect()
    allocator.trim()
