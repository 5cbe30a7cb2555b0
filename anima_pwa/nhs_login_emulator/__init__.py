"""A local NHS login emulator for the demo and tests: ``python -m anima_pwa.nhs_login_emulator``.

See :mod:`anima_pwa.nhs_login_emulator.app` for what it does and :mod:`.__main__` for how it starts.
"""

from anima_pwa.nhs_login_emulator.app import (
    EmulatorConfig,
    Person,
    client_public_key_from_file,
    create_app,
    register_people,
)

__all__ = ["EmulatorConfig", "Person", "client_public_key_from_file", "create_app", "register_people"]
