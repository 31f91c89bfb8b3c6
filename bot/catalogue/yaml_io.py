"""Read, validate and write the catalogue's YAML files.

Layout of a catalogue directory:

* ``topics.yaml`` — the list's title and description and the topic tree (``children`` nest).
* any other ``*.yaml`` — entry files: a sequence of blocks ``{topic: SLUG, entries: [...]}``. An entry
  is either a full record (its *home* topic is the block it stands in) or ``{see: ENTRY_ID}``, which
  places an entry recorded elsewhere under this topic too, at this position (``links: false`` beside it: listed
  there by title alone).

Only ``yaml.SafeLoader`` is used. Every problem found is reported together, each with file and line.
One entry's fields are checked in ``bot.catalogue.yaml_entry``; writing lives in ``bot.catalogue.yaml_write``.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from bot.catalogue.model import Catalogue, Entry, Topic
from bot.catalogue.text import fold
from bot.catalogue.yaml_entry import SLUG_RE, parse_entry, str_list, suggest
from bot.errors import CatalogueError, CatalogueMissing, Problem
from bot.yaml_nodes import YamlDocument, YamlSyntaxError, duplicate_keys, field_node, item_node, line_of

TOPICS_FILE = "topics.yaml"
README_FILE = "README.md"
# Markdown has six heading levels and the list's title takes "#": "####### Topic" is a paragraph on GitHub.
MAX_TOPIC_DEPTH = 5
TOPIC_KEYS = {"slug", "title", "aliases", "description", "children"}
BLOCK_KEYS = {"topic", "entries"}
SEE_KEYS = {"see", "links"}

# --------------------------------------------------------------------------- parsing with line numbers


def _load_yaml(path: Path, problems: list[Problem], text: str | None = None) -> tuple[Any, yaml.Node | None]:
    """A file's data and root node; on failure (None, None) with the problem recorded, file and line."""
    try:
        text = text if text is not None else path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, None, f"not UTF-8 text ({exc.reason})"))
        return None, None
    try:
        with YamlDocument(text) as doc:
            if doc.root is None:
                return None, None
            duplicates = [Problem(path, line, f"duplicate key '{key}'") for line, key in duplicate_keys(doc.root)]
            problems.extend(duplicates)
            return doc.value(), doc.root
    except YamlSyntaxError as exc:
        problems.append(Problem(path, exc.line, exc.message))
        return None, None


# --------------------------------------------------------------------------- loading


def load_catalogue(directory: Path | str, *, pending: dict[str, str] | None = None) -> Catalogue:
    """Load and validate a catalogue directory; raise CatalogueError listing every problem.

    `pending` maps file names to text not yet written, so a write can be validated before it lands.
    """
    # A load allocates millions of objects that all live on; the cyclic garbage collector would walk them again
    # and again (half the time of a 100,000-entry load) and find nothing to free. Paused, the load is linear.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load_catalogue(Path(directory), pending or {})
    finally:
        if collecting:
            gc.enable()


def _load_catalogue(directory: Path, pending: dict[str, str]) -> Catalogue:
    problems: list[Problem] = []
    topics_path = directory / TOPICS_FILE
    if not directory.is_dir():
        raise CatalogueMissing(directory)
    if not topics_path.is_file():
        raise CatalogueError([Problem(topics_path, None, "missing: the topic tree lives in this file")])

    title, description, topics = _load_topics(topics_path, problems, pending.get(TOPICS_FILE))
    if problems and not topics:
        # Every entry file is checked against the tree: a topics.yaml that did not load would bury its own problem
        # under an "unknown topic" for each topic block of every entry file (30 of them for one bad indent). A tree
        # that loaded with smaller problems is checked against as usual, so one round shows every mistake.
        raise CatalogueError(problems)
    topic_slugs = {t.slug for t in topics}

    # A tree with problems may have dropped topics (a bad parent slug takes its subtree): blocks under the dropped
    # ones are skipped, not reported as "not in topics.yaml", which would bury the tree's own problem again.
    reader = _EntryFiles(topic_slugs, problems, tree_is_whole=not problems)
    # A *.yml file is read by no one: its entries would vanish from the README. (A hidden one is a tool's.)
    for stray in sorted(p for p in directory.glob("*.yml") if not p.name.startswith(".")):
        problems.append(Problem(stray, None, f"catalogue files end in .yaml: rename it {stray.stem}.yaml"))
    paths = entry_files(directory)
    paths += [directory / name for name in sorted(pending) if name != TOPICS_FILE and directory / name not in paths]
    for path in sorted(paths):
        reader.read(path, pending.get(path.name))
    entries = reader.entries

    # Dicts keep placement order and answer "placed here already?" in constant time (a list would make a load
    # quadratic in the size of a topic).
    placement: dict[str, dict[str, None]] = {t.slug: {} for t in topics}
    extra_topics: dict[str, list[str]] = {}
    unlinked: set[tuple[str, str]] = set()
    for topic, entry_id, path, line, is_ref, linked in reader.placements:
        if topic not in topic_slugs:
            continue  # already reported
        if entry_id not in entries:
            if is_ref and entry_id not in reader.unread_ids:
                if reader.whole:
                    problems.append(Problem(path, line,
                                            f"'see: {entry_id}' names no entry{suggest(entry_id, entries)}"))
                else:  # it may be in what did not load: no "did you mean", which could be wrong advice
                    problems.append(Problem(path, line, f"'see: {entry_id}' names no entry that loaded (it may be "
                                                        "in one of the problems above)"))
            continue
        if entry_id in placement[topic]:
            problems.append(Problem(path, line, f"entry '{entry_id}' is placed under topic '{topic}' twice"))
            continue
        placement[topic][entry_id] = None
        if is_ref:
            extra_topics.setdefault(entry_id, []).append(topic)
        if not linked:
            unlinked.add((topic, entry_id))

    if problems:
        raise CatalogueError(problems)

    final_entries = []
    for entry_id, entry in entries.items():
        more = extra_topics.get(entry_id)
        final_entries.append(replace(entry, topics=(*entry.topics, *more)) if more else entry)
    return Catalogue(
        title=title,
        description=description,
        topics=tuple(topics),
        entries=tuple(final_entries),
        placement={k: tuple(v) for k, v in placement.items()},
        unlinked=frozenset(unlinked),
    )


