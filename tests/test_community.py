"""Reply networks, shared threads and workplaces: community.py against networkx and by hand."""

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from engagement import community as cm
from engagement import privacy
from engagement.results import Result, TotalRow
from engagement.schema import QualityLog, validate

T0 = pd.Timestamp("2026-01-12 09:00", tz="UTC")  # a Monday


def _events(rows, course="C1"):
    """Contract events from (learner, action, target, object_id, hours after T0) tuples."""
    out = pd.DataFrame({
        "learner_id": [r[0] for r in rows],
        "course": [r[5] if len(r) > 5 else course for r in rows],
        "timestamp": [T0 + pd.Timedelta(hours=r[4]) for r in rows],
        "source": "forum",
        "action": [r[1] for r in rows],
        "object_id": [r[3] for r in rows],
        "target_learner_id": [r[2] for r in rows],
        "count": 1,
    })
    return validate(out, "events")


def _replies(pairs, *, course="C1", posters=(), hours=None):
    """Events: one post by each of `posters`, then one reply per (source, target) pair."""
    rows = [(p, "post", None, f"discussion:{i}/post:{i}", 0, course)
            for i, p in enumerate(posters)]
    for k, (a, b) in enumerate(pairs):
        h = k if hours is None else hours[k]
        rows.append((a, "reply", b, f"discussion:x{k}/post:r{k}", h, course))
    return _events(rows)


def _learners(groups: dict, course="C1"):
    return pd.DataFrame({"learner_id": list(groups), "course": course,
                         "organisation": list(groups.values()),
                         "enrolled_at": pd.Timestamp("2026-01-05", tz="UTC"),
                         "acquisition_channel": "email"})


# --------------------------------------------------------------------------- threads, edges

def test_thread_of_reads_both_object_id_forms():
    assert cm.thread_of("discussion:17/post:204") == "17"
    assert cm.thread_of("discussion:abc") == "abc"
    assert cm.thread_of("post:204") is None
    assert cm.thread_of("1001") is None
    assert cm.thread_of(None) is None
    assert cm.thread_of(float("nan")) is None
    ids = pd.Series(["discussion:17/post:204", "post:5", None, "discussion:3/post:9"])
    assert list(cm._threads(ids)) == ["17", None, None, "3"]


def test_thread_edges_count_shared_threads_once_per_thread():
    ev = _events([
        ("A", "post", None, "discussion:1/post:1", 0),
        ("B", "reply", "A", "discussion:1/post:2", 1),
        ("B", "reply", "A", "discussion:1/post:3", 2),   # B twice in thread 1: still one
        ("C", "reply", "B", "discussion:1/post:4", 3),
        ("A", "post", None, "discussion:2/post:5", 4),
        ("B", "reply", "A", "discussion:2/post:6", 5),
        ("D", "post", None, "post:7", 6),                 # no thread: no thread tie
        ("A", "reply", "D", "post:8", 7),
    ])
    te = cm.thread_edges(ev)
    got = {(a, b): n for a, b, n in zip(te["learner_a"], te["learner_b"], te["shared_threads"],
                                        strict=True)}
    # thread 1: A, B, C -> AB, AC, BC; thread 2: A, B -> AB again
    assert got == {("A", "B"): 2, ("A", "C"): 1, ("B", "C"): 1}
    assert list(te.columns) == ["course", "learner_a", "learner_b", "shared_threads"]


def test_reply_edges_ignore_self_replies_and_unknown_targets_and_count_them():
    ev = _events([
        ("A", "post", None, "discussion:1/post:1", 0),
        ("B", "reply", "A", "discussion:1/post:2", 1),
        ("B", "reply", "A", "discussion:1/post:3", 30),
        ("A", "reply", "A", "discussion:1/post:4", 2),    # self-reply
        ("C", "reply", None, "discussion:1/post:5", 3),   # parent unknown
    ])
    before = ev.copy()
    quality = QualityLog()
    re_ = cm.reply_edges(ev, quality=quality)
    assert ev.equals(before)
    assert re_[["source_learner", "target_learner", "replies"]].values.tolist() == [["B", "A", 2]]
    assert re_["first_at"].iloc[0] == T0 + pd.Timedelta(hours=1)
    assert re_["last_at"].iloc[0] == T0 + pd.Timedelta(hours=30)
    rules = {r["rule"]: r["rows"] for r in quality.rules}
    assert rules == {"reply with unknown target (no network tie)": 1,
                     "reply to oneself (no network tie)": 1}
    # the self-replier and the unknown-target replier are still learners of the network
    m = cm.learner_measures(ev)
    assert set(m["learner_id"]) == {"A", "B", "C"}
    assert m.set_index("learner_id").loc["C", "isolated"]
    assert m.set_index("learner_id").loc["C", "replies_given"] == 0


def test_reply_edges_window_is_half_open_and_refuses_naive_bounds():
    ev = _replies([("A", "B"), ("B", "A"), ("C", "A")], hours=[0, 24, 48])
    re_ = cm.reply_edges(ev, start=T0 + pd.Timedelta(hours=24), end=T0 + pd.Timedelta(hours=48))
    assert re_[["source_learner", "target_learner"]].values.tolist() == [["B", "A"]]
    with pytest.raises(ValueError, match="naive"):
        cm.reply_edges(ev, start=pd.Timestamp("2026-01-12"))
    with pytest.raises(ValueError, match="target_learner_id"):
        cm.reply_edges(ev.drop(columns="target_learner_id"))


def test_other_sources_and_actions_are_not_ties():
    ev = _replies([("A", "B")])
    extra = ev.iloc[[0]].assign(source="lms", action="view")
    social = ev.iloc[[0]].assign(source="social_group", learner_id="Z")
    both = pd.concat([ev, extra, social], ignore_index=True)
    assert len(cm.reply_edges(both)) == 1
    assert len(cm.reply_edges(both, sources=None)) == 2


