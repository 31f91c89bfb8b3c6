"""A vote threshold lowered (a setting: a restart) decides the candidates whose standing votes now meet it, at start."""

from __future__ import annotations

import io
from pathlib import Path

from bot.adapters.console import ConsoleAdapter
from bot.app import App
from bot.catalogue.service import CatalogueService
from bot.catalogue.yaml_io import load_catalogue
from bot.curation.pipeline import Curation
from bot.store.db import Database
from tests.curation.test_pipeline import Posted, add_candidate, settings_for


async def test_a_lowered_threshold_decides_the_candidates_whose_votes_meet_it_at_start(
        catalogue_dir: Path, database_url: str, tmp_path: Path) -> None:
    """They used to stay open until someone voted on them again, and could expire holding enough votes."""
    database = Database.open(database_url)
    before = Curation(database, CatalogueService(catalogue_dir),
                      settings_for(catalogue_dir, database_url, approvals_needed=2, rejections_needed=2))
    ids = [add_candidate(database, n) for n in (21, 22, 23)] + [add_candidate(database, 24, topics=[])]
    before.attach(ConsoleAdapter(io.StringIO()))
    assert await before.publish_pending() == 4
    approved, rejected, untouched, topicless = (Posted(before, paper_id) for paper_id in ids)
    assert (await before.handle_vote(approved.vote("discord", "111"))).reason == "counted"  # 1 of 2 approvals
    assert (await before.handle_vote(rejected.vote("slack", "U222", emoji="x"))).reason == "counted"  # 1 of 2
    assert (await before.handle_vote(topicless.vote("discord", "222"))).reason == "counted"
    assert sorted(p.id for p in before.papers.candidates()) == ids
    database.close()

    # INTERP_BOT_APPROVALS_NEEDED=1 INTERP_BOT_REJECTIONS_NEEDED=1, and the bot restarted: nobody votes again.
    out = io.StringIO()
    app = App(settings_for(catalogue_dir, database_url, approvals_needed=1, rejections_needed=1,
                           feeds_file=tmp_path / "none.yaml"))
    app.add_adapter("console", stream=out)
    await app.start(scheduler=False)
    try:
        papers = app.curation.papers
        assert papers.paper(approved.paper_id).status == "approved"
        assert papers.paper(rejected.paper_id).status == "rejected"
        assert papers.paper(untouched.paper_id).status == "candidate"
        assert papers.paper(topicless.paper_id).status == "candidate"  # nowhere to file it: waits for a topic vote
        entry = load_catalogue(catalogue_dir).entry("sparse-autoencoders-reveal-feature-family-number-21")
        assert entry is not None
        assert (entry.topics, entry.approved_by) == (("sparse-coding",), ("alice",))
        assert load_catalogue(catalogue_dir).entry("sparse-autoencoders-reveal-feature-family-number-22") is None
        decision = app.curation.store.decision(approved.paper_id)
        assert decision.written and not decision.forced
        assert app.curation.store.decision(rejected.paper_id).deciders == ("bob",)
        shown = out.getvalue()  # the posts are edited to say so, as after a deciding vote
        assert "✅ Added: Sparse Autoencoders Reveal Feature Family Number 21 in Language Models" in shown
        assert "❌ Not added: Sparse Autoencoders Reveal Feature Family Number 22 in Language Models" in shown
        assert shown.count("── update ──") == 2
        # Each is decided once: a second start (or a vote's tally) finds nothing more to decide.
        assert await app.curation.recount() == 0
    finally:
        await app.stop()
