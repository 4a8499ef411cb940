"""durable_rules' Host, driven the way matcher uses it: on the calling thread, and lean (ADR 0016).

The C engine matches facts and chooses every action; durable's Python Host wraps each action in a
Closure, reads the clock twice, and parses and re-serialises the session state. ``_LeanHost``
keeps the protocol (assert, ``start_action_for_state``, run, ``update_state``,
``complete_and_start_action``) and drops that overhead. The adapter (engine.py) owns the guards.
"""

from __future__ import annotations

import json
from typing import Any

import durable_rules_engine
from durable import engine as durable


class QuietHost(durable.Host):  # type: ignore[misc]
    """A Host that does not start the two timer threads that dispatch actions in the background."""

    def _run(self) -> None:
        return None


class _Context:
    """What an action is given: the session id (``c.s.sid``), the matched facts (``c._m``) and
    ``c.assert_fact`` into the same session; the slice of durable's Closure our actions use."""

    __slots__ = ("_m", "_ruleset", "sid")

    def __init__(self, sid: str, matched: dict[str, Any], ruleset: Any) -> None:
        self.sid, self._m, self._ruleset = sid, matched, ruleset

    @property
    def s(self) -> _Context:
        return self

    def assert_fact(self, fact: dict[str, Any]) -> None:
        """Into the same session, as durable's ``Closure.assert_fact`` (its actions run after
        this one, in the same loop)."""
        fact["sid"] = self.sid
        code, _ = durable_rules_engine.assert_fact(self._ruleset._handle, _encode(fact))
        if code == _NOT_HANDLED:
            raise _NotHandled(fact)
        if code == _OBSERVED:
            raise durable.MessageObservedException(fact)


class LeanHost(QuietHost):
    """durable_rules' own protocol for running a fact's actions, without its per-action Python
    overhead (ADR 0016): the C engine matches and chooses every action exactly as under
    ``Host.assert_fact``; this loop only skips what a synchronous, state-free caller does not need
    (a Closure, two clock reads, parsing and re-serialising the session state for every action).

    For each action: the frame is parsed from the engine's JSON, the action (one parameter, run on
    this thread) is called, the session state is handed back unchanged (``update_state``, as
    durable does) and ``complete_and_start_action`` gives the next action of the same session.
    """

    actions_run = 0  # every action this process's engines ran, for the benchmarks

    def assert_fact(self, ruleset_name: str, fact: dict[str, Any], complete: Any = None) -> Any:
        rules = self._ruleset_directory[ruleset_name]
        handle = rules._handle
        code, offset = durable_rules_engine.assert_fact(handle, _encode(fact))
        if code == _NOT_HANDLED:
            raise _NotHandled(fact)
        if code == _OBSERVED:
            raise durable.MessageObservedException(fact)
        if code == _DEFERRED:
            offset = 0  # as durable's Ruleset does
        started = durable_rules_engine.start_action_for_state(handle, offset)
        if started is None:
            return None
        state, messages = started
        actions, sid = rules._actions, str(fact.get("sid"))
        frames: dict[str, dict[str, Any]] = {}  # the same facts matched again: parsed once
        while messages is not None:
            name, frame = _parse(messages, frames)
            LeanHost.actions_run += 1
            try:
                actions[name]._func(_Context(sid, frame, rules))
                durable_rules_engine.update_state(handle, state)
            except BaseException:
                durable_rules_engine.abandon_action(handle, offset)
                raise
            messages = durable_rules_engine.complete_and_start_action(handle, offset)
        return None


def _parse(message: str, frames: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """The rule and the facts it matched, from the engine's ``{"<rule>":{<frame>}}``; a frame
    already seen in this run of actions (one fact matched by many rules) is parsed only once."""
    end = message.find('":', 2)
    name = message[2:end]
    if end < 0 or not message.startswith('{"') or "\\" in name or '"' in name:
        first: tuple[str, dict[str, Any]] = next(iter(json.loads(message).items()))
        return first  # durable takes the first
    text = message[end + 2 : -1]
    frame = frames.get(text)
    if frame is None:
        frame = frames[text] = json.loads(text)
    return name, frame


# json.dumps(fact, ensure_ascii=False), as durable writes facts, without a new encoder per call
_encode = json.JSONEncoder(ensure_ascii=False).encode

# durable_rules_engine.assert_fact's result codes (durable's Ruleset._handle_result)
_NOT_HANDLED, _OBSERVED, _DEFERRED = 1, 2, 3


class _NotHandled(durable.MessageNotHandledException):  # type: ignore[misc]
    """No rule matched the fact: durable's exception, without writing the fact out as JSON
    (most facts match nothing, and nobody reads the message)."""

    def __init__(self, fact: dict[str, Any]) -> None:
        Exception.__init__(self)
        self.fact = fact

    @property
    def message(self) -> str:
        return f"Could not handle message: {json.dumps(self.fact, ensure_ascii=False, default=str)}"
