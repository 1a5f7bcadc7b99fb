"""Strict validation of Kubernetes manifests against real CRD schemas, for tests.

The CRDs are the upstream YAML files described in ``SOURCES.md`` in the CRD
folder. Validation approximates what the API server does on create:

1. apply schema ``default``s (structural defaulting),
2. check the OpenAPI v3 schema with jsonschema, rejecting unknown fields,
3. check embedded resources, ``x-kubernetes-list-type`` set/map uniqueness and
   ``x-kubernetes-validations`` CEL rules (with Kubernetes property escaping).

`index` finds the CRD of a kind, `schema` prepares and walks schemas, `cel` runs the rules.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema.protocols import Validator

from support.crds.cel import UNSUPPORTED_RULES
from support.crds.index import CRDS_DIR, CRDFile, crds_available, index_file, load_documents
from support.crds.schema import (
    Plan,
    StrictValidator,
    apply_defaults,
    build_plan,
    check,
    copy_json,
    format_schema_error,
    root_schema,
)

Json = Any
Schema = dict[str, Any]

# crossplane.yaml package metadata: modelled as a Namespaced CRD, but these
# files are never applied to a cluster, so they carry no namespace.
_PACKAGE_META_GROUP = "meta.pkg.crossplane.io"

__all__ = [
    "CRDS_DIR",
    "UNSUPPORTED_RULES",
    "CRDCatalog",
    "catalog",
    "crds_available",
    "validate",
]


@dataclass(frozen=True)
class _Compiled:
    validator: Validator
    plan: Plan | None


class CRDCatalog:
    """CRDs of a folder, indexed on first use and compiled per version on demand."""

    def __init__(self, crds_dir: Path = CRDS_DIR) -> None:
        self._dir = crds_dir
        self._index: dict[tuple[str, str], CRDFile] | None = None
        self._documents: dict[Path, list[Json]] = {}
        self._compiled: dict[tuple[str, str, str], _Compiled] = {}

    def kinds(self) -> set[tuple[str, str]]:
        """(apiVersion, kind) for every served version, deprecated ones included."""
        return {
            (f"{crd.group}/{version.name}", crd.kind)
            for crd in self._crds().values()
            for version in crd.versions.values()
            if version.served
        }

    def scope(self, api_version: str, kind: str) -> str:
        """Return "Namespaced" or "Cluster"; KeyError for an unknown kind."""
        group = api_version.rpartition("/")[0]
        return self._crds()[(group, kind)].scope

    def validate(self, obj: dict[str, Json]) -> list[str]:
        """Errors found in the manifest, each prefixed by its JSON path; [] if valid."""
        if not isinstance(obj, dict):
            return [f"<root>: expected an object, got {type(obj).__name__}"]
        crd, version, errors = self._resolve(obj)
        if crd is None or version is None:
            return errors
        compiled = self._compile(crd, version)
        instance = copy_json(obj)
        if compiled.plan is not None:
            apply_defaults(instance, compiled.plan)
        errors.extend(_scope_errors(instance, crd))
        schema_errors = list(compiled.validator.iter_errors(instance))
        errors.extend(format_schema_error(e) for e in schema_errors)
        # Like the API server: CEL rules are only run on well-typed objects.
        well_typed = not any(e.validator == "type" for e in schema_errors)
        if compiled.plan is not None:
            errors.extend(check(instance, compiled.plan, "", run_rules=well_typed))
        if not well_typed and compiled.plan is not None and compiled.plan.has_rules:
            errors.append("<root>: validation rules were not checked because of type errors")
        return errors

    def _crds(self) -> dict[tuple[str, str], CRDFile]:
        if self._index is None:
            index: dict[tuple[str, str], CRDFile] = {}
            for path in sorted(self._dir.rglob("*.yaml")):
                for crd in index_file(path):
                    index.setdefault((crd.group, crd.kind), crd)
            self._index = index
        return self._index

    def _resolve(self, obj: dict[str, Json]) -> tuple[CRDFile | None, str | None, list[str]]:
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return None, None, ["<root>: apiVersion and kind must be strings"]
        group, _, version = api_version.rpartition("/")
        crd = self._crds().get((group, kind))
        if crd is None:
            return None, None, [f"apiVersion: no CRD for {api_version} {kind}"]
        served = [v.name for v in crd.versions.values() if v.served]
        if version not in served:
            error = f"apiVersion: {api_version} {kind} is not served (served: {', '.join(served)})"
            return None, None, [error]
        errors = []
        if crd.versions[version].deprecated:
            errors.append(f"apiVersion: {self._deprecation(crd, version)}")
        return crd, version, errors

    def _deprecation(self, crd: CRDFile, version: str) -> str:
        api_version = f"{crd.group}/{version}"
        preferred = crd.preferred_version()
        if preferred is not None:
            return f"{api_version} is a deprecated version, use {crd.group}/{preferred}"
        warning = self._version_entry(crd, version).get("deprecationWarning")
        return f"{api_version} is a deprecated version ({warning or 'no alternative version'})"

    def _compile(self, crd: CRDFile, version: str) -> _Compiled:
        key = (crd.group, version, crd.kind)
        if key not in self._compiled:
            openapi = self._version_entry(crd, version)["schema"]["openAPIV3Schema"]
            self._compiled[key] = _Compiled(
                validator=StrictValidator(root_schema(openapi)),
                plan=build_plan(openapi),
            )
        return self._compiled[key]

    def _version_entry(self, crd: CRDFile, version: str) -> dict[str, Any]:
        if crd.path not in self._documents:
            self._documents[crd.path] = load_documents(crd.path)
        for doc in self._documents[crd.path]:
            spec = doc.get("spec", {}) if isinstance(doc, dict) else {}
            if spec.get("group") == crd.group and spec.get("names", {}).get("kind") == crd.kind:
                for entry in spec["versions"]:
                    if entry["name"] == version:
                        return entry
        raise LookupError(f"{crd.path}: no {crd.group}/{version} {crd.kind}")


def _scope_errors(obj: dict[str, Json], crd: CRDFile) -> list[str]:
    if crd.group == _PACKAGE_META_GROUP:
        return []
    metadata = obj.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    if crd.scope == "Namespaced" and not namespace:
        return [f"metadata.namespace: required, {crd.kind} in {crd.group} is namespaced"]
    if crd.scope == "Cluster" and namespace is not None:
        return [f"metadata.namespace: must not be set, {crd.kind} in {crd.group} is cluster-scoped"]
    return []


@functools.cache
def catalog() -> CRDCatalog:
    """The shared catalog of CRDS_DIR."""
    return CRDCatalog(CRDS_DIR)


def validate(obj: dict[str, Json]) -> list[str]:
    """Validate a manifest against the shared catalog; see CRDCatalog.validate."""
    return catalog().validate(obj)
