"""Appends touch only the new entry's lines, refuse duplicates, store hostile text plainly, survive kill -9."""

from __future__ import annotations

import difflib
import multiprocessing
import os
import signal
from pathlib import Path

import pytest

from bot.catalogue.model import Entry, Link, entry_from_data, entry_to_data
from bot.catalogue.service import CatalogueService
from bot.catalogue.text import slugify
from bot.catalogue.yaml_io import load_catalogue
from bot.catalogue.yaml_write import append_entry, atomic_write, entry_yaml
from bot.errors import CatalogueError

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


def test_an_approval_keeps_the_files_permissions_and_a_new_file_follows_the_umask(catalogue_dir: Path) -> None:
    """Writes go through mkstemp, which makes 0600 files: a catalogue other users or a web server read used to
    become unreadable to them after the first approval."""
    path = catalogue_dir / "tools-techniques-methods.yaml"
    readme = catalogue_dir / "README.md"
    path.chmod(0o644)
    readme.chmod(0o640)
    assert CatalogueService(catalogue_dir).append(NEW, "sparse-coding") == path  # an approval: YAML, then README
    assert "Scaling Monosemanticity" in readme.read_text(encoding="utf-8")
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert oct(readme.stat().st_mode & 0o777) == oct(0o640)
    previous = os.umask(0o027)
    try:
        atomic_write(catalogue_dir / "new.md", "text\n")
    finally:
        os.umask(previous)
    assert oct((catalogue_dir / "new.md").stat().st_mode & 0o777) == oct(0o640)


def test_append_refuses_a_second_copy_and_an_unknown_topic(catalogue_dir: Path) -> None:
    append_entry(catalogue_dir, NEW, "sparse-coding")
    with pytest.raises(CatalogueError, match="already exists"):
        append_entry(catalogue_dir, NEW, "sparse-coding")
    with pytest.raises(CatalogueError, match="no topic 'nope'"):
        append_entry(catalogue_dir, Entry(id="x", title="X"), "nope")


@pytest.mark.parametrize("empty", ["entries: []   # nothing yet", "entries: [ ]", "entries: []"])
def test_an_empty_block_with_a_comment_or_spaces_takes_the_entry(catalogue_dir: Path, empty: str) -> None:
    """`entries: []   # nothing yet` is valid YAML, yet every approval into it failed, for ever, with "invalid
    YAML" at a line of text that was never on disk."""
    path = catalogue_dir / "application.yaml"  # a section whose own entries are all in its subsections
    path.write_text(path.read_text(encoding="utf-8") + f"\n- topic: application\n  {empty}\n", encoding="utf-8")
    load_catalogue(catalogue_dir)  # valid as the maintainer left it
    written, catalogue = append_entry(catalogue_dir, NEW, "application")
    assert written == path
    assert catalogue.placement["application"] == (NEW.id,)
    if "#" in empty:
        assert "  entries:   # nothing yet\n" in path.read_text(encoding="utf-8")


def test_a_topic_line_with_a_comment_is_appended_to_not_doubled(catalogue_dir: Path) -> None:
    """`- topic: linearity  # ...` was not recognised: the approval added a second `- topic: linearity` block."""
    path = catalogue_dir / "feature-representation-probing-based.yaml"
    commented = "- topic: linearity  # linear representations\n"
    path.write_text(path.read_text(encoding="utf-8").replace("- topic: linearity\n", commented), encoding="utf-8")
    append_entry(catalogue_dir, NEW, "linearity")
    text = path.read_text(encoding="utf-8")
    assert text.count("- topic: linearity") == 1
    assert load_catalogue(catalogue_dir).placement["linearity"][-1] == NEW.id


def test_a_block_the_writer_cannot_extend_is_named_and_left_as_it_is(catalogue_dir: Path) -> None:
    path = catalogue_dir / "application.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n- topic: application\n"
                                                       "  entries: [{id: a-talk, title: A talk}]\n", encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    with pytest.raises(CatalogueError) as raised:
        append_entry(catalogue_dir, NEW, "application")
    message = str(raised.value)
    assert f"{path}: adding 'scaling-monosemanticity' under 'application' would have made this file invalid YAML" \
        in message
    assert "write the topic's block as `- topic: application` with its entries listed under `entries:`" in message
    assert path.read_text(encoding="utf-8") == before


