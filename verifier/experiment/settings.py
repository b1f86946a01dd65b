"""Settings of a discriminator run: the defaults, the --quick values and their validation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from fractions import Fraction

from verifier.errors import InputError

GENERATORS = ("goldreich", "weak")

# The control generator: Goldreich's construction with the majority of three inputs.
# maj(x1, x2, x3) = (x1 + x2 + x3)/2 - x1 x2 x3/2 has the Fourier coefficient 1/2 on each
# input, so two outputs that share a seed coordinate have an exact pairwise bias of at
# least 1/4. A working pipeline must detect it.
WEAK_PREDICATE = "maj:3"

# Largest parity size of the empirical test; the number of parities grows like d^t.
MAX_EMPIRICAL_ORDER = 3


@dataclass(frozen=True)
class ExperimentSettings:
    """Every setting that decides what a run computes; the summary records all of them."""

    generator: str = "goldreich"
    predicate: str = "TSA"
    m: int = 50
    d: int = 200
    hypergraph_seed: int = 0
    avoid_bias: int | None = None
    max_draws: int = 1000
    bias_order: int = 2
    depths: tuple[int, ...] = (1, 2, 3, 4)
    width: int = 200
    learning_rate: float = 0.001
    batch_size: int = 128
    steps: int = 5000
    test_samples: int = 10000
    eval_every: int = 100
    seeds: tuple[int, ...] = (0, 1, 2)
    alpha: Fraction = Fraction(1, 20)
    device: str = "cpu"
    threads: int = 1
    quick: bool = False

    def to_json(self) -> dict:
        data = asdict(self)
        data["depths"] = list(self.depths)
        data["seeds"] = list(self.seeds)
        data["alpha"] = str(self.alpha)
        data["learning_rate"] = repr(self.learning_rate)
        return data


# Small enough for the test suite: a few seconds on two CPU cores.
QUICK = {
    "m": 16,
    "d": 32,
    "depths": (1, 2),
    "width": 32,
    "steps": 300,
    "test_samples": 2000,
    "eval_every": 50,
    "seeds": (0, 1),
}


def resolve_settings(explicit: dict, quick: bool) -> ExperimentSettings:
    """Combine the defaults, the --quick values and the values given explicitly, in that order of precedence."""
    values = dict(QUICK) if quick else {}
    values.update({name: value for name, value in explicit.items() if value is not None})
    settings = replace(ExperimentSettings(), quick=quick, **values)
    validate(settings)
    return settings


def validate(settings: ExperimentSettings) -> None:
    """Raise InputError for the first setting that a run cannot use."""
    if settings.generator not in GENERATORS:
        raise InputError(f"unknown generator {settings.generator!r}; expected one of {', '.join(GENERATORS)}")
    for name in ("m", "d", "max_draws", "bias_order", "width", "batch_size", "steps", "test_samples", "eval_every", "threads"):
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name.replace('_', '-')} must be a positive integer, found {value!r}")
    if not settings.depths or any(depth < 1 for depth in settings.depths):
        raise InputError(f"every depth must be a positive number of hidden layers, found {list(settings.depths)}")
    if len(set(settings.depths)) != len(settings.depths):
        raise InputError(f"the depths {list(settings.depths)} repeat a value")
    if not settings.seeds or len(set(settings.seeds)) != len(settings.seeds) or min(settings.seeds) < 0:
        raise InputError(f"the training seeds must be distinct non-negative integers, found {list(settings.seeds)}")
    if not settings.learning_rate > 0:
        raise InputError(f"the learning rate must be positive, found {settings.learning_rate!r}")
    if not 0 < settings.alpha < 1:
        raise InputError(f"the significance level must lie strictly between 0 and 1, found {settings.alpha}")
    if settings.bias_order > MAX_EMPIRICAL_ORDER:
        raise InputError(f"bias order {settings.bias_order} is above the limit {MAX_EMPIRICAL_ORDER} of the empirical parity test, "
                         f"which examines every set of at most t of the d outputs")
    if settings.avoid_bias is not None and settings.avoid_bias < 1:
        raise InputError(f"avoid-bias must be a positive integer, found {settings.avoid_bias!r}")
    if settings.generator == "weak" and settings.avoid_bias is not None:
        raise InputError("--avoid-bias cannot be used with --generator weak: the control is biased on purpose, "
                         "every pair of outputs sharing a seed coordinate has bias at least 1/4")
    if settings.device not in ("cpu", "cuda"):
        raise InputError(f"unknown device {settings.device!r}; expected cpu or cuda")


def predicate_spec(settings: ExperimentSettings) -> str:
    """Return the predicate of the generator under test."""
    return WEAK_PREDICATE if settings.generator == "weak" else settings.predicate


def evaluation_steps(settings: ExperimentSettings) -> list[int]:
    """Return the training steps after which the test loss is measured: 0, every eval_every steps, and the last."""
    steps = list(range(0, settings.steps + 1, settings.eval_every))
    if steps[-1] != settings.steps:
        steps.append(settings.steps)
    return steps


def seed_rules() -> dict:
    """Return how every random draw of a run derives from the recorded seeds."""
    return {
        "hypergraph": "verifier.constructions.goldreich.DRAW_RULE with the hypergraph seed",
        "training_generator_seeds": "numpy.random.default_rng([seed, 0]).integers(0, 2, (steps * batch_size, m), int8), 0 -> +1, 1 -> -1",
        "training_uniform": "numpy.random.default_rng([seed, 1]).integers(0, 2, (steps * batch_size, d), int8), 0 -> +1, 1 -> -1",
        "held_out_generator_seeds": "numpy.random.default_rng([seed, 2]).integers(0, 2, (test_samples, m), int8), 0 -> +1, 1 -> -1",
        "held_out_uniform": "numpy.random.default_rng([seed, 3]).integers(0, 2, (test_samples, d), int8), 0 -> +1, 1 -> -1",
        "discriminator_initialisation": "torch.manual_seed(numpy.random.SeedSequence([seed, depth]).generate_state(1)[0])",
        "batches": "batch i of training seed s is rows [i * batch_size, (i + 1) * batch_size) of both training streams; "
                   "every depth trained with seed s sees the same batches",
        "parity_test": "the held-out samples of the first training seed",
    }


# Files a run writes into its output folder.
SUMMARY_FILE = "summary.json"
CURVES_CSV_FILE = "curves.csv"
CURVES_PNG_FILE = "curves.png"
CERTIFICATE_FILE = "certificate.json"
