"""XDatabase with placement cluster: given a Database claim and its Paved cluster (Crossplane's
required resource), PostgreSQL on CloudNativePG in that cluster, backed up to S3."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from support.compose import (
    EXAMPLES,
    RUNNER,
    documents,
    fatal_messages,
    load_xr,
    manifests,
    namespaced,
    status,
    with_parameters,
)
from support.crds import CRDCatalog, crds_available, validate
from support.database import POSTGRES
from support.golden import assert_golden
from support.transitions import reconcile_until_settled

from functions import simulate
from functions.blueprints.database import BLUEPRINT
from functions.cli import main

CLAIM = load_xr("database/claim-postgres-in-cluster.yaml")
REQUIRED_FILE = EXAMPLES / "database/required-cluster.yaml"
CNPG_CRDS = Path(__file__).resolve().parents[3] / "shared/charts/cloudnative-pg/crds"
MODES = ("claim", "namespaced")
READY = {"type": "Ready", "status": "True", "reason": "Available"}
USERNAME, PASSWORD = b"paved_admin", b"s3cr3t/with+odd&chars"


def xr_for(mode: str) -> dict[str, Any]:
    return CLAIM if mode == "claim" else namespaced(CLAIM)


def cluster_for(mode: str, **changes: Any) -> dict[str, Any]:
    """The cluster as Crossplane hands it: the Cluster claim (claim mode) or the XCluster in the
    database's namespace (namespaced mode), with the operator enabled and ready."""
    cluster = yaml.safe_load(REQUIRED_FILE.read_text())
    if mode == "namespaced":
        cluster["kind"] = "XCluster"
        cluster["spec"].pop("resourceRef")
        cluster["status"]["cluster"]["name"] = "team-a-platform-eks"
        cluster["status"]["cluster"]["providerConfigName"] = "platform"
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = cluster
        for parent in parents:
            target = target.setdefault(parent, {})
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return cluster


def required(mode: str, **changes: Any) -> dict[str, list[dict[str, Any]]]:
    return {"cluster": [cluster_for(mode, **changes)]}


def replay(xr: dict[str, Any], mode: str, **changes: Any) -> list[simulate.Round]:
    return simulate.replay(RUNNER.run, xr, required=required(mode, **changes))


@functools.cache
def rounds(mode: str) -> tuple[simulate.Round, ...]:
    return tuple(replay(xr_for(mode), mode))


def settled(
    xr: dict[str, Any], mode: str, details: dict[str, bytes] | None = None
) -> dict[str, simulate.ObservedResource]:
    """Everything composed for `xr` exists and is ready; CNPG wrote its app Secret."""
    observed = simulate.observe_all(replay(xr, mode)[-1].desired)
    observed["app-secret"].connection_details.update(
        {"username": USERNAME, "password": PASSWORD} if details is None else details
    )
    return observed


def run(
    xr: dict[str, Any], mode: str, observed: dict[str, Any] | None = None, **changes: Any
) -> fnv1.RunFunctionResponse:
    return RUNNER.run(simulate.request(xr, observed, required=required(mode, **changes)))


def steady(mode: str) -> fnv1.RunFunctionResponse:
    return run(xr_for(mode), mode, settled(xr_for(mode), mode))


def final_resources(mode: str) -> dict[str, dict[str, Any]]:
    last = rounds(mode)[-1]
    assert not last.fatal, last.fatal
    return last.desired


# -- whole compositions -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_golden(mode: str) -> None:
    assert_golden(f"database/cnpg-{mode}.yaml", documents(steady(mode)))


@pytest.mark.parametrize("mode", MODES)
def test_fully_composed_and_ready(mode: str) -> None:
    rsp = steady(mode)
    assert not fatal_messages(rsp)
    total = len(rsp.desired.resources)
    assert status(rsp)["progress"] == {"ready": total, "total": total, "waitingFor": []}
    conditions = {c.type: (c.status, c.reason) for c in rsp.conditions}
    assert conditions == dict.fromkeys(
        ("DatabaseReady", "BackupsReady", "NamespaceReady"),
        (fnv1.STATUS_CONDITION_TRUE, "Available"),
    )


def test_what_is_composed() -> None:
    assert set(final_resources("claim")) == {
        # AWS: the backup bucket, its key, the role the database's pods back up with
        "kms-key",
        "usage-kms-key-by-backup-bucket",
        "backup-bucket",
        "backup-public-access-block",
        "backup-ownership-controls",
        "backup-versioning",
        "backup-encryption",
        "backup-tls-policy",
        "backup-lifecycle",
        "backup-role",
        "backup-policy",
        "backup-role-policy",
        "backup-pod-identity",
        # in the cluster
        "namespace",
        "network-policy",
        "postgres",
        "scheduled-backup",
        "pod-monitor",
        "app-secret",
        "usage-cluster-by-postgres",
        "usage-backup-pod-identity-by-postgres",
    }


