"""Open University Learning Analytics Dataset (OULAD) -> the contract tables.

Kuzilek, Hlosta & Zdrahal (2017), "Open University Learning Analytics dataset", Scientific
Data 4:170171, doi:10.1038/sdata.2017.171 (CC BY 4.0). The folder holds the published CSVs
(CRLF, every field quoted, ``?`` or an empty field for a missing value): ``courses.csv``,
``assessments.csv``, ``vle.csv``, ``studentInfo.csv``, ``studentRegistration.csv``,
``studentAssessment.csv``, and the clicks, either the original ``studentVle.csv`` (preferred
when present) or ``studentVle_partial_first1048575rows.zip`` (one member, TAB-separated: the
FIRST 1,048,575 rows of the original, read from the zip without extracting it).

Ids are returned RAW (``id_student`` as a string); pseudonymisation happens in clean.py.

Conventions, all recorded in the quality log (flagged):

- **Calendar dates.** OULAD gives no dates, only day offsets from each presentation's
  start. A presentation code is a year and B (February start) or J (October start); the
  start is taken as the 1st of that month at UTC midnight: ``2013B`` -> 2013-02-01,
  ``2013J`` -> 2013-10-01. Every OULAD time is ``start + offset days`` (UTC midnight), and
  ``ends_at = starts_at + module_presentation_length`` days.
- **Time resolution.** A VLE row is one learner's DAILY click total on one site
  (:data:`TIME_RESOLUTION` is ``"day"``): its timestamp is midnight of that day and its
  ``count`` the day's clicks. Nothing finer than a day (sessions, hours) can be measured.
- **Partial VLE file.** The published file is sorted by module, presentation, date, so in
  the prefix every presentation but the last one present is whole (``vle_coverage``
  ``complete``, observed to ``ends_at``); the last one is cut (``partial``, observed to
  ``starts_at`` + its last day present: BBB 2013J, day 133); presentations with no rows
  (``none``) are observed only to ``starts_at``, i.e. left out of activity measures. A VLE
  file is taken as that prefix when it is a zip, when its name contains ``partial``, or when
  it has exactly 1,048,575 data rows (the spreadsheet row limit the prefix was cut at).
- **Completion date.** OULAD gives none: ``completed_at`` is the presentation's
  ``ends_at`` for Pass, Distinction and Fail.
- **Score.** The weighted mean of the learner's assessment scores in the presentation
  (weights from ``assessments.csv``, exams included, banked results included); missing
  scores are left out; null when the learner has no score, or only scores of weight 0.
- **Banked assessments** (``is_banked`` 1: a result carried over from an earlier
  presentation, ``date_submitted`` -1) count in the score but are not submission events.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from engagement.schema import InputError, QualityLog, validate

TIME_RESOLUTION = "day"
"""VLE events are daily click totals: the finest time resolution of OULAD is one day."""

TIMEZONE_NOTE = "UTC (day offsets from the presentation start)"

FILES = {
    "courses": "courses.csv",
    "assessments": "assessments.csv",
    "sites": "vle.csv",
    "info": "studentInfo.csv",
    "registration": "studentRegistration.csv",
    "student_assessment": "studentAssessment.csv",
}
"""The required files, by the short name used in quality sources (``oulad_<name>``)."""

FULL_VLE = "studentVle.csv"
PARTIAL_VLE = "studentVle_partial_first1048575rows.zip"
PREFIX_ROWS = 1_048_575
"""Data rows in the published prefix of studentVle.csv (a spreadsheet's row limit)."""

RESULTS = {"Pass": "passed", "Distinction": "distinction", "Fail": "failed",
           "Withdrawn": "withdrawn"}

START_MONTH = {"B": 2, "J": 10}
"""Presentation code letter -> month of the assumed start (the 1st, UTC midnight)."""

LEARNER_EXTRAS = ["region", "imd_band", "age_band", "gender", "highest_education",
                  "disability", "num_of_prev_attempts", "studied_credits"]
COURSE_EXTRAS = ["code_module", "code_presentation", "length_days", "vle_coverage"]
EVENT_EXTRAS = ["activity_type"]
OUTCOME_EXTRAS = ["n_scores"]

RULE_START = ("presentation start assumed: YYYYB -> YYYY-02-01, YYYYJ -> YYYY-10-01 "
              "(UTC midnight; OULAD gives no calendar dates)")
RULE_NO_VLE_PARTIAL = ("presentation has no VLE rows in the partial file: left out of "
                       "activity measures")
RULE_NO_VLE = "presentation has no VLE rows: left out of activity measures"
RULE_VLE_SKIPPED = "VLE clicks not read (vle=False): left out of activity measures"
RULE_CUT = ("presentation cut by the end of the partial VLE file: observed up to its last "
            "day present")
RULE_DAILY = "daily click totals: time resolution is one day"
RULE_PREFIX = "VLE file is the first rows of studentVle.csv only (partial)"
RULE_COMPLETED = ("completed_at is the presentation's end (OULAD gives no completion date)")
RULE_NO_REG_DATE = "date_registration missing: enrolled_at null"
RULE_NO_UNREG = "final_result Withdrawn without date_unregistration: withdrawn_at null"
RULE_UNREG_NOT_WITHDRAWN = ("date_unregistration present but final_result is not Withdrawn: "
                            "withdrawn_at kept")
RULE_MISSING_SCORE = "score missing: left out of the weighted mean (submission kept)"
RULE_ZERO_WEIGHT = "only assessments of weight 0 scored: weighted mean undefined, score null"
RULE_BANKED = ("banked assessment (result carried over from an earlier presentation): "
               "not a submission event, kept in the score")
RULE_UNKNOWN_COURSE = "module-presentation not in courses.csv"
RULE_UNKNOWN_ASSESSMENT = "id_assessment not in assessments.csv"
RULE_UNKNOWN_SITE = "id_site not in vle.csv: activity_type null"
RULE_NOT_REGISTERED = "learner has no registration on this presentation (kept)"
RULE_ZERO_CLICKS = "sum_click below 1"
RULE_DUPLICATE = "duplicate registration (same module, presentation, student): first kept"
RULE_NO_INFO = "registration without a studentInfo row: no final_result, no outcome row"
RULE_NO_REGISTRATION = "studentInfo row without a registration: enrolled_at null"

_CODE = re.compile(r"^(\d{4})([BJ])$")
_MISSING = ["?", ""]
_KEY = ["code_module", "code_presentation"]
_DAY_NS = 86_400 * 10**9
_DAY_COLUMNS = {"date", "date_submitted", "date_registration", "date_unregistration"}
_MAX_DAYS = 36_525
_FRACTIONAL = {"score", "weight"}  # numbers that may have decimals (weights: 7.5 in OULAD)


def load_oulad(raw_dir: str | os.PathLike, *, quality: QualityLog | None = None,
               vle: str | os.PathLike | bool | None = None) -> dict[str, pd.DataFrame]:
    """Read an OULAD folder into the contract tables (raw ids).

    Parameters
    ----------
    raw_dir : str or path
        The folder with the OULAD files (see the module docstring).
    quality : QualityLog, optional
        Receives every file read (sources ``oulad_courses``, ``oulad_assessments``,
        ``oulad_sites`` (vle.csv), ``oulad_info``, ``oulad_registration``,
        ``oulad_student_assessment``, ``oulad_vle`` (the clicks)), the time zone (source
        ``oulad``) and every assumption, flag and drop.
    vle : path, bool or None
        The clicks file. None: ``studentVle.csv`` in `raw_dir` when present, else
        ``studentVle_partial_first1048575rows.zip`` (or another ``studentVle*.zip``). A path:
        that file (a zip is read as the partial prefix). False: clicks not read (every
        presentation gets ``vle_coverage`` ``none``).

    Returns
    -------
    dict of DataFrame, keyed by contract table name:

    ``courses``
        One row per module-presentation, in courses.csv order: course
        (``<code_module>-<code_presentation>``), title (code_module), starts_at, ends_at,
        observation_end, code_module, code_presentation, length_days, vle_coverage
        (``complete``, ``partial`` or ``none``).
    ``learners``
        One row per registration: learner_id (id_student), course, organisation (null),
        enrolled_at (start + date_registration days; null when missing),
        acquisition_channel (null), region, imd_band, age_band, gender, highest_education,
        disability (strings, null when missing), num_of_prev_attempts, studied_credits
        (Int64).
    ``events``
        VLE rows in file order (source ``lms``, action ``view``, object_id
        ``site:<id_site>``, count = sum_click, timestamp = midnight of the day), then
        assessment submissions in file order (action ``submit``, object_id
        ``assessment:<id_assessment>``, count 1, timestamp = start + date_submitted days).
        Columns learner_id, course, timestamp, source, action, object_id,
        target_learner_id (null), count (Int64), activity_type (vle.csv's type for VLE
        rows; null for submissions).
    ``outcomes``
        One row per studentInfo row: learner_id, course, final_result (passed,
        distinction, failed, withdrawn), completed_at (ends_at unless withdrawn),
        withdrawn_at (start + date_unregistration days, null when missing), score (float,
        weighted mean, 0-100, null when none), n_scores (Int64: scores in the mean).

    Raises
    ------
    FileNotFoundError
        `raw_dir` or a required file (named) is missing.
    InputError
        A file lacks columns (named), a number is expected and something else is found
        (file, row, column and value named), a presentation code is not ``YYYYB`` or
        ``YYYYJ``, a final_result or score is out of its domain.
    """
    raw_dir = Path(raw_dir)
    quality = QualityLog() if quality is None else quality
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"OULAD folder {raw_dir} does not exist")
    paths = {}
    for name, file in FILES.items():
        paths[name] = raw_dir / file
        if not paths[name].is_file():
            raise FileNotFoundError(f"OULAD file {file} is missing from {raw_dir}")
    vle_path = _vle_path(raw_dir, vle)
    quality.timezone("oulad", TIMEZONE_NOTE)

    courses = _courses(paths["courses"], quality)
    starts = dict(zip(courses["course"], courses["starts_at"]))
    assessments = _assessments(paths["assessments"], starts, quality)
    sites = _read(paths["sites"], ["id_site", "code_module", "code_presentation",
                                   "activity_type"], ints=("id_site",),
                  source="oulad_sites", quality=quality)
    info, registration = _people(paths["info"], paths["registration"], starts, quality)
    results = _read(paths["student_assessment"],
                    ["id_assessment", "id_student", "date_submitted", "is_banked", "score"],
                    ints=("id_assessment", "id_student", "date_submitted"),
                    numbers=("is_banked", "score"), source="oulad_student_assessment",
                    quality=quality)
    _check_score(results, paths["student_assessment"])

    registered = registration[["code_module", "code_presentation", "id_student"]]
    if vle_path is None:
        clicks, coverage, last_day = None, {}, {}
        no_vle = RULE_VLE_SKIPPED
    else:
        clicks, coverage, last_day, partial = _vle(vle_path, courses, sites, quality)
        _flag_unregistered(clicks, registered, "oulad_vle", quality)
        no_vle = RULE_NO_VLE_PARTIAL if partial else RULE_NO_VLE
    courses = _observation(courses, coverage, last_day, rule=no_vle, quality=quality)

    submissions = _submissions(results, assessments, registered, starts, quality)
    events = (submissions.reset_index(drop=True) if clicks is None
              else pd.concat([clicks, submissions], ignore_index=True))
    events["count"] = events["count"].astype("Int64")
    events["target_learner_id"] = events["target_learner_id"].astype(object)

    learners = _learners(info, registration, starts, quality)
    outcomes = _outcomes(info, registration, results, assessments, courses, quality)

    source = str(raw_dir)
    return {
        "courses": validate(courses, "courses", source=paths["courses"]),
        "learners": validate(learners, "learners", source=paths["registration"]),
        "events": _validate_by_values(events, "events", source=source),
        "outcomes": validate(outcomes, "outcomes", source=paths["info"]),
    }


