"""Charts readable on a printed partner page: plain ratio ticks, a legend for every mark,
no pile of overlapping lines, the reader's own organisation findable, hidden cells drawn
as hidden (not as zero, not as no data), and nothing crashes on one row or none."""

import matplotlib

matplotlib.use("Agg")

import inspect  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from engagement import plots  # noqa: E402

OWN = "St Anne's Hospice"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- helpers

def weeks(n):
    return pd.date_range("2024-01-01", periods=n, freq="7D", tz="UTC")


def figure_of(drawn):
    return drawn if hasattr(drawn, "savefig") else drawn.figure


def visible_axes(drawn):
    """The axes a reader sees (colour bars excluded)."""
    fig = figure_of(drawn)
    return [a for a in fig.axes if a.get_label() != "<colorbar>"]


def legend_texts(drawn) -> list[str]:
    fig = figure_of(drawn)
    legends = list(fig.legends) + [a.get_legend() for a in fig.axes if a.get_legend()]
    return [t.get_text() for leg in legends for t in leg.get_texts()]


def all_texts(drawn) -> list[str]:
    fig = figure_of(drawn)
    return [t.get_text() for a in fig.axes for t in a.texts]


def data_lines(ax):
    """Lines drawn in data coordinates (not axhline/axvline reference lines)."""
    return [ln for ln in ax.get_lines() if ln.get_transform() is ax.transData]


def strong_colours(ax):
    """Colours of the solid data lines other than the light grey of 'the others'."""
    return [to_hex(ln.get_color()) for ln in data_lines(ax)
            if to_hex(ln.get_color()) != plots.OTHERS_GREY and ln.get_linestyle() == "-"]


def group_lines(ax):
    """The labelled data lines (one per group in a shared panel)."""
    return [ln for ln in data_lines(ax) if not ln.get_label().startswith("_")]


# --------------------------------------------------------------------------- tables

def ratio_table(n_terms=3):
    rows = [("Intercept", 0.2, 0.1, 0.3), ("active_days", 0.8, 0.6, 1.1),
            ("replies_received", 1.8, 1.2, 2.7), ("posts", 0.5, 0.3, 0.8)]
    return pd.DataFrame(rows[:n_terms + 1], columns=["term", "odds_ratio", "ci_low", "ci_high"])


def km_table(groups):
    rows = []
    for g, name in enumerate(groups):
        s = 1.0
        for t in range(6):
            s *= 0.8 - 0.02 * g
            rows.append((name, float(t), 40 - 5 * t, s, s - 0.1, min(s + 0.1, 1)))
    return pd.DataFrame(rows, columns=["group", "time", "at_risk", "survival", "ci_low",
                                       "ci_high"])


def rak_table(groups):
    rows = []
    for g, name in enumerate(groups):
        for k in range(4):
            share = 0.5 + 0.05 * g - 0.02 * k
            rows.append((name, k, 30, 15, share, share - 0.1, share + 0.1, 0, 0, 14))
    return pd.DataFrame(rows, columns=["organisation", "k", "at_risk", "returned", "share",
                                       "ci_low", "ci_high", "censored", "no_enrolment_date",
                                       "within_days"])


def weekly_table(groups, column="organisation"):
    return pd.DataFrame([(w, name, 10 + g + i, 100) for g, name in enumerate(groups)
                         for i, w in enumerate(weeks(4))],
                        columns=["week_start", column, "active_learners", "events"])


def growth_table(groups):
    return pd.DataFrame([(name, w, 5 * (w + 1) + g) for g, name in enumerate(groups)
                         for w in range(4)], columns=["organisation", "week", "active"])


def letters(n, own=None):
    names = [f"Organisation {chr(65 + i)}" for i in range(n)]
    if own:
        names[-1] = own
    return names


MANY = letters(6, OWN)


def hidden_like(table, cells=()):
    """A hidden mask shaped like `table`, True at (row, column) `cells`."""
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    for row, col in cells:
        mask.loc[row, col] = True
    return mask


