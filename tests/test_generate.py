"""XRDs, Compositions and the input CRD are generated from the blueprints' models."""

from __future__ import annotations

from support.compose import REPO

from functions.generate import generated_files, structural
from functions.kit.params import CommonParameters


def test_committed_package_files_match_the_models() -> None:
    stale = [
        path for path, content in generated_files().items() if (REPO / path).read_text() != content
    ]
    assert not stale, f"run `paved generate`: stale {stale}"


def test_schemas_are_structural() -> None:
    schema = structural(CommonParameters)
    assert schema["required"] == ["region"]
    assert schema["properties"]["deletionPolicy"] == {
        "description": schema["properties"]["deletionPolicy"]["description"],
        "type": "string",
        "enum": ["Delete", "Orphan"],
        "default": "Delete",
    }
    assert schema["properties"]["tags"]["additionalProperties"] == {
        "type": "string",
        "maxLength": 256,
    }

    def walk(node: dict) -> None:
        assert not {"anyOf", "$ref", "title", "const"} & set(node), node
        for child in node.get("properties", {}).values():
            walk(child)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                walk(node[key])

    for content in generated_files().values():
        assert "$ref" not in content and "anyOf" not in content
    walk(schema)
