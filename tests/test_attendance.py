"""attendance.py: Zoom participants reports, sign-in sheets, matching to enrolled learners."""

import datetime as dt
import importlib.machinery
import importlib.util
import sys
import types

import pandas as pd
import pytest

from engagement.schema import COLUMNS, InputError, QualityLog
from engagement.sources.attendance import (AMBIGUOUS_RULE, ATTENDANCE_COLUMNS, UNMATCHED_RULE,
                                           match_attendance, match_report, normalise_name,
                                           read_signin_sheet, read_zoom_participants)

ZOOM_HEADER = ("Meeting ID,Topic,Name (Original Name),User Email,Join Time,Leave Time,"
               "Duration (Minutes),Guest\n")
SIGNIN_HEADER = "Date,Start,Course,Format,Full name,Email,Organisation\n"


def utc(text):
    return pd.Timestamp(text, tz="UTC")


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- Zoom

def test_zoom_rejoins_merged_and_times_to_utc(tmp_path):
    path = write(tmp_path, "zoom_1.csv", ZOOM_HEADER +
                 "812 3456 7890,DIG101 webinar: week 3,Ana Núñez (Ana N),ana@x.org,"
                 "03/10/2026 02:00:00 PM,03/10/2026 02:30:00 PM,30,No\n"
                 "812 3456 7890,DIG101 webinar: week 3,Ana Núñez,ANA@x.org ,"
                 "03/10/2026 02:40:00 PM,03/10/2026 03:00:00 PM,20,No\n"
                 "812 3456 7890,DIG101 webinar: week 3,Bob Smith,,"
                 "03/10/2026 02:05:00 PM,03/10/2026 03:00:00 PM,55,Yes\n"
                 "812 3456 7890,DIG101 webinar: week 3,bob smith,,"
                 "03/10/2026 03:01:00 PM,03/10/2026 03:05:00 PM,4,Yes\n")
    quality = QualityLog()
    out = read_zoom_participants(path, timezone="America/New_York", quality=quality)
    assert list(out.columns) == ATTENDANCE_COLUMNS
    assert len(out) == 2
    ana, bob = out.iloc[0], out.iloc[1]
    # US summer time began on Sunday 8 March 2026: 2 PM EDT (UTC-4) is 18:00 UTC
    assert ana["started_at"] == utc("2026-03-10 18:00")
    assert (ana["name"], ana["email"], ana["minutes"]) == ("Ana Núñez", "ana@x.org", 50.0)
    assert (bob["started_at"], bob["minutes"]) == (utc("2026-03-10 18:05"), 59.0)
    assert set(out["course"]) == {"DIG101"} and set(out["format"]) == {"webinar"}
    assert set(out["session_id"]) == {"zoom:81234567890:2026-03-10"}
    assert [r["rows"] for r in quality.rules if r["action"] == "fixed"] == [2]
    assert quality.rows_read == {"zoom": 4}
    assert quality.timezones == {"zoom": "America/New_York"}


@pytest.mark.parametrize("local, expected", [
    ("03/06/2026 02:00:00 PM", "2026-03-06 19:00"),   # EST (UTC-5), before 8 March
    ("03/10/2026 02:00:00 PM", "2026-03-10 18:00"),   # EDT (UTC-4)
    ("10/30/2026 09:15:00 AM", "2026-10-30 13:15"),   # EDT, before 1 November
    ("11/02/2026 12:30:00 AM", "2026-11-02 05:30"),   # EST again; 12:30 AM is just after midnight
])
def test_zoom_new_york_dst(tmp_path, local, expected):
    path = write(tmp_path, "zoom.csv", ZOOM_HEADER +
                 f"1,DIG101 live,Ana,ana@x.org,{local},{local},1,No\n")
    out = read_zoom_participants(path, timezone="America/New_York")
    assert out.loc[0, "started_at"] == utc(expected)


