"""xAPI statements -> contract events (sources/xapi.py)."""

import copy
import json

import pandas as pd
import pytest

from engagement.schema import COLUMNS, InputError, QualityLog, file_md5
from engagement.sources import xapi
from engagement.sources.xapi import MALFORMED_RULE, VERB_ACTIONS, read_xapi

ADL = "http://adlnet.gov/expapi/verbs/"
COURSE_IRI = "https://lms.example.org/course/DIG101"


def stmt(n=1, *, verb="experienced", actor=None, ts="2024-03-05T14:30:00+02:00",
         obj=None, sid=True, context=True, **extra):
    """One statement; `verb` is an ADL name or a full IRI; `context` True (course DIG101),
    False (none) or the context object itself."""
    s = {
        "actor": actor if actor is not None else
        {"objectType": "Agent", "account": {"homePage": "https://lms.example.org",
                                            "name": "42"}},
        "verb": {"id": verb if "://" in verb else ADL + verb, "display": {"en-US": verb}},
        "object": obj if obj is not None else
        {"objectType": "Activity", "id": f"https://lms.example.org/mod/page/{n}"},
    }
    if sid:
        s["id"] = f"00000000-0000-4000-8000-{n:012d}"
    if ts is not None:
        s["timestamp"] = ts
    if context is True:
        s["context"] = {"contextActivities": {"parent": [{"id": COURSE_IRI}]}}
    elif context:
        s["context"] = context
    s.update(extra)
    return s


def write_jsonl(path, statements, blank_after=()):
    lines = []
    for i, s in enumerate(statements):
        lines.append(s if isinstance(s, str) else json.dumps(s))
        if i in blank_after:
            lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_array(path, statements, indent=2):
    path.write_text(json.dumps(statements, indent=indent), encoding="utf-8")
    return path


def rules(q):
    return {r["rule"]: r for r in q.rules if r["source"] == "xapi"}


# --------------------------------------------------------------------------- verbs

@pytest.mark.parametrize("verb,action", sorted(VERB_ACTIONS.items()))
def test_every_verb_maps_to_its_action(tmp_path, verb, action):
    q = QualityLog()
    ev = read_xapi(write_jsonl(tmp_path / "s.jsonl", [stmt(verb=verb)]), quality=q)
    assert ev["action"].tolist() == [action]
    assert ev["source"].tolist() == ["forum" if action in ("post", "reply") else "lms"]
    assert xapi.UNKNOWN_VERB_RULE not in rules(q)


@pytest.mark.parametrize("verb,action", [
    ("https://adlnet.gov/expapi/verbs/completed", "complete"),
    ("https://w3id.org/xapi/adl/verbs/attempted", "attempt"),
    ("http://w3id.org/xapi/adl/verbs/failed", "submit"),
    ("http://adlnet.gov/expapi/verbs/logged-in", "login"),
    ("https://id.tincanapi.com/verb/replied", "reply"),
    ("https://id.tincanapi.com/verb/viewed", "view"),
])
def test_verb_spellings(tmp_path, verb, action):
    ev = read_xapi(write_jsonl(tmp_path / "s.jsonl", [stmt(verb=verb)]))
    assert ev["action"].tolist() == [action]


def test_unknown_verbs_kept_as_other_and_counted(tmp_path):
    q = QualityLog()
    odd, odder = "https://example.org/verbs/bookmarked", "https://example.org/verbs/liked"
    path = write_jsonl(tmp_path / "s.jsonl", [
        stmt(1, verb=odd), stmt(2, verb="completed"), stmt(3, verb=odd), stmt(4, verb=odder)])
    ev = read_xapi(path, quality=q)
    assert ev["action"].tolist() == ["other", "complete", "other", "other"]
    r = rules(q)[xapi.UNKNOWN_VERB_RULE]
    assert r["rows"] == 3 and r["action"] == "flagged"
    assert f"{odd}: 2" in r["detail"] and f"{odder}: 1" in r["detail"]


def test_registered_is_other_but_not_flagged(tmp_path):
    q = QualityLog()
    ev = read_xapi(write_jsonl(tmp_path / "s.jsonl", [stmt(verb="registered")]), quality=q)
    assert ev["action"].tolist() == ["other"]
    assert xapi.UNKNOWN_VERB_RULE not in rules(q)


