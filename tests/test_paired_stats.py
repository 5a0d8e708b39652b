"""bench/paired.py against independent computations: scipy's exact binomial test and chi-square test, published
worked examples of Newcombe's intervals, a Wilson interval solved from its score equation, a simulation of coverage,
the exact McNemar test's power, and Holm's procedure written as a step-down loop."""
from __future__ import annotations

import math

import numpy as np
import pytest

scipy_stats = pytest.importorskip("scipy.stats")
from scipy.optimize import brentq  # noqa: E402

from bench import paired  # noqa: E402


# --- McNemar ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("a_only, b_only", [
    (0, 0), (0, 1), (1, 0), (3, 3), (0, 5), (6, 16), (16, 6), (1, 40), (37, 51), (200, 260), (5000, 5300),
    (40000, 41000), (0, 2000), (12345, 12346),
])
def test_mcnemar_is_scipys_exact_binomial_test_on_the_discordant_pairs(a_only, b_only):
    got = paired.mcnemar_exact(a_only, b_only)
    want = 1.0 if a_only + b_only == 0 else scipy_stats.binomtest(a_only, a_only + b_only, 0.5).pvalue
    assert got == pytest.approx(want, rel=1e-9, abs=1e-300)


def test_mcnemar_on_a_published_table():
    # Cavo et al. (2012) as Fagerland, Lydersen & Laake's book tabulates it: 6 and 16 discordant pairs,
    # exact conditional McNemar P = 0.052479.
    assert paired.mcnemar_exact(6, 16) == pytest.approx(0.052479, abs=1e-6)
    with pytest.raises(ValueError):
        paired.mcnemar_exact(-1, 3)


