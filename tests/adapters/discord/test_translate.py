"""Documented reaction payloads -> neutral votes; catalogue -> autocomplete choices; no discord in the core."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import discord
import pytest

from bot.adapters.discord import translate
from bot.catalogue.model import Entry, Topic

DATA = Path(__file__).resolve().parents[2] / "data" / "discord"
BOT_ID = 1100000000000000001


def raw_event(name: str, event_type: str, **changes: object) -> discord.RawReactionActionEvent:
    data = {**json.loads((DATA / f"{name}.json").read_text(encoding="utf-8")), **changes}
    emoji = discord.PartialEmoji.from_dict(data["emoji"])
    return discord.RawReactionActionEvent(data, emoji, event_type)  # type: ignore[arg-type]


def test_a_removal_becomes_a_withdrawn_vote() -> None:
    payload = raw_event("reaction_remove", "REACTION_REMOVE")
    vote = translate.vote_from_reaction(payload, bot_user_id=BOT_ID, roles=("1400000000000000001",),
                                        gateway_position="session:42")
    assert vote.platform == "discord"
    assert vote.emoji == "white_check_mark"
    assert vote.added is False
    assert (vote.user_id, vote.channel_id, vote.message_id) == (
        "1500000000000000001", "1300000000000000001", "1800000000000000001")
    assert vote.roles == ("1400000000000000001",)
    assert vote.is_bot is False
    assert vote.event_id == "1800000000000000001:1500000000000000001:white_check_mark:remove:session:42"


def test_the_bots_own_reaction_is_marked() -> None:
    payload = raw_event("reaction_remove", "REACTION_REMOVE", user_id=str(BOT_ID))
    assert translate.vote_from_reaction(payload, bot_user_id=BOT_ID).is_bot


def test_custom_emoji_pass_through_as_discord_writes_them() -> None:
    payload = raw_event("reaction_remove", "REACTION_REMOVE", emoji={"id": "41771983429993937", "name": "LUL"})
    assert translate.vote_from_reaction(payload, bot_user_id=BOT_ID).emoji == "<:LUL:41771983429993937>"


def test_a_custom_emoji_named_like_a_voting_emoji_is_not_that_emoji() -> None:
    """A server's own emoji called `white_check_mark` (any picture) came in as the name alone and voted ✅."""
    for name in ("white_check_mark", "x", "one", "+1", "thumbsup"):
        for event, kind in (("reaction_add", "REACTION_ADD"), ("reaction_remove", "REACTION_REMOVE")):
            payload = raw_event(event, kind, emoji={"id": "41771983429993937", "name": name, "animated": True})
            vote = translate.vote_from_reaction(payload, bot_user_id=BOT_ID)
            assert vote.emoji == f"<a:{name}:41771983429993937>", (name, kind)


def test_a_deleted_custom_emoji_without_a_name_is_no_voting_emoji() -> None:
    """Discord sends a custom emoji deleted since as `{"id": ..., "name": null}`."""
    payload = raw_event("reaction_add", "REACTION_ADD", emoji={"id": "41771983429993937", "name": None})
    assert translate.vote_from_reaction(payload, bot_user_id=BOT_ID).emoji == "<:_:41771983429993937>"


def test_a_voting_emoji_in_discords_unicode_is_its_canonical_name() -> None:
    for char, name in (("✅", "white_check_mark"), ("❌", "x"), ("1️⃣", "one"), ("1⃣", "one"), ("👍", "+1")):
        payload = raw_event("reaction_add", "REACTION_ADD", emoji={"id": None, "name": char})
        assert translate.vote_from_reaction(payload, bot_user_id=BOT_ID).emoji == name, char


def test_a_thumb_in_any_skin_tone_is_the_same_vote() -> None:
    """Discord applies a user's default skin tone to 👍 by itself; such a maintainer's votes used to be lost as
    "not a voting emoji"."""
    for tone in "\U0001F3FB\U0001F3FC\U0001F3FD\U0001F3FE\U0001F3FF":
        for thumb, name in (("👍", "+1"), ("👎", "-1")):
            payload = raw_event("reaction_add", "REACTION_ADD", emoji={"id": None, "name": thumb + tone})
            vote = translate.vote_from_reaction(payload, bot_user_id=BOT_ID)
            assert vote.emoji == name, repr(thumb + tone)
            assert vote.event_id.split(":")[2] == name  # one event id per vote, whatever the tone


def test_re_adding_after_a_removal_is_a_new_event_but_a_replay_is_not() -> None:
    first = translate.vote_event_id(1, 2, "white_check_mark", True, "s:5")
    assert first != translate.vote_event_id(1, 2, "white_check_mark", True, "s:9")
    assert first == translate.vote_event_id(1, 2, "white_check_mark", True, "s:5")


def test_topic_choices_tell_same_named_topics_apart_by_path() -> None:
    topics = [Topic("a-general", "General", parent="a"), Topic("b-general", "General", parent="b"),
              Topic("probing", "Probing")]
    paths = {"a-general": "Application › General", "b-general": "Component › General"}
    assert translate.topic_choices(topics, paths) == [
        ("Application › General", "a-general"), ("Component › General", "b-general"), ("Probing", "probing")]


