"""Reflex configuration. Values come from anima_pwa.settings (the environment), not from here."""

import reflex as rx

from anima_pwa.settings import settings

config = rx.Config(
    app_name="anima_pwa",
    db_url=settings.db_url,
    redis_url=settings.redis_url,
    frontend_port=settings.port,
    backend_port=settings.port,
    # The websocket and API accept only the app's own origin (the default is "*").
    cors_allowed_origins=[settings.origin],
    trusted_proxy_hops=settings.trusted_proxy_hops,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[],
    disable_plugins=[rx.plugins.SitemapPlugin],
    # Pages are precompressed with gzip only: the CSP middleware reads each page to hash its
    # inline scripts (anima_pwa/http.py).
    frontend_compression_formats=["gzip"],
)
