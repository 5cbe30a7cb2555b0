"""Plain helpers the test modules share: valid NHS numbers, rows made directly (without the services
under test), and reading back what a service wrote. Fixtures are in conftest.py.

Every maker adds its row and flushes, so the row has its id; none commits.
"""

from __future__ import annotations

from anima_pwa.services.validation import nhs_number_is_valid

# --- NHS numbers ------------------------------------------------------------------------------


def nhs_check_digit(nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, worked out independently of the code under test;
    None where the remainder makes it 10 (no number starting with these digits is valid)."""
    total = sum(int(d) * w for d, w in zip(nine, [10, 9, 8, 7, 6, 5, 4, 3, 2], strict=True))
    remainder = 11 - total % 11
    return {11: 0, 10: None}.get(remainder, remainder)


def valid_nhs_number(prefix: str) -> str:
    """A valid NHS number starting with these 9 digits (Modulus 11), which the app also accepts."""
    check = nhs_check_digit(prefix)
    assert check is not None, prefix
    number = prefix + str(check)
    assert nhs_number_is_valid(number), number
    return number
