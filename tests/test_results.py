"""The result layer: formatting by unit (stats), the Result type, disclosure control driven by
its metadata (privacy.control) and the renderer (display), with an attacker's linear
programme (tests/attack.py) trying to give hidden cells back."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attack import attack
from engagement import display, privacy, results, stats
from engagement.results import Result, TotalRow

# --- formatting by unit --------------------------------------------------------------------


@pytest.mark.parametrize("p, text", [(0.0, "< 0.001"), (1e-12, "< 0.001"), (0.0004, "< 0.001"),
                                     (0.0012, "0.001"), (0.0123, "0.012"), (0.04999, "0.0499"),
                                     (0.051, "0.051"), (0.36, "0.36"), (1.0, "> 0.99"),
                                     (float("nan"), "not estimable")])
def test_a_p_value_is_never_printed_as_zero(p, text):
    assert stats.format_p(p) == text
    assert stats.p_phrase(p) in (f"p = {text}", f"p {text}")


def test_interval_ends_get_the_decimals_that_keep_them_apart():
    assert stats.format_interval(0.191, 0.194, "share") == "19.1%\u201319.4%"
    assert stats.format_interval(0.02, 0.024, "share") == "2.0%\u20132.4%"
    assert stats.format_interval(0.1, 0.3, "share") == "10%\u201330%"
    assert stats.estimate_with_interval(0.192, 0.191, 0.194, "share") == \
        "19.2% (95% CI 19.1%\u201319.4%)"
    assert stats.estimate_with_interval(1.43, 1.1, 1.9, "ratio", words=True) == \
        "1.43 (between 1.10 and 1.90)"


@settings(max_examples=300, deadline=None)
@given(low=st.floats(0, 1), width=st.floats(1e-6, 1), unit=st.sampled_from(
    ["share", "points", "ratio", "number", "days"]))
def test_two_different_ends_never_print_the_same(low, width, unit):
    high = low + width
    text = stats.format_interval(low, high, unit)
    a, b = text.split("\u2013")
    assert a != b or stats.interval_decimals(unit, low, high) == \
        {"share": 0, "points": 1, "ratio": 2, "number": 2, "days": 0}[unit] + 4
    assert "-0" not in re.sub(r"-0\.0*[1-9]", "", text)


def test_no_minus_zero_inf_or_nan_is_printed():
    assert stats.format_number(-0.001) == "0.00"
    assert stats.format_share(-0.0001) == "0%"
    assert stats.format_points(-0.00001) == "0.0"
    assert stats.format_points(0.013) == "+1.3"
    for value in (float("inf"), float("-inf"), float("nan"), None):
        for unit in ("share", "points", "ratio", "number", "days", "count"):
            expected = "not reached" if unit == "days" and value == float("inf") else \
                "not estimable"
            assert stats.format_value(value, unit) == expected


def test_ratios_stay_ratios_and_points_stay_points():
    assert stats.format_ratio(1.4321) == "1.43"
    assert stats.format_ratio(0.0123) == "0.0123"
    assert stats.points_phrase(0.013, 0.002, 0.024) == \
        "+1.3 percentage points (95% CI +0.2 to +2.4)"


def test_wilson_interval_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    low, high = stats.wilson_interval([3, 0, 50], [10, 10, 50])
    for x, n, lo, hi in zip([3, 0, 50], [10, 10, 50], low, high):
        ref = proportion_confint(x, n, method="wilson")
        assert (lo, hi) == pytest.approx(ref)


# --- the Result type ------------------------------------------------------------------------

def returns_result(rows, *, partition="organisation") -> Result:
    """A return-after-k-like Result: (organisation, k, at_risk, returned) rows."""
    table = pd.DataFrame(rows, columns=["organisation", "k", "at_risk", "returned"])
    table["share"] = table["returned"] / table["at_risk"]
    low, high = stats.wilson_interval(table["returned"], table["at_risk"])
    table["ci_low"], table["ci_high"] = low, high
    table["within_days"] = 14
    ci_low, ci_high = results.interval("share")
    return Result(table, {
        "organisation": results.organisation(), "k": results.label("k"),
        "at_risk": results.count("Learners who had a k-th session"),
        "returned": results.count("Came back", part_of="at_risk"),
        "share": results.share("Share who came back", of="returned", over="at_risk"),
        "ci_low": ci_low, "ci_high": ci_high,
        "within_days": results.Column("number", "Window (days)", technical=True)},
        title="Coming back after the k-th session", n="at_risk", partition=partition,
        constants={"within_days": "Coming back means another session within 14 days."},
        kind="test.returns")


def overall_result(rows) -> Result:
    res = returns_result([("all", *r) for r in rows], partition=None)
    return res.only([c for c in res.columns if c != "organisation"])


def test_a_result_declares_every_column_and_refuses_loose_ends():
    table = pd.DataFrame({"k": [0], "n": [3], "extra": [1]})
    with pytest.raises(ValueError, match="'extra' have no declared kind"):
        Result(table, {"k": results.label("k"), "n": results.count("n")}, title="t")
    with pytest.raises(ValueError, match="refers to 'x'"):
        Result(table.drop(columns="extra"), {"k": results.label("k"),
                                             "n": results.count("n", part_of="x")}, title="t")
    with pytest.raises(ValueError, match="must name its numerator"):
        results.Column("share", "s")
    with pytest.raises(ValueError, match="design"):
        Result(table[["k"]], {"k": results.label("k")}, title="t", design="quasi")


def test_a_result_round_trips_through_its_stored_form():
    res = privacy.control(returns_result([("A", 0, 8, 5), ("B", 0, 40, 20)]), min_size=5)
    back = Result.from_dict(res.to_dict())
    assert back.title == res.title and back.columns == res.columns and back.n == "at_risk"
    pd.testing.assert_frame_equal(back.table, res.table, check_dtype=False)
    pd.testing.assert_frame_equal(back.hidden, res.hidden)
    assert back.audience == "partner"


def test_reading_a_result_reads_its_table_and_where_keeps_the_metadata():
    res = returns_result([("A", 0, 8, 5), ("B", 0, 40, 20)])
    assert list(res.columns)[:4] == ["organisation", "k", "at_risk", "returned"]
    assert res["at_risk"].sum() == 48 and len(res) == 2 and not res.empty
    only_b = res.where(res["organisation"] == "B")
    assert isinstance(only_b, Result) and only_b.table["at_risk"].tolist() == [40]
    narrow = res.only(["share"])           # keeps what the share depends on
    assert list(narrow.columns) == ["at_risk", "returned", "share"]


# --- disclosure control from the metadata ------------------------------------------------------

def test_a_share_beside_a_hidden_count_is_hidden_with_its_interval():
    res = privacy.control(returns_result([("A", 1, 8, 2), ("B", 1, 60, 30), ("C", 1, 50, 25)]),
                          min_size=5)
    a = 0
    assert res.is_hidden(a, "returned") and res.is_hidden(a, "share")
    assert res.is_hidden(a, "ci_low") and res.is_hidden(a, "ci_high")
    assert not res.is_hidden(a, "at_risk")   # 8 learners: shown


def test_a_count_whose_complement_is_small_is_hidden():
    # 8 at risk, 5 came back: 3 did not, a group of 3
    res = privacy.control(returns_result([("A", 1, 8, 5), ("B", 1, 60, 30), ("C", 1, 50, 25)]),
                          min_size=5)
    assert res.is_hidden(0, "returned") and res.is_hidden(0, "share")
    assert res.secondary["returned"].iloc[0]            # marked "hidden", not "<5"


def test_a_row_about_too_few_learners_is_hidden_whole_but_its_labels():
    res = privacy.control(returns_result([("A", 1, 3, 3), ("B", 1, 60, 30), ("C", 1, 50, 25)]),
                          min_size=5)
    assert res.any_hidden([0], ["at_risk", "returned", "share", "ci_low"])
    assert not res.any_hidden([0], ["organisation", "k"])


def test_groups_of_a_partition_are_hidden_in_step_against_the_public_total():
    # an organisation's own page: its 8 | 2 hidden; the rest 792 | 567 would give it back
    # from the overall page's 800 | 569
    own = returns_result([("Acme", 0, 8, 2), (privacy.REST_LABEL, 0, 792, 567)],
                         partition="organisation")
    page = privacy.control(own, min_size=5, own="Acme")
    assert page.is_hidden(0, "returned") and page.is_hidden(1, "returned")
    overall = privacy.control(overall_result([(0, 800, 569)]), min_size=5)
    assert attack([[overall], [page]], min_size=5,
                  truth=[[overall_result([(0, 800, 569)])], [own]]) == []


def test_the_attack_pins_a_cell_of_a_page_that_was_not_suppressed_in_step():
    # the same numbers with only primary suppression (no partition declared): leaks
    own = returns_result([("Acme", 0, 8, 2), (privacy.REST_LABEL, 0, 792, 567)],
                         partition=None)
    page = privacy.control(own, min_size=5, own="Acme")
    assert page.is_hidden(0, "returned") and not page.is_hidden(1, "returned")
    leaky = Result(**{**page.__dict__, "partition": "organisation"})  # the reader's knowledge
    overall = privacy.control(overall_result([(0, 800, 569)]), min_size=5)
    pinned = attack([[overall], [leaky]], min_size=5)
    assert [(c.column, round(low), round(high)) for c, low, high in pinned] == [
        ("returned", 2, 2)]


def test_the_attack_pins_a_share_beside_a_hidden_count_and_a_shown_complement():
    # hand-made leaking page: the count hidden, the share and the total shown
    res = returns_result([("A", 1, 8, 2), ("B", 1, 60, 30)], partition=None)
    hidden = pd.DataFrame(False, index=range(2), columns=list(res.columns))
    hidden.loc[0, "returned"] = True
    leaky = Result(**{**res.__dict__, "hidden": hidden, "secondary": hidden & False,
                      "audience": "partner"})
    (cell, low, high), = attack([[leaky]], min_size=5)
    assert (cell.column, low, high) == ("returned", pytest.approx(2, abs=0.05),
                                        pytest.approx(2, abs=0.05))


def test_total_rows_get_secondary_suppression():
    table = pd.DataFrame({"format": ["webinar", "tutorial", "all"], "attended": [3, 40, 43],
                          "estimate": [0.1, 0.2, 0.19]})
    res = Result(table, {"format": results.label("Format"),
                         "attended": results.count("Attended"),
                         "estimate": results.estimate("points", "Lift")},
                 title="t", total_row=TotalRow("format", "all"))
    out = privacy.control(res, min_size=5)
    assert out.is_hidden(0, "attended") and out.any_hidden(None, ["attended"])
    assert out.hidden["attended"].sum() == 2       # one more, so 43 - 40 gives nothing
    assert out.is_hidden(0, "estimate")            # depends on every count of its row
    assert attack([[out]], min_size=5, truth=[[res]]) == []


def test_a_survival_curve_is_cut_where_few_remain_at_risk():
    table = pd.DataFrame({"time": [0, 1, 2, 3], "at_risk": [20, 9, 4, 2],
                          "events": [2, 3, 1, 1]})
    table["survival"] = [0.9, 0.6, 0.45, 0.2]
    res = Result(table, {"time": results.label("Day"), "at_risk": results.count("At risk"),
                         "events": results.count("Disengaged", part_of="at_risk"),
                         "survival": results.Column("share", "Still engaged", of="events",
                                                    over="at_risk")},
                 title="t", curve="at_risk")
    assert privacy.control(res, min_size=5).table["time"].tolist() == [0, 1]


def test_identifiers_are_refused_and_organisations_anonymised():
    res = returns_result([("Acme", 0, 8, 8), ("Beta", 0, 60, 30), ("Gamma", 0, 50, 25)])
    labels = privacy.organisation_labels(pd.DataFrame({"organisation": ["Beta"] * 3 + ["Gamma"]
                                                       * 2 + ["Acme"]}), own="Gamma")
    out = privacy.control(res, min_size=5, own="Gamma", labels=labels)
    assert out.table["organisation"].tolist() == ["Organisation B", "Organisation A", "Gamma"]
    bad = Result(pd.DataFrame({"learner_id": ["L-0123456789"]}),
                 {"learner_id": results.label("Learner")}, title="t")
    with pytest.raises(ValueError, match="identifier column"):
        privacy.control(bad, min_size=5)


@pytest.mark.parametrize("value", [True, "5", 5.0, 0, 1, 2, None])
def test_a_minimum_below_three_or_not_whole_is_refused(value):
    with pytest.raises(ValueError, match="min_group_size must be"):
        privacy.check_min_group_size(value)
    with pytest.raises(ValueError, match="min_group_size must be"):
        display.setup(audience="partner", min_group_size=value)
    with pytest.raises(ValueError):
        privacy.control(returns_result([("A", 0, 8, 2)]), min_size=value)


# --- random cross tables: no hidden cell comes back ------------------------------------------

@st.composite
def own_and_rest(draw):
    """An organisation's page (own vs the rest, k = 0..2) and the overall page."""
    rows, overall = [], []
    for k in range(3):
        own_n = draw(st.integers(0, 30))
        rest_n = draw(st.integers(0, 300))
        own_x = draw(st.integers(0, own_n))
        rest_x = draw(st.integers(0, rest_n))
        rows += [("Acme", k, own_n, own_x), (privacy.REST_LABEL, k, rest_n, rest_x)]
        overall.append((k, own_n + rest_n, own_x + rest_x))
    return rows, overall, draw(st.integers(3, 10))


