"""A JavaScript-style ``Promise`` on the running asyncio loop, which can also be awaited.

The WebRTC guide says most calls return Promises and advises ``async``/``await``
over ``.then()`` listeners. So that a learner can write the same step both ways in
Python, against the real connection, peerlab's connection methods return this
``Promise``, which mirrors the JavaScript one::

    pc.createOffer().then(send_offer).catch(report)   # callbacks, as in JavaScript
    offer = await pc.createOffer()                   # async/await

It follows the Promises/A+ rules: it settles once; handlers run later, never inside
``.then`` or ``resolve``, in the order they were added; ``.then`` returns
a new promise settled by the handler's result; promises, thenables and awaitables
(coroutines, futures, tasks) are adopted.

Handlers are JavaScript's *microtasks*: one loop callback runs every queued handler,
and the handlers those queue, before the loop does anything else, so a ``.then``
chain of any length settles within one turn, as in a browser. :func:`queue_task` is
the browser's *task*: it runs after that, once the code the handlers woke has run;
the connection fires its events that way.

A rejection that has no handler two loop turns after it happened is reported once, with its
traceback, through the loop's exception handler: what a notebook shows, as a browser fires
``unhandledrejection`` and prints "Uncaught (in promise)" right after the task that rejected.
A handler attached later still runs (JavaScript would fire ``rejectionhandled``); the rejection
is not reported a second time. A promise collected before its check ran (its loop was closed
first) is reported when it is collected.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable
from typing import TYPE_CHECKING, Any, Generic, NoReturn, ParamSpec, TypeVar, cast

from ..errors import PromiseNotAwaitedError, PromiseRejectedError
from . import interrupts
from .limits import explain_file_limit

__all__ = ["Promise", "promising", "waits_for", "queue_task"]

T = TypeVar("T")
P = ParamSpec("P")
Settler = Callable[..., None]

PENDING, FULFILLED, REJECTED = "pending", "fulfilled", "rejected"
# What an executor, handler or thenable may raise and have turned into a rejection.
# CancelledError is a BaseException, but left uncaught it would leave the promise pending
# forever; KeyboardInterrupt and SystemExit still stop the program.
_CATCH = (Exception, asyncio.CancelledError)
# Tasks running an awaitable that a promise adopted: asyncio only keeps weak references to tasks.
_adopted_tasks: set[asyncio.Future[Any]] = set()
# Loop turns a rejection may stay unhandled before it is reported: code that handles it in the
# same step (``p.catch(...)`` right after, ``await p`` in the same cell) is never reported.
UNHANDLED_TURNS = 2


_ADD_AWAIT = "this is a Promise: add await (or use .then) to get the value inside it"


def _not_awaited(what: str) -> PromiseNotAwaitedError:
    return PromiseNotAwaitedError(f"{what}: {_ADD_AWAIT}")


# After the microtask checkpoint, how many more loop turns a task waits: awaiting code is
# resumed by asyncio in a later turn (one per task awaiting another), not as a microtask.
# Measured: a coroutine awaiting a promise through asyncio.wait_for (the WPT port's `within`)
# resumes 4 turns after it settles; 6 leaves room for one more task in the chain.
_TASK_DELAY_TURNS = 6


class _Jobs:
    """One loop's microtask queue: drained whole, in order, by a single loop callback."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: deque[Callable[[], None]] = deque()
        self.after: list[Callable[[], None]] = []
        self.scheduled = False

    def microtask(self, job: Callable[[], None]) -> None:
        self.queue.append(job)
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self.drain)

    def task(self, callback: Callable[[], None]) -> None:
        if self.scheduled:
            self.after.append(callback)
        else:
            _later(self.loop, callback, _TASK_DELAY_TURNS)

    def drain(self) -> None:
        try:
            while self.queue:
                job = self.queue.popleft()
                try:
                    job()
                except Exception as exc:  # handlers catch their own errors; this is a bug, show it
                    self.loop.call_exception_handler({"message": "error in a Promise job", "exception": exc})
        finally:
            self.scheduled = False
            after, self.after = self.after, []
            for callback in after:
                _later(self.loop, callback, _TASK_DELAY_TURNS)


_jobs_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Jobs] = weakref.WeakKeyDictionary()


def _jobs(loop: asyncio.AbstractEventLoop) -> _Jobs:
    jobs = _jobs_by_loop.get(loop)
    if jobs is None:
        jobs = _jobs_by_loop[loop] = _Jobs(loop)
    return jobs


def _later(loop: asyncio.AbstractEventLoop, callback: Callable[[], None], turns: int) -> None:
    if turns:
        loop.call_soon(_later, loop, callback, turns - 1)
    else:
        callback()


