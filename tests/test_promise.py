"""peerlab.Promise against the Promises/A+ rules, one rule per test, plus what the lessons rely on."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

import peerlab
from peerlab import Promise, PromiseRejectedError


async def turns(n: int = 10) -> None:
    """Let the loop run ``n`` times, so that call_soon callbacks happen."""
    for _ in range(n):
        await asyncio.sleep(0)


def deferred():
    """A pending promise and its resolve/reject, to settle it from the test."""
    settlers = []
    promise = Promise(lambda resolve, reject: settlers.extend([resolve, reject]))
    return promise, settlers[0], settlers[1]


@pytest.fixture
async def reports():
    """What reaches the loop's exception handler during the test."""
    loop = asyncio.get_running_loop()
    contexts = []
    loop.set_exception_handler(lambda loop, context: contexts.append(context))
    yield contexts
    loop.set_exception_handler(None)


def collect_garbage():
    gc.collect()


# -- 2.1 states: a promise settles once -------------------------------------------

async def test_2_1_settles_once_resolve_then_reject_is_ignored():
    p = Promise(lambda resolve, reject: (resolve(1), reject(ValueError("late"))))
    assert (p.state, p.value) == ("fulfilled", 1)


async def test_2_1_settles_once_reject_then_resolve_is_ignored():
    error = ValueError("first")
    p = Promise(lambda resolve, reject: (reject(error), resolve(1)))
    assert (p.state, p.reason) == ("rejected", error)


async def test_2_1_settles_once_a_second_resolve_or_reject_is_ignored():
    assert Promise(lambda resolve, reject: (resolve("a"), resolve("b"))).value == "a"
    first = KeyError("a")
    assert Promise(lambda resolve, reject: (reject(first), reject(KeyError("b")))).reason is first


async def test_2_1_settling_later_from_outside_also_counts_once():
    p, resolve, reject = deferred()
    seen = []
    p.then(lambda v: seen.append(("value", v)), lambda r: seen.append(("reason", r)))
    resolve("x")
    reject(ValueError())
    resolve("y")
    await turns()
    assert seen == [("value", "x")]


async def test_2_1_a_promise_resolved_with_a_pending_promise_is_locked_in():
    inner, resolve_inner, _ = deferred()
    p, resolve, reject = deferred()
    resolve(inner)
    reject(ValueError("too late"))  # resolve() already counted, though p is still pending
    await turns()
    assert p.state == "pending"
    resolve_inner("from inner")
    assert await p == "from inner"


async def test_the_executor_runs_synchronously_in_the_constructor():
    order = []
    Promise(lambda resolve, reject: order.append("executor"))
    order.append("after")
    assert order == ["executor", "after"]


async def test_an_executor_exception_rejects_the_promise():
    error = KeyError("x")

    def executor(resolve, reject):
        raise error

    assert Promise(executor).reason is error


async def test_an_executor_exception_after_resolve_is_ignored():
    def executor(resolve, reject):
        resolve("ok")
        raise KeyError("ignored")

    assert Promise(executor).value == "ok"


# -- 2.2 then ----------------------------------------------------------------------

async def test_2_2_7_then_returns_a_new_promise():
    p = Promise.resolve(1)
    q = p.then(lambda v: v + 1)
    assert isinstance(q, Promise) and q is not p
    assert q.state == "pending"
    assert await q == 2 and p.value == 1


async def test_2_2_4_handlers_run_asynchronously_even_on_an_already_settled_promise():
    flag = []
    seen = []
    Promise.resolve("v").then(lambda v: seen.append(bool(flag)))
    Promise.reject(ValueError()).then(None, lambda r: seen.append(bool(flag)))
    flag.append("set after then()")
    assert seen == []
    await turns()
    assert seen == [True, True]


async def test_2_2_4_resolve_does_not_call_handlers_synchronously():
    p, resolve, _ = deferred()
    order = []
    p.then(lambda v: order.append("handler"))
    resolve(1)
    order.append("after resolve()")
    await turns()
    assert order == ["after resolve()", "handler"]


async def test_2_2_6_handlers_run_in_the_order_they_were_registered():
    p, resolve, _ = deferred()
    q, _, reject = deferred()
    order = []
    for i in range(5):
        p.then(lambda v, i=i: order.append(("p", i)))
        q.then(None, lambda r, i=i: order.append(("q", i)))
    resolve(None)
    reject(ValueError())
    p.then(lambda v: order.append(("p", "late")))
    await turns()
    assert order == [("p", i) for i in range(5)] + [("q", i) for i in range(5)] + [("p", "late")]


