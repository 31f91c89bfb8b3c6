"""Secrets never reach the output: every secret is a marker, every error path runs at DEBUG, no marker appears.

Each case is the real command line in a child process, so everything that could print counts: our logs, the
libraries' DEBUG logs (discord.py, slack_sdk, httpx, SQLAlchemy, psycopg), tracebacks and plain error messages.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.logs import setup_logging
from bot.settings import load_settings
from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.feed_server import FeedServer
from tests.fakes.slack_fake import FakeSlack
from tests.ops.support import Result, bot_env, cli, write_feeds

TAG = "S3CR3T"  # in every marker, so even a truncated leak is caught
RUN = secrets.token_hex(4)
MARKERS = {
    "DISCORD_TOKEN": f"{TAG}-discord-{RUN}",  # no token shape: only the configured-secret redaction can hide it
    "SLACK_BOT_TOKEN": f"xoxb-{TAG}-slackbot-{RUN}",  # bolt insists on the prefixes
    "SLACK_APP_TOKEN": f"xapp-{TAG}-slackapp-{RUN}",
    "SLACK_SIGNING_SECRET": f"{TAG}-signing-{RUN}",
}
DB_PASSWORD = f"{TAG}-dbpass-{RUN}"
UNREACHABLE_PG = f"postgresql://interp:{DB_PASSWORD}@127.0.0.1:1/interp"  # nothing listens on port 1
DISCORD_REDIRECT = Path(__file__).with_name("discord_redirect.py")


def assert_no_secret(result: Result) -> None:
    output = result.stdout + result.stderr
    assert TAG not in output, output
    assert RUN not in output, output  # the random tail, in case a marker was cut before the tag


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def slack_fake() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.stop()


def env_for(tmp_path: Path, database_url: str | None = None, **settings: str) -> dict[str, str]:
    env = bot_env(tmp_path, database_url=database_url or f"sqlite:///{tmp_path / 'bot.db'}",
                  INTERP_BOT_LOG_LEVEL="DEBUG", **MARKERS)
    env.update(settings)
    return {k: v for k, v in env.items() if v}  # an empty value unsets that secret for the case


async def run_discord(env: dict[str, str], cwd: Path, api: str, gateway: str, *args: str) -> Result:
    """`interp-bot ARGS` with discord.py aimed at a loopback address (see discord_redirect.py)."""
    env = {**env, "FAKE_DISCORD_API": api, "FAKE_DISCORD_GATEWAY": gateway}
    return await cli(env, cwd, *args, launcher=[sys.executable, str(DISCORD_REDIRECT)])


DISCORD_SETTINGS = {"INTERP_BOT_DISCORD_MAINTAINERS_CHANNEL_ID": "1300000000000000001"}


async def test_discord_unreachable(tmp_path: Path) -> None:
    result = await run_discord(env_for(tmp_path, **DISCORD_SETTINGS), tmp_path, "http://127.0.0.1:1/api/v10",
                               "ws://127.0.0.1:1/gateway", "run", "--adapter", "discord")
    assert result.returncode == 1
    assert "interp-bot: run: Cannot connect to host 127.0.0.1:1" in result.stderr
    assert_no_secret(result)


async def test_discord_refuses_the_token(tmp_path: Path, discord_fake: FakeDiscord) -> None:
    discord_fake.fail_next("GET", "/users/@me", 401, {"message": "401: Unauthorized", "code": 0})
    result = await run_discord(env_for(tmp_path, **DISCORD_SETTINGS), tmp_path, discord_fake.api_base,
                               discord_fake.gateway_url, "run", "--adapter", "discord")
    assert result.returncode != 0
    assert "LoginFailure" in result.stderr or "token" in result.stderr.lower()
    assert_no_secret(result)


async def test_slack_revoked_tokens(tmp_path: Path, slack_fake: FakeSlack) -> None:
    # "revoked" makes the fake answer invalid_auth; Socket Mode, so the signing secret is unset here.
    env = env_for(tmp_path, SLACK_BOT_TOKEN=f"xoxb-revoked-{TAG}-{RUN}", SLACK_APP_TOKEN=f"xapp-revoked-{TAG}-{RUN}",
                  SLACK_SIGNING_SECRET="", INTERP_BOT_SLACK_API_URL=slack_fake.api_url,
                  INTERP_BOT_SLACK_MAINTAINERS_CHANNEL="C0MAINTAIN")
    result = await cli(env, tmp_path, "run", "--adapter", "slack")
    assert result.returncode != 0
    assert slack_fake.calls, "the bot should have asked the fake Slack"
    assert "invalid_auth" in result.stderr
    assert_no_secret(result)


async def test_a_slack_digest_needs_only_the_digest_channel(tmp_path: Path, slack_fake: FakeSlack) -> None:
    """Requiring the maintainers' channel at start (for `run`, c33a111) stopped `interp-bot digest` on a Slack set
    up with a digest channel alone, though a digest never reads votes."""
    env = env_for(tmp_path, DISCORD_TOKEN="", SLACK_SIGNING_SECRET="", INTERP_BOT_SLACK_API_URL=slack_fake.api_url,
                  INTERP_BOT_SLACK_DIGEST_CHANNEL="C0DIGEST", INTERP_BOT_DIGEST_ON_EMPTY="post")
    result = await cli(env, tmp_path, "digest")
    assert result.returncode == 0, result.stderr
    assert [call.params.get("channel") for call in slack_fake.calls_to("chat.postMessage")] == ["C0DIGEST"]
    assert_no_secret(result)
    refused = await cli(env, tmp_path, "run", "--adapter", "slack")  # candidates would have nowhere to go
    assert refused.returncode == 3
    assert "INTERP_BOT_SLACK_MAINTAINERS_CHANNEL" in refused.stderr


async def test_slack_unreachable_and_contradictory_settings(tmp_path: Path) -> None:
    unreachable = env_for(tmp_path, SLACK_SIGNING_SECRET="", INTERP_BOT_SLACK_API_URL="http://127.0.0.1:1/api/",
                          INTERP_BOT_SLACK_MAINTAINERS_CHANNEL="C0MAINTAIN")
    result = await cli(unreachable, tmp_path, "run", "--adapter", "slack")
    assert result.returncode != 0
    assert_no_secret(result)
    # All four secrets at once: Socket Mode and HTTP mode both configured is a configuration error.
    result = await cli(env_for(tmp_path, INTERP_BOT_SLACK_MAINTAINERS_CHANNEL="C0MAINTAIN"), tmp_path,
                       "run", "--adapter", "slack")
    assert result.returncode == 3
    assert "SLACK_SIGNING_SECRET" in result.stderr
    assert_no_secret(result)


@pytest.mark.parametrize("args", [("status",), ("status", "--json"), ("run", "--adapter", "console"),
                                  ("candidates",)])
async def test_unreachable_postgres_with_a_password(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = await cli(env_for(tmp_path, database_url=UNREACHABLE_PG), tmp_path, *args)
    assert result.returncode == 1
    assert "cannot reach the database at postgresql+psycopg://interp:***@127.0.0.1:1/interp" in result.stderr
    assert_no_secret(result)


@pytest.mark.parametrize("args", [("status",), ("candidates",)])
async def test_unreachable_postgres_with_the_password_in_the_query(tmp_path: Path, args: tuple[str, ...]) -> None:
    """libpq also takes the password as ?password=: hidden like one before the host."""
    url = f"postgresql://interp@127.0.0.1:1/interp?password={DB_PASSWORD}"
    result = await cli(env_for(tmp_path, database_url=url), tmp_path, *args)
    assert result.returncode == 1
    assert "cannot reach the database at postgresql+psycopg://interp@127.0.0.1:1/interp?password=***" in result.stderr
    assert_no_secret(result)


def logged_with_database(url: str, password: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """What the log shows of a driver's message quoting `password`, with INTERP_BOT_DATABASE_URL set to `url`."""
    monkeypatch.setenv("INTERP_BOT_DATABASE_URL", url)
    stream = io.StringIO()
    handler = setup_logging(load_settings(log_level="DEBUG"), stream=stream)
    try:
        logging.getLogger("sqlalchemy.engine").warning("connecting with password=%s", password)
    finally:
        logging.getLogger().removeHandler(handler)
    return stream.getvalue()


