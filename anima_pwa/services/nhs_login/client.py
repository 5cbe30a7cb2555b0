"""NHS login: the OpenID Connect client (authorization code flow, confidential client).

What NHS login's interface specification asks of a relying party, and where it is done here:

- ``state`` and ``nonce`` on every request (:meth:`NhsLoginClient.new_state_and_nonce`); the state
  coming back is compared in constant time, the nonce is checked inside the ID token.
- ``vtr``: the vectors of trust asked for (a JSON list from settings); the ID token's ``vot`` must
  be one of them.
- Token endpoint authentication ``private_key_jwt`` signed RS512, a new ``jti`` each time and a
  60 second lifetime (authlib's :class:`PrivateKeyJWT`).
- ID tokens are RS512 only: any other ``alg``, including ``none`` and HS*, is refused before the
  signature is looked at. Keys come from ``jwks_uri`` (fetched again once for an unknown ``kid``).
- Userinfo is plain JSON; its ``sub`` must equal the ID token's.

The client is synchronous (httpx); call it off the event loop (``asyncio.to_thread``). Every
failure is an :class:`NhsLoginError` whose ``reason`` is a short code for logs and tests and whose
``message`` is plain English for the page; the details go to the server log only, never tokens,
codes or personal claims.

This module uses ``joserfc`` for JOSE: authlib 1.7+ builds its own JWT code on joserfc and marks
``authlib.jose`` as deprecated (removed in authlib 2.0).
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.client import OAuth2Client as _ProtocolClient
from authlib.oauth2.rfc6749.parameters import prepare_token_request
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet, RSAKey

from anima_pwa.services.platform import clock
from anima_pwa.services.platform.validation import nhs_number_is_valid
from anima_pwa.settings import NhsLoginSettings

__all__ = [
    "ID_TOKEN_ALG",
    "NhsLoginClient",
    "NhsLoginError",
    "NhsLoginIdentity",
    "ensure_demo_client_key",
    "parse_vtr",
]

log = logging.getLogger(__name__)

ID_TOKEN_ALG = "RS512"
CLIENT_ASSERTION_LIFETIME = 60  # seconds
CLOCK_LEEWAY = 30  # seconds allowed for clock differences on exp / iat
MAX_RESPONSE_BYTES = 256 * 1024
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
_VECTOR = re.compile(r"P[059]\.(?:Cp\.Cd|Cp\.Ck|Cm)")
_ODS_CODE = re.compile(r"[A-Z0-9]{3,10}")
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")

# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

_TRY_AGAIN = "We could not sign you in with NHS login. Please try again."
_UNAVAILABLE = "NHS login is not available at the moment. Please try again later, or sign in with your email address."
_MESSAGES = {
    "state": "Your NHS login sign-in has expired or was started in another tab or browser. Please start again.",
    "denied": "You did not finish signing in with NHS login. You can try again, or sign in with your email address.",
    "claims": "NHS login did not send us the details we need. Please try again, or sign in with your email address.",
    "config": _UNAVAILABLE,
    "discovery": _UNAVAILABLE,
    "token_endpoint": _UNAVAILABLE,
    "userinfo": _UNAVAILABLE,
    "idp_error": _UNAVAILABLE,
}
REASONS = (
    "state", "nonce", "audience", "issuer", "signature", "expired", "vot", "userinfo_sub", "claims",
    "token_endpoint", "userinfo", "discovery", "denied", "idp_error", "config",
)  # fmt: skip


class NhsLoginError(Exception):
    """NHS login sign-in failed. ``reason``: a short code (see ``REASONS``); ``message``: for the page."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        self.reason = reason
        self.message = message or _MESSAGES.get(reason, _TRY_AGAIN)
        super().__init__(f"{reason}: {self.message}")


def _fail(reason: str, detail: str, *args: object) -> NhsLoginError:
    """Log the detail (server side only) and return the error to raise."""
    log.warning("NHS login failed (%s): " + detail, reason, *args)
    return NhsLoginError(reason)


