"""Tests for verifier.predicates.

Expected tables and Fourier coefficients below were worked out by hand from the
conventions in the module docstring: -1 means true, and input index i has x_j = -1
exactly when bit j-1 of i is set.
"""

import itertools
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier.errors import InputError
from verifier.predicates import (
    MAX_ARITY,
    Predicate,
    PredicateError,
    library_names,
    parse_predicate,
    predicate_from_expression,
    predicate_from_name,
    predicate_from_truth_table,
    with_convention,
)


def half(numerator: int) -> Fraction:
    return Fraction(numerator, 2)


@st.composite
def tables(draw, max_arity: int = 7) -> Predicate:
    """Draw a predicate with a random table of arity 0..max_arity."""
    arity = draw(st.integers(min_value=0, max_value=max_arity))
    entries = draw(st.lists(st.sampled_from((1, -1)), min_size=1 << arity, max_size=1 << arity))
    return Predicate(name="random", arity=arity, table=tuple(entries), source="truth-table")


# ---------------------------------------------------------------------------
# Fourier coefficients


def test_tsa_fourier_coefficients():
    # TSA = x1 x2 x3 * AND(x4, x5) and AND(a, b) = 1/2 + a/2 + b/2 - ab/2.
    coefficients = predicate_from_name("TSA").fourier()

    assert len(coefficients) == 4
    assert coefficients[0b00111] == half(1)
    assert coefficients[0b01111] == half(1)
    assert coefficients[0b10111] == half(1)
    assert coefficients[0b11111] == half(-1)


def test_tsa_coefficients_are_fractions():
    coefficients = predicate_from_name("TSA").fourier()

    assert all(type(value) is Fraction for value in coefficients.values())


def test_and2_fourier():
    coefficients = predicate_from_name("and:2").fourier()

    assert coefficients == {0b00: half(1), 0b01: half(1), 0b10: half(1), 0b11: half(-1)}


def test_or2_fourier():
    # OR(a, b) is -1 except at a = b = +1: -1/2 + a/2 + b/2 + ab/2.
    coefficients = predicate_from_name("or:2").fourier()

    assert coefficients == {0b00: half(-1), 0b01: half(1), 0b10: half(1), 0b11: half(1)}


def test_maj3_fourier():
    coefficients = predicate_from_name("maj:3").fourier()

    assert coefficients == {0b001: half(1), 0b010: half(1), 0b100: half(1), 0b111: half(-1)}


@pytest.mark.parametrize("arity", [1, 2, 3, 5, 8])
def test_parity_single_coefficient(arity):
    coefficients = predicate_from_name(f"parity:{arity}").fourier()

    assert coefficients == {(1 << arity) - 1: Fraction(1)}


def test_constant_fourier():
    coefficients = predicate_from_expression("true", arity=3).fourier()

    assert coefficients == {0: Fraction(-1)}


def test_xor_maj_fourier():
    # x1 x2 * MAJ3(x3, x4, x5): the MAJ3 coefficients shifted by two inputs, times {1, 2}.
    coefficients = predicate_from_name("xor-maj:2:3").fourier()

    assert coefficients == {0b00111: half(1), 0b01011: half(1), 0b10011: half(1), 0b11111: half(-1)}


@given(tables())
def test_parseval(predicate):
    coefficients = predicate.fourier()

    assert sum(value * value for value in coefficients.values()) == 1


@given(tables(max_arity=5))
def test_fourier_inversion(predicate):
    coefficients = predicate.fourier()

    for index, entry in enumerate(predicate.table):
        total = sum(value * (-1) ** bin(index & subset).count("1") for subset, value in coefficients.items())
        assert total == entry


@given(tables())
def test_coefficients_are_multiples_of_2_to_minus_k(predicate):
    coefficients = predicate.fourier()

    for value in coefficients.values():
        assert (value * (1 << predicate.arity)).denominator == 1


# ---------------------------------------------------------------------------
# Degree, resiliency and correlation immunity


@pytest.mark.parametrize("arity", [1, 2, 4, 7])
def test_parity_degree(arity):
    assert predicate_from_name(f"parity:{arity}").degree() == arity


