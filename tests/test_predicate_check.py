"""check_predicate on k = 2..8: the claims rows against sizes worked out by hand."""

import pytest

from verifier.checker import verify_certificate
from verifier.predicate_check import check_predicate
from verifier.predicates import predicate_from_name

# Product network sizes for |S| = 2..8, from the recurrences in the constructions:
# appendix S_{m+1} = S_m + (m - 1) + 4, sequential S_{m+1} = S_m + 2(m - 1) + 4, S_2 = 4;
# tree: four units per gadget, two per value carried past a level with an odd count.
PRODUCT_SIZES = {
    "appendix": {2: 4, 3: 9, 4: 15, 5: 22, 6: 30, 7: 39, 8: 49},
    "sequential": {2: 4, 3: 10, 4: 18, 5: 28, 6: 40, 7: 54, 8: 70},
    "tree": {2: 4, 3: 10, 4: 12, 5: 20, 6: 22, 7: 26, 8: 28},
}


def statuses(certificate):
    return {claim["id"]: claim for claim in certificate["claims"]}


@pytest.mark.parametrize("construction", ["tree", "sequential", "appendix"])
@pytest.mark.parametrize("k", range(2, 9))
def test_parity_claims(construction, k):
    result = check_predicate(predicate_from_name(f"parity:{k}"), construction)
    claims = statuses(result.certificate)

    correct = construction != "appendix" or k <= 2
    assert result.computes_predicate == correct
    assert claims["lemma-3.3/computes-predicate"]["status"] == ("holds" if correct else "fails")

    size = PRODUCT_SIZES[construction][k]
    assert result.certificate["network_class"]["size"] == size
    term = claims[f"appendix-a.2/term-size/{k}"]
    assert term["stated"] == str(4 * k)
    assert term["measured"] == str(size)
    assert term["status"] == ("holds" if size <= 4 * k else "fails")

    outcome = verify_certificate(result.certificate)
    assert outcome["valid"], outcome["failure"]


@pytest.mark.parametrize("construction", ["tree", "sequential", "appendix"])
def test_majority_and_xor_maj_certificates_verify(construction):
    for name in ["maj:5", "xor-maj:3:3", "or:4"]:
        result = check_predicate(predicate_from_name(name), construction)
        outcome = verify_certificate(result.certificate)
        assert outcome["valid"], (name, outcome["failure"])
        if construction != "appendix":
            assert result.computes_predicate, name


def test_tsa_lipschitz_bracket_and_corollary():
    result = check_predicate(predicate_from_name("TSA"))
    lipschitz = result.certificate["lipschitz"]
    from fractions import Fraction

    lower, upper = Fraction(lipschitz["lower"]), Fraction(lipschitz["upper"])
    # TSA changes by 2 between neighbouring vertices at distance 2, so Lip >= 1.
    assert 1 <= lower <= upper
    claim = statuses(result.certificate)["corollary-3.4/lipschitz"]
    assert claim["stated"] == "6^5 sqrt(4)"
    assert claim["status"] == "holds"