async def test_2_2_2_and_2_2_3_each_handler_is_called_once():
    p, resolve, reject = deferred()
    q, _, reject_q = deferred()
    fulfilled, rejected = [], []
    p.then(fulfilled.append, rejected.append)
    q.then(fulfilled.append, rejected.append)
    resolve("v")
    resolve("again")
    reject(ValueError())
    error = ValueError("q")
    reject_q(error)
    reject_q(KeyError())
    await turns()
    assert fulfilled == ["v"] and rejected == [error]


async def test_2_2_7_3_a_non_callable_on_fulfilled_passes_the_value_through():
    assert await Promise.resolve(5).then(None).then("not a function").then(42, None) == 5


async def test_2_2_7_4_a_non_callable_on_rejected_passes_the_reason_through():
    error = ValueError("bad")
    with pytest.raises(ValueError) as info:
        await Promise.reject(error).then(lambda v: "not called").then(None, "not a function")
    assert info.value is error


async def test_2_2_7_1_the_handlers_return_value_fulfils_the_new_promise():
    assert await Promise.resolve(2).then(lambda v: v * 10) == 20
    assert await Promise.reject(ValueError()).then(None, lambda r: "recovered") == "recovered"


async def test_2_2_7_2_a_handler_exception_rejects_the_new_promise():
    error = RuntimeError("in handler")

    def boom(_):
        raise error

    for q in (Promise.resolve(1).then(boom), Promise.reject(ValueError()).then(None, boom)):
        with pytest.raises(RuntimeError) as info:
            await q
        assert info.value is error


async def test_a_handler_raising_cancelled_error_rejects_instead_of_leaving_the_promise_pending():
    def cancel(_):
        raise asyncio.CancelledError("stop")

    q = Promise.resolve(1).then(cancel)
    await turns()
    assert q.state == "rejected" and isinstance(q.reason, asyncio.CancelledError)


# -- 2.3 the resolution procedure ---------------------------------------------------

async def test_2_3_1_resolving_a_promise_with_itself_is_a_type_error():
    p, resolve, _ = deferred()
    resolve(p)
    with pytest.raises(TypeError, match="itself"):
        await p


async def test_2_3_1_a_handler_returning_its_own_promise_is_a_type_error():
    q = Promise.resolve(1).then(lambda _: q)
    with pytest.raises(TypeError, match="itself"):
        await q


async def test_2_3_2_a_promise_adopts_a_pending_promise_when_it_fulfils():
    inner, resolve_inner, _ = deferred()
    outer = Promise.resolve(None).then(lambda _: inner)
    await turns()
    assert outer.state == "pending"
    resolve_inner("inner value")
    assert await outer == "inner value"


async def test_2_3_2_a_promise_adopts_a_rejected_promise(reports):
    error = ValueError("inner")
    inner = Promise.reject(error)
    outer = Promise(lambda resolve, reject: resolve(inner))
    with pytest.raises(ValueError) as info:
        await outer
    assert info.value is error
    await turns()
    assert reports == []  # adopting handled the inner rejection; awaiting handled the outer


async def test_2_3_3_a_thenable_is_adopted_fulfilled_or_rejected():
    class Fulfils:
        def then(self, resolve, reject):
            resolve("from thenable")

    class Rejects:
        def then(self, resolve, reject):
            reject(LookupError("thenable said no"))

    assert await Promise.resolve(Fulfils()) == "from thenable"
    with pytest.raises(LookupError, match="thenable said no"):
        await Promise.resolve(Rejects())


async def test_2_3_3_3_a_thenables_then_is_called_in_a_later_turn_not_inside_resolve():
    calls = []

    class Thenable:
        def then(self, resolve, reject):
            calls.append("then")
            resolve("ok")

    p = Promise.resolve(Thenable())
    assert calls == [] and p.state == "pending"
    assert await p == "ok" and calls == ["then"]


