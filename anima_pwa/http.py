"""Plain HTTP routes beside the Reflex app, and security headers on every response."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import FileResponse, PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from anima_pwa.settings import ROOT, Settings

ASSETS = ROOT / "assets"


async def service_worker(_request):
    # no-cache: phones must check for a new worker on every visit, or updates never arrive.
    return FileResponse(
        ASSETS / "sw.js",
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


def static_routes() -> Starlette:
    return Starlette(
        routes=[
            Route("/sw.js", service_worker),
            Route("/manifest.webmanifest", manifest),
            Route("/healthz", healthz),
        ]
    )


def security_headers(settings: Settings):
    """ASGI middleware adding headers that cost nothing and close common holes."""
    extra = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if settings.base_url.startswith("https://"):
        extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    names = {name.lower() for name, _ in message.get("headers", [])}
                    message["headers"] = list(message.get("headers", [])) + [
                        (name, value) for name, value in extra if name not in names
                    ]
                await send(message)

            await app(scope, receive, send_with_headers)

        return middleware

    return wrap
