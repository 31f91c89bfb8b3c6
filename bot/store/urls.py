"""The passwords a database URL holds, for the log redactor: read with the standard library alone, so settings
need not import SQLAlchemy (bot.store.db reads URLs with it to connect)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote

# A database URL's password and query where SQLAlchemy finds them (sqlalchemy.engine.url._parse_url): the user name
# runs to the first ':' or '/', the password to the first '@', the query from the first '?' after the host. So a
# password with '#', '/' or '?' in it, which SQLAlchemy connects with, is known whole (urlsplit took those for the
# start of the fragment, path or query and knew none of it).
_DATABASE_URL_PARTS = re.compile(r"[\w+]+://(?:[^:/]*(?::(?P<password>[^@]*))?@)?[^?]*(?:\?(?P<query>.*))?", re.S)


def url_passwords(url: str) -> list[str]:
    """Every spelling of the passwords in `url` a message may quote: before the host, and libpq's other place for
    one, `?password=`, as written, decoded and encoded again."""
    parts = _DATABASE_URL_PARTS.match(url)
    if parts is None:
        return []
    passwords = [parts["password"] or ""]
    query = parts["query"] or ""
    for pair in query.split("&"):
        key, _, raw = pair.partition("=")
        if unquote(key) == "password":
            passwords.append(raw)
    for key, value in parse_qsl(query):
        if key == "password":
            passwords += [value, quote(value, safe="")]
    return sorted({spelling for password in passwords if password for spelling in (password, unquote(password))})
