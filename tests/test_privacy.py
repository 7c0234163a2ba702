"""privacy.py on hand-made tables and pages whose answers are known by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engagement import privacy
from engagement.privacy import (
    PSEUDONYM_PATTERN,
    anonymise_organisations,
    organisation_labels,
    refuse_identifiers,
    render_suppressed,
    scan_html,
    scan_report,
    suppress_small,
)


# --- pseudonyms and identifiers -------------------------------------------------------------

def test_pseudonym_pattern_matches_only_the_clean_py_form():
    assert PSEUDONYM_PATTERN.fullmatch("L-0123456789")
    assert PSEUDONYM_PATTERN.fullmatch("L-abcdef0123")
    assert not PSEUDONYM_PATTERN.search("L-ABCDEF0123")       # upper case hex
    assert not PSEUDONYM_PATTERN.search("L-012345678")        # 9 digits
    assert not PSEUDONYM_PATTERN.search("L-0123456789a")      # 11 digits
    assert not PSEUDONYM_PATTERN.search("XL-0123456789")


@pytest.mark.parametrize("column", ["learner_id", "target_learner_id", "user_id", "email",
                                    "full_name", "name", "ip_address", "IP address",
                                    "User full name", "Email"])
def test_refuse_identifiers_names_the_column(column):
    df = pd.DataFrame({"course": ["A"], column: ["x"]})
    with pytest.raises(ValueError, match=repr(column).replace("(", r"\(")):
        refuse_identifiers(df)


def test_refuse_identifiers_names_every_column_and_index_level():
    df = pd.DataFrame({"email": ["a"], "name": ["b"], "n": [3]}).set_index(
        pd.Index(["x"], name="learner_id"))
    with pytest.raises(ValueError) as err:
        refuse_identifiers(df)
    for col in ("email", "name", "learner_id"):
        assert repr(col) in str(err.value)


def test_refuse_identifiers_passes_an_aggregate_and_returns_it_unchanged():
    df = pd.DataFrame({"course": ["A", "B"], "n": [10, 12]})
    before = df.copy()
    assert refuse_identifiers(df) is df
    pd.testing.assert_frame_equal(df, before)


def test_refuse_identifiers_checks_values_only_when_asked():
    df = pd.DataFrame({"who": ["L-0123456789", "group"], "n": [1, 9]})
    refuse_identifiers(df)  # column names are fine
    with pytest.raises(ValueError, match="'who'.*pseudonymised"):
        refuse_identifiers(df, check_values=True)
    mails = pd.DataFrame({"contact": ["someone@example.org"]})
    with pytest.raises(ValueError, match="e-mail"):
        refuse_identifiers(mails, check_values=True)


# --- suppression ------------------------------------------------------------------------------

def test_suppress_small_hides_counts_between_zero_and_min_size():
    df = pd.DataFrame({"course": ["A", "B", "C", "D"], "posts": [0, 3, 5, 12]})
    before = df.copy()
    out = suppress_small(df, count_columns=["posts"], min_size=5, n_column=None)
    pd.testing.assert_frame_equal(df, before)  # the input is not modified
    assert out["posts"].tolist()[0] == 0
    assert out["posts"].isna().tolist() == [False, True, False, False]
    assert out["posts"].dtype == "float64"        # NaN, which plotting libraries accept
    assert np.isnan(np.asarray(out["posts"], dtype=float)[1])
    assert out["posts_suppressed"].tolist() == [False, True, False, False]
    assert out.loc[3, "posts"] == 12


def test_suppress_small_row_with_small_n_loses_every_numeric_cell_but_labels():
    df = pd.DataFrame({"week": [1, 2], "n": [4, 20], "mean_score": [71.5, 64.0],
                       "course": ["A", "A"], "flag": [True, False]})
    out = suppress_small(df, label_columns=["week"], min_size=5)
    assert out["week"].tolist() == [1, 2]             # the row label stays
    assert out["course"].tolist() == ["A", "A"]       # text stays
    assert out["flag"].tolist() == [True, False]      # booleans are not numbers here
    assert pd.isna(out.loc[0, "n"]) and pd.isna(out.loc[0, "mean_score"])
    assert out.loc[1, "n"] == 20 and out.loc[1, "mean_score"] == 64.0
    assert out["n_suppressed"].tolist() == [True, False]
    assert out["mean_score_suppressed"].tolist() == [True, False]


def test_suppress_small_linked_columns_follow_their_count():
    df = pd.DataFrame({"n": [100, 100], "completed": [3, 40], "share": [0.03, 0.40]})
    out = suppress_small(df, count_columns=["completed"], linked={"completed": ["share"]})
    assert out["n"].tolist() == [100, 100]
    assert out["completed"].isna().tolist() == [True, False]
    assert out["share"].isna().tolist() == [True, False]   # 0.03 * 100 would give it back


def test_suppress_small_min_size_is_a_parameter():
    df = pd.DataFrame({"n": [6, 10]})
    assert suppress_small(df, min_size=10)["n"].isna().tolist() == [True, False]
    assert suppress_small(df, min_size=5)["n"].isna().tolist() == [False, False]


def test_suppress_small_rejects_bad_columns():
    df = pd.DataFrame({"course": ["A"], "n": [3]})
    with pytest.raises(ValueError, match="'posts'"):
        suppress_small(df, count_columns=["posts"])
    with pytest.raises(ValueError, match="numeric"):
        suppress_small(df, count_columns=["course"])
    with pytest.raises(ValueError, match="learners"):
        suppress_small(df, n_column="learners")


def test_render_suppressed_shows_markers_for_display_only():
    df = pd.DataFrame({"group": ["x", "y"], "n": [2, 30], "mean": [1.5, 2.5]})
    shown = render_suppressed(suppress_small(df), min_size=5)
    assert list(shown.columns) == ["group", "n", "mean"]
    assert shown["n"].tolist() == ["<5", 30] and isinstance(shown["n"][1], (int, np.integer))
    assert shown["mean"].tolist() == ["n<5", "2.50"]  # text, as shown: not 2.500000


# --- organisations ----------------------------------------------------------------------------

def _learners():
    return pd.DataFrame({"organisation": ["Zeta"] * 5 + ["Acme"] * 3 + ["Beta"] * 3 + [None],
                         "n": range(12)})


def test_organisations_lettered_by_size_then_name():
    labels = organisation_labels(_learners())
    # Zeta is largest; Acme and Beta tie on 3 rows and are ordered by name.
    assert labels == {"Zeta": "Organisation A", "Acme": "Organisation B",
                      "Beta": "Organisation C"}


def test_anonymise_organisations_keeps_own_and_missing():
    df = _learners()
    out = anonymise_organisations(df, own="Acme")
    assert df["organisation"].iloc[0] == "Zeta"   # input unchanged
    assert out["organisation"].tolist() == (["Organisation A"] * 5 + ["Acme"] * 3
                                            + ["Organisation B"] * 3 + [None])


def test_anonymise_organisations_is_deterministic_whatever_the_row_order():
    df = _learners()
    shuffled = df.sample(frac=1, random_state=3)
    a = anonymise_organisations(df).set_index("n")["organisation"]
    b = anonymise_organisations(shuffled).set_index("n")["organisation"]
    pd.testing.assert_series_equal(a, b.loc[a.index])


def test_anonymise_organisations_by_size_column_and_shared_labels():
    agg = pd.DataFrame({"organisation": ["Acme", "Beta"], "learners": [5, 50]})
    out = anonymise_organisations(agg, size_column="learners")
    assert out["organisation"].tolist() == ["Organisation B", "Organisation A"]
    labels = organisation_labels(_learners())
    same = anonymise_organisations(agg, labels=labels)
    assert same["organisation"].tolist() == ["Organisation B", "Organisation C"]
    with pytest.raises(ValueError, match="no label"):
        anonymise_organisations(pd.DataFrame({"organisation": ["Other"]}), labels=labels)


def test_more_than_26_organisations_get_double_letters():
    df = pd.DataFrame({"organisation": [f"org{i:02d}" for i in range(28)]})
    labels = organisation_labels(df)
    assert labels["org26"] == "Organisation AA" and labels["org27"] == "Organisation AB"


# --- audiences --------------------------------------------------------------------------------

def _result(df, **kinds):
    from engagement import results

    make = {"org": results.organisation, "label": results.label, "count": results.count,
            "text": results.text}
    return results.Result(df, {c: make[k](c) for c, k in kinds.items()}, title="t",
                          n="n" if "n" in df else None)


def test_researcher_sees_the_result_as_computed_partner_a_protected_one():
    from engagement import display

    df = pd.DataFrame({"organisation": ["Acme", "Beta", "Gamma"], "n": [40, 3, 12],
                       "posts": [80, 9, 2]})
    res = _result(df, organisation="org", n="count", posts="count")
    display.setup(audience="both", min_group_size=5, organisation="Beta",
                  learners=pd.DataFrame({"organisation": ["Acme"] * 40 + ["Beta"] * 3 +
                                         ["Gamma"] * 12}))
    pd.testing.assert_frame_equal(display.for_audience(res, "researcher").table, df)
    partner = display.for_audience(res, "partner").table
    assert partner["organisation"].tolist() == ["Organisation A", "Beta", "Organisation B"]
    assert partner["n"].isna().tolist() == [False, True, False]
    assert partner["posts"].isna().tolist() == [False, True, True]


def test_identifiers_are_refused_for_both_audiences_and_an_unknown_audience_too():
    from engagement import display

    display.setup(audience="both", min_group_size=5)
    res = _result(pd.DataFrame({"learner_id": ["4"], "n": [10]}), learner_id="label", n="count")
    for audience in ("researcher", "partner"):
        with pytest.raises(ValueError, match="learner_id"):
            display.for_audience(res, audience)
    with pytest.raises(ValueError, match="audience"):
        display.for_audience(_result(pd.DataFrame({"n": [10]}), n="count"), "public")


def test_partner_refuses_pseudonyms_in_values_researcher_does_not():
    from engagement import display

    res = _result(pd.DataFrame({"top_poster": ["L-0123456789"], "n": [40]}),
                  top_poster="text", n="count")
    assert display.for_audience(res, "researcher") is res
    with pytest.raises(ValueError, match="top_poster"):
        privacy.control(res, min_size=5)


# --- scanning HTML ----------------------------------------------------------------------------

CLEAN = """<!DOCTYPE html><html><head><style>.jp-InputArea { overflow: hidden; }
/* see https://github.com/danlevan/google-material-color */</style></head>
<body class="jp-Notebook"><main>
<div class="jp-Cell jp-MarkdownCell jp-Notebook-cell"><div class="jp-Cell-inputWrapper">
<div class="jp-InputArea jp-Cell-inputArea"><h1>Overview</h1>
<p>Made with pandas 2.3.3, numpy 2.4.6 and papermill 2.7.0 on 12.5.2024; 1.2.3 learners.</p>
</div></div></div>
<div class="jp-Cell jp-CodeCell jp-Notebook-cell jp-mod-noInput">
<div class="jp-Cell-outputWrapper"><div class="jp-OutputArea"><pre>n = 120</pre></div></div></div>
<a href="#overview">anchor</a></main></body></html>"""


def _kinds(leaks):
    return sorted({leak["kind"] for leak in leaks})


def test_scan_passes_a_clean_page_with_versions():
    assert scan_html(CLEAN) == []


def test_scan_ignores_base64_images():
    # "+Ann/" inside base64 would be a whole-word hit for the name Ann if it were scanned.
    page = CLEAN.replace("</main>", '<img src="data:image/png;base64,iVBORw0K+Ann/Zm9v=="> '
                         "<div style=\"background: url(data:image/svg+xml;base64,QUJD+Ann/)\">"
                         "</div></main>")
    assert scan_html(page, extra_terms=["Ann"]) == []
    # ...while the same name in the text is found.
    leaks = scan_html(page.replace("n = 120", "n = 120, by Ann"), extra_terms=["Ann"])
    assert _kinds(leaks) == ["term"] and leaks[0]["match"] == "Ann"


@pytest.mark.parametrize("seed, kind, match", [
    ("<p>write to jo.bloggs+x@example.ac.uk</p>", "email", "jo.bloggs+x@example.ac.uk"),
    ("<p>from 192.168.10.254.</p>", "ipv4", "192.168.10.254"),
    ("<td>L-0a1b2c3d4e</td>", "pseudonym", "L-0a1b2c3d4e"),
    ('<script src="https://cdn.example.com/x.js"></script>', "external_script", None),
    ('<link rel="stylesheet" href="http://fonts.example.com/f.css">', "external_link", None),
    ('<img src="https://example.com/logo.png">', "external_image", None),
    ("<style>@import url(https://example.com/s.css);</style>", "external_css", None),
    ('<img src="//example.com/logo.png">', "external_image", None),
])
def test_scan_finds_each_seeded_leak(seed, kind, match):
    leaks = scan_html(CLEAN.replace("</main>", seed + "</main>"))
    assert _kinds(leaks) == [kind]
    if match is not None:
        assert leaks[0]["match"] == match
    assert leaks[0]["context"]  # some text around it


def test_scan_finds_code_input_of_lab_and_classic_templates():
    lab = ('<div class="jp-Cell jp-CodeCell jp-Notebook-cell">\n<div class="jp-Cell-inputWrapper">'
           '<div class="jp-InputArea jp-Cell-inputArea"><div class="jp-CodeMirrorEditor jp-Editor '
           'jp-InputArea-editor"><pre>x = 1</pre></div></div></div></div>')
    classic = ('<div class="input"><div class="inner_cell"><div class="input_area">x</div>'
               '</div></div>')
    assert "code_input" in _kinds(scan_html(CLEAN.replace("</main>", lab + "</main>")))
    assert _kinds(scan_html(CLEAN.replace("</main>", classic + "</main>"))) == ["code_input"]


def test_scan_ip_needs_four_octets_in_range():
    for text in ("2.3.3", "1.2.3.4.5", "999.1.1.1", "10.0.0.256", "v1.2.3.4x"):
        assert scan_html(f"<p>{text}</p>") == [], text
    assert [leak["match"] for leak in scan_html("<p>10.0.0.1 and 255.255.255.0</p>")] == [
        "10.0.0.1", "255.255.255.0"]


def test_scan_finds_escaped_email_and_extra_names_as_whole_words():
    leaks = scan_html("<p>ann&#64;example.org, Annual report by ANN SMITH</p>",
                      extra_terms=["Ann Smith", ""])
    assert [(leak["kind"], leak["match"]) for leak in leaks] == [
        ("email", "ann@example.org"), ("term", "ANN SMITH")]


def test_scan_report_reads_a_file(tmp_path):
    path = tmp_path / "r.html"
    path.write_text(CLEAN.replace("n = 120", "n = 120 L-ffffffffff"), encoding="utf-8")
    assert _kinds(scan_report(path)) == ["pseudonym"]
    assert _kinds(privacy.scan_report(path, extra_terms=["overview"])) == ["pseudonym", "term"]


def test_cut_at_risk_drops_each_curve_from_its_first_small_risk_set():
    import pandas as pd
    from engagement import privacy

    curve = pd.DataFrame({"group": ["a"] * 4 + ["b"] * 3,
                          "at_risk": [20, 6, 4, 7, 9, 3, 2],
                          "survival": [1, .9, .8, .7, 1, .5, .4]})
    cut = privacy.cut_at_risk(curve, min_size=5, group="group")
    assert cut["at_risk"].tolist() == [20, 6, 9]
    assert privacy.cut_at_risk(curve, min_size=5)["at_risk"].tolist() == [20, 6]


def test_own_versus_rest_names_only_the_own_organisation():
    from engagement.privacy import own_versus_rest

    learners = pd.DataFrame({"learner_id": list("abcd"), "organisation": ["X", "Y", "Z", None]})
    got = own_versus_rest(learners, own="X")["comparison"].tolist()
    assert got == ["X", "all other organisations", "all other organisations",
                   "all other organisations"]
    with pytest.raises(ValueError, match="'Q' is not in the learners"):
        own_versus_rest(learners, own="Q")


# --- secondary (complementary) suppression --------------------------------------------------

def _hidden(out, columns):
    """{column: [row positions hidden]} of a suppress_small table."""
    return {c: [i for i, v in enumerate(out[c].isna()) if v] for c in columns}


def test_a_row_total_makes_the_other_part_hidden_too():
    df = pd.DataFrame({"course": ["A", "B"], "yes": [3, 10], "no": [12, 8], "n": [15, 18]})
    out = suppress_small(df, total_columns={"n": ["yes", "no"]})
    # 15 - 12 would give the 3 back: the 12 goes too; row B is untouched
    assert _hidden(out, ["yes", "no", "n"]) == {"yes": [0], "no": [0], "n": []}
    assert out["no_secondary"].tolist() == [True, False]
    assert "yes_secondary" not in out.columns
    shown = render_suppressed(out, count_columns=("yes", "no", "n"))
    assert shown["yes"].tolist() == ["<5", 10] and shown["no"].tolist() == ["hidden", 8]
    assert "no_secondary" not in shown.columns


def test_rows_and_columns_with_a_total_row_hide_a_rectangle():
    # worked by hand: 3 is small; row A then needs a second cell (no=12); columns yes and no
    # each need one more: yes=10 (the smallest) and no=8, which is in row B with yes=10, so
    # every row and column equation has two unknowns and nothing else is hidden.
    df = pd.DataFrame({"course": ["A", "B", "C", "all"], "yes": [3, 10, 20, 33],
                       "no": [12, 8, 7, 27], "n": [15, 18, 27, 60]})
    out = suppress_small(df, count_columns=["yes", "no"], total_columns={"n": ["yes", "no"]},
                         total_row=("course", "all"))
    assert _hidden(out, ["yes", "no", "n"]) == {"yes": [0, 1], "no": [0, 1], "n": []}
    assert out["course"].tolist() == ["A", "B", "C", "all"]


def test_total_rows_per_group_of_total_by():
    df = pd.DataFrame({"week": [1, 1, 1, 2, 2, 2], "course": ["A", "B", "all"] * 2,
                       "learners": [2, 30, 32, 9, 30, 39]})
    out = suppress_small(df, count_columns=["learners"], n_column=None,
                         total_row=("course", "all"), total_by=["week"])
    # week 1: 32 - 30 gives the 2 back, so 30 goes; week 2 has nothing small
    assert _hidden(out, ["learners"]) == {"learners": [0, 1]}
    with pytest.raises(ValueError, match="total rows"):
        suppress_small(df, count_columns=["learners"], n_column=None,
                       total_row=("course", "all"))


def test_secondary_prefers_a_non_zero_part_and_follows_linked_columns():
    df = pd.DataFrame({"a": [2], "b": [0], "c": [9], "n": [11], "c_share": [9 / 11]})
    out = suppress_small(df, total_columns={"n": ["a", "b", "c"]}, linked={"c": ["c_share"]})
    assert _hidden(out, ["a", "b", "c", "n", "c_share"]) == {
        "a": [0], "b": [], "c": [0], "n": [], "c_share": [0]}


def test_no_declared_total_no_secondary_suppression():
    df = pd.DataFrame({"yes": [3, 10], "no": [12, 8], "n": [15, 18]})
    out = suppress_small(df, count_columns=["yes", "no"])
    assert _hidden(out, ["yes", "no", "n"]) == {"yes": [0], "no": [], "n": []}
    assert not [c for c in out.columns if c.endswith("_secondary")]


def _recoverable(out, values, equations):
    """Hidden cells a reader can work out: those whose unit vector lies in the row space of
    the equations' hidden-cell coefficients (linear algebra, independent of privacy.py)."""
    hidden = [(i, c) for i in range(len(out)) for c in values.columns if pd.isna(out[c].iloc[i])]
    index = {cell: k for k, cell in enumerate(hidden)}
    rows = []
    for cells in equations:
        coeffs = np.zeros(len(hidden))
        for cell, sign in cells:
            if cell in index:
                coeffs[index[cell]] += sign
        if coeffs.any():
            rows.append(coeffs)
    if not rows:
        return []
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    found = []
    for cell, k in index.items():
        unit = np.zeros(len(hidden))
        unit[k] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            found.append(cell)
    return found


