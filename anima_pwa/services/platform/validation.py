"""Checking and normalising what people type: NHS number, postcode, phone, email, name, dates.

Pure functions, no database. Each ``clean_*`` returns the normalised value or raises
``FieldError`` whose ``message`` is ready to show next to the field (NHS service manual style:
say what is wrong and how to fix it).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import phonenumbers

from anima_pwa.services.platform import text_limits

__all__ = [
    "PHONE_INVALID",
    "PHONE_LENGTH",
    "FieldError",
    "age_on",
    "clean_date_of_birth",
    "clean_email",
    "clean_full_name",
    "clean_mobile",
    "clean_nhs_number",
    "clean_postcode",
    "clean_text",
    "clean_uk_phone",
    "format_nhs_number",
    "format_uk_phone",
    "is_dummy_care_home_number",
    "nhs_number_is_valid",
    "normalize_email",
]


class FieldError(ValueError):
    """A value a person typed that cannot be accepted; ``message`` says how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _sentence_start(label: str) -> str:
    """Upper-case the first letter only ("full name" -> "Full name", "NHS number" unchanged)."""
    return label[:1].upper() + label[1:]


# Line breaks and invisible characters that have no place in a one-line field: C0/C1 controls,
# surrogates, line/paragraph separators and the bidirectional overrides used to disguise text.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _has_control_chars(value: str) -> bool:
    return any(unicodedata.category(ch) in {"Cc", "Cs", "Zl", "Zp"} or ch in _BIDI_CONTROLS for ch in value)


# ---------------------------------------------------------------------------------------------
# NHS number
# ---------------------------------------------------------------------------------------------

_TEN_DIGITS = re.compile(r"[0-9]{10}")
_DIGITS = re.compile(r"[0-9]+")
_NHS_SEPARATORS = re.compile(r"[\s\-]+")
_NHS_INVALID = "Enter a valid NHS number. Check it against a letter from your GP practice or the NHS App"


def nhs_number_is_valid(digits: str) -> bool:
    """True for exactly 10 digits whose last digit is the NHS Modulus 11 check digit."""
    if not isinstance(digits, str) or not _TEN_DIGITS.fullmatch(digits):
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def is_dummy_care_home_number(digits: str) -> bool:
    """True for the dummy numbers 999 999 XXXX, used only for care-home accounts."""
    return isinstance(digits, str) and bool(_TEN_DIGITS.fullmatch(digits)) and digits.startswith("999999")


def clean_nhs_number(raw: str | None, *, required: bool = False, allow_dummy: bool = False) -> str | None:
    """The 10 digits of an NHS number typed with or without spaces or hyphens; None when blank.

    Dummy care-home numbers (999 999 XXXX) are refused unless ``allow_dummy``; when allowed they
    need not pass the check digit.
    """
    text = (raw or "").strip()
    if not text:
        if required:
            raise FieldError("Enter your NHS number")
        return None
    if len(text) > 40:
        raise FieldError("NHS number must be 10 digits")
    digits = _NHS_SEPARATORS.sub("", text)
    if not _DIGITS.fullmatch(digits):
        raise FieldError("NHS number must only include numbers")
    if len(digits) != 10:
        raise FieldError("NHS number must be 10 digits")
    if is_dummy_care_home_number(digits):
        if allow_dummy:
            return digits
        raise FieldError("Enter the real NHS number. Numbers starting 999 999 can only be used for care home accounts")
    if not nhs_number_is_valid(digits):
        raise FieldError(_NHS_INVALID)
    return digits


def format_nhs_number(digits: str) -> str:
    """For display: 9434765919 becomes 943 476 5919. Anything else is returned unchanged."""
    compact = _NHS_SEPARATORS.sub("", digits or "")
    if not _TEN_DIGITS.fullmatch(compact):
        return digits
    return f"{compact[:3]} {compact[3:6]} {compact[6:]}"


# ---------------------------------------------------------------------------------------------
# Postcode
# ---------------------------------------------------------------------------------------------

# Royal Mail's rules: the outward code is A9, A99, AA9, AA99, A9A or AA9A, with letters limited by
# position; the inward code is a digit and two letters, never C, I, K, M, O or V.
_OUTWARD = (
    r"(?:"
    r"[A-PR-UWYZ][0-9]{1,2}"  # A9, A99
    r"|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"  # AA9, AA99
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"  # A9A
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]"  # AA9A
    r")"
)
_POSTCODE = re.compile(rf"(?:{_OUTWARD}[0-9][ABD-HJLNP-UW-Z]{{2}}|GIR0AA)")
_POSTCODE_INVALID = "Enter a real postcode, like SW1A 1AA"