def test_an_invalid_new_entry_is_blamed_not_the_files_layout(catalogue_dir: Path) -> None:
    bad = Entry(id="x-new", title="X", links=(Link("arXiv", "javascript:alert(1)"),))
    path = catalogue_dir / "tools-techniques-methods.yaml"
    before = path.read_text(encoding="utf-8")
    with pytest.raises(CatalogueError) as raised:
        append_entry(catalogue_dir, bad, "probing")
    message = str(raised.value)
    assert f"{path}: the new entry 'x-new' is not valid (" in message and "so nothing was written" in message
    assert "write the topic's block" not in message
    assert path.read_text(encoding="utf-8") == before


def test_the_same_paper_written_by_another_process_a_moment_ago_is_no_error(catalogue_dir: Path) -> None:
    """Two votes finishing one approval at once: the second found the first's entry and called the catalogue
    invalid ("an entry with id ... already exists")."""
    found = Entry(id="found-by-the-bot", title="Found by the bot", source="https://arxiv.org/abs/2401.00001")
    first, _ = append_entry(catalogue_dir, found, "probing")
    second, catalogue = append_entry(catalogue_dir, found, "probing")
    assert second == first
    assert [e.id for e in catalogue.entries].count("found-by-the-bot") == 1
    assert first.read_text(encoding="utf-8").count("id: found-by-the-bot") == 1
    other = Entry(id="found-by-the-bot", title="Another paper", source="https://arxiv.org/abs/2401.00002")
    with pytest.raises(CatalogueError, match="already exists"):
        append_entry(catalogue_dir, other, "probing")


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
    # Each writer clears the temp files killed writers left (under the lock, no live writer has one): at most the
    # last killed write's remains, and the next write (here a render) clears that too.
    assert not list(catalogue_dir.glob(".*.tmp"))[1:]
    CatalogueService(catalogue_dir).render()
    assert list(catalogue_dir.glob(".*.tmp")) == []


def test_temp_files_of_killed_writers_are_cleared_by_the_next_write(catalogue_dir: Path) -> None:
    """What kill -9 between mkstemp and rename leaves behind (two of them, as two killed writers would)."""
    litter = [catalogue_dir / ".tools-techniques-methods.yaml.k3j_9x2a.tmp", catalogue_dir / ".README.md.a81bq0zz.tmp"]
    for path in litter:
        path.write_text("- topic: half-written", encoding="utf-8")
    append_entry(catalogue_dir, NEW, "sparse-coding")
    assert [path for path in litter if path.exists()] == []


# Titles that YAML reads as something other than text when written bare, and the ids they slug to.
YAML_LOOKALIKES = ["No", "1984", "null", "true", "0x1F", "2024-01-01", "~", "on", "1e3", "12:30"]


@pytest.mark.parametrize("text", YAML_LOOKALIKES)
def test_ids_and_titles_yaml_would_misread_are_written_so_they_read_back_as_text(catalogue_dir: Path,
                                                                                 text: str) -> None:
    entry_id = slugify(text) or "tilde"
    append_entry(catalogue_dir, Entry(id=entry_id, title=text, approved_by=(text,)), "probing")
    loaded = load_catalogue(catalogue_dir).entry(entry_id)
    assert loaded is not None
    assert (loaded.id, loaded.title, loaded.approved_by) == (entry_id, text, (text,))


def test_an_arxiv_id_beside_the_venue_link_is_written_and_read_back(catalogue_dir: Path) -> None:
    """`arxiv:` is quoted (bare, YAML would read a number) and survives the write, the store and a fresh branch."""
    entry = Entry(id="steering-by-venue", title="A Paper Listed by Its Venue Page", arxiv="2312.06681",
                  links=(Link("ICLR 2024", "https://openreview.net/forum?id=abcdefgh"),))
    assert '      arxiv: "2312.06681"' in entry_yaml(entry)
    append_entry(catalogue_dir, entry, "probing")
    loaded = load_catalogue(catalogue_dir).entry("steering-by-venue")
    assert loaded is not None and loaded.arxiv == "2312.06681"
    assert entry_from_data(entry_to_data(loaded)) == loaded