def test_zoom_recurring_meeting_id_gives_one_session_per_day(tmp_path):
    path = write(tmp_path, "zoom.csv", ZOOM_HEADER +
                 "99,DIG101: Q&A,Ana,ana@x.org,03/03/2026 10:00:00 AM,03/03/2026 11:00:00 AM,60,No\n"
                 "99,DIG101: Q&A,Ana,ana@x.org,03/17/2026 10:00:00 AM,03/17/2026 11:00:00 AM,60,No\n")
    out = read_zoom_participants(path, timezone="Europe/London")
    assert out["session_id"].tolist() == ["zoom:99:2026-03-03", "zoom:99:2026-03-17"]
    assert out["course"].tolist() == ["DIG101", "DIG101"]


def test_zoom_bad_time_and_missing_column(tmp_path):
    path = write(tmp_path, "zoom.csv", ZOOM_HEADER +
                 "1,DIG101 live,Ana,ana@x.org,03/10/2026 02:00:00 PM,03/10/2026 03:00:00 PM,60,No\n"
                 "1,DIG101 live,Bob,b@x.org,2026-03-10 14:00,03/10/2026 03:00:00 PM,60,No\n")
    with pytest.raises(InputError) as err:
        read_zoom_participants(path, timezone="America/New_York")
    assert (err.value.row, err.value.column) == (3, "Join Time")
    assert "2026-03-10 14:00" in str(err.value)
    path = write(tmp_path, "z2.csv", "Meeting ID,Topic,Name (Original Name),Join Time\n1,A,B,C\n")
    with pytest.raises(InputError, match="'user email'"):
        read_zoom_participants(path, timezone="UTC")


def test_zoom_two_part_report_and_cp1252(tmp_path):
    text = ("Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants\n"
            "555,BIO200 tutorial,03/10/2026 02:00:00 PM,03/10/2026 03:00:00 PM,host@x.org,60,2\n"
            "\n"
            "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
            "Zoë Brontë,zoe@x.org,03/10/2026 02:01:00 PM,03/10/2026 03:00:00 PM,59,No\n")
    path = write(tmp_path, "zoom_old.csv", text, "cp1252")
    out = read_zoom_participants(path, timezone="UTC")
    assert out[["session_id", "course", "name", "minutes"]].iloc[0].tolist() == [
        "zoom:555:2026-03-10", "BIO200", "Zoë Brontë", 59.0]


def test_zoom_bom(tmp_path):
    path = write(tmp_path, "zoom.csv", ZOOM_HEADER +
                 "1,DIG101 x,Ana,a@x.org,03/10/2026 02:00:00 PM,03/10/2026 02:10:00 PM,10,No\n",
                 "utf-8-sig")
    assert read_zoom_participants(path, timezone="UTC").loc[0, "session_id"].startswith("zoom:1:")


@pytest.mark.skipif(importlib.util.find_spec("openpyxl") is not None,
                    reason="openpyxl is installed: the missing-package message cannot show")
def test_xlsx_without_openpyxl_says_to_install_it(tmp_path):
    path = tmp_path / "zoom.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError, match="openpyxl"):
        read_zoom_participants(path, timezone="UTC")
    with pytest.raises(InputError, match="openpyxl"):
        read_signin_sheet(path, timezone="UTC")


def _fake_openpyxl(monkeypatch, rows):
    """A stand-in openpyxl whose workbook yields `rows` (cells as openpyxl gives them)."""
    sheet = types.SimpleNamespace(iter_rows=lambda values_only: iter(rows))
    book = types.SimpleNamespace(active=sheet, close=lambda: None)
    module = types.ModuleType("openpyxl")
    module.__spec__ = importlib.machinery.ModuleSpec("openpyxl", None)
    module.load_workbook = lambda path, read_only, data_only: book
    monkeypatch.setitem(sys.modules, "openpyxl", module)


def test_signin_xlsx_cells_as_dates_and_times(tmp_path, monkeypatch):
    _fake_openpyxl(monkeypatch, [
        ("Date", "Start", "Course", "Format", "Full name", "Email", "Organisation"),
        (dt.datetime(2026, 7, 2), dt.time(18, 30), "DIG101", "Tutorial", "Ana", None, "Acme"),
        (None, None, None, None, None, None, None),
    ])
    path = tmp_path / "signin.xlsx"
    path.write_bytes(b"")
    out = read_signin_sheet(path, timezone="Europe/London")
    assert len(out) == 1
    assert out.loc[0, "started_at"] == utc("2026-07-02 17:30")  # BST
    assert out.loc[0, "session_id"] == "signin:DIG101:2026-07-02:tutorial"
    assert out.loc[0, "email"] is None


