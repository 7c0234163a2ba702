"""Social-media post exports -> outreach: hand-made exports with known answers, bad inputs,
the real GenV exports (skipped when absent) and the simulated demo."""

import csv

import pandas as pd
import pytest

from engagement.schema import InputError, QualityLog, validate
from engagement.sources import social

LINKEDIN = ["Date", "Content", "Created by", "Labels", "Impressions", "Reach", "Clicks", "Likes",
            "Shares", "Comments", "Engagement", "Engagement rate per impression (%)",
            "Engagement rate per reach (%)", "export.csv.content.videoView", "Url"]
FACEBOOK = ["Date", "Content", "Created by", "Labels", "Organic Reach", "Paid Reach",
            "Total reach", "Organic impressions", "Paid impressions", "Total impressions",
            "Engaged users", "Engagement rate per reach (%)",
            "Engagement rate per impression (%)", "Clicks", "Link clicks", "Photo views",
            "Video play", "Other clicks", "Organic video views", "Paid video views",
            "Total video views", "Average time watched", "Average percentage of time watched",
            "Url"]
TWITTER = ["Date", "Content", "Created by", "Labels", "Impressions", "Likes", "Reposts",
           "Quote posts", "Replies", "Engagement", "Engagement rate per impression (%)",
           "Video views", "Url"]
LI_URL = "https://www.linkedin.com/feed/update/urn:li:share:"
X_URL = "https://twitter.com/Org/status/"


def write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def li_row(date, content="Post", labels="", imp="100", reach="80", clicks="5", eng="10",
           url=LI_URL + "1"):
    return [date, content, "", labels, imp, reach, clicks, "3", "1", "1", eng, "", "", "", url]


def fb_row(date, content="Post", labels="", imp="100", reach="90", engaged="10.0", clicks="4",
           url="https://www.facebook.com/1"):
    return [date, content, "", labels, reach, "0", reach, imp, "0", imp, engaged, "", "", clicks,
            "1", "1", "0", "2", "", "", "", "", "", url]


def x_row(date, content="Post", labels="", imp="100", eng="10", url=X_URL + "1"):
    return [date, content, "", labels, imp, "5", "1", "0", "1", eng, "", "", url]


def rule_rows(quality, source, rule_start, action=None):
    return sum(r["rows"] for r in quality.rules if r["source"] == source
               and r["rule"].startswith(rule_start) and (action is None or r["action"] == action))


# ------------------------------------------------------------------------- LinkedIn by hand

@pytest.fixture
def linkedin_file(tmp_path):
    rows = [
        # lines 2-3: quoted content with a newline and quotes, thousands separator, a variant
        li_row("01/02/2024 02:28 PM EST -0500", 'First line "quoted"\nsecond line',
               "Spring 2026 recruitment | variant: linkedin", imp="1,234", reach="987",
               clicks="12", eng="56", url=LI_URL + "111"),
        # line 4: the tool's "00:19 PM" is 12:19 PM
        li_row("01/01/2024 00:19 PM EST -0500", url=LI_URL + "222"),
        # line 5: summer time (EDT); impossible: 0 impressions, 3 engagements, 1 click
        li_row("07/04/2024 09:05 AM EDT -0400", imp="0", reach="0", clicks="1", eng="3",
               url=LI_URL + "333"),
        # line 6: exact duplicate of line 5
        li_row("07/04/2024 09:05 AM EDT -0400", imp="0", reach="0", clicks="1", eng="3",
               url=LI_URL + "333"),
        # line 7: same post as line 4, other numbers
        li_row("01/01/2024 01:19 PM EST -0500", eng="99", url=LI_URL + "222"),
        # line 8: no Url, empty Clicks; "00:05 AM" just after midnight in India
        li_row("03/10/2024 00:05 AM IST +0530", "No link", clicks="", url=""),
    ]
    return write(tmp_path / "li_export.csv", LINKEDIN, rows)


