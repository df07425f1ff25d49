// Signing in: the page keeps the API key (or an identity provider's token) in sessionStorage, so it lasts as long as
// the tab and is sent as a bearer header on every call. The event stream cannot send headers, and a long-lived key
// must never sit in a URL, so the stream is opened with a single-use ticket that expires within seconds.
"use strict";
const KEY_STORAGE = "aip-api-key";
const PROJECT_STORAGE = "aip-project";
const auth = {
  key: () => sessionStorage.getItem(KEY_STORAGE),
  // The project a key of every project acts in (sent as X-Project); empty for the key's own or the default one.
  project: () => sessionStorage.getItem(PROJECT_STORAGE) ?? "",
  start: null,
  started: false,
};

async function authFetch(path, options = {}) {
  const headers = new Headers(options.headers ?? {});
  const key = auth.key();
  if (key) headers.set("authorization", `Bearer ${key}`);
  if (auth.project()) headers.set("x-project", auth.project());
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) showSignIn("your key was refused (unknown, revoked or expired): sign in again");
  return response;
}

function showSignIn(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  document.getElementById("signed-in").textContent = "";
  document.getElementById("sign-out").classList.add("hidden");
  document.getElementById("sign-in").classList.remove("hidden");
  document.getElementById("sign-in-error").textContent = message ?? "";
  document.querySelector("#sign-in-form input[name=key]").focus();
}

async function signIn(key, project) {
  sessionStorage.setItem(KEY_STORAGE, key);
  if (project !== undefined) sessionStorage.setItem(PROJECT_STORAGE, project);
  const response = await authFetch("/api/v1/me");
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    showSignIn(body?.error?.message ?? `sign-in failed (HTTP ${response.status})`);
    return false;
  }
  const me = await response.json();
  document.getElementById("sign-in").classList.add("hidden");
  document.getElementById("signed-in").textContent = `${me.name} · ${me.role ?? "no role"} · project ${me.project}`;
  document.getElementById("sign-out").classList.remove("hidden");
  document.body.dataset.role = me.role ?? "";
  // Signing in again after the key was refused: a fresh page starts the stream and timers once more, cleanly.
  if (auth.started) location.reload();
  else { auth.started = true; auth.start?.(me); }
  return true;
}

/** Opens the event stream with a fresh ticket, and again with a new one whenever the connection drops. */
function openStream(setup, onState) {
  let stream = null;
  let retry = null;
  async function open() {
    retry = null;
    try {
      const response = await authFetch("/api/v1/stream/tickets", { method: "POST" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { ticket } = await response.json();
      const project = auth.project() ? `&project=${encodeURIComponent(auth.project())}` : "";
      stream = new EventSource(`/api/v1/stream?ticket=${encodeURIComponent(ticket)}${project}`);
      stream.onopen = () => onState("live");
      stream.onerror = () => {
        // A ticket opens one connection: EventSource's own retry would reuse it, so reconnect with a new ticket.
        stream.close();
        onState("reconnecting…");
        if (auth.key() && !retry) retry = setTimeout(open, 1000);
      };
      setup(stream);
    } catch {
      onState("reconnecting…");
      if (auth.key() && !retry) retry = setTimeout(open, 2000);
    }
  }
  open();
}

/** The API link opens the OpenAPI document, fetched with the key (it is not public). */
async function openApiDocument(event) {
  event.preventDefault();
  const response = await authFetch("/openapi/v1.json");
  if (response.ok) window.open(URL.createObjectURL(new Blob([await response.text()], { type: "application/json" })), "_blank");
}

document.getElementById("sign-in-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const key = form.get("key").trim();
  if (key) await signIn(key, form.get("project").trim());
});
document.getElementById("sign-out").addEventListener("click", () => { showSignIn(""); location.reload(); });
document.getElementById("api-link").addEventListener("click", openApiDocument);

function whenSignedIn(start) {
  auth.start = start;
  const key = auth.key();
  if (key) signIn(key); else showSignIn("");
}