@settings(max_examples=60, deadline=None)
@given(own_and_rest())
def test_no_hidden_cell_of_random_pages_comes_back_by_share_complement_or_difference(case):
    rows, overall_rows, min_size = case
    own, overall = returns_result(rows), overall_result(overall_rows)
    pages = [[privacy.control(overall, min_size=min_size)],
             [privacy.control(own, min_size=min_size, own="Acme")]]
    assert attack(pages, min_size=min_size, truth=[[overall], [own]]) == []


@st.composite
def cross_table(draw):
    """Organisations x k with a total column and a part (shares over it)."""
    n_orgs = draw(st.integers(2, 5))
    rows = []
    for i in range(n_orgs):
        for k in range(2):
            n = draw(st.integers(0, 40))
            rows.append((f"Org {i}", k, n, draw(st.integers(0, n))))
    return rows, draw(st.integers(3, 8))


@settings(max_examples=60, deadline=None)
@given(cross_table())
def test_no_hidden_cell_of_a_random_partitioned_table_comes_back(case):
    rows, min_size = case
    res = returns_result(rows)
    overall = overall_result(
        pd.DataFrame(rows, columns=["o", "k", "n", "x"]).groupby("k")[["n", "x"]].sum()
        .reset_index().itertuples(index=False))
    pages = [[privacy.control(res, min_size=min_size)], [privacy.control(overall,
                                                                         min_size=min_size)]]
    assert attack(pages, min_size=min_size, truth=[[res], [overall]]) == []


