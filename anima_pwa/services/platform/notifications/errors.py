"""How a transport says a message failed: for good, or because the provider can't be used now."""

from __future__ import annotations


class PermanentFailure(Exception):
    """The message can never be delivered as it is (an invalid address or number): failed at once."""


class ProviderUnavailable(OSError):
    """The provider can't be used now (down, rate limit, rejected key): retried later, and the rest
    of the batch is left for the next run because it would fail the same way."""