def test_interaction_graph_adds_isolated_learners_and_merges_directions():
    re_ = cm.reply_edges(_replies([("A", "B"), ("A", "B"), ("B", "A")]))
    g = cm.interaction_graph(re_, nodes=["A", "B", "Q"])
    assert isinstance(g, nx.DiGraph)
    assert sorted(g.nodes) == ["A", "B", "Q"] and g.degree("Q") == 0
    assert g["A"]["B"]["weight"] == 2 and g["B"]["A"]["weight"] == 1
    u = cm.interaction_graph(re_, directed=False)
    assert not u.is_directed() and u["A"]["B"]["weight"] == 3
    te = pd.DataFrame({"course": ["C1"], "learner_a": ["A"], "learner_b": ["B"],
                       "shared_threads": [4]})
    with pytest.raises(ValueError, match="undirected"):
        cm.interaction_graph(te)
    with pytest.raises(ValueError, match="reply edges"):
        cm.interaction_graph(pd.DataFrame({"x": [1]}))


# --------------------------------------------------------------------------- hand-made graphs

def test_reciprocity_degrees_and_isolation_by_hand():
    # A->B, B->A, A->C, C->D; E only posts; D never writes.
    # ties 4, of which A->B and B->A are returned: overall reciprocity 2/4 = 0.5.
    # per learner: A out {B, C}, returned by B -> 1/2; B out {A} -> 1; C out {D} -> 0;
    # D and E no out ties -> NaN. In-degrees A1 B1 C1 D1 E0.
    # isolated: wrote but no one else replied -> E only (D was replied to and wrote nothing).
    # Freeman in-degree centralisation: max 1, sum(1 - d) = 1 (E), / (5 - 1)^2 = 1/16.
    ev = _replies([("A", "B"), ("B", "A"), ("A", "C"), ("C", "D")], posters=["A", "E"])
    m = cm.learner_measures(ev).set_index("learner_id")
    assert m["out_degree"].to_dict() == {"A": 2, "B": 1, "C": 1, "D": 0, "E": 0}
    assert m["in_degree"].to_dict() == {"A": 1, "B": 1, "C": 1, "D": 1, "E": 0}
    assert m["reciprocated_ties"].to_dict() == {"A": 1, "B": 1, "C": 0, "D": 0, "E": 0}
    assert m.loc["A", "reciprocity"] == 0.5 and m.loc["B", "reciprocity"] == 1.0
    assert m.loc["C", "reciprocity"] == 0.0
    assert np.isnan(m.loc["D", "reciprocity"]) and np.isnan(m.loc["E", "reciprocity"])
    assert m["isolated"].to_dict() == {"A": False, "B": False, "C": False, "D": False, "E": True}
    assert m["posts"].to_dict() == {"A": 1, "B": 0, "C": 0, "D": 0, "E": 1}
    s = cm.network_summary(ev).iloc[0]
    assert s["learners"] == 5 and s["ties"] == 4 and s["replies"] == 4
    assert s["reciprocity"] == 0.5
    assert s["in_degree_centralisation"] == pytest.approx(1 / 16)
    assert s["isolated_share"] == pytest.approx(1 / 5)
    # weakly connected: {A, B, C, D} and {E}
    assert s["largest_component_share"] == pytest.approx(4 / 5)
    assert s["density"] == pytest.approx(4 / (5 * 4))
    text = cm.describe_network(cm.network_summary(ev))
    assert "5 learners" in text and "50% of ties were returned" in text
    assert "too small" in text


def test_in_degree_centralisation_star_is_one_and_cycle_is_zero():
    star = nx.DiGraph([(f"L{i}", "hub") for i in range(6)])
    cycle = nx.DiGraph([(f"L{i}", f"L{(i + 1) % 6}") for i in range(6)])
    assert cm.in_degree_centralisation(star) == pytest.approx(1.0)
    assert cm.in_degree_centralisation(cycle) == pytest.approx(0.0)
    assert np.isnan(cm.in_degree_centralisation(nx.DiGraph([("a", "a")]).subgraph(["a"])))
    # the same through events
    ev = pd.concat([_replies([(f"L{i}", "hub") for i in range(6)], course="star"),
                    _replies([(f"L{i}", f"L{(i + 1) % 6}") for i in range(6)], course="cyc")])
    s = cm.network_summary(ev).set_index("course")["in_degree_centralisation"]
    assert s["star"] == pytest.approx(1.0) and s["cyc"] == pytest.approx(0.0)


def test_ei_index_by_hand_and_unknown_groups_left_out():
    # A, B in X; C, D in Y; F has no organisation; G is not in the learners table.
    # ties: A->B (within), A->C and C->A (across), F->A and G->B (unknown: left out).
    # I = 1, E = 2, EI = (2 - 1) / 3 = 1/3. Nodes kept: A, B, C (D has no tie).
    # Null: labels X, X, Y shuffled over A, B, C; Y on A gives I = 0, on B I = 2, on C
    # I = 1, each 1/3 likely: null EI in {1, -1/3, 1/3}, mean 1/3 = observed, so p = 1.
    ev = _replies([("A", "B"), ("A", "C"), ("C", "A"), ("F", "A"), ("G", "B")], posters=["D"])
    lrn = _learners({"A": "X", "B": "X", "C": "Y", "D": "Y", "F": None})
    re_ = cm.reply_edges(ev)
    ei = cm.ei_index(re_, lrn, permutations=2000, seed=3).iloc[0]
    assert (ei["internal"], ei["external"], ei["ties"]) == (1, 2, 3)
    assert ei["ei"] == pytest.approx(1 / 3)
    assert ei["ties_unknown_group"] == 2 and ei["nodes"] == 3 and ei["groups"] == 2
    assert ei["null_ei_mean"] == pytest.approx(1 / 3, abs=0.05)
    assert ei["null_ei_low"] == pytest.approx(-1 / 3) and ei["null_ei_high"] == pytest.approx(1)
    assert ei["p_value"] == 1.0
    # seeded: the same answer twice
    again = cm.ei_index(re_, lrn, permutations=2000, seed=3).iloc[0]
    assert again["null_ei_mean"] == ei["null_ei_mean"]
    text = cm.describe_ei(cm.ei_index(re_, lrn))
    assert "33% of the 3 ties" in text and "+0.33" in text and "2 tie(s)" in text
    with pytest.raises(ValueError, match="organisation"):
        cm.ei_index(re_, lrn.drop(columns="organisation"))


