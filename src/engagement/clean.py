"""Cleaning: duplicates, test accounts, unenrolled activity, pseudonymisation; and `prepare`.

`prepare` turns a folder of raw exports (the layout of data/raw/README.md) into a processed
dataset: the contract tables as Parquet plus quality.json. Every row a rule drops or fixes is
counted there, per rule; raw files are only read.

Pseudonymisation
----------------
Learner ids are replaced by a keyed hash (HMAC-SHA256) shown as ``L-`` and 10 hex digits.
The key comes from the environment variable ``ENGAGEMENT_KEY`` or, failing that, from the
untracked file ``.engagement-key`` at the repository root (created with a random key on
first use). The key is never written into processed data or outputs, and no result depends
on it: a different key gives different labels and the same numbers.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import re
import secrets
from functools import partial
from pathlib import Path

import pandas as pd

from engagement import results, schema
from engagement import stats as fmt
from engagement.results import Result
from engagement.schema import InputError, QualityLog
from engagement.sources import attendance, email, mapping, moodle, oulad, social, xapi
from engagement.sources import edges as edges_source
from engagement.sources.text import decode

PSEUDONYM_PREFIX = "L-"
PSEUDONYM_PATTERN = r"\bL-[0-9a-f]{10}\b"
KEY_ENV = "ENGAGEMENT_KEY"
KEY_FILE = ".engagement-key"
TEST_ACCOUNT_PATTERN = r"(?i)\btest\b|^test[._-]|[._-]test@"
"""Enrolments whose full name or e-mail matches this are test accounts, removed with their
events (counted). Override with ``prepare(..., test_account_pattern=...)``."""

SOURCES = ("moodle", "demo", "oulad", "social", "reply_network")
"""What `prepare` reads: ``moodle`` is a provider's exports in the standard layout (the time
zone must be given); ``demo`` is the same layout written by `engagement demo`, whose
MANIFEST.json records the time zones; ``oulad`` is the Open University Learning Analytics
Dataset's published folder (daily click totals: no sessions); ``social`` is a folder of
social-media post exports alone (an outreach table, no learners); ``reply_network`` is a
forum reply edge list (``*edge*.csv``) with an optional participant file (``*node*.csv``),
as published for research (see :func:`reply_network_tables`)."""

STAFF_COLUMNS = ("facilitator", "staff", "teacher", "instructor")
ORGANISATION_COLUMNS = ("organisation", "organization", "workplace", "employer")


def repository_root() -> Path:
    """The folder holding pyproject.toml (the checkout), or the current folder."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists():
            return parent
    return Path.cwd()


