"""Write a JSON Schema under certificates/ for each certificate kind that has no hand-written one.

Run from the project root: python scripts/make_schemas.py
The schema is inferred from an example certificate written by the tool: every
object lists its fields as required with no others allowed, the way the checker
reads them. Exact numbers are strings, so a schema cannot tell "1/2" from any
other text; the checker re-derives the values themselves.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CERTIFICATES = ROOT / "certificates"

EXAMPLES = {
    "goldreich-generator": ["generate", "goldreich", "--m", "8", "--d", "6", "--predicate", "TSA"],
    "theorem-3.1-generator": ["generate", "theorem-3.1", "--m", "6", "--eps", "2^-3", "--r", "3", "--d", "8"],
    "threshold-circuit-network": ["convert", "circuit", "CIRCUIT"],
    "lemma-4.4-composition": ["check", "lemma-4.4"],
    "lemma-4.5-hardness": ["check", "lemma-4.5"],
}

CIRCUIT = "INPUT(a)\nINPUT(b)\nOUTPUT(y)\nn = NAND(a, b)\ny = XOR(n, b)\n"


def infer(value) -> dict:
    """Return a schema that accepts ``value`` and values of the same shape."""
    if isinstance(value, dict):
        return {
            "type": "object",
            "additionalProperties": False,
            "required": sorted(value),
            "properties": {key: infer(item) for key, item in sorted(value.items())},
        }
    if isinstance(value, list):
        if not value:
            return {"type": "array"}
        shapes = {json.dumps(infer(item), sort_keys=True): infer(item) for item in value}
        items = next(iter(shapes.values())) if len(shapes) == 1 else {"anyOf": list(shapes.values())}
        return {"type": "array", "items": items}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if value is None:
        return {}
    return {"type": "string"}


def example_certificate(kind: str, arguments: list[str], folder: pathlib.Path) -> dict:
    out = folder / kind
    if "CIRCUIT" in arguments:
        circuit = folder / "example.bench"
        circuit.write_text(CIRCUIT)
        arguments = [str(circuit) if a == "CIRCUIT" else a for a in arguments]
    completed = subprocess.run([sys.executable, "-m", "verifier", *arguments, "--out", str(out), "--json"],
                               cwd=ROOT, capture_output=True, text=True)
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(arguments)} failed: {completed.stderr.strip()}")
    path = out / "certificate.json" if out.is_dir() else out
    return json.loads(path.read_text())


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        for kind, arguments in EXAMPLES.items():
            certificate = example_certificate(kind, arguments, pathlib.Path(folder))
            if certificate.get("kind") != kind:
                raise SystemExit(f"expected a {kind} certificate, found {certificate.get('kind')!r}")
            schema = {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": f"verifier certificate: {kind}, schema_version {certificate['schema_version']}",
                "description": "Inferred from an example by scripts/make_schemas.py. Every exact number is a string; "
                               "'python -m verifier verify' re-derives the values.",
                **infer(certificate),
            }
            target = CERTIFICATES / f"{kind}.schema.json"
            target.write_text(json.dumps(schema, indent=1) + "\n")
            print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
