// The bridge panel's log tail (api/log?level=…, asked every 3 s and when the level changes) and
// the CA certificate download (api/ca.pem; a note instead when the bridge has none). Relative
// URLs only (ingress); log lines go in as textContent, never HTML.
"use strict";

function logRow(line) {
  const tr = document.createElement("tr");
  tr.className = "log-" + line.level;
  tr.dataset.level = line.level;
  [new Date(line.time).toLocaleTimeString(), line.level, line.text].forEach((v) => {
    const td = document.createElement("td");
    td.textContent = v;
    tr.append(td);
  });
  return tr;
}

function refreshLog() {
  const level = document.getElementById("log-level").value;
  fetch("api/log?level=" + encodeURIComponent(level), { cache: "no-store" })
    .then((r) => (r.ok ? r.json() : []))
    .then((lines) => {
      document.querySelector("#log tbody").replaceChildren(...lines.slice().reverse().map(logRow));
      document.getElementById("log-empty").hidden = lines.length > 0;
      window.merossLogUpdates = (window.merossLogUpdates || 0) + 1;
    })
    .catch(() => {});
}

function checkCertificate() {
  fetch("api/ca.pem", { method: "GET", cache: "no-store" }).then((r) => {
    document.getElementById("ca-download").hidden = !r.ok;
    if (!r.ok) return r.text().then((t) => { document.getElementById("ca-note").textContent = t.trim(); });
    document.getElementById("ca-note").textContent = "";
    return null;
  }).catch(() => {});
}

document.getElementById("log-level").addEventListener("change", refreshLog);
setInterval(refreshLog, 3000);
refreshLog();
checkCertificate();
