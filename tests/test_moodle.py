"""Moodle Logs report and forum posts export -> contract events (sources/moodle.py)."""

import csv
import io

import pandas as pd
import pytest

from engagement.schema import InputError, QualityLog
from engagement.sources import moodle
from engagement.sources.moodle import (EVENT_ACTIONS, STAFF_RULES, TEACHER_ONLY_EVENTS,
                                       read_forum_posts, read_moodle_log, staff_ids)

HEADER = ["Time", "User full name", "Affected user", "Event context", "Component",
          "Event name", "Description", "Origin", "IP address"]
CTX = "Course: Intro à la pédagogie"


def row(time, event, desc, component="System", name="-"):
    return [time, name, "-", CTX, component, event, desc, "web", "10.0.0.1"]


def write_log(path, rows, *, encoding="cp1252", header=HEADER, raw_lines=()):
    """Write a Logs report CSV; raw_lines = {index: text} inserts literal lines."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    text = buf.getvalue()
    for text_line in raw_lines:
        text += text_line + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def rules(q, source="moodle_logs"):
    return {r["rule"]: r for r in q.rules if r["source"] == source}


# A log whose answers are known by hand (ids from Description, one row per line).
MIXED = [
    row("14/06/23, 14:05", "Course viewed", "The user with id '5' viewed the course with id '42'.",
        name="José Müller"),
    row("14/06/23, 14:06", "Course module viewed",
        "The user with id '5' viewed the 'resource' activity with course module id '10'.",
        component="File"),
    row("14/06/23, 14:07", "User graded",  # Moodle's own self-grade: not a teacher action
        "The user with id '5' updated the grade with id '1' for the user with id '5' for the "
        "grade item with id '3'."),
    row("14/06/23, 14:08", "Post created",
        "The user with id '7' has created the post with id '3' in the discussion with id '2' "
        "in the forum with course module id '11'.", component="Forum"),
    row("14/06/23, 14:09", "Course viewed", "The user with id '2' viewed the course with id '42'."),
    row("14/06/23, 14:10", "Course viewed", "The user with id '2' viewed the course with id '42'."),
    row("14/06/23, 14:11", "Course viewed", "The user with id '0' viewed the course with id '42'."),
    row("14/06/23, 14:12", "User graded",
        "The user with id '-1' updated the grade with id '2' for the user with id '5' for the "
        "grade item with id '3'."),
    row("14/06/23, 14:13", "Course viewed", "The user with id '9' viewed the course with id '42'."),
    row("14/06/23, 14:14", "Grading table viewed",
        "The user with id '9' viewed the grading table for the assignment with course module "
        "id '12'."),
    row("14/06/23, 14:15", "Course viewed", "The user with id '11' viewed the course with id '42'."),
    row("14/06/23, 14:16", "List Submissions", "User viewed their submission inbox at course: 42",
        component="Turnitin Assignment 2"),
    row("14/06/23, 14:17", "Badge listing viewed",
        "The user with id '7' has viewed the list of available badges for the course with the "
        "id '42'."),
    row("14/06/23, 14:18", "Some unknown event", "The user with id '7' did something."),
]


@pytest.fixture
def mixed(tmp_path):
    return write_log(tmp_path / "C101.csv", MIXED)


def test_ids_staff_rules_and_mapping_known_by_hand(mixed):
    q = QualityLog()
    ev = read_moodle_log(mixed, timezone="Europe/London", exclude_ids=[11], quality=q)
    # kept: user 5 (3 rows, incl. the self-grade) and user 7 (3 rows)
    assert ev["learner_id"].tolist() == ["5", "5", "5", "7", "7", "7"]
    assert ev["course"].eq("C101").all()
    assert ev["action"].tolist() == ["view", "view", "other", "post", "other", "other"]
    assert ev["source"].tolist() == ["lms", "lms", "lms", "forum", "lms", "lms"]
    assert ev["object_id"].tolist()[:4] == ["course:42", "cm:10", None, "cm:11"]
    assert ev["object_id"].iloc[4] == "course:42"
    assert ev["object_id"].iloc[5] is None
    assert ev["target_learner_id"].isna().all()
    assert ev["count"].eq(1).all()
    assert ev["event_name"].iloc[3] == "Post created"

    r = rules(q)
    assert r["no user id in Description"]["rows"] == 1
    assert r[STAFF_RULES["reserved"]]["rows"] == 2
    assert "2 distinct user(s)" in r[STAFF_RULES["reserved"]]["detail"]
    assert r[STAFF_RULES["admin"]]["rows"] == 2
    assert "1 distinct user(s)" in r[STAFF_RULES["admin"]]["detail"]
    assert r[STAFF_RULES["teacher_action"]]["rows"] == 2
    assert "Grading table viewed" in r[STAFF_RULES["teacher_action"]]["detail"]
    assert r[STAFF_RULES["excluded"]]["rows"] == 1
    flagged = r["event name mapped to action 'other'"]
    assert flagged["action"] == "flagged" and flagged["rows"] == 3
    assert "Some unknown event: 1" in flagged["detail"]
    assert "(encoding cp1252)" in r["no user id in Description"]["detail"]
    # nothing lost silently: rows in = rows kept + rows counted as dropped
    assert q.rows_read["moodle_logs"] == len(MIXED) == len(ev) + q.dropped("moodle_logs")
    assert q.timezones["moodle_logs"] == "Europe/London"
    assert q.raw_files[0]["file"] == "C101.csv" and q.raw_files[0]["rows"] == len(MIXED)


def test_staff_ids_reports_each_rule_and_keeps_input(mixed):
    raw = pd.read_csv(mixed, encoding="cp1252", dtype=str)
    before = raw.copy()
    staff = staff_ids(raw, admin_ids=("2",), exclude_ids=[11, 404])
    assert raw.equals(before)
    got = {(u, r, n) for u, r, n in staff[["user_id", "rule", "rows"]].itertuples(index=False)}
    assert got == {("0", "reserved", 1), ("-1", "reserved", 1), ("2", "admin", 2),
                   ("9", "teacher_action", 2), ("11", "excluded", 1),
                   ("404", "excluded", 0)}  # an id to exclude that never occurs is shown
    assert list(staff["rule"].drop_duplicates()) == ["reserved", "admin", "teacher_action",
                                                     "excluded"]
    assert staff.loc[staff["user_id"] == "9", "evidence"].item() == "Grading table viewed"


def test_admin_who_also_grades_is_counted_once_under_admin(tmp_path):
    path = write_log(tmp_path / "c.csv", [
        row("1/01/24, 10:00", "User graded",
            "The user with id '2' updated the grade with id '1' for the user with id '5' for "
            "the grade item with id '3'."),
        row("1/01/24, 10:01", "Course viewed", "The user with id '5' viewed the course with id '1'."),
    ])
    q = QualityLog()
    ev = read_moodle_log(path, timezone="UTC", quality=q)
    assert ev["learner_id"].tolist() == ["5"]
    assert rules(q)[STAFF_RULES["admin"]]["rows"] == 1
    assert rules(q)[STAFF_RULES["teacher_action"]]["rows"] == 0


def test_teacher_only_set_covers_the_brief():
    for name in ("User graded", "Course module updated", "Log report viewed", "Role assigned",
                 "User unenrolment updated", "All the submissions are being downloaded."):
        assert name in TEACHER_ONLY_EVENTS
    assert EVENT_ACTIONS["Quiz attempt started"] == "attempt"
    assert EVENT_ACTIONS["User has logged in"] == "login"


def test_first_user_id_wins_and_negative_ids_parse(tmp_path):
    path = write_log(tmp_path / "c.csv", [
        row("1/01/24, 10:00", "User profile viewed",
            "The user with id '12' viewed the profile for the user with id '13' in the course "
            "with id '1'. The user with id '99' ..."),
        row("1/01/24, 10:01", "Course viewed", "The user with id '-7' viewed the course with id '1'."),
    ])
    q = QualityLog()
    ev = read_moodle_log(path, timezone="UTC", quality=q)
    assert ev["learner_id"].tolist() == ["12"]  # -7 is no account: reserved, dropped
    assert rules(q)[STAFF_RULES["reserved"]]["rows"] == 1


def test_timezone_conversion_and_day_without_leading_zero(tmp_path):
    path = write_log(tmp_path / "c.csv", [
        row("14/06/23, 14:05", "Course viewed", "The user with id '5' viewed the course with id '1'."),
        row("3/03/18, 17:21", "Course viewed", "The user with id '5' viewed the course with id '1'."),
    ])
    ev = read_moodle_log(path, timezone="Europe/London")
    assert str(ev["timestamp"].dtype) == "datetime64[ns, UTC]"
    # sorted by time: March 2018 (GMT, +0) before June 2023 (BST, +1)
    assert ev["timestamp"].tolist() == [pd.Timestamp("2018-03-03 17:21", tz="UTC"),
                                        pd.Timestamp("2023-06-14 13:05", tz="UTC")]
    muscat = read_moodle_log(path, timezone="Asia/Muscat")
    assert muscat["timestamp"].iloc[1] == pd.Timestamp("2023-06-14 10:05", tz="UTC")


def test_long_date_format_with_and_without_weekday(tmp_path):
    path = write_log(tmp_path / "c.csv", [
        row("Tuesday, 5 March 2024, 2:07 PM", "Course viewed",
            "The user with id '5' viewed the course with id '1'."),
        row("5 March 2024, 2:08 AM", "Course viewed",
            "The user with id '5' viewed the course with id '1'."),
        row("6/03/24, 09:00", "Course viewed", "The user with id '5' viewed the course with id '1'."),
    ])
    ev = read_moodle_log(path, timezone="Asia/Muscat")  # UTC+4, no DST
    assert ev["timestamp"].tolist() == [pd.Timestamp("2024-03-04 22:08", tz="UTC"),
                                        pd.Timestamp("2024-03-05 10:07", tz="UTC"),
                                        pd.Timestamp("2024-03-06 05:00", tz="UTC")]


def test_dst_gap_and_repeated_hour_are_resolved_and_counted(tmp_path):
    path = write_log(tmp_path / "c.csv", [
        row("26/03/23, 01:30", "Course viewed",  # skipped by the spring change in London
            "The user with id '5' viewed the course with id '1'."),
        row("29/10/23, 01:30", "Course viewed",  # occurs twice in the autumn
            "The user with id '5' viewed the course with id '1'."),
    ])
    q = QualityLog()
    ev = read_moodle_log(path, timezone="Europe/London", quality=q)
    assert ev["timestamp"].tolist() == [pd.Timestamp("2023-03-26 01:00", tz="UTC"),
                                        pd.Timestamp("2023-10-29 00:30", tz="UTC")]
    r = rules(q)
    assert r["nonexistent local time at a DST change"]["rows"] == 1
    assert r["ambiguous local time at a DST change"]["rows"] == 1
    assert r["ambiguous local time at a DST change"]["action"] == "fixed"
    assert q.dropped("moodle_logs") == 0


def test_malformed_line_dropped_and_counted_with_its_line_number(tmp_path):
    rows = [
        row("1/01/24, 10:00", "Course viewed",
            "The user with id '5' viewed\nthe course with id '1'."),  # lines 2-3
        row("1/01/24, 10:01", "Course viewed", "The user with id '6' viewed the course with id '1'."),
    ]
    # line 5: truncated; line 6: one field too many
    path = write_log(tmp_path / "c.csv", rows, raw_lines=[
        '"1/01/24, 10:02",-,-,ctx,System,Course viewed',
        "\"1/01/24, 10:03\",-,-,ctx,System,Course viewed,The user with id '8' viewed.,web,ip,x",
    ])
    q = QualityLog()
    ev = read_moodle_log(path, timezone="UTC", quality=q)
    assert sorted(ev["learner_id"]) == ["5", "6"]
    bad = rules(q)["malformed line"]
    assert bad["rows"] == 2 and bad["action"] == "dropped"
    assert "line(s) 5, 6" in bad["detail"]
    assert q.rows_read["moodle_logs"] == 4 == len(ev) + q.dropped("moodle_logs")


def test_truncated_last_line_inside_quotes_is_counted_with_its_span(tmp_path):
    rows = [row("1/01/24, 10:00", "Course viewed",
                "The user with id '5' viewed the course with id '1'.")]
    path = write_log(tmp_path / "c.csv", rows, raw_lines=[
        '"1/01/24, 10:02",-,-,ctx,System,Course viewed,"The user with id \'8\', cut',
        "here",
    ])
    q = QualityLog()
    ev = read_moodle_log(path, timezone="UTC", quality=q)
    assert ev["learner_id"].tolist() == ["5"]
    assert "line(s) 3-4" in rules(q)["malformed line"]["detail"]


TRICKY = [
    row("1/01/24, 10:00", "Course viewed",
        'The user with id \'5\' said "hi, there"\r\nand left the course with id \'1\'.'),
    row("1/01/24, 10:01", "Course viewed", "The user with id '6' viewed the course with id '1'.",
        name="Zoë, \"Z\""),
    row(" 2/01/24, 10:01 ", "Course viewed", "The user with id '7' viewed the course with id '1'."),
]


def test_regular_and_malformed_files_read_the_same_rows(tmp_path, monkeypatch):
    # a regular file takes the fast reader, one with a bad line the csv-module reader
    calls = []
    slow = moodle._slow_table
    monkeypatch.setattr(moodle, "_slow_table", lambda *a: calls.append(1) or slow(*a))
    clean = read_moodle_log(write_log(tmp_path / "c.csv", TRICKY), timezone="UTC")
    assert calls == []
    messy = read_moodle_log(write_log(tmp_path / "c2.csv", TRICKY, raw_lines=["x,y"]),
                            timezone="UTC", course="c")
    assert calls == [1]
    pd.testing.assert_frame_equal(clean, messy)
    assert clean["learner_id"].tolist() == ["5", "6", "7"]


def test_unparseable_time_names_file_line_and_column(tmp_path):
    path = write_log(tmp_path / "bad_time.csv", [
        row("1/01/24, 10:00", "Course viewed",
            "The user with id '5' viewed\nthe course with id '1'."),  # lines 2-3
        row("yesterday", "Course viewed", "The user with id '5' viewed the course with id '1'."),
    ])
    with pytest.raises(InputError) as err:
        read_moodle_log(path, timezone="UTC")
    assert err.value.row == 4 and err.value.column == "Time"
    assert "bad_time.csv" in str(err.value) and "'yesterday'" in str(err.value)


def test_missing_column_names_it_and_the_file(tmp_path):
    header = [h for h in HEADER if h != "Description"]
    path = write_log(tmp_path / "nodesc.csv", [["1/01/24, 10:00", "-", "-", CTX, "System",
                                                "Course viewed", "web", "ip"]], header=header)
    with pytest.raises(InputError, match=r"nodesc\.csv.*'Description'.*'Event name'"):
        read_moodle_log(path, timezone="UTC")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_file_is_refused(tmp_path, encoding):
    path = write_log(tmp_path / "wide.csv", MIXED, encoding=encoding)
    with pytest.raises(InputError, match="wide.csv.*UTF-16"):
        read_moodle_log(path, timezone="UTC")


@pytest.mark.parametrize("encoding, tag", [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"),
                                           ("cp1252", "cp1252")])
def test_encodings_are_detected_and_recorded(tmp_path, encoding, tag):
    path = write_log(tmp_path / "c.csv", MIXED, encoding=encoding)
    q = QualityLog()
    ev = read_moodle_log(path, timezone="UTC", quality=q)
    assert len(ev) == 7  # the BOM did not hide the Time column
    assert f"(encoding {tag})" in rules(q)["no user id in Description"]["detail"]


def test_undecodable_bytes_are_an_input_error(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\r\n\x81\x8d,x\r\n")  # not UTF-8 nor cp1252
    with pytest.raises(InputError, match="cp1252"):
        read_moodle_log(path, timezone="UTC")


def test_timezone_is_required_and_checked(mixed):
    with pytest.raises(TypeError):
        read_moodle_log(mixed)
    with pytest.raises(ValueError, match="Mars/Olympus"):
        read_moodle_log(mixed, timezone="Mars/Olympus")


def test_course_override_and_header_only_file(tmp_path, mixed):
    assert read_moodle_log(mixed, timezone="UTC", course="X1")["course"].eq("X1").all()
    empty = write_log(tmp_path / "empty.csv", [])
    ev = read_moodle_log(empty, timezone="UTC")
    assert len(ev) == 0 and "event_name" in ev.columns


def test_exact_duplicates_are_kept(tmp_path):
    r = row("1/01/24, 10:00", "Course viewed", "The user with id '5' viewed the course with id '1'.")
    ev = read_moodle_log(write_log(tmp_path / "c.csv", [r, r]), timezone="UTC")
    assert len(ev) == 2


# --------------------------------------------------------------------------- forum posts

FORUM_HEADER = ["id", "discussion", "parent", "userid", "userfullname", "created", "subject",
                "message"]


def write_posts(path, rows, header=FORUM_HEADER):
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


POSTS = [
    [1, 1, 0, 5, "Ana", 1700000000, "Hello", "<p>first</p>"],
    [2, 1, 1, 7, "Ben", 1700000060, "Re: Hello", "<p>reply,\nwith a newline</p>"],
    [3, 1, 2, 5, "Ana", 1700000120, "Re: Hello", "back to Ben"],
    [4, 2, 99, 8, "Cy", 1700000180, "Re: lost", "parent not exported"],
    [5, 3, 0, 0, "Guest", 1700000240, "spam", "guest post"],
    [6, 3, 5, 7, "Ben", 1700000300, "Re: spam", "answers the guest"],
]


def test_forum_posts_replies_target_the_parent_author(tmp_path):
    q = QualityLog()
    ev = read_forum_posts(write_posts(tmp_path / "F1.csv", POSTS), quality=q)
    assert ev["object_id"].tolist() == ["discussion:1/post:1", "discussion:1/post:2",
                                        "discussion:1/post:3", "discussion:2/post:4",
                                        "discussion:3/post:6"]
    assert ev["learner_id"].tolist() == ["5", "7", "5", "8", "7"]
    assert ev["action"].tolist() == ["post", "reply", "reply", "reply", "reply"]
    assert ev["target_learner_id"].tolist() == [None, "5", "7", None, None]
    assert ev["source"].eq("forum").all() and ev["course"].eq("F1").all()
    assert ev["timestamp"].iloc[1] == pd.Timestamp("2023-11-14 22:14:20", tz="UTC")
    r = rules(q, "forum_posts")
    assert r["reply to a post missing from the export"]["rows"] == 1
    assert r["reply to a post by a reserved id"]["rows"] == 1
    assert r["post by a reserved id (0 guest, -1 system)"]["rows"] == 1
    assert q.rows_read["forum_posts"] == 6 == len(ev) + q.dropped("forum_posts")


def test_forum_missing_columns_are_named(tmp_path):
    header = [h for h in FORUM_HEADER if h not in ("parent", "created")]
    path = write_posts(tmp_path / "f.csv", [[1, 1, 5, "Ana", "s", "m"]], header=header)
    with pytest.raises(InputError, match=r"f\.csv.*'parent', 'created'"):
        read_forum_posts(path)


def test_forum_human_date_is_a_clear_error(tmp_path):
    rows = [[1, 1, 0, 5, "Ana", 1700000000, "s", "m"],
            [2, 1, 1, 7, "Ben", "14 November 2023, 10:14 PM", "s", "m"]]
    with pytest.raises(InputError, match="Unix seconds") as err:
        read_forum_posts(write_posts(tmp_path / "f.csv", rows))
    assert err.value.row == 3 and err.value.column == "created"


# --------------------------------------------------------------------------- real exports

def test_real_edify_logs_load_cleanly(shared_data_dir):
    folder = shared_data_dir("moodle-edify")
    files = sorted(folder.glob("Moodle Module *.csv"))
    assert len(files) >= 1, f"no 'Moodle Module *.csv' in {folder}"
    teacher_rows = 0
    for path in files:
        q = QualityLog()
        ev = read_moodle_log(path, timezone="Asia/Muscat", quality=q)
        assert len(ev) > 0, path.name
        ids = ev["learner_id"]
        assert ids.str.fullmatch(r"[1-9]\d*").all(), path.name  # no '-', empty or negative
        assert ev["course"].eq(path.stem).all()
        assert ev["timestamp"].between(pd.Timestamp("2015-01-01", tz="UTC"),
                                       pd.Timestamp("2023-01-01", tz="UTC")).all(), path.name
        r = rules(q)
        for name in STAFF_RULES.values():
            assert name in r, (path.name, name)
        teacher_rows += r[STAFF_RULES["teacher_action"]]["rows"]
        assert q.rows_read["moodle_logs"] == len(ev) + q.dropped("moodle_logs"), path.name
        assert q.raw_files[0]["rows"] == q.rows_read["moodle_logs"]
    assert teacher_rows > 0


def test_real_edify_f19_is_cp1252_and_drops_turnitin(shared_data_dir):
    path = shared_data_dir("moodle-edify") / "Moodle Module 1 F19.csv"
    if not path.exists():
        pytest.skip(f"{path} absent")
    q = QualityLog()
    ev = read_moodle_log(path, timezone="Asia/Muscat", quality=q)
    r = rules(q)
    assert "(encoding cp1252)" in r["no user id in Description"]["detail"]
    assert "List Submissions" in r["no user id in Description"]["detail"]
    assert r[STAFF_RULES["admin"]]["rows"] > 0
    staff = staff_ids(pd.read_csv(path, encoding="cp1252", dtype=str))
    assert not set(staff["user_id"]) & set(ev["learner_id"])
