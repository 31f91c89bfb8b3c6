"""Neutral replies and posts -> Slack Block Kit, plus the plain `text` fallback every message needs.

Everything in a Reply is untrusted (titles and notes come from feeds and the catalogue), so every string
that lands in a mrkdwn field goes through `escape`: Slack's three control characters `&`, `<`, `>` and
nothing more. That keeps `<!channel>`, `<!here>`, `<@U123>` and `<https://evil|arxiv.org>` inert while
leaving the text readable. Links are the only angle-bracket sequences we emit, built by `link` from a
validated http(s) URL. We never set `link_names`, and every mrkdwn text is `verbatim`, so Slack adds no link or
mention of its own: a bare `@here`, `#general` or `evil.example` stays text.

Pure functions over plain dicts: no Slack SDK import, so this module is cheap to test.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bot.catalogue.text import flatten, strip_control
from bot.chat.render import clip, numbered, paging_footer, shows_suggestions
from bot.chat.render import safe_url as shared_safe_url
from bot.chat.text import STAR, summary_text
from bot.chat.values import Item, Post, Reply

# Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks): beyond them Slack rejects the message.
COMMAND_PREFIX = "/interp "  # how a command is typed here: what hints and posts name
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
CONTEXT_LIMIT = 2000
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
MAX_BLOCKS = 50
FALLBACK_LIMIT = 3000

PAGE_ACTION_PREFIX = "interp_page_"
PREVIOUS_PAGE_ACTION = PAGE_ACTION_PREFIX + "prev"
NEXT_PAGE_ACTION = PAGE_ACTION_PREFIX + "next"
MAX_PAGE = 9999

_KIND_MARK = {"error": ":warning: ", "usage": ":information_source: ", "not_found": ":mag: "}
# Characters that would end or split a `<url|label>` sequence, or that Slack would read as markup.
_URL_UNSAFE = {"|": "%7C", ">": "%3E", "<": "%3C", " ": "%20", '"': "%22", "`": "%60"}


def escape(text: str) -> str:
    """Make untrusted text inert in mrkdwn: exactly Slack's three control characters, and no invisible ones (bidi
    overrides, zero-width spaces) that make one title look like another."""
    return strip_control(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_url(url: str) -> str | None:
    """The URL ready to sit inside `<...|...>`, or None if it is not a plain http(s) URL."""
    checked = shared_safe_url(url)
    if checked is None:
        return None
    encoded = "".join(_URL_UNSAFE.get(ch, ch) for ch in checked)
    # Slack decodes &amp; throughout a message's text, URLs included; a raw `&lt;` in a query must stay literal.
    return encoded.replace("&", "&amp;")


def link(url: str, label: str) -> str:
    """`<url|label>` for a safe URL; the escaped label alone (no link) otherwise."""
    target = safe_url(url)
    text = escape(label.strip() or url)
    return f"<{target}|{text}>" if target else text


def fallback_text(reply: Reply) -> str:
    """The message's top-level `text`: notifications and screen readers. Slack parses it as mrkdwn too."""
    return escape(summary_text(reply, limit=FALLBACK_LIMIT))


def reply_blocks(reply: Reply, *, paging: bool = True) -> list[dict[str, Any]]:
    """Block Kit for one page of a reply; with `paging`, previous/next buttons when there are more pages."""
    head: list[dict[str, Any]] = [_title_block(reply)]
    if reply.text:
        head.extend(_section(chunk) for chunk in _chunks(escape(reply.text).splitlines(), SECTION_LIMIT))
    # Numbered like the console's text: on from the previous page.
    numbers = numbered(reply)
    items = [_section(item_mrkdwn(item, reply.first_number + offset if numbers else None))
             for offset, item in enumerate(reply.items)]
    tail: list[dict[str, Any]] = []  # after the items: fields, suggestions, the footer
    fields = [_field_text(f.name, f.value) for f in reply.fields]
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        tail.append({"type": "section", "fields": [_mrkdwn(f) for f in fields[start: start + FIELDS_PER_SECTION]]})
    if shows_suggestions(reply):
        tail.append(_context("Suggestions: " + ", ".join(escape(s) for s in reply.suggestions)))
    if footer := paging_footer(reply, prefix=COMMAND_PREFIX):  # as typed here; the buttons are below too
        tail.append(_context(escape(footer)))
    buttons = page_buttons(reply) if paging else None
    # Keep within Slack's block limit, dropping items from the end rather than failing the whole message; what
    # follows them (fields, the footer that says where to see the rest) stays, and the cut says how many are left.
    room = MAX_BLOCKS - (1 if buttons else 0)
    keep = room - len(head) - len(tail) - 1
    if len(head) + len(items) + len(tail) <= room:
        blocks = [*head, *items, *tail]
    elif keep > 0:
        blocks = [*head, *items[:keep], _context(f"…and {len(items) - keep} more"), *tail]
    else:
        blocks = [*[*head, *items, *tail][: room - 1], _context("… more than fits in one message")]
    if buttons:
        blocks.append(buttons)
    return blocks


