"""Pure logic, no I/O: the `/gencove` grammar, address parsing, permissions, rate limits.

Nothing here imports Slack or Gencove code; the I/O shells feed it text and facts.
"""
