"""The playground: a Gencove sandbox, a local Slack in the browser and the real bot."""
