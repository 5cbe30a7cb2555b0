"""Password rules and argon2id hashing."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type
from hypothesis import given
from hypothesis import strategies as st

from anima_pwa.services.identity import passwords
from anima_pwa.services.identity.passwords import (
    check_password,
    hash_password,
    is_common_password,
    needs_rehash,
    verify_against_dummy,
    verify_password,
)

COMMON = "This password is too common. Choose one that would be harder to guess"


@pytest.mark.parametrize(
    "password, email, message",
    [
        ("", None, "Enter a password"),
        ("Ab1defg", None, "Password must be 8 characters or more"),
        ("Ab1" + "x" * 126, None, "Password must be 128 characters or fewer"),
        ("abcdefgh", None, "Password must include an upper case letter and a number"),
        ("ABCDEFGH", None, "Password must include a lower case letter and a number"),
        ("12345678", None, "Password must include an upper case letter and a lower case letter"),
        ("!!!!!!!!", None, "Password must include an upper case letter, a lower case letter and a number"),
        ("Abcdefgh", None, "Password must include a number"),
        ("abcdefg1", None, "Password must include an upper case letter"),
        ("ABCDEFG1", None, "Password must include a lower case letter"),
        ("Password1", None, COMMON),
        ("Password123!", None, COMMON),
        ("PASSWORD1a", None, None),
        ("Qwerty123", None, COMMON),
        ("Iloveyou1", None, COMMON),
        ("Football2024!!", None, COMMON),
        ("Trustno1", None, COMMON),
        ("Jordan23", None, COMMON),
        ("Monkey12!", None, COMMON),
        ("Sunshine.99", None, COMMON),
        ("JoBloggs1990", "jo.bloggs@example.com", None),  # local part not contained as typed
        ("Jo.Bloggs1990", "jo.bloggs@example.com", "Password must not contain your email address"),
        ("xxJO.BLOGGSxx9", "Jo.Bloggs@Example.com", "Password must not contain your email address"),
        ("Samwise-Gamgee7", "samw+nhs@example.com", "Password must not contain your email address"),
        ("MyJoPassword7Zq", "jo@example.com", None),  # local part under 4 characters is ignored
        ("Correct-Horse-7-Staple", "jo.bloggs@example.com", None),
        ("Tr4velling-Light", None, None),
        ("Ünïcödé-Pässwörd-9", None, None),
        ("  Spaces are Fine 42  ", None, None),
        ("Ab1" + "x" * 125, None, None),  # exactly 128
    ],
)
def test_check_password(password, email, message):
    assert check_password(password, email=email) == message


def test_messages_never_echo_the_password():
    for password in ["Password1", "abcdefgh", "Jo.Bloggs1990x", "Ab1"]:
        message = check_password(password, email="jo.bloggs@example.com") or ""
        assert password.lower() not in message.lower()


@pytest.mark.parametrize(
    "password",
    ["password", "PASSWORD", "PaSsWoRd", "password1", "password123!", "qwerty!!", "letmein", "dragon2"],
)
def test_common_passwords_are_refused_whatever_the_case_or_ending(password):
    assert is_common_password(password)


@pytest.mark.parametrize("password", ["Tr4velling-Light", "9Horsebattery", "Pass word", "xK9#mQ2vL7", "!!!", ""])
def test_uncommon_passwords(password):
    assert not is_common_password(password)


def test_common_password_list_file():
    lines = passwords.COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#")
    header = "\n".join(line for line in lines if line.startswith("#"))
    assert "zxcvbn" in header and "MIT" in header
    entries = [line for line in lines if not line.startswith("#")]
    assert len(entries) >= 10_000
    assert all(entry and entry == entry.lower() and entry == entry.strip() for entry in entries)
    assert len(passwords._common_passwords()) == len(set(entries))
    assert passwords._common_passwords() is passwords._common_passwords()  # loaded once


@given(st.text(max_size=200), st.one_of(st.none(), st.emails()))
def test_check_password_returns_none_or_a_message(password, email):
    result = check_password(password, email=email)
    assert result is None or (isinstance(result, str) and result)
    if result is None:
        assert 8 <= len(password) <= 128
        assert any(c.isupper() for c in password) and any(c.islower() for c in password)
        assert any(c.isdecimal() for c in password)
        assert not is_common_password(password)


# --- Hashing (argon2id is deliberately slow: keep the number of hashes small) -----------------


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password("Tr4velling-Light")


def test_hash_is_argon2id_and_salted(stored):
    assert stored.startswith("$argon2id$")
    assert "Tr4velling-Light" not in stored
    assert hash_password("Tr4velling-Light") != stored


def test_verify_password(stored):
    assert verify_password(stored, "Tr4velling-Light") is True
    assert verify_password(stored, "tr4velling-light") is False
    assert verify_password(stored, "") is False


@pytest.mark.parametrize(
    "bad_hash",
    ["", None, "not a hash", "$argon2id$v=19$m=65536,t=3,p=4$garbage", "$2b$12$abcdefghijklmnopqrstuv"],
)
def test_verify_password_never_raises_on_bad_hashes(bad_hash):
    assert verify_password(bad_hash, "Tr4velling-Light") is False


def test_needs_rehash(stored):
    assert needs_rehash(stored) is False
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID).hash("Tr4velling-Light")
    assert needs_rehash(weak) is True
    assert verify_password(weak, "Tr4velling-Light") is True  # old hashes still sign in
    assert needs_rehash("not a hash") is True


def test_dummy_hash_costs_the_same_as_a_real_one():
    assert not needs_rehash(passwords._DUMMY_HASH)  # same parameters as new hashes
    assert verify_against_dummy("Tr4velling-Light") is None
    assert verify_against_dummy("") is None
