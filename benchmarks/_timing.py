"""Wall-clock medians of whole commands, for the start-up benchmarks.

The commands are timed in turn (A, B, C, A, B, C, ...), not one after the other, so that a
machine that speeds up or slows down during the measurement (frequency scaling, a neighbour on
the same host) moves every command's times alike and leaves their ratios fair.
"""

from __future__ import annotations

import statistics
import subprocess
import time


def interleaved_medians(commands: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median seconds per labelled command over `runs` interleaved runs.

    Each command runs once untimed first: that writes the bytecode cache, as `pip install` does
    for an installed iamctl (an editable install would otherwise recompile on every run). A
    command that fails stops the benchmark: a fast error is not a measurement.
    """
    for argv in commands.values():
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[label].append(time.perf_counter() - start)
    return {label: statistics.median(t) for label, t in times.items()}
