"""The live catalogue: loaded once, reloaded when its files change, appended to by approvals.

Only this module (through yaml_io and markdown) reads or writes the catalogue directory.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Literal

from bot.catalogue import git
from bot.catalogue.markdown import render_markdown
from bot.catalogue.model import Entry
from bot.catalogue.search import CatalogueIndex
from bot.catalogue.yaml_io import README_FILE, load_catalogue
from bot.catalogue.yaml_write import append_entry, atomic_write
from bot.errors import CatalogueError

log = logging.getLogger(__name__)

Style = Literal["list", "awesome"]


class CatalogueService:
    """Serves the current CatalogueIndex. Raises CatalogueError at construction on an invalid list."""

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._fingerprint = self._stat()
        self._index = CatalogueIndex.build(load_catalogue(self.directory))

    def _stat(self) -> tuple[tuple[str, int, int], ...]:
        stats = []
        for path in sorted(self.directory.glob("*.yaml")):
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
        with self._lock:
            path, catalogue = append_entry(self.directory, entry, topic)
            self._index = CatalogueIndex.build(catalogue)
            self._fingerprint = self._stat()
        self.render()
        if commit_message is not None:
            git.commit(self.directory, [path.name, README_FILE], commit_message)
        return path

    def rendered(self, style: Style = "list") -> str:
        """The list as markdown: in its own style (the README), or as an awesome list."""
        catalogue = self.index.catalogue
        if style == "awesome":
            from bot.catalogue.awesome import render_awesome

            return render_awesome(catalogue)
        return render_markdown(catalogue)

    def render(self, target: Path | None = None, style: Style = "list") -> bool:
        """Write the rendered list (default: README.md in the list's style); return True when it changed."""
        target = target or self.directory / README_FILE
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
