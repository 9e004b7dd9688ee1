"""The payload codec: sealed payloads open with their key, keys rotate, tampering and
relabelling fail, payloads from before encryption pass through."""

import base64

import pytest
from temporalio.api.common.v1 import Payload

from config import CodecSettings
from stack.codec import ENCODING, KEY_ID, EncryptionCodec, UnreadablePayload, parse_keys

OLD = base64.b64encode(b"o" * 32).decode()
NEW = base64.b64encode(b"n" * 32).decode()
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"phone": "+49 170 5550123"}')


async def test_a_sealed_payload_hides_its_data_and_opens_again() -> None:
    codec = EncryptionCodec(parse_keys({"2026-11": OLD}), "2026-11")
    (sealed,) = await codec.encode([PLAIN])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID] == b"2026-11"
    assert b"5550123" not in sealed.SerializeToString()
    assert await codec.decode([sealed]) == [PLAIN]
    # Sealed twice, two ciphertexts: a fresh nonce each time.
    assert (await codec.encode([PLAIN]))[0].data != sealed.data


async def test_after_a_rotation_old_payloads_open_and_new_ones_use_the_new_key() -> None:
    before = EncryptionCodec(parse_keys({"old": OLD}), "old")
    (old_sealed,) = await before.encode([PLAIN])
    after = CodecSettings(keys={"old": OLD, "new": NEW}, active_key="new").codec()
    (new_sealed,) = await after.encode([PLAIN])
    assert new_sealed.metadata[KEY_ID] == b"new"
    assert await after.decode([old_sealed, new_sealed]) == [PLAIN, PLAIN]
    # The old key retired too early: its payloads say which key they need.
    with pytest.raises(UnreadablePayload, match="'old'"):
        await EncryptionCodec(parse_keys({"new": NEW}), "new").decode([old_sealed])


async def test_tampered_or_relabelled_payloads_do_not_open() -> None:
    codec = EncryptionCodec(parse_keys({"a": OLD, "b": OLD}), "a")
    (sealed,) = await codec.encode([PLAIN])
    flipped = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + b"\x00")
    with pytest.raises(UnreadablePayload):
        codec.open(flipped)
    # The same key under another id: the key id is bound to the ciphertext.
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID: b"b"}, data=sealed.data)
    with pytest.raises(UnreadablePayload):
        codec.open(relabelled)


async def test_payloads_from_before_encryption_pass_through() -> None:
    codec = CodecSettings().codec()
    assert await codec.decode([PLAIN]) == [PLAIN]


def test_bad_key_settings_are_refused_at_start() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        CodecSettings(keys={"k": base64.b64encode(b"short").decode()}).codec()
    with pytest.raises(ValueError, match="not base64"):
        CodecSettings(keys={"k": "***"}).codec()
    with pytest.raises(ValueError, match="ACTIVE_KEY"):
        CodecSettings(keys={"a": OLD, "b": NEW}).codec()
    with pytest.raises(ValueError, match="not among"):
        CodecSettings(keys={"a": OLD}, active_key="b").codec()
