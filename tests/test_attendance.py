"""attendance.py: Zoom participants reports, sign-in sheets, matching to enrolled learners."""

import datetime as dt
import importlib.machinery
import importlib.util
import sys
import types

import pandas as pd
import pytest

from engagement.schema import COLUMNS, InputError, QualityLog
from engagement import clean
from engagement.sources.attendance import (AMBIGUOUS_RULE, ATTENDANCE_COLUMNS, STAFF_RULE,
                                           UNMATCHED_RULE, match_attendance, match_report,
                                           normalise_name, read_signin_sheet,
                                           read_teams_attendance, read_zoom_participants)

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


def test_xlsx_without_openpyxl_says_to_install_it(tmp_path, monkeypatch):
    # openpyxl is a dependency; pretend it is absent, as in a bare environment
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "openpyxl" else find_spec(name, *a))
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


# --------------------------------------------------------------------------- Microsoft Teams

def teams_report(rows, *, title="DIG101 webinar: week 3", start="3/5/24, 2:00:00 PM", sep="\t",
                 header=("Name", "First Join", "Last Leave", "In-Meeting Duration", "Email",
                         "Participant ID (UPN)", "Role")):
    """The current Teams attendance report; line numbers: the participants start at 11."""
    lines = ["1. Summary", f"Meeting title{sep}{title}", f"Attended participants{sep}{len(rows)}",
             f"Start time{sep}{start}", f"End time{sep}3/5/24, 3:02:45 PM",
             f"Meeting duration{sep}1h 2m 45s", f"Average attendance time{sep}45m 12s", "",
             "2. Participants", sep.join(header)]
    lines += [sep.join(r) for r in rows]
    lines += ["", "3. In-Meeting Activities",
              sep.join(["Name", "Join Time", "Leave Time", "Duration", "Email", "Role"]),
              sep.join(["Ana Núñez", "3/5/24, 2:02:13 PM", "3/5/24, 3:00:00 PM", "57m 47s",
                        "ana@x.org", "Attendee"])]
    return "\r\n".join(lines) + "\r\n"


TEAMS_ROWS = [
    ("Tutor One", "3/5/24, 1:58:00 PM", "3/5/24, 3:02:45 PM", "1h 4m 45s", "tutor@x.org",
     "tutor@x.org", "Organizer"),                                                    # line 11
    ("Ana Núñez", "3/5/24, 2:02:13 PM", "3/5/24, 3:00:00 PM", "57m 47s", "ana@x.org",
     "ana@x.org", "Attendee"),                                                       # line 12
    ("Guest Speaker", "3/5/24, 2:05:00 PM", "3/5/24, 2:35:00 PM", "30m", "gs@y.org",
     "gs@y.org", "Presenter"),                                                       # line 13
    ("Visitor", "3/5/24, 2:10:00 PM", "3/5/24, 2:10:58 PM", "58s", "", "vis@y.org",
     "Attendee"),                                                                    # line 14
    ("Bob Smith", "3/5/24, 2:15:00 PM", "3/5/24, 3:16:03 PM", "1h 1m 3s", "", "Bob Smith",
     "Attendee"),                                                                    # line 15
]


def write_utf16(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))  # what Teams downloads
    return path


def test_teams_current_report_utf16_organizer_and_presenter_dropped(tmp_path):
    path = write_utf16(tmp_path, "teams_1.csv", teams_report(TEAMS_ROWS))
    assert path.read_bytes()[:4] == b"\xff\xfe1\x00"
    quality = QualityLog()
    out = read_teams_attendance(path, timezone="America/New_York", quality=quality)
    assert list(out.columns) == ATTENDANCE_COLUMNS
    assert out["name"].tolist() == ["Ana Núñez", "Visitor", "Bob Smith"]
    # 5 March 2024 is EST (UTC-5)
    assert out["started_at"].tolist() == [utc("2024-03-05 19:02:13"), utc("2024-03-05 19:10"),
                                          utc("2024-03-05 19:15")]
    assert out["minutes"].tolist() == pytest.approx([57 + 47 / 60, 58 / 60, 61 + 3 / 60])
    # a blank Email falls back to the participant id only when that is an address
    assert out["email"].tolist() == ["ana@x.org", "vis@y.org", None]
    assert set(out["session_id"]) == {"teams:DIG101:2024-03-05T14:00"}
    assert set(out["course"]) == {"DIG101"} and set(out["format"]) == {"webinar"}
    [staff] = [r for r in quality.rules if r["rule"] == STAFF_RULE]
    assert (staff["rows"], staff["action"], staff["detail"]) == (2, "dropped", "rows 11, 13")
    assert quality.rows_read == {"teams": 5}
    assert quality.timezones == {"teams": "America/New_York"}
    assert quality.raw_files[0]["file"] == "teams_1.csv"


