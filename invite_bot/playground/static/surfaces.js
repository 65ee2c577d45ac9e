// Slack's surfaces besides the composer (invite_bot/playground/surfaces.py): the
// shortcuts button by the composer, a message's "…" menu with the message shortcut, and
// "Run workflow", which runs a workflow with the app's step and shows how it ended.
// Loaded after playground.js, whose `state`, `call`, `$` and `note` it uses.
"use strict";

const surfaces = (() => {
  const make = (tag, props, ...children) => {
    const element = Object.assign(document.createElement(tag), props || {});
    element.append(...children);
    return element;
  };

  // -- the shortcuts button, and the workflow button, by the composer ------------------
  const shortcuts = make("button", {
    type: "button", id: "shortcuts-button", className: "surface-button",
    title: "Shortcuts", textContent: "⚡",
  });
  shortcuts.setAttribute("aria-label", "shortcuts");
  const workflow = make("button", {
    type: "button", id: "workflow-button", className: "surface-button",
    title: "Run a workflow with the Invite to Gencove step", textContent: "▶ Run workflow",
  });
  $("composer-form").prepend(shortcuts);
  $("send").before(workflow);

  const menu = make("div", { id: "shortcut-menu", className: "surface-menu", hidden: true });
  document.body.append(menu);

  function showMenu(anchor, items) {
    menu.textContent = "";
    for (const [label, run] of items) {
      const item = make("button", { type: "button", className: "surface-item", textContent: label });
      item.addEventListener("click", () => {
        menu.hidden = true;
        more.hidden = true; // the modal opens over the message
        run();
      });
      menu.append(item);
    }
    const box = anchor.getBoundingClientRect();
    menu.style.left = `${Math.max(8, box.right - 220)}px`;
    menu.style.top = `${box.bottom + 4}px`;
    menu.hidden = false;
    if (box.bottom + menu.offsetHeight > window.innerHeight) {
      menu.style.top = `${box.top - menu.offsetHeight - 4}px`;
    }
  }

  shortcuts.addEventListener("click", () =>
    showMenu(shortcuts, [
      ["Invite to Gencove", () => call("/shortcut", { user: state.user, channel: state.channel })],
    ]),
  );

  // -- a message's "…" menu: on the message under the pointer --------------------------
  const more = make("button", {
    type: "button", id: "message-more", className: "message-more", textContent: "⋯", hidden: true,
  });
  more.setAttribute("aria-label", "more actions");
  document.body.append(more);
  let pointed = null; // the ts of the message "…" belongs to

  $("conversation").addEventListener("mouseover", (event) => {
    const entry = event.target.closest("[data-entry][data-ts]");
    if (!entry || entry.closest(".thread-reply")) return;
    pointed = entry.dataset.ts;
    const box = entry.getBoundingClientRect();
    more.style.top = `${box.top + 4}px`;
    more.style.left = `${box.right - 44}px`;
    more.hidden = false;
  });
  $("conversation").addEventListener("scroll", () => {
    more.hidden = true;
  });
  more.addEventListener("click", () => {
    const ts = pointed;
    showMenu(more, [
      ["Invite to Gencove", () => call("/message-shortcut", { user: state.user, channel: state.channel, ts })],
    ]);
  });

  document.addEventListener("click", (event) => {
    if (!menu.hidden && !menu.contains(event.target) && event.target !== shortcuts && event.target !== more) {
      menu.hidden = true;
    }
  });

  // -- Run workflow: the step's inputs, then each run's outcome -----------------------
  const panel = make("div", { id: "workflow", className: "overlay hidden" });
  panel.setAttribute("role", "dialog");
  panel.innerHTML = `
    <form class="sk-modal workflow-dialog" id="workflow-form" autocomplete="off">
      <div class="sk-modal-title">Run workflow</div>
      <div class="sk-modal-body">
        <p class="workflow-note">A workflow whose step is the app's <b>Invite to Gencove</b>,
          run by you (its “Requested by” is the person who used this workflow).</p>
        <label>Email address <input name="email" id="workflow-email" required placeholder="ana@lab.org"></label>
        <label>Role (optional) <input name="role" id="workflow-role" placeholder="the organization's default"></label>
        <ol id="workflow-runs" class="workflow-runs"></ol>
      </div>
      <div class="sk-modal-footer">
        <button type="button" class="sk-modal-close" id="workflow-close">Close</button>
        <button type="submit" class="sk-button sk-primary" id="workflow-run">Run</button>
      </div>
    </form>`;
  document.body.append(panel);
  let polling = null;

  function runLine(run) {
    const line = make("li", { className: `workflow-run ${run.outcome}` });
    line.dataset.run = run.id;
    line.dataset.outcome = run.outcome;
    let said = "running…";
    if (run.outcome === "completed") {
      said = Object.entries(run.outputs).map(([name, value]) => `${name}: ${value}`).join(", ");
      said = `completed — ${said}`;
    } else if (run.outcome === "failed") {
      said = `failed — ${run.error}`;
    }
    line.append(make("b", { textContent: run.email || "" }), " ", make("span", { textContent: said }));
    return line;
  }

  async function showRuns() {
    const answer = await fetch(`${api}/workflow?user=${encodeURIComponent(state.user)}`)
      .then((response) => response.json())
      .catch(() => ({ runs: [] }));
    const runs = answer.runs || [];
    $("workflow-runs").replaceChildren(...runs.map(runLine));
    if (!runs.some((run) => run.outcome === "running") && polling) {
      clearInterval(polling);
      polling = null;
    }
  }

  workflow.addEventListener("click", () => {
    panel.classList.remove("hidden");
    $("workflow-email").focus();
    showRuns();
  });
  $("workflow-close").addEventListener("click", () => panel.classList.add("hidden"));
  $("workflow-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = $("workflow-email").value;
    const role = $("workflow-role").value;
    const answer = await call("/workflow", { user: state.user, email, role: role || undefined });
    if (answer.ok) $("workflow-email").value = "";
    await showRuns();
    if (!polling) polling = setInterval(showRuns, 400);
  });
  $("act-as").addEventListener("change", () => {
    $("workflow-runs").replaceChildren();
    if (!panel.classList.contains("hidden")) showRuns();
  });

  return { showRuns };
})();
