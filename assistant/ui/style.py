"""The page's look in the browser: the CSS for the classes `ui_render` emits, and the head.

`CSS` styles the source cards, [n] markers, timeline and the "Understood as" line; `HEAD`
adds the page-frame rule for phones and the script that scrolls to a card when its [n] is
clicked (and shows an answer's start, not the chat's bottom, when its sources arrive). Both
are plain strings that `ui.launch` hands to Gradio.

What it does not do: build HTML (that is `ui_render`), or load anything from beyond the
server (no web fonts, no CDN scripts).
"""

# Gradio scopes this CSS to the app's content (it prefixes every selector).
CSS = """
.source-card { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 6px 10px; margin: 6px 0; background: var(--background-fill-secondary);
  transition: box-shadow .3s; }
.source-card.flash { box-shadow: 0 0 0 3px var(--color-accent); }
.card-head { font-weight: 600; }
.card-n { color: var(--color-accent); }
.card-meta { color: var(--body-text-color-subdued); font-size: 0.85em; }
.source-card blockquote { margin: 4px 0 0 0; padding-left: 8px; font-size: 0.9em;
  border-left: 3px solid var(--border-color-primary); }
.source-card mark { background: #fde68a; color: #111; padding: 0 2px; }
#chat a.cite { color: var(--color-accent); text-decoration: none; font-weight: 600;
  cursor: pointer; }
ol.timeline { display: flex; flex-wrap: wrap; gap: 4px 0; list-style: none; padding: 0;
  margin: 8px 0; font-size: 0.85em; }
.tl-stop { display: flex; align-items: center; gap: 4px; }
.tl-stop + .tl-stop::before { content: ""; width: 24px; height: 2px; margin: 0 6px;
  background: var(--border-color-primary); }
.tl-date { color: var(--body-text-color-subdued); }
.tl-date::before { content: "●"; color: var(--color-accent); margin-right: 3px; }
.understood { color: var(--body-text-color-subdued); font-size: 0.85em; font-style: italic;
  margin-bottom: 4px; }
.related-head { font-weight: 600; margin-top: 6px; }
@media (max-width: 640px) { #chat { height: 65vh !important; } }
"""

# Clicking [n] scrolls its card into view inside the chat, and flashes it.
HEAD = """
<style>
/* The page frame is outside the scope of CSS above: a narrow margin on phones. */
@media (max-width: 640px) {
  .main.app { padding-left: 6px !important; padding-right: 6px !important; }
}
</style>
<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.cite");
  if (!link) return;
  // The sanitizer keeps href and id (it drops data-* attributes).
  const id = (link.getAttribute("href") || "").slice(1);
  const card = document.getElementById(id);
  if (!card) return;
  event.preventDefault();
  event.stopPropagation();
  card.scrollIntoView({ behavior: "smooth", block: "nearest" });
  card.classList.add("flash");
  setTimeout(() => card.classList.remove("flash"), 1500);
}, true);
// Gradio scrolls a chat to its bottom; when an answer's sources arrive, show the answer's
// start instead, so the reader sees the answer first and the cards below it.
const shown = new WeakSet();
new MutationObserver(() => {
  for (const sources of document.querySelectorAll("#chat .message.bot .sources")) {
    if (shown.has(sources)) continue;
    shown.add(sources);
    const message = sources.closest(".message.bot");
    setTimeout(() => message.scrollIntoView({ behavior: "smooth", block: "start" }), 150);
  }
}).observe(document.documentElement, { childList: true, subtree: true });
</script>
"""
