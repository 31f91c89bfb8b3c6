"""Write the catalogue's YAML: the whole of it (the importer) or one appended entry (an approval).

Files are emitted by hand rather than by ``yaml.dump`` so the layout is stable and diff-friendly, and an
append edits text so comments and layout elsewhere survive. Every scalar goes through `scalar`, which quotes
whatever YAML would otherwise read as something else (`No` as false, `1984` as a number, `2024-01-01` as a
date). Every write is validated before it lands and lands atomically (temp file, fsync, rename) under a lock
shared by all processes (`write_lock`), which also clears the temp files of writers that were killed.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import yaml

from bot.catalogue.model import Catalogue, Entry
from bot.catalogue.yaml_io import TOPICS_FILE, entry_files, load_catalogue
from bot.errors import CatalogueError, Problem

# One writer at a time inside a process; the directory lock serialises across processes.
_WRITE_LOCK = threading.Lock()


def reads_back_plain(value: str) -> bool:
    """Does `value`, written unquoted, read back as this very string? (`no`, `1984`, `0x1f`, `null`,
    `2024-01-01` do not: YAML reads them as a boolean, numbers, nothing and a date.)"""
    if not value or "\n" in value or value != value.strip() or value.startswith(("*", "&", "!", "%", "@", "`")):
        return False
    try:
        return bool(yaml.safe_load(f"k: {value}") == {"k": value})
    except yaml.YAMLError:
        return False  # not readable as a plain scalar at all


def scalar(value: str) -> str:
    """A YAML scalar for `value`: plain when that reads back unchanged, else double-quoted."""
    if reads_back_plain(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    escaped = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def entry_yaml(entry: Entry, indent: int = 4) -> str:
    """The YAML lines of one entry as it stands in a block's `entries:` list."""
    pad = " " * indent
    lines = [f"{pad}- id: {scalar(entry.id)}", f"{pad}  title: {scalar(entry.title)}"]

    def string_list(key: str, values: tuple[str, ...]) -> None:
        if values:
            lines.append(f"{pad}  {key}:")
            lines.extend(f"{pad}    - {scalar(value)}" for value in values)

    if entry.kind != "paper":
        lines.append(f"{pad}  kind: {entry.kind}")
    if entry.starred:
        lines.append(f"{pad}  starred: true")
    if entry.forced:
        lines.append(f"{pad}  forced: true")
    for key in ("acronym", "doi", "arxiv", "preface"):
        value = getattr(entry, key)
        if value:
            lines.append(f"{pad}  {key}: {scalar(value)}")
    string_list("authors", entry.authors)
    if entry.links:
        lines.append(f"{pad}  links:")
        for link in entry.links:
            lines.append(f"{pad}    - label: {scalar(link.label)}")
            lines.append(f"{pad}      url: {scalar(link.url)}")
    string_list("notes", entry.notes)
    if entry.added:
        lines.append(f"{pad}  added: {scalar(entry.added)}")
    if entry.source:
        lines.append(f"{pad}  source: {scalar(entry.source)}")
    string_list("approved_by", entry.approved_by)
    return "\n".join(lines) + "\n"


def topics_yaml(catalogue: Catalogue) -> str:
    out = [
        "# The topic tree of the list, in the order it is rendered (see SCHEMA.md).",
        "# Aliases are the names readers type: `/interp topic sae` finds Sparse Coding.",
        f"title: {scalar(catalogue.title)}",
        f"description: {scalar(catalogue.description)}",
        "topics:",
    ]

    def walk(parent: str | None, indent: int) -> None:
        pad = " " * indent
        for slug in catalogue.children(parent):
            topic = catalogue.topic(slug)
            assert topic is not None
            out.append(f"{pad}- slug: {scalar(topic.slug)}")
            out.append(f"{pad}  title: {scalar(topic.title)}")
            if topic.description:
                out.append(f"{pad}  description: {scalar(topic.description)}")
            if topic.aliases:
                out.append(f"{pad}  aliases: [{', '.join(scalar(a) for a in topic.aliases)}]")
            if catalogue.children(slug):
                out.append(f"{pad}  children:")
                walk(slug, indent + 4)

    walk(None, 2)
    return "\n".join(out) + "\n"


