"""The simulated demo community: raw files in the documented layout, determinism, planted effects."""

import csv
import io
import json
import os
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engagement.sources import demo

REPO = Path(__file__).resolve().parents[1]
SMALL = dict(n_learners=240, n_organisations=5, n_courses=3, weeks=8)

HEADERS = {
    "courses.csv": "course,title,starts_on,ends_on",
    "enrolments.csv": "user_id,full_name,email,course,organisation,enrolled_at,acquisition_channel",
    "outcomes.csv": "user_id,course,result,completed_on,withdrawn_on,score",
    "attendance/zoom_webinars.csv": "Meeting ID,Topic,Name (Original Name),User Email,Join Time,"
                                    "Leave Time,Duration (Minutes),Guest",
    "attendance/signin_tutorials.csv": "Date,Start,Course,Format,Full name,Email,Organisation",
}
MOODLE_HEADER = ("Time,User full name,Affected user,Event context,Component,Event name,"
                 "Description,Origin,IP address")
FORUM_HEADER = "id,discussion,parent,userid,userfullname,created,subject,message"


def shared_data() -> Path:
    return Path(os.environ.get("ENGAGEMENT_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "small"
    manifest = demo.write_demo(out, seed=11, **SMALL)
    return out, manifest


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "default"
    return out, demo.write_demo(out)


@pytest.fixture(scope="module")
def community():
    return demo.simulate(seed=2026, n_learners=800)


@pytest.fixture(scope="module")
def big_truth():
    return demo.truth().set_index("estimand")["value"]


def _lines(path: Path, encoding: str) -> list[str]:
    return path.read_bytes().decode(encoding).splitlines()


def _md5s(manifest):
    return {f["path"]: f["md5"] for f in manifest["files"]}


# ------------------------------------------------------------------ layout and determinism
def test_layout_and_manifest(small):
    out, manifest = small
    codes = ["DIG101", "COM201", "LEAD301"]
    expected = {f"moodle_logs/{c}.csv" for c in codes} | {f"forum_posts/{c}.csv" for c in codes} | {
        "courses.csv", "enrolments.csv", "outcomes.csv", "attendance/zoom_webinars.csv",
        "attendance/signin_tutorials.csv", "social/linkedin.csv", "social/facebook.csv",
        "social/twitter.csv", "email/invitation_test.csv"}
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == expected | {"MANIFEST.json"}
    on_disk = json.loads((out / "MANIFEST.json").read_text())
    assert on_disk == manifest
    assert manifest["seed"] == 11 and manifest["parameters"]["n_learners"] == 240
    assert {f["path"] for f in manifest["files"]} == expected
    from engagement.schema import file_md5
    for f in manifest["files"]:
        assert file_md5(out / f["path"]) == f["md5"]
        assert f["timezone"]
    assert {f["path"]: f["timezone"] for f in manifest["files"]}[
        "email/invitation_test.csv"] == "Europe/London"
    assert manifest["timezones"]["email"] == "Europe/London"
    enc = {f["path"]: f["encoding"] for f in manifest["files"]}
    assert enc["moodle_logs/DIG101.csv"] == "cp1252"
    assert enc["moodle_logs/COM201.csv"] == "utf-8-sig"
    assert enc["moodle_logs/LEAD301.csv"] == "utf-8"
    assert (out / "moodle_logs/COM201.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert not (out / "moodle_logs/DIG101.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    # no temporary sibling left behind
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_same_seed_same_bytes_other_seed_differs(small, tmp_path):
    _, manifest = small
    again = demo.write_demo(tmp_path / "again", seed=11, **SMALL)
    assert _md5s(again) == _md5s(manifest)
    other = demo.write_demo(tmp_path / "other", seed=12, **SMALL)
    differ = [p for p, m in _md5s(other).items() if _md5s(manifest)[p] != m]
    assert "moodle_logs/DIG101.csv" in differ and "enrolments.csv" in differ


def test_refuses_to_overwrite(small, tmp_path):
    out, manifest = small
    before = _md5s(manifest)
    with pytest.raises(FileExistsError, match="delete it"):
        demo.write_demo(out, seed=11, **SMALL)
    assert _md5s(json.loads((out / "MANIFEST.json").read_text())) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    demo.write_demo(empty, seed=3, n_learners=60, n_organisations=3, weeks=4)
    assert (empty / "MANIFEST.json").exists()


# ------------------------------------------------------------------ formats
def test_headers(small):
    out, _ = small
    for name, header in HEADERS.items():
        assert _lines(out / name, "utf-8")[0] == header, name
    for code, enc in (("DIG101", "cp1252"), ("COM201", "utf-8-sig"), ("LEAD301", "utf-8")):
        assert _lines(out / f"moodle_logs/{code}.csv", enc)[0] == MOODLE_HEADER
        assert _lines(out / f"forum_posts/{code}.csv", "utf-8")[0] == FORUM_HEADER


def test_social_headers_match_the_real_exports(small):
    out, _ = small
    real = shared_data() / "social-exports"
    if not real.is_dir():
        pytest.skip(f"real social exports absent at {real} (set ENGAGEMENT_SHARED_DATA)")
    for ours, theirs in (("linkedin", "genv_linkedin.csv"), ("facebook", "genv_facebook.csv"),
                         ("twitter", "genv_twitter.csv")):
        assert (_lines(out / f"social/{ours}.csv", "utf-8")[0]
                == _lines(real / theirs, "utf-8")[0])


def test_social_quirks(default_demo):
    out, _ = default_demo
    text = "".join((out / f"social/{p}.csv").read_text("utf-8") for p in ("linkedin", "facebook", "twitter"))
    assert re.search(r'"\d{1,3},\d{3}"', text)  # thousands separators, quoted
    assert "EST -0500" in text and "EDT -0400" in text
    rows = list(csv.DictReader(io.StringIO((out / "social/linkedin.csv").read_text("utf-8"))))
    dates = [r["Date"] for r in rows]
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d [AP]M E[SD]T -0[45]00", d) for d in dates)
    labels = {r["Labels"] for r in rows}
    assert f"{demo.CAMPAIGN} | variant: linkedin | message: M01" in labels and "" in labels
    assert len(labels) == demo.N_CAMPAIGN_MESSAGES + 1
    for r in rows:
        eng = sum(int(r[k].replace(",", "")) for k in ("Clicks", "Likes", "Shares", "Comments"))
        assert eng == int(r["Engagement"].replace(",", ""))


def _moodle_rows(out: Path, code: str, enc: str):
    text = (out / f"moodle_logs/{code}.csv").read_bytes().decode(enc)
    return list(csv.reader(io.StringIO(text, newline="")))[1:]


def test_moodle_log_format_and_mess(small):
    out, _ = small
    enrolled = set(pd.read_csv(out / "enrolments.csv")["user_id"].astype(str))
    all_rows, malformed = [], 0
    for code, enc in (("DIG101", "cp1252"), ("COM201", "utf-8-sig"), ("LEAD301", "utf-8")):
        rows = _moodle_rows(out, code, enc)
        malformed += sum(len(r) != 9 for r in rows)
        good = [r for r in rows if len(r) == 9]
        times = [datetime.strptime(r[0], "%d/%m/%y, %H:%M") for r in good]
        assert times == sorted(times, reverse=True)  # newest first
        assert any(re.match(r"\d/", r[0]) for r in good)  # no leading zero on the day
        assert all(r[1] == "-" and r[2] == "-" and r[7] == "web" for r in good)
        all_rows += good
    assert malformed == 3
    actor = [re.match(r"The user with id '(-?\d+)'", r[6]).group(1) for r in all_rows]
    events = pd.DataFrame({"actor": actor, "event": [r[5] for r in all_rows],
                           "row": ["\x1f".join(r) for r in all_rows]})
    staff = events[~events["actor"].isin(enrolled)]
    assert {"0", "2", "-1"} <= set(staff["actor"])
    teacher = staff[~staff["actor"].isin(["0", "2", "-1"])]
    assert {"Grading table viewed", "User graded", "Course module updated", "Course viewed"} <= set(
        teacher["event"])
    assert set(events.loc[events["actor"] == "2", "event"]) == {"Course updated", "Course viewed"}
    assert set(events.loc[events["actor"] == "-1", "event"]) == {"User graded"}
    dup_share = events["row"].duplicated().mean()
    assert 0.005 < dup_share < 0.02
    # test accounts are enrolled and active
    enrol = pd.read_csv(out / "enrolments.csv", dtype=str)
    tests = enrol[enrol["full_name"].str.startswith("Test Student")]
    assert 2 <= tests["user_id"].nunique() <= 3
    assert tests["email"].str.fullmatch(r"test\.student\d@learnwell\.example").all()
    assert events["actor"].isin(set(tests["user_id"])).any()
    # the learner events named in the brief are there
    assert {"Quiz attempt started", "Quiz attempt submitted", "A submission has been submitted.",
            "Course module completion updated", "Course completed", "Discussion viewed",
            "Post created", "Discussion created", "Course module viewed"} <= set(events["event"])


def test_forum_posts_match_the_log(small):
    out, _ = small
    posts = pd.read_csv(out / "forum_posts/LEAD301.csv")
    assert (posts["parent"].eq(0) | posts["parent"].isin(posts["id"])).all()
    rows = _moodle_rows(out, "LEAD301", "utf-8")
    created = {re.search(r"created the post with id '(\d+)'", r[6]).group(1)
               for r in rows if len(r) == 9 and r[5] == "Post created"}
    replies = set(posts.loc[posts["parent"] > 0, "id"].astype(str))
    assert replies == created
    assert posts["created"].between(1.7e9, 1.8e9).all()


def test_attendance_files(default_demo):
    out, _ = default_demo
    enrol = pd.read_csv(out / "enrolments.csv", dtype=str)
    zoom = pd.read_csv(out / "attendance/zoom_webinars.csv", dtype=str, keep_default_na=False)
    for col in ("Join Time", "Leave Time"):
        pd.to_datetime(zoom[col], format="%m/%d/%Y %I:%M:%S %p")
    assert zoom["Topic"].str.match(r"(DIG101|COM201|LEAD301) webinar: week \d+$").all()
    # 18:30 in London is 13:30 in New York in winter: the report is in New York time
    first = zoom[zoom["Topic"] == "DIG101 webinar: week 1"]
    joins = pd.to_datetime(first["Join Time"], format="%m/%d/%Y %I:%M:%S %p")
    assert joins.dt.hour.between(13, 14).all()
    assert zoom.duplicated(["Meeting ID", "Name (Original Name)"]).any()  # rejoins

    def matched(df, name_col, email_col):
        norm = lambda s: s.str.lower().str.split().str.join(" ")
        keys = set(norm(enrol["full_name"]))
        return df[email_col].isin(set(enrol["email"])) | norm(df[name_col]).isin(keys)
    z_match = matched(zoom, "Name (Original Name)", "User Email")
    assert 0.05 < 1 - z_match.mean() < 0.18
    assert (zoom["User Email"] == "").any()
    sign = pd.read_csv(out / "attendance/signin_tutorials.csv", dtype=str, keep_default_na=False)
    pd.to_datetime(sign["Date"], format="%d/%m/%Y")
    assert set(sign["Format"]) == {"tutorial", "face_to_face"}
    assert sign["Start"].str.fullmatch(r"\d\d:\d\d").all()
    assert (sign["Email"] == "").mean() > 0.5
    s_match = matched(sign, "Full name", "Email")
    assert 0.05 < 1 - s_match.mean() < 0.18


# ------------------------------------------------------------------ the model
def test_sizes_and_never_starters(community):
    L = community.learners
    assert len(L) == 800
    assert L["organisation"].nunique() == 12
    assert L.groupby("organisation").size().std() > 5  # unequal sizes
    assert 0.10 <= L["never_started"].mean() <= 0.15
    started = set(community.events["learner_id"] + "|" + community.events["course"])
    keys = L["learner_id"] + "|" + L["course"]
    assert not keys[L["never_started"]].isin(started).any()
    assert keys[~L["never_started"]].isin(started).all()
    assert (L.groupby("learner_id").size() == 2).sum() > 0  # some in two courses
    assert set(L["acquisition_channel"]) == {"linkedin", "facebook", "x", "email", "other"}
    from engagement.schema import validate
    for table in ("courses", "learners", "events", "outreach", "outcomes"):
        validate(getattr(community, table), table)


def test_activity_fades(community):
    w = community.weekly
    first_week = community.learners.loc[community.learners["first_active_week"] == 0]
    cohort = w[w["enrolment"].isin(first_week.index)]
    share = cohort.groupby("week")["active"].mean()
    assert share[1] == 1.0
    assert share[8] < 0.5 * share[2]
    # the same fading in the events themselves
    ev = community.events[community.events["source"].isin(["lms", "forum"])]
    wk = ((ev["timestamp"] - community.courses["starts_at"].iloc[0]).dt.days // 7) + 1
    per_week = ev.assign(week=wk).groupby("week")["learner_id"].nunique()
    assert per_week[8] < per_week[2]


def test_events_agree_with_latent_activity(community):
    ev = community.events[community.events["source"].isin(["lms", "forum"])]
    local = ev["timestamp"].dt.tz_convert("Europe/London").dt.tz_localize(None)
    week = (local - pd.Timestamp(community.params["start"])).dt.days // 7 + 1
    seen = set(zip(ev["learner_id"], ev["course"], week))
    w = community.weekly[community.weekly["active"]]
    assert seen == set(zip(w["learner_id"], w["course"], w["week"]))


def test_truth_confounding_and_directions(big_truth):
    t = big_truth
    assert t["naive_attendance_difference"] > t["attendance_lift"] > 0.02
    assert t["peer_reply_hazard_ratio"] == pytest.approx(demo.PEER_REPLY_HAZARD_RATIO)
    assert t["colleague_activity_effect"] == pytest.approx(demo.COLLEAGUE_LOG_ODDS)
    rates = t[["engagement_rate_linkedin", "engagement_rate_facebook", "engagement_rate_x"]]
    assert rates.idxmax() == "engagement_rate_linkedin"
    assert t["linkedin_vs_other_rate_ratio"] == pytest.approx(demo.LINKEDIN_RATE_RATIO)


def test_truth_null_when_effects_zero():
    t = demo.truth(n_learners=4000, effects=0).set_index("estimand")["value"]
    assert t["attendance_lift"] == 0.0
    assert t["peer_reply_hazard_ratio"] == 1.0
    assert t["colleague_activity_effect"] == 0.0
    assert t["linkedin_vs_other_rate_ratio"] == 1.0
    assert t["engagement_rate_linkedin"] == t["engagement_rate_facebook"] == t["engagement_rate_x"]
    assert t["naive_attendance_difference"] > 0.05  # confounding alone


def test_attendance_lift_recovered_by_paired_check(community, big_truth):
    """Paired potential outcomes from the community's own latent state vs the big truth."""
    w = community.weekly.sort_values(["enrolment", "week"])
    nxt = w.groupby("enrolment").shift(-1)
    rows = w["attended"] & nxt["week"].notna()
    y1 = nxt.loc[rows, "active"].astype(bool)
    y0 = nxt.loc[rows, "u_active"] < nxt.loc[rows, "p_active_without_attendance"]
    lift = (y1.astype(float) - y0.astype(float)).mean()
    assert lift == pytest.approx(big_truth["attendance_lift"], abs=0.03)
    # the attended rows in the latent table are the attendance table
    assert rows.sum() + w.loc[w["week"] == w["week"].max(), "attended"].sum() == len(community.attendance)
    # adjusting for prior-week activity gets close; the naive difference does not
    prev = w.groupby("enrolment")["active"].shift(1)
    elig = w["attend_eligible"] & nxt["week"].notna()
    d = pd.DataFrame({"att": w["attended"], "prev": prev, "y": nxt["active"].astype(float)})[elig]
    rates = d.groupby(["prev", "att"])["y"].mean().unstack()
    weights = d[d["att"]].groupby("prev").size()
    adjusted = ((rates[True] - rates[False]) * weights).sum() / weights.sum()
    naive = d.loc[d["att"], "y"].mean() - d.loc[~d["att"], "y"].mean()
    assert abs(adjusted - big_truth["attendance_lift"]) < 0.05
    assert naive > big_truth["attendance_lift"] + 0.1


def test_peer_replies_in_week_one_come_from_the_forum(community):
    L = community.learners
    fp = community.forum_posts
    intro = fp[(fp["forum"] == "Introductions") & (fp["parent_id"] == 0) & (fp["enr"] >= 0)]
    peer = fp[fp["parent_id"].isin(intro["post_id"]) & (fp["enr"] >= 0)]
    got = set(intro.set_index("post_id").loc[peer["parent_id"], "enr"])
    assert got == set(np.nonzero(L["peer_reply_week_one"].to_numpy())[0])
    assert 0.1 < L["peer_reply_week_one"].mean() < 0.5


def test_outreach_split_test_is_paired_by_message(community):
    o = community.outreach
    test = o[o["campaign"].notna()]
    assert len(test) == demo.N_CAMPAIGN_POSTS == 3 * demo.N_CAMPAIGN_MESSAGES
    assert set(test["variant"]) == {"linkedin", "facebook", "x"}
    # every message on every channel, once, on the same day
    per = test.groupby("message")["channel"].agg(lambda s: tuple(sorted(s)))
    assert len(per) == demo.N_CAMPAIGN_MESSAGES
    assert (per == ("facebook", "linkedin", "x")).all()
    days = test.groupby("message")["published_local"].agg(lambda s: s.dt.date.nunique())
    assert (days == 1).all()
    assert o.loc[o["campaign"].isna(), "message"].isna().all()
    assert (test["labels"] == [f"{demo.CAMPAIGN} | variant: {c} | message: {m}"
                               for c, m in zip(test["channel"], test["message"])]).all()
    # a message effect shared across channels, plus between-post noise
    means = test.pivot(index="message", columns="channel", values="true_mean_rate")
    assert means["facebook"].std() > 0
    assert np.allclose(means["linkedin"] / means["facebook"], demo.LINKEDIN_RATE_RATIO)
    assert np.allclose(means["x"], means["facebook"])
    assert test["true_rate"].ne(test["true_mean_rate"]).all()
    rate = (test["engagements"] / test["exposures"]).groupby(test["channel"]).mean()
    assert rate.idxmax() == "linkedin"


def test_paired_posts_share_their_content(small):
    out, _ = small
    texts = {}
    for platform in ("linkedin", "facebook", "twitter"):
        rows = list(csv.DictReader(io.StringIO((out / f"social/{platform}.csv").read_text("utf-8"))))
        for r in rows:
            m = re.search(r"\| message: (M\d\d)$", r["Labels"])
            if m:
                texts.setdefault(m.group(1), {})[platform] = r["Content"]
    assert len(texts) == demo.N_CAMPAIGN_MESSAGES
    assert all(len(t) == 3 and len(set(t.values())) == 1 for t in texts.values())
    assert len({next(iter(t.values())) for t in texts.values()}) == demo.N_CAMPAIGN_MESSAGES


def test_truth_channels_within_message(big_truth):
    t = big_truth
    assert t["linkedin_within_message_rate_ratio"] == pytest.approx(demo.LINKEDIN_RATE_RATIO)
    assert t["engagement_rate_linkedin_within_message"] > t["engagement_rate_facebook_within_message"]
    assert t["engagement_rate_linkedin_within_message"] > t["engagement_rate_x_within_message"]
    assert t["engagement_rate_facebook"] == pytest.approx(demo.BASE_ENGAGEMENT_RATE)


def test_email_invitation_file(small):
    out, _ = small
    lines = _lines(out / "email/invitation_test.csv", "utf-8")
    assert lines[0] == "recipient_email,variant,sent_at,opened,clicked,signed_up"
    e = pd.read_csv(out / "email/invitation_test.csv", dtype=str)
    assert len(e) == demo.N_EMAIL_RECIPIENTS and e["recipient_email"].is_unique
    n = e["variant"].value_counts()
    assert set(n.index) == {"A", "B", "C"} and n.max() - n.min() <= 1
    assert pd.to_datetime(e["sent_at"], format="%Y-%m-%d %H:%M").notna().all()
    flags = e[["opened", "clicked", "signed_up"]].astype(int)
    assert set(flags.stack()) == {0, 1}
    # clicks need an open, sign-ups a click (in the simulation)
    assert (flags["clicked"] <= flags["opened"]).all()
    assert (flags["signed_up"] <= flags["clicked"]).all()
    rate = flags["signed_up"].groupby(e["variant"]).mean()
    assert rate.idxmax() == demo.EMAIL_LIFT_VARIANT


def test_email_truth_lift_present_then_null(big_truth):
    t = big_truth
    assert t["email_signup_rate_ratio"] == pytest.approx(demo.EMAIL_SIGNUP_RATIO)
    assert t["email_signup_rate_B"] > t["email_signup_rate_A"] == t["email_signup_rate_C"]
    assert t["email_signup_lift"] > 0.01
    null = demo.truth(n_learners=2000, effects=0).set_index("estimand")["value"]
    assert null["email_signup_rate_ratio"] == pytest.approx(1.0)
    assert null["email_signup_lift"] == pytest.approx(0.0)
    assert null["email_signup_rate_A"] == null["email_signup_rate_B"]
    assert null["linkedin_within_message_rate_ratio"] == pytest.approx(1.0)


def test_default_write_is_fast_enough_and_docstring_numbers(default_demo):
    # the defaults ran in the fixture; the docstring quotes the constants the code uses
    assert f"HR = {demo.PEER_REPLY_HAZARD_RATIO}" in demo.__doc__
    assert f"delta = {demo.ATTENDANCE_LOG_ODDS}" in demo.__doc__
    assert f"gamma = {demo.COLLEAGUE_LOG_ODDS}" in demo.__doc__
    out, manifest = default_demo
    assert manifest["parameters"]["n_learners"] == 800
    enrol = pd.read_csv(out / "enrolments.csv", dtype=str)
    assert len(enrol) == 800 + enrol["full_name"].str.startswith("Test Student").sum()
    assert pd.to_datetime(enrol["enrolled_at"], format="%Y-%m-%d %H:%M").notna().all()
    outcomes = pd.read_csv(out / "outcomes.csv", dtype=str, keep_default_na=False)
    assert set(outcomes["result"]) <= {"Completed", "Passed", "Distinction", "Failed",
                                       "Withdrawn", "In progress"}
    assert {"Completed", "Withdrawn", "In progress"} <= set(outcomes["result"])


def test_bad_parameters():
    with pytest.raises(ValueError, match="Monday"):
        demo.simulate(start="2026-01-13")
    with pytest.raises(ValueError, match="n_courses"):
        demo.simulate(n_courses=9)