def _validate_by_values(df: pd.DataFrame, table: str, *, source) -> pd.DataFrame:
    """``validate`` for a big table whose checks are all per column and per value.

    The events schema has no uniqueness or cross-column check, so a table passes exactly
    when the table of each column's distinct values passes; that is checked (pandera checks
    every string element in Python: 13 s for OULAD's 1.2M events, against well under 1 s
    here). On failure the full table is validated, so the error quotes the real rows.
    """
    distinct = {c: pd.Series(df[c].unique(), dtype=df[c].dtype) for c in df.columns}
    size = max((len(v) for v in distinct.values()), default=0)
    # Pad each column by repeating its own values: the set of values is unchanged.
    small = pd.DataFrame({c: v.take(np.arange(size) % len(v)).reset_index(drop=True)
                          if len(v) else v for c, v in distinct.items()})
    try:
        validate(small, table, source=source)
    except Exception:
        validate(df, table, source=source)
        raise
    return df


# --------------------------------------------------------------------------- reading

class _Member:
    """A file inside a zip, read in place (never extracted to disk)."""

    def __init__(self, zip_path: Path, name: str):
        self.zip_path, self.name = zip_path, name

    def __str__(self):
        return f"{self.zip_path} (member {self.name})"


@contextlib.contextmanager
def _open(path):
    """A binary handle on a file or zip member, closed (with its archive) on exit."""
    if isinstance(path, _Member):
        with zipfile.ZipFile(path.zip_path) as archive, archive.open(path.name) as fh:
            yield fh
    else:
        with open(path, "rb") as fh:
            yield fh


