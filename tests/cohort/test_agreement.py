"""cohort.agreement recovers known agreement: simulated cohorts whose population ICC, bias,
limits of agreement, Spearman's rho and weighted kappa are known in closed form."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("pingouin")
pytest.importorskip("statsmodels")

from synkinesis.cohort.agreement import (  # noqa: E402
    MEAN_OF_RATERS,
    AgreementInputError,
    agreement_frame,
    agreement_to_dict,
    compute_agreement,
    measure_agreement,
    paired_scores,
)

Z = 1.959963984540054


# --------------------------------------------------------------------------------------------
# simulated cohorts with a known truth


def simulate_continuous(n: int, *, rng: np.random.Generator, latent_sd: float = 15.0,
                        clinician_sd: float = 4.0, automatic_sd: float = 6.0,
                        bias: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """clinician = latent + e1, automatic = latent + bias + e2 (normal, independent)."""
    latent = rng.normal(50.0, latent_sd, n)
    clinician = latent + rng.normal(0.0, clinician_sd, n)
    automatic = latent + bias + rng.normal(0.0, automatic_sd, n)
    return automatic, clinician


def true_icc_agreement(latent_sd: float, clinician_sd: float, automatic_sd: float,
                       bias: float) -> float:
    """Population ICC(A,1) for two raters: 2 cov / (var A + var C + (mean A - mean C)^2)
    (McGraw & Wong 1996, two raters; the expectation of the mean-square estimator)."""
    return 2 * latent_sd**2 / (2 * latent_sd**2 + clinician_sd**2 + automatic_sd**2 + bias**2)


def true_icc_consistency(latent_sd: float, clinician_sd: float, automatic_sd: float) -> float:
    return 2 * latent_sd**2 / (2 * latent_sd**2 + clinician_sd**2 + automatic_sd**2)


def true_spearman(latent_sd: float, clinician_sd: float, automatic_sd: float) -> float:
    """Bivariate normal: rho_S = 6/pi * asin(r/2) with r the Pearson correlation."""
    r = latent_sd**2 / math.sqrt((latent_sd**2 + clinician_sd**2)
                                 * (latent_sd**2 + automatic_sd**2))
    return 6 / math.pi * math.asin(r / 2)


def covers(estimate, truth: float) -> bool:
    return estimate.low <= truth <= estimate.high


def test_large_cohort_recovers_icc_bias_limits_and_rho():
    rng = np.random.default_rng(20261207)
    latent_sd, clinician_sd, automatic_sd, bias = 15.0, 4.0, 6.0, 3.0
    automatic, clinician = simulate_continuous(3000, rng=rng)
    result = measure_agreement(automatic, clinician)
    sd = math.hypot(clinician_sd, automatic_sd)
    truths = {
        "icc_agreement": true_icc_agreement(latent_sd, clinician_sd, automatic_sd, bias),
        "icc_consistency": true_icc_consistency(latent_sd, clinician_sd, automatic_sd),
        "bias": bias,
        "loa_lower": bias - Z * sd,
        "loa_upper": bias + Z * sd,
        "spearman": true_spearman(latent_sd, clinician_sd, automatic_sd),
    }
    tolerances = {"icc_agreement": 0.01, "icc_consistency": 0.01, "bias": 0.3,
                  "loa_lower": 0.6, "loa_upper": 0.6, "spearman": 0.01}
    for name, truth in truths.items():
        estimate = getattr(result, name)
        assert covers(estimate, truth), (name, estimate, truth)
        assert estimate.value == pytest.approx(truth, abs=tolerances[name]), name
    assert result.sd_difference == pytest.approx(sd, rel=0.03)
    assert result.kappa is None  # continuous: no kappa
    assert result.n == 3000 and result.notes == ()


def test_bland_altman_and_spearman_intervals_have_their_nominal_coverage():
    """The hand-written intervals (exact LoA, Bonett-Wright rho, t bias) cover the truth in
    about 95 % of small seeded cohorts."""
    rng = np.random.default_rng(7)
    latent_sd, clinician_sd, automatic_sd, bias = 15.0, 4.0, 6.0, 3.0
    sd = math.hypot(clinician_sd, automatic_sd)
    truths = {"bias": bias, "loa_lower": bias - Z * sd, "loa_upper": bias + Z * sd,
              "spearman": true_spearman(latent_sd, clinician_sd, automatic_sd)}
    hits = dict.fromkeys(truths, 0)
    replicates = 300
    from synkinesis.cohort import agreement

    for _ in range(replicates):
        automatic, clinician = simulate_continuous(25, rng=rng)
        estimates = dict(zip(("bias", "sd", "loa_lower", "loa_upper"),
                             agreement._bland_altman(automatic, clinician)))
        estimates["spearman"] = agreement._spearman(automatic, clinician, [])
        for name, truth in truths.items():
            hits[name] += covers(estimates[name], truth)
    for name, count in hits.items():
        assert 0.91 <= count / replicates <= 0.99, (name, count / replicates)


def test_icc_interval_covers_the_truth_in_most_cohorts():
    rng = np.random.default_rng(11)
    truth = true_icc_agreement(15.0, 4.0, 6.0, 3.0)
    replicates = 60
    hits = sum(covers(measure_agreement(*simulate_continuous(30, rng=rng)).icc_agreement, truth)
               for _ in range(replicates))
    assert hits / replicates >= 0.85


def test_perfect_agreement():
    grades = np.array([1, 2, 3, 4, 5, 6, 2, 3, 4, 3])
    result = measure_agreement(grades, grades, categories=range(1, 7))
    assert result.icc_agreement.value == pytest.approx(1.0)
    assert result.icc_consistency.value == pytest.approx(1.0)
    assert result.kappa.value == pytest.approx(1.0)
    assert result.bias.value == 0 and result.loa_lower.value == 0 and result.loa_upper.value == 0
    assert result.spearman.value == pytest.approx(1.0)
    assert result.icc_consistency.low == pytest.approx(1.0)
    assert result.icc_consistency.high <= 1.0 and result.kappa.low == 1.0


# --------------------------------------------------------------------------------------------
# weighted kappa against a direct formula


def direct_quadratic_kappa(table: np.ndarray) -> float:
    """kappa_w = 1 - sum(w * observed) / sum(w * expected), w_ij = (i - j)^2 (Cohen 1968)."""
    k = table.shape[0]
    weights = (np.arange(k)[:, None] - np.arange(k)[None, :]) ** 2
    observed = table / table.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    return 1 - (weights * observed).sum() / (weights * expected).sum()


def pairs_from_table(table: np.ndarray, categories) -> tuple[np.ndarray, np.ndarray]:
    automatic, clinician = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            automatic += [categories[i]] * int(count)
            clinician += [categories[j]] * int(count)
    return np.array(automatic, float), np.array(clinician, float)


#: House-Brackmann grades I..VI: automatic (rows) x clinician (columns), mostly within a grade.
HB_CONFUSION = np.array([
    [12, 3, 0, 0, 0, 0],
    [2, 14, 4, 0, 0, 0],
    [0, 3, 15, 3, 1, 0],
    [0, 0, 2, 10, 3, 0],
    [0, 0, 0, 2, 7, 1],
    [0, 0, 0, 0, 1, 5],
])


def test_weighted_kappa_matches_the_direct_formula_and_scikit_learn():
    automatic, clinician = pairs_from_table(HB_CONFUSION, list(range(1, 7)))
    result = measure_agreement(automatic, clinician, categories=range(1, 7))
    expected = direct_quadratic_kappa(HB_CONFUSION)
    assert result.kappa.value == pytest.approx(expected, abs=1e-12)
    assert result.kappa.low < expected < result.kappa.high
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    assert result.kappa.value == pytest.approx(sklearn_metrics.cohen_kappa_score(
        automatic, clinician, weights="quadratic"), abs=1e-12)


def test_unobserved_categories_still_count_in_the_weights():
    """Sunnybrook synkinesis 0..3 where nobody scored 3: weights come from the instrument's
    categories, not from the values that happen to occur."""
    table = np.array([[5, 2, 0, 0], [1, 6, 2, 0], [0, 1, 4, 0], [0, 0, 0, 0]])
    automatic, clinician = pairs_from_table(table, [0, 1, 2, 3])
    result = measure_agreement(automatic, clinician, categories=[0, 1, 2, 3])
    assert result.kappa.value == pytest.approx(direct_quadratic_kappa(table), abs=1e-12)


def test_kappa_interval_has_about_nominal_coverage():
    """Multinomial samples from a known joint distribution of grades: the Wald interval from
    statsmodels' variance covers the population kappa in about 95 % of them."""
    probabilities = HB_CONFUSION / HB_CONFUSION.sum()
    truth = direct_quadratic_kappa(probabilities)
    rng = np.random.default_rng(3)
    replicates, hits = 300, 0
    from synkinesis.cohort import agreement

    for _ in range(replicates):
        table = rng.multinomial(150, probabilities.ravel()).reshape(probabilities.shape)
        kappa = agreement._weighted_kappa(*pairs_from_table(table, list(range(1, 7))),
                                          range(1, 7), [])
        hits += kappa.low <= truth <= kappa.high
    assert 0.90 <= hits / replicates <= 0.99


