"""OULAD folder -> contract tables (sources/oulad.py).

A tiny hand-made OULAD folder whose answers are worked out by hand, the bad-input errors,
and the real dataset in ENGAGEMENT_SHARED_DATA/oulad against its published figures.
"""

import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from engagement.schema import InputError, QualityLog, validate
from engagement.sources import oulad
from engagement.sources.oulad import TIME_RESOLUTION, load_oulad

UTC = "UTC"
REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ENGAGEMENT_SHARED_DATA", REPO.parent / "shared" / "data"))


def ts(text):
    return pd.Timestamp(text, tz=UTC)


def csv_text(header, rows, *, sep=",", quote=True, eol="\r\n"):
    """OULAD style: every field quoted, CRLF; `?` and "" are written as given."""
    def line(fields):
        return sep.join(f'"{f}"' if quote else str(f) for f in fields)
    return eol.join(line(r) for r in [header, *rows]) + eol


def write(folder, name, header, rows, **kw):
    (folder / name).write_bytes(csv_text(header, rows, **kw).encode("utf-8"))


VLE_HEADER = ["code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"]
# Sorted by module, presentation, date like the original: AAA 2014B is the last one
# present, so in a partial file it is the cut one; BBB 2013J has no rows at all.
VLE_ROWS = [
    ["AAA", "2013J", 11, 100, -5, 3],
    ["AAA", "2013J", 11, 101, 0, 1],
    ["AAA", "2013J", 12, 100, 0, 2],
    ["AAA", "2013J", 13, 101, 31, 4],
    ["AAA", "2014B", 11, 200, 10, 5],
    ["AAA", "2014B", 11, 200, 45, 2],
]


