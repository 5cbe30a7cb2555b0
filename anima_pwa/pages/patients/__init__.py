"""The details form, the home page and dependants."""
