"""The durable_rules adapter: the only module that imports durable. It owns every quirk.

Guards (each pinned by a test in tests/integration/test_engine_guards.py), from durable_rules.md:

* a Host without its background dispatch threads (``QuietHost``): actions run on the calling
  thread only, so no timer thread can run half a session's actions, and no threads leak per Host;
  ``LeanHost`` (host.py) runs a fact's actions by durable's own protocol without its per-action Python
  overhead (ADR 0016);
* one sid per evaluation at a time, never shared between threads; after an evaluation every fact
  it asserted (inputs, derived facts, the session fact) is retracted and the emptied session
  serves a later evaluation (ADR 0016: making a session costs more than matching); a session an
  evaluation failed in, or one a retraction left an action due in, is deleted instead; a
  semaphore bounds evaluations, and so live sessions per ruleset, far below the engine's 1,024
  (the 1,025th breaks a ruleset for good);
* facts asserted one at a time, never as a batch (a batch holding a fact no rule matches skips
  its actions and makes the next ``delete_state`` segfault), so no catch-all rule fires once per
  fact; deleting a session in which no action ran also segfaults, so then, and only then (also
  when a fact was refused), one more fact is asserted, which the session rule (``SESSION``, in
  every ruleset) matches; every fact has an ``id`` (identical facts raise MessageObservedException); each fact
  carries only the fields the stage's rules test (smaller facts, less JSON per firing);
* ``MessageNotHandledException`` is an empty result, not an error;
* definitions are deep-copied before registering (registering deletes ``run`` from them);
* actions take one parameter (two means asynchronous), only record what fired and assert derived
  facts, and never let an exception vanish into the session state: it is re-raised as EngineError;
* versioned ruleset names, so a reload never re-registers a name;
* new definitions are compiled in a subprocess with a timeout first (``probe_compile``), since a
  rule set past an engine limit can spin forever holding the GIL or crash the process.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import durable_rules_engine
from durable import engine as durable

from matcher.durable.host import LeanHost
from matcher.model.engine import DERIVED, CompiledStage, Derivation, Firing, need_area
from matcher.model.errors import EngineBusyError, EngineError

DEFAULT_MAX_SESSIONS = 64  # live sessions per ruleset; the engine breaks at 1,025

# The rule every ruleset holds so that a session can always be deleted: durable_rules segfaults
# deleting a session in which no action ran, so such a session is given this fact, which fires.
SESSION = "zz_session"
SESSION_RULE: dict[str, Any] = {"all": [{"m": {"t": SESSION}}]}
SESSION_FACT: dict[str, Any] = {"t": SESSION, "id": SESSION}


class _Session:
    """What one evaluation collects: the rules that fired, and any action failure."""

    def __init__(self) -> None:
        self.ran = False  # some action ran: only then may the session be deleted
        self.firings: list[Firing] = []
        self.error: str | None = None
        self.asserted: list[str] = []  # ids of every fact in the session, to retract after


_sessions: dict[str, _Session] = {}


_sid_counter = itertools.count()


def open_sessions() -> int:
    """How many evaluations hold a durable_rules session right now, across every engine."""
    return len(_sessions)


def _action(rule_id: str, derivations: dict[str, tuple[Derivation, ...]]) -> Callable[[Any], None]:
    """What an engine rule does when it fires: record the firing and assert the derived facts of
    each rule it stands for (``derivations``: rule id → its derivations), under that rule's id."""

    made = tuple((member, d) for member, found in derivations.items() for d in found)

    def run(c: Any) -> None:
        session = _sessions[c.sid]
        # the host parses each matched frame for this evaluation alone (shared only by firings
        # of the same facts), so its facts are ours to keep: drop the session id in place
        # rather than copying every fact on every firing
        matched: dict[str, dict[str, Any]] = c._m
        for fact in matched.values():
            fact.pop("sid", None)
        session.firings.append(Firing(rule_id, matched))
        if not made:
            return
        area = need_area(matched)
        for number, (member, derivation) in enumerate(made):
            fact = {
                "t": DERIVED,
                "id": f"{member}#{len(session.firings)}.{number}",
                "name": derivation.name,
                "value": derivation.value,
                "rule": member,
                "precedence": derivation.precedence,
            }
            if derivation.per_need and area is not None:
                fact["area"] = area
            session.asserted.append(fact["id"])
            c.assert_fact(fact)

    return run