# ---------------------------------------------------------------------------------------------
# Identity
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NhsLoginIdentity:
    """Who NHS login says signed in, from the ID token and userinfo, checked."""

    sub: str
    nhs_number: str
    given_name: str | None  # scope profile_extended
    family_name: str
    birthdate: date
    email: str | None
    email_verified: bool
    phone_number: str | None  # E.164, e.g. +447700900123
    phone_number_verified: bool
    gp_ods_code: str | None  # scope gp_registration_details
    vot: str  # the vector of trust achieved, e.g. "P9.Cp.Cd"
    identity_proofing_level: str  # "P9", "P5" or "P0"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}" if self.given_name else self.family_name

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> NhsLoginIdentity:
        """Check every claim's type and format; any problem raises NhsLoginError("claims")."""

        def text(name: str, *, required: bool, max_length: int = 200) -> str | None:
            value = claims.get(name)
            if value is None or value == "":
                if required:
                    raise _fail("claims", "claim %s missing", name)
                return None
            if not isinstance(value, str) or len(value) > max_length or value != value.strip():
                raise _fail("claims", "claim %s malformed", name)
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
                raise _fail("claims", "claim %s has control characters", name)
            return value

        def required(name: str, *, max_length: int = 200) -> str:
            value = text(name, required=True, max_length=max_length)
            if value is None:  # text() has refused it already
                raise _fail("claims", "claim %s missing", name)
            return value

        def flag(name: str) -> bool:
            value = claims.get(name, False)
            if not isinstance(value, bool):
                raise _fail("claims", "claim %s is not a boolean", name)
            return value

        sub = required("sub", max_length=255)
        nhs_number = required("nhs_number", max_length=10)
        if not nhs_number_is_valid(nhs_number):
            raise _fail("claims", "nhs_number is not a valid NHS number")
        birth_text = required("birthdate", max_length=10)
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", birth_text):
                raise ValueError
            birthdate = date.fromisoformat(birth_text)
        except ValueError:
            raise _fail("claims", "birthdate is not YYYY-MM-DD") from None
        if birthdate > clock.today() or birthdate.year < 1880:  # born today in the UK is not in the future
            raise _fail("claims", "birthdate out of range")
        vot = required("vot", max_length=20)
        level = required("identity_proofing_level", max_length=3)
        if not _VECTOR.fullmatch(vot) or level not in {"P0", "P5", "P9"} or not vot.startswith(level + "."):
            raise _fail("claims", "vot %r and identity_proofing_level %r disagree", vot, level)
        email = text("email", required=False, max_length=320)
        if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise _fail("claims", "email malformed")
        phone = text("phone_number", required=False, max_length=16)
        if phone is not None and not _PHONE.fullmatch(phone):
            raise _fail("claims", "phone_number is not E.164")
        gp = claims.get("gp_registration_details")
        gp_ods_code = None
        if gp is not None:
            if not isinstance(gp, Mapping):
                raise _fail("claims", "gp_registration_details is not an object")
            code = gp.get("gp_ods_code")
            if code not in (None, ""):
                if not isinstance(code, str) or not _ODS_CODE.fullmatch(code):
                    raise _fail("claims", "gp_ods_code malformed")
                gp_ods_code = code
        return cls(
            sub=sub,
            nhs_number=nhs_number,
            given_name=text("given_name", required=False),
            family_name=required("family_name"),
            birthdate=birthdate,
            email=email,
            email_verified=flag("email_verified") if email else False,
            phone_number=phone,
            phone_number_verified=flag("phone_number_verified") if phone else False,
            gp_ods_code=gp_ods_code,
            vot=vot,
            identity_proofing_level=level,
        )


