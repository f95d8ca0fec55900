"""peerlab.Promise against the Promises/A+ rules, one rule per test, plus what the lessons rely on."""

from __future__ import annotations

import asyncio
import gc

import pytest

from peerlab.promise import Promise, PromiseRejectedError


async def turns(n: int = 10) -> None:
    """Let the loop run ``n`` times, so that call_soon callbacks happen."""
    for _ in range(n):
        await asyncio.sleep(0)


def settled(value=None):
    return Promise.resolve(value)


# -- 2.1 states ----------------------------------------------------------------

async def test_2_1_a_fulfilled_promise_cannot_be_rejected_or_fulfilled_again():
    p = Promise(lambda resolve, reject: (resolve(1), reject(ValueError()), resolve(2)))
    assert (p.state, p.value) == ("fulfilled", 1)


async def test_2_1_a_rejected_promise_cannot_be_fulfilled_or_rejected_again():
    error = ValueError("first")
    p = Promise(lambda resolve, reject: (reject(error), resolve(1), reject(ValueError("second"))))
    assert (p.state, p.reason) == ("rejected", error)


async def test_an_executor_that_raises_rejects_unless_already_resolved():
    def executor(resolve, reject):
        raise KeyError("x")

    p = Promise(executor)
    assert isinstance(p.reason, KeyError)

    def resolves_then_raises(resolve, reject):
        resolve("ok")
        raise KeyError("ignored")

    assert Promise(resolves_then_raises).value == "ok"


# -- 2.2 then --------------------------------------------------------------------

async def test_2_2_1_non_callable_handlers_are_ignored_and_pass_the_value_through():
    assert await settled(5).then(None, None).then("not a function") == 5


async def test_2_2_7_4_non_callable_on_rejected_passes_the_reason_through():
    error = ValueError("bad")
    with pytest.raises(ValueError) as info:
        await Promise.reject(error).then(lambda v: v, None)
    assert info.value is error


async def test_2_2_2_on_fulfilled_gets_the_value_once():
    calls = []
    resolve_it = []
    p = Promise(lambda resolve, reject: resolve_it.append(resolve))
    p.then(calls.append)
    resolve_it[0]("v")
    resolve_it[0]("again")
    await turns()
    assert calls == ["v"]


async def test_2_2_3_on_rejected_gets_the_reason_once():
    calls = []
    error = ValueError()
    Promise.reject(error).then(None, calls.append)
    await turns()
    assert calls == [error]


async def test_2_2_4_handlers_run_after_the_current_code_even_on_a_settled_promise():
    order = []
    settled("v").then(lambda v: order.append("handler"))
    order.append("after then()")
    assert order == ["after then()"]
    await turns()
    assert order == ["after then()", "handler"]


async def test_2_2_6_handlers_run_in_the_order_they_were_registered():
    order = []
    resolvers = []
    p = Promise(lambda resolve, reject: resolvers.append(resolve))
    for i in range(5):
        p.then(lambda v, i=i: order.append(i))
    resolvers[0](None)
    p.then(lambda v: order.append("late"))
    await turns()
    assert order == [0, 1, 2, 3, 4, "late"]


async def test_2_2_7_then_returns_a_new_promise():
    p = settled(1)
    q = p.then(lambda v: v)
    assert isinstance(q, Promise) and q is not p
    await q


async def test_2_2_7_1_the_handlers_return_value_fulfils_the_new_promise():
    assert await settled(2).then(lambda v: v * 10) == 20
    assert await Promise.reject(ValueError()).then(None, lambda r: "recovered") == "recovered"


async def test_2_2_7_2_a_handler_that_raises_rejects_the_new_promise():
    error = RuntimeError("in handler")

    def boom(_):
        raise error

    q = settled(1).then(boom)
    with pytest.raises(RuntimeError) as info:
        await q
    assert info.value is error


# -- 2.3 the resolution procedure ---------------------------------------------------

async def test_2_3_1_resolving_a_promise_with_itself_is_a_type_error():
    resolvers = []
    p = Promise(lambda resolve, reject: resolvers.append(resolve))
    resolvers[0](p)
    with pytest.raises(TypeError, match="itself"):
        await p


async def test_2_3_2_a_promise_adopts_another_promises_state():
    resolvers = []
    inner = Promise(lambda resolve, reject: resolvers.append(resolve))
    outer = settled(None).then(lambda _: inner)
    await turns()
    assert outer.state == "pending"
    resolvers[0]("inner value")
    assert await outer == "inner value"


async def test_2_3_3_a_thenable_is_adopted():
    class Thenable:
        def then(self, resolve, reject):
            resolve("from thenable")

    assert await Promise.resolve(Thenable()) == "from thenable"


async def test_2_3_3_3_only_the_first_call_of_a_thenables_callbacks_counts_and_a_later_throw_is_ignored():
    class Greedy:
        def then(self, resolve, reject):
            resolve("first")
            reject(ValueError("second"))
            resolve("third")
            raise RuntimeError("ignored")

    assert await Promise.resolve(Greedy()) == "first"