def clean_postcode(raw: str | None) -> str:
    """A UK postcode in its standard form, "SW1A 1AA", whatever the case or spacing typed."""
    text = (raw or "").strip()
    if not text:
        raise FieldError("Enter your postcode")
    if len(text) > 16:
        raise FieldError(_POSTCODE_INVALID)
    compact = "".join(text.split()).upper()
    if not _POSTCODE.fullmatch(compact):
        raise FieldError(_POSTCODE_INVALID)
    return f"{compact[:-3]} {compact[-3:]}"


# ---------------------------------------------------------------------------------------------
# UK phone numbers
# ---------------------------------------------------------------------------------------------

# One parser for every form that takes a phone number: a mobile (patients' details and preferences,
# NHS login) or any UK mobile or landline (staff forms: a care home's number is often a landline).
# phonenumbers (Google's libphonenumber, kept up to date with Ofcom's allocations) reads what was
# typed and knows which numbers are real and of what kind. Numbers are stored as E.164
# ("+447700900123") and shown in the national format ("07700 900123", "020 7946 0018"). The Isle
# of Man, Guernsey and Jersey share +44 and count as UK numbers.

_PHONE_SEPARATORS = re.compile(r"[\s\-().]+")
# What is left once the separators are gone: ASCII digits, perhaps after a +. (phonenumbers would
# also read letters as a keypad's, "ext 4" as an extension and other scripts' digits as digits.)
_TYPED_PHONE = re.compile(r"\+?[0-9]+")
# What may come before the national number: its 0, the country code (+44, 0044, 44), both, or nothing.
_PREFIXES = frozenset({"", "0", "+44", "+440", "0044", "00440", "44", "440"})
_MOBILE_INVALID = "Enter a UK mobile number, like 07700 900 982"
_MOBILE_LENGTH = "Mobile number must be 11 digits, like 07700 900 982"
PHONE_INVALID = "Enter a UK phone number, like 01632 960 001 or 07700 900 982"
PHONE_LENGTH = "Phone number must be 11 digits, like 01632 960 001"

_UK = 44
_KIND = phonenumbers.PhoneNumberType
_MOBILE = frozenset({_KIND.MOBILE})
# Mobiles and landlines, and the 03 (and 055) numbers charged like them; not freephone,
# premium-rate or shared-cost (08, 09), personal numbering (070), pagers (076) or VoIP (056).
_PHONE = frozenset({_KIND.MOBILE, _KIND.FIXED_LINE, _KIND.FIXED_LINE_OR_MOBILE, _KIND.UAN})

# Ofcom's numbers for TV and radio drama, never given to anyone (the examples on the forms, the
# demo data and the tests use them): libphonenumber leaves some of them out on purpose. The first
# 7 digits of the national number (1000 numbers each; Belfast's 6000-6999) and their kind.
_DRAMA_NUMBERS = {
    **dict.fromkeys(
        (
            "1134960",
            "1144960",
            "1154960",
            "1164960",
            "1174960",
            "1184960",
            "1214960",
            "1314960",
            "1414960",
            "1514960",
            "1614960",
            "1914980",
            "2079460",
            "2896496",
            "2920180",
            "1632960",
        ),
        _KIND.FIXED_LINE,
    ),
    "7700900": _KIND.MOBILE,
    "3069990": _KIND.UAN,
    "8081570": _KIND.TOLL_FREE,
    "9098790": _KIND.PREMIUM_RATE,
}


_METADATA_OF = {_KIND.MOBILE: "mobile", _KIND.FIXED_LINE: "fixed_line", _KIND.UAN: "uan"}


def _possible_lengths(kinds: frozenset[int]) -> frozenset[int]:
    """How many digits (after the 0) UK numbers of these kinds can have, from the metadata."""
    lengths: set[int] = set()
    for region in phonenumbers.region_codes_for_country_code(_UK):  # GB, and GG, IM, JE
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        for kind in kinds & _METADATA_OF.keys():
            desc = getattr(metadata, _METADATA_OF[kind], None)
            lengths.update(n for n in (desc.possible_length if desc else ()) if n > 0)
    return frozenset(lengths)


