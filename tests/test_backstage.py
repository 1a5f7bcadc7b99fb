"""Backstage templates and catalog entities are generated from the same models as the XRDs, are
valid against Backstage's released schemas, and render claims the generated XRDs accept."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate as validate_openapi
from pydantic import BaseModel, Field
from support import backstage as bs
from support.compose import EXAMPLES, REPO, fatal_messages, run
from support.crds import CRDCatalog

from functions import backstage, simulate
from functions.blueprints import BLUEPRINTS
from functions.generate import generated_files, xrd
from functions.kit import Blueprint, CommonParameters, Model
from functions.kit.blueprint import GROUP, VERSION, ApiGroup

pytestmark = pytest.mark.skipif(
    not bs.schemas_available(),
    reason=f"no Backstage schemas at {bs.BACKSTAGE_DIR} (set PAVED_BACKSTAGE_DIR)",
)

BLUEPRINT_IDS = list(BLUEPRINTS)
MODES = [backstage.CLAIM, backstage.NAMESPACED]
TEAM = {
    backstage.NAME: "orders",
    backstage.NAMESPACE: "team-a",
    backstage.OWNER: "group:default/team-a",
    backstage.REPO_URL: "github.com?owner=acme&repo=team-a-gitops",
}


@functools.cache
def files() -> dict[str, str]:
    return backstage.backstage_files()


@functools.cache
def documents(path: str) -> dict[str, Any]:
    """Parsed once; tests only read it."""
    return yaml.safe_load(files()[path])


def template_of(blueprint: Blueprint[Any]) -> dict[str, Any]:
    return documents(f"backstage/templates/{backstage.slug(blueprint)}/template.yaml")


def xrd_parameters(blueprint: Blueprint[Any]) -> dict[str, Any]:
    version = xrd(blueprint, namespaced=False)["spec"]["versions"][0]
    return version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["parameters"]


def form_fields(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: schema
        for page in template["spec"]["parameters"]
        for name, schema in bs.properties(page)
    }


# -- rendering a template the way the scaffolder would --------------------------------------------
def example_parameters(blueprint: Blueprint[Any]) -> dict[str, Any]:
    """A real example's parameters, for the required fields a form has no default for."""
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        if isinstance(document, dict) and document.get("kind") in (
            blueprint.kind,
            blueprint.claim_kind,
        ):
            return document["spec"]["parameters"]
    raise AssertionError(f"no example for {blueprint.kind}")


def form_values(template: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for page in template["spec"]["parameters"]:
        values.update(bs.form_defaults(page, {**values, **given}))
    return {**values, **given}


def render(
    blueprint: Blueprint[Any], parameters: dict[str, Any], skeleton: Path | None = None
) -> dict[str, Any]:
    """The scaffolder's run up to the pull request: step values, then fetch:template."""
    template = template_of(blueprint)
    fetch = next(s for s in template["spec"]["steps"] if s["action"] == "fetch:template")
    values = bs.step_values(fetch["input"]["values"], parameters)
    folder = skeleton or REPO / "backstage" / "templates" / backstage.slug(blueprint) / "skeleton"
    return {path: yaml.safe_load(text) for path, text in bs.render_skeleton(folder, values).items()}


def with_defaults(blueprint: Blueprint[Any], mode: str, **given: Any) -> dict[str, Any]:
    xrd_required = xrd_parameters(blueprint).get("required", [])
    example = example_parameters(blueprint)
    fields = form_fields(template_of(blueprint))
    missing = {f: example[f] for f in xrd_required if "default" not in fields[f]}
    return form_values(template_of(blueprint), {**TEAM, backstage.MODE: mode, **missing, **given})


def xrd_catalog(tmp_path: Path, blueprint: Blueprint[Any], mode: str) -> CRDCatalog:
    """The CRD Crossplane derives from the generated XRD, for the support's CRD validator. For a
    claim, Crossplane adds `writeConnectionSecretToRef` (crossplane/internal/xcrd: the claim spec
    properties) next to the XRD's own `spec`."""
    namespaced = mode == backstage.NAMESPACED
    definition = xrd(blueprint, namespaced=namespaced)
    version = copy.deepcopy(definition["spec"]["versions"][0])
    schema = version["schema"]["openAPIV3Schema"]
    if not namespaced:
        schema["properties"]["spec"]["properties"]["writeConnectionSecretToRef"] = {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}},
        }
    schema["properties"] = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        **schema["properties"],
    }
    names = (
        {"kind": blueprint.kind, "plural": blueprint.plural}
        if namespaced
        else {"kind": blueprint.claim_kind, "plural": blueprint.claim_plural}
    )
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{names['plural']}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": names,
            "scope": "Namespaced",
            "versions": [
                {"name": VERSION, "served": True, "storage": True, "schema": version["schema"]}
            ],
        },
    }
    folder = tmp_path / f"crds-{blueprint.kind}-{mode}"
    folder.mkdir(exist_ok=True)
    (folder / "crd.yaml").write_text(yaml.safe_dump(crd))
    return CRDCatalog(folder)


def assert_accepted(tmp_path: Path, blueprint: Blueprint[Any], mode: str, resource: dict) -> None:
    """The XRD's CRD accepts it, the model parses it, and the function composes it."""
    errors = xrd_catalog(tmp_path, blueprint, mode).validate(resource)
    assert errors == [], errors
    blueprint.parameters.model_validate(resource["spec"]["parameters"])
    xr = simulate.as_xr(resource, {blueprint.claim_kind})
    assert fatal_messages(run(xr)) == []