def test_the_redactor_hides_a_database_password_given_in_the_query(monkeypatch: pytest.MonkeyPatch) -> None:
    logged = logged_with_database(f"postgresql://interp@127.0.0.1:1/interp?password={DB_PASSWORD}", DB_PASSWORD,
                                  monkeypatch)
    assert TAG not in logged
    assert "password=[redacted]" in logged


@pytest.mark.parametrize("password", [f"{TAG}#{RUN}", f"{TAG}/{RUN}", f"{TAG}?{RUN}"],
                         ids=["hash", "slash", "question-mark"])  # the same names in every process: RUN is random
def test_the_redactor_hides_a_database_password_with_a_hash_slash_or_question_mark(
        monkeypatch: pytest.MonkeyPatch, password: str) -> None:
    """SQLAlchemy connects with such a password written as is (its password runs to the '@'), but the redactor read
    the URL with urlsplit, which took '#', '/' or '?' for the end of the host part and knew no password at all."""
    logged = logged_with_database(f"postgresql://interp:{password}@127.0.0.1:1/interp", password, monkeypatch)
    assert TAG not in logged
    assert RUN not in logged


async def test_failing_feeds(tmp_path: Path, feed_server: FeedServer) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", feed_server, {
        "down": ("rss", "missing.xml"), "garbage": ("rss", "../garbage"), "ok": ("forum_rss", "alignment-forum.xml")})
    feeds.write_text(feeds.read_text().replace("/feeds/../garbage", "/garbage"))
    result = await cli(env_for(tmp_path, INTERP_BOT_FEEDS_FILE=str(feeds)), tmp_path, "poll", "--once")
    assert "down: FAILED" in result.stdout, result.stdout
    assert "garbage: FAILED" in result.stdout, result.stdout
    assert_no_secret(result)