def _random_ties(rng, n_nodes, n_ties, groups):
    pairs = set()
    while len(pairs) < n_ties:
        a, b = rng.choice(n_nodes, 2, replace=False)
        if groups is None or groups[a] == groups[b]:
            pairs.add((f"L{a:02d}", f"L{b:02d}"))
    return sorted(pairs)


def test_permutation_null_segregated_groups_small_p_random_labels_large_p():
    rng = np.random.default_rng(11)
    groups = np.repeat(["w", "x", "y", "z"], 10)
    seg = _random_ties(rng, 40, 80, groups)
    lrn = _learners({f"L{i:02d}": g for i, g in enumerate(groups)})
    ei = cm.ei_index(cm.reply_edges(_replies(seg)), lrn, permutations=999).iloc[0]
    assert ei["ei"] == -1 and ei["internal"] == 80
    assert ei["null_ei_mean"] > 0.3        # four equal groups: random ties mostly cross
    assert ei["p_value"] == pytest.approx(1 / 1000)
    assert "more than chance" in cm.describe_ei(cm.ei_index(cm.reply_edges(_replies(seg)), lrn))
    # the same graph with labels drawn at random: no pattern, so p-values spread over (0, 1]
    edges = cm.reply_edges(_replies(seg))
    p = []
    for _ in range(20):
        rand = _learners({f"L{i:02d}": g for i, g in enumerate(rng.permutation(groups))})
        p.append(cm.ei_index(edges, rand, permutations=499).iloc[0]["p_value"])
    assert np.median(p) > 0.2
    assert sum(x < 0.05 for x in p) <= 3


def test_ei_pooled_row_sums_courses():
    ev = pd.concat([_replies([("A", "B"), ("A", "C")], course="K1"),
                    _replies([("A", "B")], course="K2")])
    lrn = pd.concat([_learners({"A": "X", "B": "X", "C": "Y"}, course="K1"),
                     _learners({"A": "X", "B": "Y"}, course="K2")])
    ei = cm.ei_index(cm.reply_edges(ev), lrn, pooled=True, permutations=4000)
    assert list(ei["course"]) == ["K1", "K2", cm.ALL_COURSES]
    pooled = ei.iloc[-1]
    # K1: I 1, E 1; K2: I 0, E 1 -> I 1, E 2, EI 1/3
    assert (pooled["internal"], pooled["external"]) == (1, 2)
    assert pooled["ei"] == pytest.approx(1 / 3)
    # K2 has two nodes, one X and one Y: every shuffle gives I = 0. K1 (ties A->B, A->C;
    # labels X, X, Y): Y on A gives I = 0, Y on B or C gives I = 1, so mean I = 2/3.
    # Pooled null mean of I = 2/3 -> EI (3 - 4/3) / 3 = 5/9 (Monte Carlo sd about 0.005).
    assert pooled["null_ei_mean"] == pytest.approx(5 / 9, abs=0.03)
    assert "Across all courses" in cm.describe_ei(ei)


def test_organisation_ties_and_participation_by_hand():
    # org X: A, B; org Y: C; D has no organisation.
    # replies: A->B twice (X->X), A->C (X->Y), C->A (Y->X), D->C (unknown->Y)
    ev = _replies([("A", "B"), ("A", "B"), ("A", "C"), ("C", "A"), ("D", "C")], posters=["B"])
    lms = ev.iloc[[0]].assign(source="lms", action="view", learner_id="E", object_id=None,
                              target_learner_id=None,
                              timestamp=T0 + pd.Timedelta(days=8))
    ev = pd.concat([ev, lms], ignore_index=True)
    lrn = _learners({"A": "X", "B": "X", "C": "Y", "D": None, "E": "Y", "F": "Y"})
    re_ = cm.reply_edges(ev)
    ot = cm.organisation_ties(re_, lrn)
    got = {(f, t): (n, r) for f, t, n, r in
           zip(ot["from_group"], ot["to_group"], ot["ties"], ot["replies"], strict=True)}
    assert got == {("X", "X"): (1, 2), ("X", "Y"): (1, 1), ("Y", "X"): (1, 1),
                   ("(unknown)", "Y"): (1, 1)}
    full = cm.organisation_ties(re_, lrn, complete=True)
    assert len(full) == 9 and full["replies"].sum() == 5
    p = cm.organisation_participation(ev, lrn).set_index("organisation")
    assert p["enrolled"].to_dict() == {"(unknown)": 1, "X": 2, "Y": 3}
    assert p["started"].to_dict() == {"(unknown)": 1, "X": 2, "Y": 2}   # F never started
    assert p["posters"].to_dict() == {"(unknown)": 1, "X": 2, "Y": 1}
    assert p["replies_given"].to_dict() == {"(unknown)": 1, "X": 3, "Y": 1}
    assert p["replies_received"].to_dict() == {"(unknown)": 0, "X": 3, "Y": 2}
    # X gave 3 replies to known groups, 2 within X; Y gave 1, to X; D's group is unknown
    assert p.loc["X", "within_organisation_reply_share"] == pytest.approx(2 / 3)
    assert p.loc["Y", "within_organisation_reply_share"] == 0.0
    assert np.isnan(p.loc["(unknown)", "within_organisation_reply_share"])
    # C active in week 1 only; E in week 2 only -> Y median of started (C, E) = 1
    assert p.loc["Y", "median_active_weeks"] == 1.0


# --------------------------------------------------------------------------- against networkx

