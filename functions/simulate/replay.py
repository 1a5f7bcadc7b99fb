"""A reconcile replay: Crossplane's XR (and claim) reconciler with providers that create instantly.

Each round is what Crossplane does on one reconcile (internal/controller/apiextensions/composite):

- run the function with the observed XR, the connection details of the XR's Secret, the observed
  composed resources and the resources it requires (re-run while its requirements change, like
  xfn.FetchingFunctionRunner, at most 5 times);
- a FATAL result stops the reconcile: nothing is applied, nothing is deleted;
- otherwise apply the desired state: the XR's status, the XR's connection Secret (claim mode,
  filtered by the XRD's connectionSecretKeys), every desired composed resource (an existing one
  keeps its name), the XR's resourceRefs; and *delete* every observed composed resource missing
  from the desired state (the composed-resource garbage collector), unless a Usage still
  composed names it (the Usage webhook refuses: it stays, observed, until the Usage goes);
- the XR is Ready when the function says so, or, when it does not, when every desired composed
  resource is marked ready;
- the claim gets the XR's status and the conditions meant for it, and, once the XR is Ready, a
  copy of the XR's Secret.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from functions.kit.observed import lookup
from functions.simulate.claims import (
    SecretRef,
    claim_secret_ref,
    claim_to_xr,
    connection_secret_keys,
    published,
    xr_secret_ref,
)
from functions.simulate.deletion import held_by_usages
from functions.simulate.providers import TRANSITION_TIME, condition, observe_all
from functions.simulate.requests import (
    ObservedResource,
    desired_resources,
    fatal_messages,
    observed_resources,
    request,
)

Run = Callable[[fnv1.RunFunctionRequest], fnv1.RunFunctionResponse]
Secrets = dict[SecretRef, dict[str, bytes]]

MAX_REQUIREMENTS_ITERATIONS = 5  # xfn.MaxRequirementsIterations


@dataclass
class Round:
    request: fnv1.RunFunctionRequest
    response: fnv1.RunFunctionResponse
    # What the control plane looks like after this reconcile.
    xr_ready: bool = False
    deleted: list[str] = field(default_factory=list)
    # No longer desired, but a composed Usage still names it: the webhook refused the delete.
    held: list[str] = field(default_factory=list)
    secrets: Secrets = field(default_factory=dict)
    claim: dict[str, Any] | None = None

    @property
    def desired(self) -> dict[str, dict[str, Any]]:
        return desired_resources(self.response)

    @property
    def fatal(self) -> list[str]:
        return fatal_messages(self.response)

    @property
    def xr(self) -> dict[str, Any]:
        xr: dict[str, Any] = lookup(self.request.observed.composite.resource)
        return xr

    @functools.cached_property
    def observed(self) -> dict[str, ObservedResource]:
        """The composed resources this round's request observed (read once: treat as frozen)."""
        return observed_resources(self.request)

    @property
    def required(self) -> dict[str, list[dict[str, Any]]]:
        return {
            name: [lookup(item.resource) for item in items.items]
            for name, items in sorted(self.request.required_resources.items())
        }

    def secret(self, namespace: str, name: str) -> dict[str, str] | None:
        """A Secret's data as text, None if no such Secret exists."""
        data = self.secrets.get(SecretRef(namespace, name))
        return None if data is None else {k: v.decode() for k, v in sorted(data.items())}


