"""The certificates kept under certificates/ verify, and edited copies do not."""

import json
import pathlib
from fractions import Fraction

import pytest

from verifier.checker import verify_certificate, verify_file

FOLDER = pathlib.Path(__file__).resolve().parent.parent / "certificates"
CERTIFICATES = sorted(FOLDER.glob("*.cert.json"))


def test_checked_in_certificates_exist():
    names = [path.name for path in CERTIFICATES]
    assert "TSA.cert.json" in names
    assert "TSA-appendix.cert.json" in names


@pytest.mark.parametrize("path", CERTIFICATES, ids=lambda p: p.name)
def test_checked_in_certificate_verifies(path):
    outcome = verify_file(str(path))
    assert outcome["valid"], outcome["failure"]


def test_tsa_certificate_records_paper_values():
    data = json.loads((FOLDER / "TSA.cert.json").read_text())
    coefficients = {tuple(c["set"]): c["value"] for c in data["fourier"]["coefficients"]}
    assert coefficients == {(1, 2, 3): "1/2", (1, 2, 3, 4): "1/2", (1, 2, 3, 5): "1/2", (1, 2, 3, 4, 5): "-1/2"}
    assert data["exhaustive_check"]["status"] == "pass"


def test_tsa_certificate_with_one_number_changed_fails():
    data = json.loads((FOLDER / "TSA.cert.json").read_text())
    first = data["fourier"]["coefficients"][0]
    first["value"] = str(Fraction(first["value"]) + Fraction(1, 32))
    outcome = verify_certificate(data)
    assert not outcome["valid"]
    assert "fourier.coefficients[0].value" in outcome["failure"]


def test_appendix_certificate_records_its_failure():
    data = json.loads((FOLDER / "TSA-appendix.cert.json").read_text())
    assert data["exhaustive_check"]["first_failure"]["input"] == [1, 1, -1, 1, 1]
    statuses = {claim["id"]: claim["status"] for claim in data["claims"]}
    assert statuses["lemma-3.3/computes-predicate"] == "fails"
    # The printed induction's product networks have 9, 15, 22 units against 4|S| = 12, 16, 20.
    assert statuses["appendix-a.2/term-size/3"] == "holds"
    assert statuses["appendix-a.2/term-size/5"] == "fails"


def test_every_kind_has_a_schema():
    from verifier.checker import KINDS

    for kind in KINDS:
        schema = json.loads((FOLDER / f"{kind}.schema.json").read_text())
        assert schema["properties"]["kind"] == {"type": "string"} or schema["properties"]["kind"].get("const") == kind
        assert "claims" in schema["required"]