def _random_network(seed, n=40, n_ties=110, n_threads=8):
    """Events of a random reply network, and the same network built directly for networkx."""
    rng = np.random.default_rng(seed)
    ids = [f"L{i:02d}" for i in range(n)]
    rows, directed = [], {}
    for k in range(n_ties):
        a, b = rng.choice(n - 4, 2, replace=False)            # the last 4 only post
        thread = int(rng.integers(n_threads))
        rows.append((ids[a], "reply", ids[b], f"discussion:{thread}/post:{k}", k))
        directed[(ids[a], ids[b])] = directed.get((ids[a], ids[b]), 0) + 1
    for i in range(n - 4, n):
        rows.append((ids[i], "post", None, f"discussion:{n_threads + i}/post:p{i}", 1))
    rows.append((ids[0], "reply", ids[0], "discussion:0/post:self", 2))  # self: ignored
    rows.append((ids[1], "reply", None, "discussion:0/post:orphan", 3))  # unknown: ignored
    ev = _events(rows)
    g = nx.DiGraph()
    g.add_nodes_from(sorted(ids))
    g.add_weighted_edges_from(sorted((a, b, w) for (a, b), w in directed.items()))
    # the undirected community graph: replies both ways + threads shared (built by hand)
    members = {}
    for who, _, _, obj, _ in rows:
        members.setdefault(obj.split("/")[0], set()).add(who)
    weight = {}
    for (a, b), w in directed.items():
        key = tuple(sorted((a, b)))
        weight[key] = weight.get(key, 0) + w
    for people in members.values():
        for a, b in itertools.combinations(sorted(people), 2):
            weight[(a, b)] = weight.get((a, b), 0) + 1
    u = nx.Graph()
    u.add_nodes_from(sorted(ids))
    u.add_weighted_edges_from(sorted((a, b, w) for (a, b), w in weight.items()))
    return ev, g, u


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_measures_equal_networkx_on_random_graphs(seed):
    ev, g, u = _random_network(seed)
    s = cm.network_summary(ev, seed=seed).iloc[0]
    assert s["learners"] == g.number_of_nodes()
    assert s["ties"] == g.number_of_edges()
    assert s["density"] == pytest.approx(nx.density(g))
    assert s["reciprocity"] == pytest.approx(nx.overall_reciprocity(g))
    assert s["largest_component_share"] == pytest.approx(
        max(map(len, nx.weakly_connected_components(g))) / g.number_of_nodes())
    assert s["isolated_share"] == pytest.approx(
        sum(1 for x in g if g.in_degree(x) == 0) / g.number_of_nodes())
    m = cm.learner_measures(ev).set_index("learner_id")
    assert m["in_degree"].to_dict() == dict(g.in_degree())
    assert m["out_degree"].to_dict() == dict(g.out_degree())
    assert m["replies_received"].to_dict() == dict(g.in_degree(weight="weight"))
    bc = nx.betweenness_centrality(g, normalized=True)
    assert np.allclose(m["betweenness"], pd.Series(bc)[m.index])
    # reciprocated ties per learner: out-neighbours that are also in-neighbours
    assert m["reciprocated_ties"].to_dict() == {
        x: len(set(g.successors(x)) & set(g.predecessors(x))) for x in g}
    # communities: networkx Louvain with the same seed on the hand-built graph
    parts = nx.community.louvain_communities(u, weight="weight", seed=seed)
    big = [p for p in parts if len(p) >= 5]
    assert s["communities"] == len(big)
    assert s["modularity"] == pytest.approx(nx.community.modularity(u, parts, weight="weight"))
    assert s["learners_in_small_communities"] == sum(len(p) for p in parts if len(p) < 5)
    c = cm.communities(ev, seed=seed)
    found = {frozenset(grp["learner_id"]) for lab, grp in c.groupby("community")
             if lab != "small"}
    assert found == {frozenset(p) for p in big}
    sizes = c[c["community"] != "small"]["community"].value_counts()
    assert list(sizes.index) == [f"C{i}" for i in range(1, len(big) + 1)]
    assert sizes.is_monotonic_decreasing
    # thread ties equal the hand-built co-participation counts
    te = cm.thread_edges(ev)
    assert len(te) > 0 and (te["learner_a"] < te["learner_b"]).all()


def test_min_network_size_gate():
    ev, g, _ = _random_network(5, n=19, n_ties=40)
    assert g.number_of_nodes() == 19
    s = cm.network_summary(ev).iloc[0]
    assert np.isnan(s["communities"]) and np.isnan(s["modularity"])
    assert np.isnan(s["learners_in_small_communities"])
    assert s["density"] == pytest.approx(nx.density(g))      # the plain counts stay
    assert cm.learner_measures(ev)["betweenness"].isna().all()
    assert cm.communities(ev)["community"].isna().all()
    assert "too small" in cm.describe_network(cm.network_summary(ev))
    # a lower minimum computes them
    s = cm.network_summary(ev, min_network_size=19).iloc[0]
    assert s["communities"] >= 0 and not np.isnan(s["modularity"])
    assert cm.learner_measures(ev, min_network_size=19)["betweenness"].notna().all()
    with pytest.raises(ValueError, match="min_network_size"):
        cm.network_summary(ev, min_network_size=1)


def test_weekly_networks_cumulative_grow_and_weekly_add_up():
    rng = np.random.default_rng(4)
    pairs = [(f"L{a}", f"L{b}") for a, b in (rng.choice(30, 2, replace=False)
                                              for _ in range(90))]
    hours = sorted(rng.uniform(0, 24 * 7 * 5 - 10, 90))   # T0 is Monday 09:00: 5 weeks
    ev = _replies(pairs, hours=hours)
    cum = cm.weekly_networks(ev)
    assert list(cum["week_start"]) == list(pd.date_range("2026-01-12", periods=5, freq="7D",
                                                         tz="UTC"))
    assert cum["ties"].is_monotonic_increasing and cum["learners"].is_monotonic_increasing
    # the last cumulative snapshot is the whole network
    whole = cm.network_summary(ev).iloc[0]
    assert cum.iloc[-1]["ties"] == whole["ties"]
    assert cum.iloc[-1]["density"] == pytest.approx(whole["density"])
    week = cm.weekly_networks(ev, cumulative=False)
    assert week["replies"].sum() == 90
    assert (week["ties"] <= cum["ties"]).all()
    chosen = cm.weekly_networks(ev, weeks=[pd.Timestamp("2026-01-21", tz="UTC")])
    assert list(chosen["week_start"]) == [pd.Timestamp("2026-01-19", tz="UTC")]
    assert chosen.iloc[0]["ties"] == cum.iloc[1]["ties"]


# --------------------------------------------------------------------------- demo and real data

