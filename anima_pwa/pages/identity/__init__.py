"""Pages of signing up, signing in and account settings."""
