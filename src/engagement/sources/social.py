"""Social-media post exports (LinkedIn, Facebook, X/Twitter) -> the contract's ``outreach`` table.

The exports come from a social-media management tool that writes one CSV per platform, each
with its own columns. What they share: ``Date`` (``01/02/2024 02:28 PM EST -0500``, local
time with its explicit UTC offset), ``Content`` (the post text, possibly spanning lines),
``Labels`` (free text; the demo writes ``<campaign> | variant: <channel> | message: <key>``
on split-test posts, the message key pairing the posts of one message across platforms), counts with thousands separators (``1,234``; Facebook writes ``12.0``), and ``Url``.

Quirks handled, each counted in the quality log:

- the tool writes the hour after noon as ``00:MM PM`` (12:MM PM) and the hour after
  midnight as ``00:MM AM``: both read as the clock hour 12 (counted as fixed);
- empty counts (Facebook leaves ``Engaged users`` blank on some posts) become missing
  values (counted as flagged);
- impossible rows (engagements or clicks above exposures: the real X and LinkedIn exports
  have posts with 0 impressions but some engagement) are kept, marked in the boolean
  column ``impossible`` and counted as flagged;
- exact duplicate rows are dropped; a later row with the same post id but other values
  is dropped too (the first is kept). Both are counted.

Which columns become which contract column:

========  ===================  =================  ===================  ==============
platform  exposures            engagements        clicks               reach
========  ===================  =================  ===================  ==============
linkedin  Impressions          Engagement         Clicks               Reach
facebook  Total impressions    Engaged users      Clicks               Total reach
x         Impressions          Engagement         (none: missing)      (none: missing)
========  ===================  =================  ===================  ==============
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd

from engagement.schema import COLUMNS, InputError, QualityLog, validate
from engagement.sources.mapping import _read_records, count_short_rows
from engagement.sources.text import DUPLICATE_RULE, drop_exact_duplicates, flag_future

PLATFORMS = ("linkedin", "facebook", "x")
"""Platforms read, named as the contract's outreach channels."""

EXTRA_COLUMNS = ["campaign", "message", "content", "reach", "impossible"]
"""Columns returned besides the contract's outreach columns."""

OUTREACH_COLUMNS = COLUMNS["outreach"] + EXTRA_COLUMNS

TIMEZONE_NOTE = "offset in each date"

# The columns that identify each platform's export (all must be present), and which of
# them feed the contract's counts. Compared case-insensitively.
_SIGNATURE = {
    "linkedin": ("Impressions", "Reach", "Clicks", "Likes", "Shares", "Comments", "Engagement"),
    "facebook": ("Total impressions", "Total reach", "Engaged users", "Clicks"),
    "x": ("Impressions", "Likes", "Reposts", "Quote posts", "Replies", "Engagement"),
}
_COUNTS = {
    "linkedin": {"exposures": "Impressions", "engagements": "Engagement", "clicks": "Clicks",
                 "reach": "Reach"},
    "facebook": {"exposures": "Total impressions", "engagements": "Engaged users",
                 "clicks": "Clicks", "reach": "Total reach"},
    "x": {"exposures": "Impressions", "engagements": "Engagement"},
}
_ALIASES = {"twitter": "x", "x": "x", "linkedin": "linkedin", "facebook": "facebook"}
_LABEL = {"linkedin": "LinkedIn", "facebook": "Facebook", "x": "X/Twitter"}
_FOLDER_FILES = {"linkedin.csv": "linkedin", "facebook.csv": "facebook",
                 "twitter.csv": "x", "x.csv": "x"}

_DATE = re.compile(
    r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2}))?\s*(?P<ampm>[AaPp][Mm])(?:\s+(?P<abbr>[A-Za-z]{1,6}))?"
    r"\s+(?P<sign>[+-])(?P<oh>\d{2}):?(?P<om>\d{2})")
_NUMBER = re.compile(r"(?P<sign>[+-]?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d*))?")
# "key: value" parts of Labels, separated by "|"; the campaign is the text before the first
_LABEL_PART = re.compile(r"(?:^|\|)\s*(?P<key>variant|message)\s*:\s*(?P<value>[^|]*)",
                         re.IGNORECASE)

RULE_HOUR_PM = "date written 00:MM PM, read as 12:MM PM"
RULE_HOUR_AM = "date written 00:MM AM, read as 12:MM AM (just after midnight)"
RULE_DUPLICATE = DUPLICATE_RULE
RULE_SAME_ID = "same post_id as an earlier row but different values (first kept)"
RULE_ENG = "impossible: engagements > exposures (kept, impossible=True)"
RULE_CLICKS = "impossible: clicks > exposures (kept, impossible=True)"