@pytest.mark.parametrize("arity", [1, 2, 4, 7])
def test_parity_resiliency(arity):
    assert predicate_from_name(f"parity:{arity}").resiliency() == arity - 1


@pytest.mark.parametrize("arity", [1, 2, 4, 7])
def test_parity_correlation_immunity(arity):
    assert predicate_from_name(f"parity:{arity}").correlation_immunity() == arity - 1


def test_tsa_degree():
    assert predicate_from_name("TSA").degree() == 5


def test_tsa_resiliency():
    # TSA is balanced and its smallest non-zero coefficient is on a 3-set.
    assert predicate_from_name("TSA").resiliency() == 2


def test_tsa_correlation_immunity():
    assert predicate_from_name("TSA").correlation_immunity() == 2


@pytest.mark.parametrize("arity", [1, 2, 3, 6])
def test_and_degree(arity):
    assert predicate_from_name(f"and:{arity}").degree() == arity


@pytest.mark.parametrize("arity", [2, 3, 6])
def test_and_resiliency_unbalanced(arity):
    assert predicate_from_name(f"and:{arity}").resiliency() == -1


def test_and1_is_balanced():
    # AND of one input is x1 itself.
    assert predicate_from_name("and:1").resiliency() == 0


def test_and_correlation_immunity():
    assert predicate_from_name("and:3").correlation_immunity() == 0


def test_maj3_resiliency():
    # MAJ3 is balanced but correlates with each input.
    assert predicate_from_name("maj:3").resiliency() == 0


def test_constant_degree_and_immunity():
    constant = predicate_from_expression("false", arity=3)

    assert constant.degree() == 0
    assert constant.resiliency() == -1
    assert constant.correlation_immunity() == 3


# ---------------------------------------------------------------------------
# Truth tables


def test_and2_hex():
    assert predicate_from_name("and:2").truth_table_hex() == "0x8"


def test_or2_hex():
    assert predicate_from_name("or:2").truth_table_hex() == "0xe"


def test_tsa_hex():
    # Indices 0..23 have x4 x5 not both -1, so TSA is x1 x2 x3 there: true at the odd
    # popcounts of i & 7, that is i & 7 in {1, 2, 4, 7}, giving byte 0x96.
    # Indices 24..31 have x4 = x5 = -1, which flips the byte to 0x69.
    assert predicate_from_name("TSA").truth_table_hex() == "0x69969696"


def test_tsa_int():
    assert predicate_from_name("TSA").truth_table_int() == 0x69969696


def test_tsa_bits():
    expected = "01101001" + "10010110" * 3

    assert predicate_from_name("TSA").truth_table_bits() == expected


def test_maj3_hex():
    # True at indices with two or three bits set: 3, 5, 6, 7.
    assert predicate_from_name("maj:3").truth_table_hex() == "0xe8"


def test_parity3_hex():
    assert predicate_from_name("parity:3").truth_table_hex() == "0x96"


def test_maj4_hex():
    # True at indices with at least three bits set: 7, 11, 13, 14, 15.
    assert predicate_from_name("maj:4").truth_table_hex() == "0xe880"


def test_small_arity_hex_has_one_digit():
    assert predicate_from_name("parity:1").truth_table_hex() == "0x2"
    assert predicate_from_expression("true").truth_table_hex() == "0x1"


def test_and2_bits():
    assert predicate_from_name("and:2").truth_table_bits() == "1000"


def test_tsa_table_from_hex():
    parsed = predicate_from_truth_table("0x69969696")

    assert parsed.arity == 5
    assert parsed.table == predicate_from_name("TSA").table
    assert parsed.source == "truth-table"


def test_table_from_bits():
    parsed = predicate_from_truth_table("1000")

    assert parsed.arity == 2
    assert parsed.table == (1, 1, 1, -1)


def test_hex_digits_case_insensitive():
    assert predicate_from_truth_table("0XE8").table == predicate_from_name("maj:3").table


def test_one_hex_digit_defaults_to_arity_2():
    assert predicate_from_truth_table("0x8").arity == 2


