/* Draw every Plotly chart embedded in the page: <script type="application/json" data-chart="ID">{figure}</script>.
   (The overview, map and province pages are drawn on the server and load no script.) */
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
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else { draw(); }
})();
