"""mapping.py: any CSV into any contract table; the standard layout's built-in loaders."""

import pandas as pd
import pytest

from engagement.schema import COLUMNS, InputError, QualityLog
from engagement.sources import mapping
from engagement.sources.mapping import (load_courses, load_enrolments, load_mapped,
                                        load_outcomes, read_mapping)

UTC = pd.Timestamp


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


LEARNERS = {
    "table": "learners",
    "columns": {"learner_id": "user_id", "course": "course", "organisation": "organisation",
                "enrolled_at": "enrolled_at", "acquisition_channel": {"value": None}},
    "datetime_format": "%Y-%m-%d %H:%M",
    "timezone": "Europe/London",
}


# --------------------------------------------------------------------------- each table

def test_learners_mapping_converts_local_times_and_drops_extra_columns(tmp_path):
    path = write(tmp_path, "people.csv",
                 "user_id,course,organisation,enrolled_at,secret\n"
                 "4,DIG101,Acme,2024-01-15 09:30,x\n"
                 "7,DIG101,,2024-06-15 09:30,y\n")
    quality = QualityLog()
    out = load_mapped(path, LEARNERS, quality=quality, source="crm")
    assert list(out.columns) == COLUMNS["learners"]
    assert out["learner_id"].tolist() == ["4", "7"]
    # GMT in January, BST (UTC+1) in June
    assert out["enrolled_at"].tolist() == [UTC("2024-01-15 09:30", tz="UTC"),
                                           UTC("2024-06-15 08:30", tz="UTC")]
    assert out["organisation"].tolist() == ["Acme", None]
    assert out["acquisition_channel"].isna().all()
    assert str(out["enrolled_at"].dtype) == "datetime64[ns, UTC]"
    dropped = [r for r in quality.rules if r["rule"].startswith("source columns")]
    assert dropped and "secret" in dropped[0]["detail"] and dropped[0]["rows"] == 0
    assert quality.rows_read == {"crm": 2}
    assert quality.timezones == {"crm": "Europe/London"}


def test_events_mapping_with_constants_thousands_and_values(tmp_path):
    path = write(tmp_path, "clicks.csv",
                 "who,module,when,what,n\n"
                 "4,DIG101,2024-03-05T10:00:00+01:00,Viewed,\"1,200\"\n"
                 "5,DIG101,2024-03-05 10:00,Posted,3\n")
    m = {"table": "events",
         "columns": {"learner_id": "who", "course": "module", "timestamp": "when",
                     "source": {"value": "lms"}, "action": "what", "count": "n"},
         "timezone": "UTC", "thousands": ",",
         "values": {"action": {"Viewed": "view", "Posted": "post"}}}
    out = load_mapped(path, m)
    assert out["action"].tolist() == ["view", "post"]
    assert out["source"].tolist() == ["lms", "lms"]
    assert out["count"].tolist() == [1200, 3]
    assert str(out["count"].dtype) == "Int64"
    # an explicit offset wins over the mapping's time zone
    assert out["timestamp"].tolist() == [UTC("2024-03-05 09:00", tz="UTC"),
                                         UTC("2024-03-05 10:00", tz="UTC")]
    assert out["object_id"].isna().all() and out["target_learner_id"].isna().all()


def test_offset_times_need_no_timezone(tmp_path):
    path = write(tmp_path, "posts.csv",
                 "id,platform,date,imp\np1,LinkedIn,2024-02-01T12:00:00-05:00,10\n")
    m = {"table": "outreach",
         "columns": {"channel": "platform", "post_id": "id", "published_at": "date",
                     "exposures": "imp"},
         "values": {"channel": {"LinkedIn": "linkedin"}}}
    out = load_mapped(path, m)
    assert out.loc[0, "published_at"] == UTC("2024-02-01 17:00", tz="UTC")
    assert out.loc[0, "channel"] == "linkedin"
    assert out.loc[0, "exposures"] == 10 and pd.isna(out.loc[0, "clicks"])


