"""Boolean predicates P: {+1,-1}^k -> {+1,-1}, their truth tables and exact Fourier expansions.

Values follow O'Donnell's convention: -1 means true and +1 means false, so XOR is
multiplication. Every predicate has the exact Fourier expansion
P(x) = sum over S of hatP(S) * prod_{i in S} x_i, with rational coefficients.

Conventions used throughout:

- Input index i in 0..2^k-1 is the point x with x_j = -1 exactly when bit j-1 of i
  is set, so x_1 is the least significant bit.
- A subset S of {1..k} is a bitmask with bit j-1 set when j is in S, and
  chi_S(x at index i) = (-1)^popcount(i & S).
- A truth table as an integer T has bit i set when P at input i is -1 (true). Its hex
  text is T zero-padded to 2^k/4 digits (one digit for k < 2) after a ``0x`` prefix.
  Its bit string is T zero-padded to 2^k characters, entry 2^k-1 first.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import NoReturn

import numpy as np

from verifier.errors import InputError

MAX_ARITY = 20
"""Maximum arity k, which bounds every truth table to 2^k = 1,048,576 entries."""

CONVENTIONS = ("minus-one-true", "plus-one-true")
SOURCES = ("library", "truth-table", "expression")


class PredicateError(InputError):
    """Invalid predicate: an unknown name, a malformed truth table or expression, or an unsupported arity."""


def _check_arity(arity: int) -> None:
    """Raise PredicateError unless arity is an integer in 0..MAX_ARITY."""
    if isinstance(arity, bool) or not isinstance(arity, int) or arity < 0:
        raise PredicateError(f"invalid arity {arity!r}: the arity must be a non-negative integer")

    if arity > MAX_ARITY:
        raise PredicateError(
            f"arity {arity} exceeds the maximum of {MAX_ARITY}: a truth table has 2^k entries, "
            f"so arity {arity} would need {2**arity} entries"
        )


# ---------------------------------------------------------------------------
# Predicate


@dataclass(frozen=True)
class Predicate:
    """Boolean predicate on k inputs, stored as its full table of +1/-1 values.

    ``table[i]`` is P at input index i. ``convention`` records how the user wrote the
    predicate, while ``table`` always follows the minus-one-true convention.
    """

    name: str
    arity: int
    table: tuple[int, ...]
    source: str
    convention: str = "minus-one-true"

    def __post_init__(self) -> None:
        _check_arity(self.arity)

        table = tuple(self.table)
        if len(table) != 1 << self.arity:
            raise PredicateError(
                f"predicate {self.name!r}: the table has {len(table)} entries, "
                f"but arity {self.arity} needs {1 << self.arity}"
            )

        for index, entry in enumerate(table):
            # bool is rejected because True == 1 would silently mean false here.
            if isinstance(entry, bool) or entry not in (1, -1):
                raise PredicateError(
                    f"predicate {self.name!r}: table entry {index} is {entry!r}, but entries must be +1 or -1"
                )
        object.__setattr__(self, "table", tuple(int(entry) for entry in table))

        if self.source not in SOURCES:
            raise PredicateError(
                f"predicate {self.name!r}: unknown source {self.source!r}. "
                f"Expected one of {', '.join(SOURCES)}"
            )

        if self.convention not in CONVENTIONS:
            raise PredicateError(
                f"predicate {self.name!r}: unknown convention {self.convention!r}. "
                f"Expected one of {', '.join(CONVENTIONS)}"
            )

    def value(self, x: Sequence[int]) -> int:
        """Evaluate P at a point x given as k values, each +1 or -1."""
        if len(x) != self.arity:
            raise PredicateError(f"predicate {self.name!r} takes {self.arity} inputs, got {len(x)}")

        index = 0
        for position, coordinate in enumerate(x):
            if isinstance(coordinate, bool) or coordinate not in (1, -1):
                raise PredicateError(
                    f"predicate {self.name!r}: input x{position + 1} is {coordinate!r}, "
                    "but inputs must be +1 or -1"
                )
            if coordinate == -1:
                index |= 1 << position
        return self.table[index]

    def truth_table_int(self) -> int:
        """Return the table as an integer with bit i set when P at input i is -1."""
        is_true = np.array(self.table, dtype=np.int8) == -1
        packed = np.packbits(is_true, bitorder="little")
        return int.from_bytes(packed.tobytes(), "little")

    def truth_table_hex(self) -> str:
        """Return the table as 0x-prefixed hex with 2^k/4 digits (one digit for k < 2)."""
        return _format_hex(self.truth_table_int(), self.arity)

    def truth_table_bits(self) -> str:
        """Return the table as a string of 2^k bits, entry 2^k-1 first."""
        return _format_bits(self.truth_table_int(), self.arity)

    @cached_property
    def _walsh_spectrum(self) -> np.ndarray:
        """Unnormalized coefficients 2^k * hatP(S), indexed by the bitmask S."""
        spectrum = _walsh_hadamard(np.array(self.table, dtype=np.int64))
        spectrum.setflags(write=False)
        return spectrum

    def fourier(self) -> dict[int, Fraction]:
        """Return the non-zero Fourier coefficients hatP(S), keyed by the bitmask S."""
        spectrum = self._walsh_spectrum
        denominator = 1 << self.arity
        return {
            int(subset): Fraction(int(spectrum[subset]), denominator) for subset in np.flatnonzero(spectrum)
        }

    def degree(self) -> int:
        """Return the largest |S| with hatP(S) != 0."""
        sizes = _subset_sizes(self.arity)
        return int(sizes[self._walsh_spectrum != 0].max())

    def resiliency(self) -> int:
        """Return the largest r with hatP(S) = 0 for all |S| <= r, or -1 when P is not balanced."""
        spectrum = self._walsh_spectrum
        if spectrum[0] != 0:
            return -1

        # A balanced predicate has a non-zero coefficient by Parseval, so the minimum exists.
        sizes = _subset_sizes(self.arity)
        return int(sizes[spectrum != 0].min()) - 1

    def correlation_immunity(self) -> int:
        """Return the largest r with hatP(S) = 0 for all 1 <= |S| <= r.

        A constant predicate returns k, and a predicate with a non-zero singleton returns 0.
        """
        sizes = _subset_sizes(self.arity)
        nonempty_sizes = sizes[(self._walsh_spectrum != 0) & (sizes > 0)]
        if nonempty_sizes.size == 0:
            return self.arity
        return int(nonempty_sizes.min()) - 1


def _walsh_hadamard(values: np.ndarray) -> np.ndarray:
    """Compute W[S] = sum_i values[i] * (-1)^popcount(i & S) with integer butterflies.

    With +1/-1 entries and k <= 20, every partial sum is at most 2^20 in absolute value,
    so int64 is exact.
    """
    length = values.size
    result = values.copy()
    half = 1
    while half < length:
        blocks = result.reshape(-1, 2, half)
        low = blocks[:, 0, :]
        high = blocks[:, 1, :]
        result = np.stack((low + high, low - high), axis=1).reshape(length)
        half *= 2
    return result


def _subset_sizes(arity: int) -> np.ndarray:
    """Return popcount(S) for every bitmask S in 0..2^arity-1."""
    masks = np.arange(1 << arity, dtype=np.int64)
    sizes = np.zeros(1 << arity, dtype=np.int64)
    for bit in range(arity):
        sizes += (masks >> bit) & 1
    return sizes


def _input_truth(arity: int) -> np.ndarray:
    """Return a bool array of shape (arity, 2^arity) whose row j is True where x_{j+1} = -1."""
    indices = np.arange(1 << arity, dtype=np.int64)
    rows = [((indices >> bit) & 1).astype(bool) for bit in range(arity)]
    return np.array(rows, dtype=bool).reshape(arity, 1 << arity)


def _table_from_truth(is_true: np.ndarray) -> tuple[int, ...]:
    """Convert a bool array (True means true) into a table of +1/-1 entries."""
    return tuple(np.where(is_true, -1, 1).tolist())


def _hex_digit_count(arity: int) -> int:
    return max(1, (1 << arity) // 4)


def _format_hex(table_int: int, arity: int) -> str:
    return f"0x{table_int:0{_hex_digit_count(arity)}x}"


def _format_bits(table_int: int, arity: int) -> str:
    return f"{table_int:0{1 << arity}b}"


# ---------------------------------------------------------------------------
# Library predicates


def _majority(truth: np.ndarray) -> np.ndarray:
    # Even arity: a tie is false, so majority needs strictly more than half true.
    return 2 * truth.sum(axis=0) > truth.shape[0]


def _parity(truth: np.ndarray) -> np.ndarray:
    return truth.sum(axis=0) % 2 == 1


def _tsa(truth: np.ndarray) -> np.ndarray:
    # TSA(x) = x1 x2 x3 AND(x4, x5): the product of +1/-1 values is XOR of truth values.
    return _parity(truth[0:3]) ^ (truth[3] & truth[4])


def _xor_majority(truth: np.ndarray, parity_arity: int) -> np.ndarray:
    return _parity(truth[:parity_arity]) ^ _majority(truth[parity_arity:])


@dataclass(frozen=True)
class _LibraryEntry:
    """Library predicate family: canonical name, integer parameters and truth function."""

    canonical: str
    parameters: tuple[str, ...]
    minimums: tuple[int, ...]
    arity: Callable[..., int]
    truth: Callable[..., np.ndarray]


def _family_of_arity_k(canonical: str, truth_function: Callable[[np.ndarray], np.ndarray]) -> _LibraryEntry:
    """Describe a family such as ``parity:K`` whose only parameter is the arity K >= 1."""
    return _LibraryEntry(canonical, ("K",), (1,), lambda k: k, lambda truth, k: truth_function(truth))


_LIBRARY: dict[str, _LibraryEntry] = {
    "tsa": _LibraryEntry("TSA", (), (), lambda: 5, _tsa),
    "parity": _family_of_arity_k("parity", _parity),
    "and": _family_of_arity_k("and", lambda truth: truth.all(axis=0)),
    "or": _family_of_arity_k("or", lambda truth: truth.any(axis=0)),
    "maj": _family_of_arity_k("maj", _majority),
    "xor-maj": _LibraryEntry(
        "xor-maj", ("A", "B"), (0, 1), lambda a, b: a + b, lambda truth, a, b: _xor_majority(truth, a)
    ),
}

_ALIASES = {"xor": "parity", "majority": "maj"}

_LIBRARY_ORDER = ("tsa", "parity", "xor", "and", "or", "maj", "majority", "xor-maj")


def library_names() -> list[str]:
    """Return the library name patterns, such as ``parity:K``, for help text."""
    names = []
    for key in _LIBRARY_ORDER:
        entry = _LIBRARY[_ALIASES.get(key, key)]
        display = entry.canonical if key == entry.canonical.lower() else key
        names.append(":".join((display, *entry.parameters)))
    return names


def _parse_library_parameter(text: str, parameter: str, minimum: int, pattern: str, spec: str) -> int:
    """Parse one integer parameter of a library name, such as K in ``parity:K``."""
    kind = "a positive integer" if minimum == 1 else "a non-negative integer"
    if re.fullmatch(r"\d+", text) is None or int(text) < minimum:
        found = repr(text) if text else "nothing"
        raise PredicateError(
            f"invalid {parameter} in {spec!r}: {parameter} must be {kind}, got {found} (write {pattern})"
        )
    return int(text)


def predicate_from_name(text: str) -> Predicate:
    """Build a library predicate from a case-insensitive name such as ``TSA`` or ``maj:5``."""
    spec = text.strip()
    key, *raw_parameters = [part.strip() for part in spec.split(":")]
    key = key.lower()

    if key not in _ALIASES and key not in _LIBRARY:
        raise PredicateError(
            f"unknown predicate {spec!r}. Known names: {', '.join(library_names())}. "
            "A truth table starts with 0x or is a string of 0 and 1, "
            "and an expression uses variables x1, x2, ..."
        )
    entry = _LIBRARY[_ALIASES.get(key, key)]
    pattern = ":".join((key if key in _ALIASES else entry.canonical, *entry.parameters))

    if len(raw_parameters) != len(entry.parameters):
        if not entry.parameters:
            raise PredicateError(
                f"{entry.canonical} has a fixed arity and takes no parameters. Write {pattern}, not {spec!r}"
            )
        requirement = f"write {pattern} with {_describe_parameters(entry)}"
        if len(raw_parameters) < len(entry.parameters):
            raise PredicateError(f"missing arity in {spec!r}: {requirement}")
        raise PredicateError(f"too many parameters in {spec!r}: {requirement}")

    parameters = [
        _parse_library_parameter(raw, parameter, minimum, pattern, spec)
        for raw, parameter, minimum in zip(raw_parameters, entry.parameters, entry.minimums)
    ]

    arity = entry.arity(*parameters)
    _check_arity(arity)

    name = ":".join((entry.canonical, *(str(parameter) for parameter in parameters)))
    truth = entry.truth(_input_truth(arity), *parameters)
    return Predicate(name=name, arity=arity, table=_table_from_truth(truth), source="library")


def _describe_parameters(entry: _LibraryEntry) -> str:
    kinds = {1: "a positive integer", 0: "a non-negative integer"}
    return " and ".join(
        f"{parameter} {kinds[minimum]}" for parameter, minimum in zip(entry.parameters, entry.minimums)
    )


# ---------------------------------------------------------------------------
# Truth tables


def predicate_from_truth_table(text: str, arity: int | None = None) -> Predicate:
    """Parse a truth table written as 0x-prefixed hex or as a bit string.

    The arity is inferred from the length unless given. One hex digit means arity 2
    unless ``arity`` is 0 or 1. The canonical name is the hex text for arity >= 2
    and the bit string otherwise, because one hex digit cannot tell arities 0..2 apart.
    """
    if arity is not None:
        _check_arity(arity)

    # Columns count from the start of the text as given, leading whitespace included.
    offset = len(text) - len(text.lstrip())
    body = text.strip()
    if not body:
        raise PredicateError("truth table: the text is empty. Write 0x-prefixed hex or a string of 0 and 1")

    if body[:2].lower() == "0x":
        table_int, table_arity = _parse_hex_table(body[2:], offset + 2, arity)
    else:
        table_int, table_arity = _parse_bit_table(body, offset, arity)

    if table_arity >= 2:
        name = _format_hex(table_int, table_arity)
    else:
        name = _format_bits(table_int, table_arity)
    table = _table_from_int(table_int, table_arity)
    return Predicate(name=name, arity=table_arity, table=table, source="truth-table")


def _parse_hex_table(digits: str, offset: int, arity: int | None) -> tuple[int, int]:
    """Parse the hex digits after ``0x`` and return (table integer, arity)."""
    if not digits:
        raise PredicateError("truth table: no hex digits after 0x")

    for position, character in enumerate(digits):
        if character not in "0123456789abcdefABCDEF":
            raise PredicateError(
                f"truth table: invalid hex digit {character!r} at column {offset + position + 1}"
            )

    length = len(digits)
    if arity is None:
        arity = _arity_from_hex_length(length)
    elif length != _hex_digit_count(arity):
        raise PredicateError(
            f"truth table: found {length} hex digits, but arity {arity} needs {_hex_digit_count(arity)}"
        )

    value = int(digits, 16)
    if value >> (1 << arity):
        raise PredicateError(
            f"truth table: 0x{digits} sets bit {value.bit_length() - 1}, "
            f"but a table of arity {arity} has only {1 << arity} entries"
        )
    return value, arity


def _arity_from_hex_length(length: int) -> int:
    if length & (length - 1):
        allowed = ", ".join(str(_hex_digit_count(k)) for k in range(2, 8))
        raise PredicateError(
            f"truth table: found {length} hex digits, but the length must be 2^k/4 for arity k, "
            f"that is {allowed}, ... (one digit for k <= 2)"
        )
    arity = length.bit_length() + 1
    _check_arity(arity)
    return arity


def _parse_bit_table(bits: str, offset: int, arity: int | None) -> tuple[int, int]:
    """Parse a bit string, entry 2^k-1 first, and return (table integer, arity)."""
    for position, character in enumerate(bits):
        if character not in "01":
            raise PredicateError(
                f"truth table: invalid character {character!r} at column {offset + position + 1}. "
                "A bit string contains only 0 and 1, and hex needs the 0x prefix"
            )

    length = len(bits)
    if arity is None:
        if length & (length - 1):
            allowed = ", ".join(str(1 << k) for k in range(6))
            raise PredicateError(
                f"truth table: found {length} bits, but the length must be 2^k for arity k, "
                f"that is {allowed}, ..."
            )
        arity = length.bit_length() - 1
        _check_arity(arity)
    elif length != 1 << arity:
        raise PredicateError(f"truth table: found {length} bits, but arity {arity} needs {1 << arity}")

    return int(bits, 2), arity


def _table_from_int(table_int: int, arity: int) -> tuple[int, ...]:
    """Expand a table integer into +1/-1 entries, -1 where the bit is set."""
    size = 1 << arity
    packed = np.frombuffer(table_int.to_bytes((size + 7) // 8, "little"), dtype=np.uint8)
    is_true = np.unpackbits(packed, bitorder="little")[:size].astype(bool)
    return _table_from_truth(is_true)


# ---------------------------------------------------------------------------
# Expressions


@dataclass(frozen=True)
class _Token:
    kind: str  # "name", "number", "symbol" or "end"
    text: str  # as written, so that messages show the user's spelling
    column: int  # 1-based

    @property
    def word(self) -> str:
        """Lower-cased text, because keywords and variables are case-insensitive."""
        return self.text.lower()


@dataclass(frozen=True)
class _Variable:
    index: int  # 1-based, as in x1


@dataclass(frozen=True)
class _Constant:
    value: bool


@dataclass(frozen=True)
class _Not:
    operand: object


@dataclass(frozen=True)
class _Apply:
    operator: str  # "and", "or", "xor" or "maj"
    operands: tuple


_SYMBOLS = "~!&^|(),"
_BINARY_OPERATORS = ("or", "xor", "and")  # lowest precedence first
_OPERATOR_SYMBOLS = {"&": "and", "^": "xor", "|": "or", "~": "not", "!": "not"}
_FUNCTIONS = {"maj": "maj", "and": "and", "or": "or", "xor": "xor", "parity": "xor"}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")
_OPERAND_EXPECTED = "a variable, true, false, not, '(' or a function call"


def _tokenize(text: str) -> list[_Token]:
    """Split an expression into name, number and symbol tokens, followed by an end token."""
    tokens = []
    position = 0
    while position < len(text):
        character = text[position]
        if character.isspace():
            position += 1
            continue

        match = _WORD.match(text, position)
        if match is not None:
            kind = "number" if character.isdigit() else "name"
            tokens.append(_Token(kind, match.group(), position + 1))
            position = match.end()
        elif character in _SYMBOLS:
            tokens.append(_Token("symbol", character, position + 1))
            position += 1
        else:
            raise PredicateError(f"expression: unexpected character {character!r} at column {position + 1}")

    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _ExpressionParser:
    """Recursive-descent parser, from lowest to highest precedence: or, xor, and, not.

    Grammar::

        or_expr  := xor_expr (('or' | '|') xor_expr)*
        xor_expr := and_expr (('xor' | '^') and_expr)*
        and_expr := unary (('and' | '&') unary)*
        unary    := ('not' | '~' | '!') unary | primary
        primary  := VARIABLE | 'true' | 'false' | '(' or_expr ')'
                  | FUNCTION '(' or_expr (',' or_expr)* ')'
    """

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.position = 0
        self.max_variable = 0

    def parse(self) -> object:
        tree = self._parse_binary()
        token = self._peek()
        if token.kind != "end":
            self._fail("an operator or end of input", token)
        return tree

    def _peek(self) -> _Token:
        return self.tokens[min(self.position, len(self.tokens) - 1)]

    def _advance(self) -> _Token:
        token = self._peek()
        self.position += 1
        return token

    def _fail(self, expected: str, token: _Token) -> NoReturn:
        found = "end of input" if token.kind == "end" else repr(token.text)
        raise PredicateError(f"expression: expected {expected} at column {token.column}, found {found}")

    def _expect_symbol(self, symbol: str) -> None:
        token = self._peek()
        if token.kind != "symbol" or token.text != symbol:
            self._fail(repr(symbol), token)
        self._advance()

    def _operator_of(self, token: _Token) -> str | None:
        if token.kind == "symbol":
            return _OPERATOR_SYMBOLS.get(token.text)
        if token.kind == "name" and token.word in ("and", "or", "xor", "not"):
            return token.word
        return None

    def _parse_binary(self, level: int = 0) -> object:
        """Parse a chain of the binary operator _BINARY_OPERATORS[level]."""
        if level == len(_BINARY_OPERATORS):
            return self._parse_unary()
        operator = _BINARY_OPERATORS[level]

        operands = [self._parse_binary(level + 1)]
        while self._operator_of(self._peek()) == operator:
            self._advance()
            operands.append(self._parse_binary(level + 1))

        if len(operands) == 1:
            return operands[0]
        return _Apply(operator, tuple(operands))

    def _parse_unary(self) -> object:
        if self._operator_of(self._peek()) == "not":
            self._advance()
            return _Not(self._parse_unary())
        return self._parse_primary()

    def _parse_primary(self) -> object:
        token = self._peek()

        if token.kind == "symbol" and token.text == "(":
            self._advance()
            tree = self._parse_binary()
            self._expect_symbol(")")
            return tree

        if token.kind != "name":
            self._fail(_OPERAND_EXPECTED, token)

        if token.word in ("true", "false"):
            self._advance()
            return _Constant(token.word == "true")

        if token.word in _FUNCTIONS:
            return self._parse_call()

        variable = re.fullmatch(r"x([0-9]+)", token.word)
        if variable is not None:
            self._advance()
            return self._make_variable(variable.group(1), token)

        raise PredicateError(
            f"expression: unknown identifier {token.text!r} at column {token.column}. "
            "Expected a variable x1, x2, ..., true, false, not, and, or, xor, maj or parity"
        )

    def _parse_call(self) -> object:
        """Parse ``function(argument, ...)`` with one or more arguments."""
        name_token = self._advance()
        token = self._peek()
        if token.kind != "symbol" or token.text != "(":
            if name_token.word in ("and", "or", "xor"):
                # A binary operator where an operand belongs, such as 'x1 and or x2'.
                self._fail(_OPERAND_EXPECTED, name_token)
            self._fail(f"'(' after {name_token.text!r}", token)
        self._advance()

        arguments = [self._parse_binary()]
        while self._peek().kind == "symbol" and self._peek().text == ",":
            self._advance()
            arguments.append(self._parse_binary())
        self._expect_symbol(")")
        return _Apply(_FUNCTIONS[name_token.word], tuple(arguments))

    def _make_variable(self, digits: str, token: _Token) -> _Variable:
        index = int(digits)
        if index == 0:
            raise PredicateError(
                f"expression: invalid variable {token.text!r} at column {token.column}: variables start at x1"
            )
        if digits[0] == "0":
            raise PredicateError(
                f"expression: invalid variable {token.text!r} at column {token.column}. "
                f"Write x{index} without leading zeros"
            )
        if index > MAX_ARITY:
            raise PredicateError(
                f"expression: variable {token.text!r} at column {token.column} exceeds the maximum arity "
                f"{MAX_ARITY}, because a truth table has 2^k entries"
            )
        self.max_variable = max(self.max_variable, index)
        return _Variable(index)


def _evaluate(tree: object, truth: np.ndarray) -> np.ndarray:
    """Evaluate a parsed expression on every input at once, with True meaning true."""
    if isinstance(tree, _Variable):
        return truth[tree.index - 1]

    if isinstance(tree, _Constant):
        return np.full(truth.shape[1], tree.value, dtype=bool)

    if isinstance(tree, _Not):
        return ~_evaluate(tree.operand, truth)

    operands = np.array([_evaluate(operand, truth) for operand in tree.operands], dtype=bool)
    if tree.operator == "and":
        return operands.all(axis=0)
    if tree.operator == "or":
        return operands.any(axis=0)
    if tree.operator == "xor":
        return _parity(operands)
    return _majority(operands)


def predicate_from_expression(text: str, arity: int | None = None) -> Predicate:
    """Parse a Boolean expression over x1, x2, ... and build its predicate.

    The arity is the largest variable index unless ``arity`` is given, which must be at
    least that index. The canonical name is ``expr:`` followed by the stripped text.
    """
    parser = _ExpressionParser(text)
    tree = parser.parse()

    if arity is None:
        arity = parser.max_variable
    else:
        _check_arity(arity)
        if arity < parser.max_variable:
            raise PredicateError(
                f"expression: arity {arity} is smaller than the largest variable x{parser.max_variable}"
            )

    truth = _evaluate(tree, _input_truth(arity))
    table = _table_from_truth(truth)
    return Predicate(name=f"expr:{text.strip()}", arity=arity, table=table, source="expression")


# ---------------------------------------------------------------------------
# Conventions and dispatch


def with_convention(predicate: Predicate, convention: str) -> Predicate:
    """Reinterpret a predicate that the user wrote in the given convention.

    ``plus-one-true`` means the user's table used +1 for true on inputs and output, so
    the predicate in the minus-one-true convention is P'(x) = -P(-x). The predicate
    passed in must still be as parsed, in the minus-one-true convention.
    """
    if convention not in CONVENTIONS:
        raise PredicateError(f"unknown convention {convention!r}. Expected one of {', '.join(CONVENTIONS)}")

    if convention == "minus-one-true":
        return predicate

    if predicate.convention != "minus-one-true":
        raise PredicateError(
            f"predicate {predicate.name!r} already has convention {predicate.convention!r}, "
            "and converting it again would undo the conversion"
        )

    # Negating every input flips every bit of the index: -x has index (2^k - 1) - i.
    last = (1 << predicate.arity) - 1
    table = tuple(-predicate.table[last - index] for index in range(last + 1))
    return Predicate(
        name=predicate.name,
        arity=predicate.arity,
        table=table,
        source=predicate.source,
        convention=convention,
    )


_EXPRESSION_HINT = re.compile(r"x[0-9]|[~!&^|()]", re.IGNORECASE)


def parse_predicate(spec: str, arity: int | None = None) -> Predicate:
    """Build a predicate from a truth table, an expression or a library name.

    ``0x...`` and bit strings of length >= 2 are truth tables. Text containing a
    variable such as x1, an operator symbol or a parenthesis is an expression.
    Anything else is a library name, whose arity must equal ``arity`` when given.
    """
    text = spec.strip()

    if text[:2].lower() == "0x" or (len(text) >= 2 and set(text) <= {"0", "1"}):
        return predicate_from_truth_table(spec, arity)

    if _EXPRESSION_HINT.search(text):
        return predicate_from_expression(spec, arity)

    predicate = predicate_from_name(text)
    if arity is not None and predicate.arity != arity:
        raise PredicateError(
            f"predicate {predicate.name!r} has arity {predicate.arity}, but arity {arity} was requested"
        )
    return predicate
