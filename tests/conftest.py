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
