"""What differs between claim and namespaced mode, said once, in Shape."""

from __future__ import annotations

from functions.kit.shapes import ProviderConfigRef, Shape, aws, crossplane_contrib

BUCKET = aws("s3", "Bucket", "v1beta2")
OBJECT = crossplane_contrib("kubernetes", "Object", "v1alpha2", "v1alpha1")
CLAIM = Shape(False, None, ProviderConfigRef("default"))
NAMESPACED = Shape(True, "team-a", ProviderConfigRef("default", "ProviderConfig"))


def test_a_managed_resource_in_claim_mode() -> None:
    assert CLAIM.managed(BUCKET, "b", {"region": "eu-west-1"}, external_name="my-bucket") == {
        "apiVersion": "s3.aws.upbound.io/v1beta2",
        "kind": "Bucket",
        "metadata": {"name": "b", "annotations": {"crossplane.io/external-name": "my-bucket"}},
        "spec": {
            "forProvider": {"region": "eu-west-1"},
            "providerConfigRef": {"name": "default"},
            "deletionPolicy": "Delete",
        },
    }


def test_a_managed_resource_in_namespaced_mode() -> None:
    assert NAMESPACED.managed(BUCKET, "b", {"region": "eu-west-1"}) == {
        "apiVersion": "s3.aws.m.upbound.io/v1beta1",
        "kind": "Bucket",
        "metadata": {"name": "b", "namespace": "team-a"},
        "spec": {
            "forProvider": {"region": "eu-west-1"},
            "providerConfigRef": {"kind": "ProviderConfig", "name": "default"},
        },
    }


def test_orphaning_is_a_deletion_policy_or_management_policies() -> None:
    orphan = Shape(False, None, ProviderConfigRef("default"), "Orphan")
    assert orphan.managed(BUCKET, "b", {})["spec"]["deletionPolicy"] == "Orphan"
    orphan_ns = Shape(True, "team-a", ProviderConfigRef("default"), "Orphan")
    spec = orphan_ns.managed(BUCKET, "b", {})["spec"]
    assert "deletionPolicy" not in spec
    assert "Delete" not in spec["managementPolicies"]


def test_connection_secrets_and_secret_refs() -> None:
    assert CLAIM.managed(BUCKET, "b", {}, connection_secret="s")["spec"][
        "writeConnectionSecretToRef"
    ] == {"name": "s", "namespace": "crossplane-system"}
    assert NAMESPACED.managed(BUCKET, "b", {}, connection_secret="s")["spec"][
        "writeConnectionSecretToRef"
    ] == {"name": "s"}
    assert CLAIM.secret_ref("s", "password") == {
        "name": "s",
        "namespace": "crossplane-system",
        "key": "password",
    }
    assert NAMESPACED.secret_ref("s", "password") == {"name": "s", "key": "password"}


def test_contrib_kinds_have_their_own_namespaced_group() -> None:
    assert CLAIM.api_version(OBJECT) == "kubernetes.crossplane.io/v1alpha2"
    assert NAMESPACED.api_version(OBJECT) == "kubernetes.m.crossplane.io/v1alpha1"