def test_one_hex_digit_with_arity_1():
    parsed = predicate_from_truth_table("0x2", arity=1)

    assert parsed.arity == 1
    assert parsed.table == (1, -1)


def test_truth_table_name_is_hex():
    assert predicate_from_truth_table("11101000").name == "0xe8"


def test_truth_table_name_small_arity_is_bits():
    assert predicate_from_truth_table("10").name == "10"


@given(tables())
def test_hex_round_trip(predicate):
    parsed = predicate_from_truth_table(predicate.truth_table_hex(), arity=predicate.arity)

    assert parsed.table == predicate.table


@given(tables())
def test_bits_round_trip(predicate):
    parsed = predicate_from_truth_table(predicate.truth_table_bits())

    assert parsed.table == predicate.table


@st.composite
def table_ints(draw) -> tuple[int, int]:
    """Draw an arity in 2..8 and a table integer of that arity."""
    arity = draw(st.integers(min_value=2, max_value=8))
    table_int = draw(st.integers(min_value=0, max_value=2 ** (2**arity) - 1))
    return arity, table_int


@given(table_ints())
def test_int_round_trip(case):
    arity, table_int = case
    text = f"0x{table_int:0{max(1, (1 << arity) // 4)}x}"

    parsed = predicate_from_truth_table(text)

    assert parsed.arity == arity
    assert parsed.truth_table_int() == table_int
    assert parsed.truth_table_hex() == text


# ---------------------------------------------------------------------------
# Library predicates


def test_maj4_needs_three_true():
    predicate = predicate_from_name("maj:4")

    for point in itertools.product((1, -1), repeat=4):
        expected = -1 if point.count(-1) >= 3 else 1
        assert predicate.value(point) == expected, point


def test_maj4_tie_is_false():
    assert predicate_from_name("maj:4").value((-1, -1, 1, 1)) == 1


def test_tsa_value():
    tsa = predicate_from_name("TSA")

    assert tsa.value((-1, 1, 1, 1, 1)) == -1
    assert tsa.value((-1, 1, 1, -1, -1)) == 1
    assert tsa.value((1, 1, 1, -1, -1)) == -1
    assert tsa.value((1, 1, 1, 1, 1)) == 1


def test_names_case_insensitive():
    assert predicate_from_name("tsa").name == "TSA"
    assert predicate_from_name("MAJ:3").name == "maj:3"


def test_aliases_canonical_names():
    assert predicate_from_name("xor:3").name == "parity:3"
    assert predicate_from_name("majority:5").name == "maj:5"


def test_aliases_same_tables():
    assert predicate_from_name("xor:4").table == predicate_from_name("parity:4").table
    assert predicate_from_name("majority:5").table == predicate_from_name("maj:5").table


def test_xor_maj_without_parity_is_maj():
    assert predicate_from_name("xor-maj:0:3").table == predicate_from_name("maj:3").table


def test_xor_maj_with_single_maj_is_parity():
    assert predicate_from_name("xor-maj:2:1").table == predicate_from_name("parity:3").table


def test_library_source():
    predicate = predicate_from_name("and:3")

    assert predicate.source == "library"
    assert predicate.convention == "minus-one-true"


def test_library_names_patterns():
    names = library_names()

    for pattern in ("TSA", "parity:K", "xor:K", "and:K", "or:K", "maj:K", "majority:K", "xor-maj:A:B"):
        assert pattern in names


# ---------------------------------------------------------------------------
# Expressions


def test_expression_xor_is_parity():
    assert predicate_from_expression("x1 ^ x2 ^ x3").table == predicate_from_name("parity:3").table


def test_expression_and():
    assert predicate_from_expression("x1 and x2").table == predicate_from_name("and:2").table


def test_expression_maj_function():
    assert predicate_from_expression("maj(x1,x2,x3)").table == predicate_from_name("maj:3").table


def test_expression_functions():
    assert predicate_from_expression("parity(x1, x2, x3)").table == predicate_from_name("parity:3").table
    assert predicate_from_expression("xor(x1, x2)").table == predicate_from_name("parity:2").table
    assert predicate_from_expression("and(x1, x2, x3)").table == predicate_from_name("and:3").table
    assert predicate_from_expression("or(x1, x2)").table == predicate_from_name("or:2").table


