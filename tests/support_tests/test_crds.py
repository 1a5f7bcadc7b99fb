"""Tests for the strict CRD validator in support.crds."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from support import crds
from support.crds import CRDCatalog, catalog, crds_available, validate

pytestmark = pytest.mark.skipif(
    not crds_available(),
    reason=f"CRD folder {crds.CRDS_DIR} not found (set PAVED_CRDS_DIR to a folder of CRD YAML)",
)

Manifest = dict[str, Any]


def managed(
    api_version: str, kind: str, for_provider: dict[str, Any], namespace: str | None
) -> Manifest:
    metadata: dict[str, Any] = {"name": "example"}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": metadata,
        "spec": {"forProvider": for_provider},
    }


def cluster_bucket() -> Manifest:
    return managed("s3.aws.upbound.io/v1beta2", "Bucket", {"region": "eu-west-1"}, None)


def namespaced_bucket() -> Manifest:
    return managed("s3.aws.m.upbound.io/v1beta1", "Bucket", {"region": "eu-west-1"}, "team-a")


def eks_cluster(**for_provider: Any) -> Manifest:
    return managed(
        "eks.aws.upbound.io/v1beta2",
        "Cluster",
        {"region": "eu-west-1", "roleArn": "arn:aws:iam::1:role/eks", **for_provider},
        None,
    )


def composition(pipeline: list[dict[str, Any]]) -> Manifest:
    return {
        "apiVersion": "apiextensions.crossplane.io/v1",
        "kind": "Composition",
        "metadata": {"name": "xnetworks.paved.io"},
        "spec": {
            "compositeTypeRef": {"apiVersion": "paved.io/v1alpha1", "kind": "XNetwork"},
            "mode": "Pipeline",
            "pipeline": pipeline,
        },
    }


def step(name: str, **extra: Any) -> dict[str, Any]:
    return {"step": name, "functionRef": {"name": "function-paved"}, **extra}


def k8s_object(manifest: dict[str, Any]) -> Manifest:
    return {
        "apiVersion": "kubernetes.crossplane.io/v1alpha2",
        "kind": "Object",
        "metadata": {"name": "sample-namespace"},
        "spec": {"forProvider": {"manifest": manifest}, "providerConfigRef": {"name": "default"}},
    }


def xrd(plural: str) -> Manifest:
    return {
        "apiVersion": "apiextensions.crossplane.io/v2",
        "kind": "CompositeResourceDefinition",
        "metadata": {"name": f"{plural.lower()}.paved.io"},
        "spec": {
            "group": "paved.io",
            "names": {"kind": "XNetwork", "plural": plural},
            "versions": [
                {
                    "name": "v1alpha1",
                    "served": True,
                    "referenceable": True,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
            ],
        },
    }


# --- valid resources -------------------------------------------------------------


def test_valid_cluster_scoped_bucket() -> None:
    assert validate(cluster_bucket()) == []


def test_valid_namespaced_bucket() -> None:
    assert validate(namespaced_bucket()) == []


def test_valid_composition() -> None:
    input_ = {"apiVersion": "paved.io/v1alpha1", "kind": "Input", "anything": {"goes": [1]}}
    assert validate(composition([step("render", input=input_), step("ready")])) == []


def test_valid_package_metadata_function() -> None:
    function = {
        "apiVersion": "meta.pkg.crossplane.io/v1",
        "kind": "Function",
        "metadata": {"name": "function-paved"},
        "spec": {"crossplane": {"version": ">=v2.0.0"}},
    }
    assert validate(function) == []


def test_valid_object_with_embedded_manifest() -> None:
    manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sample"}}
    assert validate(k8s_object(manifest)) == []


def test_validate_does_not_mutate_input() -> None:
    bucket = namespaced_bucket()
    before = copy.deepcopy(bucket)
    validate(bucket)
    assert bucket == before


# --- resolution of apiVersion/kind ---------------------------------------------


def test_unknown_kind_is_an_error() -> None:
    errors = validate({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert errors == ["apiVersion: no CRD for v1 ConfigMap"]


def test_version_not_served_is_an_error() -> None:
    bucket = cluster_bucket() | {"apiVersion": "s3.aws.upbound.io/v1"}
    [error] = validate(bucket)
    assert "not served" in error and "v1beta2" in error


def test_deprecated_version_fails_naming_the_storage_version() -> None:
    bucket = cluster_bucket() | {"apiVersion": "s3.aws.upbound.io/v1beta1"}
    expected = "is a deprecated version, use s3.aws.upbound.io/v1beta2"
    assert f"apiVersion: s3.aws.upbound.io/v1beta1 {expected}" in validate(bucket)


def test_deprecated_kind_without_alternative_quotes_the_warning() -> None:
    usage = {
        "apiVersion": "apiextensions.crossplane.io/v1beta1",
        "kind": "Usage",
        "metadata": {"name": "u"},
        "spec": {
            "of": {"apiVersion": "a.io/v1", "kind": "K", "resourceRef": {"name": "x"}},
            "reason": "r",
        },
    }
    [error] = validate(usage)
    assert "deprecated" in error and "protection.crossplane.io" in error


# --- structural schema -------------------------------------------------------------


def test_unknown_field_fails_with_its_path() -> None:
    bucket = namespaced_bucket()
    bucket["spec"]["forProvider"]["verison"] = "1"
    assert validate(bucket) == ["spec.forProvider.verison: unknown field"]


def test_unknown_field_inside_array_item_has_index_in_path() -> None:
    cluster = eks_cluster(vpcConfig={"subnetIds": ["a"]}, accessConfig={"bogus": True})
    cluster["spec"]["forProvider"]["encryptionConfig"] = {"resources": ["secrets"], "providr": {}}
    errors = validate(cluster)
    assert "spec.forProvider.accessConfig.bogus: unknown field" in errors
    assert "spec.forProvider.encryptionConfig.providr: unknown field" in errors


def test_wrong_type_fails() -> None:
    bucket = namespaced_bucket()
    bucket["spec"]["forProvider"]["forceDestroy"] = "yes"
    errors = validate(bucket)
    assert "spec.forProvider.forceDestroy: 'yes' is not of type 'boolean'" in errors


def test_float_is_not_an_integer() -> None:
    function = {
        "apiVersion": "pkg.crossplane.io/v1",
        "kind": "Function",
        "metadata": {"name": "function-paved"},
        "spec": {
            "package": "xpkg.crossplane.io/crossplane-contrib/function-paved:v0.1.0",
            "revisionHistoryLimit": 1.0,
        },
    }
    assert "spec.revisionHistoryLimit: 1.0 is not of type 'integer'" in validate(function)
    function["spec"]["revisionHistoryLimit"] = True
    assert "spec.revisionHistoryLimit: True is not of type 'integer'" in validate(function)
    function["spec"]["revisionHistoryLimit"] = 1
    assert validate(function) == []


def test_type_errors_block_cel_rules() -> None:
    cluster = eks_cluster(version=1.3)
    errors = validate(cluster)
    assert "spec.forProvider.version: 1.3 is not of type 'string'" in errors
    assert "<root>: validation rules were not checked because of type errors" in errors
    assert not any("vpcConfig" in error for error in errors)


def test_missing_required_field_fails_with_its_path() -> None:
    bucket = namespaced_bucket()
    bucket["spec"]["providerConfigRef"] = {"name": "aws"}
    assert validate(bucket) == ["spec.providerConfigRef.kind: required field is missing"]


def test_defaults_are_applied_before_validation() -> None:
    # providerConfigRef defaults to {kind: ClusterProviderConfig, name: default}, and
    # managementPolicies to ["*"], which the CEL rules need.
    bucket = namespaced_bucket()
    assert "providerConfigRef" not in bucket["spec"]
    assert validate(bucket) == []


def test_metadata_name_must_be_a_string() -> None:
    bucket = cluster_bucket()
    bucket["metadata"]["name"] = 7
    assert "metadata.name: 7 is not of type 'string'" in validate(bucket)


def test_metadata_is_otherwise_open() -> None:
    bucket = cluster_bucket()
    bucket["metadata"]["labels"] = {"app.kubernetes.io/name": "x"}
    bucket["metadata"]["annotations"] = {"crossplane.io/external-name": "b"}
    assert validate(bucket) == []


# --- scope ---------------------------------------------------------------------------


def test_namespaced_kind_without_namespace_fails() -> None:
    bucket = namespaced_bucket()
    del bucket["metadata"]["namespace"]
    [error] = validate(bucket)
    assert error.startswith("metadata.namespace: required")


def test_cluster_scoped_kind_with_namespace_fails() -> None:
    bucket = cluster_bucket()
    bucket["metadata"]["namespace"] = "team-a"
    [error] = validate(bucket)
    assert error.startswith("metadata.namespace: must not be set")


# --- CEL x-kubernetes-validations ---------------------------------------------------


def test_cel_required_parameter_rule_fails_with_its_message() -> None:
    assert validate(eks_cluster()) == ["spec: spec.forProvider.vpcConfig is a required parameter"]


def test_cel_required_parameter_rule_passes() -> None:
    assert validate(eks_cluster(vpcConfig={"subnetIds": ["subnet-1", "subnet-2"]})) == []


def test_cel_required_parameter_satisfied_by_init_provider() -> None:
    cluster = eks_cluster()
    cluster["spec"]["initProvider"] = {"vpcConfig": {"subnetIds": ["subnet-1"]}}
    assert validate(cluster) == []


def test_cel_required_parameter_not_needed_when_only_observing() -> None:
    cluster = eks_cluster()
    cluster["spec"]["managementPolicies"] = ["Observe"]
    assert validate(cluster) == []


def test_cel_escapes_reserved_property_names() -> None:
    # The rule reads self.forProvider.__namespace__.
    association = managed(
        "eks.aws.m.upbound.io/v1beta1",
        "PodIdentityAssociation",
        {"region": "eu-west-1", "serviceAccount": "app", "namespace": "apps"},
        "team-a",
    )
    assert validate(association) == []
    del association["spec"]["forProvider"]["namespace"]
    assert validate(association) == ["spec: spec.forProvider.namespace is a required parameter"]


def test_cel_lower_ascii() -> None:
    assert validate(xrd("xnetworks")) == []
    assert validate(xrd("XNetworks")) == ["spec.names: Plural name must be lowercase"]


def test_cel_rule_inside_array_items_reports_the_item_path() -> None:
    credentials = [{"name": "creds", "source": "Secret"}]
    errors = validate(composition([step("render", credentials=credentials)]))
    assert errors == ["spec.pipeline[0].credentials[0]: the Secret source requires a secretRef"]


def test_cel_rule_on_composition_spec() -> None:
    manifest = composition([])
    del manifest["spec"]["pipeline"]
    assert validate(manifest) == ["spec: an array of pipeline steps is required in Pipeline mode"]


# --- list types and embedded resources ---------------------------------------------


def test_duplicate_entries_in_list_type_set_fail() -> None:
    cluster = eks_cluster(vpcConfig={"subnetIds": ["subnet-1", "subnet-2", "subnet-1"]})
    [error] = validate(cluster)
    assert error.startswith("spec.forProvider.vpcConfig.subnetIds[2]: duplicate entry")


def test_duplicate_keys_in_list_type_map_fail() -> None:
    [error] = validate(composition([step("render"), step("render")]))
    assert error.startswith('spec.pipeline[1]: duplicate entry {"step": "render"}')


def test_embedded_manifest_without_kind_fails() -> None:
    manifest = {"apiVersion": "v1", "metadata": {"name": "sample"}}
    assert validate(k8s_object(manifest)) == [
        "spec.forProvider.manifest.kind: required in an embedded resource"
    ]


def test_embedded_function_input_without_api_version_fails() -> None:
    errors = validate(composition([step("render", input={"kind": "Input"})]))
    assert errors == ["spec.pipeline[0].input.apiVersion: required in an embedded resource"]


# --- catalog --------------------------------------------------------------------------


def test_catalog_kinds_and_scope() -> None:
    kinds = catalog().kinds()
    assert ("s3.aws.m.upbound.io/v1beta1", "Bucket") in kinds
    assert ("s3.aws.upbound.io/v1beta2", "Bucket") in kinds
    assert ("apiextensions.crossplane.io/v1", "Composition") in kinds
    assert catalog().scope("s3.aws.m.upbound.io/v1beta1", "Bucket") == "Namespaced"
    assert catalog().scope("s3.aws.upbound.io/v1beta2", "Bucket") == "Cluster"


def test_index_matches_sources_json() -> None:
    sources = crds.CRDS_DIR / "sources.json"
    if not sources.exists():
        pytest.skip("no sources.json next to the CRDs")
    expected = {
        (f"{crd['group']}/{version}", crd["kind"])
        for entry in json.loads(sources.read_text())
        for crd in entry["crds"]
        for version in crd["served"]
    }
    assert catalog().kinds() == expected


# --- synthetic CRD: rule handling details -----------------------------------------


SYNTHETIC_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.test.paved.io
spec:
  group: test.paved.io
  names:
    kind: Widget
    plural: widgets
  scope: Cluster
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            properties:
              max-size: {type: integer}
              ratio: {type: number}
              name: {type: string}
              labels:
                type: object
                additionalProperties: {type: string}
            x-kubernetes-validations:
            - rule: "!has(self.max__dash__size) || self.max__dash__size < 10"
              messageExpression: "'max-size ' + string(self.max__dash__size) + ' is too big'"
            - rule: "!has(self.ratio) || self.ratio < 0.5"
            - rule: "self.name.split('-').size() > 1"
            - rule: "self == oldSelf"
            - rule: "self.name +"
            - rule: "!has(self.labels) || !('a-b' in self.labels) || self.labels['a-b'] == 'ok'"
              message: map keys are not escaped
"""


