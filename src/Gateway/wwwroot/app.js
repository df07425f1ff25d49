// The monitoring page: one server-sent-event stream keeps it live (task changes as they happen, queue and worker
// snapshots every two seconds); the page fetches only what changed.
"use strict";
const CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
const $ = (id) => document.getElementById(id);
let selectedTask = null;
let refreshTimer = null;

// Every value interpolated into markup goes through esc() or num(): scripts control task names, progress messages and
// metrics, and none of it may become markup.
function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function num(value, digits = 0) {
  const n = Number(value);
  return Number.isFinite(n) ? n.toFixed(digits) : "";
}
async function api(path, options) {
  const response = await authFetch(path, options);
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`);
  return body;
}
function ago(time) {
  const seconds = Math.max(0, (Date.now() - new Date(time).getTime()) / 1000);
  return seconds < 60 ? `${seconds.toFixed(0)} s ago` : `${(seconds / 60).toFixed(0)} min ago`;
}
function bytes(n) { return n > 1e9 ? `${(n / 1e9).toFixed(1)} GB` : n > 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`; }

// ---------------------------------------------------------------- live stream
function connect() {
  openStream((stream) => {
    stream.addEventListener("snapshot", (e) => {
      const snapshot = JSON.parse(e.data);
      renderQueues(snapshot.queues);
      renderWorkers(snapshot.workers);
      renderAlerts(snapshot.alerts ?? []);
      document.dispatchEvent(new CustomEvent("aip-snapshot"));
    });
    stream.addEventListener("task", (e) => {
      const item = JSON.parse(e.data);
      scheduleRefresh();
      if (selectedTask === item.id) showDetail(item.id);
      document.dispatchEvent(new CustomEvent("aip-task", { detail: item }));
    });
  }, (state) => { $("connection").textContent = state; });
}
function scheduleRefresh() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => { refreshTimer = null; loadTasks(); }, 250);
}

function renderQueues(queues) {
  $("queue-rows").innerHTML = queues.length === 0 ? `<tr><td colspan="6" class="muted">no queues</td></tr>` : queues.map((q) =>
    `<tr class="${q.is_error_queue ? "error-queue" : ""}" data-queue="${esc(q.name)}"><td>${esc(q.name)}${q.is_error_queue ? " ⚠" : ""}</td>
     <td class="ready">${num(q.messages_ready)}</td><td>${num(q.messages_unacked)}</td><td>${num(q.consumers)}</td>
     <td>${num(q.publish_rate, 1)}</td><td>${num(q.deliver_rate, 1)}</td></tr>`).join("");
}
function renderWorkers(workers) {
  $("worker-rows").innerHTML = workers.length === 0 ? `<tr><td colspan="6" class="muted">no workers</td></tr>` : workers.map((w) =>
    `<tr class="${w.stale ? "stale" : ""}"><td>${esc(w.worker_id)}${w.stale ? " (stale)" : ""}</td><td>${esc(w.kind)}</td><td>${esc(w.host)}</td>
     <td>${num(w.running_task_ids.length)}/${num(w.concurrency)}</td><td>${w.running_task_ids.map((id) => esc(String(id).slice(-8))).join(", ")}</td>
     <td>${esc(ago(w.last_heartbeat_at))}</td></tr>`).join("");
}
// Alertmanager's notifications as the gateway recorded them: firing first, then the latest resolved.
function renderAlerts(alerts) {
  const firing = alerts.filter((a) => a.status === "firing").length;
  $("alerts-firing").textContent = firing > 0 ? `${firing} firing` : "none firing";
  const labels = (a) => Object.entries(a.labels).filter(([k]) => k !== "alertname" && k !== "severity").map(([k, v]) => `${k}=${v}`).join(", ");
  $("alert-rows").innerHTML = alerts.length === 0 ? `<tr><td colspan="6" class="muted">no alerts</td></tr>` : alerts.map((a) =>
    `<tr class="alert-${a.status === "firing" ? "firing" : "resolved"}" data-alert="${esc(a.name)}"><td>${esc(a.name)}</td><td>${esc(a.status)}</td>
     <td>${esc(a.severity)}</td><td title="${esc(a.description)}">${esc(a.summary)}</td><td>${esc(labels(a))}</td>
     <td>${esc(ago(a.starts_at))}${a.ends_at ? `, ended ${esc(ago(a.ends_at))}` : ""}</td></tr>`).join("");
}