FILE_DEPTH = 3


def section_of(catalogue: Catalogue, slug: str) -> str:
    """The entry file a topic's block goes to: its ancestor at depth 3 (or itself when shallower).

    For the seed list that is one file per section ("tutorial", "library", ...) and one per group of
    "By Topic" ("tools-techniques-methods", "component", ...): each small enough to read at once.
    """
    topic = catalogue.topic(slug)
    while topic is not None and topic.parent and topic.depth > FILE_DEPTH:
        topic = catalogue.topic(topic.parent)
    return topic.slug if topic else slug


def write_catalogue(catalogue: Catalogue, directory: Path | str) -> list[Path]:
    """Write a whole catalogue (used by the importer): topics.yaml plus one entry file per section."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with write_lock(directory):
        return _write_catalogue(catalogue, directory)


def _write_catalogue(catalogue: Catalogue, directory: Path) -> list[Path]:
    written = [directory / TOPICS_FILE]
    atomic_write(directory / TOPICS_FILE, topics_yaml(catalogue))
    files: dict[str, list[str]] = {}
    for topic in catalogue.topics:
        ids = catalogue.placement.get(topic.slug, ())
        if not ids:
            continue
        lines = [f"- topic: {scalar(topic.slug)}", "  entries:"]
        for entry_id in ids:
            entry = catalogue.entry(entry_id)
            assert entry is not None
            if entry.topics and entry.topics[0] == topic.slug:
                lines.append(entry_yaml(entry).rstrip("\n"))
            else:
                unlinked = "\n      links: false" if (topic.slug, entry_id) in catalogue.unlinked else ""
                lines.append(f"    - see: {scalar(entry_id)}{unlinked}")
        files.setdefault(section_of(catalogue, topic.slug), []).append("\n".join(lines))
    for section, blocks in files.items():
        section_topic = catalogue.topic(section)
        header = (
            f"# {section_topic.title if section_topic else section}: entries by topic, in list order (see SCHEMA.md).\n"
            "# `see: ID` places an entry recorded under another topic here too.\n"
        )
        path = directory / f"{section}.yaml"
        atomic_write(path, header + "\n\n".join(blocks) + "\n")
        written.append(path)
    return written


def atomic_write(path: Path, text: str, *, unless_changed_from: str | None = None) -> bool:
    """Write via a temp file in the same directory + fsync + rename: readers see old or new, never half. The file
    keeps its permissions, or a new one gets what the umask gives (mkstemp's own 0600 would lock other readers out
    of a shared catalogue: a web server serving the README, a second user, a volume mounted into a container).

    With `unless_changed_from` (the file's text as the new one was made from, "" for none), nothing is written, and
    False returned, when the file no longer holds that text: a maintainer saved it meanwhile, and the new text would
    have replaced their save without a trace."""
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if unless_changed_from is not None and _read_as_written(path, missing="") != unless_changed_from:
            Path(tmp).unlink()
            return False
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return True
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True


def _umask() -> int:
    """The process's umask, read without setting it (os.umask can only be read by changing it, which another
    thread creating a file at that moment would see); the set-and-restore fallback outside Linux."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    current = os.umask(0o022)
    os.umask(current)
    return current


def append_entry(directory: Path | str, entry: Entry, topic: str) -> tuple[Path, Catalogue]:
    """Append one entry under `topic`, touching only the new entry's lines; return the file written
    and the catalogue as it now is.

    The text is edited, not re-dumped, so comments and layout elsewhere survive. The result is
    validated before the atomic rename: a write that would break the catalogue never lands.
    """
    directory = Path(directory)
    with write_lock(directory):
        return append_entry_under_lock(directory, entry, topic)