async def test_2_3_3_3_3_a_thenable_calling_both_callbacks_only_the_first_counts():
    class ResolvesThenRejects:
        def then(self, resolve, reject):
            resolve("first")
            reject(ValueError("second"))
            resolve("third")

    class RejectsThenResolves:
        def then(self, resolve, reject):
            reject(KeyError("first"))
            resolve("second")

    assert await Promise.resolve(ResolvesThenRejects()) == "first"
    with pytest.raises(KeyError, match="first"):
        await Promise.resolve(RejectsThenResolves())


async def test_2_3_3_3_4_a_thenable_that_calls_back_then_throws_the_throw_is_ignored():
    class CallsThenThrows:
        def then(self, resolve, reject):
            resolve("kept")
            raise RuntimeError("ignored")

    assert await Promise.resolve(CallsThenThrows()) == "kept"


async def test_2_3_3_3_4_a_thenable_that_throws_before_calling_back_rejects():
    class Broken:
        def then(self, resolve, reject):
            raise LookupError("then failed")

    with pytest.raises(LookupError, match="then failed"):
        await Promise.resolve(Broken())


async def test_2_3_3_2_a_then_attribute_that_raises_on_access_rejects():
    class Trap:
        @property
        def then(self):
            raise LookupError("no then for you")

    with pytest.raises(LookupError, match="no then for you"):
        await Promise.resolve(Trap())


async def test_2_3_3_3_1_a_thenable_resolving_with_another_thenable_is_followed():
    class Inner:
        def then(self, resolve, reject):
            resolve("deep")

    class Outer:
        def then(self, resolve, reject):
            resolve(Inner())

    assert await Promise.resolve(Outer()) == "deep"


async def test_a_coroutine_is_adopted():
    async def compute():
        await asyncio.sleep(0)
        return 42

    async def fail():
        raise ValueError("coroutine failed")

    assert await Promise.resolve(compute()) == 42
    with pytest.raises(ValueError, match="coroutine failed"):
        await Promise.resolve(fail())


async def test_an_asyncio_future_is_adopted():
    loop = asyncio.get_running_loop()
    future, failing = loop.create_future(), loop.create_future()
    p, q = Promise.resolve(future), Promise.resolve(failing)
    await turns()
    assert (p.state, q.state) == ("pending", "pending")
    future.set_result("done")
    failing.set_exception(OSError("future failed"))
    assert await p == "done"
    with pytest.raises(OSError, match="future failed"):
        await q


async def test_a_cancelled_adopted_task_rejects_with_cancelled_error():
    task = asyncio.ensure_future(asyncio.sleep(10))
    p = Promise.resolve(task)
    task.cancel()
    await turns()
    assert p.state == "rejected" and isinstance(p.reason, asyncio.CancelledError)


async def test_an_adopted_coroutine_is_not_garbage_collected_while_it_waits():
    loop = asyncio.get_running_loop()
    futures, seen = [], []

    async def work():
        future = loop.create_future()
        futures.append(weakref.ref(future))  # only the coroutine holds the future
        return await future

    Promise.resolve(work()).then(seen.append)
    await turns()
    collect_garbage()
    future = futures[0]()
    assert future is not None, "the task and its future were collected while pending"
    future.set_result("still here")
    await turns()
    assert seen == ["still here"]


# -- chains, catch, finally -----------------------------------------------------------

async def test_an_error_in_the_middle_skips_the_later_thens_to_the_one_catch_at_the_end():
    seen = []

    def step(name):
        def run(value):
            seen.append(name)
            if name == "b":
                raise ValueError("b failed")
            return value + [name]
        return run

    result = await (Promise.resolve([]).then(step("a")).then(step("b")).then(step("c")).then(step("d"))
                    .catch(lambda e: f"caught: {e}"))
    assert seen == ["a", "b"]
    assert result == "caught: b failed"


async def test_catch_returning_a_value_recovers_the_chain():
    result = await (Promise.reject(ValueError("bad")).catch(lambda e: "recovered")
                    .then(lambda v: v + " and continued"))
    assert result == "recovered and continued"


async def test_catch_on_a_fulfilled_promise_passes_the_value_through():
    called = []
    assert await Promise.resolve("v").catch(called.append) == "v"
    assert called == []


async def test_finally_passes_the_value_through_and_gets_no_arguments():
    calls = []
    assert await Promise.resolve("v").finally_(lambda: calls.append("finally") or "ignored") == "v"
    assert calls == ["finally"]


async def test_finally_passes_the_reason_through():
    calls = []
    error = ValueError("kept")
    with pytest.raises(ValueError) as info:
        await Promise.reject(error).finally_(lambda: calls.append("finally"))
    assert info.value is error and calls == ["finally"]


