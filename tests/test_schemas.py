"""Would a real API server accept it? Every composed resource of every example, at every reconcile
stage, in both modes; and every package file. Validated against the real CRDs in ../shared/crds."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.compose import CLAIM_KINDS, EXAMPLES, REPO, replay
from support.crds import CRDS_DIR, crds_available, validate

from functions import simulate

pytestmark = pytest.mark.skipif(
    not crds_available(),
    reason=f"no CRDs at {CRDS_DIR} (set PAVED_CRDS_DIR to validate against them)",
)


def _composite_examples() -> list[Path]:
    paths = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        if path.is_relative_to(EXAMPLES / "extending"):
            continue  # a plugin's own examples: its own tests run them with the plugin installed
        document = yaml.safe_load(path.read_text())
        if (
            isinstance(document, dict)
            and str(document.get("apiVersion", "")).startswith("platform.paved.dev/")
            # A required resource handed to `paved render -e` (it has a status): not an input.
            and "status" not in document
        ):
            paths.append(path)
    return paths


def _both_modes(xr: dict[str, Any]) -> dict[str, dict[str, Any]]:
    metadata = xr["metadata"]
    if metadata.get("namespace"):
        cluster = {**xr, "metadata": {k: v for k, v in metadata.items() if k != "namespace"}}
        return {"namespaced": xr, "claim": cluster}
    return {
        "claim": xr,
        "namespaced": {**xr, "metadata": {"name": metadata["name"], "namespace": "team-a"}},
    }


EXAMPLE_PATHS = _composite_examples()
SECRET_FIELDS = {"apiVersion", "kind", "metadata", "type", "data", "immutable"}


def _validate(resource: dict[str, Any]) -> list[str]:
    """The CRD validator, and for core v1 Secrets (no CRD) the rules the API server applies."""
    if (resource.get("apiVersion"), resource.get("kind")) != ("v1", "Secret"):
        return validate(resource)
    errors = [f"{field}: unknown field" for field in set(resource) - SECRET_FIELDS]
    if not resource.get("metadata", {}).get("namespace"):
        errors.append("metadata.namespace: a Secret is namespaced")
    for key, value in (resource.get("data") or {}).items():
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError):
            errors.append(f"data.{key}: not base64")
    return errors


def test_there_are_examples_for_every_blueprint() -> None:
    kinds = {yaml.safe_load(p.read_text())["kind"] for p in EXAMPLE_PATHS}
    assert {"Bucket", "XBucket"} <= kinds


@pytest.mark.parametrize("example", EXAMPLE_PATHS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_composed_resource_at_every_stage_is_valid_in_both_modes(example: Path) -> None:
    document = yaml.safe_load(example.read_text())
    xr = simulate.as_xr(document, CLAIM_KINDS)
    errors = []
    for mode, composite in _both_modes(xr).items():
        rounds = replay(composite)
        assert not rounds[-1].fatal, rounds[-1].fatal
        for stage, round_ in enumerate(rounds):
            for key, resource in round_.desired.items():
                errors += [f"{mode} stage {stage} {key}: {e}" for e in _validate(resource)]
    assert not errors, "\n".join(errors)


def _package_documents() -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for folder in ("xrds", "compositions", "package", "examples"):
        for path in sorted((REPO / folder).rglob("*.yaml")):
            for document in yaml.safe_load_all(path.read_text()):
                if not isinstance(document, dict):
                    continue
                group = str(document.get("apiVersion", "")).split("/")[0]
                # Our own XRs and claims have no CRD until the XRDs are installed; CRDs for the
                # function input are plain Kubernetes CRDs. The autoscaler example is a built-in
                # kind, validated with kubernetes-validate in tests/server/test_package.py.
                if group in ("platform.paved.dev", "apiextensions.k8s.io", "autoscaling"):
                    continue
                documents.append((f"{path.relative_to(REPO)}:{document.get('kind')}", document))
    return documents


@pytest.mark.parametrize(
    ("name", "document"), _package_documents(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_package_files_are_valid_crossplane_objects(name: str, document: dict[str, Any]) -> None:
    errors = validate(document)
    if (
        document["apiVersion"] == "apiextensions.crossplane.io/v1"
        and document["kind"] == "CompositeResourceDefinition"
    ):
        # Claims need XRD v1 (deprecated in Crossplane 2, still served): v2 has no claimNames.
        errors = [e for e in errors if "deprecated version" not in e]
    assert errors == []