def test_linkedin_by_hand(linkedin_file):
    q = QualityLog()
    df = social.read_social_export(linkedin_file, quality=q)
    assert list(df.columns) == social.OUTREACH_COLUMNS
    assert len(df) == 4
    assert (df["channel"] == "linkedin").all()
    assert list(df["post_id"][:3]) == ["urn:li:share:111", "urn:li:share:222",
                                       "urn:li:share:333"]
    assert df["post_id"][3].startswith("h") and len(df["post_id"][3]) == 17
    assert list(df["published_at"]) == [
        pd.Timestamp("2024-01-02 19:28", tz="UTC"), pd.Timestamp("2024-01-01 17:19", tz="UTC"),
        pd.Timestamp("2024-07-04 13:05", tz="UTC"), pd.Timestamp("2024-03-09 18:35", tz="UTC")]
    assert str(df["published_at"].dtype) == "datetime64[ns, UTC]"
    first = df.iloc[0]
    assert first["content"] == 'First line "quoted"\nsecond line'
    assert (first["exposures"], first["reach"], first["clicks"], first["engagements"]) == \
        (1234, 987, 12, 56)
    assert first["variant"] == "linkedin" and first["campaign"] == "Spring 2026 recruitment"
    assert df["variant"][1:].isna().all() and df["campaign"][1:].isna().all()
    assert df["message"].isna().all()  # no "message:" part in these Labels
    # the first row of the repeated post id is kept (10 engagements, not 99)
    assert df.loc[1, "engagements"] == 10
    assert list(df["impossible"]) == [False, False, True, False]
    assert df["clicks"].isna().tolist() == [False, False, False, True]
    assert df["signups"].isna().all()
    for col in ("exposures", "engagements", "clicks", "signups", "reach"):
        assert str(df[col].dtype) == "Int64"
    validate(df, "outreach")

    src = "social_linkedin"
    assert q.rows_read == {src: 6}
    assert q.raw_files[0]["file"] == "li_export.csv" and q.raw_files[0]["rows"] == 6
    assert q.timezones == {"social": "offset in each date"}
    assert rule_rows(q, src, "date written 00:MM PM", "fixed") == 1
    assert rule_rows(q, src, "date written 00:MM AM", "fixed") == 1
    assert rule_rows(q, src, "exact duplicate", "dropped") == 1
    assert rule_rows(q, src, "same post_id", "dropped") == 1
    assert q.dropped(src) == 2
    assert rule_rows(q, src, "empty Clicks", "flagged") == 1
    assert rule_rows(q, src, "impossible: engagements > exposures", "flagged") == 1
    assert rule_rows(q, src, "impossible: clicks > exposures", "flagged") == 1


def test_hash_post_id_is_stable(linkedin_file, tmp_path):
    a = social.read_social_export(linkedin_file)
    b = social.read_social_export(linkedin_file)
    assert a["post_id"][3] == b["post_id"][3]
    other = write(tmp_path / "other.csv", LINKEDIN,
                  [li_row("03/10/2024 00:05 AM IST +0530", "Other text", url="")])
    assert social.read_social_export(other)["post_id"][0] != a["post_id"][3]


def test_input_not_modified(linkedin_file):
    before = linkedin_file.read_bytes()
    social.read_social_export(linkedin_file)
    assert linkedin_file.read_bytes() == before


# ------------------------------------------------------------------------- Facebook, X by hand

def test_facebook_by_hand(tmp_path):
    path = write(tmp_path / "fb.csv", FACEBOOK, [
        fb_row("06/13/2024 00:07 AM IST +0530", "Photo post", "AI Article", imp="12,345",
               reach="10,001", engaged="1,234.0", clicks="1,001",
               url="https://www.facebook.com/photo.php?fbid=999&set=a.1&type=3"),
        fb_row("09/20/2023 04:40 PM EDT -0400", engaged="",
               url="https://www.facebook.com/123/posts/456"),
        fb_row("11/01/2023 10:00 AM ART -0300", url="https://www.facebook.com/777"),
    ])
    q = QualityLog()
    df = social.read_social_export(path, quality=q)
    assert list(df["post_id"]) == ["999", "456", "777"]
    assert list(df["published_at"]) == [
        pd.Timestamp("2024-06-12 18:37", tz="UTC"), pd.Timestamp("2023-09-20 20:40", tz="UTC"),
        pd.Timestamp("2023-11-01 13:00", tz="UTC")]
    assert (df.loc[0, "exposures"], df.loc[0, "reach"], df.loc[0, "engagements"],
            df.loc[0, "clicks"]) == (12345, 10001, 1234, 1001)
    assert pd.isna(df.loc[1, "engagements"])
    assert df.loc[0, "campaign"] == "AI Article" and pd.isna(df.loc[0, "variant"])
    assert not df["impossible"].any()
    assert rule_rows(q, "social_facebook", "empty Engaged users", "flagged") == 1
    assert q.rows_read == {"social_facebook": 3}