def test_demo_colleagues_reply_to_each_other_more_than_chance():
    from engagement.sources import demo

    c = demo.simulate(seed=1, n_learners=300)
    ei = cm.ei_index(cm.reply_edges(c.events), c.learners, pooled=True)
    pooled = ei.set_index("course").loc[cm.ALL_COURSES]
    # Colleagues are 3x as likely to answer an introduction, but with 12 workplaces most
    # ties still cross them: the index is positive, and lower than shuffled labels give.
    assert pooled["ei"] < pooled["null_ei_mean"]
    assert pooled["p_value"] < 0.05
    per_course = ei[ei["course"] != cm.ALL_COURSES]
    assert (per_course["ei"] < per_course["null_ei_mean"]).sum() >= 2
    text = cm.describe_ei(ei)
    assert "within workplaces more than chance" in text
    s = cm.network_summary(c.events)
    assert (s["learners"] >= 20).all() and s["communities"].notna().all()


def test_real_forum_network_matches_networkx(shared_data_dir):
    path = shared_data_dir("forum-mooc-ed") / "DLT2 Edgelist.csv"
    raw = pd.read_csv(path)
    ev = pd.DataFrame({
        "learner_id": raw["Sender"].astype(str), "course": "DLT2",
        "timestamp": pd.to_datetime(raw["Timestamp"], format="%m/%d/%y", utc=True),
        "source": "forum", "action": "reply",
        "object_id": "discussion:" + raw["DiscussionID"].astype(str) + "/post:"
                     + raw["CommentID"].astype(str),
        "target_learner_id": raw["Reciever"].astype(str), "count": 1})
    g = nx.DiGraph()
    g.add_edges_from((str(a), str(b)) for a, b in zip(raw["Sender"], raw["Reciever"], strict=True)
                     if a != b)
    g.add_nodes_from(raw["Sender"].astype(str))
    s = cm.network_summary(ev).iloc[0]
    assert s["learners"] == g.number_of_nodes() and s["ties"] == g.number_of_edges()
    assert s["density"] == pytest.approx(nx.density(g))
    assert s["reciprocity"] == pytest.approx(nx.overall_reciprocity(g))
    weekly = cm.weekly_networks(ev)
    assert weekly["ties"].is_monotonic_increasing
    assert weekly.iloc[-1]["ties"] == s["ties"]


# --------------------------------------------------------------------------- landmark and growth

def _ev(learner, when, source="lms", action="view", target=None, course="C"):
    return {"learner_id": learner, "course": course, "timestamp": pd.Timestamp(when, tz="UTC"),
            "source": source, "action": action, "object_id": None, "target_learner_id": target,
            "count": 1}


def _week_one_log():
    """Week one is the week (Monday) of each learner's first online event.

    a: first active Mon 5 Jan; posts 6 Jan and replies to themself (no peer); b replies 7 Jan.
    b: first active 5 Jan; replies to a (7 Jan, b's week one) and to d (14 Jan, week two).
    c: first active Mon 12 Jan, posts then; a replies 13 Jan: c's week one, a's week two.
    d: first active 5 Jan, posts then; b's reply on 14 Jan is in d's second week.
    e: never posts.
    """
    return pd.DataFrame([
        _ev("a", "2026-01-05 09:00"), _ev("a", "2026-01-06 10:00", "forum", "post"),
        _ev("a", "2026-01-06 10:05", "forum", "reply", "a"),
        _ev("b", "2026-01-05 11:00"), _ev("b", "2026-01-07 12:00", "forum", "reply", "a"),
        _ev("b", "2026-01-14 12:00", "forum", "reply", "d"),
        _ev("c", "2026-01-12 08:00", "forum", "post"),
        _ev("a", "2026-01-13 09:00", "forum", "reply", "c"),
        _ev("d", "2026-01-05 08:00", "forum", "post"),
        _ev("e", "2026-01-05 08:00"),
    ])


def test_week_one_positions_by_hand():
    pos = cm.week_one_positions(_week_one_log()).set_index("learner_id")
    assert sorted(pos.index) == ["a", "b", "c", "d"]
    assert pos.loc["a", "posts_week_one"] == 2 and pos.loc["a", "active_days_week_one"] == 2
    assert pos["peers_replying"].to_dict() == {"a": 1, "b": 0, "c": 1, "d": 0}
    assert pos["peers_replied_to"].to_dict() == {"a": 0, "b": 1, "c": 0, "d": 0}
    assert pos["received_peer_reply"].to_dict() == {"a": True, "b": False, "c": True, "d": False}
    # b only answered others in week one: nothing of theirs to be answered
    assert pos["threads_started_week_one"].to_dict() == {"a": 1, "b": 0, "c": 1, "d": 1}
    assert pos.loc["c", "week_one"] == pd.Timestamp("2026-01-12", tz="UTC")


def test_landmark_table_counts_weeks_from_the_end_of_week_one():
    pos = cm.week_one_positions(_week_one_log())
    day = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
    dis = pd.DataFrame({
        "learner_id": ["a", "b", "c", "d"], "course": "C",
        "last_active": [day("2026-01-20"), day("2026-01-08"), day("2026-01-12"),
                        day("2026-01-05")],
        "event": pd.array([True, True, False, False], dtype="boolean"),
        "observed_until": [day("2026-03-01"), day("2026-03-01"), day("2026-01-15"),
                           day("2026-03-01")],
        "censor_reason": [None, None, "observation end", "observation end"]})
    t = cm.landmark_table(pos, dis).set_index("learner_id")
    # c's observation ends inside week one: not followed. a last active in week 2 after week
    # one -> disengaged during week 3; b never active after week one -> week 1; d censored.
    assert sorted(t.index) == ["a", "b", "d"]
    assert t["weeks_after_week_one"].to_dict() == {"a": 3, "b": 1, "d": 1}
    assert t["event"].to_dict() == {"a": True, "b": True, "d": False}


