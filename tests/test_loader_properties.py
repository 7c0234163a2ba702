"""Property tests: random rows (valid, invalid and odd values mixed) through every loader.

Two properties for every loader: it raises nothing but the documented
:class:`~engagement.schema.InputError` (naming the file, and the line where there is one);
and no row is lost silently: rows read = rows kept + rows counted as dropped (+ rows
merged into another, counted as fixed, for attendance).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engagement.schema import InputError, QualityLog
from engagement.sources import attendance, edges, email, mapping, moodle, oulad, social, xapi

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

ODD = ["", " ", "-1", "0", "1,234", "12.0", "1.5", "NaN", "inf", "1e308", "99999999999999999999",
       "NULL", "#N/A", "?", "é", "Zoë", "\u202f", '"', ",", "\n", "line\nbreak", "2099-01-01",
       "9999-12-31 23:59", "0000-01-01", "31/02/2024", "2024-03-31 01:30",
       "2024-10-27 01:30", "2024-03-05T14:07:00+02:00", "2024-03-05T14:07:00"]


def cells(*valid):
    """A cell: one of the valid values, an odd value, or any short text."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(ODD), st.text(max_size=6))


def write_csv(folder: Path, name: str, header, rows, *, encoding="utf-8") -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = folder / name
    path.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    return path


def check(load, folder: Path, path: Path, *, source: str, merged=()):
    """Run `load`; InputError is allowed (naming the file); otherwise rows add up."""
    quality = QualityLog()
    try:
        kept = load(path, quality)
    except InputError as exc:
        assert path.name in str(exc)
        assert exc.row is None or exc.row >= 1
        return
    read = quality.rows_read.get(source, 0)
    gone = quality.dropped(source) + sum(r["rows"] for r in quality.rules
                                         if r["source"] == source and r["rule"] in merged)
    assert read == kept + gone, (read, kept, quality.rules)


def run(header, rows, load, *, name="data.csv", **kw):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_csv(folder, name, header, rows)
        check(load, folder, path, **kw)


# --------------------------------------------------------------------------- Moodle

LOG_HEADER = ["Time", "User full name", "Affected user", "Event context", "Component",
              "Event name", "Description", "Origin", "IP address"]
log_rows = st.lists(st.tuples(
    cells("5/03/24, 14:07", "Tuesday, 5 March 2024, 2:07 PM", "31/03/24, 01:30",
          "Friday, 1 January 2099, 10:00 AM"),
    cells("Ann", "-"), cells("-"), cells("Course: X"), cells("System", "Forum", "mod_forum"),
    cells("Course viewed", "User graded", "Post created", "Something new"),
    cells("The user with id '4' viewed the course with id '2'.",
          "The user with id '5' viewed the course module with id '7'.",
          "The user with id '0' did it.", "The user with id '-1' did it.",
          "The user with id '3' graded the submission for the user with id '4'."),
    cells("web"), cells("1.2.3.4"),
    # a short record now and then: a truncated line
).map(lambda r: list(r)) | st.lists(cells("x"), max_size=4), max_size=8)


@SETTINGS
@given(log_rows)
def test_moodle_log(rows):
    run(LOG_HEADER, rows, lambda p, q: len(moodle.read_moodle_log(
        p, timezone="Europe/London", quality=q)), source="moodle_logs")


FORUM_HEADER = ["id", "discussion", "parent", "userid", "userfullname", "created", "subject",
                "message"]
forum_rows = st.lists(st.tuples(
    cells("1", "2", "3"), cells("10"), cells("0", "1", "2", "9"), cells("4", "5", "0", "-1"),
    cells("Ann"), cells("1709647620", "1709647680", "4102444800", "-99999999999999"),
    cells("Hi"), cells("Hello")).map(list), max_size=8)


@SETTINGS
@given(forum_rows)
def test_forum_posts(rows):
    run(FORUM_HEADER, rows, lambda p, q: len(moodle.read_forum_posts(p, quality=q)),
        source="forum_posts")


# --------------------------------------------------------------------------- mapping

ENROL_HEADER = ["user_id", "full_name", "email", "course", "organisation", "enrolled_at",
                "acquisition_channel"]
enrol_rows = st.lists(st.tuples(
    cells("4", "5", "6"), cells("Ann Lee"), cells("ann@x.org", ""), cells("DIG101", "DIG102"),
    cells("Acme", ""), cells("2024-03-01 09:00", "2024-03-01", "", "2024-03-01T09:00:00Z"),
    cells("LinkedIn", "Twitter", "", "Billboard")).map(list), max_size=8)


@SETTINGS
@given(enrol_rows)
def test_enrolments(rows):
    run(ENROL_HEADER, rows, lambda p, q: len(mapping.load_enrolments(
        p, timezone="Europe/London", quality=q)[0]), source="enrolments")


EVENTS_MAPPING = {"table": "events", "timezone": "Europe/London", "thousands": ",",
                  "columns": {"learner_id": "who", "course": "course", "timestamp": "when",
                              "source": {"value": "lms"}, "action": "what", "count": "n"}}
