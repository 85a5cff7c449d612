"""The template's functions, imported from their files and invoked like Lambda does.

Each handler module is imported by file path under a unique module name (``functions/*/`` folders
are not packages, and two ``app.py`` files must not collide). ``os.environ`` is process-wide, so
invocations take turns: each runs (and its module is first imported) with exactly its function's
environment in ``os.environ``, as on Lambda. The HTTP server stays threaded (slow clients do not
block others), but only one handler runs at a time; this is a development server.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from badgekiln.errors import InputError
from badgekiln.gateway.template import PSEUDO_PARAMETERS, FunctionSpec

__all__ = ["LambdaContext", "LocalFunction"]

#: os.environ is process-wide: invocations that set it take turns (re-entrant for nested imports).
_ENV_LOCK = threading.RLock()


class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    def __init__(self, spec: FunctionSpec, request_id: str) -> None:
        region, account = PSEUDO_PARAMETERS["AWS::Region"], PSEUDO_PARAMETERS["AWS::AccountId"]
        self.function_name = spec.logical_id
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account}:function:{spec.logical_id}"
        self.memory_limit_in_mb = spec.memory
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{spec.logical_id}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + spec.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    with _ENV_LOCK:
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, old in saved.items():
                if old is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = old


class LocalFunction:
    """One function of the template, loaded on first use."""

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str]) -> None:
        self.spec = spec
        self.environment = dict(environment)
        self._handler: Callable[[dict[str, Any], LambdaContext], Any] | None = None

    def _load(self) -> Callable[[dict[str, Any], LambdaContext], Any]:
        spec = self.spec
        file = spec.code_dir.joinpath(*spec.module.split(".")).with_suffix(".py")
        if not file.is_file():
            raise InputError(f"{spec.logical_id}: handler module {file} does not exist", reason="template")
        name = f"badgekiln_local_{spec.logical_id}"
        module_spec = importlib.util.spec_from_file_location(name, file)
        if module_spec is None or module_spec.loader is None:
            raise InputError(f"{spec.logical_id}: cannot import {file}", reason="template")
        module: ModuleType = importlib.util.module_from_spec(module_spec)
        if str(spec.code_dir) not in sys.path:
            # modules beside the handler import as they would from the Lambda task root
            sys.path.append(str(spec.code_dir))
        sys.modules[name] = module
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        handler = getattr(module, spec.attribute, None)
        if not callable(handler):
            raise InputError(
                f"{spec.logical_id}: {file} has no callable {spec.attribute!r}", reason="template"
            )
        return handler  # type: ignore[no-any-return]

    def invoke(self, event: dict[str, Any], request_id: str) -> Any:
        """Run the handler on ``event`` (importing it first if needed) and return its result.

        Raises:
            Exception: whatever the handler (or its import) raised; the gateway answers 500.
        """
        with _environment(self.environment):
            if self._handler is None:
                self._handler = self._load()
            return self._handler(event, LambdaContext(self.spec, request_id))