async def test_finally_that_raises_overrides_the_outcome():
    def boom():
        raise KeyError("from finally")

    with pytest.raises(KeyError, match="from finally"):
        await Promise.resolve("v").finally_(boom)
    with pytest.raises(KeyError, match="from finally"):
        await Promise.reject(ValueError("replaced")).finally_(boom)


async def test_finally_returning_a_rejected_promise_overrides_but_a_fulfilled_one_does_not():
    override = OSError("override")
    with pytest.raises(OSError) as info:
        await Promise.resolve("v").finally_(lambda: Promise.reject(override))
    assert info.value is override
    assert await Promise.resolve("v").finally_(lambda: Promise.resolve("other")) == "v"


async def test_finally_waits_for_an_awaitable_it_returns():
    order = []

    async def cleanup():
        await turns(3)
        order.append("cleanup done")

    result = await Promise.resolve("v").finally_(cleanup).then(lambda v: order.append("next") or v)
    assert result == "v" and order == ["cleanup done", "next"]

    async def failing_cleanup():
        raise OSError("cleanup failed")

    with pytest.raises(OSError, match="cleanup failed"):
        await Promise.resolve("v").finally_(failing_cleanup)


# -- await ------------------------------------------------------------------------------

async def test_await_returns_the_value():
    assert await Promise.resolve({"type": "offer"}) == {"type": "offer"}


async def test_await_raises_the_reason_itself():
    error = ValueError("bad")
    with pytest.raises(ValueError) as info:
        await Promise.reject(error)
    assert info.value is error


async def test_await_on_a_non_exception_reason_raises_promise_rejected_error():
    with pytest.raises(PromiseRejectedError, match="rejected with 42") as info:
        await Promise.reject(42)
    assert info.value.reason == 42 and isinstance(info.value, Exception)


async def test_await_on_a_stop_iteration_reason_raises_promise_rejected_error_instead_of_hanging():
    p = Promise.resolve([]).then(lambda items: next(iter(items)))
    with pytest.raises(PromiseRejectedError) as info:
        await asyncio.wait_for(p, 1)
    assert isinstance(info.value.reason, StopIteration) and info.value.__cause__ is info.value.reason


# -- static methods ---------------------------------------------------------------------

async def test_resolve_returns_a_promise_itself_and_wraps_anything_else():
    p = Promise.resolve(1)
    assert Promise.resolve(p) is p

    async def coro():
        return "from coroutine"

    assert await Promise.resolve(coro()) == "from coroutine"
    assert await Promise.resolve() is None


async def test_all_gives_values_in_input_order_even_when_they_settle_in_reverse():
    (a, resolve_a, _), (b, resolve_b, _) = deferred(), deferred()
    combined = Promise.all([a, b, "plain"])
    resolve_b("b")
    await turns()
    assert combined.state == "pending"
    resolve_a("a")
    assert await combined == ["a", "b", "plain"]


async def test_all_accepts_values_promises_thenables_and_awaitables():
    class Thenable:
        def then(self, resolve, reject):
            resolve("thenable")

    future = asyncio.get_running_loop().create_future()
    future.set_result("future")
    items = [1, Promise.resolve(2), Thenable(), asyncio.sleep(0, result="coroutine"), future]
    assert await Promise.all(items) == [1, 2, "thenable", "coroutine", "future"]


async def test_all_of_nothing_is_an_empty_list():
    assert await Promise.all([]) == []
    assert await Promise.all(iter(())) == []


async def test_all_rejects_with_the_first_rejection_in_time(reports):
    (a, _, reject_a), (b, _, reject_b) = deferred(), deferred()
    first, second = KeyError("b first"), KeyError("a second")
    combined = Promise.all([a, b])
    reject_b(first)
    reject_a(second)
    with pytest.raises(KeyError) as info:
        await combined
    assert info.value is first
    await turns()
    assert reports == []  # all() handled both rejections


async def test_race_settles_like_the_first_item_to_settle():
    (slow, resolve_slow, _), (fast, resolve_fast, _) = deferred(), deferred()
    winner = Promise.race([slow, fast])
    resolve_fast("fast")
    resolve_slow("slow")
    assert await winner == "fast"
    (never, _, _), (failing, _, reject) = deferred(), deferred()
    error = ValueError("lost the race")
    loser = Promise.race([never, failing])
    reject(error)
    with pytest.raises(ValueError) as info:
        await loser
    assert info.value is error


