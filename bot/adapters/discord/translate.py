"""Discord events -> neutral values: who is acting (Actor), what they asked (command args), how they voted (Vote).

Kept free of any client state so it can be tested on documented payloads alone; the connection supplies what
only a live client knows (the bot's own user id, a member's roles fetched after a removal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import discord

from bot.catalogue.model import Entry, Topic
from bot.catalogue.text import flatten
from bot.chat import emoji
from bot.chat.values import Actor, ReactionsCleared, Vote
from bot.curation.maintainers import Maintainers

PLATFORM = "discord"
CHOICE_LIMIT = 25  # Discord shows at most 25 autocomplete choices
CHOICE_TEXT_LIMIT = 100  # ...each name and string value at most 100 characters


def slash_command(line: str) -> str:
    """A neutral command line with `--name [value]` options as a Discord user types it: `/interp candidates --all`
    is no Discord command, where each option is a field of the subcommand (`/interp candidates all:True`).
    Positional words are kept as they are: a line that has them needs its fields' names, which only the command's
    definition knows (bot.adapters.discord.commands); posts name none so far."""
    name, *words = line.split()
    parts = [f"/interp {name}"]
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("--") and index + 1 < len(words) and not words[index + 1].startswith("--"):
            parts.append(f"{word[2:]}:{words[index + 1]}")
            index += 2
            continue
        parts.append(f"{word[2:]}:True" if word.startswith("--") else word)
        index += 1
    return " ".join(parts)


def role_ids(member: discord.Member | discord.User | None) -> tuple[str, ...]:
    """A member's role ids as strings (a plain User, e.g. in a DM, has none)."""
    if not isinstance(member, discord.Member):
        return ()
    return tuple(str(role.id) for role in member.roles if not role.is_default())


def actor_for(user: discord.Member | discord.User, maintainers: Maintainers) -> Actor:
    """The person behind an interaction; maintainers are recognised exactly as curation counts their votes."""
    is_maintainer = maintainers.person(PLATFORM, str(user.id), role_ids(user)) is not None
    return Actor(platform=PLATFORM, user_id=str(user.id), display_name=user.display_name,
                 is_maintainer=is_maintainer)


def command_args(options: Mapping[str, object]) -> str:
    """A slash command's typed options -> the argument text of the neutral grammar."""
    values = [str(value) for value in options.values() if value is not None and str(value).strip()]
    return " ".join(values).strip()


def decision_args(number: int, *, topic: str | None = None) -> str:
    """`/interp approve id:12 topic:...` -> `12 --topic ...`, as the grammar reads an approval or a rejection."""
    return f"{number} --topic {topic}" if topic and topic.strip() else str(number)


def vote_args(emoji_text: str, number: int, *, remove: bool) -> str:
    """`/interp vote emoji:✅ id:12 remove:True` -> `✅ 12 --remove`, as the grammar reads a vote."""
    return f"{emoji_text.strip()} {number}{' --remove' if remove else ''}"


def vote_emoji_choices(approve: Iterable[str], reject: Iterable[str], topics: Iterable[str],
                       current: str) -> list[tuple[str, str]]:
    """(shown name, value) pairs for the vote's emoji box: the configured voting emoji, each with what it means,
    those whose name or meaning holds what was typed first."""
    meanings = [*((name, "approve") for name in approve), *((name, "reject") for name in reject),
                *((name, f"topic choice {n}") for n, name in enumerate(topics, 1))]
    typed = emoji.unicode_name(current) or current.strip().strip(":").lower()
    pairs = [(f"{emoji.to_unicode(name)} {name} ({meaning})", name) for name, meaning in meanings]
    pairs = [pair for pair in pairs if typed in pair[0].lower() or typed == pair[1]] or pairs
    return [(_choice_text(shown), value[:CHOICE_TEXT_LIMIT]) for shown, value in pairs[:CHOICE_LIMIT]]


def vote_event_id(message_id: int | str, user_id: int | str, emoji_name: str, added: bool,
                  gateway_position: str = "") -> str:
    """Identifies one reaction event for the core's replay check.

    The gateway position (session id and sequence number) is what makes it unique: without it, a maintainer
    who adds, removes and re-adds ✅ would send a second "add" identical to the first, which the core would
    drop as a replay. A RESUME redelivers missed events with their original sequence numbers, so a true
    replay still gets the same id."""
    base = f"{message_id}:{user_id}:{emoji_name}:{'add' if added else 'remove'}"
    return f"{base}:{gateway_position}" if gateway_position else base


