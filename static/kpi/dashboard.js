/* The dashboard's trend chart (Apache ECharts, vendored); data from the page's json_script. */
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("kpi-trend");
    var source = document.getElementById("kpi-trend-data");
    if (!holder || !source || typeof echarts === "undefined") { return; }
    var trend = JSON.parse(source.textContent);
    var locale = (document.documentElement.lang || "").indexOf("zh") === 0 ? "ZH" : "EN";
    var chart = echarts.init(holder, null, { locale: locale, renderer: "svg" });
    var months = trend.points.map(function (p) { return p.from.slice(0, 7); });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [trend.labels.value, trend.labels.target] },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", name: trend.unit },
      series: [
        { name: trend.labels.value, type: "line", connectNulls: false,
          data: trend.points.map(function (p) { return p.value; }) },
        { name: trend.labels.target, type: "line", lineStyle: { type: "dashed" }, symbol: "none",
          data: trend.points.map(function (p) { return p.target; }) }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    holder.setAttribute("data-rendered", "true");
  }
  document.documentElement.className += " js";
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