def test_expression_single_argument_function():
    assert predicate_from_expression("maj(x2)").table == predicate_from_expression("x2").table


def test_expression_de_morgan():
    assert predicate_from_expression("~(~x1 & !x2)").table == predicate_from_name("or:2").table


def test_expression_tsa():
    expression = predicate_from_expression("x1 xor x2 xor x3 xor (x4 and x5)")

    assert expression.table == predicate_from_name("TSA").table


def test_expression_keywords_case_insensitive():
    assert predicate_from_expression("X1 AND x2").table == predicate_from_name("and:2").table
    assert predicate_from_expression("MAJ(x1, x2, x3)").table == predicate_from_name("maj:3").table


def test_precedence_and_over_or():
    # x1 or (x2 and x3): true at indices 1, 3, 5, 6, 7.
    expression = predicate_from_expression("x1 or x2 and x3")

    assert expression.table == predicate_from_expression("x1 or (x2 and x3)").table
    assert expression.truth_table_hex() == "0xea"


def test_precedence_and_over_xor():
    # x1 xor (x2 and x3): true at indices 1, 3, 5, 6.
    assert predicate_from_expression("x1 xor x2 and x3").truth_table_hex() == "0x6a"


def test_precedence_xor_over_or():
    # x1 or (x2 xor x3): true at indices 1, 2, 3, 4, 5, 7.
    assert predicate_from_expression("x1 | x2 ^ x3").truth_table_hex() == "0xbe"


def test_precedence_not_binds_tightest():
    # (not x1) and x2: true only at index 2.
    assert predicate_from_expression("not x1 and x2").truth_table_hex() == "0x4"


def test_expression_arity_from_largest_variable():
    assert predicate_from_expression("x3").arity == 3


def test_expression_explicit_arity():
    expression = predicate_from_expression("x1", arity=3)

    assert expression.arity == 3
    assert expression.fourier() == {0b001: Fraction(1)}


def test_expression_constants():
    assert predicate_from_expression("true").table == (-1,)
    assert predicate_from_expression("false").table == (1,)


def test_expression_name():
    expression = predicate_from_expression("  x1 and x2 ")

    assert expression.name == "expr:x1 and x2"
    assert expression.source == "expression"


# ---------------------------------------------------------------------------
# Conventions and dispatch


def test_plus_one_true_and_is_or():
    # P'(x) = -AND(-x) is +1 only at x = (+1, +1), that is OR in our convention.
    converted = with_convention(predicate_from_name("and:2"), "plus-one-true")

    assert converted.table == predicate_from_name("or:2").table
    assert converted.truth_table_hex() == "0xe"
    assert converted.convention == "plus-one-true"


def test_minus_one_true_unchanged():
    predicate = predicate_from_name("TSA")

    assert with_convention(predicate, "minus-one-true") is predicate


def test_plus_one_true_parity3_negates():
    # -PAR3(-x) = -(-1)^3 PAR3(x) = PAR3(x).
    parity = predicate_from_name("parity:3")

    assert with_convention(parity, "plus-one-true").table == parity.table


def test_dispatch_hex():
    predicate = parse_predicate("0x8")

    assert predicate.source == "truth-table"
    assert predicate.table == predicate_from_name("and:2").table


def test_dispatch_bits():
    predicate = parse_predicate("1000")

    assert predicate.source == "truth-table"
    assert predicate.table == predicate_from_name("and:2").table


def test_dispatch_expression():
    assert parse_predicate("x1 & x2").source == "expression"
    assert parse_predicate("(true)").source == "expression"
    assert parse_predicate("x1").source == "expression"


def test_dispatch_library():
    assert parse_predicate("xor-maj:1:2").name == "xor-maj:1:2"
    assert parse_predicate(" TSA ").name == "TSA"


def test_dispatch_library_arity_mismatch():
    with pytest.raises(PredicateError) as info:
        parse_predicate("TSA", arity=4)

    assert "arity 5" in str(info.value)
    assert "arity 4" in str(info.value)