def test_courses_and_outcomes_tables_by_mapping(tmp_path):
    courses = write(tmp_path, "c.csv", "code,name,start,end\nDIG101,Digital,01/03/2024,\n")
    out = load_mapped(courses, {
        "table": "courses", "timezone": "Europe/London", "datetime_format": "%d/%m/%Y",
        "columns": {"course": "code", "title": "name", "starts_at": "start",
                    "ends_at": "end", "observation_end": "start"}})
    assert out.loc[0, "starts_at"] == UTC("2024-03-01", tz="UTC")
    assert pd.isna(out.loc[0, "ends_at"])
    outcomes = write(tmp_path, "o.csv", "id,course,res,done,mark\n4,DIG101,passed,2024-04-01,71.5\n")
    out = load_mapped(outcomes, {
        "table": "outcomes", "timezone": "Europe/London",
        "datetime_format": {"completed_at": "%Y-%m-%d"},
        "columns": {"learner_id": "id", "course": "course", "final_result": "res",
                    "completed_at": "done", "score": "mark"}})
    # 1 April 2024 is in British Summer Time: local midnight is 23:00 UTC the day before
    assert out.loc[0, "completed_at"] == UTC("2024-03-31 23:00", tz="UTC")
    assert out.loc[0, "score"] == 71.5
    assert pd.isna(out.loc[0, "withdrawn_at"])


def test_yaml_mapping_file(tmp_path):
    path = write(tmp_path, "people.csv", "user_id;course;channel\n4;DIG101;Twitter\n")
    yml = write(tmp_path, "m.yaml",
                "table: learners\n"
                "columns:\n  learner_id: user_id\n  course: course\n"
                "  acquisition_channel: channel\n"
                "delimiter: ';'\n"
                "values:\n  acquisition_channel: {LinkedIn: linkedin, Twitter: x}\n")
    out = load_mapped(path, yml)
    assert out.loc[0, "acquisition_channel"] == "x"
    assert pd.isna(out.loc[0, "enrolled_at"])  # unmapped optional column -> null


def test_mapping_dict_is_not_modified(tmp_path):
    path = write(tmp_path, "people.csv", "user_id,course,organisation,enrolled_at\n"
                                         "4,DIG101,Acme,2024-01-15 09:30\n")
    m = {**LEARNERS, "columns": dict(LEARNERS["columns"])}
    before = repr(m)
    load_mapped(path, m)
    assert repr(m) == before


# --------------------------------------------------------------------------- errors

def test_missing_source_column_lists_columns_found(tmp_path):
    path = write(tmp_path, "people.csv", "user_id,course,org,enrolled_at\n4,DIG101,A,\n")
    with pytest.raises(InputError) as err:
        load_mapped(path, LEARNERS)
    msg = str(err.value)
    assert "people.csv" in msg and "'organisation'" in msg and "'org'" in msg


def test_unmapped_required_column_is_named():
    with pytest.raises(InputError, match="required column 'course'"):
        read_mapping({"table": "learners", "columns": {"learner_id": "user_id"}})
    with pytest.raises(InputError, match="required column 'count'"):
        read_mapping({"table": "events", "columns": {
            "learner_id": "a", "course": "b", "timestamp": "c", "source": "d", "action": "e"}})


def test_required_constant_null_is_refused(tmp_path):
    path = write(tmp_path, "p.csv", "user_id\n4\n")
    with pytest.raises(InputError, match="required column 'course' is given no value"):
        load_mapped(path, {"table": "learners",
                           "columns": {"learner_id": "user_id", "course": {"value": None}}})


@pytest.mark.parametrize("bad, message", [
    ({"table": "students", "columns": {"a": "b"}}, "unknown table 'students'"),
    ({"table": "learners", "columns": {"learner_id": "a", "course": "b", "colour": "c"}},
     "'colour' are not in the 'learners' table"),
    ({"table": "learners", "columns": {"learner_id": "a", "course": "b"}, "tz": "UTC"},
     "unknown key"),
    ({"table": "learners", "columns": {"learner_id": "a", "course": "b"},
      "timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"table": "learners", "columns": {"learner_id": "a", "course": "b"},
      "encoding": "klingon"}, "unknown encoding"),
    ({"table": "learners", "columns": {"learner_id": "a", "course": {"val": 1}}},
     "column 'course'"),
    ({"table": "learners", "columns": {"learner_id": "a", "course": "b"},
      "datetime_format": {"timestamp": "%Y"}}, "datetime_format"),
])
def test_bad_mapping_dicts(bad, message):
    with pytest.raises(InputError, match=message):
        read_mapping(bad)


