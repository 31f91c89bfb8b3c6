"""Loading validates everything and names file and line; appends touch only the new entry's lines."""

from __future__ import annotations

import difflib
import multiprocessing
import os
import signal
from pathlib import Path

import pytest

from bot.catalogue.errors import CatalogueError
from bot.catalogue.model import Entry, Link
from bot.catalogue.service import CatalogueService
from bot.catalogue.yaml_io import append_entry, entry_yaml, load_catalogue


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_of(directory: Path) -> str:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(directory)
    return str(info.value)


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_committed_catalogue_is_valid(catalogue_dir: Path) -> None:
    catalogue = load_catalogue(catalogue_dir)
    assert len(catalogue.topics) == 38
    assert catalogue.topic("sparse-coding").aliases[:2] == ("sae", "saes")


def test_unknown_key_names_file_line_and_a_suggestion(catalogue_dir: Path) -> None:
    path = catalogue_dir / "library.yaml"
    edit(path, "title: TransformerLens", "titel: TransformerLens")
    message = problems_of(catalogue_dir)
    line = line_of(path, "titel:")
    assert f"library.yaml:{line}: unknown entry key 'titel' (did you mean 'title'?)" in message
    assert "has no title" in message


def test_bad_yaml_syntax_names_the_line(catalogue_dir: Path) -> None:
    path = catalogue_dir / "survey.yaml"
    edit(path, "      kind: survey\n", "      kind: [survey\n")
    message = problems_of(catalogue_dir)
    assert "survey.yaml:" in message and "invalid YAML" in message
    number = int(message.split("survey.yaml:")[1].split(":")[0])
    assert abs(number - line_of(path, "kind: [survey")) <= 2


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("library.yaml", "url: https://github.com/neelnanda-io/TransformerLens",
         "url: not-a-url", "malformed URL 'not-a-url'"),
        ("library.yaml", "url: https://github.com/alan-cooney/CircuitsVis",
         "url: javascript:alert(1)", "malformed URL 'javascript:alert(1)'"),
        ("library.yaml", "- topic: library", "- topic: librray", "topic 'librray' is not in topics.yaml"),
        ("library.yaml", "id: circuitsvis", "id: transformerlens", "duplicate entry id 'transformerlens'"),
        ("topics.yaml", "slug: video", "slug: survey", "duplicate topic slug 'survey'"),
        ("library.yaml", "kind: library", "kind: podcast", "kind 'podcast' is not one of"),
        ("learning-dynamics.yaml", "    - see: progress-measures", "    - see: no-such-entry-progress-measures",
         "'see: no-such-entry-progress-measures-for-grokking-via-mechanistic-interpretability' names no entry"),
        ("library.yaml", "title: TransformerLens", "title: !!python/object:os.system echo",
         "could not determine a constructor"),
        ("library.yaml", "title: baukit", "title: baukit\n      title: again", "duplicate key 'title'"),
    ],
)
def test_each_kind_of_mistake_is_reported(catalogue_dir: Path, file: str, old: str, new: str, expected: str) -> None:
    edit(catalogue_dir / file, old, new)
    message = problems_of(catalogue_dir)
    assert expected in message
    assert f"{file}:" in message


def test_the_service_refuses_to_start_on_an_invalid_catalogue(catalogue_dir: Path) -> None:
    edit(catalogue_dir / "library.yaml", "title: baukit", "title: ''")
    with pytest.raises(CatalogueError, match="has no title"):
        CatalogueService(catalogue_dir)


def test_a_broken_edit_while_running_keeps_the_last_valid_list(catalogue_dir: Path) -> None:
    service = CatalogueService(catalogue_dir)
    before = service.index
    (catalogue_dir / "library.yaml").write_text("- topic: [broken\n", encoding="utf-8")
    assert service.index is before  # still serving, not crashing


NEW = Entry(
    id="scaling-monosemanticity",
    title="Scaling Monosemanticity: Extracting Interpretable Features from Claude 3 Sonnet",
    links=(Link("Transformer Circuits Thread", "https://transformer-circuits.pub/2024/scaling-monosemanticity/"),),
    added="2026-11-24", approved_by=("alice", "bob"), authors=("Adly Templeton",),
)


def test_append_touches_only_the_new_entrys_lines(catalogue_dir: Path) -> None:
    path = catalogue_dir / "tools-techniques-methods.yaml"
    (path).write_text(path.read_text().replace("- topic: sparse-coding", "# maintainers' comment stays\n"
                                               "- topic: sparse-coding"), encoding="utf-8")
    before = path.read_text().splitlines()
    written, _ = append_entry(catalogue_dir, NEW, "sparse-coding")
    after = written.read_text().splitlines()
    assert written == path
    added = [line for line in difflib.ndiff(before, after) if line.startswith(("+ ", "- "))]
    assert all(line.startswith("+ ") for line in added)
    assert [line[2:] for line in added] == entry_yaml(NEW).splitlines()
    assert "# maintainers' comment stays" in after
    catalogue = load_catalogue(catalogue_dir)
    assert catalogue.placement["sparse-coding"][-1] == "scaling-monosemanticity"
    assert catalogue.entry("scaling-monosemanticity").approved_by == ("alice", "bob")


def test_append_refuses_a_second_copy_and_an_unknown_topic(catalogue_dir: Path) -> None:
    append_entry(catalogue_dir, NEW, "sparse-coding")
    with pytest.raises(CatalogueError, match="already exists"):
        append_entry(catalogue_dir, NEW, "sparse-coding")
    with pytest.raises(CatalogueError, match="no topic 'nope'"):
        append_entry(catalogue_dir, Entry(id="x", title="X"), "nope")


def test_hostile_titles_are_stored_as_plain_text(catalogue_dir: Path) -> None:
    hostile = Entry(id="hostile", title='!!python/object:os.system "rm -rf /" @everyone <!channel> [x](javascript:1)',
                    links=(Link("x: y # z", "https://example.org/?a=1#frag"),))
    append_entry(catalogue_dir, hostile, "probing")
    loaded = load_catalogue(catalogue_dir).entry("hostile")
    assert loaded.title == hostile.title
    assert loaded.links == hostile.links


def _append_then_die(directory: str) -> None:
    append_entry(Path(directory), NEW, "sparse-coding")


def test_a_killed_writer_leaves_old_or_new_never_broken(catalogue_dir: Path) -> None:
    """kill -9 at many points during the write: the file always parses and holds 0 or 1 copies."""
    context = multiprocessing.get_context("fork")
    outcomes = set()
    for attempt in range(12):
        process = context.Process(target=_append_then_die, args=(str(catalogue_dir),))
        process.start()
        # Kill at staggered moments: some before the rename, some after.
        process.join(timeout=0.002 * attempt)
        if process.is_alive():
            os.kill(process.pid, signal.SIGKILL)
        process.join()
        catalogue = load_catalogue(catalogue_dir)  # never raises: old or new
        copies = sum(1 for e in catalogue.entries if e.id == NEW.id)
        assert copies in (0, 1)
        outcomes.add(copies)
        if copies:
            break
    assert not list(catalogue_dir.glob(".*.tmp"))[1:]  # at most the one temp file of the killed write
