"""The template's form: the XRD's parameter schema as form pages, with titles, grouping, hints
and the model's defaults."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, TypeAdapter

from functions.backstage.names import (
    CLAIM,
    DNS_LABEL,
    MODE,
    NAME,
    NAMESPACE,
    NAMESPACED,
    OWNER,
    REPO_PATH,
    REPO_URL,
    SHOW_ADVANCED,
    TEMPLATE_FIELDS,
    max_name_length,
    slug,
)
from functions.kit.blueprint import Blueprint
from functions.kit.params import CommonParameters, model_in

# Form pages, in order; the basics page is titled after the claim kind.
BASICS, NETWORKING, ACCESS, ADVANCED = "basics", "networking", "access", "advanced"
PAGES = (BASICS, NETWORKING, ACCESS, ADVANCED)
PAGE_TITLES = {NETWORKING: "Networking", ACCESS: "Access and security", ADVANCED: "Advanced"}
# Placement by name, before the rules in `page_of` apply: (XR kind or "*", field) -> page. A test
# checks that every entry names a field that exists, so a renamed field cannot go stale silently.
PLACEMENT: dict[tuple[str, str], str] = {
    ("*", "tags"): BASICS,
    ("XCluster", "logging"): ADVANCED,
    ("XDatabase", "version"): BASICS,
    ("XDatabase", "allowNoBackups"): ADVANCED,
    ("XDatabase", "performanceInsights"): ADVANCED,
}
# Fields deliberately left out of a form, with why: (XR kind or "*", field) -> reason. The XRD's
# default (or the model's) applies. Empty today: every field is in a form.
HIDDEN: dict[tuple[str, str], str] = {}

_NETWORKING_WORDS = ("network", "endpoint", "vpc", "subnet", "cidr", "zone")
_ACCESS_WORDS = (
    "access", "oidc", "encrypt", "kms", "tls", "public", "admin", "viewer", "principal", "iam",
)  # fmt: skip


def xrd_parameters(blueprint: Blueprint[Any]) -> dict[str, Any]:
    """`spec.parameters` of the generated XRD: the one schema the form is derived from (the same
    in both modes and whatever the API group)."""
    from functions.generate import xrd  # generate.py calls into this module

    version = xrd(blueprint, namespaced=False)["spec"]["versions"][0]
    spec: dict[str, Any] = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    parameters: dict[str, Any] = spec["properties"]["parameters"]
    return parameters


def form_parameters(blueprint: Blueprint[Any]) -> dict[str, Any]:
    """The XRD's parameter schema with the model's defaults that a JSON schema cannot carry."""
    return with_factory_defaults(blueprint.parameters, xrd_parameters(blueprint))


def with_factory_defaults(model: type[BaseModel], schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (a model's structural schema) with the defaults of `default_factory` fields.

    Pydantic leaves those out of JSON schemas, so the XRD has none (the function applies them).
    The form shows them, so that it opens with what a developer gets anyway: a cluster's
    `default` node pool, its endpoint's `0.0.0.0/0`. A factory that makes a nested model is not
    a default of its own: that model's fields carry theirs.
    """
    out = dict(schema)
    properties = dict(out.get("properties", {}))
    for name, field in model.model_fields.items():
        key, annotation = field.alias or name, field.annotation
        if key not in properties or annotation is None:
            continue
        nested = model_in(annotation)
        child = properties[key]
        makes_object = nested is not None and child.get("type") == "object"
        if field.default_factory is not None and not makes_object and "default" not in child:
            value = TypeAdapter(annotation).dump_python(
                field.default_factory(),  # type: ignore[call-arg]
                mode="json",
                by_alias=True,
                exclude_none=True,
            )
            properties[key] = child = {**child, "default": value}
        if makes_object and nested is not None:
            properties[key] = with_factory_defaults(nested, child)
        elif nested is not None and isinstance(child.get("items"), dict):
            properties[key] = {**child, "items": with_factory_defaults(nested, child["items"])}
    if properties:
        out["properties"] = properties
    return out


def _is_hidden(blueprint: Blueprint[Any], field: str) -> bool:
    return (blueprint.kind, field) in HIDDEN or ("*", field) in HIDDEN


