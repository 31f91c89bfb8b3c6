"""The rendered list as GitHub shows it: rendered by cmark-gfm (GitHub's own renderer, through `cmarkgfm`), then
read back as HTML. Headings, the table of contents' anchors, and every entry, link and note of the seed where the
seed puts them."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import cmarkgfm
import pytest

from bot.catalogue.markdown import render_markdown
from bot.catalogue.markdown_import import import_markdown
from bot.catalogue.text import repair_mojibake
from bot.catalogue.yaml_io import load_catalogue
from bot.catalogue.yaml_write import write_catalogue
from tests.conftest import CATALOGUE


class Page(HTMLParser):
    """What a reader sees, in order: headings, top-level bullets (title, links, sub-bullets) and top-level
    paragraphs, each under the heading it follows."""

    def __init__(self, html: str):
        super().__init__()
        self.headings: list[str] = []
        self.blocks: list[tuple[str, str, object]] = []  # (heading, kind, content)
        self._heading: list[str] | None = None
        self._lists = 0  # <ul> depth
        self._item: dict | None = None
        self._paragraph: list[str] | None = None
        self._in_strong = False
        self._in_sub_item: list[str] | None = None
        self.feed(html)

    @property
    def section(self) -> str:
        return self.headings[-1] if self.headings else ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = []
        elif tag == "ul":
            self._lists += 1
        elif tag == "li" and self._lists == 1:
            self._item = {"title": "", "links": [], "notes": [], "text": []}
        elif tag == "li" and self._item is not None:
            self._in_sub_item = []
        elif tag == "strong" and self._item is not None and self._lists == 1:
            self._in_strong = True
        elif tag == "a" and self._item is not None and self._lists == 1:
            self._item["links"].append(dict(attrs).get("href"))
        elif tag == "a" and self._paragraph is not None:
            self._paragraph.append(f"<{dict(attrs).get('href')}>")
        elif tag == "p" and self._lists == 0:
            self._paragraph = []

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None
        elif tag == "ul":
            self._lists -= 1
        elif tag == "li" and self._lists == 1 and self._item is not None:
            self.blocks.append((self.section, "item", self._item))
            self._item = None
        elif tag == "li" and self._in_sub_item is not None and self._item is not None:
            self._item["notes"].append("".join(self._in_sub_item).strip())
            self._in_sub_item = None
        elif tag == "strong":
            self._in_strong = False
        elif tag == "p" and self._paragraph is not None:
            self.blocks.append((self.section, "paragraph", "".join(self._paragraph).strip()))
            self._paragraph = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)
        if self._in_sub_item is not None:
            self._in_sub_item.append(data)
        elif self._item is not None:
            self._item["text"].append(data)
            if self._in_strong:
                self._item["title"] += data
        if self._paragraph is not None:
            self._paragraph.append(data)


def github(markdown: str) -> Page:
    return Page(cmarkgfm.github_flavored_markdown_to_html(markdown))


def github_anchor(text: str, seen: dict[str, int]) -> str:
    """GitHub's heading ids, as github-slugger makes them: lower case, all but letters, marks, digits, connectors
    ('_'), '-' and spaces dropped, spaces to '-',
    a repeat suffixed -1, -2, ..., skipping any suffixed form an earlier heading already has."""
    base = "".join(char for char in text.lower() if char in "- " or unicodedata.category(char)[0] in "LM"
                   or unicodedata.category(char) in ("Nd", "Nl", "Pc")).replace(" ", "-")
    slug = base
    while slug in seen:
        seen[base] += 1
        slug = f"{base}-{seen[base]}"
    seen[slug] = 0
    return slug


def test_heading_ids_follow_github_slugger() -> None:
    """github-slugger's README: foo, foo-1, bar, foo-2; and a heading whose text is another's suffixed id."""
    seen: dict[str, int] = {}
    assert [github_anchor(text, seen) for text in ("foo", "foo", "bar", "foo")] == ["foo", "foo-1", "bar", "foo-2"]
    seen = {}
    assert [github_anchor(text, seen) for text in ("General", "General", "General 1", "General")] == [
        "general", "general-1", "general-1-1", "general-2"]


@pytest.fixture(scope="module")
def seed_page() -> Page:
    from tests.conftest import SEED

    return github(repair_mojibake(SEED.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.conftest import SEED

    directory = tmp_path_factory.mktemp("catalogue")
    write_catalogue(import_markdown(SEED.read_text(encoding="utf-8")), directory)
    return render_markdown(load_catalogue(directory))


def test_the_note_after_a_bullet_is_a_paragraph_of_its_own(rendered: str) -> None:
    page = github(rendered)
    note = "Note: These Alignment surveys discuss the relation between Interpretability and LLM Alignment."
    assert ("Survey", "paragraph", note) in page.blocks
    items = [content for _, kind, content in page.blocks if kind == "item"]
    assert not any(note in "".join(item["text"]) for item in items)  # not folded into the bullet before it


def test_every_contents_link_leads_to_a_heading_and_every_section_has_one(rendered: str) -> None:
    page = github(rendered)
    seen: dict[str, int] = {}
    anchors = [github_anchor(heading, seen) for heading in page.headings]
    links = re.findall(r"\]\(#([^)]+)\)", rendered)
    assert [link for link in links if link not in anchors] == []
    sections = anchors[2:]  # all but the list's title and "Contents"
    assert len(sections) == 38
    assert sorted(links) == sorted(sections)  # the contents (two levels) and "By Topic"'s own index: each once


def test_every_entry_link_and_note_stands_where_the_seed_puts_it(seed_page: Page, rendered: str) -> None:
    ours = github(rendered)

    def body(page: Page) -> list[tuple[str, str, object]]:
        """Entries and notes under each heading; the rendered list's own additions (its contents, a count line,
        the generated-file comment) are not the seed's."""
        kept = []
        for section, kind, content in page.blocks:
            if kind == "item" and section != "Contents":
                item = dict(content)  # type: ignore[call-overload]
                kept.append((section, "item", (item["title"], tuple(item["links"]), tuple(item["notes"]))))
            elif kind == "paragraph" and str(content).startswith("Note:"):
                kept.append((section, "note", content))
        return kept

    assert [h for h in ours.headings if h != "Contents"] == seed_page.headings
    seed_body, our_body = body(seed_page), body(ours)
    assert len(our_body) == len(seed_body) == 97 + 1  # 97 bullets and one note
    for theirs, mine in zip(seed_body, our_body, strict=True):
        if theirs[1] == "item":
            title, links, notes = theirs[2]  # type: ignore[misc]
            # The seed's `[[arxiv 2305]]([DOI](url))` is a broken link on GitHub; ours is the url itself.
            links = tuple(re.sub(r"^%5B[^%]*%5D\((.*)\)$", r"\1", link) for link in links)
            assert mine == (theirs[0], "item", (title, links, notes)), theirs
        else:
            assert mine == theirs


