// crmsec dashboard: draws server-built Plotly figures, auto-submits filter forms, runs background jobs.
"use strict";
(function () {
  const PLOT_CONFIG = { responsive: true, displaylogo: false, topojsonURL: "/static/vendor/topojson/" };
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  function draw(el, fig) {
    if (!window.Plotly) { return; }
    return window.Plotly.newPlot(el, fig.data || [], fig.layout || {}, PLOT_CONFIG).then(() => {
      el.dataset.rendered = "true";
    });
  }

  function drawAll() {
    document.querySelectorAll("div.chart[data-figure]").forEach((el) => {
      const src = document.getElementById(el.dataset.figure);
      if (src) { draw(el, JSON.parse(src.textContent)); }
    });
  }

  function autosubmit() {
    document.querySelectorAll("form[data-autosubmit]").forEach((form) => {
      // radios and selects submit at once; a range slider submits when the pointer is released, so keyboard
      // users can step with the arrow keys and confirm with the "Show" button without a reload per step
      form.addEventListener("change", (ev) => { if (ev.target.type !== "range") { form.requestSubmit(); } });
      form.querySelectorAll("input[type=range]").forEach((r) => {
        const out = form.querySelector('output[for="' + r.id + '"]');
        r.addEventListener("input", () => { if (out) { out.textContent = r.value; } });
        r.addEventListener("pointerup", () => form.requestSubmit());
      });
    });
  }

  async function postJSON(url, body) {
    const resp = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), "Accept": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await resp.json().catch(() => ({ detail: resp.statusText }));
    if (!resp.ok) { throw new Error(data.detail || resp.statusText); }
    return data;
  }

  // Poll a job until it finishes, then draw its figure and table.
  async function watch(job, ui) {
    while (job.status === "queued" || job.status === "running") {
      ui.bar.value = job.progress;
      ui.status.textContent = (job.message || job.status) + " (" + Math.round(100 * job.progress) + " %)";
      await new Promise((r) => setTimeout(r, 300));
      job = await (await fetch(job.status_url, { credentials: "same-origin" })).json();
    }
    if (job.status === "failed") { throw new Error(job.error); }
    ui.bar.value = 1;
    const result = await (await fetch(job.result_url + "?view=figure", { credentials: "same-origin" })).json();
    await draw(ui.target, result.figure);
    if (ui.table && result.table_html !== undefined) { ui.table.innerHTML = result.table_html; }
    ui.status.textContent = ui.done || "done";
    ui.target.dataset.jobId = job.id;
  }

  function uiOf(el) {
    return { status: document.getElementById(el.dataset.status), bar: document.getElementById(el.dataset.progress),
             target: document.getElementById(el.dataset.chart), table: document.getElementById(el.dataset.table),
             done: el.dataset.msgDone };
  }

  // A form with data-job-endpoint starts a background job, shows its progress and draws the result figure.
  function jobForms() {
    document.querySelectorAll("form[data-job-endpoint]").forEach((form) => {
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const ui = uiOf(form);
        const body = {};
        // JSON types as the API schema states them (strict: "true" is not a boolean, "3" not a number)
        const typed = (v) => (v === "true" ? true : v === "false" ? false : isNaN(v) ? v : Number(v));
        new FormData(form).forEach((v, k) => { if (k !== "csrf_token" && v !== "") { body[k] = typed(v); } });
        const button = form.querySelector("button[type=submit]");
        button.disabled = true;
        ui.status.textContent = form.dataset.msgStarting || "…";
        try {
          await watch(await postJSON(form.dataset.jobEndpoint, body), ui);
        } catch (err) {
          ui.status.textContent = (form.dataset.msgFailed || "failed") + ": " + err.message;
        } finally { button.disabled = false; }
      });
    });
    document.querySelectorAll("[data-watch-job]").forEach(async (el) => {
      const ui = uiOf(el);
      try {
        const job = await (await fetch(el.dataset.watchJob, { credentials: "same-origin" })).json();
        await watch(job, ui);
      } catch (err) { ui.status.textContent = (el.dataset.msgFailed || "failed") + ": " + err.message; }
    });
  }

  document.addEventListener("DOMContentLoaded", () => { drawAll(); autosubmit(); jobForms(); });
})();
