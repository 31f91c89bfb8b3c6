"""/interp over Socket Mode: the real bolt app and Socket Mode client against the loopback fake Slack."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading

import pytest

from bot.adapters.slack.render import NEXT_PAGE_ACTION, PREVIOUS_PAGE_ACTION
from bot.catalogue.model import Entry, Link
from bot.chat.values import Post, Reply
from bot.errors import AdapterError, ConfigError
from tests.e2e.slack.conftest import BOT_TOKEN, RecordingVotes
from tests.fakes.slack_fake import reaction_event, sample

ACK_DEADLINE = 3.0  # seconds Slack waits for an acknowledgement
HOSTILE = "<!channel> <!here> <@U1> <https://evil.example|arxiv.org> Tom & Jerry"


def mrkdwn_texts(node):
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" else []
        return own + [t for value in node.values() for t in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in mrkdwn_texts(value)]
    return []


async def slash(fake, text, name):
    envelope_id = await fake.push("slash_commands", sample("slash_command", text=text,
                                                          response_url=fake.response_url(name)))
    return envelope_id


async def response(fake, name, index=0):
    await fake.wait_for(lambda: len([r for r in fake.responses if r[0] == name]) > index)
    return [body for n, body in fake.responses if n == name][index]


async def test_topic_probing_is_acked_then_answered_with_the_probing_section(fake, start_adapter):
    await start_adapter()
    loop = asyncio.get_running_loop()
    sent = loop.time()
    envelope_id = await slash(fake, "topic probing", "probing")
    ack = await fake.wait_ack(envelope_id)
    assert loop.time() - sent < ACK_DEADLINE
    assert ack == {"envelope_id": envelope_id}  # an empty ack: the answer goes through response_url

    body = await response(fake, "probing")
    assert body["response_type"] == "ephemeral"
    assert body["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Probing", "emoji": True}}
    texts = mrkdwn_texts(body["blocks"])
    assert any("Tools/Techniques/Methods › Probing" in t for t in texts)
    assert any("*Enhancing Neural Network Transparency through Representation Analysis (RepE)*" in t
               and "<https://arxiv.org/abs/2310.01405|arxiv 2310>" in t for t in texts)
    assert body["text"].startswith("Probing\n")  # the plain fallback
    assert "link_names" not in body


async def test_the_ack_goes_out_while_a_slow_answer_is_still_being_computed(fake, start_adapter, commands):
    release = threading.Event()
    execute = commands.execute

    def slow_execute(*args, **kwargs):
        release.wait(5)
        return execute(*args, **kwargs)

    commands.execute = slow_execute
    await start_adapter()
    envelope_id = await slash(fake, "topic probing", "slow")
    await fake.wait_ack(envelope_id)
    assert fake.responses == []  # acknowledged before the answer exists
    release.set()
    await response(fake, "slow")
    assert fake.timeline.index(("ack", envelope_id)) < fake.timeline.index(("respond", "slow"))


async def test_answers_in_channel_when_configured(fake, start_adapter):
    await start_adapter(slack_ephemeral=False)
    await slash(fake, "search induction heads", "public")
    assert (await response(fake, "public"))["response_type"] == "in_channel"


async def test_an_answer_in_the_channel_shows_no_link_previews(fake, start_adapter):
    """Answers went out without unfurl flags, and Slack unfurls media links by default: `topic video` in a channel
    spread a YouTube player per entry under the answer (posts had previews off; answers did not)."""
    await start_adapter(slack_ephemeral=False)
    await slash(fake, "topic video", "videos")
    body = await response(fake, "videos")
    assert body["response_type"] == "in_channel"
    assert any("<https://www.youtube.com/watch?v=2Rdp9GvcYOE|Youtube>" in t for t in mrkdwn_texts(body["blocks"]))
    assert body["unfurl_links"] is False
    assert body["unfurl_media"] is False


async def test_a_paging_click_replaces_the_answer_with_the_next_page(fake, start_adapter):
    await start_adapter()
    await slash(fake, "topic tools-techniques-methods", "paged")
    first = await response(fake, "paged")
    actions = first["blocks"][-1]
    assert actions["type"] == "actions"
    (next_button,) = actions["elements"]
    assert next_button["action_id"] == NEXT_PAGE_ACTION

    click = sample("block_actions", response_url=fake.response_url("paged-click"))
    click["actions"] = [click["actions"][0] | {"action_id": next_button["action_id"], "value": next_button["value"]}]
    envelope_id = await fake.push("interactive", click)
    await fake.wait_ack(envelope_id)
    second = await response(fake, "paged-click")
    assert second["replace_original"] is True
    assert (second["unfurl_links"], second["unfurl_media"]) == (False, False)
    assert "response_type" not in second
    footer = second["blocks"][-2]["elements"][0]["text"]
    assert "page 2/3" in footer
    assert [b["action_id"] for b in second["blocks"][-1]["elements"]] == [PREVIOUS_PAGE_ACTION, NEXT_PAGE_ACTION]
    first_titles = [t.splitlines()[0] for t in mrkdwn_texts(first["blocks"]) if t.startswith("*1.*")]
    second_titles = [t.splitlines()[0] for t in mrkdwn_texts(second["blocks"]) if t.startswith("*9.*")]
    assert first_titles
    assert second_titles  # eight to a page: the second page's numbers run on from 9
    assert first_titles[0].removeprefix("*1.*") != second_titles[0].removeprefix("*9.*")


@pytest.mark.parametrize("value", ["not json", '{"command":"topics","page":0}', '{"command":"topics","page":"2"}',
                                   '["topics",2]', None])
async def test_a_paging_click_the_bot_cannot_read_is_acked_and_said(fake, start_adapter, caplog, value):
    """A click whose value is no command and page of ours was acknowledged and dropped without a word, in the log
    or to the user: nobody could tell why the button did nothing."""
    caplog.set_level(logging.INFO)
    await start_adapter()
    click = sample("block_actions", response_url=fake.response_url("unreadable"))
    click["actions"] = [{k: v for k, v in click["actions"][0].items() if k != "value"}
                        | ({"value": value} if value is not None else {})]
    envelope_id = await fake.push("interactive", click)
    assert await fake.wait_ack(envelope_id) == {"envelope_id": envelope_id}
    await slash(fake, "topic probing", "after")  # and it goes on
    assert (await response(fake, "after"))["blocks"][0]["text"]["text"] == "Probing"
    assert [name for name, _ in fake.responses] == ["after"]
    assert "skipped a click on a paging button interp-bot cannot read" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_hostile_titles_and_notes_arrive_inert(fake, start_adapter, commands):
    commands.catalogue.append(Entry(id="hostile-entry", title=HOSTILE, notes=(HOSTILE,),
                                    links=(Link("arxiv 2401", "https://arxiv.org/abs/2401.00001"),
                                           Link(HOSTILE, "https://arxiv.org/abs/2401.00002"))), "probing")
    await start_adapter()
    await slash(fake, "topic probing", "hostile")
    body = await response(fake, "hostile")
    texts = mrkdwn_texts(body["blocks"])
    hostile = [t for t in texts if "Tom &amp; Jerry" in t]
    assert hostile, texts
    for text in [*texts, body["text"]]:
        for sequence in re.findall(r"<[^>]*>", text):
            assert re.fullmatch(r"<https://(arxiv\.org|openreview\.net)/[^|<>]*\|[^<>]*>", sequence), sequence
        assert "<!channel>" not in text
        assert "<!here>" not in text
        assert "<@U1>" not in text
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;@U1&gt; &lt;https://evil.example|arxiv.org&gt; Tom &amp; Jerry" \
        in hostile[0]
    assert "<https://arxiv.org/abs/2401.00002|&lt;!channel&gt;" in hostile[0]


async def test_refused_tokens_fail_start_with_a_clear_message(fake, start_adapter):
    """A wrong setting (exit 3 from the command line), as a token Discord rejects."""
    with pytest.raises(ConfigError, match=r"SLACK_APP_TOKEN \(invalid_auth\)"):
        await start_adapter(slack_app_token="xapp-1-revoked-token")
    with pytest.raises(ConfigError, match=r"SLACK_BOT_TOKEN: invalid_auth"):
        await start_adapter(slack_bot_token="xoxb-revoked-token")
    assert not fake.socket_connected.is_set()


async def test_health_is_up_while_the_socket_is_connected(fake, start_adapter):
    """What the heartbeat writes for `status` and the container health check."""
    adapter = await start_adapter()
    assert (await adapter.health()).state == "up"
    await adapter.stop()
    assert (await adapter.health()).state == "down"


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_a_bot_token_slack_revokes_while_running_shows_the_adapter_down(fake, start_adapter, mode):
    """Uninstalling the app or rotating the bot token leaves Socket Mode's websocket (the app token's) connected and
    HTTP mode's server listening: `status` and the health check said up while every post and edit failed."""
    adapter = await start_adapter(mode=mode)
    fake.revoked_tokens.add(BOT_TOKEN)
    digest = Post(key="digest:2026-11-24", kind="digest", reply=Reply(title="interp-bot digest"))
    with pytest.raises(AdapterError, match="token_revoked"):
        await adapter.publish(digest, "digest")
    health = await adapter.health()
    assert (health.state, health.error) == (
        "down", "Slack refuses SLACK_BOT_TOKEN (token_revoked): the token was revoked or rotated, the app "
        "uninstalled, or the bot user deactivated; put a current xoxb- token in SLACK_BOT_TOKEN and restart")
    fake.revoked_tokens.clear()  # taken again (a passing refusal): up from the next call that succeeds
    await adapter.publish(digest, "digest")
    assert (await adapter.health()).state == "up"


