"""Compose through the real runner, the way the tests read: given this XR and observed state."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from functions import simulate
from functions.blueprints import BLUEPRINTS
from functions.runner import FunctionRunner

REPO = Path(__file__).resolve().parent.parent.parent
EXAMPLES = REPO / "examples"
CLAIM_KINDS = {b.claim_kind for b in BLUEPRINTS.values()}
RUNNER = FunctionRunner()


def load_xr(example: str) -> dict[str, Any]:
    """The XR for an example file (a claim becomes the XR Crossplane would create for it)."""
    document = yaml.safe_load((EXAMPLES / example).read_text())
    return simulate.as_xr(document, CLAIM_KINDS)


# Fields only a legacy (claim-mode) XR has: a v2 XR has none of them (Crossplane's own live
# under spec.crossplane).
_LEGACY_SPEC_FIELDS = ("claimRef", "writeConnectionSecretToRef", "resourceRefs")


def namespaced(xr: dict[str, Any], namespace: str = "team-a") -> dict[str, Any]:
    """The same XR in namespaced mode (XRD v2)."""
    spec = {k: v for k, v in (xr.get("spec") or {}).items() if k not in _LEGACY_SPEC_FIELDS}
    return {
        **xr,
        "metadata": {"name": xr["metadata"]["name"], "namespace": namespace},
        "spec": spec,
    }


def with_parameters(xr: dict[str, Any], **parameters: Any) -> dict[str, Any]:
    merged = {**xr["spec"].get("parameters", {}), **parameters}
    return {**xr, "spec": {**xr["spec"], "parameters": merged}}


def run(
    xr: dict[str, Any], observed: dict[str, Any] | None = None, **kwargs: Any
) -> fnv1.RunFunctionResponse:
    return RUNNER.run(simulate.request(xr, observed, **kwargs))


def replay(xr: dict[str, Any], **kwargs: Any) -> list[simulate.Round]:
    return simulate.replay(RUNNER.run, xr, **kwargs)


# Every example XR or claim, not the required resources beside them (which carry a status).
EXAMPLE_XRS = [
    path
    for path in sorted(EXAMPLES.glob("*/*.yaml"))
    if str((document := yaml.safe_load(path.read_text())).get("apiVersion", "")).startswith(
        "platform.paved.dev/"
    )
    and "status" not in document
]
# The example of a Ready cluster, as Crossplane hands it to the XRs that run on one: tenants
# (required resource "host") and databases placed on a cluster ("cluster").
REQUIRED_CLUSTER = yaml.safe_load((EXAMPLES / "cluster/required-host.yaml").read_text())
ON_THE_EXAMPLE_CLUSTER = {"host": [REQUIRED_CLUSTER], "cluster": [REQUIRED_CLUSTER]}


def example_id(path: Path) -> str:
    return str(path.relative_to(EXAMPLES))


def replay_example(path: Path, mode: str = "claim") -> list[simulate.Round]:
    """Every reconcile of an example until it settles, in claim or namespaced mode, on the
    example cluster when it runs on one."""
    xr = simulate.as_xr(yaml.safe_load(path.read_text()), CLAIM_KINDS)
    if mode == "namespaced" and not xr["metadata"].get("namespace"):
        xr = namespaced(xr)
    return replay(xr, required=ON_THE_EXAMPLE_CLUSTER)


def composed(xr: dict[str, Any], required: Any = None) -> dict[str, dict[str, Any]]:
    """Everything composed for `xr` once every resource is ready (the last reconcile's desired)."""
    return simulate.desired_resources(replay(xr, required=required)[-1].response)


def settled(xr: dict[str, Any], required: Any = None) -> dict[str, simulate.ObservedResource]:
    """What Crossplane observes once everything composed for `xr` exists and is ready."""
    return simulate.observe_all(replay(xr, required=required)[-1].desired)


def first_rounds(rounds: Iterable[simulate.Round]) -> dict[str, int]:
    """The reconcile (0, 1, ...) in which each composition resource was first emitted."""
    first: dict[str, int] = {}
    for number, round_ in enumerate(rounds):
        for key in round_.response.desired.resources:
            first.setdefault(key, number)
    return first


def manifests(resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The manifests of the provider-kubernetes Objects among `resources`, by key."""
    return {
        key: r["spec"]["forProvider"]["manifest"]
        for key, r in resources.items()
        if r["kind"] == "Object"
    }


def waiting_for(rsp: fnv1.RunFunctionResponse) -> dict[str, str]:
    """`status.progress.waitingFor` as resource -> reason."""
    return {w["resource"]: w["reason"] for w in status(rsp)["progress"]["waitingFor"]}


fatal_messages = simulate.fatal_messages


def status(rsp: fnv1.RunFunctionResponse) -> dict[str, Any]:
    return simulate.lookup(rsp.desired.composite.resource, "status") or {}


def documents(rsp: fnv1.RunFunctionResponse) -> list[dict[str, Any]]:
    """The composed resources, each annotated with its composition resource name, for goldens."""
    docs = []
    for key, resource in simulate.desired_resources(rsp).items():
        resource.setdefault("metadata", {}).setdefault("annotations", {})[
            simulate.COMPOSITION_RESOURCE_NAME
        ] = key
        docs.append(resource)
    return docs


def refusal(xr: dict[str, Any], observed: dict[str, Any] | None = None, **kwargs: Any) -> str:
    """The one FATAL result composing `xr` (over `observed`) gets; the desired state is left as
    an earlier pipeline step left it."""
    req = simulate.request(xr, observed, **kwargs)
    req.desired.resources["from-an-earlier-step"].resource.update(
        {"apiVersion": "v1", "kind": "ConfigMap"}
    )
    rsp = RUNNER.run(req)
    (fatal,) = fatal_messages(rsp)
    assert rsp.desired == req.desired, "a refused compose must not change the desired state"
    return fatal


def assert_fatal(xr: dict[str, Any], message: str) -> None:
    """`xr` gets one FATAL result containing `message`, and the desired state is left alone."""
    assert message in refusal(xr)


def assert_bad_parameters(xr: dict[str, Any], parameters: dict[str, Any], message: str) -> None:
    """`xr` with these parameters (None: the parameter left out) gets one FATAL result
    containing `message`."""
    merged = {**xr["spec"].get("parameters", {}), **parameters}
    given = {key: value for key, value in merged.items() if value is not None}
    assert_fatal({**xr, "spec": {**xr["spec"], "parameters": given}}, message)
