// The model and dataset pages: lists from the lake API, and for the chosen one its versions (stage badges, alias
// pointers, promote / rollback / archive / restore with a reason), its audit timeline and the lineage graph as SVG.
// Uses esc(), num(), bytes(), ago() and api() from app.js; every value shown goes through esc() or num().
"use strict";
let chosen = null; // { kind: "models" | "datasets", name, version }

async function loadRegistry() {
  const [datasets, models] = await Promise.all([api("/api/v1/datasets"), api("/api/v1/models")]);
  const aliases = (entry) => Object.entries(entry.registry?.aliases ?? {})
    .map(([alias, version]) => `<span class="alias">${esc(alias)} → ${esc(version)}</span>`).join("");
  $("model-rows").innerHTML = models.map((m) => `<tr class="selectable${isChosen("models", m.id) ? " chosen" : ""}" data-kind="models" data-name="${esc(m.id)}">
      <td>${esc(m.id)}</td><td>${num(m.versions)}</td><td>${aliases(m)}</td></tr>`).join("")
    || `<tr><td colspan="3" class="muted">no models</td></tr>`;
  $("dataset-rows").innerHTML = datasets.map((d) => `<tr class="selectable${isChosen("datasets", d.id) ? " chosen" : ""}" data-kind="datasets" data-name="${esc(d.id)}">
      <td>${esc(d.id)} ${aliases(d)}</td><td>${num(d.versions)}</td><td>${num(d.num_rows)}</td><td>${esc(bytes(d.size_bytes))}</td></tr>`).join("")
    || `<tr><td colspan="4" class="muted">no datasets</td></tr>`;
  if (chosen) await showResource(chosen.kind, chosen.name, chosen.version);
}
function isChosen(kind, name) { return chosen?.kind === kind && chosen?.name === name; }

function resourcePath(kind, name) { return `/api/v1/${kind}/${encodeURIComponent(name)}`; }

async function showResource(kind, name, lineageVersion) {
  const base = resourcePath(kind, name);
  const [versions, audit] = await Promise.all([api(`${base}/versions`), api(`${base}/audit?limit=100`)]);
  chosen = { kind, name, version: lineageVersion ?? versions.find((v) => v.aliases.includes("production"))?.version ?? versions.at(-1)?.version };
  $("resource").classList.remove("hidden");
  $("resource-title").textContent = `${kind === "models" ? "Model" : "Dataset"} ${name}`;
  const production = versions.find((v) => v.aliases.includes("production"));
  $("version-rows").innerHTML = versions.slice().reverse().map((v) => {
    const readable = v.stage !== "archived" && v.stage !== "deleted";
    const buttons = [
      readable && !v.aliases.includes("production") ? action("promote", v, "promote to production") : "",
      readable && production && v.lance_version < production.lance_version ? action("rollback", v, "roll production back to this version") : "",
      v.stage === "archived" ? action("restore", v, "bring the archived files back") : "",
      // Offered for every live version: the registry answers, and says why when it refuses (aliased, wrong stage).
      readable ? action("archive", v, "move its files to cold storage") : "",
      `<button type="button" data-action="lineage" data-version="${esc(v.version)}">lineage</button>`,
    ].join(" ");
    return `<tr data-version="${esc(v.version)}"><td>${esc(v.version)} <span class="muted">@${num(v.lance_version)}</span></td>
      <td><span class="stage ${esc(v.stage)}">${esc(v.stage)}</span>${v.data_missing ? ` <span class="stage deleted">data missing</span>` : ""}</td>
      <td>${v.aliases.map((a) => `<span class="alias">${esc(a)}</span>`).join("")}</td>
      <td title="${esc(v.created_at)}">${esc(ago(v.created_at))}</td>
      <td class="metrics">${esc(Object.entries(v.metrics ?? {}).map(([k, value]) => `${k} ${typeof value === "number" ? num(value, 4) : JSON.stringify(value)}`).join(", "))}</td>
      <td>${buttons}</td></tr>`;
  }).join("") || `<tr><td colspan="6" class="muted">no registered versions</td></tr>`;
  $("audit-events").innerHTML = audit.slice().reverse().map((a) => `<li>${esc(new Date(a.at).toLocaleString())} <b>${esc(a.action)}</b>
      ${esc(a.version ?? "")} by ${esc(a.actor)}${a.reason ? ` · “${esc(a.reason)}”` : ""}
      ${a.before || a.after ? `<span class="muted">${esc(summary(a.before))} → ${esc(summary(a.after))}</span>` : ""}</li>`).join("")
    || `<li class="muted">nothing recorded</li>`;
  for (const row of document.querySelectorAll("#model-rows tr, #dataset-rows tr"))
    row.classList.toggle("chosen", row.dataset.kind === kind && row.dataset.name === name);
  if (chosen.version) await showLineage(kind, name, chosen.version);
}
function action(name, version, title) {
  return `<button type="button" data-action="${name}" data-version="${esc(version.version)}" title="${esc(title)}">${name}</button>`;
}
function summary(state) {
  if (!state) return "∅";
  return ["alias", "version", "stage"].filter((k) => state[k] != null).map((k) => `${k} ${state[k]}`).join(", ") || JSON.stringify(state);
}