# -- generated, committed, not stale --------------------------------------------------------------
def test_committed_backstage_files_match_the_models() -> None:
    generated = backstage.backstage_files()
    assert generated.items() <= generated_files().items(), "paved generate writes them"
    stale = [path for path, text in generated.items() if (REPO / path).read_text() != text]
    assert not stale, f"run `paved generate`: stale {stale}"
    on_disk = {
        str(path.relative_to(REPO)) for path in (REPO / "backstage").rglob("*") if path.is_file()
    }
    assert on_disk == set(generated), "files in backstage/ that paved generate does not write"


def test_there_is_a_template_for_every_blueprint() -> None:
    for blueprint in BLUEPRINTS.values():
        folder = f"backstage/templates/{backstage.slug(blueprint)}"
        assert {
            f"{folder}/template.yaml",
            f"{folder}/skeleton/resource.yaml",
            f"{folder}/skeleton/catalog-info.yaml",
        } <= set(files())


# -- valid against Backstage's schemas ------------------------------------------------------------
@pytest.mark.parametrize(
    "path", sorted(p for p in files() if not p.endswith(("resource.yaml", "catalog-info.yaml")))
)
def test_templates_and_entities_are_valid_backstage_entities(path: str) -> None:
    assert bs.entity_errors(documents(path)) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", BLUEPRINT_IDS)
def test_rendered_catalog_info_is_a_valid_resource(kind: str, mode: str) -> None:
    blueprint = BLUEPRINTS[kind]
    entity = render(blueprint, with_defaults(blueprint, mode))["catalog-info.yaml"]
    assert bs.entity_errors(entity) == []


def test_the_schema_check_catches_what_backstage_refuses() -> None:
    template = template_of(BLUEPRINTS["XBucket"])
    assert bs.entity_errors({**template, "apiVersion": "scaffolder.backstage.io/v1beta2"})
    no_steps = {**template, "spec": {k: v for k, v in template["spec"].items() if k != "steps"}}
    assert any("'steps' is a required property" in e for e in bs.entity_errors(no_steps))
    entity = render(BLUEPRINTS["XBucket"], with_defaults(BLUEPRINTS["XBucket"], "claim"))
    resource = entity["catalog-info.yaml"]
    assert bs.entity_errors({**resource, "spec": {"type": "s3-bucket"}})  # no owner
    bad_name = {**resource, "metadata": {**resource["metadata"], "name": "-orders"}}
    assert bs.naming_errors(bad_name) == ["metadata.name: '-orders' is not a valid entity name"]


# -- every model field, with the XRD's constraints ------------------------------------------------
# Keys that must agree between the XRD schema and the form field, at every depth.
CONSTRAINTS = (
    "type", "enum", "default", "minimum", "maximum", "minLength", "maxLength", "pattern",
    "minItems", "maxItems", "format", "description",
)  # fmt: skip


def _compare(path: str, xrd_schema: dict, form: dict, optional: bool) -> list[str]:
    errors = []
    for key in CONSTRAINTS:
        expected, actual = xrd_schema.get(key), form.get(key)
        if key == "description" and optional and xrd_schema.get("required"):
            ok = actual is not None and actual.startswith(expected or "")  # says what turns it on
        elif key == "default" and expected is None:
            ok = True  # a default factory's: test_form_defaults_are_the_models
        elif key == "minItems" and expected and actual is None and "default" not in form:
            ok = f"At least {expected}." in form.get("description", "")  # see form_schema
        elif key == "description" and "minItems" in xrd_schema and "minItems" not in form:
            ok = actual is not None and actual.startswith(expected or "")
        else:
            ok = expected == actual
        if not ok:
            errors.append(f"{path}.{key}: XRD {expected!r}, form {actual!r}")
    if not optional and xrd_schema.get("required") != form.get("required"):
        errors.append(
            f"{path}.required: XRD {xrd_schema.get('required')}, form {form.get('required')}"
        )
    children = xrd_schema.get("properties", {})
    if set(children) != set(form.get("properties", {})):
        errors.append(
            f"{path}: XRD fields {sorted(children)}, form {sorted(form.get('properties', {}))}"
        )
    required = set(xrd_schema.get("required", ()))
    for name, child in children.items():
        if name in form.get("properties", {}):
            errors += _compare(
                f"{path}.{name}", child, form["properties"][name], name not in required
            )
    for key in ("items", "additionalProperties"):
        if isinstance(xrd_schema.get(key), dict):
            errors += _compare(f"{path}.{key}", xrd_schema[key], form.get(key, {}), False)
    return errors


@pytest.mark.parametrize("kind", BLUEPRINT_IDS)
def test_every_model_field_is_in_the_form_or_deliberately_hidden(kind: str) -> None:
    blueprint = BLUEPRINTS[kind]
    fields = set(form_fields(template_of(blueprint))) - set(backstage.TEMPLATE_FIELDS)
    model = {field.alias or name for name, field in blueprint.parameters.model_fields.items()}
    hidden = {f for k, f in backstage.HIDDEN if k in (kind, "*")}
    assert fields == model - hidden


