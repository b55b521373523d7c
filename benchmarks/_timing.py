"""Wall-clock timing of whole commands, for the start-up benchmarks.

The commands are timed in rounds (A, B, C, A, B, C, ...), not one after the other, so that a
machine that speeds up or slows down during the measurement (frequency scaling, a neighbour on
the same host) affects every command alike. A command's ratio to the baseline is the median of
its per-round ratios (a paired comparison): a burst of noise from the host spoils the round it
falls in, not the whole figure. The ratio of the medians is printed beside it, for comparison.
"""

from __future__ import annotations

import statistics
import subprocess
import time


def interleaved_runs(commands: dict[str, list[str]], runs: int, env: dict[str, str], *,
                     accept: tuple[int, ...] = (0,)) -> dict[str, list[float]]:
    """Seconds per labelled command, one entry per round, over `runs` rounds.

    Each command runs once untimed first: that writes the bytecode cache, as `pip install` does
    for an installed iamctl (an editable install would otherwise recompile on every run). A
    command that fails (exits with a status not in `accept`; `simulate` exits 3 for a denial) stops
    the benchmark: a fast error is not a measurement.
    """

    def run(argv: list[str]) -> None:
        done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode not in accept:
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode().strip()}")

    for argv in commands.values():
        run(argv)
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, argv in commands.items():
            start = time.perf_counter()
            run(argv)
            times[label].append(time.perf_counter() - start)
    return times


def paired_ratio(times: list[float], base: list[float]) -> float:
    """The median over rounds of time / baseline time."""
    return statistics.median(t / b for t, b in zip(times, base, strict=True))


def ratio_line(label: str, times: list[float], base: list[float], floor: float) -> tuple[str, float]:
    """`LABEL  N ms  ratio R  (floor <= F)  [ratio of medians M]` and R."""
    ratio = paired_ratio(times, base)
    of_medians = statistics.median(times) / statistics.median(base)
    line = (f"{label:38} {statistics.median(times) * 1000:7.1f} ms  ratio {ratio:.2f}  (floor <= {floor})"
            f"  [ratio of medians {of_medians:.2f}]")
    return line, ratio


def paired_difference(times: list[float], base: list[float]) -> float:
    """The median over rounds of time - baseline time, in seconds."""
    return statistics.median(t - b for t, b in zip(times, base, strict=True))


def difference_line(label: str, times: list[float], base: list[float], floor_ms: float) -> tuple[str, float]:
    """`LABEL  N ms  adds D ms  (floor <= F ms)  [difference of medians M ms]` and D in ms."""
    added = paired_difference(times, base) * 1000
    of_medians = (statistics.median(times) - statistics.median(base)) * 1000
    line = (f"{label:46} {statistics.median(times) * 1000:7.1f} ms  adds {added:5.1f} ms  "
            f"(floor <= {floor_ms:g} ms)  [difference of medians {of_medians:.1f} ms]")
    return line, added
