"""The examples of docs/formats.md run and give the results that the document states."""

import json
import pathlib
import re

from verifier.circuits import load_circuit, simulate
from verifier.cli import main
from verifier.evaluator import hypercube_points

DOCUMENT = pathlib.Path(__file__).resolve().parent.parent / "docs" / "formats.md"


def json_examples() -> dict[str, dict]:
    """Return the document's JSON examples by their format name."""
    blocks = re.findall(r"```json\n(.*?)```", DOCUMENT.read_text(), re.DOTALL)
    examples = [json.loads(block) for block in blocks]
    return {example["format"]: example for example in examples}


def test_hypergraph_example_generates(tmp_path, capsys):
    path = tmp_path / "hypergraph.json"
    path.write_text(json.dumps(json_examples()["verifier-hypergraph"]))
    code = main(["generate", "goldreich", "--hypergraph", str(path), "--out", str(tmp_path / "goldreich")])
    assert code == 0, capsys.readouterr().err
    hypergraph = json.loads((tmp_path / "goldreich" / "certificate.json").read_text())["hypergraph"]
    assert hypergraph["hyperedges"] == [[0, 1, 2, 3, 4], [6, 5, 4, 3, 2]]


def test_circuit_example_matches_table(tmp_path, capsys):
    path = tmp_path / "circuit.json"
    path.write_text(json.dumps(json_examples()["verifier-circuit"]))
    code = main(["convert", "circuit", str(path), "--out", str(tmp_path / "circuit")])
    assert code == 0, capsys.readouterr().err
    # The table's rows in hypercube order: (1, 1), (-1, 1), (1, -1), (-1, -1).
    assert simulate(load_circuit(str(path)), hypercube_points(2)).tolist() == [[1, -1, -1, -1]]
