"""Feed bytes → Paper values, for every kind of source, and the hostile documents that must stay inert."""

from __future__ import annotations

import re
import socket
import time
from datetime import UTC, datetime

import pytest

from bot.intake.identity import paper_keys
from bot.intake.parse import Paper, parse_feed


def parse_file(feeds_dir, name: str, kind: str):
    return parse_feed((feeds_dir / name).read_bytes(), kind, feed=name.split(".")[0])


# --------------------------------------------------------------------------- arXiv API


def test_arxiv_api_2026_format(feeds_dir):
    result = parse_file(feeds_dir, "arxiv-api-testing-100.xml", "arxiv_api")
    assert result.errors == ()
    assert result.total_items == 100
    assert len(result.papers) == 100
    first = result.papers[0]
    assert first.canonical_id == "arxiv:2202.12139"
    assert first.arxiv_id == "2202.12139"
    assert first.version == 1
    assert first.title == "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    assert first.authors == ("Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker")
    assert first.abstract.startswith("Deep Learning (DL) has revolutionized")
    assert "  " not in first.abstract
    assert (first.abs_url, first.pdf_url) == ("https://arxiv.org/abs/2202.12139", "https://arxiv.org/pdf/2202.12139")
    assert first.published == datetime(2022, 2, 24, 15, 5, 19, tzinfo=UTC)
    assert first.categories == ("cs.SE", "cs.LG")
    assert first.item_id == "http://arxiv.org/abs/2202.12139v1"
    assert first.feed == "arxiv-api-testing-100"
    assert ("arxiv", "https://arxiv.org/abs/2202.12139") in first.links
    assert all(p.canonical_id == f"arxiv:{p.arxiv_id}" and "v" not in p.arxiv_id.split(".")[-1] for p in result.papers)
    for paper in result.papers:  # titles are whitespace-collapsed, never multi-line
        assert "\n" not in paper.title
        assert paper.title == paper.title.strip()


def test_names_double_encoded_upstream_are_repaired(feeds_dir):
    result = parse_file(feeds_dir, "arxiv-api-testing-10.xml", "arxiv_api")
    authors = next(p.authors for p in result.papers if p.arxiv_id == "2405.13786")
    assert authors[0] == "Aurora Ramírez"
    assert "José Raúl Romero" in authors


def test_arxiv_api_legacy_2016_format_and_old_style_ids(feeds_dir):
    result = parse_file(feeds_dir, "arxiv-api-legacy-2016.xml", "arxiv_api")
    assert result.errors == ()
    assert len(result.papers) == 10
    ids = [p.canonical_id for p in result.papers]
    assert "arxiv:1201.4869" in ids
    assert "arxiv:cond-mat/0412498" in ids
    old = parse_file(feeds_dir, "arxiv-api-old-style-versioned.xml", "arxiv_api").papers[0]
    assert (old.arxiv_id, old.version) == ("quant-ph/0201082", 1)


def test_arxiv_error_document_is_an_error_not_a_paper(feeds_dir):
    result = parse_file(feeds_dir, "arxiv-api-error.xml", "arxiv_api")
    assert result.papers == ()
    assert result.errors == ("arXiv API error: incorrect id format for abc",)


def test_arxiv_empty_result_is_zero_papers_without_error(feeds_dir):
    result = parse_file(feeds_dir, "arxiv-api-empty.xml", "arxiv_api")
    assert (result.papers, result.errors, result.total_items) == ((), (), 0)


# --------------------------------------------------------------------------- arXiv listings


