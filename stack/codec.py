"""Encryption of every payload Orderflow hands to Temporal (workflow inputs and results,
activity arguments and results, signals, updates, queries, memos): customers' names, addresses
and phone numbers never reach Temporal's database or its UI in the clear.

AES-256-GCM with keys from settings (ORDERFLOW_CODEC_KEYS: key id -> base64 of 32 bytes).
New payloads are sealed with the active key; each names its key id in its metadata, so after a
rotation (add the new key, make it active, keep the old one) old histories still open. Payloads
without our encoding (histories from before encryption) pass through unchanged. The key id is
bound to the ciphertext as associated data: a payload relabelled with another key id fails.

Search attributes are not payloads and stay readable (they hold no personal data: the
operations test checks that). Temporal's UI and CLI read payloads through the API's codec
endpoint (POST /codec/decode), which asks for an admin's token.
"""

import base64
import os
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class UnreadablePayload(ValueError):
    """A payload this codec cannot open: an unknown key id, or tampered with."""


def parse_keys(keys: Mapping[str, str]) -> dict[str, bytes]:
    """Key id -> 32 bytes, from settings' base64 text; each key checked here, at start."""
    parsed = {}
    for key_id, text in keys.items():
        try:
            key = base64.b64decode(text, validate=True)
        except ValueError:
            raise ValueError(f"codec key {key_id!r} is not base64") from None
        if len(key) != 32:
            raise ValueError(f"codec key {key_id!r} must be 32 bytes (AES-256), not {len(key)}")
        parsed[key_id] = key
    return parsed


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: Mapping[str, bytes], active: str) -> None:
        if active not in keys:
            raise ValueError(f"the active codec key {active!r} is not among the keys")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.seal(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.open(p) for p in payloads]

    def seal(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        key_id = self._active.encode()
        sealed = self._ciphers[self._active].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id}, data=nonce + sealed)

    def open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was on
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnreadablePayload(f"no codec key with id {key_id!r}")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        if len(nonce) < NONCE_BYTES:
            raise UnreadablePayload(f"payload sealed with {key_id!r} is cut short")
        try:
            plain = cipher.decrypt(nonce, sealed, key_id.encode())
        except InvalidTag:
            raise UnreadablePayload(f"payload sealed with {key_id!r} does not open") from None
        return Payload.FromString(plain)