# --- the renderer ---------------------------------------------------------------------------

def test_partner_tables_have_plain_headers_no_technical_columns_and_markers():
    display.setup(audience="both", min_group_size=5)
    res = returns_result([("A", 1, 8, 2), ("B", 1, 60, 30), ("C", 1, 50, 25)])
    partner = display.render_html(display.for_audience(res, "partner"))
    researcher = display.render_html(res, audience="researcher")
    assert "Window (days)" not in partner and "Window (days)" in researcher
    assert "<code>at_risk</code>" in researcher
    headers = re.findall(r"<th[^>]*>(.*?)</th>", partner)
    assert headers and not [h for h in headers if "_" in h or "<code>" in h]
    assert "Coming back means another session within 14 days." in partner
    cells = re.findall(r"<td>(.*?)</td>", partner)
    assert "&lt;5" in cells and "hidden" in cells
    assert "nan" not in partner.lower() and "inf" not in partner


def test_say_words_each_audience_from_the_result_it_sees(monkeypatch):
    shown = []
    monkeypatch.setattr(display, "_emit", lambda data, audience, **kw: shown.append(
        (audience, data["text/markdown"])))
    display.setup(audience="both", min_group_size=5)
    res = returns_result([("A", 1, 8, 2), ("B", 1, 60, 30), ("C", 1, 50, 25)])

    def describe(r):
        row = r.where(np.arange(len(r)) == 0)   # A (anonymised on the partner page)
        return ("A: too few learners to show" if row.any_hidden(None, ["returned"])
                else f"A: {int(row['returned'].iloc[0])} came back")

    display.say(describe, res)
    assert shown == [("researcher", "A: 2 came back"),
                     ("partner", "A: too few learners to show")]
    np.testing.assert_equal(len(shown), 2)


