// The device list and bridge panel, live from api/events (server-sent events). Every URL is
// relative: under Home Assistant's ingress the page lives below a path prefix of its own.
// Everything the bridge sends is put in the page as text (textContent), never as HTML.
"use strict";

const state = { devices: [], bridge: null, offset: 0 };

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function ago(epoch) {
  if (epoch === null || epoch === undefined) return "—";
  const s = Math.max(0, Math.round(Date.now() / 1000 + state.offset - epoch));
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h ago";
  return Math.floor(s / 86400) + " d ago";
}

function duration(seconds) {
  const d = Math.floor(seconds / 86400), h = Math.floor(seconds / 3600) % 24;
  const m = Math.floor(seconds / 60) % 60;
  return (d ? d + " d " : "") + (d || h ? h + " h " : "") + m + " min";
}

function switchesCell(device) {
  const td = el("td", "state");
  device.switches.forEach((s, i) => {
    if (i) td.append(" ");
    const on = s.state === "ON";
    const span = el("span", on ? "state-on" : "state-off", s.state ? s.state.toLowerCase() : "?");
    span.dataset.key = s.key;
    if (device.switches.length > 1) span.title = s.key;
    td.append(span);
  });
  return td;
}

function reread(uuid, button) {
  button.disabled = true;
  fetch("api/devices/" + encodeURIComponent(uuid) + "/reread", {
    method: "POST",
    headers: { "X-Meross-Web": "1" },
  }).then((r) => {
    button.textContent = r.ok ? "asked" : "failed";
    setTimeout(() => { button.textContent = "Read again"; button.disabled = false; }, 3000);
  });
}

// The name, a link to the device's page (device.html) for a device of its own.
function nameCell(device) {
  const td = el("td", "name");
  const text = device.name || (device.hub ? "↳ " : "") + (device.model || "?");
  if (device.hub) {
    td.textContent = text;
  } else {
    const a = el("a", "", text);
    a.href = "device.html?uuid=" + encodeURIComponent(device.uuid);
    td.append(a);
  }
  return td;
}

function row(device) {
  const tr = el("tr", device.hub ? "sub" : "");
  tr.dataset.uuid = device.uuid;
  tr.dataset.online = device.online ? "true" : "false";
  const dotCell = el("td");
  dotCell.append(el("span", "dot " + (device.online ? "online" : "offline")));
  dotCell.title = device.online ? "online" : "offline";
  tr.append(dotCell);
  tr.append(nameCell(device));
  tr.append(el("td", "", device.model || "—"));
  tr.append(switchesCell(device));
  tr.append(el("td", "", device.firmware || "—"));
  tr.append(el("td", "", device.ip || "—"));
  tr.append(el("td", "uuid", device.uuid));
  tr.append(el("td", "seen", ago(device.last_seen)));
  tr.append(el("td", "", device.signal === null ? "—" : device.signal + " %"));
  tr.append(el("td", "", device.hub ? "" : device.bind_acknowledged ? "acknowledged" : "—"));
  tr.append(el("td", "", String(device.entities)));
  const problems = el("td", "problems");
  device.problems.forEach((p) => problems.append(el("span", "", p)));
  tr.append(problems);
  const actions = el("td");
  if (!device.hub) {
    const b = el("button", "", "Read again");
    b.addEventListener("click", () => reread(device.uuid, b));
    actions.append(b);
  }
  tr.append(actions);
  return tr;
}

function renderDevices() {
  const body = document.querySelector("#devices tbody");
  body.replaceChildren(...state.devices.map(row));
  const top = state.devices.filter((d) => !d.hub);
  const online = top.filter((d) => d.online).length;
  document.getElementById("device-count").textContent = online + " of " + top.length + " online";
  document.getElementById("no-devices").hidden = state.devices.length > 0;
}

function renderBridge() {
  const b = state.bridge;
  if (!b) return;
  const items = [
    ["Version", b.version],
    ["Uptime", duration(Math.max(0, Date.now() / 1000 + state.offset - b.started))],
    ["Devices online", b.devices_online + " / " + b.devices],
    ["Messages", b.counters.messages],
    ["Malformed", b.counters.malformed],
    ["Signature failures", b.counters.signature_failures],
    ["Dropped", b.counters.dropped],
    ["Unanswered requests", b.counters.unanswered],
    ["Discoveries asked again", b.counters.rediscoveries],
    ["Requests that waited their turn", b.counters.waited],
    ["Publications dropped (broker too slow)", b.counters.publications_dropped],
    ["Refused devices", b.counters.refused],
    ["Rejected commands", b.counters.rejected],
  ];
  const dl = document.getElementById("bridge");
  dl.replaceChildren(...items.map(([k, v]) => {
    const div = el("div");
    div.append(el("dt", "", k), el("dd", "", String(v)));
    return div;
  }));
  document.getElementById("links").replaceChildren(...b.links.map((l) => {
    const li = el("li");
    li.append(el("span", "dot " + (l.connected ? "online" : "offline")));
    li.append(l.name + ": " + l.broker + (l.connected ? " (connected)" : " (not connected)"));
    return li;
  }));
}

function live(connected) {
  document.getElementById("live-dot").className = "dot " + (connected ? "online" : "offline");
  document.getElementById("live-text").textContent = connected ? "live" : "reconnecting…";
}

function connect() {
  const events = new EventSource("api/events");
  events.onopen = () => live(true);
  events.onerror = () => live(false);
  events.onmessage = (e) => {
    const snapshot = JSON.parse(e.data);
    state.offset = snapshot.time - Date.now() / 1000;
    state.devices = snapshot.devices;
    state.bridge = snapshot.bridge;
    renderDevices();
    renderBridge();
    window.merossUpdates = (window.merossUpdates || 0) + 1;
  };
}

// Relative times move on between snapshots.
setInterval(() => {
  document.querySelectorAll("#devices tbody tr").forEach((tr, i) => {
    const d = state.devices[i];
    if (d) tr.querySelector("td.seen").textContent = ago(d.last_seen);
  });
  renderBridge();
}, 5000);

connect();
