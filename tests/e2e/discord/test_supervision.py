"""One unreadable event or a dropped session never silences Discord: real payloads, the supervisor, `status`.

discord.py raises inside `client.connect()` on a payload it cannot read (a real interaction without
`attachment_size_limit`, a reaction without `type`); the gateway task used to die unwatched, and every later
command and vote went unanswered while polling carried on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.cli import main
from bot.errors import ConfigError
from tests.e2e.discord.harness import Bot, make_settings, reaction, sample, slash
from tests.fakes.discord_fake import ALICE, APP_ID, CAROL, GENERAL_CHANNEL, GUILD_ID, FakeDiscord

REAL_INTERACTION = Path(__file__).resolve().parents[2] / "data" / "discord" / \
    "real_interaction_without_attachment_size_limit.json"
CALLBACK = "/interactions/{id}/{token}/callback"


def real_interaction() -> dict[str, Any]:
    return json.loads(REAL_INTERACTION.read_text(encoding="utf-8"))


async def answered(fake: FakeDiscord, payload: dict[str, Any]) -> dict[str, Any]:
    """Send an interaction; the bot's callback (its answer)."""
    await fake.dispatch("INTERACTION_CREATE", payload)
    call = await fake.wait_for("POST", CALLBACK.format(id=payload["id"], token=payload["token"]))
    return call.json


async def test_a_real_interaction_without_attachment_size_limit_does_not_stop_the_bot(fake: FakeDiscord,
                                                                                     bot: Bot) -> None:
    """As captured (another application's `enum` command): not ours to answer, but the connection must live."""
    assert "attachment_size_limit" not in real_interaction()
    await fake.dispatch("INTERACTION_CREATE", real_interaction())
    reply = await answered(fake, slash("topic", {"name": (3, "probing")}))
    assert reply["data"]["embeds"][0]["title"] == "Probing"
    assert fake.identifies == 1  # the same session: nothing had to reconnect


async def test_our_command_in_the_real_payloads_shape_is_answered(fake: FakeDiscord, bot: Bot) -> None:
    """The real interaction's fields as Discord sent them (no attachment_size_limit), carrying /interp topic."""
    payload = real_interaction()
    ours = slash("topic", {"name": (3, "probing")}, user_id=CAROL)
    payload.update(id=ours["id"], token=ours["token"], application_id=APP_ID, data=ours["data"], guild_id=GUILD_ID,
                   channel_id=GENERAL_CHANNEL)
    payload["guild"]["id"] = GUILD_ID
    payload["channel"].update(id=GENERAL_CHANNEL, guild_id=GUILD_ID)
    payload["member"]["user"]["id"] = CAROL
    payload["member"]["roles"] = []
    reply = await answered(fake, payload)
    assert reply["data"]["embeds"][0]["title"] == "Probing"


async def test_a_reaction_without_type_or_member_flags_still_counts(fake: FakeDiscord, bot: Bot) -> None:
    paper = bot.add_candidate("Probing sentiment directions")
    assert await bot.curation.publish_pending() == 1
    message_id = next(m["id"] for m in fake.messages.values() if m["channel_id"] != GENERAL_CHANNEL)
    vote = reaction(message_id=message_id, user_id=ALICE)
    del vote["type"], vote["member"]["flags"]
    await fake.dispatch("MESSAGE_REACTION_ADD", vote)
    _vote, outcome = await bot.votes.next(ALICE)
    assert outcome.decision == "approved"
    assert bot.curation.store.decision(paper.id).decision == "approved"