def queue_task(callback: Callable[[], None], loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Run ``callback`` as a browser *task*: after every Promise handler now queued has run.

    A browser fires events such as ``icecandidate`` as tasks, so that code after
    ``await pc.setLocalDescription(offer)`` (or at the end of a ``.then`` chain)
    always runs before them. Callbacks queued in one turn keep their order.
    """
    _jobs(loop or asyncio.get_running_loop()).task(callback)


def microtask_checkpoint(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Run every queued Promise handler now, as a browser does after each event listener returns."""
    jobs = _jobs(loop or asyncio.get_running_loop())
    if jobs.queue:
        jobs.drain()


def _running_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError("a Promise needs a running asyncio loop: use it inside a notebook cell "
                           "or an async function") from None


def _raisable(reason: Any) -> BaseException:
    """What ``await`` raises for ``reason``: the reason itself if it is an exception.

    A StopIteration cannot travel through a coroutine (PEP 479), so it is wrapped too.
    """
    if isinstance(reason, BaseException) and not isinstance(reason, StopIteration):
        return reason
    error = PromiseRejectedError(reason)
    if isinstance(reason, BaseException):
        error.__cause__ = reason
    return error


class Promise(Generic[T]):
    """``Promise(executor)``: ``executor(resolve, reject)`` runs at once, as in JavaScript.

    ``resolve`` and ``reject`` count only the first time either is called; an exception
    raised by the executor rejects the promise unless it was already resolved.
    """

    def __init__(self, executor: Callable[[Settler, Settler], Any]) -> None:
        self._setup(_running_loop())
        resolve, reject = self._resolvers()
        try:
            executor(resolve, reject)
        except _CATCH as exc:
            reject(exc)

    def _setup(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._state = PENDING
        self._result: Any = None
        self._callbacks: list[Callable[[], None]] = []
        self._handled = False  # someone will see the rejection: no "Uncaught (in promise)"
        self._reported = False  # "Uncaught (in promise)" was shown: never twice
        self._wait: interrupts.Wait | None = None  # what awaiting it waits for, said if the stop button stops it

    # -- state ---------------------------------------------------------------

    @property
    def state(self) -> str:
        """``"pending"``, ``"fulfilled"`` or ``"rejected"``."""
        return self._state

    @property
    def value(self) -> T:
        """The value of a fulfilled promise."""
        if self._state != FULFILLED:
            raise RuntimeError(f"the promise is {self._state}, so it has no value (await it, or use .then())")
        return cast(T, self._result)

    @property
    def reason(self) -> Any:
        """The reason of a rejected promise (reading it counts as handling it, like Future.exception())."""
        if self._state != REJECTED:
            raise RuntimeError(f"the promise is {self._state}, so it has no reason (await it, or .catch())")
        self._handled = True
        return self._result

    def __repr__(self) -> str:
        if self._state == PENDING:
            return "<Promise pending>"
        return f"<Promise {self._state}: {self._result!r}>"

    # -- a forgotten await ----------------------------------------------------

    def __iter__(self) -> NoReturn:
        raise _not_awaited("a loop or unpacking needs a value")

    def __contains__(self, item: object) -> NoReturn:
        raise _not_awaited(f"`{item!r} in ...` needs a value")

    def __getitem__(self, key: object) -> NoReturn:
        raise _not_awaited(f"`...[{key!r}]` needs a value")

    if not TYPE_CHECKING:  # at run time only: mypy still flags a misspelt attribute
        def __getattr__(self, name: str) -> NoReturn:
            """Only for attributes a Promise lacks: ``offer.type`` after a forgotten ``await`` says so."""
            if name.startswith("_"):
                raise AttributeError(name)
            raise AttributeError(f"a Promise has no attribute {name!r}: {_ADD_AWAIT}", name=name, obj=self)

    # -- settling ------------------------------------------------------------

    def _resolvers(self) -> tuple[Settler, Settler]:
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
        """The Promise Resolution Procedure (A+ 2.3): adopt promises, thenables and awaitables."""
        if value is self:
            self._settle(REJECTED, TypeError("a promise cannot be resolved with itself"))
            return
        if isinstance(value, Promise):
            value._handled = True  # its rejection becomes ours
            value.on_settled(lambda: self._settle(value._state, value._result))
            return
        try:
            then = getattr(value, "then", None)
        except _CATCH as exc:
            self._settle(REJECTED, exc)
            return
        if callable(then):
            resolve, reject = self._resolvers()

            def call_then() -> None:  # in a later job, as JavaScript does
                try:
                    then(resolve, reject)
                except _CATCH as exc:
                    reject(exc)  # ignored if resolve or reject was already called

            _jobs(self._loop).microtask(call_then)
        elif inspect.isawaitable(value):
            self._adopt(value)
        else:
            self._settle(FULFILLED, value)

    def _adopt(self, awaitable: Awaitable[Any]) -> None:
        """Run a coroutine (or any awaitable) as a task and settle as it ends."""
        try:
            future = asyncio.ensure_future(awaitable, loop=self._loop)
        except _CATCH as exc:
            self._settle(REJECTED, exc)
            return
        if future is not awaitable:  # a task we made: nobody else holds it
            _adopted_tasks.add(future)
        future.add_done_callback(self._adopt_future)

    def _adopt_future(self, future: asyncio.Future[Any]) -> None:
        _adopted_tasks.discard(future)
        # Read the outcome without raising it here: a raised exception's traceback would hold this
        # frame, and so this promise, in a cycle that only the garbage collector can free.
        if future.cancelled():
            self._settle(REJECTED, asyncio.CancelledError())
            return
        exception = future.exception()
        if exception is not None:
            self._settle(REJECTED, exception)
        else:
            self._resolve(future.result())

    def _settle(self, state: str, result: Any) -> None:
        if self._state != PENDING:
            return
        if state == REJECTED:
            result = explain_file_limit(result)  # "too many open files" says which limit, and the fix
        self._state, self._result = state, result
        callbacks, self._callbacks = self._callbacks, []
        jobs = _jobs(self._loop)
        for callback in callbacks:
            jobs.microtask(callback)
        if state == REJECTED and not self._handled and not self._loop.is_closed():
            self._loop.call_soon(self._check_handled, UNHANDLED_TURNS - 1)

    def on_settled(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` as a microtask once settled (never synchronously): peerlab's own hook.

        Unlike ``then()``, it makes no new promise and does not count as handling a rejection, so a
        rejection nobody handles is still reported: for code that watches a promise it hands on
        (the connection gathers once ``setLocalDescription()``'s promise has settled).
        """
        if self._state == PENDING:
            self._callbacks.append(callback)
        else:
            _jobs(self._loop).microtask(callback)

    # -- the JavaScript API --------------------------------------------------

    def then(self, on_fulfilled: Callable[[Any], Any] | None = None,
             on_rejected: Callable[[Any], Any] | None = None) -> Promise[Any]:
        """A new promise, settled by ``on_fulfilled(value)`` or ``on_rejected(reason)``.

        A missing (non-callable) handler passes the value or reason on to the new promise.
        """
        self._handled = True
        derived: Promise[Any] = Promise.__new__(Promise)
        derived._setup(self._loop)  # on this promise's loop: no running loop needed to chain
        resolve, reject = derived._resolvers()

        def run() -> None:
            fulfilled = self._state == FULFILLED
            handler = on_fulfilled if fulfilled else on_rejected
            if not callable(handler):
                (resolve if fulfilled else reject)(self._result)
                return
            try:
                result = handler(self._result)
            except _CATCH as exc:
                reject(exc)
            else:
                resolve(result)

        self.on_settled(run)
        return derived

    def catch(self, on_rejected: Callable[[Any], Any] | None) -> Promise[Any]:
        """``.then(None, on_rejected)``: a returned value recovers the chain."""
        return self.then(None, on_rejected)

    def finally_(self, callback: Callable[[], Any] | None) -> Promise[T]:
        """Run ``callback()`` either way, then pass the outcome on (``finally`` is a Python keyword).

        If the callback returns an awaitable it is waited for first; if it raises, or
        what it returned rejects, that rejection replaces the outcome.
        """
        if not callable(callback):
            return self.then()

        def after(outcome: Callable[[], Any]) -> Callable[[Any], Any]:
            def run(_: Any) -> Any:
                return Promise.resolve(callback()).then(lambda _: outcome())
            return run

        return self.then(after(lambda: self._result), after(lambda: Promise.reject(self._result)))

    def __await__(self) -> Generator[Any, None, T]:
        """``await promise``: the value, or the reason raised (see :class:`PromiseRejectedError`)."""
        self._handled = True
        future: asyncio.Future[Any] = self._loop.create_future()

        def copy() -> None:
            if future.done():  # the awaiting task was cancelled
                return
            if self._state == FULFILLED:
                future.set_result(self._result)
            else:
                future.set_exception(_raisable(self._result))

        self.on_settled(copy)
        if self._wait is not None and interrupts.hooks().in_cell():  # the stop button stops the cell's await
            return cast(T, (yield from interrupts.interruptible(future, self._wait).__await__()))
        return cast(T, (yield from future.__await__()))

    # -- static methods ------------------------------------------------------

    @staticmethod
    def resolve(value: Any = None) -> Promise[Any]:
        """``value`` itself if it is a Promise; otherwise a promise resolved with it (a coroutine is run)."""
        if isinstance(value, Promise):
            return value
        return Promise(lambda resolve, _: resolve(value))

    @staticmethod
    def reject(reason: Any) -> Promise[Any]:
        """A promise rejected with ``reason``."""
        return Promise(lambda _, reject: reject(reason))

    @staticmethod
    def all(items: Iterable[Any]) -> Promise[list[Any]]:
        """All values in input order, or the first rejection; ``[]`` for no items."""

        def executor(resolve: Settler, reject: Settler) -> None:
            promises = [Promise.resolve(item) for item in items]
            values: list[Any] = [None] * len(promises)
            left = len(promises)
            if not promises:
                resolve([])

            def fulfilled(index: int, value: Any) -> None:
                nonlocal left
                values[index] = value
                left -= 1
                if left == 0:
                    resolve(values)

            for index, promise in enumerate(promises):
                promise.then(functools.partial(fulfilled, index), reject)

        return Promise(executor)

    @staticmethod
    def allSettled(items: Iterable[Any]) -> Promise[list[dict[str, Any]]]:
        """Every outcome in input order: ``{"status": "fulfilled", "value": v}`` or
        ``{"status": "rejected", "reason": r}``."""
        return Promise.all(
            Promise.resolve(item).then(lambda v: {"status": "fulfilled", "value": v},
                                       lambda r: {"status": "rejected", "reason": r})
            for item in items)

    @staticmethod
    def race(items: Iterable[Any]) -> Promise[Any]:
        """Settles as the first of ``items`` to settle (stays pending for no items, as in JavaScript)."""

        def executor(resolve: Settler, reject: Settler) -> None:
            for item in items:
                Promise.resolve(item).then(resolve, reject)

        return Promise(executor)

    # -- unhandled rejections ------------------------------------------------

    def _check_handled(self, turns_left: int) -> None:
        """A few loop turns after the rejection: report it if nobody has handled it yet."""
        if turns_left > 0:
            self._loop.call_soon(self._check_handled, turns_left - 1)
        else:
            self._report_unhandled()

    def _report_unhandled(self) -> None:
        """Show "Uncaught (in promise)" through the loop's exception handler, once."""
        if self._state != REJECTED or self._handled or self._reported:
            return
        self._reported = True
        reason = self._result
        if isinstance(reason, asyncio.CancelledError):
            return  # as in asyncio, a cancellation is not an error to report
        exception = reason if isinstance(reason, BaseException) else PromiseRejectedError(reason)
        self._loop.call_exception_handler({
            "message": f"Uncaught (in promise): {reason!r}", "exception": exception, "promise": self})

    def __del__(self) -> None:
        """Report an unhandled rejection whose check never ran (its loop closed first)."""
        if getattr(self, "_state", None) != REJECTED:
            return
        try:
            self._report_unhandled()
        except Exception:  # interpreter shutdown: nothing left to report to
            pass


def promising(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Promise[T]]:
    """Make an ``async def`` return a :class:`Promise`, as the browser's methods do.

    The work starts at the call, as in JavaScript; ``await`` and ``.then()`` both work. Awaited
    in a notebook cell, the stop button stops the await (the work goes on) and one line says what
    it waited for (:mod:`peerlab.webrtc.interrupts`): ``the caller stopped waiting for
    setRemoteDescription()``, or what :func:`waits_for` gave the method.
    """
    describe = cast("Callable[..., interrupts.Wait] | None", getattr(method, _DESCRIBE, None))

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Promise[T]:
        promise: Promise[T] = Promise.resolve(method(*args, **kwargs))
        if promise._wait is None:
            if describe is not None:
                promise._wait = describe(*args, **kwargs)
            else:
                who = str(getattr(args[0], "name", "") or "peer") if args else "peer"
                promise._wait = interrupts.Wait(who, f"{method.__name__}()", f"{method.__name__}() goes on in the "
                                                "background, so look at the states before you run the cell again")
        return promise

    return wrapper


_DESCRIBE = "_peerlab_waits_for"


def waits_for(describe: Callable[..., interrupts.Wait]) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Say what a :func:`promising` method waits for (called with the method's arguments), for the
    line an interrupted await shows; put it under ``@promising``."""

    def mark(method: Callable[P, T]) -> Callable[P, T]:
        setattr(method, _DESCRIBE, describe)
        return method

    return mark