def test_webinar_only_for_attended_meetings(tmp_path):
    meeting = {"id": "https://zoom.example.org/j/1",
               "definition": {"type": "http://adlnet.gov/expapi/activities/meeting"}}
    course = {"id": "https://lms.example.org/course/DIG101",
              "definition": {"type": "http://adlnet.gov/expapi/activities/course"}}
    ev = read_xapi(write_jsonl(tmp_path / "s.jsonl", [
        stmt(1, verb="attended", obj=meeting), stmt(2, verb="attended", obj=course),
        stmt(3, verb="experienced", obj=meeting)]))
    assert ev["action"].tolist() == ["attend", "attend", "view"]
    assert ev["source"].tolist() == ["webinar", "lms", "lms"]
    assert ev["object_id"].tolist() == ["https://zoom.example.org/j/1", course["id"],
                                        "https://zoom.example.org/j/1"]


# --------------------------------------------------------------------------- file forms

def _mixed():
    return [stmt(1, verb="launched"),
            stmt(2, verb="completed", ts="2024-03-05T09:00:00Z"),
            stmt(3, verb="commented", actor={"mbox": "mailto:ana@example.org"},
                 ts="2024-03-06T08:15:30.250-05:00")]


def test_array_jsonl_and_lrs_forms_give_identical_events(tmp_path):
    statements = _mixed()
    qa, ql, qr = QualityLog(), QualityLog(), QualityLog()
    arr = read_xapi(write_array(tmp_path / "a.json", statements), quality=qa)
    lines = read_xapi(write_jsonl(tmp_path / "l.jsonl", statements, blank_after={0, 1}),
                      quality=ql)
    (tmp_path / "r.json").write_text(json.dumps({"statements": statements, "more": ""}))
    lrs = read_xapi(tmp_path / "r.json", quality=qr)
    pd.testing.assert_frame_equal(arr, lines)
    pd.testing.assert_frame_equal(arr, lrs)
    assert list(arr.columns) == COLUMNS["events"]
    assert len(arr) == 3
    for q in (qa, ql, qr):
        assert q.rows_read == {"xapi": 3} and q.timezones == {"xapi": "UTC"}
        assert q.rules == []  # nothing dropped, fixed or flagged; "more" empty


def test_compact_array_and_pretty_lrs_response(tmp_path):
    statements = _mixed()
    compact = read_xapi(write_array(tmp_path / "a.json", statements, indent=None))
    (tmp_path / "r.json").write_text(json.dumps({"statements": statements}, indent=4))
    pd.testing.assert_frame_equal(compact, read_xapi(tmp_path / "r.json"))


def test_single_statement_file(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps(stmt(verb="passed"), indent=2))
    ev = read_xapi(tmp_path / "one.json")
    assert ev["action"].tolist() == ["complete"]
    ev = read_xapi(write_jsonl(tmp_path / "one.jsonl", [stmt(verb="passed")]))
    assert ev["action"].tolist() == ["complete"]


def test_lrs_more_link_flagged(tmp_path):
    q = QualityLog()
    (tmp_path / "r.json").write_text(json.dumps(
        {"statements": [stmt()], "more": "/xapi/statements?more=abc"}))
    read_xapi(tmp_path / "r.json", quality=q)
    r = rules(q)[xapi.MORE_RULE]
    assert r["action"] == "flagged" and "/xapi/statements?more=abc" in r["detail"]


def test_lrs_statements_not_a_list(tmp_path):
    (tmp_path / "r.json").write_text('{"statements": {"id": "x"}}')
    with pytest.raises(InputError, match="not a list"):
        read_xapi(tmp_path / "r.json")


