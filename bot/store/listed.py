"""The list's learned arXiv ids (an arXiv paper whose title is exactly a listed entry's), and what a candidate
found to be on the list becomes: mixed into PaperStore."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store import schema
from bot.store.db import Database


class ListedIds:
    """Mixed into PaperStore, which the intake reads and learns the list's arXiv ids through."""

    db: Database

    def listed_arxiv_ids(self) -> dict[str, str]:
        """arXiv id -> list entry id, for entries whose arXiv id was learned from a certain title match."""
        table = schema.listed_arxiv_ids
        with self.db.engine.connect() as conn:
            return {ident: entry for ident, entry in conn.execute(select(table.c.arxiv_id, table.c.entry_id))}

    def learn_listed_arxiv_ids(self, pairs: Iterable[tuple[str, str]], *, now: datetime) -> None:
        """Remember (arXiv id, entry id) pairs; an id already known keeps its first entry."""
        table = schema.listed_arxiv_ids
        with self.db.transaction() as conn:
            known = set(conn.execute(select(table.c.arxiv_id)).scalars())
            for ident, entry_id in dict(pairs).items():
                if ident in known:
                    continue
                try:
                    with conn.begin_nested():
                        conn.execute(insert(table).values(arxiv_id=ident, entry_id=entry_id, learned_at=now))
                except IntegrityError:
                    continue  # another process learned it at the same moment (and marks the paper)
                # A paper stored before the list's entry was known to be it (a crosspost read before the listing
                # that told us) is that entry: listed, as if the feeds had come in the other order.
                conn.execute(update(schema.papers)
                             .where(schema.papers.c.arxiv_id == ident).where(schema.papers.c.status == "seen")
                             .values(status="listed", status_at=now, listed_entry=entry_id))
                # Those the update itself moved (a vote deciding one at this moment keeps its decision).
                for paper_id in conn.execute(update(schema.papers)
                                             .where(schema.papers.c.arxiv_id == ident)
                                             .where(schema.papers.c.status == "candidate")
                                             .values(status="listed", status_at=now, listed_entry=entry_id)
                                             .returning(schema.papers.c.id)).scalars().all():
                    close_as_listed(conn, paper_id, entry_id, now)


def close_as_listed(conn: Connection, paper_id: int, entry_id: str | None, now: datetime) -> None:
    """A candidate found to be on the list already (another feed's spelling of it, an id the list just learned) is
    closed like a decision, "listed": its posts are edited to say so by the next recovery round, so maintainers do
    not vote on it, and its votes and earlier post failures no longer matter."""
    if conn.execute(select(schema.decisions.c.paper_id).where(schema.decisions.c.paper_id == paper_id)).first():
        return  # decided once before (a closed pull request reopened it): that record stands
    conn.execute(insert(schema.decisions).values(paper_id=paper_id, decision="listed", topic=None, deciders=[],
                                                 decided_at=now, entry_id=entry_id, written=True, announced=False,
                                                 forced=False, attempts=0))
    conn.execute(delete(schema.post_failures).where(schema.post_failures.c.paper_id == paper_id))
