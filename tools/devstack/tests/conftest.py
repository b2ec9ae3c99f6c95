"""Shared fixtures for the devstack tests."""

from __future__ import annotations

import pytest
from aduan_devstack.procfs import free_ports


@pytest.fixture
def ports() -> list[int]:
    """Five distinct free ports on 127.0.0.1."""
    return free_ports(5)
