"""XCluster: given a Cluster claim (or namespaced XCluster) and observed state, these resources."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from support.compose import (
    RUNNER,
    assert_fatal,
    composed,
    documents,
    fatal_messages,
    first_rounds,
    load_xr,
    run,
    status,
    waiting_for,
    with_parameters,
)
from support.crds import CRDS_DIR, crds_available, validate
from support.golden import assert_golden
from support.platform import without_platform

from functions import simulate
from functions.kit import dns_label
from functions.resources.eks_addons import ADDON_VERSIONS

CLAIM = load_xr("cluster/claim.yaml")
XR = load_xr("cluster/xr.yaml")
MODES = {"claim": CLAIM, "namespaced": XR}
XR_NAME = CLAIM["metadata"]["name"]


@functools.cache
def _rounds(mode: str) -> tuple[simulate.Round, ...]:
    """The reconcile replay of an example, shared by the tests (it is the slow part)."""
    return tuple(simulate.replay(RUNNER.run, MODES[mode]))


def _final(mode: str) -> fnv1.RunFunctionResponse:
    return _rounds(mode)[-1].response


def _for_provider(resource: dict[str, Any]) -> dict[str, Any]:
    return resource["spec"]["forProvider"]


def _subnet_cidrs(resources: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {
        k: _for_provider(r)["cidrBlock"] for k, r in resources.items() if k.startswith("subnet-")
    }


# -- the whole composition -------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_first_reconcile_composes_network_iam_and_key_only(mode: str) -> None:
    rsp = run(MODES[mode])

    kinds = {resource["kind"] for resource in simulate.desired_resources(rsp).values()}
    assert kinds <= {
        "VPC",
        "Subnet",
        "InternetGateway",
        "EIP",
        "NATGateway",
        "RouteTable",
        "Route",
        "RouteTableAssociation",
        "Role",
        "RolePolicyAttachment",
        "Key",
        "Secret",
    }
    assert rsp.desired.composite.ready == fnv1.READY_FALSE
    waiting = waiting_for(rsp)
    assert waiting["eks-cluster"].startswith("waiting for vpc, internet-gateway")
    assert waiting["vpc"] == "being created"
    assert_golden(f"cluster/{mode}-first-reconcile.yaml", documents(rsp))


@pytest.mark.parametrize("mode", MODES)
def test_fully_composed_cluster(mode: str) -> None:
    final = _final(mode)

    total = len(final.desired.resources)
    assert status(final)["progress"] == {"ready": total, "total": total, "waitingFor": []}
    assert final.desired.composite.ready == fnv1.READY_UNSPECIFIED
    assert {(c.type, c.status, c.reason) for c in final.conditions} == {
        (type_, fnv1.STATUS_CONDITION_TRUE, "Available")
        for type_ in (
            "NetworkReady",
            "ControlPlaneReady",
            "NodesReady",
            "AddonsReady",
            "AccessReady",
            "PlatformReady",
        )
    }
    assert_golden(f"cluster/{mode}-composed.yaml", documents(final))


@pytest.mark.skipif(not crds_available(), reason=f"no CRDs at {CRDS_DIR}")
@pytest.mark.parametrize("mode", MODES)
def test_every_resource_at_every_stage_is_valid_against_the_crds(mode: str) -> None:
    errors = []
    for stage, round_ in enumerate(_rounds(mode)):
        for key, resource in round_.desired.items():
            if resource["kind"] == "Secret":  # core v1, checked in test_schemas
                continue
            errors += [f"stage {stage} {key}: {error}" for error in validate(resource)]
    assert not errors, "\n".join(errors)


def test_names_are_pinned() -> None:
    """Renaming any of these makes Crossplane delete and recreate a real resource."""
    assert XR_NAME == "platform-2e523"
    # The platform's names are pinned in test_platform.
    resources = without_platform(simulate.desired_resources(_final("claim")))
    assert sorted(resources) == [
        "access-262f3962",
        "access-262f3962-policy",
        "access-8425a28b",
        "access-8425a28b-policy",
        "addon-aws-ebs-csi-driver",
        "addon-coredns",
        "addon-eks-pod-identity-agent",
        "addon-kube-proxy",
        "addon-vpc-cni",
        "cluster-auth",
        "cluster-role",
        "cluster-role-policy",
        "ebs-csi-pod-identity",
        "ebs-csi-role",
        "ebs-csi-role-policy",
        "eip-nat-a",
        "eip-nat-b",
        "eip-nat-c",
        "eks-cluster",
        "helm-provider-config",
        "internet-gateway",
        "kms-key",
        "kubernetes-provider-config",
        "nat-gateway-a",
        "nat-gateway-b",
        "nat-gateway-c",
        "node-role",
        "node-role-cni-policy",
        "node-role-ecr-policy",
        "node-role-worker-policy",
        "nodes-batch",
        "nodes-general",
        "oidc-identity-provider",
        "route-private-a-nat",
        "route-private-b-nat",
        "route-private-c-nat",
        "route-public-internet",
        "route-table-association-private-a",
        "route-table-association-private-b",
        "route-table-association-private-c",
        "route-table-association-public-a",
        "route-table-association-public-b",
        "route-table-association-public-c",
        "route-table-private-a",
        "route-table-private-b",
        "route-table-private-c",
        "route-table-public",
        "storage-class",
        "subnet-private-a",
        "subnet-private-b",
        "subnet-private-c",
        "subnet-public-a",
        "subnet-public-b",
        "subnet-public-c",
        "usage-addon-aws-ebs-csi-driver-by-cluster",
        "usage-addon-coredns-by-cluster",
        "usage-addon-eks-pod-identity-agent-by-cluster",
        "usage-addon-kube-proxy-by-cluster",
        "usage-addon-vpc-cni-by-cluster",
        "usage-cluster-auth-by-storage-class",
        "usage-cluster-by-nodes-batch",
        "usage-cluster-by-nodes-general",
        "usage-cluster-by-storage-class",
        "usage-cluster-role-by-cluster",
        "usage-cluster-role-policy-by-cluster",
        "usage-ebs-csi-pod-identity-by-cluster",
        "usage-ebs-csi-role-by-cluster",
        "usage-ebs-csi-role-policy-by-cluster",
        "usage-kms-key-by-eks-cluster",
        "usage-nat-gateway-a-by-cluster",
        "usage-nat-gateway-b-by-cluster",
        "usage-nat-gateway-c-by-cluster",
        "usage-node-role-by-nodes-batch",
        "usage-node-role-by-nodes-general",
        "usage-node-role-cni-policy-by-cluster",
        "usage-node-role-ecr-policy-by-cluster",
        "usage-node-role-worker-policy-by-cluster",
        "usage-route-private-a-nat-by-cluster",
        "usage-route-private-b-nat-by-cluster",
        "usage-route-private-c-nat-by-cluster",
        "usage-route-public-internet-by-cluster",
        "usage-route-table-association-private-a-by-cluster",
        "usage-route-table-association-private-b-by-cluster",
        "usage-route-table-association-private-c-by-cluster",
        "usage-route-table-association-public-a-by-cluster",
        "usage-route-table-association-public-b-by-cluster",
        "usage-route-table-association-public-c-by-cluster",
        "usage-subnet-private-a-by-cluster",
        "usage-subnet-private-b-by-cluster",
        "usage-subnet-private-c-by-cluster",
        "usage-vpc-by-cluster",
        "vpc",
    ]
    prefixed = {
        key
        for key in resources
        if key not in ("helm-provider-config", "kubernetes-provider-config")
    }
    # <xr>-<key>, cut to 63 characters with a hash of the whole when longer.
    assert all(
        resources[key]["metadata"]["name"]
        == (f"{XR_NAME}-{key}" if len(f"{XR_NAME}-{key}") <= 63 else dns_label(XR_NAME, key))
        for key in prefixed
    )
    assert resources["helm-provider-config"]["metadata"]["name"] == XR_NAME
    assert resources["kubernetes-provider-config"]["metadata"]["name"] == XR_NAME
    external_names = {
        key: resource["metadata"]["annotations"]["crossplane.io/external-name"]
        for key, resource in resources.items()
        if "crossplane.io/external-name" in resource["metadata"].get("annotations", {})
    }
    assert external_names == {
        "eks-cluster": XR_NAME,
        "nodes-general": "general",
        "nodes-batch": "batch",
        "cluster-role": f"{XR_NAME}-cluster-role",
        "node-role": f"{XR_NAME}-node-role",
        "ebs-csi-role": f"{XR_NAME}-ebs-csi-role",
        "oidc-identity-provider": "oidc",
    }
    namespaced = simulate.desired_resources(_final("namespaced"))
    assert namespaced["eks-cluster"]["metadata"]["annotations"] == {
        "crossplane.io/external-name": "team-a-platform"
    }
    assert namespaced["eks-cluster"]["metadata"]["name"] == "platform-eks-cluster"


def test_the_same_request_always_gives_the_same_response() -> None:
    for round_ in (_rounds("claim")[0], _rounds("claim")[5], _rounds("namespaced")[-1]):
        once = RUNNER.run(round_.request).SerializeToString(deterministic=True)
        again = RUNNER.run(round_.request).SerializeToString(deterministic=True)
        assert once == again


# -- staging ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_stages_follow_a_careful_operator(mode: str) -> None:
    first = first_rounds(_rounds(mode))
    network_and_iam = [
        k
        for k in first
        if k.startswith(("vpc", "subnet-", "route", "internet-", "nat-", "eip-"))
        or k.startswith(("cluster-role", "node-role", "ebs-csi-role", "kms-key"))
    ]
    pools = ["nodes-general", "nodes-batch" if mode == "claim" else "nodes-spot"]

    assert all(first[k] == 0 for k in network_and_iam)
    assert first["eks-cluster"] > 0
    for key in ("cluster-auth", "addon-vpc-cni", "addon-kube-proxy", "oidc-identity-provider"):
        assert first[key] > first["eks-cluster"], key
    for pool in pools:
        assert first[pool] > max(first["addon-vpc-cni"], first["addon-kube-proxy"]), pool
    for addon in ("addon-coredns", "addon-eks-pod-identity-agent"):
        assert first[addon] > max(first[p] for p in pools), addon
    assert first["addon-aws-ebs-csi-driver"] > first["ebs-csi-pod-identity"]
    for provider_config in ("helm-provider-config", "kubernetes-provider-config"):
        assert first[provider_config] > max(first["cluster-auth"], first["addon-coredns"])
    assert first["storage-class"] > max(
        first["kubernetes-provider-config"], first["addon-aws-ebs-csi-driver"]
    )
    assert first["usage-cluster-by-storage-class"] > first["storage-class"]


@pytest.mark.parametrize("mode", MODES)
def test_the_xr_is_held_not_ready_until_everything_is_composed(mode: str) -> None:
    rounds = _rounds(mode)
    partial = [
        r.response
        for r in rounds
        if len(r.response.desired.resources) < status(r.response)["progress"]["total"]
    ]
    assert len(partial) >= 6, "a stage per reconcile"
    assert all(rsp.desired.composite.ready == fnv1.READY_FALSE for rsp in partial)
    assert rounds[-1].response.desired.composite.ready == fnv1.READY_UNSPECIFIED
    # Nothing reported until the control plane exists, then what is known.
    assert "cluster" not in status(rounds[0].response)
    cluster_name = {"claim": XR_NAME, "namespaced": "team-a-platform"}[mode]
    assert status(rounds[2].response)["cluster"]["name"] == cluster_name


@pytest.mark.parametrize("mode", MODES)
def test_status_and_connection_details_fill_in_as_stages_complete(mode: str) -> None:
    rounds = _rounds(mode)
    before_auth = next(r for r in rounds if "cluster-auth" not in r.request.observed.resources)
    assert "kubeconfig" not in before_auth.response.desired.composite.connection_details
    final = rounds[-1].response
    assert {"endpoint", "oidcIssuerUrl", "vpcId", "nodeSecurityGroupId"} <= set(
        status(final)["cluster"]
    )


def test_status_cluster_is_what_xdatabase_reads() -> None:
    final = _final("claim")
    observed = _rounds("claim")[-1].request.observed.resources

    def at_provider(key: str, *path: str) -> Any:
        return simulate.lookup(observed[key].resource, "status", "atProvider", *path)

    cluster = status(final)["cluster"]
    assert cluster == {
        "isolation": "dedicated",
        "name": XR_NAME,
        "region": "eu-west-1",
        "version": "1.33",
        "endpoint": at_provider("eks-cluster", "endpoint"),
        "oidcIssuerUrl": at_provider("eks-cluster", "identity")[0]["oidc"][0]["issuer"],
        "certificateAuthorityData": at_provider("eks-cluster", "certificateAuthority")[0]["data"],
        "vpcId": at_provider("vpc", "id"),
        "privateSubnetIds": [at_provider(f"subnet-private-{z}", "id") for z in "abc"],
        "publicSubnetIds": [at_provider(f"subnet-public-{z}", "id") for z in "abc"],
        "nodeSecurityGroupId": at_provider("eks-cluster", "vpcConfig", "clusterSecurityGroupId"),
        "providerConfigName": XR_NAME,
    }
    assert cluster["endpoint"].startswith("https://")
    assert cluster["vpcId"].startswith("vpc-")
    assert cluster["nodeSecurityGroupId"].startswith("sg-")


def test_connection_details_in_claim_mode() -> None:
    final = _final("claim")
    details = dict(final.desired.composite.connection_details)
    assert sorted(details) == ["endpoint", "kubeconfig"]
    assert details["endpoint"] == status(final)["cluster"]["endpoint"].encode()
    assert b"kind: Config" in details["kubeconfig"]


def test_namespaced_mode_writes_connection_details_to_a_secret_next_to_the_xr() -> None:
    final = _final("namespaced")
    secret = simulate.desired_resources(final)["connection-secret"]
    assert secret["metadata"] == {"name": "platform-connection", "namespace": "team-a"}
    data = simulate.decode_secret_data(secret)
    assert sorted(data) == ["endpoint", "kubeconfig"]
    assert "kind: Config" in data["kubeconfig"]
    assert not final.desired.composite.connection_details


def test_an_observed_resource_is_still_emitted_when_its_gate_regresses() -> None:
    """The control plane going not-Ready must not un-compose (and so delete) the node groups."""
    request = _rounds("claim")[-1].request
    regressed = fnv1.RunFunctionRequest()
    regressed.CopyFrom(request)
    cluster = simulate.lookup(request.observed.resources["eks-cluster"].resource)
    cluster["status"]["conditions"][0].update({"status": "False", "reason": "Updating"})
    regressed.observed.resources["eks-cluster"].resource.Clear()
    regressed.observed.resources["eks-cluster"].resource.update(cluster)

    rsp = RUNNER.run(regressed)

    assert set(rsp.desired.resources) == set(_final("claim").desired.resources)
    assert rsp.desired.resources["nodes-general"].ready == fnv1.READY_TRUE
    assert rsp.desired.resources["eks-cluster"].ready == fnv1.READY_FALSE
    conditions = {c.type: c for c in rsp.conditions}
    assert conditions["ControlPlaneReady"].status == fnv1.STATUS_CONDITION_FALSE
    assert "eks-cluster: Updating" in conditions["ControlPlaneReady"].message


def test_a_gated_resource_not_yet_observed_waits() -> None:
    """Before the cluster is Ready the node groups are planned, not composed."""
    second = _rounds("claim")[1]
    assert "eks-cluster" in second.response.desired.resources
    assert "nodes-general" not in second.response.desired.resources
    waiting = waiting_for(second.response)
    assert waiting["nodes-general"] == "waiting for eks-cluster, addon-vpc-cni, addon-kube-proxy"


# -- what each field composes ----------------------------------------------------------------


class TestNetwork:
    def test_subnets_are_carved_from_the_vpc_cidr(self) -> None:
        resources = simulate.desired_resources(_final("claim"))
        assert _subnet_cidrs(resources) == {
            "subnet-private-a": "10.40.0.0/19",
            "subnet-private-b": "10.40.32.0/19",
            "subnet-private-c": "10.40.64.0/19",
            "subnet-public-a": "10.40.224.0/22",
            "subnet-public-b": "10.40.228.0/22",
            "subnet-public-c": "10.40.232.0/22",
        }
        assert _for_provider(resources["subnet-private-a"])["availabilityZone"] == "eu-west-1a"

    def test_a_small_vpc_and_explicit_zones(self) -> None:
        xr = with_parameters(
            XR,
            network={"cidr": "172.20.16.0/20", "availabilityZones": ["eu-west-1c", "eu-west-1a"]},
        )
        assert _subnet_cidrs(simulate.desired_resources(run(xr))) == {
            "subnet-private-a": "172.20.16.0/23",
            "subnet-private-c": "172.20.20.0/23",
            "subnet-public-a": "172.20.30.0/26",
            "subnet-public-c": "172.20.30.128/26",
        }

    def test_six_zones_in_a_region_that_has_them(self) -> None:
        xr = with_parameters(XR, region="us-east-1", network={"zones": 6})
        resources = simulate.desired_resources(run(xr))
        private = [k for k in resources if k.startswith("subnet-private-")]
        assert private == [f"subnet-private-{z}" for z in "abcdef"]
        assert _for_provider(resources["subnet-private-f"])["cidrBlock"] == "10.0.160.0/19"
        assert _for_provider(resources["subnet-public-f"])["cidrBlock"] == "10.0.244.0/22"

    def test_subnets_are_tagged_for_load_balancers(self) -> None:
        resources = simulate.desired_resources(_final("claim"))
        public = _for_provider(resources["subnet-public-b"])["tags"]
        private = _for_provider(resources["subnet-private-b"])["tags"]
        assert public["kubernetes.io/role/elb"] == "1"
        assert private["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in private
        assert public[f"kubernetes.io/cluster/{XR_NAME}"] == "shared"

    def test_private_subnets_route_through_nat_and_public_ones_through_the_gateway(self) -> None:
        resources = simulate.desired_resources(_final("claim"))
        assert _for_provider(resources["route-public-internet"])["gatewayIdRef"] == {
            "name": f"{XR_NAME}-internet-gateway"
        }
        for zone in "abc":
            route = _for_provider(resources[f"route-private-{zone}-nat"])
            assert route["natGatewayIdRef"] == {
                "name": f"{XR_NAME}-nat-gateway-{zone}",
                "policy": {"resolve": "Always"},
            }
            assert route["destinationCidrBlock"] == "0.0.0.0/0"
            nat = _for_provider(resources[f"nat-gateway-{zone}"])
            assert nat["subnetIdRef"] == {"name": f"{XR_NAME}-subnet-public-{zone}"}

    def test_a_single_nat_gateway_serves_every_zone_by_default(self) -> None:
        resources = simulate.desired_resources(_final("namespaced"))
        assert [k for k in resources if k.startswith("nat-gateway")] == ["nat-gateway-a"]
        for zone in "abc":
            route = _for_provider(resources[f"route-private-{zone}-nat"])
            assert route["natGatewayIdRef"] == {
                "name": "platform-nat-gateway-a",
                "policy": {"resolve": "Always"},
            }


class TestControlPlane:
    def test_version_reaches_the_cluster_and_every_node_group(self) -> None:
        resources = simulate.desired_resources(_final("claim"))
        assert _for_provider(resources["eks-cluster"])["version"] == "1.33"
        assert _for_provider(resources["nodes-general"])["version"] == "1.33"
        assert _for_provider(resources["nodes-batch"])["version"] == "1.33"
        default = simulate.desired_resources(_final("namespaced"))
        assert _for_provider(default["eks-cluster"])["version"] == "1.34"
        assert _for_provider(default["nodes-spot"])["version"] == "1.34"

    @pytest.mark.parametrize(
        ("version", "message"),
        [
            ("1.34", None),
            ("1.33", None),
            ("1.32", "the cluster runs 1.33; EKS cannot downgrade to 1.32"),
        ],
    )
    def test_upgrades_go_one_minor_version_at_a_time(
        self, version: str, message: str | None
    ) -> None:
        req = fnv1.RunFunctionRequest()
        req.CopyFrom(_rounds("claim")[-1].request)
        req.observed.composite.resource.update(with_parameters(CLAIM, version=version))

        rsp = RUNNER.run(req)

        if message is None:
            assert not fatal_messages(rsp)
            resources = simulate.desired_resources(rsp)
            assert _for_provider(resources["eks-cluster"])["version"] == version
            # Nodes follow once the control plane reports the new version (see test_changes).
            assert _for_provider(resources["nodes-batch"])["version"] == "1.33"
        else:
            assert fatal_messages(rsp) == [f"spec.parameters.version: {message}"]

    def test_skipping_a_minor_version_is_refused(self) -> None:
        req = fnv1.RunFunctionRequest()
        req.CopyFrom(_rounds("claim")[-1].request)
        cluster = req.observed.resources["eks-cluster"].resource
        cluster["status"]["atProvider"]["version"] = "1.31"
        req.observed.composite.resource.update(with_parameters(CLAIM, version="1.34"))

        (fatal,) = fatal_messages(RUNNER.run(req))
        assert fatal == (
            "spec.parameters.version: the cluster runs 1.31; "
            "EKS upgrades one minor version at a time, so 1.32 first"
        )

    def test_cluster_settings(self) -> None:
        resources = simulate.desired_resources(_final("claim"))
        cluster = _for_provider(resources["eks-cluster"])
        assert cluster["accessConfig"] == {
            "authenticationMode": "API_AND_CONFIG_MAP",
            "bootstrapClusterCreatorAdminPermissions": True,
        }
        assert cluster["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
        assert cluster["vpcConfig"] == {
            "endpointPrivateAccess": True,
            "endpointPublicAccess": True,
            "publicAccessCidrs": ["203.0.113.0/24"],
            "subnetIdRefs": [{"name": f"{XR_NAME}-subnet-private-{z}"} for z in "abc"],
        }
        key_arn = simulate.lookup(
            _rounds("claim")[-1].request.observed.resources["kms-key"].resource,
            "status",
            "atProvider",
            "arn",
        )
        assert cluster["encryptionConfig"] == {
            "provider": {"keyArn": key_arn},
            "resources": ["secrets"],
        }
        assert _for_provider(resources["kms-key"])["enableKeyRotation"] is True

    def test_without_secrets_encryption_there_is_no_key(self) -> None:
        resources = simulate.desired_resources(run(with_parameters(XR, secretsEncryption=False)))
        assert "kms-key" not in resources

    def test_secrets_encryption_stays_once_the_cluster_has_it(self) -> None:
        """EKS cannot turn it off, and deleting the key would make every Secret unreadable."""
        req = fnv1.RunFunctionRequest()
        req.CopyFrom(_rounds("namespaced")[-1].request)
        xr = with_parameters(XR, secretsEncryption=False)
        req.observed.composite.resource.Clear()
        req.observed.composite.resource.update(xr)

        resources = simulate.desired_resources(RUNNER.run(req))

        assert "kms-key" in resources
        assert "encryptionConfig" in _for_provider(resources["eks-cluster"])

    def test_cluster_auth_writes_the_kubeconfig_where_the_provider_configs_read_it(self) -> None:
        for mode, namespace in (("claim", "crossplane-system"), ("namespaced", "team-a")):
            resources = simulate.desired_resources(_final(mode))
            name = MODES[mode]["metadata"]["name"]
            secret_ref = resources["cluster-auth"]["spec"]["writeConnectionSecretToRef"]
            expected = {"name": f"{name}-kubeconfig"}
            if mode == "claim":
                expected["namespace"] = namespace
            assert secret_ref == expected
            for key in ("helm-provider-config", "kubernetes-provider-config"):
                assert resources[key]["spec"]["credentials"] == {
                    "source": "Secret",
                    "secretRef": {
                        "namespace": namespace,
                        "name": f"{name}-kubeconfig",
                        "key": "kubeconfig",
                    },
                }


class TestNodePools:
    def test_node_groups_run_in_private_subnets_and_leave_desired_size_to_the_autoscaler(
        self,
    ) -> None:
        resources = simulate.desired_resources(_final("claim"))
        general = resources["nodes-general"]["spec"]
        assert general["forProvider"]["subnetIdRefs"] == [
            {"name": f"{XR_NAME}-subnet-private-{z}"} for z in "abc"
        ]
        assert general["forProvider"]["scalingConfig"] == {"minSize": 2, "maxSize": 6}
        assert general["initProvider"] == {"scalingConfig": {"desiredSize": 3}}
        batch = resources["nodes-batch"]["spec"]
        assert batch["initProvider"] == {"scalingConfig": {"desiredSize": 0}}
        assert batch["forProvider"]["capacityType"] == "SPOT"
        assert batch["forProvider"]["diskSize"] == 100
        assert batch["forProvider"]["instanceTypes"] == ["m7i.xlarge", "m6i.xlarge", "m5.xlarge"]
        assert batch["forProvider"]["taint"] == [
            {"key": "workload", "value": "batch", "effect": "NO_SCHEDULE"}
        ]
        assert batch["forProvider"]["labels"] == {
            "workload": "batch",
            "paved.dev/node-pool": "batch",
        }

    def test_ami_follows_the_instance_architecture(self) -> None:
        resources = simulate.desired_resources(_final("namespaced"))
        assert _for_provider(resources["nodes-general"])["amiType"] == "AL2023_ARM_64_STANDARD"
        assert _for_provider(resources["nodes-spot"])["amiType"] == "AL2023_x86_64_STANDARD"

    def test_one_default_pool_when_none_is_given(self) -> None:
        parameters = {k: v for k, v in XR["spec"]["parameters"].items() if k != "nodePools"}
        xr = {**XR, "spec": {"parameters": parameters}}
        keys = [k for k in composed(xr) if k.startswith("nodes-")]
        assert keys == ["nodes-default"]


class TestAccess:
    def test_admins_and_viewers_get_access_entries_and_policies(self) -> None:
        resources = simulate.desired_resources(_final("claim"))
        policies = {
            _for_provider(r)["principalArn"]: _for_provider(r)["policyArn"]
            for r in resources.values()
            if r["kind"] == "AccessPolicyAssociation"
        }
        assert policies == {
            "arn:aws:iam::123456789012:role/platform-admins": (
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
            ),
            "arn:aws:iam::123456789012:role/developers": (
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
            ),
        }
        entries = [r for r in resources.values() if r["kind"] == "AccessEntry"]
        assert {_for_provider(e)["type"] for e in entries} == {"STANDARD"}

    def test_oidc_sign_in(self) -> None:
        resources = simulate.desired_resources(_final("claim"))
        assert _for_provider(resources["oidc-identity-provider"])["oidc"] == {
            "issuerUrl": "https://sso.example.com/dex",
            "clientId": "kubernetes",
            "usernameClaim": "email",
            "usernamePrefix": "oidc:",
            "groupsClaim": "groups",
            "groupsPrefix": "oidc:",
        }
        parameters = {k: v for k, v in XR["spec"]["parameters"].items() if k != "oidc"}
        assert "oidc-identity-provider" not in composed({**XR, "spec": {"parameters": parameters}})


class TestAddons:
    def test_core_addons_never_fail_on_existing_ones_and_follow_the_version_table(self) -> None:
        resources = simulate.desired_resources(_final("claim"))
        addons = {
            _for_provider(r)["addonName"]: _for_provider(r)
            for r in resources.values()
            if r["kind"] == "Addon"
        }
        assert sorted(addons) == [
            "aws-ebs-csi-driver",
            "coredns",
            "eks-pod-identity-agent",
            "kube-proxy",
            "vpc-cni",
        ]
        for name, addon in addons.items():
            assert addon["resolveConflictsOnCreate"] == "OVERWRITE"
            assert addon["resolveConflictsOnUpdate"] == "OVERWRITE"
            assert addon["addonVersion"] == ADDON_VERSIONS["1.33"][name]
        assert addons["kube-proxy"]["addonVersion"] == "v1.33.5-eksbuild.2"

    def test_the_ebs_csi_driver_gets_its_role_through_pod_identity(self) -> None:
        resources = simulate.desired_resources(_final("claim"))
        association = _for_provider(resources["ebs-csi-pod-identity"])
        assert association["namespace"] == "kube-system"
        assert association["serviceAccount"] == "ebs-csi-controller-sa"
        assert association["roleArnRef"] == {"name": f"{XR_NAME}-ebs-csi-role"}
        trust = _for_provider(resources["ebs-csi-role"])["assumeRolePolicy"]
        assert '"Service": "pods.eks.amazonaws.com"' in trust
        assert "sts:TagSession" in trust
        policy = _for_provider(resources["ebs-csi-role-policy"])["policyArn"]
        assert policy == "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"

    def test_a_default_gp3_storage_class_in_the_cluster(self) -> None:
        for mode, ref in (
            ("claim", {"name": XR_NAME}),
            ("namespaced", {"kind": "ProviderConfig", "name": "platform"}),
        ):
            storage_class = simulate.desired_resources(_final(mode))["storage-class"]
            assert storage_class["spec"]["providerConfigRef"] == ref
            manifest = _for_provider(storage_class)["manifest"]
            assert manifest["kind"] == "StorageClass"
            assert manifest["metadata"]["annotations"] == {
                "storageclass.kubernetes.io/is-default-class": "true"
            }
            assert manifest["parameters"] == {"type": "gp3", "encrypted": "true"}


class TestDeletionOrder:
    def test_usages_delete_in_cluster_objects_and_nodes_before_the_cluster_and_the_vpc_last(
        self,
    ) -> None:
        resources = simulate.desired_resources(_final("claim"))
        usages = {
            (u["spec"]["of"]["kind"], u["spec"]["of"]["resourceRef"]["name"]): u
            for u in resources.values()
            if u["kind"] == "ClusterUsage"
        }
        pairs = {
            (of[0], by["spec"]["by"]["kind"], by["spec"]["by"]["resourceRef"]["name"])
            for of, by in usages.items()
        }
        cluster = f"{XR_NAME}-eks-cluster"
        used_by = {
            (u["spec"]["of"]["resourceRef"]["name"], u["spec"]["by"]["resourceRef"]["name"])
            for u in resources.values()
            if u["kind"] == "ClusterUsage"
        }
        assert (cluster, f"{XR_NAME}-storage-class") in used_by
        assert (f"{XR_NAME}-cluster-auth", f"{XR_NAME}-storage-class") in used_by
        assert (cluster, f"{XR_NAME}-nodes-general") in used_by
        assert (cluster, f"{XR_NAME}-nodes-batch") in used_by
        assert (f"{XR_NAME}-vpc", cluster) in used_by
        assert (f"{XR_NAME}-subnet-private-a", cluster) in used_by
        assert pairs
        usage = resources["usage-vpc-by-cluster"]
        assert usage == {
            "apiVersion": "protection.crossplane.io/v1beta1",
            "kind": "ClusterUsage",
            "metadata": {"name": f"{XR_NAME}-usage-vpc-by-cluster"},
            "spec": {
                "of": {
                    "apiVersion": "ec2.aws.upbound.io/v1beta1",
                    "kind": "VPC",
                    "resourceRef": {"name": f"{XR_NAME}-vpc"},
                },
                "by": {
                    "apiVersion": "eks.aws.upbound.io/v1beta2",
                    "kind": "Cluster",
                    "resourceRef": {"name": cluster},
                },
                "replayDeletion": True,
            },
        }

    def test_namespaced_usages(self) -> None:
        usage = simulate.desired_resources(_final("namespaced"))["usage-cluster-by-storage-class"]
        assert usage["kind"] == "Usage"
        assert usage["metadata"] == {
            "name": "platform-usage-cluster-by-storage-class",
            "namespace": "team-a",
        }
        assert usage["spec"]["of"] == {
            "apiVersion": "eks.aws.m.upbound.io/v1beta1",
            "kind": "Cluster",
            "resourceRef": {"name": "platform-eks-cluster"},
        }
        assert usage["spec"]["by"] == {
            "apiVersion": "kubernetes.m.crossplane.io/v1alpha1",
            "kind": "Object",
            "resourceRef": {"name": "platform-storage-class"},
        }

    def test_orphan_deletion_policy_in_both_modes(self) -> None:
        claim = run(with_parameters(CLAIM, deletionPolicy="Orphan"))
        assert simulate.desired_resources(claim)["vpc"]["spec"]["deletionPolicy"] == "Orphan"
        xr = simulate.desired_resources(run(with_parameters(XR, deletionPolicy="Orphan")))
        assert "deletionPolicy" not in xr["vpc"]["spec"]
        assert xr["vpc"]["spec"]["managementPolicies"] == [
            "Observe",
            "Create",
            "Update",
            "LateInitialize",
        ]


# -- bad input -------------------------------------------------------------------------------


def _pool(**fields: Any) -> dict[str, Any]:
    return {"name": "general", **fields}


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            {"network": {"cidr": "10.0.0.300/16"}},
            "spec.parameters.network.cidr: '10.0.0.300/16' is not",
        ),
        (
            {"network": {"cidr": "10.0.0.1/16"}},
            "spec.parameters.network.cidr: '10.0.0.1/16' is not",
        ),
        (
            {"network": {"cidr": "8.8.0.0/16"}},
            "spec.parameters.network.cidr: 8.8.0.0/16 is not a private",
        ),
        (
            {"network": {"cidr": "10.0.0.0/24"}},
            "spec.parameters.network.cidr: 10.0.0.0/24 is too small",
        ),
        (
            {"network": {"cidr": "10.0.0.0/12"}},
            "spec.parameters.network.cidr: 10.0.0.0/12 is larger",
        ),
        (
            {"network": {"zones": 4}},
            "spec.parameters.network.zones: eu-west-1 has 3 availability zones",
        ),
        ({"network": {"zones": 7}}, "spec.parameters.network.zones: input should be less than"),
        ({"network": {"zones": 1}}, "spec.parameters.network.zones: input should be greater than"),
        (
            {"network": {"availabilityZones": ["eu-west-1a", "us-east-1b"]}},
            "spec.parameters.network.availabilityZones[1]: 'us-east-1b' is not an availability",
        ),
        (
            {"network": {"availabilityZones": ["eu-west-1a", "eu-west-1a"]}},
            "spec.parameters.network.availabilityZones[1]: eu-west-1a is listed twice",
        ),
        (
            {"version": "1.29"},
            "spec.parameters.version: input should be '1.31', '1.32', '1.33' or '1.34'",
        ),
        (
            {"nodePools": [_pool(), _pool(minSize=5, maxSize=3)]},
            "spec.parameters.nodePools[1].name: 'general' is already the name of nodePools[0]",
        ),
        (
            {"nodePools": [_pool(minSize=5, maxSize=3)]},
            "spec.parameters.nodePools[0].minSize: 5 is more than maxSize 3",
        ),
        (
            {"nodePools": [_pool(minSize=1, maxSize=3, desiredSize=4)]},
            "spec.parameters.nodePools[0].desiredSize: 4 is outside minSize..maxSize (1..3)",
        ),
        (
            {"nodePools": [_pool(taints=[{"key": "a", "effect": "NoWay"}])]},
            "spec.parameters.nodePools[0].taints[0].effect: input should be",
        ),
        (
            {"nodePools": [_pool(instanceTypes=["m7g.large", "m7i.large"])]},
            "spec.parameters.nodePools[0].instanceTypes: mixes Graviton",
        ),
        (
            {"nodePools": [_pool(name="Big_Pool")]},
            "spec.parameters.nodePools[0].name: string should match",
        ),
        (
            {"nodePools": [_pool(labels={"bad key!": "x"})]},
            "'bad key!' is not a Kubernetes label key",
        ),
        (
            {"nodePools": [_pool(labels={"team": "a b"})]},
            "spec.parameters.nodePools[0].labels.team: string should match pattern",
        ),
        ({"nodePools": []}, "spec.parameters.nodePools: list should have at least 1 item"),
        (
            {
                "access": {
                    "admins": ["arn:aws:iam::123456789012:role/a"],
                    "viewers": ["arn:aws:iam::123456789012:role/a"],
                }
            },
            "spec.parameters.access.viewers[0]: arn:aws:iam::123456789012:role/a is already listed",
        ),
        (
            {"access": {"admins": ["alice"]}},
            "spec.parameters.access.admins[0]: string should match pattern",
        ),
        (
            {"endpoint": {"public": False, "private": False}},
            "spec.parameters.endpoint: public and private cannot both be false",
        ),
        (
            {"endpoint": {"publicCidrs": ["0.0.0.0/0", "1.2.3.4/8"]}},
            "spec.parameters.endpoint.publicCidrs[1]: '1.2.3.4/8'",
        ),
        (
            {"oidc": {"issuerUrl": "http://insecure", "clientId": "k"}},
            "spec.parameters.oidc.issuerUrl",
        ),
        ({"logging": ["api", "everything"]}, "spec.parameters.logging[1]: input should be"),
    ],
)
def test_bad_input_is_a_fatal_result_naming_the_field(
    parameters: dict[str, Any], message: str
) -> None:
    xr = with_parameters(XR, **parameters)
    assert_fatal(xr, message)


def test_the_vpc_cni_enforces_network_policies() -> None:
    """Tenants' and in-cluster databases' NetworkPolicies are enforced, not just accepted."""
    addon = simulate.desired_resources(_final("claim"))["addon-vpc-cni"]["spec"]["forProvider"]
    assert addon["configurationValues"] == '{"enableNetworkPolicy": "true"}'
