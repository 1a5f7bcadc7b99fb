"""The composition kit: all a blueprint needs, and all a platform engineer needs to write one."""

from functions.kit.blueprint import DEFAULT_API, GROUP, VERSION, ApiGroup, Blueprint, Measure
from functions.kit.composite import Composite
from functions.kit.desired import Desired
from functions.kit.errors import ComposeError
from functions.kit.names import dns_label, short_hash
from functions.kit.observed import Observed
from functions.kit.params import CommonParameters, Model
from functions.kit.shapes import Kind, ProviderConfigRef, Shape, aws, crossplane_contrib

__all__ = [
    "DEFAULT_API",
    "GROUP",
    "VERSION",
    "ApiGroup",
    "Blueprint",
    "CommonParameters",
    "ComposeError",
    "Composite",
    "Desired",
    "Kind",
    "Measure",
    "Model",
    "Observed",
    "ProviderConfigRef",
    "Shape",
    "aws",
    "crossplane_contrib",
    "dns_label",
    "short_hash",
]