def _row(path, pos: int) -> int:
    """The line (header = 1) of the data record at 0-based position `pos`, as pandas counts
    records (blank lines skipped, quoted values may span lines). Only called for errors."""
    with _open(path) as fh:
        text = fh.read().decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if "\t" in first else ",")
    next(reader, None)
    n, start = -1, reader.line_num + 1
    for rec in reader:
        if any(cell.strip() for cell in rec):
            n += 1
            if n == pos:
                return start
        start = reader.line_num + 1
    return pos + 2


def _not_utf8(path) -> InputError:
    """The error for a file that is not UTF-8, at the line of the first bad byte."""
    with _open(path) as fh:
        raw = fh.read()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return InputError(str(path), f"not UTF-8 text ({exc.reason}, byte {raw[exc.start]:#04x});"
                          " OULAD files are UTF-8", row=raw.count(b"\n", 0, exc.start) + 1)
    return InputError(str(path), "not UTF-8 text")


def _read(path, columns, *, ints=(), numbers=(), source, quality) -> pd.DataFrame:
    """Read a CSV (or zip member): strings, whole numbers (int64, required) and numbers
    (float, may be missing), ``?`` and empty fields being missing.

    A fast typed read first; when it fails the file is re-read as text, to name the row,
    column and value of the first bad number (or to convert what the typed read refused,
    such as ``12.0`` for a whole number).
    """
    try:
        with _open(path) as fh:
            first = fh.readline().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(str(path), "header is not UTF-8 text", row=1) from None
    if not first.strip():
        raise InputError(str(path), "empty file: no header line")
    sep = "\t" if "\t" in first else ","
    header = [h.strip().strip('"').strip() for h in first.rstrip("\r\n").split(sep)]
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(str(path), f"missing column(s) {', '.join(missing)}; "
                         f"found {', '.join(header)}", row=1)
    try:
        with _open(path) as fh:
            names = list(pd.read_csv(fh, sep=sep, nrows=0, encoding="utf-8-sig").columns)
    except UnicodeDecodeError:  # pandas decodes a first chunk, not only the header line
        raise _not_utf8(path) from None
    raw_names = {}
    for raw in names:
        if str(raw).strip() in columns and str(raw).strip() not in raw_names:
            raw_names[str(raw).strip()] = raw
    dtype = {raw_names[c]: ("int64" if c in ints else "float64" if c in numbers else str)
             for c in columns}
    kwargs = dict(sep=sep, usecols=list(raw_names.values()), na_values=_MISSING,
                  keep_default_na=False, encoding="utf-8-sig")

    def read_as(types):
        try:
            with _open(path) as fh:
                return pd.read_csv(fh, dtype=types, **kwargs)
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
        except pd.errors.ParserError as exc:
            raise InputError(str(path), f"cannot be read as CSV: {exc}") from None

    try:
        df = read_as(dtype)
    except InputError:
        raise
    except (ValueError, TypeError, OverflowError):  # a bad number: find it in the text
        df = read_as(str)
        df = df.rename(columns={v: k for k, v in raw_names.items()})
        _raise_bad_number(df, ints, numbers, path)
        for col in ints:
            df[col] = pd.to_numeric(df[col]).astype("int64")
        for col in numbers:
            df[col] = pd.to_numeric(df[col]).astype("float64")
    df = df.rename(columns={v: k for k, v in raw_names.items()})[list(columns)]
    for col in numbers:
        if col not in _FRACTIONAL:
            _check_whole(df[col], path, col)
    for col in _DAY_COLUMNS.intersection(columns):
        # a day offset beyond a century is no date OULAD wrote (and overflows datetimes)
        far = df[col].notna() & (df[col].abs() > _MAX_DAYS)
        if far.any():
            pos = int(np.flatnonzero(far.to_numpy())[0])
            raise InputError(str(path), f"day offset {df[col].iloc[pos]:g} is beyond "
                             f"{_MAX_DAYS} days", row=_row(path, pos), column=col)
    quality.read(source, path.zip_path if isinstance(path, _Member) else path, len(df))
    return df


