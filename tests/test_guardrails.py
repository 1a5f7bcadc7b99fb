"""The generic guardrails every blueprint gets from CommonParameters, tried as a developer would.

One table, three judges: the generated XRD (what `kubectl apply` refuses: OpenAPI schema, strict
field validation, CEL rules including `self == oldSelf`), the function in both modes (what
`paved render` and XRs that bypass the API server get), and, for a sample, the function over
real gRPC. Each row says which of them refuse it; where a rule lives in both, they must agree.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any

import celpy
import jsonschema
import pytest
from server.serving import serving
from support.compose import RUNNER, fatal_messages, load_xr, namespaced, with_parameters

from functions import simulate
from functions.blueprints import BLUEPRINTS
from functions.generate import xrd
from functions.kit.params import MAX_DEVELOPER_TAGS
from functions.resources.regions import REGIONS, arn_elsewhere, partition, zone_letters

BUCKET = load_xr("bucket/xr.yaml")
BUCKET["spec"]["parameters"] = {"region": "eu-west-1"}
BLUEPRINT = BLUEPRINTS["XBucket"]


@dataclass(frozen=True)
class Row:
    name: str
    parameters: dict[str, Any]
    xrd: bool  # the XRD refuses it
    function: bool  # the function refuses it (FATAL naming `field`)
    field: str = ""
    message: str = ""
    # A change to a running XR: the parameters it was composed with (None: a new XR).
    before: dict[str, Any] | None = None
    # Where the function's answer differs between modes: {"claim": False}.
    modes: dict[str, bool] = dataclasses.field(default_factory=dict)


def _tags(count: int) -> dict[str, str]:
    return {f"team-{i}": "x" for i in range(count)}


R = "spec.parameters.region"
PC = "spec.parameters.providerConfigName"
TAGS = "spec.parameters.tags"

ROWS = [
    Row("a known region", {"region": "eu-west-1"}, xrd=False, function=False),
    Row("GovCloud", {"region": "us-gov-west-1"}, xrd=False, function=False),
    Row(
        "an unknown region",
        {"region": "eu-wset-1"},
        xrd=True,
        function=True,
        field=R,
        message="'eu-wset-1' is not an AWS region; did you mean eu-west-1?",
    ),
    Row("an upper-case region", {"region": "EU-WEST-1"}, xrd=True, function=True, field=R),
    Row("a provider config", {"providerConfigName": "team-a.prod"}, xrd=False, function=False),
    Row("provider config with _", {"providerConfigName": "team_a"}, True, True, PC),
    Row("provider config with capitals", {"providerConfigName": "TeamA"}, True, True, PC),
    Row("provider config starting with -", {"providerConfigName": "-a"}, True, True, PC),
    Row("provider config of 254", {"providerConfigName": "a" * 254}, True, True, PC),
    Row(f"{MAX_DEVELOPER_TAGS} tags", {"tags": _tags(MAX_DEVELOPER_TAGS)}, False, False),
    Row(
        f"{MAX_DEVELOPER_TAGS + 1} tags",
        {"tags": _tags(MAX_DEVELOPER_TAGS + 1)},
        xrd=True,
        function=True,
        field=TAGS,
        message=f"45 tags, 1 too many: AWS allows 50 per resource and Paved adds up to 6 of its "
        f"own, which leaves {MAX_DEVELOPER_TAGS} for yours",
    ),
    Row("an empty tag key", {"tags": {"": "x"}}, True, True, TAGS),
    Row("a tag key of 129", {"tags": {"k" * 129: "x"}}, True, True, TAGS),
    Row("a tag value of 257", {"tags": {"k": "v" * 257}}, True, True, f"{TAGS}.k"),
    Row("the aws: prefix", {"tags": {"aws:team": "a"}}, True, True, TAGS, "reserved by AWS"),
    Row("Paved's prefix", {"tags": {"paved.dev/composite": "a"}}, True, True, TAGS),
    # Function only: CEL cannot afford a case-insensitive prefix or a per-character check on
    # map keys of unbounded length within the API server's cost budget.
    Row("the AWS: prefix", {"tags": {"AWS:team": "a"}}, False, True, TAGS, "reserved by AWS"),
    Row(
        "characters AWS refuses",
        {"tags": {"team#1": "a<b>"}},
        xrd=False,
        function=True,
        field=TAGS,
        message="tag key 'team#1' has characters AWS refuses: '#'; the value of tag 'team#1' "
        "has characters AWS refuses: '<' '>'",
    ),
    Row("letters of any script", {"tags": {"équipe": "données 1+1=2 @x"}}, False, False),
    Row(
        "keys differing only in case",
        {"tags": {"Team": "a", "team": "b"}},
        xrd=False,
        function=True,
        field=TAGS,
        message="tag keys 'Team' and 'team' differ only in case, which IAM treats as the same key",
    ),
    Row(
        "a number where a string belongs",
        {"tags": {"cost-centre": 1.5}},
        xrd=True,
        function=True,
        field=f"{TAGS}.cost-centre",
        message='1.5 is a number; write it as a string: "1.5"',
    ),
    Row(
        "a misspelled field",
        {"versionning": True},
        xrd=True,  # kubectl's default strict field validation
        function=True,
        field="spec.parameters.versionning",
        message="unknown field; did you mean versioning?",
    ),
    Row(
        "moving to another region",
        {"region": "eu-central-1"},
        before={"region": "eu-west-1"},
        xrd=True,
        function=True,
        field=R,
        message="cannot change from 'eu-west-1' to 'eu-central-1' once resources are composed",
    ),
    Row(
        "another provider config",
        {"region": "eu-west-1", "providerConfigName": "other"},
        before={"region": "eu-west-1"},
        xrd=True,
        function=True,
        field=PC,
    ),
    Row(
        "another provider config kind",
        {"region": "eu-west-1", "providerConfigKind": "ProviderConfig"},
        before={"region": "eu-west-1"},
        xrd=True,
        function=True,
        field="spec.parameters.providerConfigKind",
        # Claim-mode references name no kind: nothing would move, the function lets it be.
        modes={"claim": False},
    ),
    Row(
        "an unchanged identity",
        {"region": "eu-west-1", "tags": {"team": "b"}},
        before={"region": "eu-west-1", "tags": {"team": "a"}},
        xrd=False,
        function=False,
    ),
]


def _parameters(row: Row, which: dict[str, Any] | None) -> dict[str, Any]:
    base = {"region": "eu-west-1"}
    return {**base, **copy.deepcopy(which if which is not None else row.parameters)}


def _xr(row: Row, mode: str, parameters: dict[str, Any]) -> dict[str, Any]:
    xr = {**BUCKET, "metadata": {"name": "team-assets"}, "spec": {"parameters": parameters}}
    return namespaced(xr) if mode == "namespaced" else xr


# -- the XRD as the API server applies it -------------------------------------------------------


def _parameters_schema(namespaced_mode: bool) -> dict[str, Any]:
    document = xrd(BLUEPRINT, namespaced=namespaced_mode)
    schema = document["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema["properties"]["spec"]["properties"]["parameters"]


_CEL = celpy.Environment()


def _defaulted(value: Any, schema: dict[str, Any]) -> Any:
    if isinstance(value, dict) and "properties" in schema:
        value = dict(value)
        for name, child in schema["properties"].items():
            if name not in value and "default" in child:
                value[name] = copy.deepcopy(child["default"])
            if name in value:
                value[name] = _defaulted(value[name], child)
    return value


def xrd_errors(schema: dict[str, Any], value: Any, old: Any = None) -> list[str]:
    """What the API server says about `value` (updating `old`): schema, unknown fields, CEL."""
    value = _defaulted(value, schema)
    old = _defaulted(old, schema) if old is not None else None
    errors = [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(value)
    ]
    if errors:  # like the API server: CEL runs only on well-typed objects
        return errors
    return list(_unknown_and_rules(schema, value, old, "spec.parameters"))


def _unknown_and_rules(schema: dict[str, Any], value: Any, old: Any, path: str) -> Any:
    for rule in schema.get("x-kubernetes-validations", []):
        transition = "oldSelf" in rule["rule"]
        if transition and old is None:
            continue
        activation = {"self": celpy.json_to_cel(value)}
        if transition:
            activation["oldSelf"] = celpy.json_to_cel(old)
        if not _CEL.program(_CEL.compile(rule["rule"])).evaluate(activation):
            yield f"{path}: {rule['message']}"
    if isinstance(value, dict) and "properties" in schema:
        for name, item in value.items():
            child = schema["properties"].get(name)
            if child is None:
                yield f"{path}.{name}: unknown field"  # kubectl's strict field validation
            else:
                before = old.get(name) if isinstance(old, dict) else None
                yield from _unknown_and_rules(child, item, before, f"{path}.{name}")


# -- the function ---------------------------------------------------------------------------------


def _request(row: Row, mode: str) -> Any:
    """The row's XR; for a change, with everything composed from `before` observed."""
    xr = _xr(row, mode, _parameters(row, None))
    observed = None
    if row.before is not None:
        before = _xr(row, mode, _parameters(row, row.before))
        observed = simulate.observed_resources(simulate.replay(RUNNER.run, before)[-1].request)
    return simulate.request(xr, observed)