$("version-rows").addEventListener("click", async (e) => {
  const button = e.target.closest("[data-action]");
  if (!button || !chosen) return;
  const { kind, name } = chosen;
  const version = button.dataset.version;
  const reason = $("resource-reason").value || undefined;
  const base = resourcePath(kind, name);
  const post = (path, body, method = "POST") =>
    api(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  try {
    switch (button.dataset.action) {
      case "promote": await post(`${base}/aliases/production`, { version, reason }, "PUT"); break;
      case "rollback": await post(`${base}/rollback`, { alias: "production", to_version: version, reason }); break;
      case "archive": await post(`${base}/versions/${encodeURIComponent(version)}/archive`, { reason }); break;
      case "restore": await post(`${base}/versions/${encodeURIComponent(version)}/restore`, { reason }); break;
      case "lineage": await showLineage(kind, name, version); return;
    }
    $("resource-result").textContent = `${button.dataset.action} ${version}: done`;
    await loadRegistry();
  } catch (error) {
    $("resource-result").textContent = `${button.dataset.action} ${version}: ${error.message}`;
  }
});
for (const list of ["model-rows", "dataset-rows"])
  $(list).addEventListener("click", (e) => {
    const row = e.target.closest("[data-name]");
    if (row) showResource(row.dataset.kind, row.dataset.name).catch((error) => { $("resource-result").textContent = error.message; });
  });

// ---------------------------------------------------------------- lineage graph
async function showLineage(kind, name, version) {
  chosen.version = version;
  const query = kind === "models" ? "model" : "dataset";
  const graph = await api(`/api/v1/lineage?${query}=${encodeURIComponent(`${name}:${version}`)}`);
  $("lineage-root").textContent = `around ${name}:${version}`;
  drawLineage(graph);
}

/** Layered left to right: a node's column is the longest path of edges leading to it, so every edge points right. */
function drawLineage(graph) {
  const column = new Map(graph.nodes.map((n) => [n.id, 0]));
  for (let pass = 0; pass < graph.nodes.length; pass++)
    for (const edge of graph.edges)
      if (column.has(edge.from) && column.has(edge.to) && column.get(edge.to) <= column.get(edge.from)) column.set(edge.to, column.get(edge.from) + 1);
  const rows = new Map();
  const place = new Map();
  for (const node of graph.nodes) {
    const c = column.get(node.id);
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    place.set(node.id, { x: 10 + c * 230, y: 10 + r * 56 });
  }
  const width = 10 + (Math.max(0, ...column.values()) + 1) * 230 - 60;
  const height = 10 + Math.max(1, ...rows.values()) * 56;
  const svg = $("lineage");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  const edges = graph.edges.filter((e) => place.has(e.from) && place.has(e.to)).map((e) => {
    const [a, b] = [place.get(e.from), place.get(e.to)];
    const [x1, y1, x2, y2] = [a.x + 160, a.y + 20, b.x, b.y + 20];
    return `<path class="edge" d="M${num(x1)},${num(y1)} C${num(x1 + 20)},${num(y1)} ${num(x2 - 20)},${num(y2)} ${num(x2)},${num(y2)}" marker-end="url(#arrow)"/>
      <text class="edge-label" x="${num((x1 + x2) / 2 - 12)}" y="${num((y1 + y2) / 2 - 3)}">${esc(e.relation)}</text>`;
  }).join("");
  const nodes = graph.nodes.map((n) => {
    const { x, y } = place.get(n.id);
    const type = n.kind === "model" || n.kind === "dataset" ? n.kind : "task";
    const second = n.version ? `${n.version} · ${n.stage ?? ""}` : `${n.kind.replace("_task", " task")} · ${n.status ?? ""}`;
    return `<g data-node="${esc(n.id)}"><title>${esc(n.id)}</title>
      <rect class="${type}${n.id === graph.root ? " root" : ""}" x="${num(x)}" y="${num(y)}" width="160" height="40" rx="6"/>
      <text x="${num(x + 8)}" y="${num(y + 16)}">${esc(shorten(n.name, 24))}</text>
      <text x="${num(x + 8)}" y="${num(y + 32)}" class="edge-label">${esc(shorten(second, 30))}</text></g>`;
  }).join("");
  svg.innerHTML = `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto">
      <path d="M0,0 L10,5 L0,10 z" fill="#8b98a5"/></marker></defs>${edges}${nodes}`;
}
function shorten(text, length) { text = String(text ?? ""); return text.length > length ? `${text.slice(0, length - 1)}…` : text; }