async def test_a_feed_urls_password_never_reaches_the_output(tmp_path: Path, feed_server: FeedServer) -> None:
    """A feed behind HTTP basic auth is written with its password in its URL: at DEBUG, httpx logs every request's
    URL, which held it."""
    password = f"{TAG}-feedpass-{RUN}"
    feeds = write_feeds(tmp_path / "feeds.yaml", feed_server, {"private": ("forum_rss", "alignment-forum.xml")})
    feeds.write_text(feeds.read_text().replace("http://", f"http://reader:{password}@"))
    result = await cli(env_for(tmp_path, INTERP_BOT_FEEDS_FILE=str(feeds)), tmp_path, "poll", "--once")
    assert "private: 2 items" in result.stdout, result.stdout
    assert "reader:[redacted]@" in result.stderr  # httpx's request line is there, its password hidden
    assert_no_secret(result)


@pytest.mark.parametrize("setting", ["INTERP_BOT_PAGE_SIZE", "INTERP_BOT_DIGEST_TIME", "INTERP_BOT_SLACK_MODE"])
async def test_invalid_setting_holding_a_secret(tmp_path: Path, setting: str) -> None:
    """An operator pastes a token into the wrong variable: the error names the variable, never echoes the value."""
    result = await cli(env_for(tmp_path, **{setting: MARKERS["DISCORD_TOKEN"]}), tmp_path, "status")
    assert result.returncode == 3
    assert setting in result.stderr
    assert_no_secret(result)


async def test_json_logs_are_one_valid_object_per_line(tmp_path: Path, feed_server: FeedServer) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", feed_server, {"down": ("rss", "missing.xml")})
    env = env_for(tmp_path, INTERP_BOT_FEEDS_FILE=str(feeds), INTERP_BOT_LOG_JSON="true", **DISCORD_SETTINGS)
    poll = await cli(env, tmp_path, "poll", "--once")
    crash = await run_discord(env, tmp_path, "http://127.0.0.1:1/api/v10", "ws://127.0.0.1:1/gateway",
                              "run", "--adapter", "discord")
    records = []
    for result in (poll, crash):
        assert_no_secret(result)
        for line in result.stderr.splitlines():
            record = json.loads(line)  # raises on anything that is not one JSON object per line
            assert {"time", "level", "logger", "message"} <= record.keys()
            records.append(record)
    assert {"DEBUG", "INFO", "WARNING", "CRITICAL"} <= {r["level"] for r in records}
    assert any(r.get("feed") == "down" for r in records)
    failure = next(r for r in records if r["level"] == "CRITICAL")
    assert "interp-bot: run: Cannot connect to host 127.0.0.1:1" in failure["message"]
    assert "Traceback" in failure["exception"]  # at DEBUG, the connection's traceback too


def test_json_logs_to_an_ascii_stream_keep_every_character_exact() -> None:
    """The CLI gives "?" for what its output cannot hold; a JSON log line must not lose a feed's title to it."""
    import io
    import logging

    from bot.logs import setup_logging
    from bot.settings import Settings

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="replace", write_through=True)
    handler = setup_logging(Settings(_env_file=None, log_json=True), stream=stream)
    try:
        logging.getLogger("bot.test").warning("feed x: parse error in “Marušič”")
    finally:
        logging.getLogger().removeHandler(handler)
    (line,) = raw.getvalue().decode("ascii").splitlines()
    assert json.loads(line)["message"] == "feed x: parse error in “Marušič”"


