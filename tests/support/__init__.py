"""What the tests share, in one place; test modules import from here, never from each other.
Fixtures live in the conftest.py of the folder that uses them (tests/conftest.py for all).

- harness: the bot in-process, wired to the Slack and Gencove stand-ins (`running_bot`)
- processes: real `python -m invite_bot` processes (`serve`, `watch`, any command)
- served: a `serve` process with its /metrics and its log lines
- dbs: an empty SQLite or PostgreSQL database per test, and the embedded server
- waiting: waiting for something to happen, never for a fixed time
- blocks_text: what a message's blocks say, by block id
- messages: a message's whole text, a row's line, its Revoke buttons, no raw specials
- secrets: the secrets a test bot holds, and that none reached a text
- bulk: addresses, a DM to the bot, the bulk progress message and its report
- store: records to feed the store, and the type of the store tests' `open_store`
- gencove: a quick Gencove client, the leak watch, the back-off recorder
"""
