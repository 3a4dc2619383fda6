"""Benchmark of latsar.report.stats on a synthetic cohort (run: .venv/bin/python bench/report.py).

100,000 participants × the real bank's 20 items, generated with numpy only:
a 2PL ability model (P(right) = 1 / (1 + exp(−1.7 a (θ − b)))), wrong answers
spread over the three distractors with unequal weights, blanks more likely for
weaker participants, and ~2 % who never submitted MP2.  Each table is built
from the DataFrame, as an analyst would call it, and timed; peak memory is the
process's maximum resident set size (ru_maxrss), data generation included.
Target: ≤ 5 s for all tables, ≤ 1.5 GB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from latsar.authoring.itembank import LETTERS, ItemBank  # noqa: E402
from latsar.report import stats  # noqa: E402

LETTER_ARRAY = np.array([*LETTERS, ""], dtype=object)


def synthetic_cohort(bank: ItemBank, n: int, seed: int = 2021) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(responses, roster) for n participants, fully vectorised."""
    rng = np.random.default_rng(seed)
    bank_items = list(bank)
    k = len(bank_items)
    theta = rng.normal(size=n)
    difficulty = rng.normal(-0.6, 0.9, size=k)
    slope = rng.uniform(0.4, 1.6, size=k)
    p_right = 1 / (1 + np.exp(-1.7 * slope * (theta[:, None] - difficulty)))
    right = rng.random((n, k)) < p_right
    p_blank = 0.01 + 0.05 / (1 + np.exp(2 * theta))  # 1–6 %, weaker participants leave more blank
    blank = ~right & (rng.random((n, k)) < p_blank[:, None] * 3)

    key = np.array([LETTERS.index(i.key) for i in bank_items])
    # wrong letters: the 1st/2nd/3rd distractor with probability .6/.3/.1
    offset = 1 + np.searchsorted(np.cumsum([0.6, 0.3, 0.1]), rng.random((n, k)) * 0.999999)
    letter = np.where(right, key, (key + offset) % 4)
    letter = np.where(blank, 4, letter)

    mp2 = np.array([i.materi_pokok == 2 for i in bank_items])
    skipped_mp2 = rng.random(n) < 0.02
    keep = ~(skipped_mp2[:, None] & mp2)  # (n, k)

    ids = pd.Index(np.char.add("NIP", np.char.zfill(np.arange(n).astype(str), 6)))
    p_idx, i_idx = np.nonzero(keep)
    item_ids = np.array([i.id for i in bank_items], dtype=object)
    assignments = np.array([i.assignment for i in bank_items], dtype=object)
    correct = right[p_idx, i_idx]
    responses = pd.DataFrame({
        "peserta_id": ids.take(p_idx),
        "assignment": assignments[i_idx],
        "item_id": item_ids[i_idx],
        "pilihan": LETTER_ARRAY[letter[p_idx, i_idx]],
        "benar": correct,
        "poin": correct.astype(float),
    })
    classes = np.char.add("kelas-", np.char.zfill((rng.integers(0, 40, size=n)).astype(str), 2))
    roster = pd.DataFrame({"peserta_id": ids, "kelas": classes})
    # a few on the roster never submitted, a few submitters missing from it
    roster = pd.concat([roster.iloc[50:], pd.DataFrame({"peserta_id": ["NIPX1", "NIPX2"], "kelas": "kelas-00"})])
    return responses, roster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    bank = ItemBank.load(ROOT / "course_data" / "item_bank.yaml")

    t0 = time.perf_counter()
    responses, roster = synthetic_cohort(bank, args.n)
    print(f"generate: {len(responses):,} response rows in {time.perf_counter() - t0:.2f} s")

    tables = {
        "mastery": lambda: stats.mastery(responses, bank),
        "remedial": lambda: stats.remedial(responses, bank),
        "items": lambda: stats.items(responses, bank),
        "distractors": lambda: stats.distractors(responses, bank),
        "test_stats": lambda: stats.test_stats(responses, bank),
        "groups": lambda: stats.groups(responses, bank, roster, "kelas"),
        "roster_mismatch": lambda: stats.roster_mismatch(responses, roster),
    }
    total = 0.0
    results = {}
    for name, build in tables.items():
        t = time.perf_counter()
        results[name] = build()
        elapsed = time.perf_counter() - t
        total += elapsed
        size = len(results[name]) if isinstance(results[name], pd.DataFrame) else sum(map(len, results[name]))
        print(f"{name:>16}: {elapsed:6.3f} s  ({size:,} rows)")

    t = time.perf_counter()
    cohort = stats.prepare(responses, bank)
    prep = time.perf_counter() - t
    t = time.perf_counter()
    for name in ("mastery", "remedial", "items", "distractors", "test_stats"):
        getattr(stats, name)(cohort, bank)
    stats.groups(cohort, bank, roster, "kelas")
    print(f"(with one shared prepare(): {prep:.3f} s + {time.perf_counter() - t:.3f} s for the six tables)")

    ts = results["test_stats"].set_index("materi_pokok")
    print(ts[["n", "mean", "sd", "alpha", "kr20", "sem", "mastery_rate"]].round(3).to_string())
    print(f"items flagged for review: {int(results['items']['review'].sum())} of {len(results['items'])}")

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    n_items = len(bank)
    print(f"report: {args.n} participants x {n_items} items in {total:.2f} s, peak {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
