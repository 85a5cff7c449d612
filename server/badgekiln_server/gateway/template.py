"""Read a SAM ``template.yaml`` into what a local API Gateway needs: functions, routes, CORS, authorizers.

CloudFormation short tags (``!Ref``, ``!Sub``, ``!GetAtt`` …) parse into their long forms, and
intrinsic functions in environment variables resolve to local stand-ins: parameters take the
values given (else their defaults), pseudo parameters fixed local values, resources their logical
ids. Anything the local server cannot honour is refused with the template location in the message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from badgekiln.errors import InputError, InputTooLarge

__all__ = [
    "PSEUDO_PARAMETERS",
    "AuthorizerSpec",
    "CorsSpec",
    "FunctionSpec",
    "LocalApp",
    "RouteSpec",
    "load_template",
]

#: Templates are small; a bigger file is not a template.
MAX_TEMPLATE_BYTES = 1024 * 1024

PSEUDO_PARAMETERS: Mapping[str, str] = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "us-east-1",
    "AWS::Partition": "aws",
    "AWS::StackName": "badgekiln-local",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/badgekiln-local/local",
    "AWS::URLSuffix": "amazonaws.com",
}
_NO_VALUE = object()
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A function of the template: where its code is and how it runs."""

    logical_id: str
    code_dir: Path
    module: str
    attribute: str
    environment: Mapping[str, str]
    timeout: int
    memory: int


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One HttpApi route: ``method`` is upper-case or ``ANY``; ``path`` is ``$default`` or ``/…``."""

    method: str
    path: str
    function: str
    authorizer: str | None

    @property
    def key(self) -> str:
        """The route key as API Gateway writes it (``POST /bake``, ``$default``)."""
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class AuthorizerSpec:
    """A Lambda REQUEST authorizer (payload 2.0, simple responses)."""

    name: str
    function: str
    identity_sources: tuple[str, ...]
    ttl: int


@dataclass(frozen=True, slots=True)
class CorsSpec:
    """The HttpApi's CorsConfiguration."""

    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int | None
    allow_credentials: bool


@dataclass(frozen=True, slots=True)
class LocalApp:
    """Everything the local gateway serves."""

    root: Path
    functions: Mapping[str, FunctionSpec]
    routes: tuple[RouteSpec, ...]
    authorizers: Mapping[str, AuthorizerSpec] = field(default_factory=dict)
    cors: CorsSpec | None = None