def test_paper_choices_cut_long_titles_and_answer_with_ids() -> None:
    entries = [Entry(id=f"e{i}", title="A very long title " * 10) for i in range(30)]
    choices = translate.paper_choices(entries)
    assert len(choices) == 25
    assert all(len(name) <= 100 for name, _ in choices)
    assert choices[0][1] == "e0"


def test_command_args_join_the_given_options() -> None:
    assert translate.command_args({"name": "logit lens"}) == "logit lens"
    assert translate.command_args({"count": None}) == ""
    assert translate.command_args({"count": 5}) == "5"


def test_the_core_and_the_adapter_package_do_not_import_discord() -> None:
    code = ("import sys, bot.cli, bot.commands, bot.curation.pipeline, bot.adapters.discord; "
            "sys.exit('discord' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_choices_drop_invisible_characters_that_disguise_a_title() -> None:
    entries = [Entry(id="e", title="\u202eamall\u202c Tuned\u200b Lens")]
    assert translate.paper_choices(entries) == [("amall Tuned Lens", "e")]


def test_a_choice_with_nothing_visible_left_is_named_by_its_id() -> None:
    """Discord refuses a whole autocomplete answer when one choice has an empty name."""
    entries = [Entry(id="zero-width", title="\u200b\u200e\u2060"), Entry(id="e", title="Tuned Lens")]
    assert translate.paper_choices(entries) == [("zero-width", "zero-width"), ("Tuned Lens", "e")]
    assert translate.topic_choices([Topic("blank", "\u200b")]) == [("blank", "blank")]


def test_a_decision_and_a_vote_become_the_grammars_argument_text() -> None:
    assert translate.decision_args(12) == "12"
    assert translate.decision_args(12, topic="sparse coding") == "12 --topic sparse coding"
    assert translate.vote_args("✅", 12, remove=False) == "✅ 12"
    assert translate.vote_args("white_check_mark", 12, remove=True) == "white_check_mark 12 --remove"


def test_the_vote_emoji_box_offers_the_configured_emoji_with_their_meaning() -> None:
    def offered(current: str) -> list[tuple[str, str]]:
        return translate.vote_emoji_choices(["white_check_mark"], ["x"], ["one", "two"], current)

    assert offered("") == [("✅ white_check_mark (approve)", "white_check_mark"), ("❌ x (reject)", "x"),
                           ("1️⃣ one (topic choice 1)", "one"), ("2️⃣ two (topic choice 2)", "two")]
    assert [value for _, value in offered("rej")] == ["x"]
    assert [value for _, value in offered("✅")] == ["white_check_mark"]  # the character, as a picker types it
    assert [value for _, value in offered(":two:")] == ["two"]
    assert len(offered("nothing like it")) == 4  # no match: every voting emoji, not an empty box


def test_reactions_cleared_from_a_message_name_its_emoji_or_none() -> None:
    """MESSAGE_REACTION_REMOVE_ALL and MESSAGE_REACTION_REMOVE_EMOJI as documented: which message, which emoji."""
    everything = discord.RawReactionClearEvent(json.loads((DATA / "reaction_remove_all.json").read_text("utf-8")))
    cleared = translate.cleared_from_event(everything, gateway_position="session:7")
    assert (cleared.platform, cleared.channel_id, cleared.message_id, cleared.emoji) == (
        "discord", "1300000000000000001", "1800000000000000001", None)
    assert cleared.event_id == "1800000000000000001:clear:*:session:7"

    data = json.loads((DATA / "reaction_remove_emoji.json").read_text("utf-8"))
    one = discord.RawReactionClearEmojiEvent(data, discord.PartialEmoji.from_dict(data["emoji"]))  # type: ignore[arg-type]
    assert translate.cleared_from_event(one).emoji == "white_check_mark"
    custom = {**data, "emoji": {"id": "41771983429993937", "name": "white_check_mark"}}
    one = discord.RawReactionClearEmojiEvent(custom, discord.PartialEmoji.from_dict(custom["emoji"]))  # type: ignore[arg-type]
    assert translate.cleared_from_event(one).emoji == "<:white_check_mark:41771983429993937>"


def test_a_super_reaction_is_told_from_a_normal_one() -> None:
    assert not translate.is_super_reaction(raw_event("reaction_add", "REACTION_ADD"))
    assert translate.is_super_reaction(raw_event("reaction_add", "REACTION_ADD", burst=True, type=1,
                                                 burst_colors=["#78b159"]))
    assert translate.is_super_reaction(raw_event("reaction_remove", "REACTION_REMOVE", burst=True, type=1))

@pytest.mark.parametrize(("line", "typed"), [
    ("candidates --all", "/interp candidates all:True"),
    ("candidates --page 2", "/interp candidates page:2"),
    ("recent", "/interp recent"),
])
def test_a_command_is_named_as_a_discord_user_types_it(line: str, typed: str) -> None:
    """`--all` is no Discord command: a subcommand's options are its fields (the digest names this one)."""
    assert translate.slash_command(line) == typed