def test_teams_current_report_utf8_commas_iso_times_course_and_format(tmp_path):
    rows = [("Ana Núñez", "2024-03-05 14:02:13", "2024-03-05 14:32:13", "", "ana@x.org", "",
             "Attendee"),
            ("Ana Núñez", "2024-03-05 14:40:00", "2024-03-05 14:50:00", "10m", "ana@x.org", "",
             "Attendee")]
    text = teams_report(rows, sep=",", start="2024-03-05 14:00:00").replace("\r\n", "\n")
    path = write(tmp_path, "teams_2.csv", text, "utf-8-sig")
    quality = QualityLog()
    out = read_teams_attendance(path, timezone="Europe/London", course="BIO200",
                                format="tutorial", quality=quality)
    assert len(out) == 1
    # a blank duration is last leave minus first join; the two rows are one person (merged)
    assert out.loc[0, "minutes"] == pytest.approx(40.0)
    assert out.loc[0, "started_at"] == utc("2024-03-05 14:02:13")
    assert out.loc[0, ["session_id", "course", "format"]].tolist() == [
        "teams:BIO200:2024-03-05T14:00", "BIO200", "tutorial"]
    assert [r["rows"] for r in quality.rules if r["action"] == "fixed"] == [1]


OLD_TEAMS = ("Full Name\tUser Action\tTimestamp\r\n"
             "Ana Núñez\tJoined before\t3/5/2024, 2:00:00 PM\r\n"      # line 2
             "Bob Smith\tJoined\t3/5/2024, 2:05:00 PM\r\n"
             "Ana Núñez\tLeft\t3/5/2024, 2:30:00 PM\r\n"
             "ANA NUNEZ\tJoined\t3/5/2024, 2:40:00 PM\r\n"
             "Ana Núñez\tLeft\t3/5/2024, 2:50:00 PM\r\n"
             "Cy Doe\tLeft\t3/5/2024, 2:20:00 PM\r\n"                  # no join: from 2:00
             "Bob Smith\tJoined\t3/5/2024, 2:55:00 PM\r\n"             # already in: still in
             "Bob Smith\tLeft\t3/5/2024, 3:00:00 PM\r\n"
             "Di Ray\tJoined\t3/5/2024, 2:45:00 PM\r\n")               # no leave: to 3:00


def test_teams_older_list_merges_joins_and_leaves(tmp_path):
    path = write_utf16(tmp_path, "teams_DIG101_2024-03-05.csv", OLD_TEAMS)
    quality = QualityLog()
    out = read_teams_attendance(path, timezone="Europe/London", quality=quality)
    # rows in order of first join; Cy, who never joined, from the list's first time
    assert out["name"].tolist() == ["Ana Núñez", "Cy Doe", "Bob Smith", "Di Ray"]
    assert out["minutes"].tolist() == [40.0, 20.0, 55.0, 15.0]
    assert out["started_at"].tolist() == [utc("2024-03-05 14:00"), utc("2024-03-05 14:00"),
                                          utc("2024-03-05 14:05"), utc("2024-03-05 14:45")]
    assert out["email"].isna().all()
    assert set(out["session_id"]) == {"teams:DIG101:2024-03-05T14:00"}
    assert set(out["course"]) == {"DIG101"}
    flagged = {r["rule"]: r["rows"] for r in quality.rules if r["action"] == "flagged"}
    assert flagged == {"join without a leave: closed at the list's last time": 1,
                       "leave without a join: counted from the list's first time": 1}
    assert quality.rows_read == {"teams": 9}


