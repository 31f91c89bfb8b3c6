"""Who counts: maps a platform user to one maintainer, so a person voting on Discord and Slack counts once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chat.values import Vote

if TYPE_CHECKING:
    from bot.settings import Settings


@dataclass(frozen=True)
class Maintainers:
    # (platform, user id) -> person name, from the config file's `maintainers:` list
    named: dict[tuple[str, str], str]
    user_ids: dict[str, frozenset[str]]  # platform -> user ids that count (named under their id)
    groups: dict[str, frozenset[str]]  # platform -> role ids (Discord) / user-group ids (Slack)
    console_name: str = "console"  # who sits at this terminal (INTERP_BOT_CONSOLE_MAINTAINER)
    names: frozenset[str] = frozenset()  # the people of the config's `maintainers:` list

    @classmethod
    def from_settings(cls, settings: Settings) -> Maintainers:
        named: dict[tuple[str, str], str] = {}
        for person in settings.maintainers:
            for user_id in person.discord:
                named[("discord", user_id)] = person.name
            for user_id in person.slack:
                named[("slack", user_id)] = person.name
        return cls(
            named=named,
            user_ids={"discord": frozenset(settings.discord_maintainer_user_ids),
                      "slack": frozenset(settings.slack_maintainer_user_ids)},
            groups={"discord": frozenset(settings.discord_maintainer_role_ids),
                    "slack": frozenset(settings.slack_maintainer_usergroups)},
            console_name=settings.console_maintainer,
            names=frozenset(person.name for person in settings.maintainers),
        )

    @classmethod
    def none(cls) -> Maintainers:
        """Nobody counts (an adapter built without maintainers configured)."""
        return cls(named={}, user_ids={}, groups={})

    def person(self, platform: str, user_id: str, roles: tuple[str, ...] = ()) -> str | None:
        """The maintainer behind this user, or None if their votes must not count."""
        if platform == "console":
            # A configured person is the same person at the terminal as on Discord and Slack: one vote.
            at_terminal = user_id or self.console_name
            return at_terminal if at_terminal in self.names else f"console:{at_terminal}"
        name = self.named.get((platform, user_id))
        if name:
            return name
        if user_id in self.user_ids.get(platform, ()) or set(roles) & self.groups.get(platform, frozenset()):
            return f"{platform}:{user_id}"
        return None

    def canonical(self, name: str) -> str:
        """The configured name `name` means, its case aside (`--as Bob` for bob), when exactly one matches."""
        same = [known for known in (*self.names, self.console_name) if known.casefold() == name.casefold()]
        return same[0] if len(set(same)) == 1 and name not in self.names else name

    def known(self, name: str) -> bool:
        """May a shell or console act as `name`? A configured maintainer, or the configured console maintainer."""
        return name in self.names or name == self.console_name

    def voter_now(self, person: str, platform: str, user_id: str) -> str | None:
        """Who a stored vote counts for under the maintainers configured now, or None when its voter is no maintainer
        now (the bot restarted with a shorter INTERP_BOT_MAINTAINERS): the row stays, the tally passes it over.

        A vote cast with a platform id (a reaction: `user_id` is the Discord or Slack id; a chat command:
        "slack:U01") is that id's person now, so one the list has renamed counts under the new name, and one it has
        dropped counts no more. One counted by a role or user group (stored as "discord:ID") counts while that
        platform has maintainer roles configured: a role taken away since is not seen from here. A vote typed under
        a name (the console, `interp-bot decide`, a chat command stored before the id was kept) is that name's, while
        the list (or INTERP_BOT_CONSOLE_MAINTAINER) still names it."""
        where, _, ident = user_id.partition(":")
        if not (where in self.user_ids and ident):  # not "slack:U01"
            if platform not in self.user_ids or not user_id or user_id == person:  # typed under a name
                if person in self.names:
                    return person
                at_terminal = person.removeprefix("console:")
                return self.person("console", at_terminal) if at_terminal == self.console_name else None
            where, ident = platform, user_id  # a reaction's platform id
        now = self.person(where, ident)
        if now is None and person == f"{where}:{ident}" and self.groups.get(where):
            return person
        return now

    def person_for_vote(self, vote: Vote) -> str | None:
        if vote.is_bot:
            return None
        person = self.person(vote.platform, vote.user_id, vote.roles)
        if person is None and not vote.added:
            # A removal takes back whatever vote the reaction cast, stored under the id its roles counted then: one
            # who has since left the server or lost the role (a Discord removal carries no roles at all).
            return f"{vote.platform}:{vote.user_id}"
        return person
