"""Which of the maintainers' Slack user groups a person belongs to (who counts is decided by the core's
`Maintainers`, from these groups and the configured user ids).

User-group membership comes from `usergroups.users.list` (scope usergroups:read), cached for a few minutes
so a burst of reactions costs one call per group, and refreshed so a membership change takes effect
without a restart. A failing lookup (missing scope, Slack down) counts nobody in that group rather than
blocking votes; the warning says why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.adapters.slack.retry import api_error

log = logging.getLogger(__name__)

MEMBERSHIP_TTL = 300.0


@dataclass(frozen=True, slots=True)
class _Members:
    fetched_at: float
    users: frozenset[str]


class MaintainerDirectory:
    def __init__(
        self,
        client: Any,
        *,
        usergroups: Iterable[str] = (),
        ttl: float = MEMBERSHIP_TTL,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._client = client
        self.usergroups = tuple(dict.fromkeys(g for g in usergroups if g))
        self._ttl = ttl
        self._clock = clock
        self._members: dict[str, _Members] = {}
        self._refresh_lock = asyncio.Lock()

    async def roles_of(self, user_id: str) -> tuple[str, ...]:
        """The maintainer user groups (ids) this user belongs to."""
        if not self.usergroups or not user_id:
            return ()
        roles = []
        for group in self.usergroups:
            if user_id in await self._group_members(group):
                roles.append(group)
        return tuple(roles)

    async def _group_members(self, group: str) -> frozenset[str]:
        cached = self._members.get(group)
        if cached is not None and self._clock() - cached.fetched_at < self._ttl:
            return cached.users
        async with self._refresh_lock:  # one refresh per group, however many reactions arrive at once
            cached = self._members.get(group)
            if cached is not None and self._clock() - cached.fetched_at < self._ttl:
                return cached.users
            users = await self._fetch(group, previous=cached.users if cached else frozenset())
            self._members[group] = _Members(self._clock(), users)
            return users

    async def _fetch(self, group: str, *, previous: frozenset[str]) -> frozenset[str]:
        try:
            response = await self._client.usergroups_users_list(usergroup=group)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:  # refused, or Slack out of reach
            error = (api_error(exc) if isinstance(exc, SlackApiError) else "") or type(exc).__name__
            log.warning("cannot list members of Slack user group %s (%s); %s", group, error,
                        "keeping the last known members" if previous else "counting none of them as maintainers")
            return previous
        users = response.get("users") or []
        return frozenset(u for u in users if isinstance(u, str))
