"""SQLite storage through aiosqlite: migrations, the order repository, PTB persistence."""
