"""The `scaffolder.backstage.io/v1beta3` Template: the form, then render, pull request, register."""

from __future__ import annotations

from typing import Any

from functions.backstage.form import model_fields, parameter_pages
from functions.backstage.names import (
    MODE,
    NAME,
    NAMESPACE,
    OWNER,
    PLATFORM_OWNER,
    REPO_PATH,
    REPO_URL,
    lifecycle,
    resource_type,
    slug,
    template_name,
)
from functions.kit.blueprint import DEFAULT_API, ApiGroup, Blueprint


def target_path(blueprint: Blueprint[Any]) -> str:
    return (
        f"${{{{ parameters.{REPO_PATH} }}}}/${{{{ parameters.{NAMESPACE} }}}}/"
        f"{slug(blueprint)}-${{{{ parameters.{NAME} }}}}"
    )


def entity_ref(blueprint: Blueprint[Any]) -> str:
    return (
        f"resource:${{{{ parameters.{NAMESPACE} }}}}/${{{{ parameters.{NAME} }}}}-{slug(blueprint)}"
    )


def template(blueprint: Blueprint[Any], api: ApiGroup = DEFAULT_API) -> dict[str, Any]:
    claim, name, namespace = blueprint.claim_kind, f"parameters.{NAME}", f"parameters.{NAMESPACE}"
    values: dict[str, Any] = {
        "name": f"${{{{ {name} }}}}",
        "namespace": f"${{{{ {namespace} }}}}",
        "owner": f"${{{{ parameters.{OWNER} }}}}",
        "mode": f"${{{{ parameters.{MODE} }}}}",
    }
    values["parameters"] = {
        field: f"${{{{ parameters.{field} }}}}" for field in model_fields(blueprint)
    }
    repo = f"(parameters.{REPO_URL} | parseRepoUrl)"
    catalog_info_url = (
        f"https://${{{{ {repo}.host }}}}/${{{{ {repo}.owner }}}}/${{{{ {repo}.repo }}}}/blob/"
        "${{ steps['publish'].output.targetBranchName }}/"
        f"{target_path(blueprint)}/catalog-info.yaml"
    )
    return {
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {
            "name": template_name(blueprint),
            "title": f"{claim} ({resource_type(blueprint)})",
            "description": blueprint.description,
            "tags": ["paved", "crossplane", "aws", resource_type(blueprint)],
        },
        "spec": {
            "owner": PLATFORM_OWNER,
            "type": "resource",
            "lifecycle": lifecycle(api),
            "parameters": parameter_pages(blueprint),
            "steps": [
                {
                    "id": "fetch",
                    "name": f"Render the {claim} and its catalog entity",
                    "action": "fetch:template",
                    "input": {"url": "./skeleton", "targetPath": "./out", "values": values},
                },
                {
                    "id": "publish",
                    "name": "Open a pull request in the GitOps repository",
                    "action": "publish:github:pull-request",
                    "input": {
                        "repoUrl": f"${{{{ parameters.{REPO_URL} }}}}",
                        "branchName": (
                            f"paved/{slug(blueprint)}-${{{{ {namespace} }}}}-${{{{ {name} }}}}"
                        ),
                        "title": f"{claim} ${{{{ {namespace} }}}}/${{{{ {name} }}}}",
                        "description": (
                            f"A {claim} requested through Backstage by"
                            f" ${{{{ parameters.{OWNER} }}}} (Paved)."
                            " Argo CD applies it once merged."
                        ),
                        "sourcePath": "./out",
                        "targetPath": target_path(blueprint),
                    },
                },
                {
                    "id": "register",
                    "name": "Register it in the catalog",
                    "action": "catalog:register",
                    # The file only exists on the target branch once the pull request merges.
                    # The catalog stores a location without reading it (catalog-backend's
                    # DefaultLocationService); `optional` lets the dry run that follows fail, and
                    # the catalog picks the entity up once merged.
                    "input": {"catalogInfoUrl": catalog_info_url, "optional": True},
                },
            ],
            "output": {
                "links": [
                    {
                        "title": "Pull request",
                        "icon": "github",
                        "url": "${{ steps['publish'].output.remoteUrl }}",
                    },
                    {
                        "title": f"The {claim} in the catalog (once merged)",
                        "icon": "catalog",
                        "entityRef": entity_ref(blueprint),
                    },
                ]
            },
        },
    }