def _raise_bad_number(text: pd.DataFrame, ints, numbers, path) -> None:
    """Find the first value that is not the number expected and raise naming it."""
    worst = None
    for col in (*ints, *numbers):
        values = text[col]
        parsed = pd.to_numeric(values, errors="coerce")
        bad = parsed.isna() & values.notna()
        if col in ints:
            bad |= values.isna() | (parsed.notna() & (parsed != np.floor(parsed)))
        hits = np.flatnonzero(bad.to_numpy())
        if len(hits) and (worst is None or hits[0] < worst[0]):
            worst = (int(hits[0]), col)
    if worst is None:
        return
    pos, col = worst
    value = text[col].iloc[pos]
    what = "a whole number" if col in ints else "a number"
    found = "a missing value" if pd.isna(value) else repr(value)
    raise InputError(str(path), f"expected {what}, found {found}", row=_row(path, pos), column=col)


def _check_whole(values: pd.Series, path, col) -> None:
    frac = values.notna() & (values != np.floor(values))
    if frac.any():
        pos = int(np.flatnonzero(frac.to_numpy())[0])
        raise InputError(str(path), f"expected a whole number, found {values.iloc[pos]:g}",
                         row=_row(path, pos), column=col)


def _check_score(results: pd.DataFrame, path) -> None:
    out = results["score"].notna() & ~results["score"].between(0, 100)
    if out.any():
        pos = int(np.flatnonzero(out.to_numpy())[0])
        raise InputError(str(path), f"score {results['score'].iloc[pos]:g} outside 0-100",
                         row=_row(path, pos), column="score")


