"""The relevance model's training data: the labelled stream (evaluated), and train-only extras. Standard library.

* The stream: real daily cs.CL / cs.LG / cs.AI listings at the real base rate, every paper labelled
  (`stream.jsonl` of the relevance corpus; its README gives the labelling rule and the sources).
* Extra positives, never evaluated on: papers from curated interpretability lists (`positives.jsonl`) and the
  list's own paper entries (titles only), deduplicated against the stream and each other.
* Labelled candidates, never evaluated on: the keyword candidates of 108 further real listing days, each read and
  labelled by the corpus's rule (`stream-candidates.jsonl` beside this module; README.md gives provenance).
* Extra negatives, never evaluated on: the items of a real all-archives arXiv listing (2024-11-28) outside
  cs.CL / cs.LG / cs.AI: physics, maths, EE and other fields, where "probing", "circuit" and "superposition"
  mean something else. Its 67 items that mention a language model were read: all out of scope (README.md).

No paper with an arXiv id from 2506 to 2510 (June-October 2025) is ever used, from any source: the held-out
evaluation lives there. Every loader filters them and `check_held_out` asserts it of the final set.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_HELD_OUT = re.compile(r"(?<![0-9])25(0[6-9]|10)\.[0-9]{4,5}")
_ARXIV_IN_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/+([0-9]{4}\.[0-9]{4,5})")
_LISTED_ID = re.compile(r"v\d+$")

# Catalogue entries that are not papers (people and sources; libraries, videos, tutorials), and two surveys on the
# list outside the labelling rule (alignment in general, not interpretability): never used as positives.
CATALOGUE_SKIP_TOPICS = {"by-source"}
CATALOGUE_SKIP_KINDS = {"library", "video", "tutorial", "source"}
CATALOGUE_SKIP_TITLES = {"large language model alignment a survey", "ai alignment a comprehensive survey"}
STREAM_CATEGORIES = ("cs.CL", "cs.LG", "cs.AI")


def held_out_id(arxiv_id: str) -> bool:
    """Is this an arXiv id from 2506 to 2510 (the held-out evaluation's months)?"""
    return bool(_HELD_OUT.match(arxiv_id.strip()))


def norm_title(title: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", title.lower()).split())


@dataclass(frozen=True)
class Doc:
    title: str
    summary: str
    label: int
    date: str  # the listing day of stream papers and labelled candidates, "" for the other extras
    borderline: bool = False
    source: str = ""
    arxiv_id: str = ""
    note: str = ""


_LABELLED_FIELDS = ("arxiv_id", "title", "summary", "label", "borderline")


def read_jsonl(path: Path, required: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """One object per line; a line that is not JSON, or lacks a required field, names the file and the line."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not a JSON object: {exc.msg}") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{number}: not a JSON object")
            missing = [name for name in required if name not in row]
            if missing:
                raise ValueError(f"{path}:{number}: missing field(s) {', '.join(missing)}")
            yield row


def load_stream(corpus: Path) -> list[Doc]:
    out = []
    for r in read_jsonl(corpus / "stream.jsonl", (*_LABELLED_FIELDS, "date")):
        if held_out_id(r["arxiv_id"]):
            raise ValueError(f"{corpus / 'stream.jsonl'}: held-out arXiv id {r['arxiv_id']}")
        out.append(Doc(r["title"], r["summary"], int(r["label"]), r["date"], bool(r["borderline"]), "stream",
                       r["arxiv_id"], r.get("note", "")))
    return out


def load_candidates(path: Path, stream: list[Doc]) -> list[Doc]:
    """The labelled keyword candidates of further listing days: each paper once, none already in the stream (by
    id or title), only the stream's categories. A held-out id is refused, as in the stream."""
    stream_ids = {d.arxiv_id for d in stream}
    titles = {norm_title(d.title) for d in stream}
    out = []
    for r in read_jsonl(path, (*_LABELLED_FIELDS, "categories", "date")):
        if held_out_id(r["arxiv_id"]):
            raise ValueError(f"{path}: held-out arXiv id {r['arxiv_id']}")
        title = norm_title(r["title"])
        if r["arxiv_id"] in stream_ids or title in titles or not set(r["categories"]) & set(STREAM_CATEGORIES):
            continue
        stream_ids.add(r["arxiv_id"])
        titles.add(title)
        out.append(Doc(r["title"], r["summary"], int(r["label"]), r["date"], bool(r["borderline"]), "candidate",
                       r["arxiv_id"], r.get("note", "")))
    return out


def load_catalogue_titles(catalogue: Path) -> list[Doc]:
    """The list's paper entries as title-only positives (read as YAML: the validating loader is not needed)."""
    out = []
    for path in sorted(catalogue.glob("*.yaml")):
        if path.name == "topics.yaml":
            continue
        blocks = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for block in blocks:
            if block["topic"] in CATALOGUE_SKIP_TOPICS:
                continue
            for e in block.get("entries", []):
                if "see" in e or e.get("kind", "paper") in CATALOGUE_SKIP_KINDS:
                    continue
                if norm_title(e["title"]) in CATALOGUE_SKIP_TITLES:
                    continue
                urls = " ".join(str(link.get("url", "")) for link in e.get("links", []) or [])
                ids = _ARXIV_IN_URL.findall(urls + " " + str(e.get("source", "")))
                if e.get("arxiv"):  # the id the list gives beside a venue link
                    ids.append(str(e["arxiv"]))
                if any(held_out_id(i) for i in ids):
                    continue
                out.append(Doc(e["title"], "", 1, "", False, f"catalogue:{path.name}#{e['id']}",
                               ids[0] if ids else ""))
    return out


def load_extra_positives(corpus: Path, catalogue: Path, stream: list[Doc]) -> tuple[list[Doc], dict[str, int]]:
    """Curated-list positives, then the list's titles: deduplicated against the stream (by id and title; the
    stream's copy, with its label, is used instead) and each other."""
    stream_ids = {d.arxiv_id for d in stream}
    stream_titles = {norm_title(d.title) for d in stream}
    listed = [Doc(r["title"], r.get("summary", ""), 1, "", False, "positives", r["arxiv_id"])
              for r in read_jsonl(corpus / "positives.jsonl")]
    titles = load_catalogue_titles(catalogue)
    stats = {"positives_read": len(listed), "catalogue_read": len(titles), "dropped_in_stream": 0, "dropped_dup": 0,
             "dropped_held_out": 0}
    seen: set[str] = set()
    out: list[Doc] = []
    for d in listed + titles:
        title = norm_title(d.title)
        if d.arxiv_id and held_out_id(d.arxiv_id):
            stats["dropped_held_out"] += 1
        elif (d.arxiv_id and d.arxiv_id in stream_ids) or title in stream_titles:
            stats["dropped_in_stream"] += 1
        elif title in seen:
            stats["dropped_dup"] += 1
        else:
            seen.add(title)
            out.append(d)
    stats["extras_used"] = len(out)
    stats["extras_from_catalogue"] = sum(1 for d in out if d.source.startswith("catalogue"))
    return out, stats


def load_extra_negatives(listing: Path, stream: list[Doc]) -> list[Doc]:
    """The listing's items outside the stream's categories, each paper once, none in the stream."""
    stream_ids = {d.arxiv_id for d in stream}
    out, seen = [], set()
    for item in ET.parse(listing).getroot().iter("item"):  # noqa: S314 - a file in this repository, not input
        arxiv_id = _LISTED_ID.sub("", (item.findtext("link") or "").rsplit("/", 1)[-1])
        categories = [c.text or "" for c in item.findall("category")]
        if arxiv_id in stream_ids or arxiv_id in seen or held_out_id(arxiv_id):
            continue
        if any(c in STREAM_CATEGORIES for c in categories):
            continue  # the stream's own scope: those are in the stream already (or were not kept by it)
        seen.add(arxiv_id)
        summary = " ".join((item.findtext("description") or "").split("Abstract:", 1)[-1].split())
        out.append(Doc(" ".join((item.findtext("title") or "").split()), summary, 0, "", False, "extra-negative",
                       arxiv_id))
    return out


def check_held_out(docs: Iterable[Doc]) -> None:
    """The training set holds no paper with an arXiv id from 2506 to 2510 (raises otherwise)."""
    bad = sorted({d.arxiv_id for d in docs if d.arxiv_id and held_out_id(d.arxiv_id)})
    if bad:
        raise AssertionError(f"held-out arXiv ids (2506-2510) in the training data: {', '.join(bad[:10])}")


def data_hashes(corpus: Path, catalogue: Path, candidates: Path | None = None) -> dict[str, str]:
    """A short sha256 of every file the model was trained from (recorded in the model file)."""
    files = [(corpus.name, corpus / name) for name in ("stream.jsonl", "positives.jsonl")]
    if candidates is not None:
        files.append((candidates.parent.name, candidates))
    files += [(catalogue.name, path) for path in sorted(catalogue.glob("*.yaml"))]
    return {f"{folder}/{path.name}": hashlib.sha256(path.read_bytes()).hexdigest()[:16] for folder, path in files}
