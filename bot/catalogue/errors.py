"""Catalogue errors that name the file, the line and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    file: Path | str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.message}"


class CatalogueError(Exception):
    """The catalogue cannot be served: every problem found is listed, each with file and line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        count = len(problems)
        head = f"the catalogue is invalid ({count} problem{'s' if count != 1 else ''}):"
        super().__init__("\n  ".join([head, *map(str, problems)]))
