"""Adapter heartbeats: what a process that stopped without a word leaves behind, and who clears it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store.db import Database
from bot.store.health import AdapterHealthStore
from tests.fakes.clock import Clock


def test_a_process_starting_clears_what_killed_predecessors_on_its_host_left(database_url: str) -> None:
    """kill -9 leaves a row beating no more: 'GONE?' in status, and a failing health check, until someone clears it.
    The next process on that host for that platform does; live processes and other hosts' rows stay."""
    clock = Clock(datetime(2026, 12, 6, 9, 0, tzinfo=UTC))
    database = Database.open(database_url, clock=clock)
    try:
        store = AdapterHealthStore(database)
        store.record("discord", "bot-a:7", "up", None)  # killed at 9:00
        store.record("slack", "bot-a:7", "up", None)  # its other platform: not this process's to clear
        store.record("discord", "bot-b:3", "up", None)  # another container, also silent
        clock.now += timedelta(minutes=10)
        store.record("discord", "bot-a:8", "up", None)  # a sibling still beating on the same host
        assert store.forget_predecessors("bot-a:9", ["discord"]) == 1
        left = {(r.platform, r.holder) for r in store.records()}
        assert left == {("slack", "bot-a:7"), ("discord", "bot-b:3"), ("discord", "bot-a:8")}
    finally:
        database.close()


def test_a_host_name_is_matched_as_text_not_as_a_pattern(database_url: str) -> None:
    clock = Clock(datetime(2026, 12, 6, 9, 0, tzinfo=UTC))
    database = Database.open(database_url, clock=clock)
    try:
        store = AdapterHealthStore(database)
        store.record("discord", "botxa:7", "up", None)  # "bot_a:%" as a LIKE pattern would take this row too
        clock.now += timedelta(minutes=10)
        assert store.forget_predecessors("bot_a:9", ["discord"]) == 0
        assert [r.holder for r in store.records()] == ["botxa:7"]
    finally:
        database.close()
