"""Reply / Post -> embed: escaping, links, limits, fallback text, nonces and button ids."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from bot.adapters.discord.render import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    POST_MESSAGES_LIMIT,
    escape_rich,
    escape_text,
    page_custom_id,
    parse_page_custom_id,
    post_nonce,
    render_post,
    render_post_messages,
    render_reply,
    safe_url,
)
from bot.chat.values import Field, Item, Link, Post, Reply
from tests.adapters.replies import posts, replies
from tests.fakes.discord_fake import message_problems


def test_escape_text_neutralises_mentions_markdown_and_masked_links() -> None:
    text = escape_text("@everyone @here <@123456789012345678> **bold** [x](javascript:alert(1)) x](http://evil)")
    assert "@everyone" not in text
    assert "@here" not in text
    assert "<@123456789012345678>" not in text
    assert "**" not in text.replace("\\*", "")
    assert "[x](" not in text
    assert "x](" not in text


def test_channel_command_and_emoji_mentions_are_inert_too() -> None:
    """escape_mentions leaves channel mentions alone (discord.py says so): a title's <#id> showed as a link to one
    of the server's channels, </interp topic:id> as a clickable command, <:name:id> as any server's emoji."""
    hostile = ("<#123456789012345678> </interp topic:123456789012345678> <:approve:123456789012345678> "
               "<a:spin:123456789012345678> <id:customize> <t:1700000000:R>")
    reply = Reply(title=hostile, text=hostile, items=(Item(title=hostile, notes=(hostile,), detail=hostile),),
                  fields=(Field(hostile, hostile),))
    rendered = render_reply(reply)
    shown = str(rendered.embed.to_dict()) + rendered.fallback
    for markup in ("<#1", "</interp", "<:approve", "<a:spin", "<id:", "<t:"):
        assert markup not in shown, markup
    assert "123456789012345678" in shown


def test_a_title_shows_our_code_spans_as_plain_words_and_untrusted_text_escaped() -> None:
    """Escaped, a title's code marks showed as \\`candidates\\`; dropping them leaves no way around the escaping."""
    assert render_reply(Reply(title="`candidates` is for the list's maintainers")).embed.title == \
        "candidates is for the list's maintainers"
    hostile = "`@everyone` `[x](https://evil.example)` **bold** <@123456789012345678>"  # code marks no way out
    title = render_reply(Reply(title=hostile)).embed.title
    assert title == "@\u200beveryone \\[x\\](https://evil.example) \\*\\*bold\\*\\* <@\u200b123456789012345678>"


def test_escape_rich_keeps_code_spans_and_escapes_the_rest() -> None:
    assert escape_rich("try `topic sae` or *this*") == "try `topic sae` or \\*this\\*"
    assert escape_rich("an odd ` backtick") == "an odd \\` backtick"


def test_safe_url_allows_only_http_and_keeps_the_link_closed() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,hi") is None
    assert safe_url("https://en.wikipedia.org/wiki/Probe_(disambiguation)") == \
        "https://en.wikipedia.org/wiki/Probe_%28disambiguation%29"


@pytest.mark.parametrize("odd", ["\u00a0", "\u2028", "\u3000", "\x85", "\u202e", "\u200b", "\u2066"])
def test_a_url_with_unicode_space_or_an_invisible_character_is_no_link(odd: str) -> None:
    """safe_url refused ASCII whitespace and controls only. Discord's markdown ends a link's URL at any Unicode
    space (JavaScript's \\s): the masked link fell apart and the rest of the URL, never escaped, was read as
    markdown (**@everyone**); and a bidi override hid the real target in "leaving Discord"'s dialog."""
    url = f"https://arxiv.org/abs/2401.00001{odd}**@everyone**gro.vixra"
    assert safe_url(url) is None
    reply = Reply(title="T", url=url, items=(Item(title="x", links=(Link("arxiv", url),)), Item(title="y")))
    embed = render_reply(reply).embed.to_dict()
    assert "url" not in embed
    assert "**@everyone**" not in embed["description"]
    assert "arxiv" in embed["description"]


def test_items_render_as_numbered_lines_with_masked_links() -> None:
    reply = Reply(title="Probing", text="Tools › Probing", items=(
        Item(title="Tuned lens", links=(Link("arxiv 2303", "https://arxiv.org/abs/2303.08112"),), starred=True,
             detail="`tuned-lens`", notes=("a note",)),
        Item(title="Evil", links=(Link("click](https://evil.example)", "javascript:alert(1)"),)),
    ))
    embed = render_reply(reply).embed.to_dict()
    description = embed["description"]
    assert "**1.** 🌟 Tuned lens" in description
    assert "[arxiv 2303](https://arxiv.org/abs/2303.08112)" in description
    assert "`tuned-lens`" in description
    assert "– a note" in description
    assert "javascript" not in description
    assert "click\\](https://evil.example)" in description  # the label's bracket is escaped: no link


def test_long_replies_stay_within_discords_limits() -> None:
    items = tuple(Item(title="t" * 300, links=(Link("l", "https://example.com/" + "a" * 200),)) for _ in range(40))
    fields = tuple(Field("f" * 300, "v" * 2000) for _ in range(30))
    rendered = render_reply(Reply(title="x" * 400, items=items, fields=fields, footer="`f`" * 1000))
    embed = rendered.embed
    assert len(embed.title) <= 256
    assert len(embed.description) <= DESCRIPTION_LIMIT
    assert len(embed.fields) <= 25
    assert all(len(f.value) <= 1024 for f in embed.fields)
    assert len(embed) <= EMBED_TOTAL_LIMIT
    assert "more" in embed.description.splitlines()[-1]
    assert len(rendered.fallback) <= CONTENT_LIMIT


