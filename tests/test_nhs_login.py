"""NHS login: the client (anima_pwa.services.nhs_login.client) against the emulator, in process.

The emulator's Starlette app runs inside Starlette's TestClient, a synchronous httpx.Client, which
is handed to NhsLoginClient as its ``http``: no sockets, no threads of our own. The "browser" step
(the emulator's page) is driven with plain GET/POST requests.
"""

from __future__ import annotations

import json
import re
import stat
import time
import warnings
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
from joserfc.jwk import RSAKey

from anima_pwa.nhs_login_emulator import EmulatorConfig, client_public_key_from_file, create_app
from anima_pwa.nhs_login_emulator.__main__ import parse_args
from anima_pwa.services.nhs_login.client import (
    NhsLoginClient,
    NhsLoginError,
    NhsLoginIdentity,
    ensure_demo_client_key,
)
from anima_pwa.services.platform import clock
from anima_pwa.settings import DEFAULT_NHS_LOGIN_SCOPES, DEFAULT_NHS_LOGIN_VTR, NhsLoginSettings

with warnings.catch_warnings():  # Starlette 1.x nudges towards httpx2; httpx is what we pin
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient

ISSUER = "http://localhost:3999"
CLIENT_ID = "anima-test"
REDIRECT = "http://localhost:3000/nhs-login/callback"
OLIVIA = "9731462856"  # Olivia Harper, Riverside Health Centre (Y90001), born 14 March 1985


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nhs-login")
    ours, other = folder / "client.pem", folder / "other.pem"
    ensure_demo_client_key(ours)
    ensure_demo_client_key(other)
    return ours, other


@pytest.fixture(scope="module")
def http(keys):
    config = EmulatorConfig(ISSUER, CLIENT_ID, client_public_key_from_file(keys[0]), (REDIRECT,))
    with TestClient(create_app(config), base_url=ISSUER, follow_redirects=False) as client:
        yield client


def make_settings(key_file, **changes) -> NhsLoginSettings:
    values = dict(
        issuer=ISSUER, client_id=CLIENT_ID, private_key_file=key_file, scopes=DEFAULT_NHS_LOGIN_SCOPES,
        vtr=DEFAULT_NHS_LOGIN_VTR, redirect_uri=REDIRECT, emulator=True, emulator_port=3999,
    )  # fmt: skip
    values.update(changes)
    return NhsLoginSettings(**values)


@pytest.fixture
def client(http, keys):
    return NhsLoginClient(make_settings(keys[0]), http=http)


def authorize(http, client, *, person=OLIVIA, level="P9", problem="none", extra=None):
    """Start sign-in, pick on the emulator's page; returns (callback params, state, nonce)."""
    state, nonce = client.new_state_and_nonce()
    page = http.get(client.authorization_url(state=state, nonce=nonce))
    assert page.status_code == 200, page.text
    assert "<title>NHS login (local emulator)</title>" in page.text
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    form = {"request_id": request_id, "level": level, "problem": problem, "person": person, **(extra or {})}
    answer = http.post("/authorize", data=form)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return dict(parse_qsl(urlsplit(location).query)), state, nonce


def finish(client, params, state, nonce):
    return client.complete(
        code=params.get("code", ""), returned_state=params.get("state", ""), expected_state=state,
        nonce=nonce, error=params.get("error"),
    )  # fmt: skip


def sign_in(http, client, **kwargs) -> NhsLoginIdentity:
    return finish(client, *authorize(http, client, **kwargs))


# ---------------------------------------------------------------------------------------------
# The happy paths
# ---------------------------------------------------------------------------------------------


def test_authorization_url_carries_what_nhs_login_needs(client):
    url = client.authorization_url(state="the-state", nonce="the-nonce")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ISSUER}/authorize"
    query = dict(parse_qsl(parts.query))
    assert query == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": DEFAULT_NHS_LOGIN_SCOPES,
        "state": "the-state",
        "nonce": "the-nonce",
        "vtr": '["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]',
    }
    state, nonce = client.new_state_and_nonce()
    assert state != nonce and len(state) >= 43 and len(nonce) >= 43


