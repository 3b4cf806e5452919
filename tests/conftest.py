"""Shared test configuration.

Under CI (the ``CI`` environment variable is set) the property-based tests
draw the same examples every run, so a submission's CI result does not depend
on luck; locally they explore new random examples each run.
"""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