# --------------------------------------------------------------------------- the contract

PLOT_FUNCTIONS = ["weekly_line", "share_by_week_since_start", "bars", "heatmap",
                  "return_after_k_curve", "cohort_heatmap", "km_curves", "lifecycle_bars",
                  "stickiness_plot", "rate_intervals", "event_study_lines", "lift_intervals",
                  "network_growth", "ei_against_null", "organisation_growth_lines",
                  "network_drawing", "ratio_forest", "rank_intervals", "share_intervals"]


@pytest.mark.parametrize("name", PLOT_FUNCTIONS)
def test_every_plot_accepts_own_and_hidden(name):
    params = inspect.signature(getattr(plots, name)).parameters
    assert params["own"].default is None and params["hidden"].default is None
    assert params["own"].kind is params["hidden"].kind is inspect.Parameter.KEYWORD_ONLY


def test_plain_words_for_column_names():
    assert plots.plain("weeks_since_enrolment") == "Weeks since enrolling"
    assert plots.plain("active_learners") == "Active learners"
    assert plots.plain("some_new_column") == "Some new column"


# --------------------------------------------------------------------------- ratio axes

def test_ratio_forest_ticks_are_plain_numbers_with_a_line_at_one():
    ax = plots.ratio_forest(ratio_table())
    ax.figure.canvas.draw()
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "1" in labels and "2" in labels and "0.5" in labels
    assert not any("10^" in s or "$" in s or "e+" in s or "e-" in s for s in labels)
    assert not [t for t in ax.xaxis.get_minorticklabels() if t.get_text()]
    ones = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [1, 1]]
    assert ones, "a reference line at 1"


@pytest.mark.parametrize("low, high, expected", [
    (0.3, 3.0, [0.5, 1.0, 2.0]),
    (0.2, 5.0, [0.25, 0.5, 1.0, 2.0, 4.0]),
    (0.09, 12.0, [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]),
])
def test_ratio_ticks_fit_the_range(low, high, expected):
    assert plots.ratio_ticks(low, high) == expected
    assert [plots._plain_number(t) for t in [0.25, 1.0, 2.0, 1000.0]] == ["0.25", "1", "2",
                                                                         "1000"]


def test_ratio_forest_legend_names_each_colour():
    ax = plots.ratio_forest(ratio_table())
    texts = legend_texts(ax)
    assert "95% interval clear of 1" in texts
    assert any(t.startswith("95% interval includes 1") for t in texts)
    assert "1 = no difference" in texts
    drawn = {to_hex(c) for c in ax.collections[0].get_colors()}
    assert len(drawn) == 2  # blue and grey, each with its entry


def test_ratio_forest_one_kind_only_gets_one_entry():
    table = ratio_table()
    table = table[table["term"].isin(["Intercept", "replies_received"])]
    texts = legend_texts(plots.ratio_forest(table))
    assert "95% interval clear of 1" in texts
    assert not any(t.startswith("95% interval includes 1") for t in texts)


# --------------------------------------------------------------------------- legends

def test_interval_charts_name_every_mark():
    lift = pd.DataFrame({"format": ["all", "webinar"], "estimate": [0.1, 0.05],
                         "ci_low": [0.02, -0.03], "ci_high": [0.18, 0.13],
                         "naive_difference": [0.3, 0.25], "naive_ci_low": [0.25, 0.2],
                         "naive_ci_high": [0.35, 0.3]})
    texts = legend_texts(plots.lift_intervals(lift))
    assert any(t.startswith("adjusted") for t in texts)
    assert any(t.startswith("plain attendee") for t in texts)
    assert "0 = no difference" in texts

    ei = pd.DataFrame({"course": ["A1", "B2"], "ei": [0.6, -0.2], "null_ei_low": [0.4, -0.1],
                       "null_ei_high": [0.8, 0.3]})
    texts = legend_texts(plots.ei_against_null(ei))
    assert "95% range if workplaces were shuffled" in texts and "observed E-I index" in texts

    rates = pd.DataFrame({"channel": ["email", "x"], "rate": [0.04, 0.02],
                          "ci_low": [0.03, 0.015], "ci_high": [0.05, 0.025],
                          "naive_ci_low": [0.038, 0.019], "naive_ci_high": [0.042, 0.021]})
    ax = plots.rate_intervals(rates)
    texts = legend_texts(ax)
    assert "95% interval, posts resampled" in texts
    assert any(t.startswith("naive interval") for t in texts)
    # every labelled mark on the axes is in the legend
    for artist in ax.get_lines() + list(ax.collections):
        if not artist.get_label().startswith("_"):
            assert artist.get_label() in texts


