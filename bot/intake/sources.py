"""The sources the bot polls, read from ``feeds.yaml`` and validated with file:line messages.

Only ``yaml.SafeLoader`` reads the file. Values are taken from the YAML nodes themselves so every problem can
name the line it is on; all problems are reported together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import yaml

from bot.errors import FeedsError
from bot.intake.addresses import without_credentials
from bot.yaml_nodes import YamlDocument, YamlSyntaxError

FeedKind = Literal["arxiv_api", "arxiv_rss", "forum_rss", "rss"]
FEED_KINDS: tuple[str, ...] = get_args(FeedKind)
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
MAX_NAME_CHARS = 100  # the store keys a feed's state and items by its name, in 100 characters

_TOP_KEYS = {"feeds", "without_feed"}
_FEED_REQUIRED = {"name", "url", "kind"}
_FEED_KEYS = _FEED_REQUIRED | {"interval_minutes", "enabled", "max_entries", "first_poll_max_items"}
_NO_FEED_REQUIRED = {"name", "url", "note"}


# A day's arXiv listing runs to ~1,500 items (cs.LG with its cross-lists), and each is new that day: the first
# 100 alone would leave most of the day unread. Other feeds send their newest items first.
DEFAULT_MAX_ENTRIES = {"arxiv_rss": 2000}


@dataclass(frozen=True)
class FeedSpec:
    name: str
    url: str
    kind: FeedKind
    interval_minutes: int = 60
    enabled: bool = True
    max_entries: int = 100
    first_poll_max_items: int | None = None  # None: use the global setting (INTERP_BOT_FIRST_POLL_MAX_ITEMS)

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()


@dataclass(frozen=True)
class NoFeedSite:
    """A site the list draws on that publishes no feed; recorded so nobody fakes one."""

    name: str
    url: str
    note: str


@dataclass(frozen=True)
class FeedsConfig:
    feeds: tuple[FeedSpec, ...]
    without_feed: tuple[NoFeedSite, ...] = ()

    def feed(self, name: str) -> FeedSpec | None:
        return next((f for f in self.feeds if f.name == name), None)

    @property
    def enabled(self) -> tuple[FeedSpec, ...]:
        return tuple(f for f in self.feeds if f.enabled)


def load_feeds(path: Path) -> FeedsConfig:
    return _FeedsReader(path).read()


class _FeedsReader:
    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []
        self._doc: YamlDocument | None = None

    # ------------------------------------------------------------------ plumbing

    def problem(self, node: yaml.Node | None, message: str) -> None:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        self.problems.append(f"{self.path}{line}: {message}")

    def scalar(self, node: yaml.Node) -> Any:
        assert self._doc is not None
        return self._doc.value(node)

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """Keys -> (key node, value node), reporting non-mappings and duplicate keys."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping of key: value")
            return None
        result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in result:
                self.problem(key_node, f"duplicate key {key!r} in {what}")
                continue
            result[key] = (key_node, value_node)
        return result

    def unknown_keys(self, fields: dict[str, tuple[yaml.Node, yaml.Node]], allowed: set[str], what: str) -> None:
        for key, (key_node, _) in fields.items():
            if key not in allowed:
                self.problem(key_node, f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})")

    # ------------------------------------------------------------------ reading

    def read(self) -> FeedsConfig:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise FeedsError([f"{self.path}: cannot read ({exc.strerror or exc})"]) from None
        except UnicodeDecodeError as exc:
            raise FeedsError([f"{self.path}: not UTF-8 text ({exc.reason})"]) from None
        try:
            with YamlDocument(text) as self._doc:
                config = self.config(self._doc.root)
        except YamlSyntaxError as exc:
            line = f":{exc.line}" if exc.line else ""
            raise FeedsError([f"{self.path}{line}: {exc.message}"]) from None
        finally:
            self._doc = None
        if self.problems:
            raise FeedsError(self.problems)
        return config

    def config(self, root: yaml.Node | None) -> FeedsConfig:
        if root is None:
            self.problem(None, "empty file: expected a mapping with a 'feeds:' list")
            return FeedsConfig(())
        top = self.mapping(root, "the top level")
        if top is None:
            return FeedsConfig(())
        self.unknown_keys(top, _TOP_KEYS, "the top level")
        if "feeds" not in top:
            self.problem(root, "missing 'feeds:' list")
        feeds = self.feeds(top["feeds"][1]) if "feeds" in top else ()
        without = self.without_feed(top["without_feed"][1]) if "without_feed" in top else ()
        return FeedsConfig(feeds, without)

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"'{what}' must be a list")
            return []
        return list(node.value)

    def feeds(self, node: yaml.Node) -> tuple[FeedSpec, ...]:
        specs: list[FeedSpec] = []
        first_line: dict[str, int] = {}
        for item in self.sequence(node, "feeds"):
            spec = self.feed(item)
            if spec is None:
                continue
            if spec.name in first_line:
                self.problem(item, f"duplicate feed name {spec.name!r} (first defined on line {first_line[spec.name]})")
                continue
            first_line[spec.name] = item.start_mark.line + 1
            specs.append(spec)
        return tuple(specs)

    def feed(self, node: yaml.Node) -> FeedSpec | None:
        fields = self.mapping(node, "a feed")
        if fields is None:
            return None
        label = repr(self.scalar(fields["name"][1])) if "name" in fields else "a feed"
        self.unknown_keys(fields, _FEED_KEYS, f"feed {label}")
        missing = sorted(_FEED_REQUIRED - fields.keys())
        if missing:
            self.problem(node, f"feed {label} is missing {', '.join(missing)}")
            return None
        before = len(self.problems)
        name = self.text(fields["name"][1], "name")
        if name is not None and not NAME_RE.match(name):
            self.problem(fields["name"][1], f"feed name {name!r} must be lower-case letters, digits, '.', '_', '-'")
        elif name is not None and len(name) > MAX_NAME_CHARS:
            self.problem(fields["name"][1], f"feed name {name[:20]!r}... has {len(name)} characters (at most "
                                            f"{MAX_NAME_CHARS})")
        url = self.url(fields["url"][1])
        kind = self.text(fields["kind"][1], "kind")
        if kind is not None and kind not in FEED_KINDS:
            self.problem(fields["kind"][1], f"feed {label}: unknown kind {kind!r} (one of: {', '.join(FEED_KINDS)})")
        values: dict[str, Any] = {}
        # Upper bounds too: a month between polls is the longest that means anything, and a larger number overflowed
        # the scheduler's date arithmetic on every poll instead of being refused here.
        for key, minimum, maximum in (("interval_minutes", 1, 43_200), ("max_entries", 1, 100_000),
                                      ("first_poll_max_items", 0, 100_000)):
            if key in fields:
                value_node = fields[key][1]
                if key == "first_poll_max_items" and value_node.tag == "tag:yaml.org,2002:null":
                    continue
                values[key] = self.integer(value_node, key, minimum, maximum)
        if "enabled" in fields:
            enabled = self.scalar(fields["enabled"][1])
            if not isinstance(enabled, bool):
                self.problem(fields["enabled"][1], f"enabled must be true or false, not {enabled!r}")
            values["enabled"] = enabled
        if len(self.problems) > before:
            return None
        values.setdefault("max_entries", DEFAULT_MAX_ENTRIES.get(kind or "", FeedSpec.max_entries))
        return FeedSpec(name=name, url=url, kind=kind, **values)  # type: ignore[arg-type]

    def text(self, node: yaml.Node, key: str) -> str | None:
        value = self.scalar(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, str) or not value.strip():
            self.problem(node, f"{key} must be a non-empty string")
            return None
        return value.strip()

    def url(self, node: yaml.Node) -> str | None:
        url = self.text(node, "url")
        if url is None:
            return None
        shown = repr(without_credentials(url))  # problems are printed and logged: never a feed's password
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises for a port that is not a number from 0 to 65535
        except ValueError as exc:
            self.problem(node, f"bad URL {shown}: {exc}")
            return None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.problem(node, f"bad URL {shown}: expected http:// or https:// with a host")
            return None
        # "http://x y/" loaded, then failed every poll with "cannot resolve x y", far from this line. A space in the
        # path or query is sent as %20 (an arXiv API query is readily written "all:\"sparse autoencoder\""), but
        # none in the host, and no control character anywhere.
        if any(char.isspace() for char in parts.netloc) or any(not char.isprintable() for char in url):
            self.problem(node, f"bad URL {shown}: no spaces in its host or control characters")
            return None
        return url

    def integer(self, node: yaml.Node, key: str, minimum: int, maximum: int) -> int | None:
        value = self.scalar(node) if isinstance(node, yaml.ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(node, f"{key} must be a whole number, not {value!r}")
            return None
        if value < minimum:
            self.problem(node, f"{key} must be at least {minimum}, not {value}")
            return None
        if value > maximum:
            self.problem(node, f"{key} must be at most {maximum:,}, not {value:,}")
            return None
        return value

    def without_feed(self, node: yaml.Node) -> tuple[NoFeedSite, ...]:
        sites: list[NoFeedSite] = []
        for item in self.sequence(node, "without_feed"):
            fields = self.mapping(item, "a without_feed site")
            if fields is None:
                continue
            self.unknown_keys(fields, _NO_FEED_REQUIRED, "a without_feed site")
            missing = sorted(_NO_FEED_REQUIRED - fields.keys())
            if missing:
                self.problem(item, f"without_feed site is missing {', '.join(missing)}")
                continue
            before = len(self.problems)
            name = self.text(fields["name"][1], "name")
            url = self.url(fields["url"][1])
            note = self.text(fields["note"][1], "note")
            if len(self.problems) == before:
                sites.append(NoFeedSite(name=name, url=url, note=note))  # type: ignore[arg-type]
        return tuple(sites)
