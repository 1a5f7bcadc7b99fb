"""XDatabase: given a Database claim and observed state, these resources."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from support.compose import (
    RUNNER,
    assert_bad_parameters,
    composed,
    documents,
    fatal_messages,
    load_xr,
    namespaced,
    replay,
    run,
    settled,
    status,
    waiting_for,
    with_parameters,
)
from support.crds import crds_available, validate
from support.database import (
    CLUSTER_STATUS,
    EXAMPLES,
    MYSQL,
    NODE_SG,
    ON_CLUSTER,
    ON_CLUSTER_CLAIM,
    POSTGRES,
    REQUIRED,
    REQUIRED_CLAIM,
    cluster,
    engine,
    for_provider,
)
from support.golden import assert_golden

from functions import simulate

# -- whole compositions -------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES)
def test_fully_composed_database(example: str) -> None:
    xr, required = EXAMPLES[example]
    final = replay(xr, required=required)[-1].response

    assert not fatal_messages(final)
    total = len(final.desired.resources)
    assert status(final)["progress"] == {"ready": total, "total": total, "waitingFor": []}
    assert final.desired.composite.ready == fnv1.READY_UNSPECIFIED
    conditions = {c.type: (c.status, c.reason) for c in final.conditions}
    assert conditions == {
        "EncryptionReady": (fnv1.STATUS_CONDITION_TRUE, "Available"),
        "NetworkReady": (fnv1.STATUS_CONDITION_TRUE, "Available"),
        "DatabaseReady": (fnv1.STATUS_CONDITION_TRUE, "Available"),
    }
    assert_golden(f"database/{example}.yaml", documents(final))


def test_first_reconcile_composes_what_needs_nothing_and_waits_for_the_rest() -> None:
    rsp = run(POSTGRES)

    assert sorted(rsp.desired.resources) == [
        "kms-key",
        "parameter-group-postgres16",
        "security-group",
        "subnet-group",
    ]
    assert rsp.desired.composite.ready == fnv1.READY_FALSE
    waiting = waiting_for(rsp)
    assert (
        waiting["instance"]
        == "waiting for subnet-group, security-group, parameter-group-postgres16, kms-key"
    )
    assert waiting["ingress-10-20-0-0-19"] == "waiting for security-group"
    assert not rsp.desired.composite.connection_details


@pytest.mark.skipif(not crds_available(), reason="needs the provider CRDs in ../shared/crds")
@pytest.mark.parametrize(
    "example",
    ["claim-postgres", "namespaced-postgres", "namespaced-on-cluster", "claim-on-cluster"],
)
@pytest.mark.parametrize("engine_name", ["postgres", "mysql", "mariadb"])
def test_every_resource_at_every_stage_matches_the_provider_crds(
    example: str, engine_name: str
) -> None:
    xr, required = EXAMPLES[example]
    xr = with_parameters(
        engine(xr, engine_name), performanceInsights=True, backupWindow="01:00-02:00"
    )
    rounds = replay(xr, required=required)

    assert len(rounds) >= 3
    for stage, round_ in enumerate(rounds):
        assert not round_.fatal
        for key, resource in round_.desired.items():
            if resource["kind"] == "Secret":
                continue  # a core Secret, no CRD: its shape is tested below
            assert validate(resource) == [], f"stage {stage}, {key}"


@pytest.mark.skipif(not crds_available(), reason="needs the provider CRDs in ../shared/crds")
@pytest.mark.parametrize("mode", ["claim", "namespaced"])
def test_options_match_the_provider_crds(mode: str) -> None:
    arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    xr = POSTGRES if mode == "claim" else namespaced(POSTGRES)
    xr = with_parameters(
        xr,
        kmsKeyArn=arn,
        performanceInsights=True,
        finalSnapshot=False,
        backupRetentionDays=0,
        allowNoBackups=True,
        deletionPolicy="Orphan",
        instanceClass="db.r6g.2xlarge",
        storageGiB=200,
        maxStorageGiB=1000,
        network={
            **POSTGRES["spec"]["parameters"]["network"],
            "allowedCidrs": ["10.0.0.0/8", "100.64.0.0/10"],
        },
    )
    for key, resource in composed(xr).items():
        if resource["kind"] != "Secret":
            assert validate(resource) == [], key


# -- connection details and status --------------------------------------------------------------


def test_claim_connection_details_come_from_the_instance() -> None:
    final = replay(POSTGRES)[-1]
    details = final.request.observed.resources["instance"].connection_details
    host = details["address"].decode()
    password = details["password"].decode()

    assert dict(final.response.desired.composite.connection_details) == {
        "host": host.encode(),
        "port": b"5432",
        "username": b"paved_admin",
        "password": password.encode(),
        "database": b"orders",
        "uri": f"postgresql://paved_admin:{password}@{host}:5432/orders?sslmode=require".encode(),
    }
    assert status(final.response)["database"] == {
        "placement": "aws",
        "identifier": "orders-db-f07cf",
        "endpoint": host,
        "port": 5432,
        "engine": "postgres",
        "version": "16.1",
        "arn": "arn:aws:rds:eu-west-1:123456789012:db:orders-db-f07cf",
    }


def test_namespaced_connection_details_go_to_a_secret_next_to_the_xr() -> None:
    final = replay(namespaced(MYSQL, "team-b"))[-1]
    details = final.request.observed.resources["instance"].connection_details
    secret = final.desired["connection-secret"]

    assert secret["metadata"] == {"name": "catalog-db-b82ae-connection", "namespace": "team-b"}
    data = simulate.decode_secret_data(secret)
    host, password = details["address"].decode(), details["password"].decode()
    assert data == {
        "host": host,
        "port": "3306",
        "username": "paved_admin",
        "password": password,
        "database": "catalog",
        "uri": f"mysql://paved_admin:{password}@{host}:3306/catalog?ssl-mode=REQUIRED",
    }
    assert not final.response.desired.composite.connection_details


def test_the_uri_escapes_the_password() -> None:
    observed = settled(POSTGRES)
    observed["instance"].connection_details["password"] = b"p@ss/w:rd?"
    rsp = run(POSTGRES, observed)
    uri = rsp.desired.composite.connection_details["uri"].decode()
    assert uri.startswith("postgresql://paved_admin:p%40ss%2Fw%3Ard%3F@")


def test_the_password_is_generated_by_the_provider_into_a_secret() -> None:
    claim = for_provider(composed(POSTGRES), "instance")
    assert claim["autoGeneratePassword"] is True
    assert claim["passwordSecretRef"] == {
        "name": "orders-db-f07cf-master-password",
        "namespace": "crossplane-system",
        "key": "password",
    }
    ns = composed(namespaced(POSTGRES))["instance"]["spec"]
    assert ns["forProvider"]["passwordSecretRef"] == {
        "name": "orders-db-f07cf-master-password",
        "key": "password",
    }
    assert ns["writeConnectionSecretToRef"] == {"name": "orders-db-f07cf-instance-connection"}


# -- placement on a cluster ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xr", "kind"),
    [(ON_CLUSTER, "XCluster"), (ON_CLUSTER_CLAIM, "Cluster")],
    ids=["namespaced", "claim"],
)
def test_cluster_ref_first_asks_for_the_cluster_and_composes_nothing(
    xr: dict[str, Any], kind: str
) -> None:
    rsp = run(xr)

    selector = rsp.requirements.resources["cluster"]
    assert (selector.api_version, selector.kind, selector.match_name, selector.namespace) == (
        "platform.paved.dev/v1alpha1",
        kind,
        "platform",
        "team-a",
    )
    assert set(rsp.desired.resources) <= {"connection-secret"}
    assert rsp.desired.composite.ready == fnv1.READY_FALSE
    assert not fatal_messages(rsp)
    (result,) = rsp.results
    assert result.severity == fnv1.SEVERITY_NORMAL
    assert result.message == f"waiting for Crossplane to read {kind} platform in namespace team-a"
    waiting = status(rsp)["progress"]["waitingFor"]
    assert waiting[0] == {"resource": "", "reason": result.message}


def test_cluster_ref_composes_into_the_clusters_vpc_reachable_from_its_nodes_only() -> None:
    resources = composed(ON_CLUSTER, REQUIRED)

    assert (
        for_provider(resources, "subnet-group")["subnetIds"] == CLUSTER_STATUS["privateSubnetIds"]
    )
    assert for_provider(resources, "security-group")["vpcId"] == CLUSTER_STATUS["vpcId"]
    rules = {key: r for key, r in resources.items() if r["kind"] == "SecurityGroupIngressRule"}
    assert list(rules) == ["ingress-cluster-nodes"]
    rule = for_provider(rules, "ingress-cluster-nodes")
    assert rule["referencedSecurityGroupId"] == NODE_SG
    assert "cidrIpv4" not in rule
    assert "cidrIpv6" not in rule
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 5432, 5432)


def test_cluster_ref_in_claim_mode_reads_the_cluster_claim() -> None:
    resources = composed(ON_CLUSTER_CLAIM, REQUIRED_CLAIM)
    assert for_provider(resources, "security-group")["vpcId"] == CLUSTER_STATUS["vpcId"]
    assert for_provider(resources, "ingress-cluster-nodes")["referencedSecurityGroupId"] == NODE_SG


def test_placed_on_a_real_paved_cluster() -> None:
    """The contract with XCluster: the status it publishes is all the database needs."""
    xcluster = load_xr("cluster/xr.yaml")
    xcluster["status"] = status(replay(xcluster)[-1].response)
    database = with_parameters(
        {
            **ON_CLUSTER,
            "metadata": {**ON_CLUSTER["metadata"], "namespace": xcluster["metadata"]["namespace"]},
        },
        region=xcluster["spec"]["parameters"]["region"],
        network={"clusterRef": {"name": xcluster["metadata"]["name"]}},
    )
    resources = composed(database, {"cluster": [xcluster]})

    published = xcluster["status"]["cluster"]
    assert for_provider(resources, "subnet-group")["subnetIds"] == published["privateSubnetIds"]
    assert for_provider(resources, "security-group")["vpcId"] == published["vpcId"]
    rule = for_provider(resources, "ingress-cluster-nodes")
    assert rule["referencedSecurityGroupId"] == published["nodeSecurityGroupId"]


def test_a_cluster_in_another_region_is_refused() -> None:
    rsp = run(with_parameters(ON_CLUSTER, region="us-east-1"), required=REQUIRED)
    assert fatal_messages(rsp) == [
        "spec.parameters.region: XCluster platform in namespace team-a is in eu-west-1; "
        "the database must be in the same region"
    ]


def test_a_cluster_still_being_created_is_waited_for() -> None:
    creating = cluster(vpcId=None, nodeSecurityGroupId="")
    rsp = run(ON_CLUSTER, required={"cluster": [creating]})

    assert set(rsp.desired.resources) == {"connection-secret"}
    assert not fatal_messages(rsp)
    (result,) = rsp.results
    assert result.message == (
        "waiting for XCluster platform in namespace team-a "
        "to report vpcId, nodeSecurityGroupId in status.cluster"
    )
    (condition,) = rsp.conditions
    assert (condition.type, condition.reason) == ("DatabaseReady", "WaitingForCluster")


def test_a_missing_cluster_is_a_fatal_result_naming_the_field() -> None:
    req = simulate.request(ON_CLUSTER, required={"cluster": []})
    rsp = RUNNER.run(req)

    (fatal,) = fatal_messages(rsp)
    assert (
        fatal
        == "spec.parameters.network.clusterRef.name: no XCluster named platform in namespace team-a"
    )
    assert rsp.desired == req.desired


def test_while_the_cluster_is_unknown_everything_observed_is_kept_as_it_is() -> None:
    observed = settled(ON_CLUSTER, REQUIRED)
    rsp = run(ON_CLUSTER, observed)  # the first call of a reconcile: the cluster is not read yet

    desired = simulate.desired_resources(rsp)
    assert set(desired) == set(observed)
    for key, resource in desired.items():
        assert resource.get("spec") == observed[key].resource.get("spec"), key
        assert resource["metadata"]["name"] == observed[key].resource["metadata"]["name"]
    assert not fatal_messages(rsp)
    assert [r.severity for r in rsp.results] == [fnv1.SEVERITY_NORMAL]
    assert [c.reason for c in rsp.conditions] == ["WaitingForCluster"]
    assert simulate.decode_secret_data(desired["connection-secret"])["database"] == "payments"


# -- safe by default ----------------------------------------------------------------------------


@pytest.mark.parametrize("engine_name", ["postgres", "mysql", "mariadb"])
class TestSafeByDefault:
    def test_deletion_protection_and_a_final_snapshot(self, engine_name: str) -> None:
        instance = for_provider(composed(engine(POSTGRES, engine_name)), "instance")
        assert instance["deletionProtection"] is True
        assert instance["skipFinalSnapshot"] is False
        assert instance["finalSnapshotIdentifier"] == "orders-db-f07cf-final"
        assert instance["deleteAutomatedBackups"] is False
        assert instance["copyTagsToSnapshot"] is True

    def test_backups_for_seven_days(self, engine_name: str) -> None:
        assert (
            for_provider(composed(engine(POSTGRES, engine_name)), "instance")[
                "backupRetentionPeriod"
            ]
            == 7
        )

    def test_encrypted_with_a_composed_rotating_key(self, engine_name: str) -> None:
        resources = composed(engine(POSTGRES, engine_name))
        instance = for_provider(resources, "instance")
        assert instance["storageEncrypted"] is True
        assert instance["kmsKeyIdRef"] == {"name": "orders-db-f07cf-kms-key"}
        assert for_provider(resources, "kms-key")["enableKeyRotation"] is True
        assert for_provider(resources, "kms-key")["deletionWindowInDays"] == 30

    def test_never_publicly_accessible(self, engine_name: str) -> None:
        for xr in (POSTGRES, namespaced(POSTGRES)):
            assert (
                for_provider(composed(engine(xr, engine_name)), "instance")["publiclyAccessible"]
                is False
            )

    def test_reachable_on_the_engine_port_from_the_allowed_cidrs_only(
        self, engine_name: str
    ) -> None:
        resources = composed(engine(POSTGRES, engine_name))
        port = {"postgres": 5432, "mysql": 3306, "mariadb": 3306}[engine_name]
        rules = [
            r["spec"]["forProvider"]
            for r in resources.values()
            if r["kind"] == "SecurityGroupIngressRule"
        ]
        assert sorted(r["cidrIpv4"] for r in rules) == ["10.20.0.0/19", "10.20.32.0/19"]
        for rule in rules:
            assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", port, port)
        assert not [r for r in resources.values() if r["kind"] == "SecurityGroupEgressRule"]
        assert for_provider(resources, "instance")["port"] == port

    def test_tls_is_forced_by_the_parameter_group(self, engine_name: str) -> None:
        key, family, parameter = {
            "postgres": ("parameter-group-postgres16", "postgres16", "rds.force_ssl"),
            "mysql": ("parameter-group-mysql8-0", "mysql8.0", "require_secure_transport"),
            "mariadb": ("parameter-group-mariadb10-11", "mariadb10.11", "require_secure_transport"),
        }[engine_name]
        resources = composed(engine(POSTGRES, engine_name))
        group = for_provider(resources, key)
        expected = (family, parameter)
        assert for_provider(resources, "instance")["parameterGroupName"] == f"orders-db-f07cf-{key}"
        assert (group["family"], group["parameter"][0]["name"], group["parameter"][0]["value"]) == (
            *expected,
            "1",
        )

    def test_private_subnets_and_gp3_storage_that_grows(self, engine_name: str) -> None:
        resources = composed(engine(POSTGRES, engine_name))
        instance = for_provider(resources, "instance")
        assert instance["storageType"] == "gp3"
        assert (instance["allocatedStorage"], instance["maxAllocatedStorage"]) == (100, 400)
        assert instance["dbSubnetGroupNameRef"] == {"name": "orders-db-f07cf-subnet-group"}
        assert instance["vpcSecurityGroupIdRefs"] == [{"name": "orders-db-f07cf-security-group"}]


def test_every_resource_is_tagged_with_the_owner() -> None:
    for resource in composed(POSTGRES).values():
        if "forProvider" not in resource["spec"]:
            continue  # the Usage holding the key
        tags = resource["spec"]["forProvider"]["tags"]
        assert tags["paved.dev/claim"] == "team-a/orders-db"
        assert tags["team"] == "team-a"


# -- options ------------------------------------------------------------------------------------


class TestOptions:
    def test_a_given_key_is_used_for_storage_and_performance_insights(self) -> None:
        arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        resources = composed(with_parameters(POSTGRES, kmsKeyArn=arn, performanceInsights=True))
        assert "kms-key" not in resources
        instance = for_provider(resources, "instance")
        assert (instance["kmsKeyId"], instance["performanceInsightsKmsKeyId"]) == (arn, arn)
        assert instance["performanceInsightsRetentionPeriod"] == 7

    def test_performance_insights_are_encrypted_with_the_composed_keys_arn(self) -> None:
        """Not through performanceInsightsKmsKeyIdRef: that reference yields the key's id, and
        RDS wants an ARN (provider facts: the extractor mismatch)."""
        xr = with_parameters(ON_CLUSTER, performanceInsights=True)
        observed = settled(xr, REQUIRED)
        key_arn = observed["kms-key"].resource["status"]["atProvider"]["arn"]
        instance = observed["instance"].resource["spec"]["forProvider"]
        assert "performanceInsightsKmsKeyIdRef" not in instance
        assert instance["performanceInsightsKmsKeyId"] == key_arn
        # Without the key's status, the instance's own record of the key is kept.
        del observed["kms-key"].resource["status"]
        again = simulate.desired_resources(run(xr, observed, required=REQUIRED))
        assert again["instance"]["spec"]["forProvider"]["performanceInsightsKmsKeyId"] == key_arn

    def test_no_final_snapshot_and_no_backups_when_explicitly_asked(self) -> None:
        xr = with_parameters(
            POSTGRES, finalSnapshot=False, backupRetentionDays=0, allowNoBackups=True
        )
        instance = for_provider(composed(xr), "instance")
        assert instance["skipFinalSnapshot"] is True
        assert "finalSnapshotIdentifier" not in instance
        assert instance["backupRetentionPeriod"] == 0

    def test_sizes_and_overrides(self) -> None:
        assert for_provider(composed(with_parameters(POSTGRES, size="small")), "instance")[
            "instanceClass"
        ] == ("db.t4g.medium")
        instance = for_provider(composed(POSTGRES), "instance")
        assert (instance["instanceClass"], instance["multiAz"]) == ("db.m7g.large", True)
        large = for_provider(
            composed(with_parameters(POSTGRES, size="large", instanceClass="db.r6i.large")),
            "instance",
        )
        assert (large["instanceClass"], large["allocatedStorage"]) == ("db.r6i.large", 500)

    def test_windows(self) -> None:
        instance = for_provider(composed(MYSQL), "instance")
        assert (instance["backupWindow"], instance["maintenanceWindow"]) == (
            "02:00-03:00",
            "sun:04:00-sun:05:00",
        )
        assert instance["backupRetentionPeriod"] == 14


# -- determinism --------------------------------------------------------------------------------


@pytest.mark.parametrize("example", ["claim-postgres", "namespaced-on-cluster"])
def test_the_same_request_gives_the_same_response(example: str) -> None:
    xr, required = EXAMPLES[example]
    req = replay(xr, required=required)[-1].request
    first, second = RUNNER.run(req), RUNNER.run(copy.deepcopy(req))
    assert first.SerializeToString(deterministic=True) == second.SerializeToString(
        deterministic=True
    )


# -- bad input ----------------------------------------------------------------------------------

EXPLICIT = POSTGRES["spec"]["parameters"]["network"]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            {"engine": "oracle"},
            "spec.parameters.engine: input should be 'postgres', 'mysql' or 'mariadb'",
        ),
        (
            {"version": "9.6"},
            "spec.parameters.version: postgres 9.6 is not supported; use one of 13, 14, 15, 16, 17",
        ),
        (
            {"engine": "mysql", "version": "16"},
            "spec.parameters.version: mysql 16 is not supported",
        ),
        ({"size": "huge"}, "spec.parameters.size: input should be 'small', 'medium' or 'large'"),
        (
            {"storageGiB": 10},
            "spec.parameters.storageGiB: input should be greater than or equal to 20",
        ),
        (
            {"maxStorageGiB": 50},
            "spec.parameters.maxStorageGiB: must be at least the storage (100 GiB)",
        ),
        (
            {"instanceClass": "m5.large"},
            "spec.parameters.instanceClass: string should match pattern",
        ),
        (
            {"backupRetentionDays": 0},
            "spec.parameters.backupRetentionDays: 0 turns off automated backups",
        ),
        (
            {"backupRetentionDays": 36},
            "spec.parameters.backupRetentionDays: input should be less than or equal to 35",
        ),
        ({"databaseName": "1st"}, "spec.parameters.databaseName: string should match pattern"),
        ({"kmsKeyArn": "alias/mine"}, "spec.parameters.kmsKeyArn: string should match pattern"),
        (
            {"maintenanceWindow": "sunday"},
            "spec.parameters.maintenanceWindow: string should match pattern",
        ),
        (
            {"network": {**EXPLICIT, "allowedCidrs": ["0.0.0.0/0"]}},
            "spec.parameters.network.allowedCidrs[0]: value error, "
            "0.0.0.0/0 would open the database to the whole internet",
        ),
        (
            {"network": {**EXPLICIT, "allowedCidrs": ["10.0.0.0/8", "::/0"]}},
            "spec.parameters.network.allowedCidrs[1]: value error, "
            "::/0 is IPv6; the database is reachable over IPv4 only",
        ),
        (
            {"network": {**EXPLICIT, "allowedCidrs": ["10.0.0.1/8"]}},
            "spec.parameters.network.allowedCidrs[0]: "
            "value error, '10.0.0.1/8' is not a CIDR block",
        ),
        (
            {"network": {**EXPLICIT, "allowedCidrs": ["10.0.0.0/8", "10.0.0.0/8"]}},
            "spec.parameters.network: value error, allowedCidrs lists the same CIDR block twice",
        ),
        (
            {"network": {**EXPLICIT, "allowedCidrs": []}},
            "spec.parameters.network: value error, allowedCidrs needs at least one CIDR block",
        ),
        (
            {"network": {**EXPLICIT, "subnetIds": ["subnet-0a1b2c3d4e5f60001"]}},
            "spec.parameters.network: value error, subnetIds needs at least two private subnets",
        ),
        (
            {"network": {**EXPLICIT, "vpcId": "default"}},
            "spec.parameters.network.vpcId: string should match pattern",
        ),
        (
            {"network": {**EXPLICIT, "clusterRef": {"name": "platform"}}},
            "spec.parameters.network: value error, "
            "set either clusterRef or vpcId/subnetIds/allowedCidrs, not both",
        ),
        (
            {"network": {}},
            "spec.parameters.network: value error, "
            "set clusterRef, or vpcId with subnetIds and allowedCidrs",
        ),
        ({"network": None}, "spec.parameters.network: field required"),
        ({"highAvailabilty": True}, "spec.parameters.highAvailabilty: unknown field"),
    ],
)
def test_bad_input_is_a_fatal_result_naming_the_field(
    parameters: dict[str, Any], message: str
) -> None:
    assert_bad_parameters(POSTGRES, parameters, message)


# -- the encryption key outlives everything it encrypts -----------------------------------------


@pytest.mark.parametrize("mode", ["claim", "namespaced"])
def test_the_key_is_held_back_while_the_instance_exists(mode: str) -> None:
    xr = POSTGRES if mode == "claim" else namespaced(POSTGRES)
    resources = composed(xr)
    usage = resources["usage-kms-key-by-instance"]
    assert (usage["apiVersion"], usage["kind"]) == (
        "protection.crossplane.io/v1beta1",
        "ClusterUsage" if mode == "claim" else "Usage",
    )
    group = "rds.aws.upbound.io/v1beta3" if mode == "claim" else "rds.aws.m.upbound.io/v1beta1"
    assert usage["spec"] == {
        "of": {
            "apiVersion": resources["kms-key"]["apiVersion"],
            "kind": "Key",
            "resourceRef": {"name": "orders-db-f07cf-kms-key"},
        },
        "by": {
            "apiVersion": group,
            "kind": "Instance",
            "resourceRef": {"name": "orders-db-f07cf-instance"},
        },
        "replayDeletion": True,
    }


def test_the_key_usage_waits_for_both_sides() -> None:
    first = run(POSTGRES)
    waiting = waiting_for(first)
    assert waiting["usage-kms-key-by-instance"] == "waiting for kms-key, instance"


@pytest.mark.parametrize("mode", ["claim", "namespaced"])
@pytest.mark.parametrize(
    "keeps",
    [
        {},
        {"finalSnapshot": False, "deletionProtection": False},  # automated backups stay
        {"backupRetentionDays": 0, "allowNoBackups": True, "deletionProtection": False},
        {"backupRetentionDays": 0, "allowNoBackups": True, "finalSnapshot": False},
    ],
    ids=["defaults", "backups", "final-snapshot", "deletion-protection"],
)
def test_the_key_is_orphaned_when_data_encrypted_with_it_outlives_the_instance(
    mode: str, keeps: dict[str, Any]
) -> None:
    xr = with_parameters(POSTGRES if mode == "claim" else namespaced(POSTGRES), **keeps)
    spec = composed(xr)["kms-key"]["spec"]
    if mode == "claim":
        assert spec["deletionPolicy"] == "Orphan"
    else:
        assert spec["managementPolicies"] == ["Observe", "Create", "Update", "LateInitialize"]


@pytest.mark.parametrize("mode", ["claim", "namespaced"])
def test_the_key_of_a_disposable_database_goes_with_it(mode: str) -> None:
    disposable = {
        "backupRetentionDays": 0,
        "allowNoBackups": True,
        "finalSnapshot": False,
        "deletionProtection": False,
    }
    xr = with_parameters(POSTGRES if mode == "claim" else namespaced(POSTGRES), **disposable)
    spec = composed(xr)["kms-key"]["spec"]
    assert spec.get("deletionPolicy", "Delete") == "Delete"
    assert "managementPolicies" not in spec
    assert "usage-kms-key-by-instance" in composed(xr)


def test_a_given_key_is_neither_composed_nor_held() -> None:
    arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    resources = composed(with_parameters(POSTGRES, kmsKeyArn=arn))
    assert "kms-key" not in resources
    assert "usage-kms-key-by-instance" not in resources


@pytest.mark.parametrize("example", EXAMPLES)
def test_no_iam_principal_is_composed(example: str) -> None:
    """Developer tags on an IAM principal act as principal tags for ABAC: the database composes
    no IAM role or user at all (enhanced monitoring, which needs one, is not offered)."""
    xr, required = EXAMPLES[example]
    kinds = {r["kind"] for r in composed(xr, required).values()}
    assert not kinds & {"Role", "User", "InstanceProfile"}
