"""Regenerate the certificates kept under certificates/.

Run from the project root: python scripts/make_certificates.py
Each certificate is written by the same command a user runs, so the files match
what `python -m verifier check ...` produces.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CERTIFICATES = ROOT / "certificates"

COMMANDS = {
    "TSA.cert.json": ["check", "predicate", "TSA"],
    "TSA-appendix.cert.json": ["check", "predicate", "TSA", "--construction", "appendix"],
    "goldreich-m50-d200-TSA.cert.json": ["generate", "goldreich", "--m", "50", "--d", "200", "--predicate", "TSA", "--seed", "0"],
    "c17.cert.json": ["check", "circuit", "--circuit", "../shared/data/iscas85/c17.bench"],
    "c432.cert.json": ["check", "circuit", "--circuit", "../shared/data/iscas85/c432.bench"],
}


def main() -> int:
    for name, arguments in COMMANDS.items():
        target = CERTIFICATES / name
        completed = subprocess.run(
            [sys.executable, "-m", "verifier", *arguments, "--out", str(target), "--json"],
            cwd=ROOT, stdout=subprocess.DEVNULL,
        )
        # Exit 1 is expected for the appendix construction, which does not compute TSA.
        if completed.returncode not in (0, 1) or not target.exists():
            print(f"failed to write {target}", file=sys.stderr)
            return 1
        verified = subprocess.run([sys.executable, "-m", "verifier", "verify", str(target)], cwd=ROOT)
        if verified.returncode != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