def function_fatal(row: Row, mode: str) -> list[str]:
    return fatal_messages(RUNNER.run(_request(row, mode)))


@pytest.mark.parametrize("mode", ["claim", "namespaced"])
@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_the_xrd_and_the_function_refuse_what_the_table_says(row: Row, mode: str) -> None:
    schema = _parameters_schema(namespaced_mode=mode == "namespaced")
    old = _parameters(row, row.before) if row.before is not None else None
    refused_by_xrd = xrd_errors(schema, _parameters(row, None), old)
    assert bool(refused_by_xrd) == row.xrd, refused_by_xrd

    fatal = function_fatal(row, mode)
    expected = row.modes.get(mode, row.function)
    assert bool(fatal) == expected, fatal
    if expected:
        (message,) = fatal  # one FATAL, naming the field
        assert f"{row.field}: " in message
        assert row.message in message


def test_every_error_of_one_xr_is_reported_together() -> None:
    xr = with_parameters(
        BUCKET, region="mars-1", providerConfigName="Team_A", tags={"aws:x": "1"}, versionning=True
    )
    (fatal,) = fatal_messages(RUNNER.run(simulate.request(xr)))
    for path in (R, PC, TAGS, "spec.parameters.versionning"):
        assert f"{path}: " in fatal


def test_a_sample_over_real_grpc() -> None:
    names = {"an unknown region", "characters AWS refuses", "a misspelled field"}
    sample = [row for row in ROWS if row.name in names or row.before is not None]
    with serving("--insecure") as served:
        for row in sample:
            for mode in ("claim", "namespaced"):
                fatal = fatal_messages(served.run(_request(row, mode)))
                expected = row.modes.get(mode, row.function)
                assert bool(fatal) == expected, (row.name, mode, fatal)
                if expected:
                    assert f"{row.field}: " in fatal[0]
                    assert row.message in fatal[0]
        assert served.stop() == 0