async def test_race_of_nothing_stays_pending():
    p = Promise.race([])
    await turns()
    assert p.state == "pending"


async def test_all_settled_reports_every_outcome_in_input_order():
    error = ValueError("no")
    (late, resolve_late, _) = deferred()
    outcomes = Promise.allSettled([late, Promise.reject(error), 3])
    await turns()
    resolve_late("late")
    assert await outcomes == [
        {"status": "fulfilled", "value": "late"},
        {"status": "rejected", "reason": error},
        {"status": "fulfilled", "value": 3},
    ]
    assert await Promise.allSettled([]) == []


# -- ordering against plain asyncio -------------------------------------------------------

async def test_a_handler_on_a_settled_promise_runs_before_a_task_continuation_scheduled_later():
    order = []

    async def task():
        await asyncio.sleep(0)  # its continuation is queued after the handler below
        order.append("task")

    t = asyncio.ensure_future(task())
    Promise.resolve().then(lambda _: order.append("then"))
    await t
    assert order == ["then", "task"]


async def test_a_chain_of_plain_values_settles_in_one_loop_turn_as_microtasks_do():
    order = []
    chain = Promise.resolve(0)
    for n in range(10):
        chain = chain.then(lambda v, n=n: order.append(n))
    assert order == []  # never synchronously
    await asyncio.sleep(0)
    assert order == list(range(10))


async def test_a_queued_task_runs_after_the_chain_and_after_the_code_an_await_resumed():
    from peerlab.webrtc.promise import queue_task
    order = []
    promise, resolve, _ = deferred()

    async def awaiting():
        await promise
        order.append("after await")

    waiter = asyncio.ensure_future(awaiting())
    await asyncio.sleep(0)  # the task starts and awaits
    chain = promise
    for n in range(10):
        chain = chain.then(lambda v, n=n: order.append(n))
    promise.then(lambda v: queue_task(lambda: order.append("task")))
    resolve("value")
    await waiter
    for _ in range(5):
        await asyncio.sleep(0)
    assert order == [*range(10), "after await", "task"]


# -- introspection --------------------------------------------------------------------------

async def test_state_value_reason_and_repr():
    pending, _, _ = deferred()
    assert (pending.state, repr(pending)) == ("pending", "<Promise pending>")
    with pytest.raises(RuntimeError, match="pending, so it has no value"):
        pending.value
    fulfilled = Promise.resolve("x")
    assert (fulfilled.state, fulfilled.value) == ("fulfilled", "x")
    assert repr(fulfilled) == "<Promise fulfilled: 'x'>"
    with pytest.raises(RuntimeError, match="fulfilled, so it has no reason"):
        fulfilled.reason
    rejected = Promise.reject(ValueError("bad"))
    assert (rejected.state, repr(rejected)) == ("rejected", "<Promise rejected: ValueError('bad')>")
    assert str(rejected.reason) == "bad"  # reading the reason counts as handling it
    with pytest.raises(RuntimeError, match="rejected, so it has no value"):
        rejected.value


# -- unhandled rejections ---------------------------------------------------------------------
# Reported a couple of loop turns after the rejection, as a browser fires "unhandledrejection"
# after the task that rejected: no garbage collection needed (gc is disabled where it matters).

@pytest.fixture
def no_gc():
    """Garbage collection off: a report must not depend on it."""
    gc.disable()
    yield
    gc.enable()


async def test_an_unhandled_rejection_is_reported_within_two_turns_exactly_once(reports, no_gc):
    error = ValueError("nobody caught me")
    p = Promise.reject(error)
    assert reports == []  # not while the code that made it can still handle it
    await turns(2)
    assert len(reports) == 1
    assert reports[0]["exception"] is error
    assert reports[0]["message"] == "Uncaught (in promise): ValueError('nobody caught me')"
    assert reports[0]["promise"] is p
    await turns()
    del p
    await turns()
    assert len(reports) == 1  # neither later turns nor collecting it report it again


