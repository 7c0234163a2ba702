"""Malformed inputs through every loader: nothing is lost silently (issue 7).

Each file of ``tests/bad_inputs/`` (written by ``make_corpus.py`` there) is run through its
loader. The outcome expected is written in :data:`CASES`: either an
:class:`~engagement.schema.InputError` naming the file, the line and the column (where the
problem sits in one cell), or rows fixed/dropped/flagged and counted in the
:class:`~engagement.schema.QualityLog` under a named rule, with the exact count; files that
are odd but readable (other encodings, mixed UTC offsets) must lose no row.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from engagement import clean
from engagement.schema import InputError, QualityLog
from engagement.sources import attendance, edges, email, mapping, moodle, oulad, social, xapi
from engagement.sources.text import FUTURE_RULE

CORPUS = Path(__file__).resolve().parent / "bad_inputs"

MAPPED_EVENTS = {"table": "events", "timezone": "Europe/London", "thousands": ",",
                 "datetime_format": "%Y-%m-%d %H:%M",
                 "columns": {"learner_id": "who", "course": "course", "timestamp": "when",
                             "source": {"value": "lms"}, "action": "what", "count": "n"}}


@dataclass
class Raises:
    """An InputError at this line (None: the whole file) and column, saying `text`."""
    row: int | None
    column: str | None
    text: str = ""


@dataclass
class Counted:
    """Rows kept, and the non-zero quality rules (source, rule, action) -> rows."""
    kept: int
    rules: dict = field(default_factory=dict)


# file, loader, keyword arguments, expected outcome
CASES = [
    # Moodle Logs report
    ("moodle_log_missing_column.csv", "moodle_log", {}, Raises(1, None, "'Event name'")),
    ("moodle_log_bad_date.csv", "moodle_log", {}, Raises(3, "Time", "31/02/24")),
    ("moodle_log_cp1252.csv", "moodle_log", {}, Counted(3)),
    ("moodle_log_bom.csv", "moodle_log", {}, Counted(3)),
    ("moodle_log_utf16.csv", "moodle_log", {}, Raises(None, None, "UTF-16")),
    ("moodle_log_empty.csv", "moodle_log", {}, Raises(None, None, "empty")),
    ("moodle_log_header_only.csv", "moodle_log", {}, Counted(0)),
    ("moodle_log_repeated_header.csv", "moodle_log", {}, Raises(3, "Time", "'Time'")),
    ("moodle_log_truncated_last_line.csv", "moodle_log", {},
     Counted(3, {("moodle_logs", "malformed line", "dropped"): 1})),
    ("moodle_log_future.csv", "moodle_log", {},
     Counted(4, {("moodle_logs", FUTURE_RULE, "flagged"): 1})),
    ("moodle_log_no_user.csv", "moodle_log", {},
     Counted(3, {("moodle_logs", "no user id in Description", "dropped"): 1})),
    ("moodle_log_dst_gap.csv", "moodle_log", {"timezone": "Europe/London"},
     Counted(2, {("moodle_logs", "nonexistent local time at a DST change", "fixed"): 1})),
    # Moodle forum posts export
    ("forum_posts_non_numeric_parent.csv", "forum_posts", {}, Raises(3, "parent", "'one'")),
    ("forum_posts_created_as_date.csv", "forum_posts", {}, Raises(3, "created", "Unix")),
    ("forum_posts_duplicate_id.csv", "forum_posts", {}, Raises(4, "id", "post id 2")),
    ("forum_posts_exact_duplicate.csv", "forum_posts", {},
     Counted(2, {("forum_posts", "exact duplicate row", "dropped"): 1})),
    ("forum_posts_negative_userid.csv", "forum_posts", {},
     Counted(1, {("forum_posts", "post by a reserved id (0 guest, -1 system)", "dropped"): 1})),
    # the standard layout's CSVs (mapping.py)
    ("enrolments_bad_date.csv", "enrolments", {}, Raises(3, "enrolled_at", "'yesterday'")),
    ("enrolments_duplicate_key.csv", "enrolments", {}, Raises(3, None, "same learner_id")),
    ("enrolments_exact_duplicate.csv", "enrolments", {},
     Counted(2, {("enrolments", "exact duplicate row", "dropped"): 1})),
    ("enrolments_mixed_offsets.csv", "enrolments", {}, Counted(3)),
    ("enrolments_utf16.csv", "enrolments", {}, Counted(1)),
    ("enrolments_truncated_last_line.csv", "enrolments", {},
     Counted(2, {("enrolments", mapping.SHORT_ROW_RULE, "flagged"): 1})),
    ("enrolments_repeated_header.csv", "enrolments", {}, Raises(3, None, "header row")),
    ("enrolments_future.csv", "enrolments", {},
     Counted(2, {("enrolments", FUTURE_RULE, "flagged"): 1})),
    ("enrolments_header_only.csv", "enrolments", {}, Raises(1, None, "no data rows")),
    ("courses_ends_before_start.csv", "courses", {}, Raises(2, "ends_on", "before")),
    ("outcomes_score_out_of_range.csv", "outcomes", {}, Raises(2, "score", "'150'")),
    ("outcomes_unknown_result.csv", "outcomes", {}, Raises(3, "result", "'Dropped out'")),
    ("mapped_events_thousands.csv", "mapped_events", {}, Counted(2)),
    ("mapped_events_negative_count.csv", "mapped_events", {}, Raises(3, "n", "'-2'")),
    ("mapped_events_non_numeric_count.csv", "mapped_events", {}, Raises(3, "n", "'many'")),
    ("mapped_events_extra_field.csv", "mapped_events", {}, Raises(3, None, "6 fields")),
    ("mapped_events_future.csv", "mapped_events", {},
     Counted(2, {("events", FUTURE_RULE, "flagged"): 1})),
    # attendance
    ("zoom_bad_join_time.csv", "zoom", {}, Raises(3, "Join Time", "'5 March 2pm'")),
    ("zoom_negative_duration.csv", "zoom", {}, Raises(3, "Duration (Minutes)", "negative")),
    ("zoom_leave_before_join.csv", "zoom", {}, Raises(2, "Leave Time", "before")),
    ("zoom_thousands_duration.csv", "zoom", {}, Raises(2, "Duration (Minutes)", "'1,250'")),
    ("zoom_rejoin.csv", "zoom", {},
     Counted(1, {("zoom", "rejoin rows of one person in one meeting merged", "fixed"): 1})),
    ("signin_cp1252.csv", "signin", {}, Counted(2)),
    ("signin_nobody.csv", "signin", {},
     Counted(1, {("signin", "sign-in row with neither name nor e-mail", "dropped"): 1})),
    ("signin_bad_format.csv", "signin", {}, Raises(2, "Format", "'Lecture'")),
    ("teams_utf16.csv", "teams", {},
     Counted(1, {("teams", attendance.STAFF_RULE, "dropped"): 1})),
    ("teams_list_bad_action.csv", "teams", {"course": "DIG101"},
     Raises(3, "User Action", "'Waved'")),
    # social-media exports
    ("linkedin_thousands.csv", "social", {}, Counted(1)),
    ("linkedin_negative_count.csv", "social", {}, Raises(3, "Clicks", "negative")),
    ("linkedin_bad_date.csv", "social", {}, Raises(3, "Date", "2024-01-03")),
    ("linkedin_same_post_id.csv", "social", {},
     Counted(1, {("social_linkedin", social.RULE_SAME_ID, "dropped"): 1})),
    ("linkedin_future.csv", "social", {},
     Counted(2, {("social_linkedin", FUTURE_RULE, "flagged"): 1})),
    ("linkedin_wrong_columns.csv", "social", {}, Raises(1, None, "not recognised")),
    # e-mail split test (one output row per variant: kept counts recipients)
    ("email_bad_flag.csv", "email", {}, Raises(3, "opened", "'yes'")),
    ("email_same_recipient.csv", "email", {},
     Counted(2, {("email", email.RULE_SAME_RECIPIENT, "dropped"): 1})),
    ("email_header_only.csv", "email", {}, Counted(0)),
    ("email_missing_column.csv", "email", {}, Raises(1, None, "clicked")),
    ("email_future.csv", "email", {}, Counted(2, {("email", FUTURE_RULE, "flagged"): 1})),
    # reply edge lists and participant files
    ("edges_mixed_date_order.csv", "edges", {}, Raises(3, "Timestamp", "day-first")),
    ("edges_blank_sender.csv", "edges", {},
     Counted(2, {("reply_edges", "blank sender", "dropped"): 1})),
    ("edges_year_9999.csv", "edges", {}, Raises(3, "Timestamp", "9999")),
    ("edges_cr_only.csv", "edges", {}, Counted(2)),
    ("nodes_repeated_header.csv", "nodes", {}, Raises(3, None, "header row")),
    ("nodes_conflicting_organisation.csv", "nodes", {}, Raises(4, "organisation", "'a'")),
    # xAPI statements
    ("xapi_no_actor.jsonl", "xapi", {}, Counted(2, {("xapi", xapi.MALFORMED_RULE, "dropped"): 1})),
    ("xapi_truncated_last_line.jsonl", "xapi", {},
     Counted(2, {("xapi", xapi.MALFORMED_RULE, "dropped"): 1})),
    ("xapi_mixed_offsets.jsonl", "xapi", {},
     Counted(3, {("xapi", xapi.MALFORMED_RULE, "dropped"): 1})),
    ("xapi_utf16.json", "xapi", {}, Raises(1, None, "utf-8")),
    ("xapi_duplicate_ids.jsonl", "xapi", {},
     Counted(2, {("xapi", xapi.DUPLICATE_RULE, "dropped"): 1})),
    ("xapi_empty.json", "xapi", {}, Raises(None, None, "empty")),
    ("xapi_future.jsonl", "xapi", {}, Counted(2, {("xapi", FUTURE_RULE, "flagged"): 1})),
    ("xapi_not_json.json", "xapi", {}, Raises(2, None, "not valid JSON")),
    # OULAD (the file replaces studentVle.csv, or courses.csv, of a tiny valid folder)
    ("oulad_studentVle_negative_clicks.csv", "oulad_vle", {},
     Counted(1, {("oulad_vle", oulad.RULE_ZERO_CLICKS, "dropped"): 1})),
    ("oulad_studentVle_repeated_header.csv", "oulad_vle", {},
     Raises(3, "id_student", "'id_student'")),
    ("oulad_studentVle_blank_line_then_bad.csv", "oulad_vle", {}, Raises(5, "sum_click", "2.5")),
    ("oulad_studentVle_huge_date.csv", "oulad_vle", {}, Raises(3, "date", "beyond")),
    ("oulad_studentVle_missing_module.csv", "oulad_vle", {},
     Raises(3, "code_module", "missing")),
    ("oulad_studentVle_header_only.csv", "oulad_vle", {}, Counted(0)),
    ("oulad_courses_empty.csv", "oulad_courses", {}, Raises(None, None, "empty")),
    ("oulad_studentVle_cp1252.csv", "oulad_vle", {}, Raises(3, None, "UTF-8")),
    # clean.prepare on a reply-network folder whose participant file is bad
    ("prepare_nodes_empty.csv", "prepare_reply_network", {}, Raises(None, None, "empty")),
    ("prepare_nodes_utf16.csv", "prepare_reply_network", {},
     Counted(2, {("reply_edges", "reply by staff ('facilitator' is yes)", "dropped"): 1,
                 ("reply_nodes", "staff ('facilitator' is yes) are not learners", "dropped"): 1})),
]


# --------------------------------------------------------------------------- running

def _oulad_folder(folder: Path) -> Path:
    """A tiny valid OULAD folder (one presentation, two students, no assessments)."""
    def write(name, *rows):
        text = "\r\n".join(",".join(f'"{c}"' for c in r) for r in rows) + "\r\n"
        (folder / name).write_text(text, encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    write("courses.csv", ["code_module", "code_presentation", "module_presentation_length"],
          ["AAA", "2013J", 268])
    write("assessments.csv", ["code_module", "code_presentation", "id_assessment",
                              "assessment_type", "date", "weight"])
    write("vle.csv", ["id_site", "code_module", "code_presentation", "activity_type",
                      "week_from", "week_to"], [100, "AAA", "2013J", "resource", "?", "?"])
    info = ["code_module", "code_presentation", "id_student", "gender", "region",
            "highest_education", "imd_band", "age_band", "num_of_prev_attempts",
            "studied_credits", "disability", "final_result"]
    write("studentInfo.csv", info,
          *[["AAA", "2013J", s, "M", "Wales", "A Level", "?", "0-35", 0, 60, "N", "Pass"]
            for s in (11, 12)])
    write("studentRegistration.csv", ["code_module", "code_presentation", "id_student",
                                      "date_registration", "date_unregistration"],
          ["AAA", "2013J", 11, -10, ""], ["AAA", "2013J", 12, -5, ""])
    write("studentAssessment.csv", ["id_assessment", "id_student", "date_submitted",
                                    "is_banked", "score"])
    write("studentVle.csv", ["code_module", "code_presentation", "id_student", "id_site",
                             "date", "sum_click"], ["AAA", "2013J", 11, 100, 0, 1])
    return folder


def place(name: str, loader: str, tmp: Path) -> Path:
    """Copy the corpus file where its loader reads it; the path to hand to the loader."""
    src = CORPUS / name
    if loader in ("oulad_vle", "oulad_courses"):
        target = _oulad_folder(tmp / "oulad") / ("studentVle.csv" if loader == "oulad_vle"
                                                 else "courses.csv")
    elif loader == "prepare_reply_network":
        folder = tmp / "raw"
        folder.mkdir()
        (folder / "DEMO edgelist.csv").write_text(
            "Sender,Reciever,Timestamp\na,b,13/02/2014\nb,a,14/02/2014\nt,a,15/02/2014\n")
        target = folder / "DEMO nodes.csv"
    else:
        target = tmp / name
    shutil.copyfile(src, target)
    return target


def call(loader: str, path: Path, kw: dict, quality: QualityLog, tmp: Path) -> pd.DataFrame:
    """Run one loader; the rows it kept (e-mail: recipients, summed over variants)."""
    zone = {"timezone": kw.pop("timezone", "UTC")}
    if loader == "moodle_log":
        return moodle.read_moodle_log(path, **zone, quality=quality, **kw)
    if loader == "forum_posts":
        return moodle.read_forum_posts(path, quality=quality, **kw)
    if loader == "enrolments":
        return mapping.load_enrolments(path, **zone, quality=quality)[0]
    if loader == "courses":
        return mapping.load_courses(path, **zone, quality=quality)
    if loader == "outcomes":
        return mapping.load_outcomes(path, **zone, quality=quality)
    if loader == "mapped_events":
        return mapping.load_mapped(path, MAPPED_EVENTS, quality=quality)
    if loader == "zoom":
        return attendance.read_zoom_participants(path, **zone, quality=quality)
    if loader == "signin":
        return attendance.read_signin_sheet(path, **zone, quality=quality)
    if loader == "teams":
        return attendance.read_teams_attendance(path, **zone, quality=quality, **kw)
    if loader == "social":
        return social.read_social_export(path, quality=quality)
    if loader == "email":
        out = email.read_email_test(path, **zone, quality=quality)
        return out.loc[out.index.repeat(out["recipients"].astype(int))]
    if loader == "edges":
        return edges.read_reply_edges(path, course="C", quality=quality)
    if loader == "nodes":
        return edges.read_reply_nodes(path, course="C", organisation="organisation",
                                      quality=quality)
    if loader == "xapi":
        return xapi.read_xapi(path, quality=quality)
    if loader in ("oulad_vle", "oulad_courses"):
        events = oulad.load_oulad(path.parent, quality=quality)["events"]
        return events[events["action"] == "view"]
    if loader == "prepare_reply_network":
        tables = clean.reply_network_tables(path.parent, quality=quality)
        return tables["events"]
    raise ValueError(loader)


def run(name, loader, kw, quality, tmp):
    return call(loader, place(name, loader, tmp), dict(kw), quality, tmp)


def nonzero_rules(quality: QualityLog) -> dict:
    return {(r["source"], r["rule"], r["action"]): r["rows"] for r in quality.rules
            if r["rows"]}


# --------------------------------------------------------------------------- tests

def test_the_corpus_is_large_and_listed():
    files = {p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".json", ".jsonl")}
    listed = [c[0] for c in CASES]
    assert len(listed) == len(set(listed)) >= 25
    assert files == set(listed)  # every file has an expected outcome, and exists


@pytest.mark.parametrize("name, loader, kw, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input(name, loader, kw, expected, tmp_path):
    quality = QualityLog()
    path = place(name, loader, tmp_path)
    if isinstance(expected, Raises):
        with pytest.raises(InputError) as info:
            call(loader, path, dict(kw), quality, tmp_path)
        err = info.value
        assert Path(err.file).name == path.name
        assert path.name in str(err)
        assert (err.row, err.column) == (expected.row, expected.column), str(err)
        if expected.row is not None:
            assert f"row {expected.row}" in str(err)
        if expected.column is not None:
            assert repr(expected.column) in str(err)
        assert expected.text in str(err)
    else:
        out = call(loader, path, dict(kw), quality, tmp_path)
        assert len(out) == expected.kept
        got = nonzero_rules(quality)
        # the rules expected, with their exact counts; no other row dropped
        for key, rows in expected.rules.items():
            assert got.get(key) == rows, (key, got)
        unexpected_drops = {k: v for k, v in got.items()
                            if k[2] == "dropped" and k not in expected.rules}
        assert not unexpected_drops


def test_odd_encodings_are_decoded_not_garbled(tmp_path):
    signin = call("signin", place("signin_cp1252.csv", "signin", tmp_path), {}, QualityLog(),
                  tmp_path)
    assert sorted(signin["name"]) == ["José Muñoz", "Zoë Brontë"]
    people = mapping.load_enrolments(place("enrolments_utf16.csv", "enrolments", tmp_path),
                                     timezone="UTC")[1]
    assert people["full_name"].tolist() == ["Zoë Lee"]


def test_mixed_offsets_are_each_converted_to_utc(tmp_path):
    learners = call("enrolments", place("enrolments_mixed_offsets.csv", "enrolments",
                                        tmp_path), {}, QualityLog(), tmp_path)
    # naive = local (UTC here); +04:00 and Z carry their own offset
    assert learners["enrolled_at"].tolist() == [pd.Timestamp("2024-03-01 09:00", tz="UTC"),
                                                pd.Timestamp("2024-03-01 05:00", tz="UTC"),
                                                pd.Timestamp("2024-03-01 09:00", tz="UTC")]
    events = xapi.read_xapi(place("xapi_mixed_offsets.jsonl", "xapi", tmp_path))
    assert sorted(events["timestamp"].dt.strftime("%H:%M")) == ["12:07", "14:07", "19:07"]


def test_future_times_are_kept_and_named(tmp_path):
    quality = QualityLog()
    out = call("moodle_log", place("moodle_log_future.csv", "moodle_log", tmp_path), {},
               quality, tmp_path)
    assert out["timestamp"].max() == pd.Timestamp("2099-01-01 10:00", tz="UTC")
    (rule,) = [r for r in quality.rules if r["rule"] == FUTURE_RULE]
    assert rule["detail"].startswith("moodle_log_future.csv") and "2099-01-01" in rule["detail"]
