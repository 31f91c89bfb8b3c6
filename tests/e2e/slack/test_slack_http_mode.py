"""HTTP mode: the real bolt app behind our aiohttp server, receiving signed requests over loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from urllib.parse import quote_plus, urlencode

import aiohttp
import pytest

from tests.e2e.slack.conftest import SIGNING_SECRET, RecordingVotes
from tests.fakes.slack_fake import reaction_event, sample, sign

BODY_MARKER = "BODY-MARKER-5d1e"


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http, adapter, body: bytes, *, timestamp: str | None = None, signature: str | None = None,
               content_type: str = "application/x-www-form-urlencoded", retry: int | None = None):
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": signature if signature is not None else sign(SIGNING_SECRET, timestamp, body)}
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    async with http.post(f"http://127.0.0.1:{adapter.http_port}/slack/events", data=body, headers=headers) as r:
        return r.status, await r.text()


def command_body(fake, text: str, name: str) -> bytes:
    return urlencode(sample("slash_command", text=text, response_url=fake.response_url(name))).encode()


async def test_a_signed_slash_command_is_acked_and_answered(fake, start_adapter, http):
    adapter = await start_adapter(mode="http")
    status, _ = await post(http, adapter, command_body(fake, "topic probing", "http-probing"))
    assert status == 200
    await fake.wait_for(lambda: fake.responses)
    name, body = fake.responses[0]
    assert name == "http-probing"
    assert body["blocks"][0]["text"]["text"] == "Probing"


async def test_bad_signatures_and_stale_or_junk_timestamps_are_401_and_never_logged(fake, start_adapter, http,
                                                                                 caplog):
    caplog.set_level(logging.DEBUG)
    adapter = await start_adapter(mode="http")
    body = command_body(fake, f"search {BODY_MARKER}", "never")
    now = int(time.time())

    tampered = bytearray(body)
    tampered[-1] ^= 0x01
    stale = str(now - 301)
    cases = {
        "tampered by one byte": (bytes(tampered), str(now), sign(SIGNING_SECRET, str(now), body)),
        "301 s old": (body, stale, sign(SIGNING_SECRET, stale, body)),
        "junk timestamp": (body, "yesterday", sign(SIGNING_SECRET, "yesterday", body)),
        "no timestamp": (body, "", sign(SIGNING_SECRET, "", body)),
        "huge timestamp": (body, "9" * 40, sign(SIGNING_SECRET, "9" * 40, body)),
        "wrong secret": (body, str(now), sign("not-the-secret", str(now), body)),
        "no signature": (body, str(now), ""),
    }
    for case, (payload, timestamp, signature) in cases.items():
        status, _ = await post(http, adapter, payload, timestamp=timestamp, signature=signature)
        assert status == 401, case

    assert fake.responses == []  # nothing reached the command handler
    logged = caplog.text
    assert "refused a request" in logged  # we do say that (and why) ...
    assert BODY_MARKER not in logged
    assert SIGNING_SECRET not in logged  # ... but never what it carried
    assert "gIkuvaNzQIHg97ATvDxqgjtO" not in logged  # the payload's own token field


async def test_url_verification_is_answered_for_signed_requests(fake, start_adapter, http):
    adapter = await start_adapter(mode="http")
    body = json.dumps({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"}).encode()
    status, text = await post(http, adapter, body, content_type="application/json")
    assert status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in text


async def test_event_retries_are_acked_and_carry_the_same_event_id(fake, start_adapter, http):
    votes = RecordingVotes()
    adapter = await start_adapter(votes, mode="http")
    body = json.dumps(reaction_event("reaction_added", user="U0MAINT01", reaction="white_check_mark",
                                     channel="C0MAINTAIN", ts="1700000000.000001", event_id="Ev0RETRY")).encode()
    for retry in (None, 1, 2):
        status, _ = await post(http, adapter, body, content_type="application/json", retry=retry)
        assert status == 200
    await votes.wait_for(3)
    assert {v.event_id for v in votes.votes} == {"Ev0RETRY"}  # the core counts an event id once


# ---------------------------------------------------------------------- bad bytes never make a 500 (issue 13, item 10)

NOT_UTF8 = b"text=\xff\xfe\xfa&user_id=U0READER1"


async def test_a_non_utf8_body_with_a_wrong_signature_is_401_not_500(fake, start_adapter, http, caplog):
    """The signature check decoded the body before comparing: UnicodeDecodeError, a 500 and an ERROR traceback."""
    caplog.set_level(logging.INFO)
    adapter = await start_adapter(mode="http")
    now = str(int(time.time()))
    status, _ = await post(http, adapter, NOT_UTF8, timestamp=now, signature=sign("not-the-secret", now, NOT_UTF8))
    assert status == 401
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(("body", "content_type"), [
    (NOT_UTF8, "application/x-www-form-urlencoded"),
    (b"{not json", "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b'"a string"', "application/json"),
    (b"payload=not-json", "application/x-www-form-urlencoded"),
    (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),  # payload=[1,2]
    (b"payload=%7B%22type%22%3A+5%7D", "application/x-www-form-urlencoded"),  # payload={"type": 5}
    (b'{"type": "event_callback", "event_id": "E1", "event": []}', "application/json"),
    (b'{"type": "event_callback", "event_id": "E2", "event": null}', "application/json"),
    (b"payload=" + quote_plus('{"type": "block_actions", "actions": "x", "user": {"id": "U1"}}').encode(),
     "application/x-www-form-urlencoded"),
    (b"payload=" + quote_plus('{"type": "block_actions", "actions": ["x"], "user": {"id": "U1"}}').encode(),
     "application/x-www-form-urlencoded"),
    # Read as bolt reads them, not as their content type says: bolt takes a body starting with "{" for JSON, the
    # last of two payload fields, and a blank one for JSON too (each was a 500 and an ERROR traceback).
    (b'{"type": "event_callback", "event_id": "E3", "event": []}', "application/x-www-form-urlencoded"),
    (b"{payload=x", "application/x-www-form-urlencoded"),
    (b'{"type": "event_callback", "event_id": "E4", "event": []}', "Application/JSON"),
    (b"payload=%7B%7D&payload=" + quote_plus('{"type": "block_actions", "actions": "x"}').encode(),
     "application/x-www-form-urlencoded"),
    (b"payload=", "application/x-www-form-urlencoded"),
    # Read before any listener of ours: the ids bolt puts in its context.
    (b'{"type": "event_callback", "event_id": "E5", "authorizations": "x", "event": {"type": "reaction_added"}}',
     "application/json"),
], ids=["not utf-8", "bad json", "json array", "json string", "payload not json", "payload array",
        "payload type not text", "event a list", "event null", "actions text", "actions of text",
        "json sent as a form", "brace but no json", "json type in capitals", "second payload field", "blank payload",
        "authorizations not a list"])
async def test_signed_but_malformed_bodies_are_400_not_500(fake, start_adapter, http, caplog, body, content_type):
    caplog.set_level(logging.INFO)
    adapter = await start_adapter(mode="http")
    status, _ = await post(http, adapter, body, content_type=content_type)
    assert status == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    status, _ = await post(http, adapter, command_body(fake, "topic probing", "after"))  # and it goes on
    assert status == 200


async def open_request(port: int, *, sent: bytes = b"payload=", length: int = 1000) -> asyncio.StreamWriter:
    """A request whose body never finishes: the headers promise `length` bytes, far fewer come."""
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 f"Content-Length: {length}\r\nX-Slack-Request-Timestamp: {int(time.time())}\r\n"
                 f"X-Slack-Signature: v0=00\r\n\r\n".encode() + sent)
    await writer.drain()
    return writer


async def test_a_body_that_never_finishes_is_answered_408_after_the_read_timeout(fake, start_adapter):
    adapter = await start_adapter(mode="http", options={"http_body_timeout": 0.3})
    reader, writer = await asyncio.open_connection("127.0.0.1", adapter.http_port)
    writer.write(f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                 f"X-Slack-Request-Timestamp: {int(time.time())}\r\n\r\npayload=".encode())
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 5)
    assert status_line.startswith(b"HTTP/1.1 408")
    writer.close()


@pytest.mark.parametrize("sent", [b"", b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"],
                         ids=["nothing", "half the headers"])
async def test_a_connection_that_never_finishes_its_headers_is_closed(fake, start_adapter, sent):
    """The body timeout began only once the headers were in: a client that connected and sent nothing, or headers
    one byte at a time, held its connection for aiohttp's keep-alive default of an hour (a few hundred such
    clients use up the process's file descriptors)."""
    adapter = await start_adapter(mode="http", options={"http_body_timeout": 0.3})
    reader, writer = await asyncio.open_connection("127.0.0.1", adapter.http_port)
    writer.write(sent)
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server, nothing answered
    writer.close()


