"""One entry of an entry file, checked field by field: every problem with its file and line (``bot.catalogue.yaml_io``
reads the files, the topic tree and the blocks; this reads what a block's ``entries`` hold)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.catalogue.identifiers import arxiv_id
from bot.catalogue.model import KINDS, Entry, Link
from bot.catalogue.text import entry_slug, url_problem
from bot.errors import Problem
from bot.yaml_nodes import double_quoted, field_node, item_node, line_of

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ENTRY_KEYS = {
    "id", "title", "kind", "links", "starred", "acronym", "doi", "arxiv", "notes", "preface",
    "authors", "added", "source", "approved_by", "forced",
}
LINK_KEYS = {"label", "url"}


def suggest(word: str, allowed: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(allowed), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def str_list(value: Any, path: Path, line: int | None, what: str, problems: list[Problem],
             node: yaml.Node | None = None) -> tuple[str, ...]:
    """A list of strings (or one string); `node`, the list's, names the item that is not one, and how to write it."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    if isinstance(value, list):
        index = next(i for i, v in enumerate(value) if not isinstance(v, str))
        item = item_node(node, index)
        written = _written(item)
        if written:  # "- Note: see the appendix" is a mapping to YAML, "- 2023" a number
            read_as = ("a key and its value" if isinstance(value[index], dict)
                       else f"{type(value[index]).__name__} {value[index]!r}")
            problems.append(Problem(path, line_of(item) or line, f"{what} must be a list of strings, and YAML reads "
                                    f"{written} as {read_as}, not as text: quote it ({double_quoted(written)})"))
            return ()
    problems.append(Problem(path, line, f"{what} must be a list of strings"))
    return ()


def _written(node: yaml.Node | None) -> str:
    """A scalar, or a one-pair mapping of scalars ("Note: text"), as it was typed; "" for anything else."""
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    if isinstance(node, yaml.MappingNode) and len(node.value) == 1 and \
            all(isinstance(part, yaml.ScalarNode) for part in node.value[0]):
        key, val = node.value[0]
        return f"{key.value}: {val.value}"
    return ""


def _bad_arxiv(value: Any, node: yaml.Node | None) -> str | None:
    written = node.value if isinstance(node, yaml.ScalarNode) else repr(value)
    if not isinstance(value, str):
        # A bare 2202.05262 is a number to YAML (and 2202.05260 would lose its last digit).
        return f"'arxiv' must be text: quote it (arxiv: \"{written}\")"
    if arxiv_id(value) != value:
        return f"'arxiv' must be a bare arXiv id without its version, such as \"2202.05262\", not {value!r}"
    return None


def _bad_id(entry_id: Any, id_node: yaml.Node | None, title: Any) -> str:
    if entry_id is None or entry_id == "":  # a hand-added entry without one: "entry id None must be ..." said little
        example = entry_slug(title) if isinstance(title, str) and entry_slug(title) else "a-short-title"
        return f"entry has no id: give it one of lower-case letters, digits and '-' (id: {example})"
    written = id_node.value if isinstance(id_node, yaml.ScalarNode) else None
    if entry_id is not None and not isinstance(entry_id, str) and isinstance(written, str) and SLUG_RE.match(written):
        # `id: no` is YAML's false, `id: 1984` a number: the text is a fine id, it only needs quotes.
        return (f"entry id {written} is read by YAML as {type(entry_id).__name__} {entry_id!r}, not as text: "
                f'quote it (id: "{written}")')
    return f"entry id {entry_id!r} must be lower-case letters, digits, '-'"


def _quote_it(key: str, value: Any, node: yaml.Node | None) -> str | None:
    """For text YAML read as something else (`title: 1984`, `label: 2023`, `acronym: No`), how to write it."""
    if isinstance(value, str) or value is None or not isinstance(node, yaml.ScalarNode) or not node.value.strip():
        return None
    return (f"'{key}' {node.value} is read by YAML as {type(value).__name__} {value!r}, not as text: "
            f'quote it ({key}: "{node.value}")')