class LogLine(logging.Handler):
    """Lets a test wait for a log line (slack_sdk's own, from its reconnection task)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


async def test_a_reconnection_slack_refuses_shows_why_in_health(fake, start_adapter):
    """slack_sdk logs the refusal and tries again every 10 s; `status` said only "slack_sdk is reconnecting"."""
    adapter = await start_adapter()
    refused = LogLine("Failed to retrieve WSS URL")
    logging.getLogger("slack_bolt").addHandler(refused)
    try:
        fake.fail_next("apps.connections.open", "invalid_auth")  # the app token was revoked
        await fake.close_sockets()
        await asyncio.wait_for(refused.seen.wait(), 5)
    finally:
        logging.getLogger("slack_bolt").removeHandler(refused)
    health = await adapter.health()
    assert (health.state, health.error) == ("down", "Slack refused SLACK_APP_TOKEN (invalid_auth): it must be an xapp- "
                                            "app-level token with connections:write, and Socket Mode must be on; "
                                            "slack_sdk keeps retrying")


async def test_blocks_slack_refuses_are_sent_again_as_plain_text(fake, start_adapter, caplog):
    """Slack answers a response_url it will not take with an HTTP status, which raised nothing: the reader got
    no answer and the log said nothing."""
    fake.response_refusals.append((400, "invalid_blocks"))
    await start_adapter()
    await slash(fake, "topic probing", "refused")
    again = await response(fake, "refused", index=1)
    assert "blocks" not in again
    assert again["text"].startswith("Probing\n")
    assert any("Slack refused the answer's blocks (HTTP 400 invalid_blocks); sent as plain text" in r.getMessage()
               for r in caplog.records)


async def test_an_expired_response_url_is_logged(fake, start_adapter):
    fake.response_refusals.append((404, "expired_url"))
    await start_adapter()
    with logged("Slack refused the answer to a command: HTTP 404 expired_url") as seen:
        await slash(fake, "topic probing", "expired")
        await asyncio.wait_for(seen.wait(), 5)
    assert len([n for n, _ in fake.responses if n == "expired"]) == 1  # not sent again: it would be refused too


@contextlib.contextmanager
def logged(text):
    """An event set when a log record holding `text` is emitted (the log line is the only trace of some outcomes)."""
    seen, loop = asyncio.Event(), asyncio.get_running_loop()

    class Watch(logging.Handler):
        def emit(self, record):
            if text in record.getMessage():
                loop.call_soon_threadsafe(seen.set)

    handler = Watch()
    logging.getLogger().addHandler(handler)
    try:
        yield seen
    finally:
        logging.getLogger().removeHandler(handler)


@pytest.mark.parametrize(("kind", "payload"), [
    ("events_api", {"type": "event_callback", "event_id": "E1", "event": []}),
    ("events_api", {"type": "event_callback", "event_id": "E2", "event": None}),
    ("interactive", {"type": "block_actions", "actions": "x", "user": {"id": "U1"}}),
    ("interactive", {"type": "block_actions", "actions": ["x"], "user": {"id": "U1"}}),
    ("interactive", {"type": 5}),
    ("slash_commands", {"command": 5, "text": "topic probing"}),
], ids=["event a list", "event null", "actions text", "actions of text", "type not text", "command not text"])
async def test_envelopes_bolt_cannot_read_are_acked_and_skipped(fake, start_adapter, caplog, kind, payload):
    """As HTTP mode answers such bodies 400: bolt raised in its middleware (an ERROR) and the envelope was never
    acknowledged, so Slack sent it again and again."""
    caplog.set_level(logging.INFO)
    await start_adapter()
    envelope_id = await fake.push(kind, payload)
    assert await fake.wait_ack(envelope_id) == {"envelope_id": envelope_id}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await slash(fake, "topic probing", "after")  # and it goes on
    assert (await response(fake, "after"))["blocks"][0]["text"]["text"] == "Probing"


async def test_slack_down_for_a_moment_after_start_loses_no_vote_or_command(fake, start_adapter):
    """bolt asked auth.test again on its first request, though start() had just asked it: a Slack blip then made
    bolt acknowledge that request (so Slack never sent it again) and drop it, telling a command's user to reinstall
    the app."""
    votes = RecordingVotes()
    await start_adapter(votes)
    fake.outage_next("auth.test")
    fake.outage_next("auth.test")
    await fake.push("events_api", reaction_event("reaction_added", user="U0MAINT01", reaction="white_check_mark",
                                                 channel="C0MAINTAIN", ts="1700000000.000001", event_id="Ev0BLIP"))
    await votes.wait_for(1)
    assert [v.event_id for v in votes.votes] == ["Ev0BLIP"]
    envelope_id = await slash(fake, "topic probing", "blip")
    assert await fake.wait_ack(envelope_id) == {"envelope_id": envelope_id}
    assert (await response(fake, "blip"))["blocks"][0]["text"]["text"] == "Probing"
    assert len(fake.calls_to("auth.test")) == 1  # start()'s


def foreign_click():
    """A click on a button the bot never made (another app version's, or a message another integration built)."""
    click = sample("block_actions")
    click["actions"] = [click["actions"][0] | {"action_id": "vote-approve", "value": "42"}]
    return click


# What Slack sends that the manifest neither defines nor subscribes to, as some configurations still send it: a
# shortcut added in the app's settings, an event subscribed to there by hand, a button the bot did not make.
UNHANDLED = {
    "shortcut": ("interactive", lambda: sample("shortcut"), "a shortcut (shortcut_create_task)"),
    "message_action": ("interactive", lambda: sample("message_action"), "a message_action (save_paper)"),
    "block_actions": ("interactive", foreign_click, "a block_actions (vote-approve)"),
    "app_mention": ("events_api", lambda: sample("app_mention"), "an app_mention event"),
    "app_home_opened": ("events_api", lambda: sample("app_home_opened"), "an app_home_opened event"),
}


@pytest.mark.parametrize("name", UNHANDLED)
async def test_envelopes_of_kinds_the_bot_does_not_handle_are_acked_and_said_once(fake, start_adapter, caplog,
                                                                                   name):
    """bolt answered them 404, which Socket Mode never sends back: the envelope stayed unacknowledged, so Slack
    sent it again (an event three more times) and showed a shortcut's user an error."""
    kind, payload, said = UNHANDLED[name]
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot.adapters.slack")  # second: the capture's own level goes to DEBUG
    await start_adapter()
    for _ in range(2):  # the second of a kind is acknowledged as well, and said only when debugging
        envelope_id = await fake.push(kind, payload())
        assert await fake.wait_ack(envelope_id) == {"envelope_id": envelope_id}  # empty: no error, no dialog
    skipped = [r for r in caplog.records if "which interp-bot does not handle" in r.getMessage()]
    assert [r.levelno for r in skipped] == [logging.INFO, logging.DEBUG]
    assert f"Slack: skipped {said}, which interp-bot does not handle" in skipped[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    await slash(fake, "topic probing", "after")  # and the commands it does handle go on
    assert (await response(fake, "after"))["blocks"][0]["text"]["text"] == "Probing"
