"""Choosing ports for servers that are not started yet."""

from __future__ import annotations

import socket

from aduan_devstack.procfs import free_ports


def test_free_ports_are_distinct() -> None:
    assert len(set(free_ports(50))) == 50


def test_free_ports_avoid_the_ones_given() -> None:
    evens = range(0, 65536, 2)
    assert all(port % 2 == 1 for port in free_ports(10, avoid=evens))


def test_a_free_port_can_be_bound() -> None:
    (port,) = free_ports(1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))
