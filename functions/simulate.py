"""A stand-in for Crossplane and the providers: requests, fake observed state, reconcile replay.

Used by `paved render --until-ready`, the tests' reconcile replays and the benchmark. The fake
provider answers like the real ones do: `status.atProvider` echoes `forProvider` plus the computed
fields (ids, ARNs, endpoints), Ready and Synced conditions, and connection details where the real
provider writes them.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from functions.kit.names import short_hash
from functions.kit.observed import lookup

COMPOSITION_RESOURCE_NAME = "crossplane.io/composition-resource-name"
TRANSITION_TIME = "2026-01-01T00:00:00Z"
ACCOUNT_ID = "123456789012"


@dataclass
class ObservedResource:
    resource: dict[str, Any]
    connection_details: dict[str, bytes] = field(default_factory=dict)


# -- requests ---------------------------------------------------------------------------------


def claim_to_xr(claim: dict[str, Any]) -> dict[str, Any]:
    """The cluster-scoped XR Crossplane creates for a claim (kind Bucket -> XBucket)."""
    metadata = claim.get("metadata") or {}
    name = metadata.get("name", "claim")
    namespace = metadata.get("namespace", "default")
    return {
        "apiVersion": claim.get("apiVersion"),
        "kind": "X" + str(claim.get("kind")),
        "metadata": {
            "name": f"{name}-{short_hash(namespace, name, length=5)}",
            "labels": {
                "crossplane.io/claim-name": name,
                "crossplane.io/claim-namespace": namespace,
            },
        },
        "spec": {
            **copy.deepcopy(claim.get("spec") or {}),
            "claimRef": {
                "apiVersion": claim.get("apiVersion"),
                "kind": claim.get("kind"),
                "name": name,
                "namespace": namespace,
            },
        },
    }


def as_xr(document: dict[str, Any], claim_kinds: set[str]) -> dict[str, Any]:
    """A claim becomes its XR; an XR is taken as it is."""
    return claim_to_xr(document) if document.get("kind") in claim_kinds else document


def request(
    xr: dict[str, Any],
    observed: Mapping[str, ObservedResource] | None = None,
    *,
    required: Mapping[str, list[dict[str, Any]]] | None = None,
    input_: dict[str, Any] | None = None,
    tag: str = "",
) -> fnv1.RunFunctionRequest:
    req = fnv1.RunFunctionRequest(meta=fnv1.RequestMeta(tag=tag))
    req.observed.composite.resource.update(xr)
    for key, item in sorted((observed or {}).items()):
        target = req.observed.resources[key]
        target.resource.update(item.resource)
        for name, value in item.connection_details.items():
            target.connection_details[name] = value
    for name, items in (required or {}).items():
        resources = req.required_resources[name]
        for item in items:
            resources.items.add().resource.update(item)
    if input_ is not None:
        req.input.update(input_)
    return req


def desired_resources(rsp: fnv1.RunFunctionResponse) -> dict[str, dict[str, Any]]:
    return {key: lookup(value.resource) for key, value in sorted(rsp.desired.resources.items())}


# -- the fake provider ------------------------------------------------------------------------


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
    region = r["spec"]["forProvider"].get("region", "us-east-1")
    return {"arn": _arn("kms", region, f"key/{external_name}"), "keyId": external_name}, {}


def _region(r: dict[str, Any]) -> str:
    return str(r["spec"]["forProvider"].get("region", "us-east-1"))


_DB_PORTS = {"postgres": 5432, "mysql": 3306, "mariadb": 3306}


def _db_instance(r: dict[str, Any], external_name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """An RDS Instance: the identifier is the external name; the provider publishes
    endpoint, address, host, port, username and (generated) password as connection details."""
    for_provider = r["spec"]["forProvider"]
    region = _region(r)
    engine = for_provider.get("engine", "postgres")
    port = int(for_provider.get("port") or _DB_PORTS.get(engine, 5432))
    cluster_id = short_hash("rds", ACCOUNT_ID, region, length=12)
    address = f"{external_name}.c{cluster_id}.{region}.rds.amazonaws.com"
    username = for_provider.get("username", "admin")
    version = str(for_provider.get("engineVersion", ""))
    computed = {
        "address": address,
        "endpoint": f"{address}:{port}",
        "port": port,
        "arn": _arn("rds", region, f"db:{external_name}"),
        "resourceId": "db-" + short_hash("resource", region, external_name, length=26).upper(),
        "hostedZoneId": "Z29XKXDKYMONMX",
        "engineVersionActual": f"{version}.1" if version.count(".") < 2 else version,
        "status": "available",
        "id": external_name,
    }
    key_ref = for_provider.get("kmsKeyIdRef")
    if key_ref:  # resolved like the provider does, to the ARN the Key fake gives that Key
        key_id = fake_id("id", r["metadata"].get("namespace", ""), key_ref["name"])
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
            "password", r["metadata"].get("namespace", ""), external_name, length=27
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
    group_id = fake_id(
        "sg", r["metadata"].get("namespace", ""), r["metadata"].get("name", external_name)
    )
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
    rule_id = fake_id(
        "sgr", r["metadata"].get("namespace", ""), r["metadata"].get("name", external_name)
    )
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
        computed: dict[str, Any] = {"id": resource_id, "ownerId": ACCOUNT_ID}
        if arn_type:
            computed["arn"] = _arn("ec2", _region(r), f"{arn_type}/{resource_id}")
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


# Per-kind computed fields and connection details, keyed by kind. Blueprints' kinds register here.
Fake = Callable[[dict[str, Any], str], tuple[dict[str, Any], dict[str, bytes]]]
FAKES: dict[str, Fake] = {
    "Bucket": _bucket,
    "Key": _kms_key,
    "Instance": _db_instance,
    "SubnetGroup": _db_subnet_group,
    "ParameterGroup": _db_parameter_group,
    "SecurityGroup": _security_group,
    "SecurityGroupIngressRule": _security_group_ingress_rule,
    "VPC": _ec2("vpc", "vpc"),
    "Subnet": _ec2("subnet", "subnet"),
    "InternetGateway": _ec2("igw", "internet-gateway"),
    "RouteTable": _ec2("rtb", "route-table"),
    "EIP": _eip,
    "NATGateway": _nat_gateway,
    "Role": _iam_role,
    "Cluster": _eks_cluster,
    "ClusterAuth": _eks_cluster_auth,
    "NodeGroup": _eks_node_group,
    "Addon": _eks_arn("addon"),
    "AccessEntry": _eks_arn("access-entry", "accessEntryArn"),
    "IdentityProviderConfig": _eks_arn("identityproviderconfig"),
    "PodIdentityAssociation": _eks_pod_identity_association,
}


def observe(key: str, desired: dict[str, Any], *, ready: bool = True) -> ObservedResource:
    """What Crossplane would observe once the provider has created `desired`."""
    resource = copy.deepcopy(desired)
    metadata = resource.setdefault("metadata", {})
    annotations = metadata.setdefault("annotations", {})
    annotations[COMPOSITION_RESOURCE_NAME] = key
    external_name = annotations.get("crossplane.io/external-name") or fake_id(
        "id", metadata.get("namespace", ""), metadata.get("name", key)
    )
    metadata["uid"] = short_hash(
        "uid", metadata.get("namespace", ""), metadata.get("name", key), length=32
    )
    status: dict[str, Any] = {}
    details: dict[str, bytes] = {}
    spec = resource.get("spec") or {}
    if "forProvider" in spec:
        annotations["crossplane.io/external-name"] = external_name
        at_provider = {
            k: v
            for k, v in spec["forProvider"].items()
            if not k.endswith(("Ref", "Refs", "Selector"))
        }
        at_provider["id"] = external_name
        fake = FAKES.get(resource.get("kind", ""))
        if fake:
            computed, details = fake(resource, external_name)
            at_provider.update(computed)
        status["atProvider"] = at_provider
        status["conditions"] = _conditions(ready)
    elif resource.get("kind") in ("Release", "Object"):
        status["conditions"] = _conditions(ready)
    if status:
        resource["status"] = status
    return ObservedResource(resource, details)


def _conditions(ready: bool) -> list[dict[str, str]]:
    return [
        {
            "type": "Ready",
            "status": "True" if ready else "False",
            "reason": "Available" if ready else "Creating",
            "lastTransitionTime": TRANSITION_TIME,
        },
        {
            "type": "Synced",
            "status": "True",
            "reason": "ReconcileSuccess",
            "lastTransitionTime": TRANSITION_TIME,
        },
    ]


# -- reconcile replay -------------------------------------------------------------------------


@dataclass
class Round:
    request: fnv1.RunFunctionRequest
    response: fnv1.RunFunctionResponse

    @property
    def desired(self) -> dict[str, dict[str, Any]]:
        return desired_resources(self.response)

    @property
    def fatal(self) -> list[str]:
        return [r.message for r in self.response.results if r.severity == fnv1.SEVERITY_FATAL]


Run = Callable[[fnv1.RunFunctionRequest], fnv1.RunFunctionResponse]


def replay(
    run: Run,
    xr: dict[str, Any],
    *,
    required: Mapping[str, list[dict[str, Any]]] | None = None,
    max_rounds: int = 20,
) -> list[Round]:
    """Reconcile like Crossplane with providers that create everything instantly.

    Each round feeds the previous round's desired resources back as observed and Ready, and the
    XR status back into the XR, until the desired set stops changing.
    """
    rounds: list[Round] = []
    observed: dict[str, ObservedResource] = {}
    xr = copy.deepcopy(xr)
    for _ in range(max_rounds):
        req = request(xr, observed, required=required)
        rsp = run(req)
        rounds.append(Round(req, rsp))
        desired = desired_resources(rsp)
        if rounds[-1].fatal:
            break
        status = lookup(rsp.desired.composite.resource, "status")
        if status:
            xr["status"] = status
        if set(desired) == set(observed) and all(
            _same_spec(observed[k].resource, desired[k]) for k in desired
        ):
            break
        observed = {key: observe(key, resource) for key, resource in desired.items()}
    return rounds


def fully_observed(run: Run, xr: dict[str, Any], **kwargs: Any) -> fnv1.RunFunctionRequest:
    """The request of a fully composed, fully ready XR (the steady state)."""
    return replay(run, xr, **kwargs)[-1].request


def _same_spec(observed: dict[str, Any], desired: dict[str, Any]) -> bool:
    return observed.get("spec") == desired.get("spec") and observed.get("data") == desired.get(
        "data"
    )


def decode_secret_data(secret: dict[str, Any]) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
