"""Shared fixtures: where the repository and the shared real data are."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    """../shared/data beside the checkout, or $ENGAGEMENT_SHARED_DATA."""
    return Path(os.environ.get("ENGAGEMENT_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture
def shared_data_dir():
    def get(sub: str) -> Path:
        path = shared_data() / sub
        if not path.is_dir():
            pytest.skip(f"real data {path} absent (set ENGAGEMENT_SHARED_DATA)")
        return path
    return get


@pytest.fixture(autouse=True)
def _test_key(monkeypatch):
    # Tests never create the untracked key file in the checkout.
    monkeypatch.setenv("ENGAGEMENT_KEY", "test-key-not-secret")


# --- one small demo batch, shared by every test that needs real pages -----------------------

SMALL = dict(seed=7, n_learners=240, n_organisations=6, n_courses=2, weeks=10)
"""A small demo community: every notebook runs on it in seconds."""


def write_batch(tmp_path, name, dataset, *runs) -> Path:
    """A reports.yaml in `tmp_path` running the repository's notebooks on `dataset`.

    Each run is a dict whose ``notebook`` is the notebook's stem; its other keys are kept.
    """
    import yaml

    config = tmp_path / "reports.yaml"
    config.write_text(yaml.safe_dump({
        "batch": name, "defaults": {"dataset": str(dataset), "min_group_size": 5},
        "runs": [{**run, "notebook": str(REPO / "notebooks" / f"{run['notebook']}.ipynb")}
                 for run in runs]}))
    return config


# Fewer resamples than the defaults: the pages, not the precision, are under test.
DEMO_PARAMETERS = {"03_channels": {"campaign": "Spring 2026 recruitment", "n_boot": 200},
                   "05_community": {"permutations": 200},
                   "06_drivers": {"n_boot": 50}}
DEMO_NOTEBOOKS = sorted((p.stem for p in (REPO / "notebooks").glob("*.ipynb")),
                        key=lambda stem: (stem != "findings", stem))


@pytest.fixture(scope="session")
def demo_batch(tmp_path_factory):
    """The batch `make reports` runs, on the small demo: the findings, 00-06 and one findings
    page per organisation, both audiences, with the index. Run once per session.

    Returns a dict: root, out (the batch folder), processed (the dataset), results
    (run name -> RunResult), batch (the loaded Batch).
    """
    from engagement import batch as batches
    from engagement import clean
    from engagement.sources import demo

    root = tmp_path_factory.mktemp("demo-batch")
    demo.write_demo(root / "raw", **SMALL)
    processed = clean.prepare("demo", root / "raw", name="demo",
                              processed_root=root / "processed", key=b"demo-batch-test-key")
    config = write_batch(root, "demo", processed,
                         *({"notebook": stem, "parameters": DEMO_PARAMETERS.get(stem, {})}
                           for stem in DEMO_NOTEBOOKS),
                         {"notebook": "findings", "name": "findings-for",
                          "for_each": "organisation"})
    loaded = batches.load_batch(config)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENGAGEMENT_KEY", "demo-batch-test-key")
        results = batches.run_batch(loaded, out_dir=root / "out", progress=False)
    return {"root": root, "out": root / "out" / "demo", "processed": processed,
            "results": {r.name: r for r in results}, "batch": loaded}
