"""Never lose what a person typed: a report or plan form that arrives after the session ended,
or without a valid CSRF token, is kept on the server and given back after log-in."""
