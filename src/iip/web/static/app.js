/* Draw every chart embedded in the page: <script type="application/json" data-chart="ID">{figure}</script>. */
(function () {
  "use strict";
  function draw() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("script[data-chart]").forEach(function (node) {
      var id = node.getAttribute("data-chart");
      var el = document.getElementById(id);
      if (!el) { return; }
      var fig = JSON.parse(node.textContent);
      Plotly.newPlot(el, fig.data, fig.layout, {responsive: true, displaylogo: false}).then(function () {
        el.setAttribute("data-rendered", "1");
        if (el.classList.contains("tilemap")) {
          el.on("plotly_click", function (ev) {
            var p = ev.points && ev.points[0];
            if (p && p.customdata) {
              var qs = new URLSearchParams(window.location.search);
              var period = qs.get("period");
              window.location.href = "/provinces/" + p.customdata + (period ? "?period=" + period : "");
            }
          });
        }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else { draw(); }
})();
