"""Plain-text rendering of neutral replies: the console's output and every adapter's fallback text."""

from __future__ import annotations

from bot.catalogue.text import strip_control
from bot.chat.render import clip, numbered, paging_footer, shows_suggestions
from bot.chat.values import Item, Reply

STAR = "🌟"


def item_lines(item: Item, number: int | None = None, *, urls: bool = True) -> list[str]:
    prefix = f"{number:>2}. " if number is not None else "• "
    star = f"{STAR} " if item.starred else ""
    lines = [f"{prefix}{star}{item.title}"]
    pad = " " * len(prefix)
    if item.detail:
        lines.append(f"{pad}{item.detail}")
    if item.links:
        if urls:
            lines.extend(f"{pad}[{link.label}] {link.url}" for link in item.links)
        else:
            lines.append(pad + " · ".join(link.label for link in item.links))
    lines.extend(f"{pad}– {note}" for note in item.notes)
    return lines


def render_text(reply: Reply, *, urls: bool = True, more: str | None = None, prefix: str = "") -> str:
    """A reply as readable plain text; control characters removed so nothing garbles a terminal. `more` and
    `prefix`: how the reader gets the next page (bot.chat.render.paging_footer)."""
    lines = [reply.title]
    if reply.text:
        lines.append(reply.text)
    if reply.items:
        lines.append("")
        numbers = numbered(reply)
        for offset, item in enumerate(reply.items):
            lines.extend(item_lines(item, reply.first_number + offset if numbers else None, urls=urls))
    for field in reply.fields:
        if "\n" in field.value:  # a list of lines: under its name, indented
            # At "\n" only: the lines hold untrusted titles, and a U+2028 or NEL in one (which splitlines() breaks
            # at too) is part of its line, made a space below with the other separators.
            lines += ["", f"{field.name}:", *(f"  {line}" for line in field.value.split("\n"))]
        else:
            lines.append(f"{field.name}: {field.value}")
    if shows_suggestions(reply):
        lines.append("Suggestions: " + ", ".join(reply.suggestions))
    if footer := paging_footer(reply, more, prefix=prefix):
        lines += ["", footer]
    return strip_control("\n".join(lines)).rstrip() + "\n"


def summary_text(reply: Reply, limit: int = 3000) -> str:
    """A short fallback for platforms that want one (notifications, screen readers)."""
    return clip(render_text(reply, urls=False), limit)