# --------------------------------------------------------------------------------------------
# invariants


grades = st.lists(st.integers(1, 6), min_size=5, max_size=30)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_swapping_automatic_and_clinician(data):
    automatic = np.array(data.draw(grades), float)
    clinician = np.array(data.draw(st.lists(st.integers(1, 6), min_size=len(automatic),
                                            max_size=len(automatic))), float)
    forward = measure_agreement(automatic, clinician, categories=range(1, 7))
    backward = measure_agreement(clinician, automatic, categories=range(1, 7))
    for name in ("icc_agreement", "icc_consistency", "kappa", "spearman"):
        one, other = getattr(forward, name), getattr(backward, name)
        assert (one is None) == (other is None), name
        if one is not None:
            assert other.value == pytest.approx(one.value, abs=1e-9), name
            if one.low is not None:
                # interval bounds come from variance estimates: equal to rounding (1e-7 seen)
                assert other.low == pytest.approx(one.low, abs=1e-6), name
                assert other.high == pytest.approx(one.high, abs=1e-6), name
    assert backward.bias.value == pytest.approx(-forward.bias.value, abs=1e-12)
    assert backward.bias.low == pytest.approx(-forward.bias.high, abs=1e-12)
    assert backward.loa_lower.value == pytest.approx(-forward.loa_upper.value, abs=1e-12)
    assert backward.loa_lower.low == pytest.approx(-forward.loa_upper.high, abs=1e-12)
    assert backward.loa_upper.high == pytest.approx(-forward.loa_lower.low, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(0, 100, allow_nan=False), min_size=5, max_size=30),
       shift=st.floats(-20, 20, allow_nan=False))
