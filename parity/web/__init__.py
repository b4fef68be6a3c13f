"""The focal points' check-and-send page (`parity serve`): app (routes and pages), access (tokens,
sessions, failed sign-ins), uploads (kept, sent into the inbox, deleted)."""