def detect_platform(header) -> str | None:
    """The platform (``linkedin``, ``facebook``, ``x``) whose columns a header has, else None.

    Facebook is tried first (its export also has plain ``Clicks``), then LinkedIn (which has
    ``Reach``), then X.
    """
    found = {str(h).strip().casefold() for h in header}
    for platform in ("facebook", "linkedin", "x"):
        if all(c.casefold() in found for c in _SIGNATURE[platform]):
            return platform
    return None


def _platform_name(platform: str, path) -> str:
    key = str(platform).strip().casefold()
    if key not in _ALIASES:
        raise ValueError(f"platform must be one of linkedin, facebook, x or twitter, "
                         f"not {platform!r} (file {path})")
    return _ALIASES[key]


def _expected() -> str:
    return "; ".join(f"{_LABEL[p]}: Date, {', '.join(_SIGNATURE[p])}" for p in PLATFORMS)


def read_social_export(path: str | os.PathLike, *, platform: str | None = None,
                       quality: QualityLog | None = None) -> pd.DataFrame:
    """Read one platform's post export into the contract's ``outreach`` table.

    Parameters
    ----------
    path : str or path
        A CSV exported by the social-media management tool (see the module docstring).
    platform : {"linkedin", "facebook", "x", "twitter"}, optional
        The platform; inferred from the header when None.
    quality : QualityLog, optional
        Receives the file read (source ``social_<platform>``), the time zone (source
        ``social``: the offset written in each date) and every row fixed, flagged or dropped.

    Returns
    -------
    DataFrame, one row per post in file order: channel (linkedin, facebook, x), post_id
    (from the Url: Facebook's ``fbid`` or last path segment, X's status id, LinkedIn's
    ``urn:li:...``; else ``h`` + a hash of date and content), published_at (UTC),
    variant (from ``Labels`` ``variant: X``; else null), exposures, engagements, clicks,
    signups (always null), campaign (``Labels`` before `` | variant:``; null when blank),
    message (from ``Labels`` ``message: M07``, the key pairing one message's posts across
    platforms; else null), content (the post text), reach (null for X), impossible (bool: engagements or clicks
    above exposures). Counts are nullable Int64.

    Raises
    ------
    InputError
        An unrecognised header (listing the columns expected and found); a count that is
        not a whole non-negative number, or a date that cannot be read (naming the row,
        column and value).
    """
    path = Path(path)
    quality = QualityLog() if quality is None else quality
    short: list[int] = []
    header, rows, lines = _read_records(path, short=short)
    platform = _resolve_platform(header, platform, path)
    source = f"social_{platform}"
    col = {h.casefold(): i for i, h in enumerate(header)}

    def cells(name: str) -> list:
        i = col.get(name.casefold())
        return [""] * len(rows) if i is None else [r[i] for r in rows]

    dates, contents, labels, urls = cells("Date"), cells("Content"), cells("Labels"), cells("Url")
    fixed_pm = fixed_am = 0
    published = []
    for value, line in zip(dates, lines):
        ts, hour00 = _parse_date(value, path, line)
        published.append(ts)
        fixed_pm += hour00 == "PM"
        fixed_am += hour00 == "AM"

    counts = {}
    for target, name in _COUNTS[platform].items():
        values = [_parse_count(v, path, line, name) for v, line in zip(cells(name), lines)]
        counts[target] = pd.array(values, dtype="Int64")
        blanks = sum(v is None for v in values)
        if blanks:
            quality.count(source, f"empty {name}: {target} missing", blanks, action="flagged",
                          detail=f"{path.name}: blank cells left missing, not read as 0")

    campaign, variant, message = (zip(*(_labels(v) for v in labels)) if rows
                                  else ((), (), ()))
    post_id = [_post_id(u, d, c) for u, d, c in zip(urls, dates, contents)]
    none = pd.array([pd.NA] * len(rows), dtype="Int64")
    df = pd.DataFrame({
        "channel": pd.Series([platform] * len(rows), dtype=object),
        "post_id": pd.Series(post_id, dtype=object),
        "published_at": pd.DatetimeIndex(published, dtype="datetime64[ns, UTC]"),
        "variant": pd.Series(variant, dtype=object),
        "exposures": counts["exposures"],
        "engagements": counts["engagements"],
        "clicks": counts.get("clicks", none),
        "signups": none,
        "campaign": pd.Series(campaign, dtype=object),
        "message": pd.Series(message, dtype=object),
        "content": pd.Series([c if c else None for c in contents], dtype=object),
        "reach": counts.get("reach", none),
    })

    quality.read(source, path, len(rows))
    quality.timezone("social", TIMEZONE_NOTE)
    count_short_rows(short, path=path, source=source, quality=quality)
    flag_future(df["published_at"], source=source, quality=quality,
                where=f"{path.name}, column 'Date'", labels=lines, label="lines")
    if "clicks" not in _COUNTS[platform] and len(rows):
        quality.count(source, "no Clicks column in the export: clicks missing", len(rows),
                      action="flagged", detail=path.name)
    if fixed_pm:
        quality.count(source, RULE_HOUR_PM, fixed_pm, action="fixed", detail=path.name)
    if fixed_am:
        quality.count(source, RULE_HOUR_AM, fixed_am, action="fixed", detail=path.name)

    # Exact duplicates are judged on every raw cell, not only the columns kept.
    exact = pd.Series([tuple(r) for r in rows], dtype=object).duplicated().to_numpy()
    df = _drop_duplicates(df, source=source, quality=quality, where=path.name, exact=exact)
    df = _flag_impossible(df, source=source, quality=quality, where=path.name)
    return validate(df[OUTREACH_COLUMNS], "outreach", source=path)


