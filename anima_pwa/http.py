"""Plain HTTP routes beside the Reflex app, and security headers (a Content-Security-Policy
among them) on every response.

The session cookie is set and cleared only here, by HTTP responses, so it can be HttpOnly:

- `GET /auth/session?h=<handoff>&next=<path>`: a screen that has just signed someone in sends the
  browser here; the single-use handoff (services.identity.sessions) becomes the session cookie, the
  device cookie (services.identity.devices) is renewed, and the browser goes on to `next`.
- `GET /auth/check?to=<path>`: back to `to` if this browser's session is still alive, otherwise
  the cookie is cleared and the browser goes to sign in. Screens whose session has ended, and
  pages left idle past the idle limit, come here.
- `POST /auth/sign-out`: ends the session and clears the cookie.

And `POST|DELETE /push/subscription`: this browser's push subscription (web push), for the session
cookie's account only.

And `GET /attachments/<id>`: a photo a patient sent with a reply, by the session cookie only, to
the practice's staff who may view requests and the accounts that may see the request
(services.inbox.attachments.open_for); anyone else gets the same 404 as for an unknown id.
`GET /appointments/ics/<id>`: an appointment's calendar file, the same way (issue 12).

Each refuses a request that another site started (login CSRF), by `Sec-Fetch-Site` or, from
browsers that don't send it, by `Origin`/`Referer`.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import re
from collections import OrderedDict
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from anima_pwa import cookies, routes
from anima_pwa.db import session_scope
from anima_pwa.models import Account
from anima_pwa.services.identity import accounts, devices, sessions
from anima_pwa.settings import ROOT, Settings, settings

ASSETS = ROOT / "assets"


# The service worker's cache is named for the build it came with (`_worker_version`): a new build of
# the app is a new sw.js, byte for byte, so on the next launch the browser installs it, it takes over
# at once (skipWaiting, clients.claim) and deletes the old build's cache. Pages are always fetched
# from the network first, so a relaunch never shows an old build's screen against a newer server.
_VERSION_LINE = 'const VERSION = "anima-dev";'
_BUILD_INPUTS = ("sw.js", "anima.css", "anima.js", "character-count.js", "offline.html", "manifest.webmanifest")


def _built_assets() -> list[str]:
    """The frontend build's asset file names (each carries a hash of its content), or [] with no
    build (the unit tests, `reflex run` in development)."""
    from reflex.utils import prerequisites

    folder = prerequisites.get_web_dir() / "build" / "client" / "assets"
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


def worker_version(assets: Path = ASSETS, built: list[str] | None = None) -> str:
    """`anima-<16 hex>`: a hash of the worker, the static files it caches or serves and the build's
    asset names; the same build gives the same name, any change a new one."""
    digest = hashlib.sha256()
    for name in _BUILD_INPUTS:
        digest.update(name.encode() + b"\0" + (assets / name).read_bytes() + b"\0")
    for name in _built_assets() if built is None else built:
        digest.update(name.encode() + b"\0")
    return "anima-" + digest.hexdigest()[:16]


_worker_script: bytes | None = None


def service_worker_script() -> bytes:
    """sw.js with this build's cache name, worked out once per process (a build changes only with
    a restart)."""
    global _worker_script
    if _worker_script is None:
        source = (ASSETS / "sw.js").read_text(encoding="utf-8")
        if _VERSION_LINE not in source:
            raise RuntimeError(f"assets/sw.js must contain {_VERSION_LINE!r}")
        _worker_script = source.replace(_VERSION_LINE, f'const VERSION = "{worker_version()}";').encode()
    return _worker_script


async def service_worker(_request):
    # no-cache: phones must check for a new worker on every visit, or updates never arrive.
    return Response(
        service_worker_script(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


async def manifest(_request):
    return FileResponse(
        ASSETS / "manifest.webmanifest",
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


async def healthz(_request):
    return PlainTextResponse("ok")


# Sign-in cookies ------------------------------------------------------------------------------


def client_ip(request: Request) -> str:
    """The browser's address, behind `ANIMA_TRUSTED_PROXY_HOPS` proxies (as Reflex works it out
    for the websocket)."""
    ip = request.client.host if request.client else ""
    hops = settings.trusted_proxy_hops
    if hops:
        forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            ip = forwarded[-hops]
    return ip[:64]


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def from_this_site(request: Request, *, typed_ok: bool = False) -> bool:
    """True if one of this site's own pages started the request (or, with `typed_ok`, the person
    typed the address). Browsers since 2023 say so in Sec-Fetch-Site; older ones are judged by
    Origin or Referer (sent same-origin under our Referrer-Policy)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin" or (typed_ok and site == "none")
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    return _origin_of(source) == settings.origin or (typed_ok and not source)


