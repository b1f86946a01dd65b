"""Exact checks of bit-complexity, size, depth and Lipschitz claims about ReLU networks."""

__version__ = "0.1.0"
