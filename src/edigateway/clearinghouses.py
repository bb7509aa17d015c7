"""Clearinghouse profiles: how to reach one and what it sends back, as data.

Profiles live in ``mappings/clearinghouses/<name>.json`` (see ``edigateway schema
clearinghouse``); secrets never do — keys, passwords, client secrets and API keys come from
settings (``EDIGATEWAY_*``) named by the profile. Example (the local simulator)::

    {"name": "simulator", "sftp": {"host": "127.0.0.1", "port": 2222, "username": "practice",
     "outbound_dir": "to_clearinghouse", "inbound_dir": "from_clearinghouse"},
     "interchange": {"receiver_id": "EDGSIM", "gs_receiver_code": "EDGSIM"},
     "acknowledgments": ["TA1", "999", "277CA", "835"]}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from edigateway.errors import ConfigurationError


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SftpProfile(_Config):
    """Where files go and come from over SFTP."""

    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 22
    username: str
    host_key: str | None = Field(
        default=None,
        description="pinned host key ('ssh-ed25519 AAAA…'); required in "
        "production, the simulator hands its own to the tests",
    )
    outbound_dir: str = Field(description="their folder for our 837D/270 files")
    inbound_dir: str = Field(description="their folder for acknowledgments and 835s")
    archive_dir: str | None = Field(
        default="archive", description="where downloaded files are moved"
    )
    delete_after_download: bool = False
    filename_pattern: str = Field(
        default="{sender}_{interchange}.{extension}", description="final remote name; never reused"
    )
    timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 30

    @field_validator("filename_pattern")
    @classmethod
    def _pattern_names_the_interchange(cls, value: str) -> str:
        """Names must stay unique forever, so the pattern must carry the ISA13; only the
        three known fields may appear."""
        try:
            example = value.format(sender="S", interchange="000000001", extension="837")
        except (KeyError, IndexError, ValueError) as exc:
            msg = (
                f"filename_pattern {value!r}: only {{sender}}, {{interchange}} and "
                f"{{extension}} may appear ({exc})"
            )
            raise ValueError(msg) from exc
        if "000000001" not in example or "/" in example:
            msg = f"filename_pattern {value!r} must contain {{interchange}} and no '/'"
            raise ValueError(msg)
        return value


class HttpsProfile(_Config):
    """A CAQH CORE-style HTTPS endpoint for real-time 270/271 and batch submission."""

    base_url: str
    realtime_path: str = "/core/realtime"
    batch_path: str = "/core/batch"
    auth: Literal["none", "api_key", "oauth2_client_credentials"] = "api_key"
    token_url: str | None = None
    timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 30
    realtime_deadline_seconds: Annotated[float, Field(gt=0, le=120)] = Field(
        default=20,
        description="a real-time call (270/271, 276/277) answers within this "
        "long or fails with a clear error: a PM system's HTTP client waits no longer",
    )
    realtime_attempts: Annotated[int, Field(ge=1, le=2)] = Field(
        default=2,
        description="tries of a real-time call within its deadline (a second "
        "only after a connection failure or a 5xx, and only when time is left)",
    )


class InterchangeProfile(_Config):
    """The clearinghouse's IDs in our ISA/GS."""

    receiver_qualifier: str = "ZZ"
    receiver_id: Annotated[str, Field(max_length=15)]
    gs_receiver_code: Annotated[str, Field(max_length=15)]


AckKind = Literal["TA1", "999", "277CA", "835"]


def _usual_acks() -> list[AckKind]:
    return ["999", "277CA", "835"]


class ClearinghouseProfile(_Config):
    """One clearinghouse."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
    description: str = ""
    sftp: SftpProfile | None = None
    https: HttpsProfile | None = None
    interchange: InterchangeProfile
    acknowledgments: list[AckKind] = Field(default_factory=_usual_acks)
    payer_ids: list[str] | None = Field(
        default=None,
        description="the clearinghouse's payer list; claims to other payer "
        "IDs are refused when they are created (None: any payer)",
    )
    accepts_275_payer_ids: list[str] = Field(
        default_factory=list,
        description="payer IDs the clearinghouse forwards X12 275 "
        "attachments (005010X210) to: a claim's attachments go to them electronically "
        "(PWK02 EL with a 275), to any other payer by attachment_fallback",
    )
    attachment_fallback: Literal["BM", "FX", "EM", "FT", "AA"] = Field(
        default="BM",
        description="PWK02 for attachments to payers that take no 275: BM "
        "mail, FX fax, EM e-mail, FT file transfer, AA kept at the practice until asked; "
        "the files then go in the claim's printable packet",
    )
    no_999_after_hours: Annotated[int, Field(ge=1, le=720)] = Field(
        default=24, description="a submission without a 999 after this long is a work item"
    )


def load_profile(mappings_dir: Path, name: str) -> ClearinghouseProfile:
    """The profile ``name`` from ``mappings_dir/clearinghouses``."""
    path = mappings_dir / "clearinghouses" / f"{name}.json"
    try:
        return ClearinghouseProfile.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        known = sorted(p.stem for p in path.parent.glob("*.json"))
        msg = f"no clearinghouse profile {name!r} ({path}); known: {', '.join(known) or 'none'}"
        raise ConfigurationError(msg) from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(f"{path}: {problems}") from exc