_MOBILE_LENGTHS = _possible_lengths(_MOBILE)
_PHONE_LENGTHS = _possible_lengths(_PHONE)


def _uk_number(national: str) -> phonenumbers.PhoneNumber:
    return phonenumbers.PhoneNumber(country_code=_UK, national_number=int(national))


def _kind_of(national: str) -> int | None:
    """The kind of a UK number (its national significant number: no 0 or +44), if it is real or
    one of Ofcom's drama numbers; else None."""
    number = _uk_number(national)
    if phonenumbers.is_valid_number(number):
        return phonenumbers.number_type(number)
    if len(national) == 10:
        return _DRAMA_NUMBERS.get(national[:7])
    return None


def _wrong_length(national: str, kinds: frozenset[int], lengths: frozenset[int]) -> bool:
    """Whether these digits start a real number of one of these kinds, with too few or too many."""
    for size in lengths:
        if len(national) > size:
            candidates = [national[:size]]
        elif len(national) < size:
            candidates = [national + digit * (size - len(national)) for digit in "0123456789"]
        else:
            continue
        if any(_kind_of(candidate) in kinds for candidate in candidates):
            return True
    return False


def clean_uk_phone(raw: str | None, *, mobile_only: bool = False) -> str:
    """A UK phone number typed in any usual way ("07700 900123", "+44 (0)20 7946 0018",
    "0044 ...", without the 0), as E.164: "+442079460018"; "" when blank.

    Any UK mobile or landline (01, 02, 03), or with ``mobile_only`` a mobile only. The message of
    the ``FieldError`` says what is wrong: not a UK number of that kind, or the right start with
    too few or too many digits.
    """
    kinds, lengths = (_MOBILE, _MOBILE_LENGTHS) if mobile_only else (_PHONE, _PHONE_LENGTHS)
    invalid, length = (_MOBILE_INVALID, _MOBILE_LENGTH) if mobile_only else (PHONE_INVALID, PHONE_LENGTH)
    text = (raw or "").strip()
    if not text:
        return ""
    if len(text) > 30:
        raise FieldError(invalid)
    compact = _PHONE_SEPARATORS.sub("", text)
    if not _TYPED_PHONE.fullmatch(compact):
        raise FieldError(invalid)
    try:
        number = phonenumbers.parse(compact, "GB", keep_raw_input=True)
    except phonenumbers.NumberParseException:
        raise FieldError(invalid) from None
    if number.country_code != _UK:
        raise FieldError(invalid)  # another country's number
    national = phonenumbers.national_significant_number(number)
    if number.italian_leading_zero:  # the 0 of a number too short to be real, kept by phonenumbers
        national = national[1:]
    # Only the usual ways of writing a number, not whatever phonenumbers can make sense of ("000 7862 ...").
    prefix = compact[: len(compact) - len(national)]
    if not national or national.startswith("0") or not compact.endswith(national) or prefix not in _PREFIXES:
        raise FieldError(invalid)
    if _kind_of(national) in kinds:
        return phonenumbers.format_number(_uk_number(national), phonenumbers.PhoneNumberFormat.E164)
    # "Must be 11 digits" only for a number written out in full (with its 0, +44 or 0044).
    if prefix and _wrong_length(national, kinds, lengths):
        raise FieldError(length)
    raise FieldError(invalid)


def clean_mobile(raw: str | None) -> str:
    """A UK mobile number typed in any usual way, returned as E.164: "+447700900123"."""
    if not (raw or "").strip():
        raise FieldError("Enter your mobile phone number")
    return clean_uk_phone(raw, mobile_only=True)


def format_uk_phone(e164: str) -> str:
    """For display, in the UK's own format: "+442079460018" -> "020 7946 0018", "+447700900123"
    -> "07700 900123". Anything but a UK number in E.164 is returned unchanged ("" stays "")."""
    if not isinstance(e164, str) or not e164.startswith("+"):
        return e164
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    e164_again = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if number.country_code != _UK or e164_again != e164 or not phonenumbers.is_possible_number(number):
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


# ---------------------------------------------------------------------------------------------
# Email
# ---------------------------------------------------------------------------------------------

_EMAIL_INVALID = "Enter an email address in the correct format, like name@example.com"
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+)*")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?")
_TOP_LEVEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9\-]{1,59}")


def _domain_is_valid(domain: str) -> bool:
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    if len(ascii_domain) > 253:
        return False
    labels = ascii_domain.split(".")
    if len(labels) < 2:
        return False
    if not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return False
    return bool(_TOP_LEVEL.fullmatch(labels[-1]))


