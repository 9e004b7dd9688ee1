"""The codec endpoint of Temporal's UI and CLI (Temporal's remote codec protocol): payloads
sealed by stack/codec.py are opened here for an admin's eyes, so operators can read an
order's inputs in the UI while Temporal's database holds only ciphertext.

    temporal workflow show -w order-<id> --codec-endpoint http://localhost:8000/codec \\
        --codec-auth "Bearer $(orderflow token admin)"

Browsers (the Temporal UI) may call it from the origins in ORDERFLOW_CODEC_CORS_ORIGINS.
"""

import base64
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, StringConstraints
from temporalio.api.common.v1 import Payload

from api.errors import InvalidFields
from api.permissions import CanDecodePayloads
from stack.codec import EncryptionCodec, UnreadablePayload

router = APIRouter(prefix="/codec", tags=["operations"])

# Standard base64, as protobuf's JSON form writes bytes; 4 MiB is Temporal's payload limit.
Base64 = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9+/]*={0,2}$", max_length=4 * 1024 * 1024)
]
MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class PayloadJson(BaseModel):
    metadata: Annotated[dict[MetadataKey, Base64], Field(max_length=32)] = {}
    data: Base64 = ""


class PayloadsJson(BaseModel):
    payloads: Annotated[list[PayloadJson], Field(max_length=1000)]


def _codec(request: Request) -> EncryptionCodec:
    codec: EncryptionCodec = request.app.state.codec
    return codec


def _from_json(body: PayloadsJson) -> list[Payload]:
    payloads = []
    for n, p in enumerate(body.payloads):
        try:
            metadata = {k: base64.b64decode(v, validate=True) for k, v in p.metadata.items()}
            payloads.append(Payload(metadata=metadata, data=base64.b64decode(p.data)))
        except ValueError:
            raise InvalidFields([(("payloads", n), "not base64 (padding?)")]) from None
    return payloads


def _to_json(payloads: list[Payload]) -> PayloadsJson:
    return PayloadsJson(
        payloads=[
            PayloadJson(
                metadata={k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
                data=base64.b64encode(p.data).decode(),
            )
            for p in payloads
        ]
    )


@router.post("/decode")
async def decode(body: PayloadsJson, request: Request, user: CanDecodePayloads) -> PayloadsJson:
    """Opens sealed payloads (others come back as they are)."""
    codec, opened = _codec(request), []
    for n, payload in enumerate(_from_json(body)):
        try:
            opened.append(codec.open(payload))
        except UnreadablePayload as exc:
            raise InvalidFields([(("payloads", n), str(exc))]) from None
    return _to_json(opened)


@router.post("/encode")
async def encode(body: PayloadsJson, request: Request, user: CanDecodePayloads) -> PayloadsJson:
    """Seals payloads with the active key (the CLI does this for inputs it sends)."""
    codec = _codec(request)
    return _to_json([codec.seal(p) for p in _from_json(body)])
