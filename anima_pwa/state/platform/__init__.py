"""The demo mailbox (demo mode only)."""