def _ignore(c: Any) -> None:
    return None


def _guarded(rule_id: str, action: Callable[[Any], None]) -> Callable[[Any], None]:
    """durable_rules swallows an action's exception into the session state; this catches it
    first and records it, so ``evaluate`` raises instead of silently losing a firing."""

    def run(c: Any) -> None:  # exactly one parameter: two would make durable treat it as async
        session = _sessions.get(c.sid)
        if session is not None:
            session.ran = True
        try:
            action(c)
        except BaseException as error:  # re-raised by evaluate as EngineError
            session = _sessions.get(c.sid)
            if session is not None and session.error is None:
                session.error = f"{rule_id}: {error!r}"

    return run


def _retraction(sid: str, fact_id: str) -> str:
    """The JSON durable_rules retracts a fact by: its session and its id."""
    if '"' in fact_id or "\\" in fact_id or not fact_id.isprintable():
        return json.dumps({"sid": sid, "id": fact_id})
    return f'{{"sid":"{sid}","id":"{fact_id}"}}'


class Engine:
    """Compiled rulesets for one rulebook version, evaluated one isolated session at a time."""

    def __init__(
        self,
        stages: list[CompiledStage],
        derivations: dict[str, tuple[Derivation, ...]],
        version: str,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
    ) -> None:
        self._host = LeanHost()
        self._names: dict[int, str] = {}
        self._members: dict[int, dict[str, tuple[str, ...]]] = {}
        self._fields: dict[int, frozenset[str] | None] = {}
        # emptied sessions kept for the next evaluation of the stage (ADR 0016): at most one per
        # evaluation slot, so never more live sessions per ruleset than ``max_sessions``
        self._idle: dict[int, list[str]] = {}
        tag = version.split(":")[-1][:12]
        for compiled in stages:
            definition = copy.deepcopy(compiled.definition)
            for rule_id, rule in definition.items():
                members = compiled.rule_ids(rule_id)
                action = _action(rule_id, {m: derivations.get(m, ()) for m in members})
                rule["run"] = _guarded(rule_id, action)
            definition[SESSION] = {
                **copy.deepcopy(SESSION_RULE),
                "run": _guarded(SESSION, _ignore),
            }
            name = f"matcher_s{compiled.stage}_{tag}_{next(_sid_counter)}"
            self._host.register_rulesets({name: definition})
            self._names[compiled.stage] = name
            self._members[compiled.stage] = dict(compiled.members)
            self._fields[compiled.stage] = compiled.fields
            self._idle[compiled.stage] = []
        self._slots = threading.BoundedSemaphore(max_sessions)
        self._closed = False

    @property
    def stages(self) -> list[int]:
        return sorted(self._names)

    @property
    def ruleset_names(self) -> tuple[str, ...]:
        """The versioned durable_rules ruleset names, one per stage."""
        return tuple(self._names[stage] for stage in sorted(self._names))

    @property
    def free_slots(self) -> int:
        """Evaluation slots not in use (all of them when nothing is being evaluated)."""
        return int(self._slots._value)

    @property
    def host(self) -> Any:
        """The durable_rules Host behind this engine, for diagnostics and the guard tests."""
        return self._host

    def evaluate(
        self, stage: int, facts: list[dict[str, Any]], timeout: float = 10.0
    ) -> list[Firing]:
        """Assert ``facts`` into an empty session of ``stage``'s ruleset; the rules that fired, in
        order. The session is emptied afterwards and kept for the next evaluation (ADR 0016): making
        a session costs durable_rules more than matching a person against hundreds of rules."""
        if self._closed:
            raise EngineError("this rulebook's engine has been closed")
        if not facts:
            return []  # durable_rules crashes on an empty batch; no facts, no firings, no slot
        if not self._slots.acquire(timeout=timeout):
            raise EngineBusyError(f"all evaluation slots busy for {timeout}s")
        name, idle = self._names[stage], self._idle[stage]
        try:
            sid = idle.pop()
        except IndexError:
            sid = f"e{next(_sid_counter)}"
        session = _sessions[sid] = _Session()
        clean = False
        try:
            fields = self._fields[stage]
            for fact in facts:
                kept = fact if fields is None else {k: v for k, v in fact.items() if k in fields}
                # one at a time: a batch holding a fact no rule matches would skip its actions
                # and make delete_state segfault (durable_rules.md)
                session.asserted.append(kept["id"])
                self._assert(name, {**kept, "sid": sid})
            if session.error is not None:
                raise EngineError(f"a rule action failed: {session.error}")
            members = self._members[stage]
            found: list[Firing] = []
            for firing in session.firings:  # an engine rule standing for several: each of them
                ids = members.get(firing.rule_id)
                if ids is None:
                    found.append(firing)
                else:
                    found += [Firing(rule_id, firing.facts) for rule_id in ids]
            clean = True
            return found
        finally:
            try:
                if not session.ran:  # deleting a session where no action ran would segfault
                    with contextlib.suppress(EngineError):
                        self._assert(name, {**SESSION_FACT, "sid": sid})
                        session.asserted.append(SESSION)
                if clean and session.ran and self._emptied(name, sid, session.asserted):
                    idle.append(sid)
                elif session.ran:  # else leave it: one session lost is better than a crash
                    self._host.delete_state(name, sid)
            finally:
                del _sessions[sid]
                self._slots.release()

    def _emptied(self, name: str, sid: str, ids: list[str]) -> bool:
        """Retract every fact of the session; True when it is as empty as a new one (nothing
        stored, no action pending), so it can serve the next evaluation."""
        handle = self._host.get_ruleset(name)._handle
        offset = None
        try:
            for fact_id in ids:
                _, offset = durable_rules_engine.retract_fact(handle, _retraction(sid, fact_id))
            if offset is None or durable_rules_engine.start_action_for_state(handle, offset):
                return False  # a retraction made an action due: never reuse such a session
        except Exception:
            return False
        return True

    def _assert(self, name: str, fact: dict[str, Any]) -> None:
        try:
            self._host.assert_fact(name, fact)
        except durable.MessageNotHandledException:
            pass  # nothing matched: an empty result, not an error
        except Exception as error:
            raise EngineError(f"durable_rules refused the facts: {error}") from error

    def close(self) -> None:
        """Free the C rulesets. Only call once no evaluation can be running on this engine."""
        if self._closed:
            return
        self._closed = True
        for stage, name in self._names.items():
            # deleting a ruleset does not free its sessions' state: the idle ones are deleted
            # first (an action ran in each, so deleting it is safe)
            idle, self._idle[stage] = self._idle[stage], []
            for sid in idle:
                self._host.delete_state(name, sid)
            ruleset = self._host.get_ruleset(name)
            durable_rules_engine.delete_ruleset(ruleset._handle)


_PROBE = """
import json, sys
import durable_rules_engine as engine
for name, definition in json.load(sys.stdin).items():
    try:
        engine.create_ruleset(name, json.dumps(definition))
    except Exception as error:
        print(json.dumps({"ruleset": name, "error": str(error)}))
        sys.exit(3)
"""


def probe_compile(stages: list[CompiledStage], timeout: float = 20.0) -> str | None:
    """Compile the definitions in a throw-away process; None if fine, else why not.

    A definition past an engine limit can hang ``create_ruleset`` forever with the GIL held, or
    crash the process; neither may happen in the service, so new rules are tried here first.
    """
    # as the engine registers them: with the session rule it adds to every ruleset
    payload = json.dumps(
        {f"probe_{c.stage}": {**c.definition, SESSION: SESSION_RULE} for c in stages}
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE],
            input=payload,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"durable_rules did not finish compiling these rules within {timeout:.0f}s (a rule set past an engine limit hangs it)"
    if done.returncode == 0:
        return None
    if done.returncode == 3:
        detail = json.loads(done.stdout.strip().splitlines()[-1])
        return f"durable_rules rejected ruleset {detail['ruleset']}: {detail['error']}"
    return f"durable_rules crashed while compiling these rules (exit code {done.returncode})"