async def test_2_3_3_3_4_a_thenable_that_throws_first_rejects():
    class Broken:
        def then(self, resolve, reject):
            raise LookupError("then failed")

    with pytest.raises(LookupError):
        await Promise.resolve(Broken())


async def test_2_3_3_2_a_then_attribute_that_raises_rejects():
    class Trap:
        @property
        def then(self):
            raise LookupError("no then for you")

    with pytest.raises(LookupError, match="no then for you"):
        await Promise.resolve(Trap())


async def test_a_coroutine_and_a_future_are_adopted():
    async def compute():
        await asyncio.sleep(0)
        return 42

    assert await Promise.resolve(compute()) == 42
    future = asyncio.get_running_loop().create_future()
    p = Promise.resolve(future)
    future.set_result("done")
    assert await p == "done"

    async def fail():
        raise ValueError("coroutine failed")

    with pytest.raises(ValueError, match="coroutine failed"):
        await Promise.resolve(fail())


# -- chains, errors, finally -------------------------------------------------------

async def test_an_error_in_the_middle_skips_to_the_one_catch_at_the_end():
    seen = []

    def step(name):
        def run(value):
            seen.append(name)
            if name == "b":
                raise ValueError("b failed")
            return value + [name]
        return run

    result = await settled([]).then(step("a")).then(step("b")).then(step("c")).catch(lambda e: f"caught: {e}")
    assert seen == ["a", "b"]
    assert result == "caught: b failed"


async def test_finally_passes_values_and_reasons_through_unless_it_raises():
    calls = []
    assert await settled("v").finally_(lambda: calls.append("f1")) == "v"
    with pytest.raises(ValueError, match="kept"):
        await Promise.reject(ValueError("kept")).finally_(lambda: calls.append("f2"))

    def boom():
        raise KeyError("from finally")

    with pytest.raises(KeyError):
        await settled("v").finally_(boom)
    assert calls == ["f1", "f2"]


async def test_awaiting_a_promise_rejected_with_a_non_exception_raises_promise_rejected_error():
    with pytest.raises(PromiseRejectedError) as info:
        await Promise.reject(42)
    assert info.value.reason == 42


async def test_all_race_and_all_settled():
    assert await Promise.all([1, settled(2), Promise.resolve(asyncio.sleep(0, result=3))]) == [1, 2, 3]
    assert await Promise.all([]) == []
    error = ValueError("first")
    with pytest.raises(ValueError) as info:
        await Promise.all([settled(1), Promise.reject(error), Promise.reject(KeyError())])
    assert info.value is error
    slow = Promise.resolve(asyncio.sleep(0.05, result="slow"))
    assert await Promise.race([slow, asyncio.sleep(0, result="fast")]) == "fast"
    await slow
    outcomes = await Promise.allSettled([1, Promise.reject(error)])
    assert outcomes == [{"status": "fulfilled", "value": 1}, {"status": "rejected", "reason": error}]


async def test_handlers_on_a_settled_promise_run_before_a_task_that_yields_once():
    order = []

    async def task():
        await asyncio.sleep(0)
        order.append("task")

    t = asyncio.ensure_future(task())
    settled().then(lambda _: order.append("then"))
    await t
    assert order == ["then", "task"]


async def test_state_and_repr():
    assert repr(settled("x")) == "<Promise fulfilled: 'x'>"
    p = Promise(lambda resolve, reject: None)
    assert repr(p) == "<Promise pending>" and p.state == "pending"
    with pytest.raises(RuntimeError, match="pending, so it has no value"):
        p.value


# -- unhandled rejections -----------------------------------------------------------

async def test_a_rejection_nobody_handles_is_reported_once_with_its_exception():
    loop = asyncio.get_running_loop()
    reports = []
    loop.set_exception_handler(lambda loop, context: reports.append(context))
    try:
        error = ValueError("nobody caught me")
        p = Promise.reject(error)
        del p
        gc.collect()
        await turns()
    finally:
        loop.set_exception_handler(None)
    assert len(reports) == 1
    assert reports[0]["exception"] is error
    assert reports[0]["message"].startswith("Uncaught (in promise)")


async def test_a_rejection_handled_a_few_turns_later_is_not_reported():
    loop = asyncio.get_running_loop()
    reports = []
    loop.set_exception_handler(lambda loop, context: reports.append(context))
    try:
        p = Promise.reject(ValueError("handled later"))
        await turns(5)  # like the next notebook cell
        caught = await p.catch(lambda e: "handled")
        del p
        gc.collect()
        await turns()
    finally:
        loop.set_exception_handler(None)
    assert caught == "handled" and reports == []


async def test_the_end_of_an_unhandled_chain_is_what_gets_reported():
    loop = asyncio.get_running_loop()
    reports = []
    loop.set_exception_handler(lambda loop, context: reports.append(context))
    try:
        settled(1).then(lambda v: 1 / 0).then(lambda v: "never")
        await turns()
        gc.collect()
        await turns()
    finally:
        loop.set_exception_handler(None)
    assert [type(r["exception"]) for r in reports] == [ZeroDivisionError]


def test_without_a_running_loop_the_error_says_where_to_use_it():
    with pytest.raises(RuntimeError, match="needs a running asyncio loop"):
        Promise(lambda resolve, reject: None)
