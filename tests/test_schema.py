"""The data contract: valid frames pass; bad frames fail with table, column, rows and file."""

import json

import pandas as pd
import pytest

from engagement import schema
from engagement.schema import ContractError, InputError, QualityLog


def utc(*stamps):
    return pd.to_datetime(list(stamps), utc=True)


def good_events():
    return pd.DataFrame({
        "learner_id": ["a", "b"], "course": ["C1", "C1"],
        "timestamp": utc("2026-01-12 10:00", "2026-01-13 11:00"),
        "source": ["lms", "forum"], "action": ["view", "reply"],
        "object_id": ["cm:1", None], "target_learner_id": [None, "a"], "count": [1, 3],
    })


def test_valid_events_pass_and_are_not_modified():
    events = good_events()
    before = events.copy()
    out = schema.validate(events, "events")
    pd.testing.assert_frame_equal(events, before)
    assert list(out["count"]) == [1, 3]


def test_bad_values_name_table_column_rows_and_file():
    events = good_events()
    events.loc[1, "source"] = "telepathy"
    events.loc[0, "count"] = 0
    with pytest.raises(ContractError) as err:
        schema.validate(events, "events", source="logs/C1.csv")
    text = str(err.value)
    assert "'events'" in text and "logs/C1.csv" in text
    assert "'source'" in text and "telepathy" in text and "row 1" in text
    assert "'count'" in text and "row 0" in text


def test_naive_timestamps_are_refused():
    events = good_events()
    events["timestamp"] = events["timestamp"].dt.tz_localize(None)
    with pytest.raises(ContractError, match="timestamp"):
        schema.validate(events, "events")


def test_missing_columns_are_named():
    with pytest.raises(ContractError, match="missing column.*action"):
        schema.validate(good_events().drop(columns="action"), "events", source="x.csv")


def test_duplicate_keys_are_refused():
    learners = pd.DataFrame({"learner_id": ["a", "a"], "course": ["C", "C"],
                             "organisation": ["O", "O"], "enrolled_at": utc("2026-01-01", "2026-01-02"),
                             "acquisition_channel": [None, "email"]})
    with pytest.raises(ContractError, match="learners"):
        schema.validate(learners, "learners")


def test_unknown_table():
    with pytest.raises(ValueError, match="unknown table"):
        schema.validate(good_events(), "clicks")


def test_input_error_names_file_row_and_column():
    err = InputError("raw/a.csv", "cannot parse '31/02/26'", row=7, column="Time")
    assert str(err) == "raw/a.csv, row 7, column 'Time': cannot parse '31/02/26'"


def test_dataset_round_trip_keeps_utc_and_writes_microseconds(tmp_path):
    import pyarrow.parquet as pq

    quality = QualityLog()
    quality.count("moodle_logs", "exact duplicate row", 2)
    path = schema.write_dataset(tmp_path / "d", {"events": good_events()}, quality.to_dict())
    stored = pq.read_schema(path / "events.parquet").field("timestamp").type
    assert str(stored) == "timestamp[us, tz=UTC]"
    ds = schema.read_dataset(path)
    assert ds.events["timestamp"].iloc[1] == pd.Timestamp("2026-01-13 11:00", tz="UTC")
    assert json.loads((path / "quality.json").read_text())["tables"] == {"events": 2}
    assert not ds.has("outreach")
    with pytest.raises(AttributeError, match="no 'outreach' table"):
        ds.outreach


def test_read_dataset_explains_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="engagement prepare"):
        schema.read_dataset(tmp_path / "nothing")


def test_quality_log_counts_and_match_rate(tmp_path):
    raw = tmp_path / "r.csv"
    raw.write_text("1\n")  # md5 of "1\n" is well known
    q = QualityLog()
    q.read("zoom", raw, 1)
    q.count("zoom", "unmatched", 3)
    q.count("zoom", "merged rejoin", 2, action="fixed")
    q.match("zoom", rows=10, by_email=6, by_name=1)
    assert q.dropped("zoom") == 3
    assert q.matching[0]["unmatched"] == 3 and q.matching[0]["match_rate"] == pytest.approx(0.7)
    assert q.raw_files[0]["md5"] == "b026324c6904b2a9cb4b88d6d61c81d1" and q.rows_read == {"zoom": 1}
    with pytest.raises(ValueError, match="dropped, fixed or flagged"):
        q.count("zoom", "x", 1, action="deleted")
