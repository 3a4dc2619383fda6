"""Benchmark: the CPU one participant's JupyterLab server needs before it answers (not a test).

A class of 40 logging in at 09:00 needs 40 server starts on two cores, so the CPU of
one start bounds how soon the last participant sees the lesson.  This starts the
server a participant gets on ``latsar hub`` (JupyterLab with the participant role's
Jupyter config: nbgrader's assignment list and validate extensions, the shared lab
settings) in a temporary home, waits until ``/lab`` answers, reads the CPU time of
the server and its children, and stops it.  It also lists the slowest imports of
that start (``python -X importtime``).

    .venv/bin/python bench/server_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))
from latsar.hub.server import config_path, free_port  # noqa: E402


def start_once(home: Path, importtime: bool = False) -> tuple[float, float, str]:
    """(CPU seconds, wall seconds until /lab answers, the -X importtime log)."""
    port = free_port()
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_PATH": config_path("participant"),
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "JUPYTER_RUNTIME_DIR": str(home / "runtime")}
    python = [str(BIN / "python")] + (["-X", "importtime"] if importtime else [])
    cmd = [*python, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root", f"--notebook-dir={home}"]
    log = home / "server.log"
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=home)
    try:
        handle = psutil.Process(proc.pid)
        cpu = 0.0
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"server exited ({proc.returncode}); see {log}:\n{log.read_text()[-2000:]}")
            times = handle.cpu_times()
            cpu = times.user + times.system + times.children_user + times.children_system
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=5) as reply:
                    if reply.status == 200:
                        times = handle.cpu_times()
                        cpu = times.user + times.system + times.children_user + times.children_system
                        break
            except OSError:
                time.sleep(0.05)
        wall = time.perf_counter() - start
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return cpu, wall, log.read_text(errors="replace")


def slowest_imports(log: str, top: int = 8) -> list[tuple[float, str]]:
    """Top-level packages by cumulative import time, from -X importtime's lines."""
    seen = []
    for line in log.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(2)) <= 1:  # a top-level import of the server (indent 1)
            seen.append((int(m.group(1)) / 1e6, m.group(3)))
    return sorted(seen, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cpus, walls = [], []
    with tempfile.TemporaryDirectory(prefix="latsar-server-") as tmp:
        for run in range(args.runs + 1):  # the first run warms the file cache and is not counted
            home = Path(tmp) / f"home{run}"
            home.mkdir()
            cpu, wall, _ = start_once(home)
            if run:
                cpus.append(cpu)
                walls.append(wall)
        _, _, log = start_once(Path(tmp) / "home0", importtime=True)
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f}")
    print("slowest imports of one start (cumulative s, under -X importtime):")
    for seconds, name in slowest_imports(log):
        print(f"  {seconds:6.2f}  {name}")
    print(f"server start: {args.runs} runs, CPU median {statistics.median(cpus):.2f} s "
          f"(min {min(cpus):.2f}, max {max(cpus):.2f}), until /lab answers median {statistics.median(walls):.2f} s")


if __name__ == "__main__":
    main()
