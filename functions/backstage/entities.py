"""Catalog entities around the templates: an `API` per XRD (an OpenAPI document of the resource's
Kubernetes endpoints and schema), the `paved` System and the `Location` that registers it all."""

from __future__ import annotations

import json
from typing import Any

import yaml

from functions.backstage.names import (
    HEADER,
    PLATFORM_OWNER,
    SYSTEM,
    TERASKY,
    api_name,
    lifecycle,
    resource_type,
)
from functions.kit.blueprint import DEFAULT_API, ApiGroup, Blueprint


def openapi(
    blueprint: Blueprint[Any], *, namespaced: bool, api: ApiGroup = DEFAULT_API
) -> dict[str, Any]:
    """The Kubernetes REST endpoints of the claim (or namespaced XR) and its schema."""
    from functions.generate import xrd

    definition = xrd(blueprint, namespaced=namespaced, api=api)
    version = definition["spec"]["versions"][0]
    kind = blueprint.kind if namespaced else blueprint.claim_kind
    plural = blueprint.plural if namespaced else blueprint.claim_plural
    openapi_schema = version["schema"]["openAPIV3Schema"]
    spec = json.loads(json.dumps(openapi_schema["properties"]["spec"]))
    if not namespaced:
        spec["properties"]["writeConnectionSecretToRef"] = {
            "description": "The Secret in the claim's namespace that gets the connection details.",
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}},
        }
    resource = {
        "description": openapi_schema.get("description", blueprint.description),
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"type": "string", "enum": [api.api_version]},
            "kind": {"type": "string", "enum": [kind]},
            "metadata": {
                "type": "object",
                "required": ["name", "namespace"],
                "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}},
            },
            "spec": spec,
            "status": openapi_schema["properties"]["status"],
        },
    }
    # Inlined rather than `$ref`d: every generated file stays free of JSON references.
    one = {"content": {"application/json": {"schema": resource}}}
    listed_schema = {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": resource}},
    }
    listed = {"content": {"application/json": {"schema": listed_schema}}}
    base = f"/apis/{api.api_version}/namespaces/{{namespace}}/{plural}"
    namespace_parameter = {"name": "namespace", "in": "path", "required": True,
                           "schema": {"type": "string"}}  # fmt: skip
    name_parameter = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    mode = "namespaced XR (Crossplane 2)" if namespaced else "claim"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"{kind} ({api.api_version}, {mode})",
            "version": api.version,
            "description": (
                f"{blueprint.description} Served by the XRD {definition['metadata']['name']}"
                f" ({definition['apiVersion']}); composed by Paved."
            ),
        },
        "paths": {
            base: {
                "parameters": [namespace_parameter],
                "get": {
                    "operationId": f"list{kind}",
                    "summary": f"List the {plural} in a namespace",
                    "responses": {"200": {"description": "OK", **listed}},
                },
                "post": {
                    "operationId": f"create{kind}",
                    "summary": f"Create a {kind}",
                    "requestBody": {"required": True, **one},
                    "responses": {"201": {"description": "Created", **one}},
                },
            },
            f"{base}/{{name}}": {
                "parameters": [namespace_parameter, name_parameter],
                "get": {
                    "operationId": f"read{kind}",
                    "summary": f"Read a {kind}, with its status",
                    "responses": {"200": {"description": "OK", **one}},
                },
                "put": {
                    "operationId": f"replace{kind}",
                    "summary": f"Replace a {kind}",
                    "requestBody": {"required": True, **one},
                    "responses": {"200": {"description": "OK", **one}},
                },
                "delete": {
                    "operationId": f"delete{kind}",
                    "summary": f"Delete a {kind} (and its cloud resources, by deletionPolicy)",
                    "responses": {"200": {"description": "OK"}},
                },
            },
        },
        "components": {
            "schemas": {
                kind: resource,
                f"{kind}List": listed_schema,
            }
        },
    }


def api_entity(
    blueprint: Blueprint[Any], *, namespaced: bool, api: ApiGroup = DEFAULT_API
) -> dict[str, Any]:
    from functions.generate import xrd

    definition = xrd(blueprint, namespaced=namespaced, api=api)
    kind = blueprint.kind if namespaced else blueprint.claim_kind
    mode = "namespaced XR" if namespaced else "claim"
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "API",
        "metadata": {
            "name": api_name(blueprint, namespaced=namespaced),
            "title": f"{kind} ({mode})",
            "description": blueprint.description,
            "tags": ["paved", "crossplane", resource_type(blueprint)],
            "annotations": {
                f"{TERASKY}/crossplane-version": "v2" if namespaced else "v1",
                f"{TERASKY}/crossplane-scope": "Namespaced" if namespaced else "Cluster",
                f"{TERASKY}/crossplane-claim": "false" if namespaced else "true",
                "platform.paved.dev/xrd": definition["metadata"]["name"],
                "platform.paved.dev/xrd-api-version": definition["apiVersion"],
            },
        },
        "spec": {
            "type": "openapi",
            "lifecycle": lifecycle(api),
            "owner": PLATFORM_OWNER,
            "system": SYSTEM,
            "definition": to_yaml(openapi(blueprint, namespaced=namespaced, api=api), header=False),
        },
    }


def system_entity() -> dict[str, Any]:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "System",
        "metadata": {
            "name": SYSTEM,
            "title": "Paved",
            "description": "Self-service AWS infrastructure composed by Paved.",
            "tags": ["paved", "crossplane"],
        },
        "spec": {"owner": PLATFORM_OWNER},
    }


def location(paths: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {
            "name": "paved",
            "description": "Paved's software templates and API entities: register this one file.",
        },
        "spec": {"targets": [f"./{path}" for path in paths]},
    }


# -- YAML -----------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # write shared values out each time: no anchors in generated files


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(document: dict[str, Any], *, header: bool = True) -> str:
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
    return (HEADER + text) if header else text
