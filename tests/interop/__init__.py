"""The independent verifiers the interop tests compare badgekiln with (see harness.py, README.md)."""
