"""Cleaning rules on hand-made tables; pseudonymisation does not change results."""

import pandas as pd
import pytest

from engagement import clean, schema
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
