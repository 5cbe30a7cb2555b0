"""A local stand-in for NHS login, for the demo and for tests. It is not NHS login.

It follows the parts of NHS login's OpenID Connect interface that Anima uses: discovery, an
authorize page (pick a synthetic person, a proofing level and, if wanted, a problem to simulate),
a token endpoint taking ``private_key_jwt`` client assertions signed RS512, RS512 ID tokens with
``vot`` and ``vtm``, userinfo by scope, and a JWKS.

Everything lives in this process's memory (one worker): pending requests, one-time codes (60 s),
access tokens, used client-assertion ``jti`` values. Restarting the emulator forgets them all, and
it makes a new signing key.

The emulator is given the relying party's *private* key file only because demo mode keeps one key
for both sides on one machine; it derives the public key and never signs with the private one.
A real identity provider is given only the public key.
"""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
import threading
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from anima_pwa.services.platform import clock
from anima_pwa.services.platform.demo import DEMO_PEOPLE, DEMO_PRACTICES
from anima_pwa.services.platform.validation import age_on

ALG = "RS512"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
VTM = "https://auth.sandpit.signin.nhs.uk/trustmark/auth.sandpit.signin.nhs.uk"
DEFAULT_VTR = ["P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"]
CODE_LIFETIME = 60  # seconds
REQUEST_LIFETIME = 600  # an authorize page left open this long must be started again
TOKEN_LIFETIME = 300  # access token and ID token
ASSERTION_MAX_LIFETIME = 300  # a client assertion may not expire more than 5 minutes ahead
CLOCK_LEEWAY = 5
LEVELS = {
    "P9": "P9: high level (identity checked with photo ID)",
    "P5": "P5: medium level (details matched to an NHS record)",
}
PROBLEMS = {
    "none": "None: sign in normally",
    "wrong_nonce": "Wrong nonce in the ID token",
    "wrong_audience": "Wrong audience (ID token for another service)",
    "wrong_issuer": "Wrong issuer in the ID token",
    "expired": "Expired ID token",
    "bad_signature": "Bad signature on the ID token",
    "alg_none": "Unsigned ID token (alg none)",
    "alg_hs256": "ID token signed with HS256",
    "vot_not_requested": "Vector of trust that was not asked for",
    "userinfo_sub_mismatch": "Userinfo for a different person (sub mismatch)",
    "access_denied": "Person cancels (access_denied)",
}
KNOWN_SCOPES = {
    "openid", "profile", "basic_demographics", "profile_extended", "email", "phone", "landline",
    "gp_registration_details", "gp_integration_credentials", "client_metadata",
}  # fmt: skip
_VECTOR = re.compile(r"P[059]\.(?:Cp\.Cd|Cp\.Ck|Cm)")
_ALL_VECTORS = [f"P{level}.{c}" for level in "059" for c in ("Cp.Cd", "Cp.Ck", "Cm")]
_SUB_NAMESPACE = uuid.UUID("6f1c8a52-3c0e-4c55-9d7e-2b1f4f7c9a11")
_PRACTICE_NAMES = {practice.ods_code: practice.name for practice in DEMO_PRACTICES}
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_PAGE_HEADERS = {
    **_NO_STORE,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class EmulatorConfig:
    issuer: str  # e.g. http://localhost:3001 (no path)
    client_id: str
    client_public_key: RSAKey
    redirect_uris: tuple[str, ...]

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"


def client_public_key_from_file(path: Path) -> RSAKey:
    """The public half of the relying party's RSA private key PEM."""
    private = RSAKey.import_key(Path(path).read_bytes())
    return RSAKey.import_key(private.as_dict(private=False))


@dataclass(frozen=True)
class Person:
    given_name: str
    family_name: str
    birthdate: date
    nhs_number: str
    gp_ods_code: str | None
    email: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def sub(self) -> str:
        """Stable per NHS number, like one NHS login account per person."""
        return str(uuid.uuid5(_SUB_NAMESPACE, self.nhs_number))

    def claims(self, scopes: tuple[str, ...], level: str) -> dict:
        claims: dict = {"sub": self.sub}
        if "profile" in scopes:
            claims.update(
                nhs_number=self.nhs_number,
                family_name=self.family_name,
                birthdate=self.birthdate.isoformat(),
                identity_proofing_level=level,
            )
        if "basic_demographics" in scopes:
            claims.update(
                family_name=self.family_name, birthdate=self.birthdate.isoformat(), identity_proofing_level=level
            )
        if "profile_extended" in scopes:
            claims["given_name"] = self.given_name
        if "email" in scopes:
            names = (self.given_name.split()[0], self.family_name)
            local = ".".join(re.sub(r"[^a-z]", "", name.lower()) for name in names)
            claims.update(email=self.email or f"{local}@example.com", email_verified=True)
        if "phone" in scopes:
            claims.update(phone_number=f"+447700900{int(self.nhs_number) % 1000:03d}", phone_number_verified=True)
        if "gp_registration_details" in scopes and self.gp_ods_code:
            claims["gp_registration_details"] = {"gp_ods_code": self.gp_ods_code}
        return claims  # fmt: skip


def register_people(today: date | None = None) -> list[Person]:
    """DEMO_PEOPLE aged 16 or over (NHS login is for people 16+ on their own behalf)."""
    today = today or clock.today()  # the date in England
    return [
        Person(p.given_names, p.family_name, p.date_of_birth, p.nhs_number, p.practice_ods_code)
        for p in DEMO_PEOPLE
        if age_on(p.date_of_birth, today) >= 16
    ]


@dataclass
class AuthRequest:
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    nonce: str
    vtr: list[str]
    expires: float

    @property
    def levels(self) -> list[str]:
        return [level for level in LEVELS if any(v.startswith(level + ".") for v in self.vtr)]


@dataclass
class Grant:
    request: AuthRequest
    person: Person
    level: str
    problem: str
    expires: float
    access_token: str | None = None


@dataclass
class _Store:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: dict[str, AuthRequest] = field(default_factory=dict)
    codes: dict[str, Grant] = field(default_factory=dict)
    used_codes: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, Grant] = field(default_factory=dict)
    jtis: dict[str, float] = field(default_factory=dict)

    def purge(self, now: float) -> None:
        for table in (self.requests, self.codes, self.tokens):
            for key in [k for k, v in table.items() if v.expires < now]:
                del table[key]
        for key in [k for k, v in self.used_codes.items() if v.expires + TOKEN_LIFETIME < now]:
            del self.used_codes[key]
        for key in [k for k, exp in self.jtis.items() if exp + CLOCK_LEEWAY < now]:
            del self.jtis[key]