def _course_key(df: pd.DataFrame) -> pd.Series:
    return df["code_module"].astype(str) + "-" + df["code_presentation"].astype(str)


def _at(course: pd.Series, days, starts: dict) -> pd.Series:
    """start of `course` + `days` days, vectorised (days may be missing: NaT)."""
    codes = pd.Categorical(course, categories=list(starts)).codes
    base = np.array([starts[c].value for c in starts], dtype="int64")
    days = pd.Series(days, index=course.index).astype("float64").to_numpy()
    ns = np.where(np.isnan(days), 0, days).astype("int64") * _DAY_NS + base[codes]
    out = pd.Series(pd.to_datetime(ns, utc=True), index=course.index)
    return out.where(~np.isnan(days))


def _known(df: pd.DataFrame, starts: dict, path, source: str, quality: QualityLog):
    """Rows whose module-presentation is in courses.csv; the others dropped and counted."""
    course = _course_key(df)
    known = course.isin(list(starts))
    if not known.all():
        quality.count(source, RULE_UNKNOWN_COURSE, int((~known).sum()),
                      detail=", ".join(sorted(set(course[~known]))[:10]))
    return df.loc[known].assign(course=course[known])


# --------------------------------------------------------------------------- tables

def _courses(path: Path, quality: QualityLog) -> pd.DataFrame:
    df = _read(path, ["code_module", "code_presentation", "module_presentation_length"],
               ints=("module_presentation_length",), source="oulad_courses", quality=quality)
    for col in _KEY:
        blank = df[col].isna()
        if blank.any():
            raise InputError(str(path), "missing value",
                             row=_row(path, int(np.flatnonzero(blank)[0])),
                             column=col)
    parts = df["code_presentation"].str.extract(_CODE)
    bad = parts[0].isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(str(path), f"presentation code {df['code_presentation'].iloc[pos]!r} "
                         "is not a year followed by B or J", row=_row(path, pos),
                         column="code_presentation")
    if (df["module_presentation_length"] < 0).any():
        pos = int(np.flatnonzero((df["module_presentation_length"] < 0).to_numpy())[0])
        raise InputError(str(path), "negative module_presentation_length", row=_row(path, pos),
                         column="module_presentation_length")
    course = _course_key(df)
    dup = course.duplicated()
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(str(path), f"module-presentation {course.iloc[pos]} appears twice",
                         row=_row(path, pos), column="code_presentation")
    starts = pd.to_datetime(pd.DataFrame({"year": parts[0].astype(int),
                                          "month": parts[1].map(START_MONTH), "day": 1}),
                            utc=True)
    length = df["module_presentation_length"].astype("int64")
    out = pd.DataFrame({
        "course": course, "title": df["code_module"], "starts_at": starts,
        "ends_at": starts + pd.to_timedelta(length, unit="D"),
        "code_module": df["code_module"], "code_presentation": df["code_presentation"],
        "length_days": length.astype("Int64"),
    })
    quality.count("oulad_courses", RULE_START, len(out), action="flagged")
    return out


def _assessments(path: Path, starts: dict, quality: QualityLog) -> pd.DataFrame:
    df = _read(path, ["code_module", "code_presentation", "id_assessment", "assessment_type",
                      "date", "weight"], ints=("id_assessment",), numbers=("date", "weight"),
               source="oulad_assessments", quality=quality)
    blank = df["weight"].isna()
    if blank.any():
        raise InputError(str(path), "expected a number, found a missing value",
                         row=_row(path, int(np.flatnonzero(blank.to_numpy())[0])), column="weight")
    dup = df["id_assessment"].duplicated()
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(str(path), f"id_assessment {df['id_assessment'].iloc[pos]} appears "
                         "twice", row=_row(path, pos), column="id_assessment")
    return _known(df, starts, path, "oulad_assessments", quality)