// ---------------------------------------------------------------- tasks
async function loadTasks() {
  const query = new URLSearchParams({ limit: "100" });
  if ($("filter-type").value) query.set("type", $("filter-type").value);
  if ($("filter-status").value) query.set("status", $("filter-status").value);
  const page = await api(`/api/v1/tasks?${query}`);
  $("task-rows").innerHTML = page.items.map((t) => {
    const fraction = Number(t.progress?.fraction ?? (t.status === "completed" ? 1 : 0)) || 0;
    const active = t.status === "pending" || t.status === "running";
    return `<tr class="selectable" data-task="${esc(t.id)}" data-status="${esc(t.status)}" data-name="${esc(t.name)}">
      <td><span class="status ${esc(t.status)}">${esc(t.status)}</span></td><td>${esc(t.type)}</td><td>${esc(t.name)}</td>
      <td><span class="bar" title="${esc(t.progress?.message ?? "")}"><span style="width:${num(fraction * 100)}%"></span></span>
          <span class="muted">${num(fraction * 100)}% ${esc(t.progress?.message ?? "")}</span></td>
      <td>${t.duration_seconds != null ? num(t.duration_seconds, 1) + " s" : ""}</td><td>${esc(t.worker_id ?? "")}</td>
      <td>${active ? `<button type="button" class="cancel" data-cancel="${esc(t.id)}">Cancel</button>` : ""}</td></tr>`;
  }).join("");
  const services = page.items.filter((t) => t.type === "inference" && t.status === "running");
  const current = $("service").value;
  $("service").innerHTML = services.length === 0 ? `<option value="">no running inference task</option>`
    : services.map((s) => `<option value="${esc(s.id)}" data-script="${esc(s.script ?? "")}" ${s.id === current ? "selected" : ""}>${esc(s.name)} (${esc(s.model)})</option>`).join("");
  showPlaygroundMode();
}

$("task-rows").addEventListener("click", async (e) => {
  const cancel = e.target.closest("[data-cancel]");
  if (cancel) {
    e.stopPropagation();
    try { await api(`/api/v1/tasks/${cancel.dataset.cancel}/cancel`, { method: "POST" }); } catch (error) { alert(error.message); }
    return;
  }
  const row = e.target.closest("[data-task]");
  if (row) showDetail(row.dataset.task);
});
$("filter-type").addEventListener("change", loadTasks);
$("filter-status").addEventListener("change", loadTasks);
$("show-submit").addEventListener("click", () => $("submit-form").classList.toggle("hidden"));
$("close-detail").addEventListener("click", () => { selectedTask = null; $("detail").classList.add("hidden"); });

$("submit-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const body = { type: form.get("type"), name: form.get("name") };
  for (const field of ["script", "input", "output", "model"]) if (form.get(field)) body[field] = form.get(field);
  try {
    body.params = JSON.parse(form.get("params") || "{}");
    const created = await api("/api/v1/tasks", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    $("submit-result").textContent = `submitted ${created.name} (${created.id})`;
    loadTasks();
  } catch (error) {
    $("submit-result").textContent = error.message;
  }
});

async function showDetail(id) {
  selectedTask = id;
  const [task, events] = await Promise.all([api(`/api/v1/tasks/${id}`), api(`/api/v1/tasks/${id}/events`)]);
  $("detail").classList.remove("hidden");
  $("detail-name").textContent = `${task.name} · ${task.status}`;
  const overview = { id: task.id, type: task.type, status: task.status, submitted_by: task.submitted_by, script: task.script, input: task.input, output: task.output,
    model: task.model, params: task.params, result: task.result, error: task.error, worker: task.worker_id, attempts: task.attempts,
    created_at: task.created_at, started_at: task.started_at, finished_at: task.finished_at, endpoint: task.endpoint };
  $("detail-overview").textContent = JSON.stringify(overview, null, 2);
  $("detail-events").innerHTML = events.map((e) => `<li>${esc(new Date(e.timestamp).toLocaleTimeString())} <b>${esc(e.kind)}</b>
      ${esc(e.data.message ?? e.data.error ?? e.data.reason ?? "")} ${e.data.metrics ? esc(JSON.stringify(e.data.metrics)) : ""}</li>`).join("");
  const epochs = events.filter((e) => e.kind === "progressed" && e.data.metrics)
    .map((e) => e.data.metrics).filter((m) => m.epoch != null);
  drawCurves(epochs);
}

