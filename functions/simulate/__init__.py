"""A stand-in for Crossplane and the providers: requests, fake providers, reconcile replay.

Used by `paved render --until-ready`, the tests' reconcile replays and the benchmark.

- `requests`: RunFunctionRequests as Crossplane builds them, responses read back as plain data;
- `claims`: Crossplane's claim -> XR translation and connection secret propagation;
- `providers`: fake providers, keyed by the kinds of `functions/resources/kinds.py`;
- `replay`: Crossplane's reconcile loop (required resources, garbage collection, readiness);
- `deletion`: deleting an XR, held back by its Usages.
"""

from functions.kit.observed import lookup
from functions.resources.names import EXTERNAL_NAME
from functions.simulate.apiserver import as_stored
from functions.simulate.claims import (
    SecretRef,
    as_xr,
    claim_to_xr,
    configure_xr,
    connection_secret_keys,
)
from functions.simulate.deletion import Deletion, delete_all, held_by_usages
from functions.simulate.providers import (
    ACCOUNT_ID,
    FAKES,
    NAMED_BY_EXTERNAL_NAME,
    TRANSITION_TIME,
    Fake,
    fake_id,
    kind_of,
    observe,
    observe_all,
)
from functions.simulate.replay import (
    ControlPlane,
    Round,
    Run,
    fully_observed,
    replay,
    replay_claim,
    resolve,
    run_fetching,
    xr_is_ready,
)
from functions.simulate.requests import (
    COMPOSITION_RESOURCE_NAME,
    ObservedResource,
    decode_secret_data,
    desired_resources,
    fatal_messages,
    observed_resources,
    request,
)

__all__ = [
    "ACCOUNT_ID",
    "COMPOSITION_RESOURCE_NAME",
    "EXTERNAL_NAME",
    "FAKES",
    "NAMED_BY_EXTERNAL_NAME",
    "TRANSITION_TIME",
    "ControlPlane",
    "Deletion",
    "Fake",
    "ObservedResource",
    "Round",
    "Run",
    "SecretRef",
    "as_stored",
    "as_xr",
    "claim_to_xr",
    "configure_xr",
    "connection_secret_keys",
    "decode_secret_data",
    "delete_all",
    "desired_resources",
    "fake_id",
    "fatal_messages",
    "fully_observed",
    "held_by_usages",
    "kind_of",
    "lookup",
    "observe",
    "observe_all",
    "observed_resources",
    "replay",
    "replay_claim",
    "request",
    "resolve",
    "run_fetching",
    "xr_is_ready",
]
