// gobo console: a little script per page, no framework. Every change carries the CSRF token.
"use strict";

const csrf = () => (document.querySelector('meta[name="csrf"]') || {}).content || "";
const words = JSON.parse(document.getElementById("words").textContent || "{}");
const states = JSON.parse(document.getElementById("states").textContent || "{}");
const $ = (selector, root = document) => root.querySelector(selector);

async function api(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    body: JSON.stringify(body || {}),
    credentials: "same-origin",
  });
  let data = {};
  try { data = await response.json(); } catch (e) { /* an empty or HTML answer */ }
  return { ok: response.ok, status: response.status, data };
}

function say(element, text, good) {
  if (!element) return;
  element.textContent = text;
  element.classList.toggle("good", !!good);
  element.classList.toggle("bad", !good);
}

// Poll only while the page is on screen: a phone in a pocket costs the site nothing.
function every(ms, work) {
  let timer = null;
  const tick = async () => {
    try { await work(); } finally { timer = setTimeout(tick, ms); }
  };
  const start = () => { if (!timer) timer = setTimeout(tick, ms); };
  const stop = () => { clearTimeout(timer); timer = null; };
  document.addEventListener("visibilitychange", () => (document.hidden ? stop() : start()));
  if (!document.hidden) start();
}

// The live picture: the next frame is loaded aside and swapped in, so it never flickers.
function liveRefresh() {
  const img = $("#live");
  if (!img) return;
  every(1000, () => new Promise((resolve) => {
    const next = new Image();
    next.onload = () => { img.src = next.src; img.classList.remove("stale"); resolve(); };
    next.onerror = () => { img.classList.add("stale"); resolve(); };
    next.src = "/live.png?t=" + Date.now();
  }));
}

function setupLogout() {
  const button = $("#logout");
  if (!button) return;
  button.addEventListener("click", async () => {
    await api("/api/logout");
    location.href = "/login";
  });
}

function setupLogin() {
  const form = $("#login");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = $("#login-message");
    const result = await api("/api/login", {
      username: form.username.value.trim(), password: form.password.value,
    });
    if (result.ok) { location.href = form.dataset.next || "/tonight"; return; }
    say(message, result.status === 429 ? message.dataset.throttled
      : result.status === 401 ? message.dataset.wrong : (result.data.error || result.status));
  });
}

function showState(status, line) {
  const name = $("#state-name");
  if (!name) return;
  if (status.error) {
    name.className = "badge state-unknown";
    name.textContent = states.unknown;
    $("#state-why").textContent = status.error;
    return;
  }
  name.className = "badge state-" + status.state;
  name.textContent = states[status.state] || status.state;
  $("#state-why").textContent = line;
}

function setupTonight() {
  liveRefresh();
  every(2000, async () => {
    const response = await fetch("/api/tonight", { credentials: "same-origin" });
    if (response.status === 401) { location.href = "/login?next=/tonight"; return; }
    const data = await response.json();
    showState(data.status, data.line);
    if (data.status.error) return;
    const id = data.status.artwork;
    const shownId = $("#showing-id");
    if ((shownId ? shownId.textContent : null) !== id) location.reload();  // a new drawing
    const next = data.status.next_transition;
    $("#next-change").textContent = next ? next.slice(11, 16) : "–";
    const outputs = $("#outputs");
    outputs.replaceChildren(...Object.entries(data.status.outputs || {}).map(([name, h]) => {
      const li = document.createElement("li");
      li.className = "out-" + h.state;
      const strong = document.createElement("strong");
      strong.textContent = name;
      const detail = document.createElement("span");
      detail.className = "detail";
      detail.textContent = h.detail;
      li.append(strong, " " + h.state + " ", detail);
      return li;
    }));
  });
}

function setupQueue() {
  for (const swatch of document.querySelectorAll(".swatch")) {
    swatch.style.background = swatch.dataset.colour;
  }
  for (const card of document.querySelectorAll("article.artwork")) {
    const id = card.dataset.id;
    const message = $(":scope > .message", card);
    const style = $(".style-form", card);
    if (style) setupStyle(card, style);
    $(".credit-form", card).addEventListener("submit", async (event) => {
      event.preventDefault();
      const result = await api(`/api/artworks/${id}/credit`, { credit: event.target.credit.value });
      say(message, result.ok ? "✓" : result.data.error, result.ok);
    });
    for (const button of card.querySelectorAll("[data-action]")) {
      button.addEventListener("click", async () => {
        const action = button.dataset.action;
        const reason = $("input[name=reason]", card);
        const result = await api(`/api/artworks/${id}/${action}`,
          action === "reject" ? { reason: reason ? reason.value : "" } : {});
        if (result.ok) { location.reload(); return; }
        say(message, result.data.error || String(result.status));
      });
    }
  }
}