def read_social_folder(folder: str | os.PathLike, *,
                       quality: QualityLog | None = None) -> pd.DataFrame:
    """Read every social export in a folder and stack them into one ``outreach`` table.

    ``linkedin.csv``, ``facebook.csv`` and ``twitter.csv`` (or ``x.csv``) are read as those
    platforms (any subset may be present; a wrong header there is an error). Any other
    ``*.csv`` is read when its header is recognised; one that is not is skipped and counted
    in the quality log (source ``social``).

    Returns
    -------
    DataFrame: the columns of :func:`read_social_export`, files in name order. A post id
    repeated across files of the same platform is kept once (first file), and counted.

    Raises
    ------
    FileNotFoundError
        If `folder` is not a directory.
    InputError
        As :func:`read_social_export`.
    """
    folder = Path(folder)
    quality = QualityLog() if quality is None else quality
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of social-media exports")
    frames = []
    for path in sorted(p for p in folder.iterdir()
                       if p.is_file() and p.suffix.lower() == ".csv"):
        platform = _FOLDER_FILES.get(path.name.casefold())
        if platform is None:
            header, rows, _ = _read_records(path)
            if detect_platform(header) is None:
                quality.count("social", "csv file not recognised as a social export: skipped",
                              len(rows), action="dropped",
                              detail=f"{path.name}: columns {', '.join(header)}")
                continue
        frames.append(read_social_export(path, platform=platform, quality=quality))
    if not frames:
        quality.timezone("social", TIMEZONE_NOTE)
        return validate(_empty(), "outreach", source=folder)
    df = pd.concat(frames, ignore_index=True)
    for channel in df["channel"].unique():
        part = df["channel"] == channel
        if df.loc[part, "post_id"].duplicated().any():
            kept = _drop_duplicates(df[part], source=f"social_{channel}", quality=quality,
                                    where=f"{folder.name} (across files)")
            df = pd.concat([df[~part], kept]).sort_index()
    return validate(df.reset_index(drop=True), "outreach", source=folder)


# ------------------------------------------------------------------------------- helpers

def _empty() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in OUTREACH_COLUMNS})
    df["published_at"] = pd.Series(dtype="datetime64[ns, UTC]")
    for c in ("exposures", "engagements", "clicks", "signups", "reach"):
        df[c] = pd.Series(dtype="Int64")
    df["impossible"] = pd.Series(dtype=bool)
    return df


def _resolve_platform(header, platform, path) -> str:
    found = {h.casefold() for h in header}
    if platform is None:
        detected = detect_platform(header)
        if detected is None:
            raise InputError(path, "header not recognised as a LinkedIn, Facebook or X/Twitter "
                             f"export. Expected columns: {_expected()}. "
                             f"Found: {', '.join(header) or 'none'}", row=1)
        platform = detected
    platform = _platform_name(platform, path)
    missing = [c for c in ("Date",) + _SIGNATURE[platform] if c.casefold() not in found]
    if missing:
        raise InputError(path, f"not a {_LABEL[platform]} export: missing column(s) "
                         f"{', '.join(missing)}. Expected: Date, "
                         f"{', '.join(_SIGNATURE[platform])}. Found: {', '.join(header)}",
                         row=1)
    return platform