def parse_entry(item: Any, node: yaml.Node | None, path: Path, topic: str, problems: list[Problem]) -> Entry | None:
    line = line_of(node)
    if not isinstance(item, dict):
        problems.append(Problem(path, line, "an entry must be a mapping (id, title, links, ...) or 'see: ID'"))
        return None
    before = len(problems)
    for key in item:
        if key not in ENTRY_KEYS:
            problems.append(Problem(path, line_of(field_node(node, str(key))),
                                    f"unknown entry key '{key}'{suggest(str(key), ENTRY_KEYS)}"))
    entry_id, title = item.get("id"), item.get("title")
    if quote := _quote_it("title", title, field_node(node, "title")):
        problems.append(Problem(path, line_of(field_node(node, "title")), quote))
    elif not isinstance(title, str) or not title.strip():
        problems.append(Problem(path, line, f"entry {entry_id or ''} has no title".replace("  ", " ")))
    if not isinstance(entry_id, str) or not SLUG_RE.match(entry_id):
        problems.append(Problem(path, line, _bad_id(entry_id, field_node(node, "id"), title)))
    kind = item.get("kind", "paper")
    if kind not in KINDS:
        problems.append(Problem(path, line_of(field_node(node, "kind")),
                                f"kind {kind!r} is not one of {', '.join(KINDS)}"))
    links: list[Link] = []
    raw_links = item.get("links") or []
    links_node = field_node(node, "links")
    if not isinstance(raw_links, list):
        problems.append(Problem(path, line_of(links_node), "'links' must be a list of {label, url}"))
        raw_links = []
    for index, raw in enumerate(raw_links):
        link_line = line_of(item_node(links_node, index))
        if not isinstance(raw, dict):
            problems.append(Problem(path, link_line, "a link must be a mapping {label, url}"))
            continue
        unknown = set(raw) - LINK_KEYS
        if unknown:
            problems.append(Problem(path, link_line, f"unknown link key(s): {', '.join(sorted(map(str, unknown)))}"))
        label, url = raw.get("label"), raw.get("url")
        if quote := _quote_it("label", label, field_node(item_node(links_node, index), "label")):
            problems.append(Problem(path, link_line, quote))
        elif not isinstance(label, str) or not label.strip():
            problems.append(Problem(path, link_line, "link without a label"))
        if problem := url_problem(url):
            problems.append(Problem(path, link_line, problem))
        if isinstance(label, str) and isinstance(url, str):
            links.append(Link(label=label, url=url))
    starred, forced = item.get("starred", False), item.get("forced", False)
    for key, flag in (("starred", starred), ("forced", forced)):
        if not isinstance(flag, bool):
            problems.append(Problem(path, line_of(field_node(node, key)), f"'{key}' must be true or false"))
    for key in ("acronym", "doi", "preface", "source"):
        if not isinstance(item.get(key, ""), str):
            problems.append(Problem(path, line_of(field_node(node, key)),
                                    _quote_it(key, item[key], field_node(node, key)) or f"'{key}' must be text"))
    added = _added(item.get("added"))
    if added is None:  # `recent` sorts by it: "24/11/2026" would sort as text, above every 2026 date
        added_node = field_node(node, "added")
        written = added_node.value if isinstance(added_node, yaml.ScalarNode) else str(item.get("added"))
        problems.append(Problem(path, line_of(added_node),
                                f"'added' must be a date written YYYY-MM-DD, not {written!r}"))
    if "arxiv" in item and (problem := _bad_arxiv(item["arxiv"], field_node(node, "arxiv"))):
        problems.append(Problem(path, line_of(field_node(node, "arxiv")), problem))
    if item.get("source") and (problem := url_problem(item.get("source"))):
        problems.append(Problem(path, line_of(field_node(node, "source")), problem))
    notes = str_list(item.get("notes"), path, line, "'notes'", problems, field_node(node, "notes"))
    authors = str_list(item.get("authors"), path, line, "'authors'", problems, field_node(node, "authors"))
    approved_by = str_list(item.get("approved_by"), path, line, "'approved_by'", problems,
                           field_node(node, "approved_by"))
    if len(problems) > before or not isinstance(entry_id, str) or not isinstance(title, str):
        return None
    return Entry(
        id=entry_id, title=" ".join(title.split()), kind=kind, links=tuple(links), starred=starred,
        acronym=item.get("acronym", "") or "", doi=item.get("doi", "") or "", arxiv=item.get("arxiv", "") or "",
        notes=notes,
        preface=item.get("preface", "") or "", topics=(topic,),
        added=added or "",
        source=item.get("source", "") or "", approved_by=approved_by, authors=authors, forced=forced,
    )


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _added(value: Any) -> str | None:
    """An entry's `added` date as YYYY-MM-DD ("" when it has none), or None when it is not a date. YAML reads a
    bare 2026-11-24 as a date, a quoted one as text: both are fine; one with a time of day is refused."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            return None
    return None
