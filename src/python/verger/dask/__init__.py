"""`python3 -m verger.dask`: `verger run` on a Dask cluster (see verger.cluster and docs/cluster.md)."""
from .cli import main  # noqa: F401