def emoji_name(reacted: discord.PartialEmoji) -> str:
    """The emoji's canonical name when it is a Unicode emoji the bot knows (`✅` -> `white_check_mark`), else the
    emoji as Discord writes it. A server's custom emoji is `<:name:id>`, never its bare name: a custom emoji called
    `white_check_mark` or `x` can be any picture, and counted as a ✅ or ❌ vote by its name alone."""
    if reacted.id is None:
        text = reacted.name or ""
        return emoji.unicode_name(text) or text
    return str(reacted)


def is_super_reaction(payload: discord.RawReactionActionEvent) -> bool:
    """A super reaction (`burst: true`, `type: 1`). It is not a vote: it stands beside the same person's normal
    reaction of the same emoji, each added and removed on its own, and both counted as one vote row, taking a super ✅
    off withdrew the vote while the normal ✅ still showed."""
    return bool(payload.burst) or payload.type == discord.ReactionType.burst


def vote_from_reaction(
    payload: discord.RawReactionActionEvent,
    *,
    bot_user_id: int | None,
    roles: Iterable[str] = (),
    member_is_bot: bool = False,
    gateway_position: str = "",
) -> Vote:
    """A raw reaction event -> a neutral Vote. Raw events arrive for every message, cached or not."""
    added = payload.event_type == "REACTION_ADD"
    name = emoji_name(payload.emoji)
    member = payload.member
    if member is not None:
        roles = role_ids(member)
        member_is_bot = member_is_bot or member.bot
    return Vote(
        platform=PLATFORM,
        user_id=str(payload.user_id),
        channel_id=str(payload.channel_id),
        message_id=str(payload.message_id),
        emoji=name,
        added=added,
        event_id=vote_event_id(payload.message_id, payload.user_id, name, added, gateway_position),
        is_bot=member_is_bot or (bot_user_id is not None and payload.user_id == bot_user_id),
        roles=tuple(roles),
    )


def cleared_from_event(payload: discord.RawReactionClearEvent | discord.RawReactionClearEmojiEvent, *,
                       gateway_position: str = "") -> ReactionsCleared:
    """MESSAGE_REACTION_REMOVE_ALL (every emoji) or MESSAGE_REACTION_REMOVE_EMOJI (one) -> ReactionsCleared.
    Like a vote's, its id is unique by its gateway position: clearing, re-adding and clearing again is two clears."""
    name = emoji_name(payload.emoji) if isinstance(payload, discord.RawReactionClearEmojiEvent) else None
    base = f"{payload.message_id}:clear:{name if name is not None else '*'}"
    return ReactionsCleared(platform=PLATFORM, channel_id=str(payload.channel_id),
                            message_id=str(payload.message_id), emoji=name,
                            event_id=f"{base}:{gateway_position}" if gateway_position else base)


def _choice_text(text: str) -> str:
    text = flatten(text)
    return text if len(text) <= CHOICE_TEXT_LIMIT else text[: CHOICE_TEXT_LIMIT - 1] + "…"


def topic_choices(topics: Iterable[Topic], path_of: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(shown name, value) pairs for the topic box: the value is the slug, which `topic` resolves exactly.
    Topics sharing a title ("General") are told apart by their path."""
    chosen = list(topics)[:CHOICE_LIMIT]
    titles = [t.title for t in chosen]
    pairs = []
    for topic in chosen:
        name = topic.title
        if titles.count(topic.title) > 1 and path_of and topic.slug in path_of:
            name = path_of[topic.slug]
        pairs.append((_choice_text(name) or topic.slug[:CHOICE_TEXT_LIMIT], topic.slug[:CHOICE_TEXT_LIMIT]))
    return pairs


def paper_choices(entries: Iterable[Entry]) -> list[tuple[str, str]]:
    """(title, entry id) pairs for the paper box: `paper` accepts an id, so a pick is always exact."""
    # A name nothing is left of (a title of invisible characters) would make Discord refuse every choice: the id.
    return [(_choice_text(entry.title) or entry.id[:CHOICE_TEXT_LIMIT], entry.id[:CHOICE_TEXT_LIMIT])
            for entry in list(entries)[:CHOICE_LIMIT]]