def test_teams_errors_name_file_line_and_column(tmp_path):
    bad_time = [TEAMS_ROWS[1], ("Bob", "5 March 2024", "", "", "", "", "Attendee")]
    path = write_utf16(tmp_path, "t1.csv", teams_report(bad_time))
    with pytest.raises(InputError, match="5 March 2024") as err:
        read_teams_attendance(path, timezone="UTC")
    assert (err.value.row, err.value.column, err.value.file) == (12, "First Join", str(path))

    bad_duration = [TEAMS_ROWS[1], ("Bob", "3/5/24, 2:02:13 PM", "", "an hour", "", "", "")]
    path = write_utf16(tmp_path, "t2.csv", teams_report(bad_duration))
    with pytest.raises(InputError, match="an hour") as err:
        read_teams_attendance(path, timezone="UTC")
    assert (err.value.row, err.value.column) == (12, "In-Meeting Duration")

    path = write_utf16(tmp_path, "t3.csv", teams_report([("Ana", "x")], header=("Name", "Email")))
    with pytest.raises(InputError, match="'first join'") as err:
        read_teams_attendance(path, timezone="UTC")
    assert err.value.row == 10  # the Participants header line

    path = write(tmp_path, "t4.csv", teams_report([TEAMS_ROWS[1]]).replace("2. Participants", ""))
    with pytest.raises(InputError, match="Participants"):
        read_teams_attendance(path, timezone="UTC")

    path = write_utf16(tmp_path, "teams_DIG101.csv",
                       OLD_TEAMS.replace("Left\t3/5/2024, 2:30", "Waved\t3/5/2024, 2:30"))
    with pytest.raises(InputError, match="'Waved'") as err:
        read_teams_attendance(path, timezone="UTC")
    assert (err.value.row, err.value.column) == (4, "User Action")

    path = write_utf16(tmp_path, "teams.csv", OLD_TEAMS)  # no course anywhere
    with pytest.raises(InputError, match="course="):
        read_teams_attendance(path, timezone="UTC")
    assert read_teams_attendance(path, timezone="UTC", course="COM201")["course"].eq(
        "COM201").all()

    path = write(tmp_path, "t5.csv", ZOOM_HEADER)
    with pytest.raises(InputError, match="not a Teams attendance report") as err:
        read_teams_attendance(path, timezone="UTC")
    assert err.value.row == 1
    with pytest.raises(ValueError, match="format"):
        read_teams_attendance(path, timezone="UTC", format="lecture")


# --------------------------------------------------------------------------- XLSX files

def write_xlsx(path, rows):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    book.create_sheet("ignored").append(["only the first worksheet is read"])
    book.save(path)
    return path


ZOOM_XLSX_HEADER = ZOOM_HEADER.strip().split(",")


def test_zoom_xlsx_with_datetime_and_text_cells(tmp_path):
    path = write_xlsx(tmp_path / "zoom_1.xlsx", [
        ZOOM_XLSX_HEADER,
        (81234567890, "DIG101 webinar: week 3", "Ana Núñez", "ana@x.org",
         dt.datetime(2026, 3, 10, 14, 0), dt.datetime(2026, 3, 10, 14, 30), 30, "No"),
        (81234567890, "DIG101 webinar: week 3", "Visitor", None,
         "03/10/2026 02:05:00 PM", "03/10/2026 02:15:00 PM", 10, "Yes"),
    ])
    quality = QualityLog()
    out = read_zoom_participants(path, timezone="America/New_York", quality=quality)
    assert out["name"].tolist() == ["Ana Núñez", "Visitor"]
    assert out["started_at"].tolist() == [utc("2026-03-10 18:00"), utc("2026-03-10 18:05")]
    assert out["minutes"].tolist() == [30.0, 10.0]
    assert set(out["session_id"]) == {"zoom:81234567890:2026-03-10"}
    assert quality.rows_read == {"zoom": 2}