@pytest.fixture
def synthetic(tmp_path: Path) -> CRDCatalog:
    (tmp_path / "widgets.yaml").write_text(SYNTHETIC_CRD)
    return CRDCatalog(tmp_path)


def widget(**spec: Any) -> Manifest:
    return {
        "apiVersion": "test.paved.io/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": spec,
    }


def test_synthetic_rules(synthetic: CRDCatalog) -> None:
    # ratio is a number: an integer must reach CEL as a double to compare with 0.5.
    errors = synthetic.validate(widget(**{"max-size": 12, "ratio": 1, "labels": {"a-b": "no"}}))
    assert errors == [
        "spec: max-size 12 is too big",
        "spec: failed rule: !has(self.ratio) || self.ratio < 0.5",
        "spec: rule 'self.name +' failed to compile (CELParseError: self.name + ^)",
        "spec: map keys are not escaped",
    ]
    assert "self.name.split('-').size() > 1" in crds.UNSUPPORTED_RULES
    assert "self == oldSelf" not in crds.UNSUPPORTED_RULES


def test_synthetic_compile_error_names_the_rule(synthetic: CRDCatalog) -> None:
    errors = synthetic.validate(widget(name="a-b"))
    assert len(errors) == 1
    assert errors[0].startswith("spec: rule 'self.name +' failed to compile")


def test_synthetic_evaluation_error_names_the_rule(tmp_path: Path) -> None:
    crd = SYNTHETIC_CRD.replace('"self.name +"', '"size(self.name) > 0"')
    (tmp_path / "widgets.yaml").write_text(crd)
    errors = CRDCatalog(tmp_path).validate(widget())
    assert len(errors) == 1
    assert errors[0].startswith("spec: rule 'size(self.name) > 0' failed to evaluate")
