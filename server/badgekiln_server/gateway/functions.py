"""The template's functions, imported from their files and invoked like Lambda does.

Each handler module is imported by file path under a unique module name (``functions/*/`` folders
are not packages, and two ``app.py`` files must not collide). Each invocation runs (and its module
is first imported) with exactly its function's environment in ``os.environ``, as on Lambda, in a
per-thread layer (:mod:`.environ`).

Invocations run one at a time in the whole process, whichever function they belong to: Powertools
keeps the event being resolved and the Lambda context on its router *class* (and its metric set
per process), so two overlapping invocations, even of different functions, would read each
other's requests, which Lambda, one invocation per process, never does. The handlers are
CPU-bound under the GIL, so this costs no throughput, only fairness; the connections themselves
are served concurrently. A handler cannot wait on the local server over HTTP: the fetcher never
connects to loopback or private addresses, and this deployment's own documents are read from the
store (:mod:`badgekiln.hosting.site`). An invocation nested in another on the same thread (a
handler invoking a function in-process) runs at once. This is a development server.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from badgekiln.errors import InputError
from badgekiln_server.gateway.environ import function_environment
from badgekiln_server.gateway.template import PSEUDO_PARAMETERS, FunctionSpec

__all__ = ["LambdaContext", "LocalFunction"]

#: Held while any handler runs (re-entrant for in-process nesting); see the module docstring.
_INVOKING = threading.RLock()


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
        with _INVOKING, function_environment(self.environment):
            if self._handler is None:
                self._handler = self._load()
            return self._handler(event, LambdaContext(self.spec, request_id))