def test_bad_yaml_names_file_and_line(tmp_path):
    yml = write(tmp_path, "m.yaml", "table: learners\ncolumns:\n  learner_id: [user_id\n")
    with pytest.raises(InputError) as err:
        read_mapping(yml)
    assert "m.yaml" in str(err.value) and "not valid YAML" in str(err.value)
    assert err.value.row is not None and err.value.row >= 3
    not_a_dict = write(tmp_path, "list.yaml", "- table\n- columns\n")
    with pytest.raises(InputError, match="YAML dictionary"):
        read_mapping(not_a_dict)


def test_read_mapping_fills_defaults():
    m = read_mapping({"table": "learners", "columns": {"learner_id": "u", "course": "c"}})
    assert m["columns"]["organisation"] == {"value": None}
    assert m["encoding"] == "auto" and m["delimiter"] == ","
    assert m["datetime_format"] == {"enrolled_at": None}


def test_bad_date_names_file_row_column_and_value(tmp_path):
    # a quoted value spanning two lines and a blank line: the row is the line in the file
    path = write(tmp_path, "people.csv",
                 "user_id,course,organisation,enrolled_at\n"
                 "4,DIG101,\"Acme\nLtd\",2024-01-15 09:30\n"
                 "\n"
                 "5,DIG101,B,2024-13-01 09:30\n")
    with pytest.raises(InputError) as err:
        load_mapped(path, LEARNERS)
    assert err.value.row == 5
    assert err.value.column == "enrolled_at"
    assert "2024-13-01 09:30" in str(err.value) and "people.csv" in str(err.value)


def test_naive_time_without_timezone_is_an_error(tmp_path):
    path = write(tmp_path, "people.csv", "user_id,course,enrolled_at\n4,DIG101,2024-01-15 09:30\n")
    with pytest.raises(InputError, match="no UTC offset") as err:
        load_mapped(path, {"table": "learners", "columns": {
            "learner_id": "user_id", "course": "course", "enrolled_at": "enrolled_at"}})
    assert err.value.row == 2


@pytest.mark.parametrize("value, message", [("-3", "negative"), ("abc", "not a number"),
                                            ("2.5", "not a whole number"), ("0", "below 1")])
def test_bad_counts(tmp_path, value, message):
    path = write(tmp_path, "e.csv", f"u,c,t,n\n4,DIG101,2024-01-01T00:00Z,1\n5,DIG101,"
                                    f"2024-01-01T00:00Z,{value}\n")
    m = {"table": "events", "columns": {"learner_id": "u", "course": "c", "timestamp": "t",
                                        "source": {"value": "lms"}, "action": {"value": "view"},
                                        "count": "n"}}
    with pytest.raises(InputError, match=message) as err:
        load_mapped(path, m)
    assert err.value.row == 3 and err.value.column == "n"


def test_empty_file_and_header_only(tmp_path):
    with pytest.raises(InputError, match="empty"):
        load_mapped(write(tmp_path, "a.csv", ""), LEARNERS)
    with pytest.raises(InputError, match="no data rows"):
        load_mapped(write(tmp_path, "b.csv", "user_id,course,organisation,enrolled_at\n"),
                    LEARNERS)


def test_empty_required_value_names_row_and_column(tmp_path):
    path = write(tmp_path, "p.csv", "user_id,course,organisation,enrolled_at\n"
                                    "4,DIG101,A,\n,DIG101,B,\n")
    with pytest.raises(InputError, match="empty") as err:
        load_mapped(path, LEARNERS)
    assert (err.value.row, err.value.column) == (3, "user_id")


def test_value_outside_contract_set(tmp_path):
    path = write(tmp_path, "o.csv", "id,course,res\n4,DIG101,passed\n5,DIG101,Merit\n")
    with pytest.raises(InputError, match="'Merit' is not one of") as err:
        load_mapped(path, {"table": "outcomes", "columns": {
            "learner_id": "id", "course": "course", "final_result": "res"}})
    assert err.value.row == 3


