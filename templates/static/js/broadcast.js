/* Broadcaster's page: copy a script to the clipboard, print a single script. */
(function () {
  "use strict";
  function say(button, text) {
    var status = button.parentNode.querySelector(".copy-status");
    if (status) status.textContent = text;
  }
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      var text = Array.prototype.map.call(source.querySelectorAll("p"), function (p) { return p.textContent.trim(); }).join("\n");
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { say(button, "已复制"); },
          function () { say(button, fallbackCopy(text) ? "已复制" : "复制失败，请手动选择文字复制"); });
      } else {
        say(button, fallbackCopy(text) ? "已复制" : "复制失败，请手动选择文字复制");
      }
    });
  });
  document.querySelectorAll("[data-print-script]").forEach(function (button) {
    button.addEventListener("click", function () {
      var card = button.closest(".script-card");
      if (!card) return;
      card.classList.add("print-target");
      document.body.classList.add("printing-one");
      window.print();
      setTimeout(function () {
        card.classList.remove("print-target");
        document.body.classList.remove("printing-one");
      }, 500);
    });
  });
})();
