"""Hypothesis strategies for neutral replies and posts that push every renderer to the platforms' limits.

Text mixes each platform's markup and escape characters (escaping can make a string several times longer), long
words with no space to break at, and URLs thousands of characters long (a real candidate's link was ~4,000).
"""

from __future__ import annotations

from hypothesis import strategies as st

from bot.chat.values import Field, Item, Link, Post, Reply

_MARKUP = "&<>*_~`|[]()\\@#:!^ \n"
_LETTERS = st.characters(codec="utf-8", exclude_categories=("Cs",))


def text(max_size: int = 300) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(alphabet=st.one_of(st.sampled_from(_MARKUP), _LETTERS), max_size=max_size),
        st.builds(lambda c, n: c * n, st.sampled_from(["&", "<", "*", "x", "é", "`", "\n", "a b "]),
                  st.integers(0, 5000)),
    )


def url() -> st.SearchStrategy[str]:
    path = st.builds(lambda c, n: c * n, st.sampled_from(["a", "&", "%20", "(", "|", ">"]), st.integers(0, 4500))
    return st.one_of(st.builds(lambda p: f"https://example.org/{p}", path), text(60))


links = st.builds(Link, label=text(120), url=url())
items = st.builds(Item, title=text(), links=st.lists(links, max_size=4).map(tuple), starred=st.booleans(),
                  notes=st.lists(text(), max_size=4).map(tuple), detail=text(), ref=text(40))
fields = st.builds(Field, name=text(300), value=text(3000))
replies = st.builds(
    Reply, title=text(), kind=st.sampled_from(["result", "help", "usage", "not_found", "error", "info"]),
    text=text(6000), items=st.lists(items, max_size=25).map(tuple), fields=st.lists(fields, max_size=30).map(tuple),
    footer=text(3000), suggestions=st.lists(text(80), max_size=12).map(tuple), page=st.integers(1, 3),
    pages=st.integers(1, 3), command=text(80), url=url(),
)
posts = st.builds(Post, key=st.text(alphabet="abcdefghij:0123456789.", min_size=1, max_size=100),
                  kind=st.sampled_from(["candidate", "digest", "decision"]), reply=replies,
                  reactions=st.lists(st.sampled_from(["white_check_mark", "x", "one"]), max_size=3).map(tuple),
                  candidate_id=st.integers(1, 10**6))
