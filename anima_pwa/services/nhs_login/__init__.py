"""NHS login.

- ``client``: the OpenID Connect client (authorization code flow, private_key_jwt, ID token and
  userinfo checks);
- ``accounts``: what NHS login means for Anima accounts: sign in, create an account from the
  claims, connect an existing account, and the flow's state and nonce.
"""
