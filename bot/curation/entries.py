"""The catalogue entry an approved paper becomes: its id, links, authors, and who approved it."""

from __future__ import annotations

from bot.catalogue.model import Entry, Link
from bot.catalogue.text import entry_slug, slugify
from bot.catalogue.yaml_write import reads_back_plain
from bot.intake.identity import arxiv_abs_url, arxiv_id
from bot.intake.sites import site_label
from bot.store.curation import Decision
from bot.store.papers import StoredPaper

ID_WORDS_CHARS = 80  # an id's words from the title; the paper's arXiv id may follow (decisions keep 200)


def entry_for(paper: StoredPaper, decision: Decision, taken_ids: set[str]) -> Entry:
    """The catalogue entry an approved paper becomes. Its id depends only on the paper, so a retry
    after a crash recognises an entry it already wrote."""
    base = entry_slug(paper.title) or f"paper-{paper.id}"
    if len(base) > ID_WORDS_CHARS:  # eight long words: cut at a word, well inside what the database keeps (200)
        cut = base[:ID_WORDS_CHARS + 1]
        base = cut.rsplit("-", 1)[0] if "-" in cut else cut[:ID_WORDS_CHARS]
    entry_id = base
    # A slug YAML reads as something else (`no`, `1984`, `0x1f`, `2024-01-01`) gets the paper's id too: the writer
    # quotes it anyway, but people edit these files by hand, and `id: no` would be false to them.
    if base in taken_ids or not reads_back_plain(base):
        entry_id = f"{base}-{slugify(paper.arxiv_id or str(paper.id))}"
    if entry_id in taken_ids or not reads_back_plain(entry_id):
        entry_id = f"paper-{paper.id}-{slugify(paper.arxiv_id or paper.canonical_id)}"[:80].rstrip("-")
    links: list[Link] = []
    if paper.arxiv_id:  # labelled like the seed list: "arxiv 2309"
        label = f"arxiv {paper.arxiv_id[:4]}" if paper.arxiv_id[:4].isdigit() else "arxiv"
        links.append(Link(label, arxiv_abs_url(paper.arxiv_id)))
    for label, url in [("", paper.abs_url), *paper.links]:
        if not url or url == paper.pdf_url or (paper.arxiv_id and arxiv_id(url)):
            continue  # the pdf and other spellings of the arXiv link add nothing
        if url not in {link.url for link in links}:
            links.append(Link(site_label(url, label), url))
    forum_only = not paper.arxiv_id and any(
        word in label.lower() for label, _ in paper.links for word in ("lesswrong", "alignment forum"))
    return Entry(
        id=entry_id, title=paper.title, kind="blog" if forum_only else "paper", links=tuple(links),
        authors=paper.authors[:20], added=decision.decided_at.date().isoformat(),
        source=paper.abs_url or (paper.links[0][1] if paper.links else ""),
        approved_by=tuple(name.split(":", 1)[-1] for name in decision.deciders), topics=(decision.topic or "",),
        forced=decision.forced,
    )