async def test_an_unreadable_event_is_logged_with_its_type_and_skipped(fake: FakeDiscord, bot: Bot,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    broken = sample("interaction_command")
    del broken["token"]  # nothing can answer this one
    await fake.dispatch("INTERACTION_CREATE", broken)
    reply = await answered(fake, slash("topic", {"name": (3, "probing")}))
    assert reply["data"]["embeds"][0]["title"] == "Probing"
    skipped = [r.getMessage() for r in caplog.records if "skipped a" in r.getMessage()]
    assert skipped == ["discord: skipped a INTERACTION_CREATE event that discord.py could not read (KeyError: "
                       "'token'); the connection goes on"]
    assert bot.adapter.skipped_events == {"INTERACTION_CREATE": 1}


class SleepGate:
    """The supervisor's back-off sleep, held until the test lets it pass (so `down` can be looked at)."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._passes = asyncio.Semaphore(0)
        self._slept = asyncio.Condition()

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        async with self._slept:
            self._slept.notify_all()
        await self._passes.acquire()

    async def waiting(self, count: int) -> None:
        async with self._slept:
            await asyncio.wait_for(self._slept.wait_for(lambda: len(self.delays) >= count), 5)

    def release(self) -> None:
        self._passes.release()


def status(capsys: pytest.CaptureFixture[str], settings: Any) -> tuple[int, dict[str, Any]]:
    code = main(["--catalogue", str(settings.catalogue_dir), "--db", settings.database_url, "status", "--json"])
    return code, json.loads(capsys.readouterr().out)


async def test_a_dropped_session_is_reconnected_with_back_off_and_status_shows_it_down_meanwhile(
        fake: FakeDiscord, tmp_path: Path, catalogue_dir: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    gate = SleepGate()
    settings = make_settings(tmp_path, catalogue_dir, feeds_file=tmp_path / "no-feeds.yaml")
    app = App(settings)
    adapter = app.add_adapter("discord", ready_timeout=5.0, guild_ready_timeout=0.01, sleep=gate.sleep)
    await app.start(scheduler=False)
    try:
        code, data = status(capsys, settings)
        assert code == 0
        assert [(a["platform"], a["state"], a["this_host"]) for a in data["adapters"]] == [("discord", "up", True)]

        # Discord ends the session with a code discord.py gives up on; the first login attempt is refused too.
        fake.fail_next("GET", r"/users/@me", 401, {"message": "401: Unauthorized", "code": 0})
        await fake.close_gateway(4004)
        await gate.waiting(1)
        assert (await adapter.health()).state == "down"
        await app.heartbeat()
        code, data = status(capsys, settings)
        assert code == 1  # the container health check fails
        (discord_row,) = data["adapters"]
        assert discord_row["state"] == "down"
        assert discord_row["error"] == ("DISCORD_TOKEN was rejected by Discord: check the bot token "
                                        "(the gateway closed with 4004)")
        assert "discord: the connection is down: DISCORD_TOKEN was rejected" in caplog.text

        gate.release()  # after 1 s: the login is refused, so wait twice as long
        await gate.waiting(2)
        assert gate.delays == [1.0, 2.0]
        assert "DISCORD_TOKEN was rejected by Discord" in (await adapter.health()).error
        gate.release()
        await fake.wait_for_identifies(2)
        await asyncio.wait_for(adapter.supervisor.wait_until("up"), 5)
        await app.heartbeat()
        code, data = status(capsys, settings)
        assert code == 0
        assert data["adapters"][0]["state"] == "up"
        reply = await answered(fake, slash("topic", {"name": (3, "probing")}))
        assert reply["data"]["embeds"][0]["title"] == "Probing"

        # Dropped again within a minute of coming up: the back-off goes on growing instead of starting over at 1 s
        # (a session that dies right after READY was a new identify every second: Discord resets the token
        # after 1,000 a day).
        await fake.close_gateway(4004)
        await gate.waiting(3)
        assert gate.delays == [1.0, 2.0, 4.0]
        gate.release()
        await fake.wait_for_identifies(3)
        await asyncio.wait_for(adapter.supervisor.wait_until("up"), 5)
    finally:
        await app.stop()
    code, data = status(capsys, settings)
    assert data["adapters"] == []  # a clean stop takes its rows with it


async def test_a_session_resumes_after_close_4000_or_a_dropped_socket_without_a_new_identify(
        fake: FakeDiscord, bot: Bot) -> None:
    await fake.close_gateway(4000)  # Unknown error: discord.py resumes the session itself
    await fake.wait_for_resumes(1)
    fake.drop_gateway()  # the connection lost without a close frame
    await fake.wait_for_resumes(2)
    reply = await answered(fake, slash("topic", {"name": (3, "probing")}))
    assert reply["data"]["embeds"][0]["title"] == "Probing"
    assert fake.identifies == 1
    assert (await bot.adapter.health()).state == "up"


async def test_status_says_down_while_discord_py_takes_a_lost_gateway_back(
        fake: FakeDiscord, tmp_path: Path, catalogue_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """discord.py takes a lost gateway back inside `client.connect()`, with a back-off of its own for as long as
    Discord is out of reach (up to 17 minutes between attempts); the supervisor only sees connect() end, so `status`
    and the container health check said `up` all that while, with no command or vote heard."""
    settings = make_settings(tmp_path, catalogue_dir, feeds_file=tmp_path / "no-feeds.yaml")
    app = App(settings)
    app.add_adapter("discord", ready_timeout=5.0, guild_ready_timeout=0.01)
    await app.start(scheduler=False)
    attempts = fake.gateway_attempts
    fake.unreachable = 1  # the first attempt is refused: discord.py backs off (up to 2 s) and tries again...
    back = fake.hold_gateway()  # ...and the second waits for the test
    try:
        fake.drop_gateway()
        await fake.wait_for_gateway_attempts(attempts + 2)
        await app.heartbeat()
        code, data = status(capsys, settings)
        assert code == 1
        assert [(a["state"], a["error"]) for a in data["adapters"]] == [
            ("down", "the gateway connection was lost; discord.py is reconnecting")]

        back.set()
        await fake.wait_for_resumes(1)
        await app.heartbeat()
        code, data = status(capsys, settings)
        assert code == 0
        assert [(a["state"], a["error"]) for a in data["adapters"]] == [("up", None)]
        reply = await answered(fake, slash("topic", {"name": (3, "probing")}))
        assert reply["data"]["embeds"][0]["title"] == "Probing"
        assert fake.identifies == 1  # the session resumed: discord.py's own reconnection, not the supervisor's
    finally:
        back.set()
        await app.stop()


@pytest.mark.parametrize(("code", "told"), [
    (4004, "DISCORD_TOKEN was rejected by Discord: check the bot token (the gateway closed with 4004)"),
    (4014, "Discord refused the gateway intents; this bot needs no privileged intent"),
])
async def test_a_gateway_refusal_mid_session_shows_what_to_mend_in_status(
        fake: FakeDiscord, tmp_path: Path, catalogue_dir: Path, capsys: pytest.CaptureFixture[str],
        code: int, told: str) -> None:
    """discord.py's own text for 4014 told the operator to enable privileged intents (this bot uses none), and the
    event handled last (READY, RESUMED) was named as if it had been the cause."""
    gate = SleepGate()
    settings = make_settings(tmp_path, catalogue_dir, feeds_file=tmp_path / "no-feeds.yaml")
    app = App(settings)
    app.add_adapter("discord", ready_timeout=5.0, guild_ready_timeout=0.01, sleep=gate.sleep)
    await app.start(scheduler=False)
    try:
        fake.refuse_identify = code
        await fake.close_gateway(code)
        await gate.waiting(1)
        await app.heartbeat()
        assert [(a["state"], a["error"]) for a in status(capsys, settings)[1]["adapters"]] == [("down", told)]
        gate.release()  # the reconnection is refused the same way, at its IDENTIFY
        await gate.waiting(2)
        await app.heartbeat()
        assert [(a["state"], a["error"]) for a in status(capsys, settings)[1]["adapters"]] == [
            ("down", f"reconnecting failed: {told}")]
    finally:
        await app.stop()


@pytest.mark.parametrize(("code", "told"), [(4004, "DISCORD_TOKEN was rejected"), (4014, "no privileged intent")])
async def test_a_gateway_refusal_at_start_stops_it_naming_what_to_mend(
        fake: FakeDiscord, tmp_path: Path, catalogue_dir: Path, code: int, told: str) -> None:
    fake.refuse_identify = code
    app = App(make_settings(tmp_path, catalogue_dir, feeds_file=tmp_path / "no-feeds.yaml"))
    app.add_adapter("discord", ready_timeout=5.0, guild_ready_timeout=0.01)
    try:
        with pytest.raises(ConfigError, match=told):
            await app.start(scheduler=False)
    finally:
        await app.stop()
