"""Screens of signing up, signing in (email, MFA, NHS login) and account settings: thin states over services.identity and services.nhs_login."""
