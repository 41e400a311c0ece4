""" "Searched for: ...": the words a follow-up was rewritten into, for the officer to correct.

A follow-up ("and what about procurement?") is searched as a standalone question; when that
rewrite (``Answer.question_rewritten``) is not what the officer meant, they edit it here and
search for exactly the edited words (``ui.chat`` answers it without rewriting it again).
"""

from __future__ import annotations

import gradio as gr


def searched_for_box() -> tuple[gr.Row, gr.Textbox, gr.Button]:
    """The row (hidden until a rewritten follow-up is answered), its text and its button."""
    with gr.Row(visible=False, elem_id="searched-for-box", equal_height=True) as row:
        text = gr.Textbox(
            label="Searched for (edit it if that is not what you meant)",
            lines=1,
            max_lines=3,
            scale=4,
            elem_id="searched-for",
        )
        again = gr.Button(
            "Search for this instead", scale=0, min_width=150, size="md", elem_id="search-again"
        )
    return row, text, again
