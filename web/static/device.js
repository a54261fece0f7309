// The device page (device.html?uuid=…): api/devices/<uuid>, asked again on every event of
// api/events and every 2 s while the page is open (asking keeps the bridge recording the device's
// messages). Relative URLs only (ingress); the bridge's text goes in as textContent, never HTML.
"use strict";

const uuid = new URLSearchParams(location.search).get("uuid") || "";
const base = "api/devices/" + encodeURIComponent(uuid);
let renaming = false;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function cells(values) {
  const tr = el("tr");
  values.forEach((v) => tr.append(el("td", "", v)));
  return tr;
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString();
}

function renderSummary(d) {
  document.getElementById("device-title").textContent = d.name || d.model || d.uuid;
  document.title = "Meross bridge: " + (d.name || d.model || d.uuid);
  const items = [
    ["Name", d.name || "—"],
    ["Model", d.model || "—"],
    ["Firmware", d.firmware || "—"],
    ["IP", d.ip || "—"],
    ["State", d.online ? "online" : "offline"],
    ["Wi-Fi", d.signal === null ? "—" : d.signal + " %"],
    ["UUID", d.uuid],
  ];
  document.getElementById("summary").replaceChildren(...items.map(([k, v]) => {
    const div = el("div");
    div.dataset.field = k.toLowerCase();
    div.append(el("dt", "", k), el("dd", "", v));
    return div;
  }));
  document.getElementById("device-problems").textContent = d.problems.join("; ");
  const input = document.getElementById("rename-name");
  if (!renaming && document.activeElement !== input) input.value = d.name;
}

function render(page) {
  document.getElementById("loading").hidden = true;
  ["summary-panel", "entities-panel", "messages-panel", "abilities-panel"].forEach((id) => {
    document.getElementById(id).hidden = false;
  });
  renderSummary(page.device);
  document.getElementById("entity-count").textContent = String(page.entities.length);
  document.querySelector("#entities tbody").replaceChildren(...page.entities.map((e) => {
    const tr = cells([e.component, e.name === null ? "(main)" : e.name, e.category || "—", e.key,
                      e.sub_device || "", e.state || "—"]);
    tr.dataset.key = e.key;
    return tr;
  }));
  const abilities = Object.entries(page.abilities);
  document.getElementById("ability-count").textContent = String(abilities.length);
  document.querySelector("#abilities tbody").replaceChildren(...abilities.map(([ns, params]) => {
    const tr = cells([ns, JSON.stringify(params)]);
    tr.dataset.namespace = ns;
    return tr;
  }));
  document.querySelector("#messages tbody").replaceChildren(...page.messages.slice().reverse().map((m) => {
    const tr = cells([clock(m.time), m.direction === "out" ? "→" : "←", m.method, m.namespace, m.payload]);
    tr.dataset.direction = m.direction;
    tr.lastChild.className = "payload";
    return tr;
  }));
  if (page.rename && !renaming) {
    const status = document.getElementById("rename-status");
    status.textContent = page.rename.message;
    status.dataset.saved = String(page.rename.saved);
    status.dataset.name = page.rename.name;
  }
  window.merossDeviceUpdates = (window.merossDeviceUpdates || 0) + 1;
}

function refresh() {
  fetch(base, { cache: "no-store" }).then((r) => {
    if (r.status === 404 || r.status === 400) {
      document.getElementById("loading").hidden = true;
      document.getElementById("unknown").hidden = false;
      return null;
    }
    return r.json();
  }).then((page) => {
    if (page === null || page === undefined) {
      // Not built yet: the bridge builds it on its next turn.
      if (document.getElementById("unknown").hidden) setTimeout(refresh, 300);
      return;
    }
    render(page);
  }).catch(() => {});
}

function post(path, body) {
  return fetch(base + path, {
    method: "POST",
    headers: { "X-Meross-Web": "1", "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

document.getElementById("rename-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const name = document.getElementById("rename-name").value.trim();
  const status = document.getElementById("rename-status");
  renaming = true;
  status.textContent = "renaming…";
  delete status.dataset.saved;
  post("/name", { name }).then((r) => r.text().then((text) => {
    renaming = false;
    status.textContent = text.trim();
    if (r.ok) refresh();
  }));
});

document.getElementById("reread").addEventListener("click", () => {
  const status = document.getElementById("reread-status");
  post("/reread").then((r) => r.text()).then((text) => { status.textContent = text.trim(); });
});

function live(connected) {
  document.getElementById("live-dot").className = "dot " + (connected ? "online" : "offline");
  document.getElementById("live-text").textContent = connected ? "live" : "reconnecting…";
}

const events = new EventSource("api/events");
events.onopen = () => live(true);
events.onerror = () => live(false);
events.onmessage = refresh;
setInterval(refresh, 2000);
refresh();