def _people(info_path: Path, reg_path: Path, starts: dict, quality: QualityLog):
    info = _read(info_path, ["code_module", "code_presentation", "id_student", "gender",
                             "region", "highest_education", "imd_band", "age_band",
                             "num_of_prev_attempts", "studied_credits", "disability",
                             "final_result"],
                 ints=("id_student",), numbers=("num_of_prev_attempts", "studied_credits"),
                 source="oulad_info", quality=quality)
    unknown = ~info["final_result"].isin(list(RESULTS))
    if unknown.any():
        pos = int(np.flatnonzero(unknown.to_numpy())[0])
        value = info["final_result"].iloc[pos]
        value = "a missing value" if pd.isna(value) else repr(value)
        raise InputError(str(info_path), f"final_result {value} is not one of "
                         f"{', '.join(RESULTS)}", row=_row(info_path, pos),
                         column="final_result")
    reg = _read(reg_path, ["code_module", "code_presentation", "id_student",
                           "date_registration", "date_unregistration"],
                ints=("id_student",), numbers=("date_registration", "date_unregistration"),
                source="oulad_registration", quality=quality)
    info = _known(info, starts, info_path, "oulad_info", quality)
    reg = _known(reg, starts, reg_path, "oulad_registration", quality)
    keys = ["code_module", "code_presentation", "id_student"]
    for df, source in ((info, "oulad_info"), (reg, "oulad_registration")):
        dup = df.duplicated(subset=keys)
        if dup.any():
            quality.count(source, RULE_DUPLICATE, int(dup.sum()))
    return info.drop_duplicates(subset=keys), reg.drop_duplicates(subset=keys)


def _learners(info, reg, starts, quality: QualityLog) -> pd.DataFrame:
    keys = ["course", "code_module", "code_presentation", "id_student"]
    both = reg.merge(info, on=keys, how="outer", indicator=True, sort=False)
    no_info = int((both["_merge"] == "left_only").sum())
    no_reg = int((both["_merge"] == "right_only").sum())
    if no_info:
        quality.count("oulad_registration", RULE_NO_INFO, no_info, action="flagged")
    if no_reg:
        quality.count("oulad_info", RULE_NO_REGISTRATION, no_reg, action="flagged")
    both = both.reset_index(drop=True)
    missing_date = int((both["date_registration"].isna() & (both["_merge"] != "right_only")).sum())
    quality.count("oulad_registration", RULE_NO_REG_DATE, missing_date, action="flagged")
    out = pd.DataFrame({
        "learner_id": both["id_student"].astype("int64").astype(str),
        "course": both["course"],
        "organisation": None,
        "enrolled_at": _at(both["course"], both["date_registration"], starts),
        "acquisition_channel": None,
    })
    for col in LEARNER_EXTRAS:
        values = both[col]
        out[col] = (values.astype("Int64") if col in ("num_of_prev_attempts", "studied_credits")
                    else values.astype(object).where(values.notna(), None))
    return out


def _outcomes(info, reg, results, assessments, courses, quality: QualityLog) -> pd.DataFrame:
    keys = ["course", "code_module", "code_presentation", "id_student"]
    df = info.merge(reg[keys + ["date_unregistration"]], on=keys, how="left", sort=False)
    df = df.reset_index(drop=True)
    starts = dict(zip(courses["course"], courses["starts_at"]))
    ends = courses.set_index("course")["ends_at"]
    result = df["final_result"].map(RESULTS)
    withdrawn = result == "withdrawn"
    completed_at = df["course"].map(ends).where(~withdrawn)
    withdrawn_at = _at(df["course"], df["date_unregistration"], starts)
    has_date = df["date_unregistration"].notna()
    quality.count("oulad_info", RULE_COMPLETED, int((~withdrawn).sum()), action="flagged")
    quality.count("oulad_info", RULE_NO_UNREG, int((withdrawn & ~has_date).sum()),
                  action="flagged")
    quality.count("oulad_info", RULE_UNREG_NOT_WITHDRAWN, int((~withdrawn & has_date).sum()),
                  action="flagged")

    score = _scores(results, assessments, quality)
    df = df.merge(score, on=["course", "id_student"], how="left", sort=False)
    return pd.DataFrame({
        "learner_id": df["id_student"].astype("int64").astype(str),
        "course": df["course"],
        "final_result": result,
        "completed_at": pd.to_datetime(completed_at, utc=True),
        "withdrawn_at": withdrawn_at,
        "score": df["score"].astype("float64"),
        "n_scores": df["n_scores"].fillna(0).astype("Int64"),
    })