def _crosstab(seed):
    rng = np.random.default_rng(seed)
    body = rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 30], size=(5, 3), p=[.05, .1, .1, .1, .1,
                                                                     .15, .15, .15, .1])
    df = pd.DataFrame(body, columns=["x", "y", "z"])
    df["n"] = df.sum(axis=1)
    df.loc[len(df)] = df.sum(axis=0)
    df.insert(0, "group", [*"ABCDE", "all"])
    equations = [[((i, c), 1) for c in "xyz"] + [((i, "n"), -1)] for i in range(6)]
    equations += [[((i, c), 1) for i in range(5)] + [((5, c), -1)] for c in "xyzn"]
    return df, equations


@pytest.mark.parametrize("seed", range(12))
def test_no_suppressed_cell_can_be_worked_out_from_the_totals(seed):
    df, equations = _crosstab(seed)
    values = df[["x", "y", "z", "n"]]
    out = suppress_small(df, count_columns=["x", "y", "z"], n_column=None,
                         total_columns={"n": ["x", "y", "z"]}, total_row=("group", "all"))
    assert _recoverable(out, values, equations) == []
    # the small cells are hidden, and nothing shown was changed
    small = (values > 0) & (values < 5)
    for c in values.columns:
        assert out[c][small[c]].isna().all()
        shown = out[c].notna()
        assert (out[c][shown] == values[c][shown]).all()