def test_zoom_xlsx_error_names_the_sheet_row(tmp_path):
    path = write_xlsx(tmp_path / "zoom.xlsx", [
        ZOOM_XLSX_HEADER,
        (1, "DIG101 x", "Ana", "a@x.org", dt.datetime(2026, 3, 10, 14), None, 10, "No"),
        (None,) * 8,                                        # a blank sheet row is skipped...
        (1, "DIG101 x", "Bob", "b@x.org", "tomorrow", None, 10, "No"),   # ...but counts: row 4
    ])
    with pytest.raises(InputError, match="tomorrow") as err:
        read_zoom_participants(path, timezone="UTC")
    assert (err.value.row, err.value.column) == (4, "Join Time")


def test_signin_xlsx_real_workbook(tmp_path):
    path = write_xlsx(tmp_path / "signin_1.xlsx", [
        SIGNIN_HEADER.strip().split(","),
        (dt.datetime(2026, 7, 14), dt.time(10, 0), "DIG101", "Face to face", "Bob Smith", None,
         "Acme"),
        ("05/03/2026", "18:30", "DIG101", "tutorial", "Ana Núñez", "ana@x.org", "Acme"),
        (dt.datetime(2026, 7, 14), dt.datetime(1899, 12, 30, 10, 0), "DIG101", "face_to_face",
         "Cy Doe", None, None),
        ("14/07/2026", "ten", "DIG101", "tutorial", "Di Ray", None, None),
    ])
    with pytest.raises(InputError, match="HH:MM") as err:
        read_signin_sheet(path, timezone="Europe/London")
    assert (err.value.row, err.value.column) == (5, "Start")
    ok = write_xlsx(tmp_path / "signin_2.xlsx", [
        SIGNIN_HEADER.strip().split(","),
        (dt.datetime(2026, 7, 14), dt.time(10, 0), "DIG101", "Face to face", "Bob Smith", None,
         "Acme"),
        ("05/03/2026", "18:30", "DIG101", "tutorial", "Ana Núñez", "ana@x.org", "Acme"),
        (dt.datetime(2026, 7, 14), dt.datetime(1899, 12, 30, 10, 0), "DIG101", "face_to_face",
         "Cy Doe", None, None),
    ])
    out = read_signin_sheet(ok, timezone="Europe/London")
    assert out["name"].tolist() == ["Ana Núñez", "Bob Smith", "Cy Doe"]
    assert out["started_at"].tolist() == [utc("2026-03-05 18:30"), utc("2026-07-14 09:00"),
                                          utc("2026-07-14 09:00")]
    assert out["session_id"].tolist() == ["signin:DIG101:2026-03-05:tutorial",
                                          "signin:DIG101:2026-07-14:face_to_face",
                                          "signin:DIG101:2026-07-14:face_to_face"]


