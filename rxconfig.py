"""Reflex configuration. Values come from anima_pwa.settings (the environment), not from here."""

import reflex as rx
from reflex.constants import StateManagerMode

from anima_pwa.settings import settings

config = rx.Config(
    app_name="anima_pwa",
    db_url=settings.db_url,
    redis_url=settings.redis_url,
    # Where Reflex keeps each tab's state. Never Reflex's default "disk": after each batch of
    # writes it scans its whole `.states` folder on a thread that holds the event loop (42% of a
    # worker's time in a 1,000-patient rush, half-second stalls for every tab). Without Redis the
    # one worker keeps tab state in memory: sessions and request drafts are in the database, so a
    # restart only makes each tab rebuild its page from there (docs/ARCHITECTURE.md, "Tab state").
    # With Redis (several workers) it must be "redis": naming a mode turns off Reflex's own switch
    # to Redis when REFLEX_REDIS_URL is set.
    state_manager_mode=StateManagerMode.REDIS if settings.redis_url else StateManagerMode.MEMORY,
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
