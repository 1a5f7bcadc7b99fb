"""Fake providers: what the Upbound AWS family, provider-helm and provider-kubernetes report.

`status.atProvider` echoes `forProvider` plus the computed fields (ids, ARNs, endpoints), Ready
and Synced conditions, the external name the provider writes, and connection details where the
real provider publishes them. Keyed by the kind objects of `functions/resources/kinds.py`.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Iterable
from typing import Any

from functions.kit.names import short_hash
from functions.kit.shapes import Kind
from functions.resources import kinds
from functions.resources.names import EXTERNAL_NAME
from functions.simulate.claims import uid
from functions.simulate.requests import COMPOSITION_RESOURCE_NAME, ObservedResource

TRANSITION_TIME = "2026-01-01T00:00:00Z"
ACCOUNT_ID = "123456789012"


def fake_id(prefix: str, *parts: str) -> str:
    return f"{prefix}-{short_hash(*parts, length=17)}"


def _arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


def _bucket(r: dict[str, Any], external_name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    return {
        "arn": f"arn:aws:s3:::{external_name}",
        "bucketDomainName": f"{external_name}.s3.amazonaws.com",
    }, {}


def _kms_key(r: dict[str, Any], external_name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    return {"arn": _arn("kms", _region(r), f"key/{external_name}"), "keyId": external_name}, {}


def _region(r: dict[str, Any]) -> str:
    return str(r["spec"]["forProvider"].get("region", "us-east-1"))


_DB_PORTS = {"postgres": 5432, "mysql": 3306, "mariadb": 3306}


def _db_instance(r: dict[str, Any], external_name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """An RDS Instance. Its external name is the DbiResourceId the provider reads back (`db-...`,
    IdentifierFromProvider); the DB identifier is `forProvider.identifier`, or a Terraform-generated
    `terraform-...` name when that is unset. The provider publishes endpoint, address, host, port,
    username and the generated password as connection details."""
    for_provider = r["spec"]["forProvider"]
    region = _region(r)
    metadata = r.get("metadata") or {}
    identity = (metadata.get("namespace", ""), metadata.get("name", ""))
    identifier = for_provider.get("identifier") or "terraform-" + short_hash(
        "tf-name", region, *identity, length=26
    )
    engine = for_provider.get("engine", "postgres")
    port = int(for_provider.get("port") or _DB_PORTS.get(engine, 5432))
    cluster_id = short_hash("rds", ACCOUNT_ID, region, length=12)
    address = f"{identifier}.c{cluster_id}.{region}.rds.amazonaws.com"
    username = for_provider.get("username", "admin")
    version = str(for_provider.get("engineVersion", ""))
    resource_id = "db-" + short_hash("resource", region, identifier, length=26).upper()
    computed = {
        "identifier": identifier,
        "address": address,
        "endpoint": f"{address}:{port}",
        "port": port,
        "arn": _arn("rds", region, f"db:{identifier}"),
        "resourceId": resource_id,
        "hostedZoneId": "Z29XKXDKYMONMX",
        "engineVersionActual": f"{version}.1" if version.count(".") < 2 else version,
        "status": "available",
        "id": resource_id,
    }
    key_ref = for_provider.get("kmsKeyIdRef")
    if key_ref:  # resolved like the provider does, to the ARN the Key fake gives that Key
        key_id = _ref_id("id", r, key_ref)
        computed["kmsKeyId"] = _arn("kms", region, f"key/{key_id}")
    details = {
        "endpoint": f"{address}:{port}".encode(),
        "address": address.encode(),
        "host": address.encode(),
        "port": str(port).encode(),
        "username": str(username).encode(),
    }
    if for_provider.get("autoGeneratePassword"):
        details["password"] = short_hash(
            "password", metadata.get("namespace", ""), identifier, length=27
        ).encode()
    return computed, details


def _db_subnet_group(
    r: dict[str, Any], external_name: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    return {
        "arn": _arn("rds", _region(r), f"subgrp:{external_name}"),
        "supportedNetworkTypes": ["IPV4"],
    }, {}


def _db_parameter_group(
    r: dict[str, Any], external_name: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    return {"arn": _arn("rds", _region(r), f"pg:{external_name}")}, {}


def _security_group(
    r: dict[str, Any], external_name: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    group_id = _named_id("sg", r)
    return {
        "id": group_id,
        "arn": _arn("ec2", _region(r), f"security-group/{group_id}"),
        "ownerId": ACCOUNT_ID,
        "egress": [],
        "ingress": [],
    }, {}


def _security_group_ingress_rule(
    r: dict[str, Any], external_name: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    rule_id = _named_id("sgr", r)
    return {
        "id": rule_id,
        "securityGroupRuleId": rule_id,
        "arn": _arn("ec2", _region(r), f"security-group-rule/{rule_id}"),
    }, {}


# -- XCluster's kinds (EC2 network, IAM, EKS) --


def _named_id(prefix: str, r: dict[str, Any]) -> str:
    """An AWS-style id (vpc-..., subnet-...) derived from the resource's namespace and name."""
    metadata = r.get("metadata") or {}
    return fake_id(prefix, metadata.get("namespace", ""), metadata.get("name", ""))


