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

    def person_for_vote(self, vote: Vote) -> str | None:
        if vote.is_bot:
            return None
        person = self.person(vote.platform, vote.user_id, vote.roles)
        if person is None and not vote.added:
            # A removal takes back whatever vote the reaction cast, stored under the id its roles counted then: one
            # who has since left the server or lost the role (a Discord removal carries no roles at all).
            return f"{vote.platform}:{vote.user_id}"
        return person
