/* Koe Now: live timelines over Server-Sent Events with a "N new posts" bar (no jumping page),
   and a character counter for the composer. The page works without this script. */
(function () {
  "use strict";

  function counter() {
    document.querySelectorAll("[data-count-for]").forEach(function (out) {
      var box = document.getElementById(out.getAttribute("data-count-for"));
      if (!box) return;
      var limit = parseInt(box.getAttribute("data-limit") || "300", 10);
      function update() {
        var left = limit - Array.from(box.value).length;
        out.textContent = String(left);
        out.classList.toggle("now-composer__count--over", left < 0);
      }
      box.addEventListener("input", update);
      update();
    });
  }

  function live(list) {
    if (!window.EventSource) return;
    var bar = document.querySelector(".now-newbar__button");
    var seen = new Set();
    var waiting = 0;
    list.querySelectorAll("[data-post-id]").forEach(function (li) {
      seen.add(li.getAttribute("data-post-id"));
    });

    function topId() {
      var first = list.querySelector("[data-post-id]");
      return first ? first.getAttribute("data-post-id") : "0";
    }

    function showBar() {
      if (!bar) return;
      bar.textContent = waiting === 1 ? bar.getAttribute("data-one")
        : bar.getAttribute("data-many").replace("{n}", String(waiting));
      bar.hidden = waiting === 0;
    }

    function loadNew() {
      var url = list.getAttribute("data-more") + "?after=" + encodeURIComponent(topId());
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          if (!html.trim()) return;
          var holder = document.createElement("ol");
          holder.innerHTML = html;
          var items = Array.from(holder.children);
          items.reverse().forEach(function (li) {
            var id = li.getAttribute("data-post-id");
            if (!list.querySelector('[data-post-id="' + id + '"]')) list.prepend(li);
          });
          var empty = document.querySelector(".now-empty");
          if (empty) empty.remove();
          waiting = 0;
          showBar();
          var first = list.querySelector("[data-post-id]");
          if (first) { first.setAttribute("tabindex", "-1"); first.focus({ preventScroll: false }); }
        });
    }

    if (bar) bar.addEventListener("click", loadNew);

    var url = list.getAttribute("data-stream") + "?last=" + encodeURIComponent(list.getAttribute("data-last-event") || "");
    var source = new EventSource(url);
    source.addEventListener("post", function (e) {
      var data = JSON.parse(e.data);
      var id = String(data.post);
      if (seen.has(id)) return;
      seen.add(id);
      waiting += 1;
      showBar();
    });
    source.addEventListener("delete", function (e) {
      var data = JSON.parse(e.data);
      var li = list.querySelector('[data-post-id="' + String(data.post) + '"]');
      if (li) li.remove();
      else if (seen.has(String(data.post)) && waiting > 0) { waiting -= 1; showBar(); }
    });
    document.documentElement.setAttribute("data-now-live", "1");
  }

  function start() {
    counter();
    var list = document.querySelector(".now-list[data-stream]");
    if (list) live(list);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