# --------------------------------------------------------------------------- sign-in sheets

def test_signin_formats_sessions_and_duplicates(tmp_path):
    path = write(tmp_path, "signin_1.csv", SIGNIN_HEADER +
                 "05/03/2026,18:30,DIG101,tutorial,Ana Núñez,ana@x.org,Acme\n"
                 "05/03/2026,18:30,DIG101,tutorial,Ana Nunez,,Acme\n"
                 "14/07/2026,10:00,DIG101,Face to face,Bob Smith,,Acme\n"
                 "14/07/2026,10:00,DIG101,face-to-face,Cy Doe,cy@x.org,\n"
                 ",,,,,,\n"
                 "14/07/2026,10:00,DIG101,face_to_face,,,Acme\n", "cp1252")
    quality = QualityLog()
    out = read_signin_sheet(path, timezone="Europe/London", quality=quality)
    assert list(out.columns) == ATTENDANCE_COLUMNS
    assert out["session_id"].tolist() == ["signin:DIG101:2026-03-05:tutorial",
                                          "signin:DIG101:2026-07-14:face_to_face",
                                          "signin:DIG101:2026-07-14:face_to_face"]
    assert out["format"].tolist() == ["tutorial", "face_to_face", "face_to_face"]
    # DD/MM/YYYY: 5 March is GMT, 14 July is BST
    assert out["started_at"].tolist() == [utc("2026-03-05 18:30"), utc("2026-07-14 09:00"),
                                          utc("2026-07-14 09:00")]
    assert out.loc[0, "email"] == "ana@x.org"  # the e-mail-less row joined Ana's own row
    assert out["minutes"].isna().all()
    rules = {r["rule"]: r for r in quality.rules}
    assert rules["same person signed in twice to one session"]["rows"] == 1
    assert rules["sign-in row with neither name nor e-mail"]["rows"] == 1
    assert quality.rows_read == {"signin": 5}  # the blank line is not a row


def test_signin_unknown_format_and_bad_date(tmp_path):
    path = write(tmp_path, "s.csv", SIGNIN_HEADER + "05/03/2026,18:30,DIG101,tutorial,A,,\n"
                                                    "05/03/2026,18:30,DIG101,lecture,B,,\n")
    with pytest.raises(InputError, match="'lecture'") as err:
        read_signin_sheet(path, timezone="UTC")
    assert (err.value.row, err.value.column) == (3, "Format")
    path = write(tmp_path, "s2.csv", SIGNIN_HEADER + "2026-03-05,18:30,DIG101,tutorial,A,,\n")
    with pytest.raises(InputError, match="DD/MM/YYYY") as err:
        read_signin_sheet(path, timezone="UTC")
    assert (err.value.row, err.value.column) == (2, "Date")


# --------------------------------------------------------------------------- matching

PEOPLE = pd.DataFrame({
    "user_id": ["4", "5", "6", "7", "8", "9"],
    "course": ["DIG101", "DIG101", "DIG101", "DIG101", "DIG101", "BIO200"],
    "full_name": ["Ana Núñez", "Bob  Smith", "Jo Lee", "Jo Lee", "Seán O'Brien", "Cy Doe"],
    "email": ["Ana@X.org", None, "jo1@x.org", "jo2@x.org", None, "cy@x.org"],
})


def attendance(rows):
    df = pd.DataFrame(rows, columns=["name", "email", "course"])
    df["session_id"] = "zoom:1:2026-03-10"
    df["format"] = "webinar"
    df["started_at"] = utc("2026-03-10 18:00")
    df["minutes"] = 30.0
    return df[ATTENDANCE_COLUMNS]


def test_normalise_name():
    assert normalise_name("  Seán   O’Brien ") == "sean obrien"
    assert normalise_name("JEAN-LUC Picard.") == "jean luc picard"
    assert normalise_name("Ana Núñez") == normalise_name("ana nunez")
    assert normalise_name(None) == ""