@pytest.mark.parametrize("kind", BLUEPRINT_IDS)
def test_form_fields_carry_the_xrd_constraints_enums_and_defaults(kind: str) -> None:
    blueprint = BLUEPRINTS[kind]
    parameters = xrd_parameters(blueprint)
    fields = form_fields(template_of(blueprint))
    required = set(parameters.get("required", ()))
    errors = []
    for name, schema in parameters["properties"].items():
        errors += _compare(name, schema, fields[name], name not in required)
    assert errors == []
    pages = template_of(blueprint)["spec"]["parameters"]
    form_required = {name for page in pages for name in page.get("required", ())}
    assert required <= form_required


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_model_in, get_args(annotation))), None)


def effective_defaults(model: type[BaseModel]) -> dict[str, Any]:
    """What the model fills in for every field left out (required nested models: theirs)."""
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    out: dict[str, Any] = model.model_construct().model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude=required, warnings=False
    )
    for name in required:
        field = model.model_fields[name]
        nested = _model_in(field.annotation)
        if nested is not None and get_origin(field.annotation) is not list:
            out[field.alias or name] = effective_defaults(nested)
    return out


def _defaults_agree(path: str, model: type[BaseModel], xrd_schema: dict, form: dict) -> list[str]:
    """Every form default is the XRD's, or where the XRD has none (a default factory), the
    model's own; at every depth, list items too."""
    errors = []
    effective = effective_defaults(model)
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in form.get("properties", {}):
            continue
        xrd_field, form_field = xrd_schema["properties"][key], form["properties"][key]
        if "default" in xrd_field:
            expected = xrd_field["default"]
        else:
            expected = effective.get(key) if "default" in form_field else None
        if form_field.get("default") != expected:
            errors.append(f"{path}.{key}: default {form_field.get('default')!r}, want {expected!r}")
        nested = _model_in(field.annotation)
        if nested is not None and "properties" in xrd_field:
            errors += _defaults_agree(f"{path}.{key}", nested, xrd_field, form_field)
        elif nested is not None and "items" in xrd_field:
            errors += _defaults_agree(
                f"{path}.{key}[]", nested, xrd_field["items"], form_field["items"]
            )
    return errors


@pytest.mark.parametrize("kind", BLUEPRINT_IDS)
def test_form_defaults_are_the_models(kind: str) -> None:
    blueprint = BLUEPRINTS[kind]
    fields = form_fields(template_of(blueprint))
    form = {"properties": {k: v for k, v in fields.items() if k not in backstage.TEMPLATE_FIELDS}}
    assert _defaults_agree(kind, blueprint.parameters, xrd_parameters(blueprint), form) == []


def test_the_form_opens_with_a_clusters_default_node_pool_and_endpoint() -> None:
    fields = form_fields(template_of(BLUEPRINTS["XCluster"]))
    assert [pool["name"] for pool in fields["nodePools"]["default"]] == ["default"]
    assert fields["endpoint"]["properties"]["publicCidrs"]["default"] == ["0.0.0.0/0"]
    assert fields["nodePools"]["items"]["properties"]["instanceTypes"]["default"] == ["m7i.large"]


@pytest.mark.parametrize("advanced", [False, True], ids=["defaults", "advanced-defaults"])
@pytest.mark.parametrize("kind", BLUEPRINT_IDS)
def test_every_form_page_is_a_json_schema_its_defaults_satisfy(kind: str, advanced: bool) -> None:
    """What the form validates before it lets a developer go on (react-jsonschema-form, draft 7):
    opened with its defaults and the required answers, every page is satisfied."""
    blueprint = BLUEPRINTS[kind]
    values = with_defaults(blueprint, "claim", **{backstage.SHOW_ADVANCED: advanced})
    for page in template_of(blueprint)["spec"]["parameters"]:
        jsonschema.Draft7Validator.check_schema(page)
        errors = [e.message for e in jsonschema.Draft7Validator(page).iter_errors(values)]
        assert errors == [], page["title"]
    first = template_of(blueprint)["spec"]["parameters"][0]
    bad = {**values, backstage.NAME: "Orders_DB", "region": "Europe"}
    assert len(list(jsonschema.Draft7Validator(first).iter_errors(bad))) == 2


def test_enums_get_a_widget_and_advanced_fields_stay_hidden_until_asked_for() -> None:
    cluster = template_of(BLUEPRINTS["XCluster"])
    fields = form_fields(cluster)
    assert fields["version"]["ui:widget"] == "select"
    assert fields["network"]["properties"]["natGateways"]["ui:widget"] == "radio"
    advanced = next(p for p in cluster["spec"]["parameters"] if p["title"] == "Advanced")
    assert list(advanced["properties"]) == [backstage.SHOW_ADVANCED]
    assert advanced["properties"][backstage.SHOW_ADVANCED]["default"] is False
    shown = advanced["dependencies"][backstage.SHOW_ADVANCED]["oneOf"][1]["properties"]
    assert {"providerConfigName", "deletionPolicy", "logging"} <= set(shown)


