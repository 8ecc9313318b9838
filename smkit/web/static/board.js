// The plant board: new tiles arrive as server-sent events; the time in state ticks every second.
(function () {
  "use strict";
  var holder = document.getElementById("tiles");
  var offsetMs = 0;

  function tick() {
    var now = Date.now() + offsetMs;
    holder.querySelectorAll(".elapsed").forEach(function (el) {
      var s = Math.max(0, Math.round((now - Number(el.dataset.sinceMs)) / 1000));
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
      el.textContent = h ? h + ":" + String(m).padStart(2, "0") + ":" + String(sec).padStart(2, "0")
                         : m + ":" + String(sec).padStart(2, "0");
    });
  }

  function clockFrom(root) {
    var stamp = root.querySelector("[data-server-ms]");
    if (stamp) { offsetMs = Number(stamp.dataset.serverMs) - Date.now(); }
  }

  clockFrom(holder);
  setInterval(tick, 1000);
  if (!window.EventSource) { return; }
  var source = new EventSource(holder.dataset.events);
  source.addEventListener("tiles", function (event) {
    holder.innerHTML = event.data;
    clockFrom(holder);
    tick();
    document.body.dataset.refreshed = String(Date.now());
  });
  source.addEventListener("signed-out", function () { source.close(); location.reload(); });
})();
