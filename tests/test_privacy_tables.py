"""privacy.recoverable_cells: hidden small cells that a page's totals give back, on hand-written
HTML tables (answers worked by hand) and on suppress_small's own output rendered as a page does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engagement import privacy, publish
from engagement.privacy import recoverable_cells, scan_html, scan_report


def table(header, *rows, thead=True) -> str:
    """An HTML table as a report writes it: text escaped, one <td> per cell."""
    esc = lambda v: str(v).replace("&", "&amp;").replace("<", "&lt;")  # noqa: E731
    head = "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in rows)
    if thead:
        return f"<table><thead>{head}</thead><tbody>{body}</tbody></table>"
    return f"<table>{head}{body}</table>"


def where(found):
    """(table, row, column, marker) of each finding, as a set."""
    return {(f["table"], f["row"], f["column"], f["marker"]) for f in found}


def page(df, count_columns=(), **kw) -> str:
    """A partner table of suppress_small's output, as a page shows it (markers escaped)."""
    shown = privacy.suppress_small(df, count_columns=count_columns, **kw)
    counts = list(dict.fromkeys([*count_columns, *kw.get("total_columns", {}),
                                 *(c for cs in kw.get("total_columns", {}).values() for c in cs),
                                 *(["n"] if "n" in df and kw.get("n_column", "n") == "n" else [])]))
    return privacy.render_suppressed(shown, count_columns=counts).to_html(index=False)


# --- hand-written tables -------------------------------------------------------------------

def test_a_row_total_with_one_small_cell_gives_it_back():
    # n = completed + withdrawn on rows B and C (1,027 with a separator): 15 - 12 = 3 on row A
    html = "<p>Before</p>" + table(["course", "completed", "withdrawn", "n"],
                                   ["A", "<5", 12, 15], ["B", 10, 8, 18],
                                   ["C", "1,020", 7, "1,027"])
    found = recoverable_cells(html)
    assert where(found) == {(0, "A", "completed", "<5")}
    assert found[0]["row_index"] == 0
    assert found[0]["via"] == "column 'n' = 'completed' + 'withdrawn'"


@pytest.mark.parametrize("label", ["all", "Total", "(all courses)", "All sessions", "overall"])
def test_a_total_row_with_one_hidden_cell_gives_it_back(label):
    html = table(["course", "learners"], ["A", 12], ["B", "<5"], ["C", 20], [label, 35])
    assert where(recoverable_cells(html)) == {(0, "B", "learners", "<5")}


def test_a_total_row_without_a_header_section_and_a_second_table():
    first = table(["item", "value"], ["rows", 10], ["files", 3], thead=False)
    second = table(["format", "learners", "attended"], ["webinar", 40, "hidden"],
                   ["tutorial", 25, 9], ["face to face", 30, 12], ["All formats", 95, 24],
                   thead=False)
    # 24 - 9 - 12 = 3 attended the webinar: the secondary marker's cell is given back too
    assert where(recoverable_cells(first + second)) == {(1, "webinar", "attended", "hidden")}


def test_cells_worked_out_open_further_equations():
    # column 'no' gives A's no back (27 - 8 - 7 = 12); row A then gives yes (15 - 12 = 3);
    # row 'all' then gives its hidden yes (60 - 27)
    html = table(["course", "yes", "no", "n"], ["A", "<5", "hidden", 15], ["B", 10, 8, 18],
                 ["C", 20, 7, 27], ["all", "hidden", 27, 60])
    assert where(recoverable_cells(html)) == {(0, "A", "yes", "<5"), (0, "A", "no", "hidden"),
                                              (0, "all", "yes", "hidden")}


def test_two_hidden_cells_in_every_equation_give_nothing_back():
    # suppress_small's rectangle (test_privacy): each row and column has 0 or 2 hidden cells
    html = table(["course", "yes", "no", "n"], ["A", "<5", "hidden", 15],
                 ["B", "hidden", "hidden", 18], ["C", 20, 7, 27], ["all", 33, 27, 60])
    assert recoverable_cells(html) == []


@pytest.mark.parametrize("rates", [["25%", "n<5", "50%", "75%"], ["0.25", "n<5", "0.50", "0.75"],
                                   [25, "n<5", 50, 75]])
def test_a_rate_column_is_not_a_count(rates):
    # as counts, 75 - 25 - 50 = 0 would "give back" the n<5 cell; a rate is not a count
    # (percentages and decimals by their form, whole-number rates by their name)
    html = table(["course", "learners", "completion_rate"],
                 *[[c, n, r] for c, n, r in zip(["A", "B", "C", "all"], [8, "<5", 12, 23], rates)])
    assert where(recoverable_cells(html)) == {(0, "B", "learners", "<5")}
    assert all(f["column"] == "learners" for f in recoverable_cells(html))


