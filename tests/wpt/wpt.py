"""testharness.js, the Python way: one pytest per WPT subtest, and the WPT assertions peerlab needs.

- ``@subtest("exact WPT title")`` gives the test one parameter id equal to the title, so
  ``pytest -v`` prints ``test_x[exact WPT title]``.
- ``await rejects_dom(p, "InvalidStateError")`` is ``promise_rejects_dom(t, 'InvalidStateError', p)``:
  awaiting ``p`` must raise an exception whose ``.name`` is the DOMException name.
- ``await rejects_js(p, TypeError)`` is ``promise_rejects_js(t, TypeError, p)``.
- ``throws_dom(fn, name)`` / ``pytest.raises(TypeError)`` are ``assert_throws_dom`` / ``assert_throws_js``.
- ``await next_event(target, "x")`` is ``await new Promise(r => target.onx = r)``, with a timeout.
- ``await never_fulfils(p)`` is ``p.then(t.step_func(() => assert_not_reached()))`` plus a short wait;
  ``await never_settles(p)`` is ``test_never_resolve``: neither fulfilled nor rejected within the wait.

Every wait here has a timeout of a few seconds (WAIT): no test can hang.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

WAIT = 5.0  # the longest any single wait may take, in seconds
_MISSING = object()
_PENDING = object()


def subtest(title: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a test as the port of the WPT subtest ``title`` (its id in ``pytest -v`` is the title)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(fn)
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def wrapper(*args: Any, wpt_title: str, **kwargs: Any) -> Any:
                return await fn(*args, **kwargs)
        else:
            @functools.wraps(fn)
            def wrapper(*args: Any, wpt_title: str, **kwargs: Any) -> Any:
                return fn(*args, **kwargs)
        del wrapper.__wrapped__  # pytest must see the new signature, not fn's
        wrapper.__signature__ = signature.replace(parameters=[  # type: ignore[attr-defined]
            *signature.parameters.values(),
            inspect.Parameter("wpt_title", inspect.Parameter.KEYWORD_ONLY)])
        wrapper.wpt_title = title  # type: ignore[attr-defined]
        return pytest.mark.parametrize("wpt_title", [title], ids=[title])(wrapper)

    return decorate


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


async def within(awaitable: Awaitable[Any], timeout: float = WAIT, what: str = "the call") -> Any:
    """Await ``awaitable``, failing the test if it takes longer than ``timeout`` seconds."""
    try:
        return await asyncio.wait_for(_await(awaitable), timeout)
    except TimeoutError:
        pass  # failed below, outside the except block: a short traceback, no exception chain
    pytest.fail(f"{what} did not settle within {timeout:g} s")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__name__}(name={getattr(exc, 'name', None)!r}): {exc}"


async def rejects_dom(awaitable: Awaitable[Any], name: str, timeout: float = WAIT) -> BaseException:
    """``promise_rejects_dom``: awaiting must raise an error whose ``.name`` is ``name``."""
    value = None
    try:
        value = await asyncio.wait_for(_await(awaitable), timeout)
    except TimeoutError:
        value = _PENDING
    except Exception as exc:
        error = exc
    else:
        error = None
    if value is _PENDING:
        pytest.fail(f"expected a rejection with {name}; the promise was still pending after {timeout:g} s")
    if error is None:
        pytest.fail(f"expected a rejection with {name}; the promise fulfilled with {value!r}")
    assert getattr(error, "name", None) == name, f"expected a rejection with {name}, got {_describe(error)}"
    return error


async def rejects_js(awaitable: Awaitable[Any], kind: type[BaseException] = TypeError,
                     timeout: float = WAIT) -> BaseException:
    """``promise_rejects_js``: awaiting must raise an instance of ``kind`` (TypeError, ...)."""
    value = None
    try:
        value = await asyncio.wait_for(_await(awaitable), timeout)
    except TimeoutError:
        value = _PENDING
    except Exception as exc:
        error = exc
    else:
        error = None
    if value is _PENDING:
        pytest.fail(f"expected a rejection with {kind.__name__}; the promise was still pending after {timeout:g} s")
    if error is None:
        pytest.fail(f"expected a rejection with {kind.__name__}; the promise fulfilled with {value!r}")
    assert isinstance(error, kind), f"expected a rejection with {kind.__name__}, got {_describe(error)}"
    return error


def throws_dom(fn: Callable[[], Any], name: str) -> BaseException:
    """``assert_throws_dom``: calling ``fn`` must raise an error whose ``.name`` is ``name``."""
    try:
        value = fn()
    except Exception as exc:
        error = exc
    else:
        pytest.fail(f"expected {name} to be thrown; the call returned {value!r}")
    assert getattr(error, "name", None) == name, f"expected {name} to be thrown, got {_describe(error)}"
    return error


async def never_fulfils(awaitable: Awaitable[Any], seconds: float = 0.2) -> None:
    """``p.then(t.step_func(() => assert_not_reached()))`` followed by a short wait.

    Only fulfilment fails: WPT attaches no rejection handler, and the spec rejects some of
    these calls (a closed connection rejects new operations with InvalidStateError).
    """
    task = asyncio.ensure_future(_await(awaitable))
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return
    if task.exception() is None:
        pytest.fail(f"the promise should not fulfil; it fulfilled with {task.result()!r}")


async def never_settles(awaitable: Awaitable[Any], seconds: float = 0.2) -> None:
    """``test_never_resolve``: the promise must neither fulfil nor reject within ``seconds`` (WPT: 100-200 ms)."""
    task = asyncio.ensure_future(_await(awaitable))
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return
    if task.exception() is not None:
        pytest.fail(f"Pending promise should never be resolved. Instead it is rejected with: {task.exception()!r}")
    pytest.fail(f"Pending promise should never be resolved. Instead it is fulfilled with: {task.result()!r}")


def listen(target: Any, type: str, listener: Callable[..., Any]) -> Callable[[], None]:
    """``target.addEventListener(type, listener)``; returns a function that removes it.

    peerlab objects have the browser's ``addEventListener``; a data channel may only
    have pyee's ``on`` (aiortc's), which is used then.
    """
    if hasattr(target, "addEventListener"):
        target.addEventListener(type, listener)
        return lambda: target.removeEventListener(type, listener)
    target.on(type, listener)
    return lambda: target.remove_listener(type, listener) if listener in target.listeners(type) else None


def event_of(args: tuple[Any, ...]) -> Any:
    """The event a listener received (a browser passes exactly one; pyee's ``open`` passes none)."""
    return args[0] if args else None


async def next_event(target: Any, type: str, timeout: float = WAIT) -> Any:
    """``await new Promise(r => target.addEventListener(type, r, {once: true}))``, with a timeout."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def on_event(*args: Any) -> None:
        if not future.done():
            future.set_result(event_of(args))

    stop = listen(target, type, on_event)
    try:
        return await asyncio.wait_for(future, timeout)
    except TimeoutError:
        pass
    finally:
        stop()
    pytest.fail(f"no {type!r} event on {target!r} within {timeout:g} s")


async def wait_until(predicate: Callable[[], bool], timeout: float = WAIT, what: str = "the condition") -> None:
    """Poll ``predicate`` until it is true (every 10 ms), failing after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            pytest.fail(f"{what} was not reached within {timeout:g} s")
        await asyncio.sleep(0.01)


async def sleep_ms(ms: float) -> None:
    """``await new Promise(r => t.step_timeout(r, ms))``."""
    await asyncio.sleep(ms / 1000)


def message_data(event: Any) -> Any:
    """``event.data`` of a data channel ``message`` event (aiortc passes the data itself)."""
    return getattr(event, "data", event) if not isinstance(event, (str, bytes)) else event


def attribute(obj: Any, name: str) -> Any:
    """``obj.name``; an attribute the object lacks fails the test with a clear message."""
    value = getattr(obj, name, _MISSING)
    assert value is not _MISSING, f"{type(obj).__name__} has no attribute {name!r} (the browser's object has)"
    return value


# -- RTCPeerConnection-helper.js: SDP comparison --------------------------------------------

_AUDIO = re.compile(r"\r\nm=audio.+\r\n")
_VIDEO = re.compile(r"\r\nm=video.+\r\n")
_APPLICATION = re.compile(r"\r\nm=application.+\r\n")


def count_audio_lines(sdp: str) -> int:
    return len(_AUDIO.findall(sdp))


def count_video_lines(sdp: str) -> int:
    return len(_VIDEO.findall(sdp))


def count_application_lines(sdp: str) -> int:
    return len(_APPLICATION.findall(sdp))


def _type_and_sdp(description: Any) -> tuple[Any, Any]:
    assert description is not None, "expected a session description, got None"
    if isinstance(description, dict):
        return description.get("type"), description.get("sdp")
    return getattr(description, "type", None), getattr(description, "sdp", None)


def is_similar_session_description(a: Any, b: Any) -> bool:
    """``isSimilarSessionDescription``: same type and the same count of each kind of m= line."""
    type_a, sdp_a = _type_and_sdp(a)
    type_b, sdp_b = _type_and_sdp(b)
    assert isinstance(type_a, str) and isinstance(sdp_a, str), f"not a session description: {a!r}"
    assert isinstance(type_b, str) and isinstance(sdp_b, str), f"not a session description: {b!r}"
    if type_a != type_b:
        return False
    if sdp_a == sdp_b:
        return True
    return all(count(sdp_a) == count(sdp_b)
               for count in (count_audio_lines, count_video_lines, count_application_lines))


def assert_session_desc_similar(a: Any, b: Any) -> None:
    assert is_similar_session_description(a, b), (
        f"expected similar session descriptions (same type and m= line counts): {a!r} vs {b!r}")


def assert_session_desc_not_similar(a: Any, b: Any) -> None:
    assert not is_similar_session_description(a, b), (
        f"expected different session descriptions (type or m= line counts): {a!r} vs {b!r}")
