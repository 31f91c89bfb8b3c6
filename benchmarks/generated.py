"""A generated catalogue of any size, built from the real list's vocabulary (for latency and footprint runs).

Deterministic (seeded), valid per bot.catalogue.yaml_io.load_catalogue, spread over the real topics.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import replace
from pathlib import Path

from bot.catalogue.model import Catalogue, Entry, Link
from bot.catalogue.yaml_io import load_catalogue
from bot.catalogue.yaml_write import write_catalogue

REPO = Path(__file__).resolve().parents[1]
VENUES = ("arxiv 2401", "ICLR 2024", "NeurIPS 2024", "ACL 2024", "EMNLP 2023", "openreview", "github", "blog")


def generated_catalogue(size: int, *, seed: int = 7, base: Path = REPO / "catalogue") -> Catalogue:
    real = load_catalogue(base)
    rng = random.Random(seed)
    words = sorted({w for e in real.entries for w in e.title.split() if w.isalpha() and len(w) > 2})
    leaves = [t.slug for t in real.topics if not real.children(t.slug)]
    entries = list(real.entries)
    placement = {slug: list(ids) for slug, ids in real.placement.items()}
    for n in range(size - len(entries)):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(5, 12))).capitalize()
        topic = rng.choice(leaves)
        entry = Entry(
            id=f"generated-{n:05d}", title=title, kind=rng.choice(("paper", "paper", "paper", "blog")),
            links=(Link(rng.choice(VENUES), f"https://arxiv.org/abs/24{n % 12 + 1:02d}.{n:05d}"),),
            starred=rng.random() < 0.03, topics=(topic,),
            notes=(" ".join(rng.choice(words) for _ in range(8)),) if rng.random() < 0.1 else (),
        )
        entries.append(entry)
        placement.setdefault(topic, []).append(entry.id)
    return replace(real, entries=tuple(entries), placement={k: tuple(v) for k, v in placement.items()})


def write_generated(directory: Path, size: int) -> Path:
    """Write a generated catalogue (topics.yaml + entry files) and prove it loads."""
    write_catalogue(generated_catalogue(size), directory)
    load_catalogue(directory)
    return directory


def size_list(text: str) -> list[int]:
    """argparse type for --sizes / --entries: "93,10000" -> [93, 10000], and a usage error for anything else."""
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected positive whole numbers separated by commas, such as 93,10000; "
                                         f"got {text!r}")
    return sizes
