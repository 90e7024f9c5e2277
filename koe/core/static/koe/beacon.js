// Koe's optional time-on-page beacon: when the reader leaves, tell how many seconds the
// page was visible. No cookie, no id: the server matches it to the counted view.
(() => {
  "use strict";
  let visibleSince = document.visibilityState === "visible" ? Date.now() : 0;
  let seconds = 0;
  let sent = false;

  const pause = () => {
    if (visibleSince) seconds += (Date.now() - visibleSince) / 1000;
    visibleSince = 0;
  };
  const send = () => {
    pause();
    const whole = Math.round(seconds);
    if (sent || whole < 1 || !navigator.sendBeacon) return;
    sent = true;
    navigator.sendBeacon("/a/t", JSON.stringify({ p: location.pathname, s: Math.min(whole, 21600) }));
  };

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") visibleSince = Date.now();
    else send();
  });
  window.addEventListener("pagehide", send);
})();
