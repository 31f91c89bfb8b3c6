"""Footprint: peak memory of a running bot, and cold start of a one-shot lookup.

    python -m benchmarks.footprint [--runs 9] [--size 10000]

1. Peak RSS (the kernel's VmHWM) of `interp-bot run` with a generated catalogue of --size entries, measured after the
   bot has started, answered readers' lookups, polled the loopback feeds, scored them against the whole catalogue and
   posted the candidates: with the console adapter in a terminal, and with Discord and Slack both connected to the
   loopback fakes (tests/fakes), through the real discord.py and slack-bolt. The lookups
   (benchmarks/footprint_lookups.py: topics by name, alias and typo, words, papers by title, id, link, arXiv id,
   acronym and typo) are typed into the console, or sent as /interp slash commands to Discord and to Slack, while the
   feed server holds its answers: a bot answers lookups all day, so every poll after its first peaks on top of what
   they build (the full-text index, the paper finder, the link index, the topics' neighbours). The feeds are polled
   at full size, as feeds.yaml polls them (`max_entries: 2000`): a 2,000-entry arXiv API document (the real 100-entry
   response repeated with fresh ids, benchmarks/poll_throughput.big_atom) and a real day's listing of every archive
   (1,504 items, tests/data/feeds/arxiv-listing-2024-11-28-all.xml), beside the small listing and forum feeds. A
   fresh process and database each run, --runs runs per adapter set: min / median / max, in MiB (KiB / 1024, what
   /proc says) and in MB (10^6 bytes). Target: <= 150 MB (checked on the MB figure, the stricter of the two).
2. Cold start of `interp-bot topic probing` (a new interpreter each run, real catalogue and the generated one):
   median of --runs. Target: <= 1.5 s. The slowest imports are listed from `python -X importtime`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.footprint_lookups import Lookup, Terminal, ask_console, ask_discord, ask_slack, lookups  # noqa: E402
from benchmarks.generated import write_generated  # noqa: E402
from benchmarks.poll_throughput import big_atom  # noqa: E402
from tests.fakes.discord_fake import DIGEST_CHANNEL, MAINTAINERS_CHANNEL, FakeDiscord  # noqa: E402
from tests.fakes.feed_server import FeedServer  # noqa: E402
from tests.fakes.slack_fake import FakeSlack  # noqa: E402

RSS_TARGET_MB, START_TARGET_S = 150, 1.5
API_ENTRIES = 2000  # feeds.yaml's max_entries for the daily listings: the most one poll may take
# name: (kind, file in tests/data/feeds, or None for the generated API document served from memory)
FEEDS = {"lesswrong": ("forum_rss", "lesswrong-frontpage.xml"), "cs-cl": ("arxiv_rss", "arxiv-listing-rss2-cs-cl.xml"),
         "arxiv-all": ("arxiv_rss", "arxiv-listing-2024-11-28-all.xml"), "arxiv-api": ("arxiv_api", None),
         "alignment": ("forum_rss", "alignment-forum.xml")}
DISCORD_LAUNCHER = REPO / "tests" / "ops" / "discord_redirect.py"  # discord.py aimed at the fake, then the CLI


def kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def base_env(workdir: Path, catalogue: Path, feeds: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERP_BOT_", "DISCORD_", "SLACK_"))}
    env.update(PYTHONUNBUFFERED="1", INTERP_BOT_CATALOGUE_DIR=str(catalogue), INTERP_BOT_FEEDS_FILE=str(feeds),
               INTERP_BOT_DATABASE_URL=f"sqlite:///{workdir / 'bot.db'}", INTERP_BOT_ALLOW_PRIVATE_ADDRESSES="true",
               INTERP_BOT_LOG_LEVEL="DEBUG")  # DEBUG: the scheduler says when each poll job has run
    return env


def all_posted(database: Path, platforms: int) -> bool:
    """Every candidate posted on every platform: the steady state after the first polls."""
    with sqlite3.connect(database) as conn:
        candidates = conn.execute("SELECT count(*) FROM papers WHERE status = 'candidate'").fetchone()[0]
        posts = conn.execute("SELECT count(*) FROM posts WHERE kind = 'candidate'").fetchone()[0]
    return candidates > 0 and posts >= candidates * platforms


@dataclass
class Sample:
    """One run's RSS in KiB: peak (VmHWM), and VmRSS once started, once the lookups were answered, and at the end."""
    peak: int
    started: int
    asked: int
    end: int