def _changed_lines(before: bytes, after: bytes) -> list[str]:
    diff = difflib.ndiff(before.decode().splitlines(keepends=True), after.decode().splitlines(keepends=True))
    return [line for line in diff if line.startswith(("+ ", "- "))]


def test_a_block_written_in_the_compact_style_takes_entries_at_its_own_indent(catalogue_dir: Path) -> None:
    """`  entries:` with `  - id:` under it is how many people write YAML: every approval into such a block
    failed as "invalid YAML" and stayed unfinished, retried for ever."""
    path = catalogue_dir / "component.yaml"
    text = path.read_text(encoding="utf-8")
    head, block, tail = text.partition("- topic: attention\n")
    body, rest = tail.split("\n- topic:", 1)
    compact = "\n".join(line[2:] if line.startswith("    ") else line for line in body.split("\n"))
    path.write_text(f"{head}{block}{compact}\n- topic:{rest}", encoding="utf-8")
    assert "  entries:\n  - id: " in path.read_text(encoding="utf-8")
    before = path.read_bytes()
    append_entry(catalogue_dir, NEW, "attention")
    added = _changed_lines(before, path.read_bytes())
    assert all(line.startswith("+ ") for line in added)
    assert [line[2:] for line in added] == entry_yaml(NEW, 2).splitlines(keepends=True)
    assert load_catalogue(catalogue_dir).placement["attention"][-1] == NEW.id


def test_a_crlf_file_keeps_its_line_endings(catalogue_dir: Path) -> None:
    """The whole file was rewritten with LF: a diff of every line for one entry."""
    path = catalogue_dir / "component.yaml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = path.read_bytes()
    append_entry(catalogue_dir, NEW, "attention")
    after = path.read_bytes()
    assert after.count(b"\n") == after.count(b"\r\n")
    added = _changed_lines(before, after)
    assert all(line.startswith("+ ") for line in added)
    assert len(added) == len(entry_yaml(NEW).splitlines())
    assert load_catalogue(catalogue_dir).placement["attention"][-1] == NEW.id


def test_a_block_after_a_byte_order_mark_is_found(catalogue_dir: Path) -> None:
    """An editor's BOM hid the file's first block: a second `- topic: component-general` was added at the end."""
    path = catalogue_dir / "component.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text("\ufeff" + text[text.index("- topic: component-general"):], encoding="utf-8")
    append_entry(catalogue_dir, NEW, "component-general")
    assert path.read_text(encoding="utf-8").count("- topic: component-general") == 1
    assert load_catalogue(catalogue_dir).placement["component-general"][-1] == NEW.id


def test_a_topic_split_across_files_by_hand_gets_the_entry_at_its_end(catalogue_dir: Path) -> None:
    """Files are read in name order; the first block found took the entry: it landed mid-topic, not last."""
    (catalogue_dir / "zz-more.yaml").write_text("- topic: attention\n  entries:\n    - id: a-hand-added-entry\n"
                                                "      title: A hand-added entry\n", encoding="utf-8")
    before = load_catalogue(catalogue_dir).placement["attention"]
    assert before[-1] == "a-hand-added-entry"
    written, catalogue = append_entry(catalogue_dir, NEW, "attention")
    assert written == catalogue_dir / "zz-more.yaml"
    assert catalogue.placement["attention"] == (*before, NEW.id)


@pytest.mark.parametrize("first_entry", [
    "  - title: A hand-added entry\n    id: a-hand-added-entry\n",  # an entry need not start with its id
    "  - {id: a-hand-added-entry, title: A hand-added entry}\n",  # one entry in flow style
])
def test_a_compact_block_takes_the_entry_whatever_its_first_entry_starts_with(catalogue_dir: Path,
                                                                             first_entry: str) -> None:
    path = catalogue_dir / "zz-hand.yaml"
    path.write_text(f"- topic: attention\n  entries:\n{first_entry}", encoding="utf-8")
    before = path.read_bytes()
    written, catalogue = append_entry(catalogue_dir, NEW, "attention")
    assert written == path
    assert path.read_bytes() == before + entry_yaml(NEW, 2).encode()
    assert catalogue.placement["attention"][-2:] == ("a-hand-added-entry", NEW.id)