def test_arxiv_listing_rss2_skips_replacements_and_strips_the_announce_prefix(feeds_dir):
    result = parse_file(feeds_dir, "arxiv-listing-rss2-cs-cl.xml", "arxiv_rss")
    assert result.errors == ()
    assert result.total_items == 6
    assert result.replacements_skipped == 2
    by_id = {p.arxiv_id: p for p in result.papers}
    assert set(by_id) == {"2401.06102", "2401.01967", "2109.00301", "2405.14860"}
    assert by_id["2405.14860"].announce_type == "cross"
    assert by_id["2401.06102"].announce_type == "new"
    patchscopes = by_id["2401.06102"]
    assert patchscopes.abstract.startswith("Inspecting the information encoded")
    assert "Announce Type" not in patchscopes.abstract
    assert "arXiv:" not in patchscopes.abstract
    assert patchscopes.authors == ("Asma Ghandeharioun", "Avi Caciularu", "Adam Pearce", "Lucas Dixon", "Mor Geva")
    assert patchscopes.item_id == "oai:arXiv.org:2401.06102v1"
    assert patchscopes.version == 1
    assert patchscopes.categories == ("cs.CL", "cs.AI", "cs.LG")
    assert patchscopes.published == datetime(2024, 5, 24, 4, 0, tzinfo=UTC)
    # TeX in titles, abstracts and names is cleaned.
    infinity = by_id["2109.00301"]
    assert infinity.title == "∞-former: Infinite Memory Transformer"
    assert "∞-former" in infinity.abstract
    assert "$" not in infinity.abstract
    assert infinity.authors[-1] == "André F. T. Martins"


# Thinkless: LLM Learns When to Think (2505.13379), its abstract's words as arXiv gives them (the relevance corpus's
# stream); and a comparison in TeX, as maths abstracts write them.
THINKLESS = ("Thinkless is trained under a reinforcement learning paradigm and employs two control tokens, <short> "
             "for concise responses and <think> for detailed reasoning.")
MATHS = "We show the bound holds for $2<q<p$ and $b>1$, and fails for <EASY> instances."


def test_angle_brackets_in_arxiv_text_are_text_not_tags(feeds_dir):
    """arXiv's titles and abstracts are plain text: a "<think>" token, "<short>" or "$2<q<p$" in them read as HTML
    tags, and the words between went with them ("two control tokens, for concise responses and for detailed")."""
    real = (feeds_dir / "arxiv-api-testing-100.xml").read_text(encoding="utf-8")
    first_title = "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    body = real.replace(first_title, "Thinkless: when to &lt;think&gt; and when &lt;short&gt; will do", 1)
    body = re.sub(r"<summary>Deep Learning \(DL\)[^<]*</summary>",
                  f"<summary>{THINKLESS.replace('<', '&lt;').replace('>', '&gt;')} "
                  f"{MATHS.replace('<', '&lt;').replace('>', '&gt;')}</summary>", body, count=1)
    first = parse_feed(body.encode(), "arxiv_api", feed="api").papers[0]
    assert first.title == "Thinkless: when to <think> and when <short> will do"
    assert first.abstract == f"{THINKLESS} {MATHS.replace('$', '')}"


def test_mathml_and_svg_in_a_forum_post_are_markup_not_text(feeds_dir):
    """feedparser's sanitizer keeps MathML and SVG elements: "<mi>", "<path>", which are no HTML element's name, were
    shown as text once a "<" that starts no HTML element was read as text."""
    real = (feeds_dir / "lesswrong-frontpage.xml").read_text(encoding="utf-8")
    maths = ('<math xmlns="http://www.w3.org/1998/Math/MathML"><mi>k</mi><mo>&lt;</mo><mi>n</mi></math> of them '
             '<svg viewBox="0 0 24 24"><path d="M0 0h24"/><polyline points="15 3 21 3"></polyline></svg>')
    body = real.replace("to find interpretable, monosemantic features", f"to find {maths}features", 1)
    first = parse_feed(body.encode(), "forum_rss", feed="lesswrong").papers[0]
    assert "to find k<n of them features in real LLMs" in first.abstract


def test_arxiv_listing_old_rdf_format(feeds_dir):
    result = parse_file(feeds_dir, "arxiv-listing-rdf-cs-cl.xml", "arxiv_rss")
    assert result.errors == ()
    assert result.total_items == 3
    assert result.replacements_skipped == 1
    wei, lens = result.papers
    assert wei.title == "Larger language models do in-context learning differently"
    assert (wei.arxiv_id, wei.version, wei.announce_type, wei.categories) == ("2303.03846", 1, "new", ("cs.CL",))
    assert wei.authors == ("Jerry Wei", "Jason Wei", "Yi Tay", "Dustin Tran")
    assert "<p>" not in wei.abstract
    assert wei.abstract.startswith("We study how in-context learning")
    assert lens.title == "Eliciting Latent Predictions from Transformers with the Tuned Lens"
    assert lens.announce_type == "cross"
    assert "tuned lens" in lens.abstract
    assert "\\emph" not in lens.abstract
    assert wei.published == datetime(2023, 3, 16, 1, 30, tzinfo=UTC)  # the listing's date: items carry none