def test_x_by_hand(tmp_path):
    path = write(tmp_path / "tw.csv", TWITTER, [
        x_row("02/08/2024 00:59 PM EST -0500", imp="2,500", eng="1,100", url=X_URL + "42"),
        x_row("02/09/2024 11:00 AM EST -0500", imp="0", eng="7", url=X_URL + "43"),
    ])
    q = QualityLog()
    df = social.read_social_export(path, quality=q)
    assert list(df["channel"]) == ["x", "x"]
    assert list(df["post_id"]) == ["42", "43"]
    assert df.loc[0, "published_at"] == pd.Timestamp("2024-02-08 17:59", tz="UTC")
    assert (df.loc[0, "exposures"], df.loc[0, "engagements"]) == (2500, 1100)
    assert df["clicks"].isna().all() and df["reach"].isna().all()
    assert list(df["impossible"]) == [False, True]
    assert rule_rows(q, "social_x", "impossible: engagements", "flagged") == 1
    assert rule_rows(q, "social_x", "no Clicks column", "flagged") == 2


def test_platform_given(tmp_path):
    path = write(tmp_path / "t.csv", TWITTER, [x_row("02/09/2024 11:00 AM EST -0500")])
    assert social.read_social_export(path, platform="twitter")["channel"][0] == "x"
    assert social.read_social_export(path, platform="X")["channel"][0] == "x"
    with pytest.raises(InputError, match="not a LinkedIn export: missing column.*Reach"):
        social.read_social_export(path, platform="linkedin")
    with pytest.raises(ValueError, match="platform must be one of"):
        social.read_social_export(path, platform="myspace")


def test_detect_platform():
    assert social.detect_platform(LINKEDIN) == "linkedin"
    assert social.detect_platform(FACEBOOK) == "facebook"
    assert social.detect_platform(TWITTER) == "x"
    assert social.detect_platform(["Date", "Impressions", "Clicks"]) is None


def test_empty_export(tmp_path):
    df = social.read_social_export(write(tmp_path / "e.csv", TWITTER, []))
    assert len(df) == 0 and list(df.columns) == social.OUTREACH_COLUMNS


# ------------------------------------------------------------------------------- bad inputs

def test_unknown_header(tmp_path):
    path = write(tmp_path / "odd.csv", ["Date", "Views", "Hearts"], [["01/02/2024", "1", "2"]])
    with pytest.raises(InputError) as err:
        social.read_social_export(path)
    e = err.value
    assert e.file.endswith("odd.csv") and e.row == 1
    assert "Expected columns" in str(e) and "Total impressions" in str(e)
    assert "Reposts" in str(e) and "Found: Date, Views, Hearts" in str(e)


def _multiline_then(tmp_path, bad_row):
    # the first record spans lines 2-3, so the bad record starts on line 4
    return write(tmp_path / "bad.csv", LINKEDIN,
                 [li_row("01/02/2024 02:28 PM EST -0500", "two\nlines"), bad_row])