# ---------------------------------------------------------------------------
# Invalid input


def test_error_is_input_error():
    assert issubclass(PredicateError, InputError)


def test_unknown_name_lists_known_names():
    with pytest.raises(PredicateError) as info:
        predicate_from_name("foo:3")

    message = str(info.value)
    assert "'foo:3'" in message
    assert "TSA" in message
    assert "parity:K" in message
    assert "xor-maj:A:B" in message


def test_missing_arity():
    with pytest.raises(PredicateError) as info:
        predicate_from_name("parity")

    assert "missing arity" in str(info.value)
    assert "parity:K" in str(info.value)


@pytest.mark.parametrize("spec", ["parity:0", "parity:abc", "maj:-1", "and:", "and:2.5"])
def test_invalid_arity(spec):
    with pytest.raises(PredicateError) as info:
        predicate_from_name(spec)

    assert "positive integer" in str(info.value)
    assert repr(spec) in str(info.value)


def test_xor_maj_invalid_b():
    with pytest.raises(PredicateError) as info:
        predicate_from_name("xor-maj:2:0")

    assert "B must be a positive integer" in str(info.value)


def test_tsa_takes_no_parameter():
    with pytest.raises(PredicateError) as info:
        predicate_from_name("TSA:5")

    assert "no parameters" in str(info.value)


def test_too_many_parameters():
    with pytest.raises(PredicateError) as info:
        predicate_from_name("parity:3:4")

    assert "too many parameters" in str(info.value)


def test_wrong_bit_length():
    with pytest.raises(PredicateError) as info:
        predicate_from_truth_table("010")

    assert "found 3 bits" in str(info.value)
    assert "1, 2, 4, 8" in str(info.value)


def test_wrong_hex_length():
    with pytest.raises(PredicateError) as info:
        predicate_from_truth_table("0x123")

    assert "found 3 hex digits" in str(info.value)
    assert "1, 2, 4, 8" in str(info.value)


def test_hex_length_mismatches_arity():
    with pytest.raises(PredicateError) as info:
        predicate_from_truth_table("0x8", arity=3)

    assert "found 1 hex digits" in str(info.value)
    assert "arity 3 needs 2" in str(info.value)


def test_bit_length_mismatches_arity():
    with pytest.raises(PredicateError) as info:
        predicate_from_truth_table("1000", arity=3)

    assert "found 4 bits" in str(info.value)
    assert "arity 3 needs 8" in str(info.value)


def test_hex_value_too_large_for_arity():
    with pytest.raises(PredicateError) as info:
        predicate_from_truth_table("0x4", arity=1)

    assert "2 entries" in str(info.value)


def test_bad_hex_character_column():
    with pytest.raises(PredicateError) as info:
        predicate_from_truth_table("0x8g")

    assert "'g'" in str(info.value)
    assert "column 4" in str(info.value)


def test_bad_bit_character_column():
    with pytest.raises(PredicateError) as info:
        predicate_from_truth_table("01a1")

    assert "'a'" in str(info.value)
    assert "column 3" in str(info.value)


def test_bad_character_column_counts_leading_space():
    with pytest.raises(PredicateError) as info:
        predicate_from_truth_table("  0xz")

    assert "column 5" in str(info.value)


def test_dispatch_column_counts_leading_space():
    with pytest.raises(PredicateError) as info:
        parse_predicate("  0x8g")

    assert "column 6" in str(info.value)


def test_unknown_identifier_keeps_spelling():
    with pytest.raises(PredicateError) as info:
        predicate_from_expression("x1 AND Foo")

    assert "'Foo'" in str(info.value)


def test_empty_truth_table():
    with pytest.raises(PredicateError) as info:
        predicate_from_truth_table("   ")

    assert "empty" in str(info.value)


def test_empty_hex_digits():
    with pytest.raises(PredicateError) as info:
        predicate_from_truth_table("0x")

    assert "no hex digits" in str(info.value)


def test_unbalanced_parenthesis_column():
    with pytest.raises(PredicateError) as info:
        predicate_from_expression("(x1 and x2")

    assert str(info.value) == "expression: expected ')' at column 11, found end of input"


