"""The page ``peerlab serve`` shows at its root URL: which pair is where, so a teacher sees who is stuck.

One HTML page with inline CSS and script (no external assets: a workshop room may have no
internet); the script reads ``/status.json`` every second and redraws the table. Each member's
cell shows the ``connectionState`` its peer reported (``state`` messages): a pair both ``connected``
is done however long it stays quiet; ``failed``, or ``connecting`` for long, is the pair to walk to.
"""

from __future__ import annotations

from .messages import ROLES

__all__ = ["STATUS_PAGE", "room_state", "POLL_MS"]

POLL_MS = 1000


def room_state(present: set[str], sent: dict[str, set[str]], states: dict[str, str] | None = None) -> str:
    """Where a pair is, from who is in the room, what each has sent and the ``connectionState`` each
    reported (``state`` messages): ``connected`` once both say so, else where they are in the guide's steps."""
    for role in ROLES:
        if role not in present:
            return f"waiting for the {role} to join"
    states = states or {}
    if all(states.get(role) == "connected" for role in ROLES):
        return "connected"
    steps = _steps(sent)
    reported = [f"{role} {states[role]}" for role in ROLES if role in states]
    return steps + (f"; connection: {', '.join(reported)}" if reported else "")


def _steps(sent: dict[str, set[str]]) -> str:
    """Where a pair of two is in the guide's steps, from what each has sent."""
    if "offer" not in sent["caller"]:
        return "both here; no offer yet (caller step 4)"
    if "answer" not in sent["callee"]:
        return "offer sent; no answer yet (callee step 4)"
    missing = [role for role in ROLES if "candidate" not in sent[role]]
    if missing:
        return f"answered; no candidates from the {' or the '.join(missing)} yet (step 6)"
    return "offer, answer and candidates exchanged"


STATUS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>peerlab serve: rooms</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.3em; margin: 0 0 .3em; }
  #summary { color: #555; margin-bottom: 1em; }
  #offline { display: none; background: #fde2e1; color: #8a1c13; padding: .4em .8em; border-radius: 4px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35em .7em; border-bottom: 1px solid #ddd; vertical-align: top; }
  th { background: #f3f3f3; font-weight: 600; }
  td.num { font-variant-numeric: tabular-nums; }
  td:first-child { white-space: nowrap; font-weight: 600; }
  .absent { color: #b35900; }
  .done { color: #1a7f37; }
  .stale { color: #b35900; font-weight: 600; }
  .conn { display: block; font-size: .9em; }
  .conn-connected { color: #1a7f37; font-weight: 600; }
  .conn-failed, .conn-disconnected { color: #b42318; font-weight: 600; }
  .conn-closed, .conn-none { color: #666; }
  .stuck { color: #b42318; font-weight: 600; }
  .small { color: #666; font-size: .85em; }
  #empty { color: #666; padding: 1em 0; }
</style>
</head>
<body>
<h1>peerlab signalling server</h1>
<div id="summary">loading…</div>
<div id="offline">The server does not answer: is <code>peerlab serve</code> still running?</div>
<table id="rooms">
  <thead><tr><th>Room</th><th>Caller</th><th>Callee</th><th>Messages<br><span class="small">caller→callee / callee→caller</span></th>
  <th>Last message</th><th>Where they are</th></tr></thead>
  <tbody></tbody>
</table>
<div id="empty">No rooms yet. Learners join with <code>await peerlab.join(URL, room="table-1", role="caller")</code>.</div>
<script>
"use strict";
const STALE = 60;  // seconds without a message before a pair that is not connected looks stuck
const STUCK = 20;  // seconds "connecting" (or "new" after the answer) before it looks stuck
function ago(s) { return s < 60 ? Math.round(s) + " s ago" : Math.round(s / 60) + " min ago"; }
function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}
function member(row, m) {
  const td = cell(row, m ? m.client + " · " + m.address + " · joined " + ago(m.since) : "not here", m ? "" : "absent");
  if (!m) return;
  const c = m.connection;
  const line = document.createElement("span");
  line.className = "conn conn-" + (c ? c.connectionState : "none");
  line.textContent = c ? "connection: " + c.connectionState + " for " + ago(c.age).replace(" ago", "")
                       : "connection: not reported";
  if (c && (c.connectionState === "connecting" || c.connectionState === "new") && c.age > STUCK) {
    line.className += " stuck";
  }
  td.appendChild(line);
}
function connected(room) {
  return ["caller", "callee"].every(r => room.members[r] && room.members[r].connection &&
                                         room.members[r].connection.connectionState === "connected");
}
function troubled(room) {
  return ["caller", "callee"].some(r => room.members[r] && room.members[r].connection &&
                                        ["failed", "disconnected"].includes(room.members[r].connection.connectionState));
}
function draw(status) {
  const s = status.server;
  document.getElementById("summary").textContent =
    "rooms: " + s.rooms + " · clients: " + s.clients + " · messages relayed: " + s.relayed +
    " · undelivered: " + s.undelivered + " · refused frames: " + s.errors + " · up " + Math.round(s.uptime) + " s";
  const body = document.querySelector("#rooms tbody");
  body.replaceChildren();
  for (const room of status.rooms) {
    const row = document.createElement("tr");
    row.dataset.room = room.name;
    cell(row, room.name);
    member(row, room.members.caller);
    member(row, room.members.callee);
    const counts = room.messages["caller→callee"] + " / " + room.messages["callee→caller"];
    cell(row, counts + (room.held ? " (" + room.held + " held)" : ""), "num");
    const last = room.last;
    cell(row, last ? last.type + " from the " + last.from + ", " + ago(last.age) : "none yet",
         last && last.age > STALE && !connected(room) ? "stale" : "");
    const extra = (room.undelivered ? " · " + room.undelivered + " undelivered" : "") +
                  (room.errors ? " · " + room.errors + " refused frames" : "");
    cell(row, room.state + extra, troubled(room) ? "stuck" :
         room.state === "connected" || room.state === "offer, answer and candidates exchanged" ? "done" : "");
    body.appendChild(row);
  }
  document.getElementById("empty").style.display = status.rooms.length ? "none" : "block";
}
async function poll() {
  try {
    const response = await fetch("status.json" + location.search, {cache: "no-store"});
    if (!response.ok) throw new Error(response.status);
    draw(await response.json());
    document.getElementById("offline").style.display = "none";
  } catch (e) {
    document.getElementById("offline").style.display = "block";
  }
  setTimeout(poll, %(poll)d);
}
poll();
</script>
</body>
</html>
""".replace("%(poll)d", str(POLL_MS))
