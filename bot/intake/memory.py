"""Give back what a big poll used (issue 16: a 2,000-entry feed, ≤ 150 MB with both chat adapters).

A poll builds and drops tens of megabytes of short-lived objects (the document's items, papers, rows), and fills
per-text caches that would keep them company. What a poll leaves in those caches is of little use to the next one
(a day's listing is new papers), while it pins the memory around it: so after each poll the caches are emptied,
the garbage collected, and glibc asked to hand the free pages back (`malloc_trim`), so the next poll starts from
the bot's steady size instead of the last poll's high-water mark.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Callable

from bot.intake import identity, tex
from bot.intake.relevance import text as relevance_text


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None on a C library without it (musl, macOS): then only the caches are emptied."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release_after_poll() -> None:
    """Run after each poll, on the thread that processed it (about 60 ms at 10,000 entries, mostly the collection)."""
    identity.clear_caches()
    tex.clear_caches()
    relevance_text.clear_caches()
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
