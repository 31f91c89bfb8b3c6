"""Canonical emoji names, so that Discord's "✅" and Slack's "white_check_mark" are one vote.

The core speaks Slack-style short names; Discord's adapter translates its unicode reactions with
`to_name` and back with `to_unicode`.
"""

from __future__ import annotations

import re

_UNICODE_BY_NAME: dict[str, str] = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "+1": "👍",
    "thumbsup": "👍",
    "-1": "👎",
    "thumbsdown": "👎",
    "x": "❌",
    "no_entry_sign": "🚫",
    "one": "1️⃣",
    "two": "2️⃣",
    "three": "3️⃣",
    "four": "4️⃣",
    "five": "5️⃣",
    "star": "⭐",
    "eyes": "👀",
    "star2": "🌟",
}
_NAME_BY_UNICODE: dict[str, str] = {}
for _name, _char in _UNICODE_BY_NAME.items():
    _NAME_BY_UNICODE.setdefault(_char, _name)
    _NAME_BY_UNICODE.setdefault(_char.replace("\ufe0f", ""), _name)

TOPIC_CHOICES = ("one", "two", "three", "four", "five")
# A Discord server's own emoji as Discord writes it (and its picker types it): `<:approve:1234>`, animated `<a:…>`.
DISCORD_CUSTOM = re.compile(r"<a?:\w+:[0-9]+>")

# Fitzpatrick modifiers U+1F3FB-U+1F3FF: Discord adds a user's chosen skin tone to 👍 and 👎 by itself, so a
# thumbs up from that user arrives as "👍🏽" and must still be the one "+1" vote (Slack sends "+1::skin-tone-4").
_SKIN_TONES = dict.fromkeys(range(0x1F3FB, 0x1F400))


def to_name(emoji: str) -> str:
    """`✅`, `:white_check_mark:` or `white_check_mark` -> `white_check_mark`; skin tones dropped (both platforms')."""
    if (known := unicode_name(emoji)) is not None:
        return known
    name = emoji.strip().strip(":").split("::", 1)[0]
    return {"thumbsup": "+1", "thumbsdown": "-1"}.get(name, name)


def unicode_name(text: str) -> str | None:
    """The canonical name of an emoji character the bot knows (any skin tone, with or without VS16); else None."""
    text = text.strip()
    return _NAME_BY_UNICODE.get(text) or _NAME_BY_UNICODE.get(text.replace("\ufe0f", "").translate(_SKIN_TONES))


def sent_as_stored(name: str, platform: str) -> bool:
    """Can a reaction on `platform` arrive under this canonical name? Discord sends a reaction as its character
    (mapped back to a name by this module's table, or kept as the character), and a server's own emoji as its markup
    (`<:approve:1234>`, bot.adapters.discord.translate.emoji_name); Slack as its name: a name the table has no
    character for never arrives from Discord, nor a character from Slack, and its votes would never count."""
    if platform == "discord":
        return name in _UNICODE_BY_NAME or not name.isascii() or DISCORD_CUSTOM.fullmatch(name) is not None
    if platform == "slack":
        return name.isascii()
    return True


def known_names() -> list[str]:
    return list(_UNICODE_BY_NAME)


def to_unicode(name: str) -> str:
    """The unicode character for a canonical name (for Discord); the name itself if unknown."""
    return _UNICODE_BY_NAME.get(to_name(name), name)