async def test_a_rejection_from_an_adopted_coroutine_is_reported_without_garbage_collection(reports, no_gc):
    async def fails():
        raise KeyError("from the coroutine")

    p = Promise.resolve(fails())  # its traceback must not keep the promise in a cycle
    await turns(5)
    assert [str(r["exception"]) for r in reports] == ["'from the coroutine'"]
    ref = weakref.ref(p)
    del p
    reports.clear()  # the report holds the promise too
    assert ref() is None  # freed by reference counting alone: no cycle through the traceback
    await turns()
    assert reports == []


async def test_an_unhandled_non_exception_reason_is_reported_as_promise_rejected_error(reports, no_gc):
    Promise.reject(42)
    await turns(2)
    assert [(type(r["exception"]), r["exception"].reason) for r in reports] == [(PromiseRejectedError, 42)]


async def test_a_rejection_handled_in_the_next_turn_is_not_reported(reports, no_gc):
    p = Promise.reject(ValueError("handled soon"))
    await asyncio.sleep(0)  # e.g. an await between making the promise and handling it
    caught = await p.catch(lambda e: f"handled: {e}")
    await turns()
    assert caught == "handled: handled soon" and reports == []


async def test_a_rejection_handled_much_later_was_reported_once_and_the_late_handler_still_runs(reports, no_gc):
    p = Promise.reject(ValueError("handled late"))
    await turns(5)  # like the next notebook cell
    assert len(reports) == 1
    caught = await p.catch(lambda e: f"handled: {e}")  # JavaScript fires "rejectionhandled" here
    del p
    await turns()
    assert caught == "handled: handled late" and len(reports) == 1


async def test_awaiting_a_rejection_counts_as_handling_it(reports, no_gc):
    p = Promise.reject(ValueError("awaited"))
    with pytest.raises(ValueError):
        await p
    del p
    await turns()
    assert reports == []


async def test_a_then_without_on_rejected_hands_the_rejection_to_the_end_of_the_chain(reports, no_gc):
    Promise.resolve(1).then(lambda v: 1 / 0).then(lambda v: "never").finally_(lambda: None)
    await turns()
    assert [type(r["exception"]) for r in reports] == [ZeroDivisionError]


async def test_a_cancelled_adopted_task_is_not_reported_as_uncaught(reports, no_gc):
    task = asyncio.ensure_future(asyncio.sleep(10))
    Promise.resolve(task)
    task.cancel()
    await turns()
    assert reports == []


def test_an_unhandled_rejection_is_still_reported_when_its_loop_closed_before_the_check(no_gc):
    loop = asyncio.new_event_loop()
    reports = []
    loop.set_exception_handler(lambda loop, context: reports.append(context))

    async def make():
        return Promise.reject(ValueError("outlived its loop"))

    p = loop.run_until_complete(make())
    loop.close()  # the check two turns later never runs
    assert reports == []
    del p  # reference counting frees it: reported then
    assert [str(r["exception"]) for r in reports] == ["outlived its loop"]


def test_without_a_running_loop_the_error_says_where_to_use_it():
    with pytest.raises(RuntimeError, match="needs a running asyncio loop: use it inside a notebook cell "
                                           "or an async function"):
        Promise(lambda resolve, reject: None)
    with pytest.raises(RuntimeError, match="needs a running asyncio loop"):
        Promise.resolve(1)


async def test_a_forgotten_await_says_this_is_a_promise_when_it_is_used_as_its_value():
    answer = Promise.resolve({"type": "answer", "data": {"sdp": "v=0"}})  # as after a forgotten await
    add_await = "this is a Promise: add await (or use .then) to get the value inside it"
    with pytest.raises(TypeError) as contains:
        "data" in answer  # noqa: B015 - what lesson 03's learner wrote
    with pytest.raises(TypeError) as subscript:
        answer["data"]
    with pytest.raises(TypeError) as unpack:
        kind, data = answer
    with pytest.raises(AttributeError) as attribute:
        answer.sdp
    assert [str(e.value) for e in (contains, subscript, unpack, attribute)] == [
        f"`'data' in ...` needs a value: {add_await}",
        f"`...['data']` needs a value: {add_await}",
        f"a loop or unpacking needs a value: {add_await}",
        f"a Promise has no attribute 'sdp': {add_await}",
    ]
    assert all(isinstance(e.value, peerlab.PromiseNotAwaitedError) for e in (contains, subscript, unpack))
    assert not hasattr(answer, "_repr_html_")  # IPython's probes still see a plain missing attribute
    assert (await answer)["type"] == "answer"