async def peak_rss(name: str, proc: asyncio.subprocess.Process, log: Path, workdir: Path, platforms: int,
                   feeds: FeedServer, ask: Callable[[], Awaitable[None]]) -> Sample:
    """Once the bot runs, readers' lookups (`ask`) while the feeds are held; then the feeds answer, and the bot runs
    until every first poll and the publishing after it are done."""
    try:
        deadline = time.monotonic() + 180
        polled = [re.compile(rf'Job "poll {feed} \(trigger.*" executed successfully') for feed in FEEDS]
        while "interp-bot running: adapters" not in _text(log):
            await _alive(name, proc, log, deadline)
        started = kib(proc.pid, "VmRSS")
        try:
            await ask()
        finally:
            feeds.release()
        asked = kib(proc.pid, "VmRSS")
        while True:
            text = _text(log)
            if all(p.search(text) for p in polled) and all_posted(workdir / "bot.db", platforms):
                break
            await _alive(name, proc, log, deadline)
        await asyncio.sleep(1)  # settle: anything the posts set off
        print(f"   ({name}: steady after {time.monotonic() - deadline + 180:.0f} s; RSS {mib(started):.1f} MiB once "
              f"started, {mib(asked):.1f} once the lookups were answered)")
        return Sample(kib(proc.pid, "VmHWM"), started, asked, kib(proc.pid, "VmRSS"))
    finally:
        if proc.returncode is None:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 10)


def _text(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""  # the console's log is made once it starts


async def _alive(name: str, proc: asyncio.subprocess.Process, log: Path, deadline: float) -> None:
    if proc.returncode is not None or time.monotonic() > deadline:
        raise RuntimeError(f"{name}: the bot did not reach steady state; see {log}:\n{_text(log)[-3000:]}")
    await asyncio.sleep(0.2)


async def measure_run(catalogue: Path, tmp: Path, runs: int) -> dict[str, list[Sample]]:
    """Each run's RSS, per adapter set; every run a fresh process and database."""
    results: dict[str, list[Sample]] = {"console": [], "discord + slack": []}
    asked = lookups(catalogue)
    async with FeedServer(REPO / "tests" / "data" / "feeds") as feeds_server:
        api_url = feeds_server.serve("arxiv-api-2000.xml", big_atom(API_ENTRIES)[0])
        feeds = tmp / "feeds.yaml"
        feeds.write_text("feeds:\n" + "".join(
            f"  - name: {name}\n    kind: {kind}\n    url: {feeds_server.url('/feeds/' + file) if file else api_url}\n"
            f"    interval_minutes: 60\n    max_entries: {API_ENTRIES}\n" for name, (kind, file) in FEEDS.items()))
        for run in range(runs):
            results["console"].append(await console_run(catalogue, feeds, feeds_server, tmp / f"console-{run}", asked))
            results["discord + slack"].append(await chat_run(catalogue, feeds, feeds_server, tmp / f"chat-{run}",
                                                             asked))
    return results


async def console_run(catalogue: Path, feeds: Path, feeds_server: FeedServer, workdir: Path,
                      asked: list[Lookup]) -> Sample:
    """`interp-bot run --adapter console` in a terminal: the console reads what a reader types (on a pipe it would
    read nothing) and logs to interp-bot.log beside it."""
    workdir.mkdir()  # noqa: ASYNC240 - one directory, before the bot starts
    terminal = Terminal()
    env = base_env(workdir, catalogue, feeds) | {"TERM": "xterm", "HOME": str(workdir)}  # HOME: the editor's history
    feeds_server.hold()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", "--adapter", "console",
                                                cwd=workdir, env=env, stdin=terminal.child, stdout=terminal.child,
                                                stderr=terminal.child)
    terminal.start()
    try:
        return await peak_rss("console", proc, workdir / "interp-bot.log", workdir, 1, feeds_server,
                              lambda: ask_console(terminal, asked))
    finally:
        terminal.close()