def test_teams_xlsx_current_report(tmp_path):
    path = write_xlsx(tmp_path / "teams_1.xlsx", [
        ("1. Summary",),
        ("Meeting title", "DIG101 webinar: week 3"),
        ("Start time", dt.datetime(2024, 3, 5, 14, 0)),
        (),
        ("2. Participants",),
        ("Name", "First Join", "Last Leave", "In-Meeting Duration", "Email",
         "Participant ID (UPN)", "Role"),
        ("Tutor One", dt.datetime(2024, 3, 5, 13, 58), dt.datetime(2024, 3, 5, 15, 0),
         "1h 2m", "t@x.org", "t@x.org", "Organizer"),
        ("Ana Núñez", dt.datetime(2024, 3, 5, 14, 2), dt.datetime(2024, 3, 5, 15, 0),
         dt.time(0, 58, 0), "ana@x.org", "ana@x.org", "Attendee"),
        ("Bob Smith", "3/5/24, 2:15:00 PM", "3/5/24, 3:00:00 PM", "45m", None, None, "Attendee"),
        ("Cy Doe", "3/5/24, 2:15:00 PM", "3/5/24, 3:00:00 PM", "soon", None, None, "Attendee"),
    ])
    with pytest.raises(InputError, match="soon") as err:
        read_teams_attendance(path, timezone="UTC")
    assert (err.value.row, err.value.column) == (10, "In-Meeting Duration")
    fine = write_xlsx(tmp_path / "teams_2.xlsx", [
        ("1. Summary",), ("Meeting title", "DIG101 webinar: week 3"),
        ("Start time", dt.datetime(2024, 3, 5, 14, 0)), ("2. Participants",),
        ("Name", "First Join", "Last Leave", "In-Meeting Duration", "Email",
         "Participant ID (UPN)", "Role"),
        ("Tutor One", dt.datetime(2024, 3, 5, 13, 58), dt.datetime(2024, 3, 5, 15, 0),
         "1h 2m", "t@x.org", "t@x.org", "Organizer"),
        ("Ana Núñez", dt.datetime(2024, 3, 5, 14, 2), dt.datetime(2024, 3, 5, 15, 0),
         dt.time(0, 58, 0), "ana@x.org", "ana@x.org", "Attendee"),
        ("Bob Smith", "3/5/24, 2:15:00 PM", "3/5/24, 3:00:00 PM", "45m", None, None, "Attendee"),
    ])
    quality = QualityLog()
    out = read_teams_attendance(fine, timezone="UTC", quality=quality)
    assert out[["name", "minutes"]].values.tolist() == [["Ana Núñez", 58.0], ["Bob Smith", 45.0]]
    assert out["started_at"].tolist() == [utc("2024-03-05 14:02"), utc("2024-03-05 14:15")]
    assert set(out["session_id"]) == {"teams:DIG101:2024-03-05T14:00"}
    assert quality.dropped("teams") == 1


# --------------------------------------------------------------------------- per-source rates

def three_sources(tmp_path, quality):
    """A Zoom XLSX, a Teams UTF-16 report and a sign-in XLSX, matched against PEOPLE."""
    zoom = write_xlsx(tmp_path / "zoom_1.xlsx", [
        ZOOM_XLSX_HEADER,
        (1, "DIG101 live", "Someone", "ANA@x.org", dt.datetime(2026, 3, 10, 14), None, 30, "No"),
        (1, "DIG101 live", "Visitor", None, dt.datetime(2026, 3, 10, 14), None, 30, "Yes"),
    ])
    teams = write_utf16(tmp_path, "teams_1.csv", teams_report([
        ("Tutor One", "3/5/24, 1:58:00 PM", "", "1h", "t@x.org", "", "Organizer"),
        ("SEAN O'BRIEN", "3/5/24, 2:00:00 PM", "", "1h", "other@x.org", "", "Attendee"),
        ("Jo Lee", "3/5/24, 2:00:00 PM", "", "1h", "", "", "Attendee"),
        ("bob smith", "3/5/24, 2:00:00 PM", "", "1h", "", "", "Attendee"),
    ]))
    signin = write_xlsx(tmp_path / "signin_1.xlsx", [
        SIGNIN_HEADER.strip().split(","),
        ("14/07/2026", "10:00", "DIG101", "tutorial", "Bób Smith", None, None),
        ("14/07/2026", "10:00", "DIG101", "tutorial", "Zed Unknown", None, None),
        ("14/07/2026", "10:00", "DIG101", "tutorial", "A. N.", "ana@X.ORG", None),
    ])
    return pd.concat([read_zoom_participants(zoom, timezone="UTC", quality=quality),
                      read_teams_attendance(teams, timezone="UTC", quality=quality),
                      read_signin_sheet(signin, timezone="UTC", quality=quality)],
                     ignore_index=True)


