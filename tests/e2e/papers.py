"""Papers stored straight into a running bot's database, as a poll would leave them: the maintainers' commands
tests on every platform list, vote on and decide these."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.store.papers import CandidateBudget, PaperStore


def add_paper(app: App, title: str, arxiv: str, *, held_back: bool = False) -> int:
    """A candidate (or, `held_back`, a paper the day's spent budget kept `seen`); its id."""
    now = app.database.now()
    values = {"canonical_id": f"arxiv:{arxiv}", "arxiv_id": arxiv, "title": title, "authors": ["A. Researcher"],
              "abstract": "Linear probes on the residual stream.", "abs_url": f"https://arxiv.org/abs/{arxiv}",
              "pdf_url": f"https://arxiv.org/pdf/{arxiv}", "links": [], "categories": ["cs.CL"], "score": 0.9,
              "topics": [{"slug": "probing", "title": "Probing", "path": "Probing", "score": 0.9}],
              "status": "candidate"}
    if held_back:
        app.curation.papers.record_batch([([f"arxiv:{arxiv}"], values, arxiv)], feed="arxiv", now=now,
                                         budget=CandidateBudget(since=now - timedelta(hours=1), limit=0))
        return next(p.id for p in app.curation.papers.held_back())
    paper, _ = PaperStore(app.database).record_paper(keys=[f"arxiv:{arxiv}"], values=values, feed="arxiv",
                                                     item_id=arxiv, now=now)
    return paper.id
