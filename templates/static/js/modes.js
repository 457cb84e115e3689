/* Applied in <head> before first paint: the reader's saved 长者模式 / 高对比度 choice. */
(function () {
  try {
    var root = document.documentElement;
    root.classList.add("js");  // hides notes meant for readers without JavaScript (.no-js-note)
    if (localStorage.getItem("np-elder") === "1") root.classList.add("elder");
    if (localStorage.getItem("np-contrast") === "1") root.classList.add("contrast");
  } catch (e) { /* storage may be disabled */ }
})();
