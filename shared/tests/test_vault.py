"""The reporter vault: sealed with the public key, opened only with the private key."""

import pytest
from aduan_shared.vault import generate_keypair, seal, unseal
from cryptography.exceptions import InvalidTag

CONTACT = {"name": "Siti", "phone": "+6281234567890", "email": "siti@example.id"}


def test_round_trip() -> None:
    private, public = generate_keypair()
    sealed = seal(public, CONTACT)
    assert "Siti" not in sealed and "6281234567890" not in sealed
    assert unseal(private, sealed) == CONTACT


def test_each_seal_is_different() -> None:
    _, public = generate_keypair()
    assert seal(public, CONTACT) != seal(public, CONTACT)


def test_other_private_key_cannot_open() -> None:
    _, public = generate_keypair()
    other_private, _ = generate_keypair()
    with pytest.raises(InvalidTag):
        unseal(other_private, seal(public, CONTACT))


def test_tampering_is_detected() -> None:
    private, public = generate_keypair()
    sealed = bytearray(seal(public, CONTACT).encode())
    sealed[-5] = ord("A") if sealed[-5] != ord("A") else ord("B")
    with pytest.raises((InvalidTag, ValueError)):
        unseal(private, sealed.decode())