def _parse_date(value: str, path, line: int) -> tuple[pd.Timestamp, str | None]:
    """A ``MM/DD/YYYY hh:mm AM TZ +hhmm`` cell as UTC, and "AM"/"PM" when its hour was 00."""
    m = _DATE.fullmatch(str(value).strip())
    if m is None:
        raise InputError(path, f"date {value!r} is not like '01/02/2024 02:28 PM EST -0500'",
                         row=line, column="Date")
    hour, ampm = int(m["hour"]), m["ampm"].upper()
    # The tool writes the twelfth hour as 00 ("00:19 PM" is 12:19 PM), am or pm alike.
    hour00 = ampm if hour == 0 else None
    if hour > 12:
        raise InputError(path, f"date {value!r}: hour {hour} with {ampm}", row=line,
                         column="Date")
    hour = hour % 12 + (12 if ampm == "PM" else 0)
    offset = (int(m["oh"]) * 60 + int(m["om"])) * (-1 if m["sign"] == "-" else 1)
    if not 1678 <= int(m["year"]) <= 2261:  # what datetime64[ns] holds
        raise InputError(path, f"date {value!r}: the year is outside 1678-2261", row=line,
                         column="Date")
    try:
        local = dt.datetime(int(m["year"]), int(m["month"]), int(m["day"]), hour,
                            int(m["minute"]), int(m["second"] or 0),
                            tzinfo=dt.timezone(dt.timedelta(minutes=offset)))
    except ValueError as exc:
        raise InputError(path, f"date {value!r} is not a valid date ({exc})", row=line,
                         column="Date") from None
    return pd.Timestamp(local).tz_convert("UTC"), hour00


def _parse_count(value: str, path, line: int, column: str) -> int | None:
    text = str(value).strip()
    if text == "":
        return None
    m = _NUMBER.fullmatch(text)
    if m is None:
        raise InputError(path, f"count {value!r} is not a number", row=line, column=column)
    number = int(m["int"].replace(",", ""))
    if m["frac"] and int(m["frac"]) != 0:
        raise InputError(path, f"count {value!r} is not a whole number", row=line,
                         column=column)
    if m["sign"] == "-" and number != 0:
        raise InputError(path, f"count {value!r} is negative", row=line, column=column)
    if number >= 2**63:  # beyond a 64-bit count: not a count any platform wrote
        raise InputError(path, f"count {value!r} is too large", row=line, column=column)
    return number


def _labels(value: str) -> tuple[str | None, str | None, str | None]:
    """(campaign, variant, message) from Labels like ``Spring 2026 | variant: x | message: M07``.

    The parts after the campaign may come in any order; a missing one is None.
    """
    text = str(value).strip()
    parts = {m["key"].casefold(): m["value"].strip() or None for m in _LABEL_PART.finditer(text)}
    first = _LABEL_PART.search(text)
    campaign = text if first is None else text[:first.start()].strip().rstrip("|").strip()
    return (campaign or None), parts.get("variant"), parts.get("message")


def _post_id(url: str, date: str, content: str) -> str:
    url = str(url).strip()
    if url:
        parts = urlparse(url)
        query = parse_qs(parts.query)
        # Facebook photo posts: https://www.facebook.com/photo.php?fbid=<id>&set=...
        for key in ("fbid", "story_fbid"):
            if query.get(key):
                return query[key][0]
        segments = [s for s in parts.path.split("/") if s]
        if "status" in segments and segments.index("status") + 1 < len(segments):
            return segments[segments.index("status") + 1]
        if segments:
            return segments[-1]
    # No usable Url: a stable id from what identifies the post.
    digest = hashlib.sha1(f"{str(date).strip()}\n{str(content).strip()}".encode()).hexdigest()
    return "h" + digest[:16]


def _flag_impossible(df: pd.DataFrame, *, source: str, quality: QualityLog,
                     where: str) -> pd.DataFrame:
    eng = (df["engagements"] > df["exposures"]).fillna(False).astype(bool)
    clicks = (df["clicks"] > df["exposures"]).fillna(False).astype(bool)
    df = df.assign(impossible=(eng | clicks).to_numpy())
    for rule, mask in ((RULE_ENG, eng), (RULE_CLICKS, clicks)):
        if mask.any():
            quality.count(source, rule, int(mask.sum()), action="flagged",
                          detail=f"{where}: post_id {', '.join(df.loc[mask, 'post_id'].head(5))}"
                          + (" ..." if mask.sum() > 5 else ""))
    return df


def _drop_duplicates(df: pd.DataFrame, *, source: str, quality: QualityLog, where: str,
                     exact=None) -> pd.DataFrame:
    """Drop exact duplicates (`exact`, default: equal in every column), then repeated post ids."""
    df, _ = drop_exact_duplicates(df, source=source, quality=quality, where=where,
                                  labels=df["post_id"], label="post_id", exact=exact)
    same_id = df.duplicated(["channel", "post_id"], keep="first")
    if same_id.any():
        quality.count(source, RULE_SAME_ID, int(same_id.sum()), action="dropped",
                      detail=f"{where}: post_id {', '.join(df.loc[same_id, 'post_id'].head(5))}")
        df = df[~same_id]
    return df.reset_index(drop=True)
