"""``experiment discriminators`` and ``experiment figure``: train ReLU discriminators against Goldreich's generator.

``experiment discriminators`` certifies the generator with the exact biases of every
parity of at most t outputs, and tests those parities on held-out samples. It then
trains discriminators of several depths with the DCGAN objective and writes curves.png,
curves.csv, summary.json and the generator's certificate.json into an output folder.
It exits 0 when the run completes, 1 when the generator network or its samples are
wrong or the weak control generator goes undetected, and 2 on invalid input.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from fractions import Fraction

from verifier.cli import EXIT_FAILED, EXIT_OK, Parser, add_output_options, emit, progress
from verifier.commands.generate import integer, positive_integer
from verifier.errors import InputError

EXTRA_HINT = 'install the experiment extra: pip install -e ".[experiment]"'


def register(commands, check_kinds) -> None:
    """Add ``experiment`` with the kinds ``discriminators`` and ``figure``."""
    experiment = commands.add_parser("experiment", help="train discriminators against a generator (needs the experiment extra)")
    kinds = experiment.add_subparsers(dest="kind", required=True, parser_class=Parser)

    discriminators = kinds.add_parser(
        "discriminators",
        help="train ReLU discriminators to tell G(U_m) from U_d, beside an exact and an empirical parity test",
        description="Certify Goldreich's generator, test every parity of at most t outputs on held-out samples, and "
        "train ReLU discriminators of several depths with the DCGAN objective to tell G(U_m) from U_d. Defaults follow "
        "the paper's experiment: m = 50, d = 200, TSA, discriminators with 1 to 4 hidden layers of 200 units, Adam with "
        "step size 0.001, batch size 128.",
    )
    _add_generator_options(discriminators)
    _add_training_options(discriminators)
    discriminators.add_argument("--quick", action="store_true",
                                help="small settings for a test run of seconds (m 16, d 32, depths 1,2, width 32, 300 steps, "
                                     "2000 held-out samples, seeds 0,1); options given explicitly still apply")
    discriminators.add_argument("--out", required=True, help="output folder for summary.json, curves.csv, curves.png, certificate.json")
    discriminators.add_argument("--overwrite", action="store_true", help="write into an output folder that is not empty")
    add_output_options(discriminators)
    discriminators.set_defaults(handler=_discriminators)

    figure = kinds.add_parser("figure", help="draw the curves of several runs side by side in one PNG",
                              description="Read the curves.csv and summary.json of each run folder and draw one panel per run.")
    figure.add_argument("runs", nargs="+", help="output folders of experiment discriminators")
    figure.add_argument("--out", required=True, help="PNG file to write")
    figure.set_defaults(handler=_figure)


def _add_generator_options(parser) -> None:
    parser.add_argument("--generator", choices=["goldreich", "weak"], default="goldreich",
                        help="goldreich (default): Goldreich's generator with --predicate; weak: the positive control, "
                             "Goldreich's construction with maj:3, which correlates with each of its inputs")
    parser.add_argument("--predicate", help="the predicate of the goldreich generator: a library name, truth table or "
                                            "expression (default: TSA)")
    parser.add_argument("--m", type=positive_integer, help="seed length m (default: 50)")
    parser.add_argument("--d", type=positive_integer, help="output length d (default: 200)")
    parser.add_argument("--hypergraph-seed", type=integer, help="seed of numpy.random.default_rng for the hypergraph (default: 0)")
    parser.add_argument("--avoid-bias", type=positive_integer, metavar="T",
                        help="redraw the hypergraph until no parity of at most T outputs is biased")
    parser.add_argument("--max-draws", type=positive_integer, help="give up --avoid-bias after this many draws (default: 1000)")
    parser.add_argument("--bias-order", type=positive_integer, metavar="t",
                        help="exact and empirical tests of every parity of at most t outputs, t <= 3 (default: 2)")
    parser.add_argument("--alpha", type=_probability, help="significance level of every test, exact text such as 1/20 (default: 0.05)")


def _add_training_options(parser) -> None:
    parser.add_argument("--depths", type=_integer_list, help="numbers of hidden layers, comma-separated (default: 1,2,3,4)")
    parser.add_argument("--width", type=positive_integer, help="units per hidden layer (default: 200)")
    parser.add_argument("--learning-rate", type=_positive_float, help="Adam step size (default: 0.001)")
    parser.add_argument("--batch-size", type=positive_integer, help="samples of each law per step (default: 128)")
    parser.add_argument("--steps", type=positive_integer, help="training steps, each on fresh samples (default: 5000)")
    parser.add_argument("--test-samples", type=positive_integer, help="held-out samples of each law for the test loss (default: 10000)")
    parser.add_argument("--eval-every", type=positive_integer, help="measure the test loss every this many steps (default: 100)")
    parser.add_argument("--seeds", type=_integer_list, help="training seeds, comma-separated (default: 0,1,2)")
    parser.add_argument("--device", choices=["cpu", "cuda"], help="torch device for training (default: cpu)")
    # One thread by default. Two threads made the 200 x 200 layers about 30% faster on an idle
    # two-core machine, but every step waits for both threads. While another process kept a
    # core busy, some stretches of 500 steps then ran up to twenty times slower.
    parser.add_argument("--threads", type=positive_integer, help="torch threads for training on the CPU (default: 1)")


def _integer_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated integers such as 1,2,3, found {text!r}") from None
    return values


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, found {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, found {text!r}")
    return value


def _probability(text: str) -> Fraction:
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1 such as 1/20 or 0.05, found {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, found {text!r}")
    return value


# experiment discriminators


def _discriminators(arguments) -> int:
    # Step 1: every check of the input, before any work or any file.
    from verifier.experiment.instance import read_predicate

    settings = _settings(arguments)
    read_predicate(settings)
    _require_extras()
    _check_device(settings.device)
    _check_output_folder(arguments.out, arguments.overwrite)

    # Step 2: the run.
    from verifier.experiment.run import ExperimentFailure, run_experiment

    reporter = TerminalReporter(arguments, len(settings.seeds) * len(settings.depths) * settings.steps)
    try:
        outcome = run_experiment(settings, reporter)
    except ExperimentFailure as failure:
        reporter.close()
        print(f"error: {failure}", file=sys.stderr)
        return EXIT_FAILED
    reporter.close()

    # Step 3: the files, the summary last so that it marks a complete run.
    from verifier.experiment.report import build_summary, summary_text

    summary = build_summary(outcome, settings)
    written = _write_run(arguments.out, outcome, summary)
    emit(arguments, summary, summary_text(summary, written))
    if settings.generator == "weak" and not summary["control_detected"]:
        return EXIT_FAILED
    return EXIT_OK


def _settings(arguments):
    from verifier.experiment.settings import resolve_settings

    if arguments.generator == "weak" and arguments.predicate is not None:
        raise InputError("--predicate applies to --generator goldreich; the weak control always uses maj:3")
    names = ("generator", "predicate", "m", "d", "hypergraph_seed", "avoid_bias", "max_draws", "bias_order", "alpha",
             "depths", "width", "learning_rate", "batch_size", "steps", "test_samples", "eval_every", "seeds", "device", "threads")
    return resolve_settings({name: getattr(arguments, name) for name in names}, arguments.quick)


def _require_extras() -> None:
    """Raise InputError naming the extra to install when torch or matplotlib is missing."""
    for module in ("torch", "matplotlib"):
        try:
            __import__(module)
        except ImportError:
            raise InputError(f"{module} is not installed; {EXTRA_HINT}") from None


def _check_device(device: str) -> None:
    if device == "cuda":
        from verifier.experiment.training import cuda_available

        if not cuda_available():
            raise InputError("--device cuda: no CUDA device is available to torch; use --device cpu")


def _check_output_folder(out: str, overwrite: bool) -> None:
    if os.path.exists(out) and not os.path.isdir(out):
        raise InputError(f"--out {out}: exists and is not a folder")
    if os.path.isdir(out) and os.listdir(out) and not overwrite:
        raise InputError(f"--out {out}: the folder exists and is not empty; choose another folder or pass --overwrite")


def _write_run(out: str, outcome, summary: dict) -> list[str]:
    """Write certificate.json, curves.csv, curves.png and summary.json, in that order; return their paths."""
    from verifier.experiment.curves import curves_csv
    from verifier.experiment.plots import plot_curves
    from verifier.experiment.report import plot_reference, plot_title
    from verifier.experiment.settings import CERTIFICATE_FILE, CURVES_CSV_FILE, CURVES_PNG_FILE, SUMMARY_FILE
    from verifier.files import write_atomic, write_json

    paths = [os.path.join(out, name) for name in (CERTIFICATE_FILE, CURVES_CSV_FILE, CURVES_PNG_FILE, SUMMARY_FILE)]
    write_atomic(paths[0], outcome.instance.certificate_text())
    write_atomic(paths[1], curves_csv(outcome.curves))
    plot_curves(outcome.curves, plot_title(summary), paths[2], plot_reference(summary))
    write_json(paths[3], summary)
    return paths


class TerminalReporter:
    """Shows stage messages and a progress bar of training steps on a terminal, and nothing under --json."""

    BAR_WIDTH = 30
    REDRAW_SECONDS = 0.2

    def __init__(self, arguments, total_steps: int):
        self.arguments = arguments
        self.enabled = not arguments.json and sys.stderr.isatty()
        self.total = total_steps
        self.done = 0
        self.last_draw = 0.0
        self.bar_shown = False

    def message(self, text: str) -> None:
        self._clear_bar()
        progress(self.arguments, text)

    def step(self, seed: int, depth: int, step: int) -> None:
        self.done += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last_draw < self.REDRAW_SECONDS and self.done < self.total:
            return
        self.last_draw = now
        filled = self.BAR_WIDTH * self.done // self.total
        bar = "#" * filled + "." * (self.BAR_WIDTH - filled)
        sys.stderr.write(f"\r[{bar}] {100 * self.done // self.total:3d}%  seed {seed}, depth {depth}, step {step}   ")
        sys.stderr.flush()
        self.bar_shown = True

    def close(self) -> None:
        self._clear_bar()

    def _clear_bar(self) -> None:
        if self.bar_shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.bar_shown = False


# experiment figure


def _figure(arguments) -> int:
    if not arguments.out.lower().endswith(".png"):
        raise InputError(f"--out {arguments.out}: expected a .png file")
    _require_extras()
    from verifier.experiment.curves import read_curves_csv
    from verifier.experiment.plots import plot_panels
    from verifier.experiment.report import SUMMARY_KIND, SUMMARY_SCHEMA_VERSION, plot_reference, plot_title
    from verifier.experiment.settings import CURVES_CSV_FILE, SUMMARY_FILE
    from verifier.network import load_json

    panels = []
    for run in arguments.runs:
        summary = load_json(os.path.join(run, SUMMARY_FILE))
        if not isinstance(summary, dict) or summary.get("kind") != SUMMARY_KIND:
            raise InputError(f"{os.path.join(run, SUMMARY_FILE)}: not the summary of experiment discriminators "
                             f"(field 'kind' must be {SUMMARY_KIND!r})")
        if summary.get("schema_version") != SUMMARY_SCHEMA_VERSION:
            raise InputError(f"{os.path.join(run, SUMMARY_FILE)}: unsupported schema_version {summary.get('schema_version')!r} "
                             f"(this tool reads {SUMMARY_SCHEMA_VERSION})")
        try:
            title, reference = plot_title(summary), plot_reference(summary)
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(f"{os.path.join(run, SUMMARY_FILE)}: missing or invalid field {error}") from None
        panels.append((read_curves_csv(os.path.join(run, CURVES_CSV_FILE)), title, reference))
    plot_panels(panels, arguments.out)
    print(f"figure of {len(panels)} runs written to {arguments.out}")
    return EXIT_OK
