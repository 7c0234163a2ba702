"""Attendance: Zoom and Teams reports and sign-in sheets, matched to enrolled learners.

These files name people, not LMS ids. :func:`read_zoom_participants`,
:func:`read_teams_attendance` and :func:`read_signin_sheet` turn them (CSV, tab-separated
text or XLSX) into one tidy *attendance* table (one row per person per session);
:func:`match_attendance` matches its rows to enrolled learners, by e-mail first, then by
normalised name within the course, and returns contract ``events``. Nothing is guessed: a
name shared by two enrolled learners of the course is left unmatched (ambiguous), and
unmatched rows are counted in the quality log, never dropped silently.

Attendance table columns: session_id, course, format (webinar, tutorial, face_to_face),
name, email (None when blank), started_at (UTC), minutes (float, NaN when unknown).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from engagement.schema import InputError, QualityLog, require_columns, validate
from engagement.sources.mapping import (_csv_records, _read_records, _xlsx_records,
                                        count_short_rows, to_utc)
from engagement.sources.text import check_timezone, decode, find_columns, flag_future

ATTENDANCE_COLUMNS = ["session_id", "course", "format", "name", "email", "started_at",
                      "minutes"]
FORMATS = ("webinar", "tutorial", "face_to_face")
MATCHED_BY = ("email", "name", "ambiguous", "none")
KINDS = ("zoom", "teams", "signin")
"""Kinds of attendance file, the prefix of their session ids (per-kind match rates)."""
UNMATCHED_RULE = "unmatched: no enrolled learner with this e-mail or name"
AMBIGUOUS_RULE = "unmatched: name shared by several enrolled learners of the course"

# Zoom has renamed its report columns over the years; these are the spellings accepted
# (compared case-insensitively).
_ZOOM_COLUMNS = {
    "meeting_id": ("meeting id", "webinar id"),
    "topic": ("topic",),
    "name": ("name (original name)", "user name (original name)", "name"),
    "email": ("user email", "email"),
    "join": ("join time",),
    "leave": ("leave time",),
    "duration": ("duration (minutes)", "duration (mins)", "duration"),
}
_ZOOM_TIME_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S",
                      "%m/%d/%Y %H:%M")
_SIGNIN_COLUMNS = {
    "date": ("date",), "start": ("start", "start time"), "course": ("course",),
    "format": ("format",), "name": ("full name", "name"), "email": ("email", "e-mail"),
}


def normalise_name(name) -> str:
    """A name for matching: accents removed, case folded, punctuation removed, spaces collapsed.

    Apostrophes are deleted (O'Brien -> obrien); other punctuation becomes a space
    (Jean-Luc -> jean luc).
    """
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"['\u2019`\u00b4]", "", text)
    text = "".join(c if c.isalnum() or c.isspace() else " " for c in text)
    return " ".join(text.split())


def _email(value) -> str | None:
    text = "" if value is None else str(value).strip()
    return text.casefold() if text else None


def _cells(rows: list[list], index: int | None) -> pd.Series:
    """One column of the records (empty cells when the optional column is absent)."""
    return pd.Series([r[index] if index is not None else "" for r in rows], dtype=object)


def _no_blanks(path, values: dict[str, pd.Series], lines, where: dict[str, str]) -> None:
    """InputError at the first blank cell of any of `values` (key -> cells)."""
    for key, cells in values.items():
        blank = (cells.astype(str).str.strip() == "").to_numpy()
        if blank.any():
            raise InputError(path, "empty value", row=int(lines[np.flatnonzero(blank)[0]]),
                             column=where[key])


def _zoom_time(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    for fmt in _ZOOM_TIME_FORMATS:
        try:
            return dt.datetime.strptime(str(value).strip(), fmt)
        except ValueError:
            continue
    raise ValueError(value)


def _empty_attendance() -> pd.DataFrame:
    return pd.DataFrame({"session_id": pd.Series(dtype=object), "course": pd.Series(dtype=object),
                         "format": pd.Series(dtype=object), "name": pd.Series(dtype=object),
                         "email": pd.Series(dtype=object),
                         "started_at": pd.Series(dtype="datetime64[ns, UTC]"),
                         "minutes": pd.Series(dtype=float)})


def read_zoom_participants(path: str | os.PathLike, *, timezone: str,
                           quality: QualityLog | None = None,
                           source: str = "zoom") -> pd.DataFrame:
    """Read a Zoom webinar participants report (CSV or XLSX).

    Columns Meeting ID, Topic, Name (Original Name), User Email, Join Time, Leave Time
    ("MM/DD/YYYY hh:mm:ss AM", local to `timezone`), Duration (Minutes), Guest (ignored).
    The older two-part report (meeting details, a blank line, then the participants) is
    read too. The course is the first word of the Topic ("DIG101 webinar: week 3" ->
    DIG101). A renamed participant's "(original name)" is removed from the name.

    A person's several join/leave rows in one meeting are merged into one row (counted as
    fixed): same e-mail, or, for rows without one, the same normalised name. A recurring
    Zoom meeting keeps its Meeting ID every week, so a session is the meeting on one local
    date: session_id is ``zoom:<Meeting ID>:<YYYY-MM-DD>``.

    Parameters
    ----------
    path : path
        The report; only read.
    timezone : str
        IANA zone of the report's times (the Zoom account's zone). An unknown zone is a
        ValueError, a missing one a TypeError (:func:`engagement.sources.text.check_timezone`).
    quality : QualityLog, optional
        Receives the file read, the time zone and the merged rows.
    source : str
        Name of the source in `quality`.

    Returns
    -------
    DataFrame, one row per person per session: session_id, course, format ("webinar"),
    name, email (None when blank), started_at (first join, UTC), minutes (sum of the
    rows' durations).
    """
    check_timezone(timezone)
    quality = QualityLog() if quality is None else quality
    short: list[int] = []
    header, rows, lines = _read_records(path, short=short)
    lowered = [h.casefold() for h in header]
    if "join time" not in lowered and "meeting id" in lowered and rows:
        header, rows, lines = _two_part_report(header, rows, lines, path)
        short = [n for n in short if n in set(lines)]
    cols = find_columns(path, header, _ZOOM_COLUMNS, optional=("duration",), casefold=True)
    quality.read(source, path, len(rows))
    quality.timezone(source, timezone)
    count_short_rows(short, path=path, source=source, quality=quality)
    if not rows:
        return _empty_attendance()

    def get(key):
        return _cells(rows, cols[key])

    lines = np.asarray(lines)
    where = {k: header[i] for k, i in cols.items() if i is not None}
    meeting = get("meeting_id").map(lambda v: re.sub(r"\s+", "", str(v)))
    topic = get("topic").map(lambda v: str(v).strip())
    _no_blanks(path, {"meeting_id": meeting, "topic": topic}, lines, where)
    course = topic.map(lambda t: re.sub(r"[:;,.\-\u2013\u2014]+$", "", t.split()[0]))
    join = to_utc(get("join"), lines=lines, file=path, column=where["join"], timezone=timezone,
                  fmt=_zoom_time, source=source, quality=quality)
    leave = to_utc(get("leave"), lines=lines, file=path, column=where["leave"],
                   timezone=timezone, fmt=_zoom_time, source=source, quality=quality)
    if join.isna().any():
        raise InputError(path, "empty join time", row=int(lines[np.flatnonzero(join.isna())[0]]),
                         column=where["join"])
    minutes = (leave - join).dt.total_seconds() / 60
    backwards = (minutes < 0).to_numpy()
    if backwards.any():
        i = int(np.flatnonzero(backwards)[0])
        raise InputError(path, "the leave time is before the join time", row=int(lines[i]),
                         column=where["leave"])
    if cols["duration"] is not None:
        duration = get("duration")
        given = duration != ""
        try:
            minutes[given] = duration[given].astype(float)
        except ValueError:
            bad = next(i for i, v in enumerate(duration) if v != "" and not _is_float(v))
            raise InputError(path, f"{duration.iloc[bad]!r} is not a number of minutes",
                             row=int(lines[bad]), column=where["duration"]) from None
        # float() also reads "inf" and "nan": a duration must be a finite count of minutes
        odd = (given & ~(np.isfinite(minutes) & (minutes >= 0))).to_numpy()
        if odd.any():
            i = int(np.flatnonzero(odd)[0])
            raise InputError(path, f"duration {duration.iloc[i]!r} is negative or infinite",
                             row=int(lines[i]), column=where["duration"])
    name = get("name").map(_display_name)
    email = get("email").map(lambda v: str(v).strip() or None)
    local_day = join.dt.tz_convert(timezone).dt.strftime("%Y-%m-%d")
    table = pd.DataFrame({"session_id": "zoom:" + meeting + ":" + local_day, "course": course,
                          "format": "webinar", "name": name, "email": email,
                          "started_at": join, "minutes": minutes})
    flag_future(join, source=source, quality=quality, where=f"{Path(path).name}, column "
                f"{where['join']!r}", labels=lines, label="lines")
    merged = _merge_people(table, how={"minutes": "sum"})
    if len(merged) < len(table):
        quality.count(source, "rejoin rows of one person in one meeting merged",
                      len(table) - len(merged), action="fixed")
    return merged


def _is_float(value) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


def _display_name(value) -> str | None:
    text = str(value).strip()
    # Zoom writes "Display name (Original name)" for renamed participants.
    text = re.sub(r"\s*\([^()]*\)$", "", text).strip() or text
    return text or None


def _two_part_report(header, rows, lines, path):
    # Older Zoom reports: meeting details on line 2, then the participants' own header.
    start = next((i for i, r in enumerate(rows)
                  if any(str(c).strip().casefold() == "join time" for c in r)), None)
    if start is None:
        raise InputError(path, "no participants header (with 'Join Time') found", row=1)
    meta = dict(zip([h.casefold() for h in header], rows[0]))
    people_header = [str(c).strip() for c in rows[start]]
    while people_header and people_header[-1] == "":
        people_header.pop()
    body = [r[:len(people_header)] + [""] * (len(people_header) - len(r[:len(people_header)]))
            for r in rows[start + 1:]]
    body = [r + [meta.get("meeting id", ""), meta.get("topic", "")] for r in body]
    return (people_header + ["Meeting ID", "Topic"], body, lines[start + 1:])


def _merge_people(table: pd.DataFrame, how: dict) -> pd.DataFrame:
    """One row per person per session: same e-mail, else (no e-mail) same normalised name."""
    table = table.copy()
    table["_name"] = table["name"].map(normalise_name)
    table["_key"] = table["email"].map(_email)
    # A row without e-mail joins the e-mail row of the same name in the session, if only one.
    with_email = table.dropna(subset=["_key"]).drop_duplicates(["session_id", "_name", "_key"])
    unique = with_email.groupby(["session_id", "_name"])["_key"].agg(
        lambda k: k.iloc[0] if len(k) == 1 else None)
    no_email = table["_key"].isna()
    lookup = [unique.get((s, n)) for s, n in zip(table.loc[no_email, "session_id"],
                                                  table.loc[no_email, "_name"])]
    table.loc[no_email, "_key"] = [k if k is not None else "name:" + n for k, n in
                                   zip(lookup, table.loc[no_email, "_name"])]
    table = table.sort_values(["session_id", "started_at"], kind="stable")
    agg = {"course": "first", "format": "first",
           "name": lambda s: s.dropna().iloc[0] if s.notna().any() else None,
           "email": lambda s: s.dropna().iloc[0] if s.notna().any() else None,
           "started_at": "min", **how}
    out = table.groupby(["session_id", "_key"], sort=False, as_index=False).agg(agg)
    out = out[ATTENDANCE_COLUMNS].sort_values(["started_at", "session_id"], kind="stable")
    out["minutes"] = out["minutes"].astype(float)
    return out.reset_index(drop=True)


def read_signin_sheet(path: str | os.PathLike, *, timezone: str,
                      quality: QualityLog | None = None,
                      source: str = "signin") -> pd.DataFrame:
    """Read a tutorial or face-to-face sign-in sheet (CSV or XLSX).

    Columns Date (DD/MM/YYYY), Start (HH:MM, local to `timezone`), Course, Format
    (tutorial or face_to_face; "Face to face" and "face-to-face" are read as face_to_face),
    Full name, Email (may be blank or absent), Organisation (not used: the enrolment export
    holds it). A row with neither name nor e-mail is dropped (counted); a person signing
    twice in one session is kept once (counted as fixed).

    Returns
    -------
    DataFrame, one row per person per session: session_id
    (``signin:<course>:<YYYY-MM-DD>:<format>``), course, format, name, email (None when
    blank), started_at (session start, UTC), minutes (NaN: sheets carry no duration).

    Raises
    ------
    TypeError, ValueError
        If `timezone` is missing or not a known IANA zone.
    """
    check_timezone(timezone)
    quality = QualityLog() if quality is None else quality
    short: list[int] = []
    header, rows, lines = _read_records(path, short=short)
    cols = find_columns(path, header, _SIGNIN_COLUMNS, optional=("email",), casefold=True)
    quality.read(source, path, len(rows))
    quality.timezone(source, timezone)
    count_short_rows(short, path=path, source=source, quality=quality)
    if not rows:
        return _empty_attendance()
    where = {k: header[i] for k, i in cols.items() if i is not None}
    lines = np.asarray(lines)

    def get(key):
        return _cells(rows, cols[key])

    name = get("name").map(lambda v: str(v).strip() or None)
    email = get("email").map(lambda v: str(v).strip() or None)
    nobody = (name.isna() & email.isna()).to_numpy()
    if nobody.any():
        quality.count(source, "sign-in row with neither name nor e-mail", int(nobody.sum()),
                      detail="rows " + ", ".join(map(str, lines[nobody][:20])))
    keep = ~nobody
    lines = lines[keep]
    frame = {k: get(k)[keep].reset_index(drop=True) for k in ("date", "start", "course",
                                                               "format")}
    name, email = name[keep].reset_index(drop=True), email[keep].reset_index(drop=True)
    _no_blanks(path, frame, lines, where)
    fmt = frame["format"].map(lambda v: re.sub(r"[\s\-]+", "_", str(v).strip().casefold()))
    bad = (~fmt.isin(("tutorial", "face_to_face"))).to_numpy()
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise InputError(path, f"format {frame['format'].iloc[i]!r} is neither tutorial nor "
                         "face_to_face", row=int(lines[i]), column=where["format"])
    day = _parse_each(frame["date"], _signin_date, lines, path, where["date"], "DD/MM/YYYY")
    start = _parse_each(frame["start"], _signin_time, lines, path, where["start"], "HH:MM")
    local = pd.Series([dt.datetime.combine(d, t) for d, t in zip(day, start)], dtype=object)
    started = to_utc(local, lines=lines, file=path, column=where["start"], timezone=timezone,
                     source=source, quality=quality)
    course = frame["course"].map(lambda v: str(v).strip())
    table = pd.DataFrame({
        "session_id": ["signin:" + "{}:{}:{}".format(c, d.isoformat(), f)
                       for c, d, f in zip(course, day, fmt)],
        "course": course, "format": fmt, "name": name, "email": email,
        "started_at": started, "minutes": np.nan})
    flag_future(started, source=source, quality=quality, where=f"{Path(path).name}, column "
                f"{where['start']!r}", labels=lines, label="lines")
    merged = _merge_people(table, how={"minutes": "first"})
    if len(merged) < len(table):
        quality.count(source, "same person signed in twice to one session",
                      len(table) - len(merged), action="fixed")
    return merged


def _parse_each(values, parse, lines, path, column, expected):
    out = []
    for i, value in enumerate(values):
        try:
            out.append(parse(value))
        except (ValueError, TypeError):
            raise InputError(path, f"cannot read {value!r} as {expected}", row=int(lines[i]),
                             column=column) from None
    return out


def _signin_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.datetime.strptime(str(value).strip(), "%d/%m/%Y").date()


def _signin_time(value) -> dt.time:
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    text = str(value).strip()
    for fmt in ("%H:%M", "%H:%M:%S", "%H.%M"):
        try:
            return dt.datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise ValueError(value)


# --------------------------------------------------------------------------- Microsoft Teams

STAFF_RULE = "organizer or presenter row (not a learner)"
_TEAMS_STAFF_ROLES = ("organizer", "organiser", "co-organizer", "co-organiser", "presenter")
_TEAMS_PARTICIPANTS = {
    "name": ("name", "full name"),
    "join": ("first join", "join time", "first join time"),
    "leave": ("last leave", "leave time", "last leave time"),
    "duration": ("in-meeting duration", "duration", "attendance duration"),
    "email": ("email", "e-mail"),
    "upn": ("participant id (upn)", "participant id"),
    "role": ("role",),
}
_TEAMS_ACTIONS = {"name": ("full name", "name"), "action": ("user action",),
                  "time": ("timestamp",)}
_TEAMS_TIME_FORMATS = ("%m/%d/%y, %I:%M:%S %p", "%m/%d/%Y, %I:%M:%S %p", "%m/%d/%y, %I:%M %p",
                       "%m/%d/%Y, %I:%M %p", "%m/%d/%y %I:%M:%S %p", "%m/%d/%Y %I:%M:%S %p",
                       "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")
_SECTION = re.compile(r"^\s*\d+\s*\.\s*(\S.*?)\s*$")
_DURATION = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+(?:\.\d+)?)\s*s)?$")


def read_teams_attendance(path: str | os.PathLike, *, timezone: str, course: str | None = None,
                          format: str = "webinar", quality: QualityLog | None = None,
                          source: str = "teams") -> pd.DataFrame:
    """Read a Microsoft Teams attendance report (CSV, tab-separated text or XLSX).

    Two layouts are read, told apart by their first line:

    * the current *attendance report*: UTF-16 (with byte-order mark) or UTF-8, tab- or
      comma-separated, in sections "1. Summary" (key/value rows: Meeting title, Start time,
      ...), "2. Participants" (Name, First Join, Last Leave, In-Meeting Duration, Email,
      Participant ID (UPN), Role) and "3. In-Meeting Activities" (not used: the
      Participants section already has one row per person). Rows whose Role is Organizer,
      Co-organizer or Presenter are not learners: they are dropped and counted. A blank
      Email falls back to the Participant ID (UPN) when that is an address. A blank
      duration is Last Leave minus First Join.
    * the older *attendance list*: Full Name, User Action (Joined, Joined before, Left),
      Timestamp, one row per action. Each person's actions (same normalised name) are
      merged into one row: first join, and the minutes between each join and the next
      leave. A join never followed by a leave is closed at the list's last time, a leave
      with no join before it is counted from the list's first time (both counted as
      flagged). The list has no Role column, so an organizer stays in the table (and, not
      being enrolled, ends unmatched, as a Zoom host does).

    Times are "3/5/24, 2:02:13 PM" (M/D/YY or M/D/YYYY) or "2024-03-05 14:02:13", local to
    `timezone`; XLSX date/time cells are read as they are. Durations are "1h 2m 3s",
    "45m 12s", "58s" or "H:MM:SS".

    Parameters
    ----------
    path : path
        The report; only read. In an XLSX workbook, the first worksheet.
    timezone : str
        IANA zone of the report's times (the zone of whoever downloaded it).
    course : str, optional
        The course code. By default the first word of the Meeting title (as for a Zoom
        Topic: "DIG101 webinar: week 3" -> DIG101); the older list has no title, so there
        the first word of the file name after "teams" ("teams_DIG101_0305.csv" -> DIG101).
    format : str
        The session's format: webinar (default), tutorial or face_to_face.
    quality : QualityLog, optional
        Receives the file read, the time zone, and the rows dropped, merged or flagged.
    source : str
        Name of the source in `quality`.

    Returns
    -------
    DataFrame, one row per person per session: session_id
    (``teams:<course>:<local start, YYYY-MM-DDTHH:MM>``; the start is the Summary's Start
    time, else the first join or the list's first time), course, format, name, email (None
    when blank), started_at (first join, UTC), minutes (float).

    Raises
    ------
    InputError
        A layout that is neither (file), a missing section or column (file, row), a value
        that is not a time, duration or known action (file, row, column).
    TypeError, ValueError
        If `timezone` is missing or unknown, or `format` is not a known format.
    """
    check_timezone(timezone)
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    quality = QualityLog() if quality is None else quality
    records = _teams_records(path)
    first_line, first = records[0]
    if any(str(c).strip().casefold() == "user action" for c in first):
        table = _teams_actions(path, records, timezone, course, format, quality, source)
    elif any(_teams_section(cells) for _, cells in records):
        table = _teams_sections(path, records, timezone, course, format, quality, source)
    else:
        raise InputError(path, "not a Teams attendance report: expected sections '1. Summary' "
                         "and '2. Participants', or the columns Full Name, User Action, "
                         "Timestamp", row=first_line)
    quality.timezone(source, timezone)
    if table.empty:
        return _empty_attendance()
    flag_future(table["started_at"], source=source, quality=quality, where=Path(path).name)
    merged = _merge_people(table, how={"minutes": "sum"})
    if len(merged) < len(table):
        quality.count(source, "rows of one person in one meeting merged",
                      len(table) - len(merged), action="fixed")
    return merged


def _teams_records(path) -> list[tuple[int, list]]:
    """(line, cells) of the non-blank records of a report, trailing empty cells removed."""
    path = os.fspath(path)
    if path.lower().endswith((".xlsx", ".xlsm")):
        records = _xlsx_records(Path(path))
    else:
        text, _ = decode(path)  # UTF-16 with BOM, UTF-8 (with or without BOM) or cp1252
        # Teams writes tab-separated text; a re-saved copy may be comma-separated.
        records = _csv_records(path, text, "\t" if "\t" in text else ",")
    out = []
    for line, cells in records:
        cells = [c.strip() if isinstance(c, str) else c for c in cells]
        while cells and cells[-1] in ("", None):
            cells.pop()
        if cells:
            out.append((line, cells))
    if not out:
        raise InputError(path, "the file is empty (no header, no rows)")
    return out


def _teams_section(cells) -> str | None:
    """'participants' for a '2. Participants' line (one cell), etc.; None otherwise."""
    if len(cells) != 1 or not isinstance(cells[0], str):
        return None
    match = _SECTION.match(cells[0])
    return match.group(1).casefold() if match else None


def _columns_at(path, header, wanted, optional, line) -> dict[str, int | None]:
    found = {str(h).strip().casefold(): i for i, h in enumerate(header)}
    index = {k: next((found[n] for n in names if n in found), None) for k, names in wanted.items()}
    missing = [names[0] for k, names in wanted.items() if index[k] is None and k not in optional]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(map(repr, missing))}; the header "
                         f"has {', '.join(repr(str(h)) for h in header)}", row=line)
    return index


def _body(path, header, records) -> tuple[list[list], np.ndarray]:
    """Rows padded to the header's width; a row with more values is an error at its line."""
    rows = []
    for line, cells in records:
        if len(cells) > len(header):
            raise InputError(path, f"the row has {len(cells)} fields but the header has "
                             f"{len(header)}", row=line)
        rows.append(list(cells) + [""] * (len(header) - len(cells)))
    return rows, np.asarray([line for line, _ in records], dtype=int)