def test_fields_are_grouped_into_pages() -> None:
    def page_titles(kind: str) -> dict[str, str]:
        template = template_of(BLUEPRINTS[kind])
        return {
            name: page["title"]
            for page in template["spec"]["parameters"]
            for name, _ in bs.properties(page)
        }

    cluster = page_titles("XCluster")
    assert cluster["region"] == cluster["nodePools"] == "Cluster"
    assert cluster["network"] == cluster["endpoint"] == "Networking"
    assert cluster["access"] == cluster["oidc"] == "Access and security"
    assert cluster["deletionPolicy"] == "Advanced"
    database = page_titles("XDatabase")
    assert database["engine"] == database["version"] == "Database"
    assert database["network"] == "Networking"
    assert database["instanceClass"] == "Advanced"
    assert page_titles("XBucket")["encryption"] == "Access and security"


def test_placement_and_hidden_entries_name_existing_fields() -> None:
    for kind, field in [*backstage.PLACEMENT, *backstage.HIDDEN]:
        kinds = BLUEPRINTS.values() if kind == "*" else [BLUEPRINTS[kind]]
        assert all(field in xrd_parameters(b)["properties"] for b in kinds), (kind, field)


# -- steps and outputs ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", BLUEPRINT_IDS)
def test_steps_render_then_open_a_pull_request_then_register(kind: str) -> None:
    blueprint = BLUEPRINTS[kind]
    spec = template_of(blueprint)["spec"]
    steps = {step["id"]: step for step in spec["steps"]}
    assert [s["action"] for s in spec["steps"]] == [
        "fetch:template",
        "publish:github:pull-request",
        "catalog:register",
    ]
    assert steps["fetch"]["input"]["url"] == "./skeleton"
    publish = steps["publish"]["input"]
    assert publish["repoUrl"] == "${{ parameters.repoUrl }}"
    assert publish["sourcePath"] == steps["fetch"]["input"]["targetPath"]
    slug = backstage.slug(blueprint)
    assert publish["targetPath"] == (
        f"${{{{ parameters.repoPath }}}}/${{{{ parameters.resourceNamespace }}}}/"
        f"{slug}-${{{{ parameters.resourceName }}}}"
    )
    register = steps["register"]["input"]
    assert register["optional"] is True
    assert register["catalogInfoUrl"].endswith(f"{publish['targetPath']}/catalog-info.yaml")
    links = spec["output"]["links"]
    assert links[0]["url"] == "${{ steps['publish'].output.remoteUrl }}"
    namespace, name = "${{ parameters.resourceNamespace }}", "${{ parameters.resourceName }}"
    assert links[1]["entityRef"] == f"resource:{namespace}/{name}-{slug}"
    repository_page = spec["parameters"][-1]
    assert set(repository_page["required"]) == {backstage.REPO_URL, backstage.REPO_PATH}
    assert repository_page["properties"][backstage.REPO_URL]["ui:field"] == "RepoUrlPicker"


