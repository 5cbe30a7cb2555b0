"""Start the NHS login emulator: ``python -m anima_pwa.nhs_login_emulator [options]``.

Defaults come from the app's settings (``ANIMA_NHS_LOGIN_*``, ``ANIMA_PORT``), so in demo mode it
needs no options: port ANIMA_PORT + 1 (3001), issuer http://localhost:3001, client ``anima-demo``,
the client key in the instance folder (created if missing) and the app's callback URL.

It listens on the loopback interface only and refuses anything else. It is served by granian
(one worker process: its codes and tokens live in memory) and prints one line when it is ready::

    NHS login emulator ready at http://localhost:3001 (client anima-demo)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

from anima_pwa import settings as settings_module
from anima_pwa.nhs_login_emulator.app import EmulatorConfig, client_public_key_from_file, create_app
from anima_pwa.services.nhs_login.client import ensure_demo_client_key

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _defaults() -> settings_module.NhsLoginSettings:
    s = settings_module.settings
    # Outside demo mode with no issuer set, NHS login is off; use what demo mode would use.
    return s.nhs_login or settings_module.nhs_login_settings(s.port, s.base_url, True, s.instance_dir)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    nl = _defaults()
    parser = argparse.ArgumentParser(
        prog="python -m anima_pwa.nhs_login_emulator",
        description="A local NHS login emulator for demos and tests. Not NHS login.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (default), localhost or ::1 only")
    parser.add_argument("--port", type=int, default=nl.emulator_port, help=f"default {nl.emulator_port}")
    parser.add_argument("--issuer", help="default http://localhost:PORT")
    parser.add_argument("--client-id", default=nl.client_id or "anima-demo", help="default %(default)s")
    parser.add_argument(
        "--client-key-file",
        type=Path,
        default=nl.private_key_file,
        help="the app's RSA PRIVATE key PEM (created if missing); only its public half is used. Default %(default)s",
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        help=f"an allowed redirect URI, exact match; repeat for more. Default {nl.redirect_uri}",
    )
    args = parser.parse_args(argv)
    if args.host not in LOOPBACK:
        parser.error("the emulator listens on 127.0.0.1, localhost or ::1 only: it is for local demos and tests")
    args.issuer = (args.issuer or f"http://localhost:{args.port}").rstrip("/")
    issuer = urlsplit(args.issuer)
    if issuer.scheme not in {"http", "https"} or issuer.hostname not in LOOPBACK or issuer.path or issuer.query:
        parser.error("--issuer must be http(s)://localhost:PORT (or 127.0.0.1), with no path")
    args.redirect_uri = args.redirect_uri or [nl.redirect_uri]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.client_key_file.exists():
        ensure_demo_client_key(args.client_key_file)
        print(f"Created a demo client key at {args.client_key_file}", file=sys.stderr)
    config = EmulatorConfig(
        issuer=args.issuer,
        client_id=args.client_id,
        client_public_key=client_public_key_from_file(args.client_key_file),
        redirect_uris=tuple(args.redirect_uri),
    )
    app = create_app(config, announce=True)

    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    server = Granian(
        "anima_pwa.nhs_login_emulator",  # only a label: the app object is handed over below
        address="127.0.0.1" if args.host == "localhost" else args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        workers=1,
        websockets=False,
        log_level=LogLevels.warning,
    )
    server.serve(target_loader=lambda _target: app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
