"""Titles, labels, notes and headings holding what markdown reads as syntax, as GitHub shows them (cmark-gfm, through
`cmarkgfm`), and as the importer reads them back."""

from __future__ import annotations

import re

import cmarkgfm
import pytest

from bot.catalogue.markdown import render_markdown
from bot.catalogue.markdown_import import import_markdown
from tests.catalogue.test_markdown_on_github import github, github_anchor


@pytest.mark.parametrize("title", ['"Quoted" title', "[Re] Replication", "(Paren) first", "— Dash", "`code` first"])
def test_a_starred_title_that_starts_with_punctuation_is_bold_on_github(title: str) -> None:
    """The star is glued to the bold title ("🌟**Title**"): before punctuation, that "**" opened no emphasis and
    the reader saw '🌟**"Quoted" title**', asterisks and all, and no title."""
    from bot.catalogue.model import Catalogue, Entry, Link, Topic

    entry = Entry(id="e", title=title, starred=True, links=(Link("arxiv", "https://arxiv.org/abs/2401.00001"),),
                  topics=("t",))
    catalogue = Catalogue(title="L", description="", topics=(Topic(slug="t", title="T"),), entries=(entry,),
                          placement={"t": ("e",)})
    markdown = render_markdown(catalogue)
    [item] = [content for section, kind, content in github(markdown).blocks if kind == "item" and section == "T"]
    assert item["title"] == title  # type: ignore[index]
    assert "**" not in "".join(item["text"])  # type: ignore[index]
    assert [e.title for e in import_markdown(markdown).entries] == [title]


@pytest.mark.parametrize("style", ["list", "awesome"])
def test_a_character_reference_in_a_title_or_note_is_shown_as_written_on_github(style: str) -> None:
    """GitHub decodes "&amp;" and "&#x202e;": a title "A &#x202e;llama" put a bidi override on the front page
    (past strip_control, which sees no such character), and the heading "Q &amp; A" read "Q & A" while its
    contents link went to #q-amp-a."""
    from bot.catalogue.awesome import render_awesome
    from bot.catalogue.model import Catalogue, Entry, Link, Topic

    text = "A &#x202e;llama &#8203;Q &amp; A"
    entry = Entry(id="e", title=text, links=(Link(text, "https://arxiv.org/abs/2401.00001"),), notes=(text,),
                  topics=("t",))
    catalogue = Catalogue(title="L", description="", topics=(Topic(slug="t", title=text),), entries=(entry,),
                          placement={"t": ("e",)})
    markdown = (render_markdown if style == "list" else render_awesome)(catalogue)
    html = cmarkgfm.github_flavored_markdown_to_html(markdown)
    assert "\u202e" not in html and "\u200b" not in html
    page = github(markdown)
    assert text in page.headings
    seen: dict[str, int] = {}
    anchors = [github_anchor(heading, seen) for heading in page.headings]
    assert set(re.findall(r"\]\(#([^)]+)\)", markdown)) <= set(anchors)
    assert re.sub(r"<[^>]+>", "", html).replace("&amp;", "&").count(text) >= 3  # heading, title, note
    if style == "list":
        back = import_markdown(markdown)
        assert [(e.title, e.links[0].label, e.notes) for e in back.entries] == [(text, text, (text,))]
        assert [t.title for t in back.topics] == [text]


@pytest.mark.parametrize("style", ["list", "awesome"])
def test_a_topic_whose_title_ends_with_a_hash_keeps_it_on_github_and_on_import(style: str) -> None:
    """A "#" after a space closes an ATX heading: "## Issue #" showed "Issue" (its contents link, #issue-, led
    nowhere), and the importer cut the "#" of "## C#", which GitHub shows as "C#"."""
    from bot.catalogue.awesome import render_awesome
    from bot.catalogue.model import Catalogue, Topic

    titles = ["Issue #", "C#", "Top ##"]
    catalogue = Catalogue(title="L", description="", entries=(), placement={},
                          topics=tuple(Topic(slug=f"t{i}", title=title) for i, title in enumerate(titles)))
    markdown = (render_markdown if style == "list" else render_awesome)(catalogue)
    page = github(markdown)
    assert page.headings[2:] == titles
    seen: dict[str, int] = {}
    anchors = [github_anchor(heading, seen) for heading in page.headings]
    assert set(re.findall(r"\]\(#([^)]+)\)", markdown)) <= set(anchors)
    if style == "list":
        assert [t.title for t in import_markdown(markdown).topics] == titles


def test_the_importer_reads_a_heading_as_github_shows_it() -> None:
    markdown = "# L\n\n## C#\n\n* **A** [[x]](https://a.example)\n\n## Closed ##\n\n* **B** [[x]](https://b.example)\n"
    assert [t.title for t in import_markdown(markdown).topics] == [github(markdown).headings[1], "Closed"] == [
        "C#", "Closed"]


@pytest.mark.parametrize("style", ["list", "awesome"])
def test_contents_links_keep_the_marks_and_drop_the_symbols_github_slugger_does(style: str) -> None:
    """GitHub's anchor keeps letters with their marks: "हिन्दी" is #हिन्दी, yet the contents linked #हनद (Python's
    \\w has no vowel signs), and a decomposed "é" lost its accent; "²" is a number GitHub drops."""
    from bot.catalogue.awesome import render_awesome
    from bot.catalogue.model import Catalogue, Topic

    titles = {"हिन्दी": "हिन्दी", "Cafe\u0301 Talk": "cafe\u0301-talk", "x² Scaling": "x-scaling",
              "Привет non-latin 你好": "привет-non-latin-你好", "😄 emoji": "-emoji"}
    catalogue = Catalogue(title="L", description="", entries=(), placement={},
                          topics=tuple(Topic(slug=f"t{i}", title=title) for i, title in enumerate(titles)))
    markdown = (render_markdown if style == "list" else render_awesome)(catalogue)
    assert re.findall(r"\]\(#([^)]+)\)", markdown) == list(titles.values())
    seen: dict[str, int] = {}
    assert [github_anchor(heading, seen) for heading in github(markdown).headings[2:]] == list(titles.values())


def test_titles_in_other_scripts_import_as_the_entries_they_are() -> None:
    """Two entries are one work listed twice when their titles match but for case, accents and punctuation; that
    match kept only a-z and 0-9, so two Chinese titles (or "---" and "हिन्दी") became one entry, and the second
    title, its links and its topic vanished from the list."""
    from bot.catalogue.model import Catalogue, Entry, Link, Topic

    titles = ["注意力机制的可解释性", "稀疏自编码器", "हिन्दी", "---", "عربي RTL", "中文 RTL"]
    entries = tuple(Entry(id=f"e{i}", title=title, links=(Link("arxiv", f"https://arxiv.org/abs/2401.0000{i}"),),
                          topics=("t",)) for i, title in enumerate(titles))
    catalogue = Catalogue(title="L", description="", topics=(Topic(slug="t", title="T"),), entries=entries,
                          placement={"t": tuple(e.id for e in entries)})
    markdown = render_markdown(catalogue)
    back = import_markdown(markdown)
    assert [(e.title, [link.url for link in e.links]) for e in back.entries] == [
        (e.title, [link.url for link in e.links]) for e in entries]
    assert render_markdown(back) == markdown
    # The same work listed twice is still one entry: "Café" under one topic and "CAFE!" under another.
    twice = import_markdown("# L\n\n## A\n\n* **Café** [[x]](https://a.example)\n\n## B\n\n* **CAFE!**\n")
    assert [(e.title, e.topics) for e in twice.entries] == [("Café", ("a", "b"))]
