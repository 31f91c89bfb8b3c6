"""The paper store: one paper per work however many feeds and spellings bring it, and feed state that survives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.store.db import Database
from bot.store.feeds import FeedState
from bot.store.papers import PaperStore

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def values(canonical_id: str, title: str, **extra: Any) -> dict[str, Any]:
    return {"canonical_id": canonical_id, "title": title, "authors": ["A. Author"], "abstract": "",
            "abs_url": "", "pdf_url": "", "links": [], "categories": [], "status": "seen", "score": 0.1,
            "topics": [], **extra}


def test_a_batch_stores_new_papers_once_and_merges_a_known_one(database_url: str) -> None:
    database = Database.open(database_url)
    store = PaperStore(database)
    try:
        first = store.record_batch([
            (["arxiv:2309.08600", "title:sparse autoencoders find features"],
             values("arxiv:2309.08600", "Sparse Autoencoders Find Features", arxiv_id="2309.08600"), "item-1"),
            (["arxiv:2211.00593"], values("arxiv:2211.00593", "Interpretability in the Wild", arxiv_id="2211.00593"),
             "item-2"),
        ], feed="arxiv", now=NOW)
        assert [created for _, created in first] == [True, True]
        # The same work through another feed, under its title key only: merged, not a second paper.
        second = store.record_batch([
            (["title:sparse autoencoders find features", "url:https://lesswrong.com/posts/abc"],
             values("url:https://lesswrong.com/posts/abc", "Sparse Autoencoders Find Features"), "post-abc"),
        ], feed="lesswrong", now=NOW + timedelta(hours=1))
        paper, created = second[0]
        assert not created
        assert paper is not None
        assert paper.canonical_id == "arxiv:2309.08600"
        assert sorted(paper.feeds) == ["arxiv", "lesswrong"]
        assert len(store.papers()) == 2
        assert store.item_seen("lesswrong", "post-abc")
        assert store.seen_items("arxiv", ["item-1", "item-2", "item-3"]) == {"item-1", "item-2"}
    finally:
        database.close()


def test_feed_state_round_trips_with_aware_times(database_url: str) -> None:
    database = Database.open(database_url)
    store = PaperStore(database)
    try:
        assert store.feed_state("nosuch") == FeedState(name="nosuch")
        state = FeedState(name="arxiv", etag='"v1"', initialised=True, last_poll_at=NOW, last_success_at=NOW,
                          consecutive_failures=0, total_failures=2, next_poll_at=NOW + timedelta(hours=6))
        store.save_feed_state(state)
        loaded = store.feed_state("arxiv")
        assert loaded.etag == '"v1"'
        assert loaded.total_failures == 2
        assert loaded.next_poll_at == NOW + timedelta(hours=6)
        assert [s.name for s in store.feed_states()] == ["arxiv"]
    finally:
        database.close()


def test_a_forum_linkpost_first_takes_the_papers_own_metadata_when_arxiv_brings_it(database_url: str) -> None:
    """The linkpost's title ("... (linkpost)"), its poster as the one author, its one-line summary and the low
    score it earned stayed the paper's, and an approval wrote them into the list."""
    database = Database.open(database_url)
    store = PaperStore(database)
    try:
        store.record_batch([(["arxiv:2411.18620", "url:https://www.lesswrong.com/posts/x1"], values(
            "url:https://www.lesswrong.com/posts/x1", "How do multimodal LLMs merge image and question? (linkpost)",
            authors=["lw_user42"], abstract="This is a linkpost.", score=0.46, status="candidate",
            abs_url="https://www.lesswrong.com/posts/x1"), "post-x1")], feed="lesswrong", now=NOW)
        arxiv = values("arxiv:2411.18620", "Cross-modal Information Flow in Multimodal Large Language Models",
                       arxiv_id="2411.18620", authors=["Zhi Zhang", "Srishti Yadav", "Fengze Han", "Ekaterina Shutova"],
                       abstract="The recent advancements in auto-regressive multimodal large language models ...",
                       abs_url="https://arxiv.org/abs/2411.18620", pdf_url="https://arxiv.org/pdf/2411.18620",
                       score=0.99, categories=["cs.AI"], status="candidate")
        ((paper, created),) = store.record_batch([(["arxiv:2411.18620"], arxiv, "listing-item")], feed="arxiv",
                                                 now=NOW + timedelta(hours=1))
        assert not created and paper is not None
        assert (paper.title, paper.authors, paper.score) == (arxiv["title"], tuple(arxiv["authors"]), 0.99)
        assert paper.abstract.startswith("The recent advancements")
        assert (paper.arxiv_id, paper.abs_url, paper.status) == ("2411.18620", "https://arxiv.org/abs/2411.18620",
                                                                 "candidate")
        assert len(store.papers()) == 1
    finally:
        database.close()


def test_a_paper_whose_linkpost_scored_low_is_held_back_not_lost(database_url: str) -> None:
    """The post's one-line summary scored below the threshold ("seen"); merged into it, the relevant paper stayed
    "seen" and no one would ever see it."""
    database = Database.open(database_url)
    store = PaperStore(database)
    try:
        store.record_batch([(["arxiv:2411.18620", "url:https://www.lesswrong.com/posts/x1"], values(
            "url:https://www.lesswrong.com/posts/x1", "A post (linkpost)", score=0.2, status="seen"), "post-x1")],
            feed="lesswrong", now=NOW)
        ((paper, _),) = store.record_batch([(["arxiv:2411.18620"], values(
            "arxiv:2411.18620", "Cross-modal Information Flow in Multimodal Large Language Models",
            arxiv_id="2411.18620", score=0.99, status="candidate"), "listing-item")], feed="arxiv",
            now=NOW + timedelta(hours=1))
        assert paper is not None and (paper.status, paper.score) == ("seen", 0.99)
        assert [p.title for p in store.held_back()] == [paper.title]
    finally:
        database.close()