def test_curves_name_their_bands_and_medians():
    drawn = plots.km_curves(km_table(["answered", "not answered"]))
    texts = legend_texts(drawn)
    assert plots.INTERVAL_LABEL in texts
    assert any(t.startswith("dot: median") for t in texts)
    assert any(t.startswith("answered (n=") for t in texts)
    texts = legend_texts(plots.return_after_k_curve(rak_table(["A", "B"])))
    assert plots.INTERVAL_LABEL in texts


# --------------------------------------------------------------------------- many groups

MANY_GROUPS = [
    ("km_curves", lambda names: km_table(names), {}),
    ("return_after_k_curve", lambda names: rak_table(names), {}),
    ("organisation_growth_lines", lambda names: growth_table(names), {}),
    ("weekly_line", lambda names: weekly_table(names), {"hue": "organisation"}),
]


@pytest.mark.parametrize("name, make, kw", MANY_GROUPS)
def test_more_than_four_groups_are_small_multiples(name, make, kw):
    drawn = getattr(plots, name)(make(letters(6)), **kw)
    assert hasattr(drawn, "savefig"), "a Figure of panels"
    panels = visible_axes(drawn)
    assert len(panels) == 6
    assert max(len(row) for row in [panels[:4]]) <= plots.MAX_COLUMNS
    for ax in panels:
        assert len(set(strong_colours(ax))) == 1  # one group in colour, the others grey
    texts = legend_texts(drawn)
    assert any("named above the panel" in t for t in texts)
    assert any("for comparison" in t for t in texts)


@pytest.mark.parametrize("name, make, kw", MANY_GROUPS)
def test_more_than_four_groups_with_own_highlight_the_reader(name, make, kw):
    drawn = getattr(plots, name)(make(MANY), own=OWN, **kw)
    assert not hasattr(drawn, "savefig"), "one Axes: the reader against the others"
    ax = drawn
    colours = [to_hex(ln.get_color()) for ln in data_lines(ax)]
    assert colours.count(plots.OTHERS_GREY) >= 5
    assert len(set(strong_colours(ax))) == 1
    texts = legend_texts(ax)
    assert any(t.startswith(f"{OWN} (you") for t in texts)
    assert any("other organisations" in t for t in texts)


@pytest.mark.parametrize("name, make, kw", MANY_GROUPS)
def test_few_groups_share_a_panel_in_distinct_colours_own_named(name, make, kw):
    names = letters(4, OWN)
    ax = getattr(plots, name)(make(names), own=OWN, **kw)
    colours = [to_hex(ln.get_color()) for ln in group_lines(ax)]
    assert len(colours) == len(set(colours)) == 4  # never a repeated colour
    texts = legend_texts(ax)
    assert any(t.startswith(f"{OWN} (you") for t in texts)
    own_line = next(ln for ln in group_lines(ax) if ln.get_label().startswith(OWN))
    assert to_hex(own_line.get_color()) == to_hex(plots._strong())
    assert own_line.get_linewidth() > max(ln.get_linewidth() for ln in group_lines(ax)
                                          if not ln.get_label().startswith(OWN))