def test_match_report_rules():
    att = attendance([
        ("Whoever", " ana@x.ORG ", "DIG101"),     # e-mail, case and spaces ignored
        ("BOB SMITH", None, "DIG101"),            # name, case and spaces
        ("sean o'brien", "other@x.org", "DIG101"),  # unknown e-mail, then accented name
        ("Jo Lee", None, "DIG101"),               # two enrolled Jo Lees: ambiguous
        ("Jo Lee", "jo2@x.org", "DIG101"),        # ... but the e-mail decides
        ("Cy Doe", "cy@x.org", "DIG101"),         # enrolled in another course only
        ("Nobody", None, "DIG101"),
    ])
    before = att.copy()
    report = match_report(att, PEOPLE)
    assert report["matched_by"].tolist() == ["email", "name", "name", "ambiguous", "email",
                                             "none", "none"]
    assert report["learner_id"].tolist() == ["4", "5", "8", None, "7", None, None]
    assert len(report) == len(att)
    pd.testing.assert_frame_equal(att, before)


def test_match_attendance_events_and_quality():
    att = attendance([
        ("Ana", "ana@x.org", "dig101"),
        ("Bob Smith", None, "DIG101"),
        ("Jo Lee", None, "DIG101"),
        ("Nobody", None, "DIG101"),
        ("Zed", "zed@x.org", "DIG101"),
    ])
    quality = QualityLog()
    events = match_attendance(att, PEOPLE, source="attendance", quality=quality)
    assert list(events.columns) == COLUMNS["events"]
    assert events["learner_id"].tolist() == ["4", "5"]
    assert events["course"].tolist() == ["DIG101", "DIG101"]  # the enrolment's spelling
    assert set(events["action"]) == {"attend"} and set(events["source"]) == {"webinar"}
    assert events["object_id"].tolist() == ["zoom:1:2026-03-10"] * 2
    assert events["timestamp"].tolist() == [utc("2026-03-10 18:00")] * 2
    assert events["target_learner_id"].isna().all() and events["count"].tolist() == [1, 1]
    [match] = quality.matching
    assert match == {"source": "attendance", "rows": 5, "by_email": 1, "by_name": 1,
                     "unmatched": 3, "match_rate": 0.4}
    rules = {r["rule"]: r["rows"] for r in quality.rules}
    assert rules[UNMATCHED_RULE] == 2 and rules[AMBIGUOUS_RULE] == 1
    # rows in = matched + unmatched (never guessed, never dropped silently)
    assert len(att) == len(events) + rules[UNMATCHED_RULE] + rules[AMBIGUOUS_RULE]


def test_match_end_to_end_from_files(tmp_path):
    zoom = write(tmp_path, "zoom.csv", ZOOM_HEADER +
                 "1,DIG101 live,ANA NUNEZ,,03/10/2026 02:00:00 PM,03/10/2026 02:10:00 PM,10,Yes\n")
    signin = write(tmp_path, "signin.csv", SIGNIN_HEADER +
                   "14/07/2026,10:00,DIG101,face_to_face,Bob Smith,,\n")
    quality = QualityLog()
    sheets = pd.concat([read_zoom_participants(zoom, timezone="America/New_York", quality=quality),
                        read_signin_sheet(signin, timezone="Europe/London", quality=quality)],
                       ignore_index=True)
    events = match_attendance(sheets, PEOPLE, source="attendance", quality=quality)
    assert events[["learner_id", "source"]].values.tolist() == [["4", "webinar"],
                                                                 ["5", "face_to_face"]]
    assert quality.matching[0]["match_rate"] == 1.0


def test_same_learner_twice_in_one_session_counted():
    att = attendance([("Ana Núñez", None, "DIG101"), ("Phone", "ana@x.org", "DIG101")])
    quality = QualityLog()
    events = match_attendance(att, PEOPLE, source="attendance", quality=quality)
    assert events["learner_id"].tolist() == ["4"]
    assert quality.dropped("attendance") == 1


def test_match_needs_columns():
    with pytest.raises(ValueError, match="full_name"):
        match_report(attendance([("A", None, "DIG101")]), PEOPLE.drop(columns="full_name"))


def test_empty_attendance_gives_empty_events():
    events = match_attendance(attendance([]), PEOPLE, source="attendance")
    assert len(events) == 0 and list(events.columns) == COLUMNS["events"]
