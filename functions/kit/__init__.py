"""The composition kit: all a blueprint needs, and all a platform engineer needs to write one."""

from functions.kit.blueprint import GROUP, VERSION, Blueprint
from functions.kit.composite import Composite
from functions.kit.desired import Desired
from functions.kit.errors import ComposeError
from functions.kit.names import dns_label, short_hash
from functions.kit.observed import Observed
from functions.kit.params import CommonParameters, Model
from functions.kit.shapes import Kind, ProviderConfigRef, Shape, aws, crossplane_contrib

__all__ = [
    "GROUP",
    "VERSION",
    "Blueprint",
    "CommonParameters",
    "ComposeError",
    "Composite",
    "Desired",
    "Kind",
    "Model",
    "Observed",
    "ProviderConfigRef",
    "Shape",
    "aws",
    "crossplane_contrib",
    "dns_label",
    "short_hash",
]