def test_a_total_that_is_not_a_sum_gives_nothing_back():
    # distinct learners over courses: 50 is less than 30 + 25 (some learners take both), so
    # subtraction gives -5, which no count of 1-4 can be
    html = table(["course", "learners"], ["A", 30], ["B", "<5"], ["C", 25],
                 ["(all courses)", 50])
    assert recoverable_cells(html) == []


def test_a_column_that_sums_on_one_row_only_is_not_a_total():
    # c = a + b on row 2 only, and row 1 has the hidden cell: one row is no evidence
    html = table(["group", "a", "b", "c"], ["x", "<5", 6, 9], ["y", 5, 6, 11], ["z", 7, 6, 12])
    assert recoverable_cells(html) == []


def test_labels_and_rows_that_are_not_totals():
    # "all other organisations" is one part of a comparison, not a total; week and k label
    # the rows and are never summed; an index of <th> cells (pandas) is a label
    html = table(["comparison", "learners"], ["Acme", 40], ["all other organisations", "<5"])
    html += table(["week", "k", "learners"], [1, 1, 12], [2, 2, "<5"], [3, 3, 20])
    html += pd.DataFrame({"learners": [12, 3, 15]})._repr_html_().replace(">3<", ">&lt;5<")
    assert recoverable_cells(html) == []


def test_an_unlabelled_last_row_equal_to_the_sum_of_the_others():
    # two fully shown columns bear it out (20 = 10 + 6 + 4, 9 = 3 + 2 + 4): 14 - 7 - 5 = 2
    html = table(["group", "yes", "maybe", "no"], ["x", 10, 3, "<5"], ["y", 6, 2, 7],
                 ["z", 4, 4, 5], ["", 20, 9, 14])
    assert where(recoverable_cells(html)) == {(0, "x", "no", "<5")}
    # one column is not enough evidence
    html = table(["group", "yes", "no"], ["x", 10, "<5"], ["y", 6, 7], ["z", 4, 5],
                 ["", 20, 14])
    assert recoverable_cells(html) == []


def test_the_block_of_each_total_row_is_found_from_the_shown_cells():
    # one "all" row per week: week 2 shows 39 = 9 + 30, so each total sums its own block
    html = table(["week", "course", "learners"], [1, "A", "<5"], [1, "B", 30], [1, "all", 32],
                 [2, "A", 9], [2, "B", 30], [2, "all", 39])
    assert where(recoverable_cells(html)) == {(0, "1 / A", "learners", "<5")}


def test_total_rows_sum_the_rows_sharing_every_label_with_them():
    # the event-study layout: the "all" format first, one total per (group, week), blocks
    # not contiguous; week 1 of "attended" bears it out (20 = 12 + 8)
    rows = []
    for fmt, values in (("all", [30, 20, 11, 40]), ("webinar", [27, 12, 5, 30]),
                        ("tutorial", ["<5", 8, 6, 10])):
        for (group, week), v in zip([("attended", 0), ("attended", 1), ("not", 0),
                                     ("not", 1)], values):
            rows.append([fmt, group, week, v])
    html = table(["format", "group", "relative_week", "active"], *rows)
    found = recoverable_cells(html)
    assert where(found) == {(0, "tutorial / attended / 0", "active", "<5")}
    assert found[0]["row_index"] == 8


def test_a_clean_report_page_has_no_table_leak():
    html = table(["course", "yes", "no", "n"], ["A", 6, 12, 18], ["B", 10, 8, 18],
                 ["all", 16, 20, 36])
    html += table(["term", "n", "events", "odds_ratio"], ["a", 120, 40, "1.20"],
                  ["b", 120, 40, "0.85"])
    assert recoverable_cells(html) == [] and scan_html(html) == []


# --- the page scan ---------------------------------------------------------------------------

def test_scan_html_reports_a_recoverable_cell_without_its_value(tmp_path):
    html = ("<html><body><h1>Report</h1>"
            + table(["course", "learners"], ["A", 12], ["B", "<5"], ["C", 20], ["all", 35])
            + "</body></html>")
    leaks = scan_html(html)
    assert [leak["kind"] for leak in leaks] == ["recoverable_cell"]
    assert leaks[0]["match"] == "table 1, row 'B', column 'learners': <5"
    assert "row 'all'" in leaks[0]["context"]
    assert "3" not in leaks[0]["match"] + leaks[0]["context"]  # the value given back: 35-12-20
    path = tmp_path / "r.partner.html"
    path.write_text(html, encoding="utf-8")
    assert scan_report(path) == leaks


