"""Cleaning rules on hand-made tables; pseudonymisation does not change results."""

import pandas as pd
import pytest

from engagement import clean, privacy, results, schema
from engagement.results import Result
from engagement.schema import QualityLog


def test_pseudonyms_are_keyed_stable_and_keep_missing():
    df = pd.DataFrame({"learner_id": ["4", "5", "4"], "target_learner_id": ["5", None, "4"]})
    a = clean.pseudonymise(df, columns=("learner_id", "target_learner_id"), key=b"k1")
    b = clean.pseudonymise(df, columns=("learner_id", "target_learner_id"), key=b"k2")
    assert a["learner_id"].str.fullmatch(r"L-[0-9a-f]{10}").all()
    assert a.loc[0, "learner_id"] == a.loc[2, "learner_id"] == a.loc[2, "target_learner_id"]
    assert a.loc[0, "target_learner_id"] == a.loc[1, "learner_id"] != a.loc[0, "learner_id"]
    assert a.loc[1, "target_learner_id"] is None
    assert a.loc[0, "learner_id"] != b.loc[0, "learner_id"]
    assert df.loc[0, "learner_id"] == "4"  # input untouched
    with pytest.raises(ValueError, match="no column"):
        clean.pseudonymise(df, columns=("user",), key=b"k")


def test_duplicates_and_ids_are_dropped_and_counted():
    q = QualityLog()
    df = pd.DataFrame({"learner_id": ["1", "1", "2", "9"], "course": ["C"] * 4, "x": [1, 1, 2, 3]})
    out = clean.drop_duplicates(df, source="logs", quality=q)
    out = clean.drop_ids(out, {"9"}, source="logs", rule="test account", quality=q)
    assert out["learner_id"].tolist() == ["1", "2"]
    assert [(r["rule"], r["rows"]) for r in q.rules] == [("exact duplicate row", 1), ("test account", 1)]
    assert q.dropped("logs") == 2


def test_test_accounts_by_name_or_email():
    people = pd.DataFrame({"user_id": ["1", "2", "3", "4"],
                           "full_name": ["Test Student", "Ana Testa", "Bo Li", "Cy Ng"],
                           "email": ["t@x.org", "ana@x.org", "test.bo@x.org", "cy@contest.org"]})
    assert clean.test_account_ids(people) == {"1", "3"}


def test_keep_enrolled():
    q = QualityLog()
    events = pd.DataFrame({"learner_id": ["1", "2", "1"], "course": ["A", "A", "B"]})
    learners = pd.DataFrame({"learner_id": ["1", "2"], "course": ["A", "B"]})
    out = clean.keep_enrolled(events, learners, source="logs", quality=q)
    assert out.values.tolist() == [["1", "A"]]
    assert q.rules[0]["rows"] == 2


def test_rows_accounted_and_sentences():
    q = QualityLog()
    q.rows_read.update({"logs": 10, "zoom": 4})
    q.count("logs", "exact duplicate row", 2)
    q.count("logs", "unparseable", 1, action="fixed")
    q.match("zoom", rows=4, by_email=2, by_name=1)
    acc = clean.rows_accounted(q.to_dict()).set_index("source")
    assert acc.loc["logs", ["read", "dropped", "kept"]].tolist() == [10, 2, 8]
    assert acc.loc["zoom", "kept"] == 4
    tables = clean.quality_tables(q.to_dict())
    assert "3 of 4 rows (75%)" in clean.describe_matching(tables["matching"])
    assert "In all 2 rows were dropped" in clean.describe_rules(tables["rules"])
    summary = clean.rules_summary(q.to_dict())
    assert clean.describe_rules(summary) == (
        "2 rule(s) changed rows. The largest: exact duplicate row (logs): dropped 2 rows; "
        "unparseable (logs): fixed 1 rows. In all 2 rows were dropped, each counted under its "
        "rule above.")
    assert clean.describe_matching(tables["matching"]) == (
        "zoom: 3 of 4 rows (75%) matched an enrolled learner (2 by e-mail, 1 by name); 1 "
        "matched nobody and are left out of attendance measures.")
    # rows are not people: a partner page hides none of them, and the sentences are the same
    for res, describe in ((summary, clean.describe_rules),
                          (tables["matching"], clean.describe_matching)):
        shown = privacy.control(res, min_size=5)
        assert not shown.hidden.to_numpy().any()
        assert describe(shown) == describe(res)


def test_quality_results_declare_their_columns():
    q = QualityLog()
    q.rows_read.update({"logs": 10})
    q.count("logs", "test account", 2, detail="1 distinct users")
    q.match("zoom", rows=4, by_email=2, by_name=1)
    info = q.to_dict()
    info["raw_files"] = [{"source": "logs", "file": "a.csv", "rows": 10, "md5": "abc"}]
    info["timezones"] = {"logs": "UTC"}
    tables = clean.quality_tables(info)
    assert set(tables) == {"raw_files", "timezones", "rules", "matching"}
    assert all(isinstance(t, Result) for t in tables.values())
    raw = tables["raw_files"].columns
    assert raw["md5"].kind == "text" and raw["md5"].technical
    assert raw["rows"].kind == "count" and raw["rows"].unit == "rows" and not raw["rows"].people
    assert tables["timezones"].columns["time_zone_assumed"].kind == "text"
    rules = tables["rules"].columns
    assert rules["rows"].unit == "rows" and not rules["rows"].people
    assert rules["detail"].technical  # "1 distinct users" is for researchers only
    m = tables["matching"].columns
    assert all(m[c].unit == "rows" for c in ("rows", "by_email", "by_name", "unmatched"))
    assert all(m[c].part_of == "rows" for c in ("by_email", "by_name", "unmatched"))
    assert m["match_rate"].kind == "number"  # no column of matched rows to be a share of
    assert tables["matching"]["match_rate"].iloc[0] == 0.75
    summary = clean.rules_summary(info)
    assert list(summary.columns) == ["source", "rule", "action", "rows"]
    assert summary.columns["rows"].unit == "rows" and summary.kind == "clean.rules_summary"
    acc = clean.rows_accounted(info)
    assert acc.columns["read"].unit == "rows" and not acc.columns["read"].people
    assert acc.columns["dropped"].part_of == "read" and acc.columns["kept"].part_of == "read"
    assert acc.table.set_index("source").loc["logs", "kept"] == 8
    assert all(t.design == "descriptive" for t in [*tables.values(), summary, acc])


