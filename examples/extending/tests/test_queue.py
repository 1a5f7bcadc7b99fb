"""XQueue, specified: given this claim and this observed state, these resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.crds import crds_available, validate

from functions import simulate
from functions.blueprints import BLUEPRINTS, REGISTRY
from functions.kit.checks import assert_well_formed
from functions.kit.checks import compose as compose_desired
from functions.runner import FunctionRunner

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RUNNER = FunctionRunner()


def xr_of(example: str, namespace: str | None = None) -> dict[str, Any]:
    document = yaml.safe_load((EXAMPLES / example).read_text())
    xr = simulate.as_xr(document, {b.claim_kind for b in BLUEPRINTS.values()})
    if namespace is not None:
        xr = {**xr, "metadata": {"name": xr["metadata"]["name"], "namespace": namespace}}
    return xr


MODES = {
    "claim": xr_of("claim.yaml"),
    "namespaced": xr_of("claim.yaml", namespace="team-a"),
    "fifo": xr_of("xr.yaml"),
}


def steady(xr: dict[str, Any]) -> simulate.Round:
    rounds = simulate.replay(RUNNER.run, xr)
    assert not rounds[-1].fatal, rounds[-1].fatal
    return rounds[-1]


def test_the_plugin_is_registered_through_its_entry_point() -> None:
    assert REGISTRY["XQueue"].source == "paved-queue (xqueue)"


@pytest.mark.parametrize("mode", MODES)
def test_stages_key_then_dead_letter_queue_then_queue_then_policies(mode: str) -> None:
    rounds = simulate.replay(RUNNER.run, MODES[mode])
    stages = [sorted(r.desired) for r in rounds]
    assert [k for k in stages[0] if k != "connection-secret"] == ["kms-key"]
    assert "dead-letter-queue" in stages[1] and "queue" not in stages[1]
    assert "queue" in stages[2] and "tls-policy" not in stages[2]
    assert {"tls-policy", "redrive-allow-policy"} <= set(stages[3])


@pytest.mark.skipif(not crds_available(), reason="no CRDs in ../shared/crds")
@pytest.mark.parametrize("mode", MODES)
def test_every_resource_at_every_stage_is_valid_against_the_provider_crds(mode: str) -> None:
    errors = []
    for stage, round_ in enumerate(simulate.replay(RUNNER.run, MODES[mode])):
        for key, resource in round_.desired.items():
            if resource["kind"] == "Secret":
                continue
            errors += [f"stage {stage} {key}: {e}" for e in validate(resource)]
    assert errors == []


def test_the_queue_is_encrypted_with_its_key_and_redrives_to_its_dead_letter_queue() -> None:
    final = steady(MODES["claim"])
    queue = final.desired["queue"]["spec"]["forProvider"]
    dlq = final.desired["dead-letter-queue"]["spec"]["forProvider"]
    assert queue["kmsMasterKeyId"].startswith("arn:aws:kms:eu-west-1:")
    assert dlq["kmsMasterKeyId"] == queue["kmsMasterKeyId"]
    assert json.loads(queue["redrivePolicy"]) == {
        "deadLetterTargetArn": f"arn:aws:sqs:eu-west-1:123456789012:{dlq['name']}",
        "maxReceiveCount": 3,
    }
    allow = json.loads(
        final.desired["redrive-allow-policy"]["spec"]["forProvider"]["redriveAllowPolicy"]
    )
    assert allow["sourceQueueArns"] == [f"arn:aws:sqs:eu-west-1:123456789012:{queue['name']}"]


def test_queue_names_are_unique_per_namespace_and_fifo_names_end_in_fifo() -> None:
    names = {
        mode: steady(xr).desired["queue"]["spec"]["forProvider"]["name"]
        for mode, xr in MODES.items()
    }
    assert names == {
        "claim": "order-events-7f7d2",
        "namespaced": "team-a-order-events-7f7d2",
        "fifo": "team-a-payments.fifo",
    }
    other_team = steady(xr_of("claim.yaml", namespace="team-b"))
    assert other_team.desired["queue"]["spec"]["forProvider"]["name"] != names["namespaced"]


def test_status_and_connection_details_come_from_the_observed_queue() -> None:
    final = steady(MODES["claim"])
    status = simulate.lookup(final.response.desired.composite.resource, "status")
    assert status["queue"]["url"].startswith("https://sqs.eu-west-1.amazonaws.com/")
    assert set(final.response.desired.composite.connection_details) == {"url", "arn", "region"}


def test_missing_status_keeps_the_key_and_the_redrive_policy() -> None:
    final = steady(MODES["claim"])
    observed = simulate.observe_all(final.desired)
    for item in observed.values():
        item.resource.get("status", {}).pop("atProvider", None)
    rsp = RUNNER.run(simulate.request(MODES["claim"], observed))
    queue = simulate.desired_resources(rsp)["queue"]["spec"]["forProvider"]
    expected = final.desired["queue"]["spec"]["forProvider"]
    assert queue["kmsMasterKeyId"] == expected["kmsMasterKeyId"]
    assert queue["redrivePolicy"] == expected["redrivePolicy"]


def test_turning_a_running_queue_into_a_fifo_queue_is_refused_naming_the_field() -> None:
    final = steady(MODES["namespaced"])
    observed = simulate.observe_all(final.desired)
    xr = {**MODES["namespaced"]}
    xr["spec"] = {"parameters": {**xr["spec"]["parameters"], "fifo": True}}
    rsp = RUNNER.run(simulate.request(xr, observed))
    (fatal,) = simulate.fatal_messages(rsp)
    assert fatal.startswith("spec.parameters.fifo: cannot change from false")


@pytest.mark.parametrize("mode", MODES)
def test_every_resource_declares_its_stage_and_deletion_order(mode: str) -> None:
    for round_ in simulate.replay(RUNNER.run, MODES[mode]):
        assert_well_formed(compose_desired(BLUEPRINTS["XQueue"], round_.request))


def test_the_key_outlives_the_queues_it_encrypts() -> None:
    desired = steady(MODES["claim"]).desired
    usages = {
        (u["spec"]["of"]["resourceRef"]["name"], u["spec"]["by"]["resourceRef"]["name"])
        for u in desired.values()
        if u["kind"] == "ClusterUsage"
    }
    name = MODES["claim"]["metadata"]["name"]
    assert (f"{name}-kms-key", f"{name}-queue") in usages
    assert (f"{name}-kms-key", f"{name}-dead-letter-queue") in usages
    assert (f"{name}-dead-letter-queue", f"{name}-queue") in usages
