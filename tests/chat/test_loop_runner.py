"""The runner that lets a command handler (in a worker thread) run curation's coroutines on the bot's loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest

from bot.chat.runner import OnTheLoopThread, StillRunning, loop_runner


async def test_a_worker_thread_runs_the_coroutine_on_the_loop_and_gets_its_result() -> None:
    loop = asyncio.get_running_loop()
    ran_on: list[threading.Thread] = []

    async def work() -> int:
        ran_on.append(threading.current_thread())
        return 42

    assert await asyncio.to_thread(loop_runner(loop), work()) == 42
    assert ran_on == [threading.current_thread()]  # the loop's thread, where curation's posts and edits live


async def test_on_the_loops_own_thread_it_fails_at_once_instead_of_waiting_for_itself() -> None:
    """The loop cannot run the coroutine while its own thread waits for the result: without the check the wait
    lasted the whole timeout, every chat connection frozen with it."""
    ran = False

    async def work() -> None:
        nonlocal ran
        ran = True

    run = loop_runner(asyncio.get_running_loop(), timeout=3600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # closed, not left "never awaited"
        with pytest.raises(OnTheLoopThread, match="on the event loop's own thread"):
            run(work())
    assert not ran  # closed without running: nothing was scheduled behind the error's back


def test_a_thread_without_a_loop_runs_the_coroutine_on_another_threads_loop() -> None:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        async def work() -> str:
            return "done"

        assert loop_runner(loop, timeout=5)(work()) == "done"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


async def test_work_that_outlasts_the_wait_goes_on_and_is_no_error_while_its_own_timeout_is_one() -> None:
    """At the wait's end the worker hears StillRunning (the command says the work is under way), the work is left
    to finish and is kept in `late` until it has; a TimeoutError the work itself raises is still its error."""
    loop = asyncio.get_running_loop()
    late: set[concurrent.futures.Future[Any]] = set()
    release, finished = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        await release.wait()
        finished.set()

    async def times_out() -> None:
        raise TimeoutError("the platform's own timeout")

    with pytest.raises(StillRunning):
        await asyncio.to_thread(loop_runner(loop, timeout=0.05, late=late), slow())
    (work,) = late
    assert not finished.is_set()
    release.set()
    await asyncio.wait_for(asyncio.wrap_future(work), 5)
    assert finished.is_set() and not late
    with pytest.raises(TimeoutError, match="the platform's own timeout"):
        await asyncio.to_thread(loop_runner(loop, timeout=5), times_out())


async def test_a_command_still_under_way_when_the_bot_stops_is_cancelled_before_the_database_closes(
        catalogue_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the stop's grace it was left running, and went on writing through a closed database until the loop
    was torn down; the scheduler's jobs are cancelled at that point, and so is it now."""
    import bot.app
    from bot.app import App
    from tests.curation.test_pipeline import settings_for

    monkeypatch.setattr(bot.app, "JOB_STOP_GRACE_SECONDS", 0.05)  # not three seconds of a test waiting
    app = App(settings_for(catalogue_dir, f"sqlite:///{tmp_path / 'bot.db'}", feeds_file=tmp_path / "none.yaml"))
    app.add_adapter("console", stream=io.StringIO())
    await app.start(scheduler=False)
    seen: list[str] = []

    async def slow_approval() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    run = loop_runner(asyncio.get_running_loop(), timeout=0.01, late=app.late_commands)
    with pytest.raises(StillRunning):
        await asyncio.to_thread(run, slow_approval())
    await app.stop()  # the adapters and then the database close after it
    assert seen == ["cancelled"]
    assert not app.late_commands