def test_p9_sign_in_returns_the_person(http, client):
    person = sign_in(http, client)
    assert person.nhs_number == OLIVIA
    assert (person.given_name, person.family_name, person.full_name) == ("Olivia", "Harper", "Olivia Harper")
    assert person.birthdate == date(1985, 3, 14)
    assert (person.email, person.email_verified) == ("olivia.harper@example.com", True)
    assert (person.phone_number, person.phone_number_verified) == ("+447700900856", True)
    assert person.gp_ods_code == "Y90001"
    assert (person.vot, person.identity_proofing_level) == ("P9.Cp.Cd", "P9")
    assert re.fullmatch(r"[0-9a-f-]{36}", person.sub)
    assert sign_in(http, client).sub == person.sub  # the same person, the same sub


def test_p5_sign_in_when_p5_is_asked_for(http, keys):
    client = NhsLoginClient(make_settings(keys[0], vtr='["P5.Cp.Cd"]'), http=http)
    state, nonce = client.new_state_and_nonce()
    page = http.get(client.authorization_url(state=state, nonce=nonce)).text
    assert 'value="P5"' in page and 'value="P9"' not in page  # only the levels asked for
    person = sign_in(http, client, level="P5")
    assert (person.vot, person.identity_proofing_level, person.nhs_number) == ("P5.Cp.Cd", "P5", OLIVIA)


def test_someone_not_on_a_register(http, client):
    custom = {
        "given_name": "Jo", "family_name": "Bloggs-Smith", "birthdate": "1990-04-27",
        "nhs_number": "943 476 5919", "gp_ods_code": "", "email": "jo@example.org",
    }  # fmt: skip
    person = sign_in(http, client, person="custom", extra=custom)
    assert (person.full_name, person.birthdate) == ("Jo Bloggs-Smith", date(1990, 4, 27))
    assert person.nhs_number == "9434765919"
    assert (person.gp_ods_code, person.email) == (None, "jo@example.org")


@pytest.mark.parametrize(
    ("utc", "born_today"),
    [
        (datetime(2026, 6, 30, 22, 59, tzinfo=UTC), False),  # 23:59 BST on 30 June: 1 July is tomorrow
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), True),  # 00:30 BST on 1 July, though UTC says 30 June
    ],
)
def test_the_emulator_takes_a_birth_today_in_the_uk(http, client, monkeypatch, utc, born_today):
    """The emulator's own form agrees with the client: a birthdate is in the future by the date in
    England, whatever the server's date."""
    monkeypatch.setattr(clock, "utcnow", lambda: utc)
    custom = {"given_name": "Jo", "family_name": "Bloggs", "birthdate": "2026-07-01", "nhs_number": "943 476 5919"}
    if born_today:
        assert sign_in(http, client, person="custom", extra=custom).birthdate == date(2026, 7, 1)
    else:
        state, nonce = client.new_state_and_nonce()
        page = http.get(client.authorization_url(state=state, nonce=nonce)).text
        request_id = re.search(r'name="request_id" value="([^"]+)"', page).group(1)
        answer = http.post(
            "/authorize",
            data={"request_id": request_id, "level": "P9", "problem": "none", "person": "custom", **custom},
        )
        assert answer.status_code == 400 and "Date of birth must be a real date in the past" in answer.text


def test_custom_person_form_shows_errors(http, client):
    state, nonce = client.new_state_and_nonce()
    page = http.get(client.authorization_url(state=state, nonce=nonce)).text
    request_id = re.search(r'name="request_id" value="([^"]+)"', page).group(1)
    answer = http.post(
        "/authorize",
        data={
            "request_id": request_id,
            "level": "P9",
            "problem": "none",
            "person": "custom",
            "birthdate": "1990-02-30",
        },  # fmt: skip
    )
    assert answer.status_code == 400
    assert "There is a problem" in answer.text and "Enter a given name" in answer.text
    assert "Enter a real date of birth" in answer.text and "Enter an NHS number of 10 digits" in answer.text


# ---------------------------------------------------------------------------------------------
# What must fail
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "problem, reason",
    [
        ("wrong_nonce", "nonce"),
        ("wrong_audience", "audience"),
        ("wrong_issuer", "issuer"),
        ("expired", "expired"),
        ("bad_signature", "signature"),
        ("alg_none", "signature"),
        ("alg_hs256", "signature"),
        ("vot_not_requested", "vot"),
        ("userinfo_sub_mismatch", "userinfo_sub"),
        ("access_denied", "denied"),
    ],
)
def test_each_simulated_problem_is_caught(http, client, problem, reason):
    with pytest.raises(NhsLoginError) as caught:
        sign_in(http, client, problem=problem)
    assert caught.value.reason == reason
    assert caught.value.message and "token" not in caught.value.message.lower()


