// Draws the dashboard's charts from the JSON the page carries (no request of its own).
document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("kpi-charts").textContent);
  const charts = [
    ["chart-per-day", "bar", data.per_day, { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }],
    ["chart-in-status", "bar", data.in_status, { indexAxis: "y" }],
    ["chart-reasons", "bar", data.reasons, { scales: { y: { beginAtZero: true } } }],
  ];
  for (const [id, type, chartData, options] of charts) {
    const canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, { type, data: chartData, options: { animation: false, ...options } });
  }
});