# How often an approval starts again because the file it was adding to was saved meanwhile (by hand: the bot's own
# writers wait for the write lock), before it gives up and says so.
_APPEND_ATTEMPTS = 3


def append_entry_under_lock(directory: Path, entry: Entry, topic: str) -> tuple[Path, Catalogue]:
    """`append_entry` for a caller that holds `write_lock` already (and reads the files it wrote before letting
    it go: another process may write next). A file saved by hand while the entry was being added to it is read
    again, and the entry added to the saved text, rather than the save replaced."""
    for _ in range(_APPEND_ATTEMPTS):
        done = _append_once(directory, entry, topic)
        if done is not None:
            return done
    raise CatalogueError([Problem(directory, None, f"'{entry.id}' was not added: the file it goes to was saved "
                                                   f"{_APPEND_ATTEMPTS} times while it was being added; it is tried "
                                                   "again at the next round")])


def _append_once(directory: Path, entry: Entry, topic: str) -> tuple[Path, Catalogue] | None:
    catalogue = load_catalogue(directory)
    filed_as = catalogue.topic_filed_as(topic)  # a slug renamed since the approval was filed: its new topic
    if filed_as is None:
        raise CatalogueError([Problem(directory / TOPICS_FILE, None, f"no topic '{topic}'")])
    topic = filed_as.slug
    if (existing := catalogue.entry(entry.id)) is not None:
        if entry.source and existing.source == entry.source and (written := entry_file_of(directory, entry.id)):
            # The same paper, written a moment ago by another process finishing the same approval (two votes
            # at once, a vote and the recovery round): done, not a duplicate.
            return written, catalogue
        raise CatalogueError([Problem(directory, None, f"an entry with id '{entry.id}' already exists")])
    path, original, text = _text_with_entry(directory, catalogue, entry, topic)
    try:
        updated = load_catalogue(directory, pending={path.name: text})  # raises: a bad write never lands
    except CatalogueError as exc:  # its lines are of the text we made, not of the file on disk: say so
        first = exc.problems[0]
        if "invalid YAML" in first.message:  # the block is written in a form the writer cannot extend
            why = (f"adding '{entry.id}' under '{topic}' would have made this file invalid YAML, so it was left "
                   f"as it is; write the topic's block as `- topic: {topic}` with its entries listed under "
                   "`entries:`, one `- ` item each (not in brackets, `entries: [...]`)")
        else:  # the entry itself (a bad link, an empty title): the file's layout is not to blame
            why = f"the new entry '{entry.id}' is not valid ({first.message}), so nothing was written"
        raise CatalogueError([Problem(path, None, why)]) from None
    if not atomic_write(path, text, unless_changed_from=original):
        return None
    return path, updated


def entry_file_of(directory: Path | str, entry_id: str) -> Path | None:
    """The entry file that records `entry_id` (its full record, not a `see:`), if any."""
    record = re.compile(rf"^\s*- id:\s*['\"]?{re.escape(entry_id)}['\"]?\s*$", re.MULTILINE)
    return next((path for path in entry_files(Path(directory)) if record.search(path.read_text(encoding="utf-8"))),
                None)


@contextlib.contextmanager
def write_lock(directory: Path | str) -> Iterator[None]:
    """Held by every writer of the catalogue directory, in this process and in every other one. A temp file
    found while holding it therefore belongs to a writer that died between creating it and renaming it over the
    real file (kill -9, a power cut): it is removed, so killed writers never pile up litter."""
    directory = Path(directory)
    with _WRITE_LOCK, _directory_lock(directory):
        for leftover in directory.glob(".*.tmp"):
            if _TEMP_NAME.fullmatch(leftover.name):
                leftover.unlink(missing_ok=True)
        yield