function drawCurves(epochs) {
  const svg = $("detail-chart");
  if (epochs.length === 0) { svg.innerHTML = `<text x="10" y="80" fill="#8b98a5">no per-epoch metrics</text>`; $("detail-legend").textContent = ""; return; }
  const series = [["loss", "#f85149"], ["test_loss", "#d29922"], ["accuracy", "#3fb950"], ["test_accuracy", "#4aa3ff"]]
    .filter(([k]) => epochs.some((m) => m[k] != null));
  // Losses share one scale from 0 to the largest; accuracies are fractions already.
  const losses = ["loss", "test_loss"];
  const maxLoss = Math.max(...epochs.flatMap((m) => losses.map((k) => m[k] ?? 0)), 1);
  const x = (i) => 20 + (epochs.length === 1 ? 140 : (i * 280) / (epochs.length - 1));
  const y = (key, v) => 150 - (losses.includes(key) ? v / maxLoss : v) * 140;
  svg.innerHTML = series.map(([key, color]) => {
    const points = epochs.map((m, i) => m[key] == null ? null : `${num(x(i), 2)},${num(y(key, m[key]), 2)}`).filter(Boolean).join(" ");
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>` +
      epochs.map((m, i) => m[key] == null ? "" : `<circle cx="${num(x(i), 2)}" cy="${num(y(key, m[key]), 2)}" r="3" fill="${color}"/>`).join("");
  }).join("");
  $("detail-legend").innerHTML = series.map(([key, color]) => `<span style="color:${color}">■ ${key}</span>`).join(" ") +
    ` · epoch ${esc(epochs.at(-1).epoch)}: ` + series.map(([key]) => `${key} ${num(epochs.at(-1)[key], 4)}`).join(", ");
}

// ---------------------------------------------------------------- playground
const canvas = $("canvas");
const pen = canvas.getContext("2d");
function clearCanvas() { pen.fillStyle = "#000"; pen.fillRect(0, 0, canvas.width, canvas.height); }
clearCanvas();
let drawing = false;
function point(e) { const r = canvas.getBoundingClientRect(); return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height]; }
canvas.addEventListener("pointerdown", (e) => { drawing = true; pen.beginPath(); pen.moveTo(...point(e)); });
canvas.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  pen.strokeStyle = "#fff"; pen.lineWidth = 22; pen.lineCap = "round"; pen.lineJoin = "round";
  pen.lineTo(...point(e)); pen.stroke();
});
window.addEventListener("pointerup", () => { drawing = false; });
$("clear-canvas").addEventListener("click", clearCanvas);
$("upload").addEventListener("change", (e) => {
  const file = e.target.files[0];
  if (!file) return;
  const image = new Image();
  image.onload = () => { clearCanvas(); pen.drawImage(image, 0, 0, canvas.width, canvas.height); };
  image.src = URL.createObjectURL(file);
});
/** Shows the playground that fits the selected service's serving script. */
function showPlaygroundMode() {
  const script = $("service").selectedOptions[0]?.dataset.script ?? "";
  const mode = script === "" || script.endsWith("mnist/serve.csx") ? "image" : script.endsWith("text/serve.csx") ? "text" : "json";
  document.querySelectorAll("#playground [data-mode]").forEach((part) => part.classList.toggle("hidden", part.dataset.mode !== mode));
}
$("service").addEventListener("change", showPlaygroundMode);

async function predict(body) {
  const service = $("service").value;
  if (!service) throw new Error("start an inference task first");
  return api(`/api/v1/tasks/${service}/predict`, { method: "POST", headers: { "content-type": "application/json" }, body });
}

$("generate").addEventListener("click", async () => {
  const prompt = $("prompt").value;
  $("generated").textContent = "generating...";
  try {
    const result = await predict(JSON.stringify({ prompt, max_tokens: Number($("max-tokens").value), temperature: Number($("temperature").value) }));
    $("generated").innerHTML = `<b>${esc(prompt)}</b>${esc(result.completion)}`;
  } catch (error) {
    $("generated").textContent = error.message;
  }
});

$("send-request").addEventListener("click", async () => {
  try {
    $("answer").textContent = JSON.stringify(await predict($("request").value), null, 2);
  } catch (error) {
    $("answer").textContent = error.message;
  }
});

$("predict").addEventListener("click", async () => {
  const png = canvas.toDataURL("image/png").split(",")[1];
  try {
    const result = await predict(JSON.stringify({ image: png }));
    $("prediction").textContent = `prediction: ${result.prediction} ${CLASSES[result.prediction] ?? ""} (${(result.confidence * 100).toFixed(1)} %)`;
    $("probabilities").innerHTML = result.probabilities.map((p, i) =>
      `<rect x="${10 + i * 31}" y="${num(170 - p * 150, 2)}" width="24" height="${num(p * 150, 2)}" fill="${i === result.prediction ? "#3fb950" : "#4aa3ff"}"><title>${esc(CLASSES[i])} ${num(p * 100, 1)} %</title></rect>
       <text x="${14 + i * 31}" y="190" fill="#8b98a5" font-size="11">${i}</text>`).join("");
  } catch (error) {
    $("prediction").textContent = error.message;
  }
});

whenSignedIn(() => {
  connect();
  loadTasks();
  loadRegistry();
  loadPipelines();
  setInterval(loadRegistry, 30000);
});