def catalogue_files(directory: Path) -> list[Path]:
    """The files the list is read from: every `*.yaml` but hidden ones, which are tools' (an editor's lock file such
    as Emacs's `.#probing.yaml`, a symlink to nowhere; macOS's `._probing.yaml`; a `.pre-commit-config.yaml`)."""
    return sorted(p for p in directory.glob("*.yaml") if not p.name.startswith("."))


def entry_files(directory: Path) -> list[Path]:
    return [p for p in catalogue_files(directory) if p.name != TOPICS_FILE]


def _load_topics(path: Path, problems: list[Problem], text: str | None = None) -> tuple[str, str, list[Topic]]:
    data, node = _load_yaml(path, problems, text)
    if data is None:
        if not problems:
            problems.append(Problem(path, None, "empty file: expected 'title' and 'topics'"))
        return "", "", []
    if not isinstance(data, dict):
        problems.append(Problem(path, line_of(node), "expected a mapping with 'title', 'description', 'topics'"))
        return "", "", []
    for key in data:
        if key not in {"title", "description", "topics"}:
            problems.append(Problem(path, line_of(field_node(node, str(key))), f"unknown key '{key}'"))
    title = data.get("title") or ""
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem(path, line_of(node), "the list needs a 'title'"))
        title = ""
    description = data.get("description") or ""
    topics: list[Topic] = []
    seen_slugs: dict[str, int | None] = {}
    seen_aliases: dict[str, str] = {}
    alias_lines: list[tuple[str, str, int | None]] = []

    def walk(items: Any, items_node: yaml.Node | None, parent: str | None, depth: int) -> None:
        if items is None:
            return
        if not isinstance(items, list):
            problems.append(Problem(path, line_of(items_node), "topics must be a list"))
            return
        for index, item in enumerate(items):
            topic_node = item_node(items_node, index)
            line = line_of(topic_node)
            if not isinstance(item, dict):
                problems.append(Problem(path, line, "a topic must be a mapping with 'slug' and 'title'"))
                continue
            for key in item:
                if key not in TOPIC_KEYS:
                    problems.append(
                        Problem(path, line_of(field_node(topic_node, str(key))),
                                f"unknown topic key '{key}'{suggest(str(key), TOPIC_KEYS)}")
                    )
            slug, title_ = item.get("slug"), item.get("title")
            if not isinstance(title_, str) or not title_.strip():
                problems.append(Problem(path, line, "topic without a title"))
                title_ = str(slug or "")
            if not isinstance(slug, str) or not SLUG_RE.match(slug):
                problems.append(Problem(path, line, f"topic slug {slug!r} must be lower-case letters, digits, '-'"))
                continue
            if slug in seen_slugs:
                first_line = seen_slugs[slug]
                problems.append(Problem(path, line, f"duplicate topic slug '{slug}' (first at line {first_line})"))
                continue
            seen_slugs[slug] = line
            if depth > MAX_TOPIC_DEPTH:
                problems.append(Problem(path, line, f"topic '{slug}' is nested {depth} deep: the README's headings "
                                                    f"(## to ######) go {MAX_TOPIC_DEPTH} deep"))
            aliases = str_list(item.get("aliases"), path, line, f"aliases of '{slug}'", problems,
                               field_node(topic_node, "aliases"))
            for alias in aliases:
                key = alias.strip().lower()
                if key in seen_aliases and seen_aliases[key] != slug:
                    problems.append(
                        Problem(path, line_of(field_node(topic_node, "aliases")),
                                f"alias '{alias}' of '{slug}' is already an alias of '{seen_aliases[key]}'")
                    )
                seen_aliases[key] = slug
                alias_lines.append((slug, alias, line_of(field_node(topic_node, "aliases"))))
            topics.append(
                Topic(slug=slug, title=title_.strip(), parent=parent, aliases=aliases,
                      description=str(item.get("description") or ""), depth=depth)
            )
            walk(item.get("children"), field_node(topic_node, "children"), slug, depth + 1)

    walk(data.get("topics"), field_node(node, "topics"), None, 1)
    # An alias that is another topic's slug or title made that name ambiguous: `topic library` answered "could mean
    # 2 topics" and "pick one with `topic SLUG`", which asked it again.
    names: dict[str, set[str]] = {}
    for topic in topics:
        for name in (topic.slug.replace("-", " "), topic.title):
            names.setdefault(fold(name), set()).add(topic.slug)
    for slug, alias, alias_line in alias_lines:
        for other in sorted(names.get(fold(alias), set()) - {slug}):
            problems.append(Problem(path, alias_line, f"alias '{alias}' of '{slug}' is the name of topic '{other}', "
                                                      f"which `topic {alias}` would no longer find: remove it"))
    if not topics and not problems:
        problems.append(Problem(path, line_of(node), "no topics defined"))
    return title, str(description), topics