_EMPTY_ENTRIES = re.compile(r"^(?P<indent>\s*)entries:\s*\[\s*\](?P<comment>\s+#.*?)?\s*$")
_ENTRIES_KEY = re.compile(r"^ *entries:")
_LIST_ITEM = re.compile(r"^( *)-(?: |$)")


def _entries_indent(block: list[str]) -> int:
    """The indent of a block's entries: the first list item after its `entries:` line (`  - id:` under
    `  entries:` is as common as four spaces, and an entry may start with any key); 4 when it has none yet."""
    after = next((i for i, line in enumerate(block) if _ENTRIES_KEY.match(line)), None)
    if after is not None:
        for line in block[after + 1:]:
            if item := _LIST_ITEM.match(line):
                return len(item.group(1))
    return 4


def _read_as_written(path: Path, *, missing: str | None = None) -> str:
    """The file's text with its line endings as they are (CRLF kept), for an edit that touches only its lines
    (`missing`: what a file that does not exist reads as, instead of FileNotFoundError)."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        if missing is None:
            raise
        return missing


# What atomic_write's mkstemp names look like: ".<file name>.<random>.tmp".
_TEMP_NAME = re.compile(r"\..+\.[A-Za-z0-9_]+\.tmp")


@contextlib.contextmanager
def _directory_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock on the catalogue shared by every process (two bots on one checkout)."""
    lock_path = directory / ".interp-bot.lock"
    with open(lock_path, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # not POSIX: the in-process lock and the DB decision guard still hold
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _text_with_entry(directory: Path, catalogue: Catalogue, entry: Entry, topic: str) -> tuple[Path, str, str]:
    """The entry file, its text as read ("" for a new file), and that text with `entry` added at the end of
    `topic`'s block, written as the file's own hand writes it.

    A topic may have blocks in several files (a hand move): the last one read is where the topic ends. The new
    lines take the block's indent and line ending, so a CRLF file's diff stays one entry long."""
    block_re = re.compile(rf"^\ufeff?- topic:\s*['\"]?{re.escape(topic)}['\"]?(?:\s+#.*)?\s*$")
    found: tuple[Path, str, list[str], int] | None = None
    for path in entry_files(directory):
        original = _read_as_written(path)
        lines = original.splitlines(keepends=True)
        for index, line in enumerate(lines):
            if block_re.match(line):
                found = (path, original, lines, index)
    if found is not None:
        path, original, lines, index = found
        eol = "\r\n" if lines[index].endswith("\r\n") else "\n"  # the block's own (one pasted line may differ)
        end = index + 1
        last_content = index
        while end < len(lines) and not lines[end].startswith("- "):
            if lines[end].strip() and not lines[end].lstrip().startswith("#"):
                last_content = end
            end += 1
        insert_at = last_content + 1
        indent = _entries_indent(lines[index + 1:end])
        if empty := _EMPTY_ENTRIES.match(lines[last_content]):  # `entries: []`, `entries: [ ]  # none yet`
            lines[last_content] = f"{empty.group('indent')}entries:{empty.group('comment') or ''}{eol}"
        elif "entries:" not in "".join(lines[index:insert_at]):
            lines.insert(insert_at, f"  entries:{eol}")
            insert_at += 1
        if not lines[insert_at - 1].endswith("\n"):
            lines[insert_at - 1] += eol
        lines.insert(insert_at, entry_yaml(entry, indent).replace("\n", eol))
        return path, original, "".join(lines)
    # No block for this topic yet: add one at the end of the section's file.
    path = directory / f"{section_of(catalogue, topic)}.yaml"
    original = existing = _read_as_written(path, missing="")
    eol = "\r\n" if "\r\n" in existing else "\n"
    if existing and not existing.endswith("\n"):
        existing += eol
    separator = eol if existing else ""
    block = f"- topic: {scalar(topic)}\n  entries:\n{entry_yaml(entry)}".replace("\n", eol)
    return path, original, f"{existing}{separator}{block}"