def write_vle_zip(folder, rows=VLE_ROWS, name=oulad.PARTIAL_VLE):
    text = csv_text(VLE_HEADER, rows, sep="\t", quote=False)
    with zipfile.ZipFile(folder / name, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("studentVle.txt", text)


@pytest.fixture
def tiny(tmp_path):
    """A hand-made OULAD folder (answers in the tests below)."""
    d = tmp_path / "oulad"
    d.mkdir()
    write(d, "courses.csv", ["code_module", "code_presentation", "module_presentation_length"],
          [["AAA", "2013J", 268], ["AAA", "2014B", 200], ["BBB", "2013J", 100]])
    write(d, "assessments.csv",
          ["code_module", "code_presentation", "id_assessment", "assessment_type", "date",
           "weight"],
          [["AAA", "2013J", 1, "TMA", 19, 20], ["AAA", "2013J", 2, "TMA", 54, 30],
           ["AAA", "2013J", 3, "Exam", "?", 100], ["AAA", "2014B", 5, "TMA", 20, 50],
           ["BBB", "2013J", 4, "CMA", 10, 0]])
    write(d, "vle.csv", ["id_site", "code_module", "code_presentation", "activity_type",
                         "week_from", "week_to"],
          [[100, "AAA", "2013J", "resource", "?", "?"],
           [101, "AAA", "2013J", "forumng", "", ""],
           [200, "AAA", "2014B", "quiz", 1, 2]])
    write(d, "studentInfo.csv",
          ["code_module", "code_presentation", "id_student", "gender", "region",
           "highest_education", "imd_band", "age_band", "num_of_prev_attempts",
           "studied_credits", "disability", "final_result"],
          [["AAA", "2013J", 11, "M", "Scotland", "HE Qualification", "?", "35-55", 0, 60,
            "N", "Pass"],
           ["AAA", "2013J", 12, "F", "Wales", "A Level or Equivalent", "20-30%", "0-35", 1,
            120, "Y", "Withdrawn"],
           ["AAA", "2013J", 13, "F", "Wales", "HE Qualification", "", "55<=", 0, 60, "N",
            "Distinction"],
           ["AAA", "2014B", 11, "M", "Scotland", "HE Qualification", "90-100%", "35-55", 0,
            60, "N", "Fail"],
           ["BBB", "2013J", 14, "M", "London Region", "Lower Than A Level", "0-10%", "0-35",
            0, 30, "N", "Withdrawn"],
           ["BBB", "2013J", 15, "F", "London Region", "No Formal quals", "10-20", "0-35",
            2, 60, "N", "Fail"]])
    write(d, "studentRegistration.csv",
          ["code_module", "code_presentation", "id_student", "date_registration",
           "date_unregistration"],
          [["AAA", "2013J", 11, -10, ""], ["AAA", "2013J", 12, -30, 20],
           ["AAA", "2013J", 13, "?", ""], ["AAA", "2014B", 11, 5, ""],
           ["BBB", "2013J", 14, 0, "?"], ["BBB", "2013J", 15, -1, ""]])
    write(d, "studentAssessment.csv",
          ["id_assessment", "id_student", "date_submitted", "is_banked", "score"],
          [[1, 11, 18, 0, 80], [2, 11, 50, 0, 60], [3, 11, 230, 0, 90],
           [1, 12, 19, 0, "?"],
           [1, 13, 15, 0, 100], [2, 13, 40, 0, ""],
           [5, 11, -1, 1, 70],
           [4, 15, 12, 0, 50]])
    write_vle_zip(d)
    return d


def rules(q):
    return {r["rule"]: r for r in q.rules}


# --------------------------------------------------------------------------- tiny folder

def test_courses_dates_coverage_and_observation_end(tiny):
    q = QualityLog()
    c = load_oulad(tiny, quality=q)["courses"].set_index("course")
    assert list(c.index) == ["AAA-2013J", "AAA-2014B", "BBB-2013J"]
    assert list(c["title"]) == ["AAA", "AAA", "BBB"]
    # J starts 1 October, B starts 1 February (UTC midnight)
    assert c.loc["AAA-2013J", "starts_at"] == ts("2013-10-01")
    assert c.loc["AAA-2014B", "starts_at"] == ts("2014-02-01")
    # 2013-10-01 + 268 days; 2014-02-01 + 200 days; 2013-10-01 + 100 days
    assert c.loc["AAA-2013J", "ends_at"] == ts("2014-06-26")
    assert c.loc["AAA-2014B", "ends_at"] == ts("2014-08-20")
    assert c.loc["BBB-2013J", "ends_at"] == ts("2014-01-09")
    assert dict(c["vle_coverage"]) == {"AAA-2013J": "complete", "AAA-2014B": "partial",
                                       "BBB-2013J": "none"}
    assert c.loc["AAA-2013J", "observation_end"] == ts("2014-06-26")   # whole: ends_at
    assert c.loc["AAA-2014B", "observation_end"] == ts("2014-03-18")   # cut: start + day 45
    assert c.loc["BBB-2013J", "observation_end"] == ts("2013-10-01")   # none: starts_at
    r = rules(q)
    assert r[oulad.RULE_START]["rows"] == 3 and r[oulad.RULE_START]["action"] == "flagged"
    assert r[oulad.RULE_NO_VLE_PARTIAL]["rows"] == 1
    assert r[oulad.RULE_NO_VLE_PARTIAL]["action"] == "flagged"
    assert r[oulad.RULE_CUT]["rows"] == 1 and "AAA-2014B: day 45" in r[oulad.RULE_CUT]["detail"]


def test_learners_enrolment_from_day_offsets(tiny):
    q = QualityLog()
    ln = load_oulad(tiny, quality=q)["learners"]
    assert len(ln) == 6
    got = ln.set_index(["learner_id", "course"])
    assert got.loc[("11", "AAA-2013J"), "enrolled_at"] == ts("2013-09-21")   # day -10
    assert got.loc[("12", "AAA-2013J"), "enrolled_at"] == ts("2013-09-01")   # day -30
    assert pd.isna(got.loc[("13", "AAA-2013J"), "enrolled_at"])              # "?"
    assert got.loc[("11", "AAA-2014B"), "enrolled_at"] == ts("2014-02-06")   # day 5
    assert got.loc[("15", "BBB-2013J"), "enrolled_at"] == ts("2013-09-30")   # day -1
    assert ln["organisation"].isna().all() and ln["acquisition_channel"].isna().all()
    assert got.loc[("12", "AAA-2013J"), "region"] == "Wales"
    assert got.loc[("12", "AAA-2013J"), "disability"] == "Y"
    assert got.loc[("12", "AAA-2013J"), "num_of_prev_attempts"] == 1
    assert got.loc[("11", "AAA-2013J"), "imd_band"] is None     # "?" -> null
    assert got.loc[("13", "AAA-2013J"), "imd_band"] is None     # "" -> null
    assert rules(q)[oulad.RULE_NO_REG_DATE]["rows"] == 1


def test_events_clicks_and_submissions(tiny):
    q = QualityLog()
    ev = load_oulad(tiny, quality=q)["events"]
    assert TIME_RESOLUTION == "day"
    views = ev[ev["action"] == "view"].reset_index(drop=True)
    assert len(views) == 6
    assert list(views["timestamp"]) == [ts("2013-09-26"), ts("2013-10-01"), ts("2013-10-01"),
                                        ts("2013-11-01"), ts("2014-02-11"), ts("2014-03-18")]
    assert list(views["count"]) == [3, 1, 2, 4, 5, 2]
    assert list(views["object_id"]) == ["site:100", "site:101", "site:100", "site:101",
                                        "site:200", "site:200"]
    assert list(views["activity_type"]) == ["resource", "forumng", "resource", "forumng",
                                            "quiz", "quiz"]
    assert (views["source"] == "lms").all() and views["target_learner_id"].isna().all()
    assert list(views["learner_id"]) == ["11", "11", "12", "13", "11", "11"]

    subs = ev[ev["action"] == "submit"].set_index(["learner_id", "object_id"])
    assert len(subs) == 7    # 8 results, the banked one is not a submission
    assert ("11", "assessment:5") not in subs.index
    assert subs.loc[("11", "assessment:3"), "timestamp"] == ts("2014-05-19")  # day 230
    assert subs.loc[("15", "assessment:4"), "timestamp"] == ts("2013-10-13")  # BBB day 12
    assert subs.loc[("15", "assessment:4"), "course"] == "BBB-2013J"
    assert (subs["count"] == 1).all() and subs["activity_type"].isna().all()
    assert str(ev["timestamp"].dtype) == "datetime64[ns, UTC]"

    r = rules(q)
    assert r[oulad.RULE_DAILY]["rows"] == 6 and r[oulad.RULE_DAILY]["action"] == "flagged"
    assert r[oulad.RULE_BANKED]["rows"] == 1 and r[oulad.RULE_BANKED]["action"] == "dropped"
    assert q.rows_read["oulad_student_assessment"] == 8 == 7 + q.dropped(
        "oulad_student_assessment")


def test_outcomes_results_dates_and_weighted_score(tiny):
    q = QualityLog()
    out = load_oulad(tiny, quality=q)["outcomes"].set_index(["learner_id", "course"])
    assert len(out) == 6
    assert dict(out["final_result"]) == {
        ("11", "AAA-2013J"): "passed", ("12", "AAA-2013J"): "withdrawn",
        ("13", "AAA-2013J"): "distinction", ("11", "AAA-2014B"): "failed",
        ("14", "BBB-2013J"): "withdrawn", ("15", "BBB-2013J"): "failed"}
    # completion = the presentation's end for Pass / Distinction / Fail
    assert out.loc[("11", "AAA-2013J"), "completed_at"] == ts("2014-06-26")
    assert out.loc[("11", "AAA-2014B"), "completed_at"] == ts("2014-08-20")
    assert out.loc[("15", "BBB-2013J"), "completed_at"] == ts("2014-01-09")
    assert pd.isna(out.loc[("12", "AAA-2013J"), "completed_at"])
    assert out.loc[("12", "AAA-2013J"), "withdrawn_at"] == ts("2013-10-21")   # day 20
    assert pd.isna(out.loc[("14", "BBB-2013J"), "withdrawn_at"])             # "?"
    # (20*80 + 30*60 + 100*90) / (20 + 30 + 100): the exam counts
    assert out.loc[("11", "AAA-2013J"), "score"] == pytest.approx(12400 / 150)
    assert out.loc[("11", "AAA-2013J"), "n_scores"] == 3
    assert out.loc[("13", "AAA-2013J"), "score"] == 100   # the missing score is left out
    assert out.loc[("13", "AAA-2013J"), "n_scores"] == 1
    assert pd.isna(out.loc[("12", "AAA-2013J"), "score"])    # only a missing score
    assert out.loc[("11", "AAA-2014B"), "score"] == 70       # banked result counts
    assert pd.isna(out.loc[("15", "BBB-2013J"), "score"])    # weight 0 only
    r = rules(q)
    assert r[oulad.RULE_MISSING_SCORE]["rows"] == 2
    assert r[oulad.RULE_ZERO_WEIGHT]["rows"] == 1
    assert r[oulad.RULE_NO_UNREG]["rows"] == 1
    assert r[oulad.RULE_UNREG_NOT_WITHDRAWN]["rows"] == 0


def test_quality_records_files_and_timezone(tiny):
    q = QualityLog()
    tables = load_oulad(tiny, quality=q)
    assert q.timezones == {"oulad": "UTC (day offsets from the presentation start)"}
    assert q.rows_read == {"oulad_courses": 3, "oulad_assessments": 5, "oulad_sites": 3,
                           "oulad_info": 6, "oulad_registration": 6,
                           "oulad_student_assessment": 8, "oulad_vle": 6}
    assert {f["file"] for f in q.raw_files} == {
        "courses.csv", "assessments.csv", "vle.csv", "studentInfo.csv",
        "studentRegistration.csv", "studentAssessment.csv", oulad.PARTIAL_VLE}
    assert rules(q)[oulad.RULE_PREFIX]["rows"] == 6
    for name, df in tables.items():
        validate(df, name)
    # read in place: nothing extracted beside the zip
    assert not (tiny / "studentVle.txt").exists()


def test_full_studentvle_csv_is_preferred(tiny):
    write(tiny, "studentVle.csv", VLE_HEADER, VLE_ROWS[:4])   # AAA 2013J only
    q = QualityLog()
    tables = load_oulad(tiny, quality=q)
    c = tables["courses"].set_index("course")
    assert dict(c["vle_coverage"]) == {"AAA-2013J": "complete", "AAA-2014B": "none",
                                       "BBB-2013J": "none"}
    assert c.loc["AAA-2013J", "observation_end"] == c.loc["AAA-2013J", "ends_at"]
    assert c.loc["AAA-2014B", "observation_end"] == ts("2014-02-01")
    assert (tables["events"]["action"] == "view").sum() == 4
    assert "studentVle.csv" in {f["file"] for f in q.raw_files}
    assert oulad.PARTIAL_VLE not in {f["file"] for f in q.raw_files}
    assert oulad.RULE_PREFIX not in rules(q)
    assert rules(q)[oulad.RULE_NO_VLE]["rows"] == 2


def test_full_file_with_every_presentation_is_complete(tiny):
    write(tiny, "studentVle.csv", VLE_HEADER, VLE_ROWS)
    c = load_oulad(tiny)["courses"].set_index("course")
    assert c.loc["AAA-2014B", "vle_coverage"] == "complete"
    assert c.loc["AAA-2014B", "observation_end"] == ts("2014-08-20")


def test_vle_false_skips_clicks(tiny):
    q = QualityLog()
    tables = load_oulad(tiny, quality=q, vle=False)
    assert (tables["courses"]["vle_coverage"] == "none").all()
    assert (tables["events"]["action"] == "submit").all() and len(tables["events"]) == 7
    assert rules(q)[oulad.RULE_VLE_SKIPPED]["rows"] == 3
    assert "oulad_vle" not in q.rows_read


# --------------------------------------------------------------------------- bad input

def test_missing_required_file_is_named(tiny):
    (tiny / "vle.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"vle\.csv"):
        load_oulad(tiny)


def test_missing_clicks_file_is_named(tiny):
    (tiny / oulad.PARTIAL_VLE).unlink()
    with pytest.raises(FileNotFoundError, match=r"studentVle\.csv"):
        load_oulad(tiny)


def test_missing_columns_are_named(tiny):
    write(tiny, "studentRegistration.csv",
          ["code_module", "code_presentation", "id_student", "date_registration"],
          [["AAA", "2013J", 11, -10]])
    with pytest.raises(InputError, match="date_unregistration") as err:
        load_oulad(tiny)
    assert err.value.file.endswith("studentRegistration.csv")


def test_non_numeric_value_names_file_row_column(tiny):
    write(tiny, "studentAssessment.csv",
          ["id_assessment", "id_student", "date_submitted", "is_banked", "score"],
          [[1, 11, 18, 0, 80], [2, 11, "soon", 0, 60]])
    with pytest.raises(InputError, match="soon") as err:
        load_oulad(tiny)
    assert err.value.file.endswith("studentAssessment.csv")
    assert (err.value.row, err.value.column) == (3, "date_submitted")


def test_non_numeric_click_in_zip_names_member_row_column(tiny):
    rows = [list(r) for r in VLE_ROWS]
    rows[4][5] = "many"
    write_vle_zip(tiny, rows)
    with pytest.raises(InputError, match="many") as err:
        load_oulad(tiny)
    assert oulad.PARTIAL_VLE in err.value.file and "studentVle.txt" in err.value.file
    assert (err.value.row, err.value.column) == (6, "sum_click")


def test_missing_student_id_is_an_error(tiny):
    write(tiny, "studentInfo.csv",
          ["code_module", "code_presentation", "id_student", "gender", "region",
           "highest_education", "imd_band", "age_band", "num_of_prev_attempts",
           "studied_credits", "disability", "final_result"],
          [["AAA", "2013J", "?", "M", "Scotland", "HE", "?", "35-55", 0, 60, "N", "Pass"]])
    with pytest.raises(InputError, match="missing value") as err:
        load_oulad(tiny)
    assert (err.value.row, err.value.column) == (2, "id_student")


def test_bad_presentation_code(tiny):
    write(tiny, "courses.csv", ["code_module", "code_presentation", "module_presentation_length"],
          [["AAA", "2013J", 268], ["AAA", "2014X", 200]])
    with pytest.raises(InputError, match="2014X") as err:
        load_oulad(tiny)
    assert err.value.row == 3


def test_unknown_final_result(tiny):
    text = (tiny / "studentInfo.csv").read_text().replace('"Fail"', '"Failed badly"', 1)
    (tiny / "studentInfo.csv").write_text(text)
    with pytest.raises(InputError, match="Failed badly"):
        load_oulad(tiny)


# --------------------------------------------------------------------------- real data

@pytest.fixture(scope="module")
def real():
    # loaded once for the module: 1M VLE rows
    path = SHARED / "oulad"
    if not (path / "courses.csv").is_file():
        pytest.skip(f"real OULAD data {path} absent (set ENGAGEMENT_SHARED_DATA)")
    q = QualityLog()
    return path, load_oulad(path, quality=q), q


def test_real_published_figures(real):
    _, t, q = real
    assert len(t["courses"]) == 22
    assert len(t["learners"]) == 32_593
    assert t["learners"]["learner_id"].nunique() == 28_785
    assert len(t["outcomes"]) == 32_593
    assert t["outcomes"]["final_result"].value_counts().to_dict() == {
        "passed": 12_361, "withdrawn": 10_156, "failed": 7_052, "distinction": 3_024}
    assert t["outcomes"]["withdrawn_at"].notna().sum() == 10_072
    assert rules(q)[oulad.RULE_MISSING_SCORE]["rows"] == 173
    assert q.rows_read["oulad_vle"] == oulad.PREFIX_ROWS
    assert q.rows_read["oulad_student_assessment"] == 173_912


def test_real_partial_vle_coverage(real):
    _, t, q = real
    c = t["courses"].set_index("course")
    covered = c.loc[c["vle_coverage"] != "none", "vle_coverage"].to_dict()
    assert covered == {"AAA-2013J": "complete", "AAA-2014J": "complete",
                       "BBB-2013B": "complete", "BBB-2013J": "partial"}
    assert c.loc["BBB-2013J", "observation_end"] == (c.loc["BBB-2013J", "starts_at"]
                                                     + pd.Timedelta(days=133))
    assert c.loc["AAA-2013J", "observation_end"] == c.loc["AAA-2013J", "ends_at"]
    assert rules(q)[oulad.RULE_NO_VLE_PARTIAL]["rows"] == 18
    views = t["events"][t["events"]["action"] == "view"]
    assert len(views) == oulad.PREFIX_ROWS
    assert set(views["course"]) == set(covered)


def test_real_tables_pass_the_contract_and_files_untouched(real):
    path, t, q = real
    for name, df in t.items():
        validate(df, name, source=path)
    published = {}
    for line in (path / "MD5SUMS").read_text().splitlines():
        md5, name = line.split()
        published[name.split("/")[-1]] = md5
    for f in q.raw_files:
        assert f["md5"] == published[f["file"]], f["file"]


def test_big_table_validation_quotes_the_real_row(tiny):
    from engagement.schema import ContractError
    ev = load_oulad(tiny)["events"]
    bad = ev.copy()
    bad.loc[4, "count"] = 0
    with pytest.raises(ContractError, match=r"row 4: (np\.int64\()?0"):
        oulad._validate_by_values(bad, "events", source="x")
    assert oulad._validate_by_values(ev, "events", source="x") is ev


def test_corrupt_zip_is_an_input_error(tiny):
    (tiny / oulad.PARTIAL_VLE).write_bytes(b"not a zip at all")
    with pytest.raises(InputError, match="zip") as err:
        load_oulad(tiny)
    assert err.value.file.endswith(oulad.PARTIAL_VLE)


def test_whole_number_written_with_decimals_is_read(tiny):
    # "12.0" defeats the fast typed read; the slow path reads it as 12
    text = (tiny / "studentAssessment.csv").read_text().replace('"4","15","12"', '"4","15","12.0"')
    (tiny / "studentAssessment.csv").write_text(text)
    ev = load_oulad(tiny)["events"]
    row = ev[(ev["learner_id"] == "15") & (ev["object_id"] == "assessment:4")]
    assert list(row["timestamp"]) == [ts("2013-10-13")]