def test_a_constant_offset_moves_only_the_bias_and_the_absolute_icc(values, shift):
    rng = np.random.default_rng(len(values))
    clinician = np.array(values)
    automatic = clinician + rng.normal(0, 3, len(values))
    base = measure_agreement(automatic, clinician)
    moved = measure_agreement(automatic + shift, clinician)
    assert moved.bias.value == pytest.approx(base.bias.value + shift, abs=1e-6)
    assert moved.sd_difference == pytest.approx(base.sd_difference, abs=1e-6)
    if base.icc_consistency is not None:
        assert moved.icc_consistency.value == pytest.approx(base.icc_consistency.value,
                                                            abs=1e-6)
    if base.spearman is not None:
        assert moved.spearman.value == pytest.approx(base.spearman.value, abs=1e-9)


def test_too_few_pairs_gives_no_numbers():
    result = measure_agreement([1, 2, 3, 4], [1, 2, 3, 3], categories=range(1, 7))
    assert not result.enough_pairs
    assert result.icc_agreement is None and result.kappa is None and result.bias is None
    assert result.notes == ("not enough pairs (4 < 5)",)


def test_no_variation_is_explained_not_crashed():
    result = measure_agreement([2] * 6, [2] * 6, categories=range(1, 7))
    assert result.icc_agreement is None and result.kappa is None and result.spearman is None
    assert result.bias.value == 0
    assert len(result.notes) == 3


# --------------------------------------------------------------------------------------------
# the tidy table


def tidy(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["recording", "instrument", "item", "automatic",
                                       "clinician"])


def hb_table(n: int = 8) -> pd.DataFrame:
    names = ["I", "II", "III", "IV", "V", "VI"]
    return tidy([(f"r{i}", "hb", "grade", names[i % 6], (i % 6) + 1) for i in range(n)])


def test_choice_names_aliases_and_order():
    table = pd.concat([
        hb_table(),
        tidy([(f"r{i}", "Sunnybrook", "rest_eye", "narrow" if i % 2 else "normal", i % 2)
              for i in range(8)]),
    ])
    results = compute_agreement(table)
    assert [(r.instrument, r.item) for r in results] == [("sunnybrook", "rest_eye"),
                                                          ("house_brackmann", "grade")]
    assert all(r.statistics.kappa.value == pytest.approx(1.0) for r in results)
    assert results[1].label and results[1].ordinal


def test_missing_scores_are_left_out_and_counted():
    table = hb_table(9)
    table["automatic"] = table["automatic"].astype(object)
    table.loc[0, "automatic"] = None
    table.loc[1, "clinician"] = np.nan
    table.loc[2, "automatic"] = "  "
    (result,) = compute_agreement(table)
    assert result.n == 6 and result.n_missing == 3


