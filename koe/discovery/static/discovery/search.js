// The search page: a refused query (dates the wrong way round) answers 400 with its
// message; htmx would keep the old results, so let that answer replace them.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 400 && event.detail.target.id === "search-results") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
