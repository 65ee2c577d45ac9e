"""Baseline for throughput: a bare Bolt ``AsyncApp`` whose only listener acknowledges.

``PORT=3001 SLACK_SIGNING_SECRET=… SLACK_BOT_TOKEN=xoxb-… python -m bench.bare_app``
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult

from bench._serve import env, fixed_authorize, serve


def build() -> AsyncApp:
    result = fixed_authorize(env("SLACK_BOT_TOKEN"))

    async def authorize() -> AuthorizeResult:
        return result

    app = AsyncApp(signing_secret=env("SLACK_SIGNING_SECRET"), authorize=authorize)

    @app.command("/gencove")
    async def gencove(ack: AsyncAck) -> None:
        await ack(response_type="ephemeral", text="ok")

    return app


if __name__ == "__main__":
    serve(build())