def _redirect(target: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _landing(kind: str, next_path: str) -> str:
    """Where a newly signed-in person goes: `next` if it suits the kind of account."""
    if kind == "staff":
        ok = routes.is_workspace(next_path) and not next_path.startswith(routes.PRACTICE_LOGIN)
        return next_path if ok and "//" not in next_path and "\\" not in next_path else routes.PRACTICE
    target = routes.safe_next(next_path)
    return routes.HOME if routes.is_workspace(target) else target


def _sign_in_page(to: str, *, expired: bool) -> str:
    flag = "expired=1" if expired else ""
    page = routes.practice_login(to) if routes.is_workspace(to) else routes.login(to)
    if not flag:
        return page
    return page + ("&" if "?" in page else "?") + flag


def auth_session(request: Request) -> Response:
    next_path = request.query_params.get("next", "")[:2000]
    if not from_this_site(request):
        return PlainTextResponse(
            "This sign-in link can only be used from the Anima page that made it.", status_code=403
        )
    with session_scope() as db:
        redeemed = sessions.redeem_handoff(db, request.query_params.get("h", "")[:200])
        login = ""
        if redeemed is not None:
            account = db.get(Account, redeemed[1].account_id)
            login = account.email_normalized if account is not None else ""
    if redeemed is None:
        # Used already (a Back button), too old, or the session ended meanwhile: sign in again.
        return _redirect(_sign_in_page(next_path if routes.is_workspace(next_path) else "", expired=True))
    token, identity = redeemed
    response = _redirect(_landing(identity.kind, next_path))
    response.headers.append("set-cookie", cookies.set_cookie(cookies.SESSION, token))
    device = devices.remember(cookies.read(request.headers.get("cookie"), cookies.DEVICE), login)
    response.headers.append("set-cookie", cookies.set_cookie(cookies.DEVICE, device))
    return response


def auth_check(request: Request) -> Response:
    to = request.query_params.get("to", "")[:2000]
    staff = routes.is_workspace(to)
    target = (to if "//" not in to and "\\" not in to else routes.PRACTICE) if staff else routes.safe_next(to)
    token = cookies.read(request.headers.get("cookie"), cookies.SESSION)
    identity = None
    if token and from_this_site(request, typed_ok=True):
        with session_scope() as db:
            identity = sessions.resolve(db, token, touch=False)
    if identity is not None:
        return _redirect(target)
    response = _redirect(_sign_in_page(target, expired=bool(token)))
    if token:
        response.headers.append("set-cookie", cookies.clear(cookies.SESSION))
    return response


def auth_sign_out(request: Request) -> Response:
    if not from_this_site(request):
        return PlainTextResponse("Sign out from an Anima page.", status_code=403)
    token = cookies.read(request.headers.get("cookie"), cookies.SESSION)
    staff = request.query_params.get("from") == "practice"
    with session_scope() as db:
        identity = sessions.resolve(db, token, touch=False)
        staff = staff or (identity is not None and identity.kind == "staff")
        accounts.sign_out(db, token, client_ip=client_ip(request))
    response = _redirect((routes.PRACTICE_LOGIN if staff else routes.LOGIN) + "?signed_out=1")
    response.headers.append("set-cookie", cookies.clear(cookies.SESSION))
    return response


# Push subscriptions ---------------------------------------------------------------------------

PUSH_BODY_LIMIT = 4096


def _push_json(status: int, **fields) -> Response:
    return JSONResponse(fields, status_code=status, headers={"Cache-Control": "no-store"})


def _push_change(token: str, method: str, data: dict) -> Response:
    from anima_pwa.services.platform.notifications import push

    with session_scope() as db:
        identity = sessions.resolve(db, token)
        if identity is None:
            return _push_json(401, error="Sign in again to change notifications.")
        if method == "DELETE":
            push.unsubscribe(db, account_id=identity.account_id, endpoint=data.get("endpoint"))
            return _push_json(200, on=False)
        if data.get("check"):
            on = push.check_subscription(
                db, account_id=identity.account_id, session_id=identity.session_id, endpoint=data.get("endpoint")
            )
            return _push_json(200, on=on)
        result = push.subscribe(
            db, account_id=identity.account_id, session_id=identity.session_id, subscription=data.get("subscription")
        )
        if not result.ok:
            return _push_json(400, error=result.message)
        return _push_json(200, on=True)


async def push_subscription(request: Request) -> Response:
    """This browser's push subscription, for the session cookie's account only: POST
    {"subscription": <PushSubscription JSON>} turns notifications on, POST {"check": true,
    "endpoint": ...} says whether they are on (and drops another account's), DELETE {"endpoint": ...}
    turns them off. Same-site pages only, JSON only."""
    if not from_this_site(request):
        return _push_json(403, error="Change notifications from an Anima page.")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _push_json(415, error="Send JSON.")
    token = cookies.read(request.headers.get("cookie"), cookies.SESSION)
    if not token:
        return _push_json(401, error="Sign in again to change notifications.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > PUSH_BODY_LIMIT:
            return _push_json(413, error="Too large.")
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return _push_json(400, error="Send a JSON object.")
    return await asyncio.to_thread(_push_change, token, request.method, data)


# Photos sent with replies ---------------------------------------------------------------------


def _not_found() -> Response:
    return PlainTextResponse("Not found", status_code=404, headers={"Cache-Control": "no-store"})


def attachment(request: Request) -> Response:
    from anima_pwa.services.inbox import attachments
    from anima_pwa.services.practice import permissions

    token = cookies.read(request.headers.get("cookie"), cookies.SESSION)
    if not token:
        return _not_found()
    with session_scope() as db:
        identity = sessions.resolve(db, token, touch=False)
        if identity is None:
            return _not_found()
        staff = permissions.staff_context(db, identity) if identity.kind == "staff" else None
        found = attachments.open_for(
            db, request.path_params.get("attachment_id", ""), identity=None if staff else identity, staff=staff
        )
    if found is None:
        return _not_found()
    content_type, data = found
    return Response(
        data,
        media_type=content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Disposition": "inline",
        },
    )


def appointment_calendar(request: Request) -> Response:
    """The .ics of an appointment, for an account that acts for its patient (by the session cookie
    only); anyone else, and a cancelled appointment, get the same 404 as an unknown id."""
    from anima_pwa.services.appointments import calendar_file

    token = cookies.read(request.headers.get("cookie"), cookies.SESSION)
    if not token:
        return _not_found()
    with session_scope() as db:
        identity = sessions.resolve(db, token, touch=False)
        if identity is None or identity.kind != "patient":
            return _not_found()
        data = calendar_file.calendar_for_account(db, identity, request.path_params.get("appointment_id", ""))
    if data is None:
        return _not_found()
    return Response(
        data,
        media_type="text/calendar",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Disposition": 'attachment; filename="appointment.ics"',
        },
    )


