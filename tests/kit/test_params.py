"""Rules written once on the models reach the XRD; status goes through the models both ways."""

from __future__ import annotations

from kit.toy import BLUEPRINT, ToyInfo, ToyStatus

from functions.generate import structural, xrd
from functions.kit import Model, read_status
from functions.kit.params import IMMUTABLE, cel, immutable, xrd_rules
from functions.kit.status import Progress, dump


def test_immutable_is_a_one_line_rule_in_the_xrd() -> None:
    schema = structural(BLUEPRINT.parameters)
    assert schema["properties"]["size"]["x-kubernetes-validations"] == [
        {
            "rule": "self == oldSelf",
            "message": "this field cannot be changed once set: the resources it made would be "
            "replaced",
        }
    ]
    assert xrd_rules(immutable()) == IMMUTABLE


def test_rules_on_a_model_and_on_the_field_using_it_add_up() -> None:
    from pydantic import ConfigDict, Field

    class Network(Model):
        model_config = ConfigDict(
            json_schema_extra=xrd_rules(cel("self.zones <= 6", "at most 6 zones"))
        )
        zones: int = 3

    class Parameters(Model):
        network: Network = Field(default_factory=Network, json_schema_extra=IMMUTABLE)
        maybe: Network | None = Field(default=None, json_schema_extra=IMMUTABLE)

    properties = structural(Parameters)["properties"]
    for name in ("network", "maybe"):
        assert [r["rule"] for r in properties[name]["x-kubernetes-validations"]] == [
            "self.zones <= 6",
            "self == oldSelf",
        ]


def test_the_region_is_an_enum_and_immutable_in_every_xrd() -> None:
    region = xrd(BLUEPRINT, namespaced=True)["spec"]["versions"][0]["schema"]["openAPIV3Schema"][
        "properties"
    ]["spec"]["properties"]["parameters"]["properties"]["region"]
    assert "eu-west-1" in region["enum"]
    assert [r["rule"] for r in region["x-kubernetes-validations"]] == ["self == oldSelf"]


def test_status_is_dumped_by_alias_and_read_back_through_the_model() -> None:
    status = dump(ToyStatus(toy=ToyInfo(cluster_arn="arn:aws:eks:eu-west-1:1:cluster/x")))
    assert status == {"toy": {"clusterArn": "arn:aws:eks:eu-west-1:1:cluster/x"}}
    other_xr_status = {**status, "progress": {"ready": 1, "total": 1, "waitingFor": []}}
    read = read_status(ToyStatus, other_xr_status)
    assert read is not None and read.toy is not None
    assert read.toy.cluster_arn == "arn:aws:eks:eu-west-1:1:cluster/x"
    assert read_status(ToyStatus, {"toy": ["not", "an", "object"]}) is None
    # Written by a newer Paved, with fields this one does not know: still read.
    newer = {"toy": {"clusterArn": "arn:x", "addedLater": {"a": 1}}, "alsoNew": 1}
    read = read_status(ToyStatus, newer)
    assert read is not None and read.toy is not None and read.toy.cluster_arn == "arn:x"
    assert read_status(ToyStatus, None) is None


def test_progress_leaves_out_what_is_not_known() -> None:
    assert dump(Progress(ready=1, total=2)) == {"ready": 1, "total": 2, "waitingFor": []}
