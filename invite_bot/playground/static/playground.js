// The playground page: draws what the server renders, and sends what the person does
// through the same control API a script would use (see invite_bot/playground/page.py).
"use strict";

const api = "/playground/api";
const state = { user: "admin", channel: "general", version: "", modalKey: "", busy: 0 };
const $ = (id) => document.getElementById(id);

async function call(path, body) {
  state.busy += 1;
  document.body.classList.add("busy");
  try {
    const response = await fetch(api + path, {
      method: body === undefined ? "GET" : "POST",
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) note(answer.error || `the playground answered ${response.status}`);
    return answer;
  } finally {
    state.busy -= 1;
    if (!state.busy) document.body.classList.remove("busy");
    refresh();
  }
}

function note(text) {
  $("composer-note").textContent = text;
}

// -- drawing --------------------------------------------------------------------------

let refreshing = null;
async function refresh() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    const query = new URLSearchParams({ user: state.user, channel: state.channel, since: state.version });
    try {
      const response = await fetch(`${api}/state?${query}`);
      const answer = await response.json();
      if (answer.version !== state.version && answer.conversation !== undefined) draw(answer);
    } catch (error) {
      note("the playground is not answering (stopped?)");
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// Each pane is morphed into its new HTML (morph.js), never replaced: what a person is
// typing in it, the focus and the caret, an open fold and a scrolled list all stay.
function draw(answer) {
  const pane = $("conversation");
  const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
  state.version = answer.version;
  morph.draw($("sidebar"), answer.sidebar);
  $("channel-title").textContent = answer.channel_title;
  if (morph.draw(pane, answer.conversation)) {
    reopen(pane);
    if (atBottom) pane.scrollTop = pane.scrollHeight;
  }
  morph.draw($("gencove"), answer.gencove);
  morph.draw($("traffic"), answer.traffic);
  if (answer.modal_key !== state.modalKey) drawModal(answer.modal, answer.modal_key);
}

// A thread (or a file's preview) the person opened stays open while the page redraws,
// as an open thread does in Slack while its messages change.
const opened = new Set();
document.addEventListener(
  "toggle",
  (event) => {
    const key = event.target.dataset ? event.target.dataset.openKey : undefined;
    if (!key) return;
    if (event.target.open) opened.add(key);
    else opened.delete(key);
  },
  true, // "toggle" does not bubble
);
// "toggle" comes a moment after the click: a redraw in between would lose it, so the click
// (or Enter on the summary) says at once what the fold is to become.
document.addEventListener(
  "click",
  (event) => {
    const summary = event.target.closest("summary");
    const fold = summary ? summary.parentElement : null;
    if (!fold || fold.tagName !== "DETAILS" || !fold.dataset.openKey) return;
    if (fold.open) opened.delete(fold.dataset.openKey);
    else opened.add(fold.dataset.openKey);
  },
  true,
);

function reopen(root) {
  for (const fold of root.querySelectorAll("details[data-open-key]")) {
    if (opened.has(fold.dataset.openKey)) fold.open = true;
  }
}

// The same modal redrawn (its errors, or the bot's views.update) keeps what was typed,
// the focus and the caret, as Slack does; another modal starts afresh.
function drawModal(html, key) {
  const holder = $("modal");
  const sameView = viewId(state.modalKey) && viewId(state.modalKey) === viewId(key);
  const typed = sameView ? collect(holder) : null;
  state.modalKey = key;
  if (!sameView) {
    holder.innerHTML = "";
    morph.forget(holder);
  }
  morph.draw(holder, html);
  if (typed) {
    restore(holder, typed);
    return;
  }
  const first = holder.querySelector("[data-input-block]");
  if (first) first.focus();
}

function viewId(key) {
  try {
    return key ? JSON.parse(key)[0] : "";
  } catch (error) {
    return "";
  }
}

// -- modals -----------------------------------------------------------------------------

function collect(root) {
  const values = {};
  for (const field of root.querySelectorAll("[data-input-block]")) {
    const block = field.dataset.inputBlock;
    const action = field.dataset.inputAction;
    values[block] = values[block] || {};
    if (field.type === "checkbox") {
      // Slack sends every ticked option of a checkbox group
      values[block][action] = values[block][action] || [];
      if (field.checked) values[block][action].push(field.value);
    } else if (field.type === "radio") {
      if (field.checked) values[block][action] = field.value;
    } else if (field.type === "file") {
      values[block][action] = Array.from(field.files || []).map((file) => file.name);
    } else {
      values[block][action] = field.value;
    }
  }
  return values;
}

function restore(root, values) {
  for (const field of root.querySelectorAll("[data-input-block]")) {
    const value = (values[field.dataset.inputBlock] || {})[field.dataset.inputAction];
    if (field.type === "checkbox" || field.type === "radio") {
      if (value !== undefined) field.checked = [].concat(value).includes(field.value);
    } else if (typeof value === "string" && field.type !== "file" && field.value !== value) {
      field.value = value; // only when it differs: setting a value moves the caret
    }
  }
}

async function submitModal() {
  const values = collect($("modal"));
  // A chosen file goes with its text: the local Slack hosts it, as Slack does.
  for (const field of $("modal").querySelectorAll('input[type="file"][data-input-block]')) {
    const files = Array.from(field.files || []);
    values[field.dataset.inputBlock][field.dataset.inputAction] = await Promise.all(
      files.map(async (file) => ({ name: file.name, text: await file.text() })),
    );
  }
  await call("/submit", { user: state.user, values });
}

// -- confirm dialogs --------------------------------------------------------------------

function confirmFirst(confirm) {
  return new Promise((resolve) => {
    const dialog = $("confirm");
    $("confirm-title").textContent = confirm.title || "Are you sure?";
    $("confirm-text").textContent = confirm.text || "";
    $("confirm-ok").textContent = confirm.confirm || "Confirm";
    $("confirm-deny").textContent = confirm.deny || "Cancel";
    $("confirm-ok").className = "sk-button " + (confirm.style === "danger" ? "sk-danger" : "sk-primary");
    dialog.classList.remove("hidden");
    const done = (answer) => {
      dialog.classList.add("hidden");
      $("confirm-ok").onclick = $("confirm-deny").onclick = null;
      resolve(answer);
    };
    $("confirm-ok").onclick = () => done(true);
    $("confirm-deny").onclick = () => done(false);
  });
}

// -- what the person does -------------------------------------------------------------

async function act(element, value) {
  const entry = element.closest("[data-entry]");
  if (!entry) return;
  const confirm = element.dataset.confirm ? JSON.parse(element.dataset.confirm) : null;
  if (confirm && !(await confirmFirst(confirm))) return;
  await call("/click", {
    user: state.user,
    channel: state.channel,
    ts: entry.dataset.ts || entry.dataset.entry,
    action_id: element.dataset.actionId,
    block_id: element.dataset.blockId,
    value: value,
  });
}

document.addEventListener("click", async (event) => {
  const target = event.target.closest("button, a");
  if (!target) return;
  if (target.matches("a.channel")) {
    event.preventDefault();
    state.channel = target.dataset.channel;
    state.version = "";
    placeComposer(); // composer.js: what it says and offers in a DM or a channel
    return refresh();
  }
  if (target.matches("a[data-url]")) return; // a link button opens its URL, as in Slack
  if (target.matches(".sk-modal-submit")) return submitModal();
  if (target.matches(".sk-modal-close") && target.closest("#modal")) {
    return call("/close", { user: state.user });
  }
  if (target.dataset.gencove === "poll") return call("/poll", {});
  if (target.matches("button[data-action-id]") && target.closest("[data-entry]")) {
    if (target.dataset.url) window.open(target.dataset.url, "_blank", "noopener");
    return act(target, target.dataset.value);
  }
});

document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-action-id]");
  if (select && select.value) act(select, select.value);
  const gencove = event.target.closest("[data-gencove]");
  if (gencove) changeInGencove(gencove);
});

// The Gencove pane's menu of an invitation, and its "slow Gencove" switch.
function changeInGencove(control) {
  if (control.dataset.gencove === "slow") {
    return call("/gencove/slow", { on: control.checked });
  }
  if (control.dataset.gencove !== "menu" || !control.value) return;
  const change = control.value;
  control.value = ""; // the menu is a menu: it shows "⋯" again
  if (change === "fill") {
    $("composer").value = control.dataset.fill;
    $("composer").focus();
    return;
  }
  return call(`/gencove/${control.dataset.id}/${change}`, {});
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (form.dataset.gencove === "create") {
    event.preventDefault();
    const data = new FormData(form);
    const answer = await call("/gencove/invitations", { email: data.get("email"), role: data.get("role") });
    if (answer.ok) form.reset(); // made: the field is free for the next one
  }
});

$("act-as").addEventListener("change", (event) => {
  state.user = event.target.value;
  state.version = "";
  state.modalKey = "";
  $("modal").innerHTML = "";
  morph.forget($("modal"));
  refresh();
});

setInterval(() => {
  if (!document.hidden) refresh();
}, 500);
refresh();
