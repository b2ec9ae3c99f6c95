"""Shared fixtures for the devstack tests."""

from __future__ import annotations

import pytest
from aduan_devstack.procfs import free_port


@pytest.fixture
def ports() -> list[int]:
    """Five distinct free ports on 127.0.0.1."""
    found: list[int] = []
    while len(found) < 5:
        port = free_port()
        if port not in found:
            found.append(port)
    return found
