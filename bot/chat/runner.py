"""Run a command for a chat user: off the event loop, and always with an answer.

The grammar answers bad input with usage replies; an exception out of it is a bug. The user still hears back
(an error reply), and the log gets the traceback. Every adapter goes through here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.chat.values import Reply

log = logging.getLogger(__name__)

CRASH_REPLY = Reply(title="Something went wrong", kind="error",
                    text="That command failed on our side; the maintainers have the details in the log.")


def answer_sync(command: Callable[[], Reply], what: str) -> Reply:
    """Run `command`, turning a crash into an error reply; the log names `what` (the command line)."""
    try:
        return command()
    except Exception:
        log.exception("command %r failed", what[:200])
        return CRASH_REPLY


async def answer(command: Callable[[], Reply], what: str) -> Reply:
    """`answer_sync` in a worker thread: a slow search must not hold up the event loop (Discord's and Slack's
    acknowledgements still have to go out on time)."""
    return await asyncio.to_thread(answer_sync, command, what)
