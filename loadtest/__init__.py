"""Real-server load tests of flashmw: gunicorn (WSGI) and uvicorn (ASGI)."""