def _matching_of_people(by_email, by_name, unmatched):
    """A hand-made matching Result whose counts are of people (so control hides small ones)."""
    rows = [a + b + c for a, b, c in zip(by_email, by_name, unmatched, strict=True)]
    table = pd.DataFrame({"source": ["zoom", "signin"], "rows": rows, "by_email": by_email,
                          "by_name": by_name, "unmatched": unmatched,
                          "match_rate": [(a + b) / r for a, b, r
                                         in zip(by_email, by_name, rows, strict=True)]})
    columns = {"source": results.label("Source"),
               "rows": results.count("Attendances", unit="attendances"),
               "by_email": results.count("By e-mail", unit="attendances", part_of="rows"),
               "by_name": results.count("By name", unit="attendances", part_of="rows"),
               "unmatched": results.count("Nobody", unit="attendances", part_of="rows"),
               "match_rate": results.estimate("number", "Rate")}
    return Result(table, columns, title="matching")


def test_describe_matching_quotes_no_hidden_number():
    res = _matching_of_people([40, 30], [20, 2], [10, 8])
    shown = privacy.control(res, min_size=5)
    assert not shown.any_hidden([0]) and shown.is_hidden(1, "by_name")
    text = clean.describe_matching(shown)
    assert text.startswith("zoom: 60 of 70 rows (86%) matched an enrolled learner (40 by "
                           "e-mail, 20 by name); 10 matched nobody")
    assert "signin: too few rows to show how many matched an enrolled learner." in text
    for number in ("32", "30", " 2 ", "8", "40 of", "80%"):
        assert number not in text.split("signin:")[1]
    assert clean.describe_matching(res).endswith(
        "signin: 32 of 40 rows (80%) matched an enrolled learner (30 by e-mail, 2 by name); "
        "8 matched nobody and are left out of attendance measures.")


def test_describe_rules_quotes_no_hidden_number():
    table = pd.DataFrame({"source": ["logs", "logs", "zoom"],
                          "rule": ["exact duplicate row", "test account", "no match"],
                          "action": ["dropped", "dropped", "dropped"], "rows": [120, 3, 40]})
    columns = {"source": results.label("Source"), "rule": results.label("Rule"),
               "action": results.label("Action"), "rows": results.count("Learners")}
    res = Result(table, columns, title="rules")
    assert "In all 163 rows were dropped" in clean.describe_rules(res)
    shown = privacy.control(res, min_size=5)
    assert shown.is_hidden(1, "rows")
    text = clean.describe_rules(shown)
    assert "exact duplicate row (logs): dropped 120 rows" in text
    assert "no match (zoom): dropped 40 rows" in text
    assert "test account" not in text and "163" not in text and " 3 " not in text
    assert "too few to show" in text


def test_prepare_refuses_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown source"):
        clean.prepare("blackboard", tmp_path, name="x")
    with pytest.raises(ValueError, match="time zone"):
        clean.prepare("moodle", tmp_path, name="x")
    with pytest.raises(FileNotFoundError, match="no Moodle log"):
        clean.prepare("moodle", tmp_path, name="x", timezone="UTC", processed_root=tmp_path / "p")


def test_prepare_on_the_real_moodle_exports(shared_data_dir, tmp_path):
    """The real Edify logs, laid out as a provider would: no enrolment file, so learners are
    the users seen in the log after staff removal."""
    source = shared_data_dir("moodle-edify")
    logs = tmp_path / "raw" / "moodle_logs"
    logs.mkdir(parents=True)
    for path in sorted(source.glob("Moodle Module *.csv")):
        (logs / path.name.replace("Moodle ", "").replace(" ", "_")).symlink_to(path)
    out = clean.prepare("moodle", tmp_path / "raw", name="edify", timezone="Asia/Muscat",
                        processed_root=tmp_path / "processed", key=b"k")
    ds = schema.read_dataset(out)
    assert set(ds.courses["course"]) == {p.stem for p in logs.iterdir()}
    assert ds.events["learner_id"].str.fullmatch(r"L-[0-9a-f]{10}").all()
    read = sum(f["rows"] for f in ds.quality["raw_files"])
    assert read == ds.quality["rows_read"]["moodle_logs"]
    accounted = clean.rows_accounted(ds.quality).set_index("source").loc["moodle_logs"]
    assert accounted["kept"] == len(ds.events)
    assert ds.quality["timezones"]["moodle_logs"] == "Asia/Muscat"
    assert "learners" in {r["source"] for r in ds.quality["rules"]}  # flagged: no enrolments