# --------------------------------------------------------------------------- forums


def test_forum_posts_are_known_by_guid_and_crossposts_share_the_arxiv_key(feeds_dir):
    lesswrong = parse_file(feeds_dir, "lesswrong-frontpage.xml", "forum_rss")
    assert lesswrong.errors == ()
    assert len(lesswrong.papers) == 3
    sae, open_problems, logit_lens = lesswrong.papers
    assert [p.item_id for p in lesswrong.papers] == ["Qryk6FqjtZk9FHHJR", "LbrPTJ4fmABEdEnLf", "AcKRB8wDpdaN6v6ru"]

    assert sae.canonical_id == "arxiv:2309.08600"
    assert sae.arxiv_id == "2309.08600"
    assert sae.links == (
        ("LessWrong", "https://www.lesswrong.com/posts/Qryk6FqjtZk9FHHJR/sparse-autoencoders-find-highly-interpretable-directions-in"),
        ("arxiv", "https://arxiv.org/abs/2309.08600"),
    )
    assert sae.abstract.startswith("We use a scalable and unsupervised method")
    assert "Published on" not in sae.abstract
    assert "Discuss" not in sae.abstract
    assert sae.authors == ("Logan Riggs",)
    assert sae.published == datetime(2023, 9, 21, 15, 30, 24, tzinfo=UTC)

    listing = parse_file(feeds_dir, "arxiv-listing-rss2-cs-cl.xml", "arxiv_rss")  # replacement skipped there
    api_style = Paper(
        canonical_id="arxiv:2309.08600",
        title="Sparse Autoencoders Find Highly Interpretable Features in Language Models",
        authors=(), abstract="", abs_url="http://arxiv.org/abs/2309.08600v2", pdf_url="", published=None,
        updated=None, categories=(), feed="api", item_id="x", arxiv_id="2309.08600", version=2,
    )
    assert "arxiv:2309.08600" in paper_keys(sae) & paper_keys(api_style)
    assert all(p.arxiv_id != "2309.08600" for p in listing.papers)

    # A post that discusses several papers is not a crosspost of any of them.
    assert open_problems.canonical_id == "url:https://lesswrong.com/posts/LbrPTJ4fmABEdEnLf"
    assert open_problems.arxiv_id is None
    assert logit_lens.canonical_id == "url:https://lesswrong.com/posts/AcKRB8wDpdaN6v6ru"


def test_the_same_post_on_lesswrong_and_the_alignment_forum_is_one_paper(feeds_dir):
    lesswrong = parse_file(feeds_dir, "lesswrong-frontpage.xml", "forum_rss").papers[0]
    forum = parse_file(feeds_dir, "alignment-forum.xml", "forum_rss")
    assert forum.errors == ()
    monosemanticity, sae = forum.papers
    assert sae.item_id == lesswrong.item_id
    assert sae.links[0][0] == "Alignment Forum"
    assert "url:https://lesswrong.com/posts/Qryk6FqjtZk9FHHJR" in paper_keys(sae) & paper_keys(lesswrong)
    # A linkpost for something other than arXiv keeps its own identity.
    assert monosemanticity.canonical_id == "url:https://lesswrong.com/posts/TDqvQFks6TWutJEKu"
    assert monosemanticity.arxiv_id is None


def test_forum_post_dates_moving_do_not_change_identity(feeds_dir):
    original = (feeds_dir / "alignment-forum.xml").read_bytes()
    moved = original.replace(b"Fri, 06 Oct 2023 08:12:00 GMT", b"Sat, 07 Oct 2023 19:00:00 GMT")
    before = parse_feed(original, "forum_rss", feed="af").papers[1]
    after = parse_feed(moved, "forum_rss", feed="af").papers[1]
    assert after.published != before.published
    assert (after.item_id, after.canonical_id) == (before.item_id, before.canonical_id)


# --------------------------------------------------------------------------- generic feeds