def test_extra_closing_parenthesis():
    with pytest.raises(PredicateError) as info:
        predicate_from_expression("x1 and x2)")

    assert "column 10" in str(info.value)
    assert "found ')'" in str(info.value)


def test_unclosed_function_call():
    with pytest.raises(PredicateError) as info:
        predicate_from_expression("maj(x1, x2")

    assert "expected ')' at column 11" in str(info.value)


def test_function_without_arguments():
    with pytest.raises(PredicateError) as info:
        predicate_from_expression("maj()")

    assert "column 5" in str(info.value)
    assert "found ')'" in str(info.value)


def test_missing_operand():
    with pytest.raises(PredicateError) as info:
        predicate_from_expression("x1 and")

    assert "column 7" in str(info.value)
    assert "end of input" in str(info.value)


def test_unknown_identifier():
    with pytest.raises(PredicateError) as info:
        predicate_from_expression("x1 and y2")

    assert "unknown identifier 'y2'" in str(info.value)
    assert "column 8" in str(info.value)


def test_unexpected_character():
    with pytest.raises(PredicateError) as info:
        predicate_from_expression("x1 + x2")

    assert "'+'" in str(info.value)
    assert "column 4" in str(info.value)


def test_variable_x0():
    with pytest.raises(PredicateError) as info:
        predicate_from_expression("x0 and x1")

    assert "'x0'" in str(info.value)
    assert "start at x1" in str(info.value)


def test_explicit_arity_below_variables():
    with pytest.raises(PredicateError) as info:
        predicate_from_expression("x1 and x3", arity=2)

    assert "x3" in str(info.value)


def test_library_arity_beyond_max():
    with pytest.raises(PredicateError) as info:
        predicate_from_name(f"parity:{MAX_ARITY + 1}")

    assert f"maximum of {MAX_ARITY}" in str(info.value)
    assert "2^k entries" in str(info.value)


def test_expression_variable_beyond_max():
    with pytest.raises(PredicateError) as info:
        predicate_from_expression(f"x1 and x{MAX_ARITY + 1}")

    assert f"maximum arity {MAX_ARITY}" in str(info.value)


def test_expression_arity_beyond_max():
    with pytest.raises(PredicateError) as info:
        predicate_from_expression("x1", arity=MAX_ARITY + 1)

    assert f"maximum of {MAX_ARITY}" in str(info.value)


def test_truth_table_arity_beyond_max():
    with pytest.raises(PredicateError) as info:
        predicate_from_truth_table("0x0", arity=MAX_ARITY + 1)

    assert f"maximum of {MAX_ARITY}" in str(info.value)


def test_unknown_convention():
    with pytest.raises(PredicateError) as info:
        with_convention(predicate_from_name("and:2"), "zero-true")

    assert "minus-one-true" in str(info.value)
    assert "plus-one-true" in str(info.value)


def test_convention_applied_twice():
    converted = with_convention(predicate_from_name("and:2"), "plus-one-true")

    with pytest.raises(PredicateError):
        with_convention(converted, "plus-one-true")


def test_predicate_wrong_table_length():
    with pytest.raises(PredicateError) as info:
        Predicate(name="p", arity=2, table=(1, -1, 1), source="library")

    assert "3 entries" in str(info.value)


def test_predicate_invalid_entry():
    with pytest.raises(PredicateError) as info:
        Predicate(name="p", arity=1, table=(1, 0), source="library")

    assert "entry 1" in str(info.value)


def test_predicate_rejects_bool_entry():
    with pytest.raises(PredicateError):
        Predicate(name="p", arity=1, table=(True, -1), source="library")


def test_predicate_unknown_source():
    with pytest.raises(PredicateError):
        Predicate(name="p", arity=0, table=(1,), source="file")


def test_value_wrong_length():
    with pytest.raises(PredicateError) as info:
        predicate_from_name("and:2").value((1, 1, 1))

    assert "takes 2 inputs" in str(info.value)


def test_value_invalid_coordinate():
    with pytest.raises(PredicateError) as info:
        predicate_from_name("and:2").value((1, 0))

    assert "x2" in str(info.value)
