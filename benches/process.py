#!/usr/bin/env python3
"""Whole-process timings, startup included, run alternately in one run.

    benches/process.py ratio ROUNDS FILE...
        `usercsv validate FILE --threads 1` against a plain csv ByteRecord
        count of the same file (`peak_rss baseline FILE`), round by round;
        prints the ratio's range and median, and each side's best time.

    benches/process.py startup ROUNDS FILE SCHEMA_WITHOUT_PHONE
        the same file validated with the built-in schema (a phone column)
        and with SCHEMA_WITHOUT_PHONE, round by round.

$USERCSV_THREADS sets --threads for `ratio` (default 1).

Binaries: $USERCSV_BIN (default target/release/usercsv) and $BASELINE_BIN
(default target/release/examples/peak_rss); build them with
`cargo build --release --bin usercsv --example peak_rss`.
"""

import os
import statistics
import subprocess
import sys
import time

BIN = os.environ.get("USERCSV_BIN", "target/release/usercsv")
BASE = os.environ.get("BASELINE_BIN", "target/release/examples/peak_rss")
THREADS = os.environ.get("USERCSV_THREADS", "1")


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def summary(label, times):
    return f"{label} best {min(times) * 1000:.1f} ms, median {statistics.median(times) * 1000:.1f} ms"


def compare(rounds, first, second, names):
    a, b = [], []
    for _ in range(rounds):
        a.append(timed(first))
        b.append(timed(second))
    ratios = [y / x for x, y in zip(a, b)]
    print(
        f"  {names[1]} / {names[0]}: {min(ratios):.2f}-{max(ratios):.2f}x "
        f"(median {statistics.median(ratios):.2f}x, best/best {min(b) / min(a):.2f}x); "
        f"{summary(names[0], a)}; {summary(names[1], b)}"
    )


def main():
    mode, rounds = sys.argv[1], int(sys.argv[2])
    if mode == "ratio":
        for path in sys.argv[3:]:
            print(path)
            compare(
                rounds,
                [BASE, "baseline", path],
                [BIN, "validate", path, "--threads", THREADS, "-q"],
                ("baseline", f"validate --threads {THREADS}"),
            )
    elif mode == "startup":
        path, schema = sys.argv[3], sys.argv[4]
        print(path)
        compare(
            rounds,
            [BIN, "validate", path, "--threads", "1", "-q", "--schema", schema],
            [BIN, "validate", path, "--threads", "1", "-q"],
            ("no phone column", "phone column"),
        )
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
