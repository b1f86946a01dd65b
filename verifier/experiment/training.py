"""Training of ReLU discriminators with the DCGAN objective, and their test loss on held-out samples.

A discriminator D maps a sample to the probability that it comes from the target law
U_d, written as a logit: D(x) = sigmoid(f(x)). Each step takes one batch of U_d (label 1)
and one batch of G(U_m) (label 0) and minimises the DCGAN discriminator loss

    mean(-log D(x)) + mean(-log(1 - D(G(z)))),

with Adam. The test loss on held-out samples subtracts 2 log 2, the loss of the
constant D = 1/2, so it is 0 for a discriminator that has learned nothing. It is
negative only when D distinguishes the two laws, because every D has expected test loss
at least -2 JS, where JS is the Jensen-Shannon divergence of the two laws.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np
import torch
from torch import nn

from verifier.experiment.curves import Curve
from verifier.experiment.sampling import SeedSamples
from verifier.experiment.settings import ExperimentSettings, evaluation_steps

# Held-out samples per forward pass when measuring the test loss.
EVALUATION_BATCH = 4096


def configure_torch(settings: ExperimentSettings) -> None:
    """Set torch's intra-op thread count for training."""
    torch.set_num_threads(settings.threads)


def initialisation_seed(seed: int, depth: int) -> int:
    """Return the torch seed for the initial weights of the discriminator of this depth and training seed."""
    return int(np.random.SeedSequence([seed, depth]).generate_state(1)[0])


def build_discriminator(input_dim: int, depth: int, width: int) -> nn.Sequential:
    """Build a discriminator: ``depth`` fully connected hidden layers of ``width`` ReLU units, then one logit."""
    layers: list[nn.Module] = []
    previous = input_dim
    for _ in range(depth):
        layers += [nn.Linear(previous, width), nn.ReLU()]
        previous = width
    layers.append(nn.Linear(previous, 1))
    return nn.Sequential(*layers)


def logits(model: nn.Module, samples: np.ndarray, device: str) -> torch.Tensor:
    """Return the model's logits at the rows of ``samples`` as a float64 CPU tensor."""
    parts = []
    with torch.no_grad():
        for start in range(0, len(samples), EVALUATION_BATCH):
            batch = torch.from_numpy(samples[start:start + EVALUATION_BATCH]).to(device=device, dtype=torch.float32)
            parts.append(model(batch).squeeze(1).to("cpu", torch.float64))
    return torch.cat(parts)


def test_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[float, float]:
    """Return E[-log D(X)] + E[-log(1 - D(G(z)))] - 2 log 2 on held-out samples, and its standard error.

    -log D = softplus(-logit) and -log(1 - D) = softplus(logit), which stay finite for
    any logit. The standard error treats the two held-out sets as independent samples.
    """
    real_terms = nn.functional.softplus(-real_logits.to(torch.float64))
    fake_terms = nn.functional.softplus(fake_logits.to(torch.float64))
    loss = float(real_terms.mean() + fake_terms.mean()) - 2 * math.log(2)
    variance = float(real_terms.var(unbiased=True)) / len(real_terms) + float(fake_terms.var(unbiased=True)) / len(fake_terms)
    return loss, math.sqrt(variance)


def train_discriminator(samples: SeedSamples, depth: int, settings: ExperimentSettings,
                        on_step: Callable[[int], None] = lambda _: None) -> Curve:
    """Train one discriminator on the training streams of ``samples`` and measure its test loss as it goes."""
    started = time.perf_counter()
    device = settings.device
    torch.manual_seed(initialisation_seed(samples.seed, depth))
    model = build_discriminator(samples.train_uniform.shape[1], depth, settings.width).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    objective = nn.BCEWithLogitsLoss()
    batch = settings.batch_size
    real_labels = torch.ones(batch, device=device)
    fake_labels = torch.zeros(batch, device=device)

    curve = Curve(depth, samples.seed)
    checkpoints = set(evaluation_steps(settings))
    _record(curve, model, samples, device, 0, None)
    running, running_steps = 0.0, 0
    for step in range(1, settings.steps + 1):
        rows = slice((step - 1) * batch, step * batch)
        real = torch.from_numpy(samples.train_uniform[rows]).to(device=device, dtype=torch.float32)
        fake = torch.from_numpy(samples.train_generator[rows]).to(device=device, dtype=torch.float32)

        optimiser.zero_grad(set_to_none=True)
        loss = objective(model(real).squeeze(1), real_labels) + objective(model(fake).squeeze(1), fake_labels)
        loss.backward()
        optimiser.step()
        running += loss.item()
        running_steps += 1

        if step in checkpoints:
            _record(curve, model, samples, device, step, running / running_steps - 2 * math.log(2))
            running, running_steps = 0.0, 0
        on_step(step)
    curve.seconds = time.perf_counter() - started
    return curve


def _record(curve: Curve, model: nn.Module, samples: SeedSamples, device: str, step: int, train_loss: float | None) -> None:
    model.eval()
    loss, standard_error = test_loss(logits(model, samples.test_uniform, device), logits(model, samples.test_generator, device))
    model.train()
    curve.steps.append(step)
    curve.test_loss.append(loss)
    curve.test_loss_standard_error.append(standard_error)
    curve.train_loss.append(train_loss)


def torch_version() -> str:
    return torch.__version__


def cuda_available() -> bool:
    return torch.cuda.is_available()


def torch_threads() -> int:
    return torch.get_num_threads()