def page_of(blueprint: Blueprint[Any], field: str, schema: dict[str, Any], required: bool) -> str:
    """Which form page a top-level parameter goes on."""
    for key in ((blueprint.kind, field), ("*", field)):
        if key in PLACEMENT:
            return PLACEMENT[key]
    if not required and field in CommonParameters.model_json_schema(by_alias=True)["properties"]:
        return ADVANCED  # provider config, deletion policy: the platform's defaults are right
    words = field.lower()
    if any(word in words for word in _NETWORKING_WORDS):
        return NETWORKING
    if any(word in words for word in _ACCESS_WORDS):
        return ACCESS
    if required or "default" in schema or schema.get("type") in ("object", "array"):
        return BASICS
    return ADVANCED  # optional, no default: an override of something derived


_ACRONYMS = {
    "arn": "ARN", "aws": "AWS", "az": "AZ", "cidr": "CIDR", "cidrs": "CIDRs", "cpu": "CPU",
    "db": "DB", "dns": "DNS", "eks": "EKS", "gib": "GiB", "iam": "IAM", "id": "ID", "ids": "IDs",
    "kms": "KMS", "nat": "NAT", "oidc": "OIDC", "rds": "RDS", "s3": "S3", "tls": "TLS",
    "url": "URL", "vpc": "VPC",
}  # fmt: skip


