"""Checking and normalising what people type: NHS number, postcode, mobile, email, name, dates.

Pure functions, no database. Each ``clean_*`` returns the normalised value or raises
``FieldError`` whose ``message`` is ready to show next to the field (NHS service manual style:
say what is wrong and how to fix it).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from anima_pwa.services.platform import text_limits

__all__ = [
    "FieldError",
    "age_on",
    "clean_date_of_birth",
    "clean_email",
    "clean_full_name",
    "clean_mobile",
    "clean_uk_phone",
    "format_uk_phone",
    "clean_nhs_number",
    "clean_postcode",
    "clean_text",
    "format_mobile",
    "format_nhs_number",
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
        raise FieldError(
            "Enter the real NHS number. Numbers starting 999 999 can only be used for care home accounts"
        )
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
# Mobile phone number
# ---------------------------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s\-().]+")
_MOBILE_INVALID = "Enter a UK mobile number, like 07700 900 982"
_MOBILE_LENGTH = "Mobile number must be 11 digits, like 07700 900 982"


def _is_uk_mobile_range(national: str) -> bool:
    """Ofcom's mobile ranges: 071-075, 077-079 and 07624 (070 is personal numbering, 076 pagers)."""
    return national[:3] in {"071", "072", "073", "074", "075", "077", "078", "079"} or national.startswith(
        "07624"
    )


def clean_mobile(raw: str | None) -> str:
    """A UK mobile number typed in any usual way, returned as E.164: "+447700900123"."""
    text = (raw or "").strip()
    if not text:
        raise FieldError("Enter your mobile phone number")
    if len(text) > 30:
        raise FieldError(_MOBILE_INVALID)
    compact = _PHONE_SEPARATORS.sub("", text)
    international = False
    if compact.startswith("+"):
        compact, international = compact[1:], True
    elif compact.startswith("00"):
        compact, international = compact[2:], True
    if not _DIGITS.fullmatch(compact):
        raise FieldError(_MOBILE_INVALID)
    if international or (compact.startswith("44") and len(compact) == 12):
        if not compact.startswith("44"):
            raise FieldError(_MOBILE_INVALID)  # another country's number
        rest = compact[2:]
        if rest.startswith("0"):  # "+44 (0)7700 ..."
            rest = rest[1:]
        national = "0" + rest
    elif len(compact) == 10 and compact.startswith("7"):  # leading 0 left off
        national = "0" + compact
    else:
        national = compact
    if not national.startswith("07"):
        raise FieldError(_MOBILE_INVALID)
    if len(national) != 11:
        raise FieldError(_MOBILE_LENGTH)
    if not _is_uk_mobile_range(national):
        raise FieldError(_MOBILE_INVALID)
    return "+44" + national[1:]


def format_mobile(e164: str) -> str:
    """For display: +447700900123 becomes 07700 900123. Anything else is returned unchanged."""
    if not isinstance(e164, str) or not re.fullmatch(r"\+447[0-9]{9}", e164):
        return e164
    national = "0" + e164[3:]
    return f"{national[:5]} {national[5:]}"


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
            raise FieldError(
                f"{label} must only include letters, spaces, hyphens, apostrophes and full stops"
            )
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


# UK phone numbers, mobile or landline (staff-entered; a care home's number is often a landline)

_ANY_PHONE_SEPARATORS = re.compile(r"[\s\-().]+")
PHONE_INVALID = "Enter a UK phone number, like 01632 960 001 or 07700 900 982"
PHONE_LENGTH = "Phone number must be 11 digits, like 01632 960 001"


def clean_uk_phone(raw: str | None) -> str:
    """A UK mobile or landline (01, 02, 03) typed any usual way, as E.164; "" when blank."""
    text = (raw or "").strip()
    if not text:
        return ""
    if len(text) > 30:
        raise FieldError(PHONE_INVALID)
    compact = _ANY_PHONE_SEPARATORS.sub("", text)
    international = False
    if compact.startswith("+"):
        compact, international = compact[1:], True
    elif compact.startswith("00"):
        compact, international = compact[2:], True
    if not compact.isascii() or not compact.isdigit():
        raise FieldError(PHONE_INVALID)
    if international or (compact.startswith("44") and len(compact) in (11, 12)):
        if not compact.startswith("44"):
            raise FieldError(PHONE_INVALID)  # another country's number
        rest = compact[2:]
        if rest.startswith("0"):  # "+44 (0)20 ..."
            rest = rest[1:]
        national = "0" + rest
    else:
        national = compact
    if national.startswith("07"):
        return clean_mobile(national)
    if national[:2] not in ("01", "02", "03"):
        raise FieldError(PHONE_INVALID)
    # 01 numbers are 10 or 11 digits (a few areas still have 10); 02 and 03 are 11.
    allowed = (10, 11) if national.startswith("01") else (11,)
    if len(national) not in allowed:
        raise FieldError(PHONE_LENGTH)
    return "+44" + national[1:]


def format_uk_phone(e164: str) -> str:
    """For display: "+442079460018" -> "020 7946 0018", mobiles as "07700 900123"."""
    if not e164:
        return ""
    if re.fullmatch(r"\+447[0-9]{9}", e164):
        return format_mobile(e164)
    if not re.fullmatch(r"\+44[123][0-9]{8,9}", e164):
        return e164
    national = "0" + e164[3:]
    if national.startswith("02") and len(national) == 11:
        return f"{national[:3]} {national[3:7]} {national[7:]}"
    if len(national) == 11 and (national.startswith("03") or national[2] == "1" or national[3] == "1"):
        return f"{national[:4]} {national[4:7]} {national[7:]}"  # 0300 123 4567, 0113 496 0000
    return f"{national[:5]} {national[5:]}"  # 01632 960001
