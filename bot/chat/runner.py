"""Run a command for a chat user: off the event loop, and always with an answer.

The grammar answers bad input with usage replies; an exception out of it is a bug. The user still hears back
(an error reply), and the log gets the traceback. Every adapter goes through here.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from typing import Any, TypeVar

from bot.chat.values import Reply

log = logging.getLogger(__name__)
T = TypeVar("T")

CRASH_REPLY = Reply(title="Something went wrong", kind="error",
                    text="That command failed on our side; the maintainers have the details in the log.")


def answer_sync(command: Callable[[], Reply], what: str) -> Reply:
    """Run `command`, turning a crash into an error reply; the log names `what` (the command line)."""
    try:
        return command()
    except Exception:
        log.exception("command %r failed", what[:200])
        return CRASH_REPLY


async def answer(command: Callable[[], Reply], what: str, threads: Executor | None = None) -> Reply:
    """`answer_sync` in a worker thread: a slow search must not hold up the event loop (Discord's and Slack's
    acknowledgements still have to go out on time).

    `threads` is the pool commands run in (`Commands.threads`, which App.start makes when it registers the
    maintainers' commands); without one, the loop's default pool. A maintainer's command waits in its thread for
    curation's coroutines on the loop (loop_runner), and those need the default pool for every database call
    (asyncio.to_thread): sharing it, as many commands in flight as it has threads (six on a two-core server: a
    maintainer firing off approvals) held every thread waiting for work that could never get one, and every vote,
    post and command of the bot stalled until loop_runner's timeout."""
    if threads is None:
        return await asyncio.to_thread(answer_sync, command, what)
    call = functools.partial(contextvars.copy_context().run, answer_sync, command, what)  # as asyncio.to_thread
    return await asyncio.get_running_loop().run_in_executor(threads, call)


class OnTheLoopThread(RuntimeError):
    """A loop runner was called on its own loop's thread: waiting there for the loop would wait for ever."""


class StillRunning(Exception):
    """The coroutine outlasted the runner's wait and goes on, on the loop: not a failure. The command answers
    with what it can tell by then (bot.curation.maintainer_commands), and the outcome is logged when it comes."""


# How long a command's worker thread waits for curation on the loop before answering "still working": an approval
# that is written, then edited into posts paced by Discord's and Slack's rate limits, can take minutes.
COMMAND_WAIT_SECONDS = 120.0


def _late(future: concurrent.futures.Future[Any]) -> None:
    """The outcome of a coroutine whose command was answered before it ended: only the log can still hear it."""
    if future.cancelled():
        log.warning("a curation step that outlasted its command's wait was cancelled (the bot stopping?)")
    elif (error := future.exception()) is not None:
        log.error("a curation step that outlasted its command's wait failed", exc_info=error)
    else:
        log.info("a curation step that outlasted its command's wait has finished")


def loop_runner(loop: asyncio.AbstractEventLoop, *, timeout: float = COMMAND_WAIT_SECONDS,
                late: set[concurrent.futures.Future[Any]] | None = None) -> Callable[[Coroutine[Any, Any, T]], T]:
    """A runner for command handlers (which are synchronous and run in a worker thread, see `answer`): each
    coroutine runs on the bot's `loop`, where curation's posts, edits and locks live, and the worker waits for it.

    A coroutine still running after `timeout` raises StillRunning in the worker and is left to finish on the loop:
    the decision it takes is committed (or about to be) and finishing it is resumable, so cancelling it would only
    leave work for the next recovery round, and calling it an error would tell the maintainer something false.
    While it runs it is in `late` (App.stop gives it the jobs' grace before the adapters it edits posts through
    close, and then cancels it, as it does the jobs).

    Called on the loop's own thread it raises OnTheLoopThread instead of blocking: the loop cannot run the
    coroutine while its thread waits for the result, so the wait would only end at `timeout`, with every chat
    connection frozen meanwhile."""

    def run(coro: Coroutine[Any, Any, T]) -> T:
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # no loop in this thread: the worker thread a command runs in
            running = None
        if running is loop:
            coro.close()  # never started: no "coroutine was never awaited" warning on top of the error
            raise OnTheLoopThread("a curation command ran on the event loop's own thread; it must run in a worker "
                                  "thread (bot.chat.runner.answer)")
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            if future.done():  # its own TimeoutError (the wait's class since 3.11), or it ended just now
                return future.result()
            future.add_done_callback(_late)
            if late is not None:
                late.add(future)
                future.add_done_callback(late.discard)
            raise StillRunning(f"still running after {timeout:g} s") from None

    return run