@pytest.mark.parametrize("row, column, message", [
    (li_row("2024-01-02 14:28", url=LI_URL + "2"), "Date", "2024-01-02 14:28"),
    (li_row("02/30/2024 02:28 PM EST -0500", url=LI_URL + "2"), "Date", "not a valid date"),
    (li_row("01/02/2024 02:28 PM EST", url=LI_URL + "2"), "Date", "is not like"),
    (li_row("01/02/2024 02:28 PM EST -0500", imp="-5", url=LI_URL + "2"), "Impressions",
     "negative"),
    (li_row("01/02/2024 02:28 PM EST -0500", eng="12a", url=LI_URL + "2"), "Engagement",
     "not a number"),
    (li_row("01/02/2024 02:28 PM EST -0500", clicks="n/a", url=LI_URL + "2"), "Clicks",
     "not a number"),
    (li_row("01/02/2024 02:28 PM EST -0500", reach="1.5", url=LI_URL + "2"), "Reach",
     "not a whole number"),
])
def test_bad_values_name_file_row_column(tmp_path, row, column, message):
    path = _multiline_then(tmp_path, row)
    with pytest.raises(InputError, match=message) as err:
        social.read_social_export(path)
    assert err.value.file == str(path)
    assert err.value.row == 4
    assert err.value.column == column
    assert f"bad.csv, row 4, column '{column}'" in str(err.value)


# ---------------------------------------------------------------------------------- folder

def test_read_folder(tmp_path, linkedin_file):
    folder = tmp_path / "social"
    folder.mkdir()
    write(folder / "linkedin.csv", LINKEDIN, [li_row("01/02/2024 02:28 PM EST -0500")])
    write(folder / "twitter.csv", TWITTER, [x_row("01/03/2024 02:28 PM EST -0500")])
    # recognised by its header although not a standard name; repeats linkedin.csv's post
    write(folder / "linkedin_2023.csv", LINKEDIN,
          [li_row("12/02/2023 02:28 PM EST -0500", url=LI_URL + "5"),
           li_row("01/02/2024 02:28 PM EST -0500")])
    write(folder / "notes.csv", ["note"], [["hello"], ["world"]])
    q = QualityLog()
    df = social.read_social_folder(folder, quality=q)
    # files in name order: linkedin.csv, linkedin_2023.csv, twitter.csv; notes.csv skipped
    assert list(zip(df["channel"], df["post_id"])) == [
        ("linkedin", "urn:li:share:1"), ("linkedin", "urn:li:share:5"), ("x", "1")]
    assert set(q.rows_read) == {"social_linkedin", "social_x"}
    assert q.rows_read["social_linkedin"] == 3
    assert q.dropped("social_linkedin") == 1
    assert rule_rows(q, "social", "csv file not recognised", "dropped") == 2
    validate(df, "outreach")


def test_folder_wrong_header_for_name(tmp_path):
    folder = tmp_path / "social"
    folder.mkdir()
    write(folder / "facebook.csv", TWITTER, [x_row("01/03/2024 02:28 PM EST -0500")])
    with pytest.raises(InputError, match="not a Facebook export"):
        social.read_social_folder(folder)


def test_folder_empty_and_missing(tmp_path):
    df = social.read_social_folder(tmp_path)
    assert len(df) == 0 and list(df.columns) == social.OUTREACH_COLUMNS
    with pytest.raises(FileNotFoundError):
        social.read_social_folder(tmp_path / "absent")


# ------------------------------------------------------------------------------- real data

PUBLISHED = {"facebook": ("genv_facebook.csv", 2601), "linkedin": ("genv_linkedin.csv", 35),
             "x": ("genv_twitter.csv", 502)}


@pytest.mark.parametrize("platform", list(PUBLISHED))
def test_real_exports(shared_data_dir, platform):
    name, published = PUBLISHED[platform]
    q = QualityLog()
    df = social.read_social_export(shared_data_dir("social-exports") / name, quality=q)
    source = f"social_{platform}"
    assert (df["channel"] == platform).all()
    assert q.rows_read[source] == published
    assert len(df) + q.dropped(source) == published
    # observed range: X goes back to 2019, the last posts are from July 2024
    assert df["published_at"].min() >= pd.Timestamp("2019-01-01", tz="UTC")
    assert df["published_at"].max() < pd.Timestamp("2024-08-01", tz="UTC")
    assert df["published_at"].notna().all() and df["exposures"].notna().all()
    assert df["variant"].isna().all()  # observational: no split-test labels
    assert (df["impossible"] == (df["engagements"] > df["exposures"]).fillna(False)).all()
    assert rule_rows(q, source, "date written 00:MM PM", "fixed") > 0
    if platform == "x":
        assert df["impossible"].sum() == 37
        assert rule_rows(q, source, "impossible: engagements", "flagged") == 37
    if platform == "facebook":
        # one photo post id appears twice with other numbers; 462 posts lack Engaged users
        assert q.dropped(source) == 1
        assert df["engagements"].isna().sum() == 462
        assert rule_rows(q, source, "empty Engaged users", "flagged") == 462
        assert df["reach"].notna().all() and df["clicks"].notna().all()