def test_small_multiples_take_the_place_of_a_given_axes():
    fig, ax = plt.subplots()
    drawn = plots.km_curves(km_table(letters(5)), ax=ax)
    assert drawn is fig and ax not in fig.axes and len(visible_axes(fig)) == 5


def test_many_hue_levels_never_repeat_a_colour():
    table = pd.DataFrame({"action": [f"a{i}" for i in range(12)], "source": [f"s{i}" for i in
                                                                          range(12)],
                          "learners": range(1, 13)})
    ax = plots.bars(table, x="learners", y="action", hue="source")
    colours = [to_hex(p.get_facecolor()) for p in ax.patches if p.get_height() > 0]
    assert len(set(colours)) == 12


# --------------------------------------------------------------------------- heat maps

def org_weeks():
    """3 organisations x 3 weeks: one zero, one hidden cell, one cell with no data."""
    w = weeks(3)
    rows = [(w[0], "Organisation A", 12.0), (w[1], "Organisation A", 0.0),
            (w[2], "Organisation A", 9.0), (w[0], "Organisation B", np.nan),
            (w[1], "Organisation B", 7.0), (w[2], "Organisation B", 6.0),
            (w[0], OWN, 8.0), (w[1], OWN, 5.0)]  # OWN, week 3: no row, no data
    return pd.DataFrame(rows, columns=["week_start", "organisation", "active_learners"])


def test_heatmap_draws_hidden_zero_and_no_data_differently():
    table = org_weeks()
    hidden = hidden_like(table, [(3, "active_learners")])
    ax = plots.heatmap(table, index="organisation", columns="week_start",
                       values="active_learners", own=OWN, hidden=hidden)
    mesh = ax.collections[0]
    cells = mesh.get_array().reshape(3, 3)  # rows: A, B, OWN; columns: weeks
    # hidden: masked and covered by a hatched grey patch
    hatched = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch()]
    assert len(hatched) == 1 and hatched[0].get_xy() == (0, 1)
    # no data: masked, white, not hatched
    assert np.ma.is_masked(cells[2, 2]) and np.ma.is_masked(cells[1, 0])
    assert not any(p.get_xy() == (2, 2) for p in hatched)
    # zero: a real cell with a visible colour and the annotation 0
    assert not np.ma.is_masked(cells[0, 1]) and cells[0, 1] == 0
    assert to_hex(mesh.cmap(mesh.norm(0.0))) != "#ffffff"
    assert to_hex(mesh.cmap.get_bad()) == "#ffffff"
    assert "0" in [t.get_text() for t in ax.texts]
    texts = legend_texts(ax)
    assert plots.HIDDEN_LABEL in texts and plots.NO_DATA_LABEL in texts
    assert any(t.startswith("0") for t in texts)
    assert f"{OWN} (you)" in [t.get_text() for t in ax.get_yticklabels()]
    assert ax.get_xlabel() == "Week starting" and ax.get_ylabel() == "Organisation"


def test_heatmap_without_hidden_says_no_data_only():
    ax = plots.heatmap(org_weeks(), index="organisation", columns="week_start",
                       values="active_learners")
    assert not [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch()]
    texts = legend_texts(ax)
    assert plots.NO_DATA_LABEL in texts and plots.HIDDEN_LABEL not in texts


def test_cohort_heatmap_hatches_hidden_cells():
    w = weeks(2)
    table = pd.DataFrame({"cohort_week": [w[0], w[0], w[1], w[1]],
                          "weeks_since_enrolment": [0, 1, 0, 1],
                          "cohort_size": [20, 20, 9, 9],
                          "share": [0.5, 0.0, np.nan, np.nan]})
    hidden = hidden_like(table, [(2, "share")])  # row 3: not yet observed, no data
    ax = plots.cohort_heatmap(table, hidden=hidden)
    cells = ax.collections[0].get_array()
    assert np.ma.count_masked(cells) == 2
    hatched = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch()]
    assert [p.get_xy() for p in hatched] == [(0, 1)]
    assert "0%" in [t.get_text() for t in ax.texts]
    assert ax.get_xlabel() == "Weeks since enrolling"
    texts = legend_texts(ax)
    assert plots.HIDDEN_LABEL in texts and plots.NO_DATA_LABEL in texts


