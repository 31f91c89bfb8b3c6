"""The seed list survives import → YAML → render with nothing lost and in order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.catalogue.markdown import render_markdown
from bot.catalogue.markdown_import import import_markdown
from bot.catalogue.text import repair_mojibake
from bot.catalogue.yaml_io import load_catalogue
from bot.catalogue.yaml_write import write_catalogue
from bot.errors import MarkdownImportError

BULLET = re.compile(r"^\* (.*)$")
HEADING = re.compile(r"^(#{2,6}) (.+)$")
# A seed link: `[[label]](url)`, or `[[label]]([DOI](url))` with a DOI as the target's text.
LINK = re.compile(r"\[\[(.+?)\]\]\((?:\[([^\]]*)\]\()?([^()\s]+)\)?\)")


def seed_bullets(text: str) -> list[tuple[str, bool, list[tuple[str, str, str]]]]:
    """(title, starred, links as (label, DOI, url)) of every top-level bullet, read independently of the
    importer."""
    bullets = []
    for line in repair_mojibake(text).splitlines():
        match = BULLET.match(line)
        if match:
            body = match.group(1)
            title = re.search(r"\*\*(.+?)\*\*", body).group(1)
            bullets.append((title, body.startswith("🌟"), LINK.findall(body)))
    return bullets


@pytest.fixture
def round_trip(seed_text: str, tmp_path: Path) -> str:
    write_catalogue(import_markdown(seed_text), tmp_path / "cat")
    return render_markdown(load_catalogue(tmp_path / "cat"))


def test_every_top_level_bullet_of_the_seed_is_imported(seed_text: str) -> None:
    catalogue = import_markdown(seed_text)
    placements = sum(len(ids) for ids in catalogue.placement.values())
    assert len(seed_bullets(seed_text)) == 97
    assert placements == 97
    # Four papers stand under two topics each: one entry, two topics.
    assert len(catalogue.entries) == 93
    repeated = {e.title for e in catalogue.entries if len(e.topics) == 2}
    assert "Progress measures for grokking via mechanistic interpretability" in repeated
    assert "In-context learning and induction heads" in repeated


def test_round_trip_holds_every_entry_link_and_heading_in_order(seed_text: str, round_trip: str) -> None:
    rendered_lines = round_trip.splitlines()
    cursor = 0
    # Headings, bullets (title, star, links) and notes must appear in the seed's order.
    expected: list[str] = []
    for line in repair_mojibake(seed_text).splitlines():
        heading = HEADING.match(line)
        if heading:
            expected.append(f"{heading.group(1)} {heading.group(2)}")
    for heading in expected:
        cursor = rendered_lines.index(heading, cursor) + 1
    position = 0
    for title, starred, links in seed_bullets(seed_text):
        star = "🌟" if starred else ""
        needle = f"* {star}**{title}**"
        position = round_trip.index(needle, position)
        line_end = round_trip.index("\n", position)
        rendered = round_trip[position:line_end]
        for label, doi, url in links:
            # A DOI the seed wrote as a link's text is that link's title: a link GitHub can follow.
            title_attribute = f" '{doi}'" if doi else ""
            assert f"[[{label}]]({url}{title_attribute})" in rendered, (title, label, url)
        position = line_end


def test_odd_links_notes_and_stars_are_kept(seed_text: str, round_trip: str) -> None:
    catalogue = import_markdown(seed_text)
    by_title = {e.title: e for e in catalogue.entries}
    nested = by_title["Interpreting Transformer's Attention Dynamic Memory and Visualizing the Semantic "
                      "Information Flow of GPT"]
    assert nested.links[0].label == "arxiv 2305"
    assert nested.links[0].url == "http://arxiv.org/abs/2305.13417"
    assert nested.doi == "10.48550/arXiv.2305.13417"
    assert by_title["Large Language Model Alignment: A Survey"].links[0].url == "https://arxiv.org/abs//2309.15025"
    assert by_title["Locating and Editing Factual Associations in GPT"].acronym == "ROME"
    assert "* Highest scores at ICLR 2024: 10, 10, 8, 8. And by one author only!" in round_trip
    assert "*Note: These Alignment surveys discuss the relation between Interpretability and LLM Alignment.*" \
        in round_trip
    assert "  * Contains some methods for tracing and editing internal activations in a network." in round_trip
    # Seven stars in the seed, two of them on the same paper (listed under two topics).
    assert repair_mojibake(seed_text).count("🌟") == 7
    assert sum(1 for e in catalogue.entries if e.starred) == 6
    assert "ðŸŒŸ" not in round_trip


def test_headings_keep_the_lists_quirks(seed_text: str) -> None:
    catalogue = import_markdown(seed_text)
    assert catalogue.topic("visulization").title == "Visulization"
    assert "visualization" in catalogue.topic("visulization").aliases
    # `#### Function` sits one level up, beside "Task Solving/Function/Ability", as in the seed.
    assert catalogue.topic("function").parent == "by-topic"
    generals = [t.slug for t in catalogue.topics if t.title == "General"]
    assert len(generals) == 4
    assert len(set(generals)) == 4


def test_rendering_is_deterministic(seed_text: str, round_trip: str, tmp_path: Path) -> None:
    again = render_markdown(load_catalogue(tmp_path / "cat"))
    assert again == round_trip
    assert round_trip.startswith("# Awesome-LLM-Interpretability\n")
    assert "## Contents" in round_trip
    assert "* [Paper & Blog](#paper--blog)" in round_trip


def test_the_committed_catalogue_is_the_seed_import(seed_text: str, tmp_path: Path) -> None:
    from tests.conftest import CATALOGUE

    fresh = render_markdown(import_markdown(seed_text))
    committed = load_catalogue(CATALOGUE)
    seed_ids = {e.id for e in import_markdown(seed_text).entries}
    # Approved papers may have joined since; the seed's entries must all still be there.
    assert seed_ids <= {e.id for e in committed.entries}
    assert fresh.count("\n* ") <= render_markdown(committed).count("\n* ")


def test_a_list_the_bot_rendered_imports_back_to_the_same_list() -> None:
    """`import-markdown catalogue/README.md` stopped at line 11 ("a bullet must start with a **bold title**"): the
    table of contents, the count line, a section's links to its parts and its own paragraph were not read."""
    from dataclasses import replace

    from tests.conftest import CATALOGUE

    committed = load_catalogue(CATALOGUE)
    # A section's own paragraph, and markup a title and a note escape, come back as they were written.
    described = {"probing": "Papers that *open* the [box] | so to speak.", "linearity": "1. Basics first",
                 "neuron": "+ more, # and > this", "mlp-ffn": "---"}
    topics = tuple(replace(t, description=described.get(t.slug, t.description), title=t.title + r" \. and \: kept"
                           if t.slug == "attention" else t.title) for t in committed.topics)
    entries = tuple(replace(e, title=e.title + " <with_*markup*>", notes=(*e.notes, "a [note] `x`"))
                    if e.id == committed.placement["probing"][0] else e for e in committed.entries)
    listed = replace(committed, topics=topics, entries=entries)
    rendered = render_markdown(listed)
    again = import_markdown(rendered)
    assert render_markdown(again) == rendered
    assert {t.title: t.description for t in again.topics if t.description} == \
        {t.title: t.description for t in listed.topics if t.description}
    assert r"Attention \. and \: kept" in [t.title for t in again.topics]  # headings are written as they are
    assert {e.title: (e.notes, e.acronym, e.starred, e.links) for e in again.entries} == \
        {e.title: (e.notes, e.acronym, e.starred, e.links) for e in listed.entries}


