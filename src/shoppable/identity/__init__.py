"""Who is calling: users, passwords, bearer tokens, shop API keys, shop roles and auth dependencies."""