def _valid_vtr(vtr: object) -> bool:
    return isinstance(vtr, list) and bool(vtr) and all(isinstance(v, str) and _VECTOR.fullmatch(v) for v in vtr)


def _b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _with_params(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    headers = dict(_NO_STORE)
    if error == "invalid_client":
        status = 401
        headers["WWW-Authenticate"] = 'Bearer error="invalid_client"'
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


def create_app(
    config: EmulatorConfig,
    *,
    signing_key: RSAKey | None = None,
    announce: bool = False,
    people: list[Person] | None = None,
) -> Starlette:
    """The emulator as an ASGI app. ``announce`` prints the readiness line at startup."""
    issuer = config.issuer.rstrip("/")
    key = signing_key or RSAKey.generate_key(2048, parameters={"use": "sig", "alg": ALG}, private=True)
    key.ensure_kid()
    rogue_key = RSAKey.generate_key(2048, private=True)  # for "bad signature"
    hmac_key = OctKey.import_key(secrets.token_bytes(64))  # for "alg HS256"
    store = _Store()
    roster = people if people is not None else register_people()
    by_nhs_number = {person.nhs_number: person for person in roster}

    # -- discovery and keys --------------------------------------------------------------------

    async def discovery(_request: Request) -> JSONResponse:
        return JSONResponse({
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "scopes_supported": sorted(KNOWN_SCOPES),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALG],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": [ALG],
            "claims_supported": [
                "sub", "iss", "aud", "exp", "iat", "nonce", "vot", "vtm", "nhs_number", "family_name",
                "given_name", "birthdate", "identity_proofing_level", "email", "email_verified",
                "phone_number", "phone_number_verified", "gp_registration_details",
            ],
            "vtr_values_supported": _ALL_VECTORS,
        })  # fmt: skip

    async def jwks(_request: Request) -> JSONResponse:
        return JSONResponse({"keys": [key.as_dict(private=False)]})

    async def healthz(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    # -- authorize -----------------------------------------------------------------------------

    def refuse_page(message: str, status: int = 400) -> HTMLResponse:
        body = f"<h1>NHS login (local emulator)</h1><p>{html.escape(message)}</p>"
        return HTMLResponse(_page(body), status_code=status, headers=_PAGE_HEADERS)

    async def authorize(request: Request) -> Response:
        if request.method == "POST":
            return await choose(request)
        q = request.query_params
        if q.get("client_id") != config.client_id:
            return refuse_page("This service (client_id) is not known to the emulator.")
        redirect_uri = q.get("redirect_uri", "")
        if redirect_uri not in config.redirect_uris:
            return refuse_page("The redirect_uri does not match the one registered for this service.")
        state = q.get("state", "")

        def back(error: str, description: str) -> RedirectResponse:
            params = {"error": error, "error_description": description}
            if state:
                params["state"] = state
            return RedirectResponse(_with_params(redirect_uri, params), status_code=303)

        if q.get("response_type") != "code":
            return back("unsupported_response_type", "response_type must be code")
        scopes = tuple(q.get("scope", "").split())
        if "openid" not in scopes:
            return back("invalid_scope", "scope must include openid")
        if not set(scopes) <= KNOWN_SCOPES:
            return back("invalid_scope", "unknown scope")
        if "profile" in scopes and "basic_demographics" in scopes:
            return back("invalid_scope", "profile and basic_demographics cannot be requested together")
        if not state or not q.get("nonce"):
            return back("invalid_request", "state and nonce are required")
        vtr = DEFAULT_VTR
        if q.get("vtr"):
            try:
                vtr = json.loads(q["vtr"])
            except ValueError:
                vtr = None
            if not _valid_vtr(vtr):
                return back("invalid_request", "vtr must be a JSON list of vectors of trust")
        auth = AuthRequest(redirect_uri, scopes, state, q["nonce"], vtr, time.time() + REQUEST_LIFETIME)
        if not auth.levels:
            return back("invalid_request", "the emulator offers P9 and P5 only")
        request_id = secrets.token_urlsafe(24)
        with store.lock:
            store.purge(time.time())
            store.requests[request_id] = auth
        return HTMLResponse(_choose_page(request_id, auth, roster), headers=_PAGE_HEADERS)

    async def choose(request: Request) -> Response:
        form = await request.form()
        request_id = str(form.get("request_id", ""))
        with store.lock:
            store.purge(time.time())
            auth = store.requests.get(request_id)
        if auth is None:
            return refuse_page("This sign-in has expired or was already finished. Go back to the app and start again.")
        level, problem, choice = (str(form.get(name, "")) for name in ("level", "problem", "person"))
        if level not in auth.levels or problem not in PROBLEMS:
            return refuse_page("Choose an identity proofing level and a problem from the lists.")
        if choice == "cancel" or problem == "access_denied":
            with store.lock:
                store.requests.pop(request_id, None)
            params = {"error": "access_denied", "error_description": "The user cancelled", "state": auth.state}
            return RedirectResponse(_with_params(auth.redirect_uri, params), status_code=303)
        if choice == "custom":
            person, errors = _custom_person(form)
            if errors:
                page = _choose_page(request_id, auth, roster, errors=errors, values=form)
                return HTMLResponse(page, status_code=400, headers=_PAGE_HEADERS)
        else:
            person = by_nhs_number.get(choice)
            if person is None:
                return refuse_page("Choose one of the people listed.")
        code = secrets.token_urlsafe(32)
        with store.lock:
            if store.requests.pop(request_id, None) is None:
                return refuse_page("This sign-in was already finished. Go back to the app and start again.")
            store.codes[code] = Grant(auth, person, level, problem, time.time() + CODE_LIFETIME)
        return RedirectResponse(_with_params(auth.redirect_uri, {"code": code, "state": auth.state}), status_code=303)

    # -- token ---------------------------------------------------------------------------------

    def check_client_assertion(form) -> str | None:
        """None if the client proved who it is, else why not."""
        if form.get("client_assertion_type") != JWT_BEARER or not form.get("client_assertion"):
            return "client_assertion_type must be jwt-bearer, with a client_assertion"
        if form.get("client_id") not in (None, config.client_id):
            return "unknown client_id"
        try:
            token = jwt.decode(str(form["client_assertion"]), config.client_public_key, algorithms=[ALG])
        except JoseError:
            return "client_assertion is not an RS512 JWT signed by the client's key"
        claims, now = token.claims, time.time()
        if claims.get("iss") != config.client_id or claims.get("sub") != config.client_id:
            return "client_assertion iss and sub must be the client_id"
        aud = claims.get("aud")
        if aud != config.token_endpoint and not (isinstance(aud, list) and config.token_endpoint in aud):
            return "client_assertion aud must be the token endpoint"
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= now:
            return "client_assertion has expired"
        if exp > now + ASSERTION_MAX_LIFETIME + CLOCK_LEEWAY:
            return "client_assertion exp is more than 5 minutes ahead"
        iat = claims.get("iat")
        if iat is not None and (not isinstance(iat, int | float) or iat > now + CLOCK_LEEWAY):
            return "client_assertion iat is in the future"
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            return "client_assertion needs a jti"
        with store.lock:
            store.purge(now)
            if jti in store.jtis:
                return "client_assertion jti was used before"
            store.jtis[jti] = exp
        return None

    async def token(request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _oauth_error("invalid_request", "send a form (application/x-www-form-urlencoded)")
        form = await request.form()
        problem = check_client_assertion(form)
        if problem:
            return _oauth_error("invalid_client", problem)
        if form.get("grant_type") != "authorization_code":
            return _oauth_error("unsupported_grant_type", "grant_type must be authorization_code")
        code = str(form.get("code", ""))
        now = time.time()
        with store.lock:
            store.purge(now)
            grant = store.codes.pop(code, None)
            if grant is None:
                used = store.used_codes.get(code)
                if used is not None and used.access_token:  # a replayed code revokes what it gave
                    store.tokens.pop(used.access_token, None)
                return _oauth_error("invalid_grant", "the code is unknown, expired or already used")
            store.used_codes[code] = grant
            if form.get("redirect_uri") != grant.request.redirect_uri:
                return _oauth_error("invalid_grant", "redirect_uri does not match the authorization request")
            access_token = secrets.token_urlsafe(32)
            grant.access_token = access_token
            grant.expires = now + TOKEN_LIFETIME
            store.tokens[access_token] = grant
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "scope": " ".join(grant.request.scopes),
                "id_token": id_token_for(grant, int(now)),
            },
            headers=_NO_STORE,
        )

    def id_token_for(grant: Grant, now: int) -> str:
        vot = next(v for v in grant.request.vtr if v.startswith(grant.level + "."))
        claims = {
            "iss": issuer,
            "sub": grant.person.sub,
            "aud": config.client_id,
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
            "auth_time": now,
            "jti": secrets.token_urlsafe(16),
            "nonce": grant.request.nonce,
            "vot": vot,
            "vtm": VTM,
            "identity_proofing_level": grant.level,
        }
        problem = grant.problem
        if problem == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(32)
        elif problem == "wrong_audience":
            claims["aud"] = "another-service"
        elif problem == "wrong_issuer":
            claims["iss"] = "https://auth.example.invalid"
        elif problem == "expired":
            claims["iat"], claims["exp"] = now - 2 * TOKEN_LIFETIME, now - TOKEN_LIFETIME
        elif problem == "vot_not_requested":
            claims["vot"] = next(v for v in _ALL_VECTORS if v not in grant.request.vtr)
        header = {"alg": ALG, "kid": key.kid, "typ": "JWT"}
        if problem == "alg_none":
            return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
        if problem == "alg_hs256":
            return jwt.encode({**header, "alg": "HS256"}, claims, hmac_key, algorithms=["HS256"])
        signer = rogue_key if problem == "bad_signature" else key
        return jwt.encode(header, claims, signer, algorithms=[ALG])

    # -- userinfo ------------------------------------------------------------------------------

    async def userinfo(request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        with store.lock:
            store.purge(time.time())
            grant = store.tokens.get(value) if scheme.lower() == "bearer" and value else None
        if grant is None:
            return JSONResponse(
                {"error": "invalid_token"},
                status_code=401,
                headers={**_NO_STORE, "WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        claims = grant.person.claims(grant.request.scopes, grant.level)
        if grant.problem == "userinfo_sub_mismatch":
            claims["sub"] = str(uuid.uuid4())
        return JSONResponse(claims, headers=_NO_STORE)

    @asynccontextmanager
    async def lifespan(_app):
        if announce:
            print(f"NHS login emulator ready at {issuer} (client {config.client_id})", flush=True)
        yield

    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/.well-known/jwks.json", jwks),
            Route("/authorize", authorize, methods=["GET", "POST"]),
            Route("/token", token, methods=["POST"]),
            Route("/userinfo", userinfo, methods=["GET", "POST"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------

_STYLE = """
body{font-family:Arial,Helvetica,sans-serif;margin:0;color:#212b32;background:#f0f4f5;line-height:1.5}
main{max-width:960px;margin:0 auto;padding:16px 24px 48px}
.banner{background:#ffeb3b;border-bottom:4px solid #212b32;margin:0;padding:12px 24px;font-weight:bold}
h1{font-size:2rem;margin:24px 0 8px} h2{font-size:1.4rem;margin:32px 0 8px}
label{display:block;font-weight:bold;margin:16px 0 4px}
select,input{font-size:1rem;padding:6px;border:2px solid #4c6272;min-width:16rem}
.hint{color:#4c6272;margin:0 0 4px}
table{border-collapse:collapse;width:100%;background:#fff;margin-top:8px}
th,td{text-align:left;padding:8px;border-bottom:1px solid #d8dde0;vertical-align:middle}
button{font-size:1rem;padding:8px 16px;background:#007f3b;color:#fff;border:0;cursor:pointer;
  border-bottom:4px solid #00401e}
button.secondary{background:#4c6272;border-bottom-color:#263139}
button:focus,select:focus,input:focus{outline:4px solid #ffeb3b;box-shadow:0 4px 0 #212b32}
.error-summary{border:4px solid #d5281b;background:#fff;padding:16px;margin:16px 0}
.error{color:#d5281b;font-weight:bold;margin:0 0 4px}
fieldset{border:0;padding:0;margin:0}
"""


def _page(body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>NHS login (local emulator)</title><style>{_STYLE}</style></head><body>"
        '<p class="banner" role="note">Local emulator for demos and tests. This is not NHS login: '
        "the people below are invented.</p>"
        f'<main id="main">{body}</main></body></html>'
    )


def _options(choices: dict[str, str], keys: list[str], selected: str | None) -> str:
    return "".join(
        f'<option value="{html.escape(k)}"{" selected" if k == selected else ""}>{html.escape(choices[k])}</option>'
        for k in keys
    )


def _selects(auth: AuthRequest, suffix: str, values) -> str:
    level = values.get("level") if values else None
    problem = values.get("problem") if values else None
    return (
        f'<label for="level{suffix}">Identity proofing</label>'
        f'<select id="level{suffix}" name="level">{_options(LEVELS, auth.levels, level)}</select>'
        f'<label for="problem{suffix}">Simulate a problem</label>'
        f'<select id="problem{suffix}" name="problem">{_options(PROBLEMS, list(PROBLEMS), problem)}</select>'
    )


_CUSTOM_FIELDS = (
    ("given_name", "Given name", "text", ""),
    ("family_name", "Family name", "text", ""),
    ("birthdate", "Date of birth", "date", "For example 27 April 1990"),
    ("nhs_number", "NHS number", "text",
     "10 digits. Not checked here, so you can see what the app does with a wrong one"),
    ("gp_ods_code", "GP practice ODS code (optional)", "text", "For example Y90001. Leave empty for no GP practice"),
    ("email", "Email address (optional)", "email", "Leave empty for firstname.lastname@example.com"),
)  # fmt: skip


def _choose_page(request_id: str, auth: AuthRequest, roster: list[Person], *, errors=None, values=None) -> str:
    errors = errors or {}
    rid = f'<input type="hidden" name="request_id" value="{html.escape(request_id)}">'
    parts = ["<h1>NHS login (local emulator)</h1>"]
    if errors:
        items = "".join(f'<li><a href="#{k}">{html.escape(m)}</a></li>' for k, m in errors.items())
        parts.append(
            f'<div class="error-summary" role="alert" tabindex="-1"><h2>There is a problem</h2><ul>{items}</ul></div>'
        )
    parts.append("<p>Choose who to sign in as. You will go back to the app signed in as that person.</p>")
    rows = "".join(
        "<tr>"
        f"<td>{html.escape(p.full_name)}</td>"
        f"<td>{p.birthdate.day} {p.birthdate:%B %Y}</td>"
        f"<td>{html.escape(_PRACTICE_NAMES.get(p.gp_ods_code or '', p.gp_ods_code or 'None'))}</td>"
        f'<td><button type="submit" name="person" value="{html.escape(p.nhs_number)}">'
        f"Continue as {html.escape(p.full_name)}</button></td>"
        "</tr>"
        for p in roster
    )
    parts.append(
        f'<form method="post" action="/authorize">{rid}{_selects(auth, "", None if errors else values)}'
        "<h2>People on the demo practices' registers</h2>"
        '<table><thead><tr><th scope="col">Name</th><th scope="col">Date of birth</th>'
        f'<th scope="col">GP practice</th><th scope="col">Sign in</th></tr></thead><tbody>{rows}</tbody></table>'
        '<h2>Or cancel</h2><button type="submit" name="person" value="cancel" class="secondary">'
        "Cancel and go back to the app</button></form>"
    )
    fields = []
    for name, label, kind, hint in _CUSTOM_FIELDS:
        value = html.escape(str(values.get(name, ""))) if values else ""
        hint_html = f'<p class="hint" id="{name}-hint">{html.escape(hint)}</p>' if hint else ""
        error = f'<p class="error" id="{name}-error">Error: {html.escape(errors[name])}</p>' if name in errors else ""
        described = " ".join(x for x in (f"{name}-hint" if hint else "", f"{name}-error" if error else "") if x)
        aria = f' aria-describedby="{described}"' if described else ""
        invalid = ' aria-invalid="true"' if error else ""
        fields.append(
            f'<label for="{name}">{html.escape(label)}</label>{hint_html}{error}'
            f'<input id="{name}" name="{name}" type="{kind}" value="{value}"{aria}{invalid}>'
        )
    parts.append(
        '<h2 id="someone-else">Sign in as someone else</h2>'
        "<p>Make up a person, for example one who is not on any practice's register.</p>"
        f'<form method="post" action="/authorize">{rid}{_selects(auth, "-custom", values if errors else None)}'
        f'<fieldset>{"".join(fields)}</fieldset><p><button type="submit" name="person" value="custom">'
        "Continue as this person</button></p></form>"
    )
    return _page("".join(parts))


def _custom_person(form) -> tuple[Person | None, dict[str, str]]:
    values = {name: str(form.get(name, "")).strip() for name, *_ in _CUSTOM_FIELDS}
    errors: dict[str, str] = {}
    for name, label in (("given_name", "a given name"), ("family_name", "a family name")):
        if not values[name]:
            errors[name] = f"Enter {label}"
        elif len(values[name]) > 100:
            errors[name] = f"Enter {label} of 100 characters or fewer"
    birthdate = None
    try:
        birthdate = date.fromisoformat(values["birthdate"])
        if birthdate > clock.today() or birthdate.year < 1900:
            errors["birthdate"] = "Date of birth must be a real date in the past"
    except ValueError:
        errors["birthdate"] = "Enter a real date of birth"
    nhs_number = re.sub(r"[\s-]", "", values["nhs_number"])
    if not re.fullmatch(r"[0-9]{10}", nhs_number):
        errors["nhs_number"] = "Enter an NHS number of 10 digits"
    ods = values["gp_ods_code"].upper()
    if ods and not re.fullmatch(r"[A-Z0-9]{3,10}", ods):
        errors["gp_ods_code"] = "Enter an ODS code of letters and numbers, like Y90001"
    email = values["email"]
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        errors["email"] = "Enter an email address like name@example.com"
    if errors:
        return None, errors
    person = Person(values["given_name"], values["family_name"], birthdate, nhs_number, ods or None, email or None)
    return person, {}