def _scores(results, assessments, quality: QualityLog) -> pd.DataFrame:
    """Weighted mean score per learner and presentation (weights from assessments.csv)."""
    scored = results.merge(assessments[["id_assessment", "course", "weight"]],
                           on="id_assessment", how="inner")
    missing = scored["score"].isna()
    quality.count("oulad_student_assessment", RULE_MISSING_SCORE, int(missing.sum()),
                  action="flagged")
    scored = scored.loc[~missing].assign(weighted=lambda d: d["score"] * d["weight"])
    per = scored.groupby(["course", "id_student"], sort=False).agg(
        total=("weighted", "sum"), weights=("weight", "sum"), n_scores=("score", "size"))
    zero = per["weights"] <= 0
    quality.count("oulad_student_assessment", RULE_ZERO_WEIGHT, int(zero.sum()),
                  action="flagged", detail="learner-presentations")
    per["score"] = (per["total"] / per["weights"]).where(~zero)
    return per[["score", "n_scores"]].reset_index()


def _submissions(results, assessments, registered, starts, quality: QualityLog):
    source = "oulad_student_assessment"
    df = results.merge(assessments[["id_assessment", "course", "code_module",
                                    "code_presentation"]],
                       on="id_assessment", how="left", sort=False)
    unknown = df["course"].isna()
    if unknown.any():
        quality.count(source, RULE_UNKNOWN_ASSESSMENT, int(unknown.sum()),
                      detail="ids " + ", ".join(map(str, sorted(set(
                          df.loc[unknown, "id_assessment"]))[:10])))
    banked = (df["is_banked"] == 1) & ~unknown
    quality.count(source, RULE_BANKED, int(banked.sum()))
    df = df.loc[~unknown & ~banked]
    out = pd.DataFrame({
        "learner_id": df["id_student"].astype("int64").astype(str),
        "course": df["course"],
        "timestamp": _at(df["course"], df["date_submitted"], starts),
        "source": "lms", "action": "submit",
        "object_id": "assessment:" + df["id_assessment"].astype(str),
        "target_learner_id": None,
        "count": 1,
        "activity_type": None,
    })
    _flag_unregistered(out, registered, source, quality)
    return out


def _flag_unregistered(events, registered, source, quality: QualityLog) -> None:
    """Count (not drop) event rows of a learner with no registration on that presentation."""
    per = events.groupby(["course", "learner_id"], sort=False).size().rename("rows")
    reg = pd.MultiIndex.from_arrays([_course_key(registered),
                                     registered["id_student"].astype("int64").astype(str)])
    n = int(per[~per.index.isin(reg)].sum())
    if n:
        quality.count(source, RULE_NOT_REGISTERED, n, action="flagged")


# --------------------------------------------------------------------------- VLE clicks

def _vle_path(raw_dir: Path, vle) -> Path | None:
    if vle is False:
        return None
    if vle is not None and vle is not True:
        path = Path(vle)
        if not path.is_file():
            raise FileNotFoundError(f"OULAD VLE file {path} does not exist")
        return path
    full = raw_dir / FULL_VLE
    if full.is_file():
        return full
    if (raw_dir / PARTIAL_VLE).is_file():
        return raw_dir / PARTIAL_VLE
    zips = sorted(raw_dir.glob("studentVle*.zip"))
    if zips:
        return zips[0]
    raise FileNotFoundError(f"OULAD clicks file missing from {raw_dir}: neither {FULL_VLE} "
                            f"nor {PARTIAL_VLE} (pass vle=False to load without clicks)")


def _is_partial_name(path: Path) -> bool:
    return path.suffix.lower() == ".zip" or "partial" in path.name.lower()


def _vle_member(path: Path):
    if path.suffix.lower() != ".zip":
        return path
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
    except zipfile.BadZipFile as exc:
        raise InputError(str(path), f"not a readable zip file ({exc})") from None
    wanted = [n for n in names if Path(n).name.lower().startswith("studentvle")] or names
    if not wanted:
        raise InputError(str(path), "the zip holds no file")
    return _Member(path, wanted[0])


