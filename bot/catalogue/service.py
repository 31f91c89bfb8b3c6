"""The live catalogue: loaded once, reloaded when its files change, appended to by approvals.

Only this module (through yaml_io and markdown) reads or writes the catalogue directory.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Literal

from bot.catalogue import git
from bot.catalogue.identifiers import entry_keys, link_keys
from bot.catalogue.markdown import render_markdown
from bot.catalogue.model import Catalogue, Entry
from bot.catalogue.search import CatalogueIndex
from bot.catalogue.yaml_io import README_FILE, catalogue_files, load_catalogue
from bot.catalogue.yaml_write import append_entry, append_entry_under_lock, atomic_write, write_lock
from bot.errors import CatalogueError

log = logging.getLogger(__name__)

Style = Literal["list", "awesome"]


class CatalogueService:
    """Serves the current CatalogueIndex. Raises CatalogueError at construction on an invalid list, unless
    `tolerant` (`status`, which must report exactly that): then `problem` says what is wrong and the list served is
    empty."""

    def __init__(self, directory: Path | str, *, tolerant: bool = False):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._fingerprint = self._stat()
        self.problem = ""
        try:
            catalogue = load_catalogue(self.directory)
        except CatalogueError as exc:
            if not tolerant:
                raise
            self.problem = "; ".join(str(problem) for problem in exc.problems) or str(exc)
            catalogue = Catalogue(title="", description="", topics=(), entries=())
        self._index = CatalogueIndex.build(catalogue)

    def _stat(self) -> tuple[tuple[str, int, int], ...]:
        stats = []
        for path in catalogue_files(self.directory):
            try:
                info = path.stat()
            except FileNotFoundError:  # renamed away between glob and stat by an atomic write
                continue
            stats.append((path.name, info.st_mtime_ns, info.st_size))
        return tuple(stats)

    @property
    def index(self) -> CatalogueIndex:
        """The current index; picks up edits made to the YAML files while the bot runs."""
        fingerprint = self._stat()
        if fingerprint != self._fingerprint:
            with self._lock:
                if fingerprint != self._fingerprint:
                    try:
                        self._index = CatalogueIndex.build(load_catalogue(self.directory))
                    except CatalogueError as exc:
                        # Keep serving the last valid list; a half-edited file must not take the bot down.
                        log.error("catalogue changed but is invalid; still serving the previous version: %s", exc)
                    self._fingerprint = fingerprint
        return self._index

    def append(self, entry: Entry, topic: str, *, commit_message: str | None = None) -> Path:
        """Add one entry under `topic`, re-render the README, and serve the new list. With `commit_message`,
        commit the entry's file and the README in the catalogue's git repository."""
        # The fingerprint is of the files as the append read them, with its own file as it wrote it: taken once the
        # index was built, it took in what a maintainer saved meanwhile (or another process wrote after the write
        # lock went), and this index, which lacks that, would have passed for current. The write lock first, as
        # `render` takes them (its `index` takes self._lock): the other order deadlocked an approval and a render.
        with write_lock(self.directory), self._lock:
            read = self._stat()
            path, catalogue = append_entry_under_lock(self.directory, entry, topic)
            written = path.stat()
            self._fingerprint = tuple(sorted([*(file for file in read if file[0] != path.name),
                                              (path.name, written.st_mtime_ns, written.st_size)]))
            self._index = CatalogueIndex.build(catalogue)
        self.render()
        if commit_message is not None:
            git.commit_entry(self.directory, catalogue.entry(entry.id) or entry, commit_message)
        return path

    def finish_append(self, entry_id: str, *, commit_message: str | None = None) -> None:
        """What `append` does after the entry is in its file, for an append a crash cut short: render the README
        and, with `commit_message`, commit the entry's file and the README (each a no-op when already done)."""
        self.render()
        if commit_message is not None:
            entry = load_catalogue(self.directory).entry(entry_id)
            if entry is None:  # taken out of the list by hand since: nothing of it to commit
                return
            git.commit_entry(self.directory, entry, commit_message)

    def rendered(self, style: Style = "list") -> str:
        """The list as markdown: in its own style (the README), or as an awesome list."""
        catalogue = self.index.catalogue
        if style == "awesome":
            from bot.catalogue.awesome import render_awesome

            return render_awesome(catalogue)
        return render_markdown(catalogue)

    def render(self, target: Path | None = None, style: Style = "list") -> bool:
        """Write the rendered list (default: README.md in the list's style); return True when it changed. Under the
        catalogue's write lock, so two processes never interleave their renders and a killed render's temp file is
        cleared."""
        target = target or self.directory / README_FILE
        with write_lock(self.directory):
            text = self.rendered(style)
            if target.is_file() and target.read_text(encoding="utf-8") == text:
                return False
            atomic_write(target, text)
            return True

    def is_current(self, target: Path | None = None, style: Style = "list") -> bool:
        target = target or self.directory / README_FILE
        return target.is_file() and target.read_text(encoding="utf-8") == self.rendered(style)

    def readme_is_current(self) -> bool:
        return self.is_current()


def listed_as(catalogue: Catalogue, entry: Entry) -> Entry | None:
    """The entry of `catalogue` that is `entry` (same id, same source, or an identifier in common: an arXiv id in
    any spelling of its link, a DOI, an OpenReview id, a URL up to scheme, www and case), if any: how a branch being
    rebuilt recognises a paper someone already added upstream, whichever link they gave it."""
    keys = entry_keys(entry) | (link_keys(entry.source) if entry.source else set())
    for candidate in catalogue.entries:
        if candidate.id == entry.id or (entry.source and candidate.source == entry.source):
            return candidate
        if keys & entry_keys(candidate):
            return candidate
    return None


def write_entry(directory: Path, entry: Entry, topic: str, *, front_page: Path | None = None) -> list[Path] | None:
    """Append `entry` under `topic` in the catalogue at `directory` (a branch being built, not the live list) and
    re-render its README, and `front_page` too when given (a repository's own README, which readers see first).
    The files written; None when the list there already holds the entry. Raises CatalogueError when it cannot be
    added (the catalogue is invalid, the topic is gone)."""
    if listed_as(load_catalogue(directory), entry) is not None:
        return None
    path, catalogue = append_entry(directory, entry, topic)
    text = render_markdown(catalogue)
    written = [path, directory / README_FILE]
    for target in written[1:] + ([front_page] if front_page is not None else []):
        atomic_write(target, text)
    return written + ([front_page] if front_page is not None else [])