class Placement(NamedTuple):
    """One line of an entry file that puts an entry under a topic, in file order: a full record (its home) or a
    `see: ID` reference, resolved once every file has been read."""

    topic: str
    entry_id: str
    path: Path
    line: int | None
    is_see: bool
    linked: bool = True  # False: listed here by title alone (`see: ID` with `links: false`)


class _EntryFiles:
    """Reads entry files one by one, collecting entries, their placements and every problem found."""

    def __init__(self, topic_slugs: set[str], problems: list[Problem], *, tree_is_whole: bool = True):
        self.topic_slugs = topic_slugs
        self.problems = problems
        self.tree_is_whole = tree_is_whole
        self.entries: dict[str, Entry] = {}
        self.placements: list[Placement] = []
        self._first_seen: dict[str, tuple[Path, int | None]] = {}  # entry id -> where it is recorded
        # Whether every entry was read. A `see:` of an entry with a problem of its own is not reported again;
        # with a file or block that did not load, a `see:` naming nothing may name what is in it, so it gets no
        # "did you mean", which would send the reader to change a correct line.
        self.whole = True
        self.unread_ids: set[str] = set()  # ids of entries with problems of their own

    def read(self, path: Path, text: str | None = None) -> None:
        problems = self.problems
        before = len(problems)
        data, node = _load_yaml(path, problems, text)
        if data is None and len(problems) > before:
            self.whole = False
            return  # unreadable: already reported
        if data is None or data == []:
            # An emptied file would silently drop its entries from the README: refuse it. A file meant to go
            # is deleted; one meant to hold nothing yet has a block with `entries: []`.
            problems.append(Problem(path, line_of(node) or 1, "no topic blocks: the file is empty (delete it if "
                                    "its entries should go, or give it a block '- topic: SLUG' with 'entries: []')"))
            self.whole = False
            return
        if not isinstance(data, list):
            problems.append(Problem(path, line_of(node), "expected a list of blocks '- topic: SLUG' with 'entries'"))
            self.whole = False
            return
        for index, block in enumerate(data):
            self._block(path, block, item_node(node, index))

    def _block(self, path: Path, block: Any, block_node: yaml.Node | None) -> None:
        problems = self.problems
        line = line_of(block_node)
        if not isinstance(block, dict):
            problems.append(Problem(path, line, "expected a block with 'topic' and 'entries'"))
            self.whole = False
            return
        for key in block:
            if key not in BLOCK_KEYS:
                problems.append(Problem(path, line_of(field_node(block_node, str(key))),
                                        f"unknown key '{key}' in a topic block{suggest(str(key), BLOCK_KEYS)}"))
        topic = block.get("topic")
        if not isinstance(topic, str) or topic not in self.topic_slugs:
            if self.tree_is_whole:
                problems.append(Problem(path, line, f"topic {topic!r} is not in {TOPICS_FILE}"
                                        f"{suggest(str(topic), self.topic_slugs)}"))
            self.whole = False
            return
        items = block.get("entries") or []
        items_node = field_node(block_node, "entries")
        if not isinstance(items, list):
            problems.append(Problem(path, line_of(items_node), "'entries' must be a list"))
            self.whole = False
            return
        for position, item in enumerate(items):
            item_at = item_node(items_node, position)
            item_line = line_of(item_at)
            if isinstance(item, dict) and "see" in item and set(item) <= SEE_KEYS:
                linked = item.get("links", True)
                if not isinstance(linked, bool):
                    problems.append(Problem(path, line_of(field_node(item_at, "links")),
                                            "'links' beside 'see' must be true or false"))
                    continue
                self.placements.append(Placement(topic, str(item["see"]), path, item_line, True, linked))
                continue
            entry = parse_entry(item, item_at, path, topic, problems)
            if entry is None:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    self.unread_ids.add(item["id"])
                else:
                    self.whole = False
                continue
            if entry.id in self.entries:
                first_path, first_line = self._first_seen[entry.id]
                problems.append(Problem(path, item_line,
                                        f"duplicate entry id '{entry.id}' (first at {first_path}:{first_line})"))
                continue
            self.entries[entry.id] = entry
            self._first_seen[entry.id] = (path, item_line)
            self.placements.append(Placement(topic, entry.id, path, item_line, False))