@pytest.mark.skipif(not crds_available(), reason="no CRDs in ../shared/crds")
@pytest.mark.parametrize("mode", MODES)
def test_every_resource_and_manifest_at_every_stage_is_valid(mode: str) -> None:
    import kubernetes_validate

    cnpg = CRDCatalog(CNPG_CRDS)
    errors = []
    for stage, round_ in enumerate(rounds(mode)):
        for key, resource in round_.desired.items():
            if resource["kind"] == "Secret":
                continue  # the namespaced connection Secret: test_schemas checks it
            errors += [f"stage {stage} {key}: {e}" for e in validate(resource)]
        for key, manifest in manifests(round_.desired).items():
            group = manifest["apiVersion"].partition("/")[0]
            if group == "postgresql.cnpg.io":
                errors += [f"stage {stage} {key}: {e}" for e in cnpg.validate(manifest)]
            elif group == "monitoring.coreos.com":
                # No PodMonitor CRD in ../shared: checked against the operator's required fields.
                assert manifest["kind"] == "PodMonitor"
                assert manifest["spec"]["selector"]["matchLabels"]
                assert manifest["spec"]["podMetricsEndpoints"][0]["port"]
            elif manifest["kind"] == "Secret" and "data" not in manifest:
                assert set(manifest) == {"apiVersion", "kind", "metadata"}  # observed, not written
            else:
                try:
                    kubernetes_validate.validate(manifest, "1.33", strict=True)
                except kubernetes_validate.ValidationError as error:
                    errors.append(f"stage {stage} {key}: {error.message}")
    assert errors == []


@pytest.mark.parametrize("mode", MODES)
def test_stages_and_deletion_order_are_declared_at_every_stage(mode: str) -> None:
    from functions.kit.checks import compose, problems

    for round_ in rounds(mode):
        assert problems(compose(BLUEPRINT, round_.request)) == []