def test_the_committed_readme_is_what_github_shows_of_the_list() -> None:
    page = github((CATALOGUE / "README.md").read_text(encoding="utf-8"))
    hrefs = [href for _, kind, item in page.blocks if kind == "item" for href in item["links"]]  # type: ignore[index]
    assert all(href.startswith(("https://", "http://", "#")) for href in hrefs), hrefs
    assert "http://arxiv.org/abs/2305.13417" in hrefs


HOSTILE = ("~~struck~~ see http://evil.example, HTTPS://evil.example/x, www.evil.example, ftp://evil.example, "
           "mail me@evil.example or mailto:me@evil.example, [click](https://evil.example) <b>bold</b> *em* `code` "
           "_www.evil.example a_www.evil.example me@-evil.example me@_evil.example me@.evil.example")


@pytest.mark.parametrize("style", ["list", "awesome"])
def test_a_hostile_title_or_note_is_shown_as_text_by_github(style: str) -> None:
    """`~~x~~` struck text through, and GitHub linked bare addresses by itself (its autolinks): a paper's title
    could put a link on the list's front page."""
    from bot.catalogue.awesome import render_awesome
    from bot.catalogue.model import Catalogue, Entry, Link, Topic

    entry = Entry(id="hostile", title=HOSTILE, links=(Link("arxiv", "https://arxiv.org/abs/2401.00001"),),
                  notes=(HOSTILE,), topics=("t",))
    catalogue = Catalogue(title="L", description="", topics=(Topic(slug="t", title="T"),), entries=(entry,),
                          placement={"t": ("hostile",)})
    html = cmarkgfm.github_flavored_markdown_to_html((render_markdown if style == "list" else render_awesome)(
        catalogue))
    links = re.findall(r'href="([^"]*)"', html)
    assert "https://arxiv.org/abs/2401.00001" in links
    assert [link for link in links if "evil" in link] == []
    for tag in ("<del>", "<b>", "<em>", "<code>", "<strong><a"):
        assert tag not in html, tag
    text = re.sub(r"<[^>]+>", "", html).replace("\u2060", "")
    assert text.count("~~struck~~ see http://evil.example, HTTPS://evil.example/x, www.evil.example") == 2


