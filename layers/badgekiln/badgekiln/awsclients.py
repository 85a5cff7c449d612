"""botocore clients for the AWS services badgekiln calls, made from the service data it ships.

botocore's own data directory describes every AWS service: making one client lists all ~450 of
them (twice), reads the 1.2 MB ``endpoints.json`` and the whole service model (S3's: 736 shapes),
~50 ms of CPU per client and process — on the first request of every function that reads the
store (bench/bench_coldstart.py). ``botocore_data/`` holds only what these clients read, and
their loader searches nothing else: each service's model cut to the operations of
:data:`OPERATIONS` (and the shapes they reach, without documentation), its paginators and endpoint
rules, ``endpoints.json`` cut to these services, and botocore's partitions, retry and
default-configuration files. ``scripts/botocore_data.py`` writes it from the installed botocore,
the version both locks pin; a test fails when it is stale. A call to an operation not listed is an
``AttributeError`` of the client: add it to :data:`OPERATIONS` and rerun the script.

The loader is shared: a process that makes several clients parses each file once.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.loaders import Loader

__all__ = ["DATA_DIR", "OPERATIONS", "client"]

#: The operations each service's client can call (botocore's names); CreateBucket is S3's
#: generate_presigned_post, which builds its form from that operation's model.
OPERATIONS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "s3": (
            "GetObject",
            "HeadObject",
            "ListObjectsV2",
            "PutObject",
            "DeleteObject",
            "DeleteObjects",
            "CreateBucket",
        ),
        "kms": ("CreateKey", "CreateAlias", "ScheduleKeyDeletion", "GetPublicKey", "Sign"),
        "sqs": ("SendMessage",),
        "events": ("PutEvents",),
    }
)
DATA_DIR: Final = Path(__file__).with_name("botocore_data")


@lru_cache(maxsize=1)
def _loader() -> Loader:
    from botocore.loaders import Loader

    class ShippedDataLoader(Loader):
        """botocore's loader over ``botocore_data/``, whose files count as botocore's own (they are
        a subset of them): an ``endpoints.json`` from elsewhere makes botocore hand every endpoint
        it resolves to the endpoint rules as a custom one (``SDK::Endpoint``), which changes S3's
        addresses (a presigned POST to eu-west-1 would name the regional host, not the global one)."""

        def is_builtin_path(self, path: str) -> bool:
            return True

    return ShippedDataLoader(extra_search_paths=[str(DATA_DIR)], include_default_search_paths=False)


def client(service: str, config: Config | None = None) -> Any:
    """A new client for ``service`` (a key of :data:`OPERATIONS`) from a new botocore session
    (credentials, region and ``AWS_ENDPOINT_URL`` as botocore resolves them) reading ``botocore_data/``.

    The caller imports botocore inside :func:`badgekiln.extras.requires` first.

    Raises:
        ValueError: a service badgekiln ships no data for.
        botocore.exceptions.BotoCoreError: as ``Session.create_client`` (no region, bad config).
    """
    if service not in OPERATIONS:
        raise ValueError(f"no botocore data for {service!r}: add it to OPERATIONS")
    from botocore.session import get_session

    session = get_session()
    session.register_component("data_loader", _loader())
    return session.create_client(service, config=config)