def _ref_id(prefix: str, r: dict[str, Any], ref: dict[str, Any]) -> str:
    """The id `_named_id` gives the resource a reference names (same namespace)."""
    return fake_id(prefix, (r.get("metadata") or {}).get("namespace", ""), ref.get("name", ""))


def _ec2(prefix: str, arn_type: str | None = None) -> Fake:
    def fake(r: dict[str, Any], external_name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
        resource_id = _named_id(prefix, r)
        computed: dict[str, Any] = {"id": resource_id}
        if arn_type:  # what has an ARN has an owner (the associations have neither)
            computed["arn"] = _arn("ec2", _region(r), f"{arn_type}/{resource_id}")
            computed["ownerId"] = ACCOUNT_ID
        return computed, {}

    return fake


def _eip(r: dict[str, Any], external_name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    allocation = _named_id("eipalloc", r)
    digest = int(short_hash(allocation, length=4), 16)
    return {
        "id": allocation,
        "allocationId": allocation,
        "publicIp": f"198.51.100.{digest % 254 + 1}",
        "arn": _arn("ec2", _region(r), f"elastic-ip/{allocation}"),
    }, {}


def _nat_gateway(r: dict[str, Any], external_name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    return {"id": _named_id("nat", r), "networkInterfaceId": _named_id("eni", r)}, {}


def _iam_role(r: dict[str, Any], external_name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    return {
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{external_name}",
        "uniqueId": "AROA" + short_hash("role", external_name, length=17).upper(),
    }, {}


def _eks_cluster(r: dict[str, Any], external_name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """An EKS Cluster (v1beta2 shape): endpoint, OIDC issuer, cluster security group, VPC."""
    for_provider = r["spec"]["forProvider"]
    region = _region(r)
    digest = short_hash("eks", region, external_name, length=32).upper()
    vpc_config = {
        k: v
        for k, v in (for_provider.get("vpcConfig") or {}).items()
        if not k.endswith(("Refs", "Selector"))
    }
    subnet_refs = (for_provider.get("vpcConfig") or {}).get("subnetIdRefs") or []
    vpc_config.update(
        {
            "clusterSecurityGroupId": fake_id("sg", "eks-cluster-sg", region, external_name),
            "subnetIds": vpc_config.get("subnetIds")
            or [_ref_id("subnet", r, ref) for ref in subnet_refs],
            "vpcId": fake_id("vpc", "eks", region, external_name),
        }
    )
    return {
        "arn": _arn("eks", region, f"cluster/{external_name}"),
        "endpoint": f"https://{digest}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": [
            {"data": base64.b64encode(f"ca of {external_name}".encode()).decode()}
        ],
        "identity": [
            {"oidc": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{digest}"}]}
        ],
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        "vpcConfig": vpc_config,
    }, {}


def _eks_cluster_auth(
    r: dict[str, Any], external_name: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """ClusterAuth publishes a kubeconfig with a short-lived token as detail `kubeconfig`."""
    cluster = (r["spec"]["forProvider"].get("clusterNameRef") or {}).get("name") or r["spec"][
        "forProvider"
    ].get("clusterName", "cluster")
    kubeconfig = (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {cluster}\n  cluster:\n    server: https://{cluster}.eks.example\n"
        f"contexts:\n- name: {cluster}\n  context:\n    cluster: {cluster}\n    user: {cluster}\n"
        f"current-context: {cluster}\n"
        f"users:\n- name: {cluster}\n  user:\n    token: k8s-aws-v1.fake\n"
    )
    return {"lastRefreshTime": TRANSITION_TIME}, {"kubeconfig": kubeconfig.encode()}


def _without_references(value: Any) -> Any:
    """`value` without reference and selector fields, at any depth: upjet's status holds what the
    references resolved to, not the references."""
    if isinstance(value, dict):
        return {
            k: _without_references(v)
            for k, v in value.items()
            if not k.endswith(("Ref", "Refs", "Selector"))
        }
    if isinstance(value, list):
        return [_without_references(v) for v in value]
    return value


def _helm_release(r: dict[str, Any], external_name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """provider-helm's Release status (v1beta1): the installed chart version and revision."""
    chart = r["spec"]["forProvider"].get("chart") or {}
    return {
        "releaseDescription": "Install complete",
        "revision": 1,
        "state": "deployed",
        "version": chart.get("version", ""),
    }, {}


def _kubernetes_object(
    r: dict[str, Any], external_name: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """provider-kubernetes' Object status: the object as it was applied."""
    return {"manifest": copy.deepcopy(r["spec"]["forProvider"].get("manifest") or {})}, {}


def _eks_arn(kind: str, field: str = "arn") -> Fake:
    def fake(r: dict[str, Any], external_name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
        return {field: _arn("eks", _region(r), f"{kind}/{external_name}")}, {}

    return fake


def _eks_node_group(
    r: dict[str, Any], external_name: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    return {
        "arn": _arn("eks", _region(r), f"nodegroup/{external_name}"),
        "status": "ACTIVE",
        "releaseVersion": f"{r['spec']['forProvider'].get('version', '1.34')}.0-20260101",
    }, {}


def _eks_pod_identity_association(
    r: dict[str, Any], external_name: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    association = "a-" + short_hash("pia", external_name, length=17)
    return {
        "associationId": association,
        "associationArn": _arn("eks", _region(r), f"podidentityassociation/{association}"),
    }, {}


# Per-kind computed fields and connection details, by Kind; a plugin's kinds can register under
# their kind name (`FAKES["Queue"] = ...`).
Fake = Callable[[dict[str, Any], str], tuple[dict[str, Any], dict[str, bytes]]]
FAKES: dict[Kind | str, Fake] = {
    kinds.BUCKET: _bucket,
    kinds.KMS_KEY: _kms_key,
    kinds.DB_INSTANCE: _db_instance,
    kinds.DB_SUBNET_GROUP: _db_subnet_group,
    kinds.DB_PARAMETER_GROUP: _db_parameter_group,
    kinds.SECURITY_GROUP: _security_group,
    kinds.SECURITY_GROUP_INGRESS_RULE: _security_group_ingress_rule,
    kinds.VPC: _ec2("vpc", "vpc"),
    kinds.SUBNET: _ec2("subnet", "subnet"),
    kinds.INTERNET_GATEWAY: _ec2("igw", "internet-gateway"),
    kinds.ROUTE_TABLE: _ec2("rtb", "route-table"),
    kinds.ROUTE_TABLE_ASSOCIATION: _ec2("rtbassoc"),
    kinds.EIP: _eip,
    kinds.NAT_GATEWAY: _nat_gateway,
    kinds.ROLE: _iam_role,
    kinds.EKS_CLUSTER: _eks_cluster,
    kinds.CLUSTER_AUTH: _eks_cluster_auth,
    kinds.NODE_GROUP: _eks_node_group,
    kinds.ADDON: _eks_arn("addon"),
    kinds.ACCESS_ENTRY: _eks_arn("access-entry", "accessEntryArn"),
    kinds.IDENTITY_PROVIDER_CONFIG: _eks_arn("identityproviderconfig"),
    kinds.POD_IDENTITY_ASSOCIATION: _eks_pod_identity_association,
    kinds.HELM_RELEASE: _helm_release,
    kinds.KUBERNETES_OBJECT: _kubernetes_object,
}

# Kinds whose AWS name is the external name, defaulting to metadata.name (upjet's name
# initializer: NameAsIdentifier, ParameterAsIdentifier and the templated kinds that keep it).
# Every other AWS kind is IdentifierFromProvider-like: the provider writes the id it reads back.
NAMED_BY_EXTERNAL_NAME: frozenset[Kind] = frozenset(
    {
        kinds.BUCKET,
        kinds.EKS_CLUSTER,
        kinds.NODE_GROUP,
        kinds.IDENTITY_PROVIDER_CONFIG,
        kinds.ROLE,
        kinds.POLICY,
        kinds.KMS_ALIAS,
        kinds.DB_SUBNET_GROUP,
        kinds.DB_PARAMETER_GROUP,
    }
)

# Kinds that report conditions without being managed resources of the AWS family.
_CONDITIONED = (kinds.HELM_RELEASE, kinds.KUBERNETES_OBJECT)
# Parameters upjet adds to a kind's spec that are not Terraform attributes: never in its status.
SPEC_ONLY: dict[Kind, tuple[str, ...]] = {kinds.DB_INSTANCE: ("autoGeneratePassword",)}
# Managed resources whose provider is not built with upjet, or whose status is not its parameters
# (ClusterAuth): `status.atProvider` holds only what their fake reports, as their CRDs say.
OWN_STATUS: frozenset[Kind] = frozenset(
    {kinds.HELM_RELEASE, kinds.KUBERNETES_OBJECT, kinds.CLUSTER_AUTH}
)


def _by_api(kind_set: Iterable[Kind]) -> dict[tuple[str, str], Kind]:
    found = {}
    for kind in kind_set:
        found[(kind.cluster_api_version, kind.kind)] = kind
        found[(kind.namespaced_api_version, kind.namespaced_kind or kind.kind)] = kind
    return found


KNOWN_KINDS: dict[tuple[str, str], Kind] = _by_api(
    value for value in vars(kinds).values() if isinstance(value, Kind)
)


def kind_of(resource: dict[str, Any]) -> Kind | None:
    """The Kind of a composed resource, in either mode; None for kinds Paved does not compose."""
    return KNOWN_KINDS.get((str(resource.get("apiVersion")), str(resource.get("kind"))))


def observe(key: str, desired: dict[str, Any], *, ready: bool = True) -> ObservedResource:
    """What Crossplane would observe once the provider has created `desired`."""
    resource = copy.deepcopy(desired)
    kind = kind_of(resource)
    metadata = resource.setdefault("metadata", {})
    annotations = metadata.setdefault("annotations", {})
    annotations[COMPOSITION_RESOURCE_NAME] = key
    identity = (metadata.get("namespace", ""), metadata.get("name", key))
    metadata["uid"] = uid(*identity)
    status: dict[str, Any] = {}
    details: dict[str, bytes] = {}
    spec = resource.get("spec") or {}
    if "forProvider" in spec:
        named = kind in NAMED_BY_EXTERNAL_NAME
        default_name = metadata.get("name", key) if named else fake_id("id", *identity)
        external_name = annotations.get(EXTERNAL_NAME) or default_name
        fake = (FAKES.get(kind) if kind else None) or FAKES.get(str(resource.get("kind")))
        if kind in OWN_STATUS:
            # Not upjet: the provider reports its own fields, not the parameters it was given.
            at_provider, details = fake(resource, external_name) if fake else ({}, {})
            resource_id = external_name
        else:
            # upjet: every parameter, then what AWS computed (the id among it).
            at_provider = _without_references(spec["forProvider"])
            for parameter in SPEC_ONLY.get(kind, ()) if kind else ():
                at_provider.pop(parameter, None)
            at_provider["id"] = external_name
            if fake:
                computed, details = fake(resource, external_name)
                at_provider.update(computed)
            resource_id = str(at_provider["id"])
        # IdentifierFromProvider: the annotation is whatever id the provider reads back.
        annotations[EXTERNAL_NAME] = external_name if named else resource_id
        status["atProvider"] = at_provider
        status["conditions"] = _conditions(ready)
    elif kind in _CONDITIONED:
        status["conditions"] = _conditions(ready)
    if status:
        resource["status"] = status
    return ObservedResource(resource, details)


def observe_all(desired: dict[str, dict[str, Any]]) -> dict[str, ObservedResource]:
    """What Crossplane would observe once the provider has created every one of `desired`."""
    return {key: observe(key, resource) for key, resource in desired.items()}


def condition(type_: str, ok: bool, reason: str) -> dict[str, str]:
    """A condition as a provider or Crossplane writes it, at the simulation's fixed time."""
    return {
        "type": type_,
        "status": "True" if ok else "False",
        "reason": reason,
        "lastTransitionTime": TRANSITION_TIME,
    }


def _conditions(ready: bool) -> list[dict[str, str]]:
    return [
        condition("Ready", ready, "Available" if ready else "Creating"),
        condition("Synced", True, "ReconcileSuccess"),
    ]
