// Add devices (issue 18): the page drives the bridge's api/add/* steps, each of which runs
// meross-pair on the bridge, and follows them by polling api/add/state. Relative URLs only
// (ingress); everything from the bridge goes in as text. The password and key fields are
// write-only: the bridge never sends them back, and the page clears them once sent.
"use strict";

const seen = { found: "", devices: [] };

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function post(path, body) {
  return fetch("api/add/" + path, {
    method: "POST",
    headers: { "X-Meross-Web": "1", "Content-Type": "application/json" },
    body: JSON.stringify(body || {}),
  }).then((r) => r.text().then((t) => {
    document.getElementById("message").textContent = t.trim();
    refresh();
  }));
}

function brokerHostPort(url) {
  return (url || "").replace(/^mqtts?:\/\//, "");
}

function inBridge(uuid) {
  const d = seen.devices.find((x) => x.uuid && uuid && x.uuid.toLowerCase() === uuid.toLowerCase());
  return d ? (d.online ? "online" : "offline") : "no";
}

function renderFound(state) {
  const text = JSON.stringify(state.found);
  const tbody = document.querySelector("#found tbody");
  const ticked = new Set([...tbody.querySelectorAll("input:checked")].map((i) => i.value));
  const ours = brokerHostPort(state.ap.broker);
  if (text !== seen.found) {
    seen.found = text;
    tbody.replaceChildren();
    state.found.forEach((d) => {
      const tr = el("tr");
      tr.dataset.uuid = d.uuid;
      tr.dataset.host = d.host;
      const box = el("input");
      box.type = "checkbox";
      box.value = d.host;
      box.checked = ticked.has(d.host);
      box.disabled = d.key !== "ours";
      const cell = el("td");
      cell.append(box);
      const here = d.broker && d.broker === ours;
      tr.append(cell, el("td", "", d.model || "—"), el("td", "uuid", d.uuid || "—"),
        el("td", "", d.host), el("td", "", d.firmware || "—"),
        el("td", "broker", (d.broker || "—") + (here ? " (ours)" : "")),
        el("td", "", d.key === "ours" ? "the account's" : "another account's"),
        el("td", "bridge", ""));
      tbody.append(tr);
    });
  }
  tbody.querySelectorAll("tr").forEach((tr) => {
    tr.querySelector("td.bridge").textContent = inBridge(tr.dataset.uuid);
  });
  document.getElementById("found-count").textContent =
    state.found.length ? "(" + state.found.length + ")" : "";
}

function renderMoved(state) {
  const tbody = document.querySelector("#moved tbody");
  tbody.replaceChildren();
  state.moved.forEach((m) => {
    const tr = el("tr");
    tr.dataset.uuid = m.uuid;
    const where = inBridge(m.uuid);
    tr.dataset.online = where === "online" ? "true" : "false";
    const dot = el("td");
    dot.append(el("span", "dot " + (where === "online" ? "online" : "offline")));
    const result = el("td", m.result, m.result);
    result.title = m.message;
    tr.append(dot, el("td", "uuid", m.uuid || "—"), el("td", "", m.host), result,
      el("td", "bridge", where));
    tbody.append(tr);
  });
}

function render(state) {
  const account = state.account;
  document.getElementById("account-state").textContent = account.has_key
    ? "Key known" + (account.email ? " (signed in as " + account.email + ")" : "") +
      (account.user_id ? ", userId " + account.user_id : "")
    : "Not signed in.";
  const list = document.getElementById("account-devices");
  list.replaceChildren(...account.devices.map((d) =>
    el("li", "", (d.name || "—") + " · " + d.model + " · " + d.uuid + " · " + d.online)));
  const targets = document.getElementById("targets");
  if (!targets.value && state.scan_default) targets.value = state.scan_default;
  document.getElementById("status").textContent =
    state.step ? "— " + state.step + ": " + state.status : "";
  document.body.dataset.step = state.step;
  document.body.dataset.status = state.status;
  document.getElementById("mfa").required = state.status === "mfa";
  if (state.message) document.getElementById("message").textContent = state.message;
  document.getElementById("log").textContent = state.log.join("\n");
  for (const id of ["sign-in-button", "key-button", "forget-button", "scan-button", "move-button"]) {
    document.getElementById(id).disabled = state.busy;
  }
  renderFound(state);
  renderMoved(state);
  const broker = state.ap.broker || "(unknown: set [web] device_broker)";
  document.getElementById("ap-broker").textContent = broker;
  document.getElementById("ap-fingerprint").textContent =
    state.ap.ca_fingerprint || "(unknown: set [web] ca_file)";
  document.getElementById("ap-command").textContent =
    "meross-pair pair --host 10.10.10.1 --ssid SSID --password WIFI_PASSWORD --broker " + broker +
    " --key KEY --user-id " + state.ap.user_id;
}

function refresh() {
  Promise.all([
    fetch("api/add/state").then((r) => r.json()),
    fetch("api/devices").then((r) => r.json()).catch(() => null),
  ]).then(([state, devices]) => {
    if (Array.isArray(devices)) seen.devices = devices;
    render(state);
  }).catch(() => {
    document.getElementById("status").textContent = "— the bridge does not answer";
  });
}

document.getElementById("sign-in").addEventListener("submit", (e) => {
  e.preventDefault();
  const password = document.getElementById("password");
  const body = {
    email: document.getElementById("email").value,
    password: password.value,
    mfa: document.getElementById("mfa").value,
    api: document.getElementById("api").value,
  };
  password.value = "";
  post("account", body);
});
document.getElementById("paste-key").addEventListener("submit", (e) => {
  e.preventDefault();
  const key = document.getElementById("key");
  const body = { key: key.value, user_id: document.getElementById("user-id").value };
  key.value = "";
  post("key", body);
});
document.getElementById("forget-button").addEventListener("click", () => post("forget"));
document.getElementById("scan").addEventListener("submit", (e) => {
  e.preventDefault();
  post("scan", { targets: document.getElementById("targets").value });
});
document.getElementById("move-button").addEventListener("click", () => {
  const hosts = [...document.querySelectorAll("#found tbody input:checked")].map((i) => i.value);
  post("move", { hosts });
});

refresh();
setInterval(refresh, 1000);
