"""What the top-level ui.py wires into the Gradio app: the chat handler (chat.py), how an
answer is rendered as safe HTML and Markdown (render.py), the index panel (index_panel.py)
and the page's style (style.py). Gradio itself is imported only by ui.py, so everything here
is tested without a browser."""
