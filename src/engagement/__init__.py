"""engagement: why learner engagement is low in online learning communities, and what lifts it."""

__version__ = "0.1.0"