event_rows = st.lists(st.tuples(
    cells("4", "5"), cells("DIG101"), cells("2024-03-05 14:07", "2024-03-05T14:07:00+01:00"),
    cells("view", "post", "jump"), cells("1", "2", "1,234", "-3", "0")).map(list), max_size=8)


@SETTINGS
@given(event_rows)
def test_mapped_events(rows):
    run(["who", "course", "when", "what", "n"], rows, lambda p, q: len(mapping.load_mapped(
        p, EVENTS_MAPPING, quality=q)), source="events")


OUTCOME_HEADER = ["user_id", "course", "result", "completed_on", "withdrawn_on", "score"]
outcome_rows = st.lists(st.tuples(
    cells("4", "5"), cells("DIG101"), cells("Passed", "Withdrawn", "In progress", "Dropped"),
    cells("2024-05-01", ""), cells("", "2024-04-01"), cells("80", "", "101", "-1", "55.5"))
    .map(list), max_size=8)


@SETTINGS
@given(outcome_rows)
def test_outcomes(rows):
    run(OUTCOME_HEADER, rows, lambda p, q: len(mapping.load_outcomes(
        p, timezone="Europe/London", quality=q)), source="outcomes")


# --------------------------------------------------------------------------- attendance

ZOOM_HEADER = ["Meeting ID", "Topic", "Name (Original Name)", "User Email", "Join Time",
               "Leave Time", "Duration (Minutes)", "Guest"]
zoom_rows = st.lists(st.tuples(
    cells("812 3456 7890"), cells("DIG101 webinar", "DIG102: week 2"),
    cells("Ann Lee", "Ann Lee (Annie)", ""), cells("ann@x.org", "", "bo@x.org"),
    cells("03/05/2024 02:00:10 PM", "03/05/2024 02:20:10 PM", "03/31/2024 01:30 AM"),
    cells("03/05/2024 02:50:10 PM", "03/05/2024 01:00:00 PM"), cells("50", "", "-5", "inf"),
    cells("No")).map(list), max_size=8)


@SETTINGS
@given(zoom_rows)
def test_zoom(rows):
    run(ZOOM_HEADER, rows, lambda p, q: len(attendance.read_zoom_participants(
        p, timezone="Europe/London", quality=q)), source="zoom",
        merged=("rejoin rows of one person in one meeting merged",))


SIGNIN_HEADER = ["Date", "Start", "Course", "Format", "Full name", "Email", "Organisation"]
signin_rows = st.lists(st.tuples(
    cells("05/03/2024", "31/03/2024"), cells("18:00", "01:30", "18.00"), cells("DIG101"),
    cells("Tutorial", "Face to face", "Lecture"), cells("Ann Lee", "", "José"),
    cells("ann@x.org", ""), cells("Acme")).map(list), max_size=8)


@SETTINGS
@given(signin_rows)
def test_signin(rows):
    run(SIGNIN_HEADER, rows, lambda p, q: len(attendance.read_signin_sheet(
        p, timezone="Europe/London", quality=q)), source="signin",
        merged=("same person signed in twice to one session",))


teams_rows = st.lists(st.tuples(
    cells("Ann Lee", "Bo Chan", ""), cells("Joined", "Left", "Joined before", "Waved"),
    cells("3/5/24, 2:00:13 PM", "3/5/24, 2:40:13 PM", "2024-03-05 14:02:13")).map(list),
    max_size=8)


@SETTINGS
@given(teams_rows)
def test_teams_list(rows):
    # the older list is an action log: its rows become one row per person (by normalised
    # name), so rows kept = distinct people; nothing is dropped
    def load(p, q):
        out = attendance.read_teams_attendance(p, timezone="Europe/London", course="DIG101",
                                               quality=q)
        # (a line of empty cells is a blank line, not a record)
        records = [r for r in rows if any(c.strip() for c in r)]
        assert len(out) == len({attendance.normalise_name(r[0].strip()) for r in records})
        assert q.dropped("teams") == 0
        return q.rows_read.get("teams", 0)
    run(["Full Name", "User Action", "Timestamp"], rows, load, name="teams_DIG101.csv",
        source="teams")


# --------------------------------------------------------------------------- outreach

LI_HEADER = ["Date", "Content", "Labels", "Url", "Impressions", "Reach", "Clicks", "Likes",
             "Shares", "Comments", "Engagement"]
count = ("0", "12", "1,234", "12.0", "", "-3", "1.5", "99999999999999999999999")
li_rows = st.lists(st.tuples(
    cells("01/02/2024 02:28 PM EST -0500", "01/02/2024 00:28 PM EST -0500",
          "01/02/2099 02:28 PM EST -0500", "13/45/2024 02:28 PM EST -0500",
          "01/02/9999 02:28 PM EST -0500"),
    cells("Join us"), cells("Spring | variant: a", ""),
    cells("https://www.linkedin.com/feed/update/urn:li:activity:1",
          "https://www.linkedin.com/feed/update/urn:li:activity:2", ""),
    *[cells(*count) for _ in range(7)]).map(list), max_size=8)


