"""What a running XR observes may be incomplete or unexpected; what it composes must not change.

- After a restore (Velero, etcd backup) or an adoption, composed resources exist with their spec
  but without `status.atProvider` until the provider observes them again. Safety checks must fall
  back to the observed spec: the same spec composes the same resources (issue 8.10).
- An observed composed resource the blueprint does not plan (composed by an earlier Paved
  version under another key) is kept, with a warning: dropping it makes Crossplane delete it
  (issue 8.11).
"""

from __future__ import annotations

from typing import Any

import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from day2 import known_bugs
from day2.scenarios import SCENARIOS
from support.transitions import reconcile, steady_state, without_status

from functions import simulate


def _mark(name: str, bugs: dict[str, str]) -> Any:
    # By scenario, by scenario without its mode, or by blueprint.
    reason = bugs.get(name) or bugs.get(name.rsplit("-", 1)[0]) or bugs.get(name.split("-")[0])
    return known_bugs.case(name, id=name, reason=reason)


XR_CONNECTION_DETAILS = "(the XR's connection details)"


def _specs(rsp: fnv1.RunFunctionResponse) -> dict[str, Any]:
    """What a response asks Crossplane to apply: each resource's spec, the XR's secret."""
    specs = {
        key: {k: v for k, v in resource.items() if k in ("apiVersion", "kind", "spec", "data")}
        for key, resource in simulate.desired_resources(rsp).items()
    }
    specs[XR_CONNECTION_DETAILS] = dict(rsp.desired.composite.connection_details)
    return specs


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    problems = [f"drops {key}" for key in sorted(set(before) - set(after))]
    problems += [f"adds {key}" for key in sorted(set(after) - set(before))]
    for key in sorted(set(before) & set(after)):
        if before[key] != after[key]:
            problems.append(f"changes {key}")
    return problems


@pytest.mark.parametrize("scenario", [_mark(name, known_bugs.MISSING_STATUS) for name in SCENARIOS])
def test_a_steady_state_without_observed_status_composes_the_same_spec(scenario: str) -> None:
    running = SCENARIOS[scenario]
    steady = steady_state(running)
    expected = _specs(steady.response)
    problems = []
    variants = {
        "every resource": without_status(steady.observed),
        "every resource, conditions too": without_status(steady.observed, conditions=False),
    }
    for key in steady.observed:
        variants[key] = without_status(steady.observed, key)
    for variant, observed in variants.items():
        _, rsp = reconcile(steady, running.parameters, running.world, observed=observed)
        if simulate.fatal_messages(rsp):
            problems.append(f"without status of {variant}: {simulate.fatal_messages(rsp)}")
            continue
        found = _differences(expected, _specs(rsp))
        problems += [f"without status of {variant}: {d}" for d in found]
    assert not problems, "\n".join(problems)


LEGACY_KEY = "composed-by-an-earlier-version"


def _legacy_resource(steady: simulate.Round) -> simulate.ObservedResource:
    """A managed resource under a key the blueprint no longer plans, e.g. renamed since."""
    xr = steady.xr
    metadata: dict[str, Any] = {"name": f"{xr['metadata']['name']}-legacy"}
    if xr["metadata"].get("namespace"):
        metadata["namespace"] = xr["metadata"]["namespace"]
    desired = {
        "apiVersion": "kms.aws.upbound.io/v1beta1"
        if "namespace" not in metadata
        else "kms.aws.m.upbound.io/v1beta1",
        "kind": "Key",
        "metadata": metadata,
        "spec": {"forProvider": {"region": "eu-west-1", "description": "from Paved 0.0.1"}},
    }
    return simulate.observe(LEGACY_KEY, desired)


@pytest.mark.parametrize(
    "scenario", [_mark(name, known_bugs.UNKNOWN_OBSERVED) for name in SCENARIOS]
)
def test_an_observed_resource_the_blueprint_does_not_plan_is_kept_with_a_warning(
    scenario: str,
) -> None:
    running = SCENARIOS[scenario]
    steady = steady_state(running)
    observed = {**steady.observed, LEGACY_KEY: _legacy_resource(steady)}

    _, rsp = reconcile(steady, running.parameters, running.world, observed=observed)

    assert LEGACY_KEY in simulate.desired_resources(rsp)
    warnings = [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_WARNING]
    assert any(LEGACY_KEY in message for message in warnings), warnings
