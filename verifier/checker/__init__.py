"""Re-check a certificate from nothing: ``python -m verifier verify CERT``.

The checker trusts none of the code that built a certificate: this package imports
nothing from verifier except InputError, and re-derives every recorded value with
its own exact arithmetic (see verifier.checker.core).

Each kind of certificate has a module here with ``verify(data, network) -> dict``,
listed in KINDS. A file that is not a certificate of a known kind and schema raises
InputError. A recorded value that differs from what the checker re-derives, or a
bound it cannot prove, makes the result invalid, and the failure names the first
such value by its JSON path.
"""

from __future__ import annotations

import importlib

from verifier.checker.core import load_json
from verifier.errors import InputError

KINDS = {
    "predicate-network": "verifier.checker.predicate",
    "goldreich-generator": "verifier.checker.generator",
    "threshold-circuit-network": "verifier.checker.circuit",
    "theorem-3.1-generator": "verifier.checker.theorem31",
    "lemma-4.4-composition": "verifier.checker.hardness",
    "lemma-4.5-hardness": "verifier.checker.hardness",
}


def verify_certificate(data, network: dict | None = None) -> dict:
    """Re-derive every recorded value of a certificate and return the outcome.

    ``network``, when given, is the JSON object of the network to check; an embedded
    network must then match the recorded hash as well. The result has ``valid``,
    ``checked`` (recorded values re-derived), ``failure`` (the first value that does
    not hold, or None), and the recorded ``kind`` and ``network_sha256``.
    """
    if not isinstance(data, dict) or "kind" not in data or "schema_version" not in data:
        raise InputError("not a certificate: expected a JSON object with the fields 'kind' and 'schema_version'")
    if data["kind"] not in KINDS:
        raise InputError(f"kind: unknown certificate kind {data['kind']!r}; this checker reads {', '.join(sorted(KINDS))}")
    return importlib.import_module(KINDS[data["kind"]]).verify(data, network)


def verify_file(path: str, network_path: str | None = None) -> dict:
    """Read a certificate file, and optionally a network file, and verify them as verify_certificate does."""
    data = load_json(path)
    network = None
    if network_path is not None:
        network = load_json(network_path)
        if isinstance(network, dict) and "network" in network and "layers" not in network:
            network = network["network"]  # a certificate given as the network file
    try:
        return verify_certificate(data, network)
    except InputError as error:
        raise InputError(f"{path}: {error}") from None