def title(name: str) -> str:
    """`kmsKeyArn` -> `KMS key ARN`, `diskSizeGiB` -> `Disk size GiB`."""
    words = re.findall(r"GiB|[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name) or [name]
    out = [_ACRONYMS.get(word.lower(), word.lower()) for word in words]
    first = out[0]
    out[0] = first if first in _ACRONYMS.values() else first[:1].upper() + first[1:]
    return " ".join(out)


def form_schema(schema: dict[str, Any], name: str, *, optional: bool = False) -> dict[str, Any]:
    """The XRD schema of one field as a form field: the same constraints, plus titles and hints.

    An optional object's own `required` is left out of the form, which would otherwise refuse to
    submit until the optional block is filled in; its description says what turns it on instead.
    The skeleton only writes an optional object once its required fields are set, so the claim
    still satisfies the XRD.
    """
    nested = ("properties", "items", "required", "additionalProperties")
    field: dict[str, Any] = {"title": title(name)}
    # Kubernetes' own keywords (CEL rules, list types) mean nothing to the form; the XRD keeps them.
    field.update(
        {k: v for k, v in schema.items() if k not in nested and not k.startswith("x-kubernetes-")}
    )
    required = list(schema.get("required", ()))
    if "properties" in schema:
        field["properties"] = {
            child: form_schema(sub, child, optional=child not in required)
            for child, sub in schema["properties"].items()
        }
        if required and optional:
            names = ", ".join(required)
            field["description"] = (
                f"{field.get('description', '')} Optional: set {names} to turn it on."
            ).strip()
        elif required:
            field["required"] = required
    if isinstance(schema.get("additionalProperties"), dict):
        field["additionalProperties"] = form_schema(schema["additionalProperties"], "value")
    if isinstance(schema.get("items"), dict):
        field["items"] = form_schema(schema["items"], name.removesuffix("s") or name)
    if optional and "minItems" in field and "default" not in field:
        # react-jsonschema-form fills an array up to minItems with empty items, which then fail
        # validation: an optional list would block the page. The XRD still enforces it.
        at_least = field.pop("minItems")
        field["description"] = f"{field.get('description', '')} At least {at_least}.".strip()
    if "enum" in schema:
        field["ui:widget"] = "radio" if len(schema["enum"]) <= 3 else "select"
    if schema.get("type") == "array" and field.get("items", {}).get("type") == "object":
        field["ui:options"] = {"orderable": False}
    return field


def pages(blueprint: Blueprint[Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Model fields by form page: {page: {field: form schema}}, in model order."""
    parameters = form_parameters(blueprint)
    required = set(parameters.get("required", ()))
    by_page: dict[str, dict[str, dict[str, Any]]] = {page: {} for page in PAGES}
    for field, schema in parameters["properties"].items():
        if field in TEMPLATE_FIELDS:
            raise ValueError(
                f"{blueprint.kind}: parameter {field!r} clashes with the template's own field"
            )
        if _is_hidden(blueprint, field):
            continue
        form = form_schema(schema, field, optional=field not in required)
        by_page[page_of(blueprint, field, schema, field in required)][field] = form
    return by_page


# -- pages ----------------------------------------------------------------------------------------


def _identity_page(
    blueprint: Blueprint[Any], basics: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    kind, claim = blueprint.kind, blueprint.claim_kind
    return {
        "title": claim,
        "description": blueprint.description,
        "required": [NAME, NAMESPACE, OWNER, MODE, *required],
        "properties": {
            NAME: {
                "title": "Name",
                "description": f"Name of the {claim} in Kubernetes; also names the catalog entity.",
                "type": "string",
                "pattern": DNS_LABEL,
                "maxLength": max_name_length(blueprint),
                "ui:autofocus": True,
            },
            NAMESPACE: {
                "title": "Team namespace",
                "description": f"The Kubernetes namespace the {claim} is created in.",
                "type": "string",
                "pattern": DNS_LABEL,
                "maxLength": 63,
            },
            OWNER: {
                "title": "Owner",
                "description": "The team that owns it in the catalog.",
                "type": "string",
                "ui:field": "OwnerPicker",
                "ui:options": {"catalogFilter": {"kind": "Group"}},
            },
            MODE: {
                "title": "Mode",
                "description": (
                    f"A {claim} claim (Crossplane 1.x, or 2.x with claims) or a namespaced {kind}"
                    " (Crossplane 2.x); both in the team namespace."
                ),
                "type": "string",
                "enum": [CLAIM, NAMESPACED],
                "enumNames": [f"{claim} claim", f"Namespaced {kind}"],
                "default": CLAIM,
                "ui:widget": "radio",
            },
            **basics,
        },
    }


def _page(title_: str, fields: dict[str, Any], required: list[str]) -> dict[str, Any]:
    page: dict[str, Any] = {"title": title_}
    if required:
        page["required"] = required
    page["properties"] = fields
    return page


def _advanced_page(fields: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """Advanced fields stay hidden (and their XRD defaults apply) until asked for."""
    shown: dict[str, Any] = {"properties": {SHOW_ADVANCED: {"enum": [True]}, **fields}}
    if required:
        shown["required"] = required
    return {
        "title": PAGE_TITLES[ADVANCED],
        "properties": {
            SHOW_ADVANCED: {
                "title": "Show advanced options",
                "description": "The defaults are what most teams want.",
                "type": "boolean",
                "default": False,
            }
        },
        "dependencies": {
            SHOW_ADVANCED: {"oneOf": [{"properties": {SHOW_ADVANCED: {"enum": [False]}}}, shown]}
        },
    }


def _repository_page(blueprint: Blueprint[Any]) -> dict[str, Any]:
    return {
        "title": "Pull request",
        "description": "Where the manifest goes: Argo CD applies it once the pull request merges.",
        "required": [REPO_URL, REPO_PATH],
        "properties": {
            REPO_URL: {
                "title": "GitOps repository",
                "description": "The team's repository that Argo CD syncs.",
                "type": "string",
                "ui:field": "RepoUrlPicker",
                "ui:options": {"allowedHosts": ["github.com"]},
            },
            REPO_PATH: {
                "title": "Folder",
                "description": (
                    "Folder in the repository; the files go to"
                    f" <folder>/<namespace>/{slug(blueprint)}-<name>/."
                ),
                "type": "string",
                "default": "teams",
                "pattern": r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$",
            },
        },
    }


def parameter_pages(blueprint: Blueprint[Any]) -> list[dict[str, Any]]:
    required = set(xrd_parameters(blueprint).get("required", ()))
    by_page = pages(blueprint)

    def required_of(page: str) -> list[str]:
        return [field for field in by_page[page] if field in required]

    out = [_identity_page(blueprint, by_page[BASICS], required_of(BASICS))]
    for page in (NETWORKING, ACCESS):
        if by_page[page]:
            out.append(_page(PAGE_TITLES[page], by_page[page], required_of(page)))
    if by_page[ADVANCED]:
        out.append(_advanced_page(by_page[ADVANCED], required_of(ADVANCED)))
    out.append(_repository_page(blueprint))
    return out


def model_fields(blueprint: Blueprint[Any]) -> list[str]:
    """The top-level parameters, as the XRD names them."""
    return list(xrd_parameters(blueprint)["properties"])