def test_fallback_text_suppresses_previews_and_escapes() -> None:
    reply = Reply(title="@everyone look", items=(Item(title="x", links=(Link("a", "https://example.com"),)),))
    fallback = render_reply(reply).fallback
    assert "<https://example.com>" in fallback
    assert "@everyone" not in fallback


def test_posts_carry_their_key_and_colour() -> None:
    post = Post(key="candidate:7", kind="candidate", reply=Reply(title="A paper", footer="candidate #7"))
    embed = render_post(post).embed
    assert embed.footer.text == "candidate #7 · candidate:7"
    assert embed.colour is not None


def test_nonce_is_deterministic_and_short() -> None:
    assert post_nonce("candidate:1") == post_nonce("candidate:1") != post_nonce("candidate:2")
    assert len(post_nonce("candidate:1")) <= 25
    assert post_nonce("candidate:1").isdigit()


def test_page_custom_ids_carry_command_and_page_within_100_chars() -> None:
    assert parse_page_custom_id(page_custom_id("search induction heads", 3)) == (3, "search induction heads")
    assert len(page_custom_id("search " + "w" * 200, 2)) == 100
    assert parse_page_custom_id("something:else") is None


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.data_too_large])


@PROPERTY
@given(reply=replies)
def test_every_reply_fits_every_discord_limit(reply: Reply) -> None:
    rendered = render_reply(reply)
    assert message_problems({"embeds": [rendered.embed.to_dict()]}) == []
    assert message_problems({"content": rendered.fallback}) == []


@PROPERTY
@given(post=posts)
def test_every_post_fits_every_discord_limit(post: Post) -> None:
    assert message_problems({"embeds": [render_post(post).embed.to_dict()]}) == []
    for message in render_post_messages(post):
        assert message_problems({"embeds": [message.embed.to_dict()]}) == []


def digest_of(count: int) -> Post:
    items = tuple(Item(title=f"Paper number {n}: sparse features of a mid-sized language model, measured again",
                       links=(Link("arxiv", f"https://arxiv.org/abs/2411.{n:05d}"),
                              Link("pdf", f"https://arxiv.org/pdf/2411.{n:05d}")),
                       detail=f"candidate #{n} · Sparse Coding · relevance 0.91", ref=str(n)) for n in range(count))
    return Post(key="digest:2026-11-24", kind="digest",
                reply=Reply(title="interp-bot digest — 2026-11-24", kind="info", text=f"{count} new", items=items))


def test_a_digest_that_fits_one_embed_is_one_message_as_before() -> None:
    post = digest_of(5)
    (message,) = render_post_messages(post)
    assert message.embed.to_dict() == render_post(post).embed.to_dict()


def test_a_long_digest_is_cut_only_past_the_last_message_and_says_how_many_are_left() -> None:
    post = digest_of(400)
    messages = render_post_messages(post)
    assert len(messages) == POST_MESSAGES_LIMIT
    descriptions = [m.embed.description or "" for m in messages]
    shown = [line for d in descriptions for line in d.split("\n") if line.startswith("• ")]
    assert shown == [line for line in shown if "Paper number" in line]
    numbers = [int(line.split("Paper number ")[1].split(":")[0]) for line in shown]
    assert numbers == list(range(len(numbers)))  # in order, none twice, none skipped
    assert descriptions[-1].endswith(f"…and {400 - len(numbers)} more")
    assert all("more" not in d.rsplit("\n", 1)[-1] for d in descriptions[:-1])
    assert [m.embed.footer.text for m in messages] == [f"digest:2026-11-24 · {n}/{POST_MESSAGES_LIMIT}"
                                                      for n in range(1, POST_MESSAGES_LIMIT + 1)]


def test_a_4000_character_link_is_not_the_embeds_url() -> None:
    long_url = "https://www.lesswrong.com/posts/" + "x" * 4000
    embed = render_post(Post(key="candidate:url:x", kind="candidate", reply=Reply(title="A title", url=long_url)))
    assert message_problems({"embeds": [embed.embed.to_dict()]}) == []
    assert embed.embed.title == "A title"


DISGUISED = "\u202eamall\u202c and\u200b \u2066Tuned Lens\u2069"  # a bidi override shows "llama" backwards


def test_invisible_characters_of_catalogue_text_never_reach_an_embed() -> None:
    """The console stripped them; embeds did not (hand-edited or GitHub-synced YAML is not cleaned at intake)."""
    reply = Reply(title=DISGUISED, text=DISGUISED, footer=DISGUISED, suggestions=(DISGUISED,), pages=2,
                  command="search x", items=(Item(title=DISGUISED, notes=(DISGUISED,), detail=DISGUISED,
                                                  links=(Link(DISGUISED, "https://arxiv.org/abs/2401.00001"),)),))
    rendered = render_reply(reply)
    shown = str(rendered.embed.to_dict()) + rendered.fallback
    assert "amall" in shown
    for invisible in "\u202e\u202c\u200b\u2066\u2069":
        assert invisible not in shown


def test_a_code_span_drops_invisible_characters_too() -> None:
    """A topic's path is shown in a code span: its title's bidi override went through."""
    assert escape_rich("in `Sparse Cod\u202eing` and \u200bthis") == "in `Sparse Coding` and this"
