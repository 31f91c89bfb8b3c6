"""Run every benchmark, one after another, each in its own process so none warms another's caches.

    python -m benchmarks            all of them
    python -m benchmarks latency    only the named ones
    python -m benchmarks relevance  (relevance_quality; it needs the [train] extra)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = ("latency", "paper_answers", "list_match", "poll_throughput", "relevance_quality", "footprint")
ALIASES = {"relevance": "relevance_quality"}
ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    # Names first; the options after one name are that benchmark's (`relevance --folds 8`, as the README has it).
    first_option = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    names, options = argv[:first_option], argv[first_option:]
    if not names and any(arg in ("-h", "--help") for arg in options):
        print(f"{(__doc__ or '').strip()}\n\nbenchmarks: {', '.join(BENCHMARKS)} (each takes its own options: "
              "python -m benchmarks.NAME --help; run times and figures in benchmarks/README.md)")
        return 0
    if options and len(names) != 1:
        print("options go to one benchmark: python -m benchmarks NAME [OPTIONS]", file=sys.stderr)
        return 2
    wanted = [ALIASES.get(name, name) for name in names] or list(BENCHMARKS)
    unknown = [name for name in wanted if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    failed = []
    for name in wanted:
        if not (ROOT / "benchmarks" / f"{name}.py").is_file():
            print(f"== {name}: not present in this checkout", flush=True)
            continue
        print(f"== {name}", flush=True)
        if subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *options], cwd=ROOT).returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