def test_cnpg_crds_are_there() -> None:
    assert (CNPG_CRDS / "postgresql.cnpg.io_clusters.yaml").exists()
    assert CRDCatalog(CNPG_CRDS).validate({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Nope"})


def test_stages_the_namespace_and_aws_first_then_postgres_then_what_uses_it() -> None:
    stages = [set(r.desired) for r in rounds("claim")]
    assert {"namespace", "backup-bucket", "backup-role", "backup-policy", "kms-key"} <= stages[0]
    first_postgres = next(i for i, s in enumerate(stages) if "postgres" in s)
    first_association = next(i for i, s in enumerate(stages) if "backup-pod-identity" in s)
    assert first_association < first_postgres, "backups work from the first instance on"
    for later in ("scheduled-backup", "app-secret"):
        assert next(i for i, s in enumerate(stages) if later in s) > first_postgres


@pytest.mark.parametrize("mode", MODES)
def test_every_object_goes_through_the_clusters_kubernetes_provider_config(mode: str) -> None:
    config = cluster_for(mode)["status"]["cluster"]["providerConfigName"]
    for key, resource in final_resources(mode).items():
        if resource["kind"] == "Object":
            assert resource["spec"]["providerConfigRef"]["name"] == config, key
            if mode == "namespaced":
                assert resource["spec"]["providerConfigRef"]["kind"] == "ProviderConfig"
        elif "forProvider" in resource.get("spec", {}):
            assert resource["spec"]["providerConfigRef"]["name"] == "default", key


# -- the PostgreSQL cluster ---------------------------------------------------------------------


def postgres(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return manifests(resources)["postgres"]["spec"]


def test_the_claim_maps_onto_a_cnpg_cluster() -> None:
    spec = postgres(final_resources("claim"))
    assert spec["instances"] == 3, "highAvailability: a primary and two standbys"
    assert spec["postgresql"]["synchronous"] == {
        "method": "any",
        "number": 1,
        "dataDurability": "required",
    }
    assert spec["imageName"] == "ghcr.io/cloudnative-pg/postgresql:16"
    assert spec["storage"] == {"size": "100Gi"}, "size medium: 100 GiB, as on RDS"
    assert (
        spec["resources"]["requests"]
        == spec["resources"]["limits"]
        == {
            "cpu": "2",
            "memory": "8Gi",
        }
    )
    assert spec["bootstrap"] == {"initdb": {"database": "orders", "owner": "paved_admin"}}
    assert spec["enableSuperuserAccess"] is False
    assert "hostnossl all all 0.0.0.0/0 reject" in spec["postgresql"]["pg_hba"], "TLS only"
    assert spec["inheritedMetadata"]["labels"]["team"] == "team-a", "tags become labels"


def test_small_without_high_availability_is_one_instance() -> None:
    xr = with_parameters(CLAIM, size="small", highAvailability=False)
    spec = postgres(replay(xr, "claim")[-1].desired)
    assert spec["instances"] == 1
    assert "synchronous" not in spec["postgresql"]
    assert spec["storage"] == {"size": "20Gi"}
    assert spec["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}


def test_tags_that_are_not_valid_labels_stay_aws_tags_only() -> None:
    xr = with_parameters(CLAIM, tags={"team": "team-a", "cost center": "4711", "owner": "a b"})
    resources = replay(xr, "claim")[-1].desired
    labels = manifests(resources)["postgres"]["metadata"]["labels"]
    assert "cost center" not in labels and "owner" not in labels
    assert resources["backup-bucket"]["spec"]["forProvider"]["tags"]["cost center"] == "4711"


# -- backups ------------------------------------------------------------------------------------


def test_backups_go_to_s3_with_the_pod_identity_role_and_no_static_credentials() -> None:
    resources = final_resources("claim")
    backup = postgres(resources)["backup"]
    bucket = resources["backup-bucket"]["metadata"]["annotations"]["crossplane.io/external-name"]
    assert backup == {
        "retentionPolicy": "14d",
        "barmanObjectStore": {
            "destinationPath": f"s3://{bucket}/",
            "s3Credentials": {"inheritFromIAMRole": True},
            "wal": {"compression": "gzip"},
            "data": {"compression": "gzip"},
        },
    }
    association = resources["backup-pod-identity"]["spec"]["forProvider"]
    ns = manifests(resources)["namespace"]["metadata"]["name"]
    assert association["clusterName"] == cluster_for("claim")["status"]["cluster"]["name"]
    assert (association["namespace"], association["serviceAccount"]) == (ns, "postgres")
    trust = json.loads(resources["backup-role"]["spec"]["forProvider"]["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    ]
    text = yaml.safe_dump(manifests(resources))
    assert "accessKeyId" not in text and "secretAccessKey" not in text


def test_the_backup_role_may_touch_its_bucket_only() -> None:
    resources = final_resources("claim")
    bucket = resources["backup-bucket"]["metadata"]["annotations"]["crossplane.io/external-name"]
    policy = json.loads(resources["backup-policy"]["spec"]["forProvider"]["policy"])
    arn = f"arn:aws:s3:::{bucket}"
    resources_named = {
        r
        for s in policy["Statement"]
        for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }
    assert resources_named == {arn, f"{arn}/*", "*"}
    (kms,) = [s for s in policy["Statement"] if s["Resource"] == "*"]
    assert kms["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == [arn, f"{arn}/*"]


def test_the_backup_bucket_is_private_encrypted_versioned_and_tls_only() -> None:
    resources = final_resources("claim")
    assert resources["backup-public-access-block"]["spec"]["forProvider"]["blockPublicPolicy"]
    versioning = resources["backup-versioning"]["spec"]["forProvider"]
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    (rule,) = resources["backup-encryption"]["spec"]["forProvider"]["rule"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyIdRef": {"name": resources["kms-key"]["metadata"]["name"]},
    }
    policy = json.loads(resources["backup-tls-policy"]["spec"]["forProvider"]["policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (lifecycle,) = resources["backup-lifecycle"]["spec"]["forProvider"]["rule"]
    assert lifecycle["noncurrentVersionExpiration"] == [{"noncurrentDays": 14}]
    usage = resources["usage-kms-key-by-backup-bucket"]["spec"]
    assert usage["of"]["resourceRef"]["name"] == resources["kms-key"]["metadata"]["name"]
    assert usage["by"]["resourceRef"]["name"] == resources["backup-bucket"]["metadata"]["name"]


def test_a_given_kms_key_encrypts_the_backups_instead() -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/0b8e1c1e-1111-2222-3333-444455556666"
    resources = replay(with_parameters(CLAIM, kmsKeyArn=key), "claim")[-1].desired
    assert "kms-key" not in resources and "usage-kms-key-by-backup-bucket" not in resources
    (rule,) = resources["backup-encryption"]["spec"]["forProvider"]["rule"]
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == key


def test_a_daily_backup_at_the_start_of_the_backup_window() -> None:
    xr = with_parameters(CLAIM, backupWindow="02:30-03:30")
    backup = manifests(replay(xr, "claim")[-1].desired)["scheduled-backup"]["spec"]
    assert backup == {
        "schedule": "0 30 2 * * *",
        "cluster": {"name": "postgres"},
        "method": "barmanObjectStore",
        "immediate": True,
        "backupOwnerReference": "self",
    }


def test_no_backups_when_asked_for_none() -> None:
    xr = with_parameters(CLAIM, backupRetentionDays=0, allowNoBackups=True)
    resources = replay(xr, "claim")[-1].desired
    assert "scheduled-backup" not in resources
    assert "backup" not in postgres(resources)


@pytest.mark.parametrize("mode", MODES)
def test_iam_names_are_unique_per_xr_and_fit(mode: str) -> None:
    long_name = "a-rather-long-database-name-for-the-orders-service-of-team-a"
    names = set()
    for namespace_ in ("team-a", "team-b"):
        xr = {**xr_for(mode), "metadata": {**xr_for(mode)["metadata"], "name": long_name}}
        if mode == "namespaced":
            xr["metadata"]["namespace"] = namespace_
        else:
            xr["metadata"]["labels"] = {
                **xr["metadata"].get("labels", {}),
                "crossplane.io/claim-namespace": namespace_,
            }
            xr["metadata"]["name"] = f"{long_name}-{namespace_[-1]}x7k2p"
        changes = {"metadata.namespace": namespace_} if mode == "namespaced" else {}
        resources = replay(xr, mode, **changes)[-1].desired
        assert not replay(xr, mode, **changes)[-1].fatal
        for key in ("backup-role", "backup-policy"):
            name = resources[key]["metadata"]["annotations"]["crossplane.io/external-name"]
            assert len(name) <= 64
            names.add(name)
        bucket = resources["backup-bucket"]["metadata"]["annotations"][
            "crossplane.io/external-name"
        ]
        assert len(bucket) <= 63
    assert len(names) == 2, "one role (and policy) name per XR"


def test_names_are_kept_once_observed() -> None:
    observed = settled(CLAIM, "claim")
    for key, name in (("backup-role", "an-older-role"), ("backup-bucket", "an-older-bucket")):
        observed[key].resource["metadata"]["annotations"]["crossplane.io/external-name"] = name
    observed["namespace"].resource["spec"]["forProvider"]["manifest"]["metadata"]["name"] = "pg-x"
    resources = simulate.desired_resources(run(CLAIM, "claim", observed))
    assert resources["backup-role"]["metadata"]["annotations"]["crossplane.io/external-name"] == (
        "an-older-role"
    )
    assert postgres(resources)["backup"]["barmanObjectStore"]["destinationPath"] == (
        "s3://an-older-bucket/"
    )
    assert manifests(resources)["postgres"]["metadata"]["namespace"] == "pg-x"


# -- network ------------------------------------------------------------------------------------


def test_only_the_listed_namespaces_reach_postgres() -> None:
    policy = manifests(final_resources("claim"))["network-policy"]["spec"]
    assert policy["podSelector"] == {"matchLabels": {"cnpg.io/cluster": "postgres"}}
    assert policy["policyTypes"] == ["Ingress"]
    apps, replication, operator, metrics = policy["ingress"]
    assert apps == {
        "from": [
            {
                "namespaceSelector": {
                    "matchExpressions": [
                        {
                            "key": "kubernetes.io/metadata.name",
                            "operator": "In",
                            "values": ["orders", "orders-worker"],
                        }
                    ]
                }
            }
        ],
        "ports": [{"protocol": "TCP", "port": 5432}],
    }
    assert replication == {"from": [{"podSelector": policy["podSelector"]}]}
    assert operator["from"][0]["namespaceSelector"]["matchExpressions"][0]["values"] == [
        "cnpg-system"
    ]
    assert metrics["ports"] == [{"protocol": "TCP", "port": 9187}]


def test_without_monitoring_no_pod_monitor_and_no_scraping() -> None:
    resources = replay(CLAIM, "claim", **{"spec.parameters.platform.monitoring": None})[-1].desired
    assert "pod-monitor" not in resources
    assert len(manifests(resources)["network-policy"]["spec"]["ingress"]) == 3


# -- connection details and status ---------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_connection_details_have_the_same_keys_as_rds(mode: str) -> None:
    rsp = steady(mode)
    details = connection_details(rsp)
    rds = POSTGRES if mode == "claim" else namespaced(POSTGRES)
    rds_final = simulate.replay(RUNNER.run, rds)[-1].response
    assert sorted(details) == sorted(connection_details(rds_final))
    assert sorted(details) == sorted(BLUEPRINT.connection_keys)
    host = status(rsp)["database"]["endpoint"]
    assert details == {
        "host": host.encode(),
        "port": b"5432",
        "username": USERNAME,
        "password": PASSWORD,
        "database": b"orders",
        "uri": (
            f"postgresql://paved_admin:s3cr3t%2Fwith%2Bodd%26chars@{host}:5432/orders"
            "?sslmode=require"
        ).encode(),
    }
    assert host.startswith("postgres-rw.pg-") and host.endswith(".svc.cluster.local")


def connection_details(rsp: fnv1.RunFunctionResponse) -> dict[str, bytes]:
    """The XR's connection details: on the XR (claim mode), in its Secret (namespaced mode)."""
    secret = simulate.desired_resources(rsp).get("connection-secret")
    if secret is None:
        return dict(rsp.desired.composite.connection_details)
    return {k: v.encode() for k, v in simulate.decode_secret_data(secret).items()}


def test_the_connection_object_only_observes_the_app_secret() -> None:
    connection = final_resources("claim")["app-secret"]["spec"]
    assert connection["managementPolicies"] == ["Observe"]
    assert [d["toConnectionSecretKey"] for d in connection["connectionDetails"]] == [
        "username",
        "password",
    ]
    assert {d["name"] for d in connection["connectionDetails"]} == {"postgres-app"}


def test_no_connection_details_until_cnpg_wrote_its_secret() -> None:
    rsp = run(CLAIM, "claim", settled(CLAIM, "claim", details={}))
    assert dict(rsp.desired.composite.connection_details) == {}


def test_an_app_secret_that_is_not_utf8_is_unknown_with_a_warning() -> None:
    observed = settled(CLAIM, "claim", details={"username": USERNAME, "password": b"\xff\xfe"})
    rsp = run(CLAIM, "claim", observed)
    assert not fatal_messages(rsp)
    assert "password" not in rsp.desired.composite.connection_details
    assert any("not UTF-8" in r.message for r in rsp.results)


def test_status_database() -> None:
    observed = settled(CLAIM, "claim")
    live = observed["postgres"].resource["status"]["atProvider"]
    live["manifest"] = {**live.get("manifest", {}), "status": {"instances": 2}}
    database = status(run(CLAIM, "claim", observed))["database"]
    assert database == {
        "placement": "cluster",
        "endpoint": f"postgres-rw.{database['namespace']}.svc.cluster.local",
        "port": 5432,
        "engine": "postgres",
        "version": "16",
        "instances": 2,
        "namespace": database["namespace"],
    }


@pytest.mark.parametrize("odd", ["three", True, None, {"n": 3}])
def test_odd_instance_counts_in_the_clusters_status_are_unknown(odd: Any) -> None:
    observed = settled(CLAIM, "claim")
    observed["postgres"].resource["status"]["atProvider"]["manifest"] = {
        "status": {"instances": odd}
    }
    rsp = run(CLAIM, "claim", observed)
    assert not fatal_messages(rsp)
    assert status(rsp)["database"]["instances"] == 3


# -- safety -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_deletion_protection_keeps_the_database_running_safe_and_backed_up(mode: str) -> None:
    resources = final_resources(mode)
    kept = {
        "namespace",
        "postgres",
        "network-policy",
        "scheduled-backup",
        "pod-monitor",
        "backup-role",
        "backup-policy",
        "backup-role-policy",
        "backup-pod-identity",
        "backup-bucket",
        "kms-key",
        "app-secret",  # observe-only: never deletes anything
    }
    for key, resource in resources.items():
        spec = resource.get("spec", {})
        orphaned = spec.get("deletionPolicy") == "Orphan" or (
            "managementPolicies" in spec and "Delete" not in spec["managementPolicies"]
        )
        assert orphaned == (key in kept), key


@pytest.mark.parametrize("mode", MODES)
def test_without_deletion_protection_the_data_goes_but_the_backups_stay(mode: str) -> None:
    xr = with_parameters(xr_for(mode), deletionProtection=False)
    resources = replay(xr, mode)[-1].desired
    for key in ("namespace", "postgres", "network-policy", "backup-role", "backup-pod-identity"):
        spec = resources[key]["spec"]
        assert spec.get("deletionPolicy", "Delete") == "Delete" and "managementPolicies" not in spec
    for key in ("backup-bucket", "kms-key"):
        spec = resources[key]["spec"]
        assert spec.get("deletionPolicy") == "Orphan" or "Delete" not in spec["managementPolicies"]


@pytest.mark.parametrize("mode", MODES)
def test_the_cluster_is_not_deleted_while_the_database_runs_in_it(mode: str) -> None:
    usage = final_resources(mode)["usage-cluster-by-postgres"]
    xcluster = "platform-2e523" if mode == "claim" else "platform"
    assert usage["spec"]["of"] == {
        "apiVersion": "platform.paved.dev/v1alpha1",
        "kind": "XCluster",
        "resourceRef": {"name": xcluster},
    }
    assert (
        usage["spec"]["by"]["resourceRef"]["name"]
        == final_resources(mode)["postgres"]["metadata"]["name"]
    )


def test_the_xrd_refuses_a_change_of_placement() -> None:
    schema = BLUEPRINT.parameters.model_json_schema(by_alias=True)
    rules = schema["properties"]["placement"]["x-kubernetes-validations"]
    assert [r["rule"] for r in rules] == ["self == oldSelf"]


def _with(xr: dict[str, Any], **network: Any) -> dict[str, Any]:
    return with_parameters(xr, network={**xr["spec"]["parameters"]["network"], **network})


REFUSED_INPUT = {
    "mysql": (with_parameters(CLAIM, engine="mysql", version="8.0"), "spec.parameters.engine"),
    "postgres 13": (with_parameters(CLAIM, version="13"), "spec.parameters.version"),
    "instanceClass": (
        with_parameters(CLAIM, instanceClass="db.r7g.large"),
        "spec.parameters.instanceClass",
    ),
    "maxStorageGiB": (with_parameters(CLAIM, maxStorageGiB=500), "spec.parameters.maxStorageGiB"),
    "performanceInsights": (
        with_parameters(CLAIM, performanceInsights=True),
        "spec.parameters.performanceInsights",
    ),
    "maintenanceWindow": (
        with_parameters(CLAIM, maintenanceWindow="sun:03:00-sun:04:00"),
        "spec.parameters.maintenanceWindow",
    ),
    "no allowed namespaces": (
        _with(CLAIM, allowedNamespaces=[]),
        "spec.parameters.network.allowedNamespaces",
    ),
    "allowed namespaces on rds": (
        with_parameters(
            CLAIM,
            placement="aws",
            network={"clusterRef": {"name": "platform"}, "allowedNamespaces": ["orders"]},
        ),
        "spec.parameters.network.allowedNamespaces",
    ),
    "no cluster": (
        with_parameters(
            CLAIM,
            network={
                "vpcId": "vpc-0a1b2c3d4e5f60718",
                "subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
                "allowedCidrs": ["10.20.0.0/19"],
            },
        ),
        "network.clusterRef",
    ),
    "the same namespace twice": (
        _with(CLAIM, allowedNamespaces=["orders", "orders"]),
        "allowedNamespaces lists the same namespace twice",
    ),
    "unknown placement": (with_parameters(CLAIM, placement="onprem"), "spec.parameters.placement"),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", REFUSED_INPUT)
def test_refused_input_names_the_field(case: str, mode: str) -> None:
    xr, field = REFUSED_INPUT[case]
    rsp = run(xr if mode == "claim" else namespaced(xr), mode)
    (fatal,) = fatal_messages(rsp)
    assert field in fatal


REFUSED_CLUSTERS = {
    "a tenant": (
        {"spec.parameters.isolation": "namespace"},
        "spec.parameters.network.clusterRef.name",
    ),
    "another region": ({"status.cluster.region": "us-east-1"}, "spec.parameters.region"),
    "invalid parameters": (
        {"spec.parameters.isolation": "shared"},
        "spec.parameters.network.clusterRef.name",
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", REFUSED_CLUSTERS)
def test_refused_clusters(case: str, mode: str) -> None:
    changes, field = REFUSED_CLUSTERS[case]
    (fatal,) = fatal_messages(run(xr_for(mode), mode, **changes))
    assert field in fatal


def test_a_cluster_that_does_not_exist_is_refused() -> None:
    rsp = RUNNER.run(simulate.request(CLAIM, required={"cluster": []}))
    (fatal,) = fatal_messages(rsp)
    assert "spec.parameters.network.clusterRef.name" in fatal


def _changed(observed: dict[str, Any], key: str, *path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(observed)
    target = changed[key].resource
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


@functools.cache
def _settled_claim() -> dict[str, simulate.ObservedResource]:
    return settled(CLAIM, "claim")


MANIFEST = ("spec", "forProvider", "manifest", "spec")
REFUSED_CHANGES = {
    "placement to aws": (
        lambda: with_parameters(
            CLAIM,
            placement="aws",
            network={"clusterRef": {"name": "platform"}},
        ),
        lambda: _settled_claim(),
        "spec.parameters.placement",
    ),
    "storage shrink": (
        lambda: with_parameters(CLAIM, storageGiB=50),
        lambda: _settled_claim(),
        "spec.parameters.storageGiB",
    ),
    "size shrink": (
        lambda: with_parameters(CLAIM, size="small"),
        lambda: _settled_claim(),
        "spec.parameters.size",
    ),
    "version downgrade": (
        lambda: with_parameters(CLAIM, version="15"),
        lambda: _settled_claim(),
        "spec.parameters.version",
    ),
    "database renamed": (
        lambda: with_parameters(CLAIM, databaseName="sales"),
        lambda: _settled_claim(),
        "spec.parameters.databaseName",
    ),
    "moved to another cluster": (
        lambda: CLAIM,
        lambda: _changed(
            _settled_claim(), "namespace", "spec", "providerConfigRef", "name", value="other"
        ),
        "spec.parameters.network.clusterRef.name",
    ),
}


@pytest.mark.parametrize("case", REFUSED_CHANGES)
def test_refused_changes_name_the_field(case: str) -> None:
    xr, observed, field = REFUSED_CHANGES[case]
    (fatal,) = fatal_messages(run(xr(), "claim", observed()))
    assert field in fatal


def test_an_rds_database_cannot_move_into_the_cluster() -> None:
    rds = simulate.replay(RUNNER.run, POSTGRES)[-1]
    observed = {k: simulate.observe(k, r) for k, r in rds.desired.items()}
    xr = with_parameters(
        POSTGRES,
        placement="cluster",
        network={"clusterRef": {"name": "platform"}, "allowedNamespaces": ["orders"]},
    )
    (fatal,) = fatal_messages(run(xr, "claim", observed))
    assert "spec.parameters.placement" in fatal


def test_growing_storage_and_upgrading_postgres_are_applied() -> None:
    xr = with_parameters(CLAIM, storageGiB=200, version="17")
    rsp = run(xr, "claim", _settled_claim())
    assert not fatal_messages(rsp)
    spec = postgres(simulate.desired_resources(rsp))
    assert spec["storage"] == {"size": "200Gi"}
    assert spec["imageName"] == "ghcr.io/cloudnative-pg/postgresql:17"


# -- waiting for the cluster ---------------------------------------------------------------------


def progress_reason(rsp: fnv1.RunFunctionResponse) -> str:
    return status(rsp)["progress"]["waitingFor"][0]["reason"]


HOLDS = {
    "operator not enabled": (
        {"spec.parameters.platform.cloudnativePg": None},
        "does not run the CloudNativePG operator",
    ),
    "no platform at all": ({"spec.parameters.platform": None}, "platform.cloudnativePg.enabled"),
    "operator not ready yet": (
        {"status.platform.cloudnativePg.ready": False},
        "waiting for the CloudNativePG operator",
    ),
    "no platform status": ({"status.platform": None}, "status.platform.cloudnativePg.ready"),
    "no cluster name yet": ({"status.cluster.name": None}, "to report name in status.cluster"),
    # An odd status.cluster is unknown as a whole (read through the XCluster's status model).
    "odd cluster name": ({"status.cluster.name": 42}, "to report name, providerConfigName"),
    "no provider config yet": (
        {"status.cluster.providerConfigName": None},
        "providerConfigName",
    ),
    "no status at all": ({"status": None}, "CloudNativePG operator"),
    "odd platform status": ({"status.platform.cloudnativePg": "yes"}, "CloudNativePG operator"),
    "odd status": ({"status": "ready"}, "CloudNativePG operator"),
}


@pytest.mark.parametrize("case", HOLDS)
@pytest.mark.parametrize("mode", MODES)
def test_holds_with_the_reason_until_the_cluster_can_take_it(case: str, mode: str) -> None:
    changes, reason = HOLDS[case]
    rsp = run(xr_for(mode), mode, **changes)
    assert not fatal_messages(rsp)
    assert reason in progress_reason(rsp)
    assert not [k for k in simulate.desired_resources(rsp) if k != "connection-secret"]
    (condition,) = rsp.conditions
    assert condition.status == fnv1.STATUS_CONDITION_FALSE
    assert condition.type == "DatabaseReady"


def test_holding_keeps_everything_that_exists() -> None:
    observed = _settled_claim()
    rsp = run(CLAIM, "claim", observed, **{"status.platform.cloudnativePg.ready": False})
    assert set(simulate.desired_resources(rsp)) == set(observed)
    assert "app-secret" in simulate.desired_resources(rsp)
    assert rsp.desired.composite.connection_details["password"] == PASSWORD


def test_waits_for_crossplane_to_read_the_cluster() -> None:
    rsp = RUNNER.run(simulate.request(CLAIM))
    assert "waiting for Crossplane to read Cluster platform" in progress_reason(rsp)
    assert rsp.requirements.resources["cluster"].kind == "Cluster"


# -- the example ---------------------------------------------------------------------------------


def test_the_example_renders_with_the_cluster_supplied() -> None:
    result = CliRunner().invoke(
        main,
        [
            "render",
            str(EXAMPLES / "database/claim-postgres-in-cluster.yaml"),
            "-e",
            str(REQUIRED_FILE),
            "--until-ready",
        ],
    )
    assert result.exit_code == 0, result.output
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    keys = {
        d["metadata"]["annotations"]["crossplane.io/composition-resource-name"] for d in docs[1:]
    }
    assert keys == set(final_resources("claim"))
    assert docs[0]["status"]["database"]["placement"] == "cluster"


# -- day 2: every change applied without touching an immutable field, or refused -----------------

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0b8e1c1e-1111-2222-3333-444455556666"
NETWORK = CLAIM["spec"]["parameters"]["network"]

# One change per parameter: the keys it removes on purpose, or the field its FATAL result names.
CHANGES: dict[str, tuple[dict[str, Any], set[str] | str]] = {
    "placement": (
        {"placement": "aws", "network": {"clusterRef": {"name": "platform"}}},
        "spec.parameters.placement",
    ),
    "engine": ({"engine": "mysql", "version": "8.0"}, "spec.parameters.engine"),
    "version up": ({"version": "17"}, set()),
    "version down": ({"version": "15"}, "spec.parameters.version"),
    "size up": ({"size": "large"}, set()),
    "size down": ({"size": "small"}, "spec.parameters.size"),
    "storageGiB up": ({"storageGiB": 200}, set()),
    "storageGiB down": ({"storageGiB": 50}, "spec.parameters.storageGiB"),
    "databaseName": ({"databaseName": "sales"}, "spec.parameters.databaseName"),
    "instanceClass": ({"instanceClass": "db.r6g.large"}, "spec.parameters.instanceClass"),
    "highAvailability": ({"highAvailability": False}, set()),
    "backupRetentionDays": ({"backupRetentionDays": 21}, set()),
    "no backups": ({"backupRetentionDays": 0, "allowNoBackups": True}, {"scheduled-backup"}),
    "backupWindow": ({"backupWindow": "03:00-04:00"}, set()),
    "deletionProtection": ({"deletionProtection": False}, set()),
    "kmsKeyArn": ({"kmsKeyArn": KEY_ARN}, set()),
    "tags": ({"tags": {"team": "team-z", "cost-center": "42"}}, set()),
    "deletionPolicy": ({"deletionPolicy": "Orphan"}, set()),
    "allowedNamespaces": ({"network": {**NETWORK, "allowedNamespaces": ["billing"]}}, set()),
    "another cluster": (
        {"network": {**NETWORK, "clusterRef": {"name": "elsewhere"}}},
        "spec.parameters.network.clusterRef.name",
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("change", CHANGES)
def test_every_change_is_applied_safely_or_refused_naming_the_field(mode: str, change: str) -> None:
    parameters, outcome = CHANGES[change]
    xr = xr_for(mode)
    changed = with_parameters(xr, **parameters)
    observed = settled(xr, mode)
    # Another cluster: Crossplane hands over that one (same platform, another ProviderConfig).
    other = (
        {"status.cluster.providerConfigName": "elsewhere"} if change == "another cluster" else {}
    )
    if isinstance(outcome, str):
        (fatal,) = fatal_messages(run(changed, mode, observed, **other))
        assert fatal.startswith(outcome), fatal
        return
    rsp = reconcile_until_settled(
        lambda observed: run(changed, mode, observed), observed, may_drop=outcome.__contains__
    )
    assert status(rsp)["progress"]["waitingFor"] == []


def test_turning_monitoring_off_removes_the_pod_monitor() -> None:
    observed = _settled_claim()
    rsp = run(CLAIM, "claim", observed, **{"spec.parameters.platform.monitoring": None})
    resources = simulate.desired_resources(rsp)
    assert "pod-monitor" not in resources
    assert set(observed) - set(resources) == {"pod-monitor"}


ODD_OBSERVED = {
    "a provider config name that is a number": (
        "namespace",
        ("spec", "providerConfigRef", "name"),
        7,
    ),
    "a namespace name that is a list": (
        "namespace",
        ("spec", "forProvider", "manifest", "metadata"),
        ["pg-x"],
    ),
    "a cluster spec that is a list": ("postgres", ("spec", "forProvider", "manifest"), []),
    "a storage size that is not a quantity": (
        "postgres",
        ("spec", "forProvider", "manifest", "spec", "storage"),
        {"size": "lots"},
    ),
    "an image that is a number": (
        "postgres",
        ("spec", "forProvider", "manifest", "spec"),
        {"imageName": 16},
    ),
    "an external name that is an object": ("backup-role", ("metadata", "annotations"), {}),
    "a live object that is a string": ("postgres", ("status", "atProvider"), {"manifest": "x"}),
}


@pytest.mark.parametrize("case", ODD_OBSERVED)
def test_odd_observed_values_are_unknown_never_a_crash(case: str) -> None:
    key, path, value = ODD_OBSERVED[case]
    observed = copy.deepcopy(_settled_claim())
    target = observed[key].resource
    for part in path[:-1]:
        target = target[part]
    if isinstance(value, dict) and isinstance(target.get(path[-1]), dict):
        target[path[-1]] = {**target[path[-1]], **value}
        if key == "backup-role":
            target[path[-1]]["crossplane.io/external-name"] = {"odd": True}
    else:
        target[path[-1]] = value
    rsp = run(CLAIM, "claim", observed)
    assert not fatal_messages(rsp)
    assert "postgres" in simulate.desired_resources(rsp)


def test_no_cluster_usage_until_the_cluster_claim_is_bound() -> None:
    resources = replay(CLAIM, "claim", **{"spec.resourceRef": None})[-1].desired
    assert "usage-cluster-by-postgres" not in resources
    assert "postgres" in resources