def test_generic_rss_and_atom(feeds_dir):
    rss = parse_file(feeds_dir, "reader-full.rss", "rss")
    assert [p.title for p in rss.papers] == ["Example entry"]
    assert rss.papers[0].canonical_id == "url:https://example.com/blog/post/1"
    assert rss.papers[0].item_id == "7bd204c6-1655-4c27-aeee-53f933c5395f"
    assert rss.total_items == 5
    assert len(rss.errors) == 4  # items without a link cannot be papers
    atom = parse_file(feeds_dir, "reader-full.atom", "rss")
    assert atom.papers[0].title == "Atom-Powered Robots Run Amok"
    assert parse_file(feeds_dir, "reader-empty.atom", "rss").papers == ()


def test_unknown_kind_is_an_error(feeds_dir):
    result = parse_file(feeds_dir, "reader-full.rss", "podcast")
    assert result.papers == ()
    assert result.errors == ("unknown feed kind 'podcast'",)


# --------------------------------------------------------------------------- malformed and hostile documents


def test_truncated_feed_keeps_the_entries_before_the_cut(feeds_dir):
    data = (feeds_dir / "arxiv-api-testing-100.xml").read_bytes()
    result = parse_feed(data[: len(data) // 3], "arxiv_api", feed="cut")
    assert result.errors
    assert re.fullmatch(r"malformed feed: [a-z ()]+ at line \d+, column \d+", result.errors[0]), result.errors
    assert 10 < len(result.papers) < 100
    assert all(p.title and p.arxiv_id for p in result.papers)


def test_wrong_declared_charset_is_repaired_by_feedparser_fallbacks():
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>Réseaux de neurones: probing café</title><link>https://example.org/p</link>"
        "<guid>p1</guid></item></channel></rss>"
    ).encode("latin-1")  # declared UTF-8, really Latin-1
    result = parse_feed(body, "rss", feed="charset")
    assert [p.title for p in result.papers] == ["Réseaux de neurones: probing café"]
    assert result.errors == ()


def test_garbage_is_no_feed():
    result = parse_feed(bytes(range(256)) * 10, "rss", feed="garbage")
    assert result.papers == ()
    assert result.errors


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://example.org/a</link><description>&lol9;</description></item>
</channel></rss>"""


def external_entity(system_id: str) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "{system_id}"> ]>
<rss version="2.0"><channel><title>x</title>
<item><title>Leak &xxe;</title><link>https://example.org/leak</link><description>&xxe;</description></item>
</channel></rss>""".encode()


def all_text(result) -> str:
    return repr(result)


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket or resolve a name fails the test."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network attempt during parsing: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_billion_laughs_is_refused_without_expansion(no_network):
    started = time.perf_counter()
    result = parse_feed(BILLION_LAUGHS, "rss", feed="laughs")
    assert time.perf_counter() - started < 1.0
    assert result.papers == ()
    assert result.errors == (
        "refused: the document declares XML entities (a DOCTYPE with <!ENTITY>), which are never expanded",
    )
    assert "lollollol" not in all_text(result)
    assert no_network == []


def test_billion_laughs_in_utf16_is_refused_too(no_network):
    body = BILLION_LAUGHS.replace(b'version="1.0"?>', b'version="1.0" encoding="utf-16"?>').decode().encode("utf-16")
    result = parse_feed(body, "rss", feed="laughs")
    assert result.papers == ()
    assert result.errors[0].startswith("refused: the document declares XML entities")


def test_external_entity_to_a_file_reads_nothing(no_network):
    result = parse_feed(external_entity("file:///etc/passwd"), "rss", feed="xxe")
    assert result.papers == ()
    assert result.errors[0].startswith("refused")
    assert "root:" not in all_text(result)
    assert no_network == []


async def test_external_entity_to_a_url_makes_no_request(feed_server):
    body = external_entity(feed_server.url("/feeds/arxiv-api-empty.xml"))
    result = parse_feed(body, "rss", feed="xxe")
    assert result.papers == ()
    assert result.errors[0].startswith("refused")
    assert feed_server.requests == []


def test_parameter_entities_are_refused(no_network):
    body = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % remote SYSTEM "http://example.org/evil.dtd"> %remote;]>
