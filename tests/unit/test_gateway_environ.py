"""Per-thread function environments (badgekiln_server.gateway.environ): what each invocation sees."""

from __future__ import annotations

import os
import threading

import pytest

from badgekiln_server.gateway.environ import function_environment

NAME = "BADGEKILN_TEST_LAYERED"


@pytest.fixture(autouse=True)
def _clean() -> None:
    os.environ.pop(NAME, None)


def test_a_layer_is_seen_by_its_thread_only() -> None:
    seen: dict[str, object] = {}
    inside = threading.Event()
    done = threading.Event()

    def invocation() -> None:
        with function_environment({NAME: "inside"}):
            seen["get"] = os.environ.get(NAME)
            seen["getenv"] = os.getenv(NAME)
            seen["in"] = NAME in os.environ
            seen["copy"] = os.environ.copy().get(NAME)
            seen["iter"] = NAME in list(os.environ)
            inside.set()
            done.wait(5)

    thread = threading.Thread(target=invocation)
    thread.start()
    assert inside.wait(5)
    # another thread (here: the test's) does not see it, even while the invocation runs
    assert os.environ.get(NAME) is None
    done.set()
    thread.join(5)
    assert seen == {"get": "inside", "getenv": "inside", "in": True, "copy": "inside", "iter": True}


def test_concurrent_invocations_keep_their_own_values() -> None:
    barrier = threading.Barrier(8)
    seen: dict[int, str | None] = {}

    def invocation(number: int) -> None:
        with function_environment({NAME: str(number)}):
            barrier.wait(5)  # all eight layers are active at once
            seen[number] = os.environ.get(NAME)

    threads = [threading.Thread(target=invocation, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert seen == {n: str(n) for n in range(8)}


def test_writes_and_deletes_stay_in_the_layer() -> None:
    os.environ[NAME] = "process"
    with function_environment({}):
        os.environ[NAME] = "changed"
        assert os.environ[NAME] == "changed"
        del os.environ[NAME]
        assert NAME not in os.environ
        with pytest.raises(KeyError):
            del os.environ[NAME]
        with pytest.raises(TypeError):
            os.environ[NAME] = 1  # type: ignore[assignment]
        assert len(os.environ) == len(list(os.environ))
    assert os.environ[NAME] == "process"


def test_layers_nest_and_unwind() -> None:
    with function_environment({NAME: "outer"}):
        with function_environment({NAME: "inner"}):
            assert os.environ[NAME] == "inner"
        assert os.environ[NAME] == "outer"
    assert NAME not in os.environ


def test_outside_an_invocation_os_environ_behaves_as_usual() -> None:
    with function_environment({}):
        pass
    os.environ[NAME] = "plain"
    assert os.getenv(NAME) == "plain"
    assert dict(os.environ)[NAME] == "plain"
    del os.environ[NAME]
    assert NAME not in os.environ
