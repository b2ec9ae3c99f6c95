"""JWT verification: HS256 with a secret, RS256 through a real JWKS endpoint on loopback."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from aduan_shared.auth import JwtVerifier, Role, issue_dev_token
from aduan_shared.errors import Unauthenticated
from aduan_shared.settings import AuthSettings
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from pydantic import SecretStr

SECRET = "test-secret-at-least-32-bytes-long!!"


def hs_verifier() -> JwtVerifier:
    return JwtVerifier(AuthSettings(auth_jwt_secret=SecretStr(SECRET)))


async def test_hs256_token_gives_role_and_unit() -> None:
    token = issue_dev_token(SECRET, sub="u1", roles=[Role.UNIT_OFFICER], unit_id="kelurahan:1")
    principal = await hs_verifier().verify(token)
    assert principal.sub == "u1"
    assert principal.roles == frozenset({"unit_officer"})
    assert principal.unit_id == "kelurahan:1"


async def test_wrong_secret_is_rejected() -> None:
    token = issue_dev_token("another-secret-that-is-32-bytes-long", sub="u1", roles=[])
    with pytest.raises(Unauthenticated):
        await hs_verifier().verify(token)


async def test_expired_token_is_rejected() -> None:
    token = issue_dev_token(SECRET, sub="u1", roles=[], ttl_s=-10)
    with pytest.raises(Unauthenticated, match="expired"):
        await hs_verifier().verify(token)


async def test_token_with_algorithm_none_is_rejected() -> None:
    token = jwt.encode({"sub": "u1", "exp": int(time.time()) + 60}, None, algorithm="none")
    with pytest.raises(Unauthenticated):
        await hs_verifier().verify(token)


async def test_unconfigured_auth_refuses_everything() -> None:
    token = issue_dev_token(SECRET, sub="u1", roles=[])
    with pytest.raises(Unauthenticated, match="not configured"):
        await JwtVerifier(AuthSettings()).verify(token)


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [jwk | {"kid": "k1", "alg": "RS256", "use": "sig"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json", key
    server.shutdown()


async def test_rs256_through_jwks(jwks_server: tuple[str, rsa.RSAPrivateKey]) -> None:
    url, key = jwks_server
    claims = {"sub": "v1", "roles": ["verifier"], "exp": int(time.time()) + 60}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    principal = await JwtVerifier(AuthSettings(auth_jwks_url=url)).verify(token)
    assert principal.roles == frozenset({"verifier"})
    forged = jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(Unauthenticated):
        await JwtVerifier(AuthSettings(auth_jwks_url=url)).verify(forged)
