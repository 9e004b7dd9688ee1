// The line's net as the person types quantity and discount: a preview only (the API prices
// the order in exact decimals, with tax and shipping, when it is placed).
function orderLineNet(row) {
  const price = Number(row.dataset.price);
  const quantity = Number(row.querySelector("[name=quantity]").value || 0);
  const discount = Number(row.querySelector("[name=discount_pct]").value || 0);
  const net = price * quantity * (1 - discount / 100);
  row.querySelector(".net").textContent = Number.isFinite(net) ? net.toFixed(2) : "";
}