def test_the_recovery_check_finds_cells_when_only_small_ones_are_hidden():
    # primary suppression alone leaves the small cells recoverable: the check has teeth
    found = []
    for seed in range(12):
        df, equations = _crosstab(seed)
        plain = suppress_small(df, count_columns=["x", "y", "z"], n_column=None)
        found += _recoverable(plain, df[["x", "y", "z", "n"]], equations)
    assert found


def _escapes(source: str) -> list[str]:
    """Notebook code that could put something on a page without the renderer.

    Everything a page shows goes through engagement.display (which applies disclosure
    control for partners, survival curves cut where few remain at risk included): a plot is
    drawn only as display.figure(plots.x, ...), nothing is printed or displayed by hand,
    privacy.for_audience is not called, and no cell ends with a bare expression (its value
    would be shown as it is, to both audiences).
    """
    import ast

    tree = ast.parse(source)
    problems = []
    figure_args = {id(node.args[0]) for node in ast.walk(tree)
                   if isinstance(node, ast.Call) and ast.unparse(node.func) == "display.figure"
                   and node.args}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id == "plots" and node.attr != "house_style" and \
                id(node) not in figure_args:
            problems.append(f"plots.{node.attr} outside display.figure")
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            if func in ("print", "display", "Markdown", "HTML", "privacy.for_audience",
                        "plt.show", "plots.plt.show"):
                problems.append(ast.unparse(node)[:80])
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and not (
                isinstance(stmt.value, ast.Call)
                and ast.unparse(stmt.value.func).startswith(("display.", "plots.house_style"))):
            problems.append(f"bare expression: {ast.unparse(stmt)[:60]}")
    return problems


