import pytest

from bot.adapters.slack import translate
from tests.fakes.slack_fake import sample


def test_reaction_added_becomes_a_vote_keyed_by_the_envelope_event_id():
    vote = translate.vote_from_event(sample("reaction_added"), bot_user_id="UBOTINTERP", roles=("S0MAINT",))
    assert vote is not None
    assert (vote.platform, vote.user_id, vote.channel_id, vote.message_id) == \
        ("slack", "U0MAINT01", "C0MAINTAIN", "1360782400.498405")
    assert (vote.emoji, vote.added, vote.event_id, vote.is_bot, vote.roles) == \
        ("white_check_mark", True, "Ev0REACT0001", False, ("S0MAINT",))


def test_reaction_removed_is_a_withdrawn_vote():
    vote = translate.vote_from_event(sample("reaction_removed"), bot_user_id="UBOTINTERP")
    assert vote is not None
    assert vote.added is False
    assert vote.event_id == "Ev0REACT0002"


def test_skin_tones_and_aliases_map_to_canonical_names():
    body = sample("reaction_added")
    body["event"] = body["event"] | {"reaction": "+1::skin-tone-3"}
    assert translate.vote_from_event(body, bot_user_id="UB").emoji == "+1"
    body["event"] = body["event"] | {"reaction": "thumbsup"}
    assert translate.vote_from_event(body, bot_user_id="UB").emoji == "+1"


def test_the_bots_own_reaction_is_marked():
    body = sample("reaction_added")
    body["event"] = body["event"] | {"user": "UBOTINTERP"}
    assert translate.vote_from_event(body, bot_user_id="UBOTINTERP").is_bot


def test_non_message_items_and_malformed_events_are_not_votes():
    body = sample("reaction_added")
    body["event"] = body["event"] | {"item": {"type": "file", "file": "F1"}}
    assert translate.vote_from_event(body, bot_user_id="UB") is None
    assert translate.vote_from_event({"event": {"type": "message"}}, bot_user_id="UB") is None
    assert translate.vote_from_event({"event": "junk"}, bot_user_id="UB") is None
    body = sample("reaction_added")
    body["event"] = body["event"] | {"user": None}
    assert translate.vote_from_event(body, bot_user_id="UB") is None
    for odd_type in (["reaction_added"], {"reaction_added": True}, None, 7):  # used to raise TypeError (unhashable)
        body = sample("reaction_added")
        body["event"] = body["event"] | {"type": odd_type}
        assert translate.vote_from_event(body, bot_user_id="UB") is None


def test_slash_command_fields():
    payload = sample("slash_command")
    assert translate.command_line(payload) == "topic probing"
    assert translate.command_user(payload) == ("U0READER1", "ada")
    assert translate.command_line({"text": None}) == ""
    actor = translate.actor("U0READER1", "ada", is_maintainer=True)
    assert (actor.platform, actor.user_id, actor.is_maintainer) == ("slack", "U0READER1", True)


def test_paging_click():
    request = translate.page_request(sample("block_actions"))
    assert request == translate.PageRequest("topic probing", 2, "U0READER1", "ada")
    other = sample("block_actions")
    other["actions"] = [other["actions"][0] | {"action_id": "someone_elses_button"}]
    assert translate.page_request(other) is None
    other["actions"] = [other["actions"][0] | {"action_id": "interp_page_next", "value": "{}"}]
    assert translate.page_request(other) is None
    assert translate.page_request({"actions": []}) is None


@pytest.mark.parametrize(("sent", "typed"), [
    ("search R&amp;D &lt;probing&gt;", "search R&D <probing>"),  # Slack's three entities
    ("paper <https://arxiv.org/abs/2303.08112>", "paper https://arxiv.org/abs/2303.08112"),  # an escaped link
    ("paper <https://arxiv.org/abs/2303.08112|arxiv.org/abs/2303.08112>", "paper arxiv.org/abs/2303.08112"),
    ("search <http://README.md|README.md>", "search README.md"),  # a word Slack took for a domain
    ("search <@U0READER1|ada> &amp;amp;", "search ada &amp;"),  # a mention; a typed entity stays as typed
])
def test_a_slash_command_is_read_as_typed_not_as_slack_escaped_it(sent, typed):
    """`paper <https://...>` found nothing and `R&amp;D` was searched for "amp"."""
    assert translate.command_line({"text": sent}) == typed


@pytest.mark.parametrize(("text", "vote"), [
    (":white_check_mark: 12", "vote white_check_mark 12"),
    (":+1::skin-tone-3: 12", "vote +1 12"),  # a thumbs up with a skin tone, as Slack writes it into the text
    ("✅ 12 --remove", "vote white_check_mark 12 --remove"),  # typed from the OS emoji picker
    (":x: twelve", "vote :x: twelve"),  # a vote gone wrong: the vote's usage, not "Unknown command"
    ("topic probing", None),
])
def test_a_slash_command_typed_as_a_reaction_is_a_vote(text, vote):
    """The slash command's payload (tests/data/slack/slash_command.json) with what a maintainer typed after /interp:
    the same line rule as the console's turns it into the `vote` command."""
    from bot.curation.maintainer_commands import vote_line

    assert vote_line(translate.command_line(sample("slash_command", text=text))) == vote
