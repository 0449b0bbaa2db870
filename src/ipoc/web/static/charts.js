// Count charts: every element with data-count-chart="pie" or "bar" and data-chart='[["label", n], ...]' is drawn
// with ECharts (loaded from /static/vendor); data-series names the counted things. Charts follow the window's size.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.echarts) return;
  const charts = [];
  document.querySelectorAll("[data-count-chart]").forEach(node => {
    const rows = JSON.parse(node.dataset.chart);
    const name = node.dataset.series || "";
    const chart = echarts.init(node);
    if (node.dataset.countChart === "pie") {
      chart.setOption({
        tooltip: {trigger: "item"}, legend: {bottom: 0},
        series: [{name, type: "pie", radius: ["35%", "60%"], data: rows.map(r => ({name: r[0], value: r[1]}))}]
      });
    } else {
      chart.setOption({
        tooltip: {trigger: "axis"}, grid: {left: 40, right: 10, top: 20, bottom: 100},
        xAxis: {type: "category", data: rows.map(r => r[0]), axisLabel: {rotate: 45, interval: 0}},
        yAxis: {type: "value", minInterval: 1},
        series: [{name, type: "bar", data: rows.map(r => r[1])}]
      });
    }
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach(c => c.resize()));
});

// The dashboard's registrations per league/city (#orgs-chart, data-chart='[["盟市", verified, pending], ...]').
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("orgs-chart");
  if (!window.echarts || !el) return;
  const rows = JSON.parse(el.dataset.chart);
  const chart = echarts.init(el);
  chart.setOption({
    tooltip: {trigger: "axis"}, legend: {top: 0, data: ["已核验", "待核验"]},
    grid: {left: 40, right: 10, top: 30, bottom: 70},
    xAxis: {type: "category", data: rows.map(r => r[0]), axisLabel: {rotate: 40}},
    yAxis: {type: "value", minInterval: 1},
    series: [{name: "已核验", type: "bar", stack: "n", data: rows.map(r => r[1])},
             {name: "待核验", type: "bar", stack: "n", data: rows.map(r => r[2])}]
  });
  window.addEventListener("resize", () => chart.resize());
});