def _notebook_cells(path) -> list[str]:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"
            and "parameters" not in c.metadata.get("tags", [])]


def test_every_notebook_puts_everything_on_the_page_through_the_renderer():
    from conftest import REPO

    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert notebooks
    drawn = 0
    for path in notebooks:
        for cell in _notebook_cells(path):
            assert _escapes(cell) == [], (path.name, cell[:80])
            drawn += cell.count("display.figure(plots.km_curves")
    assert drawn >= 5  # the check saw the curves (02, 03, 05, findings)


def test_the_renderer_check_catches_what_goes_around_it():
    leaks = ("km = retention.kaplan_meier(d)\nplots.km_curves(km, title='x')\n"
             "shown = privacy.for_audience(km, audience=audience)\n"
             "print(km)\nkm\n")
    found = _escapes(leaks)
    for what in ("plots.km_curves outside display.figure", "privacy.for_audience(km",
                 "print(km)", "bare expression: km"):
        assert any(f.startswith(what) for f in found), what
    fine = ("km = retention.kaplan_meier(d)\n"
            "display.figure(plots.km_curves, km, title='x')\n"
            "display.say(retention.describe_survival, retention.median_survival(km))\n")
    assert _escapes(fine) == []


def test_a_survival_curve_result_declares_its_at_risk_cut():
    from engagement import retention

    durations = pd.DataFrame({"duration_days": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
                              "event": [True] * 12, "group": ["a"] * 8 + ["b"] * 4})
    km = retention.kaplan_meier(durations, by="group")
    assert km.curve == "at_risk"
    shown = privacy.control(km, min_size=5)
    assert (shown.table["at_risk"] >= 5).all() and set(shown.table["group"]) == {"a"}