INVISIBLE = "\x1b[2J\x1b]0;owned\x07\u202e\u200b\u2066\u00ad\ufeff"  # terminal escapes, bidi, zero-width


@pytest.mark.parametrize("style", ["list", "awesome"])
def test_invisible_characters_of_a_hand_edited_entry_never_reach_the_readme(style: str) -> None:
    """Chat and the console strip them; the README kept them: a bidi override in a title showed "llama" as
    "amall" on the list's front page, and an ESC in one cleared the screen of whoever ran `cat README.md`."""
    from bot.catalogue.awesome import render_awesome
    from bot.catalogue.model import Catalogue, Entry, Link, Topic

    entry = Entry(id="e", title=f"Tuned{INVISIBLE} Lens", acronym=f"T{INVISIBLE}L", preface=f"read{INVISIBLE} it",
                  links=(Link(f"arxiv{INVISIBLE}", "https://arxiv.org/abs/2401.00001"),),
                  notes=(f"a{INVISIBLE} note",), topics=("t",))
    catalogue = Catalogue(title=f"L{INVISIBLE}", description="", entries=(entry,), placement={"t": ("e",)},
                          topics=(Topic(slug="t", title=f"T{INVISIBLE}", description=f"d{INVISIBLE}"),))
    rendered = (render_markdown if style == "list" else render_awesome)(catalogue)
    assert "Tuned" in rendered and "a\\[2J\\]0;owned note" in rendered
    for invisible in INVISIBLE.replace("[2J", "").replace("]0;owned", ""):
        assert invisible not in rendered, repr(invisible)


def test_invisible_characters_of_a_hand_edited_link_or_doi_never_reach_the_readme() -> None:
    """The list accepts any non-space character in a URL (valid_url): an ESC or a bidi override in a link or a DOI
    went into the README as it was. In a URL they are percent-encoded, as a browser sends them."""
    from bot.catalogue.model import Catalogue, Entry, Link, Topic

    url = "https://arxiv.org/abs/2401.00001\x1b[2J\u202e"
    for entry in (Entry(id="e", title="T", links=(Link("arxiv", url),), doi="10.1/x\x1b[31m\u202e", topics=("t",)),
                  Entry(id="e", title="T", links=(Link("arxiv", "https://arxiv.org/abs/2401.00001"),),
                        doi="10.48550/arXiv.2401.00001\x1b[31m", topics=("t",))):
        catalogue = Catalogue(title="L", description="", topics=(Topic(slug="t", title="T"),), entries=(entry,),
                              placement={"t": ("e",)})
        rendered = render_markdown(catalogue)
        for invisible in "\x1b\u202e":
            assert invisible not in rendered, repr(invisible)
    assert "https://arxiv.org/abs/2401.00001%1B[2J%E2%80%AE" in render_markdown(Catalogue(
        title="L", description="", topics=(Topic(slug="t", title="T"),), placement={"t": ("e",)},
        entries=(Entry(id="e", title="T", links=(Link("arxiv", url),), topics=("t",)),)))


@pytest.mark.parametrize("description", ["---", "1. Basics first", "+ and more", "# not a heading", "> not a quote"])
def test_a_sections_description_is_one_paragraph_on_github(description: str) -> None:
    from bot.catalogue.model import Catalogue, Topic

    catalogue = Catalogue(title="L", description="", topics=(Topic(slug="t", title="T", description=description),),
                          entries=(), placement={})
    html = cmarkgfm.github_flavored_markdown_to_html(render_markdown(catalogue))
    assert f"<p>{description.replace('>', '&gt;')}</p>" in html
    for tag in ("<hr", "<ol", "<ul>\n<li>and", "<h1>not", "<blockquote"):
        assert tag not in html, tag


