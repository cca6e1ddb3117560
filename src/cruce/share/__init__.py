"""Sharing between agencies: node keys, the signed compact directory, sealed share packages,
the sharing rules and the provider-consent flow. No HTTP here; the node API calls this."""

from cruce.share._consent import (
    Consent,
    ConsentBook,
    ConsentEvent,
    ConsentRequest,
    ConsentStatus,
)
from cruce.share._directory import Directory, Member
from cruce.share._keys import NodeKeys, PublicKeys
from cruce.share._package import (
    MemoryReplayGuard,
    PackageExpired,
    ReplayDetected,
    ReplayGuard,
    Share,
    open_package,
    seal,
)
from cruce.share._rules import Decision, Release, decide

__all__ = [
    "Consent",
    "ConsentBook",
    "ConsentEvent",
    "ConsentRequest",
    "ConsentStatus",
    "Decision",
    "Directory",
    "Member",
    "MemoryReplayGuard",
    "NodeKeys",
    "PackageExpired",
    "PublicKeys",
    "Release",
    "ReplayDetected",
    "ReplayGuard",
    "Share",
    "decide",
    "open_package",
    "seal",
]
