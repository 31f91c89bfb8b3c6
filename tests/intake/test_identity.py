"""Identity: every spelling of a paper reduces to the same keys, and the list knows its own papers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.generated import generated_catalogue
from benchmarks.poll_throughput import big_atom
from bot.catalogue.yaml_io import load_catalogue
from bot.intake.identity import (
    arxiv_id,
    arxiv_ids_in,
    canonical_url,
    clean_tex,
    clear_caches,
    normalise_title,
    paper_keys,
)
from bot.intake.list_index import ListIndex, ListIndexCache
from bot.intake.parse import Paper, parse_feed
from tests.catalogue.test_lookup_memory import kept_bytes

REPO = Path(__file__).resolve().parents[2]


def paper(title: str = "A Paper About Something Specific", *, url: str = "", ident: str | None = None,
          links: tuple[tuple[str, str], ...] = ()) -> Paper:
    canonical = f"arxiv:{ident}" if ident else (f"url:{canonical_url(url)}" if url else "url:")
    return Paper(
        canonical_id=canonical, title=title, authors=(), abstract="", abs_url=url, pdf_url="", published=None,
        updated=None, categories=(), feed="test", item_id="1", arxiv_id=ident, links=links,
    )


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(REPO / "catalogue")


@pytest.fixture(scope="module")
def index(catalogue):
    return ListIndex.from_catalogue(catalogue)


# --------------------------------------------------------------------------- arXiv ids


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2301.05062", ("2301.05062", None)),
        ("arXiv:2301.05062v2", ("2301.05062", 2)),
        ("https://arxiv.org/abs/2301.05062", ("2301.05062", None)),
        ("http://arxiv.org/abs/2301.05062v1", ("2301.05062", 1)),
        ("https://arxiv.org/pdf/2301.05062v3.pdf", ("2301.05062", 3)),
        ("https://arxiv.org/pdf/2301.05062", ("2301.05062", None)),
        ("https://www.arxiv.org/html/2301.05062v2#S3", ("2301.05062", 2)),
        ("http://export.arxiv.org/abs/2301.05062", ("2301.05062", None)),
        ("https://arxiv.org/abs//2309.15025", ("2309.15025", None)),  # as the seed list has it
        ("oai:arXiv.org:2203.01250v3", ("2203.01250", 3)),
        ("https://doi.org/10.48550/arXiv.2303.08112", ("2303.08112", None)),
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("https://arxiv.org/abs/math.GT/0309136v2", ("math.GT/0309136", 2)),
        ("arXiv:quant-ph/0201082v1", ("quant-ph/0201082", 1)),
        ("1501.00001", ("1501.00001", None)),
    ],
)
def test_arxiv_id_from_every_spelling(text, expected):
    assert arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text", ["", "https://example.org/1234.5678", "https://arxiv.org/api/errors#incorrect_id_format_for_abc",
             "2313.00001", "version 3.14159", "https://arxiv.org/list/cs.CL/new"],
)
def test_not_arxiv_ids(text):
    assert arxiv_id(text) is None


def test_arxiv_ids_cited_in_html():
    html = ('<p>See <a href="https://arxiv.org/abs/2211.00593v2">IOI</a>, arXiv:2202.05262 and '
            '<a href="http://arxiv.org/pdf/2211.00593">the PDF</a>.</p>')
    assert arxiv_ids_in(html) == [("2211.00593", 2), ("2202.05262", None)]


def test_versions_and_url_forms_give_one_key():
    spellings = [
        "https://arxiv.org/abs/2303.08112", "https://arxiv.org/abs/2303.08112v1", "http://arxiv.org/abs/2303.08112v2",
        "https://arxiv.org/pdf/2303.08112v2.pdf", "http://arxiv.org/pdf/2303.08112", "arxiv.org/abs/2303.08112",
    ]
    keys = {frozenset(k for k in paper_keys(paper(url=u)) if not k.startswith("title:")) for u in spellings}
    assert keys == {frozenset({"arxiv:2303.08112"})}
    assert {canonical_url(u) for u in spellings} == {"https://arxiv.org/abs/2303.08112"}


# --------------------------------------------------------------------------- URLs and titles


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://WWW.Example.ORG/Path/?utm_source=feed&utm_medium=rss&id=7#section", "https://example.org/Path?id=7"),
        ("https://github.com/TransformerLensOrg/TransformerLens/", "https://github.com/TransformerLensOrg/TransformerLens"),
        ("https://www.lesswrong.com/posts/AcKRB8wDpdaN6v6ru/interpreting-gpt-the-logit-lens",
         "https://lesswrong.com/posts/AcKRB8wDpdaN6v6ru"),
        ("https://www.alignmentforum.org/posts/AcKRB8wDpdaN6v6ru/other-slug", "https://lesswrong.com/posts/AcKRB8wDpdaN6v6ru"),
        ("https://openreview.net/pdf?id=NpsVSN6o4ul", "https://openreview.net/forum?id=NpsVSN6o4ul"),
        ("http://example.org:80/a", "https://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_tex_is_cleaned_for_reading_and_for_matching():
    assert clean_tex(r"Mass concentration for $\alpha$-masses") == "Mass concentration for α-masses"
    assert clean_tex(r"\emph{Sparse} Autoencoders {F}ind \textbf{Features}") == "Sparse Autoencoders Find Features"
    assert clean_tex(r"Schr\"odinger Bridges \& Co") == "Schrödinger Bridges & Co"
    assert clean_tex("No TeX at all: 100% plain") == "No TeX at all: 100% plain"


@pytest.mark.parametrize(
    ("tex", "text"),
    [  # what the old hand-written cleaner made of real text (issue 12), and pylatexenc's reading
        (r"$\ln\ln T$", "ln ln T"),
        (r"Maru\v si\v c", "Marušič"),
        (r"Jaros{\l}aw \.Zygierewicz", "Jarosław Żygierewicz"),
        ("costs over $800", "costs over $800"),
        (r"\begin{equation*} E = mc^2 \end{equation*}", "E = mc^2"),
        (r"Fran\c cois and \'Alvaro", "François and Álvaro"),
        (r"a $\sqrt{d}$-dimensional \textit{probe}", "a √(d)-dimensional probe"),
    ],
)
def test_tex_is_read_as_tex(tex, text):
    assert clean_tex(tex) == text
    assert normalise_title(r"Mass concentration for $\alpha$-masses") == "mass concentration for alpha masses"
    punctuated = "Eliciting Latent Predictions — from Transformers!"
    assert normalise_title(punctuated) == "eliciting latent predictions from transformers"
    assert normalise_title("Interprétabilité") == normalise_title("interpretabilite")


# --------------------------------------------------------------------------- the list's index


def test_papers_already_on_the_list_are_matched(catalogue, index):
    assert len(index) == len(catalogue.entries)
    tuned_lens = next(e.id for e in catalogue.entries if e.title.startswith("Eliciting Latent Predictions"))
    # by arXiv id, whatever the version or URL form
    assert index.match(paper("Whatever title", ident="2303.08112")) == tuned_lens
    assert index.match(paper("Whatever title", url="http://arxiv.org/pdf/2303.08112v3")) == tuned_lens
    # by title alone, case and punctuation aside
    assert index.match(paper("Eliciting latent predictions from transformers with the tuned lens")) == tuned_lens
    # by a fuzzy title: a hyphen, a dropped article
    assert index.match(paper("Eliciting Latent Predictions from Transformers with Tuned-Lens")) == tuned_lens


def test_the_seed_lists_doubled_slash_link_is_recognised(catalogue, index):
    entry = next(e for e in catalogue.entries if any("abs//2309.15025" in link.url for link in e.links))
    assert index.match(paper("Some other title entirely", url="https://arxiv.org/abs/2309.15025v2")) == entry.id


def test_unrelated_papers_are_not_matched(index, feeds_dir):
    assert index.match(paper("A Completely Different Study of Protein Folding Kinetics")) is None
    background = parse_feed((feeds_dir / "arxiv-api-testing-100.xml").read_bytes(), "arxiv_api", feed="bg")
    assert [p.arxiv_id for p in background.papers if index.match(p)] == []


def test_feed_items_match_the_list_through_their_links(catalogue, index, feeds_dir):
    rdf = parse_feed((feeds_dir / "arxiv-listing-rdf-cs-cl.xml").read_bytes(), "arxiv_rss", feed="rdf")
    lens = next(p for p in rdf.papers if p.arxiv_id == "2303.08112")
    entry = catalogue.entry(index.match(lens))
    assert entry.title == "Eliciting Latent Predictions from Transformers with the Tuned Lens"

    lesswrong = parse_feed((feeds_dir / "lesswrong-frontpage.xml").read_bytes(), "forum_rss", feed="lw")
    logit_lens = next(p for p in lesswrong.papers if p.item_id == "AcKRB8wDpdaN6v6ru")
    assert index.match(logit_lens) is not None  # the list links this very post
    retitled = replace(logit_lens, title="A title edited after posting")
    assert index.match(retitled) == index.match(logit_lens)  # matched by URL, not by title


def test_short_generic_titles_make_no_title_key():
    assert not any(k.startswith("title:") for k in paper_keys(paper("Introduction")))
    assert not any(k.startswith("title:") for k in paper_keys(paper("Open Thread")))
    assert "title:toy models of superposition" in paper_keys(paper("Toy Models of Superposition"))


def test_a_crosspost_and_its_preprint_share_keys(feeds_dir):
    lesswrong = parse_feed((feeds_dir / "lesswrong-frontpage.xml").read_bytes(), "forum_rss", feed="lw")
    crosspost = lesswrong.papers[0]
    preprint = paper("Sparse Autoencoders Find Highly Interpretable Features in Language Models",
                     url="https://arxiv.org/abs/2309.08600v1", ident="2309.08600")
    assert paper_keys(crosspost) & paper_keys(preprint) == {"arxiv:2309.08600"}


def test_titles_with_the_same_words_match_the_exact_title_first_then_the_first_listed(catalogue):
    base = next(e for e in catalogue.entries if e.title.startswith("Eliciting Latent Predictions"))
    first = replace(base, id="words-first", title="Circuits of Sparse Feature Steering", links=())
    second = replace(base, id="words-second", title="Sparse Feature Circuits of Steering", links=())
    index = ListIndex.from_catalogue(replace(catalogue, entries=(*catalogue.entries, first, second)))
    assert index.match(paper("Sparse feature circuits of steering")) == "words-second"  # its exact title
    assert index.match(paper("Circuits of sparse feature steering!")) == "words-first"
    assert index.match(paper("Steering of Sparse Feature Circuits")) == "words-first"  # ratio 100 to both: first


def test_the_list_index_is_built_once_per_catalogue(catalogue, monkeypatch):
    built = []
    original = ListIndex.from_catalogue.__func__
    monkeypatch.setattr(ListIndex, "from_catalogue",
                        classmethod(lambda cls, c, *rest: built.append(c) or original(cls, c, *rest)))
    cache = ListIndexCache()
    assert cache.index(catalogue) is cache.index(catalogue)
    changed = replace(catalogue)
    assert cache.index(changed) is not cache.index(catalogue)
    assert len(built) == 3


def test_a_big_list_of_look_alike_titles_still_finds_the_paper_and_only_it(catalogue):
    """Among 5,000 listed titles made of the real list's words (the common ones shared by thousands), a paper
    whose title differs from a listed one by a plural, a typo or a dropped word is that entry, and one that merely
    shares its common words is none. Only titles sharing the paper's rarer words are scored: this keeps them."""
    import random
    from collections import Counter

    rng = random.Random(3)
    # The crowd shares the list's common words; a word only one real title has ("copy") stays that rare.
    counts = Counter(w for e in catalogue.entries for w in set(normalise_title(e.title).split()))
    words = sorted(w for w, n in counts.items() if n > 1)
    base = catalogue.entries[0]
    crowd = tuple(replace(base, id=f"crowd-{n}", links=(),
                          title=" ".join(rng.choice(words) for _ in range(rng.randint(5, 12))))
                  for n in range(5000))
    index = ListIndex.from_catalogue(replace(catalogue, entries=(*catalogue.entries, *crowd)))
    tuned_lens = next(e.id for e in catalogue.entries if e.title.startswith("Eliciting Latent Predictions"))
    induction = next(e.id for e in catalogue.entries if e.title == "In-context learning and induction heads")
    assert index.match(paper("Eliciting Latent Prediction from Transformer with the Tuned Lens")) == tuned_lens
    assert index.match(paper("Eliciting Latent Predictions from Transformers with the Tunned Lens")) == tuned_lens
    assert index.match(paper("Eliciting Latent Predictions from Transformers with Tuned Lens")) == tuned_lens
    # Its rarest listed word is another entry's ("Copy Suppression: …"): the others still find it.
    assert index.match(paper("Eliciting Latent Predictions from Transformers with the Tuned Lens Copy")) == tuned_lens
    assert index.match(paper("In-Context Learning and Induction Head")) == induction
    assert index.match(paper("Latent Predictions of Language Models with Sparse Features")) is None
    crowded = crowd[1234]
    assert index.match(paper(crowded.title.replace(" ", "  ") + "s")) == crowded.id


def test_the_list_index_costs_a_few_hundred_bytes_an_entry() -> None:
    """Built at the first poll and held by the bot from then on, under every poll's peak."""
    catalogue = generated_catalogue(3000)
    kept, index = kept_bytes(lambda: ListIndex.from_catalogue(catalogue))
    assert isinstance(index, ListIndex) and len(index) == 3000
    # A word's titles as a frozenset of ints took more than twice this (930 bytes an entry here).
    assert kept / 3000 < 500


def test_a_polls_papers_leave_little_behind_once_their_keys_are_made() -> None:
    """A poll makes every paper's keys once; what that keeps until the poll is over (caches) sits under its memory
    peak: now the normalised titles (220 bytes a paper). A cache of each link's keys as well (a set a link, never
    asked for twice in a poll) made it 940."""
    papers = parse_feed(big_atom(1000)[0], "arxiv_api", feed="f").papers
    clear_caches()
    kept, _ = kept_bytes(lambda: [len(paper_keys(paper)) for paper in papers])
    assert kept / len(papers) < 350
