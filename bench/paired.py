"""Statistics for comparing two contestants: pure functions of counts and timings, no records, no tables.

Accuracy, paired (both answered the same instances). Of n shared instances, `both` were right for both, `a_only`
right for a alone, `b_only` for b alone, `neither` for neither. The difference b - a = (b_only - a_only) / n.
- Interval: Newcombe's method 10 for paired proportions (Newcombe 1998, Statistics in Medicine 17:2635; "square and
  add" of the two Wilson score intervals, with the correlation phi of the 2x2 table). Chosen over a paired
  bootstrap because it is closed-form and deterministic (a figure never moves between `isabench report` calls), it
  keeps its coverage at small n and at accuracies near 0 or 100 % (the common case here: the ISA is exact on
  computed tasks), where a bootstrap of b - a collapses to [0, 0] whenever the two never disagree, and it agrees
  with the Wilson intervals the summary shows for each contestant.
- Test: the exact McNemar test, a two-sided exact binomial test of a_only out of a_only + b_only at 1/2; only the
  discordant instances carry information about the difference.
- Minimum detectable effect: the smallest |b - a| the test detects with 80 % power at two-sided 5 %, given n and
  the observed share of discordant instances psi (Connor 1987's normal approximation of McNemar's test):
      sqrt(n) * delta = z_alpha/2 * sqrt(psi) + z_beta * sqrt(psi - delta^2),
  solved for delta in closed form (`mde_paired`). A difference can never exceed psi, so where the solution does,
  no difference is detectable with this many disagreements (NaN).
Accuracy, unpaired (two runs that share no instances): Newcombe's method 10 for independent proportions (Newcombe
1998, Statistics in Medicine 17:873: the same square and add, phi = 0), the pooled two-proportion score test (the
Pearson chi-square test without continuity correction), and the normal-approximation MDE of that test.
Times: the ratio of median per-answer batch times with a percentile bootstrap interval over batches (`time_ratio`).
Many comparisons: Holm's step-down adjustment (`holm`), valid under any dependence between the tests.
"""
from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from bench.stats import Z95, wilson

