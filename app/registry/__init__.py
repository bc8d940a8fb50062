"""The registry file: a GeoJSON FeatureCollection of facilities plus registry metadata."""

from .io import Registry, RegistryFileError, read_registry, write_registry

__all__ = ["Registry", "RegistryFileError", "read_registry", "write_registry"]