def test_lifecycle_marks_a_week_with_a_hidden_count():
    table = pd.DataFrame({"week_start": weeks(3), "new": [10, np.nan, 4],
                          "returning": [0, 8, 9], "resurrecting": [0, 2, 1],
                          "dormant": [0, 3, 2]})
    ax = plots.lifecycle_bars(table, hidden=hidden_like(table, [(1, "new")]))
    assert any(plots.HIDDEN_LABEL in t for t in legend_texts(ax))


def test_lines_say_a_gap_is_hidden():
    table = growth_table(letters(2))
    table.loc[1, "active"] = np.nan
    ax = plots.organisation_growth_lines(table, hidden=hidden_like(table, [(1, "active")]))
    assert any(plots.HIDDEN_LABEL in t for t in legend_texts(ax))


def test_hidden_interval_is_said_not_drawn_as_zero():
    table = pd.DataFrame({"places": ["platform", "forum"], "share": [0.4, np.nan],
                          "ci_low": [0.3, np.nan], "ci_high": [0.5, np.nan]})
    ax = plots.share_intervals(table, label="places",
                               hidden=hidden_like(table, [(1, "share"), (1, "ci_low"),
                                                          (1, "ci_high")]))
    assert plots.HIDDEN_LABEL in all_texts(ax)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels() if t.get_text()][-1] == "100%"


# --------------------------------------------------------------------------- one row, none

def one_and_empty_tables():
    """(function, table, keywords) for every table-taking plot."""
    w = weeks(2)
    return {
        "weekly_line": (weekly_table(["A", "B"], "course"), {"hue": "course"}),
        "share_by_week_since_start": (pd.DataFrame({"weeks_since_start": [0, 1],
                                                    "share": [1.0, 0.4]}), {}),
        "bars": (pd.DataFrame({"action": ["view", "post"], "learners": [5, 3]}),
                 {"x": "learners", "y": "action"}),
        "heatmap": (org_weeks(), {"index": "organisation", "columns": "week_start",
                                  "values": "active_learners"}),
        "return_after_k_curve": (rak_table(["A"]), {}),
        "cohort_heatmap": (pd.DataFrame({"cohort_week": [w[0], w[0]],
                                         "weeks_since_enrolment": [0, 1],
                                         "cohort_size": [20, 20], "share": [0.5, 0.2]}), {}),
        "km_curves": (km_table(["A", "B"]), {}),
        "lifecycle_bars": (pd.DataFrame({"week_start": w, "new": [3, 1], "returning": [0, 2],
                                         "resurrecting": [0, 0], "dormant": [0, 1]}), {}),
        "stickiness_plot": (pd.DataFrame({"day": pd.date_range("2024-01-01", periods=2),
                                          "dau": [2, 3], "mau": [10, 10],
                                          "ratio": [0.2, 0.3]}), {}),
        "rate_intervals": (pd.DataFrame({"channel": ["email", "x"], "rate": [0.04, 0.02],
                                         "ci_low": [0.03, 0.01], "ci_high": [0.05, 0.03],
                                         "naive_ci_low": [0.039, 0.019],
                                         "naive_ci_high": [0.041, 0.021]}), {}),
        "event_study_lines": (pd.DataFrame({"format": ["all", "all"],
                                            "group": ["attended", "did not attend"],
                                            "relative_week": [0, 0],
                                            "active_share": [0.5, 0.3], "ci_low": [0.4, 0.2],
                                            "ci_high": [0.6, 0.4]}), {}),
        "lift_intervals": (pd.DataFrame({"format": ["all", "webinar"],
                                         "estimate": [0.1, 0.0], "ci_low": [0.0, -0.1],
                                         "ci_high": [0.2, 0.1],
                                         "naive_difference": [0.2, 0.1],
                                         "naive_ci_low": [0.1, 0.0],
                                         "naive_ci_high": [0.3, 0.2]}), {}),
        "network_growth": (pd.DataFrame({"course": ["A", "A"], "week_start": w,
                                         "learners": [5, 8], "ties": [2, 4],
                                         "reciprocity": [0.1, 0.2]}), {}),
        "ei_against_null": (pd.DataFrame({"course": ["A", "B"], "ei": [0.2, 0.1],
                                          "null_ei_low": [0.0, 0.0],
                                          "null_ei_high": [0.3, 0.3]}), {}),
        "organisation_growth_lines": (growth_table(["A", "B"]), {}),
        "ratio_forest": (ratio_table(2), {}),
        "rank_intervals": (pd.DataFrame({"term": ["posts", "active_days"], "rank": [1, 2],
                                         "rank_low": [1, 1], "rank_high": [2, 2]}), {}),
        "share_intervals": (pd.DataFrame({"places": ["platform", "forum"],
                                          "share": [0.4, 0.2], "ci_low": [0.3, 0.1],
                                          "ci_high": [0.5, 0.3]}), {"label": "places"}),
    }