# --- the page scan learns the three attacks ------------------------------------------------

def _page(res: Result) -> str:
    display.setup(audience="both", min_group_size=5)
    return display.render_html(res, audience="partner")


def _forced(res: Result, hidden_cells) -> Result:
    """A partner Result hiding exactly `hidden_cells` ((row, column)): a hand-made page."""
    hidden = pd.DataFrame(False, index=range(len(res.table)), columns=list(res.columns))
    table = res.table.copy().astype({c: float for c in res.of_kind("count", "share")})
    for row, column in hidden_cells:
        hidden.loc[row, column] = True
        table.loc[row, column] = np.nan
    return Result(**{**res.__dict__, "table": table, "hidden": hidden,
                     "secondary": hidden & False, "audience": "partner"})


def test_the_scan_finds_a_share_beside_a_hidden_count():
    res = returns_result([("A", 1, 8, 2), ("B", 1, 60, 30)], partition=None)
    leaky = _page(_forced(res, [(0, "returned")]))          # 25% of 8 shown beside "<5"
    assert {leak["kind"] for leak in privacy.scan_html(leaky)} >= {"share_of_hidden"}
    safe = _page(privacy.control(res, min_size=5))
    assert privacy.scan_html(safe) == []


def test_the_scan_finds_a_complement_inside_a_shown_total():
    res = returns_result([("A", 1, 8, 5), ("B", 1, 60, 30)], partition=None)
    leaky = _page(_forced(res, []))                          # 8 at risk, 5 came back: 3
    assert [leak["kind"] for leak in privacy.scan_html(leaky)] == ["complement"]
    assert privacy.scan_html(_page(privacy.control(res, min_size=5))) == []


def test_the_scan_finds_one_page_minus_another():
    own = returns_result([("Acme", 0, 8, 2), (privacy.REST_LABEL, 0, 792, 567)])
    overall = _page(privacy.control(overall_result([(0, 800, 569)]), min_size=5))
    # the rest's 567 shown beside the own organisation's hidden 2
    leaky = _page(_forced(own, [(0, "returned"), (0, "share"), (0, "ci_low"), (0, "ci_high")]))
    kinds = [leak["kind"] for leak in privacy.scan_html(leaky, others=[overall])]
    assert kinds == ["difference"]
    # the other way round too: the overall page checked against the organisation's
    assert "difference" in {leak["kind"] for leak in privacy.scan_html(overall,
                                                                        others=[leaky])}
    safe = _page(privacy.control(own, min_size=5, own="Acme"))
    assert privacy.scan_html(safe, others=[overall]) == []
