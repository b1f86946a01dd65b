"""The generator under test: Goldreich's generator on a seeded hypergraph, built, proved and certified."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from verifier.constructions.goldreich import GoldreichGenerator, Hypergraph, build_goldreich, hypergraph_draws
from verifier.errors import InputError
from verifier.generator_check import BiasReport, check_goldreich, low_order_biases
from verifier.network import canonical_dumps
from verifier.predicates import Predicate, parse_predicate

from verifier.experiment.settings import ExperimentSettings, predicate_spec


@dataclass
class Instance:
    """A certified generator: the network to sample from and the exact facts about it."""

    generator: GoldreichGenerator
    certificate: dict
    proves_generator: bool

    @property
    def network(self):
        return self.generator.network

    def certificate_text(self) -> str:
        """Return the certificate's canonical JSON, the text whose SHA-256 names it."""
        return canonical_dumps(self.certificate) + "\n"

    def certificate_sha256(self) -> str:
        """Return the SHA-256 of the certificate file's bytes, so that sha256sum reproduces it."""
        return hashlib.sha256(self.certificate_text().encode("utf-8")).hexdigest()

    def largest_bias(self, order: int) -> dict | None:
        """Return the set of at most ``order`` outputs with the largest exact |bias|, from the certificate.

        Sets of equal |bias| are ordered by size, then as the certificate lists them.
        """
        by_size = self.certificate["biases"]["largest_by_size"]
        entries = [by_size[str(size)] for size in range(1, order + 1) if by_size.get(str(size)) is not None]
        return max(entries, key=lambda entry: (abs(Fraction(entry["bias"])), -len(entry["outputs"])), default=None)


def read_predicate(settings: ExperimentSettings) -> Predicate:
    """Parse the predicate of the generator under test, raising InputError when no generator can use it."""
    predicate = parse_predicate(predicate_spec(settings))
    if predicate.arity == 0:
        raise InputError(f"predicate {predicate.name} has arity 0; a generator output needs at least one seed bit")
    if predicate.arity > settings.m:
        raise InputError(f"predicate {predicate.name} has arity {predicate.arity}, more than the m = {settings.m} seed coordinates")
    if settings.avoid_bias is not None and predicate.fourier().get(0, 0) != 0:
        raise InputError(f"predicate {predicate.name} is not balanced, so every output is biased and --avoid-bias cannot succeed")
    return predicate


def choose_hypergraph(settings: ExperimentSettings, predicate: Predicate,
                      progress: Callable[[str], None]) -> tuple[Hypergraph, BiasReport]:
    """Return the first hypergraph drawn, or under avoid_bias T the first with no biased set of at most T outputs.

    Also returns the exact biases of every set of at most max(t, T) outputs.
    """
    order = max(settings.bias_order, settings.avoid_bias or 0)
    draws = hypergraph_draws(settings.m, settings.d, predicate.arity, settings.hypergraph_seed)
    attempts = settings.max_draws if settings.avoid_bias else 1
    for attempt in range(1, attempts + 1):
        hypergraph = next(draws)
        progress(f"draw {attempt}: computing exact biases of up to {order} outputs ...")
        biases = low_order_biases(hypergraph, predicate.table, order)
        if not settings.avoid_bias:
            return hypergraph, biases
        if not any(len(output_set) <= settings.avoid_bias for output_set, _ in biases.biased):
            return hypergraph, biases
    raise InputError(
        f"no hypergraph in {settings.max_draws} draws has all sets of at most {settings.avoid_bias} outputs unbiased; "
        "raise --max-draws, lower --avoid-bias, or raise m relative to d"
    )


def build_instance(settings: ExperimentSettings, progress: Callable[[str], None] = lambda _: None) -> Instance:
    """Draw the hypergraph, build the generator network and certify it with exact biases."""
    predicate = read_predicate(settings)

    # Step 1: the hypergraph, redrawn under avoid_bias.
    hypergraph, biases = choose_hypergraph(settings, predicate, progress)

    # Step 2: the network of G_{P,H}, its per-coordinate proof and its certificate.
    progress(f"building and certifying G_(P,H) with P = {predicate.name}, m = {settings.m}, d = {settings.d} ...")
    generator = build_goldreich(predicate, hypergraph)
    order = max(settings.bias_order, settings.avoid_bias or 0)
    check = check_goldreich(generator, order, settings.hypergraph_seed, settings.avoid_bias, biases, progress)
    return Instance(generator, check.certificate, check.proves_generator)