@pytest.mark.parametrize("style", ["list", "awesome"])
def test_contents_links_reach_their_own_heading_when_titles_collide_or_hold_markup(style: str) -> None:
    """A topic "General 1" took the anchor of the second "General", a heading written raw (`*talks*`, `<i>`) had
    another anchor on GitHub than its escaped contents link, and a topic named as the list took the list's."""
    from bot.catalogue.awesome import render_awesome
    from bot.catalogue.model import Catalogue, Topic

    topics = (Topic(slug="a", title="A"), Topic(slug="a-general", title="General", parent="a", depth=2),
              Topic(slug="b", title="B"), Topic(slug="b-general", title="General", parent="b", depth=2),
              Topic(slug="general-1", title="General 1"), Topic(slug="v", title="Video *talks* <i>x</i>"),
              Topic(slug="l", title="L"),  # the list's own title: the page's first heading has its anchor
              Topic(slug="sc", title="Sparse  Coding"))  # two spaces: the heading shows one
    catalogue = Catalogue(title="L", description="", topics=topics, entries=(), placement={})
    markdown = (render_markdown if style == "list" else render_awesome)(catalogue)
    page = github(markdown)
    seen: dict[str, int] = {}
    anchors = [github_anchor(heading, seen) for heading in page.headings]
    links = re.findall(r"\]\(#([^)]+)\)", markdown)
    assert len(links) == len(set(links)) == len(topics)
    assert set(links) <= set(anchors)
    assert "Video *talks* <i>x</i>" in page.headings  # shown as written, not as emphasis and HTML


@pytest.mark.parametrize("style", ["list", "awesome"])
def test_a_topic_with_a_line_separator_or_a_zero_width_space_keeps_its_contents_link_and_its_words(style: str) -> None:
    """md_escape dropped U+2028, NEL and the other separators Python splits on along with the invisible characters:
    the heading read "SparseCoding" while its contents link (the title split on whitespace) led to #sparse-coding."""
    from bot.catalogue.awesome import render_awesome
    from bot.catalogue.model import Catalogue, Topic

    topics = (Topic(slug="sc", title="Sparse\u2028Coding"), Topic(slug="p", title="Probing\x85Methods"),
              Topic(slug="z", title="Zero \u200b Width"))
    catalogue = Catalogue(title="L", description="", topics=topics, entries=(), placement={})
    markdown = (render_markdown if style == "list" else render_awesome)(catalogue)
    page = github(markdown)
    seen: dict[str, int] = {}
    anchors = [github_anchor(heading, seen) for heading in page.headings]
    assert {"Sparse Coding", "Probing Methods", "Zero Width"} <= set(page.headings)
    assert set(re.findall(r"\]\(#([^)]+)\)", markdown)) <= set(anchors)


@pytest.mark.parametrize("style", ["list", "awesome"])
@pytest.mark.parametrize("text", ["1. Basics first", "- a dash", "+ and more", "# not a heading", "## nor this",
                                  "###### nor six", "---", "2) second"])
def test_a_note_or_a_bare_title_that_starts_like_a_list_or_heading_stays_text_on_github(style: str,
                                                                                      text: str) -> None:
    """A note ("  * # x") and, in the awesome style, a title with no link of its own ("- 1. x - Listed under ...")
    start a list item's text: there "1." made a numbered list, "#" a heading, "-" a list inside the item."""
    from bot.catalogue.awesome import render_awesome
    from bot.catalogue.model import Catalogue, Entry, Link, Topic

    noted = Entry(id="noted", title="Noted", links=(Link("arxiv", "https://arxiv.org/abs/2401.00001"),), notes=(text,),
                  topics=("t",))
    bare = Entry(id="bare", title=text, topics=("t",))
    catalogue = Catalogue(title="L", description="", topics=(Topic(slug="t", title="T"),), entries=(noted, bare),
                          placement={"t": ("noted", "bare")})
    html = cmarkgfm.github_flavored_markdown_to_html((render_markdown if style == "list" else render_awesome)(
        catalogue)).split("<h2>T</h2>", 1)[1]
    for tag in ("<ol", "<h1", "<h2>", "<h3", "<h4", "<h5", "<h6", "<hr", "<ul>\n<li>\n<ul"):
        assert tag not in html, tag
    assert html.count("<li>") == 3  # the two entries and the note
    assert re.sub(r"<[^>]+>", "", html).count(text) == 2

