"""CAQH CORE connectivity envelopes: X12 over HTTP as multipart/form-data.

A real-time 270 goes out as the form fields CORE connectivity rules name — ``PayloadType``,
``ProcessingMode``, ``PayloadID``, ``TimeStamp``, ``SenderID``, ``ReceiverID``,
``CORERuleVersion`` and ``Payload`` — and the 271 comes back the same way with
``ErrorCode``/``ErrorMessage``. Keeping the envelope in one module lets a real clearinghouse
be plugged in by profile, and lets the simulator speak the same shape::

    body, content_type = build(CoreMessage(payload_type=REALTIME_270, payload=x12, ...))
    message = parse(body, content_type)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.policy import HTTP
from typing import Final

from edigateway.errors import TransferError

REALTIME_270: Final = "X12_270_Request_005010X279A1"
REALTIME_271: Final = "X12_271_Response_005010X279A1"
REALTIME_276: Final = "X12_276_Request_005010X212"
REALTIME_277: Final = "X12_277_Response_005010X212"
BATCH_837D: Final = "X12_837_Request_005010X224A2"
BATCH_RECEIPT: Final = "X12_BatchReceiptConfirmation"
RULE_VERSION: Final = "2.2.0"
_FIELDS: Final = (
    "PayloadType",
    "ProcessingMode",
    "PayloadID",
    "TimeStamp",
    "SenderID",
    "ReceiverID",
    "CORERuleVersion",
    "ErrorCode",
    "ErrorMessage",
    "Payload",
)


@dataclass(frozen=True, slots=True)
class CoreMessage:
    """One CORE envelope (request or response)."""

    payload_type: str
    payload: str
    sender_id: str
    receiver_id: str
    processing_mode: str = "RealTime"
    payload_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timestamp: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    rule_version: str = RULE_VERSION
    error_code: str | None = None
    error_message: str | None = None

    def fields(self) -> dict[str, str]:
        """The form fields, in CORE's order."""
        values = {
            "PayloadType": self.payload_type,
            "ProcessingMode": self.processing_mode,
            "PayloadID": self.payload_id,
            "TimeStamp": self.timestamp,
            "SenderID": self.sender_id,
            "ReceiverID": self.receiver_id,
            "CORERuleVersion": self.rule_version,
            "ErrorCode": self.error_code,
            "ErrorMessage": self.error_message,
            "Payload": self.payload,
        }
        return {k: v for k, v in values.items() if v is not None}


def build(message: CoreMessage) -> tuple[bytes, str]:
    """The multipart/form-data body and its Content-Type header value."""
    boundary = f"edigateway-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in message.fields().items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
            f"\r\n{value}\r\n".encode()
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def parse(body: bytes, content_type: str) -> CoreMessage:
    """Read a CORE envelope; a missing field or a non-multipart body is a TransferError."""
    if not content_type.lower().startswith("multipart/form-data"):
        msg = f"expected a CORE multipart/form-data message, got {content_type or 'nothing'}"
        raise TransferError(msg)
    document = message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body, policy=HTTP
    )
    values: dict[str, str] = {}
    for part in document.walk():
        if not isinstance(part, Message) or part.is_multipart():
            continue
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and name in _FIELDS:
            raw = part.get_payload(decode=True)
            # The X12 payload keeps bytes that are not UTF-8 for its reader to refuse at
            # their segment and element; the other fields are read as best they can be.
            errors = "surrogateescape" if name == "Payload" else "replace"
            text = (
                raw.decode("utf-8", errors) if isinstance(raw, bytes) else str(part.get_payload())
            )
            values[name] = text
    missing = [
        f
        for f in ("PayloadType", "PayloadID", "SenderID", "ReceiverID", "Payload")
        if f not in values
    ]
    if missing:
        msg = f"the CORE message lacks {', '.join(missing)}"
        raise TransferError(msg)
    return CoreMessage(
        payload_type=values["PayloadType"],
        payload=values["Payload"],
        sender_id=values["SenderID"],
        receiver_id=values["ReceiverID"],
        processing_mode=values.get("ProcessingMode", "RealTime"),
        payload_id=values["PayloadID"],
        timestamp=values.get("TimeStamp", ""),
        rule_version=values.get("CORERuleVersion", RULE_VERSION),
        error_code=values.get("ErrorCode"),
        error_message=values.get("ErrorMessage"),
    )