@SETTINGS
@given(li_rows)
def test_social(rows):
    run(LI_HEADER, rows, lambda p, q: len(social.read_social_export(p, quality=q)),
        name="linkedin.csv", source="social_linkedin")


EMAIL_HEADER = ["recipient_email", "variant", "sent_at", "opened", "clicked", "signed_up"]
email_rows = st.lists(st.tuples(
    cells("a@x.org", "A@X.org", "", "b@x.org"), cells("A", "B", ""),
    cells("2025-12-15 09:06", "2025-10-26 01:30", "2099-01-01 00:00", "9999-01-01 00:00"),
    cells("0", "1"), cells("0", "1"), cells("0", "1", "yes")).map(list), max_size=8)


@SETTINGS
@given(email_rows)
def test_email(rows):
    run(EMAIL_HEADER, rows, lambda p, q: int(email.read_email_test(
        p, timezone="Europe/London", quality=q)["recipients"].sum()), source="email")


# --------------------------------------------------------------------------- edges

edge_rows = st.lists(st.tuples(
    cells("a", "b", ""), cells("a", "b", "", "NULL"),
    cells("13/02/2014", "02/14/2014", "2014-02-13", "2/3/14 10:00 AM", "14/02/9999",
          "2013-09-27T10:00:00+00:00"), cells("t1", "", "#N/A"), cells("p1", "", "p2"))
    .map(list), max_size=8)


@SETTINGS
@given(edge_rows)
def test_reply_edges(rows):
    run(["Sender", "Reciever", "Timestamp", "DiscussionID", "CommentID"], rows,
        lambda p, q: len(edges.read_reply_edges(p, course="C", quality=q)),
        source="reply_edges")


node_rows = st.lists(st.tuples(cells("a", "b", ""), cells("0", "1", "yes", "maybe"),
                               cells("Acme", "Bolt", "NULL", "")).map(list), max_size=8)


@SETTINGS
@given(node_rows)
def test_reply_nodes(rows):
    run(["uid", "facilitator", "organisation"], rows, lambda p, q: len(edges.read_reply_nodes(
        p, course="C", organisation="organisation", staff_column="facilitator", quality=q)),
        source="reply_nodes")


# --------------------------------------------------------------------------- xAPI

json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3), max_leaves=6)
statements = st.fixed_dictionaries(
    {"id": st.sampled_from(["s1", "s2", "s3"]),
     "actor": st.one_of(st.just({"account": {"name": "4"}}), st.just({"mbox": "mailto:a@x"}),
                        st.just({"objectType": "Group"}), json_value),
     "verb": st.one_of(st.just({"id": "http://adlnet.gov/expapi/verbs/experienced"}),
                       st.just({"id": "http://adlnet.gov/expapi/verbs/voided"}),
                       st.just({"id": "http://adlnet.gov/expapi/verbs/replied"}), json_value),
     "object": st.one_of(st.just({"id": "https://x.org/a/1"}),
                         st.just({"objectType": "StatementRef", "id": "s1"}), json_value),
     "timestamp": st.one_of(st.sampled_from(["2024-03-05T14:07:00Z", "2024-03-05T14:07:00",
                                             "2099-01-01T00:00:00+02:00",
                                             "9999-12-31T23:59:59Z"]), json_value),
     "context": st.one_of(st.just({"contextActivities": {"parent": [
         {"id": "https://x.org/course/DIG101"}]}}), json_value)})


@SETTINGS
@given(st.lists(st.one_of(statements, json_value), max_size=6), st.booleans())
def test_xapi(items, as_lines):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "statements.jsonl"
        text = ("\n".join(json.dumps(i) for i in items) + "\n" if as_lines
                else json.dumps(items))
        path.write_text(text, encoding="utf-8")
        check(lambda p, q: len(xapi.read_xapi(p, quality=q)), Path(tmp), path, source="xapi")


# --------------------------------------------------------------------------- OULAD

VLE_HEADER = ["code_module", "code_presentation", "id_student", "id_site", "date",
              "sum_click"]
vle_rows = st.lists(st.tuples(
    cells("AAA", "BBB"), cells("2013J", "2014B"), cells("11", "12", "99"), cells("100", "7"),
    cells("0", "-5", "300", "99999999"), cells("1", "3", "0", "-2")).map(list), max_size=8)


@pytest.fixture(scope="module")
def oulad_folder(tmp_path_factory):
    from test_bad_inputs import _oulad_folder
    return _oulad_folder(tmp_path_factory.mktemp("oulad_props"))


@settings(SETTINGS, max_examples=25)  # each example reads a whole OULAD folder
@given(rows=vle_rows)
def test_oulad_vle(oulad_folder, rows):
    def load(p, q):
        events = oulad.load_oulad(p.parent, quality=q)["events"]
        return int((events["action"] == "view").sum())
    path = write_csv(oulad_folder, "studentVle.csv", VLE_HEADER, rows)
    check(load, oulad_folder, path, source="oulad_vle")
