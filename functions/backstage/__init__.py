"""Backstage software templates and catalog entities, generated from the same models as the XRDs.

For every blueprint in BLUEPRINTS, `paved generate` writes:

- `backstage/templates/<claim kind>/template.yaml`: a `scaffolder.backstage.io/v1beta3` Template
  whose form pages are the XRD's parameter schema (same types, enums, defaults, bounds and
  patterns), with titles, grouping and `ui:` hints added;
- `backstage/templates/<claim kind>/skeleton/`: what `fetch:template` renders (nunjucks,
  `${{ values.x }}`): `resource.yaml`, the claim (or namespaced XR), and `catalog-info.yaml`, a
  catalog `Resource` with the annotations the Kubernetes and Crossplane plugins read;
- `backstage/catalog/<xrd>.yaml`: an `API` entity per XRD, its definition an OpenAPI document of
  the resource's Kubernetes endpoints and schema;
- `backstage/location.yaml`: one `Location` that registers all of the above.

Everything is derived from the generated XRDs, so a field added to a model shows up in the form
and in the rendered claim without touching this package.
"""

from __future__ import annotations

from functions.backstage.entities import api_entity, location, openapi, system_entity, to_yaml
from functions.backstage.form import (
    HIDDEN,
    PLACEMENT,
    form_parameters,
    form_schema,
    page_of,
    pages,
    parameter_pages,
    with_factory_defaults,
    xrd_parameters,
)
from functions.backstage.names import (
    CLAIM,
    MODE,
    NAME,
    NAMESPACE,
    NAMESPACED,
    OWNER,
    PLATFORM_OWNER,
    REPO_PATH,
    REPO_URL,
    RESOURCE_TYPES,
    ROOT,
    SHOW_ADVANCED,
    TEMPLATE_FIELDS,
    api_name,
    resource_type,
    slug,
    template_name,
)
from functions.backstage.skeleton import references, skeleton_catalog_info, skeleton_resource
from functions.backstage.template import template
from functions.blueprints import BLUEPRINTS
from functions.kit.blueprint import DEFAULT_API, ApiGroup

__all__ = [
    "CLAIM",
    "HIDDEN",
    "MODE",
    "NAME",
    "NAMESPACE",
    "NAMESPACED",
    "OWNER",
    "PLACEMENT",
    "PLATFORM_OWNER",
    "REPO_PATH",
    "REPO_URL",
    "RESOURCE_TYPES",
    "SHOW_ADVANCED",
    "TEMPLATE_FIELDS",
    "api_entity",
    "api_name",
    "backstage_files",
    "form_parameters",
    "form_schema",
    "location",
    "openapi",
    "page_of",
    "pages",
    "parameter_pages",
    "references",
    "resource_type",
    "skeleton_catalog_info",
    "skeleton_resource",
    "slug",
    "system_entity",
    "template",
    "template_name",
    "with_factory_defaults",
    "xrd_parameters",
]


def backstage_files(api: ApiGroup = DEFAULT_API) -> dict[str, str]:
    """Every file under `backstage/` by path, for every blueprint served."""
    files: dict[str, str] = {}
    for blueprint in BLUEPRINTS.values():
        folder = f"{ROOT}/templates/{slug(blueprint)}"
        files[f"{folder}/template.yaml"] = to_yaml(template(blueprint, api))
        files[f"{folder}/skeleton/resource.yaml"] = skeleton_resource(blueprint, api)
        files[f"{folder}/skeleton/catalog-info.yaml"] = skeleton_catalog_info(blueprint, api)
        for namespaced in (False, True):
            name = api_name(blueprint, namespaced=namespaced)
            entity = api_entity(blueprint, namespaced=namespaced, api=api)
            files[f"{ROOT}/catalog/{name}.yaml"] = to_yaml(entity)
    files[f"{ROOT}/catalog/system.yaml"] = to_yaml(system_entity())
    registered = sorted(
        path.removeprefix(f"{ROOT}/")
        for path in files
        if path.endswith("template.yaml") or path.startswith(f"{ROOT}/catalog/")
    )
    files[f"{ROOT}/location.yaml"] = to_yaml(location(registered))
    return files