ALPHA = 0.05  # two-sided level of every test and interval here
POWER = 0.80  # for the minimum detectable effect
Z_POWER = NormalDist().inv_cdf(POWER)  # 0.8416...
BOOTSTRAP = 4000  # resamples for a time ratio's interval: its 2.5 % and 97.5 % points move by < 1 % between seeds
SEED = 20240601  # fixed: the same records always give the same interval


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value: 2 * P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2), capped at 1.

    For a fair coin the two-sided binomial test's "tables no likelier than the observed" and "twice the smaller
    tail" are the same set, so this equals scipy.stats.binomtest(b, b + c, 0.5).pvalue. Summed in floating point
    from the smaller count downwards (the terms shrink geometrically below the mode), so it stays fast and accurate
    (relative error ~1e-12) for any count a run can hold; no discordant instance at all gives 1.
    """
    if a_only < 0 or b_only < 0:
        raise ValueError(f"mcnemar_exact: counts must be >= 0, got {a_only}, {b_only}")
    m, k = a_only + b_only, min(a_only, b_only)
    if m == 0 or 2 * k == m:
        return 1.0
    return min(1.0, 2.0 * binomial_half_cdf(k, m))


def binomial_half_cdf(k: int, m: int) -> float:
    """P(X <= k) for X ~ Binomial(m, 1/2), k < m / 2."""
    log_first = math.lgamma(m + 1) - math.lgamma(k + 1) - math.lgamma(m - k + 1) - m * math.log(2.0)
    term = total = 1.0  # the terms relative to P(X = k), so that tiny tails do not underflow on the way
    for j in range(k, 0, -1):  # C(m, j-1) = C(m, j) * j / (m - j + 1)
        term *= j / (m - j + 1)
        total += term
        if term < total * 1e-17:
            break
    return math.exp(log_first + math.log(total))


def newcombe_paired(both: int, a_only: int, b_only: int, neither: int, z: float = Z95) -> tuple[float, float]:
    """95 % interval for accuracy(b) - accuracy(a) on shared instances (Newcombe 1998 paired, method 10).

    With p_a = (both + a_only) / n and p_b = (both + b_only) / n, their Wilson intervals (l_a, u_a), (l_b, u_b),
    and phi the 2x2 table's correlation (ad - bc over the root of the margins' product, where ad - bc is first
    reduced by n/2 when it exceeds n/2 and set to 0 between 0 and n/2, as Newcombe specifies; 0 when a margin is
    empty):
        lower = D - sqrt((p_b - l_b)^2 - 2 phi (p_b - l_b)(u_a - p_a) + (u_a - p_a)^2)
        upper = D + sqrt((u_b - p_b)^2 - 2 phi (u_b - p_b)(p_a - l_a) + (p_a - l_a)^2)
    """
    n = both + a_only + b_only + neither
    if n == 0:
        return (math.nan, math.nan)
    ra, rb = both + a_only, both + b_only  # right answers of a and of b
    pa, pb = ra / n, rb / n
    la, ua = wilson(ra, n, z)
    lb, ub = wilson(rb, n, z)
    margins = ra * (n - ra) * rb * (n - rb)
    phi = 0.0
    if margins:
        cross = both * neither - a_only * b_only  # of the table (b right / wrong) x (a right / wrong)
        cross = cross - n / 2 if cross > n / 2 else (0.0 if cross >= 0 else cross)
        phi = cross / math.sqrt(margins)
    d = pb - pa
    lower = d - math.sqrt(max(0.0, (pb - lb) ** 2 - 2 * phi * (pb - lb) * (ua - pa) + (ua - pa) ** 2))
    upper = d + math.sqrt(max(0.0, (ub - pb) ** 2 - 2 * phi * (ub - pb) * (pa - la) + (pa - la) ** 2))
    return (max(-1.0, lower), min(1.0, upper))


def newcombe_unpaired(right_a: int, n_a: int, right_b: int, n_b: int, z: float = Z95) -> tuple[float, float]:
    """95 % interval for accuracy(b) - accuracy(a) from independent samples (Newcombe 1998, method 10)."""
    if n_a == 0 or n_b == 0:
        return (math.nan, math.nan)
    pa, pb = right_a / n_a, right_b / n_b
    la, ua = wilson(right_a, n_a, z)
    lb, ub = wilson(right_b, n_b, z)
    d = pb - pa
    return (d - math.hypot(pb - lb, ua - pa), d + math.hypot(ub - pb, pa - la))


def two_proportion_test(right_a: int, n_a: int, right_b: int, n_b: int) -> float:
    """Two-sided p-value of the pooled score test of equal accuracies (Pearson's chi-square on the 2x2 table
    without continuity correction); 1 when both are all right or all wrong, where nothing can differ."""
    if n_a == 0 or n_b == 0:
        return math.nan
    pooled = (right_a + right_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return 1.0
    zstat = (right_b / n_b - right_a / n_a) / se
    return min(1.0, 2 * NormalDist().cdf(-abs(zstat)))


def mde_paired(n: int, discordant: int, alpha: float = ALPHA, power: float = POWER) -> float:
    """Smallest |accuracy difference| McNemar's test detects at `power`, two-sided `alpha`, with n shared instances
    of which `discordant` were answered rightly by exactly one contestant (psi = discordant / n).

    Connor (1987): n = (z_a sqrt(psi) + z_b sqrt(psi - delta^2))^2 / delta^2. Solved for delta:
        delta = sqrt(psi) * (s z_a + z_b sqrt(s^2 - z_a^2 + z_b^2)) / (s^2 + z_b^2),   s = sqrt(n).
    NaN when no instance is discordant, or when that delta exceeds psi (no difference is detectable then: even
    every disagreement going one way would not be significant).
    """
    if n <= 0 or discordant <= 0:
        return math.nan
    za, zb = NormalDist().inv_cdf(1 - alpha / 2), NormalDist().inv_cdf(power)
    psi, s2 = discordant / n, float(n)
    delta = math.sqrt(psi) * (math.sqrt(s2) * za + zb * math.sqrt(max(0.0, s2 - za * za + zb * zb))) / (s2 + zb * zb)
    return delta if delta <= psi else math.nan


def mde_unpaired(n_a: int, n_b: int, accuracy: float, alpha: float = ALPHA, power: float = POWER) -> float:
    """Smallest |accuracy difference| the two-proportion test detects at `power`, two-sided `alpha`, near the
    pooled `accuracy` p: (z_a + z_b) * sqrt(p (1 - p) (1 / n_a + 1 / n_b)). NaN where p is 0 or 1."""
    if n_a <= 0 or n_b <= 0 or not 0 < accuracy < 1:
        return math.nan
    za, zb = NormalDist().inv_cdf(1 - alpha / 2), NormalDist().inv_cdf(power)
    return (za + zb) * math.sqrt(accuracy * (1 - accuracy) * (1 / n_a + 1 / n_b))


def n_for_paired(delta: float, psi: float, alpha: float = ALPHA, power: float = POWER) -> int:
    """Shared instances McNemar's test needs to detect `delta` at `power` when a share `psi` of instances is
    answered rightly by exactly one contestant (Connor 1987); the inverse of `mde_paired`."""
    if not 0 < abs(delta) <= psi <= 1:
        raise ValueError(f"n_for_paired: need 0 < |delta| <= psi <= 1, got delta={delta}, psi={psi}")
    za, zb = NormalDist().inv_cdf(1 - alpha / 2), NormalDist().inv_cdf(power)
    return math.ceil((za * math.sqrt(psi) + zb * math.sqrt(psi - delta * delta)) ** 2 / (delta * delta))


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input's order; NaNs stay NaN and do not count as tests.

    Sorted ascending p_(1) <= ... <= p_(m): adjusted p_(i) = max over j <= i of min(1, (m - j + 1) p_(j)). A test
    is significant at family-wise level alpha when its adjusted p-value is below alpha.
    """
    order = sorted((p, i) for i, p in enumerate(pvalues) if not math.isnan(p))
    m, running, out = len(order), 0.0, [math.nan] * len(pvalues)
    for rank, (p, i) in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