def test_eface_static_items_are_compared_on_raw_values():
    rng = np.random.default_rng(1)
    raw = rng.uniform(60, 140, 10)
    table = tidy([(f"r{i}", "eface", "brow_rest", value + 2, value)
                  for i, value in enumerate(raw)])
    (result,) = compute_agreement(table)
    assert result.compared_on == "raw" and not result.ordinal
    assert result.statistics.bias.value == pytest.approx(2.0)
    assert result.statistics.kappa is None


def test_total_pseudo_item():
    rng = np.random.default_rng(2)
    composite = rng.integers(10, 90, 12)
    table = tidy([(f"r{i}", "sunnybrook", "total", v + 1, v) for i, v in enumerate(composite)])
    (result,) = compute_agreement(table)
    assert result.item == "total" and result.statistics.bias.value == pytest.approx(1.0)
    with pytest.raises(AgreementInputError, match="total must be a number from -15 to 100"):
        compute_agreement(tidy([("r1", "sunnybrook", "total", 150, 3)]))


def test_several_raters_one_row_each_and_their_mean():
    rng = np.random.default_rng(5)
    rows = []
    for i in range(12):
        automatic = int(rng.integers(1, 7))
        for rater in ("A", "B"):
            clinician = int(np.clip(automatic + rng.integers(-1, 2), 1, 6))
            rows.append((f"r{i}", "hb", "grade", automatic, clinician, rater))
    table = pd.DataFrame(rows, columns=["recording", "instrument", "item", "automatic",
                                        "clinician", "rater"])
    results = compute_agreement(table)
    assert [r.rater for r in results] == ["A", "B", MEAN_OF_RATERS]
    assert all(r.n == 12 for r in results)
    mean = results[2]
    assert mean.statistics.kappa is None and mean.statistics.icc_agreement is not None
    assert any("mean is not a category" in note for note in mean.statistics.notes)
    by_hand = table.groupby("recording").agg(a=("automatic", "first"), c=("clinician", "mean"))
    assert mean.statistics.bias.value == pytest.approx((by_hand.a - by_hand.c).mean())


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t.drop(columns=["clinician"]),
     "must have the columns recording, instrument, item, automatic, clinician.*missing: "
     "clinician"),
    (lambda t: t.assign(instrument="hbx"), "unknown instrument 'hbx'"),
    (lambda t: t.assign(item="grades"), "house_brackmann has no item 'grades'; items are: "
                                        "grade"),
    (lambda t: t.assign(clinician=7), r"row 1 \(clinician\): house_brackmann item 'grade' "
                                      r"must be one of 1, 2, 3, 4, 5, 6"),
    (lambda t: pd.concat([t, t.iloc[:1]]), "recording r0 has more than one row"),
])
def test_bad_tables_are_refused_with_what_was_expected(change, message):
    with pytest.raises(AgreementInputError, match=message):
        compute_agreement(change(hb_table()))


def test_automatic_must_be_one_value_per_recording_across_raters():
    table = hb_table(6).assign(rater="A")
    other = table.assign(rater="B")
    other.loc[0, "automatic"] = "VI"
    with pytest.raises(AgreementInputError, match="differs between its rater rows"):
        compute_agreement(pd.concat([table, other]))


def test_instrument_filter():
    table = pd.concat([hb_table(), tidy([(f"r{i}", "fngs2", "eye", 3, 3) for i in range(6)])])
    assert {r.instrument for r in compute_agreement(table, instrument="HB")} == {
        "house_brackmann"}
    with pytest.raises(AgreementInputError, match="no rows of sunnybrook; it has: fngs2, "
                                                  "house_brackmann"):
        compute_agreement(table, instrument="sunnybrook")


def test_frame_and_document_views():
    results = compute_agreement(hb_table(10))
    frame = agreement_frame(results)
    assert list(frame[["instrument", "item", "n"]].iloc[0]) == ["house_brackmann", "grade", 10]
    for column in ("icc", "icc_low", "icc_high", "kappa_low", "loa_upper_high", "spearman"):
        assert column in frame.columns
    document = agreement_to_dict(results, software={"synkinesis": "test"})
    text = json.dumps(document, allow_nan=False)
    assert json.loads(text)["results"][0]["statistics"]["n"] == 10
    assert document["format"] == "synkinesis.agreement" and document["format_version"] == 1


def test_paired_scores_keeps_recordings_as_text():
    pairs = paired_scores(hb_table(6))
    assert list(pairs.columns) == ["instrument", "item", "rater", "recording", "automatic",
                                   "clinician"]
    assert pairs["automatic"].dtype == float and pairs["recording"].iloc[0] == "r0"