def test_one_pasted_crlf_line_does_not_make_the_new_entry_crlf(catalogue_dir: Path) -> None:
    path = catalogue_dir / "component.yaml"
    pasted = b"# pasted from Windows\r\n- topic: attention\n"
    path.write_bytes(path.read_bytes().replace(b"- topic: attention\n", pasted))
    before = path.read_bytes()
    append_entry(catalogue_dir, NEW, "attention")
    assert path.read_bytes().count(b"\r\n") == before.count(b"\r\n") == 1


def test_an_entry_another_process_writes_just_after_ours_is_in_our_index_and_readme(
        catalogue_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two bots on one catalogue/ approve at once. The other process wrote its entry the moment ours let the write
    lock go: our list (and the README it rendered) lacked that entry, and kept lacking it, since the files then
    looked unchanged since our write."""
    import fcntl
    import subprocess
    import sys

    other = Entry(id="written-by-the-other-bot", title="Written by the other bot",
                  source="https://arxiv.org/abs/2401.00009")
    script = ("import sys; from pathlib import Path; from bot.catalogue.model import Entry; "
              "from bot.catalogue.yaml_write import append_entry; "
              f"append_entry(Path(sys.argv[1]), Entry(id={other.id!r}, title={other.title!r}, "
              f"source={other.source!r}), 'probing')")
    real_flock = fcntl.flock
    unlocks = []

    def flock(fd: int, operation: int) -> None:  # the other process runs just after our lock is released
        real_flock(fd, operation)
        if operation == fcntl.LOCK_UN and not unlocks:
            unlocks.append(fd)
            subprocess.run([sys.executable, "-c", script, str(catalogue_dir)], check=True,
                           env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})

    service = CatalogueService(catalogue_dir)
    monkeypatch.setattr(fcntl, "flock", flock)
    service.append(NEW, "sparse-coding")
    monkeypatch.setattr(fcntl, "flock", real_flock)
    assert unlocks
    assert service.index.catalogue.entry(other.id) is not None
    assert "Written by the other bot" in (catalogue_dir / "README.md").read_text(encoding="utf-8")
    assert CatalogueService(catalogue_dir).readme_is_current()


def test_an_approval_and_a_render_in_two_threads_of_one_process_do_not_wait_for_each_other_for_good(
        catalogue_dir: Path) -> None:
    """`append` took the service's lock and then the write lock; `render` (a recovery round finishing another
    approval, on another thread) takes the write lock and then, through `index`, the service's lock when the files
    changed since it last looked (a hand edit, the other bot's approval): each held what the other waited for, and
    both approvals hung, with the catalogue's write lock, until the bot was restarted."""
    import threading
    import time

    service = CatalogueService(catalogue_dir)
    with open(catalogue_dir / "survey.yaml", "a", encoding="utf-8") as handle:
        handle.write("# a maintainer's comment\n")  # changed since the service last looked
    original = service.rendered

    inside = threading.Event()

    def rendered(style: str = "list") -> str:  # inside render's write lock: the approval comes in now
        inside.set()
        # The old order took the service's lock first: wait (at most 2 s) for the approval to hold it, so that
        # `index` below meets it. The new order never takes it while it waits for the write lock.
        deadline = time.monotonic() + 2
        while not service._lock.locked() and time.monotonic() < deadline:
            time.sleep(0.01)
        return original(style)  # type: ignore[arg-type]

    service.rendered = rendered  # type: ignore[method-assign]
    render = threading.Thread(target=service.render, daemon=True)
    render.start()
    assert inside.wait(10), "render reached its write lock"
    approve = threading.Thread(target=service.append, args=(NEW, "sparse-coding"), daemon=True)
    approve.start()
    render.join(10)
    stuck = render.is_alive()
    if stuck:  # undo the deadlock so the tests after this one can take the write lock
        service._lock.release()
    render.join(10)
    approve.join(10)
    assert not stuck, "the render and the approval each waited for the other's lock"
    assert service.index.catalogue.entry(NEW.id) is not None
