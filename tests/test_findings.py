"""findings: the headlines as data, their verdicts, sentences and the organisation's own
comparisons (Holm across the page, intervals that agree with the verdicts)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from conftest import SMALL
from engagement import clean, findings, privacy, schema, stats


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from engagement.sources import demo

    root = tmp_path_factory.mktemp("findings")
    demo.write_demo(root / "raw", **SMALL)
    path = clean.prepare("demo", root / "raw", name="demo", processed_root=root / "processed",
                         key=b"findings-test-key")
    return schema.read_dataset(path)


@pytest.fixture(scope="module")
def heads(dataset):
    return findings.headlines(dataset, campaign="Spring 2026 recruitment")


# --- Holm, and intervals that agree with it -------------------------------------------------

def test_holm_equals_statsmodels():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(3)
    for _ in range(50):
        p = rng.uniform(0, 0.2, size=rng.integers(1, 8))
        reject, adjusted, _, _ = multipletests(p, method="holm")
        ours, rejected = stats.holm(p)
        np.testing.assert_allclose(ours, adjusted)
        assert (rejected == reject).all()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(-4, 4), min_size=1, max_size=8))
def test_holm_levels_give_intervals_that_agree_with_the_verdicts(zs):
    """A normal test and its interval with the same standard error: the interval at the
    level holm_levels gives excludes 0 exactly when Holm rejects, in both directions."""
    z = np.asarray(zs)
    p = 2 * scipy_stats.norm.sf(np.abs(z))
    _, rejected = stats.holm(p)
    levels = stats.holm_levels(p)
    half = scipy_stats.norm.isf(levels / 2)            # the estimate is z, its SE 1
    excludes = (z - half > 0) | (z + half < 0)
    assert (excludes == rejected).all()


# --- the headlines -------------------------------------------------------------------------

def test_one_headline_per_question_in_order(heads):
    assert [h.question for h in heads] == list(findings.QUESTIONS)
    assert all(h.result is not None for h in heads)     # the demo answers every question
    retention, channels, blended, community, drivers = heads
    assert retention.result.kind == "retention.return_after_k"
    assert retention.result.table["k"].iloc[retention.row] == 1
    assert channels.unit == "points" and channels.null == 0
    assert community.unit == "ratio" and community.null == 1
    assert drivers.result.table["term"].iloc[drivers.row] != "Intercept"


def test_a_verdict_never_contradicts_its_interval(heads):
    """Both directions, on the Results: no "no clear difference" beside an interval that
    excludes the null, no "clear" verdict beside one that covers it."""
    for head in heads:
        said = findings.verdict(head)
        if head.null is None:
            assert said == "not measured"
            continue
        low, high = head.value(head.low), head.value(head.high)
        covers = low <= head.null <= high
        assert (said == "no clear difference") == covers, head.question
        sentence = findings.summary_sentence(head)
        assert said in sentence and "between" in sentence


def test_summary_sentences_have_a_number_its_range_in_words_and_a_meaning(heads):
    sentences = findings.summary_sentences(heads)
    assert 3 <= len(sentences) <= 5
    for sentence in sentences:
        assert re.search(r"\d", sentence) and re.search(r"between \S+ and \S+", sentence)
        assert sentence.count(".") >= 2        # the number, then what it means


def test_what_to_try_next_names_the_channel(heads):
    channels = heads[1]
    name = {"linkedin": "LinkedIn", "x": "X", "facebook": "Facebook"}[
        channels.result.table["channel"].iloc[channels.row]]
    assert name in findings.try_next(channels)


def test_the_recommendations_table_has_one_row_per_question(heads):
    table = findings.recommendations(heads).table
    assert table["question"].tolist() == list(findings.QUESTIONS.values())
    assert (table["found"] == [findings.summary_sentence(h) for h in heads]).all()


def test_a_hidden_headline_number_is_said_to_be_too_small(heads):
    retention = heads[0]
    res = retention.result
    tiny = res.with_table(res.table.assign(at_risk=res.table["at_risk"].clip(upper=4),
                                           returned=res.table["returned"].clip(upper=2)))
    shown = retention.map_results(lambda r: privacy.control(tiny, min_size=5))
    assert not shown.shown and findings.verdict(shown) == "too few learners to say"
    sentence = findings.summary_sentence(shown)
    assert "too few learners" in sentence and "%" not in sentence


# --- an organisation against the others ------------------------------------------------------

def test_organisation_comparisons_match_statsmodels(dataset):
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import test_proportions_2indep

    own = sorted(dataset.learners["organisation"].dropna().unique())[0]
    res = findings.organisation_comparisons(dataset, own)
    table = res.table
    assert res.partition == "comparison" and res.design == "observational"
    ours = table[table["comparison"] == own]
    rest = table[table["comparison"] != own]
    p = []
    for (_, a), (_, b) in zip(ours.iterrows(), rest.iterrows()):
        test = test_proportions_2indep(a["x"], a["n"], b["x"], b["n"], method="wald",
                                       correction=False)
        assert a["p_value"] == pytest.approx(test.pvalue, rel=1e-9)
        assert a["difference"] == pytest.approx(a["x"] / a["n"] - b["x"] / b["n"])
        p.append(test.pvalue)
    _, adjusted, _, _ = multipletests(p, method="holm")
    np.testing.assert_allclose(ours["p_holm"], adjusted)
    # each interval agrees with Holm's verdict
    for (_, row), adj in zip(ours.iterrows(), adjusted):
        excludes = row["diff_low"] > 0 or row["diff_high"] < 0
        assert excludes == (adj <= 0.05)


def test_an_organisations_sentences_say_too_few_where_its_numbers_are_hidden(dataset):
    counts = dataset.learners["organisation"].value_counts()
    small = counts.index[-1]
    res = findings.organisation_comparisons(dataset, small)
    shown = privacy.control(res, min_size=max(5, int(counts.iloc[-1]) + 1), own=small)
    said = findings.organisation_verdicts(shown, small)
    assert said and all("too few learners" in s for s in said.values())
    researcher = findings.organisation_verdicts(res, small)
    assert any(re.search(r"\d+%", s) for s in researcher.values())  # (as computed)
    sentences = findings.summary_sentences(findings.headlines(dataset), comparison=shown,
                                           own=small)
    assert 3 <= len(sentences) <= 5 and sentences[-1].startswith("Across the whole community")


def test_organisation_comparisons_refuse_an_unknown_organisation(dataset):
    with pytest.raises(ValueError, match="not in the learners table"):
        findings.organisation_comparisons(dataset, "No Such Organisation")


def test_own_versus_rest_groups_the_learners():
    learners = pd.DataFrame({"organisation": ["A", "B", None]})
    got = schema.own_versus_rest(learners, own="A")["comparison"].tolist()
    assert got == ["A", schema.REST_LABEL, schema.REST_LABEL]


def test_an_organisations_next_step_is_worded_from_its_own_comparison(dataset, heads):
    learners = dataset.learners
    for own in sorted(learners["organisation"].dropna().unique()):
        res = findings.organisation_comparisons(dataset, own)
        table = res.table[res.table["comparison"] == own].set_index("question")
        for head in heads:
            said = findings.try_next_sentence(head, comparison=res, own=own)
            assert said.startswith("**What to try next.** ")
            if head.question not in table.index:
                assert said == findings.try_next_sentence(head)
                continue
            low, high = table.loc[head.question, ["diff_low", "diff_high"]]
            if high < 0:
                assert own in said and "than elsewhere" in said
            elif low > 0:
                assert f"More of {own}'s learners" in said
            else:
                assert said == findings.try_next_sentence(head)
