"""A candidate as the maintainers read it: its authors and its links named for what they are."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.catalogue.search import CatalogueIndex
from bot.catalogue.yaml_io import load_catalogue
from bot.chat.text import render_text
from bot.curation.posts import VotingRules, candidate_post
from bot.store.papers import StoredPaper
from tests.conftest import CATALOGUE

RULES = VotingRules(approve=("white_check_mark",), reject=("x",), topic_choices=("one", "two", "three"),
                    approvals_needed=2, rejections_needed=1)
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def paper(**fields: object) -> StoredPaper:
    base: dict[str, object] = dict(
        id=1, canonical_id="arxiv:2411.18326", arxiv_id="2411.18326", title="A paper about probing", authors=("A",),
        abstract="", abs_url="https://arxiv.org/abs/2411.18326", pdf_url="https://arxiv.org/pdf/2411.18326",
        links=(), categories=(), feeds=("arxiv",), published=None, first_seen_at=NOW, score=0.9, topics=(),
        status="candidate", status_at=NOW)
    return StoredPaper(**{**base, **fields})  # type: ignore[arg-type]


def shown(candidate: StoredPaper) -> str:
    return render_text(candidate_post(candidate, CatalogueIndex.build(load_catalogue(CATALOGUE)), RULES).reply)


def test_a_paper_with_more_authors_than_kept_says_so() -> None:
    """The intake keeps 50 names: an 83-author paper read "et al. (50 authors)"."""
    assert "et al. (50+ authors)" in shown(paper(authors=tuple(f"Author {n}" for n in range(50))))
    assert "et al. (12 authors)" in shown(paper(authors=tuple(f"Author {n}" for n in range(12))))


def test_a_forum_posts_own_page_is_named_by_its_site_not_abs() -> None:
    post = shown(paper(canonical_id="url:https://www.lesswrong.com/posts/x1", arxiv_id=None, pdf_url="",
                       abs_url="https://www.lesswrong.com/posts/x1"))
    assert "[LessWrong] https://www.lesswrong.com/posts/x1" in post
    assert "[abs]" not in post
    assert "[abs] https://arxiv.org/abs/2411.18326" in shown(paper())


def test_a_line_separator_in_a_topics_title_keeps_it_on_its_line_under_suggested_topics(catalogue_dir: Path
                                                                                         ) -> None:
    """A field of several lines was split with str.splitlines(), which also breaks at a U+2028 inside one of them:
    in the console a topic retitled "Linear<U+2028>Probing" stood on two lines, the second without its emoji."""
    from tests.conftest import retitle_topic

    retitle_topic(catalogue_dir, "Probing", "Linear\\u2028Probing")
    index = CatalogueIndex.build(load_catalogue(catalogue_dir))
    topics = ({"slug": "probing", "title": "Probing", "score": 0.9}, {"slug": "sparse-coding", "score": 0.5})
    text = render_text(candidate_post(paper(topics=topics), index, RULES).reply)
    assert "  1️⃣ Linear Probing (0.90)" in text.split("\n")