# -- the region table -----------------------------------------------------------------------------


def test_the_region_table_knows_partitions_and_zone_letters() -> None:
    assert partition("eu-west-1") == "aws"
    assert partition("cn-north-1") == "aws-cn"
    assert partition("us-gov-west-1") == "aws-us-gov"
    assert zone_letters("us-east-1") == "abcdef"
    assert zone_letters("ap-northeast-1") == "acd"  # no `b` for accounts made since 2012
    assert zone_letters("ca-central-1") == "abd"
    for name, region in REGIONS.items():
        assert region.name == name
        assert len(region.zone_letters) >= 2
        assert region.zone_letters == "".join(sorted(set(region.zone_letters)))
        assert region.zones[0] == name + region.zone_letters[0]


def test_every_generated_xrd_offers_exactly_the_known_regions() -> None:
    for blueprint in BLUEPRINTS.values():
        for namespaced_mode in (False, True):
            document = xrd(blueprint, namespaced=namespaced_mode)
            parameters = document["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"][
                "spec"
            ]["properties"]["parameters"]
            assert parameters["properties"]["region"]["enum"] == sorted(REGIONS)


def test_every_cel_rule_of_the_common_parameters_is_refused_by_some_row() -> None:
    """No XRD rule without a row proving it agrees with the function."""
    schema = _parameters_schema(namespaced_mode=True)
    common = ("region", "providerConfigName", "providerConfigKind", "tags")
    rules = {
        f"spec.parameters.{name}: {rule['message']}"
        for name in common
        for rule in schema["properties"][name].get("x-kubernetes-validations", [])
    }
    fired = set()
    for row in ROWS:
        old = _parameters(row, row.before) if row.before is not None else None
        fired.update(xrd_errors(schema, _parameters(row, None), old))
    assert rules <= fired, rules - fired


def test_an_arn_must_be_in_the_partition_and_region_of_its_user() -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert arn_elsewhere(key, "eu-west-1") is None
    assert arn_elsewhere(key, "eu-central-1") == (
        "it is in region eu-west-1, the resource in eu-central-1"
    )
    assert arn_elsewhere(key.replace(":aws:", ":aws-cn:"), "eu-west-1") == (
        "it is in partition aws-cn, the resource in aws (eu-west-1)"
    )
    assert arn_elsewhere("arn:aws:iam::123456789012:role/x", "us-east-1") is None
    assert arn_elsewhere("alias/mine", "eu-west-1") == "'alias/mine' is not an ARN"
