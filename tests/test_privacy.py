"""privacy.py on hand-made tables and pages whose answers are known by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engagement import privacy
from engagement.privacy import (
    PSEUDONYM_PATTERN,
    anonymise_organisations,
    for_audience,
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
    assert shown["mean"].tolist() == ["n<5", 2.5]


def test_suppressed_table_displays_markers_but_holds_missing_values():
    df = pd.DataFrame({"course": ["A", "B"], "learners": [3, 40]})
    out = for_audience(df, audience="partner", count_columns=["learners"])
    assert isinstance(out, pd.DataFrame)
    assert out["learners"].isna().tolist() == [True, False]       # the value is gone
    html = out._repr_html_()
    assert "&lt;5" in html and "learners_suppressed" not in html   # shown as <5, no marker
    assert "<5" in repr(out) and "40" in repr(out)
    assert type(out.copy()) is pd.DataFrame                        # operations give plain frames


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

def test_for_audience_researcher_is_unchanged_partner_is_protected():
    df = pd.DataFrame({"organisation": ["Acme", "Beta", "Gamma"], "n": [40, 3, 12],
                       "posts": [80, 9, 2]})
    researcher = for_audience(df, audience="researcher", count_columns=["posts"])
    pd.testing.assert_frame_equal(researcher, df)
    partner = for_audience(df, audience="partner", count_columns=["posts"],
                           organisation_column="organisation", own_organisation="Beta")
    assert partner["organisation"].tolist() == ["Organisation A", "Beta", "Organisation B"]
    assert partner["n"].isna().tolist() == [False, True, False]
    assert partner["posts"].isna().tolist() == [False, True, True]


def test_for_audience_refuses_identifiers_for_both_and_unknown_audience():
    df = pd.DataFrame({"learner_id": ["4"], "n": [1]})
    for audience in ("researcher", "partner"):
        with pytest.raises(ValueError, match="learner_id"):
            for_audience(df, audience=audience)
    with pytest.raises(ValueError, match="audience"):
        for_audience(pd.DataFrame({"n": [10]}), audience="public")


def test_for_audience_partner_refuses_pseudonyms_in_values_researcher_does_not():
    df = pd.DataFrame({"top_poster": ["L-0123456789"], "posts": [40]})
    assert for_audience(df, audience="researcher").equals(df)
    with pytest.raises(ValueError, match="top_poster"):
        for_audience(df, audience="partner")


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