@pytest.mark.parametrize("title", ["A* Search Without Expansions", "Q*", "Learning to rank with *", "**"])
def test_a_title_ending_in_a_star_imports_back(title: str) -> None:
    """`**Q\\***`: the bold title's end was taken at the escaped star, and the bullet was refused as no link."""
    from bot.catalogue.model import Catalogue, Entry, Link, Topic

    entry = Entry(id="e", title=title, links=(Link("arxiv", "https://arxiv.org/abs/2401.00001"),), topics=("t",))
    listed = Catalogue(title="L", description="", topics=(Topic(slug="t", title="T"),), entries=(entry,),
                       placement={"t": ("e",)})
    again = import_markdown(render_markdown(listed))
    assert [(e.title, e.links) for e in again.entries] == [(title, entry.links)]


@pytest.mark.parametrize("item", ["+ **Paper One** [[paper]](https://arxiv.org/abs/2301.00001)",
                                  "1. **Paper One** [[paper]](https://arxiv.org/abs/2301.00001)",
                                  "**Paper One** [[paper]](https://arxiv.org/abs/2301.00001)",
                                  "1. [Paper One](https://arxiv.org/abs/2301.00001)",
                                  "+ **Paper One** [paper](https://arxiv.org/abs/2301.00001)"])
def test_entries_in_a_list_style_it_does_not_read_are_an_error_not_a_description(item: str) -> None:
    """A section's paragraph became its description: entries written `+ **...**` or `1. **...**` were swallowed
    into it, and the import said it had succeeded."""
    with pytest.raises(MarkdownImportError, match="line 5: unexpected text outside a bullet"):
        import_markdown(f"# L\n\n## T\n\n{item}\n* **Paper Two** [[paper]](https://arxiv.org/abs/2301.00002)\n")
    for prose in ("What this section holds.", "**Note:** these are surveys, read them first.", "1. Basics first"):
        described = import_markdown(f"# L\n\n## T\n\n{prose}\n\n* **Paper Two** [[p]](https://a.example/)\n")
        assert described.topics[0].description == prose


def test_markup_in_titles_is_rendered_inert() -> None:
    text = "# L\n\n## T\n\n* **Evil [click](javascript:alert(1)) <script>** [[x]](https://a.example/)\n"
    rendered = render_markdown(import_markdown(text))
    assert "[click](javascript" not in rendered
    assert "\\[click\\]" in rendered
    assert "\\<script\\>" in rendered


def test_a_bad_line_names_its_line_number() -> None:
    with pytest.raises(MarkdownImportError, match="line 5"):
        import_markdown("# L\n\n## T\n\n* not bold [[x]](https://a.example/)\n")