def test_the_batch_scan_withholds_a_partner_page_with_a_recoverable_cell(tmp_path):
    html = table(["course", "completed", "withdrawn", "n"], ["A", "<5", 12, 15],
                 ["B", 10, 8, 18], ["C", 20, 7, 27])
    scan = publish.scan_partner(html, {}, raw_scan=False)
    assert not scan.passed and [leak["kind"] for leak in scan.leaks] == ["recoverable_cell"]
    written = publish.publish_partner(html, tmp_path / "r.partner.html", scan)
    assert written == tmp_path / "r.partner.withheld.html" and written.exists()
    assert not (tmp_path / "r.partner.html").exists()


# --- suppress_small's own output, as a page shows it -----------------------------------------

CROSSTAB = pd.DataFrame({"course": ["A", "B", "C", "all"], "yes": [3, 10, 20, 33],
                         "no": [12, 8, 7, 27], "n": [15, 18, 27, 60]})


def test_undeclared_totals_leave_the_small_cell_recoverable_declared_ones_do_not():
    plain = page(CROSSTAB, count_columns=["yes", "no"])
    assert where(recoverable_cells(plain)) == {(0, "A", "yes", "<5")}
    # the row total alone protects the row, not the column: the "all" row still gives both back
    rows_only = page(CROSSTAB, count_columns=["yes", "no"], total_columns={"n": ["yes", "no"]})
    assert where(recoverable_cells(rows_only)) == {(0, "A", "yes", "<5"),
                                                   (0, "A", "no", "hidden")}
    declared = page(CROSSTAB, count_columns=["yes", "no"], total_columns={"n": ["yes", "no"]},
                    total_row=("course", "all"))
    assert "hidden" in declared and "&lt;5" in declared
    assert recoverable_cells(declared) == []
    assert scan_html(declared) == []


def test_undeclared_total_row_per_week_is_caught_declared_one_is_not():
    df = pd.DataFrame({"week": [1, 1, 1, 2, 2, 2], "course": ["A", "B", "all"] * 2,
                       "learners": [2, 30, 32, 9, 30, 39]})
    kw = dict(count_columns=["learners"], n_column=None)
    assert where(recoverable_cells(page(df, **kw))) == {(0, "1 / A", "learners", "<5")}
    assert recoverable_cells(page(df, **kw, total_row=("course", "all"),
                                  total_by=["week"])) == []


def _crosstab(seed):
    rng = np.random.default_rng(seed)
    body = rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 30, 1200], size=(5, 3),
                      p=[.05, .1, .1, .1, .1, .15, .15, .1, .1, .05])
    df = pd.DataFrame(body, columns=["x", "y", "z"])
    df["n"] = df.sum(axis=1)
    df.loc[len(df)] = df.sum(axis=0)
    df.insert(0, "group", [*"ABCDE", "(all groups)"])
    return df


@pytest.mark.parametrize("seed", range(12))
def test_declared_totals_leave_nothing_recoverable_on_random_crosstabs(seed):
    df = _crosstab(seed)
    declared = page(df, count_columns=["x", "y", "z"], n_column=None,
                    total_columns={"n": ["x", "y", "z"]}, total_row=("group", "(all groups)"))
    assert recoverable_cells(declared) == []


def test_undeclared_totals_on_random_crosstabs_are_caught():
    # every seed whose small cells sit alone in a row or column is caught; some seeds are
    caught = 0
    for seed in range(12):
        df = _crosstab(seed)
        plain = page(df, count_columns=["x", "y", "z"], n_column=None)
        found = recoverable_cells(plain)
        hidden = {(r, c) for r in range(6) for c in "xyz"
                  if 0 < df[c].iloc[r] < 5}
        # whatever is reported was really hidden, and was really small
        assert {(f["row_index"], f["column"]) for f in found} <= hidden
        caught += bool(found)
    assert caught >= 6


def test_an_infinite_median_beside_a_hidden_row_is_shown():
    # a row hidden by its small n turns the median column to text: inf is not an integer
    df = pd.DataFrame({"group": ["a", "b"], "n": [4, 30], "events": [4, 20],
                       "median": [5.0, np.inf]})
    html = page(df, count_columns=["n", "events"])
    assert ">inf<" in html and "n&lt;5" in html and recoverable_cells(html) == []