def resolve(
    selector: fnv1.ResourceSelector, world: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """xfn.ExistingRequiredResourcesFetcher over `world`: by name, or by labels, sorted."""
    found = []
    for item in world:
        metadata = item.get("metadata") or {}
        if item.get("apiVersion") != selector.api_version or item.get("kind") != selector.kind:
            continue
        if selector.namespace and metadata.get("namespace") != selector.namespace:
            continue
        match = selector.WhichOneof("match")
        if match == "match_name" and metadata.get("name") != selector.match_name:
            continue
        if match == "match_labels":
            labels = metadata.get("labels") or {}
            if any(labels.get(k) != v for k, v in selector.match_labels.labels.items()):
                continue
        found.append(item)
    found.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"].get("name", "")))
    return found


def run_fetching(
    run: Run,
    req: fnv1.RunFunctionRequest,
    world: Iterable[dict[str, Any]] | None = None,
) -> fnv1.RunFunctionResponse:
    """Run the function, fetching the resources it requires until its requirements settle.

    With no `world` (no API server, like a render), requirements are not served.
    """
    if world is None:
        return run(req)
    world = list(world)
    bootstrap = {name: list(items.items) for name, items in req.required_resources.items()}
    previous: fnv1.Requirements | None = None
    for _ in range(MAX_REQUIREMENTS_ITERATIONS + 1):
        rsp = run(req)
        if fatal_messages(rsp) or rsp.requirements == previous:
            return rsp
        wanted = {
            name: resolve(selector, world)
            for name, selector in rsp.requirements.resources.items()
            if name not in bootstrap
        }
        sent = {
            name: [lookup(item.resource) for item in items.items]
            for name, items in req.required_resources.items()
            if name not in bootstrap
        }
        if previous is None and wanted == sent:
            return rsp  # it saw everything it requires on this very call
        previous = fnv1.Requirements()
        previous.CopyFrom(rsp.requirements)
        next_req = fnv1.RunFunctionRequest()
        next_req.CopyFrom(req)
        for name in wanted:
            target = next_req.required_resources[name]
            del target.items[:]
            for item in wanted[name]:
                target.items.add().resource.update(item)
        req = next_req
    raise RuntimeError(
        f"requirements didn't stabilize after {MAX_REQUIREMENTS_ITERATIONS} iterations"
    )


def xr_is_ready(rsp: fnv1.RunFunctionResponse) -> bool:
    """composite/reconciler.go: the function's word, else every composed resource ready."""
    if rsp.desired.composite.ready != fnv1.READY_UNSPECIFIED:
        return rsp.desired.composite.ready == fnv1.READY_TRUE
    return all(r.ready == fnv1.READY_TRUE for r in rsp.desired.resources.values())


@dataclass
class ControlPlane:
    """The API server's view of one XR (and its claim): what Crossplane reconciles from."""

    xr: dict[str, Any]
    observed: dict[str, ObservedResource] = field(default_factory=dict)
    claim: dict[str, Any] | None = None
    world: list[dict[str, Any]] | None = None
    required: Mapping[str, list[dict[str, Any]]] | None = None
    secrets: Secrets = field(default_factory=dict)

    def reconcile(self, run: Run) -> Round:
        """One reconcile of the XR, then of its claim."""
        xr_secret = xr_secret_ref(self.xr)
        req = request(
            self.xr,
            self.observed,
            required=self.required,
            xr_connection_details=self.secrets.get(xr_secret) if xr_secret else None,
        )
        rsp = run_fetching(run, req, self.world)
        round_ = Round(req, rsp)
        if not round_.fatal:
            self._apply(rsp, round_)
        round_.secrets = copy.deepcopy(self.secrets)
        round_.claim = copy.deepcopy(self.claim)
        return round_

    def _record_resource_refs(self, desired: dict[str, dict[str, Any]]) -> None:
        """The XR's references to what it composes: `spec.resourceRefs` of a legacy
        (cluster-scoped) XR, `spec.crossplane.resourceRefs` of a namespaced one."""
        spec = self.xr.setdefault("spec", {})
        if (self.xr.get("metadata") or {}).get("namespace"):
            spec.setdefault("crossplane", {})["resourceRefs"] = _resource_refs(desired)
        else:
            spec["resourceRefs"] = _resource_refs(desired)

    def _apply(self, rsp: fnv1.RunFunctionResponse, round_: Round) -> None:
        round_.xr_ready = xr_is_ready(rsp)
        status = lookup(rsp.desired.composite.resource, "status") or {}
        status["conditions"] = _xr_conditions(rsp, round_.xr_ready)
        legacy = not (self.xr.get("metadata") or {}).get("namespace")
        claim_types = sorted(
            {c.type for c in rsp.conditions if _for_claim(c)} - SYSTEM_CONDITION_TYPES
        )
        if legacy and claim_types:
            status["claimConditionTypes"] = claim_types
        self.xr["status"] = status
        xr_secret = xr_secret_ref(self.xr)
        if xr_secret:
            details = dict(rsp.desired.composite.connection_details)
            self.secrets[xr_secret] = published(details, connection_secret_keys(self.xr["kind"]))
        desired = desired_resources(rsp)
        undesired = {k: o.resource for k, o in self.observed.items() if k not in desired}
        held = held_by_usages(desired, undesired)
        round_.deleted = sorted(set(undesired) - held)
        round_.held = sorted(held)
        for key, resource in desired.items():
            if key in self.observed:  # Crossplane keeps an existing composed resource's name
                kept = self.observed[key].resource.get("metadata") or {}
                metadata = resource.setdefault("metadata", {})
                for field_ in ("name", "namespace"):
                    if kept.get(field_):
                        metadata[field_] = kept[field_]
        still_there = {k: self.observed[k] for k in held}
        self.observed = {**observe_all(desired), **still_there}
        self._record_resource_refs(desired)
        for resource in desired.values():
            if resource.get("apiVersion") == "v1" and resource.get("kind") == "Secret":
                self.secrets[_secret_ref(resource)] = _secret_data(resource)
        if self.claim is not None:
            self._sync_claim(round_.xr_ready, xr_secret)

    def _sync_claim(self, xr_ready: bool, xr_secret: SecretRef | None) -> None:
        """claim/syncer_ssa.go and reconciler.go: the claim gets the XR's status (without its
        machinery fields) and the conditions meant for it; its Secret once the XR is Ready."""
        assert self.claim is not None
        xr_status = self.xr.get("status") or {}
        status = {k: v for k, v in xr_status.items() if k not in XR_STATUS_MACHINERY}
        wanted = set(xr_status.get("claimConditionTypes") or [])
        conditions = [c for c in xr_status.get("conditions") or [] if c.get("type") in wanted]
        conditions.append(condition("Synced", True, "ReconcileSuccess"))
        if xr_ready:
            conditions.append(condition("Ready", True, "Available"))
        else:
            waiting = condition("Ready", False, "Waiting")
            waiting["message"] = "Claim is waiting for composite resource to become Ready"
            conditions.append(waiting)
        status["conditions"] = conditions
        self.claim["status"] = status
        claim_secret = claim_secret_ref(self.claim)
        if xr_ready and claim_secret and xr_secret:
            self.secrets[claim_secret] = dict(self.secrets.get(xr_secret, {}))


_CONDITION_STATUS = {
    fnv1.STATUS_CONDITION_TRUE: "True",
    fnv1.STATUS_CONDITION_FALSE: "False",
}


# Conditions only Crossplane sets (apis/core/v2 IsSystemConditionType, apiextensions Responsive).
SYSTEM_CONDITION_TYPES = frozenset({"Ready", "Synced", "Healthy", "UpToDate", "Responsive"})
# Legacy XR status fields the claim does not get (xcrd.CompositeResourceStatusProps).
XR_STATUS_MACHINERY = frozenset({"conditions", "connectionDetails", "claimConditionTypes"})


def _for_claim(condition: fnv1.Condition) -> bool:
    return bool(condition.target == fnv1.TARGET_COMPOSITE_AND_CLAIM)


def _xr_conditions(rsp: fnv1.RunFunctionResponse, ready: bool) -> list[dict[str, str]]:
    """The XR's conditions after a reconcile: the function's (never a system condition), then
    Synced and Ready."""
    conditions = [
        {
            "type": c.type,
            "status": _CONDITION_STATUS.get(c.status, "Unknown"),
            "reason": c.reason,
            "message": c.message,
            "lastTransitionTime": TRANSITION_TIME,
        }
        for c in rsp.conditions
        if c.type not in SYSTEM_CONDITION_TYPES
    ]
    conditions.append(condition("Synced", True, "ReconcileSuccess"))
    conditions.append(condition("Ready", ready, "Available" if ready else "Creating"))
    return [{k: v for k, v in c.items() if v != ""} for c in conditions]


def _resource_refs(desired: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    refs = [
        {
            "apiVersion": str(r.get("apiVersion")),
            "kind": str(r.get("kind")),
            "name": str((r.get("metadata") or {}).get("name", "")),
        }
        for r in desired.values()
    ]
    return sorted(refs, key=lambda ref: (ref["apiVersion"], ref["kind"], ref["name"]))


def _secret_ref(secret: dict[str, Any]) -> SecretRef:
    metadata = secret.get("metadata") or {}
    return SecretRef(metadata.get("namespace", "default"), metadata.get("name", ""))


def _secret_data(secret: dict[str, Any]) -> dict[str, bytes]:
    import base64

    data = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
    data.update({k: str(v).encode() for k, v in (secret.get("stringData") or {}).items()})
    return data


def replay(
    run: Run,
    xr: dict[str, Any],
    *,
    claim: dict[str, Any] | None = None,
    required: Mapping[str, list[dict[str, Any]]] | None = None,
    world: Iterable[dict[str, Any]] | None = None,
    max_rounds: int = 20,
) -> list[Round]:
    """Reconcile like Crossplane with providers that create everything instantly.

    Each round feeds the previous round's desired resources back as observed and Ready, and the
    XR status back into the XR, until nothing changes. `required` is handed to the function on
    every call (as Crossplane seeds what it required before); anything else it requires is looked
    up in `world` (the objects of the API server; None: requirements are never served, the
    function keeps waiting for them).
    """
    plane = ControlPlane(
        copy.deepcopy(xr),
        claim=copy.deepcopy(claim),
        world=None if world is None else list(world),
        required=required,
    )
    rounds: list[Round] = []
    for _ in range(max_rounds):
        before = (copy.deepcopy(plane.observed), copy.deepcopy(plane.secrets))
        round_ = plane.reconcile(run)
        rounds.append(round_)
        if round_.fatal or _settled(before, plane):
            break
    return rounds


def replay_claim(run: Run, claim: dict[str, Any], **kwargs: Any) -> list[Round]:
    """Replay a claim: the XR Crossplane creates for it, and its connection Secret."""
    return replay(run, claim_to_xr(claim), claim=claim, **kwargs)


def _settled(before: tuple[dict[str, ObservedResource], Secrets], plane: ControlPlane) -> bool:
    observed, secrets = before
    return (
        set(observed) == set(plane.observed)
        and all(_same_spec(observed[k].resource, plane.observed[k].resource) for k in observed)
        and secrets == plane.secrets
    )


def _same_spec(observed: dict[str, Any], desired: dict[str, Any]) -> bool:
    return observed.get("spec") == desired.get("spec") and observed.get("data") == desired.get(
        "data"
    )


def fully_observed(run: Run, xr: dict[str, Any], **kwargs: Any) -> fnv1.RunFunctionRequest:
    """The request of a fully composed, fully ready XR (the steady state)."""
    return replay(run, xr, **kwargs)[-1].request
