"""Hardware catalog: sourced parts loaded from YAML into frozen, validated objects."""

from wafersim.catalog.catalog import Catalog
from wafersim.catalog.loader import load_catalog
from wafersim.catalog.schema import (
    Architecture,
    Chip,
    Cluster,
    Framework,
    MemoryService,
    Network,
    Node,
    Quantity,
    Source,
    Stack,
    Tag,
)
from wafersim.precision import Precision

__all__ = ["Architecture", "Catalog", "Chip", "Cluster", "Framework", "MemoryService", "Network",
           "Node", "Precision", "Quantity", "Source", "Stack", "Tag", "load_catalog"]
