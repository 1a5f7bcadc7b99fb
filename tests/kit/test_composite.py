"""The XR as a blueprint sees it: references by key, tags within AWS's limit, identity kept,
and every input error said once, together, with how to fix it."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from kit.toy import RUNNER, ToyParameters, settled, toy
from support.compose import fatal_messages

from functions import simulate
from functions.bench import go_marshal
from functions.kit.composite import Composite, ParametersMemo
from functions.kit.errors import ComposeError, Problems
from functions.kit.params import MAX_DEVELOPER_TAGS


def _composite(xr: dict[str, Any]) -> Composite[ToyParameters]:
    return Composite.from_request(simulate.request(xr), ToyParameters)


def _fatal(xr: dict[str, Any], observed: Any = None) -> list[str]:
    return fatal_messages(RUNNER.run(simulate.request(xr, observed)))


def test_ref_names_a_composed_resource_by_its_key() -> None:
    xr = _composite(toy())
    assert xr.ref("cluster") == {"name": "toy-cluster"} == xr.shape.ref(xr.resource_name("cluster"))


def test_tags_leave_room_for_paveds_own() -> None:
    tags = {f"team-{i}": "x" for i in range(MAX_DEVELOPER_TAGS)}
    xr = _composite(toy(tags=tags))
    subnet_tags = {"kubernetes.io/role/elb": "1", "kubernetes.io/cluster/c": "shared"}
    assert len(xr.tags(Name="a", **subnet_tags)) <= 50


def test_a_change_of_identity_is_refused_once_anything_is_composed() -> None:
    for namespace in (None, "team-a"):
        xr = toy(namespace)
        observed = settled(xr)
        moved = toy(namespace, region="eu-central-1", providerConfigName="other")
        (fatal,) = _fatal(moved, observed)
        assert fatal.startswith(
            "spec.parameters.region: cannot change from 'eu-west-1' to 'eu-central-1' once "
            "resources are composed (cluster was composed with 'eu-west-1')"
        )
        assert "; spec.parameters.providerConfigName: cannot change from 'default' to 'other'" in (
            fatal
        )
        # Before anything is composed, nothing moves: the change is allowed.
        assert _fatal(moved) == []


def test_the_provider_config_kind_is_identity_in_namespaced_mode_only() -> None:
    observed = settled(toy("team-a"))
    (fatal,) = _fatal(toy("team-a", providerConfigKind="ProviderConfig"), observed)
    assert fatal.startswith("spec.parameters.providerConfigKind: cannot change from")
    assert _fatal(toy(providerConfigKind="ProviderConfig"), settled(toy())) == []


def test_identity_is_read_from_the_composed_resources_not_from_status() -> None:
    """After a restore status is empty; the spec still says where things are."""
    observed = settled(toy())
    for resource in observed.values():
        resource.resource.pop("status", None)
    (fatal,) = _fatal(toy(region="us-east-1"), observed)
    assert fatal.startswith("spec.parameters.region: cannot change from 'eu-west-1'")


def test_resources_of_other_providers_are_not_identity() -> None:
    observed = settled(toy())
    observed["in-cluster"] = simulate.observe(
        "in-cluster",
        {
            "apiVersion": "kubernetes.crossplane.io/v1alpha2",
            "kind": "Object",
            "metadata": {"name": "toy-in-cluster"},
            "spec": {"forProvider": {"manifest": {}}, "providerConfigRef": {"name": "toy"}},
        },
    )
    assert _fatal(toy(), observed) == []


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            {"regoin": "eu-west-1"},
            "spec.parameters.region: field required; "
            "spec.parameters.regoin: unknown field; did you mean region?",
        ),
        (
            {"size": 1.5},
            'spec.parameters.size: 1.5 is a number; write it as a string: "1.5"',
        ),
        ({"pools": [3]}, 'spec.parameters.pools[0]: 3 is a number; write it as a string: "3"'),
        (
            {"region": "eu-wset-1"},
            "spec.parameters.region: value error, 'eu-wset-1' is not an AWS region; "
            "did you mean eu-west-1?",
        ),
    ],
)
def test_input_errors_say_how_to_fix_them(parameters: dict[str, Any], message: str) -> None:
    xr = toy(**parameters)
    if "regoin" in parameters:
        del xr["spec"]["parameters"]["region"]
    assert _fatal(xr) == [message]


def test_did_you_mean_looks_in_the_right_nested_model() -> None:
    from support.compose import load_xr

    xr = copy.deepcopy(load_xr("cluster/xr.yaml"))
    xr["spec"]["parameters"]["nodePools"] = [{"name": "a", "instanceType": ["m7i.large"]}]
    xr["spec"]["parameters"]["network"] = {"zone": 2}
    (fatal,) = _fatal_any(xr)
    assert "spec.parameters.network.zone: unknown field; did you mean zones?" in fatal
    assert (
        "spec.parameters.nodePools[0].instanceType: unknown field; did you mean instanceTypes?"
        in fatal
    )


def _fatal_any(xr: dict[str, Any]) -> list[str]:
    from support.compose import run

    return fatal_messages(run(xr))


def test_problems_collects_every_error_into_one() -> None:
    problems = Problems()
    with problems.check():
        raise ComposeError("spec.parameters.a", "bad")
    problems.add("spec.parameters.b", "worse")
    problems.run(lambda: None)
    with pytest.raises(ComposeError) as error:
        problems.raise_if_any()
    assert str(error.value) == "spec.parameters.a: bad; spec.parameters.b: worse"
    Problems().raise_if_any()  # nothing found, nothing raised


def test_a_blueprint_adding_too_many_tags_of_its_own_is_refused_not_sent_to_aws() -> None:
    xr = _composite(toy(tags=_many(MAX_DEVELOPER_TAGS)))
    extra = {f"kubernetes.io/extra-{i}": "1" for i in range(10)}
    with pytest.raises(ComposeError, match="tags on one resource, AWS allows 50"):
        xr.tags(**extra)


def _many(count: int) -> dict[str, str]:
    return {f"team-{i}": "x" for i in range(count)}


def test_a_version_yaml_read_as_a_number_gets_the_string_that_was_meant() -> None:
    """`version: 1.30` arrives as 1.3: the allowed value that reads as the same number is meant."""
    from typing import Literal

    from pydantic import ValidationError

    from functions.kit import Model
    from functions.kit.errors import describe

    class Versioned(Model):
        version: Literal["1.29", "1.30", "1.31"] = "1.31"

    with pytest.raises(ValidationError) as error:
        Versioned.model_validate({"version": 1.3})
    assert describe(error.value, "spec.parameters", Versioned) == (
        'spec.parameters.version: 1.3 is a number; write it as a string: "1.30"'
    )


# -- parameters validated once per content ----------------------------------------------------


def _from_request(
    xr: dict[str, Any], memo: ParametersMemo, scope: bytes = b"policy"
) -> Composite[ToyParameters]:
    # In a fresh random map order each time, as Crossplane's Go marshalling sends it.
    wire = go_marshal(simulate.request(xr), random.Random(len(memo)))
    req = fnv1.RunFunctionRequest.FromString(wire)
    return Composite.from_request(req, ToyParameters, memo=memo, memo_scope=scope)


def test_parameters_seen_before_are_not_validated_again() -> None:
    memo = ParametersMemo()
    first = _from_request(toy(pools=["a", "b"], tags={"team": "x"}), memo)
    again = _from_request(toy(pools=["a", "b"], tags={"team": "x"}), memo)
    assert again.params is first.params and len(memo) == 1
    assert again.params == ToyParameters.model_validate(
        {"region": "eu-west-1", "pools": ["a", "b"], "tags": {"team": "x"}}
    )


def test_changed_parameters_another_policy_or_model_are_validated_afresh() -> None:
    memo = ParametersMemo()
    first = _from_request(toy(pools=["a"]), memo)
    changed = _from_request(toy(pools=["a", "b"]), memo)
    other_policy = _from_request(toy(pools=["a"]), memo, scope=b"another policy")
    assert changed.params.pools == ["a", "b"] and first.params.pools == ["a"]
    assert other_policy.params is not first.params
    assert len(memo) == 3


def test_invalid_parameters_are_refused_every_time_and_never_kept() -> None:
    memo = ParametersMemo()
    for _ in range(2):
        with pytest.raises(ComposeError, match="size"):
            _from_request(toy(size=["not", "a", "string"]), memo)
    assert len(memo) == 0


def test_the_parameters_memo_is_bounded_in_bytes() -> None:
    memo = ParametersMemo(max_bytes=200_000)
    for index in range(100):
        _from_request(toy(pools=[f"pool-{index}"]), memo)
    assert 0 < memo.size_bytes <= 200_000 and len(memo) < 100
    huge = [f"pool-{index:05d}" for index in range(7000)]  # over 64 KiB serialized
    _from_request(toy(pools=huge), memo)
    assert all(len(key[2]) <= ParametersMemo.MAX_CONTENT_BYTES for key in memo._entries)


# -- the XR's status, read field by field -----------------------------------------------------


def test_the_xr_status_reads_as_the_plain_mapping_it_holds() -> None:
    status = {"toy": {"clusterArn": "arn:x", "sizes": [1, 2.5]}, "ready": True, "none": None}
    xr = _composite({**toy(), "status": status})
    assert xr.status == status and dict(xr.status) == status
    assert xr.status.get("toy") == status["toy"] and xr.status.get("missing") is None
    assert sorted(xr.status) == sorted(status) and len(xr.status) == 3
    assert _composite(toy()).status == {}
    assert _composite({**toy(), "status": ["not", "an", "object"]}).status == {}
