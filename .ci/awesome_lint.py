"""awesome-lint (the awesome lists' own linter, installed by `npm ci` in .ci/) on the rendered list.

    python .ci/awesome_lint.py [--seed FILE] [--catalogue DIR]

1. `catalogue/README.md`, the list in its own style, may have no more errors of any rule than the seed list it was
   imported from (the seed has 129). Not counted in either: the list style's `[[arxiv 2305]](url)` links, whose
   label awesome-lint reads as an undefined reference while GitHub shows a link (tests/catalogue/
   test_markdown_on_github.py); every approved paper brings one, so counted they failed the list's first approval.
   Both are linted as a bare `readme.md` in an empty directory, so the repository around them counts alike.
2. `interp-bot render --style awesome` must have no error at all. Some of awesome-lint's rules are about the
   repository the list is published in (a git repository on GitHub, a contributing.md beside the readme): it is
   linted in a scratch git repository with a GitHub remote and the catalogue's CONTRIBUTING.md, as it would be
   published. Offline, the GitHub API checks of that rule (description, topics, licence) are skipped.

Exit status 0 when both hold; the errors are printed either way.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

CI = Path(__file__).resolve().parent
REPO = CI.parent
LINTER = CI / "node_modules" / "awesome-lint"
SEED = REPO / "tests" / "data" / "seed" / "awesome-llm-interpretability.md"
PUBLISHED_AT = "https://github.com/interp-bot/awesome-llm-interpretability"


def lint(readme: str, directory: Path) -> list[dict]:
    """awesome-lint's errors (not its warnings) for `readme` written as directory/readme.md."""
    (directory / "readme.md").write_text(readme, encoding="utf-8")
    result = subprocess.run(["node", str(CI / "awesome-lint-json.mjs"), "readme.md"], cwd=directory,
                            capture_output=True, text=True, timeout=300)
    if result.returncode:
        raise SystemExit(f"awesome-lint failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    messages = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return [m for m in messages if m["fatal"]]


# `[[label]](url)`: the list style's link, its label in brackets (bot/catalogue/markdown.py).
_LABELLED_LINK = re.compile(r"\[\[[^\]\n]*\]\]\(")


def style_links_left_out(errors: list[dict], readme: str) -> list[dict]:
    """`errors` without the undefined references that are a `[[label]](url)` link's label (awesome-lint points at
    the inner bracket)."""
    lines = readme.splitlines()

    def labelled_link(message: dict) -> bool:
        if message["ruleId"] != "no-undefined-references" or not 0 < message["line"] <= len(lines):
            return False
        start = message["column"] - 2  # 0-based, the outer bracket
        return start >= 0 and _LABELLED_LINK.match(lines[message["line"] - 1], start) is not None

    return [m for m in errors if not labelled_link(m)]


def show(title: str, errors: list[dict]) -> None:
    print(f"{title}: {len(errors)} error(s)")
    for rule, count in sorted(Counter(m["ruleId"] for m in errors).items()):
        print(f"    {count:>4}  {rule}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=Path, default=SEED, help="the list the catalogue was imported from")
    parser.add_argument("--catalogue", type=Path, default=REPO / "catalogue", help="the catalogue to check")
    args = parser.parse_args()
    if not LINTER.exists():
        print(f"awesome-lint is not installed: run `npm ci` in {CI}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    from bot.catalogue.awesome import render_awesome
    from bot.catalogue.text import repair_mojibake
    from bot.catalogue.yaml_io import load_catalogue

    catalogue = load_catalogue(args.catalogue)
    failed = False
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "seed").mkdir()
        (root / "list").mkdir()
        seed_text = repair_mojibake(args.seed.read_text(encoding="utf-8"))
        seed = style_links_left_out(lint(seed_text, root / "seed"), seed_text)
        our_text = (args.catalogue / "README.md").read_text(encoding="utf-8")
        ours = style_links_left_out(lint(our_text, root / "list"), our_text)
        show("seed list", seed)
        show("catalogue/README.md", ours)
        seed_counts, our_counts = Counter(m["ruleId"] for m in seed), Counter(m["ruleId"] for m in ours)
        added = {rule: n - seed_counts[rule] for rule, n in our_counts.items() if n > seed_counts[rule]}
        if added:
            failed = True
            print(f"FAILED: catalogue/README.md adds errors the seed does not have: {added}")
            for message in ours:
                if message["ruleId"] in added:
                    print(f"    {message['line']}:{message['column']}  {message['reason']}  ({message['ruleId']})")

        published = root / "awesome"
        published.mkdir()
        shutil.copy(args.catalogue / "CONTRIBUTING.md", published / "contributing.md")
        git = ["git", "-c", "init.defaultBranch=main", "-C", str(published)]
        subprocess.run([*git, "init", "-q"], check=True)
        subprocess.run([*git, "remote", "add", "origin", PUBLISHED_AT], check=True)
        subprocess.run([*git, "config", "branch.main.remote", "origin"], check=True)
        awesome = lint(render_awesome(catalogue), published)
        show("render --style awesome", awesome)
        if awesome:
            failed = True
            print("FAILED: the awesome style must pass awesome-lint:")
            for message in awesome:
                print(f"    {message['line']}:{message['column']}  {message['reason']}  ({message['ruleId']})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
