"""The console's vote lines: an emoji (by name or as the character) and a candidate number, nothing else."""

from __future__ import annotations

import pytest

from bot.curation.maintainer_commands import emoji_vote_line


@pytest.mark.parametrize(
    ("line", "vote"),
    [
        (":white_check_mark: 12", "vote white_check_mark 12"),
        (":x: #4 --remove", "vote x 4 --remove"),
        ("✅ 12", "vote white_check_mark 12"),
        ("✔️ 7", "vote heavy_check_mark 7"),
        ("👍🏽 3", "vote +1 3"),  # a skin tone, as Discord and emoji pickers add it
        ("❌ 4 --remove", "vote x 4 --remove"),
    ],
)
def test_an_emoji_and_a_number_is_a_vote(line: str, vote: str) -> None:
    assert emoji_vote_line(line) == vote


@pytest.mark.parametrize("line", ["thumbsup 12", "é: 3", "№: 12", "topic 12", "recent 5", "🦄 3", "✅", "✅ twelve"])
def test_anything_else_stays_a_command_line(line: str) -> None:
    assert emoji_vote_line(line) is None
