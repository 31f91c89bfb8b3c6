"""What the daily budget held back and may still be put forward: the papers `candidates --all` lists, and the
digest and `status` count."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.curation.pipeline import Curation
    from bot.store.papers import StoredPaper


def held_back(curation: Curation, since: datetime) -> list[StoredPaper]:
    """Papers the daily budget held back since `since` (still `seen`), best first, less those the list has come to
    hold meanwhile: a maintainer added one by hand (its arXiv link, another of its links, or its title), and an
    approval of it would only say it is on the list already. Matched by the rule a poll and an approval use
    (bot.intake.list_index); the paper itself stays `seen`, as the poll that meets it again leaves it listed."""
    papers = curation.papers.held_back(since=since)
    if not papers:
        return []
    index = curation.list_index.index(curation.catalogue.index.catalogue, curation.papers.listed_arxiv_ids())
    return [paper for paper in papers if index.match(paper) is None]