<rss version="2.0"><channel><title>x</title></channel></rss>"""
    result = parse_feed(body, "rss", feed="pe")
    assert result.papers == ()
    assert result.errors[0].startswith("refused")
    assert no_network == []


def test_a_harmless_doctype_is_removed_and_the_feed_parsed(no_network):
    body = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>old</title>
<item><title>Probing classifiers for syntax</title><link>https://example.org/probing</link></item>
</channel></rss>"""
    result = parse_feed(body, "rss", feed="rss091")
    assert [p.title for p in result.papers] == ["Probing classifiers for syntax"]
    assert no_network == []


def test_parse_takes_bytes_never_a_path_or_url(tmp_path):
    with pytest.raises(TypeError):
        parse_feed(str(tmp_path), "rss", feed="x")  # type: ignore[arg-type]
    secret = tmp_path / "secret.xml"
    secret.write_text('<rss version="2.0"><channel><item><title>secret</title><link>https://x.org/</link></item></channel></rss>')
    result = parse_feed(str(secret).encode(), "rss", feed="x")  # the bytes of a path are just bytes
    assert result.papers == ()
    assert result.errors


def test_mending_leaves_a_clean_real_feed_as_it_came(feeds_dir):
    """`mend` runs before every feedparser parse: a body without its two flaws is handed on, not copied."""
    from bot.intake.parse._repair import mend

    for name in ("lesswrong-frontpage.xml", "arxiv-listing-2024-11-28-all.xml", "reader-full.atom"):
        body = (feeds_dir / name).read_bytes()
        assert mend(body) is body, name
    flawed = b'<rss xmlns:x="urn:a\xc2\xa0b"><item><title>&#x110000;&#65;&#0;&#0000000065;</title></item></rss>'
    assert mend(flawed) == b'<rss xmlns:x="urn:a%C2%A0b"><item><title>&#xFFFD;&#65;&#0000000065;</title></item></rss>'


def test_footnotes_leave_a_forum_summary_even_among_unclosed_ones():
    """Footnote markup is cut from opening tag to the first closing one; an opening never closed stays as text, and
    is no reason to rescan the rest of the post from every later one (that was quadratic: a few hundred KB of
    unclosed footnote tags held the feed's parser for minutes)."""
    from bot.intake.parse._forum import _summary_html

    body = ("Published on May 1, 2025 12:00 AM GMT<br/><br/><p>Claim<sup><a href=\"#fn1\" class=\"footnote-ref\">1"
            "</a></sup> and more.</p><div class=\"footnote\">never closed <ol class=\"footnotes\"><li>note one</li>"
            "</ol><p>After.</p><br/><a href=\"https://www.lesswrong.com/posts/x#comments\">Discuss</a>")
    assert _summary_html(body) == ("<p>Claim  and more.</p><div class=\"footnote\">never closed  <p>After.</p>")
    hostile = '<sup><a class="footnote">' * 20_000 + '<div class="footnote">x ' * 20_000 + "<a " * 100_000
    summary = _summary_html(hostile)  # 1.2 MB: minutes before, a fraction of a second now
    assert summary == hostile


def test_listing_authors_with_affiliations_are_the_names_alone(feeds_dir):
    """A listing's dc:creator may follow a name with its affiliation, commas and "and" inside: 2411.17935's four
    authors were stored as 30, "CNRS)" among 2411.18171's."""
    result = parse_file(feeds_dir, "arxiv-listing-2024-11-28-all.xml", "arxiv_rss")
    by_id = {paper.arxiv_id: paper for paper in result.papers}
    assert by_id["2411.17935"].authors[0] == "Jadelynn Dao"
    assert len(by_id["2411.17935"].authors) == 4
    for paper in result.papers:
        assert all("(" not in name and ")" not in name for name in paper.authors), (paper.arxiv_id, paper.authors)


def test_api_author_names_in_tex_are_decoded(feeds_dir):
    """The API gives each name as arXiv stores it, TeX accents and all; the listings' were decoded, these not.
    (No captured API response has one: the real document with one name rewritten as arXiv would write it.)"""
    body = (feeds_dir / "arxiv-api-testing-10.xml").read_bytes().replace(b"Mohit Kumar Ahuja",
                                                                        b"Jos\\'e P\\'erez Ma\\v{r}\\'ia")
    first = parse_feed(body, "arxiv_api", feed="tex").papers[0]
    assert first.authors[0] == "José Pérez Mařía"