# -- the skeleton renders claims the XRD accepts --------------------------------------------------
@pytest.mark.parametrize("advanced", [False, True], ids=["defaults", "advanced-defaults"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", BLUEPRINT_IDS)
def test_the_template_defaults_render_a_resource_the_xrd_accepts(
    tmp_path: Path, kind: str, mode: str, advanced: bool
) -> None:
    blueprint = BLUEPRINTS[kind]
    given = with_defaults(blueprint, mode, **{backstage.SHOW_ADVANCED: advanced})
    resource = render(blueprint, given)["resource.yaml"]
    assert resource["apiVersion"] == blueprint.api_version
    assert resource["kind"] == (blueprint.kind if mode == "namespaced" else blueprint.claim_kind)
    assert resource["metadata"]["name"] == "orders"
    assert resource["metadata"]["namespace"] == "team-a"
    if mode == "claim" and blueprint.connection_keys:
        assert resource["spec"]["writeConnectionSecretToRef"] == {"name": "orders-connection"}
    else:
        assert "writeConnectionSecretToRef" not in resource["spec"]
    assert_accepted(tmp_path, blueprint, mode, resource)


def _examples() -> list[Path]:
    """Every example of a blueprint served here (a plugin's examples: its own tests')."""
    kinds = {kind for b in BLUEPRINTS.values() for kind in (b.kind, b.claim_kind)}
    return sorted(
        path
        for path in EXAMPLES.rglob("*.yaml")
        if str(yaml.safe_load(path.read_text()).get("apiVersion", "")).startswith(GROUP)
        and yaml.safe_load(path.read_text()).get("kind") in kinds
        # A required resource for `paved render -e` (it has a status) is not something to fill in.
        and "status" not in yaml.safe_load(path.read_text())
    )


@pytest.mark.parametrize("example", _examples(), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_a_form_filled_like_an_example_renders_that_example(tmp_path: Path, example: Path) -> None:
    document = yaml.safe_load(example.read_text())
    blueprint = next(b for b in BLUEPRINTS.values() if document["kind"] in (b.kind, b.claim_kind))
    mode = "namespaced" if document["kind"] == blueprint.kind else "claim"
    parameters = document["spec"]["parameters"]
    given = {**TEAM, backstage.MODE: mode, **parameters}
    resource = render(blueprint, given)["resource.yaml"]
    rendered = resource["spec"]["parameters"]
    # What the example states, less what it states the default of: the same parameters.
    assert _within(rendered, parameters)
    model = blueprint.parameters
    assert model.model_validate(rendered) == model.model_validate(parameters)
    assert_accepted(tmp_path, blueprint, mode, resource)


def _within(part: Any, whole: Any) -> bool:
    if isinstance(part, dict) and isinstance(whole, dict):
        return all(key in whole and _within(value, whole[key]) for key, value in part.items())
    return bool(part == whole)


def test_a_claim_says_only_what_differs_from_the_defaults() -> None:
    cluster = BLUEPRINTS["XCluster"]
    given = with_defaults(cluster, "claim", network={"cidr": "10.40.0.0/16", "zones": 3})
    rendered = render(cluster, given)["resource.yaml"]["spec"]["parameters"]
    assert rendered == {"region": "eu-west-1", "network": {"cidr": "10.40.0.0/16"}}
    pools = [{**given["nodePools"][0], "maxSize": 9}]
    rendered = render(cluster, {**given, "nodePools": pools})["resource.yaml"]["spec"]["parameters"]
    assert rendered["nodePools"] == pools  # a list is written whole once it differs


def test_a_tenant_cluster_from_the_form_leaves_the_dedicated_only_fields_out(
    tmp_path: Path,
) -> None:
    cluster = BLUEPRINTS["XCluster"]
    if "isolation" not in xrd_parameters(cluster)["properties"]:
        pytest.skip("no tenancy in this XCluster")
    given = with_defaults(
        cluster, "claim", isolation="vcluster", host={"clusterRef": {"name": "platform"}}
    )
    resource = render(cluster, given)["resource.yaml"]
    assert resource["spec"]["parameters"] == {
        "region": "eu-west-1",
        "isolation": "vcluster",
        "host": {"clusterRef": {"name": "platform"}},
    }
    assert xrd_catalog(tmp_path, cluster, "claim").validate(resource) == []
    cluster.parameters.model_validate(resource["spec"]["parameters"])


def test_an_optional_block_is_written_only_once_its_required_fields_are_set(tmp_path: Path) -> None:
    cluster = BLUEPRINTS["XCluster"]
    # The form sends the optional block's defaults; without issuerUrl and clientId it is left out.
    half = with_defaults(cluster, "claim", oidc={"usernameClaim": "email", "clientId": "k8s"})
    assert "oidc" not in render(cluster, half)["resource.yaml"]["spec"]["parameters"]
    full = {"issuerUrl": "https://sso.example.com", "clientId": "k8s", "usernameClaim": "email"}
    resource = render(cluster, with_defaults(cluster, "claim", oidc=full))["resource.yaml"]
    assert resource["spec"]["parameters"]["oidc"] == {
        "issuerUrl": "https://sso.example.com",
        "clientId": "k8s",
    }
    assert_accepted(tmp_path, cluster, "claim", resource)

    database = BLUEPRINTS["XDatabase"]
    by_cluster = with_defaults(database, "claim", network={"clusterRef": {"name": "platform"}})
    resource = render(database, by_cluster)["resource.yaml"]
    assert resource["spec"]["parameters"]["network"] == {"clusterRef": {"name": "platform"}}
    empty_ref = {"clusterRef": {}, "vpcId": "vpc-0a1b2c3d"}
    resource = render(database, with_defaults(database, "claim", network=empty_ref))[
        "resource.yaml"
    ]
    assert resource["spec"]["parameters"]["network"] == {"vpcId": "vpc-0a1b2c3d"}


def test_the_form_required_lists_leave_optional_blocks_optional() -> None:
    fields = form_fields(template_of(BLUEPRINTS["XCluster"]))
    assert "required" not in fields["oidc"]
    assert fields["oidc"]["description"].endswith(
        "Optional: set issuerUrl, clientId to turn it on."
    )
    assert fields["nodePools"]["items"]["required"] == ["name"]  # items are always complete


# -- the catalog entity ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", BLUEPRINT_IDS)
def test_a_claim_becomes_a_resource_owned_by_the_team_that_the_plugins_can_find(kind: str) -> None:
    blueprint = BLUEPRINTS[kind]
    entity = render(blueprint, with_defaults(blueprint, "claim"))["catalog-info.yaml"]
    slug = backstage.slug(blueprint)
    assert entity["kind"] == "Resource"
    assert entity["metadata"]["name"] == f"orders-{slug}"
    assert entity["metadata"]["namespace"] == "team-a"
    assert entity["spec"]["type"] == {
        "XBucket": "s3-bucket",
        "XCluster": "eks-cluster",
        "XDatabase": "rds-database",
    }.get(kind, f"paved-{slug}")
    assert entity["spec"]["owner"] == "group:default/team-a"
    annotations = entity["metadata"]["annotations"]
    resource = render(blueprint, with_defaults(blueprint, "claim"))["resource.yaml"]
    assert (
        annotations["backstage.io/kubernetes-id"]
        == (resource["metadata"]["labels"]["backstage.io/kubernetes-id"])
    )
    assert annotations["backstage.io/kubernetes-label-selector"] == (
        "crossplane.io/claim-name=orders,crossplane.io/claim-namespace=team-a"
    )
    terasky = {k.split("/")[1]: v for k, v in annotations.items() if k.startswith("terasky")}
    assert terasky == {
        "crossplane-version": "v1",
        "crossplane-resource": "true",
        "claim-name": "orders",
        "claim-kind": blueprint.claim_kind,
        "claim-group": GROUP,
        "claim-version": VERSION,
        "claim-plural": blueprint.claim_plural,
        "composite-kind": blueprint.kind,
        "composite-group": GROUP,
        "composite-version": VERSION,
        "composite-plural": blueprint.plural,
        "composition-name": f"{blueprint.plural}.{GROUP}",
    }
    assert entity["spec"]["dependsOn"] == [f"api:default/paved-{slug}-claim"]


def test_a_namespaced_xr_gets_the_crossplane_v2_annotations() -> None:
    blueprint = BLUEPRINTS["XDatabase"]
    entity = render(blueprint, with_defaults(blueprint, "namespaced"))["catalog-info.yaml"]
    annotations = entity["metadata"]["annotations"]
    assert annotations["backstage.io/kubernetes-label-selector"] == "crossplane.io/composite=orders"
    assert annotations["terasky.backstage.io/crossplane-version"] == "v2"
    assert annotations["terasky.backstage.io/crossplane-scope"] == "Namespaced"
    assert annotations["terasky.backstage.io/composite-name"] == "orders"
    assert annotations["terasky.backstage.io/composite-namespace"] == "team-a"
    assert not any("claim-" in key for key in annotations)
    assert entity["spec"]["dependsOn"] == ["api:default/paved-database-namespaced"]


# -- API entities ---------------------------------------------------------------------------------
@pytest.mark.parametrize("namespaced", [False, True], ids=["claim", "namespaced"])
@pytest.mark.parametrize("kind", BLUEPRINT_IDS)
def test_an_api_entity_per_xrd_carries_its_schema_as_openapi(kind: str, namespaced: bool) -> None:
    blueprint = BLUEPRINTS[kind]
    name = backstage.api_name(blueprint, namespaced=namespaced)
    entity = documents(f"backstage/catalog/{name}.yaml")
    assert entity["spec"]["type"] == "openapi"
    definition = yaml.safe_load(entity["spec"]["definition"])
    validate_openapi(definition)
    claim_kind = blueprint.kind if namespaced else blueprint.claim_kind
    schema = definition["components"]["schemas"][claim_kind]
    xrd_schema = xrd(blueprint, namespaced=namespaced)["spec"]["versions"][0]["schema"]
    spec = xrd_schema["openAPIV3Schema"]["properties"]["spec"]
    assert (
        schema["properties"]["spec"]["properties"]["parameters"]
        == (spec["properties"]["parameters"])
    )
    assert schema["properties"]["kind"]["enum"] == [claim_kind]
    plural = blueprint.plural if namespaced else blueprint.claim_plural
    assert (
        f"/apis/{GROUP}/{VERSION}/namespaces/{{namespace}}/{plural}/{{name}}"
        in (definition["paths"])
    )


def test_one_location_registers_every_template_and_entity() -> None:
    location = documents("backstage/location.yaml")
    targets = {t.removeprefix("./") for t in location["spec"]["targets"]}
    expected = {
        path.removeprefix("backstage/")
        for path in files()
        if path.endswith("/template.yaml") or path.startswith("backstage/catalog/")
    }
    assert targets == expected
    assert all((REPO / "backstage" / target).is_file() for target in targets)


# -- robust to the fields other blueprints will add -----------------------------------------------
class Probe(Model):
    depth: int = Field(default=3, ge=1, le=9, description="A number with bounds.")
    note: str | None = Field(default=None, description="An optional string.")


class Rule(Model):
    name: str = Field(pattern=r"^[a-z]+$", description="Required inside a list item.")
    weight: int = Field(default=1, description="A default inside a list item.")


class Gate(Model):
    url: str = Field(pattern=r"^https://", description="Required: the gate is off without it.")
    retries: int = Field(default=2, description="A default the form fills in anyway.")


class WidgetParameters(CommonParameters):
    """What the Widget should be."""

    flavour: Literal["plain", "salted", "sweet", "sour"] = Field(
        default="salted", description="An enum of four."
    )
    probe: Probe = Field(default_factory=Probe, description="A nested object.")
    rules: list[Rule] = Field(default_factory=list, description="A list of objects.")
    labels: dict[str, str] = Field(default_factory=dict, description="A map.")
    gate: Gate | None = Field(default=None, description="An optional object with required fields.")
    sizes: list[int] = Field(default_factory=lambda: [1, 2], description="A list of numbers.")
    vpc_peering: bool = Field(default=False, description="A networking switch.")


WIDGET: Blueprint[Any] = Blueprint(
    kind="XWidget",
    claim_kind="Widget",
    description="A widget nobody ships.",
    parameters=WidgetParameters,
    status=Model,
    compose=lambda xr, out: None,
)


@pytest.mark.parametrize("mode", MODES)
def test_a_new_blueprint_with_new_kinds_of_fields_gets_a_working_template(
    tmp_path: Path, mode: str
) -> None:
    template = backstage.template(WIDGET)
    assert bs.entity_errors(template) == []
    fields = form_fields(template)
    assert set(fields) - set(backstage.TEMPLATE_FIELDS) == set(xrd_parameters(WIDGET)["properties"])
    assert fields["flavour"]["ui:widget"] == "select"
    assert "required" not in fields["gate"]
    assert fields["rules"]["items"]["required"] == ["name"]
    skeleton = tmp_path / "skeleton"
    skeleton.mkdir()
    (skeleton / "resource.yaml").write_text(backstage.skeleton_resource(WIDGET))
    (skeleton / "catalog-info.yaml").write_text(backstage.skeleton_catalog_info(WIDGET))
    catalog = xrd_catalog(tmp_path, WIDGET, mode)

    def rendered(**given: Any) -> dict[str, Any]:
        values = form_values(
            template, {**TEAM, backstage.MODE: mode, "region": "eu-west-1", **given}
        )
        fetch = template["spec"]["steps"][0]
        step_values = bs.step_values(fetch["input"]["values"], values)
        out = bs.render_skeleton(skeleton, step_values)
        assert bs.entity_errors(yaml.safe_load(out["catalog-info.yaml"])) == []
        return yaml.safe_load(out["resource.yaml"])

    plain = rendered()
    assert plain["spec"]["parameters"] == {"region": "eu-west-1"}
    form = {"properties": {k: v for k, v in fields.items() if k not in backstage.TEMPLATE_FIELDS}}
    assert _defaults_agree("XWidget", WidgetParameters, xrd_parameters(WIDGET), form) == []
    full = {
        "flavour": "sour",
        "probe": {"depth": 9, "note": 'with "quotes", colons: and\nnewlines'},
        "rules": [{"name": "a", "weight": 2}, {"name": "b"}],
        "labels": {"team": "a", "odd key/with: chars": "yes"},
        "gate": {"url": "https://gate.example.com", "retries": 0},
        "sizes": [],
        "vpcPeering": True,
        "tags": {"cost-centre": "42"},
    }
    resource = rendered(**full, showAdvanced=True)
    assert resource["spec"]["parameters"] == {"region": "eu-west-1", **full}
    for document in (plain, resource):
        assert catalog.validate(document) == []
        WidgetParameters.model_validate(document["spec"]["parameters"])


def test_a_model_field_named_like_a_template_field_is_refused() -> None:
    class Clashing(CommonParameters):
        owner: str = Field(default="me", description="Clashes with the form's owner.")

    clashing = dataclasses.replace(
        WIDGET, kind="XClash", claim_kind="Clash", description="Clashes.", parameters=Clashing
    )
    with pytest.raises(ValueError, match="'owner' clashes"):
        backstage.template(clashing)


def test_generating_for_another_api_group_uses_it_everywhere(tmp_path: Path) -> None:
    api = ApiGroup("platform.acme.io", "v1beta1")
    generated = backstage.backstage_files(api)
    assert generated.items() <= generated_files(api).items()
    bucket = BLUEPRINTS["XBucket"]
    skeleton = tmp_path / "skeleton"
    skeleton.mkdir()
    for name in ("resource.yaml", "catalog-info.yaml"):
        (skeleton / name).write_text(generated[f"backstage/templates/bucket/skeleton/{name}"])
    rendered = render(bucket, with_defaults(bucket, "claim"), skeleton)
    assert rendered["resource.yaml"]["apiVersion"] == "platform.acme.io/v1beta1"
    annotations = rendered["catalog-info.yaml"]["metadata"]["annotations"]
    assert annotations["terasky.backstage.io/claim-group"] == "platform.acme.io"
    assert annotations["terasky.backstage.io/composition-name"] == "xbuckets.platform.acme.io"
    template = yaml.safe_load(generated["backstage/templates/bucket/template.yaml"])
    assert template["spec"]["lifecycle"] == "production"
    api_entity = yaml.safe_load(generated["backstage/catalog/paved-bucket-claim.yaml"])
    definition = yaml.safe_load(api_entity["spec"]["definition"])
    assert "/apis/platform.acme.io/v1beta1/namespaces/{namespace}/buckets" in definition["paths"]


def test_template_syntax_in_a_description_is_written_verbatim() -> None:
    odd = dataclasses.replace(
        WIDGET,
        kind="XOdd",
        claim_kind="Odd",
        description="Renders ${{ values.name }} and {% raw %} literally.",
    )
    text = backstage.skeleton_catalog_info(odd)
    values = {"name": "x", "namespace": "team-a", "owner": "group:default/team-a", "mode": "claim"}
    entity = yaml.safe_load(bs.ENVIRONMENT.from_string(text).render(values=values))
    assert entity["metadata"]["description"] == odd.description


# A node_modules folder with nunjucks, @rjsf/utils and @rjsf/validator-ajv8 (npm install).
NODE_MODULES = os.environ.get("PAVED_NODE_MODULES")
RENDER_JS = """
const nunjucks = require(process.argv[1] + '/nunjucks');
const fs = require('fs');
// As Backstage's SecureTemplater configures it for fetch:template.
const env = new nunjucks.Environment(null, {
  autoescape: false, tags: { variableStart: '${{', variableEnd: '}}' },
});
const cases = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(cases.map(c => env.renderString(c.template, c.context))));
"""


needs_node_modules = pytest.mark.skipif(
    not NODE_MODULES or not shutil.which("node"),
    reason="set PAVED_NODE_MODULES to a node_modules with nunjucks and @rjsf to compare with them",
)


@needs_node_modules
def test_jinja_renders_the_skeletons_exactly_like_nunjucks() -> None:
    cases, jinja = [], []
    for blueprint in BLUEPRINTS.values():
        fetch = template_of(blueprint)["spec"]["steps"][0]
        forms = [
            with_defaults(blueprint, mode, **{backstage.SHOW_ADVANCED: advanced})
            for mode in MODES
            for advanced in (False, True)
        ]
        for example in _examples():
            document = yaml.safe_load(example.read_text())
            if document["kind"] in (blueprint.kind, blueprint.claim_kind):
                mode = "namespaced" if document["kind"] == blueprint.kind else "claim"
                forms.append({**TEAM, backstage.MODE: mode, **document["spec"]["parameters"]})
        folder = REPO / "backstage" / "templates" / backstage.slug(blueprint) / "skeleton"
        for form in forms:
            values = bs.step_values(fetch["input"]["values"], form)
            for path in sorted(folder.iterdir()):
                cases.append({"template": path.read_text(), "context": {"values": values}})
                jinja.append(bs.render_skeleton(folder, values)[path.name])
    assert _node(RENDER_JS, cases) == jinja


def test_a_resource_placed_on_another_depends_on_it_in_the_catalog() -> None:
    database = BLUEPRINTS["XDatabase"]
    assert [(path, target.kind) for path, target in backstage.references(database)] == [
        (["network", "clusterRef"], "XCluster")
    ]
    given = with_defaults(database, "claim", network={"clusterRef": {"name": "platform"}})
    entity = render(database, given)["catalog-info.yaml"]
    assert entity["spec"]["dependsOn"] == [
        "api:default/paved-database-claim",
        "resource:team-a/platform-cluster",
    ]
    by_vpc = render(database, with_defaults(database, "claim"))["catalog-info.yaml"]
    assert by_vpc["spec"]["dependsOn"] == ["api:default/paved-database-claim"]
    assert bs.entity_errors(entity) == []


RJSF_JS = """
// The form state react-jsonschema-form v5 (what the scaffolder's form runs) starts each page
// with, and what its validator says about it.
const { getDefaultFormState } = require(process.argv[1] + '/@rjsf/utils');
const validator = require(process.argv[1] + '/@rjsf/validator-ajv8').default;
const fs = require('fs');
const strip = node => Array.isArray(node) ? node.map(strip)
  : node && typeof node === 'object'
    ? Object.fromEntries(Object.entries(node).filter(([k]) => !k.startsWith('ui:'))
        .map(([k, v]) => [k, strip(v)]))
    : node;  // the scaffolder moves ui:* keys into the uiSchema
const cases = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(cases.map(({ pages, given }) => {
  let formData = { ...given };
  const errors = [];
  for (const page of pages) {
    formData = getDefaultFormState(validator, strip(page), formData);
    errors.push(...validator.validateFormData(formData, strip(page)).errors.map(e => e.stack));
  }
  return { formData, errors };
})));
"""


def _node(script: str, cases: list[dict[str, Any]]) -> Any:
    """What `script`, run by node with the Backstage packages, answers for `cases` (JSON)."""
    result = subprocess.run(
        ["node", "-e", script, NODE_MODULES or ""],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def _rjsf(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    opened: list[dict[str, Any]] = _node(RJSF_JS, cases)
    return opened


@needs_node_modules
def test_forms_filled_like_the_examples_pass_react_jsonschema_form_and_the_xrd(
    tmp_path: Path,
) -> None:
    """react-jsonschema-form merges its defaults into what a developer typed (a node pool gets
    its disk size); the claim rendered from that is still one the XRD accepts."""
    cases, targets = [], []
    for example in _examples():
        document = yaml.safe_load(example.read_text())
        blueprint = next(
            b for b in BLUEPRINTS.values() if document["kind"] in (b.kind, b.claim_kind)
        )
        mode = "namespaced" if document["kind"] == blueprint.kind else "claim"
        given = {**TEAM, backstage.MODE: mode, **document["spec"]["parameters"]}
        cases.append({"pages": template_of(blueprint)["spec"]["parameters"], "given": given})
        targets.append((blueprint, mode, document["spec"]["parameters"]))
    for opened, (blueprint, mode, parameters) in zip(_rjsf(cases), targets, strict=True):
        assert opened["errors"] == [], blueprint.kind
        resource = render(blueprint, opened["formData"])["resource.yaml"]
        assert xrd_catalog(tmp_path, blueprint, mode).validate(resource) == []
        model = blueprint.parameters
        assert model.model_validate(resource["spec"]["parameters"]) == model.model_validate(
            parameters
        )


@needs_node_modules
def test_the_form_opens_like_react_jsonschema_form_opens_it_and_can_be_submitted() -> None:
    cases, expected = [], []
    for blueprint in BLUEPRINTS.values():
        template = template_of(blueprint)
        example = example_parameters(blueprint)
        fields = form_fields(template)
        for advanced in (False, True):
            required = xrd_parameters(blueprint).get("required", [])
            answers = {f: example[f] for f in required if "default" not in fields[f]}
            given = {**TEAM, backstage.MODE: "claim", backstage.SHOW_ADVANCED: advanced, **answers}
            cases.append({"pages": template["spec"]["parameters"], "given": given})
            expected.append(
                with_defaults(blueprint, "claim", **{backstage.SHOW_ADVANCED: advanced})
            )
    for case, opened, ours in zip(cases, _rjsf(cases), expected, strict=True):
        assert opened["errors"] == [], case["pages"][0]["title"]
        assert opened["formData"] == ours