def _teams_time(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    # Windows puts a narrow no-break space before AM/PM
    text = str(value).replace("\u202f", " ").replace("\u00a0", " ").strip()
    for fmt in _TEAMS_TIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(value)


def _teams_minutes(value) -> float:
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 60
    if isinstance(value, dt.time):
        return value.hour * 60 + value.minute + value.second / 60
    text = str(value).strip()
    clock = re.fullmatch(r"(\d+):(\d\d):(\d\d)", text)
    if clock:
        h, m, s = map(int, clock.groups())
        return h * 60 + m + s / 60
    match = _DURATION.fullmatch(text)
    if not text or not match or not any(match.groups()):
        raise ValueError(value)
    h, m, s = (float(g) if g else 0.0 for g in match.groups())
    return h * 60 + m + s / 60


def _course_of(title: str) -> str:
    words = str(title).split()
    return re.sub(r"[:;,.\-\u2013\u2014]+$", "", words[0]) if words else ""


def _teams_sections(path, records, timezone, course, format, quality, source) -> pd.DataFrame:
    sections: dict[str, tuple[int, list]] = {}
    name = None
    for line, cells in records:
        title = _teams_section(cells)
        if title is not None:
            name = ("summary" if "summary" in title else "participants" if "participant" in title
                    else "activities" if "activit" in title else title)
            sections[name] = (line, [])
        elif name is not None:
            sections[name][1].append((line, cells))
    if "participants" not in sections:
        raise InputError(path, "no '2. Participants' section (a line '2. Participants' "
                         "followed by its header row) found")
    summary_line, summary_rows = sections.get("summary", (None, []))
    summary = {str(c[0]).strip().casefold(): (line, c[1] if len(c) > 1 else "")
               for line, c in summary_rows}
    part_line, part = sections["participants"]
    if not part:
        raise InputError(path, "the Participants section has no header row", row=part_line)
    header_line, header = part[0]
    header = [str(h).strip() for h in header]
    cols = _columns_at(path, header, _TEAMS_PARTICIPANTS, ("leave", "duration", "email", "upn",
                                                         "role"), header_line)
    rows, lines = _body(path, header, part[1:])
    quality.read(source, path, len(rows))
    where = {k: header[i] for k, i in cols.items() if i is not None}

    if course is None:
        line, title = summary.get("meeting title", summary.get("title", (summary_line, "")))
        course = _course_of(title)
        if not course:
            raise InputError(path, "no Meeting title in the Summary to take the course from; "
                             "pass course=", row=line, column="Meeting title")
    if not rows:
        return _empty_attendance()

    def get(key):
        return _cells(rows, cols[key])

    role = get("role").map(lambda v: str(v).strip().casefold())
    staff = role.isin(_TEAMS_STAFF_ROLES).to_numpy()
    name_ = get("name").map(lambda v: str(v).strip() or None)
    email = get("email").map(lambda v: str(v).strip() or None)
    upn = get("upn").map(lambda v: str(v).strip())
    # External guests often have no Email but an address as their participant id.
    email = email.where(email.notna(), upn.map(lambda v: v if "@" in v else None))
    nobody = (~staff) & (name_.isna() & email.isna()).to_numpy()
    if staff.any():
        quality.count(source, STAFF_RULE, int(staff.sum()),
                      detail="rows " + ", ".join(map(str, lines[staff][:20])))
    if nobody.any():
        quality.count(source, "participant row with neither name nor e-mail", int(nobody.sum()),
                      detail="rows " + ", ".join(map(str, lines[nobody][:20])))
    keep = ~(staff | nobody)
    rows = [r for r, k in zip(rows, keep) if k]
    lines, name_, email = lines[keep], name_[keep].reset_index(drop=True), \
        email[keep].reset_index(drop=True)
    if not rows:
        return _empty_attendance()
    join = to_utc(get("join"), lines=lines, file=path, column=where["join"], timezone=timezone,
                  fmt=_teams_time, source=source, quality=quality)
    if join.isna().any():
        raise InputError(path, "empty join time", row=int(lines[np.flatnonzero(join.isna())[0]]),
                         column=where["join"])
    minutes = pd.Series(np.nan, index=join.index)
    if cols["leave"] is not None:
        leave = to_utc(get("leave"), lines=lines, file=path, column=where["leave"],
                       timezone=timezone, fmt=_teams_time, source=source, quality=quality)
        minutes = (leave - join).dt.total_seconds() / 60
    if cols["duration"] is not None:
        duration = get("duration")
        given = (duration.astype(str).str.strip() != "").to_numpy()
        parsed = _parse_each(duration[given], _teams_minutes, lines[given], path,
                             where["duration"], "a duration like '1h 2m 3s'")
        minutes[given] = parsed
    start = join.min()
    if "start time" in summary or "meeting start time" in summary:
        line, value = summary.get("start time", summary.get("meeting start time"))
        start = to_utc(pd.Series([value], dtype=object), lines=[line], file=path,
                       column="Start time", timezone=timezone, fmt=_teams_time, source=source,
                       quality=quality).iloc[0]
        start = join.min() if pd.isna(start) else start
    session = "teams:{}:{}".format(course, start.tz_convert(timezone).strftime("%Y-%m-%dT%H:%M"))
    return pd.DataFrame({"session_id": session, "course": course, "format": format,
                         "name": name_, "email": email, "started_at": join,
                         "minutes": minutes.astype(float)})


def _teams_actions(path, records, timezone, course, format, quality, source) -> pd.DataFrame:
    header_line, header = records[0]
    header = [str(h).strip() for h in header]
    cols = _columns_at(path, header, _TEAMS_ACTIONS, (), header_line)
    rows, lines = _body(path, header, records[1:])
    quality.read(source, path, len(rows))
    if course is None:
        stem = re.sub(r"^teams[\s_\-]*", "", os.path.splitext(os.path.basename(path))[0],
                      flags=re.IGNORECASE)
        course = _course_of(re.sub(r"[_\s]+", " ", stem))
        if not course:
            raise InputError(path, "an older Teams attendance list names no meeting: pass "
                             "course= or name the file teams_<COURSE>_....csv")
    if not rows:
        return _empty_attendance()
    where = {k: header[i] for k, i in cols.items()}
    name = _cells(rows, cols["name"]).map(lambda v: str(v).strip())
    _no_blanks(path, {"name": name}, lines, where)
    action = _cells(rows, cols["action"]).map(lambda v: " ".join(str(v).split()).casefold())
    bad = (~action.isin(("joined", "joined before", "left"))).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(path, f"unknown action {rows[i][cols['action']]!r} (expected Joined, "
                         "Joined before or Left)", row=int(lines[i]), column=where["action"])
    when = to_utc(_cells(rows, cols["time"]), lines=lines, file=path, column=where["time"],
                  timezone=timezone, fmt=_teams_time, source=source, quality=quality)
    if when.isna().any():
        raise InputError(path, "empty timestamp", row=int(lines[np.flatnonzero(when.isna())[0]]),
                         column=where["time"])
    first, last = when.min(), when.max()
    acts = pd.DataFrame({"key": name.map(normalise_name), "name": name, "join": action != "left",
                         "when": when}).sort_values("when", kind="stable")
    people, open_ended, no_join = [], 0, 0
    for _, person in acts.groupby("key", sort=False):
        total, since, joins = pd.Timedelta(0), None, []
        for is_join, at in zip(person["join"], person["when"]):
            if is_join:
                joins.append(at)
                since = at if since is None else since  # a second join while in: still in
            elif since is not None:
                total, since = total + (at - since), None
            else:
                no_join += 1  # was there before the list began
                total += at - first
        if since is not None:
            open_ended += 1
            total += last - since
        people.append({"name": person["name"].iloc[0],
                       "started_at": min(joins) if joins else first,
                       "minutes": total.total_seconds() / 60})
    if open_ended:
        quality.count(source, "join without a leave: closed at the list's last time",
                      open_ended, action="flagged")
    if no_join:
        quality.count(source, "leave without a join: counted from the list's first time",
                      no_join, action="flagged")
    out = pd.DataFrame(people)
    session = "teams:{}:{}".format(course, first.tz_convert(timezone).strftime("%Y-%m-%dT%H:%M"))
    return pd.DataFrame({"session_id": session, "course": course, "format": format,
                         "name": out["name"], "email": pd.Series([None] * len(out), dtype=object),
                         "started_at": pd.to_datetime(out["started_at"], utc=True),
                         "minutes": out["minutes"].astype(float)})


# --------------------------------------------------------------------------- matching

def match_report(attendance: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """How each attendance row matches an enrolled learner.

    By e-mail (case-insensitive, trimmed) among the learners enrolled in the row's course
    first; then by :func:`normalise_name` within the course. A name (or e-mail) shared by
    several enrolled learners of the course is ambiguous and left unmatched. Courses are
    compared case-insensitively.

    Parameters
    ----------
    attendance : DataFrame
        Attendance rows (columns at least course, name, email), as read by
        :func:`read_zoom_participants`, :func:`read_teams_attendance` or
        :func:`read_signin_sheet`. Not modified.
    people : DataFrame
        user_id, course, full_name, email (from ``mapping.load_enrolments``).

    Returns
    -------
    DataFrame, one row per attendance row in the same order (fresh index): the attendance
    columns, then learner_course (the course as spelt in `people` when the course is
    known), learner_id (the raw user id; None unless matched) and matched_by (email, name,
    ambiguous or none).
    """
    require_columns(attendance, ["course", "name", "email"], "attendance")
    require_columns(people, ["user_id", "course", "full_name", "email"], "people")
    by_email: dict[tuple, set] = {}
    by_name: dict[tuple, set] = {}
    course_name: dict[str, str] = {}
    for uid, course, full_name, email in people[["user_id", "course", "full_name",
                                                 "email"]].itertuples(index=False):
        key = str(course).strip().casefold()
        course_name.setdefault(key, str(course))
        if _email(email):
            by_email.setdefault((key, _email(email)), set()).add(str(uid))
        if normalise_name(full_name):
            by_name.setdefault((key, normalise_name(full_name)), set()).add(str(uid))
    ids, how, courses = [], [], []
    for course, name, email in attendance[["course", "name", "email"]].itertuples(index=False):
        key = str(course).strip().casefold()
        found, method = None, "none"
        email_hits = by_email.get((key, _email(email)), set()) if _email(email) else set()
        name_hits = by_name.get((key, normalise_name(name)), set()) if normalise_name(name) \
            else set()
        if len(email_hits) == 1:
            found, method = next(iter(email_hits)), "email"
        elif len(name_hits) == 1:
            found, method = next(iter(name_hits)), "name"
        elif len(name_hits) > 1 or len(email_hits) > 1:
            method = "ambiguous"
        ids.append(found)
        how.append(method)
        courses.append(course_name.get(key, course))
    out = attendance.reset_index(drop=True).copy()
    out["learner_course"] = courses
    out["learner_id"] = pd.Series(ids, dtype=object)
    out["matched_by"] = how
    return out




def match_attendance(attendance: pd.DataFrame, people: pd.DataFrame, *, source: str,
                     quality: QualityLog | None = None, by_kind: bool = False) -> pd.DataFrame:
    """Attendance rows matched to enrolled learners, as contract ``events``.

    See :func:`match_report` for the rules. The matching rate goes to
    ``quality.match(source, ...)``; unmatched and ambiguous rows are counted under their own
    rules (action dropped), so rows in = matched + unmatched + ambiguous. Should two rows
    of one session match the same learner, one event is kept (counted).

    With `by_kind`, the rate of each kind of file is recorded as well, after the overall
    one: ``quality.match(f"{source}_{kind}", ...)`` for each kind present, kind being the
    session_id's prefix (zoom, teams, signin), in that order; the unmatched and ambiguous
    rules (still counted once, under `source`) then name the rows of each kind in their
    detail.

    Returns
    -------
    DataFrame, the contract ``events`` table: learner_id (raw user id), course, timestamp
    (session start, UTC), source (the format: webinar, tutorial or face_to_face), action
    "attend", object_id (session_id), target_learner_id (null), count (1).
    """
    quality = QualityLog() if quality is None else quality
    require_columns(attendance, ["session_id", "format", "started_at"], "attendance")
    report = match_report(attendance, people)
    counts = report["matched_by"].value_counts()
    n = {k: int(counts.get(k, 0)) for k in MATCHED_BY}
    quality.match(source, rows=len(report), by_email=n["email"], by_name=n["name"])
    detail = {"none": "", "ambiguous": ""}
    if by_kind:
        kind = report["session_id"].astype(str).str.split(":", n=1).str[0]
        order = sorted(kind.unique(), key=lambda k: (KINDS.index(k) if k in KINDS
                                                     else len(KINDS), k))
        for k in order:
            part = report.loc[kind == k, "matched_by"].value_counts()
            quality.match(f"{source}_{k}", rows=int(part.sum()),
                          by_email=int(part.get("email", 0)), by_name=int(part.get("name", 0)))
        for how in detail:
            per = report.loc[report["matched_by"] == how].groupby(kind).size()
            detail[how] = ", ".join(f"{k} {int(per[k])}" for k in order if per.get(k, 0))
    quality.count(source, UNMATCHED_RULE, n["none"], detail=detail["none"])
    quality.count(source, AMBIGUOUS_RULE, n["ambiguous"], detail=detail["ambiguous"])
    hit = report.loc[report["learner_id"].notna()]
    events = pd.DataFrame({
        "learner_id": hit["learner_id"].astype(str).astype(object),
        "course": hit["learner_course"].astype(str).astype(object),
        "timestamp": pd.to_datetime(hit["started_at"], utc=True),
        "source": hit["format"].astype(object),
        "action": "attend",
        "object_id": hit["session_id"].astype(str).astype(object),
        "target_learner_id": pd.Series([None] * len(hit), index=hit.index, dtype=object),
        "count": pd.Series(1, index=hit.index, dtype="Int64"),
    })
    twice = events.duplicated(["learner_id", "object_id"])
    if twice.any():
        quality.count(source, "same learner matched twice in one session", int(twice.sum()))
        events = events.loc[~twice]
    events = events.sort_values(["timestamp", "learner_id"], kind="stable")
    return validate(events.reset_index(drop=True), "events")
