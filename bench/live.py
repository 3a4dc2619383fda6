"""Benchmark: N participants answer one live item within a few seconds, on a real JupyterHub (not a test).

Every participant behaves like the notebook widget: it holds a long poll on the
current item (``current``), and clicks once at a random moment of the answering
window (uniform over ``--window`` seconds), through the same client calls.  The
instructor's view follows the counts with the long poll the instructor's page
uses and notes when each count arrived.  The service commits answers in order
(answer ``seq``), so the k-th answer is included as soon as the instructor sees a
count ≥ k: its latency is that moment minus the moment its POST was sent.

    .venv/bin/python bench/live.py [--participants 200] [--window 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from latsar.course import Course  # noqa: E402
from latsar.live.client import AsyncLiveClient  # noqa: E402
from tests.livehub import LiveHub  # noqa: E402


class Standalone:
    """``latsar live`` on one machine (token file): the same service without the hub's token checks."""

    def __init__(self, root: Path, course_root: Path):
        from latsar.hub.server import free_port

        self.root, self.course_root, self.port = root, course_root, free_port()
        self.service_url = f"http://127.0.0.1:{self.port}/services/latsar-live/"
        self.names = {}

    def start(self) -> None:
        self.proc = None

    def participants(self, n: int) -> dict[str, str]:
        import csv
        import subprocess

        from latsar.live.service import make_token_file

        tokens = self.root / "tokens.csv"
        make_token_file(tokens, ["pengampu"], [f"peserta{i:03d}" for i in range(1, n + 1)])
        rows = list(csv.DictReader(tokens.open(encoding="utf-8")))
        self.teacher = next(r["token"] for r in rows if r["role"] == "pengampu")
        self.proc = subprocess.Popen([sys.executable, "-m", "latsar.live.service", "--course", str(self.course_root),
                                      "--port", str(self.port), "--tokens", str(tokens)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                httpx.get(self.service_url + "api/health").raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        return {r["user"]: r["token"] for r in rows if r["role"] == "peserta"}

    def instructor(self) -> str:
        return self.teacher

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[k]


async def session(hub: LiveHub, n: int, window: float, seed: int) -> dict:
    # one HTTP client per participant, as each kernel has its own (a single shared pool with
    # hundreds of pending long polls makes httpx itself the bottleneck, not the service)
    async with httpx.AsyncClient(timeout=60) as http:
        teacher = AsyncLiveClient(hub.service_url, hub.instructor_token, http=http)
        people = {name: AsyncLiveClient(hub.service_url, token, timeout=60)
                  for name, token in hub.participant_tokens.items()}
        await teacher.start_session("bench")
        # the widgets are open before the item: each shows "no item yet" and waits
        tokens = dict(zip(people, await asyncio.gather(*(c.current() for c in people.values()))))
        stop = asyncio.Event()

        async def widget(name: str, client: AsyncLiveClient) -> None:
            state = tokens[name]["state_token"]
            while not stop.is_set():
                view = await client.current(after=state, wait=25)
                state = view["state_token"]
                tokens[name] = view

        followers = [asyncio.create_task(widget(name, c)) for name, c in people.items()]
        run = await teacher.open_item("LAT1-08")
        run_id = run["run_id"]
        seen: list[tuple[float, int]] = []

        async def instructor_view() -> None:
            version = run["version"]
            while True:
                counts = await teacher.counts(run_id, after=version, wait=25)
                seen.append((time.monotonic(), counts["answered"]))
                version = counts["version"]
                if counts["answered"] >= n:
                    return

        watcher = asyncio.create_task(instructor_view())
        rng = random.Random(seed)
        sent: dict[str, float] = {}
        acked: dict[str, float] = {}
        start = time.monotonic()

        async def click(name: str, client: AsyncLiveClient) -> None:
            await asyncio.sleep(rng.random() * window)
            sent[name] = time.monotonic()
            await client.answer(run_id, rng.choice("abcd"))
            acked[name] = time.monotonic()

        await asyncio.gather(*(click(name, c) for name, c in people.items()))
        await asyncio.wait_for(watcher, 30)
        answered_in = max(sent.values()) - start
        rows = (await teacher.answers(run_id))["answers"]
        stop.set()
        await teacher.close(run_id)  # wakes the widgets' long polls, which then end
        await asyncio.wait_for(asyncio.gather(*followers), 30)
        for client in people.values():
            await client.aclose()

    latency = []
    for rank, row in enumerate(sorted(rows, key=lambda r: r["seq"]), start=1):
        observed = next(t for t, answered in seen if answered >= rank)
        latency.append(observed - sent[row["participant_id"]])
    ack = [acked[k] - sent[k] for k in sent]
    return {"latency": latency, "ack": ack, "answered_in": answered_in, "updates": len(seen), "rows": len(rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--window", type=float, default=5.0, help="seconds over which the clicks are spread")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--standalone", action="store_true", help="`latsar live` with a token file, no hub")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="latsar-live-bench-") as tmp:
        root = Path(tmp)
        course = Course.at(REPO).copy_to(root / "course")
        hub = Standalone(root, course.root) if args.standalone else LiveHub(root, course.root)
        try:
            t = time.monotonic()
            hub.start()
            hub.participant_tokens = hub.participants(args.participants)
            hub.instructor_token = hub.instructor()
            where = "service alone (token file)" if args.standalone else "hub + service"
            print(f"{where} up, {args.participants} users and tokens made in {time.monotonic() - t:.1f} s")
            result = asyncio.run(session(hub, args.participants, args.window, args.seed))
        finally:
            hub.stop()
    lat, ack = result["latency"], result["ack"]
    assert result["rows"] == args.participants, result["rows"]
    print(f"{args.participants} participants answered within {result['answered_in']:.2f} s "
          f"(all recorded: {result['rows']}); instructor view updated {result['updates']} times")
    print(f"click → instructor's count   p50 {1000 * statistics.median(lat):6.1f} ms   "
          f"p95 {1000 * percentile(lat, 95):6.1f} ms   max {1000 * max(lat):6.1f} ms")
    print(f"click → answer acknowledged  p50 {1000 * statistics.median(ack):6.1f} ms   "
          f"p95 {1000 * percentile(ack, 95):6.1f} ms   max {1000 * max(ack):6.1f} ms")


if __name__ == "__main__":
    main()