async def chat_run(catalogue: Path, feeds: Path, feeds_server: FeedServer, workdir: Path,
                   asked: list[Lookup]) -> Sample:
    workdir.mkdir()  # noqa: ASYNC240 - one directory, before the bot starts
    discord, slack = FakeDiscord(), await FakeSlack().start()
    await discord.start()
    try:
        env = base_env(workdir, catalogue, feeds) | {
            "FAKE_DISCORD_API": discord.api_base, "FAKE_DISCORD_GATEWAY": discord.gateway_url,
            "DISCORD_TOKEN": "fake-token", "INTERP_BOT_DISCORD_MAINTAINERS_CHANNEL_ID": MAINTAINERS_CHANNEL,
            "INTERP_BOT_DISCORD_DIGEST_CHANNEL_ID": DIGEST_CHANNEL,
            "SLACK_BOT_TOKEN": "xoxb-1111-2222-footprint", "SLACK_APP_TOKEN": "xapp-1-A0FOOT-3333-footprint",
            "INTERP_BOT_SLACK_API_URL": slack.api_url, "INTERP_BOT_SLACK_MAINTAINERS_CHANNEL": "C0MAINTAIN",
            "INTERP_BOT_SLACK_DIGEST_CHANNEL": "C0DIGEST1"}
        log = workdir / "chat.log"
        feeds_server.hold()
        with log.open("wb") as sink:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, str(DISCORD_LAUNCHER), "run", "--adapter", "discord", "--adapter", "slack",
                cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT)

        async def ask() -> None:
            await ask_discord(discord, asked)
            await ask_slack(slack, asked)

        result = await peak_rss("chat", proc, log, workdir, 2, feeds_server, ask)
        posted = len(discord.find("POST", r"/channels/\d+/messages")) + len(slack.calls_to("chat.postMessage"))
        print(f"   (discord + slack: {posted} candidate posts reached the fakes)")
        return result
    finally:
        await discord.stop()
        await slack.stop()


def mib(kib_value: float) -> float:
    return kib_value / 1024


def mb(kib_value: float) -> float:
    return kib_value * 1024 / 1e6


def cold_start(catalogue: Path, runs: int) -> list[float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERP_BOT_")}
    env["INTERP_BOT_CATALOGUE_DIR"] = str(catalogue)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "topic", "probing"], cwd=REPO, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def slowest_imports(catalogue: Path, top: int = 8) -> list[tuple[float, str]]:
    """Cumulative import time per top-level module of one cold run (python -X importtime)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERP_BOT_")}
    env["INTERP_BOT_CATALOGUE_DIR"] = str(catalogue)
    stderr = subprocess.run([sys.executable, "-X", "importtime", "-m", "bot", "topic", "probing"], cwd=REPO, env=env,
                            capture_output=True, text=True, check=True).stderr
    rows = []
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(2)) <= 1:  # top-level imports only: their time includes their children
            rows.append((int(match.group(1)) / 1e6, match.group(3)))
    return sorted(rows, reverse=True)[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9,
                        help="bot runs per adapter set, and cold starts, to take min/median/max of (default 9)")
    parser.add_argument("--size", type=int, default=10_000, help="generated catalogue size (default 10000)")
    parser.add_argument("--no-cold-start", action="store_true", help="measure the peak RSS only")
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory(prefix="interp-footprint-") as name:
        tmp = Path(name)
        catalogue = write_generated(tmp / "catalogue", args.size)
        print(f"peak RSS of `interp-bot run`, {args.size:,}-entry catalogue, readers' lookups first, a "
              f"{API_ENTRIES:,}-entry arXiv API feed and a 1,504-item listing, {args.runs} run(s) each "
              f"(target <= {RSS_TARGET_MB} MB = 10^6 bytes):")
        for adapters, samples in asyncio.run(measure_run(catalogue, tmp, args.runs)).items():
            peaks = sorted(sample.peak for sample in samples)
            low, mid, high = peaks[0], statistics.median(peaks), peaks[-1]
            ok &= mb(high) <= RSS_TARGET_MB
            print(f"   {adapters:<16} peak MiB min {mib(low):6.1f}  median {mib(mid):6.1f}  max {mib(high):6.1f}   "
                  f"MB min {mb(low):6.1f}  median {mb(mid):6.1f}  max {mb(high):6.1f}   "
                  f"(RSS at the end, median {mib(statistics.median(s.end for s in samples)):.1f} MiB)")
        if not args.no_cold_start:
            ok &= report_cold_start(catalogue, args.size, args.runs)
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


def report_cold_start(catalogue: Path, size: int, runs: int) -> bool:
    ok = True
    print(f"cold start of `interp-bot topic probing`, median of {runs} (target <= {START_TARGET_S} s):")
    for label, directory in (("real catalogue", REPO / "catalogue"), (f"{size:,} entries", catalogue)):
        times = cold_start(directory, runs)
        median = statistics.median(times)
        ok &= median <= START_TARGET_S  # both lists, as benchmarks/README.md judges them
        print(f"   {label:<16} median {median:.3f} s   (min {min(times):.3f}, max {max(times):.3f})   "
              f"{'met' if median <= START_TARGET_S else 'MISSED'}")
    print("   slowest top-level imports (cumulative, real catalogue):")
    for seconds, module in slowest_imports(REPO / "catalogue"):
        print(f"     {seconds * 1000:7.1f} ms  {module}")
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
