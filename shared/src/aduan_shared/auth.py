"""JWT authentication: HS256 with `AUTH_JWT_SECRET` (development), RS256 via `AUTH_JWKS_URL`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
from fastapi import Request

from aduan_shared.errors import Forbidden, Unauthenticated
from aduan_shared.settings import AuthSettings


class Role(StrEnum):
    UNIT_OFFICER = "unit_officer"
    INTAKE_OFFICER = "intake_officer"
    CRM_ADMIN = "crm_admin"
    VERIFIER = "verifier"
    LEADER = "leader"


@dataclass(frozen=True)
class Principal:
    """Who is calling: from the token's `sub`, `name`, `roles` and `unit_id` claims."""

    sub: str
    name: str
    roles: frozenset[str]
    unit_id: str | None

    def has_any(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)


class JwtVerifier:
    """Verifies bearer tokens; the algorithm follows the configuration, never the token."""

    def __init__(self, settings: AuthSettings) -> None:
        self._settings = settings
        self._jwks = jwt.PyJWKClient(settings.auth_jwks_url) if settings.auth_jwks_url else None

    @property
    def configured(self) -> bool:
        return self._jwks is not None or self._settings.auth_jwt_secret is not None

    async def verify(self, token: str) -> Principal:
        """Return the principal of a valid token; raise Unauthenticated otherwise."""
        options: Any = {
            "require": ["sub", "exp"],
            "verify_aud": self._settings.auth_audience is not None,
        }
        try:
            if self._jwks is not None:
                key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                claims = jwt.decode(
                    token,
                    key.key,
                    algorithms=["RS256"],
                    options=options,
                    audience=self._settings.auth_audience,
                    issuer=self._settings.auth_issuer,
                )
            elif self._settings.auth_jwt_secret is not None:
                claims = jwt.decode(
                    token,
                    self._settings.auth_jwt_secret.get_secret_value(),
                    algorithms=["HS256"],
                    options=options,
                    audience=self._settings.auth_audience,
                    issuer=self._settings.auth_issuer,
                )
            else:
                raise Unauthenticated("authentication is not configured on this service")
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from exc
        roles = claims.get("roles", [])
        if isinstance(roles, str):
            roles = [roles]
        return Principal(
            sub=str(claims["sub"]),
            name=str(claims.get("name", "")),
            roles=frozenset(str(r) for r in roles),
            unit_id=claims.get("unit_id"),
        )


def issue_dev_token(
    secret: str,
    *,
    sub: str,
    roles: Iterable[str],
    unit_id: str | None = None,
    name: str = "",
    ttl_s: int = 3600,
) -> str:
    """Mint an HS256 token for development and tests (production tokens come from the IdP)."""
    now = int(time.time())
    claims = {
        "sub": sub,
        "name": name,
        "roles": list(roles),
        "unit_id": unit_id,
        "iat": now,
        "exp": now + ttl_s,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the caller's principal (the app keeps a JwtVerifier in state.auth)."""
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated("missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    verifier: JwtVerifier = request.app.state.auth
    return await verifier.verify(token)


def require_roles(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """FastAPI dependency factory: the caller must hold one of `roles` (403 otherwise)."""

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if not principal.has_any(roles):
            raise Forbidden(f"requires one of the roles: {', '.join(sorted(roles))}")
        return principal

    return dependency
