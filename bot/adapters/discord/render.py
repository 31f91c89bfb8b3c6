"""Neutral Reply / Post -> Discord message parts: an embed, a plain-text fallback, paging buttons.

Everything in a Reply is untrusted (titles and notes come from feeds and from the list's contributors), so every
string that Discord renders as markdown goes through `escape_text`: markdown, mentions and masked-link syntax are
neutralised. Reply.text, Reply.footer and Item.detail may carry `code spans` in backticks; `escape_rich` keeps those
and escapes the rest. Reply.title may too: an embed's title shows them as plain words (`plain`), the rest escaped.
Mentions can never ping anyway: every send passes `NO_MENTIONS`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import discord

from bot.catalogue.text import strip_control
from bot.chat.render import clip, numbered, paging_footer, shows_suggestions
from bot.chat.render import safe_url as shared_safe_url
from bot.chat.text import STAR, render_text
from bot.chat.values import Item, Link, Post, Reply

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()

# Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000
CUSTOM_ID_LIMIT = 100
URL_LIMIT = 2048  # Discord refuses a longer embed URL with "Invalid Form Body" (and the whole message with it)

KIND_COLOURS: dict[str, int] = {
    "result": 0x5865F2,  # blurple
    "help": 0x57F287,
    "usage": 0xFEE75C,
    "not_found": 0x99AAB5,
    "error": 0xED4245,
    "info": 0x5865F2,
}
POST_COLOURS: dict[str, int] = {"candidate": 0xFEE75C, "digest": 0x57F287}
# How a paged answer's footer says to get the next page here: `/interp` slash commands have no page option, and a
# paged answer always comes with its Previous / Next buttons (`pager`).
MORE_PAGES = "the Next button shows more"

_UNESCAPED_BRACKET = re.compile(r"(?<!\\)([\[\]])")
_BARE_URL = re.compile(r"(?<![<(])\bhttps?://[^\s<>]+")
# The markup in angle brackets escape_mentions leaves alone: channels <#id>, commands </name:id>, custom emoji
# <:name:id> and <a:name:id>, timestamps <t:...> and server pages <id:customize>.
_ANGLE_MARKUP = re.compile(r"<(?=[#/:]|a:|t:|id:)")


# ---------------------------------------------------------------------------------------------- escaping


def escape_text(text: str) -> str:
    """Untrusted text made inert for Discord markdown: no formatting, no mentions, no masked links, and no
    invisible characters (bidi overrides, zero-width spaces) that make one title look like another."""
    text = discord.utils.escape_markdown(strip_control(text))
    # escape_markdown only escapes a complete "[x](y)"; a bare "](" inside a label we wrap in our own masked
    # link would still close it early and inject a URL, so every bracket is escaped.
    text = _UNESCAPED_BRACKET.sub(r"\\\1", text)
    # A zero-width space after "<", as escape_mentions puts one after "@": the markup shows as the text it is.
    return discord.utils.escape_mentions(_ANGLE_MARKUP.sub("<\u200b", text))


def escape_rich(text: str) -> str:
    """Like escape_text, but `code spans` (the core's only markup) survive as code spans."""
    parts = strip_control(text).split("`")  # code spans too: a topic's title may reach one
    if len(parts) % 2 == 0:  # an unpaired backtick: treat the tail as plain text
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    out = []
    for position, part in enumerate(parts):
        if position % 2:
            out.append(f"`{part}`" if part.strip() else "")
        else:
            out.append(escape_text(part) if part else "")
    return "".join(out)


def plain(text: str) -> str:
    """For the places Discord shows literally (footers, button labels): drop the code-span marks."""
    return strip_control(text).replace("`", "")


def safe_url(url: str) -> str | None:
    """An http(s) URL safe inside `[label](url)`, or None: other schemes must not become clickable links."""
    checked = shared_safe_url(url)
    if checked is None:
        return None
    # Parentheses and angle brackets would end the masked link early.
    return checked.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def masked_link(link: Link) -> str:
    label = escape_text(link.label) or "link"
    url = safe_url(link.url)
    return f"[{label}]({url})" if url else label


def without_previews(text: str) -> str:
    """Wrap bare URLs in <...>, which tells Discord not to unfurl them."""
    return _BARE_URL.sub(lambda m: f"<{m.group(0)}>", text)


# ---------------------------------------------------------------------------------------------- replies


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """What one Discord message carries: the embed, and text for when embeds cannot be shown."""

    embed: discord.Embed
    fallback: str  # escaped plain text, previews suppressed, within the 2000-character limit


# Text is cut to the limit before escaping as well as after: escaping only lengthens it, so what lies past the limit
# could never be shown, and escaping megabytes of it (a hostile title) would only cost time.


def item_text(item: Item, number: int | None) -> str:
    star = f"{STAR} " if item.starred else ""
    prefix = f"**{number}.** " if number is not None else "• "
    lines = [f"{prefix}{star}{escape_text(clip(item.title, DESCRIPTION_LIMIT))}"]
    if item.links:
        lines.append(" · ".join(masked_link(link) for link in item.links))
    if item.detail:
        lines.append(escape_rich(clip(item.detail, DESCRIPTION_LIMIT)))
    lines.extend(f"– {escape_text(clip(note, DESCRIPTION_LIMIT))}" for note in item.notes)
    return "\n".join(lines)


def description_for(reply: Reply) -> str:
    return _description(reply)[0]


def _description(reply: Reply) -> tuple[str, int]:
    """The embed's description, and how many of the reply's items it shows whole."""
    blocks = [escape_rich(clip(reply.text, DESCRIPTION_LIMIT))] if reply.text else []
    numbers = numbered(reply)
    parts: list[tuple[Item, int | None] | str] = [
        (item, reply.first_number + offset if numbers else None) for offset, item in enumerate(reply.items)]
    if shows_suggestions(reply):
        parts.append("Did you mean: " + ", ".join(escape_text(clip(s, 200)) for s in reply.suggestions))
    # Drop whole items rather than cut one in the middle of a masked link.
    used = sum(len(b) + 2 for b in blocks)
    kept: list[str] = []
    shown = 0
    for part in parts:
        text = part if isinstance(part, str) else item_text(*part)
        if used + len(text) + 2 > DESCRIPTION_LIMIT - 40:
            kept.append(f"…and {len(parts) - len(kept)} more")
            break
        kept.append(text)
        used += len(text) + 2
        shown += not isinstance(part, str)
    return clip("\n\n".join(blocks + kept), DESCRIPTION_LIMIT), shown


def render_reply(reply: Reply, *, colour: int | None = None, footer: str | None = None) -> RenderedMessage:
    """A reply as an embed within every limit Discord has, for any input: over-long parts are cut, a link too long
    to be the title's URL is left off, and when the whole would exceed 6,000 characters fields go first, then the
    description is cut. `footer` replaces the reply's own."""
    url = safe_url(reply.url) if reply.url else None
    embed = discord.Embed(
        # No markdown of our own in a title: its code spans' marks are dropped (`candidates` is for...), as in a
        # footer; escaped, they showed as \`candidates\`. What is left is escaped as any untrusted text is.
        title=clip(escape_text(plain(clip(reply.title, TITLE_LIMIT))), TITLE_LIMIT) or None,
        description=description_for(reply) or None,
        colour=colour if colour is not None else KIND_COLOURS.get(reply.kind, KIND_COLOURS["info"]),
        url=url if url and len(url) <= URL_LIMIT else None,
    )
    for field in reply.fields[:FIELD_COUNT_LIMIT]:
        embed.add_field(name=clip(escape_text(clip(field.name, FIELD_NAME_LIMIT)), FIELD_NAME_LIMIT) or "\u200b",
                        value=clip(escape_text(clip(field.value, FIELD_VALUE_LIMIT)), FIELD_VALUE_LIMIT)
                        or "\u200b", inline=False)
    footer = plain(paging_footer(reply, MORE_PAGES)) if footer is None else footer
    if footer:
        embed.set_footer(text=clip(footer, FOOTER_LIMIT))
    while len(embed) > EMBED_TOTAL_LIMIT and embed.fields:
        embed.remove_field(-1)
    if len(embed) > EMBED_TOTAL_LIMIT and embed.description:
        embed.description = clip(embed.description, len(embed.description) - (len(embed) - EMBED_TOTAL_LIMIT))
    return RenderedMessage(embed=embed, fallback=fallback_content(reply))


def fallback_content(reply: Reply) -> str:
    """The reply as message content, for channels where the bot lacks Embed Links."""
    return clip(without_previews(escape_text(clip(render_text(reply, more=MORE_PAGES), CONTENT_LIMIT))),
                CONTENT_LIMIT)


def render_post(post: Post) -> RenderedMessage:
    """A candidate or digest: the key goes in the footer so a post can be traced back to its candidate."""
    colour = POST_COLOURS.get(post.kind) if post.reply.kind == "result" else None
    footer = plain(post.reply.footer)
    # The key stays whole (a post is traced back by it): the reply's own footer gives way.
    footer = f"{clip(footer, FOOTER_LIMIT - len(post.key) - 3)} · {post.key}" if footer else post.key
    return render_reply(post.reply, colour=colour, footer=footer)


POST_MESSAGES_LIMIT = 5  # a post longer than this many embeds counts what is left in the last one


def render_post_messages(post: Post) -> list[RenderedMessage]:
    """A post as one message, or, when its items do not fit one embed's description (a busy day's digest, ~17
    papers a message), as several: the first as `render_post` makes it, the others continuing its items under the
    same title. Papers are never dropped below POST_MESSAGES_LIMIT messages (~85 papers)."""
    shown = _description(post.reply)[1]
    if shown >= len(post.reply.items):
        return [render_post(post)]
    pages = [replace(post.reply, items=post.reply.items[:shown])]
    rest = post.reply.items[shown:]
    numbering = post.reply.first_number + shown
    while rest:
        page = replace(post.reply, text="", items=rest, first_number=numbering, url="", fields=())
        if len(pages) < POST_MESSAGES_LIMIT - 1:
            _, fits = _description(page)
            page = replace(page, items=rest[:max(fits, 1)])
        pages.append(page)
        rest = rest[len(page.items):]
        numbering += len(page.items)
    messages = []
    for number, page in enumerate(pages, 1):
        part = f"{number}/{len(pages)}"
        if number > 1:
            page = replace(page, title=f"{clip(post.reply.title, TITLE_LIMIT - 20)} (continued, {part})")
        messages.append(render_post(replace(post, key=f"{post.key} · {part}", reply=page)))
    return messages


def post_nonce(key: str) -> str:
    """A deterministic nonce for a post key: Discord returns the earlier message for a repeated nonce
    (with enforce_nonce) instead of creating a second one. At most 25 characters, as Discord requires."""
    return str(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 1)


# ---------------------------------------------------------------------------------------------- paging

# A button's id says what it does: the page it opens and the command, or "#" and a key for a command too long to
# fit (Discord allows 100 characters), which the running adapter keeps.
_PAGE_ID = r"(?s)interp:page:(?P<page>\d{1,4}):(?P<command>.*)"
LONG_COMMAND_MARK = "#"


def page_custom_id(command: str, page: int) -> str:
    """Buttons say what they do: the command (or its key) and the page they open (cut to Discord's 100)."""
    return f"interp:page:{page}:{command}"[:CUSTOM_ID_LIMIT]


def page_id_room(page: int) -> int:
    """How many characters of a command fit in a button's id beside `page`."""
    return CUSTOM_ID_LIMIT - len(page_custom_id("", page))


def parse_page_custom_id(custom_id: str) -> tuple[int, str] | None:
    match = re.fullmatch(_PAGE_ID, custom_id)
    return (int(match.group("page")), match.group("command")) if match else None


class PageKeys:
    """Commands too long for a button's id (Discord allows 100 characters) stand there as a short key, kept in
    memory for the `kept` most recent (after a restart their buttons ask to run the command again)."""

    def __init__(self, kept: int):
        self.kept = kept
        self._commands: OrderedDict[str, str] = OrderedDict()

    def id_command(self, command: str, pages: int) -> str:
        """What a button's id holds for `command`: itself, or its key when it is too long to fit."""
        if len(command) <= page_id_room(pages) and not command.startswith(LONG_COMMAND_MARK):
            return command
        key = LONG_COMMAND_MARK + hashlib.sha256(command.encode()).hexdigest()[:16]
        self._commands[key] = command
        self._commands.move_to_end(key)
        while len(self._commands) > self.kept:
            self._commands.popitem(last=False)
        return key

    def command(self, id_command: str) -> str | None:
        """The command a button's id stands for; None for a key no longer kept."""
        return self._commands.get(id_command) if id_command.startswith(LONG_COMMAND_MARK) else id_command


TurnPage = Callable[[discord.Interaction, str, int], Awaitable[None]]


class PageButton(discord.ui.DynamicItem[discord.ui.Button["discord.ui.View"]], template=_PAGE_ID):
    """Previous or Next under a paged reply. Stateless: everything a click needs is in the button's id, so the
    buttons work for as long as the message stands, after a reconnect or a restart too (a view held in memory
    was gone then, and its buttons answered "This interaction failed"). The client is registered for these ids
    (`add_dynamic_items`); its adapter turns the page (`DiscordAdapter.turn_page`)."""

    def __init__(self, command: str, page: int, *, label: str = "Next",
                 style: discord.ButtonStyle = discord.ButtonStyle.primary, disabled: bool = False):
        super().__init__(discord.ui.Button(label=label, style=style, disabled=disabled,
                                           custom_id=page_custom_id(command, page)))
        self.command, self.page = command, page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[discord.ui.View],
                             match: re.Match[str], /) -> PageButton:
        return cls(match.group("command"), int(match.group("page")))

    async def callback(self, interaction: discord.Interaction) -> None:
        adapter = getattr(interaction.client, "adapter", None)  # the InterpClient's DiscordAdapter
        turn_page: TurnPage | None = getattr(adapter, "turn_page", None)
        if turn_page is not None:
            await turn_page(interaction, self.command, self.page)


def pager(reply: Reply, command: str) -> discord.ui.View:
    """Previous / Next for `reply`, a page of `command` (the command itself, or the key of a long one)."""
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(command, max(1, reply.page - 1), label="Previous",
                             style=discord.ButtonStyle.secondary, disabled=reply.page <= 1))
    view.add_item(PageButton(command, min(reply.pages, reply.page + 1), disabled=reply.page >= reply.pages))
    return view