def _loader() -> type[Any]:
    import yaml

    class CfnLoader(yaml.SafeLoader):
        """SafeLoader that reads CloudFormation short-form tags."""

    def construct(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "Condition":
            return {"Condition": value}
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{suffix}": value}

    CfnLoader.add_multi_constructor("!", construct)
    return CfnLoader


def _fail(where: str, message: str) -> InputError:
    return InputError(f"template: {where}: {message}", reason="template", where=where)


class _Resolver:
    """Evaluates the intrinsic functions a local run needs, to strings."""

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, str]) -> None:
        self.parameters: dict[str, str] = {}
        for name, spec in (template.get("Parameters") or {}).items():
            if name in parameters:
                self.parameters[name] = parameters[name]
            elif isinstance(spec, Mapping) and "Default" in spec:
                default = spec["Default"]
                self.parameters[name] = (
                    ",".join(map(str, default)) if isinstance(default, list) else str(default)
                )
        self.resources = set(template.get("Resources") or {})
        self.conditions: Mapping[str, Any] = template.get("Conditions") or {}
        self._evaluating: set[str] = set()

    def ref(self, name: str, where: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return name.lower()  # a local stand-in: resources do not exist here
        raise _fail(where, f"!Ref to unknown name {name!r}")

    def condition(self, name: str, where: str) -> bool:
        if name not in self.conditions:
            raise _fail(where, f"unknown condition {name!r}")
        if name in self._evaluating:
            raise _fail(where, f"condition {name!r} refers to itself")
        self._evaluating.add(name)
        try:
            return bool(self.value(self.conditions[name], where))
        finally:
            self._evaluating.discard(name)

    def value(self, node: Any, where: str) -> Any:
        if not isinstance(node, Mapping):
            return node
        if len(node) != 1:
            return {k: self.value(v, where) for k, v in node.items()}
        ((key, arg),) = node.items()
        if key == "Ref":
            return self.ref(str(arg), where)
        if key == "Condition":
            return self.condition(str(arg), where)
        if key == "Fn::GetAtt":
            target, attr = (arg if isinstance(arg, list) else str(arg).split(".", 1)) + [""][: 2 - len(arg)]
            if target not in self.resources:
                raise _fail(where, f"!GetAtt of unknown resource {target!r}")
            return f"arn:aws:local:us-east-1:123456789012:{target}.{attr}"
        if key == "Fn::Sub":
            text, extra = (arg[0], arg[1]) if isinstance(arg, list) else (arg, {})
            variables = {k: self.value(v, where) for k, v in extra.items()}

            def substitute(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in variables:
                    return str(variables[name])
                if "." in name and name.split(".", 1)[0] in self.resources:
                    return str(self.value({"Fn::GetAtt": name.split(".", 1)}, where))
                return str(self.ref(name, where))

            return _SUB_VAR.sub(substitute, str(text)).replace("${!", "${")
        if key == "Fn::Join":
            separator, items = arg
            return str(separator).join(str(self.value(i, where)) for i in self.value(items, where))
        if key == "Fn::If":
            name, then, otherwise = arg
            return self.value(then if self.condition(name, where) else otherwise, where)
        if key == "Fn::Equals":
            left, right = (self.value(a, where) for a in arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self.value(arg[0], where)
        if key == "Fn::And":
            return all(self.value(a, where) for a in arg)
        if key == "Fn::Or":
            return any(self.value(a, where) for a in arg)
        if key == "Fn::Select":
            index, items = arg
            return self.value(items, where)[int(self.value(index, where))]
        if key == "Fn::Split":
            separator, text = arg
            return str(self.value(text, where)).split(str(separator))
        if key.startswith("Fn::"):
            raise _fail(where, f"{key} is not supported by the local server")
        return {key: self.value(arg, where)}

    def string(self, node: Any, where: str) -> str | None:
        value = self.value(node, where)
        if value is _NO_VALUE:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        raise _fail(where, f"expected a string, got {type(value).__name__}")


def _strings(value: Any) -> tuple[str, ...]:
    return (
        tuple(str(v) for v in value) if isinstance(value, list) else (() if value is None else (str(value),))
    )


def _cors(props: Mapping[str, Any]) -> CorsSpec | None:
    config = props.get("CorsConfiguration")
    if not config:
        return None
    if config is True:
        return CorsSpec(("*",), ("*",), ("*",), (), None, False)
    return CorsSpec(
        allow_origins=_strings(config.get("AllowOrigins")),
        allow_methods=tuple(m.upper() for m in _strings(config.get("AllowMethods"))),
        allow_headers=tuple(h.lower() for h in _strings(config.get("AllowHeaders"))),
        expose_headers=tuple(h.lower() for h in _strings(config.get("ExposeHeaders"))),
        max_age=int(config["MaxAge"]) if "MaxAge" in config else None,
        allow_credentials=bool(config.get("AllowCredentials", False)),
    )


def _authorizers(api_id: str, props: Mapping[str, Any]) -> dict[str, AuthorizerSpec]:
    found: dict[str, AuthorizerSpec] = {}
    for name, spec in ((props.get("Auth") or {}).get("Authorizers") or {}).items():
        where = f"{api_id}.Auth.Authorizers.{name}"
        arn = spec.get("FunctionArn")
        if not (isinstance(arn, Mapping) and "Fn::GetAtt" in arn):
            raise _fail(where, "only Lambda authorizers given as !GetAtt <Function>.Arn are served locally")
        if (
            str(spec.get("AuthorizerPayloadFormatVersion", "")) != "2.0"
            or spec.get("EnableSimpleResponses") is not True
        ):
            raise _fail(
                where, "local authorizers need AuthorizerPayloadFormatVersion 2.0 and EnableSimpleResponses"
            )
        identity = spec.get("Identity") or {}
        sources = [f"$request.header.{h.lower()}" for h in _strings(identity.get("Headers"))]
        sources += [f"$request.querystring.{q}" for q in _strings(identity.get("QueryStrings"))]
        found[name] = AuthorizerSpec(
            name=name,
            function=str(arn["Fn::GetAtt"][0]),
            identity_sources=tuple(sources) or ("$request.header.authorization",),
            # SAM's default cache TTL for HTTP API Lambda authorizers is 300 s
            ttl=int(identity.get("ReauthorizeEvery", 300)),
        )
    return found


def load_template(path: Path, *, parameters: Mapping[str, str] | None = None) -> LocalApp:
    """Read the SAM template at ``path`` (code paths are relative to its folder).

    Raises:
        InputError: ``reason="template"``: unreadable YAML, or a construct the local server cannot
            serve (the message names the resource and property).
        InputTooLarge: the file is over 1 MiB.
    """
    import yaml

    data = path.read_bytes()
    if len(data) > MAX_TEMPLATE_BYTES:
        raise InputTooLarge(f"{path} is over {MAX_TEMPLATE_BYTES} bytes", limit=MAX_TEMPLATE_BYTES)
    try:
        template = yaml.load(data, Loader=_loader())  # noqa: S506  (a SafeLoader subclass)
        return _app(path, template, parameters or {})
    except yaml.YAMLError as exc:
        raise InputError(f"template: {path} is not valid YAML: {exc}", reason="template") from exc
    except (AttributeError, IndexError, KeyError, RecursionError, TypeError, ValueError) as exc:
        # the template is read without a schema: a section of another shape (a list where a
        # mapping belongs, a word where a number does, a short !If …) fails wherever it is used
        raise _fail(str(path), f"a section has an unexpected shape ({type(exc).__name__}: {exc})") from exc


def _app(path: Path, template: Any, parameters: Mapping[str, str]) -> LocalApp:
    if not isinstance(template, Mapping) or not isinstance(template.get("Resources"), Mapping):
        raise _fail(str(path), "no Resources section")
    resolver = _Resolver(template, parameters)
    resources: Mapping[str, Any] = template["Resources"]
    globals_fn: Mapping[str, Any] = (template.get("Globals") or {}).get("Function") or {}
    root = path.resolve().parent

    apis = {
        rid: r.get("Properties") or {}
        for rid, r in resources.items()
        if r.get("Type") == "AWS::Serverless::HttpApi"
    }
    if len(apis) > 1:
        raise _fail("Resources", f"the local server serves one HttpApi; found {', '.join(sorted(apis))}")
    api_id, api_props = next(iter(apis.items()), ("ServerlessHttpApi", {}))
    authorizers = _authorizers(api_id, api_props)
    default_auth = (api_props.get("Auth") or {}).get("DefaultAuthorizer")

    functions: dict[str, FunctionSpec] = {}
    routes: list[RouteSpec] = []
    for rid, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props: Mapping[str, Any] = resource.get("Properties") or {}
        code_uri, handler = props.get("CodeUri"), props.get("Handler")
        if not isinstance(code_uri, str) or not isinstance(handler, str) or "." not in handler:
            raise _fail(rid, "needs a local CodeUri folder and a Handler of the form module.function")
        module, _, attribute = handler.rpartition(".")
        env: dict[str, str] = {}
        for scope, variables in (
            ("Globals.Function", ((globals_fn.get("Environment") or {}).get("Variables") or {})),
            (rid, ((props.get("Environment") or {}).get("Variables") or {})),
        ):
            for name, node in variables.items():
                value = resolver.string(node, f"{scope}.Environment.Variables.{name}")
                if value is not None:
                    env[name] = value
        functions[rid] = FunctionSpec(
            logical_id=rid,
            code_dir=(root / code_uri).resolve(),
            module=module,
            attribute=attribute,
            environment=env,
            timeout=int(props.get("Timeout", globals_fn.get("Timeout", 3))),
            memory=int(props.get("MemorySize", globals_fn.get("MemorySize", 128))),
        )
        for event_id, event in (props.get("Events") or {}).items():
            if event.get("Type") != "HttpApi":
                continue
            where = f"{rid}.Events.{event_id}"
            eprops = event.get("Properties") or {}
            ref = (eprops.get("ApiId") or {}).get("Ref") if isinstance(eprops.get("ApiId"), Mapping) else None
            if eprops.get("ApiId") is not None and ref != api_id:
                raise _fail(where, "ApiId must be !Ref of the template's HttpApi")
            auth = (eprops.get("Auth") or {}).get("Authorizer", default_auth)
            if auth == "NONE":
                auth = None
            if auth is not None and auth not in authorizers:
                raise _fail(where, f"unknown authorizer {auth!r}")
            path_ = str(eprops.get("Path", "$default"))
            method = str(eprops.get("Method", "ANY")).upper()
            routes.append(
                RouteSpec(
                    "ANY" if method in {"ANY", "*", "X-AMAZON-APIGATEWAY-ANY-METHOD"} else method,
                    path_,
                    rid,
                    auth,
                )
            )
    for spec in authorizers.values():
        if spec.function not in functions:
            raise _fail(
                f"{api_id}.Auth.Authorizers.{spec.name}", f"function {spec.function!r} is not in the template"
            )
    keys = [r.key for r in routes]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise _fail("Events", f"duplicate routes: {', '.join(duplicates)}")
    return LocalApp(
        root=root, functions=functions, routes=tuple(routes), authorizers=authorizers, cors=_cors(api_props)
    )