def test_landmark_hazard_equals_statsmodels_phreg():
    import statsmodels.api as sm
    from scipy import stats

    rng = np.random.default_rng(4)
    n = 300
    x = rng.random(n) < 0.5
    days = rng.integers(1, 7, n)
    t = np.ceil(rng.exponential(4 / np.exp(-0.5 * x + 0.1 * days)))  # weekly: many ties
    threads = rng.integers(0, 3, n)
    terms = ["received_peer_reply", "active_days_week_one", "threads_started_week_one"]
    table = pd.DataFrame({"received_peer_reply": x, "active_days_week_one": days,
                          "threads_started_week_one": threads,
                          "weeks_after_week_one": t.astype(int), "event": rng.random(n) < 0.8})
    got = cm.landmark_hazard(table).set_index("term")
    fit = sm.PHReg(table["weeks_after_week_one"], table[terms].astype(float),
                   status=table["event"].astype(float), ties="efron").fit()
    z = stats.norm.ppf(0.975)
    for i, term in enumerate(terms):
        assert got.loc[term, "hazard_ratio"] == pytest.approx(np.exp(fit.params[i]), rel=1e-5)
        assert got.loc[term, "ci_low"] == pytest.approx(np.exp(fit.params[i] - z * fit.bse[i]),
                                                        rel=1e-4)
        assert got.loc[term, "p_value"] == pytest.approx(fit.pvalues[i], rel=1e-3, abs=1e-12)
    assert got.loc["received_peer_reply", "exposed"] == x.sum()
    sentence = cm.describe_landmark(got.reset_index())
    assert "association" in sentence
    assert "adjusted for active days in week one and discussions started in week one" in sentence

    # an adjuster with one value for everybody (a reply-only edge list) is left out, and said so
    flat = cm.landmark_hazard(table.assign(threads_started_week_one=0))
    assert list(flat["term"]) == terms[:2]
    assert set(flat["adjusted_for"]) == {"active_days_week_one"}
    assert "discussions started" not in cm.describe_landmark(flat)


@pytest.mark.slow
@pytest.mark.parametrize("effects", [1.0, 0.0])
def test_demo_peer_reply_in_week_one_lowers_the_hazard_only_when_planted(effects):
    from engagement import activity, retention
    from engagement.sources import demo

    below, covers, log_hr = 0, 0, []
    seeds = range(10)
    for seed in seeds:
        c = demo.simulate(seed=seed, effects=effects)
        days = activity.learner_days(c.events)
        table = cm.landmark_table(cm.week_one_positions(c.events),
                                  retention.disengagement(days, c.learners, c.courses, c.outcomes))
        r = cm.landmark_hazard(table).iloc[0]
        below += r["ci_high"] < 1
        covers += r["ci_low"] <= 1 <= r["ci_high"]
        log_hr.append(np.log(r["hazard_ratio"]))
    # Unbiased on average: each log HR has an SE of about 0.14, so the mean of ten is within
    # 0.15 (about three SEs) of the truth. Without the adjustment for discussions started,
    # learners who only answered others (unanswerable, and less keen) made the mean -0.17
    # at effects=0.
    truth = np.log(demo.PEER_REPLY_HAZARD_RATIO) * effects
    assert abs(np.mean(log_hr) - truth) < 0.15, np.exp(log_hr)
    if effects:
        assert below >= 6  # power is about 80% at the demo's size (8 of these 10)
    else:
        assert covers >= 8


def test_organisation_growth_by_hand():
    day = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
    learners = pd.DataFrame({
        "learner_id": ["a", "b", "c", "d", "e"], "course": "C",
        "organisation": ["O1", "O1", "O1", "O2", None],
        "enrolled_at": [day("2026-01-01"), day("2026-01-10"), day("2026-01-20"),
                        day("2026-01-02"), day("2026-01-02")]})
    events = pd.DataFrame([_ev("a", "2026-01-06"), _ev("b", "2026-01-13"), _ev("d", "2026-01-05"),
                           _ev("e", "2026-01-05")])
    g = cm.organisation_growth(events, learners, weeks=3).set_index(["organisation", "week"])
    # O1: week 0 = 5-11 Jan (a). b enrols 10 Jan (week 0) and starts 13 Jan (week 1);
    # c enrols 20 Jan (week 2) and never starts.
    assert g.loc["O1", "enrolled"].tolist() == [2, 2, 3, 3]
    assert g.loc["O1", "active"].tolist() == [1, 2, 2, 2]
    assert g.loc[("O1", 0), "enrolled_before_first_active"] == 1
    assert g.loc[("O1", 0), "started"] == 2 and g.loc[("O1", 0), "enrolments"] == 3
    assert "O2" in g.index.get_level_values(0) and None not in g.index.get_level_values(0)
    text = cm.describe_growth(g.reset_index(), week=1)
    assert "2 of 4 enrolments were made before" in text


def test_degree_distribution_and_position_summary_by_hand():
    measures = pd.DataFrame({
        "course": "C", "learner_id": list("abcdefghij"),
        "in_degree": [0, 0, 1, 2, 3, 5, 6, 11, 1, 0],
        "out_degree": [1, 1, 1, 1, 1, 1, 1, 1, 2, 0],
        "isolated": [True, True] + [False] * 7 + [True],
        "reciprocated_ties": [0, 0, 1, 0, 0, 0, 2, 0, 0, 0],
        "replies_received": [0, 0, 1, 2, 3, 5, 6, 20, 3, 0]})
    dist = cm.degree_distribution(measures).set_index("band")["learners"]
    assert dist.to_dict() == {"0": 3, "1": 2, "2": 1, "3-5": 2, "6-10": 1, "11+": 1}
    s = cm.position_summary(measures).iloc[0]
    # 40 replies received; the top tenth (1 learner) received 20 of them
    assert (s["learners"], s["isolated"], s["with_returned_tie"]) == (10, 3, 2)
    assert s["top_tenth_reply_share"] == pytest.approx(0.5)
    assert s["median_in_degree"] == 1.5 and s["isolated_share"] == pytest.approx(0.3)


# --------------------------------------------------------------------------- Results and sentences

def _big_network(seed=2):
    ev, _, _ = _random_network(seed)
    return ev


def test_network_summary_and_weekly_networks_metadata():
    s = cm.network_summary(_big_network())
    assert isinstance(s, Result) and s.kind == "community.network_summary"
    assert s.n == "learners" and s.partition == "course" and s.design == "descriptive"
    cols = s.columns
    assert cols["course"].kind == "label"
    assert cols["learners"].people and cols["ties"].unit == "ties"
    assert cols["learners_in_small_communities"].part_of == "learners"
    for c in ("density", "reciprocity", "isolated_share", "largest_component_share",
              "modularity", "in_degree_centralisation"):
        assert cols[c].kind == "number", c
    assert "at least 20 learners" in s.notes[0]
    w = cm.weekly_networks(_big_network())
    assert isinstance(w, Result) and w.n == "learners" and w.partition is None
    assert w.columns["week_start"].kind == "date"
    assert list(w.columns)[2:] == cm.SUMMARY_COLUMNS