def test_empty_array_gives_empty_events(tmp_path):
    ev = read_xapi(write_array(tmp_path / "a.json", []))
    assert ev.empty and list(ev.columns) == COLUMNS["events"]
    assert str(ev["timestamp"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize("text", ["", "  \n\n"])
def test_empty_file_raises(tmp_path, text):
    (tmp_path / "e.json").write_text(text)
    with pytest.raises(InputError, match="empty"):
        read_xapi(tmp_path / "e.json")


def test_not_json_raises(tmp_path):
    (tmp_path / "x.json").write_text("\n\nid,actor,verb\n1,2,3\n")
    with pytest.raises(InputError) as err:
        read_xapi(tmp_path / "x.json")
    assert err.value.row == 3


def test_bad_json_array_raises_with_line(tmp_path):
    good = json.dumps(stmt(1))
    (tmp_path / "a.json").write_text(f"[\n{good},\n{good}\n{good}\n]\n")  # comma missing
    with pytest.raises(InputError, match="not valid JSON") as err:
        read_xapi(tmp_path / "a.json")
    assert err.value.row == 4


def test_bad_json_lrs_response_raises_with_line(tmp_path):
    (tmp_path / "r.json").write_text('{"statements": [\n{"id": "a"},\n{"id": }\n]}')
    with pytest.raises(InputError) as err:
        read_xapi(tmp_path / "r.json")
    assert err.value.row == 3


# --------------------------------------------------------------------------- mapping

@pytest.mark.parametrize("ts,expected", [
    ("2024-03-05T14:30:00+02:00", "2024-03-05 12:30:00+00:00"),
    ("2024-03-05T01:30:00+02:00", "2024-03-04 23:30:00+00:00"),   # crosses midnight
    ("2024-03-05T12:30:00Z", "2024-03-05 12:30:00+00:00"),
    ("2024-03-05T07:30:00.123-05:00", "2024-03-05 12:30:00.123+00:00"),
    ("2024-03-05T14:30:00+0200", "2024-03-05 12:30:00+00:00"),
])
def test_timestamps_converted_to_utc(tmp_path, ts, expected):
    ev = read_xapi(write_jsonl(tmp_path / "s.jsonl", [stmt(ts=ts)]))
    assert str(ev["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert ev["timestamp"].iloc[0] == pd.Timestamp(expected)


def test_stored_used_when_timestamp_missing(tmp_path):
    q = QualityLog()
    path = write_jsonl(tmp_path / "s.jsonl", [
        stmt(1, ts=None, stored="2024-03-05T10:00:00+02:00"),
        stmt(2, ts="2024-03-05T09:00:00Z", stored="2024-03-09T00:00:00Z")])
    ev = read_xapi(path, quality=q)
    assert ev["timestamp"].tolist() == [pd.Timestamp("2024-03-05 08:00", tz="UTC"),
                                        pd.Timestamp("2024-03-05 09:00", tz="UTC")]
    r = rules(q)[xapi.STORED_RULE]
    assert r["rows"] == 1 and r["action"] == "fixed"


def test_events_sorted_by_time(tmp_path):
    ev = read_xapi(write_jsonl(tmp_path / "s.jsonl", [
        stmt(1, ts="2024-03-05T10:00:00Z"), stmt(2, ts="2024-03-05T09:00:00Z")]))
    assert ev["object_id"].str[-1].tolist() == ["2", "1"]


@pytest.mark.parametrize("actor,learner", [
    ({"account": {"homePage": "https://lms.example.org", "name": "4"},
      "mbox": "mailto:ana@example.org"}, "4"),           # account preferred
    ({"objectType": "Agent", "mbox": "mailto:ana@example.org"}, "ana@example.org"),
    ({"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
     "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"),
    ({"openid": "https://openid.example.org/ana"}, "https://openid.example.org/ana"),
])
def test_actor_forms(tmp_path, actor, learner):
    ev = read_xapi(write_jsonl(tmp_path / "s.jsonl", [stmt(actor=actor)]))
    assert ev["learner_id"].tolist() == [learner]
    assert isinstance(ev["learner_id"].iloc[0], str)


def test_course_from_context_and_overrides(tmp_path):
    grouping = {"contextActivities": {"grouping": [{"id": "https://lms.example.org/c/SOC2/"}]}}
    both = {"contextActivities": {"parent": [{"id": "https://lms.example.org/unit/U7"}],
                                  "grouping": {"id": "https://lms.example.org/course/DIG101"}}}
    moodle = {"contextActivities": {"parent": [
        {"id": "https://moodle.example.org/course/view.php?id=2"}]}}
    path = write_jsonl(tmp_path / "s.jsonl", [
        stmt(1), stmt(2, context=grouping),
        stmt(3, context=both), stmt(4, context=moodle)])
    assert read_xapi(path)["course"].tolist() == [
        "DIG101", "SOC2", "U7", "https://moodle.example.org/course/view.php?id=2"]
    q = QualityLog()
    by_grouping = read_xapi(path, course_from="grouping", quality=q)
    assert by_grouping["course"].tolist() == ["SOC2", "DIG101"]     # 1 and 4 have no grouping
    assert rules(q)[MALFORMED_RULE]["rows"] == 2
    assert read_xapi(path, course="X1")["course"].tolist() == ["X1"] * 4


def test_course_argument_rescues_statements_without_context(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", [stmt(1, context=False), stmt(2, context=False)])
    assert read_xapi(path, course="DIG101")["course"].tolist() == ["DIG101", "DIG101"]
    with pytest.raises(InputError, match="no course"):
        read_xapi(path)


def test_course_from_checked(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", [stmt()])
    with pytest.raises(ValueError, match="course_from"):
        read_xapi(path, course_from="object")


def test_reply_target_from_statement_ref(tmp_path):
    q = QualityLog()
    ref = lambda n: {"contextActivities": {"parent": [{"id": COURSE_IRI}]},  # noqa: E731
                     "statement": {"objectType": "StatementRef",
                                   "id": f"00000000-0000-4000-8000-{n:012d}"}}
    path = write_jsonl(tmp_path / "s.jsonl", [
        stmt(1, verb="commented", actor={"account": {"homePage": "h", "name": "7"}},
             ts="2024-03-05T10:00:00Z"),
        stmt(2, verb="http://id.tincanapi.com/verb/replied", context=ref(1),
             ts="2024-03-05T11:00:00Z"),
        stmt(3, verb="http://id.tincanapi.com/verb/replied", context=ref(99),
             ts="2024-03-05T12:00:00Z"),       # not in the file
        stmt(4, verb="commented", context=ref(1), ts="2024-03-05T13:00:00Z"),  # not a reply
    ])
    ev = read_xapi(path, quality=q)
    assert ev["action"].tolist() == ["post", "reply", "reply", "post"]
    assert ev["source"].tolist() == ["forum"] * 4
    assert ev["target_learner_id"].tolist() == [None, "7", None, None]
    r = rules(q)[xapi.REPLY_TARGET_RULE]
    assert r["rows"] == 1 and r["action"] == "flagged"


# --------------------------------------------------------------------------- voiding, duplicates

def _voiding(n, target):
    return stmt(n, verb="voided", context=False,
                obj={"objectType": "StatementRef", "id": f"00000000-0000-4000-8000-{target:012d}"})


@pytest.mark.parametrize("order", ["voided first", "voiding first"])
def test_voiding_drops_both(tmp_path, order):
    q = QualityLog()
    statements = [stmt(1, verb="completed"), stmt(2, verb="attempted"), _voiding(3, 1)]
    if order == "voiding first":
        statements = statements[::-1]
    ev = read_xapi(write_jsonl(tmp_path / "s.jsonl", statements), quality=q)
    assert ev["action"].tolist() == ["attempt"]
    r = rules(q)
    assert r[xapi.VOIDING_RULE]["rows"] == 1 and r[xapi.VOIDED_RULE]["rows"] == 1
    assert "00000000-0000-4000-8000-000000000001" in r[xapi.VOIDED_RULE]["detail"]
    assert q.dropped("xapi") == 2


def test_voiding_a_statement_not_in_the_file(tmp_path):
    q = QualityLog()
    ev = read_xapi(write_jsonl(tmp_path / "s.jsonl", [stmt(1), _voiding(2, 55)]), quality=q)
    assert len(ev) == 1
    r = rules(q)
    assert r[xapi.VOIDING_RULE]["rows"] == 1 and "1 voided id(s) not in the file" in \
        r[xapi.VOIDING_RULE]["detail"]
    assert xapi.VOIDED_RULE not in r


def test_voiding_needs_a_statement_ref(tmp_path):
    q = QualityLog()
    bad = stmt(2, verb="voided")     # object is an Activity
    read_xapi(write_jsonl(tmp_path / "s.jsonl", [stmt(1), bad]), quality=q)
    r = rules(q)[MALFORMED_RULE]
    assert r["rows"] == 1 and "line 2: a voided statement's object must be a StatementRef" \
        in r["detail"]


def test_duplicate_ids_keep_the_first(tmp_path):
    q = QualityLog()
    first = stmt(1, verb="completed")
    again = copy.deepcopy(first)
    again["verb"]["id"] = ADL + "attempted"
    again["id"] = again["id"].upper()        # UUIDs compare case-insensitively
    path = write_jsonl(tmp_path / "s.jsonl", [first, stmt(2), again, copy.deepcopy(first)])
    ev = read_xapi(path, quality=q)
    assert ev["action"].tolist() == ["complete", "view"]
    r = rules(q)[xapi.DUPLICATE_RULE]
    assert r["rows"] == 2 and "00000000-0000-4000-8000-000000000001 x2" in r["detail"]


def test_statements_without_id_are_not_duplicates(tmp_path):
    ev = read_xapi(write_jsonl(tmp_path / "s.jsonl", [stmt(1, sid=False), stmt(1, sid=False)]))
    assert len(ev) == 2


# --------------------------------------------------------------------------- malformed

def _without(key):
    s = stmt(9)
    del s[key]
    return s


def _with(key, value):
    s = stmt(9)
    s[key] = value
    return s


MALFORMED = {
    "not an object": ('["a", "list"]', "not a JSON object"),
    "bad JSON line": ('{"actor": {"mbox": "mailto:a@b.org"}, "verb": ', "not valid JSON"),
    "no actor": (_without("actor"), "no actor"),
    "no verb": (_without("verb"), "no verb id"),
    "verb without id": (_with("verb", {"display": {"en": "did"}}), "no verb id"),
    "no object": (_without("object"), "no object"),
    "activity without id": (stmt(9, obj={"objectType": "Activity"}), "has no id"),
    "group actor": (stmt(9, actor={"objectType": "Group", "mbox": "mailto:team@x.org",
                                   "member": []}), "Group"),
    "actor without identifier": (stmt(9, actor={"name": "Ana"}), "no account name, mbox"),
    "timestamp without offset": (stmt(9, ts="2024-03-05T14:30:00"), "no time-zone offset"),
    "timestamp not ISO 8601": (stmt(9, ts="05/03/2024 14:30"), "not ISO 8601"),
    "timestamp not a string": (stmt(9, ts=1709649000), "not an ISO 8601 string"),
    "no timestamp nor stored": (stmt(9, ts=None), "no timestamp and no stored"),
    "no course": (stmt(9, context=False), "no course"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_statement_counted_with_its_line(tmp_path, kind):
    bad, reason = MALFORMED[kind]
    q = QualityLog()
    # line 1 good, line 2 blank, line 3 the malformed statement, line 4 good
    path = write_jsonl(tmp_path / "s.jsonl", [stmt(1), bad, stmt(2)], blank_after={0})
    ev = read_xapi(path, quality=q)
    assert len(ev) == 2
    r = rules(q)[MALFORMED_RULE]
    assert r["rows"] == 1 and r["action"] == "dropped"
    assert r["detail"].startswith("s.jsonl: line 3: ") and reason in r["detail"]
    assert q.rows_read == {"xapi": 3}


@pytest.mark.parametrize("kind", sorted(k for k in MALFORMED if k != "bad JSON line"))
def test_malformed_statement_in_array_named_by_index(tmp_path, kind):
    bad, reason = MALFORMED[kind]
    bad = json.loads(bad) if isinstance(bad, str) else bad
    q = QualityLog()
    ev = read_xapi(write_array(tmp_path / "a.json", [stmt(1), stmt(2), bad]), quality=q)
    assert len(ev) == 2
    r = rules(q)[MALFORMED_RULE]
    assert r["rows"] == 1 and r["detail"].startswith("a.json: statement 3: ")
    assert reason in r["detail"]


def test_many_malformed_quotes_the_first_few(tmp_path):
    q = QualityLog()
    statements = [stmt(1)] + [stmt(i, ts=None) for i in range(2, 10)]
    read_xapi(write_jsonl(tmp_path / "s.jsonl", statements), quality=q)
    r = rules(q)[MALFORMED_RULE]
    assert r["rows"] == 8
    assert "line 2:" in r["detail"] and "line 6:" in r["detail"]
    assert "line 7:" not in r["detail"] and "and 3 more" in r["detail"]


def test_strict_raises_at_first_malformed_line(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl",
                       [stmt(1), stmt(2, ts="2024-03-05T14:30:00"), stmt(3, ts=None)],
                       blank_after={0})
    with pytest.raises(InputError, match="no time-zone offset") as err:
        read_xapi(path, strict=True)
    assert err.value.row == 3
    assert "row 3" in str(err.value)


def test_strict_raises_on_bad_json_line(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", [stmt(1), stmt(2), "{not json"])
    with pytest.raises(InputError, match="not valid JSON") as err:
        read_xapi(path, strict=True)
    assert err.value.row == 3


def test_strict_names_statement_index_in_arrays(tmp_path):
    path = write_array(tmp_path / "a.json", [stmt(1), _without("verb"), stmt(3)])
    with pytest.raises(InputError, match="statement 2: .*no verb id") as err:
        read_xapi(path, strict=True)
    assert err.value.row is None


def test_strict_passes_clean_files(tmp_path):
    ev = read_xapi(write_jsonl(tmp_path / "s.jsonl", _mixed()), strict=True)
    assert len(ev) == 3


def test_all_malformed_raises_naming_the_first(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", ["", "{bad", stmt(2, ts=None)])
    with pytest.raises(InputError, match="every statement \\(2\\) is malformed") as err:
        read_xapi(path)
    assert err.value.row == 2 and "not valid JSON" in str(err.value)
    path = write_array(tmp_path / "a.json", [_without("actor"), 5])
    with pytest.raises(InputError, match="statement 1: every statement .*no actor"):
        read_xapi(path)


def test_input_file_unchanged(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", _mixed() + ["{bad", _voiding(9, 1)])
    before, md5 = path.read_bytes(), file_md5(path)
    q = QualityLog()
    read_xapi(path, quality=q)
    assert path.read_bytes() == before
    assert q.raw_files == [{"source": "xapi", "file": "s.jsonl", "md5": md5, "rows": 5}]


def test_utf8_bom_and_crlf_accepted(tmp_path):
    text = "\r\n".join(json.dumps(s) for s in _mixed()) + "\r\n"
    (tmp_path / "s.jsonl").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    pd.testing.assert_frame_equal(read_xapi(tmp_path / "s.jsonl"),
                                  read_xapi(write_array(tmp_path / "a.json", _mixed())))


def test_load_exports_reads_xapi_statements_of_enrolled_learners(tmp_path):
    from engagement import clean

    raw = tmp_path / "raw"
    (raw / "moodle_logs").mkdir(parents=True)
    (raw / "moodle_logs" / "DIG101.csv").write_text(
        "Time,User full name,Affected user,Event context,Component,Event name,Description,"
        "Origin,IP address\n"
        '"5/03/24, 09:00",Ana,-,Course: Digital skills,System,Course viewed,'
        "The user with id '42' viewed the course with id '12'.,web,10.0.0.1\n", encoding="utf-8")
    pd.DataFrame({"user_id": [42], "full_name": ["Ana"], "email": ["ana@example.org"],
                  "course": ["DIG101"], "organisation": ["Acme"],
                  "enrolled_at": ["2024-03-01 09:00"], "acquisition_channel": [""]}
                 ).to_csv(raw / "enrolments.csv", index=False)
    (raw / "xapi").mkdir()
    stranger = {"objectType": "Agent", "account": {"homePage": "https://lms.example.org",
                                                   "name": "99"}}
    write_jsonl(raw / "xapi" / "video.jsonl",
                [stmt(1), stmt(2, verb="completed"), stmt(3, actor=stranger)])
    quality = QualityLog()
    events = clean.load_exports(raw, timezone="Europe/London", quality=quality)["events"]
    from_xapi = events[events["object_id"].str.startswith("https://", na=False)]
    assert sorted(from_xapi["action"]) == ["complete", "view"]
    assert from_xapi["learner_id"].eq("42").all()
    assert quality.dropped("xapi") == 1  # the stranger is not enrolled: counted, not kept
