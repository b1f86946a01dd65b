"""Benchmark: build, prove and certify the generators, with a float64 forward pass as the baseline in the same run.

1. ``generate goldreich --m 50 --d 200 --predicate TSA`` as a user runs it, in a child
   process, so the time includes start-up and writing the files. It reports the wall
   time and peak resident memory. Beside it is the time of a float64 forward pass of
   the same network on 10,000 uniform seeds (scipy.sparse products, no exactness
   checks). Target: under 5 s.
2. ``generate theorem-3.1 --m 50 --eps 2^-12 --target leaky-relu`` (d = 200): network
   size, wall time and peak memory. Targets: under 60 s and under 2 GiB.

Run from the project root: python scripts/bench_generators.py
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verifier.network import load_network  # noqa: E402
from benchtools import best_of, float_forward


def run_command(arguments: list[str]) -> tuple[float, int, int]:
    """Run ``python -m verifier ARGUMENTS`` and return (wall seconds, peak resident KiB, exit code)."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "verifier", *arguments], cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss, child.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-theorem", action="store_true", help="run only the Goldreich benchmark")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        out = pathlib.Path(directory) / "gen"
        seconds, peak, code = run_command(["generate", "goldreich", "--m", "50", "--d", "200", "--predicate", "TSA", "--seed", "0",
                                           "--out", str(out), "--json"])
        network = load_network(str(out / "network.json"))
        certificate = json.loads((out / "certificate.json").read_text())
        seeds = 1 - 2 * np.random.default_rng(1).integers(0, 2, size=(50, 10_000))
        float_forward(network, seeds)  # warm the cached scipy matrices
        baseline = best_of(lambda: float_forward(network, seeds), 5)
        print("Goldreich m = 50, d = 200, TSA: build + proof + biases + certificate")
        print(f"  generate goldreich: {seconds:.2f} s wall, peak {peak / 1024:.0f} MiB, exit {code} (target under 5 s)")
        print(f"  network: depth {network.depth}, size {network.size}; largest pairwise bias {certificate['biases']['largest']}")
        print(f"  baseline float64 forward pass on 10,000 seeds: {baseline:.3f} s; ratio command / baseline: {seconds / baseline:.0f}x")

        if arguments.skip_theorem:
            return 0
        out = pathlib.Path(directory) / "thm"
        seconds, peak, code = run_command(["generate", "theorem-3.1", "--m", "50", "--eps", "2^-12", "--target", "leaky-relu",
                                           "--d", "200", "--seed", "0", "--out", str(out), "--json"])
        network = load_network(str(out / "network.json"))
        nonzeros = sum(layer.nnz for layer in network.layers)
        print("Theorem 3.1 m = 50, d = 200, eps = 2^-12, leaky-ReLU target")
        print(f"  generate theorem-3.1: {seconds:.2f} s wall, peak {peak / 1024:.0f} MiB, exit {code} (targets under 60 s and 2 GiB)")
        print(f"  network: depth {network.depth}, size {network.size}, {nonzeros} non-zero weights, tau {network.tau()}")
        gaussian = np.random.default_rng(1).standard_normal((50, 10_000))
        float_forward(network, gaussian)
        baseline = best_of(lambda: float_forward(network, gaussian), 3)
        print(f"  baseline float64 forward pass on 10,000 Gaussian seeds: {baseline:.3f} s; ratio: {seconds / baseline:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