def static_routes() -> Starlette:
    return Starlette(
        routes=[
            Route("/sw.js", service_worker),
            Route("/manifest.webmanifest", manifest),
            Route("/healthz", healthz),
            Route(routes.AUTH_SESSION, auth_session, methods=["GET"]),
            Route(routes.AUTH_CHECK, auth_check, methods=["GET"]),
            Route(routes.AUTH_SIGN_OUT, auth_sign_out, methods=["POST"]),
            Route(routes.ATTACHMENT + "{attachment_id}", attachment, methods=["GET"]),
            Route(routes.APPOINTMENT_ICS + "{appointment_id}", appointment_calendar, methods=["GET"]),
            Route(routes.PUSH_SUBSCRIPTION, push_subscription, methods=["POST", "DELETE"]),
        ]
    )


# The practice's own link ----------------------------------------------------------------------


def _practice_exists(code: str) -> bool:
    from anima_pwa.services.practice import practice_link

    with session_scope() as db:
        return practice_link.find(db, code) is not None


def practice_link_cookie():
    """ASGI middleware for the practice's own link `/p/<ODS code>` (a Reflex page): a practice that
    is found leaves a cookie naming it, so sign-up preselects it (state.patients.registration, which
    checks the code against the practices table again); a code that isn't an active practice's gets
    a 404 status (the page itself says "We could not find that practice")."""
    from anima_pwa.services.practice import practice_link

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            path = scope.get("path", "") if scope["type"] == "http" else ""
            if not path.startswith(practice_link.PATH_PREFIX) or scope.get("method") not in ("GET", "HEAD"):
                await app(scope, receive, send)
                return
            code = practice_link.ods_from_path(path)
            found = code is not None and await asyncio.to_thread(_practice_exists, code)
            is_poster = path.rstrip("/").endswith(practice_link.POSTER_SUFFIX)

            async def send_marked(message: Message) -> None:
                if message["type"] == "http.response.start" and message.get("status") == 200:
                    headers = list(message.get("headers", []))
                    if not found:
                        message["status"] = 404
                        headers.append((b"cache-control", b"no-store"))
                    elif not is_poster and code is not None:
                        headers.append((b"set-cookie", cookies.practice_cookie(code).encode()))
                    message["headers"] = headers
                await send(message)

            await app(scope, receive, send_marked)

        return middleware

    return wrap


