"""Payloads other projects captured from Slack (tests/data/slack/README.md, "Real captures"), through the real bolt
app over loopback: Enterprise Grid and shared-channel votes, a slash command with empty text in each mode, and
envelopes of kinds the bot does not handle."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest

from bot.catalogue.service import CatalogueService
from bot.curation.pipeline import Curation
from bot.store.db import Database
from tests.e2e.slack.conftest import MAINTAINERS_CHANNEL, RecordingVotes, slack_settings
from tests.e2e.slack.test_slack_curation import add_candidate
from tests.e2e.slack.test_slack_http_mode import post
from tests.fakes.slack_fake import DATA_DIR

ENTERPRISE_USER = "W111"  # the reacting user in both captures: an Enterprise Grid (org-wide) user id


def real(name: str) -> dict:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["real_reaction_added_enterprise.json", "real_reaction_added_shared_channel.json"])
async def test_a_maintainers_reaction_from_enterprise_grid_or_a_shared_channel_is_a_counted_vote(
        fake, start_adapter, catalogue_dir: Path, tmp_path: Path, name):
    settings = slack_settings(fake, approvals_needed=2, slack_maintainer_user_ids=[ENTERPRISE_USER])
    database = Database.open(f"sqlite:///{tmp_path / 'curation.db'}")
    curation = Curation(database, CatalogueService(catalogue_dir), settings)
    paper_id = add_candidate(curation)
    votes = RecordingVotes(curation)
    curation.attach(await start_adapter(votes, settings=settings))
    assert await curation.publish_pending() == 1
    body = real(name)
    body["event"]["reaction"] = "white_check_mark"  # the capture's heart_eyes is no vote
    body["event"]["item"] |= {"channel": MAINTAINERS_CHANNEL, "ts": fake.messages[MAINTAINERS_CHANNEL][0].ts}
    await fake.push("events_api", body)
    assert [o.reason for o in await votes.wait_for(1)] == ["counted"]
    with database.transaction() as conn:
        assert curation.store.votes(conn, paper_id) == [(f"slack:{ENTERPRISE_USER}", "white_check_mark")]
    database.close()


async def test_a_socket_mode_slash_command_with_empty_text_is_answered_with_help(fake, start_adapter):
    envelope = real("real_socket_slash_commands.json")
    assert envelope["payload"]["text"] == ""
    await start_adapter()
    envelope_id = await fake.push("slash_commands", envelope["payload"] | {"response_url": fake.response_url("help")},
                                  envelope_id=envelope["envelope_id"])
    assert await fake.wait_ack(envelope_id) == {"envelope_id": envelope["envelope_id"]}
    (_, answer), = await fake.wait_for(lambda: fake.responses)
    assert answer["blocks"][0]["text"]["text"] == "interp-bot: the LLM interpretability reading list"


async def test_an_enterprise_grid_slash_command_over_http_is_answered(fake, start_adapter):
    form = dict(parse_qsl((DATA_DIR / "real_slash_command_enterprise.form").read_text(encoding="utf-8")))
    adapter = await start_adapter(mode="http")
    async with aiohttp.ClientSession() as http:
        status, _ = await post(http, adapter, urlencode(form | {"response_url": fake.response_url("hi")}).encode())
    assert status == 200
    (_, answer), = await fake.wait_for(lambda: fake.responses)
    assert answer["blocks"][0]["text"]["text"] == ":information_source: Unknown command “Hi”"


@pytest.mark.parametrize("name", ["real_socket_events_api_message.json", "real_socket_events_api_app_mention.json",
                                  "real_socket_interactive_shortcut.json",
                                  "real_socket_interactive_block_actions_modal.json"])
async def test_real_envelopes_of_kinds_the_bot_does_not_handle_are_acked_quietly(fake, start_adapter, caplog, name):
    caplog.set_level(logging.INFO)
    envelope = real(name)
    await start_adapter()
    envelope_id = await fake.push(envelope["type"], envelope["payload"], envelope_id=envelope["envelope_id"])
    assert await fake.wait_ack(envelope_id) == {"envelope_id": envelope["envelope_id"]}
    assert "which interp-bot does not handle" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert fake.responses == []
