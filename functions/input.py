"""The function input a Composition pipeline step may set (`fn.paved.dev/v1alpha1 Input`)."""

from __future__ import annotations

from pydantic import Field

from functions.kit.params import Model
from functions.policy import Policy

INPUT_GROUP = "fn.paved.dev"
INPUT_VERSION = "v1alpha1"


class Input(Model):
    response_ttl_seconds: int = Field(
        default=60,
        ge=1,
        le=86400,
        alias="responseTTLSeconds",
        description=(
            "How long Crossplane may cache a response. With realtime compositions this sets how "
            "often every XR is composed again; defaults to the server's --response-ttl (60s)."
        ),
    )
    policy: Policy = Field(
        default_factory=Policy,
        description="Organisation policy for every XR composed by this Composition.",
    )
