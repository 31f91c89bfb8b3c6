"""The contract between the core and the chat adapters, in one place.

* `values`  — the neutral values that cross the boundary: Reply, Item, Post (core → adapter), Vote, Actor
  (adapter → core).
* `adapter` — what an adapter is to the core (`ChatAdapter`), where a post landed (`PostRef`), and what an
  adapter hands votes to (`VoteHandler`).
* `emoji`   — canonical emoji names, so Discord's ✅ and Slack's `white_check_mark` are one vote.
* `render`  — the display rules every renderer shares (safe links, clipping, numbering, suggestions).
* `text`    — plain-text rendering: the console's output and every platform's fallback text.
* `runner`  — run a command off the event loop and answer with an error reply if it crashes.

Nothing here imports a chat SDK; adapters import from here, never the other way round.
"""