def test_duplicates_exact_dropped_conflicting_refused(tmp_path):
    quality = QualityLog()
    path = write(tmp_path, "p.csv", "user_id,course,organisation,enrolled_at\n"
                                    "4,DIG101,A,\n4,DIG101,A,\n5,DIG101,B,\n")
    out = load_mapped(path, LEARNERS, quality=quality)
    assert out["learner_id"].tolist() == ["4", "5"]
    assert quality.dropped("learners") == 1
    clash = write(tmp_path, "q.csv", "user_id,course,organisation,enrolled_at\n"
                                     "4,DIG101,A,\n4,DIG101,B,\n")
    with pytest.raises(InputError, match="rows 2 and 3") as err:
        load_mapped(clash, LEARNERS)
    assert err.value.row == 3


def test_too_many_fields_is_an_error(tmp_path):
    path = write(tmp_path, "p.csv", "user_id,course,organisation,enrolled_at\n4,DIG101,A,,extra\n")
    with pytest.raises(InputError, match="5 fields") as err:
        load_mapped(path, LEARNERS)
    assert err.value.row == 2


def test_dst_gap_is_moved_forward_and_counted(tmp_path):
    # 2024-03-31 01:30 does not exist in London (clocks jump from 01:00 to 02:00)
    path = write(tmp_path, "p.csv", "user_id,course,organisation,enrolled_at\n"
                                    "4,DIG101,A,2024-03-31 01:30\n")
    quality = QualityLog()
    out = load_mapped(path, LEARNERS, quality=quality)
    assert out.loc[0, "enrolled_at"] == UTC("2024-03-31 01:00", tz="UTC")
    assert [r["rows"] for r in quality.rules if r["action"] == "fixed"] == [1]


# --------------------------------------------------------------------------- encodings

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings_are_detected(tmp_path, encoding):
    path = write(tmp_path, "p.csv", "user_id,course,organisation,enrolled_at\n"
                                    "4,DIG101,Société Générale,2024-01-15 09:30\n", encoding)
    out = load_mapped(path, LEARNERS)
    assert out.loc[0, "organisation"] == "Société Générale"
    assert out.loc[0, "learner_id"] == "4"  # the BOM is not part of the first column name


def test_explicit_encoding_and_wrong_one(tmp_path):
    path = write(tmp_path, "p.csv", "user_id,course,organisation,enrolled_at\n"
                                    "4,DIG101,Café,\n", "cp1252")
    out = load_mapped(path, {**LEARNERS, "encoding": "cp1252"})
    assert out.loc[0, "organisation"] == "Café"
    with pytest.raises(InputError, match="not valid utf-8") as err:
        load_mapped(path, {**LEARNERS, "encoding": "utf-8"})
    assert err.value.row == 2


# --------------------------------------------------------------------------- built-in loaders

def test_load_courses(tmp_path):
    path = write(tmp_path, "courses.csv", "course,title,starts_on,ends_on\n"
                                          "DIG101,Digital skills,2024-01-08,2024-06-28\n"
                                          "SELF1,Self-paced,2024-02-01,\n")
    quality = QualityLog()
    out = load_courses(path, timezone="Europe/London", quality=quality)
    assert list(out.columns) == COLUMNS["courses"]
    assert out["starts_at"].tolist() == [UTC("2024-01-08", tz="UTC"), UTC("2024-02-01", tz="UTC")]
    assert out.loc[0, "ends_at"] == UTC("2024-06-27 23:00", tz="UTC")  # BST midnight
    assert pd.isna(out.loc[1, "ends_at"])
    assert out["observation_end"].tolist() == [out.loc[0, "ends_at"], out.loc[1, "starts_at"]]
    assert quality.rows_read == {"courses": 2}


def test_load_courses_end_before_start(tmp_path):
    path = write(tmp_path, "courses.csv", "course,title,starts_on,ends_on\n"
                                          "DIG101,Digital,2024-06-01,2024-01-01\n")
    with pytest.raises(InputError, match="before") as err:
        load_courses(path, timezone="UTC")
    assert (err.value.row, err.value.column) == (2, "ends_on")