@pytest.mark.parametrize("log_json", [False, True])
def test_a_line_separator_in_a_logged_title_parts_its_words_on_one_line(log_json: bool) -> None:
    """The log filter dropped U+2028, NEL and the other separators Python splits lines at with the control
    characters: a feed's "Sparse<U+2028>Autoencoders" was logged as "SparseAutoencoders"."""
    from bot.settings import Settings

    stream = io.StringIO()
    handler = setup_logging(Settings(_env_file=None, log_json=log_json), stream=stream)
    try:
        logging.getLogger("bot.test").warning("posted “%s”", "Sparse\u2028Autoencoders\x85in\u2029Chat\x0bModels")
    finally:
        logging.getLogger().removeHandler(handler)
    (line,) = stream.getvalue().split("\n")[:-1]  # one line, ended by the only newline
    message = json.loads(line)["message"] if log_json else line
    assert "posted “Sparse Autoencoders in Chat Models”" in message


@pytest.mark.parametrize("log_json", ["false", "true"])
def test_the_redactor_hides_every_secret_from_any_logger(monkeypatch: pytest.MonkeyPatch, log_json: str) -> None:
    """The proof that would fail without the filter: the paths above leak nothing even unfiltered (the SDKs
    hide their own headers), so here records that do carry every secret go through the real handler."""
    for name, value in {**MARKERS, "INTERP_BOT_DATABASE_URL": UNREACHABLE_PG, "INTERP_BOT_LOG_JSON": log_json}.items():
        monkeypatch.setenv(name, value)
    stream = io.StringIO()
    handler = setup_logging(load_settings(log_level="DEBUG"), stream=stream)
    try:
        everything = [*MARKERS.values(), DB_PASSWORD]
        for name in ("discord.http", "slack_sdk.web.async_base_client", "sqlalchemy.engine", "bot.app"):
            logging.getLogger(name).warning("sending %s", everything)  # WARNING: SQLAlchemy pins its loggers there
        try:
            raise RuntimeError(f"cannot connect to {UNREACHABLE_PG} with {MARKERS['DISCORD_TOKEN']}")
        except RuntimeError:
            logging.getLogger("bot.cli").exception("failed with %s", MARKERS["SLACK_SIGNING_SECRET"])
    finally:
        logging.getLogger().removeHandler(handler)
    output = stream.getvalue()
    assert TAG not in output, output
    assert RUN not in output, output
    assert "cannot connect to postgresql://interp:[redacted]@127.0.0.1:1/interp" in output
    assert output.count("[redacted]") >= 4 * len(everything) + 3


def test_a_secret_read_from_a_file_with_its_newline_is_used_and_hidden_as_a_token(monkeypatch: pytest.MonkeyPatch
                                                                                   ) -> None:
    """`GITHUB_TOKEN=$(cat token-file)` keeps no newline, but a secret mounted or pasted with one did: an illegal
    HTTP header, whose error quoted the token as bytes (`b'token github_pat_…\\n'`) past the redactor."""
    token = "github_pat_" + "A1b2C3d4E5" * 4
    monkeypatch.setenv("GITHUB_TOKEN", token + "\n")
    settings = load_settings(log_level="DEBUG")
    assert settings.github_token is not None and settings.github_token.get_secret_value() == token
    stream = io.StringIO()
    handler = setup_logging(settings, stream=stream)
    try:
        logging.getLogger("httpcore").debug("Illegal header value %r", f"token {token}\n".encode())
        logging.getLogger("bot.github").warning("a server echoed %s", "ghp_" + "Z9y8X7w6V5" * 4)  # not ours: a shape
    finally:
        logging.getLogger().removeHandler(handler)
    output = stream.getvalue()
    assert token not in output and "ghp_Z9y8" not in output
    assert output.count("[redacted]") == 2


def test_a_poll_at_info_does_not_print_pylatexenc_tolerating_an_abstracts_tex() -> None:
    from bot.intake.tex import clean_tex

    stream = io.StringIO()
    handler = setup_logging(load_settings(log_level="INFO"), stream=stream)
    try:
        cleaned = clean_tex(r"We bound it by $\mathcal{O}(n}$ in the worst case")  # a brace closing nothing
        logging.getLogger("bot.intake").info("polled")
    finally:
        logging.getLogger().removeHandler(handler)
    assert cleaned.startswith("We bound it by 𝒪(n")
    assert "polled" in stream.getvalue()
    assert "tolerant parsing" not in stream.getvalue()