def test_position_summary_and_degree_distribution_metadata():
    m = cm.learner_measures(_big_network())
    pos = cm.position_summary(m)
    cols = pos.columns
    assert cols["isolated"].part_of == "learners"
    assert cols["with_returned_tie"].part_of == "learners"
    assert (cols["isolated_share"].kind, cols["isolated_share"].of,
            cols["isolated_share"].over) == ("share", "isolated", "learners")
    assert pos.n == "learners" and pos.partition == "course"
    dist = cm.degree_distribution(m)
    assert dist.columns["learners"].people and dist.columns["band"].kind == "label"
    assert dist.n == "learners"
    # the bands of a course add up to its learners, which position_summary shows: one small
    # band hidden alone would come back by subtraction, so a second one is hidden with it
    assert dist.partition == "band"
    shown = privacy.control(dist, min_size=5)
    assert dist["learners"].sum() == pos["learners"].sum()
    hidden = [shown.is_hidden(i, "learners") for i in range(len(dist))]
    assert sum(hidden) != 1


def test_ei_index_metadata():
    ev = pd.concat([_replies([("A", "B"), ("A", "C")], course="K1"),
                    _replies([("A", "B")], course="K2")])
    lrn = pd.concat([_learners({"A": "X", "B": "X", "C": "Y"}, course="K1"),
                     _learners({"A": "X", "B": "Y"}, course="K2")])
    ei = cm.ei_index(cm.reply_edges(ev), lrn, pooled=True, permutations=99)
    cols = ei.columns
    assert cols["nodes"].people and cols["ties"].unit == "ties" and cols["ties"].people
    assert cols["internal"].part_of == "ties" and cols["external"].part_of == "ties"
    assert not cols["groups"].people
    assert cols["ei"].kind == "number" and cols["p_value"].kind == "p"
    assert cols["null_ei_low"].kind == cols["null_ei_high"].kind == "number"
    assert cols["permutations"].technical
    assert "99 random shufflings of the workplace labels" in ei.constants["permutations"]
    assert ei.n == "nodes" and ei.design == "descriptive"
    assert ei.total_row == TotalRow("course", cm.ALL_COURSES)
    assert cm.ei_index(cm.reply_edges(ev), lrn, permutations=0).total_row is None


def test_organisation_results_metadata():
    ev = _replies([("A", "B"), ("A", "B"), ("A", "C"), ("C", "A"), ("D", "C")], posters=["B"])
    lrn = _learners({"A": "X", "B": "X", "C": "Y", "D": None, "E": "Y", "F": "Y"})
    ot = cm.organisation_ties(cm.reply_edges(ev), lrn)
    assert ot.columns["from_group"].kind == ot.columns["to_group"].kind == "organisation"
    assert ot.columns["ties"].unit == "ties" and ot.columns["ties"].people and ot.n == "ties"
    p = cm.organisation_participation(ev, lrn)
    cols = p.columns
    assert cols["organisation"].kind == "organisation" and p.partition == "organisation"
    assert p.n == "enrolled"
    assert cols["started"].part_of == "enrolled" and cols["posters"].part_of == "started"
    for c in ("replies_given", "replies_received"):
        assert cols[c].unit == "replies" and cols[c].people and cols[c].of == "posters"
    assert cols["within_organisation_reply_share"].kind == "number"
    day = pd.Timestamp("2026-01-01", tz="UTC")
    g = cm.organisation_growth(
        pd.DataFrame([_ev("a", "2026-01-06")]),
        pd.DataFrame({"learner_id": ["a"], "course": "C", "organisation": ["O1"],
                      "enrolled_at": [day]}), weeks=1)
    assert g.partition == "organisation" and g.n == "enrolments"
    assert g.columns["organisation"].kind == "organisation"
    assert g.columns["enrolled"].people and g.columns["active"].people
    assert g.columns["started"].part_of == "enrolments"
    assert g.columns["active"].part_of == "enrolled"


def _summary_like(**changes):
    """A hand-made network_summary Result of two courses."""
    rows = [{"course": "C1", "learners": 40, "ties": 60, "replies": 90, "density": 0.04,
             "reciprocity": 0.25, "in_degree_centralisation": 0.1, "isolated_share": 0.2,
             "largest_component_share": 0.8, "communities": 6.0, "modularity": 0.41,
             "learners_in_small_communities": 6.0},
            {"course": "C2", "learners": 30, "ties": 45, "replies": 50, "density": 0.05,
             "reciprocity": 0.3, "in_degree_centralisation": 0.2, "isolated_share": 0.1,
             "largest_component_share": 0.9, "communities": 7.0, "modularity": 0.35,
             "learners_in_small_communities": 0.0},
            {"course": "C3", "learners": 2, "ties": 1, "replies": 1, "density": 0.5,
             "reciprocity": 0.0, "in_degree_centralisation": 1.0, "isolated_share": 0.5,
             "largest_component_share": 1.0, "communities": np.nan, "modularity": np.nan,
             "learners_in_small_communities": np.nan}]
    rows[0].update(changes)
    return cm.network_summary(_big_network()).with_table(pd.DataFrame(rows))


def test_describe_network_hides_small_numbers():
    full = _summary_like().where([True, True, False])
    text = cm.describe_network(full)
    assert "In C1, 40 learners posted, replied or were replied to, with 60 reply ties" in text
    assert "25% of ties were returned" in text and "6 communities stood out" in text
    assert cm.describe_network(privacy.control(full, min_size=5)) == text
    # C3 is too small; C1 is hidden too, or C3 would come back from the sum over courses
    small = privacy.control(_summary_like(), min_size=5)
    assert small.is_hidden(2, "learners") and small.secondary["learners"].iloc[1]
    text = cm.describe_network(small)
    assert "In C3, too few learners posted in the forum" in text
    assert "In C2, the network is not described here, so that a smaller group's" in text
    assert "2 learners" not in text and "1 reply" not in text and "50%" not in text
    assert "30 learners" not in text and "45 reply" not in text
    assert "In C1, 40 learners" in text
    ties = privacy.control(_summary_like(ties=3), min_size=5)
    text = cm.describe_network(ties)
    assert "40 learners" in text and "too few reply ties" in text
    assert "3 reply" not in text and "25%" not in text


