"""Papers: what the intake records, each change in one transaction (feed state: `feeds.py`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.store import schema
from bot.store.db import Database, utc
from bot.store.feeds import FeedStates
from bot.store.listed import ListedIds, close_as_listed

OPEN_STATUSES = ("candidate",)
DECIDED_STATUSES = ("approved", "rejected", "expired", "listed")
PAPER_STATUSES = ("seen", *OPEN_STATUSES, *DECIDED_STATUSES, "rejected upstream")  # every status a paper can have


@dataclass(frozen=True)
class StoredPaper:
    id: int
    canonical_id: str
    arxiv_id: str | None
    title: str
    authors: tuple[str, ...]
    abstract: str
    abs_url: str
    pdf_url: str
    links: tuple[tuple[str, str], ...]
    categories: tuple[str, ...]
    feeds: tuple[str, ...]
    published: datetime | None
    first_seen_at: datetime
    score: float
    topics: tuple[dict[str, Any], ...]
    status: str
    status_at: datetime
    listed_entry: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    held_back_at: datetime | None = None  # the daily candidate budget held it back (it stays `seen`)
    candidate_at: datetime | None = None  # when it became a candidate (put forward, or a held-back one promoted)


@dataclass
class CandidateBudget:
    """At most `limit` papers become candidates from `since` (the start of the local day) on, the highest-scoring
    of each batch first. The store fills `held_back` with the canonical ids it kept `seen` for want of budget."""

    since: datetime
    limit: int
    held_back: set[str] = field(default_factory=set)


_BUDGET_LOCK_KEY = 0x62756467  # "budg": PostgreSQL transactions choosing candidates take turns
_INSERT_SLICE = 100  # new papers per INSERT statement of a batch
_PAPER_FIELDS = ("title", "authors", "abstract", "categories", "published", "score", "topics")  # the work's own


def _paper(row: Any) -> StoredPaper:
    return StoredPaper(
        id=row.id, canonical_id=row.canonical_id, arxiv_id=row.arxiv_id, title=row.title,
        authors=tuple(row.authors or ()), abstract=row.abstract or "", abs_url=row.abs_url or "",
        pdf_url=row.pdf_url or "", links=tuple(tuple(x) for x in row.links or ()),
        categories=tuple(row.categories or ()), feeds=tuple(row.feeds or ()), published=utc(row.published),
        first_seen_at=utc(row.first_seen_at), score=float(row.score), topics=tuple(row.topics or ()),  # type: ignore[arg-type]
        status=row.status, status_at=utc(row.status_at), listed_entry=row.listed_entry,  # type: ignore[arg-type]
        held_back_at=utc(row.held_back_at), candidate_at=utc(row.candidate_at),
    )


class PaperStore(FeedStates, ListedIds):
    def __init__(self, database: Database):
        self.db = database

    # ------------------------------------------------------------------ papers

    def find_by_keys(self, conn: Connection, keys: Iterable[str]) -> StoredPaper | None:
        """The stored paper sharing a key with these, if any may be merged with them: two different arXiv ids are
        two papers, whatever else they share (a title with zero-width characters, a URL)."""
        keys = list(keys)
        if not keys:
            return None
        owners = self._owners(conn, keys)
        paper_id = _compatible_owner(keys, owners)
        if paper_id is None:
            return None
        row = conn.execute(select(schema.papers).where(schema.papers.c.id == paper_id)).first()
        return _paper(row) if row else None

    @staticmethod
    def _owners(conn: Connection, keys: list[str]) -> dict[str, tuple[int, str | None]]:
        """key -> (paper id, that paper's arXiv id) for the keys already stored (500 at a time)."""
        owners: dict[str, tuple[int, str | None]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            found = conn.execute(
                select(schema.paper_keys.c.key, schema.paper_keys.c.paper_id, schema.papers.c.arxiv_id)
                .join(schema.papers, schema.papers.c.id == schema.paper_keys.c.paper_id)
                .where(schema.paper_keys.c.key.in_(chunk)))
            owners.update((key, (paper_id, arxiv)) for key, paper_id, arxiv in found)
        return owners

    def stored(self, key_sets: Sequence[Iterable[str]],
               claimed: dict[str, tuple[int, str | None]] | None = None) -> list[bool]:
        """For each paper's keys, whether `record_batch` would merge it into a paper stored already (another feed's
        copy) or into one before it in the same batch, rather than store it as new: what a dry run needs to tell
        new candidates from papers known before. `claimed`: the keys of the papers a dry run's earlier feeds would
        have stored (they store nothing), added to here as `record_batch` would claim them."""
        key_lists = [sorted(set(keys)) for keys in key_sets]
        with self.db.engine.connect() as conn:
            owners = self._owners(conn, sorted({k for keys in key_lists for k in keys}))
        claims: dict[str, tuple[int, str | None]] = {} if claimed is None else claimed
        results = []
        for keys in key_lists:
            owners.update((k, claims[k]) for k in keys if k not in owners and k in claims)
            if _compatible_owner(keys, owners) is not None:
                results.append(True)
                continue
            arxiv = next((k.removeprefix("arxiv:") for k in keys if k.startswith("arxiv:")), None)
            new = {k: (-1, arxiv) for k in keys if k not in owners}  # as record_batch claims a new paper's keys
            owners.update(new)
            claims.update(new)
            results.append(False)
        return results

    def item_seen(self, feed: str, item_id: str) -> bool:
        with self.db.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(schema.feed_items)
                .where(schema.feed_items.c.feed == feed).where(schema.feed_items.c.item_id == item_id)
            ).scalar_one() > 0

    def seen_items(self, feed: str, item_ids: Iterable[str]) -> set[str]:
        """Which of these item ids this feed has delivered before (one query per 500 ids)."""
        ids = list(dict.fromkeys(item_ids))
        seen: set[str] = set()
        table = schema.feed_items
        with self.db.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                seen.update(conn.execute(select(table.c.item_id).where(table.c.feed == feed)
                                         .where(table.c.item_id.in_(chunk))).scalars())
        return seen

    def record_batch(self, rows: Sequence[tuple[Iterable[str], dict[str, Any], str]], *, feed: str,
                     now: datetime, budget: CandidateBudget | None = None) -> list[tuple[StoredPaper | None, bool]]:
        """Record a poll's papers (keys, values, item id) in one transaction; (paper, created) for each.

        New papers are inserted in bulk; a paper sharing a key with a stored one (or an earlier one in
        the batch) is merged as `record_paper` would. If another process races us on a key, the whole
        batch falls back to one transaction per paper, which resolves the race by merging.

        With a `budget`, new papers wanting to be candidates beyond it are stored `seen` and marked held back.
        """
        try:
            return self._record_batch(rows, feed, now, budget)
        except IntegrityError:
            if budget is not None:
                budget.held_back.clear()
            # The best first, so a budget still goes to them (a tie to the smaller canonical id, as in the batch);
            # the results in the rows' order.
            order = sorted(range(len(rows)), key=lambda n: (-float(rows[n][1].get("score", 0.0)),
                                                            str(rows[n][1].get("canonical_id", ""))))
            results: dict[int, tuple[StoredPaper | None, bool]] = {}
            for n in order:
                keys, values, item_id = rows[n]
                results[n] = self.record_paper(keys=keys, values=values, feed=feed, item_id=item_id, now=now,
                                               budget=budget)
            return [results[n] for n in range(len(rows))]

    def _record_batch(self, rows: Sequence[tuple[Iterable[str], dict[str, Any], str]], feed: str,
                      now: datetime, budget: CandidateBudget | None) -> list[tuple[StoredPaper | None, bool]]:
        keyed = [(sorted(set(keys)), values, item_id) for keys, values, item_id in rows]
        all_keys = sorted({k for keys, _, _ in keyed for k in keys})
        results: list[tuple[StoredPaper | None, bool]] = []
        with self.db.transaction() as conn:
            owners = self._owners(conn, all_keys)
            fresh: list[tuple[list[str], dict[str, Any], str, bool]] = []  # (keys, values, item id, new)
            for keys, values, item_id in keyed:
                if _compatible_owner(keys, owners) is not None:
                    fresh.append((keys, values, item_id, False))  # merged below, after the bulk insert
                    continue
                # A new paper; keys another arXiv paper holds already (its title) stay that paper's.
                keys = [k for k in keys if k not in owners]
                owners.update((k, (-1, values.get("arxiv_id"))) for k in keys)  # claimed by this batch
                fresh.append((keys, values, item_id, True))
            new_rows = [(keys, values, item_id) for keys, values, item_id, new in fresh if new]
            self._admit_candidates(conn, [values for _, values, _ in new_rows], budget, now)
            # In slices, inside the one transaction: the statement's parameters for a whole 2,000-paper poll at once
            # were the poll's memory peak (issue 16), and a slice costs no more round trips than SQLAlchemy's own.
            for start in range(0, len(new_rows), _INSERT_SLICE):
                self._insert_new(conn, new_rows[start:start + _INSERT_SLICE], feed, now)
            for keys, values, item_id, new in fresh:
                if new:
                    results.append((None, True))
                    continue
                paper = self.find_by_keys(conn, keys)
                assert paper is not None
                results.append((self._merge(conn, paper, keys, values, feed, item_id, now), False))
        return results

    @staticmethod
    def _insert_new(conn: Connection, new_rows: list[tuple[list[str], dict[str, Any], str]], feed: str,
                    now: datetime) -> None:
        # canonical_id is unique: the returned rows are matched to ours by it, in whatever order they come.
        # (Asking for them in parameter order makes SQLAlchemy send SQLite one INSERT per row.)
        returned: dict[str, int] = dict(conn.execute(
            insert(schema.papers).returning(schema.papers.c.canonical_id, schema.papers.c.id),
            [{**values, "feeds": [feed], "first_seen_at": now, "status_at": now} for _, values, _ in new_rows],
        ).all())
        inserted = [returned[values["canonical_id"]] for _, values, _ in new_rows]
        key_rows, item_rows = [], []
        for (keys, _, item_id), paper_id in zip(new_rows, inserted, strict=True):
            key_rows += [{"key": k, "paper_id": paper_id} for k in keys]
            item_rows.append({"feed": feed, "item_id": item_id, "paper_id": paper_id, "seen_at": now})
        conn.execute(insert(schema.paper_keys), key_rows)
        conn.execute(insert(schema.feed_items), item_rows)

    def record_paper(self, *, keys: Iterable[str], values: dict[str, Any], feed: str, item_id: str,
                     now: datetime, budget: CandidateBudget | None = None) -> tuple[StoredPaper, bool]:
        """Insert a new paper or merge into the one sharing a key; return (paper, created).

        Runs in one transaction; a unique-key race with another process falls back to the merge.
        """
        keys = sorted(set(keys))
        for _attempt in range(3):
            try:
                with self.db.transaction() as conn:
                    existing = self.find_by_keys(conn, keys)
                    if existing is not None:
                        paper = self._merge(conn, existing, keys, values, feed, item_id, now)
                        return paper, False
                    held = self._owners(conn, keys)  # by another arXiv paper: not this one's to take
                    keys = [k for k in keys if k not in held]
                    values = dict(values)
                    self._admit_candidates(conn, [values], budget, now)
                    paper_id = conn.execute(
                        insert(schema.papers).values(**values, feeds=[feed], first_seen_at=now, status_at=now)
                        .returning(schema.papers.c.id)
                    ).scalar_one()
                    conn.execute(insert(schema.paper_keys), [{"key": k, "paper_id": paper_id} for k in keys])
                    conn.execute(insert(schema.feed_items).values(feed=feed, item_id=item_id, paper_id=paper_id,
                                                                  seen_at=now))
                    row = conn.execute(select(schema.papers).where(schema.papers.c.id == paper_id)).one()
                    return _paper(row), True
            except IntegrityError:
                continue  # someone else inserted the same paper or key: merge on the next attempt
        raise RuntimeError(f"could not record paper {values.get('canonical_id')} after 3 attempts")

    def _admit_candidates(self, conn: Connection, rows: list[dict[str, Any]], budget: CandidateBudget | None,
                          now: datetime) -> None:
        """Stamp the new papers that become candidates (`candidate_at`); with a budget, only as many as today has
        left, the highest-scoring first, and the rest stay `seen`, held back. Inside the inserting transaction,
        so two feeds polled at once (or two processes) cannot both spend the same budget."""
        for values in rows:  # a bulk insert needs the same columns in every row
            values.setdefault("candidate_at", None)
            values.setdefault("held_back_at", None)
        wanted = [values for values in rows if values.get("status") == "candidate"]
        if not wanted:
            return
        left = len(wanted)
        if budget is not None:
            if conn.dialect.name == "postgresql":  # SQLite's write transactions are serial already
                conn.execute(text(f"SELECT pg_advisory_xact_lock({_BUDGET_LOCK_KEY})"))
            spent = conn.execute(select(func.count()).select_from(schema.papers)
                                 .where(schema.papers.c.candidate_at >= budget.since)).scalar_one()
            left = max(0, budget.limit - spent)
        for rank, values in enumerate(sorted(wanted, key=lambda v: (-float(v.get("score", 0.0)), v["canonical_id"]))):
            if rank < left:
                values["candidate_at"] = now
            else:
                values.update(status="seen", held_back_at=now)
                if budget is not None:
                    budget.held_back.add(values["canonical_id"])

    def candidates_since(self, since: datetime) -> int:
        """How many papers became candidates from `since` on (the day's budget spent so far)."""
        with self.db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.papers)
                                    .where(schema.papers.c.candidate_at >= since)).scalar_one())

    def held_back(self, *, since: datetime | None = None) -> list[StoredPaper]:
        """Papers the daily budget kept back (still `seen`), best first."""
        query = (select(schema.papers).where(schema.papers.c.status == "seen")
                 .where(schema.papers.c.held_back_at.is_not(None)))
        if since is not None:
            query = query.where(schema.papers.c.held_back_at >= since)
        with self.db.engine.connect() as conn:
            return [_paper(row) for row in conn.execute(query.order_by(schema.papers.c.score.desc(),
                                                                       schema.papers.c.id))]

    def _merge(self, conn: Connection, existing: StoredPaper, keys: list[str], values: dict[str, Any],
               feed: str, item_id: str, now: datetime) -> StoredPaper:
        known = set(conn.execute(select(schema.paper_keys.c.key)
                                 .where(schema.paper_keys.c.paper_id == existing.id)).scalars())
        new_keys = [k for k in keys if k not in known]
        for key in new_keys:
            try:
                with conn.begin_nested():
                    conn.execute(insert(schema.paper_keys).values(key=key, paper_id=existing.id))
            except IntegrityError:
                pass  # the key belongs to another paper already; keep the first association
        links = list(existing.links)
        for link in values.get("links", []):
            if tuple(link) not in links:
                links.append(tuple(link))
        feeds = list(existing.feeds) if feed in existing.feeds else [*existing.feeds, feed]
        changes: dict[str, Any] = {"links": [list(x) for x in links], "feeds": feeds}
        if values.get("status") == "listed" and existing.status in ("seen", "candidate"):
            # Another spelling of this work (the arXiv version of a forum post) is already on the list.
            changes.update(status="listed", status_at=now, listed_entry=values.get("listed_entry"))
            if existing.status == "candidate":
                close_as_listed(conn, existing.id, values.get("listed_entry"), now)
        if not existing.arxiv_id and values.get("arxiv_id"):
            changes["arxiv_id"] = values["arxiv_id"]
            changes["abs_url"], changes["pdf_url"] = values.get("abs_url", ""), values.get("pdf_url", "")
            # A forum's linkpost came first: the paper's own title, authors and abstract, and the score they earn,
            # replace the post's ("... (linkpost)" by its poster, scored on a one-line summary), before an
            # approval writes them into the list.
            changes.update({key: values[key] for key in _PAPER_FIELDS if values.get(key)})
            if existing.status == "seen" and existing.held_back_at is None and values.get("status") == "candidate":
                # The post scored below the threshold, the paper above: kept back, not lost. `candidates --all`
                # and the digest show it, and a maintainer's vote puts it forward (the day's budget is not spent
                # here, inside another feed's merge).
                changes["held_back_at"] = now
        conn.execute(update(schema.papers).where(schema.papers.c.id == existing.id).values(**changes))
        try:
            with conn.begin_nested():
                conn.execute(insert(schema.feed_items).values(feed=feed, item_id=item_id, paper_id=existing.id,
                                                              seen_at=now))
        except IntegrityError:
            pass  # this feed delivered this item before: already recorded
        row = conn.execute(select(schema.papers).where(schema.papers.c.id == existing.id)).one()
        return _paper(row)

    def paper(self, paper_id: int, conn: Connection | None = None) -> StoredPaper | None:
        """A paper by id; pass `conn` to read inside a caller's transaction."""
        query = select(schema.papers).where(schema.papers.c.id == paper_id)
        if conn is not None:
            row = conn.execute(query).first()
        else:
            with self.db.engine.connect() as own:
                row = own.execute(query).first()
        return _paper(row) if row else None

    def papers(self, *, status: str | Iterable[str] | None = None, since: datetime | None = None,
               limit: int | None = None) -> list[StoredPaper]:
        query = select(schema.papers)
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            query = query.where(schema.papers.c.status.in_(statuses))
        if since is not None:
            query = query.where(schema.papers.c.status_at >= since)
        query = query.order_by(schema.papers.c.score.desc(), schema.papers.c.id)
        if limit:
            query = query.limit(limit)
        with self.db.engine.connect() as conn:
            return [_paper(row) for row in conn.execute(query)]

    def candidates(self) -> list[StoredPaper]:
        return self.papers(status="candidate")

    def set_status(self, paper_id: int, status: str, *, only_from: Iterable[str], now: datetime) -> bool:
        """Move a paper to `status` if it is still in one of `only_from`; True if this call did it."""
        with self.db.transaction() as conn:
            return bool(conn.execute(
                update(schema.papers).where(schema.papers.c.id == paper_id)
                .where(schema.papers.c.status.in_(list(only_from))).values(status=status, status_at=now)
            ).rowcount)

    def count_by_status(self) -> dict[str, int]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(schema.papers.c.status, func.count()).group_by(schema.papers.c.status))
            return {status: count for status, count in rows}


def _compatible_owner(keys: Iterable[str], owners: dict[str, tuple[int, str | None]]) -> int | None:
    """The paper (id; -1 for one claimed earlier in the same batch) these keys belong to, or None: an owner of
    the same arXiv key first, then any owner whose arXiv id does not contradict ours."""
    keys = list(keys)
    mine = next((k[6:] for k in keys if k.startswith("arxiv:")), None)
    if mine is not None and (owner := owners.get(f"arxiv:{mine}")) is not None:
        return owner[0]
    for key in keys:
        owner = owners.get(key)
        if owner is not None and (mine is None or owner[1] is None or owner[1] == mine):
            return owner[0]
    return None
