"""A clock a test moves by hand (`clock.now += timedelta(...)`), handed to whatever takes a clock."""

from __future__ import annotations

from datetime import datetime


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now
