"""Sealed reporter contacts: intake seals with the vault's public key; only the notifier opens.

X25519 key agreement with an ephemeral key, HKDF-SHA256, AES-256-GCM (an ECIES-style sealed box),
so a leaked intake database or intake process holds no key that decrypts a contact.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"aduan-reporter-vault-v1"
_RAW = serialization.Encoding.Raw


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


def generate_keypair() -> tuple[str, str]:
    """Return (private, public) keys as url-safe base64 strings, for configuration."""
    private = X25519PrivateKey.generate()
    priv = private.private_bytes(
        _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pub = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    return _b64(priv), _b64(pub)


def _key(shared: bytes, ephemeral_pub: bytes, recipient_pub: bytes) -> bytes:
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=ephemeral_pub + recipient_pub, info=_INFO)
    return hkdf.derive(shared)


def seal(public_key_b64: str, contact: dict[str, Any]) -> str:
    """Encrypt a contact dict for the holder of the private key; returns an opaque string."""
    recipient = X25519PublicKey.from_public_bytes(_unb64(public_key_b64))
    ephemeral = X25519PrivateKey.generate()
    eph_pub = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    rec_pub = recipient.public_bytes(_RAW, serialization.PublicFormat.Raw)
    key = _key(ephemeral.exchange(recipient), eph_pub, rec_pub)
    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, json.dumps(contact).encode(), _INFO)
    return _b64(eph_pub + nonce + ciphertext)


def unseal(private_key_b64: str, sealed: str) -> dict[str, Any]:
    """Decrypt what `seal` produced; raises cryptography's InvalidTag if tampered with."""
    private = X25519PrivateKey.from_private_bytes(_unb64(private_key_b64))
    blob = _unb64(sealed)
    eph_pub, nonce, ciphertext = blob[:32], blob[32:44], blob[44:]
    rec_pub = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    key = _key(private.exchange(X25519PublicKey.from_public_bytes(eph_pub)), eph_pub, rec_pub)
    data: dict[str, Any] = json.loads(AESGCM(key).decrypt(nonce, ciphertext, _INFO))
    return data
