"""`/gencove audit [--since 30d]`: the audit log as a CSV, in the inviter's DM."""