@pytest.mark.parametrize("labels, expected", [
    ("Spring 2026 recruitment | variant: linkedin | message: M07",
     ("Spring 2026 recruitment", "linkedin", "M07")),
    ("Spring 2026 recruitment | message: M07 | variant: x", ("Spring 2026 recruitment", "x", "M07")),
    ("Spring 2026 recruitment | variant: facebook", ("Spring 2026 recruitment", "facebook", None)),
    ("AI Article", ("AI Article", None, None)),
    ("", (None, None, None)),
    ("Autumn | variant:  | message: M1 ", ("Autumn", None, "M1")),
])
def test_labels_parts(labels, expected):
    assert social._labels(labels) == expected


def test_message_column_from_labels(tmp_path):
    path = write(tmp_path / "li.csv", LINKEDIN, [
        li_row("01/02/2024 02:28 PM EST -0500", labels="Spring | variant: linkedin | message: M07",
               url=LI_URL + "1"),
        li_row("01/03/2024 02:28 PM EST -0500", labels="Other news", url=LI_URL + "2")])
    df = social.read_social_export(path)
    assert list(df["message"].isna()) == [False, True]
    assert (df.loc[0, "campaign"], df.loc[0, "variant"], df.loc[0, "message"]) == \
        ("Spring", "linkedin", "M07")
    assert df.loc[1, "campaign"] == "Other news" and pd.isna(df.loc[1, "variant"])


# ------------------------------------------------------------------------------------ demo

@pytest.fixture(scope="module")
def demo_raw(tmp_path_factory):
    from engagement.sources import demo
    out = tmp_path_factory.mktemp("socialdemo") / "demo"
    demo.write_demo(out, n_learners=200)
    return out


def test_demo_folder(demo_raw):
    from engagement.sources import demo
    q = QualityLog()
    df = social.read_social_folder(demo_raw / "social", quality=q)
    assert set(df["channel"]) == {"linkedin", "facebook", "x"}
    tested = df.dropna(subset=["variant"])
    assert (tested["variant"] == tested["channel"]).all()
    assert set(tested["variant"]) == {"linkedin", "facebook", "x"}
    assert tested["campaign"].nunique() == 1
    assert df.loc[df["variant"].isna(), "campaign"].isna().all()
    # paired design: every message key on the three platforms
    assert tested["message"].notna().all() and df.loc[df["variant"].isna(), "message"].isna().all()
    per = tested.groupby("message")["channel"].agg(lambda c: tuple(sorted(c)))
    assert len(per) == demo.N_CAMPAIGN_MESSAGES and (per == ("facebook", "linkedin", "x")).all()
    rate = (df["engagements"] / df["exposures"]).astype(float).groupby(df["channel"]).mean()
    assert rate["linkedin"] > rate["facebook"] and rate["linkedin"] > rate["x"]
    assert not df["impossible"].any() and sum(q.rows_read.values()) == len(df)
    # the posts are those simulated: same times (UTC), impressions and engagements
    truth = demo.simulate(n_learners=200).outreach
    key = ["channel", "published_at", "exposures", "engagements"]
    got = df[key].astype({"exposures": int, "engagements": int})
    want = truth[key].astype({"exposures": int, "engagements": int})
    pd.testing.assert_frame_equal(got.sort_values(key).reset_index(drop=True),
                                  want.sort_values(key).reset_index(drop=True),
                                  check_dtype=False)
