"""Helpers shared by Aduan's test suites (never imported by a service)."""

from aduan_testkit.images import dms, jpeg
from aduan_testkit.polling import eventually

__all__ = ["dms", "eventually", "jpeg"]