def test_describe_ei_hides_small_numbers():
    ei = cm.ei_index(cm.reply_edges(_replies(_random_ties(np.random.default_rng(1), 40, 80,
                                                          None))),
                     _learners({f"L{i:02d}": g for i, g in
                                enumerate(np.repeat(["w", "x", "y", "z"], 10))}),
                     permutations=99)
    row = ei.iloc[0]
    text = cm.describe_ei(ei)
    assert f"{row['internal'] / row['ties']:.0%} of the 80 ties" in text
    assert cm.describe_ei(privacy.control(ei, min_size=5)) == text
    table = ei.table.assign(internal=3, external=77, ei=(77 - 3) / 80)
    small = privacy.control(ei.with_table(table), min_size=5)
    assert small.is_hidden(0, "internal") and small.is_hidden(0, "external")
    text = cm.describe_ei(small)
    assert "80 ties" in text and "is not shown" in text
    for hidden in ("4%", "3 ", "77", "+0.93", "p ="):
        assert hidden not in text, hidden
    tiny = privacy.control(ei.with_table(ei.table.assign(nodes=4, ties=3, internal=1,
                                                         external=2)), min_size=5)
    text = cm.describe_ei(tiny)
    assert "too few ties" in text and "3 ties" not in text and "4 learners" not in text


def _hazard_like(**changes):
    rows = [{"term": "received_peer_reply", "hazard_ratio": 0.6, "ci_low": 0.45,
             "ci_high": 0.8, "p_value": 0.0004, "learners": 120, "events": 70, "exposed": 50,
             "adjusted_for": "active_days_week_one"},
            {"term": "active_days_week_one", "hazard_ratio": 0.9, "ci_low": 0.8,
             "ci_high": 1.01, "p_value": 0.08, "learners": 120, "events": 70, "exposed": 50,
             "adjusted_for": "active_days_week_one"}]
    for r in rows:
        r.update(changes)
    template = _landmark_template()
    return template.with_table(pd.DataFrame(rows)[list(template.columns)])


def _landmark_template():
    rng = np.random.default_rng(0)
    n = 60
    table = pd.DataFrame({"received_peer_reply": rng.random(n) < 0.5,
                          "active_days_week_one": rng.integers(1, 7, n),
                          "threads_started_week_one": rng.integers(0, 3, n),
                          "weeks_after_week_one": rng.integers(1, 8, n),
                          "event": rng.random(n) < 0.7})
    return cm.landmark_hazard(table)


def test_landmark_hazard_metadata():
    hz = _landmark_template()
    cols = hz.columns
    assert "design" not in hz.columns and hz.design == "observational" and hz.n == "learners"
    assert cols["hazard_ratio"].kind == "ratio" and cols["p_value"].kind == "p"
    assert (cols["ci_low"].of, cols["ci_high"].of) == ("hazard_ratio", "hazard_ratio")
    assert cols["events"].part_of == "learners" and cols["exposed"].part_of == "learners"
    assert cols["adjusted_for"].technical
    assert "adjusted for active days in week one and discussions started in week one" in \
        hz.notes[0]


def test_describe_landmark_hides_small_numbers():
    full = _hazard_like()
    text = cm.describe_landmark(full)
    assert text.startswith("Among 120 learners who posted or replied in their first week (70 "
                           "later disengaged), those who had a reply from another learner in "
                           "their first week had a lower hazard")
    assert "hazard ratio 0.60 (95% CI 0.45\u20130.80), p < 0.001" in text
    assert "adjusted for active days in week one" in text and "association" in text
    assert cm.describe_landmark(privacy.control(full, min_size=5)) == text
    few = privacy.control(_hazard_like(events=3), min_size=5)  # 3 disengaged: hidden
    assert few.is_hidden(0, "events") and few.is_hidden(0, "hazard_ratio")
    text = cm.describe_landmark(few)
    assert "too small to show" in text and "(3 " not in text and "0.60" not in text
    assert "0.45" not in text and "p <" not in text
    assert "Among 120 learners" in text and "association" in text


def test_landmark_complement_of_events_is_protected():
    # events and exposed are both parts of learners and overlap: each part's own complement
    # (here the learners who stayed) is protected
    few = privacy.control(_hazard_like(events=117), min_size=5)  # 3 stayed
    assert few.is_hidden(0, "events")


def _growth_like(small_org: int):
    rows = []
    for org, n in (("O1", 40), ("O2", 30), ("O3", small_org)):
        for w in range(3):
            rows.append({"organisation": org, "week": w, "enrolled": n - 2 + min(w, 2),
                         "active": n // 2 + w, "enrolments": n, "enrolled_before_first_active":
                         n // 2, "started": n // 2 + 5})
    table = pd.DataFrame(rows)
    day = pd.Timestamp("2026-01-01", tz="UTC")
    template = cm.organisation_growth(
        pd.DataFrame([_ev("a", "2026-01-06")]),
        pd.DataFrame({"learner_id": ["a"], "course": "C", "organisation": ["O1"],
                      "enrolled_at": [day]}), weeks=1)
    return template.with_table(table[list(template.columns)])


def test_describe_growth_says_no_sum_with_a_hidden_part():
    full = _growth_like(20)
    text = cm.describe_growth(full, week=1)
    assert text.startswith("Across 3 organisations, 45 of 90 enrolments were made before")
    assert "3 more than 1 weeks after it" in text
    assert cm.describe_growth(privacy.control(full, min_size=5), week=1) == text
    small = privacy.control(_growth_like(4), min_size=5)
    text = cm.describe_growth(small, week=1)
    # the small organisation's numbers are hidden, so no sum that contains them is said
    for hidden in ("74", "47", "of the", "enrolments were made before"):
        assert hidden not in text, hidden
    assert "too few enrolments" in text and "Timing alone" in text


def test_describe_functions_take_the_result_as_computed():
    ev = _replies([("A", "B"), ("B", "A"), ("A", "C"), ("C", "D")], posters=["A", "E"])
    s = cm.network_summary(ev)
    assert cm.describe_network(s) == cm.describe_network(s.table)
    assert "modularity" not in cm.describe_network(s)