def pseudonymisation_key() -> bytes:
    """The key for :func:`pseudonymise`: $ENGAGEMENT_KEY, else .engagement-key (made if absent)."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    path = repository_root() / KEY_FILE
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def pseudonymise(df: pd.DataFrame, *, columns: tuple[str, ...] = ("learner_id",),
                 key: bytes | None = None) -> pd.DataFrame:
    """Replace raw ids in `columns` by keyed hashes ``L-xxxxxxxxxx``.

    Parameters
    ----------
    df : DataFrame
        Any table; not modified.
    columns : tuple of str
        Columns holding raw learner ids (missing values stay missing).
    key : bytes, optional
        Defaults to :func:`pseudonymisation_key`.

    Returns
    -------
    DataFrame
        A copy with those columns replaced.
    """
    key = pseudonymisation_key() if key is None else key
    out = df.copy()
    for column in columns:
        if column not in out.columns:
            raise ValueError(f"pseudonymise: no column {column!r}; columns are {list(out.columns)}")
        raw = out[column]
        uniques = pd.unique(raw.dropna().astype(str))
        labels = {u: PSEUDONYM_PREFIX + hmac.new(key, u.encode(), hashlib.sha256).hexdigest()[:10]
                  for u in uniques}
        if len(set(labels.values())) != len(labels):
            raise ValueError(f"pseudonymise: two ids of {column!r} hash to the same label; "
                             "use a longer label")
        out[column] = raw.astype("string").map(labels).astype(object).where(raw.notna(), None)
    return out


def drop_duplicates(df: pd.DataFrame, *, source: str, quality: QualityLog) -> pd.DataFrame:
    """Drop exact duplicate rows, counted under rule "exact duplicate row".

    A Moodle log has minute resolution, so two identical rows are indistinguishable whether
    the export repeated a row or the learner repeated a click in the same minute; active days,
    weeks and sessions do not change either way.
    """
    duplicated = df.duplicated(keep="first")
    quality.count(source, "exact duplicate row", int(duplicated.sum()))
    return df.loc[~duplicated].reset_index(drop=True)


def test_account_ids(people: pd.DataFrame, *, pattern: str = TEST_ACCOUNT_PATTERN) -> set[str]:
    """Raw user ids whose enrolment full name or e-mail looks like a test account."""
    text = people["full_name"].fillna("") + " " + people["email"].fillna("")
    return set(people.loc[text.str.contains(pattern, regex=True), "user_id"].astype(str))


def drop_ids(df: pd.DataFrame, ids: set[str], *, source: str, rule: str,
             quality: QualityLog) -> pd.DataFrame:
    """Drop the rows whose learner_id is in `ids`, counted under `rule`."""
    hit = df["learner_id"].astype(str).isin(ids)
    quality.count(source, rule, int(hit.sum()),
                  detail=f"{df.loc[hit, 'learner_id'].nunique()} distinct users")
    return df.loc[~hit].reset_index(drop=True)


def keep_enrolled(events: pd.DataFrame, learners: pd.DataFrame, *, source: str,
                  quality: QualityLog) -> pd.DataFrame:
    """Keep events of (learner, course) pairs with an enrolment; count the rest as dropped."""
    enrolled = pd.MultiIndex.from_frame(learners[["learner_id", "course"]].astype(str))
    pairs = pd.MultiIndex.from_frame(events[["learner_id", "course"]].astype(str))
    known = pairs.isin(enrolled)
    quality.count(source, "no enrolment for this user in this course", int((~known).sum()),
                  detail=f"{events.loc[~known, 'learner_id'].nunique()} distinct users")
    return events.loc[known].reset_index(drop=True)


def enrolled_targets(events: pd.DataFrame, learners: pd.DataFrame, *, source: str,
                     quality: QualityLog) -> pd.DataFrame:
    """Blank reply targets that are not learners of the course (staff), counted as fixed."""
    enrolled = pd.MultiIndex.from_frame(learners[["learner_id", "course"]].astype(str))
    targets = pd.MultiIndex.from_arrays([events["target_learner_id"].astype(str),
                                         events["course"].astype(str)])
    not_learner = events["target_learner_id"].notna() & ~targets.isin(enrolled)
    quality.count(source, "reply target is not a learner of the course (staff): target blanked",
                  int(not_learner.sum()), action="fixed")
    out = events.copy()
    out.loc[not_learner, "target_learner_id"] = None
    return out


def _read_csvs(folder: Path, reader, **kwargs) -> list[pd.DataFrame]:
    return [reader(path, course=path.stem, **kwargs) for path in sorted(folder.glob("*.csv"))]


def _manifest_timezones(raw_dir: Path) -> dict[str, str]:
    manifest = raw_dir / "MANIFEST.json"
    if not manifest.exists():
        raise FileNotFoundError(f"{manifest} not found: is {raw_dir} a folder written by "
                                "`engagement demo`? For your own exports use source 'moodle'.")
    # keyed by export kind, as load_exports asks for them
    return json.loads(manifest.read_text())["timezones"]


def load_exports(raw_dir: str | os.PathLike, *, timezone: str | dict[str, str],
                 exclude_ids: tuple[str, ...] = (), admin_ids: tuple[int, ...] = (2,),
                 test_account_pattern: str = TEST_ACCOUNT_PATTERN,
                 quality: QualityLog | None = None) -> dict[str, pd.DataFrame]:
    """Read a folder in the standard export layout into contract tables with RAW ids.

    Parameters
    ----------
    raw_dir : path
        The folder (see data/raw/README.md). Only ``moodle_logs/`` is required.
    timezone : str or dict
        IANA zone of the local times in the exports, or a dict per export kind
        (``moodle_logs``, ``enrolments``, ``courses``, ``outcomes``, ``zoom``, ``signin``, ``email``;
        kinds not named fall back to ``default``).
    exclude_ids : tuple of str
        Moodle user ids to remove as staff (besides the rules of :mod:`moodle`).
    admin_ids : tuple of int
        The site's admin ids, removed as staff.
    test_account_pattern : str
        Regular expression on enrolment names and e-mails marking test accounts.
    quality : QualityLog, optional
        Receives every count.

    Returns
    -------
    dict of table name -> DataFrame (only the tables whose sources are present).
    """
    raw_dir = Path(raw_dir)
    quality = QualityLog() if quality is None else quality
    zones = timezone if isinstance(timezone, dict) else {"default": timezone}

    def zone(kind: str) -> str:
        tz = zones.get(kind, zones.get("default"))
        if tz is None:
            raise ValueError(f"no time zone given for the {kind} export; pass --timezone")
        return tz

    logs_dir = raw_dir / "moodle_logs"
    if not logs_dir.is_dir() or not any(logs_dir.glob("*.csv")):
        raise FileNotFoundError(f"{logs_dir}: no Moodle log CSVs found; the layout is "
                                "described in data/raw/README.md")
    events = pd.concat(_read_csvs(logs_dir, moodle.read_moodle_log, timezone=zone("moodle_logs"),
                                  exclude_ids=tuple(exclude_ids), admin_ids=tuple(admin_ids),
                                  quality=quality), ignore_index=True)
    events = drop_duplicates(events, source="moodle_logs", quality=quality)

    forum_dir = raw_dir / "forum_posts"
    posts = None
    if forum_dir.is_dir() and any(forum_dir.glob("*.csv")):
        posts = pd.concat(_read_csvs(forum_dir, moodle.read_forum_posts, quality=quality),
                          ignore_index=True)
        posts = drop_duplicates(posts, source="forum_posts", quality=quality)
        # The export is the one place replies are named; the log's own post events would
        # count every post twice, so they are replaced by the export's rows.
        in_log = (events["action"] == "post") & events["course"].isin(set(posts["course"]))
        quality.count("moodle_logs", "forum post events replaced by the forum posts export",
                      int(in_log.sum()))
        events = events.loc[~in_log]

    # xAPI statements from a learning record store (e.g. a video platform or an app)
    statements = sorted(p for p in (raw_dir / "xapi").glob("*")
                        if p.is_file() and p.suffix.lower() in (".json", ".jsonl"))
    xapi_events = None
    if statements:
        xapi_events = drop_duplicates(
            pd.concat([xapi.read_xapi(p, quality=quality) for p in statements], ignore_index=True),
            source="xapi", quality=quality)

    tables: dict[str, pd.DataFrame] = {}
    people, test_ids = None, set()
    if (raw_dir / "enrolments.csv").exists():
        learners, people = mapping.load_enrolments(raw_dir / "enrolments.csv",
                                                   timezone=zone("enrolments"), quality=quality)
        test_ids = test_account_ids(people, pattern=test_account_pattern)
        learners = drop_ids(learners, test_ids, source="enrolments", rule="test account",
                            quality=quality)
        people = people.loc[~people["user_id"].astype(str).isin(test_ids)]
        events = drop_ids(events, test_ids, source="moodle_logs", rule="test account",
                          quality=quality)
        events = keep_enrolled(events, learners, source="moodle_logs", quality=quality)
        if posts is not None:
            # Staff post in forums too; the log's staff rules do not see the export.
            posts = drop_ids(posts, test_ids, source="forum_posts", rule="test account",
                             quality=quality)
            posts = keep_enrolled(posts, learners, source="forum_posts", quality=quality)
            posts = enrolled_targets(posts, learners, source="forum_posts", quality=quality)
        if xapi_events is not None:
            # actors must be enrolled learners (account names = LMS user ids); others are counted
            xapi_events = keep_enrolled(drop_ids(xapi_events, test_ids, source="xapi",
                                                 rule="test account", quality=quality),
                                        learners, source="xapi", quality=quality)
    else:
        # No enrolment export: everyone seen in the log (after staff removal) is a learner.
        seen = pd.concat([events, *(t for t in (posts, xapi_events) if t is not None)])
        learners = seen[["learner_id", "course"]].drop_duplicates().reset_index(drop=True)
        learners["organisation"] = None
        learners["enrolled_at"] = pd.Series(pd.NaT, index=learners.index, dtype="datetime64[ns, UTC]")
        learners["acquisition_channel"] = None
        quality.count("learners", "no enrolment export: learners are the users seen in the log",
                      len(learners), action="flagged")
    events = pd.concat([events, *(t for t in (posts, xapi_events) if t is not None)],
                       ignore_index=True)

    attendance_dir = raw_dir / "attendance"
    if attendance_dir.is_dir():
        def files(prefix: str, suffixes: tuple[str, ...]) -> list[Path]:
            return sorted(p for p in attendance_dir.glob(f"{prefix}*")
                          if p.is_file() and p.suffix.lower() in suffixes)

        sheets = [attendance.read_zoom_participants(p, timezone=zone("zoom"), quality=quality)
                  for p in files("zoom", (".csv", ".xlsx"))]
        teams = files("teams", (".csv", ".txt", ".xlsx"))
        if teams:
            # Teams, like Zoom, reports in its user's zone: the zoom zone when none is given.
            teams_zone = zones["teams"] if zones.get("teams") else zone("zoom")
            sheets += [attendance.read_teams_attendance(p, timezone=teams_zone, quality=quality)
                       for p in teams]
        sheets += [attendance.read_signin_sheet(p, timezone=zone("signin"), quality=quality)
                   for p in files("signin", (".csv", ".xlsx"))]
        if sheets and people is None:
            quality.count("attendance", "no enrolment export to match names and e-mails against",
                          sum(len(s) for s in sheets))
        elif sheets:
            # by_kind: a rate per kind of file (attendance_zoom, ...) after the overall one
            matched = attendance.match_attendance(pd.concat(sheets, ignore_index=True), people,
                                                  source="attendance", quality=quality,
                                                  by_kind=True)
            events = pd.concat([events, matched], ignore_index=True)

    tables["events"] = events.sort_values(["course", "timestamp", "learner_id"],
                                          kind="stable").reset_index(drop=True)
    tables["learners"] = learners
    if (raw_dir / "outcomes.csv").exists():
        outcomes = mapping.load_outcomes(raw_dir / "outcomes.csv", timezone=zone("outcomes"),
                                         quality=quality)
        if test_ids:
            outcomes = drop_ids(outcomes, test_ids, source="outcomes", rule="test account",
                                quality=quality)
        tables["outcomes"] = outcomes
    tables["courses"] = _courses(raw_dir, events, zone, quality)
    outreach = []
    if (raw_dir / "social").is_dir():
        outreach.append(social.read_social_folder(raw_dir / "social", quality=quality))
    # person-level e-mail split tests, aggregated per variant by the loader
    outreach += [email.read_email_test(p, timezone=zone("email"), quality=quality)
                 for p in sorted((raw_dir / "email").glob("*.csv"))]
    if outreach:
        df = pd.concat(outreach, ignore_index=True)
        if "impossible" in df:  # e-mail rows cannot be impossible (counts <= recipients)
            df["impossible"] = df["impossible"].eq(True)
        tables["outreach"] = df
    return tables


def _courses(raw_dir: Path, events: pd.DataFrame, zone, quality: QualityLog) -> pd.DataFrame:
    # The data ends where each course's log ends: learners quiet after that are censored.
    data_end = events.groupby("course")["timestamp"].max().rename("observation_end")
    if (raw_dir / "courses.csv").exists():
        courses = mapping.load_courses(raw_dir / "courses.csv", timezone=zone("courses"),
                                       quality=quality)
    else:
        first = events.groupby("course")["timestamp"].min()
        courses = pd.DataFrame({"course": first.index, "title": None,
                                "starts_at": first.reset_index(drop=True)})
        courses["ends_at"] = pd.Series(pd.NaT, index=courses.index, dtype="datetime64[ns, UTC]")
        quality.count("courses", "no courses export: a course starts at its first log event",
                      len(courses), action="flagged")
    courses = courses.drop(columns="observation_end", errors="ignore").merge(
        data_end, left_on="course", right_index=True, how="left")
    no_events = courses["observation_end"].isna()
    courses.loc[no_events, "observation_end"] = courses.loc[no_events, "starts_at"]
    return courses.reset_index(drop=True)


def oulad_tables(raw_dir: Path, *, quality: QualityLog) -> dict[str, pd.DataFrame]:
    """OULAD's tables, restricted to the presentations whose clicks the data hold.

    Presentations without VLE rows cannot be followed online: their registrations and
    events are left out of the dataset (counted per table). Events after a presentation's
    observation end (submissions after the cut of a partial VLE file) are dropped, counted.
    """
    tables = oulad.load_oulad(raw_dir, quality=quality)
    courses = tables["courses"]
    covered = set(courses.loc[courses["vle_coverage"] != "none", "course"])
    for name in ("learners", "events", "outcomes"):
        out = tables[name]
        keep = out["course"].isin(covered)
        quality.count(f"oulad_{name}", "presentation without VLE clicks: left out of the dataset",
                      int((~keep).sum()))
        tables[name] = out.loc[keep].reset_index(drop=True)
    events = tables["events"].merge(courses[["course", "observation_end"]], on="course")
    late = events["timestamp"] > events["observation_end"]
    quality.count("oulad_events", "after the presentation's observation end (partial VLE file)",
                  int(late.sum()))
    tables["events"] = tables["events"].loc[~late.to_numpy()].reset_index(drop=True)
    tables["courses"] = courses.loc[courses["course"].isin(covered)].reset_index(drop=True)
    return tables


def prepare(source: str, raw_dir: str | os.PathLike, *, name: str,
            timezone: str | None = None, processed_root: str | os.PathLike | None = None,
            key: bytes | None = None, exclude_ids: tuple[str, ...] = (),
            admin_ids: tuple[int, ...] = (2,)) -> Path:
    """Read raw exports, clean them, pseudonymise ids and write ``data/processed/<name>/``.

    Parameters
    ----------
    source : {"moodle", "demo"}
        What the folder holds (see :data:`SOURCES`).
    raw_dir : path
        The raw export folder; only read, never written.
    name : str
        The processed dataset's name (folder under `processed_root`).
    timezone : str, optional
        IANA time zone of the exports' local times. Required for ``moodle``; for ``demo`` it
        is read from MANIFEST.json.
    processed_root : path, optional
        Defaults to ``data/processed`` in the repository.
    key : bytes, optional
        Pseudonymisation key (defaults to :func:`pseudonymisation_key`).
    exclude_ids, admin_ids
        Passed to :func:`load_exports`.

    Returns
    -------
    Path of the dataset folder.
    """
    raw_dir = Path(raw_dir)
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder {raw_dir} does not exist")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"dataset name {name!r}: use letters, digits, '.', '_' or '-'")
    if source == "demo":
        zones = _manifest_timezones(raw_dir)
    elif source in ("oulad", "social"):
        zones = None  # OULAD has day offsets; social exports carry their UTC offsets
    elif source == "reply_network":
        zones = timezone or "UTC"  # published edge lists carry dates only
    elif timezone is None:
        raise ValueError("a Moodle log has no time zone: give the site's zone, "
                         "e.g. --timezone Europe/London")
    else:
        zones = timezone
    quality = QualityLog()
    if source == "oulad":
        tables = oulad_tables(raw_dir, quality=quality)
    elif source == "social":
        tables = {"outreach": social.read_social_folder(raw_dir, quality=quality)}
    elif source == "reply_network":
        tables = reply_network_tables(raw_dir, timezone=zones, quality=quality)
    else:
        tables = load_exports(raw_dir, timezone=zones, exclude_ids=exclude_ids,
                              admin_ids=admin_ids, quality=quality)
    key = pseudonymisation_key() if key is None else key
    for table in ("events", "learners", "outcomes"):
        if table in tables:
            columns = ("learner_id", "target_learner_id") if table == "events" else ("learner_id",)
            tables[table] = pseudonymise(tables[table], columns=columns, key=key)
    if "events" in tables:
        tables["events"] = tables["events"][[*schema.COLUMNS["events"], *(
            ["activity_type"] if "activity_type" in tables["events"] else [])]]
    root = Path(processed_root) if processed_root else repository_root() / "data" / "processed"
    # where the exports were read: the partner scan looks there for the names in them
    info = {"dataset": name, "source": source, "raw_dir": raw_dir.name,
            "raw_path": str(raw_dir.resolve()),
            "time_resolution": oulad.TIME_RESOLUTION if source == "oulad" else "event",
            **quality.to_dict()}
    if source == "demo":
        manifest = json.loads((raw_dir / "MANIFEST.json").read_text())
        info["seed"] = manifest["seed"]
        info["demo_parameters"] = manifest.get("parameters", {})
    return schema.write_dataset(root / name, tables, info)


def reply_network_tables(raw_dir: Path, *, timezone: str = "UTC",
                         quality: QualityLog | None = None) -> dict[str, pd.DataFrame]:
    """The courses, learners and events of a folder holding one reply edge list.

    The edge list is the one ``*edge*.csv`` file (case-insensitive); the participants the one
    ``*node*.csv`` file, if any. The course code is the edge file's name without the word
    "edgelist"/"edges" (``DLT2 Edgelist.csv`` -> ``DLT2``). A participant column named one of
    :data:`STAFF_COLUMNS` marks staff (taken out of the network, counted); one named one of
    :data:`ORGANISATION_COLUMNS` is the learners' workplace.
    """
    def one(pattern: str, required: bool) -> Path | None:
        found = sorted(p for p in raw_dir.iterdir()
                       if p.suffix.lower() == ".csv" and pattern in p.stem.lower())
        if len(found) > 1 or (required and not found):
            raise FileNotFoundError(f"{raw_dir}: expected one *{pattern}*.csv file, found "
                                    f"{len(found)}: {', '.join(p.name for p in found) or 'none'}")
        return found[0] if found else None

    edges, nodes = one("edge", True), one("node", False)
    course = re.sub(r"(?i)[ _-]*(edge ?list|edges?)[ _-]*", "", edges.stem).strip() or raw_dir.name
    header = []
    if nodes is not None:
        # decoded as the reader will (UTF-16, cp1252...): a garbled header would hide the
        # staff column and leave facilitators in the network
        text, _ = decode(nodes)
        if not text.strip():
            raise InputError(nodes, "the file is empty (no header, no rows)")
        first = next(csv.reader(io.StringIO(text.lstrip("\r\n"), newline="")), [])
        header = [h.strip().lower() for h in first]
    staff = next((c for c in STAFF_COLUMNS if c in header), None)
    organisation = next((c for c in ORGANISATION_COLUMNS if c in header), None)
    return edges_source.load_reply_network(edges, nodes, course=course, staff_column=staff,
                                           organisation=organisation, timezone=timezone,
                                           quality=quality)


def quality_tables(quality: dict) -> dict[str, Result]:
    """quality.json as tidy tables, each a Result: raw_files, timezones, rules, matching.

    Every count here is of rows of the raw exports (unit "rows"), not of people.
    """
    raw_files = pd.DataFrame(quality.get("raw_files", []),
                             columns=["source", "file", "rows", "md5"])
    timezones = pd.DataFrame(sorted(quality.get("timezones", {}).items()),
                             columns=["source", "time_zone_assumed"])
    rules = pd.DataFrame(quality.get("rules", []),
                         columns=["source", "rule", "action", "rows", "detail"])
    matching = pd.DataFrame(quality.get("matching", []),
                            columns=["source", "rows", "by_email", "by_name", "unmatched",
                                     "match_rate"])
    return {
        "raw_files": Result(
            raw_files,
            {"source": results.label("Source"), "file": results.label("File"),
             "rows": results.count("Rows read", unit="rows"),
             "md5": results.text("MD5 checksum", technical=True)},
            title="Raw files read", kind="clean.quality_tables"),
        "timezones": Result(
            timezones,
            {"source": results.label("Source"),
             "time_zone_assumed": results.text("Time zone assumed for local times")},
            title="Time zone assumed for each source's local times",
            kind="clean.quality_tables"),
        "rules": Result(rules, _rules_columns(detail=True),
                        title="Rows changed by each cleaning rule, per file",
                        kind="clean.quality_tables"),
        "matching": Result(
            matching,
            {"source": results.label("Source"),
             "rows": results.count("Rows naming a person", unit="rows"),
             "by_email": results.count("Matched by e-mail", unit="rows", part_of="rows"),
             "by_name": results.count("Matched by name", unit="rows", part_of="rows"),
             "unmatched": results.count("Matched nobody", unit="rows", part_of="rows"),
             # no column holds the matched rows (by e-mail + by name), so not a share
             "match_rate": results.estimate("number", "Share of rows matched (0 to 1)",
                                            of=("rows", "by_email", "by_name"))},
            title="Attendance rows matched to an enrolled learner",
            kind="clean.quality_tables"),
    }


def _rules_columns(*, detail: bool = False) -> dict[str, results.Column]:
    columns = {"source": results.label("Source"), "rule": results.label("Rule"),
               "action": results.label("Action"),
               "rows": results.count("Rows", unit="rows")}
    if detail:
        # may count distinct users ("3 distinct users"): for researchers only
        columns["detail"] = results.text("Detail", technical=True)
    return columns


def rules_summary(quality: dict) -> Result:
    """Rows per cleaning rule, added up over the files of each source.

    Returns
    -------
    Result: source, rule, action, rows (rules that changed no row included, with 0).
    """
    rules = quality_tables(quality)["rules"].table
    out = rules.groupby(["source", "rule", "action"], sort=False, as_index=False)["rows"].sum()
    return Result(out, _rules_columns(), title="Rows changed by each cleaning rule",
                  kind="clean.rules_summary")


def rows_accounted(quality: dict) -> Result:
    """Per source: rows read from raw files, rows dropped by some rule, rows kept.

    Returns
    -------
    Result: source, read, dropped, kept (read - dropped; both part of read).
    """
    rules = quality_tables(quality)["rules"].table
    dropped = rules[rules["action"] == "dropped"].groupby("source")["rows"].sum()
    read = pd.Series(quality.get("rows_read", {}), dtype="int64")
    out = pd.DataFrame({"read": read}).join(dropped.rename("dropped"), how="left")
    out["dropped"] = out["dropped"].fillna(0).astype("int64")
    out["kept"] = out["read"] - out["dropped"]
    out = out.rename_axis("source").reset_index()
    columns = {"source": results.label("Source"),
               "read": results.count("Rows read", unit="rows"),
               "dropped": results.count("Rows dropped", unit="rows", part_of="read"),
               "kept": results.count("Rows kept", unit="rows", part_of="read")}
    return Result(out, columns, title="Rows read, dropped and kept per source",
                  kind="clean.rows_accounted")


def describe_rules(rules) -> str:
    """One paragraph naming the rules that changed the most rows.

    Takes :func:`rules_summary` (or the ``rules`` of :func:`quality_tables`), as computed or
    after disclosure control: a hidden count is never quoted nor summed.
    """
    table = results.table_of(rules).reset_index(drop=True)
    hidden = partial(results.hidden, rules)
    shown = [i for i in range(len(table)) if not hidden(i, ["rows"])]
    some_hidden = len(shown) < len(table)
    rows = table["rows"]
    active = sorted((i for i in shown if rows.iloc[i] > 0), key=lambda i: -rows.iloc[i])
    if not active:
        if some_hidden:
            return "The rows changed by the cleaning rules are too few to show."
        return "No cleaning rule changed any row."
    top = "; ".join(f"{table['rule'].iloc[i]} ({table['source'].iloc[i]}): "
                    f"{table['action'].iloc[i]} {fmt.format_count(rows.iloc[i])} rows"
                    for i in active[:3])
    if some_hidden:
        text = (f"{len(active)} rule(s) changed rows that can be shown; the others changed "
                f"too few to show. The largest shown: {top}.")
    else:
        text = f"{len(active)} rule(s) changed rows. The largest: {top}."
    dropped = [i for i in range(len(table)) if table["action"].iloc[i] == "dropped"]
    if any(hidden(i, ["rows"]) for i in dropped):
        # a total over hidden counts would give them back
        return text + " Each row dropped is counted under its rule."
    total = int(sum(rows.iloc[i] for i in dropped if rows.iloc[i] > 0))
    return text + (f" In all {fmt.format_count(total)} rows were dropped, each counted under "
                   "its rule above.")


def describe_matching(matching) -> str:
    """One sentence per people-naming source on how many rows matched a learner.

    Takes the ``matching`` Result of :func:`quality_tables`, as computed or after disclosure
    control: a source with a hidden count is said to be too small to show.
    """
    table = results.table_of(matching).reset_index(drop=True)
    hidden = partial(results.hidden, matching)
    sentences = []
    for i, m in enumerate(table.itertuples()):
        if hidden(i, ["rows", "by_email", "by_name", "unmatched", "match_rate"]):
            sentences.append(f"{m.source}: too few rows to show how many matched an enrolled "
                             "learner.")
            continue
        count = fmt.format_count
        sentences.append(
            f"{m.source}: {count(m.by_email + m.by_name)} of {count(m.rows)} rows "
            f"({fmt.format_share(m.match_rate)}) matched an enrolled learner "
            f"({count(m.by_email)} by e-mail, {count(m.by_name)} by name); "
            f"{count(m.unmatched)} matched nobody and are left out of attendance measures.")
    return " ".join(sentences)
