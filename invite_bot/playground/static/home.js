// The app's Home tab on the playground page: "Home" in the sidebar opens it for the person
// acted as (the bot hears app_home_opened), and it shows what the bot last published to
// them; its buttons reach the bot as clicks on a Home view (invite_bot/playground/home_pane.py).
// It uses playground.js's `state`, `call` and `confirmFirst`, and morph.js.
"use strict";

const home = (() => {
  const main = document.querySelector(".conversation-pane");
  const pane = document.createElement("section");
  pane.className = "home-pane";
  pane.setAttribute("aria-label", "Home tab");
  pane.innerHTML =
    '<div class="channel-header">gencove-invites · Home</div>' +
    '<div id="home-view" class="home-view"><div class="empty">Opening the Home tab…</div></div>';
  main.appendChild(pane);
  const view = pane.querySelector("#home-view");
  let active = false;
  let shownFor = "";

  // The sidebar is redrawn from the server's HTML: the Home entry is marked again after
  // each look, and the open channel's mark is dimmed by home.css while the Home is open.
  function highlight() {
    document.body.classList.toggle("home-open", active);
    for (const link of document.querySelectorAll("#sidebar a.home-tab")) {
      link.classList.toggle("active", active);
    }
  }

  async function open() {
    active = true;
    main.classList.add("home-active");
    highlight();
    if (shownFor !== state.user) {
      view.innerHTML = '<div class="empty">Opening the Home tab…</div>';
      morph.forget(view);
      shownFor = state.user;
    }
    await call("/home/open", { user: state.user });
    await draw();
  }

  function close() {
    active = false;
    main.classList.remove("home-active");
    highlight();
  }

  async function draw() {
    if (!active) return;
    try {
      const response = await fetch(`/playground/api/home?user=${encodeURIComponent(state.user)}`);
      const answer = await response.json();
      if (answer.html && active) morph.draw(view, `<div class="sk-blocks">${answer.html}</div>`);
    } catch (error) {
      // the playground's own poll says when it stops answering
    }
    highlight();
  }

  async function click(element, value) {
    const confirm = element.dataset.confirm ? JSON.parse(element.dataset.confirm) : null;
    if (confirm && !(await confirmFirst(confirm))) return;
    await call("/home/click", {
      user: state.user,
      action_id: element.dataset.actionId,
      value: value,
    });
    await draw();
  }

  document.addEventListener("click", (event) => {
    const target = event.target.closest("a, button");
    if (!target) return;
    if (target.matches("#sidebar a.home-tab")) {
      event.preventDefault();
      return open();
    }
    if (target.matches("#sidebar a.channel")) return close();
    if (target.matches("button[data-action-id]") && view.contains(target)) {
      return click(target, target.dataset.value);
    }
  });

  view.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-action-id]");
    if (select && select.value) click(select, select.value);
  });

  document.getElementById("act-as").addEventListener("change", () => {
    if (active) open(); // another person's Home: they open it
  });

  setInterval(() => {
    if (active && !document.hidden) draw();
  }, 500);

  return { open, close };
})();
