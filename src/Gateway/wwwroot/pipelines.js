// The pipelines view: the pipelines, the chosen one's run history, and the chosen run's DAG drawn as SVG with each
// step coloured by its state and linked to its task. Live over the page's event stream (app.js re-dispatches it as
// "aip-task" and "aip-snapshot" DOM events): an active run is fetched again when a task changes and on every snapshot.
// Uses esc(), num(), ago(), api() and showDetail() from app.js; every value shown goes through esc() or num().
"use strict";
let chosenPipeline = null;
let chosenRun = null; // { id, active, taskIds }
let runRefresh = null;

const STEP_WIDTH = 150, STEP_HEIGHT = 40, COLUMN_GAP = 60, ROW_GAP = 18, MARGIN = 16;

async function loadPipelines() {
  const page = await api("/api/v2/pipelines");
  $("pipeline-rows").innerHTML = page.items.map((p) => {
    const schedule = p.definition.schedule;
    return `<tr class="selectable${p.id === chosenPipeline ? " chosen" : ""}" data-pipeline="${esc(p.id)}" data-name="${esc(p.name)}">
      <td>${esc(p.name)}</td><td>${num(p.definition.steps.length)}</td>
      <td>${schedule ? `${esc(schedule.cron)} <span class="muted">${esc(schedule.time_zone ?? "UTC")}</span>` : `<span class="muted">on request</span>`}</td></tr>`;
  }).join("") || `<tr><td colspan="3" class="muted">no pipelines</td></tr>`;
}

async function showPipeline(id) {
  chosenPipeline = id;
  for (const row of document.querySelectorAll("#pipeline-rows tr")) row.classList.toggle("chosen", row.dataset.pipeline === id);
  const runs = await api(`/api/v2/pipelines/${id}/runs?limit=50`);
  $("pipeline-detail").classList.remove("hidden");
  $("run-rows").innerHTML = runs.items.map((r) => `<tr class="selectable${r.id === chosenRun?.id ? " chosen" : ""}" data-run="${esc(r.id)}">
      <td><span class="status ${esc(r.status)}">${esc(r.status)}</span></td><td title="${esc(r.created_at)}">${esc(ago(r.created_at))}</td>
      <td>${r.finished_at ? num((new Date(r.finished_at) - new Date(r.created_at)) / 1000, 1) + " s" : ""}</td>
      <td class="muted">${esc(r.error ?? "")}</td></tr>`).join("") || `<tr><td colspan="4" class="muted">no runs yet</td></tr>`;
  if (!chosenRun && runs.items.length > 0) await showRun(runs.items[0].id);
}

async function showRun(id) {
  const run = await api(`/api/v2/runs/${id}`);
  chosenRun = { id, active: run.status === "pending" || run.status === "running", taskIds: new Set(run.steps.flatMap((s) => s.task_ids)) };
  for (const row of document.querySelectorAll("#run-rows tr")) row.classList.toggle("chosen", row.dataset.run === id);
  $("run-title").innerHTML = `run <span class="muted">${esc(id)}</span> <span class="status ${esc(run.status)}" id="run-status">${esc(run.status)}</span>`;
  drawDag(run.steps);
}

/** Columns by depth (the longest path from a step without dependencies), rows in definition order. */
function layout(steps) {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const depth = new Map();
  const depthOf = (name) => {
    if (!depth.has(name)) depth.set(name, 1 + Math.max(-1, ...byName.get(name).depends_on.map(depthOf)));
    return depth.get(name);
  };
  const rows = [];
  const position = new Map();
  for (const step of steps) {
    const column = depthOf(step.name);
    const row = rows[column] = (rows[column] ?? -1) + 1;
    position.set(step.name, { x: MARGIN + column * (STEP_WIDTH + COLUMN_GAP), y: MARGIN + row * (STEP_HEIGHT + ROW_GAP) });
  }
  return { position, columns: rows.length, rows: Math.max(...rows) + 1 };
}