def parse_vtr(vtr: str) -> list[str]:
    """The vectors of trust in a ``vtr`` JSON list, e.g. '["P9.Cp.Cd","P9.Cm"]'; ValueError if bad."""
    try:
        vectors = json.loads(vtr)
    except (TypeError, ValueError):
        raise ValueError("vtr is not JSON") from None
    if not isinstance(vectors, list) or not vectors:
        raise ValueError("vtr must be a non-empty JSON list")
    for vector in vectors:
        if not isinstance(vector, str) or not _VECTOR.fullmatch(vector):
            raise ValueError(f"vtr has an unknown vector: {vector!r}")
    return vectors


# ---------------------------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------------------------


class _RS512PrivateKeyJWT(PrivateKeyJWT):
    """authlib's private_key_jwt, RS512, living 60 seconds (authlib's default is an hour)."""

    alg = ID_TOKEN_ALG

    def sign(self, auth, token_endpoint):
        return private_key_jwt_sign(
            auth.client_secret,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            alg=self.alg,
            expires_in=CLIENT_ASSERTION_LIFETIME,
        )


@dataclass(frozen=True)
class _Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str


class NhsLoginClient:
    """One per process is enough: discovery, keys and the client key are cached on the instance."""

    def __init__(self, settings: NhsLoginSettings, *, http: httpx.Client | None = None) -> None:
        self.settings = settings
        self._http = http if http is not None else httpx.Client(timeout=10)
        self._discovery: _Discovery | None = None
        self._jwks: KeySet | None = None
        self._client_key: RSAKey | None = None
        try:
            self.vtr = parse_vtr(settings.vtr)
        except ValueError as error:
            raise _fail("config", "ANIMA_NHS_LOGIN_VTR: %s", error) from None
        scopes = settings.scopes.split()
        if "openid" not in scopes or "profile" not in scopes:
            raise _fail("config", "ANIMA_NHS_LOGIN_SCOPES must include openid and profile")
        if "basic_demographics" in scopes:
            raise _fail("config", "ANIMA_NHS_LOGIN_SCOPES: profile and basic_demographics can't be asked together")
        if not settings.client_id:
            raise _fail("config", "ANIMA_NHS_LOGIN_CLIENT_ID is not set")

    @staticmethod
    def new_state_and_nonce() -> tuple[str, str]:
        return secrets.token_urlsafe(32), secrets.token_urlsafe(32)

    # -- discovery and keys --------------------------------------------------------------------

    def _get_json(self, url: str, reason: str, *, bearer: str | None = None) -> Any:
        headers = {"Accept": "application/json"}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        try:
            response = self._http.get(url, headers=headers)
        except httpx.HTTPError as error:
            raise _fail(reason, "GET %s: %s", url, type(error).__name__) from None
        if response.status_code != 200:
            raise _fail(reason, "GET %s answered %s", url, response.status_code)
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise _fail(reason, "GET %s: response too large", url)
        try:
            return response.json()
        except ValueError:
            raise _fail(reason, "GET %s: not JSON", url) from None

    def discover(self) -> _Discovery:
        if self._discovery is not None:
            return self._discovery
        issuer = self.settings.issuer
        url = f"{issuer}/.well-known/openid-configuration"
        doc = self._get_json(url, "discovery")
        if not isinstance(doc, dict):
            raise _fail("discovery", "discovery document is not an object")
        if doc.get("issuer") != issuer:
            raise _fail("discovery", "discovery issuer %r is not %r", doc.get("issuer"), issuer)
        endpoints = {}
        for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
            value = doc.get(name)
            if not isinstance(value, str) or not _acceptable_url(value):
                raise _fail("discovery", "discovery %s missing or not https: %r", name, value)
            endpoints[name] = value
        algs = doc.get("id_token_signing_alg_values_supported")
        if isinstance(algs, list) and ID_TOKEN_ALG not in algs:
            raise _fail("discovery", "issuer does not sign ID tokens with %s", ID_TOKEN_ALG)
        methods = doc.get("token_endpoint_auth_methods_supported")
        if isinstance(methods, list) and "private_key_jwt" not in methods:
            raise _fail("discovery", "issuer does not take private_key_jwt")
        self._discovery = _Discovery(issuer=issuer, **endpoints)
        return self._discovery

    def _keys(self, *, refresh: bool = False) -> KeySet:
        if self._jwks is None or refresh:
            data = self._get_json(self.discover().jwks_uri, "discovery")
            try:
                keys = [k for k in data["keys"] if k.get("kty") == "RSA" and k.get("use", "sig") == "sig"]
                self._jwks = KeySet.import_key_set({"keys": keys})
            except (KeyError, TypeError, AttributeError, ValueError, JoseError):
                raise _fail("discovery", "jwks_uri did not answer a usable key set") from None
        return self._jwks

    def _private_key(self) -> RSAKey:
        if self._client_key is None:
            path = self.settings.private_key_file
            try:
                key = RSAKey.import_key(path.read_bytes())
            except (OSError, ValueError, JoseError) as error:
                raise _fail("config", "client private key %s unusable: %s", path, type(error).__name__) from None
            if not key.is_private or key.raw_value.key_size < 2048:
                raise _fail("config", "client key %s must be an RSA private key of 2048 bits or more", path)
            self._client_key = key
        return self._client_key

    # -- the flow ------------------------------------------------------------------------------

    def authorization_url(self, *, state: str, nonce: str) -> str:
        """Where to send the browser. ``state`` and ``nonce`` must be kept server-side for complete()."""
        if not state or not nonce:
            raise _fail("config", "state and nonce are mandatory")
        protocol = _ProtocolClient(
            None,
            client_id=self.settings.client_id,
            scope=self.settings.scopes,
            redirect_uri=self.settings.redirect_uri,
        )
        url, _ = protocol.create_authorization_url(
            self.discover().authorization_endpoint,
            state=state,
            nonce=nonce,
            vtr=json.dumps(self.vtr, separators=(",", ":")),
        )
        return url

    def complete(
        self,
        *,
        code: str,
        returned_state: str,
        expected_state: str,
        nonce: str,
        error: str | None = None,
        now: float | datetime | None = None,
    ) -> NhsLoginIdentity:
        """Finish sign-in at the callback: check state, swap the code, check the tokens, read userinfo.

        ``error`` is the callback's ``error`` parameter, if NHS login sent one instead of a code.
        """
        if (
            not returned_state
            or not expected_state
            or not hmac.compare_digest(returned_state.encode(), expected_state.encode())
        ):
            raise _fail("state", "returned state does not match")
        if error:
            if error == "access_denied":
                log.info("NHS login: the person cancelled")
                raise NhsLoginError("denied")
            raise _fail("idp_error", "authorize returned error %r", error[:60])
        if not code or not nonce:
            raise _fail("idp_error", "callback without a code")
        found = self.discover()
        tokens = self._exchange_code(code, found.token_endpoint)
        claims = self._validate_id_token(tokens["id_token"], nonce=nonce, now=now)
        userinfo = self._get_json(found.userinfo_endpoint, "userinfo", bearer=tokens["access_token"])
        if not isinstance(userinfo, dict):
            raise _fail("userinfo", "userinfo is not an object")
        if not isinstance(userinfo.get("sub"), str) or not hmac.compare_digest(
            userinfo["sub"].encode(), claims["sub"].encode()
        ):
            raise _fail("userinfo_sub", "userinfo sub differs from the ID token's")
        merged = {**userinfo, "sub": claims["sub"], "vot": claims["vot"]}
        if "identity_proofing_level" not in merged and "identity_proofing_level" in claims:
            merged["identity_proofing_level"] = claims["identity_proofing_level"]
        return NhsLoginIdentity.from_claims(merged)

    def _exchange_code(self, code: str, token_endpoint: str) -> dict[str, str]:
        body = prepare_token_request("authorization_code", code=code, redirect_uri=self.settings.redirect_uri)
        auth = ClientAuth(self.settings.client_id, self._private_key(), _RS512PrivateKeyJWT(token_endpoint))
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        url, headers, body = auth.prepare("POST", token_endpoint, headers, body)
        try:
            response = self._http.post(url, content=body.encode(), headers=headers)
        except httpx.HTTPError as error:
            raise _fail("token_endpoint", "POST token: %s", type(error).__name__) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code != 200 or not isinstance(data, dict):
            problem = data.get("error") if isinstance(data, dict) else None
            raise _fail("token_endpoint", "token endpoint answered %s %r", response.status_code, problem)
        for name in ("id_token", "access_token"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise _fail("token_endpoint", "token response without %s", name)
        if str(data.get("token_type", "")).lower() != "bearer":
            raise _fail("token_endpoint", "token_type is not Bearer")
        return data

    def _validate_id_token(self, id_token: str, *, nonce: str, now: float | datetime | None) -> dict[str, Any]:
        header = _unverified_header(id_token)
        if header is None or header.get("alg") != ID_TOKEN_ALG:
            alg = header.get("alg") if header else None
            raise _fail("signature", "ID token alg %r refused", str(alg)[:20])
        try:
            keys = self._keys()
            if header.get("kid") and not _has_kid(keys, header["kid"]):
                keys = self._keys(refresh=True)  # the issuer may have rotated its keys
            token = jwt.decode(id_token, keys, algorithms=[ID_TOKEN_ALG])
        except BadSignatureError:
            raise _fail("signature", "ID token signature does not verify") from None
        except JoseError as error:
            raise _fail("signature", "ID token refused: %s", type(error).__name__) from None
        claims = token.claims

        client_id = self.settings.client_id
        if isinstance(now, datetime):
            now = now.timestamp()
        registry = jwt.JWTClaimsRegistry(
            now=int(now if now is not None else time.time()),
            leeway=CLOCK_LEEWAY,
            iss={"essential": True, "value": self.settings.issuer},
            aud={"essential": True, "value": client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
            vot={"essential": True, "values": self.vtr},
        )
        order = ("iss", "aud", "exp", "iat", "nonce", "vot", "sub")
        ordered = {name: claims[name] for name in order if name in claims}
        ordered.update(claims)
        try:
            registry.validate(ordered)
        except ExpiredTokenError:
            raise _fail("expired", "ID token expired") from None
        except ClaimError as error:
            claim = error.claim.split(",")[0] if isinstance(error, MissingClaimError) else error.claim
            reason = {"iss": "issuer", "aud": "audience", "nonce": "nonce", "vot": "vot", "exp": "expired"}.get(
                claim, "claims"
            )
            raise _fail(reason, "ID token claim %s: %s", error.claim, error.error) from None
        aud = claims["aud"]
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != client_id:
            raise _fail("audience", "ID token for several audiences without our azp")
        if not isinstance(claims["vot"], str):
            raise _fail("vot", "vot is not a string")
        return claims


def _acceptable_url(url: str) -> bool:
    """https, or http to this machine (the local emulator)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS


def _unverified_header(token: str) -> dict[str, Any] | None:
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError):
        return None
    return header if isinstance(header, dict) else None


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


# ---------------------------------------------------------------------------------------------
# Demo key
# ---------------------------------------------------------------------------------------------


def ensure_demo_client_key(path: Path) -> None:
    """Create an RSA 2048 private key (PEM, mode 0600) at ``path`` unless one is there.

    Demo mode and tests only: a real deployment registers its public key with NHS login and
    keeps the private key in its secret store. Safe when several processes race: the key is
    written to a temporary file and linked into place, so nobody reads a half-written file.
    """
    path = Path(path)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".nhs-login-key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race; its key stands
    finally:
        os.unlink(tmp)
    log.info("Created a demo NHS login client key at %s", path)
