"""A JavaScript-style ``Promise`` on the running asyncio loop, which can also be awaited.

The guide says most WebRTC calls return Promises and advises ``async``/``await``
over ``.then()`` listeners. So that a learner can write the same step both ways in
Python, peerlab's connection methods return this ``Promise``::

    pc.createOffer().then(send_offer).catch(report)   # callbacks, as in JavaScript
    offer = await pc.createOffer()                   # async/await

It follows the Promises/A+ rules: it settles once; handlers run later (``call_soon``),
never inside ``.then``, in the order they were added; ``.then`` returns a new promise
settled by the handler's result; promises, thenables and awaitables are adopted.
A rejection nobody ever handles is reported once, with its traceback, through the
loop's exception handler (the browser's "Uncaught (in promise)").
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable
from typing import Any, Generic, ParamSpec, TypeVar

__all__ = ["Promise", "PromiseRejectedError", "as_promise", "promising"]

T = TypeVar("T")
P = ParamSpec("P")

PENDING, FULFILLED, REJECTED = "pending", "fulfilled", "rejected"


class PromiseRejectedError(Exception):
    """Raised by ``await`` for a promise rejected with something that is not an exception."""

    def __init__(self, reason: Any) -> None:
        super().__init__(f"the promise was rejected with {reason!r}")
        self.reason = reason


def _running_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError("a Promise needs a running asyncio loop: use it inside a notebook cell "
                           "or an async function") from None


class Promise(Generic[T]):
    """``Promise(executor)``: ``executor(resolve, reject)`` runs at once, as in JavaScript."""

    def __init__(self, executor: Callable[[Callable[[Any], None], Callable[[Any], None]], Any]) -> None:
        self._loop = _running_loop()
        self._state = PENDING
        self._result: Any = None
        self._callbacks: list[Callable[[], None]] = []
        self._handled = False
        self._reported = False
        self._tasks: set[asyncio.Future[Any]] = set()
        resolve, reject = self._resolvers()
        try:
            executor(resolve, reject)
        except Exception as exc:
            reject(exc)

    # -- state ---------------------------------------------------------------

    @property
    def state(self) -> str:
        """``"pending"``, ``"fulfilled"`` or ``"rejected"``."""
        return self._state

    @property
    def value(self) -> T:
        """The value of a fulfilled promise."""
        if self._state != FULFILLED:
            raise RuntimeError(f"the promise is {self._state}, so it has no value")
        return self._result

    @property
    def reason(self) -> Any:
        """The reason of a rejected promise (reading it counts as handling it)."""
        if self._state != REJECTED:
            raise RuntimeError(f"the promise is {self._state}, so it has no reason")
        self._handled = True
        return self._result

    def __repr__(self) -> str:
        if self._state == PENDING:
            return "<Promise pending>"
        return f"<Promise {self._state}: {self._result!r}>"

    # -- settling ------------------------------------------------------------

    def _resolvers(self) -> tuple[Callable[[Any], None], Callable[[Any], None]]:
        """A resolve/reject pair of which only the first call counts."""
        done = False

        def resolve(value: Any = None) -> None:
            nonlocal done
            if not done:
                done = True
                self._resolve(value)

        def reject(reason: Any = None) -> None:
            nonlocal done
            if not done:
                done = True
                self._settle(REJECTED, reason)

        return resolve, reject

    def _resolve(self, value: Any) -> None:
        """The Promise Resolution Procedure (A+ 2.3)."""
        if value is self:
            self._settle(REJECTED, TypeError("a promise cannot be resolved with itself"))
            return
        if isinstance(value, Promise):
            value._handled = True
            value._subscribe(lambda: self._settle(value._state, value._result))
            return
        if inspect.isawaitable(value):
            future = asyncio.ensure_future(value)
            self._tasks.add(future)
            future.add_done_callback(self._adopt_future)
            return
        try:
            then = getattr(value, "then", None)
        except Exception as exc:
            self._settle(REJECTED, exc)
            return
        if callable(then):
            resolve, reject = self._resolvers()

            def call_then() -> None:
                try:
                    then(resolve, reject)
                except Exception as exc:
                    reject(exc)

            self._loop.call_soon(call_then)
            return
        self._settle(FULFILLED, value)

    def _adopt_future(self, future: asyncio.Future[Any]) -> None:
        self._tasks.discard(future)
        if future.cancelled():
            self._settle(REJECTED, asyncio.CancelledError())
        elif future.exception() is not None:
            self._settle(REJECTED, future.exception())
        else:
            self._resolve(future.result())

    def _settle(self, state: str, result: Any) -> None:
        if self._state != PENDING:
            return
        self._state, self._result = state, result
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            self._loop.call_soon(callback)

    def _subscribe(self, callback: Callable[[], None]) -> None:
        if self._state == PENDING:
            self._callbacks.append(callback)
        else:
            self._loop.call_soon(callback)

    # -- the JavaScript API --------------------------------------------------

    def then(self, on_fulfilled: Callable[[Any], Any] | None = None,
             on_rejected: Callable[[Any], Any] | None = None) -> Promise[Any]:
        """A new promise, settled by ``on_fulfilled(value)`` or ``on_rejected(reason)``."""
        self._handled = True
        derived: Promise[Any] = Promise(lambda resolve, reject: None)
        resolve, reject = derived._resolvers()

        def run() -> None:
            handler = on_fulfilled if self._state == FULFILLED else on_rejected
            if not callable(handler):
                (resolve if self._state == FULFILLED else reject)(self._result)
                return
            try:
                resolve(handler(self._result))
            except Exception as exc:
                reject(exc)

        self._subscribe(run)
        return derived

    def catch(self, on_rejected: Callable[[Any], Any]) -> Promise[Any]:
        """``.then(None, on_rejected)``."""
        return self.then(None, on_rejected)

    def finally_(self, callback: Callable[[], Any]) -> Promise[T]:
        """Run ``callback()`` either way and pass the outcome on (``finally`` is a Python keyword)."""

        def after(outcome: Callable[[], Any]) -> Callable[[Any], Any]:
            def run(_: Any) -> Any:
                return Promise.resolve(callback()).then(lambda _: outcome())
            return run

        def fulfil_again() -> Any:
            return self._result

        def reject_again() -> Any:
            return Promise.reject(self._result)

        return self.then(after(fulfil_again), after(reject_again))

    def __await__(self) -> Generator[Any, None, T]:
        self._handled = True
        future = self._loop.create_future()

        def copy() -> None:
            if future.done():
                return
            if self._state == FULFILLED:
                future.set_result(self._result)
            elif isinstance(self._result, BaseException):
                future.set_exception(self._result)
            else:
                future.set_exception(PromiseRejectedError(self._result))

        self._subscribe(copy)
        return (yield from future.__await__())

    # -- static methods ------------------------------------------------------

    @staticmethod
    def resolve(value: Any = None) -> Promise[Any]:
        """``value`` itself if it is a Promise; otherwise a promise resolved with it (a coroutine is awaited)."""
        if isinstance(value, Promise):
            return value
        return Promise(lambda resolve, _: resolve(value))

    @staticmethod
    def reject(reason: Any) -> Promise[Any]:
        """A promise rejected with ``reason``."""
        return Promise(lambda _, reject: reject(reason))

    @staticmethod
    def all(items: Iterable[Any]) -> Promise[list[Any]]:
        """All values in input order, or the first rejection."""
        promises = [Promise.resolve(item) for item in items]

        def executor(resolve: Callable[[Any], None], reject: Callable[[Any], None]) -> None:
            values: list[Any] = [None] * len(promises)
            left = len(promises)
            if not promises:
                resolve([])

            def keep(index: int) -> Callable[[Any], None]:
                def fulfilled(value: Any) -> None:
                    nonlocal left
                    values[index] = value
                    left -= 1
                    if left == 0:
                        resolve(values)
                return fulfilled

            for index, promise in enumerate(promises):
                promise.then(keep(index), reject)

        return Promise(executor)

    @staticmethod
    def allSettled(items: Iterable[Any]) -> Promise[list[dict[str, Any]]]:
        """Every outcome, in input order: ``{"status": "fulfilled", "value": v}`` or ``{"status": "rejected", "reason": r}``."""
        return Promise.all(
            Promise.resolve(item).then(lambda v: {"status": "fulfilled", "value": v},
                                       lambda r: {"status": "rejected", "reason": r})
            for item in items)

    @staticmethod
    def race(items: Iterable[Any]) -> Promise[Any]:
        """Settles as the first of ``items`` to settle."""
        promises = [Promise.resolve(item) for item in items]
        return Promise(lambda resolve, reject: [p.then(resolve, reject) for p in promises])

    # -- unhandled rejections ------------------------------------------------

    def __del__(self) -> None:
        if getattr(self, "_state", None) != REJECTED or self._handled or self._reported:
            return
        self._reported = True
        loop = self._loop
        if loop.is_closed():
            return
        reason = self._result
        context: dict[str, Any] = {"message": f"Uncaught (in promise): {reason!r}", "promise": self}
        if isinstance(reason, BaseException):
            context["exception"] = reason
        try:
            loop.call_exception_handler(context)
        except Exception:  # interpreter shutdown: nothing left to report to
            pass


def as_promise(awaitable: Awaitable[T]) -> Promise[T]:
    """Wrap a coroutine (an aiortc call) so it can be used with ``.then()`` or ``await``."""
    return Promise.resolve(awaitable)


def promising(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Promise[T]]:
    """Make an ``async def`` return a :class:`Promise`, as the browser's methods do.

    The work starts at the call, as in JavaScript; ``await`` and ``.then()`` both work.
    """

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Promise[T]:
        return Promise.resolve(method(*args, **kwargs))

    return wrapper