# --- Newcombe's intervals -----------------------------------------------------------------------------------------
def wilson_by_root(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson interval as the two p where the score statistic |k/n - p| / sqrt(p(1-p)/n) equals z."""
    score = lambda p: (k / n - p) ** 2 - z * z * p * (1 - p) / n  # noqa: E731
    inside = min(max(k / n, 1e-12), 1 - 1e-12)  # at 0 and 1 the score equation has a second, spurious root
    lo = 0.0 if k == 0 else brentq(score, 1e-15, inside)
    hi = 1.0 if k == n else brentq(score, inside, 1 - 1e-15)
    return lo, hi


def newcombe_paired_independently(both, a_only, b_only, neither):
    """Newcombe (1998), paired method 10, from his paper's description, with the 2x2 table as numpy arrays."""
    table = np.array([[both, a_only], [b_only, neither]], dtype=float)  # rows: a right/wrong; cols: b right/wrong
    n = table.sum()
    pa, pb = table[0].sum() / n, table[:, 0].sum() / n
    la, ua = wilson_by_root(int(table[0].sum()), int(n))
    lb, ub = wilson_by_root(int(table[:, 0].sum()), int(n))
    margins = np.prod([table[0].sum(), table[1].sum(), table[:, 0].sum(), table[:, 1].sum()])
    det = np.linalg.det(table)  # ad - bc
    if margins == 0:
        phi = 0.0
    else:
        phi = (det - n / 2 if det > n / 2 else min(det, 0.0)) / math.sqrt(margins)
    d = pb - pa
    return (d - math.sqrt((pb - lb) ** 2 - 2 * phi * (pb - lb) * (ua - pa) + (ua - pa) ** 2),
            d + math.sqrt((ub - pb) ** 2 - 2 * phi * (ub - pb) * (pa - la) + (pa - la) ** 2))


def test_newcombe_paired_on_a_published_example():
    # Cavo et al. (2012) in Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables", ch. 8:
    # 59 both, 6 and 16 discordant, 80 neither: estimate -0.0621, Newcombe square-and-add 95 % CI -0.1186 to -0.0046.
    # Here a is the second treatment (right 59 + 16 times), b the first (59 + 6): b - a = -10/161.
    lo, hi = paired.newcombe_paired(59, 16, 6, 80)
    assert (lo, hi) == pytest.approx((-0.1186, -0.0046), abs=5e-5)


@pytest.mark.parametrize("table", [(59, 16, 6, 80), (10, 0, 0, 0), (0, 0, 0, 7), (5, 5, 0, 0), (1, 2, 3, 4),
                                   (285, 37, 51, 24), (100, 1, 9, 0), (0, 12, 3, 0), (40, 0, 9, 1)])
def test_newcombe_paired_agrees_with_an_independent_implementation(table):
    got = paired.newcombe_paired(*table)
    want = newcombe_paired_independently(*table)
    assert got == pytest.approx((max(-1, want[0]), min(1, want[1])), abs=1e-9)
    d = (table[2] - table[1]) / sum(table)
    assert got[0] <= d <= got[1]


def test_newcombe_paired_covers_about_95_percent():
    """Simulated: 2,000 tables of n = 60 from a correlated pair with a true difference of 0.1."""
    rng = np.random.default_rng(7)
    probs = np.array([0.55, 0.05, 0.15, 0.25])  # both, a only, b only, neither: b - a = 0.10
    hits = 0
    for counts in rng.multinomial(60, probs, size=2000):
        lo, hi = paired.newcombe_paired(*map(int, counts))
        hits += lo <= 0.10 <= hi
    assert 0.93 <= hits / 2000 <= 0.975


@pytest.mark.parametrize("ka, na, kb, nb, lo, hi", [
    # Newcombe (1998) "Interval estimation for the difference between independent proportions", Table II, method 10
    (48, 80, 56, 70, 0.0524, 0.3339),
    (3, 10, 9, 10, 0.1705, 0.8090),
])
def test_newcombe_unpaired_matches_published_values(ka, na, kb, nb, lo, hi):
    assert paired.newcombe_unpaired(ka, na, kb, nb) == pytest.approx((lo, hi), abs=1e-4)


@pytest.mark.parametrize("ka, na, kb, nb", [(48, 80, 56, 70), (3, 10, 9, 10), (30, 30, 28, 30), (0, 40, 5, 50)])
def test_two_proportion_test_is_pearsons_chi_square_without_correction(ka, na, kb, nb):
    table = [[ka, na - ka], [kb, nb - kb]]
    want = scipy_stats.chi2_contingency(table, correction=False).pvalue
    assert paired.two_proportion_test(ka, na, kb, nb) == pytest.approx(want, rel=1e-9)
    assert paired.two_proportion_test(10, 10, 20, 20) == 1.0  # both always right: nothing can differ


# --- minimum detectable effect ------------------------------------------------------------------------------------
def exact_mcnemar_power(n: int, psi: float, delta: float) -> float:
    """Power of the exact McNemar test at 5 %: the discordant count m ~ Bin(n, psi), then b ~ Bin(m, pi)."""
    pi = (psi + delta) / (2 * psi)
    power = 0.0
    ms = np.arange(n + 1)
    weights = scipy_stats.binom.pmf(ms, n, psi)
    for m, w in zip(ms, weights):
        if w < 1e-12 or m == 0:
            continue
        ks = np.arange(m // 2 + 1)
        crit = ks[2 * scipy_stats.binom.cdf(ks, m, 0.5) <= 0.05]
        if not len(crit):
            continue
        k = crit.max()
        power += w * (scipy_stats.binom.cdf(k, m, pi) + scipy_stats.binom.sf(m - k - 1, m, pi))
    return power


@pytest.mark.parametrize("n, psi", [(400, 0.2), (1000, 0.1), (2000, 0.3)])
def test_mde_paired_has_80_percent_power_under_the_exact_test(n, psi):
    mde = paired.mde_paired(n, round(psi * n))
    assert exact_mcnemar_power(n, psi, mde) == pytest.approx(0.80, abs=0.03)
    assert exact_mcnemar_power(n, psi, mde * 0.6) < 0.6  # smaller effects are missed more often than not
    # Connor's sample-size formula, the inverse, gives back n
    assert paired.n_for_paired(mde, psi) == pytest.approx(n, rel=0.01)


def test_mde_paired_is_nan_where_no_difference_is_detectable():
    assert math.isnan(paired.mde_paired(397, 0))
    assert math.isnan(paired.mde_paired(397, 4))  # 4 disagreements: even 4 to 0 gives p = 0.125
    assert paired.mde_paired(397, 40) < paired.mde_paired(100, 10)  # same share, more instances: smaller MDE


def test_n_help_figures_are_the_formulas():
    """`isabench run --n`'s help: s = 0.2, d = 5 points needs n ≈ 630; ±1/√n is the widest Wilson half-width."""
    from bench import cli

    parser, _ = cli.build_parser(["run"])
    text = " ".join(parser._subparsers._group_actions[0].choices["run"].format_help().split())
    assert "n ≈ 630" in text and round(paired.n_for_paired(0.05, 0.2), -1) == 630
    lo, hi = paired.wilson(500, 1000)
    assert (hi - lo) / 2 == pytest.approx(0.031, abs=5e-4) and "±3.1 points at 1000" in text


def test_mde_unpaired_is_the_normal_approximation():
    za, zb = scipy_stats.norm.ppf(0.975), scipy_stats.norm.ppf(0.8)
    assert paired.mde_unpaired(100, 200, 0.7) == pytest.approx((za + zb) * math.sqrt(0.21 * (1 / 100 + 1 / 200)))
    assert math.isnan(paired.mde_unpaired(100, 100, 1.0))


# --- Holm ---------------------------------------------------------------------------------------------------------
def holm_rejections(pvalues, alpha=0.05):
    """Holm's procedure as he stated it: walk the sorted p-values, reject while p_(k) <= alpha / (m - k + 1)."""
    order = np.argsort(pvalues)
    rejected = np.zeros(len(pvalues), bool)
    for k, i in enumerate(order):
        if pvalues[i] > alpha / (len(pvalues) - k):
            break
        rejected[i] = True
    return rejected


def test_holm_adjusted_values_reject_what_holms_procedure_rejects():
    rng = np.random.default_rng(3)
    for _ in range(200):
        p = list(rng.uniform(0, 0.08, size=int(rng.integers(1, 12))))
        adjusted = paired.holm(p)
        assert list(np.array(adjusted) < 0.05) == list(holm_rejections(np.array(p)))
        assert all(a >= q for a, q in zip(adjusted, p))
    assert paired.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    out = paired.holm([0.01, math.nan, 0.02])
    assert out[0] == pytest.approx(0.02) and math.isnan(out[1]) and out[2] == pytest.approx(0.02)


# --- time ratios --------------------------------------------------------------------------------------------------
def test_time_ratio_is_a_ratio_of_medians_with_a_bootstrap_interval():
    rng = np.random.default_rng(11)
    a = list(rng.lognormal(np.log(1e-3), 0.2, size=40))
    b = list(rng.lognormal(np.log(2e-3), 0.2, size=30))
    ratio, lo, hi = paired.time_ratio(a, b)
    assert ratio == pytest.approx(np.median(b) / np.median(a))
    assert lo < ratio < hi and paired.time_ratio(a, b) == (ratio, lo, hi)  # deterministic
    ref = scipy_stats.bootstrap((np.array(a), np.array(b)), lambda x, y: np.median(y) / np.median(x),
                                vectorized=False, paired=False, method="percentile", n_resamples=4000,
                                random_state=np.random.default_rng(1)).confidence_interval
    assert (lo, hi) == pytest.approx((ref.low, ref.high), rel=0.04)


def test_time_ratio_needs_two_batches_for_an_interval():
    ratio, lo, hi = paired.time_ratio([2.0], [3.0, 3.0])
    assert ratio == 1.5 and math.isnan(lo) and math.isnan(hi)
    assert paired.time_ratio([1.0, 1.0, 1.0], [4.0, 4.0]) == (4.0, 4.0, 4.0)
    assert all(math.isnan(x) for x in paired.time_ratio([], [1.0]))