// A new style redraws the artwork's gobos, which takes seconds: the card says it is working and
// takes no second choice meanwhile; the page then comes back with the new pictures (their
// addresses name the style) and the style in words.
function setupStyle(card, form) {
  const choice = $("select", form);
  const message = $(".message", form);
  const button = $("button", form);
  const fieldset = $("fieldset", form);
  const current = choice.value;
  const label = button.textContent;
  choice.addEventListener("change", () => { button.disabled = choice.value === current; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (fieldset.disabled) return;
    fieldset.disabled = true;
    card.classList.add("working");
    card.setAttribute("aria-busy", "true");
    button.textContent = words.redrawing;
    say(message, words.redrawing_long, true);
    const result = await api(`/api/artworks/${card.dataset.id}/style`, { style: choice.value });
    if (result.ok) { location.reload(); return; }
    card.classList.remove("working");
    card.removeAttribute("aria-busy");
    button.textContent = label;
    fieldset.disabled = false;
    say(message, result.data.error || String(result.status));
  });
}

function setupUpload() {
  const form = $("#upload");
  const message = $("#upload-message");
  const progress = $("#progress");
  let chosen = null;
  for (const input of form.querySelectorAll("input[type=file]")) {
    input.addEventListener("change", () => {
      chosen = input.files[0] || null;
      $("#picked").textContent = chosen ? chosen.name + " · " + Math.round(chosen.size / 1024) + " kB" : "";
    });
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!chosen) { say(message, words.choose); return; }
    const data = new FormData();
    data.append("credit", form.credit.value.trim());
    data.append("file", chosen, "drawing");
    const request = new XMLHttpRequest();
    request.open("POST", "/api/artworks");
    request.setRequestHeader("X-CSRF-Token", csrf());
    progress.hidden = false;
    progress.value = 0;
    say(message, words.sending, true);
    request.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = 100 * e.loaded / e.total; };
    request.onerror = () => say(message, words.failed);
    request.onload = () => {
      let answer = {};
      try { answer = JSON.parse(request.responseText); } catch (e) { /* 413 from the limit */ }
      if (request.status !== 202) {
        progress.hidden = true;
        say(message, words.refused + ": " + (answer.error || request.status + " " + request.statusText));
        return;
      }
      progress.value = 100;
      follow(answer.status_url);
    };
    request.send(data);
  });

  // The conversion takes seconds: ask what became of the upload until it is settled.
  function follow(url) {
    say(message, words.converting + "…", true);
    let tries = 0;
    const poll = async () => {
      tries += 1;
      const data = await (await fetch(url, { credentials: "same-origin" })).json();
      if (data.state === "added" || data.state === "duplicate") {
        progress.hidden = true;
        const art = data.artwork;
        say(message, (data.state === "added" ? words.added : words.duplicate) + " " +
          (words[art.status] || ""), true);
        $("#result-preview").src = `/art/${art.id}/preview.png?w=320`;
        $("#result").hidden = false;
        form.reset();
        chosen = null;
        $("#picked").textContent = "";
        return;
      }
      if (data.state === "refused") {
        progress.hidden = true;
        say(message, words.refused + ": " + data.reason);
        return;
      }
      if (tries === 15) say(message, words.waiting, true);
      setTimeout(poll, 1000);
    };
    setTimeout(poll, 800);
  }
}

function setupControls() {
  liveRefresh();
  const message = $("#control-message");
  const run = async (command, body) => {
    const result = await api("/api/" + command, body);
    say(message, result.ok ? words.done : words.failed + ": " + (result.data.error || result.status), result.ok);
    refresh();
  };
  const refresh = async () => {
    const response = await fetch("/api/tonight", { credentials: "same-origin" });
    const data = await response.json();
    showState(response.ok ? data.status : { error: data.error }, data.line);
  };
  every(2000, refresh);
  for (const button of document.querySelectorAll("[data-command]")) {
    button.addEventListener("click", () => run(button.dataset.command, {}));
  }
  const master = $("#master-form");
  master.level.addEventListener("input", () => { $("#master-value").textContent = master.level.value + " %"; });
  master.addEventListener("submit", (e) => { e.preventDefault(); run("master", { level: master.level.value / 100 }); });
  $("#play-form").addEventListener("submit", (e) => { e.preventDefault(); run("play", { id: e.target.artwork.value }); });
  $("#identify-form").addEventListener("submit", (e) => { e.preventDefault(); run("identify", { fixture: e.target.fixture.value }); });
}

document.addEventListener("DOMContentLoaded", () => {
  setupLogout();
  const setup = { login: setupLogin, tonight: setupTonight, queue: setupQueue,
                  upload: setupUpload, controls: setupControls }[document.body.dataset.page];
  if (setup) setup();
});
