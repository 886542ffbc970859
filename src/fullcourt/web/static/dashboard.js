// fullcourt dashboard: heatmap details on hover/click, live runs without a reload.
// Plain browser JavaScript, no libraries; every request is a GET to this same server.
(function () {
  "use strict";

  function esc(text) {
    return String(text === null || text === undefined ? "" : text)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  function when(ts) {
    return ts ? new Date(ts * 1000).toISOString().slice(0, 19).replace("T", " ") : "";
  }

  // -- heatmap -------------------------------------------------------------------------
  var heatmap = document.getElementById("heatmap");
  var detail = document.getElementById("detail");
  var datesNode = document.getElementById("hm-dates");
  if (heatmap && detail && datesNode) {
    var dates = JSON.parse(datesNode.textContent);
    var shown = null;
    var pending = null;

    var dateUnder = function (cell, clientX) {
      var box = cell.getBoundingClientRect();
      var n = parseInt(cell.dataset.n, 10);
      var i = Math.min(n - 1, Math.max(0, Math.floor(((clientX - box.left) / Math.max(box.width, 1)) * n)));
      return dates[parseInt(cell.dataset.start, 10) + i] || cell.dataset.first;
    };

    var show = function (cell, day) {
      var key = cell.dataset.table + "|" + day;
      if (key === shown) return;
      shown = key;
      var span = cell.dataset.first === cell.dataset.last ? cell.dataset.first
        : cell.dataset.first + " to " + cell.dataset.last + " (" + cell.dataset.n + " dates)";
      detail.innerHTML = "<p><b>" + esc(cell.dataset.table) + " " + esc(day) + "</b>: <span class='swatch st-" +
        esc(cell.dataset.status) + "'></span>" + esc(cell.dataset.status) + " <span class='muted'>· span " +
        esc(span) + "</span></p><p class='muted'>loading…</p>";
      if (pending) clearTimeout(pending);
      pending = setTimeout(function () {
        var url = "/api/partition?table=" + encodeURIComponent(cell.dataset.table) + "&date=" + encodeURIComponent(day);
        fetch(url).then(function (r) { return r.json(); }).then(function (p) {
          if (shown !== key) return;
          var rows = (p.attempts || []).map(function (a) {
            return "<tr><td><code>" + esc(a.run_id) + "</code></td><td>" + esc(a.status) + "</td><td class='num'>" +
              esc(a.rows) + "</td><td class='num'>" + esc(a.games) + "</td><td>" + esc(a.attempt) + "</td><td>" +
              esc(when(a.started_at)) + "</td><td>" + esc(a.error) + "</td></tr>";
          }).join("");
          var root = p.root_cause ? "<p>root cause: <b>" + esc(p.root_cause.table) + " " + esc(p.root_cause.game_date) + "</b></p>" : "";
          detail.innerHTML = "<p><b>" + esc(p.table) + " " + esc(p.game_date) + "</b>: <span class='swatch st-" +
            esc(p.status) + "'></span>" + esc(p.status) + (p.reason ? " — " + esc(p.reason) : "") +
            " <span class='muted'>· span " + esc(span) + "</span></p>" + root +
            (rows ? "<table><thead><tr><th>run</th><th>attempt status</th><th>rows</th><th>games</th><th>#</th><th>started (UTC)</th><th>error</th></tr></thead><tbody>" +
              rows + "</tbody></table>" : "<p class='muted'>no ledger attempts for this partition</p>");
        }).catch(function () {
          if (shown === key) detail.innerHTML = "<p class='muted'>details unavailable (server not answering)</p>";
        });
      }, 120);
    };

    heatmap.addEventListener("mousemove", function (e) {
      var cell = e.target.closest(".cell");
      if (cell) show(cell, dateUnder(cell, e.clientX));
    });
    heatmap.addEventListener("click", function (e) {
      var cell = e.target.closest(".cell");
      if (!cell) return;
      var prev = heatmap.querySelector(".cell.sel");
      if (prev) prev.classList.remove("sel");
      cell.classList.add("sel");
      shown = null;
      show(cell, dateUnder(cell, e.clientX));
    });
    heatmap.addEventListener("focusin", function (e) {
      var cell = e.target.closest(".cell");
      if (cell) show(cell, cell.dataset.first);
    });
  }

  // -- runs: the run in flight, refreshed in place ---------------------------------------
  var live = document.getElementById("runs-live");
  if (live) {
    var every = (parseFloat(document.body.dataset.refresh) || 3) * 1000;
    var tick = function () {
      fetch(live.dataset.fragment).then(function (r) {
        if (!r.ok) throw new Error("status " + r.status);
        return r.text();
      }).then(function (html) { live.innerHTML = html; }).catch(function () { /* keep the last view */ })
        .then(function () { setTimeout(tick, every); });
    };
    setTimeout(tick, every);
  }
})();
