"""Screens of the details form, the home page and dependants: thin states over services.patients."""