def test_match_rate_per_source_kind(tmp_path):
    quality = QualityLog()
    sheets = three_sources(tmp_path, quality)
    events = match_attendance(sheets, PEOPLE, source="attendance", quality=quality, by_kind=True)
    assert quality.matching == [
        {"source": "attendance", "rows": 8, "by_email": 2, "by_name": 3, "unmatched": 3,
         "match_rate": 5 / 8},
        {"source": "attendance_zoom", "rows": 2, "by_email": 1, "by_name": 0, "unmatched": 1,
         "match_rate": 0.5},
        {"source": "attendance_teams", "rows": 3, "by_email": 0, "by_name": 2, "unmatched": 1,
         "match_rate": 2 / 3},
        {"source": "attendance_signin", "rows": 3, "by_email": 1, "by_name": 1, "unmatched": 1,
         "match_rate": 2 / 3},
    ]
    rules = {r["rule"]: r for r in quality.rules if r["source"] == "attendance"}
    assert (rules[UNMATCHED_RULE]["rows"], rules[UNMATCHED_RULE]["detail"]) == (
        2, "zoom 1, signin 1")
    assert (rules[AMBIGUOUS_RULE]["rows"], rules[AMBIGUOUS_RULE]["detail"]) == (1, "teams 1")
    # the organizer never reached matching; everything else is matched or counted
    assert quality.dropped("teams") == 1
    assert len(sheets) == len(events) + rules[UNMATCHED_RULE]["rows"] + \
        rules[AMBIGUOUS_RULE]["rows"]
    assert sorted(zip(events["object_id"].str.split(":").str[0], events["learner_id"])) == [
        ("signin", "4"), ("signin", "5"), ("teams", "5"), ("teams", "8"), ("zoom", "4")]


def test_match_without_by_kind_keeps_one_overall_rate(tmp_path):
    quality = QualityLog()
    match_attendance(three_sources(tmp_path, quality), PEOPLE, source="attendance",
                     quality=quality)
    assert [m["source"] for m in quality.matching] == ["attendance"]
    assert quality.matching[0]["match_rate"] == 5 / 8


# --------------------------------------------------------------------------- clean.load_exports

def test_load_exports_reads_teams_and_xlsx_attendance(tmp_path):
    raw = tmp_path / "raw"
    (raw / "moodle_logs").mkdir(parents=True)
    (raw / "moodle_logs" / "DIG101.csv").write_text(
        "Time,User full name,Affected user,Event context,Component,Event name,Description,"
        "Origin,IP address\n"
        '"3/05/26, 21:52",Ana Núñez,-,Course: Digital skills,System,Course viewed,'
        "The user with id '4' viewed the course with id '12'.,web,10.0.0.1\n", encoding="utf-8")
    people = PEOPLE.loc[PEOPLE["course"] == "DIG101"]
    pd.DataFrame({"user_id": people["user_id"], "full_name": people["full_name"],
                  "email": people["email"], "course": "DIG101", "organisation": "Acme",
                  "enrolled_at": "2026-01-05 09:00", "acquisition_channel": ""}
                 ).to_csv(raw / "enrolments.csv", index=False)
    (raw / "attendance").mkdir()
    three_sources(raw / "attendance", QualityLog())
    (raw / "attendance" / "notes.txt").write_text("not an attendance file")
    quality = QualityLog()
    tables = clean.load_exports(raw, timezone={"default": "Europe/London",
                                               "zoom": "America/New_York"}, quality=quality)
    assert quality.timezones["teams"] == "America/New_York"  # no teams zone: the zoom one
    assert quality.timezones["zoom"] == "America/New_York"
    assert quality.timezones["signin"] == "Europe/London"
    assert {m["source"]: m["rows"] for m in quality.matching} == {
        "attendance": 8, "attendance_zoom": 2, "attendance_teams": 3, "attendance_signin": 3}
    assert quality.matching[0]["source"] == "attendance"
    attend = tables["events"].loc[tables["events"]["action"] == "attend"]
    assert len(attend) == 5
    files = {f["file"] for f in quality.raw_files}
    assert {"zoom_1.xlsx", "teams_1.csv", "signin_1.xlsx"} <= files and "notes.txt" not in files
    tokyo = QualityLog()
    again = clean.load_exports(raw, timezone={"default": "Europe/London", "teams": "Asia/Tokyo"},
                               quality=tokyo)
    assert tokyo.timezones["teams"] == "Asia/Tokyo" and tokyo.timezones["zoom"] == "Europe/London"
    assert len(again["events"]) == len(tables["events"])