async def test_unfinished_requests_do_not_hold_up_shutdown(fake, start_adapter):
    """Three requests that never finish their body held SIGTERM shutdown for 20 s and more."""
    adapter = await start_adapter(mode="http", options={"http_body_timeout": 30.0})
    writers = [await open_request(adapter.http_port) for _ in range(3)]
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(adapter.stop(), 10)
    assert loop.time() - started < 3
    for writer in writers:
        writer.close()


async def test_aborted_connections_are_not_logged_as_errors(fake, start_adapter, http, caplog):
    """150 clients that hang up mid-body logged 150 ERROR tracebacks."""
    caplog.set_level(logging.DEBUG)
    adapter = await start_adapter(mode="http", options={"http_body_timeout": 5.0})
    for _ in range(150):
        writer = await open_request(adapter.http_port)
        writer.transport.abort()  # a reset, not a clean close
    status, _ = await post(http, adapter, command_body(fake, "topic probing", "after-aborts"))
    assert status == 200  # and the server still answers
    await adapter.stop()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_slash_command_that_says_payload_is_answered(fake, start_adapter, http):
    """bolt takes any form body holding the word "payload" for an interactive one and, finding no `payload` field,
    reads it as empty: "/interp search payload" (or any command in a channel named "payload-...") matched no
    listener and was never answered."""
    adapter = await start_adapter(mode="http")
    status, _ = await post(http, adapter, command_body(fake, "search payload", "said-payload"))
    assert status == 200
    await fake.wait_for(lambda: fake.responses)
    assert fake.responses[0][0] == "said-payload"


@pytest.mark.parametrize(("name", "form"), [("shortcut", True), ("message_action", True), ("app_mention", False),
                                            ("app_home_opened", False)])
async def test_signed_requests_of_kinds_the_bot_does_not_handle_are_200_as_in_socket_mode(
        fake, start_adapter, http, caplog, name, form):
    """bolt answered them 404: Slack retried an event (and, failing often enough, turns event delivery off) and
    showed a shortcut's user an error. A signed, well-formed request is Slack's: acknowledged, as Socket Mode
    acknowledges the same envelope, and skipped."""
    caplog.set_level(logging.INFO)
    adapter = await start_adapter(mode="http")
    payload = sample(name)
    if form:  # interactions come as a form with the JSON in `payload`, as events come as JSON
        status, text = await post(http, adapter, urlencode({"payload": json.dumps(payload)}).encode())
    else:
        status, text = await post(http, adapter, json.dumps(payload).encode(), content_type="application/json")
    assert (status, text) == (200, "")
    assert "which interp-bot does not handle" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