def clean_email(raw: str | None) -> str:
    """The email address as typed, trimmed, if it looks deliverable."""
    text = (raw or "").strip()
    if not text:
        raise FieldError("Enter your email address")
    if len(text) > 254:
        raise FieldError("Email address must be 254 characters or fewer")
    if _has_control_chars(text) or any(ch.isspace() for ch in text) or text.count("@") != 1:
        raise FieldError(_EMAIL_INVALID)
    local, domain = text.split("@")
    if not local or len(local) > 64 or not _LOCAL_PART.fullmatch(local):
        raise FieldError(_EMAIL_INVALID)
    if not domain or not _domain_is_valid(domain):
        raise FieldError(_EMAIL_INVALID)
    return text


def normalize_email(email: str) -> str:
    """The form used for uniqueness and look-ups: trimmed and lower-cased; "+tags" are kept."""
    return email.strip().lower()


# ---------------------------------------------------------------------------------------------
# Names and short text
# ---------------------------------------------------------------------------------------------

_NAME_PUNCTUATION = frozenset(" -\u2010'\u2019.")


def clean_full_name(raw: str | None, *, field_label: str = "full name") -> str:
    """A person's name: trimmed, inner spaces collapsed; letters (any alphabet), spaces, hyphens,
    apostrophes and full stops only."""
    label = _sentence_start(field_label)
    name = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if not name:
        raise FieldError(f"Enter your {field_label}")
    if len(name) > 100:
        raise FieldError(f"{label} must be 100 characters or fewer")
    for ch in name:
        category = unicodedata.category(ch)
        if not (category.startswith("L") or category.startswith("M") or ch in _NAME_PUNCTUATION):
            raise FieldError(f"{label} must only include letters, spaces, hyphens, apostrophes and full stops")
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        raise FieldError(f"{label} must include at least one letter")
    return name


def clean_text(raw: str | None, *, label: str, max_length: int, required: bool = True) -> str:
    """A short one-line answer: trimmed, no line breaks or hidden characters, at most max_length.

    ``label`` is written as it reads mid-sentence, e.g. "address line 1" or "town or city".
    """
    text = unicodedata.normalize("NFC", raw or "").strip()
    if not text:
        if required:
            raise FieldError(f"Enter {label}")
        return ""
    if _has_control_chars(text):
        raise FieldError(f"{_sentence_start(label)} must not include line breaks or hidden characters")
    too_long = text_limits.check(text, max_length, _sentence_start(label))
    if too_long:
        raise FieldError(too_long)
    return text


# ---------------------------------------------------------------------------------------------
# Date of birth
# ---------------------------------------------------------------------------------------------

_MAX_AGE = 130
_REAL_DATE = "Date of birth must be a real date"


def age_on(dob: date, today: date) -> int:
    """Age in whole years on ``today``.

    Someone born on 29 February has their birthday on 1 March in other years (as in UK law):
    on 28 February 2023 a person born 29 February 2000 is still 22, on 1 March they are 23.
    """
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def clean_date_of_birth(
    day: str | None,
    month: str | None,
    year: str | None,
    *,
    today: date,
    min_age: int | None = None,
) -> date:
    """A date of birth from the NHS three-field date input (day, month, year)."""
    parts = {"day": (day or "").strip(), "month": (month or "").strip(), "year": (year or "").strip()}
    missing = [name for name, value in parts.items() if not value]
    if len(missing) == 3:
        raise FieldError("Enter your date of birth")
    if missing:
        raise FieldError("Date of birth must include a " + " and ".join(missing))
    if not (
        re.fullmatch(r"[0-9]{1,2}", parts["day"])
        and re.fullmatch(r"[0-9]{1,2}", parts["month"])
        and _DIGITS.fullmatch(parts["year"])
    ):
        raise FieldError(_REAL_DATE)
    if len(parts["year"]) != 4:
        raise FieldError("Year must include 4 numbers")
    try:
        dob = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        raise FieldError(_REAL_DATE) from None
    if dob > today:
        raise FieldError("Date of birth must be in the past")
    age = age_on(dob, today)
    if age > _MAX_AGE:
        raise FieldError(_REAL_DATE)
    if min_age is not None and age < min_age:
        raise FieldError(f"You must be {min_age} or over to create an account")
    return dob
