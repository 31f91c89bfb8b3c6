import json
import re

from hypothesis import HealthCheck, given, settings

from bot.adapters.slack.render import (
    MAX_BLOCKS,
    NEXT_PAGE_ACTION,
    PREVIOUS_PAGE_ACTION,
    SECTION_LIMIT,
    escape,
    fallback_text,
    link,
    page_value,
    parse_page_value,
    post_blocks,
    reply_blocks,
    safe_url,
)
from bot.chat.values import Field, Item, Link, Post, Reply
from tests.adapters.replies import posts, replies
from tests.fakes.slack_fake import block_kit_problems

HOSTILE = "<!channel> <!here> <@U1> <https://evil.example|arxiv.org> R&D <#C1> <!subteam^S1>"


def mrkdwn_texts(blocks):
    """Every mrkdwn string in the blocks (the only places Slack parses mentions and links), each asserted
    verbatim: without it Slack links a title's bare URL and #channel, and parses "certain mentions" itself."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                assert node.get("verbatim") is True, node
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


def control_sequences(text):
    return re.findall(r"<[^>]*>", text)


def test_escape_touches_exactly_three_characters():
    assert escape("a & b < c > d *bold* _it_ ~s~ `code` @here") == \
        "a &amp; b &lt; c &gt; d *bold* _it_ ~s~ `code` @here"


def test_hostile_text_stays_inert_everywhere():
    reply = Reply(title=HOSTILE, text=HOSTILE, footer=HOSTILE, suggestions=(HOSTILE,),
                  items=(Item(title=HOSTILE, detail=HOSTILE, notes=(HOSTILE,),
                              links=(Link(HOSTILE, "https://arxiv.org/abs/2401.00001"),)),
                         Item(title="second")),
                  fields=(Field(HOSTILE, HOSTILE),))
    blocks = reply_blocks(reply)
    texts = mrkdwn_texts(blocks)
    assert texts
    for text in texts:
        # The only angle-bracket sequences left are links we built ourselves, to the catalogued URL.
        for sequence in control_sequences(text):
            assert sequence.startswith("<https://arxiv.org/abs/2401.00001|"), sequence
        assert "<!channel>" not in text
        assert "<@U1>" not in text
        assert "<https://evil" not in text
    assert any("&lt;!channel&gt;" in t for t in texts)
    assert "R&amp;D" in "".join(texts)
    fallback = fallback_text(reply)
    assert control_sequences(fallback) == []
    assert "&lt;!here&gt;" in fallback
    # the header is plain_text, which Slack never parses for mentions: the title may stay as written
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["type"] == "plain_text"
    assert blocks[0]["text"]["text"].startswith("<!channel>")


def test_links_are_only_built_from_http_urls_with_separators_encoded():
    assert link("https://arxiv.org/abs/2401.00001", "arxiv 2401") == "<https://arxiv.org/abs/2401.00001|arxiv 2401>"
    assert link("javascript:alert(1)", "click") == "click"
    assert link("slack://open", "x") == "x"
    assert link("https://", "x") == "x"
    assert link("https://a.example/x|<!channel>", "a>b") == "<https://a.example/x%7C%3C!channel%3E|a&gt;b>"
    assert safe_url("https://a.example/?q=1&lt;2") == "https://a.example/?q=1&amp;lt;2"
    assert safe_url("https://a.example/\nx") is None


def test_title_links_to_the_reply_url_when_it_is_safe():
    blocks = reply_blocks(Reply(title="A <b> paper", url="https://arxiv.org/abs/1"))
    assert blocks[0]["text"]["text"] == "*<https://arxiv.org/abs/1|A &lt;b&gt; paper>*"
    blocks = reply_blocks(Reply(title="A paper", url="file:///etc/passwd"))
    assert blocks[0]["type"] == "header"


def test_paging_buttons_carry_the_command_and_the_neighbouring_pages():
    reply = Reply(title="T", items=(Item("a"), Item("b")), page=2, pages=3, command="topic function")
    actions = reply_blocks(reply)[-1]
    assert actions["type"] == "actions"
    prev, nxt = actions["elements"]
    assert prev["action_id"] == PREVIOUS_PAGE_ACTION
    assert parse_page_value(prev["value"]) == ("topic function", 1)
    assert nxt["action_id"] == NEXT_PAGE_ACTION
    assert parse_page_value(nxt["value"]) == ("topic function", 3)
    assert all(b["type"] != "actions" for b in reply_blocks(Reply(title="T", pages=1, command="x")))
    assert all(b["type"] != "actions" for b in post_blocks(Post(key="k", kind="digest", reply=reply)))


def test_a_paged_answer_names_the_typed_command_for_its_next_page():
    """`/interp candidates --page 2` works on Slack (as `candidates --page 2` does in the console), and is named as
    typed there (it said `candidates --page 2`, which Slack takes as a message); Discord, whose slash commands have
    no page option, names its Next button."""
    reply = Reply(title="T", items=(Item("a"),), footer="page 1/2", page=1, pages=2, command="candidates")
    (context,) = [b for b in reply_blocks(reply) if b["type"] == "context"]
    assert context["elements"][0]["text"] == "page 1/2 · `/interp candidates --page 2` for more"


def test_page_values_are_validated_when_they_come_back():
    assert parse_page_value(page_value("search ROME", 2)) == ("search ROME", 2)
    for bad in ("", "nope", "[]", json.dumps({"command": "x", "page": 0}), json.dumps({"command": "", "page": 2}),
                json.dumps({"command": "x", "page": True}), json.dumps({"command": 3, "page": 2})):
        assert parse_page_value(bad) is None
    assert page_value("search " + "x" * 3000, 2) is None


def test_messages_stay_within_block_kit_limits():
    long = "&" * 5000
    items = tuple(Item(title=long, notes=(long, long), detail=long) for _ in range(80))
    blocks = reply_blocks(Reply(title=long, text=long, items=items, footer=long, page=1, pages=2, command="c"))
    assert len(blocks) <= MAX_BLOCKS
    assert blocks[-1]["type"] == "actions"
    for text in mrkdwn_texts(blocks):
        assert len(text) <= SECTION_LIMIT
        assert not re.search(r"&(?!amp;|lt;|gt;)", text)  # never an entity cut in half
    assert len(blocks[0]["text"]["text"]) <= 150


def test_entries_render_with_star_links_detail_and_notes():
    text = reply_blocks(Reply(title="T", items=(
        Item(title="Tuned Lens", starred=True, links=(Link("arxiv 2303", "https://arxiv.org/abs/2303.08112"),),
             detail="Probing › `probing`", notes=("a note",)), Item(title="x")), kind="result"))[1]["text"]["text"]
    assert text.splitlines() == ["*1.* 🌟 *Tuned Lens*", "<https://arxiv.org/abs/2303.08112|arxiv 2303>",
                                 "Probing › `probing`", "– a note"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(reply=replies)
def test_every_reply_fits_every_block_kit_limit(reply) -> None:
    assert block_kit_problems(reply_blocks(reply)) == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(post=posts)
def test_every_post_fits_every_block_kit_limit(post) -> None:
    assert block_kit_problems(post_blocks(post)) == []


def test_a_4000_character_link_still_fits_the_title_section() -> None:
    """The candidate that stopped all Slack posting: its title section rendered at 4,033 characters."""
    long_url = "https://www.lesswrong.com/posts/" + "x" * 4000
    blocks = post_blocks(Post(key="candidate:url:x", kind="candidate", reply=Reply(title="A title", url=long_url)))
    assert block_kit_problems(blocks) == []
    assert "A title" in json.dumps(blocks)


def test_invisible_characters_of_catalogue_text_never_reach_blocks():
    """The console stripped them; Block Kit did not (hand-edited or GitHub-synced YAML is not cleaned at intake)."""
    disguised = "\u202eamall\u202c and\u200b \u2066Tuned Lens\u2069"
    for url in ("", "https://arxiv.org/abs/2401.00001"):  # a plain header, and a linked title section
        reply = Reply(title=disguised, text=disguised, footer=disguised, suggestions=(disguised,), url=url,
                      items=(Item(title=disguised, notes=(disguised,), detail=disguised,
                                  links=(Link(disguised, "https://arxiv.org/abs/2401.00001"),)),))
        shown = json.dumps([reply_blocks(reply), fallback_text(reply)], ensure_ascii=False)
        assert "amall" in shown
        for invisible in "\u202e\u202c\u200b\u2066\u2069":
            assert invisible not in shown


def test_a_line_separator_parts_a_titles_words_in_the_plain_header_too():
    """A post without a link has a plain_text header, flattened on its own path: it dropped U+2028 as well."""
    blocks = post_blocks(Post(key="candidate:x", kind="candidate", reply=Reply(title="Sparse\u2028Autoencoders")))
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Sparse Autoencoders",
                                                    "emoji": True}}


def test_a_header_shows_our_code_spans_as_plain_words() -> None:
    """A header is plain text: "`candidates` is for the list's maintainers" showed its backticks."""
    (header, *_) = reply_blocks(Reply(title="`candidates` is for the list's maintainers", kind="error"))
    assert header == {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                                 "text": ":warning: candidates is for the list's maintainers"}}