def _vle(path: Path, courses, sites, quality: QualityLog):
    """Clicks -> events; and each presentation's coverage and last day present."""
    source = "oulad_vle"
    member = _vle_member(path)
    df = _read(member, ["code_module", "code_presentation", "id_student", "id_site", "date",
                        "sum_click"], ints=("id_student", "id_site", "date", "sum_click"),
               source=source, quality=quality)
    for col in _KEY:
        # a blank module or presentation cannot be told apart from its neighbours' rows
        blank = df[col].isna() | (df[col].astype(str).str.strip() == "")
        if blank.any():
            raise InputError(str(member), "missing value",
                             row=_row(member, int(np.flatnonzero(blank.to_numpy())[0])),
                             column=col)
    starts = dict(zip(courses["course"], courses["starts_at"]))
    partial = _is_partial_name(path) or len(df) == PREFIX_ROWS
    if partial:
        quality.count(source, RULE_PREFIX, len(df), action="flagged",
                      detail=f"{Path(path).name}: {len(df):,} rows; presentations after the "
                             "cut are absent and the last one present is cut")

    # Presentations in order of first appearance (factorize keeps it): the last is cut.
    mod_codes, modules = pd.factorize(df["code_module"])
    pre_codes, presentations = pd.factorize(df["code_presentation"])
    codes, pairs = pd.factorize(mod_codes.astype("int64") * max(len(presentations), 1)
                                + pre_codes)
    width = max(len(presentations), 1)
    order = [f"{modules[p // width]}-{presentations[p % width]}" for p in pairs]
    runs = int((np.diff(codes) != 0).sum()) + 1 if len(df) else 0
    day_max = pd.Series(df["date"].to_numpy()).groupby(codes).max() if len(df) else {}
    last_day = {order[i]: int(day_max[i]) for i in range(len(order))}
    coverage = {c: "none" for c in courses["course"]}
    for c in order:
        if c in coverage:
            coverage[c] = "partial" if partial else "complete"
    if partial and order:
        if runs == len(order):
            for c in order[:-1]:
                if c in coverage:
                    coverage[c] = "complete"
        else:
            quality.count(source, "partial VLE file not sorted by presentation: every "
                          "presentation in it treated as cut", len(order), action="flagged")

    names = np.array(order, dtype=object)
    known = np.isin(names, list(starts))[codes] if len(df) else np.zeros(0, bool)
    if not known.all():
        quality.count(source, RULE_UNKNOWN_COURSE, int((~known).sum()),
                      detail=", ".join(sorted(set(names) - set(starts))[:10]))
    keep = known & (df["sum_click"].to_numpy() >= 1)
    few = int((known & ~keep).sum())
    if few:
        quality.count(source, RULE_ZERO_CLICKS, few)
    df, codes = df.loc[keep], codes[keep]
    quality.count(source, RULE_DAILY, len(df), action="flagged",
                  detail=f"TIME_RESOLUTION = {TIME_RESOLUTION!r}")

    kinds = sites.drop_duplicates("id_site").set_index("id_site")["activity_type"]
    site_codes, site_ids = pd.factorize(df["id_site"])
    activity = pd.Series(site_ids).map(kinds).to_numpy(dtype=object)
    unknown_site = pd.isna(activity)[site_codes]
    if unknown_site.any():
        quality.count(source, RULE_UNKNOWN_SITE, int(unknown_site.sum()), action="flagged")
    activity = np.where(pd.isna(activity), None, activity)
    base = np.array([starts[c].value if c in starts else 0 for c in order], dtype="int64")
    stamps = base[codes] + df["date"].to_numpy("int64") * _DAY_NS
    student_codes, students = pd.factorize(df["id_student"])
    events = pd.DataFrame({
        "learner_id": np.array([str(i) for i in students], dtype=object)[student_codes],
        "course": names[codes],
        "timestamp": pd.to_datetime(stamps, utc=True),
        "source": "lms", "action": "view",
        "object_id": np.array([f"site:{i}" for i in site_ids], dtype=object)[site_codes],
        "target_learner_id": None,
        "count": pd.array(df["sum_click"].to_numpy(), dtype="Int64"),
        "activity_type": activity[site_codes],
    })
    return events, coverage, last_day, partial


def _observation(courses, coverage, last_day, *, rule, quality: QualityLog):
    out = courses.copy()
    out["vle_coverage"] = out["course"].map(coverage).fillna("none")
    cut = out["vle_coverage"] == "partial"
    days = out["course"].map(last_day).astype("float64").fillna(0).clip(lower=0)
    out["observation_end"] = out["starts_at"]
    out.loc[out["vle_coverage"] == "complete", "observation_end"] = out["ends_at"]
    out.loc[cut, "observation_end"] = (out["starts_at"]
                                       + pd.to_timedelta(days, unit="D"))[cut]
    none = int((out["vle_coverage"] == "none").sum())
    quality.count("oulad_courses", rule, none, action="flagged")
    if cut.any():
        quality.count("oulad_courses", RULE_CUT, int(cut.sum()), action="flagged",
                      detail=", ".join(f"{c}: day {int(last_day.get(c, 0))}"
                                       for c in out.loc[cut, "course"]))
    cols = ["course", "title", "starts_at", "ends_at", "observation_end", *COURSE_EXTRAS]
    return out[cols]
