"""Display rules every renderer (plain text, Discord embeds, Slack Block Kit) shares.

Each renderer escapes for its own platform; what to show, when to number, and which links may become clickable
is decided here once, so the platforms cannot drift apart.
"""

from __future__ import annotations

from bot.catalogue.text import valid_url
from bot.chat.values import Reply

# How a command is typed in a shell; where no chat adapter says otherwise (ChatAdapter.command_prefix), what posts
# and one-shot answers name.
SHELL_PREFIX = "interp-bot "


def safe_url(url: str) -> str | None:
    """The URL (stripped) if it may become a clickable link, else None.

    Only absolute http(s) URLs with a dotted host and no whitespace or control characters qualify: a
    `javascript:` or `file:` link, or one that would break out of a platform's link syntax with a newline, is
    shown as its label alone. Any Unicode space counts (Discord ends a link at a no-break space and reads the
    rest as markdown), and so does every invisible character (a bidi override disguises the target in the
    platform's "you are leaving" dialog). Platforms percent-encode their own delimiters on top of this.
    """
    url = url.strip()
    if not url.isprintable() or " " in url:  # not printable: controls, format characters, every space but " "
        return None
    return url if valid_url(url) else None


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in "…" when cut (trailing space before it dropped)."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


def numbered(reply: Reply) -> bool:
    """Are the reply's items numbered? Results with more than one item are; single answers and help are not."""
    return reply.kind == "result" and len(reply.items) > 1


def shows_suggestions(reply: Reply) -> bool:
    """Suggestions ("did you mean") are shown only when there is no answer to show instead."""
    return bool(reply.suggestions) and not reply.items


def paging_footer(reply: Reply, more: str | None = None, *, prefix: str = "") -> str:
    """The reply's footer, and when it has a next page, how to get it where it is read: `more`, a platform's own
    words (Discord's Next button: its slash commands take no --page), else the command typed with --page after
    `prefix`, as the console (""), Slack ("/interp ") and a shell ("interp-bot ") take it."""
    if not (reply.has_more and reply.command):
        return reply.footer
    hint = more if more is not None else f"`{prefix}{reply.command} --page {reply.page + 1}` for more"
    return f"{reply.footer} · {hint}" if reply.footer else hint
