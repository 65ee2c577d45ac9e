// The composer: what a person types at the bottom of a conversation.
//
// `/gencove …` is a slash command, anywhere. In the direct messages with the bot anything
// else is a message to it, as in Slack: a pasted list of addresses, or a file attached
// with 📎 (a CSV), which the local Slack delivers to the bot as Slack's Events API does
// (page.py: POST /playground/api/message). In a channel only /gencove reaches the bot.
// Enter sends; Shift+Enter starts a new line (a pasted list keeps its lines).
"use strict";

const COMMAND = /^\/gencove(\s|$)/;
const PLACEHOLDER = {
  dm: "Paste addresses, attach a CSV (📎), or /gencove help",
  channel: "Type /gencove help, then Enter",
};

function placeComposer() {
  const inDm = state.channel === "dm";
  $("composer-form").classList.toggle("in-dm", inDm);
  $("composer").placeholder = inDm ? PLACEHOLDER.dm : PLACEHOLDER.channel;
  if (!inDm) detach();
  note("");
}

function fitComposer() {
  const box = $("composer");
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight, 160)}px`;
  box.style.overflowY = box.scrollHeight > 160 ? "auto" : "hidden";
}

function attached() {
  return Array.from($("attach").files || [])[0] || null;
}

function detach() {
  $("attach").value = "";
  showAttached();
}

function showAttached() {
  const chip = $("attached");
  const file = attached();
  chip.hidden = !file;
  chip.textContent = "";
  if (!file) return;
  const name = document.createElement("span");
  name.className = "attached-name";
  name.textContent = `📄 ${file.name}`;
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "attached-remove";
  remove.setAttribute("aria-label", `remove ${file.name}`);
  remove.textContent = "✕";
  remove.addEventListener("click", detach);
  chip.append(name, remove);
}

function clearComposer() {
  $("composer").value = "";
  detach();
  fitComposer();
  note("");
}

async function sendComposer() {
  const box = $("composer");
  const typed = box.value;
  const text = typed.trim();
  const file = attached();
  if (!text && !file) return;
  if (COMMAND.test(text) && !file) {
    clearComposer();
    await call("/command", { user: state.user, channel: state.channel, text: text });
    return;
  }
  if (state.channel !== "dm") {
    note(
      "In a channel only /gencove reaches the bot (try /gencove help). To paste a list or " +
        "send a CSV, open its direct messages: gencove-invites, on the left.",
    );
    return;
  }
  const files = file ? [{ name: file.name, text: await file.text() }] : [];
  clearComposer();
  const answer = await call("/message", { user: state.user, channel: "dm", text: typed, files: files });
  if (answer.error) putBack(typed, file); // not sent (too long, say): nothing is lost
}

function putBack(typed, file) {
  $("composer").value = typed;
  if (file) {
    const chosen = new DataTransfer();
    chosen.items.add(file);
    $("attach").files = chosen.files;
  }
  showAttached();
  fitComposer();
}

$("composer-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sendComposer();
});

$("composer").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    sendComposer();
  }
});

$("composer").addEventListener("input", fitComposer);
$("attach-button").addEventListener("click", () => $("attach").click());
$("attach").addEventListener("change", () => {
  showAttached();
  $("composer").focus();
});

placeComposer();
