"""A minimal software WebAuthn authenticator for tests (no browser, no hardware).

It does what a browser plus a platform authenticator would: from the options allauth
renders (`creation_options` / `request_options`), it creates a P-256 credential with
`cryptography`, builds `clientDataJSON` and a "none" attestation object, and signs
assertions. The results are the JSON that allauth's forms expect in their `credential`
field (WebAuthn Level 3 JSON serialization, base64url without padding).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

FLAGS = AuthenticatorData.FLAG


def js_data(html: str) -> dict[str, Any]:
    """The options allauth renders into `<script id="js_data" type="application/json">`."""
    match = re.search(r'<script id="js_data" type="application/json">(.*?)</script>', html, re.S)
    if match is None:
        raise AssertionError("no js_data on the page")
    return dict(json.loads(match.group(1)))


@dataclass
class SoftAuthenticator:
    origin: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    user_handle: bytes | None = None
    sign_count: int = 0
    user_verified: bool = True

    def _flags(self) -> AuthenticatorData.FLAG:
        flags = FLAGS.USER_PRESENT
        if self.user_verified:
            flags |= FLAGS.USER_VERIFIED
        return flags

    def create(self, creation_options: dict[str, Any]) -> dict[str, Any]:
        """navigator.credentials.create(): returns the RegistrationResponseJSON."""
        options = creation_options["publicKey"]
        rp_id = options["rp"]["id"]
        self.user_handle = websafe_decode(options["user"]["id"])
        client_data = CollectedClientData.create(
            type=CollectedClientData.TYPE.CREATE,
            challenge=websafe_decode(options["challenge"]),
            origin=self.origin,
        )
        credential_data = AttestedCredentialData.create(
            aaguid=bytes(16),
            credential_id=self.credential_id,
            public_key=ES256.from_cryptography_key(self.private_key.public_key()),
        )
        auth_data = AuthenticatorData.create(
            rp_id_hash=hashlib.sha256(rp_id.encode()).digest(),
            flags=self._flags() | FLAGS.ATTESTED,
            counter=self.sign_count,
            credential_data=credential_data,
        )
        attestation = AttestationObject.create("none", auth_data, {})
        cred_id = websafe_encode(self.credential_id)
        return {
            "id": cred_id,
            "rawId": cred_id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "attestationObject": websafe_encode(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {"credProps": {"rk": True}},
        }

    def get(self, request_options: dict[str, Any], rp_id: str | None = None) -> dict[str, Any]:
        """navigator.credentials.get(): returns the AuthenticationResponseJSON."""
        options = request_options["publicKey"]
        rp_id = options.get("rpId") or rp_id
        assert rp_id, "no relying party id"
        allowed = [websafe_decode(c["id"]) for c in options.get("allowCredentials") or []]
        if allowed and self.credential_id not in allowed:
            raise AssertionError("this credential is not allowed by the relying party")
        self.sign_count += 1
        client_data = CollectedClientData.create(
            type=CollectedClientData.TYPE.GET,
            challenge=websafe_decode(options["challenge"]),
            origin=self.origin,
        )
        auth_data = AuthenticatorData.create(
            rp_id_hash=hashlib.sha256(rp_id.encode()).digest(),
            flags=self._flags(),
            counter=self.sign_count,
        )
        signature = self.private_key.sign(
            bytes(auth_data) + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        cred_id = websafe_encode(self.credential_id)
        response: dict[str, Any] = {
            "clientDataJSON": websafe_encode(client_data),
            "authenticatorData": websafe_encode(auth_data),
            "signature": websafe_encode(signature),
        }
        if self.user_handle is not None:
            response["userHandle"] = websafe_encode(self.user_handle)
        return {
            "id": cred_id,
            "rawId": cred_id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": response,
            "clientExtensionResults": {},
        }