def test_cancel_button_means_denied(http, client):
    params, state, nonce = authorize(http, client, person="cancel")
    assert params == {"error": "access_denied", "error_description": "The user cancelled", "state": state}
    with pytest.raises(NhsLoginError) as caught:
        finish(client, params, state, nonce)
    assert caught.value.reason == "denied"


def test_a_different_returned_state_is_refused(http, client):
    params, state, nonce = authorize(http, client)
    with pytest.raises(NhsLoginError) as caught:
        client.complete(code=params["code"], returned_state=params["state"] + "x", expected_state=state, nonce=nonce)
    assert caught.value.reason == "state"


def test_a_code_works_once(http, client):
    params, state, nonce = authorize(http, client)
    finish(client, params, state, nonce)
    with pytest.raises(NhsLoginError) as caught:
        finish(client, params, state, nonce)
    assert caught.value.reason == "token_endpoint"


def test_a_malformed_nhs_number_is_refused(http, client):
    custom = {"given_name": "Jo", "family_name": "Bloggs", "birthdate": "1990-04-27", "nhs_number": "1234567890"}
    with pytest.raises(NhsLoginError) as caught:
        sign_in(http, client, person="custom", extra=custom)
    assert caught.value.reason == "claims"


def test_discovery_must_name_our_issuer(http, keys):
    client = NhsLoginClient(make_settings(keys[0], issuer="http://127.0.0.1:3999"), http=http)
    with pytest.raises(NhsLoginError) as caught:
        client.authorization_url(state="s", nonce="n")
    assert caught.value.reason == "discovery"


def test_a_client_with_the_wrong_key_is_refused(http, keys):
    stranger = NhsLoginClient(make_settings(keys[1]), http=http)
    with pytest.raises(NhsLoginError) as caught:
        sign_in(http, stranger)
    assert caught.value.reason == "token_endpoint"


# ---------------------------------------------------------------------------------------------
# The emulator keeps the rules a client is held to
# ---------------------------------------------------------------------------------------------


def _assertion(key_file, **kwargs) -> str:
    key = RSAKey.import_key(key_file.read_bytes())
    return private_key_jwt_sign(key, client_id=CLIENT_ID, token_endpoint=f"{ISSUER}/token", alg="RS512", **kwargs)


def _token_request(http, assertion: str, code: str = "no-such-code"):
    return http.post(
        "/token",
        data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )  # fmt: skip


def test_emulator_refuses_an_assertion_signed_with_another_key(http, keys):
    answer = _token_request(http, _assertion(keys[1], expires_in=60))
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_emulator_refuses_long_lived_or_replayed_assertions(http, keys):
    long_lived = _token_request(http, _assertion(keys[0]))  # authlib's default: one hour
    assert long_lived.status_code == 401 and "5 minutes" in long_lived.json()["error_description"]
    assertion = _assertion(keys[0], expires_in=60, claims={"jti": f"fixed-{time.time()}"})
    assert _token_request(http, assertion).json()["error"] == "invalid_grant"  # client fine, code unknown
    replay = _token_request(http, assertion)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"


def test_emulator_refuses_a_redirect_uri_that_does_not_match(http):
    query = {
        "client_id": CLIENT_ID, "redirect_uri": "http://localhost:3000/elsewhere", "response_type": "code",
        "scope": "openid profile", "state": "s", "nonce": "n", "vtr": '["P9.Cp.Cd"]',
    }  # fmt: skip
    answer = http.get("/authorize", params=query)
    assert answer.status_code == 400 and "location" not in answer.headers
    assert "redirect_uri does not match" in answer.text


def test_emulator_sends_request_errors_back(http):
    query = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code", "scope": "openid", "state": "s"}
    answer = http.get("/authorize", params=query)  # no nonce
    assert answer.status_code == 303
    assert dict(parse_qsl(urlsplit(answer.headers["location"]).query))["error"] == "invalid_request"