# Content-Security-Policy ----------------------------------------------------------------------

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
_HASH_CACHE: OrderedDict[bytes, str] = OrderedDict()


def inline_script_hashes(html: bytes) -> list[str]:
    """CSP source expressions ('sha256-...') for every inline <script> in a page, in order."""
    out: list[str] = []
    for match in _INLINE_SCRIPT.finditer(html):
        digest = base64.b64encode(hashlib.sha256(match.group(1)).digest()).decode("ascii")
        source = f"'sha256-{digest}'"
        if source not in out:
            out.append(source)
    return out


def content_security_policy(settings: Settings, script_hashes: list[str] | tuple[str, ...] = ()) -> str:
    """The policy: scripts only from this origin or the page's own inline scripts (by hash), no
    eval, no plugins, no <base>, no framing, and connections (the websocket) only to this origin.
    Styles may be inline: the UI library injects <style> elements."""
    origin = urlsplit(settings.origin)
    socket = ("wss://" if origin.scheme == "https" else "ws://") + origin.netloc
    directives = [
        "default-src 'self'",
        "script-src 'self'" + "".join(f" {source}" for source in script_hashes),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        f"connect-src 'self' {socket}",
        "manifest-src 'self'",
        "worker-src 'self'",
        "frame-src 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
    return "; ".join(directives)


def _policy_for_page(body: bytes, settings: Settings) -> str:
    key = hashlib.sha256(body).digest()
    policy = _HASH_CACHE.get(key)
    if policy is None:
        policy = content_security_policy(settings, inline_script_hashes(body))
        _HASH_CACHE[key] = policy
        if len(_HASH_CACHE) > 512:
            _HASH_CACHE.popitem(last=False)
    else:
        _HASH_CACHE.move_to_end(key)
    return policy


def security_headers(settings: Settings):
    """ASGI middleware adding headers that cost nothing and close common holes. HTML pages get a
    Content-Security-Policy listing the hashes of their own inline scripts (the built app's
    prerendered pages carry a few), read from the page as it is sent."""
    extra = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if settings.base_url.startswith("https://"):
        extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    base_policy = content_security_policy(settings).encode()

    def with_extra(headers: list[tuple[bytes, bytes]], policy: bytes) -> list[tuple[bytes, bytes]]:
        names = {name.lower() for name, _ in headers}
        added = [(name, value) for name, value in extra if name not in names]
        if b"content-security-policy" not in names:
            added.append((b"content-security-policy", policy))
        return list(headers) + added

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            start: Message | None = None
            chunks: list[bytes] = []

            async def send_with_headers(message: Message) -> None:
                nonlocal start
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                    if message.get("status") == 304:
                        # Not modified: the browser keeps the cached page's headers, CSP included,
                        # and would replace them with any sent here.
                        message["headers"] = [h for h in with_extra(headers, b"") if h[0] != b"content-security-policy"]
                        await send(message)
                        return
                    if not content_type.startswith(b"text/html") or scope.get("method") == "HEAD":
                        message["headers"] = with_extra(headers, base_policy)
                        await send(message)
                        return
                    start = message  # hold it until the page is read, to hash its scripts
                    return
                if start is None:
                    await send(message)
                    return
                if message["type"] == "http.response.pathsend":  # a file the server sends itself
                    body = await asyncio.to_thread(Path(message["path"]).read_bytes)
                    await send_start(start, body)
                    await send(message)
                    return
                if message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))
                    if message.get("more_body", False):
                        return
                    body = b"".join(chunks)
                    await send_start(start, body)
                    await send({"type": "http.response.body", "body": body, "more_body": False})
                    return
                await send(message)

            async def send_start(start: Message, body: bytes) -> None:
                headers = list(start.get("headers", []))
                encoding = next((v for k, v in headers if k.lower() == b"content-encoding"), b"").lower()
                if encoding in (b"", b"identity", b"gzip"):
                    page = gzip.decompress(body) if encoding == b"gzip" else body
                    policy = _policy_for_page(page, settings).encode()
                else:  # not a format we read: the policy without hashes (inline scripts won't run)
                    policy = base_policy
                start["headers"] = with_extra(headers, policy)
                await send(start)

            await app(scope, receive, send_with_headers)

        return middleware

    return wrap
