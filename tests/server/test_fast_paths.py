"""The hot paths' shortcuts build exactly what the straightforward code builds."""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.structs import fill_struct

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), JSON, max_size=6))
def test_fill_struct_is_struct_update(data: dict[str, Any]) -> None:
    expected, actual = struct_pb2.Struct(), struct_pb2.Struct()
    expected.update(data)
    fill_struct(actual, data)
    assert actual.SerializeToString(deterministic=True) == expected.SerializeToString(
        deterministic=True
    )