def post_blocks(post: Post) -> list[dict[str, Any]]:
    """A candidate, decision or digest post: the reply without paging buttons (posts are not re-run)."""
    return reply_blocks(post.reply, paging=False)


def item_mrkdwn(item: Item, number: int | None = None) -> str:
    """One entry: bold title, its links, a detail line, and notes; within a section's 3000 characters."""
    prefix = f"*{number}.* " if number is not None else ""
    star = f"{STAR} " if item.starred else ""
    lines = [f"{prefix}{star}*{escape(clip(item.title, 500))}*"]
    if item.links:
        lines.append(" · ".join(link(it.url, clip(it.label, 80)) for it in item.links[:12]))
    if item.detail:
        lines.append(escape(clip(item.detail, 500)))
    lines.extend(f"– {escape(clip(note, 600))}" for note in item.notes)
    return _fit(lines, SECTION_LIMIT)


def page_buttons(reply: Reply) -> dict[str, Any] | None:
    """An actions block with ◀ / ▶ buttons that re-run the reply's command on the neighbouring page."""
    if reply.pages <= 1 or not reply.command:
        return None
    elements = []
    if reply.page > 1:
        value = page_value(reply.command, reply.page - 1)
        if value:
            elements.append(_button(f"◀ Page {reply.page - 1}", PREVIOUS_PAGE_ACTION, value))
    if reply.page < reply.pages:
        value = page_value(reply.command, reply.page + 1)
        if value:
            elements.append(_button(f"Page {reply.page + 1} of {reply.pages} ▶", NEXT_PAGE_ACTION, value))
    if not elements:
        return None
    return {"type": "actions", "block_id": "interp_paging", "elements": elements}


def page_value(command: str, page: int) -> str | None:
    """What a paging button carries back to us; None when the command is too long to fit in a button."""
    value = json.dumps({"command": command, "page": page}, ensure_ascii=False, separators=(",", ":"))
    return value if len(value) <= BUTTON_VALUE_LIMIT else None


def parse_page_value(value: str) -> tuple[str, int] | None:
    """The (command, page) a paging button carries, or None if it is not one of ours."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    command, page = data.get("command"), data.get("page")
    if not isinstance(command, str) or not command.strip() or len(command) > BUTTON_VALUE_LIMIT:
        return None
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= MAX_PAGE:
        return None
    return command, page


# ---------------------------------------------------------------------- helpers


def _title_block(reply: Reply) -> dict[str, Any]:
    mark = _KIND_MARK.get(reply.kind, "")
    target = safe_url(reply.url) if reply.url else None
    if target:
        # A header cannot hold a link; a bold linked title in a section can, while it fits. A link too long for
        # the section (a ~4,000-character URL made Slack refuse the whole message) leaves a plain header.
        linked = f"{mark}*<{target}|{escape(clip(reply.title, 500)) or 'link'}>*"
        if len(linked) <= SECTION_LIMIT:
            return _section(linked)
    # plain_text is never parsed for mentions or links, so the title needs no escaping here; nor for our code
    # spans, whose marks it shows as they are ("`candidates` is for ..."): dropped, as in Discord's titles. Slack
    # refuses an empty or blank one.
    title = clip(mark + flatten(reply.title.replace("`", "")), HEADER_LIMIT) or "…"
    return {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}}


def _field_text(name: str, value: str) -> str:
    return _fit([f"*{escape(clip(name, 100))}*", *escape(value).splitlines()], FIELD_LIMIT)


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack would otherwise turn a title's bare URL or #channel into a link and parse "certain
    # mentions" (its docs' words); our own links are `<url|label>`, which verbatim text still reads.
    return {"type": "mrkdwn", "text": text or " ", "verbatim": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(_fit(text.splitlines(), CONTEXT_LIMIT))]}


def _button(text: str, action_id: str, value: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": clip(text, BUTTON_TEXT_LIMIT), "emoji": True},
            "action_id": action_id, "value": value}


def _fit(lines: Iterable[str], limit: int) -> str:
    """Join whole lines while they fit; lines are already escaped, so cutting one could break markup."""
    kept: list[str] = []
    size = 0
    for line in lines:
        extra = len(line) + (1 if kept else 0)
        if size + extra > limit - 2:
            if not kept:  # one overlong first line: an escaped title; drop its tail at a safe point
                kept.append(_cut_escaped(line, limit - 2))
            kept.append("…")
            break
        kept.append(line)
        size += extra
    return "\n".join(kept)


def _chunks(lines: list[str], limit: int) -> list[str]:
    """Split escaped lines into sections of at most `limit` characters, never inside a line."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = line if len(line) <= limit else _cut_escaped(line, limit)
        if current and size + len(line) + 1 > limit:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        chunks.append("\n".join(current))
    return chunks


def _cut_escaped(text: str, limit: int) -> str:
    """Cut escaped mrkdwn at or before `limit` without splitting an `&...;` entity or a `<...>` link."""
    cut = text[:limit]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi:
        cut = cut[:amp]
    opened, closed = cut.rfind("<"), cut.rfind(">")
    if opened > closed:
        cut = cut[:opened]
    return cut
