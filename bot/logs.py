"""Logging set-up: plain or JSON lines, with every secret redacted and every control character removed.

The redactor is a logging.Filter on the handlers, so it applies to our records and to those of
discord.py, slack-bolt, httpx and SQLAlchemy alike, including exception tracebacks.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from bot.catalogue.text import strip_control

if TYPE_CHECKING:
    from bot.settings import Settings

REDACTED = "[redacted]"
# Token shapes worth hiding even when we were not told about them (e.g. from a misconfigured variable).
# Token shapes hidden even when the value is not one we were given (another workspace's, a pasted one): Slack's,
# and GitHub's (classic ghp_/gho_/ghu_/ghs_/ghr_ and fine-grained github_pat_).
_TOKEN_SHAPES = re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]{8,}|xapp-[A-Za-z0-9-]{8,}|gh[pousr]_[A-Za-z0-9]{20,}"
                           r"|github_pat_[A-Za-z0-9_]{20,})")


# A URL's password (a feed behind basic auth: http://reader:password@host/feed), which httpx's request lines and
# error messages quote: not a configured secret, so hidden by its place. The user name stays, to tell feeds apart.
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s/?#@:]*:)[^\s/?#@]+@", re.IGNORECASE)


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        # Longest first, so a secret that contains another is hidden whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _URL_PASSWORD.sub(rf"\1{REDACTED}@", _TOKEN_SHAPES.sub(REDACTED, text))

    def filter(self, record: logging.LogRecord) -> bool:
        # Control characters go too: log messages quote feed titles, servers' errors and users' commands, and an
        # ESC in one would drive the terminal of whoever reads the log.
        message = strip_control(record.getMessage())
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def writes_utf8(stream: Any) -> bool:
    """Does `stream` take every character? Not an ASCII or Latin-1 one (PYTHONIOENCODING, a C locale, a Windows
    code page): text written there gets "?" for what it cannot hold, and JSON written there, its own escapes."""
    return codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name == "utf-8"


class JsonFormatter(logging.Formatter):
    def __init__(self, *, ascii_only: bool = False):
        """`ascii_only`: JSON's own escapes for non-ASCII text, for a log stream that cannot hold every character
        (its "?" would corrupt the data)."""
        super().__init__()
        self.ascii_only = ascii_only

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            data["exception"] = record.exc_text
        for key in ("feed", "candidate", "platform", "channel"):
            if hasattr(record, key):
                data[key] = getattr(record, key)
        return json.dumps(data, ensure_ascii=self.ascii_only)


def setup_logging(settings: Settings, *, stream: TextIO | None = None) -> logging.Handler:
    """Install one handler on the root logger (replacing ours from an earlier call)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter(settings.secret_values()))
    if settings.log_json:
        handler.setFormatter(JsonFormatter(ascii_only=not writes_utf8(handler.stream)))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_interp_bot", False)]:
        root.removeHandler(old)
    handler._interp_bot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)  # a name logging knows (checked by Settings)
    # Chatty libraries stay at WARNING unless we debug (and follow the root again when we do, should logging be set
    # up a second time in one process).
    # pylatexenc says "Ignoring parse error (tolerant parsing mode)" at INFO for many a real abstract's TeX.
    for name in ("httpx", "httpcore", "discord.gateway", "discord.client", "slack_bolt", "apscheduler", "pylatexenc"):
        logging.getLogger(name).setLevel(logging.WARNING if root.level > logging.DEBUG else logging.NOTSET)
    return handler
