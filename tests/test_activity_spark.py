"""The activity reductions run unchanged on Spark (local mode, through Ibis) and give the same
tables as on DuckDB: a hand-made log with known sessions and a random log with ties,
sub-second timestamps and gaps exactly on the session threshold, for every reduction and
parameter combination.

Needs pyspark (the test/spark extras) and Java 17; skipped with the reason otherwise. One
local Spark session is shared by the module (it takes ~10 s to start)."""

import itertools
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


pytestmark = pytest.mark.skipif(
    _java() is None, reason="no Java found (Spark needs Java 17: set JAVA_HOME or put java "
                            "on the PATH)")

import ibis  # noqa: E402

from engagement import activity  # noqa: E402


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from pyspark.sql import SparkSession

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (SparkSession.builder.master("local[1]").appName("engagement-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "1")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.memory", "1g")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.warehouse.dir", str(warehouse))
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def events(rows):
    df = pd.DataFrame(rows, columns=["learner_id", "course", "timestamp", "source", "action"])
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
    df["count"] = 1
    return df


# 2026-01-12 and 2026-01-19 are Mondays.
HAND = events([
    ("a", "C", "2026-01-12 09:00:00", "lms", "view"),
    ("a", "C", "2026-01-12 09:05:00", "lms", "view"),
    ("a", "C", "2026-01-12 09:40:00", "forum", "post"),       # 35 min gap: session 2
    ("a", "C", "2026-01-12 10:10:00", "lms", "view"),         # exactly 30 min: same session
    ("a", "C", "2026-01-12 10:40:00.000001", "lms", "view"),  # 30 min + 1 us: session 3
    ("a", "C", "2026-01-20 10:00:00", "lms", "view"),         # week of the 19th
    ("b", "C", "2026-01-18 23:59:00", "lms", "view"),         # Sunday: week of the 12th
    ("b", "C", "2026-01-19 00:10:00", "lms", "view"),         # one session across midnight
    ("b", "C", "2026-01-19 10:00:00", "webinar", "attend"),   # attendance is not online
    ("b", "D", "2026-01-19 00:11:00.5", "forum", "post"),     # another course: its own
    ("e", "C", "2026-01-12 09:00:00", "lms", "view"),
    ("e", "C", "2026-01-12 09:05:00", "lms", "view"),         # a tie: the 5 minutes go to
    ("e", "C", "2026-01-12 09:05:00", "forum", "post"),       # forum, first of the sources
])


def random_log(seed: int = 7, n: int = 600) -> pd.DataFrame:
    """Steps drawn around the 5- and 30-minute thresholds (exactly on them, a microsecond
    either side, a second either side), zero steps (ties), and long gaps; starting late on a
    Sunday so that sessions cross day and week boundaries; rows shuffled."""
    rng = np.random.default_rng(seed)
    steps_us = np.array([0, 0, 60, 299, 300, 301, 1799, 1800, 1801, 3600, 20 * 3600]) * 10**6
    steps_us = np.concatenate([steps_us, [300 * 10**6 - 1, 300 * 10**6 + 1,
                                          1800 * 10**6 - 1, 1800 * 10**6 + 1]])
    keys = pd.DataFrame(itertools.product(["p", "q", "r", "s"], ["A", "B"]),
                        columns=["learner_id", "course"])
    per = n // len(keys)
    parts = []
    for key in keys.itertuples(index=False):
        start = pd.Timestamp("2026-03-01 23:00", tz="UTC") + pd.Timedelta(
            minutes=int(rng.integers(0, 120)))
        offsets = np.cumsum(rng.choice(steps_us, per))
        parts.append(pd.DataFrame({
            "learner_id": key.learner_id, "course": key.course,
            "timestamp": start + pd.to_timedelta(offsets, unit="us"),
            "source": rng.choice(["lms", "forum", "webinar"], per, p=[0.6, 0.25, 0.15]),
            "action": rng.choice(["view", "post"], per),
            "count": rng.integers(1, 4, per),
        }))
    log = pd.concat(parts, ignore_index=True)
    return log.iloc[rng.permutation(len(log))].reset_index(drop=True)


def daily(log: pd.DataFrame) -> pd.DataFrame:
    """The same log as daily totals (a source with ``resolution="day"``)."""
    return log.assign(timestamp=log["timestamp"].dt.floor("D"))


def write_parquet(log: pd.DataFrame, path: Path) -> Path:
    # Spark rejects Parquet with nanosecond timestamps: microseconds, as documented
    log.assign(timestamp=log["timestamp"].dt.as_unit("us")).to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def logs(spark, tmp_path_factory):
    """name -> (Parquet path DuckDB reads, the same events as a Spark-backed Ibis table)."""
    con = ibis.pyspark.connect(spark)
    folder = tmp_path_factory.mktemp("spark-logs")
    out = {}
    for name, log in {"hand": HAND, "random": random_log(),
                      "hand_daily": daily(HAND), "random_daily": daily(random_log())}.items():
        path = write_parquet(log, folder / f"{name}.parquet")
        if name.startswith("hand"):
            table = con.read_parquet(str(path))
        else:
            # the way a cluster's tables are reached: a table or view in Spark's catalog
            spark.read.parquet(str(path)).createOrReplaceTempView(f"events_{name}")
            table = con.table(f"events_{name}")
        out[name] = (path, table)
    return out


def normalised(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for column in df.columns:
        if isinstance(df[column].dtype, pd.DatetimeTZDtype):
            df[column] = df[column].dt.tz_convert("UTC").dt.as_unit("ns")
        elif pd.api.types.is_integer_dtype(df[column]) and not isinstance(
                df[column].dtype, pd.Int64Dtype):
            df[column] = df[column].astype("int64")
        elif pd.api.types.is_float_dtype(df[column]):
            df[column] = df[column].astype("float64")
    keys = [c for c in df.columns if c not in ("events", "sessions", "minutes", "active_days",
                                               "started_at", "ended_at")]
    return df.sort_values(keys, kind="stable", ignore_index=True)


def assert_same(spark_result: pd.DataFrame, duckdb_result: pd.DataFrame) -> None:
    assert len(duckdb_result) > 0
    assert list(spark_result.columns) == list(duckdb_result.columns)
    # minutes are sums of doubles: the order of addition may differ between engines
    pd.testing.assert_frame_equal(normalised(spark_result), normalised(duckdb_result),
                                  check_exact=False, rtol=1e-12, atol=1e-9)


def _cases():
    cases = []
    for gap, online_only in itertools.product([5, 30], [True, False]):
        cases.append(("sessions", dict(gap_minutes=gap, online_only=online_only)))
        for unit, by in itertools.product(["learner_days", "learner_weeks"],
                                          [None, "source", ["source", "action"]]):
            cases.append((unit, dict(gap_minutes=gap, online_only=online_only, by=by)))
    for online_only in (True, False):  # daily totals: the gap plays no part
        cases.append(("sessions", dict(resolution="day", online_only=online_only)))
        for unit, by in itertools.product(["learner_days", "learner_weeks"], [None, "action"]):
            cases.append((unit, dict(resolution="day", online_only=online_only, by=by)))
    return cases


CASES = _cases()
# the hand log (small, answers known) on fewer combinations, every parameter value at least
# once: each Spark query costs a second or more even on ten rows
HAND_CASES = [("sessions", dict(gap_minutes=30, online_only=True)),
              ("sessions", dict(gap_minutes=5, online_only=False)),
              ("learner_days", dict(gap_minutes=30, online_only=True, by=None)),
              ("learner_days", dict(gap_minutes=5, online_only=False, by="source")),
              ("learner_weeks", dict(gap_minutes=30, online_only=False,
                                     by=["source", "action"])),
              ("sessions", dict(resolution="day", online_only=True)),
              ("learner_weeks", dict(resolution="day", online_only=False, by="action"))]


def _ids(cases):
    return [f"{r}-{'-'.join(f'{k}={v}' for k, v in p.items())}" for r, p in cases]


def check_parity(logs, log, reduction, params):
    if params.get("resolution") == "day":
        log = f"{log}_daily"
    path, table = logs[log]
    function = getattr(activity, reduction)
    assert table.get_backend().name == "pyspark"
    assert_same(function(table, **params), function(path, **params))


@pytest.mark.parametrize("reduction,params", CASES, ids=_ids(CASES))
def test_spark_gives_the_duckdb_tables_on_a_random_log(logs, reduction, params):
    check_parity(logs, "random", reduction, params)


@pytest.mark.parametrize("reduction,params", HAND_CASES, ids=_ids(HAND_CASES))
def test_spark_gives_the_duckdb_tables_on_the_hand_log(logs, reduction, params):
    check_parity(logs, "hand", reduction, params)


def test_spark_sessions_by_hand(logs):
    _, table = logs["hand"]
    s = activity.sessions(table).set_index(["learner_id", "course", "session"]).sort_index()
    a = s.loc[("a", "C")]
    # 09:00-09:05 | 09:40-10:10 (exactly 30 min) | 10:40:00.000001 (30 min + 1 us) | 20th
    assert list(a.index) == [1, 2, 3, 4]
    assert a.loc[2, ["events", "minutes"]].tolist() == [2, 30.0]
    assert a.loc[3, "started_at"] == pd.Timestamp("2026-01-12 10:40:00.000001", tz="UTC")
    assert s.loc[("b", "C", 1), ["events", "minutes"]].tolist() == [2, 11.0]
    assert s.loc[("b", "D", 1), "started_at"] == pd.Timestamp("2026-01-19 00:11:00.5", tz="UTC")
    for events in (table, HAND):  # Spark, then DuckDB
        e = activity.learner_days(events, by="source").query("learner_id == 'e'")
        assert dict(zip(e.source, e.minutes)) == {"forum": 5.0, "lms": 0.0}
    weeks = activity.learner_weeks(table).set_index(["learner_id", "course", "week_start"])
    # Sunday 23:59 belongs to the week starting Monday the 12th, 00:10 to the 19th's
    assert weeks.loc[("b", "C", pd.Timestamp("2026-01-12", tz="UTC")), "minutes"] == 0.0
    assert weeks.loc[("b", "C", pd.Timestamp("2026-01-19", tz="UTC")),
                     ["active_days", "sessions", "minutes"]].tolist() == [1, 1, 11.0]
