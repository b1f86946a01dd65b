"""The discriminator experiment: ReLU discriminators trained to tell G(U_m) from U_d.

The generator G is Goldreich's generator built and certified by
``verifier.constructions.goldreich`` and ``verifier.generator_check``. Exact facts (the
generator computes G_{P,H} for every seed, and the exact biases of parities of at most t
outputs) come from its certificate. Everything measured on samples (the empirical parity
biases and the discriminators' test losses) is a statistical estimate and carries an
interval or a corrected p-value.

Only ``verifier.experiment.training`` and ``verifier.experiment.plots`` import torch and
matplotlib, and only the experiment commands import those modules.
"""
