// WeChat Pay JSAPI: ask WeChat's in-app browser to show its payment sheet, then go to the
// page that waits for the payment notification (the sheet's answer is never trusted).
(function () {
  var button = document.getElementById("jsapi-pay");
  var params = JSON.parse(document.getElementById("jsapi-params").textContent);
  function pay() {
    if (typeof WeixinJSBridge === "undefined") { return; }
    WeixinJSBridge.invoke("getBrandWCPayRequest", params, function () {
      window.location.href = button.dataset.done;
    });
  }
  button.addEventListener("click", pay);
  if (typeof WeixinJSBridge === "undefined") {
    document.addEventListener("WeixinJSBridgeReady", pay, false);
  } else {
    pay();
  }
})();