function drawDag(steps) {
  const { position, columns, rows } = layout(steps);
  const width = MARGIN * 2 + columns * STEP_WIDTH + (columns - 1) * COLUMN_GAP;
  const height = MARGIN * 2 + rows * STEP_HEIGHT + (rows - 1) * ROW_GAP;
  const svg = $("pipeline-dag");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  const edges = steps.flatMap((step) => step.depends_on.map((upstream) => {
    const from = position.get(upstream), to = position.get(step.name);
    const x1 = from.x + STEP_WIDTH, y1 = from.y + STEP_HEIGHT / 2, x2 = to.x, y2 = to.y + STEP_HEIGHT / 2, bend = COLUMN_GAP / 2;
    return `<path class="edge" data-edge="${esc(upstream)}->${esc(step.name)}" marker-end="url(#dag-arrow)"
      d="M${num(x1)},${num(y1)} C${num(x1 + bend)},${num(y1)} ${num(x2 - bend)},${num(y2)} ${num(x2)},${num(y2)}"/>`;
  }));
  const nodes = steps.map((step) => {
    const { x, y } = position.get(step.name);
    const title = `${step.name}: ${step.state}${step.attempts > 1 ? ` (attempt ${step.attempts})` : ""}${step.error ? ` · ${step.error}` : ""}`;
    const body = `<rect class="${esc(step.state)}" x="${num(x)}" y="${num(y)}" width="${STEP_WIDTH}" height="${STEP_HEIGHT}" rx="6"/>
      <text x="${num(x + 8)}" y="${num(y + 16)}">${esc(step.name)}</text>
      <text class="state" x="${num(x + 8)}" y="${num(y + 31)}">${esc(step.state.replace("_", " "))}${step.attempts > 1 ? ` ×${num(step.attempts)}` : ""}</text>
      <title>${esc(title)}</title>`;
    // A step that has run links to its task's detail.
    return step.task_id
      ? `<g data-step="${esc(step.name)}" data-state="${esc(step.state)}"><a href="#detail" data-task="${esc(step.task_id)}">${body}</a></g>`
      : `<g data-step="${esc(step.name)}" data-state="${esc(step.state)}">${body}</g>`;
  });
  svg.innerHTML = `<defs><marker id="dag-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto">
      <path d="M0,0 L10,5 L0,10 z" fill="#8b98a5"/></marker></defs>${edges.join("")}${nodes.join("")}`;
}

function refreshChosenRun() {
  if (runRefresh || !chosenRun) return;
  runRefresh = setTimeout(async () => {
    runRefresh = null;
    if (!chosenRun) return;
    const wasActive = chosenRun.active;
    await showRun(chosenRun.id);
    // The run ended: its history row shows the final status and duration.
    if (wasActive && !chosenRun.active && chosenPipeline) await showPipeline(chosenPipeline);
  }, 250);
}

document.addEventListener("aip-task", (e) => {
  if (chosenRun && (chosenRun.active || chosenRun.taskIds.has(e.detail.id))) refreshChosenRun();
});
document.addEventListener("aip-snapshot", () => { if (chosenRun?.active) refreshChosenRun(); });

$("pipeline-rows").addEventListener("click", (e) => {
  const row = e.target.closest("[data-pipeline]");
  if (row) { chosenRun = null; showPipeline(row.dataset.pipeline); }
});
$("run-rows").addEventListener("click", (e) => {
  const row = e.target.closest("[data-run]");
  if (row) showRun(row.dataset.run);
});
$("pipeline-dag").addEventListener("click", (e) => {
  const link = e.target.closest("[data-task]");
  if (!link) return;
  e.preventDefault();
  showDetail(link.dataset.task);
  $("detail").scrollIntoView();
});
$("reload-pipelines").addEventListener("click", async () => {
  await loadPipelines();
  if (chosenPipeline) await showPipeline(chosenPipeline);
});
