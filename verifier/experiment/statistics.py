"""Statistical estimates of a run: binomial and t-test p-values, Holm's correction, t-intervals.

These are estimates in floating point. P-values are carried as natural logarithms so
that values far below 1e-308 (a bias of 1/2 on 10,000 samples gives about 1e-540) stay
representable, and are written as decimal text.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


def sign_test_log_p(sums: np.ndarray, samples: int) -> np.ndarray:
    """Return the natural log of the exact two-sided binomial p-value of each sum of ``samples`` values in {+-1}.

    Under the null hypothesis the values are independent with mean 0, so the number of
    -1 values is Binomial(n, 1/2). The p-value is min(1, 2 P(X >= max(k, n - k))).
    """
    sums = np.asarray(sums, dtype=np.int64)
    minus_ones = (samples - sums) // 2
    extreme = np.maximum(minus_ones, samples - minus_ones)
    return np.minimum(0.0, math.log(2) + binomial_log_upper_tail(extreme, samples))


def binomial_log_upper_tail(k: np.ndarray, samples: int) -> np.ndarray:
    """Return log P(X >= k) for X ~ Binomial(n, 1/2) and n/2 <= k <= n, or an upper bound where it underflows.

    scipy's logsf is the log of a float64 tail, so it is -inf below about 1e-308. There the
    tail is bounded by the geometric series of pmf ratios (n - j) / (j + 1) <= r = (n - k) / (k + 1):
    P(X = k) <= P(X >= k) <= P(X = k) / (1 - r). The bound is within a factor 1 / (1 - r),
    and it only raises the p-value, so the test stays valid.
    """
    k = np.asarray(k, dtype=np.int64)
    with np.errstate(divide="ignore"):
        tail = stats.binom.logsf(k - 1, samples, 0.5)
    underflow = ~np.isfinite(tail)
    if underflow.any():
        ratio = (samples - k[underflow]) / (k[underflow] + 1)
        tail[underflow] = stats.binom.logpmf(k[underflow], samples, 0.5) - np.log1p(-ratio)
    return tail


def holm_log(log_p: np.ndarray) -> np.ndarray:
    """Return Holm's step-down adjusted p-values, as natural logs, in the input order.

    The i-th smallest of N p-values is multiplied by N - i + 1 (i from 1), the products
    are made non-decreasing by a running maximum, and capped at 1.
    """
    log_p = np.asarray(log_p, dtype=np.float64)
    count = len(log_p)
    order = np.argsort(log_p, kind="stable")
    multipliers = np.log(np.arange(count, 0, -1, dtype=np.float64))
    adjusted_sorted = np.minimum(0.0, np.maximum.accumulate(log_p[order] + multipliers))
    adjusted = np.empty(count)
    adjusted[order] = adjusted_sorted
    return adjusted


def format_p(log_p: float) -> str:
    """Write a p-value given by its natural log as decimal text with three significant digits."""
    if log_p >= 0:
        return "1"
    if log_p == -math.inf:
        return "0"
    log10 = log_p / math.log(10)
    if log10 > -300:
        return f"{math.exp(log_p):.3g}"
    exponent = math.floor(log10)
    mantissa = 10 ** (log10 - exponent)
    if mantissa >= 9.995:
        mantissa, exponent = 1.0, exponent + 1
    return f"{mantissa:.2f}e{exponent}"


def format_estimate(value: float, digits: int = 6) -> str:
    """Write an estimate as decimal text with ``digits`` significant digits."""
    return f"{value:.{digits}g}"


def t_interval(values: list[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Return (mean, low, high): the Student t confidence interval of the mean of at least two values."""
    sample = np.asarray(values, dtype=np.float64)
    mean = float(sample.mean())
    half_width = float(stats.t.ppf(0.5 + confidence / 2, len(sample) - 1) * sample.std(ddof=1) / math.sqrt(len(sample)))
    return mean, mean - half_width, mean + half_width


def normal_interval(value: float, standard_error: float, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Return (value, low, high): the normal-approximation interval of one estimate."""
    half_width = float(stats.norm.ppf(0.5 + confidence / 2)) * standard_error
    return value, value - half_width, value + half_width


def log_p_below_zero(values: list[float], standard_errors: list[float]) -> float:
    """Return the natural log of the one-sided p-value for 'the mean of the estimated quantity is >= 0'.

    With two or more values this is Student's t-test over them; with one value it is the
    normal test with the value's own standard error.
    """
    sample = np.asarray(values, dtype=np.float64)
    if len(sample) == 1:
        return float(stats.norm.logcdf(sample[0] / standard_errors[0]))
    spread = sample.std(ddof=1)
    if spread == 0:
        return -math.inf if sample.mean() < 0 else 0.0
    statistic = sample.mean() / (spread / math.sqrt(len(sample)))
    return float(stats.t.logcdf(statistic, len(sample) - 1))
