"""Reader answers on queries nobody here chose: is the answer to `paper`, `search` and `topic` the one asked for?

    python -m benchmarks.paper_answers [--shared ../shared] [--show 20]

Every query goes through the /interp grammar (`Commands.execute`), on the real list, as a chat adapter sends it:

* each listed entry, asked for the ways readers ask: its title as written, lower- and upper-case, with a full stop,
  quoted, without punctuation, with its hyphens as spaces; with one letter mistyped (seeded, twice); its first 3-5
  words; its acronym; every spelling of its arXiv id (bare, v1, v3, `arXiv:`, abs, pdf, `.pdf`, html, export., www.,
  doi.org/10.48550/...); each of its links as listed, with the other scheme, without one, with a trailing slash;
  its OpenReview forum as a PDF and with `&noteId=`; its ACL Anthology page as a PDF, on the old aclweb.org host and
  as a DOI; as a reference (APA, Vancouver, IEEE), a browser tab's title (arXiv's, OpenReview's) and "the ... paper";
* real papers, almost none of them on the list: the titles of the relevance corpus (the 7,385-paper stream and the
  420 curated positives, all in the field), of the arXiv API fixtures and of the 1,504-item listing day; each
  whole, and the positives also by their first 2-6 words and as a reference and a tab title; a sample by arXiv id
  and PDF link. The right answer is the entry whose arXiv id the paper has, else none;
* `search` with each listed title and a mistyped one (the entry first), `topic` with each topic's title, slug and
  alias, lower-case, mistyped, with "papers" after it (that topic, or a choice that offers it), and a one-word name
  of 3-5 letters with two adjacent letters swapped (at 3 letters no answer is right too).

An answer is right, WRONG (another entry or topic presented as the one asked for; for a paper not on the list,
any entry), offered (no answer, the entry first among the closest or in the choice), or missed. The first words
of a title may rightly name no entry, or several: only a wrong entry counts against them. Slow is over 100 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.generated import REPO
from bot.catalogue.identifiers import arxiv_id, entry_keys
from bot.catalogue.model import Entry
from bot.catalogue.service import CatalogueService
from bot.catalogue.text import fold
from bot.commands import Commands

SLOW_S = 0.1
_ATOM = {"a": "http://www.w3.org/2005/Atom"}


@dataclass(frozen=True)
class Query:
    command: str
    text: str
    family: str
    expected: str | None  # an entry id or topic slug; None: no entry is the paper
    loose: bool = False  # no answer (or several) is as right as the expected one; another one is wrong


@dataclass
class Tally:
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    slow: list[tuple[float, str]] = field(default_factory=list)


def mistyped(text: str, rng: random.Random) -> str | None:
    """One slip in one word of five letters or more: a letter dropped, doubled, or two swapped."""
    words = text.split()
    long = [i for i, word in enumerate(words) if len(word) >= 5 and word.isalpha()]
    if not long:
        return None
    i = rng.choice(long)
    word, j = words[i], rng.randrange(1, len(words[i]) - 2)
    words[i] = rng.choice((word[:j] + word[j + 1:], word[:j] + word[j] + word[j:],
                           word[:j] + word[j + 1] + word[j] + word[j + 2:]))
    return " ".join(words)


def as_cited(title: str, ident: str) -> list[str]:
    """A title as references and browser tabs carry it."""
    return [f"Smith, J., & Doe, A. (2023). {title}. Advances in Neural Information Processing Systems, 36.",
            f"Smith J, Doe A. {title}. NeurIPS. 2023", f'J. Smith and A. Doe, "{title}," in Proc. ICLR, 2023.',
            f"{title} | OpenReview", f"[{ident}] {title}"]


def listed_queries(entries: list[Entry], rng: random.Random) -> list[Query]:
    queries: list[Query] = []

    def add(text: str | None, family: str, entry: Entry, *, loose: bool = False) -> None:
        if text:
            queries.append(Query("paper", text, family, entry.id, loose))

    for entry in entries:
        title = entry.title
        for family, text in (("title", title), ("title, lower-case", title.lower()),
                             ("title, upper-case", title.upper()), ("title, full stop", f"{title}."),
                             ("title, quoted", f'"{title}"'), ("title, no punctuation", re.sub(r"[^\w\s]", "", title)),
                             ("title, hyphens as spaces", re.sub(r"[-:]", " ", title)), ("entry id", entry.id)):
            add(text, family, entry)
        for _ in range(2):
            add(mistyped(title, rng), "title, one letter mistyped", entry)
        words = title.split()
        for n in (3, 4, 5):
            if len(words) > n + 1:
                add(" ".join(words[:n]), "title, first words", entry, loose=True)
        if entry.acronym:
            add(entry.acronym, "acronym", entry)
        ids = sorted(key for kind, key in entry_keys(entry) if kind == "arxiv")
        for ident in ids:
            for text in (ident, f"{ident}v1", f"{ident}v3", f"arXiv:{ident}", f"https://arxiv.org/abs/{ident}v2",
                         f"arxiv.org/pdf/{ident}", f"https://arxiv.org/pdf/{ident}v2.pdf",
                         f"https://arxiv.org/html/{ident}v1", f"http://export.arxiv.org/abs/{ident}",
                         f"https://www.arxiv.org/abs/{ident}", f"https://doi.org/10.48550/arXiv.{ident}"):
                add(text, "arXiv id, any spelling", entry)
        if len(words) >= 4:
            for text in [*as_cited(title, ids[0] if ids else "9999.99999"), f"the {title} paper"]:
                add(text, "reference or tab title", entry)
        for link in entry.links:
            url = link.url
            other = url.replace("https://", "http://") if url.startswith("https://") else \
                url.replace("http://", "https://")
            bare = re.sub(r"^https?://(www\.)?", "", url)
            slash = url if "?" in url or url.endswith((".html", ".pdf", "/")) else f"{url}/"
            for text in (url, other, bare, slash):
                add(text, "link, any spelling", entry)
            if note := re.search(r"openreview\.net/forum\?id=([\w-]+)", url):
                add(f"https://openreview.net/pdf?id={note.group(1)}", "link, any spelling", entry)
                add(f"{url}&noteId={note.group(1)}", "link, any spelling", entry)
            if acl := re.search(r"aclanthology\.org/([^/]+?)(?:\.pdf)?/?$", url):
                for text in (f"https://aclanthology.org/{acl.group(1)}.pdf",
                             f"https://www.aclweb.org/anthology/{acl.group(1)}",
                             f"https://doi.org/10.18653/v1/{acl.group(1)}"):
                    add(text, "link, any spelling", entry)
    return queries


def real_papers(shared: Path) -> tuple[dict[str, str], set[str]]:
    """arXiv id -> title of every real paper found under `shared`, and the ids of the curated positives."""
    papers: dict[str, str] = {}
    positives: set[str] = set()
    corpus = shared / "relevance-corpus"
    for name in ("stream.jsonl", "positives.jsonl"):
        path = corpus / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and (paper := json.loads(line)).get("arxiv_id"):
                papers[paper["arxiv_id"]] = " ".join(paper["title"].split())
                if name == "positives.jsonl":
                    positives.add(paper["arxiv_id"])
    for path in sorted((shared / "fixtures" / "arxiv-api").glob("*.xml")):
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError:
            continue
        for item in root.findall("a:entry", _ATOM):
            ident = arxiv_id(item.findtext("a:id", default="", namespaces=_ATOM))
            if ident and (title := item.findtext("a:title", default="", namespaces=_ATOM)):
                papers[ident] = " ".join(title.split())
    for path in sorted((shared / "fixtures" / "arxiv-listing").glob("*rss*.xml")):
        for item in ET.parse(path).getroot().iter("item"):
            ident = arxiv_id(item.findtext("link") or "")
            if ident and (title := item.findtext("title")):
                papers[ident] = " ".join(title.split())
    return papers, positives


def real_queries(papers: dict[str, str], positives: set[str], by_arxiv: dict[str, str], titles: dict[str, str],
                 rng: random.Random) -> list[Query]:
    queries = []
    for ident, title in papers.items():
        expected = by_arxiv.get(ident)
        queries.append(Query("paper", title, "real title", expected))
        if ident in positives and expected is None:
            words = title.split()
            for n in range(2, 7):
                if len(words) > n:
                    # Words a listed title starts with too ("Locating and Editing" for a Mamba sequel of ROME) may
                    # rightly name that entry: only another one is wrong.
                    start = fold(" ".join(words[:n]))
                    same = [entry for entry, listed in titles.items() if listed.startswith(start)]
                    queries.append(Query("paper", " ".join(words[:n]), "real title, first words (in the field)",
                                         same[0] if len(same) == 1 else None, loose=len(same) == 1))
            queries += [Query("paper", text, "real title as reference or tab (in the field)", None)
                        for text in as_cited(title, ident)]
        if rng.random() < 0.05:
            queries += [Query("paper", ident, "real arXiv id or PDF link", expected),
                        Query("paper", f"https://arxiv.org/pdf/{ident}v1", "real arXiv id or PDF link", expected)]
    return queries


def search_and_topic_queries(service: CatalogueService, rng: random.Random) -> list[Query]:
    catalogue = service.index.catalogue
    queries = []
    for entry in catalogue.entries:
        queries.append(Query("search", entry.title, "search: a title", entry.id))
        if typo := mistyped(entry.title, rng):
            queries.append(Query("search", typo, "search: a title mistyped", entry.id))
    names = {fold(name) for topic in catalogue.topics for name in (topic.title, topic.slug, *topic.aliases)}
    for topic in catalogue.topics:
        for name in (topic.title, topic.slug, *topic.aliases):
            queries += [Query("topic", name, "topic: name, slug or alias", topic.slug),
                        Query("topic", name.lower(), "topic: name, slug or alias", topic.slug),
                        Query("topic", f"{name} papers", "topic: ... papers", topic.slug)]
            if len(name) >= 6 and (typo := mistyped(name, rng)):
                queries.append(Query("topic", typo, "topic: mistyped", topic.slug))
            queries += [Query("topic", swap, "topic: a short name, two letters swapped", topic.slug,
                              loose=len(name) < 4) for swap in swapped(name.lower()) if swap not in names]
    return queries


def swapped(name: str) -> list[str]:
    """A one-word name of 3-5 letters with two adjacent letters swapped, each way. Three letters are loose: two of
    them moved are as often another word ("sea" for "sae"), which the lookups read as typed."""
    if not (3 <= len(name) <= 5 and name.isalpha()):
        return []
    return sorted({name[:i] + name[i + 1] + name[i] + name[i + 2:] for i in range(len(name) - 1)} - {name})


def judge(commands: Commands, query: Query, tally: Tally) -> None:
    start = time.perf_counter()
    reply = commands.execute(f"{query.command} {query.text}")
    elapsed = time.perf_counter() - start
    if elapsed > SLOW_S:
        tally.slow.append((elapsed, f"{query.command} {query.text}"))
    refs = [item.ref for item in reply.items]
    if query.command == "search":
        answer = refs[0] if refs else None
        offered = query.expected in refs[1:]
    elif query.command == "topic":
        answer = reply.command.removeprefix("topic ") if reply.kind == "result" else None
        offered = query.expected in refs
    else:
        answer = reply.footer.removeprefix("id: ") if reply.kind == "result" else None
        offered = query.expected in refs
    counts = tally.counts[query.family]
    said = f"{query.command} {query.text!r} -> {answer or reply.title!r} (expected {query.expected})"
    if answer is not None and answer == query.expected:
        counts["right"] += 1
    elif answer is not None:
        counts["WRONG"] += 1
        tally.wrong.append(said)
    elif query.expected is None or query.loose:
        counts["right"] += 1
    elif offered:
        counts["offered"] += 1
        tally.missed.append(said)
    else:
        counts["missed"] += 1
        tally.missed.append(said)


def run(directory: Path, shared: Path, show: int, rng: random.Random) -> Tally:
    service = CatalogueService(directory)
    commands = Commands(service, page_size=8)
    entries = list(service.index.catalogue.entries)
    by_arxiv = {key: entry.id for entry in entries for kind, key in entry_keys(entry) if kind == "arxiv"}
    titles = {entry.id: fold(entry.title) for entry in entries}
    papers, positives = real_papers(shared)
    queries = (listed_queries(entries, rng) + real_queries(papers, positives, by_arxiv, titles, rng)
               + search_and_topic_queries(service, rng))
    for command in ("topic probing", "search probing", "paper probing"):
        commands.execute(command)  # what is built once per catalogue version (indexes, related sections) is built
    tally = Tally()
    for query in queries:
        judge(commands, query, tally)
    print(f"{len(entries)} entries, {len(queries):,} queries ({len(papers):,} real papers under {shared})")
    print(f"  {'family':48} {'queries':>8} {'right':>7} {'WRONG':>6} {'offered':>8} {'missed':>7}")
    total: Counter[str] = Counter()
    for family, counts in tally.counts.items():
        total.update(counts)
        print(f"  {family:48} {sum(counts.values()):8,} {counts['right']:7,} {counts['WRONG']:6} "
              f"{counts['offered']:8} {counts['missed']:7}")
    print(f"  {'all':48} {sum(total.values()):8,} {total['right']:7,} {total['WRONG']:6} {total['offered']:8} "
          f"{total['missed']:7}")
    print(f"  slower than {SLOW_S * 1000:.0f} ms: {len(tally.slow)}"
          + (f" (slowest {max(tally.slow)[0] * 1000:.0f} ms: {max(tally.slow)[1]!r})" if tally.slow else ""))
    for title, lines in (("wrong", tally.wrong), ("offered or missed", tally.missed)):
        if lines and show:
            print(f"  {title} (the first {min(show, len(lines))} of {len(lines)}):")
            for line in lines[:show]:
                print(f"    {line}")
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared data folder")
    parser.add_argument("--show", type=int, default=20, help="how many wrong and missed answers to list")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    run(REPO / "catalogue", args.shared, args.show, random.Random(args.seed))


if __name__ == "__main__":
    main()