def test_load_enrolments(tmp_path):
    path = write(tmp_path, "enrolments.csv",
                 "user_id,full_name,email,course,organisation,enrolled_at,acquisition_channel\n"
                 "4,Ana Núñez,ana@x.org,DIG101,Acme,2024-01-15 09:30,LinkedIn\n"
                 "5,Bob Smith,,DIG101,,2024-01-16 10:00,Twitter\n"
                 "6,Cy Doe,cy@x.org,DIG101,Acme,2024-01-16 10:00,X\n"
                 "7,Di Roe,di@x.org,DIG101,Acme,2024-01-16 10:00,\n"
                 "8,Ed Poe,ed@x.org,DIG101,Acme,2024-01-16 10:00,Newsletter\n"
                 "9,Flo Yu,flo@x.org,DIG101,Acme,,Email\n")
    quality = QualityLog()
    learners, people = load_enrolments(path, timezone="Europe/London", quality=quality)
    assert list(learners.columns) == COLUMNS["learners"]
    assert learners["acquisition_channel"].tolist() == ["linkedin", "x", "x", None, "other",
                                                        "email"]
    fixed = [r for r in quality.rules if r["action"] == "fixed"]
    assert [r["rows"] for r in fixed] == [1] and "newsletter" in fixed[0]["detail"]
    assert list(people.columns) == ["user_id", "course", "full_name", "email"]
    assert people.loc[0].tolist() == ["4", "DIG101", "Ana Núñez", "ana@x.org"]
    assert people.loc[1, "email"] is None
    assert pd.isna(learners.loc[5, "enrolled_at"])
    assert "full_name" not in learners.columns and "email" not in learners.columns


def test_load_enrolments_duplicate_rows(tmp_path):
    row = "4,Ana,ana@x.org,DIG101,Acme,2024-01-15 09:30,email\n"
    path = write(tmp_path, "enrolments.csv",
                 "user_id,full_name,email,course,organisation,enrolled_at,acquisition_channel\n"
                 + row + row)
    quality = QualityLog()
    learners, people = load_enrolments(path, timezone="UTC", quality=quality)
    assert len(learners) == 1 and len(people) == 1
    assert quality.dropped("enrolments") == 1


def test_load_enrolments_needs_name_and_email_columns(tmp_path):
    path = write(tmp_path, "enrolments.csv",
                 "user_id,course,organisation,enrolled_at,acquisition_channel\n4,D,A,,\n")
    with pytest.raises(InputError, match="'full_name'"):
        load_enrolments(path, timezone="UTC")


def test_load_outcomes(tmp_path):
    path = write(tmp_path, "outcomes.csv",
                 "user_id,course,result,completed_on,withdrawn_on,score\n"
                 "4,DIG101,Completed,2024-02-01,,88\n"
                 "5,DIG101,In progress,,,\n"
                 "6,DIG101,Withdrawn,,2024-02-03,\n"
                 "7,DIG101,Distinction,2024-02-01,,95.5\n"
                 "8,DIG101,Failed,2024-02-01,,12\n"
                 "9,DIG101,passed,2024-02-01,,50\n")
    out = load_outcomes(path, timezone="America/New_York")
    assert out["final_result"].tolist() == ["completed", "in_progress", "withdrawn",
                                            "distinction", "failed", "passed"]
    assert out.loc[0, "completed_at"] == UTC("2024-02-01 05:00", tz="UTC")
    assert out.loc[2, "withdrawn_at"] == UTC("2024-02-03 05:00", tz="UTC")
    assert out["score"].tolist()[:2] == [88.0, pytest.approx(float("nan"), nan_ok=True)]
    assert out.loc[3, "score"] == 95.5


def test_load_outcomes_unknown_result_and_bad_score(tmp_path):
    path = write(tmp_path, "outcomes.csv", "user_id,course,result,completed_on,withdrawn_on,score\n"
                                           "4,DIG101,Completed,,,\n5,DIG101,Merit,,,\n")
    with pytest.raises(InputError, match="unknown result 'Merit'") as err:
        load_outcomes(path, timezone="UTC")
    assert (err.value.row, err.value.column) == (3, "result")
    path = write(tmp_path, "o2.csv", "user_id,course,result,completed_on,withdrawn_on,score\n"
                                     "4,DIG101,Completed,,,101\n")
    with pytest.raises(InputError, match="outside 0-100") as err:
        load_outcomes(path, timezone="UTC")
    assert (err.value.row, err.value.column) == (2, "score")


def test_required_columns_follow_the_schema():
    assert mapping.required_columns("learners") == ["learner_id", "course"]
    assert "count" in mapping.required_columns("events")
    for table, cols in mapping.TIME_COLUMNS.items():
        assert set(cols) <= set(COLUMNS[table])