CASES = one_and_empty_tables()


@pytest.mark.parametrize("name", sorted(CASES))
def test_two_rows_draw_with_plain_axis_labels(name):
    table, kw = CASES[name]
    drawn = getattr(plots, name)(table, **kw)
    for ax in visible_axes(drawn):
        assert "_" not in ax.get_xlabel() and "_" not in ax.get_ylabel()
        assert "_" not in ax.get_title()
    for text in legend_texts(drawn):
        assert "_" not in text


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_row_does_not_raise(name):
    table, kw = CASES[name]
    drawn = getattr(plots, name)(table.iloc[:1], **kw)
    figure_of(drawn).canvas.draw()


@pytest.mark.parametrize("name", sorted(CASES))
def test_empty_table_says_no_data(name):
    table, kw = CASES[name]
    drawn = getattr(plots, name)(table.iloc[:0], title="Nothing", **kw)
    figure_of(drawn).canvas.draw()
    assert plots.NO_DATA_TEXT in all_texts(drawn)


@pytest.mark.parametrize("name", sorted(CASES))
def test_own_and_hidden_keywords_are_accepted(name):
    table, kw = CASES[name]
    drawn = getattr(plots, name)(table, own=OWN, hidden=hidden_like(table), **kw)
    figure_of(drawn).canvas.draw()


@pytest.mark.parametrize("name", ["share_intervals", "rate_intervals"])
def test_one_group_says_there_is_nothing_to_compare(name):
    table, kw = CASES[name]
    ax = getattr(plots, name)(table.iloc[:1], **kw)
    assert plots.ONE_GROUP_TEXT in all_texts(ax)
    assert len(ax.collections[0].get_segments()) == 1  # the one interval is still drawn


def test_everything_hidden_says_so():
    table = growth_table(["A"]).assign(active=np.nan)
    ax = plots.organisation_growth_lines(table, hidden=hidden_like(
        table, [(i, "active") for i in table.index]))
    assert plots.ALL_HIDDEN_TEXT in all_texts(ax)


def test_network_drawing_names_communities_and_draws_an_empty_graph():
    import networkx as nx

    graph = nx.Graph([("a", "b"), ("b", "c"), ("c", "d")])
    groups = pd.DataFrame({"learner_id": ["a", "b", "c"], "community": [1, 1, 2]})
    texts = legend_texts(plots.network_drawing(graph, groups))
    assert {"community 1", "community 2", "no community"} <= set(texts)
    assert plots.NO_DATA_TEXT in all_texts(plots.network_drawing(nx.Graph()))