def time_ratio(times_a: list[float], times_b: list[float], resamples: int = BOOTSTRAP,
               seed: int = SEED) -> tuple[float, float, float]:
    """(ratio, low, high): median per-answer batch time of b over a's, with a 95 % percentile bootstrap interval.

    Each list holds one contestant's per-answer times, one per timed batch (batch time / batch size). Medians, not
    means: one batch slowed by a page fault or another process must not move a gate. The bootstrap resamples each
    contestant's batches independently (the two were timed apart), so it needs no assumption about how batch times
    are distributed; with fewer than 2 batches on either side there is no interval (NaN), only the ratio.
    """
    a = np.asarray([t for t in times_a if t is not None and math.isfinite(t)], dtype=float)
    b = np.asarray([t for t in times_b if t is not None and math.isfinite(t)], dtype=float)
    if not len(a) or not len(b) or np.median(a) <= 0:
        return (math.nan, math.nan, math.nan)
    ratio = float(np.median(b) / np.median(a))
    if len(a) < 2 or len(b) < 2:
        return (ratio, math.nan, math.nan)
    rng = np.random.default_rng(seed)
    med_a = np.median(rng.choice(a, (resamples, len(a))), axis=1)
    med_b = np.median(rng.choice(b, (resamples, len(b))), axis=1)
    boot = med_b / np.where(med_a > 0, med_a, np.nan)
    lo, hi = np.nanpercentile(boot, [100 * ALPHA / 2, 100 * (1 - ALPHA / 2)])
    return (ratio, float(lo), float(hi))