# --- scripts and event handlers ----------------------------------------------------------------

@pytest.mark.parametrize("seed, kind", [
    ("<script>alert(1)</script>", "script"),
    ("<SCRIPT type='text/javascript'>x()</SCRIPT>", "script"),
    ("<img src=x onerror=alert(1)>", "event_handler"),
    ('<div class="a" onclick="go()">x</div>', "event_handler"),
    ('<img title="x"onerror="y">', "event_handler"),
    ("<svg/onload=alert(1)>", "event_handler"),
    ('<a href="javascript:alert(1)">x</a>', "script_url"),
])
def test_scan_finds_scripts_and_event_handlers(seed, kind):
    leaks = scan_html(CLEAN.replace("</main>", seed + "</main>"))
    assert _kinds(leaks) == [kind]


@pytest.mark.parametrize("text", [
    "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;",
    "<p>onerror=1 and onload = 2</p>", '<div data-x="a onload=b">x</div>',
    "<p>see the javascript: section</p>"])
def test_escaped_or_plain_text_is_not_a_script(text):
    assert scan_html(CLEAN.replace("</main>", text + "</main>")) == []


# --- names, addresses and ids from the raw exports --------------------------------------------

def _write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_raw_identifying_terms_from_each_kind_of_export(tmp_path):
    import json

    from engagement.privacy import raw_identifying_terms

    files = [
        _write(tmp_path / "moodle_logs" / "C1.csv",
               "\ufeffTime,User full name,Affected user,Event context,Component,Event name,"
               "Description,Origin,IP address\n"
               '"3/05/26, 22:46",Ann Smith,-,Course: C1,System,Course viewed,x,web,10.0.0.1\n'
               '"3/05/26, 22:47",Admin User,Bob Jones,Course: C1,System,Role assigned,x,web,'
               "10.0.0.1\n"),
        _write(tmp_path / "enrolments.csv",
               "user_id,full_name,email,course,organisation\n"
               "4,Carla Díaz,carla@acme.example,C1,Acme Trust\n"
               "s1234567,Wei,,C1,Acme Trust\n"),
        _write(tmp_path / "attendance" / "teams_x.csv",
               "1. Summary\nMeeting title\tC1 tutorial\n\n2. Participants\n"
               "Name\tFirst Join\tEmail\tParticipant ID (UPN)\tRole\n"
               "Dana O'Neil\t3/5/24, 2:02:13 PM\t\tdana@uni.example\tAttendee\n\n"
               "3. In-Meeting Activities\nName\tJoin Time\nEve Adams\t3/5/24\n",
               encoding="utf-16"),
        _write(tmp_path / "xapi" / "s.json", json.dumps([{
            "actor": {"objectType": "Agent", "name": "Finn Wolfe",
                      "mbox": "mailto:finn@x.example", "account": {"name": "7", "homePage": "h"}},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"}}])),
        _write(tmp_path / "courses.csv", "course,title\nC1,Grace Hopper studies\n"),
        tmp_path / "absent.csv",
    ]
    before = {p: p.read_bytes() for p in files if p.exists()}
    terms = raw_identifying_terms(files)
    assert list(terms.columns) == ["term", "kind", "file", "column"]
    got = set(zip(terms["term"], terms["kind"]))
    assert got == {("Ann Smith", "name"), ("Bob Jones", "name"), ("Carla Díaz", "name"),
                   ("carla@acme.example", "email"), ("s1234567", "id"),
                   ("Dana O'Neil", "name"), ("dana@uni.example", "email"),
                   ("Eve Adams", "name"), ("Finn Wolfe", "name"), ("finn@x.example", "email")}
    # "Admin User", one-word "Wei", ids 4 and 7 (too short), titles of courses: not people
    assert terms.set_index("term").loc["Ann Smith", "column"] == "User full name"
    assert {p: p.read_bytes() for p in before} == before  # only read


def test_a_report_with_a_raw_name_fails_the_scan(tmp_path):
    from engagement.privacy import raw_identifying_terms

    raw = _write(tmp_path / "attendance" / "signin_a.csv",
                 "Date,Start,Course,Format,Full name,Email,Organisation\n"
                 "22/01/2026,12:30,C1,tutorial,callum garcía,,Northgate Trust\n")
    terms = raw_identifying_terms([raw])["term"]
    assert scan_html(CLEAN, extra_terms=terms) == []
    leaks = scan_html(CLEAN.replace("n = 120", "n = 120, led by Callum García"),
                      extra_terms=terms)
    assert [(leak["kind"], leak["match"]) for leak in leaks] == [("term", "Callum García")]
