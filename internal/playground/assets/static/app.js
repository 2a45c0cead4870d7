// The playground page: keeps the server-rendered channel live, sends what
// you type and click, opens threads and the postmortem preview.
//
// All message HTML comes from the server, which escapes every piece of
// text it renders; this script never builds markup from message text (it
// uses textContent for its own words).
"use strict";

(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  const app = $("#app");
  const channelScroll = $("#channel-scroll");
  const channelMsgs = $("#channel-msgs");
  const threadPane = $("#thread");
  const threadScroll = $("#thread-scroll");
  const threadMsgs = $("#thread-msgs");
  const composer = $("#composer");
  const threadComposer = $("#thread-composer");
  const hints = $("#hints");
  const live = $("#live");
  // The channel shown (#incidents, or an incident's own channel), or the
  // app's Home tab.
  const ch = app.dataset.ch || "";
  const home = app.dataset.home === "1";

  let openThread = "";
  // Messages only you see belong to this page, as in Slack: the server
  // leaves out those from before it was loaded (a reload starts without
  // them), and the ones you dismiss stay dismissed while it is open.
  const since = app.dataset.since || "";
  const dismissed = new Set();

  // ---- talking to the server -------------------------------------------

  async function post(url, body) {
    const r = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await r.json(); } catch (_) { /* no body */ }
    if (!r.ok) throw new Error(data.error || `The playground answered HTTP ${r.status}.`);
    return data;
  }

  let fetching = null;
  let again = false;

  // refresh fetches the channel (and the open thread) as the server renders
  // them now. Calls made while one is running fold into one more.
  async function refresh(opts = {}) {
    if (fetching) { again = true; return fetching; }
    fetching = (async () => {
      do {
        again = false;
        try {
          const q = new URLSearchParams({ since });
          if (openThread) q.set("thread", openThread);
          if (ch) q.set("ch", ch);
          if (home) q.set("home", "1");
          const r = await fetch(`/play/view?${q}`, { cache: "no-store" });
          if (!r.ok) throw new Error(`HTTP ${r.status}`);
          render(await r.json(), opts);
        } catch (err) {
          setLive("offline", "offline — retrying");
        }
      } while (again);
    })();
    try { await fetching; } finally { fetching = null; }
  }

  function nearBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 120;
  }

  function render(view, opts) {
    sidebar(view.sidebar);
    channels(view.channels);
    modal(view.modal_id, view.modal);
    if (editing) return; // the messages wait until your edit is saved or cancelled
    const stickChannel = opts.bottom || nearBottom(channelScroll);
    const shown = home ? (view.home || "") : view.channel;
    if (channelMsgs.dataset.html !== shown) {
      channelMsgs.innerHTML = shown; // escaped by the server
      channelMsgs.dataset.html = shown;
      decorate(channelMsgs);
      if (stickChannel) channelScroll.scrollTop = channelScroll.scrollHeight;
    }
    if (openThread) {
      if (!view.thread) { closeThread(); } else {
        const stick = opts.bottom || opts.threadOpened || nearBottom(threadScroll);
        if (threadMsgs.dataset.html !== view.thread) {
          threadMsgs.innerHTML = view.thread; // escaped by the server
          threadMsgs.dataset.html = view.thread;
          decorate(threadMsgs);
          if (stick) threadScroll.scrollTop = threadScroll.scrollHeight;
        }
      }
    }
  }

  // channels keeps the sidebar's channel list: the bot creates a channel
  // for each incident with INCIDENT_CHANNELS=channel.
  function channels(list) {
    const nav = $("#sb-channels");
    if (!nav || !list) return;
    const key = JSON.stringify(list);
    if (nav.dataset.list === key) return;
    nav.dataset.list = key;
    $$("a.sb-item", nav).forEach((a) => a.remove());
    for (const c of list) {
      const a = document.createElement("a");
      a.className = "sb-item" + (c.Active && !home ? " active" : "") + (c.Archived ? " archived" : "");
      a.href = c.ID === list[0].ID ? "/" : `/?ch=${encodeURIComponent(c.ID)}`;
      a.dataset.channel = c.ID;
      if (c.Active && !home) a.setAttribute("aria-current", "page");
      const hash = document.createElement("span");
      hash.className = "hash";
      hash.textContent = c.Private ? "🔒" : "#";
      a.append(hash, document.createTextNode(c.Name));
      if (c.Archived) {
        const note = document.createElement("span");
        note.className = "sb-hint";
        note.textContent = "archived";
        a.append(note);
      }
      nav.append(a);
    }
  }

  // react adds or takes away your :pushpin: on a message; shortcut runs the
  // message shortcut "Add to incident timeline" on it.
  async function react(el, remove) {
    try {
      await post("/play/react", { channel: ch, ts: el.dataset.pin || el.dataset.react, remove });
      refresh();
    } catch (err) {
      showError(el.closest(".thread") ? threadComposer : composer, err.message);
    }
  }

  async function shortcut(el) {
    try {
      await post("/play/message-shortcut", { channel: ch, ts: el.dataset.msgShortcut });
      refresh();
    } catch (err) {
      showError(el.closest(".thread") ? threadComposer : composer, err.message);
    }
  }

  // ---- modals the bot opens ------------------------------------------------

  const modalDialog = $("#modal-dialog");
  const modalForm = $("#modal-form");
  let modalID = "";

  function modal(id, html) {
    if (!id) {
      if (modalDialog.open) modalDialog.close();
      modalID = "";
      return;
    }
    if (id === modalID && modalDialog.open) return; // keep what you typed
    modalID = id;
    modalForm.innerHTML = html; // rendered and escaped by the server
    if (!modalDialog.open) modalDialog.showModal();
    const first = $(".in-field", modalForm);
    if (first) first.focus();
  }

  async function submitModal(close) {
    const values = {};
    for (const f of $$(".in-field", modalForm)) {
      (values[f.dataset.blockId] ||= {})[f.dataset.actionId] = f.value;
    }
    for (const e of $$(".in-error", modalForm)) e.textContent = "";
    const button = $(".modal-submit", modalForm);
    if (button) button.setAttribute("aria-busy", "true");
    try {
      const r = await fetch("/play/submit", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ view_id: modalID, values, close }),
      });
      const data = await r.json().catch(() => ({}));
      if (r.ok && data.errors) {
        for (const [block, msg] of Object.entries(data.errors)) {
          const el = $(`.in-error[data-error-for="${CSS.escape(block)}"]`, modalForm);
          if (el) el.textContent = msg;
        }
        return;
      }
      if (!r.ok && r.status !== 409) throw new Error(data.error || `HTTP ${r.status}`);
      modalDialog.close();
      modalID = "";
      refresh();
    } catch (err) {
      const first = $(".in-error", modalForm);
      if (first) first.textContent = err.message;
    } finally {
      if (button) button.removeAttribute("aria-busy");
    }
  }

  modalForm.addEventListener("submit", (e) => { e.preventDefault(); submitModal(false); });
  modalForm.addEventListener("click", (e) => {
    if (e.target.closest(".modal-close")) submitModal(true);
  });
  modalDialog.addEventListener("cancel", (e) => { e.preventDefault(); submitModal(true); });

  function sidebar(s) {
    if (!s) return;
    const set = (key, mode, last) => {
      const dot = $(`.sims-toggle .sim-dot[data-vendor="${key}"]`);
      if (dot) dot.dataset.mode = mode;
      const box = $(`.sim[data-vendor="${key}"]`);
      if (!box) return;
      const sel = $("select", box);
      if (document.activeElement !== sel) sel.value = mode;
      $(".sim-dot", box).dataset.mode = mode;
      $(".sim-last", box).textContent = last;
    };
    for (const v of s.Vendors || []) set(v.Key, v.Mode, v.Last);
    set("health", s.Health, s.LastHC);
  }

  // ---- making the server's HTML feel like Slack ----------------------------

  const pad = (n) => String(n).padStart(2, "0");
  const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
  const days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const ordinal = (n) => n + (n % 10 === 1 && n % 100 !== 11 ? "st" : n % 10 === 2 && n % 100 !== 12 ? "nd" : n % 10 === 3 && n % 100 !== 13 ? "rd" : "th");
  const clock = (d, secs) => d.toLocaleTimeString(undefined, secs ? { hour: "numeric", minute: "2-digit", second: "2-digit" } : { hour: "numeric", minute: "2-digit" });

  function pretty(d, fallback) {
    const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
    const diff = Math.round((day(d) - day(new Date())) / 86400000);
    return { "0": "today", "-1": "yesterday", "1": "tomorrow" }[String(diff)] || fallback;
  }

  // slackDate formats <!date^…^format|…> tokens in your time zone.
  function slackDate(d, fmt) {
    const dateLong = `${days[d.getDay()]}, ${months[d.getMonth()]} ${ordinal(d.getDate())}, ${d.getFullYear()}`;
    const date = `${months[d.getMonth()]} ${ordinal(d.getDate())}, ${d.getFullYear()}`;
    const dateShort = `${months[d.getMonth()].slice(0, 3)} ${d.getDate()}, ${d.getFullYear()}`;
    const mins = Math.round((Date.now() - d.getTime()) / 60000);
    const ago = mins < 1 ? "just now" : mins < 60 ? `${mins} minute${mins === 1 ? "" : "s"} ago` : `${Math.round(mins / 60)} hour${Math.round(mins / 60) === 1 ? "" : "s"} ago`;
    const tokens = {
      date_num: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
      date, date_short: dateShort, date_long: dateLong,
      date_pretty: pretty(d, date), date_short_pretty: pretty(d, dateShort), date_long_pretty: pretty(d, dateLong),
      time: clock(d), time_secs: clock(d, true), ago,
    };
    return fmt.replace(/\{(\w+)\}/g, (m, k) => (k in tokens ? tokens[k] : m));
  }

  function decorate(root) {
    for (const t of $$("time.ts", root)) {
      const d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) continue;
      t.textContent = clock(d);
      t.title = d.toLocaleString();
    }
    for (const t of $$("time.sdate", root)) {
      const d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) continue;
      t.title = t.textContent; // the fallback, in UTC
      t.textContent = slackDate(d, t.dataset.fmt || "{date_short_pretty} {time}");
    }
    for (const m of $$(".msg[data-ephemeral]", root)) {
      if (dismissed.has(m.dataset.ts)) m.remove();
    }
  }

  // ---- threads ---------------------------------------------------------

  function showThread(ts) {
    openThread = ts;
    threadMsgs.dataset.html = "";
    threadMsgs.textContent = "";
    threadPane.hidden = false;
    app.classList.add("with-thread");
    history.replaceState(null, "", `#thread=${encodeURIComponent(ts)}`);
    refresh({ threadOpened: true }).then(() => $("textarea", threadComposer).focus());
  }

  // goTo shows a message: in the channel, or in its thread.
  async function goTo(ts) {
    const inChannel = $(`#channel-msgs .msg[data-ts="${CSS.escape(ts)}"]`);
    if (inChannel) {
      inChannel.scrollIntoView({ block: "center" });
      flash(inChannel);
      return;
    }
    showThread(ts);
    await refresh({ threadOpened: true });
    const inThread = $(`#thread-msgs .msg[data-ts="${CSS.escape(ts)}"]`);
    if (inThread) { inThread.scrollIntoView({ block: "center" }); flash(inThread); }
  }

  function flash(el) {
    el.classList.remove("flash");
    void el.offsetWidth; // restart the animation
    el.classList.add("flash");
  }

  function closeThread() {
    openThread = "";
    threadPane.hidden = true;
    app.classList.remove("with-thread");
    history.replaceState(null, "", location.pathname);
  }

  $("#thread-close").addEventListener("click", closeThread);

  // ---- buttons, confirm dialogs, files ---------------------------------------

  const confirmDialog = $("#confirm-dialog");

  // confirmFirst shows a button's confirm dialog (its <template>, rendered
  // and escaped by the server) and resolves to whether you confirmed.
  function confirmFirst(tpl) {
    const c = tpl.content.cloneNode(true);
    return askConfirm([...$(".cf-title", c).childNodes], [...$(".cf-text", c).childNodes],
      [...$(".cf-deny", c).childNodes], [...$(".cf-confirm", c).childNodes], tpl.dataset.style === "danger");
  }

  function askConfirm(title, text, deny, confirm, danger) {
    return new Promise((resolve) => {
      $("#confirm-title").replaceChildren(...title);
      $(".confirm-text", confirmDialog).replaceChildren(...text);
      $("#confirm-deny").replaceChildren(...deny);
      const ok = $("#confirm-ok");
      ok.replaceChildren(...confirm);
      ok.className = `bk-btn ${danger ? "bk-btn-danger" : "bk-btn-primary"}`;
      confirmDialog.returnValue = "";
      confirmDialog.addEventListener("close", () => resolve(confirmDialog.returnValue === "confirm"), { once: true });
      confirmDialog.showModal();
      ok.focus();
    });
  }

  // ---- editing and deleting your messages ------------------------------------

  let editing = 0;

  function startEdit(msg) {
    if (!msg || $(".editor", msg)) return;
    const body = $(".body", msg);
    const form = document.createElement("form");
    form.className = "editor";
    const ta = document.createElement("textarea");
    ta.value = msg.dataset.text || "";
    ta.setAttribute("aria-label", "Edit the message");
    const bar = document.createElement("div");
    bar.className = "editor-bar";
    const err = document.createElement("span");
    err.className = "composer-error";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "bk-btn";
    cancel.textContent = "Cancel";
    const save = document.createElement("button");
    save.type = "submit";
    save.className = "bk-btn bk-btn-primary";
    save.textContent = "Save";
    bar.append(err, cancel, save);
    form.append(ta, bar);
    body.hidden = true;
    body.after(form);
    editing++;
    ta.focus();
    const done = () => { form.remove(); body.hidden = false; editing--; refresh(); };
    cancel.addEventListener("click", done);
    ta.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); done(); }
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await post("/play/edit", { ts: msg.dataset.ts, text: ta.value, channel: ch });
        done();
      } catch (error) {
        err.textContent = error.message;
      }
    });
  }

  async function deleteMessage(ts, form) {
    const t = (s) => [document.createTextNode(s)];
    if (!(await askConfirm(t("Delete message"), t("Are you sure you want to delete this message? This cannot be undone."),
      t("Cancel"), t("Delete"), true))) return;
    try {
      await post("/play/edit", { ts, delete: true, channel: ch });
      refresh();
    } catch (err) {
      showError(form, err.message);
    }
  }

  async function clickButton(btn) {
    if (btn.getAttribute("aria-busy") === "true") return;
    if (btn.dataset.confirm) {
      const tpl = btn.nextElementSibling;
      if (tpl && tpl.matches("template.bk-confirm") && !(await confirmFirst(tpl))) return;
    }
    btn.setAttribute("aria-busy", "true");
    try {
      await post("/play/action", {
        ts: btn.dataset.ts, ephemeral: btn.dataset.ephemeral === "1", channel: ch,
        block_id: btn.dataset.blockId || "", action_id: btn.dataset.actionId || "",
      });
    } catch (err) {
      showError(btn.closest(".thread") ? threadComposer : composer, err.message);
    } finally {
      btn.removeAttribute("aria-busy");
    }
  }

  const fileDialog = $("#file-dialog");

  async function openFile(el) {
    const id = el.dataset.file;
    $("#file-title").textContent = el.dataset.title || el.dataset.name;
    $("#file-download").href = `/play/files/${encodeURIComponent(id)}/${encodeURIComponent(el.dataset.name)}`;
    $("#file-download").setAttribute("download", el.dataset.name);
    const body = $("#file-body");
    body.textContent = "Loading…";
    fileDialog.showModal();
    try {
      const r = await fetch(`/play/files/${encodeURIComponent(id)}/preview`);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      body.innerHTML = await r.text(); // rendered and escaped by the server
      body.scrollTop = 0;
    } catch (err) {
      body.textContent = `The preview could not be loaded (${err.message}).`;
    }
  }

  $("#file-close").addEventListener("click", () => fileDialog.close());
  fileDialog.addEventListener("click", (e) => { if (e.target === fileDialog) fileDialog.close(); });

  document.addEventListener("click", (e) => {
    const el = e.target.closest("button, a");
    if (!el) return;
    if (el.matches("a.archive-link")) {
      const m = /\/p(\d{10})(\d{6})$/.exec(el.pathname);
      if (m) { e.preventDefault(); goTo(`${m[1]}.${m[2]}`); }
    } else if (el.matches(".bk-btn[data-action-id]")) {
      if (el.tagName === "BUTTON") e.preventDefault();
      clickButton(el);
    } else if (el.dataset.pin) {
      react(el, false);
    } else if (el.dataset.react) {
      react(el, el.dataset.remove === "1");
    } else if (el.dataset.msgShortcut) {
      shortcut(el);
    } else if (el.dataset.edit) {
      startEdit(el.closest(".msg"));
    } else if (el.dataset.delete) {
      deleteMessage(el.dataset.delete, el.closest(".thread") ? threadComposer : composer);
    } else if (el.dataset.thread) {
      showThread(el.dataset.thread);
    } else if (el.dataset.file) {
      openFile(el);
    } else if (el.dataset.dismiss) {
      dismissed.add(el.dataset.dismiss);
      el.closest(".msg").remove();
    } else if (el.dataset.openSims) {
      openSims(el.dataset.openSims);
    } else if (el.dataset.fill) {
      const ta = $("textarea", composer);
      ta.value = el.dataset.fill;
      ta.focus();
      autosize(ta);
      updateHints();
    }
  });

  // ---- the composers -----------------------------------------------------

  function autosize(ta) {
    ta.style.height = "auto";
    ta.style.height = `${Math.min(ta.scrollHeight, 180)}px`;
  }

  function showError(form, msg) {
    $(".composer-error", form).textContent = msg || "";
  }

  // send takes what you typed at once, as Slack does (the box is empty
  // again and you may type the next message), and sends each form's
  // messages one after the other, in the order you sent them. A message
  // the playground refused comes back into an empty box, with the reason.
  const sending = new WeakMap();

  function send(form, threadTS) {
    const ta = $("textarea", form);
    const text = ta.value.trim();
    if (!text) return;
    showError(form, "");
    ta.value = "";
    autosize(ta);
    hideHints();
    ta.focus();
    const next = (sending.get(form) || Promise.resolve()).then(async () => {
      form.setAttribute("aria-busy", "true");
      try {
        await post("/play/send", { text, thread_ts: threadTS, channel: ch });
        await refresh({ bottom: true });
      } catch (err) {
        showError(form, err.message);
        if (!ta.value) { ta.value = text; autosize(ta); }
      } finally {
        form.removeAttribute("aria-busy");
      }
    });
    sending.set(form, next);
    return next;
  }

  // The composer's shortcut button runs the app's global shortcut, as
  // Slack's ⚡ menu does: the app answers by opening its form.
  for (const btn of $$("[data-shortcut]")) {
    btn.addEventListener("click", async () => {
      showError(composer, "");
      try {
        await post("/play/shortcut", { callback_id: btn.dataset.shortcut });
        await refresh();
      } catch (err) {
        showError(composer, err.message);
      }
    });
  }

  for (const [form, thread] of [[composer, () => ""], [threadComposer, () => openThread]]) {
    const ta = $("textarea", form);
    form.addEventListener("submit", (e) => { e.preventDefault(); send(form, thread()); });
    ta.addEventListener("input", () => { autosize(ta); showError(form, ""); if (form === composer) updateHints(); });
    ta.addEventListener("keydown", (e) => {
      if (form === composer && !hints.hidden && hintKey(e)) return;
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        send(form, thread());
      }
    });
  }

  // Slash command hints, as Slack offers them while you type "/".
  const COMMANDS = [
    ["/incident help", "list the subcommands"],
    ["/incident triage hubspot", "check HubSpot, open an incident from what it finds"],
    ["/incident triage intercom", "check Intercom, open an incident from what it finds"],
    ["/incident declare ", "open an incident that is not about a vendor"],
    ["/incident severity P2", "set the severity (P1…P4)"],
    ["/incident status ", "post a status update in the thread"],
    ["/incident commander @jordan", "set the incident commander"],
    ["/incident list", "open incidents"],
    ["/incident resolve", "resolve and share the postmortem"],
    ["/incident reopen INC-1", "reopen a resolved incident"],
    ["/incident followup ", "add a follow-up: an issue in the (simulated) tracker, an action item in the postmortem"],
  ];
  let hintIndex = -1;

  function updateHints() {
    const ta = $("textarea", composer);
    const v = ta.value.toLowerCase();
    const list = v.startsWith("/") && !v.includes("\n") ? COMMANDS.filter(([c]) => c.startsWith(v) && c !== v) : [];
    if (!list.length) { hideHints(); return; }
    hints.replaceChildren(...list.map(([cmd, desc], i) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.dataset.cmd = cmd;
      const c = document.createElement("span"); c.className = "hint-cmd"; c.textContent = cmd.trim();
      const d = document.createElement("span"); d.className = "hint-desc"; d.textContent = desc;
      li.append(c, d);
      if (i === hintIndex) li.setAttribute("aria-selected", "true");
      return li;
    }));
    hints.hidden = false;
  }

  function hideHints() { hints.hidden = true; hintIndex = -1; }

  function takeHint(cmd) {
    const ta = $("textarea", composer);
    ta.value = cmd;
    ta.focus();
    hideHints();
  }

  function hintKey(e) {
    const items = $$("li", hints);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      hintIndex = (hintIndex + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items.forEach((li, i) => li.setAttribute("aria-selected", String(i === hintIndex)));
      return true;
    }
    if ((e.key === "Tab" || (e.key === "Enter" && hintIndex >= 0)) && items.length) {
      e.preventDefault();
      takeHint(items[Math.max(hintIndex, 0)].dataset.cmd);
      return true;
    }
    if (e.key === "Escape") { hideHints(); return true; }
    return false;
  }

  hints.addEventListener("mousedown", (e) => {
    const li = e.target.closest("li");
    if (li) { e.preventDefault(); takeHint(li.dataset.cmd); }
  });

  // ---- simulated vendors -----------------------------------------------

  // Where the sidebar does not fit beside the channel it is a drawer,
  // opened from the channel header's Vendors button.
  const simsToggle = $("#sims-toggle");
  const scrim = $("#scrim");
  const drawer = () => getComputedStyle(simsToggle).display !== "none";

  function openSims(focusVendor) {
    if (drawer()) {
      app.classList.add("sims-open");
      simsToggle.setAttribute("aria-expanded", "true");
      scrim.hidden = false;
    }
    const sel = $(`#sim-${focusVendor || "hubspot"}`) || $(".sim-select");
    if (sel) sel.focus({ preventScroll: !drawer() });
    if (sel) sel.scrollIntoView({ block: "nearest" });
  }

  function closeSims() {
    if (!app.classList.contains("sims-open")) return;
    app.classList.remove("sims-open");
    simsToggle.setAttribute("aria-expanded", "false");
    scrim.hidden = true;
    simsToggle.focus();
  }

  simsToggle.addEventListener("click", () => (app.classList.contains("sims-open") ? closeSims() : openSims()));
  $("#sims-close").addEventListener("click", closeSims);
  scrim.addEventListener("click", closeSims);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && app.classList.contains("sims-open")) closeSims();
  });
  addEventListener("resize", () => { if (!drawer()) { app.classList.remove("sims-open"); scrim.hidden = true; } });

  for (const sel of $$(".sim-select")) {
    sel.addEventListener("change", async () => {
      try {
        sidebar(await post("/play/mode", { vendor: sel.dataset.vendor, mode: sel.value }));
      } catch (err) {
        showError(composer, err.message);
      }
    });
  }

  for (const btn of $$("[data-alert]")) {
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      try {
        await post("/play/alert", { status: btn.dataset.alert });
      } catch (err) {
        showError(composer, err.message);
      } finally {
        btn.disabled = false;
      }
    });
  }

  // ---- live updates ------------------------------------------------------

  function setLive(state, text) {
    live.dataset.state = state;
    live.textContent = text;
  }

  function connect() {
    const es = new EventSource("/play/stream");
    es.addEventListener("open", () => { setLive("live", "live"); refresh(); });
    es.addEventListener("change", () => refresh());
    es.addEventListener("error", () => setLive("offline", "reconnecting…"));
  }

  decorate(channelMsgs);
  channelScroll.scrollTop = channelScroll.scrollHeight;
  const hash = /^#(thread|msg)=([0-9.]+)$/.exec(location.hash);
  if (hash && hash[1] === "thread") showThread(hash[2]);
  if (hash && hash[1] === "msg") { history.replaceState(null, "", location.pathname); goTo(hash[2]); }
  connect();
  $("textarea", composer).focus();
})();