def test_emulator_discovery_and_health(http):
    found = http.get("/.well-known/openid-configuration").json()
    assert found["issuer"] == ISSUER
    assert found["id_token_signing_alg_values_supported"] == ["RS512"]
    assert found["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    keys = http.get(urlsplit(found["jwks_uri"]).path).json()["keys"]
    assert len(keys) == 1 and keys[0]["kid"] and "d" not in keys[0]
    assert http.get("/healthz").text == "ok"


def test_emulator_listens_on_loopback_only():
    with pytest.raises(SystemExit):
        parse_args(["--host", "0.0.0.0"])
    with pytest.raises(SystemExit):
        parse_args(["--issuer", "http://nhs-login.example.org"])
    assert parse_args(["--port", "4001"]).issuer == "http://localhost:4001"


# ---------------------------------------------------------------------------------------------
# Claims and keys
# ---------------------------------------------------------------------------------------------

GOOD = {
    "sub": "3f1b2c4d", "nhs_number": OLIVIA, "family_name": "Harper", "given_name": "Olivia",
    "birthdate": "1985-03-14", "vot": "P9.Cp.Cd", "identity_proofing_level": "P9",
    "email": "olivia@example.com", "email_verified": True, "phone_number": "+447700900123",
    "phone_number_verified": True, "gp_registration_details": {"gp_ods_code": "Y90001"},
}  # fmt: skip


@pytest.mark.parametrize(
    "changes",
    [
        {"nhs_number": "9731462857"},  # fails Modulus 11
        {"nhs_number": 9731462856},
        {"birthdate": "14/03/1985"},
        {"birthdate": "1985-02-30"},
        {"family_name": None},
        {"family_name": "Harper\n"},
        {"identity_proofing_level": "P5"},  # disagrees with vot
        {"email_verified": "true"},
        {"phone_number": "07700 900123"},
        {"gp_registration_details": "Y90001"},
        {"gp_registration_details": {"gp_ods_code": "y9<0>"}},
    ],
)
def test_malformed_claims_are_refused(changes):
    with pytest.raises(NhsLoginError) as caught:
        NhsLoginIdentity.from_claims({**GOOD, **changes})
    assert caught.value.reason == "claims"


def test_good_claims_parse():
    person = NhsLoginIdentity.from_claims(GOOD)
    assert person.birthdate == date(1985, 3, 14) and person.gp_ods_code == "Y90001"


@pytest.mark.parametrize(
    ("utc", "born_today"),
    [
        (datetime(2026, 6, 30, 22, 59, tzinfo=UTC), False),  # 23:59 BST on 30 June: 1 July is tomorrow
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), True),  # 00:30 BST on 1 July, though UTC says 30 June
    ],
)
def test_a_birthdate_of_today_in_the_uk_is_not_in_the_future(monkeypatch, utc, born_today):
    """The birthdate check uses the date in England, not the server's or UTC's: at 23:30 UTC on
    30 June a baby born on 1 July was born today."""
    monkeypatch.setattr(clock, "utcnow", lambda: utc)
    claims = {**GOOD, "birthdate": "2026-07-01"}
    if born_today:
        assert NhsLoginIdentity.from_claims(claims).birthdate == date(2026, 7, 1)
    else:
        with pytest.raises(NhsLoginError) as caught:
            NhsLoginIdentity.from_claims(claims)
        assert caught.value.reason == "claims"


def test_bad_settings_are_a_config_error(keys):
    for changes in ({"vtr": "P9"}, {"vtr": '["P7.Cx"]'}, {"scopes": "openid profile basic_demographics"}):
        with pytest.raises(NhsLoginError) as caught:
            NhsLoginClient(make_settings(keys[0], **changes), http=object())
        assert caught.value.reason == "config"


def test_demo_client_key_is_private_and_kept(tmp_path):
    path = tmp_path / "sub" / "key.pem"
    ensure_demo_client_key(path)
    first = path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and b"PRIVATE KEY" in first
    ensure_demo_client_key(path)
    assert path.read_bytes() == first
    assert [p.name for p in path.parent.iterdir()] == ["key.pem"]  # no temporary files left
    assert json.loads(json.dumps(client_public_key_from_file(path).as_dict()))["kty"] == "RSA"
